//! What Godot checks when it loads the extension, checked without Godot
//! (`hearth_tests::godot`): the library exports `gdext_rust_init`, the `.gdextension` points
//! where `cargo build` puts it, and the project's scripts use only what Hearth registers.
//! With `HEARTH_GODOT` naming a Godot 4.3+ binary, Godot itself loads the extension, replays
//! the golden vectors from GDScript, runs the main scene and plays a match against a real
//! server through `HearthClient`; without one these say they were skipped.

use std::path::{Path, PathBuf};

use hearth_tests::godot;

const LIBRARY: &str = "lib__crate___godot.so";

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("project")
}

#[test]
fn the_library_exports_the_gdextension_entry_point() {
    godot::exports_entry_point(&godot::built_library(LIBRARY)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_gdextension_file_points_at_what_the_build_produces() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the workspace");
    let file = workspace.join("godot/project/__name__.gdextension");
    godot::check_gdextension(&file, &workspace, LIBRARY).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_scripts_use_only_what_the_extension_registers() {
    for script in ["main.gd", "tests/vectors.gd", "tests/online.gd"] {
        let used = godot::check_script(&project().join(script));
        assert!(used > 0, "{script} uses the extension");
    }
}

#[test]
fn godot_replays_the_golden_vectors_and_runs_the_main_scene() {
    let Some(binary) = godot::godot("loading the extension in Godot") else {
        return;
    };
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/vectors");
    hearth_tests::vectors::project_vectors(__crate___rules::games, &vectors)
        .unwrap_or_else(|e| panic!("{e}"));
    godot::headless(&binary, &project(), &["--import"]).unwrap_or_else(|e| panic!("{e}"));
    let out = godot::headless(
        &binary,
        &project(),
        &["--script", "res://tests/vectors.gd", "--", &vectors.display().to_string()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains(" 0 failures"), "{out}");
    godot::headless(&binary, &project(), &["--quit-after", "120"]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn godot_plays_a_match_on_a_real_server() {
    let Some(binary) = godot::godot("a match on a server through HearthClient") else {
        return;
    };
    let out = godot::play_online(&binary, &project(), __crate___rules::games, "__name__")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains("godot online: over"), "{out}");
}
