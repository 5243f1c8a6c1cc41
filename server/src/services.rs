//! The seams where the official services plug into the host core: who a player is, and
//! where match logs are kept. A LAN host uses the defaults (names as given, logs in memory
//! only); the official server passes its accounts and storage here.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use hearth_rules::protocol::{Hello, PlayerId, WireError, codes};
use hearth_rules::{DynLogEntry, Fingerprint, Outcome, Payload};

/// Player ids from here up are anonymous (one connection each); below are accounts.
pub(crate) const ANONYMOUS_IDS: PlayerId = 1 << 40;

/// A boxed, sendable future (the services are called through trait objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who a connection is, as the host trusts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// A stable id (an account's) or `None` for an anonymous player, who gets an id for
    /// this connection only.
    pub player: Option<PlayerId>,
    /// The display name to show.
    pub name: String,
    /// What the credential was (e.g. a hash of the token), so signing it out can close the
    /// connections that used it; `None` without credentials.
    pub session: Option<String>,
}

/// Decides who a handshake comes from.
pub trait Authenticator: Send + Sync + 'static {
    /// Checks the handshake's token (if any) and returns the identity to use. The display
    /// name must come from the account when there is one, never from the claim.
    fn authenticate<'a>(&'a self, hello: &'a Hello) -> BoxFuture<'a, Result<Identity, WireError>>;
}

/// No accounts: players are who they say they are, for this connection only (LAN hosts).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAuth;

impl Authenticator for OpenAuth {
    fn authenticate<'a>(&'a self, hello: &'a Hello) -> BoxFuture<'a, Result<Identity, WireError>> {
        Box::pin(async move {
            if hello.token.is_some() {
                return Err(WireError::new(
                    codes::UNAUTHORIZED,
                    "this host has no accounts; connect without a token",
                ));
            }
            Ok(Identity {
                player: None,
                name: crate::names::display_name(&hello.name)?,
                session: None,
            })
        })
    }
}

/// Where leaderboards come from (the official services); LAN hosts have none.
pub trait LeaderboardSource: Send + Sync + 'static {
    /// The current standings of `game`, best first.
    fn standings(
        &self,
        game: &str,
    ) -> BoxFuture<'static, Result<Vec<hearth_rules::protocol::Standing>, WireError>>;
}

/// Where a room is, as a cluster's shared directory says ([`Cluster::place`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// On this host: made here just now, or already here.
    Here,
    /// On the node whose WebSocket URL this is.
    At(String),
    /// No room has this name.
    Nowhere,
    /// Its node died or is draining and another is taking its match over: ask again shortly.
    Moving,
}

/// The room directory shared by the nodes of a cluster (the official services implement it
/// on PostgreSQL). A host without one has only its own rooms.
pub trait Cluster: Send + Sync + 'static {
    /// Where room `key` is. With `create` (the new room's list entry and whether it is
    /// listed), a room that is nowhere becomes this host's (names are unique across the
    /// cluster: of two nodes making one name at once, one gets `At` the other).
    fn place(
        &self,
        key: &str,
        create: Option<(&hearth_rules::protocol::RoomSummary, bool)>,
    ) -> BoxFuture<'static, Result<Placement, WireError>>;
    /// A room of this host has a new list entry (written in the background).
    fn summary(&self, key: &str, summary: &hearth_rules::protocol::RoomSummary, public: bool);
    /// A room of this host is gone (written in the background).
    fn removed(&self, key: &str);
    /// The public rooms of every node, by name.
    fn list(
        &self,
    ) -> BoxFuture<'static, Result<Vec<hearth_rules::protocol::RoomSummary>, WireError>>;
    /// The resume token of `seat` in match `match_id` of room `key`: any node can check it
    /// and find the room from it, so a seat resumes wherever its match moves.
    fn seat_token(&self, key: &str, match_id: u64, seat: u8) -> String;
    /// The room key a genuine [`Cluster::seat_token`] names; `None` for anything else.
    fn token_room(&self, token: &str) -> Option<String>;
}

/// A match as it starts.
#[derive(Debug, Clone)]
pub struct MatchStart {
    /// Room name.
    pub room: String,
    /// Catalog name of the game.
    pub game: String,
    /// The rules it runs.
    pub fingerprint: Fingerprint,
    /// Seats in play.
    pub seats: u8,
    /// Generator seed.
    pub seed: u64,
    /// Config as postcard bytes.
    pub config: Payload,
    /// Who sits where: id and display name.
    pub players: Vec<(PlayerId, String)>,
}

/// A failure to record; the room is stopped rather than acknowledge what was not kept.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the match log could not be stored: {0}")]
pub struct RecordError(pub String);

/// How a [`RecordError`] for a match taken over by another node starts.
const MOVED: &str = "moved: ";

impl RecordError {
    /// Match `match_id` is now run by another node of the cluster (this one's lease lapsed):
    /// its room here stops without ending the match, and its players reconnect to the new
    /// owner and resume.
    pub fn moved(match_id: u64) -> RecordError {
        RecordError(format!(
            "{MOVED}match {match_id} is now run by another node; reconnect to resume your seat there"
        ))
    }

    /// Whether this is [`RecordError::moved`].
    pub fn is_moved(&self) -> bool {
        self.0.starts_with(MOVED)
    }
}

/// A match's newly accepted log entries, for [`MatchRecorder::append`].
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The match.
    pub match_id: u64,
    /// The entries (postcard actions), in log order.
    pub entries: Vec<DynLogEntry>,
    /// The game's tick count after them.
    pub ticks: u64,
    /// The game's state hash after them: kept with the log, so a match rebuilt from it (crash
    /// recovery, a cluster's takeover) is checked to reach the same state.
    pub hash: u64,
}

/// Keeps match logs. `append` completes before anyone is told an action was accepted.
pub trait MatchRecorder: Send + Sync + 'static {
    /// A match starts; returns its id.
    fn started(&self, start: MatchStart) -> BoxFuture<'static, Result<u64, RecordError>>;
    /// Newly accepted entries, in log order.
    fn append(&self, accepted: Accepted) -> BoxFuture<'static, Result<(), RecordError>>;
    /// The match ended (`outcome` is `None` when it was abandoned or failed).
    fn finished(
        &self,
        match_id: u64,
        outcome: Option<Outcome>,
        hash: u64,
        ticks: u64,
    ) -> BoxFuture<'static, Result<(), RecordError>>;
    /// The host is shutting down: make everything durable.
    fn flush(&self) -> BoxFuture<'static, Result<(), RecordError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Keeps nothing; numbers matches. The default for LAN hosts.
#[derive(Debug, Default)]
pub struct NullRecorder {
    next: AtomicU64,
}

impl MatchRecorder for NullRecorder {
    fn started(&self, _: MatchStart) -> BoxFuture<'static, Result<u64, RecordError>> {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        Box::pin(async move { Ok(id) })
    }
    fn append(&self, _: Accepted) -> BoxFuture<'static, Result<(), RecordError>> {
        Box::pin(async { Ok(()) })
    }
    fn finished(
        &self,
        _: u64,
        _: Option<Outcome>,
        _: u64,
        _: u64,
    ) -> BoxFuture<'static, Result<(), RecordError>> {
        Box::pin(async { Ok(()) })
    }
}
