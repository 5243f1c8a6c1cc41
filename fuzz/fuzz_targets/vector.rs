//! A golden-vector file (`tests/vectors/*.json`, read by every build's checker): any text
//! is refused or checked against the rules without a panic.

#![no_main]

use hearth_tests::vectors::{Vector, check};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<Vector>(data) {
        let _ = check(&hearth_fuzz::catalog(), &v);
    }
});
