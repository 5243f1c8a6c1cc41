//! The narrow storage interface the official services use. SQLite implements it today; a
//! shared database for several server nodes can implement it later without touching game or
//! room code. Calls are blocking: async callers run them on the blocking pool.

use hearth_rules::protocol::PlayerId;
use hearth_rules::{DynLogEntry, Outcome, Payload};
use serde::Serialize;

/// A role an account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Plays.
    Player,
    /// Plays and administers.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Player => "player",
            Role::Admin => "admin",
        }
    }

    /// From the stored name (unknown names are players).
    pub fn parse(s: &str) -> Role {
        if s == "admin" {
            Role::Admin
        } else {
            Role::Player
        }
    }
}

/// An account as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Stable id (also the player id on the socket).
    pub id: PlayerId,
    /// Login name, for password accounts.
    pub username: Option<String>,
    /// Shown to other players.
    pub display_name: String,
    /// player or admin.
    pub role: Role,
    /// A device account without a password.
    pub guest: bool,
    /// Banned accounts cannot sign in or play.
    pub banned: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// A stored match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMatch {
    /// Match id.
    pub id: u64,
    /// Room it was played in.
    pub room: String,
    /// Catalog name.
    pub game: String,
    /// Rules fingerprint at the start.
    pub fingerprint: String,
    /// Config (postcard bytes, as hex in JSON).
    #[serde(serialize_with = "hex_payload")]
    pub config: Payload,
    /// Generator seed.
    pub seed: u64,
    /// Seat count.
    pub seats: u8,
    /// Account and display name per seat.
    pub players: Vec<(PlayerId, String)>,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds, once ended.
    pub ended_at: Option<i64>,
    /// `running`, `over` or `abandoned`.
    pub status: String,
    /// The result, when over.
    pub outcome: Option<Outcome>,
    /// Final state hash (16 hex digits), once ended.
    pub hash: Option<String>,
    /// Ticks simulated (real-time games).
    pub ticks: u64,
    /// The state hash (16 hex digits) after the stored log and `log_ticks` ticks, written
    /// with every append: a match rebuilt from its log must reach it
    /// ([`StoredMatch::rebuild`] checks). `None` before the first append. Not shown by the
    /// API: the hash of a running hidden-information game's state would let anyone try the
    /// few possible secrets against it.
    #[serde(skip)]
    pub log_hash: Option<String>,
    /// The tick count `log_hash` was taken at (`ticks` moves on when the match ends).
    #[serde(skip)]
    pub log_ticks: u64,
}

/// One match's accepted entries for [`Store::append_logs`].
#[derive(Debug, Clone, Copy)]
pub struct LogAppend<'a> {
    /// The match.
    pub match_id: u64,
    /// Accepted entries (postcard actions), in log order.
    pub entries: &'a [DynLogEntry],
    /// The tick count after them.
    pub ticks: u64,
    /// The game's state hash after them and `ticks`.
    pub hash: u64,
}

/// Why a stored match cannot be rebuilt with this build's rules.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The game's rules are not the ones it was played with.
    #[error(
        "match {id} was played with {then} but this build has {now}; replay it with that build"
    )]
    RulesChanged {
        /// The match.
        id: u64,
        /// The fingerprint it was played with.
        then: String,
        /// This build's.
        now: String,
    },
    /// The rules refused the game or its log.
    #[error(transparent)]
    Rules(#[from] hearth_rules::RuleError),
    /// Replaying the stored log did not reach the state the match was in when it was stored:
    /// the log or the rules differ from what was played.
    #[error(
        "match {id} rebuilt from its log has state hash {rebuilt}, but {stored} was stored with the log; the log or the rules are not what was played"
    )]
    HashMismatch {
        /// The match.
        id: u64,
        /// The hash stored with its last append.
        stored: String,
        /// The hash the replay reached.
        rebuilt: String,
    },
}

