//! Liar's Dice is rules like any other: pure (see `hearth_tests::purity`).

#[test]
fn liars_dice_is_pure() {
    hearth_tests::purity::check_crate(env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"), &[]);
}
