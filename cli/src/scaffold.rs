//! `hearth new NAME`: a workspace for a new game that builds and passes its tests as created.
//!
//! The project holds a rules crate with a small starter game (Pig, a dice race) and its
//! checks (`check_game`, the cross-mode test, purity, golden vectors), and one crate per
//! product, each the one line that hands the rules to Hearth: a server binary
//! (`hearth_cli::run`), a Wasm module (`hearth_wasm::export!`) with Hearth's browser page, a
//! Godot extension (`hearth_godot::extension!`) with a project, and a C library
//! (`hearth_ffi::export_c_api!`) with `hearth.h`. Hearth's crates are not published, so the
//! project depends on a Hearth checkout by path.
//!
//! Everything is checked and rendered in memory first: a bad name, a non-empty directory or
//! a checkout that is not Hearth's is refused with nothing written.

use std::path::{Component, Path, PathBuf};

/// What `hearth new` was asked for.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// The game's name: the project directory's default name, the game's catalog name, the
    /// prefix of every crate (`NAME-rules`, …) and the command's name.
    pub name: String,
    /// Where to create it (default `./NAME`). Must not exist or be empty.
    pub dir: PathBuf,
    /// The Hearth checkout the project's crates depend on.
    pub hearth: PathBuf,
}

/// Why `hearth new` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name cannot name the crates.
    #[error(
        "`{name}` cannot name a game's crates: {why}; use lowercase letters, digits and dashes, starting with a letter (e.g. `dice-race`); nothing was written"
    )]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The directory has files in it.
    #[error("{} is not empty; choose a new directory (nothing was written)", dir.display())]
    NotEmpty {
        /// The directory.
        dir: PathBuf,
    },
    /// `--hearth` does not point at a Hearth checkout.
    #[error(
        "{} is not a Hearth checkout (it lacks {missing}); pass --hearth PATH to one (nothing was written)",
        path.display()
    )]
    NotHearth {
        /// The path given or defaulted.
        path: PathBuf,
        /// The file that was looked for.
        missing: &'static str,
    },
    /// Reading the checkout or writing the project failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The Hearth checkout this build of `hearth-cli` came from: the default for `--hearth`.
pub fn default_hearth() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Templates: path in the project (with `__name__` placeholders) and text.
const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../templates/new/Cargo.toml")),
    ("README.md", include_str!("../templates/new/README.md")),
    (".gitignore", include_str!("../templates/new/gitignore")),
    (
        "rules/Cargo.toml",
        include_str!("../templates/new/rules/Cargo.toml"),
    ),
    (
        "rules/src/lib.rs",
        include_str!("../templates/new/rules/src/lib.rs"),
    ),
    (
        "rules/src/tests.rs",
        include_str!("../templates/new/rules/src/tests.rs"),
    ),
    (
        "rules/tests/purity.rs",
        include_str!("../templates/new/rules/tests/purity.rs"),
    ),
    (
        "rules/benches/rules.rs",
        include_str!("../templates/new/rules/benches/rules.rs"),
    ),
    (
        "server/Cargo.toml",
        include_str!("../templates/new/server/Cargo.toml"),
    ),
    (
        "server/src/main.rs",
        include_str!("../templates/new/server/src/main.rs"),
    ),
    (
        "godot/Cargo.toml",
        include_str!("../templates/new/godot/Cargo.toml"),
    ),
    (
        "godot/src/lib.rs",
        include_str!("../templates/new/godot/src/lib.rs"),
    ),
    (
        "godot/tests/extension.rs",
        include_str!("../templates/new/godot/tests/extension.rs"),
    ),
    (
        "godot/project/project.godot",
        include_str!("../templates/new/godot/project/project.godot"),
    ),
    (
        "godot/project/__name__.gdextension",
        include_str!("../templates/new/godot/project/__name__.gdextension"),
    ),
    (
        "godot/project/main.tscn",
        include_str!("../templates/new/godot/project/main.tscn"),
    ),
    (
        "godot/project/main.gd",
        include_str!("../templates/new/godot/project/main.gd"),
    ),
    (
        "godot/project/tests/vectors.gd",
        include_str!("../templates/new/godot/project/tests/vectors.gd"),
    ),
    (
        "godot/project/tests/online.gd",
        include_str!("../templates/new/godot/project/tests/online.gd"),
    ),
    (
        "web/Cargo.toml",
        include_str!("../templates/new/web/Cargo.toml"),
    ),
    (
        "web/build.rs",
        include_str!("../templates/new/web/build.rs"),
    ),
    (
        "web/src/lib.rs",
        include_str!("../templates/new/web/src/lib.rs"),
    ),
    (
        "c/Cargo.toml",
        include_str!("../templates/new/c/Cargo.toml"),
    ),
    (
        "c/src/lib.rs",
        include_str!("../templates/new/c/src/lib.rs"),
    ),
    (
        "c/tests/c.rs",
        include_str!("../templates/new/c/tests/c.rs"),
    ),
    (
        "scripts/build-web.sh",
        include_str!("../templates/new/scripts/build-web.sh"),
    ),
];

