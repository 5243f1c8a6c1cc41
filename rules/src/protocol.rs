//! The wire protocol between Hearth clients and hosts (the official server and LAN hosts).
//!
//! One set of serde types, two encodings: binary WebSocket frames carry postcard, text frames
//! carry JSON. A host answers a connection in the encoding of its first frame. Game values
//! (configs, actions, views, events) sit inside messages as the type parameter `P`:
//! a [`serde_json::Value`] in JSON frames and [`WireBytes`] (the value's own postcard bytes)
//! in postcard frames, so a message can be decoded before knowing which game it is about.
//!
//! Every request carries a client-chosen `id` that comes back in its [`ServerMsg::Reply`] or
//! [`ServerMsg::Error`]. Everything else the host sends is a push. `docs/protocol.md` in the
//! repository lists every message with a JSON example.
//!
//! ```
//! use hearth_rules::protocol::{ClientMsg, Hello, Request, PROTOCOL_VERSION};
//! let hello: ClientMsg<serde_json::Value> = ClientMsg {
//!     id: 1,
//!     req: Request::Hello(Hello {
//!         protocol: PROTOCOL_VERSION,
//!         fingerprints: vec![],
//!         name: "Ada".into(),
//!         token: None,
//!     }),
//! };
//! let text = serde_json::to_string(&hello).unwrap();
//! assert_eq!(text, r#"{"id":1,"req":{"hello":{"protocol":1,"fingerprints":[],"name":"Ada","token":null}}}"#);
//! ```

use serde::{Deserialize, Serialize};

use crate::{Fingerprint, GameMeta, Outcome, Payload, SyncMode};

/// The protocol version this build speaks. A host refuses a handshake with another version.
pub const PROTOCOL_VERSION: u32 = 1;

/// A game value in a postcard frame: the value's own postcard bytes (length-prefixed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WireBytes(pub Vec<u8>);

/// Lets a host put a [`Payload`] straight into a message: a JSON payload serialises as its
/// JSON value, a postcard payload as length-prefixed bytes — exactly what [`WireBytes`] reads.
/// Only serialise a message whose payloads all match the frame's encoding.
impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            #[cfg(feature = "json")]
            Payload::Json(value) => value.serialize(serializer),
            Payload::Postcard(bytes) => serializer.serialize_bytes(bytes),
        }
    }
}

#[cfg(feature = "json")]
impl From<serde_json::Value> for Payload {
    fn from(value: serde_json::Value) -> Payload {
        Payload::Json(value)
    }
}

impl From<WireBytes> for Payload {
    fn from(bytes: WireBytes) -> Payload {
        Payload::Postcard(bytes.0)
    }
}

/// A player's id on one host: opaque, stable for as long as the host knows the player
/// (an account's id on the official server, one connection's id on a LAN host).
pub type PlayerId = u64;

/// Every message a client sends: a request and the id its reply will carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMsg<P> {
    /// Chosen by the client; echoed in the reply or error.
    pub id: u32,
    /// What the client asks.
    pub req: Request<P>,
}

/// The handshake: the first request on every connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Must equal the host's [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The rules the client carries. Empty means "I run no rules locally": every game is
    /// offered. Otherwise only games whose fingerprint matches are offered, and a game the
    /// client carries in a different version is a refusal naming it.
    pub fingerprints: Vec<Fingerprint>,
    /// Display name (1–24 characters, no control characters). Hosts with accounts use the
    /// account's name instead.
    pub name: String,
    /// Account token, on hosts with accounts.
    pub token: Option<String>,
}

/// Options for a new room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomOptions<P> {
    /// Catalog name of the game.
    pub game: String,
    /// The game's config; JSON `null` (or empty bytes) for its defaults.
    pub config: P,
    /// Most seats; `None` for the game's maximum.
    pub max_seats: Option<u8>,
    /// Listed in the public room list.
    pub public: bool,
    /// Needed to join, if set.
    pub password: Option<String>,
}

/// Whether to sit down or watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinAs {
    /// Take the lowest free seat (while the room is in its lobby).
    Player,
    /// Watch: sees what spectators see. Allowed in running games.
    Spectator,
}

