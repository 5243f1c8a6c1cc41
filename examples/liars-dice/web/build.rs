//! The games' rules fingerprints, computed natively for `hearth_wasm::export!`.
fn main() {
    hearth_wasm_build::build_script(liars_dice_rules::games);
}