impl StoredMatch {
    /// The game as it stood after `log` (this match's stored log), replayed with `catalog`'s
    /// rules, real-time games ticked on to the ticks recorded, checked against the state hash
    /// stored with the log: what crash recovery and a cluster's takeover restore and
    /// `hearth replay` checks.
    pub fn rebuild(
        &self,
        catalog: &hearth_rules::Catalog,
        log: &[DynLogEntry],
    ) -> Result<hearth_rules::DynSession, RebuildError> {
        let meta = catalog.get(&self.game)?;
        if meta.fingerprint.to_string() != self.fingerprint {
            return Err(RebuildError::RulesChanged {
                id: self.id,
                then: self.fingerprint.clone(),
                now: meta.fingerprint.to_string(),
            });
        }
        let header = hearth_rules::DynHeader {
            game: self.game.clone(),
            seats: self.seats,
            seed: self.seed,
            config: self.config.clone(),
        };
        let mut session = catalog.replay(&header, log)?;
        // Real-time games also ran ticks after their last input.
        let tick_to = |session: &mut hearth_rules::DynSession, ticks: u64| {
            while session.tick_count() < ticks && !session.is_over() {
                session.tick(hearth_rules::Encoding::Postcard)?;
            }
            Ok::<_, hearth_rules::RuleError>(())
        };
        if let Some(stored) = &self.log_hash {
            tick_to(&mut session, self.log_ticks)?;
            let rebuilt = hearth_rules::hash_hex(session.hash());
            if *stored != rebuilt {
                return Err(RebuildError::HashMismatch {
                    id: self.id,
                    stored: stored.clone(),
                    rebuilt,
                });
            }
        }
        tick_to(&mut session, self.ticks)?;
        Ok(session)
    }
}

fn hex_payload<S: serde::Serializer>(p: &Payload, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(&p.to_bytes()))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    hearth_rules::to_hex(bytes)
}

pub use hearth_rules::protocol::Standing;

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a Hearth database.
    #[error(
        "{path} is not a Hearth database (it is {what}); point --db at a Hearth database or a new file"
    )]
    NotHearth {
        /// The file.
        path: String,
        /// What it seems to be.
        what: String,
    },
    /// The file was written by a newer Hearth.
    #[error(
        "{path} has schema version {found}, newer than this Hearth supports ({supported}); run a newer hearth"
    )]
    NewerSchema {
        /// The file.
        path: String,
        /// Its version.
        found: i64,
        /// Ours.
        supported: i64,
    },
    /// A uniqueness rule was broken (e.g. a taken username).
    #[error("{0}")]
    Conflict(String),
    /// Nothing matched.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error("storage failed: {0}")]
    Backend(String),
    /// Another node of the cluster has taken these matches over (this node's lease lapsed):
    /// nothing was written for them here.
    #[error(
        "matches {matches:?} are now run by another node (this node's lease lapsed); nothing was written for them here"
    )]
    Fenced {
        /// The matches refused.
        matches: Vec<u64>,
    },
}

/// One device sign-in, for [`Store::device_sign_ins`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSignIn {
    /// The device id the client keeps.
    pub device_id: String,
    /// The display name a new account gets.
    pub display_name: String,
    /// The new token's hash, stored unless the account is banned.
    pub token_hash: Vec<u8>,
    /// When the token expires (Unix seconds).
    pub expires_at: i64,
}

/// A finished match's stored status: `over` with an outcome, `abandoned` without.
pub fn end_status(outcome: Option<&Outcome>) -> &'static str {
    if outcome.is_some() {
        "over"
    } else {
        "abandoned"
    }
}

