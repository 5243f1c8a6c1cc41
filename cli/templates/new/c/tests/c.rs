//! The C library as C sees it: Hearth's vector player, compiled against `include/hearth.h`
//! and linked to `lib__crate__.so`, replays the golden vectors from `rules/vectors`.

use std::path::Path;

#[test]
fn a_c_program_replays_the_golden_vectors() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/vectors");
    hearth_tests::vectors::project_vectors(__crate___rules::games, &vectors)
        .unwrap_or_else(|e| panic!("{e}"));
    let lib = hearth_tests::c::built_library_dir("__crate__");
    let report = hearth_tests::c::play_vectors(&lib, "__crate__", &vectors)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("{report}");
}
