//! The games' rules fingerprints, computed natively for `hearth_wasm::export!`.
fn main() {
    hearth_wasm_build::build_script(__crate___rules::games);
}
