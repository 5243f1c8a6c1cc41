//! The two encodings every value can travel in: postcard bytes and JSON.

use serde::{Serialize, de::DeserializeOwned};

use crate::RuleError;

/// Which of the two encodings a payload uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// JSON text (for scripts, browsers and any language).
    Json,
    /// postcard bytes (compact; for Rust, Wasm and Godot).
    Postcard,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Json => "JSON",
            Encoding::Postcard => "postcard",
        })
    }
}

/// A game value (action, view, event list, config) in one of the two encodings, as the
/// type-erased [`DynSession`](crate::DynSession) takes and returns them.
///
/// The JSON variant exists only with the `json` feature (on by default). Builds without it
/// (the Wasm module, whose JavaScript converts postcard itself) carry no JSON value code at
/// all; call their entry points with [`Encoding::Postcard`]: asked for JSON, they give an empty
/// postcard payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A JSON value (feature `json`).
    #[cfg(feature = "json")]
    Json(serde_json::Value),
    /// postcard bytes.
    Postcard(Vec<u8>),
}

impl Payload {
    /// The JSON value, or `null` for a postcard payload: for callers that asked for JSON
    /// (scripting layers), where postcard cannot arrive.
    #[cfg(feature = "json")]
    pub fn into_json(self) -> serde_json::Value {
        match self {
            Payload::Json(v) => v,
            Payload::Postcard(_) => serde_json::Value::Null,
        }
    }

    /// [`Payload::into_json`] by reference.
    #[cfg(feature = "json")]
    pub fn json(&self) -> &serde_json::Value {
        match self {
            Payload::Json(v) => v,
            Payload::Postcard(_) => &serde_json::Value::Null,
        }
    }

    /// The postcard bytes, or `None` for a JSON payload.
    pub fn as_postcard(&self) -> Option<&[u8]> {
        match self {
            Payload::Postcard(bytes) => Some(bytes),
            #[cfg(feature = "json")]
            Payload::Json(_) => None,
        }
    }

    /// The encoding of this payload.
    pub fn encoding(&self) -> Encoding {
        match self {
            #[cfg(feature = "json")]
            Payload::Json(_) => Encoding::Json,
            Payload::Postcard(_) => Encoding::Postcard,
        }
    }

    /// Encodes `value` in `encoding`.
    pub fn encode<T: Serialize + ?Sized>(value: &T, encoding: Encoding) -> Payload {
        match encoding {
            // Serialising derived types into a JSON value or a Vec cannot fail (no maps with
            // non-string keys are used in Hearth's wire types); Null/empty marks the
            // impossible case rather than panicking.
            #[cfg(feature = "json")]
            Encoding::Json => Payload::Json(serde_json::to_value(value).unwrap_or_default()),
            // Without the `json` feature there is no JSON payload (see `Payload`).
            #[cfg(not(feature = "json"))]
            Encoding::Json => Payload::Postcard(Vec::new()),
            Encoding::Postcard => Payload::Postcard(to_postcard(value)),
        }
    }

    /// Decodes the payload as a `T`. `what` names the value in the error message.
    /// Postcard input must be consumed entirely: trailing bytes are an error.
    pub fn decode<T: DeserializeOwned>(&self, what: &'static str) -> Result<T, RuleError> {
        match self {
            #[cfg(feature = "json")]
            Payload::Json(value) => decode_json_value(value, what),
            Payload::Postcard(bytes) => decode_postcard(bytes, what),
        }
    }

    /// Like [`Payload::decode`], but JSON `null`, an empty JSON object or empty postcard bytes
    /// mean `T::default()` (used for game configs, so "no config" is always accepted).
    pub fn decode_or_default<T: DeserializeOwned + Default>(
        &self,
        what: &'static str,
    ) -> Result<T, RuleError> {
        match self {
            #[cfg(feature = "json")]
            Payload::Json(serde_json::Value::Null) => Ok(T::default()),
            #[cfg(feature = "json")]
            Payload::Json(serde_json::Value::Object(map)) if map.is_empty() => Ok(T::default()),
            Payload::Postcard(bytes) if bytes.is_empty() => Ok(T::default()),
            _ => self.decode(what),
        }
    }

