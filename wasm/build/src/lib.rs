//! For the `build.rs` of a Hearth Wasm module. The module leaves the type tracer that
//! computes rules fingerprints out (it is ~15 % of the module), and JSON too (game values
//! become JS values in JavaScript, from the shapes of the games' types), so the fingerprints
//! and the shapes are computed here, natively, at build time, and `hearth_wasm::export!`
//! includes them:
//!
//! ```no_run
//! // build.rs of the developer's Wasm crate: its `main` is this line.
//! # let my_game_games: hearth_rules::Games = |_| Ok(());
//! hearth_wasm_build::build_script(my_game_games);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::PathBuf;

use hearth_rules::{Catalog, Games};

/// Why the fingerprints could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The catalog did not build (two games of one name, a game with floats in its state…).
    #[error("the games do not build a catalog: {0}")]
    Catalog(#[from] hearth_rules::RuleError),
    /// Not run by cargo as a build script.
    #[error("OUT_DIR is not set: call hearth_wasm_build::fingerprints from a build.rs")]
    NoOutDir,
    /// `OUT_DIR` could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The Rust expression `hearth_wasm::export!` includes: the fingerprints of `games`, in
/// catalog order, as a `&[&str]` (also what `hearth_cli::run_fingerprinted` takes; the
/// `hearth` binary's build.rs writes it).
pub fn expression(games: Games) -> Result<String, BuildError> {
    Ok(fingerprints_of(&Catalog::of(games)?))
}

fn fingerprints_of(catalog: &Catalog) -> String {
    let fingerprints: Vec<String> = catalog
        .fingerprints()
        .iter()
        .map(ToString::to_string)
        .collect();
    format!("&{fingerprints:?}")
}

/// The whole `main` of a module's `build.rs`: [`fingerprints`], or the build stops with the
/// reason (which names the game). A build script reports failure by panicking.
pub fn build_script(games: Games) {
    if let Err(e) = fingerprints(games) {
        panic!("{e}");
    }
}

/// The shapes of the games' values (`Catalog::shapes`) as JSON text, for the module's
/// JavaScript codec.
pub fn shapes(games: Games) -> Result<String, BuildError> {
    Ok(Catalog::of(games)?.shapes()?.to_string())
}

/// Writes `$OUT_DIR/hearth_fingerprints.rs` and `$OUT_DIR/hearth_shapes.json` for
/// `hearth_wasm::export!`, from one catalog.
pub fn fingerprints(games: Games) -> Result<(), BuildError> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?);
    let catalog = Catalog::of(games)?;
    for (name, text) in [
        ("hearth_fingerprints.rs", fingerprints_of(&catalog)),
        ("hearth_shapes.json", catalog.shapes()?.to_string()),
    ] {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|source| BuildError::Write { path, source })?;
    }
    Ok(())
}
