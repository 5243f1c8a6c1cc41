//! Passwords, tokens and the rules for names; the socket's [`Authenticator`] over accounts.

use std::sync::Arc;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use blake2::{Blake2s256, Digest};
use hearth_rules::protocol::{Hello, WireError, codes};

use super::store::{Account, Store};
use crate::services::{Authenticator, BoxFuture, Identity};

/// How long a token lives.
pub const TOKEN_LIFETIME_SECS: i64 = 30 * 24 * 3600;

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

type HashJob = Box<dyn FnOnce() + Send>;

/// Threads that hash passwords; each keeps one argon2 working area.
const HASH_THREADS: usize = 2;

/// Runs `f` on the password-hashing threads and waits for it. Argon2id takes 19 MiB per
/// hash: run on whichever blocking thread is free, a burst of sign-ins left that much in the
/// allocator of each of a hundred threads (2.7 GB resident after a password-login benchmark).
/// On a fixed pool of [`HASH_THREADS`] (not one per core: a 64-core machine would keep 1.2 GB)
/// each reusing one working area ([`with_blocks`]), argon2 never holds more than
/// `HASH_THREADS × 19 MiB`, however long the burst.
fn on_hash_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    static POOL: std::sync::LazyLock<Option<std::sync::Mutex<std::sync::mpsc::Sender<HashJob>>>> =
        std::sync::LazyLock::new(|| {
            let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
            let rx = Arc::new(std::sync::Mutex::new(rx));
            let threads = std::thread::available_parallelism()
                .map_or(HASH_THREADS, |n| n.get().min(HASH_THREADS));
            for i in 0..threads {
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(format!("hearth-hash-{i}"))
                    .spawn(move || {
                        loop {
                            let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                            match job {
                                Ok(job) => job(),
                                Err(_) => break,
                            }
                        }
                    })
                    .ok()?;
            }
            Some(std::sync::Mutex::new(tx))
        });
    let (done, result) = std::sync::mpsc::sync_channel(1);
    let mut f = Some(f);
    if let Some(pool) = POOL.as_ref() {
        let job = f.take().map(|f| -> HashJob {
            Box::new(move || {
                let _ = done.send(f());
            })
        });
        if let Some(job) = job
            && pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .send(job)
                .is_ok()
            && let Ok(value) = result.recv()
        {
            return value;
        }
    }
    // No pool (threads could not start): hash here.
    match f {
        Some(f) => f(),
        None => unreachable_hash(),
    }
}

#[cold]
fn unreachable_hash<T>() -> T {
    // The job was handed to the pool but its answer was lost: the hashing thread died
    // mid-hash, which only a bug in argon2 could cause.
    panic!("a password-hashing thread stopped before answering")
}

/// Runs `f` with this thread's argon2 working area of `count` blocks (made once, reused: the
/// allocator never sees 19 MiB come and go, so it cannot keep a copy per burst).
fn with_blocks<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    thread_local! {
        static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() != count {
            *blocks = vec![Block::default(); count];
        }
        f(&mut blocks)
    })
}

/// Argon2 over `password` and `salt` with `params`, in this thread's working area.
fn argon2(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
) -> Result<Vec<u8>, PasswordError> {
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    let count = params.block_count();
    with_blocks(count, |blocks| {
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password, salt, &mut out, blocks)
    })
    .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(out)
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// No salt: the OS random generator failed.
    #[error(transparent)]
    Random(#[from] crate::secrets::RandomError),
    /// argon2 refused the input or its parameters.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// An argon2id hash of a password (PHC string with its salt).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let password = password.to_string();
    on_hash_pool(move || {
        let salt: [u8; 16] = crate::secrets::random_bytes()?;
        let params = Params::default();
        let out = argon2(
            Algorithm::Argon2id,
            Version::V0x13,
            params.clone(),
            password.as_bytes(),
            &salt,
        )?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)
                .map_err(|e| PasswordError::Hash(e.to_string()))?,
            salt: Some(Salt::new(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?),
            hash: Some(Output::new(&out).map_err(|e| PasswordError::Hash(e.to_string()))?),
        };
        Ok(phc.to_string())
    })
}

/// Whether `password` matches a stored hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_string(), stored.to_string());
    on_hash_pool(move || {
        let Ok(phc) = PasswordHash::new(&stored) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
            return false;
        };
        let parts = (
            Algorithm::try_from(phc.algorithm.as_str()),
            phc.version.map(Version::try_from).transpose(),
            Params::try_from(&phc),
        );
        let (Ok(algorithm), Ok(version), Ok(params)) = parts else {
            return false;
        };
        argon2(
            algorithm,
            version.unwrap_or_default(),
            params,
            password.as_bytes(),
            salt,
        )
        .ok()
        .and_then(|out| Output::new(&out).ok())
        // `Output`'s equality is constant-time.
        .is_some_and(|out| &out == expected)
    })
}

