//! Computes the built-in games' rules fingerprints with a native build of the rules (which
//! can trace the games' types) for the Wasm module, which leaves the tracer out for size.
//! `wasm/tests/vectors.rs` checks them against the golden vectors, every host's handshake
//! against its own.

use std::io::Write;

fn main() {
    let fingerprints: Vec<String> = hearth_games::catalog()
        .fingerprints()
        .iter()
        .map(ToString::to_string)
        .collect();
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut file = std::fs::File::create(out.join("fingerprints.rs")).expect("OUT_DIR is writable");
    writeln!(
        file,
        "/// The built-in games' fingerprints, computed natively by build.rs.\npub const FINGERPRINTS: &[&str] = &{fingerprints:?};"
    )
    .expect("OUT_DIR is writable");
}
