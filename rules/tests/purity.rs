//! The rules core stays pure (see `hearth_tests::purity`).

#[test]
fn rules_are_pure() {
    hearth_tests::purity::check_crate(env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"), &[]);
}
