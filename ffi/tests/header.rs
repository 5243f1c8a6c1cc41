//! `include/hearth.h` is committed so users need no Rust tooling to read it; this fails when
//! it no longer matches what cbindgen generates from the declarations `export_c_api!` makes
//! (the text between its `C API` markers, with the macro's paths made plain) and the
//! constants and types of `src/lib.rs`.

#[test]
fn the_committed_header_is_what_cbindgen_generates() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let export = std::fs::read_to_string(format!("{dir}/src/export.rs")).expect("export.rs");
    let begin = export.find("// -- C API begin --").expect("begin marker");
    let end = export.find("// -- C API end --").expect("end marker");
    let declarations = export[begin..end]
        .replace("$crate::HearthBuf", "HearthBuf")
        .replace("::std::ffi::c_char", "c_char")
        .replace("$crate::install($games);", "")
        .replace("$crate::", "");
    let scratch = std::env::temp_dir().join(format!("hearth-header-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch directory");
    let api = scratch.join("api.rs");
    std::fs::write(&api, declarations).expect("write the declarations");
    let config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml"))
        .expect("ffi/cbindgen.toml is readable");
    let mut fresh = Vec::new();
    cbindgen::Builder::new()
        .with_src(format!("{dir}/src/lib.rs"))
        .with_src(&api)
        .with_config(config)
        .generate()
        .expect("cbindgen parses the declarations")
        .write(&mut fresh);
    let _ = std::fs::remove_dir_all(&scratch);
    let path = format!("{dir}/include/hearth.h");
    if std::env::var_os("HEARTH_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("the header is writable");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ffi/include/hearth.h is stale; regenerate it with \
         `HEARTH_UPDATE_HEADER=1 cargo test -p hearth-ffi --test header` and commit it"
    );
}
