//! libhearth as its users see it: a C program (linked statically and dynamically, and run
//! under valgrind) and a LuaJIT script (through `ffi.cdef` of the committed header) play every
//! golden vector, checking every step's hash, and try bad input.
//!
//! Needs `cc`, `c++`, `valgrind` and `luajit` (the test command installs what is missing).

use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where cargo put `libhearth.so` and `libhearth.a` for this test: beside the test binary
/// (`target/<profile>/deps`), the library's crate types being built along with its tests.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("target/<profile>/deps").to_path_buf();
    assert!(
        deps.join("libhearth.so").exists() && deps.join("libhearth.a").exists(),
        "cargo built libhearth.so and libhearth.a into {}",
        deps.display()
    );
    deps
}

/// Every vector in `tests/vectors/`, flattened to the tab-separated lines the C and Lua
/// consumers read (format in ffi/README.md).
fn flat_vectors(tag: &str) -> (PathBuf, usize) {
    let vectors = hearth_tests::vectors::read_dir(&manifest().join("../tests/vectors"))
        .unwrap_or_else(|e| panic!("{e}"));
    let path = std::env::temp_dir().join(format!("hearth-ffi-{tag}-{}.tsv", std::process::id()));
    std::fs::write(&path, hearth_tests::vectors::flatten(&vectors)).expect("temp dir is writable");
    (path, vectors.len())
}

/// Compiles `source` with `compiler` (`cc` or `c++`, warnings as errors) against the header;
/// `link` chooses the library file.
fn compile(compiler: &str, source: &Path, name: &str, link: &[String]) -> PathBuf {
    let out = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let std = if compiler == "c++" {
        "-std=c++17"
    } else {
        "-std=c11"
    };
    let status = Command::new(compiler)
        .args([std, "-Wall", "-Wextra", "-Werror", "-g", "-I"])
        .arg(manifest().join("../ffi/include"))
        .arg(source)
        .arg("-o")
        .arg(&out)
        .args(link)
        .status()
        .unwrap_or_else(|e| panic!("{compiler} runs: {e}"));
    assert!(
        status.success(),
        "{} compiles against hearth.h",
        source.display()
    );
    out
}

/// Link flags for the shared library (found at run time through the rpath).
fn shared() -> Vec<String> {
    let lib = library_dir();
    vec![
        format!("-L{}", lib.display()),
        format!("-Wl,-rpath,{}", lib.display()),
        "-lhearth".into(),
    ]
}

fn play_vectors_c() -> PathBuf {
    manifest().join("tests/c/play_vectors.c")
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what} runs: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    stdout + &stderr
}

fn expect_all(report: &str, who: &str, vectors: usize) {
    assert!(
        report.contains(&format!("{who}: {vectors} vectors")) && report.contains(" 0 failures"),
        "{who} played every vector without a failure:\n{report}"
    );
}

#[test]
fn a_c_program_linked_statically_plays_every_vector() {
    let (flat, vectors) = flat_vectors("static");
    let lib = library_dir().join("libhearth.a");
    let link = [
        lib.display().to_string(),
        "-lpthread".into(),
        "-ldl".into(),
        "-lm".into(),
    ];
    let program = compile("cc", &play_vectors_c(), "hearth-c-static", &link);
    let report = run(Command::new(&program).arg(&flat), "the static C program");
    expect_all(&report, "C", vectors);
    let _ = std::fs::remove_file(program);
    let _ = std::fs::remove_file(flat);
}

#[test]
fn a_c_program_linked_dynamically_is_clean_under_valgrind() {
    let (flat, vectors) = flat_vectors("valgrind");
    let program = compile("cc", &play_vectors_c(), "hearth-c-shared", &shared());
    let report = run(
        Command::new("valgrind")
            .args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect,possible",
                "--errors-for-leak-kinds=definite,indirect,possible",
            ])
            .arg(&program)
            .arg(&flat),
        "the C program under valgrind",
    );
    expect_all(&report, "C", vectors);
    assert!(
        report.contains("ERROR SUMMARY: 0 errors"),
        "valgrind found errors:\n{report}"
    );
    assert!(
        report.contains("definitely lost: 0 bytes")
            || report.contains("All heap blocks were freed"),
        "valgrind found leaks:\n{report}"
    );
    let _ = std::fs::remove_file(program);
    let _ = std::fs::remove_file(flat);
}

#[test]
fn the_header_compiles_as_cpp_and_a_cpp_program_plays_a_game() {
    let source = manifest().join("tests/c/smoke.cpp");
    let out = compile("c++", &source, "hearth-cpp", &shared());
    let report = run(&mut Command::new(&out), "the C++ program");
    assert!(report.contains("C++: {\"winners\":[0]"), "{report}");
    let _ = std::fs::remove_file(out);
}

#[test]
fn the_readme_c_example_compiles_and_runs() {
    let readme =
        std::fs::read_to_string(manifest().join("../ffi/README.md")).expect("ffi/README.md");
    let code = readme
        .split("```c\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a C example");
    let src = std::env::temp_dir().join(format!("hearth-readme-{}.c", std::process::id()));
    std::fs::write(&src, code).expect("temp dir is writable");
    let out = compile("cc", &src, "hearth-readme", &shared());
    let report = run(&mut Command::new(&out), "the README's C example");
    assert!(report.contains("events: ["), "{report}");
    let _ = std::fs::remove_file(src);
    let _ = std::fs::remove_file(out);
}

#[test]
fn a_luajit_script_plays_every_vector_through_ffi_cdef() {
    let (flat, vectors) = flat_vectors("luajit");
    let report = run(
        Command::new("luajit")
            .arg(manifest().join("tests/lua/play_vectors.lua"))
            .arg(manifest().join("../ffi/include/hearth.h"))
            .arg(library_dir().join("libhearth.so"))
            .arg(&flat),
        "the LuaJIT script",
    );
    expect_all(&report, "LuaJIT", vectors);
    let _ = std::fs::remove_file(flat);
}