/// Everything a client can ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request<P> {
    /// Handshake; must come first. Reply: [`Reply::Welcome`].
    Hello(Hello),
    /// Continue a seat after a dropped connection, receiving the game stream from `next`
    /// (the `seq` after the last stream message the client received). Reply: [`Reply::Joined`].
    Resume {
        /// The token from [`ServerMsg::Started`].
        token: String,
        /// Next stream `seq` the client wants.
        next: u64,
    },
    /// The games this connection may play. Reply: [`Reply::Games`].
    ListGames,
    /// Public rooms. Reply: [`Reply::Rooms`].
    ListRooms,
    /// Make a room and enter it as its host (seated). Reply: [`Reply::Joined`].
    CreateRoom {
        /// 1–32 letters, digits, spaces, `-` or `_`; unique ignoring case.
        name: String,
        /// How the room is set up.
        options: RoomOptions<P>,
    },
    /// Enter a room by name. Reply: [`Reply::Joined`].
    Join {
        /// The room's name (any case).
        room: String,
        /// The room's password, if it has one.
        password: Option<String>,
        /// Sit or watch.
        join_as: JoinAs,
        /// If no room has this name, create it with these options (friends typing the same
        /// name meet in one room).
        create: Option<RoomOptions<P>>,
    },
    /// Take a seat (the lowest free one if `None`). Lobby only. Reply: [`Reply::Ok`].
    Sit {
        /// Seat wanted.
        seat: Option<u8>,
    },
    /// Give up your seat and watch instead. Lobby only. Reply: [`Reply::Ok`].
    Stand,
    /// Mark yourself (un)ready. Reply: [`Reply::Ok`].
    Ready {
        /// Ready or not.
        ready: bool,
    },
    /// Start the game (room host only; every seated player ready, at least the game's
    /// minimum seated). Reply: [`Reply::Ok`], then [`ServerMsg::Started`] to everyone.
    Start,
    /// Seat a bot of strength `level` (1–6) in the lowest free seat (room host only, lobby).
    /// The host plays it; it is always ready. Remove it with `kick`. Reply: [`Reply::Ok`].
    AddBot {
        /// Strength (connect-four: search depth).
        level: u8,
    },
    /// Leave the room. Reply: [`Reply::Ok`].
    Leave,
    /// Remove a member (room host only). Reply: [`Reply::Ok`].
    Kick {
        /// Who.
        player: PlayerId,
    },
    /// Say something to the room (1–500 characters). Reply: [`Reply::Ok`].
    Chat {
        /// The message.
        text: String,
    },
    /// Play. Turn-based games apply it at once; real-time games at tick `tick` (or the next
    /// tick to simulate, if that one has passed). Reply: [`Reply::Accepted`] or an error with
    /// the rules' reason.
    Action {
        /// The game's action.
        action: P,
        /// For real-time games: the tick this input is meant for.
        tick: Option<u64>,
    },
    /// Your current view of the game. Reply: [`Reply::View`].
    View,
    /// Your legal actions now. Reply: [`Reply::Legal`].
    Legal,
    /// Desync guard: the state hash you computed after `index` log entries (turn-based) or
    /// at tick `index` (real-time). Reply: [`Reply::HashChecked`].
    Hash {
        /// Log length (turn-based) or tick (real-time).
        index: u64,
        /// Your hash as 16 hex digits.
        hash: String,
    },
    /// Keep-alive. Reply: [`Reply::Pong`].
    Ping,
    /// Have the leaderboard of `game` pushed now and whenever it changes (hosts with
    /// accounts). Reply: [`Reply::Ok`], then [`ServerMsg::Leaderboard`].
    SubscribeLeaderboard {
        /// Catalog name.
        game: String,
    },
}

