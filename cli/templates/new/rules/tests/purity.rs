//! The rules stay pure: no clocks, I/O, threads, floats or unordered maps, and only reviewed
//! dependencies (`hearth_tests::purity`). Determinism across every mode rests on it.

#[test]
fn the_rules_are_pure() {
    hearth_tests::purity::check_crate(env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"), &[]);
}
