//! Writes the golden vectors: `cargo run -p hearth-tests --bin gen-vectors -- tests/vectors`.
//! Run it only when the rules change on purpose (and bump the game's version then).

use std::path::PathBuf;

use clap::Parser;
use hearth_tests::vectors::{generate, to_json};

/// Regenerate Hearth's golden vectors.
#[derive(Parser)]
struct Args {
    /// Folder to write `<name>.json` files into.
    #[arg(default_value = "tests/vectors")]
    dir: PathBuf,
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let catalog = hearth_games::catalog();
    let vectors = generate(&catalog).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    for v in &vectors {
        let path = args.dir.join(format!("{}.json", v.name));
        std::fs::write(&path, to_json(v)).map_err(|e| format!("{}: {e}", path.display()))?;
        let applied = v
            .steps
            .iter()
            .filter(|s| matches!(s, hearth_tests::vectors::VectorStep::Apply { .. }))
            .count();
        println!(
            "{}: {} steps ({applied} actions), outcome {:?}",
            path.display(),
            v.steps.len(),
            v.outcome
        );
    }
    Ok(())
}