/// Everything a host sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMsg<P> {
    /// The answer to request `id`.
    Reply {
        /// The request's id.
        id: u32,
        /// The answer.
        reply: Reply<P>,
    },
    /// A request failed (`id` set), or the host reports a problem (`id` null).
    Error {
        /// The failed request's id, if any.
        id: Option<u32>,
        /// What went wrong.
        error: WireError,
    },
    /// Your room changed (members, seats, readiness, host, phase).
    Room(RoomState),
    /// Someone spoke in your room.
    Chat {
        /// Who.
        from: PlayerId,
        /// Their name.
        name: String,
        /// What.
        text: String,
    },
    /// A game started in your room (also sent again on resume).
    Started(Started<P>),
    /// Perfect-information games: an accepted log entry. `seq` equals the entry's index.
    Entry {
        /// Stream position (== log index).
        seq: u64,
        /// Tick count when applied.
        tick: u64,
        /// Who acted.
        seat: u8,
        /// The action.
        action: P,
        /// What it caused.
        events: P,
    },
    /// Hidden-information games: your view after an accepted action, and that action's
    /// (public) events.
    View {
        /// Stream position of your seat's views (from 0; `resume` takes it). Spectators,
        /// who do not resume, get the log length here.
        seq: u64,
        /// Log length after the action.
        index: u64,
        /// Who acted (`null` for the view at the start).
        seat: Option<u8>,
        /// What you may see now.
        view: P,
        /// What the action caused.
        events: P,
    },
    /// Real-time games: your view after a tick. A slow connection gets only the newest.
    Snapshot {
        /// Ticks simulated.
        tick: u64,
        /// Log length.
        index: u64,
        /// What you may see now.
        view: P,
        /// What this tick caused.
        events: P,
    },
    /// You were removed from your room.
    Left {
        /// `left` (you asked), `kicked`, `superseded` (your seat was resumed on another
        /// connection) or `room_closed` (the room failed).
        reason: String,
    },
    /// A leaderboard you subscribed to, in full, best first.
    Leaderboard {
        /// Catalog name.
        game: String,
        /// The standings.
        standings: Vec<Standing>,
    },
    /// The host is closing this connection; a WebSocket close follows.
    Closing {
        /// A stable code (e.g. `server_shutdown`, `slow_consumer`, `idle_timeout`).
        code: String,
        /// What happened and what to do.
        message: String,
    },
}

/// An error: a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    /// Stable, snake_case; see `docs/protocol.md`.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
}

impl WireError {
    /// An error with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> WireError {
        WireError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<crate::RuleError> for WireError {
    fn from(e: crate::RuleError) -> WireError {
        WireError::new(e.code(), e.to_string())
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for WireError {}

/// Successful answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<P> {
    /// The handshake succeeded.
    Welcome(Welcome),
    /// Done.
    Ok,
    /// The games this connection may play.
    Games(Vec<GameMeta>),
    /// Public rooms.
    Rooms(Vec<RoomSummary>),
    /// You are in this room now (after create, join or resume).
    Joined(RoomState),
    /// Your action was applied as log entry `index` at tick `tick`.
    Accepted {
        /// Log index of the entry.
        index: u64,
        /// Tick count when applied.
        tick: u64,
    },
    /// Your view.
    View {
        /// Log length.
        index: u64,
        /// Ticks simulated.
        tick: u64,
        /// The view.
        view: P,
    },
    /// Your legal actions (a list).
    Legal {
        /// The actions.
        actions: P,
    },
    /// The outcome of a desync check.
    HashChecked {
        /// What you sent.
        index: u64,
        /// Whether your hash equals the host's.
        matches: bool,
        /// The host's hash at `index` (16 hex digits), or null if it no longer knows it.
        host: Option<String>,
    },
    /// Keep-alive answer.
    Pong,
}

/// The handshake's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// Your id on this host.
    pub player: PlayerId,
    /// Your display name as the host knows it.
    pub name: String,
    /// The host's protocol version.
    pub protocol: u32,
    /// The host software's version.
    pub server_version: String,
    /// Games you may play here.
    pub games: Vec<GameMeta>,
}

/// A room in the public list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    /// Room name.
    pub name: String,
    /// Catalog name of its game.
    pub game: String,
    /// Seated players.
    pub players: u8,
    /// Most seats.
    pub max_seats: u8,
    /// Watchers.
    pub spectators: u32,
    /// Lobby, playing or over.
    pub phase: PhaseName,
    /// Whether joining needs a password.
    pub has_password: bool,
}

/// A room's phase, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    /// Waiting for players.
    Lobby,
    /// A game is running.
    Playing,
    /// The game ended (a new one can start).
    Over,
    /// The game was stopped by an error.
    Aborted,
}

