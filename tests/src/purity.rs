//! Every crate that holds game rules stays pure: [`check_crate`] fails if the crate gains a
//! dependency that is not on the reviewed list below, or if its source mentions clocks, I/O,
//! threads, OS randomness, floats, unordered collections or unsafe code. (Floats in any
//! registered game's *state* are also refused at registration, by the catalog.)
//!
//! A rules crate calls it from a test of its own:
//!
//! ```no_run
//! #[test]
//! fn rules_are_pure() {
//!     hearth_tests::purity::check_crate(env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"), &[]);
//! }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every crate rules may link, on any target. Adding one means reviewing that it does
/// no I/O, reads no clock, spawns no thread and draws no OS entropy.
pub const ALLOWED: &[&str] = &[
    "hearth-rules",
    // serialisation
    "serde",
    "serde_core",
    "serde_derive",
    "serde_json",
    "itoa",
    "memchr",
    "zmij",
    "postcard",
    "cobs",
    // errors
    "thiserror",
    "thiserror-impl",
    // the seeded generator (ChaCha8) and the state hash (XXH3)
    "rand_chacha",
    "rand_core",
    "ppv-lite86",
    "zerocopy",
    "zerocopy-derive",
    "xxhash-rust",
    // schema tracing for rules fingerprints
    "serde-reflection",
    "erased-discriminant",
    "once_cell",
    "typeid",
    // proc-macro support
    "proc-macro2",
    "quote",
    "syn",
    "unicode-ident",
];

/// Source patterns the rules must not contain (outside comments).
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "f32",
        "floats differ across targets; use fixed-point integers",
    ),
    (
        "f64",
        "floats differ across targets; use fixed-point integers",
    ),
    (
        "HashMap",
        "iteration order is random; use BTreeMap or a Vec",
    ),
    (
        "HashSet",
        "iteration order is random; use BTreeSet or a Vec",
    ),
    ("RandomState", "seeded per process"),
    ("std::time", "clocks make games non-deterministic"),
    ("Instant", "clocks make games non-deterministic"),
    ("SystemTime", "clocks make games non-deterministic"),
    ("std::thread", "no threads in the rules"),
    ("std::sync::Mutex", "no threads in the rules"),
    ("std::net", "no I/O in the rules"),
    ("std::fs", "no I/O in the rules"),
    ("std::io", "no I/O in the rules"),
    ("std::env", "no environment in the rules"),
    ("std::process", "no processes in the rules"),
    ("println", "no I/O in the rules"),
    ("eprintln", "no I/O in the rules"),
    ("getrandom", "randomness only from the seeded Rng"),
    ("thread_rng", "randomness only from the seeded Rng"),
    ("OsRng", "randomness only from the seeded Rng"),
    ("unsafe", "the rules forbid unsafe code"),
    ("static mut", "no global mutable state"),
];

/// Blanks out string literals and `//` comments (naively, which is enough for this crate).
fn code_only(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (false, '/') if chars.peek() == Some(&'/') => break,
            (false, '"') | (true, '"') => {
                in_string = !in_string;
                out.push('"');
            }
            (true, '\\') => {
                chars.next();
            }
            (true, _) => out.push(' '),
            (false, c) => out.push(c),
        }
    }
    out
}

