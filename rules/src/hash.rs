//! The stable 64-bit state hash: XXH3-64 of a value's canonical postcard bytes.

use serde::Serialize;

/// XXH3-64 of `value`'s postcard encoding. Postcard has one encoding per value and every
/// collection in Hearth state is ordered, so equal states hash equal on every target.
///
/// ```
/// assert_eq!(hearth_rules::stable_hash(&(1u8, "a")), hearth_rules::stable_hash(&(1u8, "a")));
/// ```
pub fn stable_hash<T: Serialize + ?Sized>(value: &T) -> u64 {
    // The bytes are made as snapshots and payloads make theirs (`crate::codec::to_postcard_in`),
    // so every type has one postcard serializer in the binary (the Wasm module is smaller),
    // and hashed at once, which XXH3 does faster than streaming field by field.
    // A buffer that is dropped at once may start big enough for most states (no regrowth).
    let bytes = crate::codec::to_postcard_in(value, Vec::with_capacity(256));
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// Formats a hash the way logs, vectors and the wire show it: 16 lowercase hex digits.
pub fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// Bytes as lower-case hex (golden vectors, stored configs, tokens).
pub fn to_hex(bytes: &[u8]) -> String {
    // One allocation, not one per byte: tokens and session keys are made per sign-in.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Bytes from hex digits (either case); `None` for anything else, an odd length included.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        assert_eq!(to_hex(&[0, 1, 0xab, 0xff]), "0001abff");
        assert_eq!(from_hex("0001ABff"), Some(vec![0, 1, 0xab, 0xff]));
        for bad in ["0", "zz", "0g", "é1"] {
            assert_eq!(from_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_hash_is_xxh3_of_the_postcard_bytes() {
        let value = (3u32, "hello", vec![1u64, 2, 3]);
        let bytes = postcard::to_allocvec(&value).expect("encode");
        assert_eq!(stable_hash(&value), xxhash_rust::xxh3::xxh3_64(&bytes));
        assert_eq!(hash_hex(0xab), "00000000000000ab");
    }
}