impl PhaseName {
    /// The name as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseName::Lobby => "lobby",
            PhaseName::Playing => "playing",
            PhaseName::Over => "over",
            PhaseName::Aborted => "aborted",
        }
    }
}

/// A room's phase with its details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomPhase {
    /// Waiting for players.
    Lobby,
    /// A game is running.
    Playing,
    /// The game ended.
    Over {
        /// The result.
        outcome: Outcome,
        /// Final state hash (16 hex digits).
        hash: String,
    },
    /// The game was stopped by an error (e.g. a fault in the rules).
    Aborted {
        /// What went wrong.
        error: WireError,
    },
}

impl RoomPhase {
    /// The phase's name.
    pub fn name(&self) -> PhaseName {
        match self {
            RoomPhase::Lobby => PhaseName::Lobby,
            RoomPhase::Playing => PhaseName::Playing,
            RoomPhase::Over { .. } => PhaseName::Over,
            RoomPhase::Aborted { .. } => PhaseName::Aborted,
        }
    }
}

/// Someone in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Their id.
    pub player: PlayerId,
    /// Their name.
    pub name: String,
    /// Their seat, if seated.
    pub seat: Option<u8>,
    /// Ready to start.
    pub ready: bool,
    /// False while a seated player's connection is down (the seat is held).
    pub connected: bool,
    /// A bot the host plays.
    pub bot: bool,
}

/// A room as its members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomState {
    /// Room name.
    pub name: String,
    /// Catalog name of its game.
    pub game: String,
    /// The room's host (may start and kick).
    pub host: PlayerId,
    /// You.
    pub you: PlayerId,
    /// Most seats.
    pub max_seats: u8,
    /// Listed publicly.
    pub public: bool,
    /// Joining needs a password.
    pub has_password: bool,
    /// Everyone in the room, seated first by seat, then spectators.
    pub members: Vec<Member>,
    /// What the room is doing.
    pub phase: RoomPhase,
}

/// One leaderboard row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// Account id.
    pub account: PlayerId,
    /// Display name.
    pub name: String,
    /// Matches won.
    pub wins: u32,
    /// Matches lost.
    pub losses: u32,
    /// Matches drawn.
    pub draws: u32,
    /// Elo rating (starts at 1200).
    pub rating: i32,
}

/// A game started: what a client needs to follow it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started<P> {
    /// Catalog name of the game.
    pub game: String,
    /// How this game is kept in sync.
    pub sync: SyncMode,
    /// Seats in play.
    pub seats: u8,
    /// Who sits where (index = seat).
    pub players: Vec<PlayerId>,
    /// Your seat; `None` when watching.
    pub seat: Option<u8>,
    /// The generator seed: only for perfect-information games, whose clients replay the log.
    /// Hosts draw seeds below 2^53 so JavaScript numbers hold them exactly.
    pub seed: Option<u64>,
    /// The game's config.
    pub config: P,
    /// Ticks per second, for real-time games.
    pub tick_rate: Option<u16>,
    /// Keep this to [`Request::Resume`] your seat after a dropped connection (seated only).
    pub resume: Option<String>,
}

