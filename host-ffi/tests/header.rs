//! `include/hearth.h` is committed so users need no Rust tooling to read it; this fails when
//! it no longer matches what cbindgen generates from the source.

#[test]
fn the_committed_header_is_what_cbindgen_generates() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml"))
        .expect("host-ffi/cbindgen.toml is readable");
    let mut fresh = Vec::new();
    cbindgen::Builder::new()
        .with_src(format!("{dir}/src/lib.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen parses host-ffi/src/lib.rs")
        .write(&mut fresh);
    let path = format!("{dir}/include/hearth.h");
    if std::env::var_os("HEARTH_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("the header is writable");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "host-ffi/include/hearth.h is stale; regenerate it with \
         `HEARTH_UPDATE_HEADER=1 cargo test -p hearth-host-ffi --test header` and commit it"
    );
}
