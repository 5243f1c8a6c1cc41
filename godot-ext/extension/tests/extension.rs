//! What Godot would check when it loads the extension, checked without Godot: the library
//! exports `gdext_rust_init`, `hearth.gdextension` is well formed and points where the build
//! puts the library, and every class, method and signal the demo's GDScript uses is one the
//! extension registers (read from the `#[godot_api]` source, the same place gdext reads).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `godot-ext/`: the classes' source and the demo project (this crate is `godot-ext/extension`).
fn manifest_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("godot-ext/")
        .to_path_buf()
}

/// The cdylib cargo built for this test run (`target/<profile>/deps/libhearth_godot_demo.so`).
fn built_library() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let lib = exe
        .parent()
        .expect("target/<profile>/deps")
        .join("libhearth_godot_demo.so");
    assert!(lib.exists(), "cargo built {}", lib.display());
    lib
}

#[test]
fn the_library_exports_the_gdextension_entry_point() {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(built_library())
        .output()
        .expect("nm runs (binutils)");
    let symbols = String::from_utf8_lossy(&out.stdout);
    assert!(
        symbols.lines().any(|l| l.ends_with(" gdext_rust_init")),
        "libhearth_godot_demo.so exports gdext_rust_init"
    );
}

/// `[section]` → key → value (quotes removed), as Godot's ConfigFile reads this file.
fn parse_config(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_string();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("line {}: `key = value` expected: {line}", n + 1));
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        sections
            .entry(current.clone())
            .or_default()
            .insert(key.trim().to_string(), value.to_string());
    }
    sections
}

#[test]
fn the_gdextension_file_points_at_what_the_build_produces() {
    let demo = manifest_dir().join("demo");
    let config = parse_config(
        &std::fs::read_to_string(demo.join("hearth.gdextension")).expect("hearth.gdextension"),
    );
    let conf = &config["configuration"];
    assert_eq!(conf["entry_symbol"], "gdext_rust_init");
    assert_eq!(conf["compatibility_minimum"], "4.3");
    let libraries = &config["libraries"];
    for key in [
        "linux.debug.x86_64",
        "linux.release.x86_64",
        "windows.debug.x86_64",
        "windows.release.x86_64",
        "macos.debug",
        "macos.release",
    ] {
        assert!(libraries.contains_key(key), "a library for {key}");
    }
    let godot_ext = manifest_dir();
    let workspace = godot_ext.parent().expect("the workspace");
    let resolve = |res: &str| -> PathBuf {
        let rel = res.strip_prefix("res://").expect("res:// paths");
        let mut p = demo.clone();
        for part in rel.split('/') {
            match part {
                ".." => {
                    p.pop();
                }
                other => p.push(other),
            }
        }
        p
    };
    let file = built_library().file_name().expect("a file name").to_owned();
    for profile in ["debug", "release"] {
        let path = resolve(&libraries[&format!("linux.{profile}.x86_64")]);
        assert_eq!(
            path,
            workspace.join("target").join(profile).join(&file),
            "linux {profile} points where `cargo build{}` puts the library",
            if profile == "release" {
                " --release"
            } else {
                ""
            }
        );
    }
}

/// Per class: the methods (with their parameter counts) and signals in `#[godot_api]` blocks.
#[derive(Debug, Default)]
struct Registered {
    methods: BTreeMap<String, usize>,
    signals: BTreeSet<String>,
}

