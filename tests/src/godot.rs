//! What Godot would check when it loads a Hearth extension, checked without Godot, for
//! Hearth's extension and a developer's alike: the library exports `gdext_rust_init`, the
//! `.gdextension` file is well formed and points where the build puts the library, and every
//! class, method and signal a GDScript uses is one `hearth-godot` registers (read from its
//! `#[godot_api]` source, the same place gdext reads). With a Godot 4 binary named by
//! `HEARTH_GODOT`, [`headless`] runs a project for real; without one it says it skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::HarnessError;

/// Whether `library` (a `.so`) exports the GDExtension entry point.
pub fn exports_entry_point(library: &Path) -> Result<(), HarnessError> {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(library)
        .output()
        .map_err(|source| HarnessError::Tool {
            tool: "nm (binutils)".into(),
            source,
        })?;
    let symbols = String::from_utf8_lossy(&out.stdout);
    if symbols.lines().any(|l| l.ends_with(" gdext_rust_init")) {
        Ok(())
    } else {
        Err(HarnessError::Differs {
            subject: library.display().to_string(),
            what: "does not export gdext_rust_init; declare the extension with `hearth_godot::extension!`".into(),
        })
    }
}

/// The cdylib named `file` (`libmy_game_godot.so`) that cargo built beside the running test
/// binary (`target/<profile>/deps`).
pub fn built_library(file: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let lib = exe.parent().expect("target/<profile>/deps").join(file);
    assert!(lib.exists(), "cargo built {}", lib.display());
    lib
}

/// `[section]` → key → value (quotes removed), as Godot's ConfigFile reads this file.
pub fn parse_config(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
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

/// Checks a `.gdextension` file: the entry symbol, Godot 4.3 or later, a library for every
/// desktop platform, and Linux paths that resolve to `workspace/target/{debug,release}/file`
/// (where `cargo build` puts the library by default).
pub fn check_gdextension(
    gdextension: &Path,
    workspace: &Path,
    file: &str,
) -> Result<(), HarnessError> {
    let text = std::fs::read_to_string(gdextension).map_err(crate::error::io(gdextension))?;
    let bad = |reason: String| HarnessError::Malformed {
        path: gdextension.to_path_buf(),
        reason,
    };
    let config = parse_config(&text);
    let empty = BTreeMap::new();
    let conf = config.get("configuration").unwrap_or(&empty);
    let get = |map: &BTreeMap<String, String>, k: &str| map.get(k).cloned().unwrap_or_default();
    if get(conf, "entry_symbol") != "gdext_rust_init" {
        return Err(bad("entry_symbol must be gdext_rust_init".into()));
    }
    if get(conf, "compatibility_minimum") != "4.3" {
        return Err(bad(
            "compatibility_minimum must be 4.3 (the API the extension is built for)".into(),
        ));
    }
    let libraries = config.get("libraries").unwrap_or(&empty);
    for key in [
        "linux.debug.x86_64",
        "linux.release.x86_64",
        "windows.debug.x86_64",
        "windows.release.x86_64",
        "macos.debug",
        "macos.release",
    ] {
        if !libraries.contains_key(key) {
            return Err(bad(format!("no library for {key}")));
        }
    }
    let project = gdextension.parent().unwrap_or(Path::new("."));
    let resolve = |res: &str| -> Option<PathBuf> {
        let rel = res.strip_prefix("res://")?;
        let mut p = project.to_path_buf();
        for part in rel.split('/') {
            match part {
                ".." => {
                    p.pop();
                }
                other => p.push(other),
            }
        }
        Some(p)
    };
    for profile in ["debug", "release"] {
        let want = workspace.join("target").join(profile).join(file);
        let got = resolve(&get(libraries, &format!("linux.{profile}.x86_64")));
        if got.as_deref() != Some(want.as_path()) {
            return Err(bad(format!(
                "linux.{profile}.x86_64 is {got:?}, not {} (where `cargo build` puts it)",
                want.display()
            )));
        }
    }
    Ok(())
}

/// Per class: the methods (with their parameter counts) and signals in `#[godot_api]` blocks.
#[derive(Debug, Default)]
pub struct Registered {
    /// Method name → parameter count.
    pub methods: BTreeMap<String, usize>,
    /// Signal names.
    pub signals: BTreeSet<String>,
}

/// Every class `hearth-godot` registers, read from its `#[godot_api]` source (where gdext
/// reads it too).
pub fn registered() -> BTreeMap<String, Registered> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../godot-ext/src/godot_api.rs");
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut classes: BTreeMap<String, Registered> = BTreeMap::new();
    let lines: Vec<&str> = src.lines().map(str::trim).collect();
    let mut current: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("#[derive(GodotClass)]") {
            let name = lines[i..]
                .iter()
                .find_map(|l| {
                    ["pub struct ", "pub(crate) struct ", "struct "]
                        .iter()
                        .find_map(|p| l.strip_prefix(p))
                })
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
                .position(|l| {
                    l.starts_with("fn ")
                        || l.starts_with("pub fn ")
                        || l.starts_with("pub(crate) fn ")
                })
                .expect("a fn after the attribute");
        // The signature, however rustfmt wrapped it.
        let sig = lines[at..].join(" ");
        let sig = sig
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ")
            .trim_start_matches("fn ");
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
            '"' => {
                quoted = !quoted;
                any |= depth >= 1;
            }
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

/// Checks that `script` (GDScript) makes and calls only what `hearth-godot` registers: every
/// `var x: HearthFoo` names a registered class, every `x.method(…)` on such a variable is a
/// registered method with that many arguments, signals are only `connect`ed. Returns how many
/// uses it checked.
pub fn check_script(script: &Path) -> usize {
    let name = script.display().to_string();
    let script = std::fs::read_to_string(script).unwrap_or_else(|e| panic!("{name}: {e}"));
    let classes = registered();
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
                    "{name} uses class {ty}, which is not registered"
                );
                vars.insert(name.trim().to_string(), ty.to_string());
            }
        }
    }
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
                    "{name} uses signal {class}.{member} other than by connect()"
                );
                continue;
            }
            let params = api.methods.get(&member).unwrap_or_else(|| {
                panic!("{name} calls {class}.{member}, which the extension does not register")
            });
            assert!(after.starts_with('('), "{class}.{member} is called");
            assert_eq!(
                argument_count(after),
                *params,
                "{name} calls {class}.{member} with the wrong number of arguments"
            );
        }
    }
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
                "{name} makes {class}, which is not registered"
            );
        }
    }
    used
}

