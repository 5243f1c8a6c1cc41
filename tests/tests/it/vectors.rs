//! The golden vectors in `tests/vectors/` replay natively, step by step, in both encodings.

use std::path::Path;

use hearth_tests::vectors::{VectorStep, check, generate, read_dir, to_json};

fn vectors_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/vectors"))
}

#[test]
fn every_golden_vector_replays_step_by_step() {
    let catalog = hearth_games::catalog();
    let vectors = read_dir(vectors_dir()).expect("read vectors");
    for game in ["connect-four", "chameleon", "tanks"] {
        let n = vectors.iter().filter(|v| v.game == game).count();
        assert!(n >= 5, "{game} has {n} vectors, want at least 5");
    }
    for v in &vectors {
        check(&catalog, v).unwrap_or_else(|e| panic!("{e}"));
        assert!(v.outcome.is_some(), "{} plays to the end", v.name);
    }
    let refused = vectors
        .iter()
        .flat_map(|v| &v.steps)
        .filter(|s| matches!(s, VectorStep::Apply { error: Some(_), .. }))
        .count();
    assert!(refused >= 10, "vectors include refused actions ({refused})");
}

#[test]
fn a_tampered_vector_is_caught() {
    let catalog = hearth_games::catalog();
    let mut v = read_dir(vectors_dir())
        .expect("read")
        .into_iter()
        .next()
        .expect("one vector");
    if let Some(VectorStep::Apply { hash, .. } | VectorStep::Tick { hash }) = v.steps.last_mut() {
        hash.replace_range(0..1, if hash.starts_with('0') { "1" } else { "0" });
    }
    assert!(check(&catalog, &v).is_err());
}

#[test]
fn the_committed_vectors_are_what_the_generator_writes() {
    // Guards against hand edits and documents that `gen-vectors` is the one source.
    let catalog = hearth_games::catalog();
    for v in generate(&catalog).expect("generate") {
        let path = vectors_dir().join(format!("{}.json", v.name));
        let on_disk =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == to_json(&v),
            "{} differs from the generator's output; run `cargo run -p hearth-tests --bin gen-vectors` if the change is intended",
            path.display()
        );
    }
}