/// Files copied from the Hearth checkout: its path there, its path in the project.
const COPIED: &[(&str, &str)] = &[
    // The same dependency versions Hearth is built and tested with (and a shared target/
    // reuses its builds).
    ("Cargo.lock", "Cargo.lock"),
    ("ffi/include/hearth.h", "c/include/hearth.h"),
    // Hearth's browser client: the example games' boards and the generic player for others.
    ("web/index.html", "web/www/index.html"),
    ("web/style.css", "web/www/style.css"),
    ("web/app.js", "web/www/app.js"),
    ("web/generic.js", "web/www/generic.js"),
    ("web/connect_four.js", "web/www/connect_four.js"),
    ("web/chameleon.js", "web/www/chameleon.js"),
    ("web/tanks.js", "web/www/tanks.js"),
];

/// Checks a game name: lowercase letters, digits and single dashes, starting with a letter,
/// and not a name that would clash with Rust or Hearth.
pub fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let bad = |why| {
        Err(ScaffoldError::InvalidName {
            name: name.to_string(),
            why,
        })
    };
    if name.is_empty() || name.len() > 40 {
        return bad("it must be 1 to 40 characters long");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return bad("it must start with a lowercase letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return bad("it may hold only lowercase letters, digits and dashes");
    }
    if name.ends_with('-') || name.contains("--") {
        return bad("dashes must separate words");
    }
    const RESERVED: &[&str] = &[
        "as",
        "break",
        "const",
        "continue",
        "crate",
        "else",
        "enum",
        "extern",
        "false",
        "fn",
        "for",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "match",
        "mod",
        "move",
        "mut",
        "pub",
        "ref",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "type",
        "unsafe",
        "use",
        "where",
        "while",
        "async",
        "await",
        "dyn",
        "abstract",
        "become",
        "box",
        "do",
        "final",
        "macro",
        "override",
        "priv",
        "typeof",
        "unsized",
        "virtual",
        "yield",
        "try",
        "gen",
        "test",
        "core",
        "std",
        "alloc",
        "proc-macro",
        "godot",
    ];
    if RESERVED.contains(&name) {
        return bad("it is a Rust keyword or the name of a standard crate");
    }
    if name == "hearth" || name.starts_with("hearth-") {
        return bad("names starting with `hearth` are Hearth's own crates");
    }
    Ok(())
}

/// `dice-race` → `DiceRace` (the game's type name); a leading digit cannot occur.
fn pascal(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// How the project's manifest names the checkout: relative when the project lies inside it
/// (Hearth's own examples stay valid wherever the repository is cloned), absolute otherwise.
fn hearth_path(project: &Path, hearth: &Path) -> String {
    if let Ok(inside) = project.strip_prefix(hearth) {
        let up = inside
            .components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .count();
        return vec![".."; up].join("/");
    }
    hearth.display().to_string()
}

/// An absolute, `..`-free form of `path` (which need not exist yet).
fn absolute(path: &Path) -> Result<PathBuf, ScaffoldError> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|source| ScaffoldError::Io {
                path: PathBuf::from("."),
                source,
            })?
            .join(path)
    };
    // Resolve the longest existing prefix (symlinks included), then append the rest.
    let mut existing = joined.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.into_iter().rev() {
        if part == ".." {
            out.pop();
        } else if part != "." {
            out.push(part);
        }
    }
    Ok(out)
}

