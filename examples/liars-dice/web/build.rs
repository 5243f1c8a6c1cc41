//! The games' rules fingerprints, computed natively for `hearth_wasm::export!`.
fn main() {
    if let Err(e) = hearth_wasm_build::fingerprints(liars_dice_rules::games) {
        panic!("{e}");
    }
}