/// Stable error codes of the protocol (rules errors add [`crate::RuleError::code`]'s).
pub mod codes {
    /// A frame that is not a valid message.
    pub const BAD_FRAME: &str = "bad_frame";
    /// A request that is not allowed now (e.g. before `hello`, or `hello` twice).
    pub const BAD_REQUEST: &str = "bad_request";
    /// Client and host speak different protocol versions.
    pub const PROTOCOL_MISMATCH: &str = "protocol_mismatch";
    /// Client and host carry different rules for a game.
    pub const RULES_MISMATCH: &str = "rules_mismatch";
    /// The game is not offered to this connection.
    pub const GAME_NOT_OFFERED: &str = "game_not_offered";
    /// A display name or room name breaks the naming rules.
    pub const INVALID_NAME: &str = "invalid_name";
    /// A room of that name exists already.
    pub const NAME_TAKEN: &str = "name_taken";
    /// No room has that name.
    pub const UNKNOWN_ROOM: &str = "unknown_room";
    /// The room's password is different.
    pub const WRONG_PASSWORD: &str = "wrong_password";
    /// Every seat is taken.
    pub const ROOM_FULL: &str = "room_full";
    /// The room's game has started; only its own players may come back (or watch).
    pub const ALREADY_STARTED: &str = "already_started";
    /// The request needs you to be in a room.
    pub const NOT_IN_ROOM: &str = "not_in_room";
    /// You are in another room already.
    pub const ALREADY_IN_ROOM: &str = "already_in_room";
    /// Only the room's host may do this.
    pub const NOT_HOST: &str = "not_host";
    /// You need a seat for this.
    pub const NOT_SEATED: &str = "not_seated";
    /// That seat is taken or out of range.
    pub const SEAT_TAKEN: &str = "seat_taken";
    /// The game cannot start yet (too few ready players).
    pub const NOT_READY: &str = "not_ready";
    /// No game is running.
    pub const NOT_PLAYING: &str = "not_playing";
    /// The lobby request does not apply while a game runs.
    pub const GAME_RUNNING: &str = "game_running";
    /// No such member.
    pub const UNKNOWN_PLAYER: &str = "unknown_player";
    /// The resume token is unknown or expired.
    pub const BAD_RESUME: &str = "bad_resume";
    /// An input stamped for a tick too far ahead.
    pub const BAD_TICK: &str = "bad_tick";
    /// Too many messages; slow down.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The host cannot keep up with this connection's reading; reconnect and resume.
    pub const SLOW_CONSUMER: &str = "slow_consumer";
    /// Nothing arrived for too long.
    pub const IDLE_TIMEOUT: &str = "idle_timeout";
    /// Too many malformed frames.
    pub const TOO_MANY_ERRORS: &str = "too_many_errors";
    /// The host is shutting down.
    pub const SERVER_SHUTDOWN: &str = "server_shutdown";
    /// The room's game failed inside its rules; the room is closed.
    pub const ROOM_FAILED: &str = "room_failed";
    /// An administrator closed the room.
    pub const ROOM_CLOSED: &str = "room_closed";
    /// The room's match is run by another node of a cluster now (internal: members are
    /// dropped and resume there, they never see this code).
    pub const ROOM_MOVED: &str = "room_moved";
    /// The host is overloaded or the room is closing; try again.
    pub const UNAVAILABLE: &str = "unavailable";
    /// Every player left a running game (a room phase, not a reply).
    pub const ABANDONED: &str = "abandoned";
    /// A message larger than the host's frame limit; the connection is closed.
    pub const FRAME_TOO_LARGE: &str = "frame_too_large";
    /// The account token is missing, wrong or expired.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// The account is banned (also the reason its open connections are closed).
    pub const BANNED: &str = "banned";
    /// The token this connection signed in with was signed out.
    pub const SIGNED_OUT: &str = "signed_out";
    /// A browser page of another origin opened the socket, on a host that serves its own
    /// page (a LAN host): open the host's own page instead.
    pub const WRONG_ORIGIN: &str = "wrong_origin";
    /// A chat message that is empty or too long.
    pub const BAD_CHAT: &str = "bad_chat";
}

/// Encodes a message as a JSON text frame.
pub fn to_json<M: Serialize>(msg: &M) -> String {
    // Wire types have string keys only, so this cannot fail; an empty object would be a
    // visible bug rather than a crash.
    serde_json::to_string(msg).unwrap_or_else(|_| String::from("{}"))
}

/// Encodes a message as a postcard binary frame.
pub fn to_postcard<M: Serialize>(msg: &M) -> Vec<u8> {
    postcard::to_allocvec(msg).unwrap_or_default()
}

/// Decodes a JSON text frame.
pub fn from_json<M: serde::de::DeserializeOwned>(text: &str) -> Result<M, WireError> {
    serde_json::from_str(text).map_err(|e| {
        WireError::new(
            codes::BAD_FRAME,
            format!("this text frame is not a valid Hearth message ({e}); see docs/protocol.md"),
        )
    })
}

/// Decodes a postcard binary frame (the whole frame must be one message).
pub fn from_postcard<M: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<M, WireError> {
    crate::decode_postcard(bytes, "message").map_err(|e| {
        WireError::new(
            codes::BAD_FRAME,
            format!("this binary frame is not a valid Hearth message ({e}); see docs/protocol.md"),
        )
    })
}