/// Finds forbidden patterns as whole words in `source`, ignoring comments and strings:
/// (line, pattern, why).
pub fn violations(source: &str) -> Vec<(usize, &'static str, &'static str)> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = code_only(line);
        let code = code.as_str();
        for &(pattern, why) in FORBIDDEN {
            let mut from = 0;
            while let Some(at) = code[from..].find(pattern) {
                let start = from + at;
                let end = start + pattern.len();
                let before = code[..start].chars().next_back();
                let after = code[end..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                if !word(before) && !word(after) {
                    found.push((n + 1, pattern, why));
                }
                from = end;
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Checks that the crate at `manifest_dir` (its `src/`, test modules after `#[cfg(test)]`
/// excepted) has no impure code, declares `#![forbid(unsafe_code)]`, and that `package`
/// links only [`ALLOWED`] crates plus `extra` (such as other pure rules crates it builds on).
///
/// # Panics
/// With every problem found, each naming the file, line and why it is refused.
pub fn check_crate(manifest_dir: &str, package: &str, extra: &[&str]) {
    check_source(Path::new(manifest_dir));
    check_dependencies(Path::new(manifest_dir), package, extra);
}

/// The files of modules declared `#[cfg(test)] mod name;` (`name.rs` and `name/` beside the
/// declaring file, or inside its directory for `lib.rs` and `mod.rs`): test code, which may
/// print and use test-only tools.
fn test_module_files(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "mod.rs" | "main.rs") => file.parent().map(Path::to_path_buf),
            _ => Some(file.with_extension("")),
        };
        let Some(dir) = dir else { continue };
        for (at, _) in text.match_indices("#[cfg(test)]") {
            let rest = text[at + "#[cfg(test)]".len()..].trim_start();
            let rest = rest.strip_prefix("pub ").unwrap_or(rest);
            if let Some(decl) = rest.strip_prefix("mod ")
                && let Some((name, _)) = decl.split_once(';')
                && !name.contains('{')
            {
                let name = name.trim();
                out.push(dir.join(format!("{name}.rs")));
                out.push(dir.join(name));
            }
        }
    }
    out
}

/// The source half of [`check_crate`].
pub fn check_source(crate_dir: &Path) {
    let mut files = Vec::new();
    rust_files(&crate_dir.join("src"), &mut files);
    assert!(
        !files.is_empty(),
        "no sources under {}",
        crate_dir.display()
    );
    let mut problems = Vec::new();
    let test_modules = test_module_files(&files);
    for file in files {
        if test_modules.iter().any(|t| file.starts_with(t)) {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        // The test module of a game may use test-only tools; the rules themselves may not.
        let rules_part = text.split("#[cfg(test)]").next().unwrap_or("");
        for (line, pattern, why) in violations(rules_part) {
            problems.push(format!("{}:{line}: `{pattern}`: {why}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "impure rules:\n{}",
        problems.join("\n")
    );
    let lib = std::fs::read_to_string(crate_dir.join("src/lib.rs")).expect("lib.rs");
    assert!(
        lib.contains("#![forbid(unsafe_code)]"),
        "{}/src/lib.rs must declare #![forbid(unsafe_code)]",
        crate_dir.display()
    );
}

/// The dependency half of [`check_crate`]: `cargo tree` of the normal dependencies on every
/// target.
pub fn check_dependencies(crate_dir: &Path, package: &str, extra: &[&str]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(crate_dir)
        .args([
            "tree", "-p", package, "-e", "normal", "--target", "all", "--prefix", "none",
            "--format", "{p}",
        ])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut unexpected: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| !ALLOWED.contains(name) && *name != package && !extra.contains(name))
        .collect();
    unexpected.sort();
    unexpected.dedup();
    assert!(
        unexpected.is_empty(),
        "{package} now depends on {unexpected:?}; check they do no I/O, clocks, threads or OS randomness, then allow them"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scanner_catches_what_it_should_and_skips_comments() {
        let sample = "let speed: f32 = 1.0; // f64 in a comment is fine\nlet m = HashMap::new();\nlet f32x = 1; let s = \"f64 in a string\";\nInstant::now()";
        let found: Vec<_> = violations(sample)
            .into_iter()
            .map(|(line, p, _)| (line, p))
            .collect();
        assert_eq!(found, vec![(1, "f32"), (2, "HashMap"), (4, "Instant")]);
    }

    #[test]
    fn banned_crates_are_never_allowed() {
        for banned in [
            "tokio",
            "mio",
            "socket2",
            "getrandom",
            "rand",
            "libc",
            "chrono",
            "time",
            "rayon",
        ] {
            assert!(!ALLOWED.contains(&banned), "{banned} must never be allowed");
        }
    }
}