/// The files of the project, rendered: path → contents.
pub fn render(project: &NewProject) -> Result<Vec<(PathBuf, Vec<u8>)>, ScaffoldError> {
    check_name(&project.name)?;
    let hearth = absolute(&project.hearth)?;
    for (marker, _) in [
        ("rules/Cargo.toml", ()),
        ("cli/templates/new/Cargo.toml", ()),
    ] {
        if !hearth.join(marker).is_file() {
            return Err(ScaffoldError::NotHearth {
                path: project.hearth.clone(),
                missing: marker,
            });
        }
    }
    let dir = absolute(&project.dir)?;
    let name = project.name.as_str();
    let krate = name.replace('-', "_");
    let ty = pascal(name);
    let hearth_in_manifest = hearth_path(&dir, &hearth);
    let fill = |text: &str| {
        text.replace("__hearth__", &hearth_in_manifest)
            .replace("__name__", name)
            .replace("__crate__", &krate)
            .replace("__Type__", &ty)
    };
    let mut files = Vec::new();
    for (path, text) in TEMPLATES {
        files.push((PathBuf::from(fill(path)), fill(text).into_bytes()));
    }
    for (from, to) in COPIED {
        let source = hearth.join(from);
        let bytes = std::fs::read(&source).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ScaffoldError::NotHearth {
                    path: project.hearth.clone(),
                    missing: from,
                }
            } else {
                ScaffoldError::Io {
                    path: source.clone(),
                    source: e,
                }
            }
        })?;
        files.push((PathBuf::from(to), bytes));
    }
    Ok(files)
}

/// Creates the project; returns the files written (relative to `project.dir`).
pub fn create(project: &NewProject) -> Result<Vec<PathBuf>, ScaffoldError> {
    let files = render(project)?;
    let dir = &project.dir;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ScaffoldError::Io { path, source }
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(ScaffoldError::NotEmpty { dir: dir.clone() });
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(dir)(e)),
    }
    let created_dir = !dir.exists();
    let write_all = || -> Result<Vec<PathBuf>, ScaffoldError> {
        let mut written = Vec::new();
        for (rel, bytes) in &files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&path, bytes).map_err(io(&path))?;
            #[cfg(unix)]
            if rel.extension().is_some_and(|e| e == "sh") {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .map_err(io(&path))?;
            }
            written.push(rel.clone());
        }
        Ok(written)
    };
    match write_all() {
        Ok(written) => {
            format_rust(dir, &written);
            Ok(written)
        }
        Err(e) => {
            // Half a project is worse than none: take back what was written.
            if created_dir {
                let _ = std::fs::remove_dir_all(dir);
            } else {
                for (rel, _) in &files {
                    let _ = std::fs::remove_file(dir.join(rel));
                }
            }
            Err(e)
        }
    }
}

/// Formats the project's Rust files as `cargo fmt` would (the placeholders change line
/// lengths, so what rustfmt wants depends on the name). Best effort: without rustfmt the files
/// are still valid, only perhaps not formatted.
fn format_rust(dir: &Path, written: &[PathBuf]) {
    let files: Vec<PathBuf> = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| dir.join(p))
        .collect();
    let _ = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(&files)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// `text` as rustfmt formats it (edition 2024), or unchanged without rustfmt.
pub fn rustfmt(text: &str) -> String {
    use std::io::Write;
    let child = std::process::Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return text.to_string();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    match child.wait_with_output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["pig", "dice-race", "game2", "a"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Pig",
            "2pig",
            "dice_race",
            "dice race",
            "dice-",
            "a--b",
            "fn",
            "test",
            "hearth",
            "hearth-x",
            "über",
        ] {
            let e = check_name(bad).expect_err(bad);
            assert!(e.to_string().contains("lowercase letters"), "{e}");
        }
        assert_eq!(pascal("dice-race-2"), "DiceRace2");
    }

    #[test]
    fn the_checkout_is_named_relatively_only_from_inside() {
        let hearth = Path::new("/src/hearth");
        assert_eq!(
            hearth_path(Path::new("/src/hearth/examples/liars-dice"), hearth),
            "../.."
        );
        assert_eq!(hearth_path(Path::new("/tmp/pig"), hearth), "/src/hearth");
    }
}