/// A new token (what the client keeps) and its hash (what the database keeps): `hth_`, the
/// microsecond it was issued (16 hex digits) and 16 random bytes in hex.
pub fn new_token() -> Result<(String, Vec<u8>), crate::secrets::RandomError> {
    let issued = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let token = format!("hth_{issued:016x}{}", crate::secrets::random_token()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a token: a leaked database does not leak usable tokens. A token that
/// carries its issue time keeps it in front of the hash, so the tokens' index grows at its end
/// like a log: a sign-in then writes to its last page, not to a random page per token (a
/// third fewer WAL pages per sign-in on disk; BENCHMARKS.md, "Checkpoints off the writer").
/// Tokens without one (issued before) are stored and found by the hash alone.
pub fn token_hash(token: &str) -> Vec<u8> {
    let digest = Blake2s256::digest(token.as_bytes());
    let issued = token
        .strip_prefix("hth_")
        .filter(|rest| rest.len() == 48 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|rest| u64::from_str_radix(&rest[..16], 16).ok());
    match issued {
        Some(issued) => [&issued.to_be_bytes()[..], &digest[..]].concat(),
        None => digest.to_vec(),
    }
}

/// How a token's connections are known to the host (its hash, never the token itself), so
/// signing the token out closes them.
pub fn session_key(token: &str) -> String {
    // The digest alone: the issue time in front of a stored key orders an index, and would
    // only make every socket's key longer.
    hearth_rules::to_hex(&Blake2s256::digest(token.as_bytes()))
}

/// Checks a username: 3–24 ASCII letters, digits, `_` or `-`.
pub fn username(raw: &str) -> Result<String, WireError> {
    let ok = (3..=24).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        return Err(WireError::new(
            codes::INVALID_NAME,
            "usernames have 3 to 24 letters, digits, `_` or `-`",
        ));
    }
    Ok(raw.to_string())
}

/// Checks a password: 8–128 characters.
pub fn password(raw: &str) -> Result<(), WireError> {
    let n = raw.chars().count();
    if !(8..=128).contains(&n) {
        return Err(WireError::new(
            "weak_password",
            "passwords have 8 to 128 characters",
        ));
    }
    Ok(())
}

/// Checks a device id: 8–128 visible ASCII characters (clients make a random one and keep it).
pub fn device_id(raw: &str) -> Result<(), WireError> {
    let ok = (8..=128).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_graphic());
    if !ok {
        return Err(WireError::new(
            codes::BAD_REQUEST,
            "device ids have 8 to 128 visible ASCII characters; generate a random one and keep it",
        ));
    }
    Ok(())
}

/// The account a bearer token belongs to, refusing banned accounts.
pub fn account_for_token(store: &dyn Store, token: &str) -> Result<Account, WireError> {
    let account = store
        .token_account(&token_hash(token), now())
        .map_err(|e| WireError::new(codes::UNAVAILABLE, e.to_string()))?
        .ok_or_else(|| {
            WireError::new(
                codes::UNAUTHORIZED,
                "this token is unknown, expired or signed out; sign in again (POST /v1/auth/device or /v1/auth/login)",
            )
        })?;
    if account.banned {
        return Err(WireError::new(codes::BANNED, "this account is banned"));
    }
    Ok(account)
}

/// The socket handshake over accounts: a token is required, and the name comes from the
/// account, never from the claim.
pub struct AccountAuth {
    /// The store.
    pub store: Arc<dyn Store>,
}

impl Authenticator for AccountAuth {
    fn authenticate<'a>(&'a self, hello: &'a Hello) -> BoxFuture<'a, Result<Identity, WireError>> {
        Box::pin(async move {
            let Some(token) = hello.token.clone() else {
                return Err(WireError::new(
                    codes::UNAUTHORIZED,
                    "this server needs an account: sign in (POST /v1/auth/device) and send the token in hello",
                ));
            };
            let store = self.store.clone();
            let session = session_key(&token);
            let account = tokio::task::spawn_blocking(move || {
                let account = account_for_token(&*store, &token)?;
                let _ = store.touch(account.id, now());
                Ok::<_, WireError>(account)
            })
            .await
            .map_err(|e| WireError::new(codes::UNAVAILABLE, e.to_string()))??;
            Ok(Identity {
                player: Some(account.id),
                name: account.display_name,
                session: Some(session),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify_and_old_hashes_still_verify() {
        let stored = hash_password("correct horse").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify_password("correct horse", &stored));
        assert!(!verify_password("correct horsf", &stored));
        assert!(!verify_password("correct horse", "not a hash"));
        // Hashes written by the library's own hasher (databases from before the working
        // area was reused) verify the same.
        use argon2::password_hash::PasswordHasher;
        let old = Argon2::default()
            .hash_password(b"battery staple")
            .unwrap()
            .to_string();
        assert!(verify_password("battery staple", &old));
        assert!(!verify_password("battery stapler", &old));
        // And ours verify with the library's verifier.
        use argon2::password_hash::PasswordVerifier;
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
    }
}
