//! The stable 64-bit state hash: XXH3-64 of a value's canonical postcard bytes.

use postcard::ser_flavors::Flavor;
use serde::Serialize;
use xxhash_rust::xxh3::Xxh3;

/// Streams postcard output straight into the hasher, so hashing allocates nothing.
struct HashFlavor(Xxh3);

impl Flavor for HashFlavor {
    type Output = u64;

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.update(data);
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.update(&[data]);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<u64> {
        Ok(self.0.digest())
    }
}

/// XXH3-64 of `value`'s postcard encoding. Postcard has one encoding per value and every
/// collection in Hearth state is ordered, so equal states hash equal on every target.
///
/// ```
/// assert_eq!(hearth_rules::stable_hash(&(1u8, "a")), hearth_rules::stable_hash(&(1u8, "a")));
/// ```
pub fn stable_hash<T: Serialize + ?Sized>(value: &T) -> u64 {
    // Postcard only fails on sequences of unknown length, which derived serde types never
    // produce; the flavor itself cannot fail. 0 marks that impossible case without panicking.
    postcard::serialize_with_flavor(value, HashFlavor(Xxh3::new())).unwrap_or(0)
}

/// Formats a hash the way logs, vectors and the wire show it: 16 lowercase hex digits.
pub fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// Bytes as lower-case hex (golden vectors, stored configs, tokens).
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    fn streaming_equals_one_shot() {
        let value = (3u32, "hello", vec![1u64, 2, 3]);
        let bytes = postcard::to_allocvec(&value).expect("encode");
        assert_eq!(stable_hash(&value), xxhash_rust::xxh3::xxh3_64(&bytes));
        assert_eq!(hash_hex(0xab), "00000000000000ab");
    }
}
