//! The example games' fingerprints for `hearth_wasm::export!`, computed natively.
fn main() {
    hearth_wasm_build::build_script(hearth_games::games);
}
