//! The games' rules fingerprints, computed natively for `hearth_wasm::export!`.
fn main() {
    if let Err(e) = hearth_wasm_build::fingerprints(__crate___rules::games) {
        panic!("{e}");
    }
}
