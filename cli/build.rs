//! The example games' rules fingerprints for the `hearth` binary (`src/main.rs`), traced here
//! from their types so the binary leaves the type tracer out (BENCHMARKS.md, *Binary size*).
//! Nothing to do without the binary (feature `example-games`): a game project's command line.

fn main() {
    #[cfg(feature = "example-games")]
    fingerprints();
}

/// Writes `$OUT_DIR/fingerprints.rs`, the `&[&str]` `src/main.rs` includes. A build script
/// reports failure by panicking; the message names the game.
#[cfg(feature = "example-games")]
fn fingerprints() {
    let text = match hearth_wasm_build::expression(hearth_games::games) {
        Ok(text) => text,
        Err(e) => panic!("{e}"),
    };
    let Some(out) = std::env::var_os("OUT_DIR") else {
        panic!("OUT_DIR is not set: cargo runs build.rs");
    };
    let path = std::path::PathBuf::from(out).join("fingerprints.rs");
    if let Err(e) = std::fs::write(&path, text) {
        panic!("cannot write {}: {e}", path.display());
    }
}