/// Puts a request's game values ([`Payload`]s in either encoding) into postcard through the
/// game's own types, ready for a binary frame. A config is checked against its game here, so
/// a bad one is refused before any round trip; a JSON action needs `game`, the game of the
/// room you are in. Clients in every language use this one conversion.
pub fn request_to_wire(
    catalog: &crate::Catalog,
    game: Option<&str>,
    req: Request<Payload>,
) -> Result<Request<WireBytes>, WireError> {
    // Without JSON payloads (feature `json`) every value is postcard already.
    #[cfg(not(feature = "json"))]
    let _ = (catalog, game);
    let config = |name: &str, p: Payload| -> Result<WireBytes, WireError> {
        #[cfg(not(feature = "json"))]
        let _ = name;
        Ok(WireBytes(match p {
            Payload::Postcard(b) => b,
            #[cfg(feature = "json")]
            Payload::Json(serde_json::Value::Null) => vec![],
            #[cfg(feature = "json")]
            json @ Payload::Json(_) => catalog
                .convert(
                    name,
                    crate::ValueKind::Config,
                    &json,
                    crate::Encoding::Postcard,
                )?
                .to_bytes(),
        }))
    };
    Ok(match req {
        Request::CreateRoom { name, options } => Request::CreateRoom {
            name,
            options: options.try_map_payload(config)?,
        },
        Request::Join {
            room,
            password,
            join_as,
            create,
        } => Request::Join {
            room,
            password,
            join_as,
            create: create.map(|o| o.try_map_payload(config)).transpose()?,
        },
        Request::Action { action, tick } => {
            // Without JSON payloads (feature `json`) the match has one arm.
            #[cfg_attr(not(feature = "json"), allow(clippy::infallible_destructuring_match))]
            let bytes = match action {
                Payload::Postcard(b) => b,
                #[cfg(feature = "json")]
                json @ Payload::Json(_) => {
                    let game = game
                        .ok_or_else(|| WireError::new(codes::NOT_IN_ROOM, "join a room first"))?;
                    catalog
                        .convert(
                            game,
                            crate::ValueKind::Action,
                            &json,
                            crate::Encoding::Postcard,
                        )?
                        .to_bytes()
                }
            };
            Request::Action {
                action: WireBytes(bytes),
                tick,
            }
        }
        other => other.map_payload(|p| WireBytes(p.to_bytes())),
    })
}

impl<P> Request<P> {
    /// The same request with its game values converted (e.g. JSON values or bytes into
    /// [`Payload`]s).
    pub fn map_payload<Q>(self, f: impl FnOnce(P) -> Q) -> Request<Q> {
        match self {
            Request::Hello(h) => Request::Hello(h),
            Request::Resume { token, next } => Request::Resume { token, next },
            Request::ListGames => Request::ListGames,
            Request::ListRooms => Request::ListRooms,
            Request::CreateRoom { name, options } => Request::CreateRoom {
                name,
                options: options.map_payload(f),
            },
            Request::Join {
                room,
                password,
                join_as,
                create,
            } => Request::Join {
                room,
                password,
                join_as,
                create: create.map(|o| o.map_payload(f)),
            },
            Request::Sit { seat } => Request::Sit { seat },
            Request::Stand => Request::Stand,
            Request::Ready { ready } => Request::Ready { ready },
            Request::Start => Request::Start,
            Request::Leave => Request::Leave,
            Request::Kick { player } => Request::Kick { player },
            Request::Chat { text } => Request::Chat { text },
            Request::Action { action, tick } => Request::Action {
                action: f(action),
                tick,
            },
            Request::View => Request::View,
            Request::Legal => Request::Legal,
            Request::Hash { index, hash } => Request::Hash { index, hash },
            Request::Ping => Request::Ping,
            Request::AddBot { level } => Request::AddBot { level },
            Request::SubscribeLeaderboard { game } => Request::SubscribeLeaderboard { game },
        }
    }
}

impl<P> Started<P> {
    /// The same `started` with its config converted.
    pub fn map_config<Q>(self, f: impl FnOnce(P) -> Q) -> Started<Q> {
        Started {
            game: self.game,
            sync: self.sync,
            seats: self.seats,
            players: self.players,
            seat: self.seat,
            seed: self.seed,
            config: f(self.config),
            tick_rate: self.tick_rate,
            resume: self.resume,
        }
    }
}

