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

/// A display name, trimmed and in Unicode NFC: 1–24 characters, no control characters, no
/// bidirectional controls (which can make a name display as another), and at least one
/// visible character.
pub fn display_name(raw: &str) -> Result<String, WireError> {
    use unicode_normalization::UnicodeNormalization;
    let name: String = raw.trim().nfc().collect();
    let len = name.chars().count();
    let refuse = |why: &str| {
        Err(WireError::new(
            codes::INVALID_NAME,
            format!(
                "display names have 1 to {MAX_DISPLAY_NAME} characters, {why}; `{}` does not fit",
                raw.escape_debug()
            ),
        ))
    };
    if len == 0 || len > MAX_DISPLAY_NAME || name.chars().any(char::is_control) {
        return refuse("no control characters");
    }
    if name.chars().any(is_bidi_control) {
        return refuse("no right-to-left or left-to-right override or mark characters");
    }
    if name.chars().all(is_invisible) {
        return refuse("at least one of them visible");
    }
    Ok(name)
}

/// Characters that change the direction text is laid out in.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing on their own: spaces, format characters (joiners, word
/// joiners, soft hyphens, tags), variation selectors, combining joiners and blank fillers.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
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
    pub fn new(password: &str) -> Result<PasswordDigest, crate::secrets::RandomError> {
        let salt = crate::secrets::random_bytes()?;
        Ok(PasswordDigest {
            digest: Self::digest(&salt, password),
            salt,
        })
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
        let a = PasswordDigest::new("hunter2").unwrap();
        let b = PasswordDigest::new("hunter2").unwrap();
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

    #[test]
    fn display_names_are_nfc_without_bidi_controls_and_visible() {
        // "é" typed as e + combining acute is stored as the single character.
        assert_eq!(display_name("Ame\u{301}lie").unwrap(), "Am\u{e9}lie");
        assert!(
            display_name("ad\u{202E}nimda").is_err(),
            "right-to-left override"
        );
        assert!(display_name("\u{2066}Bob\u{2069}").is_err(), "isolates");
        for blank in [
            "\u{200B}",
            "\u{3164}\u{3164}",
            "\u{2800}",
            "\u{FE0F}\u{200D}",
        ] {
            assert!(display_name(blank).is_err(), "{}", blank.escape_unicode());
        }
        // Joiners inside a visible name are fine (emoji sequences, Indic scripts).
        assert!(display_name("Ann\u{200D}a").is_ok());
        assert_eq!(display_name("李小龍").unwrap(), "李小龍");
        assert_eq!(display_name("مريم").unwrap(), "مريم");
    }
}
