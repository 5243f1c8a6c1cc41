//! `hearth new` refuses bad input with a clear error and writes nothing; with good input it
//! writes a complete project (that project builds and passes its tests in the test command,
//! which runs `cargo test` inside it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hearth-new-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn hearth_new(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .arg("new")
        .args(args)
        .output()
        .expect("hearth runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_invalid_name_is_refused_and_nothing_is_written() {
    let dir = scratch("bad-name");
    for name in ["Dice_Race", "2dice", "fn", "hearth-x", "dice race"] {
        let (ok, out) = hearth_new(&[name, "--dir", dir.to_str().expect("utf-8")]);
        assert!(!ok, "{name} accepted");
        assert!(out.contains("cannot name a game's crates"), "{out}");
        assert!(!dir.exists(), "{name}: something was written");
    }
}

#[test]
fn a_non_empty_directory_is_refused_and_left_as_it_was() {
    let dir = scratch("non-empty");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("file");
    let (ok, out) = hearth_new(&["dice-race", "--dir", dir.to_str().expect("utf-8")]);
    assert!(!ok);
    assert!(
        out.contains("is not empty") && out.contains("nothing was written"),
        "{out}"
    );
    assert_eq!(files_under(&dir), vec![dir.join("notes.txt")]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_checkout_that_is_not_hearth_is_refused() {
    let dir = scratch("not-hearth");
    let elsewhere = scratch("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    let (ok, out) = hearth_new(&[
        "dice-race",
        "--dir",
        dir.to_str().expect("utf-8"),
        "--hearth",
        elsewhere.to_str().expect("utf-8"),
    ]);
    assert!(!ok);
    assert!(out.contains("is not a Hearth checkout"), "{out}");
    assert!(!dir.exists());
    let _ = std::fs::remove_dir_all(&elsewhere);
}

#[test]
fn a_project_has_every_product_and_names_the_checkout() {
    let dir = scratch("good");
    let (ok, out) = hearth_new(&["dice-race", "--dir", dir.to_str().expect("utf-8")]);
    assert!(ok, "{out}");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "rules/src/lib.rs",
        "rules/src/tests.rs",
        "rules/tests/purity.rs",
        "server/src/main.rs",
        "web/src/lib.rs",
        "web/build.rs",
        "web/www/index.html",
        "web/www/app.js",
        "web/www/generic.js",
        "godot/src/lib.rs",
        "godot/project/dice-race.gdextension",
        "godot/project/main.gd",
        "c/src/lib.rs",
        "c/include/hearth.h",
        "scripts/build-web.sh",
    ] {
        assert!(dir.join(file).is_file(), "{file} is written");
    }
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the checkout")
        .canonicalize()
        .expect("canonical");
    assert!(
        manifest.contains(&format!("path = \"{}/rules\"", checkout.display())),
        "{manifest}"
    );
    let rules = std::fs::read_to_string(dir.join("rules/src/lib.rs")).expect("rules");
    assert!(rules.contains("pub struct DiceRace {") && rules.contains("name: \"dice-race\""));
    let glue = std::fs::read_to_string(dir.join("server/src/main.rs")).expect("main");
    assert!(
        glue.contains("hearth_cli::run(dice_race_rules::games)"),
        "{glue}"
    );
    assert!(!manifest.contains("__"), "every placeholder is filled");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `examples/liars-dice` stays what `hearth new` writes (Hearth's page, header and templates
/// as of now), except the files a game's author changes: its rules, their manifest, the
/// README, the server's test dependencies, and the lock cargo keeps. So its copies cannot
/// drift from Hearth's.
#[test]
fn the_liars_dice_example_is_what_hearth_new_writes() {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the checkout")
        .to_path_buf();
    let example = checkout.join("examples/liars-dice");
    let files = hearth_cli::scaffold::render(&hearth_cli::scaffold::NewProject {
        name: "liars-dice".into(),
        dir: example.clone(),
        hearth: checkout,
    })
    .expect("renders");
    let authored = [
        "README.md",
        "Cargo.lock",
        "rules/Cargo.toml",
        "rules/src/lib.rs",
        "rules/src/tests.rs",
        "server/Cargo.toml",
    ];
    let mut compared = 0;
    for (path, bytes) in files {
        if authored.iter().any(|a| Path::new(a) == path) {
            continue;
        }
        let want = String::from_utf8_lossy(&bytes).into_owned();
        let want = if path.extension().is_some_and(|e| e == "rs") {
            hearth_cli::scaffold::rustfmt(&want)
        } else {
            want
        };
        let have = std::fs::read_to_string(example.join(&path))
            .unwrap_or_else(|e| panic!("examples/liars-dice/{}: {e}", path.display()));
        assert!(
            have == want,
            "examples/liars-dice/{} is not what `hearth new` writes now; regenerate it (hearth new liars-dice into an empty directory) and copy it over",
            path.display()
        );
        compared += 1;
    }
    assert!(compared > 20, "{compared} files compared");
}
