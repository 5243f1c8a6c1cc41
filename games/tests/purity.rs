//! The example games are rules like any other: pure (see `hearth_tests::purity`).

#[test]
fn example_games_are_pure() {
    hearth_tests::purity::check_crate(env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"), &[]);
}