    /// The payload as bytes: JSON text or postcard bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            #[cfg(feature = "json")]
            Payload::Json(value) => value.to_string().into_bytes(),
            Payload::Postcard(bytes) => bytes.clone(),
        }
    }

    /// [`Payload::to_bytes`], without copying postcard bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Payload::Postcard(bytes) => bytes,
            #[cfg(feature = "json")]
            json @ Payload::Json(_) => json.to_bytes(),
        }
    }

    /// Reads a payload from raw bytes in the given encoding (JSON must be valid UTF-8 JSON).
    pub fn from_bytes(
        bytes: &[u8],
        encoding: Encoding,
        what: &'static str,
    ) -> Result<Payload, RuleError> {
        match encoding {
            Encoding::Postcard => Ok(Payload::Postcard(bytes.to_vec())),
            #[cfg(feature = "json")]
            Encoding::Json => serde_json::from_slice(bytes)
                .map(Payload::Json)
                .map_err(|e| decode_error(what, Encoding::Json, e)),
            #[cfg(not(feature = "json"))]
            Encoding::Json => Err(no_json(what)),
        }
    }
}

/// `value`'s postcard bytes. Every postcard encoding in the rules goes through here (payloads,
/// snapshots, the state hash, `DynSession::apply_bytes`), so each type's serializer is
/// compiled once: one flavour (`Extend` into a `Vec`) instead of several.
pub(crate) fn to_postcard<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    to_postcard_in(value, Vec::new())
}

/// [`to_postcard`] into `buffer` (cleared first), reusing its allocation.
pub(crate) fn to_postcard_in<T: Serialize + ?Sized>(value: &T, mut buffer: Vec<u8>) -> Vec<u8> {
    buffer.clear();
    // Serialising derived types into a Vec cannot fail (postcard refuses only sequences of
    // unknown length, which derives never make); empty bytes mark the impossible case.
    postcard::to_extend(value, buffer).unwrap_or_default()
}

/// Decodes a JSON value into `T` (refused with a `decode` error in builds without the `json`
/// feature).
pub fn decode_json_value<T: DeserializeOwned>(
    value: &serde_json::Value,
    what: &'static str,
) -> Result<T, RuleError> {
    #[cfg(feature = "json")]
    return T::deserialize(value).map_err(|e| decode_error(what, Encoding::Json, e));
    #[cfg(not(feature = "json"))]
    {
        let _ = value;
        Err(no_json(what))
    }
}

/// What a build without JSON says to JSON input.
#[cfg(not(feature = "json"))]
fn no_json(what: &'static str) -> RuleError {
    RuleError::Decode {
        what,
        encoding: Encoding::Json,
        detail: "this build reads postcard only (hearth-rules without its `json` feature)".into(),
    }
}

/// Decodes postcard bytes into `T`, refusing trailing bytes.
pub fn decode_postcard<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, RuleError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(RuleError::Decode {
            what,
            encoding: Encoding::Postcard,
            detail: format!("{} unexpected bytes after the value", rest.len()),
        }),
        Err(e) => Err(decode_error(what, Encoding::Postcard, e)),
    }
}

fn decode_error(what: &'static str, encoding: Encoding, e: impl std::fmt::Display) -> RuleError {
    RuleError::Decode {
        what,
        encoding,
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_postcard_bytes_are_refused() {
        let err = decode_postcard::<u8>(&[1, 2], "action").expect_err("trailing byte");
        assert_eq!(err.code(), "decode");
        assert!(err.to_string().contains("1 unexpected bytes"), "{err}");
    }

    #[test]
    fn null_config_means_default() {
        let v: (u8, bool) = Payload::Json(serde_json::Value::Null)
            .decode_or_default("config")
            .expect("default");
        assert_eq!(v, (0, false));
    }
}
