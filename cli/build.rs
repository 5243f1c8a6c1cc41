//! The example games' rules fingerprints for the `hearth` binary (`src/main.rs`), traced here
//! from their types so the binary leaves the type tracer out (BENCHMARKS.md, *Binary size*).
//! Nothing to do without the binary (feature `example-games`): a game project's command line.

fn main() {
    #[cfg(feature = "example-games")]
    fingerprints();
}

#[cfg(feature = "example-games")]
fn fingerprints() {
    let catalog = match hearth_rules::Catalog::of(hearth_games::games) {
        Ok(catalog) => catalog,
        // A build script reports failure by panicking; the message names the game.
        Err(e) => panic!("the example games do not build a catalog: {e}"),
    };
    let fingerprints: Vec<String> = catalog
        .fingerprints()
        .iter()
        .map(ToString::to_string)
        .collect();
    let Some(out) = std::env::var_os("OUT_DIR") else {
        panic!("OUT_DIR is not set: cargo runs build.rs");
    };
    let path = std::path::PathBuf::from(out).join("fingerprints.rs");
    if let Err(e) = std::fs::write(&path, format!("&{fingerprints:?}")) {
        panic!("cannot write {}: {e}", path.display());
    }
}