impl<P> Reply<P> {
    /// The same reply with its game values (a `view`'s view, `legal`'s actions) converted.
    pub fn map_payload<Q>(self, mut f: impl FnMut(P) -> Q) -> Reply<Q> {
        match self {
            Reply::Welcome(w) => Reply::Welcome(w),
            Reply::Ok => Reply::Ok,
            Reply::Games(g) => Reply::Games(g),
            Reply::Rooms(r) => Reply::Rooms(r),
            Reply::Joined(s) => Reply::Joined(s),
            Reply::Accepted { index, tick } => Reply::Accepted { index, tick },
            Reply::View { index, tick, view } => Reply::View {
                index,
                tick,
                view: f(view),
            },
            Reply::Legal { actions } => Reply::Legal {
                actions: f(actions),
            },
            Reply::HashChecked {
                index,
                matches,
                host,
            } => Reply::HashChecked {
                index,
                matches,
                host,
            },
            Reply::Pong => Reply::Pong,
        }
    }
}

impl<P> RoomOptions<P> {
    /// The same options with the config converted.
    pub fn map_payload<Q>(self, f: impl FnOnce(P) -> Q) -> RoomOptions<Q> {
        match self.try_map_payload(|_, p| Ok::<Q, std::convert::Infallible>(f(p))) {
            Ok(o) => o,
            Err(never) => match never {},
        }
    }

    /// The same options with the config converted by a fallible function, which also sees
    /// the game's name.
    pub fn try_map_payload<Q, E>(
        self,
        f: impl FnOnce(&str, P) -> Result<Q, E>,
    ) -> Result<RoomOptions<Q>, E> {
        Ok(RoomOptions {
            config: f(&self.game, self.config)?,
            game: self.game,
            max_seats: self.max_seats,
            public: self.public,
            password: self.password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payloads_serialise_like_the_decoding_side_reads_them() {
        let msg: ServerMsg<Payload> = ServerMsg::Entry {
            seq: 3,
            tick: 0,
            seat: 1,
            action: Payload::Postcard(vec![4]),
            events: Payload::Postcard(vec![1, 0, 4, 0]),
        };
        let bytes = to_postcard(&msg);
        let back: ServerMsg<WireBytes> = from_postcard(&bytes).unwrap();
        assert_eq!(
            back,
            ServerMsg::Entry {
                seq: 3,
                tick: 0,
                seat: 1,
                action: WireBytes(vec![4]),
                events: WireBytes(vec![1, 0, 4, 0]),
            }
        );
        let msg: ServerMsg<Payload> = ServerMsg::Entry {
            seq: 3,
            tick: 0,
            seat: 1,
            action: Payload::Json(json!({"column": 4})),
            events: Payload::Json(json!([])),
        };
        let back: ServerMsg<serde_json::Value> = from_json(&to_json(&msg)).unwrap();
        assert!(matches!(back, ServerMsg::Entry { action, .. } if action == json!({"column": 4})));
    }

    #[test]
    fn garbage_is_a_bad_frame() {
        let e = from_json::<ClientMsg<serde_json::Value>>("{\"id\":1}").unwrap_err();
        assert_eq!(e.code, codes::BAD_FRAME);
        let e = from_postcard::<ClientMsg<WireBytes>>(&[1, 200, 7, 7, 7]).unwrap_err();
        assert_eq!(e.code, codes::BAD_FRAME);
    }

    /// Found by the `wire_host` fuzz target (2026-11-30): a number with more digits than a
    /// float holds was read one unit in the last place off, so a frame re-encoded (logged,
    /// relayed) read back as another value. Numbers are now read correctly rounded.
    #[test]
    fn a_long_json_number_reads_back_as_the_same_value() {
        let text = r#"{"id":14,"req":{"action":{"action":{"column":99999999990001864712049423024046},"tick":null}}}"#;
        let msg: ClientMsg<serde_json::Value> = from_json(text).unwrap();
        let again: ClientMsg<serde_json::Value> = from_json(&to_json(&msg)).unwrap();
        assert_eq!(again, msg);
    }
}
