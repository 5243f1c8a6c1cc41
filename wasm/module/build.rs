//! The example games' fingerprints for `hearth_wasm::export!`, computed natively.
fn main() {
    if let Err(e) = hearth_wasm_build::fingerprints(hearth_games::games) {
        panic!("{e}");
    }
}
