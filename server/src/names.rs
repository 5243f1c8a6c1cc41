//! Validation of the names people type: display names, room names and chat lines.

use hearth_rules::protocol::{WireError, codes};

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 24;
/// Longest room name, in characters.
pub const MAX_ROOM_NAME: usize = 32;
/// Longest chat line, in characters.
pub const MAX_CHAT: usize = 500;
/// Longest room password, in characters.
pub const MAX_PASSWORD: usize = 64;

/// A display name, trimmed: 1–24 characters, no control characters.
pub fn display_name(raw: &str) -> Result<String, WireError> {
    let name = raw.trim();
    let len = name.chars().count();
    if len == 0 || len > MAX_DISPLAY_NAME || name.chars().any(char::is_control) {
        return Err(WireError::new(
            codes::INVALID_NAME,
            format!(
                "display names have 1 to {MAX_DISPLAY_NAME} characters and no control characters; `{}` does not fit",
                raw.escape_debug()
            ),
        ));
    }
    Ok(name.to_string())
}

/// A room name, trimmed, and its lookup key (lowercase): 1–32 letters, digits, spaces,
/// `-` or `_`, with inner runs of spaces kept as typed.
pub fn room_name(raw: &str) -> Result<(String, String), WireError> {
    let name = raw.trim();
    let len = name.chars().count();
    let ok_char = |c: char| c.is_alphanumeric() || c == ' ' || c == '-' || c == '_';
    if len == 0 || len > MAX_ROOM_NAME || !name.chars().all(ok_char) {
        return Err(WireError::new(
            codes::INVALID_NAME,
            format!(
                "room names have 1 to {MAX_ROOM_NAME} letters, digits, spaces, `-` or `_`; `{}` does not fit",
                raw.escape_debug()
            ),
        ));
    }
    Ok((name.to_string(), name.to_lowercase()))
}

/// A chat line, trimmed: 1–500 characters, no control characters except none at all.
pub fn chat(raw: &str) -> Result<String, WireError> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 || len > MAX_CHAT || text.chars().any(char::is_control) {
        return Err(WireError::new(
            codes::BAD_CHAT,
            format!("chat lines have 1 to {MAX_CHAT} characters on one line"),
        ));
    }
    Ok(text.to_string())
}

/// A room password: 1–64 characters.
pub fn password(raw: &str) -> Result<String, WireError> {
    let len = raw.chars().count();
    if len == 0 || len > MAX_PASSWORD {
        return Err(WireError::new(
            codes::BAD_REQUEST,
            format!(
                "room passwords have 1 to {MAX_PASSWORD} characters; leave it out for an open room"
            ),
        ));
    }
    Ok(raw.to_string())
}

/// A room password as the room keeps it: a salted BLAKE2 digest, never the text.
#[derive(Clone)]
pub struct PasswordDigest {
    salt: [u8; 16],
    digest: [u8; 32],
}

impl PasswordDigest {
    /// Digests `password` with a fresh random salt.
    pub fn new(password: &str) -> PasswordDigest {
        let mut salt = [0u8; 16];
        let token = crate::hub::random_token();
        for (i, b) in salt.iter_mut().enumerate() {
            *b = u8::from_str_radix(token.get(2 * i..2 * i + 2).unwrap_or("00"), 16).unwrap_or(0);
        }
        PasswordDigest {
            digest: Self::digest(&salt, password),
            salt,
        }
    }

    fn digest(salt: &[u8; 16], password: &str) -> [u8; 32] {
        use blake2::{Blake2s256, Digest};
        let mut h = Blake2s256::new();
        h.update(salt);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    /// Whether `password` is the one digested (compared without an early exit).
    pub fn matches(&self, password: &str) -> bool {
        let other = Self::digest(&self.salt, password);
        self.digest
            .iter()
            .zip(other.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for PasswordDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordDigest(..)")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn room_passwords_are_kept_as_salted_digests() {
        let a = PasswordDigest::new("hunter2");
        let b = PasswordDigest::new("hunter2");
        assert!(a.matches("hunter2") && !a.matches("hunter3") && !a.matches(""));
        assert_ne!(a.digest, b.digest, "salted");
        assert!(!format!("{a:?}").contains("hunter2"));
    }

    use super::*;

    #[test]
    fn names_are_checked_and_keyed_without_case() {
        assert_eq!(display_name("  Ada ").unwrap(), "Ada");
        assert!(display_name("").is_err());
        assert!(display_name("a\nb").is_err());
        assert!(display_name(&"x".repeat(25)).is_err());
        assert_eq!(
            room_name(" Fun Room ").unwrap(),
            ("Fun Room".into(), "fun room".into())
        );
        assert!(room_name("no/slash").is_err());
        assert!(room_name("").is_err());
        assert!(chat("   ").is_err());
        assert_eq!(chat(" hi ").unwrap(), "hi");
    }
}
