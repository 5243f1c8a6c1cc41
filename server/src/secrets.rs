//! Secrets from the OS generator: tokens, seeds and salts. There is no weaker fallback: if
//! the generator fails, whatever needed the secret is refused with [`RandomError`].

use hearth_rules::protocol::{WireError, codes};

/// The OS random generator failed: nothing that needs a secret (a token, a seed, a salt)
/// can be made. Never papered over with a weaker generator.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the operating system's random generator failed ({0}); secrets cannot be made, so this was refused: check the host's /dev/urandom or getrandom support"
)]
pub struct RandomError(String);

impl From<RandomError> for WireError {
    fn from(e: RandomError) -> WireError {
        WireError::new(codes::UNAVAILABLE, e.to_string())
    }
}

/// A random token of 128 bits as 32 hex digits.
pub fn random_token() -> Result<String, RandomError> {
    let bytes: [u8; 16] = random_bytes()?;
    Ok(hearth_rules::to_hex(&bytes))
}

/// A random seed below 2^53, so that JSON clients in JavaScript read it exactly.
pub fn random_seed() -> Result<u64, RandomError> {
    Ok(u64::from_le_bytes(random_bytes()?) & ((1 << 53) - 1))
}

/// `N` bytes from the OS generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    Ok(bytes)
}
