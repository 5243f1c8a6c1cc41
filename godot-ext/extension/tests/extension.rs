//! What Godot would check when it loads Hearth's extension, checked without Godot
//! (`hearth_tests::godot`): the library exports `gdext_rust_init`, `hearth.gdextension` is well
//! formed and points where the build puts the library, and every class, method and signal the
//! demo's GDScript uses is one the extension registers. With `HEARTH_GODOT` naming a Godot 4
//! binary, the demo's main scene also runs headless with no script error.

use std::path::{Path, PathBuf};

use hearth_tests::godot;

/// `godot-ext/demo`, Hearth's demo project (this crate is `godot-ext/extension`).
fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo")
}

const LIBRARY: &str = "libhearth_godot_demo.so";

#[test]
fn the_library_exports_the_gdextension_entry_point() {
    godot::exports_entry_point(&godot::built_library(LIBRARY)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_gdextension_file_points_at_what_the_build_produces() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().expect("the workspace");
    let demo = workspace.join("godot-ext/demo");
    godot::check_gdextension(&demo.join("hearth.gdextension"), &workspace, LIBRARY)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_demo_uses_only_what_the_extension_registers() {
    let classes = godot::registered();
    for (class, want) in [
        ("HearthSession", "create"),
        ("HearthClient", "send_action"),
        ("HearthLanHost", "start"),
        ("HearthLanBrowser", "start"),
    ] {
        assert!(
            classes
                .get(class)
                .is_some_and(|c| c.methods.contains_key(want)),
            "{class}.{want} is registered: {classes:#?}"
        );
    }
    let used = godot::check_script(&demo().join("main.gd"));
    assert!(used > 20, "the check saw the demo's calls ({used})");
}

#[test]
fn the_demo_runs_headless_in_godot() {
    let Some(binary) = godot::godot("running the demo's main scene in Godot") else {
        return;
    };
    // The import pass registers the extension's classes, then the scene runs for a while.
    godot::headless(&binary, &demo(), &["--import"]).unwrap_or_else(|e| panic!("{e}"));
    let out = godot::headless(&binary, &demo(), &["--quit-after", "300"])
        .unwrap_or_else(|e| panic!("{e}"));
    println!("{out}");
}
