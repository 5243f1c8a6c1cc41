//! docs/writing-a-game.md stays true: every Rust snippet is a verbatim excerpt of the file
//! `hearth new` writes that it names (```rust file=PATH; the test command builds and tests
//! such a project, so the snippets compile), every GDScript snippet uses only what the Godot
//! extension registers, every C snippet compiles against `hearth.h` with warnings as errors,
//! and every JavaScript snippet parses.

use std::path::{Path, PathBuf};
use std::process::Command;

use hearth_cli::scaffold::{NewProject, render, rustfmt};

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the checkout")
        .to_path_buf()
}

/// (info string, text) of every fenced block.
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some((_, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hearth-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn the_guide_is_true_to_what_hearth_new_writes() {
    let guide = std::fs::read_to_string(checkout().join("docs/writing-a-game.md")).expect("guide");
    let files = render(&NewProject {
        name: "my-game".into(),
        dir: std::env::temp_dir().join("hearth-docs-my-game"),
        hearth: checkout(),
    })
    .expect("the scaffold renders");
    let file = |path: &str| -> String {
        let (_, bytes) = files
            .iter()
            .find(|(p, _)| p == Path::new(path))
            .unwrap_or_else(|| panic!("hearth new writes no {path}"));
        let text = String::from_utf8_lossy(bytes).into_owned();
        // As written: `hearth new` formats its Rust files for the project's names.
        if path.ends_with(".rs") {
            rustfmt(&text)
        } else {
            text
        }
    };
    let mut checked = [0usize; 4];
    for (n, (info, text)) in blocks(&guide).into_iter().enumerate() {
        let mut words = info.split_whitespace();
        match words.next() {
            Some("rust") => {
                let path = words
                    .find_map(|w| w.strip_prefix("file="))
                    .unwrap_or_else(|| panic!("Rust block {n} names no file=: {text}"));
                assert!(
                    file(path).contains(&text),
                    "Rust block {n} is not in {path} as hearth new writes it:\n{text}"
                );
                checked[0] += 1;
            }
            Some("gdscript") => {
                let script = scratch(&format!("block{n}.gd"));
                std::fs::write(&script, &text).expect("write");
                assert!(hearth_tests::godot::check_script(&script) > 0, "block {n}");
                checked[1] += 1;
            }
            Some("c") => {
                let source = scratch(&format!("block{n}.c"));
                std::fs::write(&source, &text).expect("write");
                let status = Command::new("cc")
                    .args([
                        "-std=c11",
                        "-Wall",
                        "-Wextra",
                        "-Werror",
                        "-fsyntax-only",
                        "-I",
                    ])
                    .arg(hearth_tests::c::header_dir())
                    .arg(&source)
                    .status()
                    .expect("cc runs");
                assert!(status.success(), "C block {n} compiles against hearth.h");
                checked[2] += 1;
            }
            Some("js") => {
                let source = scratch(&format!("block{n}.mjs"));
                std::fs::write(&source, &text).expect("write");
                let status = Command::new("node")
                    .arg("--check")
                    .arg(&source)
                    .status()
                    .expect("node runs");
                assert!(status.success(), "JavaScript block {n} parses");
                checked[3] += 1;
            }
            _ => {}
        }
    }
    assert!(
        checked.iter().all(|&c| c > 0) && checked[0] >= 10,
        "the guide's snippets were all seen: {checked:?}"
    );
}