fn registered() -> BTreeMap<String, Registered> {
    let src = std::fs::read_to_string(manifest_dir().join("src/godot_api.rs")).expect("source");
    let mut classes: BTreeMap<String, Registered> = BTreeMap::new();
    let lines: Vec<&str> = src.lines().map(str::trim).collect();
    let mut current: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("#[derive(GodotClass)]") {
            let name = lines[i..]
                .iter()
                .find_map(|l| l.strip_prefix("pub struct "))
                .and_then(|l| l.split_whitespace().next())
                .expect("a struct after #[derive(GodotClass)]");
            classes.entry(name.to_string()).or_default();
        }
        if let Some(rest) = line.strip_prefix("impl ") {
            // Inherent `#[godot_api]` blocks register; `impl IFoo for X` are engine callbacks.
            let is_api = i > 0 && lines[i - 1] == "#[godot_api]";
            current = (is_api && !rest.contains(" for "))
                .then(|| rest.trim_end_matches(" {").trim().to_string());
        }
        let Some(class) = &current else { continue };
        let attr = match *line {
            "#[func]" => "func",
            "#[signal]" => "signal",
            _ => continue,
        };
        let at = i
            + 1
            + lines[i + 1..]
                .iter()
                .position(|l| l.starts_with("fn ") || l.starts_with("pub fn "))
                .expect("a fn after the attribute");
        // The signature, however rustfmt wrapped it.
        let sig = lines[at..].join(" ");
        let sig = sig.trim_start_matches("pub ").trim_start_matches("fn ");
        let name = sig.split('(').next().expect("a name").to_string();
        let params = sig
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(params, _)| {
                params
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty() && !p.contains("self"))
                    .count()
            })
            .unwrap_or(0);
        let entry = classes.entry(class.clone()).or_default();
        if attr == "func" {
            entry.methods.insert(name, params);
        } else {
            entry.signals.insert(name);
        }
    }
    classes
}

/// The top-level arguments of a call whose `(` is at the start of `rest`.
fn argument_count(rest: &str) -> usize {
    let mut depth = 0;
    let mut count = 0;
    let mut any = false;
    let mut quoted = false;
    for c in rest.chars() {
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return if any { count + 1 } else { 0 };
                }
            }
            ',' if depth == 1 => count += 1,
            c if depth >= 1 && !c.is_whitespace() => any = true,
            _ => {}
        }
    }
    panic!("unbalanced call: {rest}");
}

#[test]
fn the_demo_uses_only_what_the_extension_registers() {
    let classes = registered();
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
    let script = std::fs::read_to_string(manifest_dir().join("demo/main.gd")).expect("main.gd");
    // Variables typed with an extension class: `var client: HearthClient`.
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for line in script.lines() {
        let Some(rest) = line.trim().strip_prefix("var ") else {
            continue;
        };
        if let Some((name, ty)) = rest.split_once(':') {
            let ty = ty.split(['=', ' ']).find(|t| !t.is_empty()).unwrap_or("");
            if ty.starts_with("Hearth") {
                assert!(
                    classes.contains_key(ty),
                    "main.gd uses class {ty}, which is not registered"
                );
                vars.insert(name.trim().to_string(), ty.to_string());
            }
        }
    }
    assert_eq!(vars.len(), 4, "the demo uses all four classes: {vars:?}");
    let mut used = 0;
    for (var, class) in &vars {
        let api = &classes[class];
        let needle = format!("{var}.");
        let mut at = 0;
        while let Some(found) = script[at..].find(&needle) {
            let start = at + found;
            at = start + needle.len();
            let before = script[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let rest = &script[at..];
            let member: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let after = &rest[member.len()..];
            used += 1;
            if api.signals.contains(&member) {
                assert!(
                    after.starts_with(".connect("),
                    "main.gd uses signal {class}.{member} other than by connect()"
                );
                continue;
            }
            let params = api.methods.get(&member).unwrap_or_else(|| {
                panic!("main.gd calls {class}.{member}, which the extension does not register")
            });
            assert!(after.starts_with('('), "{class}.{member} is called");
            assert_eq!(
                argument_count(after),
                *params,
                "main.gd calls {class}.{member} with the wrong number of arguments"
            );
        }
    }
    assert!(used > 20, "the check saw the demo's calls ({used})");
    // And `HearthX.new()` only for registered classes.
    for (i, _) in script.match_indices(".new()") {
        let class: String = script[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if class.starts_with("Hearth") {
            assert!(
                classes.contains_key(&class),
                "main.gd makes {class}, which is not registered"
            );
        }
    }
}