/// The Godot 4 binary `HEARTH_GODOT` names, or `None` after printing that `what` was skipped
/// (no Godot can be installed on Hearth's CI machines).
pub fn godot(what: &str) -> Option<PathBuf> {
    match std::env::var_os("HEARTH_GODOT") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            // Straight to stderr, past the test harness's capture: a skip must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {what} (set HEARTH_GODOT to a Godot 4.3+ binary to run it)"
            );
            None
        }
    }
}

/// Runs `godot --headless --path project args…` (with a time limit from the caller's args,
/// e.g. `--quit-after`), failing on a non-zero exit or a `SCRIPT ERROR` in its output;
/// returns the output.
pub fn headless(godot: &Path, project: &Path, args: &[&str]) -> Result<String, HarnessError> {
    let out = Command::new(godot)
        .arg("--headless")
        .arg("--path")
        .arg(project)
        .args(args)
        .output()
        .map_err(|source| HarnessError::Tool {
            tool: godot.display().to_string(),
            source,
        })?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || text.contains("SCRIPT ERROR") || text.contains("ERROR: ") {
        return Err(HarnessError::ToolFailed {
            tool: "godot".into(),
            output: format!("({}) {text}", out.status),
        });
    }
    Ok(text)
}

/// With a Godot binary: starts an official server (in memory, on loopback) offering
/// `games`, and has Godot run `res://tests/online.gd` from `project` against it, which plays a
/// whole match against a bot through `HearthClient`. Returns Godot's output.
pub fn play_online(
    binary: &Path,
    project: &Path,
    games: hearth_rules::Games,
    game: &str,
) -> Result<String, HarnessError> {
    use std::sync::Arc;
    let catalog =
        hearth_rules::Catalog::of(games).map_err(crate::error::rules("the games' catalog"))?;
    let server = |e: &dyn std::fmt::Display| HarnessError::Server(e.to_string());
    let rt = tokio::runtime::Runtime::new().map_err(|e| server(&e))?;
    let store = hearth_server::official::sqlite::SqliteStore::memory().map_err(|e| server(&e))?;
    let host = rt
        .block_on(hearth_server::official::start(
            hearth_server::HostConfig::on(
                std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                Arc::new(catalog),
            ),
            Arc::new(store),
        ))
        .map_err(|e| server(&e))?;
    let url = host.http_url();
    headless(
        binary,
        project,
        &["--script", "res://tests/online.gd", "--", &url, game],
    )
}
