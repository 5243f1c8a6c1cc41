//! Any game's C library as C sees it: Hearth's vector player (`host-ffi/tests/c/
//! play_vectors.c`), compiled against `hearth.h` with warnings as errors and linked to the
//! library, replays golden vectors and checks every step's hash, a restore halfway, the
//! replay of the log and the outcome, and that every session and buffer was freed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::HarnessError;

use crate::vectors;

/// Hearth's `hearth.h` directory (`ffi/include`).
pub fn header_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ffi/include")
}

/// The C vector player's source.
pub fn vector_player() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../host-ffi/tests/c/play_vectors.c")
}

/// Compiles the vector player against the shared library `lib{library}.so` in
/// `library_dir` and plays every vector in `vectors_dir` through it. Returns the player's
/// report (`C: N vectors, M steps, 0 failures`), or why it failed.
pub fn play_vectors(
    library_dir: &Path,
    library: &str,
    vectors_dir: &Path,
) -> Result<String, HarnessError> {
    let set = vectors::read_dir(vectors_dir)?;
    if set.is_empty() {
        return Err(HarnessError::NoVectors {
            dir: vectors_dir.to_path_buf(),
            game: None,
        });
    }
    let tag = format!("{library}-{}", std::process::id());
    let flat = std::env::temp_dir().join(format!("hearth-c-vectors-{tag}.tsv"));
    std::fs::write(&flat, vectors::flatten(&set)).map_err(crate::error::io(&flat))?;
    let program = std::env::temp_dir().join(format!("hearth-c-player-{tag}"));
    let status = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(header_dir())
        .arg(vector_player())
        .arg("-o")
        .arg(&program)
        .arg(format!("-L{}", library_dir.display()))
        .arg(format!("-Wl,-rpath,{}", library_dir.display()))
        .arg(format!("-l{library}"))
        .status()
        .map_err(|source| HarnessError::Tool {
            tool: "cc".into(),
            source,
        })?;
    if !status.success() {
        return Err(HarnessError::ToolFailed {
            tool: "cc".into(),
            output: format!("the vector player does not compile against lib{library} ({status})"),
        });
    }
    let out = Command::new(&program)
        .arg(&flat)
        .arg("--vectors-only")
        .output()
        .map_err(|source| HarnessError::Tool {
            tool: program.display().to_string(),
            source,
        })?;
    let _ = std::fs::remove_file(&program);
    let _ = std::fs::remove_file(&flat);
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let want = format!("C: {} vectors", set.len());
    if out.status.success() && report.contains(&want) && report.contains(" 0 failures") {
        Ok(report.trim().to_string())
    } else {
        Err(HarnessError::ToolFailed {
            tool: "the C vector player".into(),
            output: format!("({}) {report}", out.status),
        })
    }
}

/// The directory cargo put this test's crate's libraries in (`target/<profile>/deps`,
/// beside the running test binary), checking `lib{library}.so` is there.
pub fn built_library_dir(library: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("target/<profile>/deps").to_path_buf();
    assert!(
        deps.join(format!("lib{library}.so")).exists(),
        "cargo built lib{library}.so into {}",
        deps.display()
    );
    deps
}