/// Everything the official services keep.
pub trait Store: Send + Sync + 'static {
    // ----- accounts
    /// The account of this device, made on first use (a guest).
    fn device_account(
        &self,
        device_id: &str,
        display_name: &str,
        now: i64,
    ) -> Result<Account, StoreError>;
    /// A new password account; fails with `Conflict` if the username is taken.
    fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<Account, StoreError>;
    /// An account and its password hash, by username (any case).
    fn user_by_name(&self, username: &str)
    -> Result<Option<(Account, Option<String>)>, StoreError>;
    /// An account by id.
    fn account(&self, id: PlayerId) -> Result<Option<Account>, StoreError>;
    /// Turns a guest into a password account, keeping its id and history.
    fn upgrade_guest(
        &self,
        id: PlayerId,
        username: &str,
        password_hash: &str,
    ) -> Result<Account, StoreError>;
    /// Sets an account's role.
    fn set_role(&self, id: PlayerId, role: Role) -> Result<Account, StoreError>;
    /// Bans or unbans; banning also revokes every token.
    fn set_banned(&self, id: PlayerId, banned: bool) -> Result<Account, StoreError>;
    /// Accounts whose username or display name contains `query` (any case), at most `limit`.
    fn search_accounts(&self, query: &str, limit: u32) -> Result<Vec<Account>, StoreError>;
    /// Deletes guests unseen since `before` that never played a match; returns how many.
    fn delete_stale_guests(&self, before: i64) -> Result<u64, StoreError>;
    /// Records that the account was active.
    fn touch(&self, id: PlayerId, now: i64) -> Result<(), StoreError>;

    // ----- tokens (stored as hashes only)
    /// Stores a token's hash.
    fn add_token(
        &self,
        token_hash: &[u8],
        account: PlayerId,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Device sign-ins, several at once: each device's account (made on first use) and,
    /// unless that account is banned, its new token; results in the batch's order, all or
    /// none, in one transaction (group commit: a burst of sign-ins costs one commit, not two
    /// per sign-in).
    fn device_sign_ins(&self, batch: &[DeviceSignIn], now: i64)
    -> Result<Vec<Account>, StoreError>;
    /// The account a live token belongs to.
    fn token_account(&self, token_hash: &[u8], now: i64) -> Result<Option<Account>, StoreError>;
    /// Revokes a token.
    fn revoke_token(&self, token_hash: &[u8]) -> Result<(), StoreError>;

    // ----- matches
    /// A match starts; returns its id.
    fn match_started(&self, start: &crate::MatchStart, now: i64) -> Result<u64, StoreError>;
    /// Appends several matches' entries at once, all or none, in one transaction (group
    /// commit: the recorder batches the appends that arrive while one commits). Each match's
    /// tick count and state hash become those of its last append in the batch.
    fn append_logs(&self, batch: &[LogAppend<'_>]) -> Result<(), StoreError>;
    /// Appends one match's accepted log entries in one transaction.
    fn append_log(&self, append: LogAppend<'_>) -> Result<(), StoreError> {
        self.append_logs(&[append])
    }
    /// The match ended (`outcome` `None`: abandoned). With `rated` (its players, all
    /// accounts) and an outcome, the game's standings move in the same transaction, once per
    /// match even if the end is reported again after a recovery.
    fn match_finished(
        &self,
        match_id: u64,
        outcome: Option<&Outcome>,
        hash: u64,
        ticks: u64,
        now: i64,
        rated: Option<&[PlayerId]>,
    ) -> Result<(), StoreError>;
    /// One match.
    fn get_match(&self, id: u64) -> Result<Option<StoredMatch>, StoreError>;
    /// A match's log, in order.
    fn match_log(&self, id: u64) -> Result<Vec<DynLogEntry>, StoreError>;
    /// Matches, newest first, optionally only those `account` played in.
    fn list_matches(
        &self,
        account: Option<PlayerId>,
        limit: u32,
    ) -> Result<Vec<StoredMatch>, StoreError>;
    /// Matches still running (to rebuild after a crash).
    fn running_matches(&self) -> Result<Vec<StoredMatch>, StoreError>;

    // ----- leaderboards
    /// The game's standings, best first.
    fn leaderboard(&self, game: &str, limit: u32) -> Result<Vec<Standing>, StoreError>;
}
