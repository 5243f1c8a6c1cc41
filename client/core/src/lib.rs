//! Hearth's client protocol with no I/O inside: the part every client shares.
//!
//! A [`Core`] takes what happened — a socket opened or dropped, a frame arrived, time
//! passed, the game asked for something — and answers with what to do: frames to send,
//! sockets to open or close ([`Io`]), replies to hand back ([`Completion`]) and events for
//! the game ([`Event`]). It keeps request ids and their deadlines, the handshake, the room's
//! game, stream positions and the resume token, the perfect-information mirror with its hash
//! reports, and the reconnect policy ([`Reconnect`]). It never blocks, reads a clock or
//! touches a socket, so it builds for wasm32 and is tested without a network.
//!
//! The native client (`hearth-client`, tokio), the browser client (`hearth-wasm`, web-sys)
//! and the Godot extension (through the native client) are transports over it: they own a
//! socket and a timer, feed the core and carry out its [`Io`].
//!
//! ```
//! use std::sync::Arc;
//! use hearth_client_core::{Config, Core, Io};
//! use hearth_rules::protocol::{ServerMsg, Reply, Welcome, WireBytes, to_postcard};
//!
//! let catalog = Arc::new(hearth_games::catalog());
//! let mut core = Core::new(Config::lan("Ada", catalog));
//! // The transport opened the first socket: the core says hello.
//! core.opened(0);
//! let Some(Io::Send(hello)) = core.poll_io() else { panic!("a hello to send") };
//! # let _ = hello;
//! // The host's welcome arrives (here made up) and the connection is open.
//! let welcome = ServerMsg::<WireBytes>::Reply {
//!     id: 1,
//!     reply: Reply::Welcome(Welcome {
//!         player: 7, name: "Ada".into(), protocol: 1, server_version: "x".into(), games: vec![],
//!     }),
//! };
//! core.receive(&to_postcard(&welcome), 5).unwrap();
//! assert_eq!(core.welcome().map(|w| w.player), Some(7));
//! assert!(core.is_open());
//! ```
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use hearth_rules::protocol::{
    ClientMsg, Hello, PROTOCOL_VERSION, Reply, Request, RoomState, ServerMsg, Standing, Started,
    Welcome, WireBytes, WireError, codes, from_postcard, request_to_wire, to_postcard,
};
use hearth_rules::{
    Catalog, DynSession, Encoding, Payload, RuleError, Seat, SyncMode, ValueKind, Viewer, hash_hex,
};

/// How long a request waits for its reply by default.
pub const REPLY_TIMEOUT_MS: u64 = 15_000;

/// Who connects and how values come out.
#[derive(Clone)]
pub struct Config {
    /// Display name (LAN hosts; the official server uses the account's).
    pub name: String,
    /// Account token (official server); `None` on LAN hosts.
    pub token: Option<String>,
    /// The rules this client carries (their fingerprints go in `hello`).
    pub catalog: Arc<Catalog>,
    /// The encoding game values (actions, events, views, configs, legal actions) have in
    /// events and replies: JSON for scripting layers, postcard to decode into the game's types.
    pub values: Encoding,
    /// What to do when an established connection drops; `None`: give up at once.
    pub reconnect: Option<Reconnect>,
    /// How long a request waits for its reply, in milliseconds.
    pub reply_timeout_ms: u64,
}

impl Config {
    /// A LAN host: no account, just a name.
    pub fn lan(name: impl Into<String>, catalog: Arc<Catalog>) -> Config {
        Config {
            name: name.into(),
            token: None,
            catalog,
            values: Encoding::Postcard,
            reconnect: Some(Reconnect::default()),
            reply_timeout_ms: REPLY_TIMEOUT_MS,
        }
    }

    /// The official server, with an account token.
    pub fn server(token: impl Into<String>, catalog: Arc<Catalog>) -> Config {
        Config {
            token: Some(token.into()),
            ..Config::lan("player", catalog)
        }
    }
}

/// The reconnect policy, as data: after a drop, wait `first_delay_ms`, then twice as long
/// after each failed attempt (at most `max_delay_ms`), `attempts` times. An attempt succeeds
/// only once the host has answered `hello` and, for a seated player, `resume`: a host that
/// accepts sockets and drops them is given up on like one that refuses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconnect {
    /// Attempts before giving up.
    pub attempts: u32,
    /// Wait before the first attempt, in milliseconds.
    pub first_delay_ms: u64,
    /// The longest wait between attempts, in milliseconds.
    pub max_delay_ms: u64,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            attempts: 8,
            first_delay_ms: 200,
            max_delay_ms: 5_000,
        }
    }
}

impl Reconnect {
    /// The wait before attempt `attempt` (0-based).
    pub fn delay_ms(&self, attempt: u32) -> u64 {
        self.first_delay_ms
            .saturating_mul(1u64 << attempt.min(32))
            .min(self.max_delay_ms)
    }
}

/// Something the transport must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Io {
    /// Open a new socket to the host, then call [`Core::opened`] or [`Core::open_failed`].
    Open,
    /// Send this binary frame on the open socket.
    Send(Vec<u8>),
    /// Close the socket (no [`Core::disconnected`] is expected for it).
    Close,
}

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// The host refused it.
    #[error("{0}")]
    Refused(WireError),
    /// The connection dropped before the answer came.
    #[error(
        "the connection to the host dropped before the answer came; it is being re-established, retry in a moment"
    )]
    Disconnected,
    /// The connection is not open now (connecting, reconnecting or closed).
    #[error(
        "not connected to the host right now; wait for `reconnected` (or connect again) and retry"
    )]
    NotConnected,
    /// No answer in time.
    #[error("the host did not answer in time; retry")]
    Timeout,
}

impl RequestError {
    /// A stable code: the host's for refusals, else `disconnected`, `not_connected` or
    /// `timeout`.
    pub fn code(&self) -> &str {
        match self {
            RequestError::Refused(e) => &e.code,
            RequestError::Disconnected => "disconnected",
            RequestError::NotConnected => "not_connected",
            RequestError::Timeout => "timeout",
        }
    }
}

/// The answer to a request made with [`Core::request`].
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The id [`Core::request`] returned.
    pub id: u32,
    /// The reply (game values in [`Config::values`]) or why there is none.
    pub result: Result<Reply<Payload>, RequestError>,
}

/// Everything that happens, in order. Game values are in [`Config::values`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Your room changed.
    Room(RoomState),
    /// Someone spoke.
    Chat {
        /// Player id.
        from: u64,
        /// Name.
        name: String,
        /// Text.
        text: String,
    },
    /// A game started (or, after a resume, is still running).
    Started(Started<Payload>),
    /// Perfect information: a log entry (already applied to the mirror).
    Entry {
        /// Log index.
        seq: u64,
        /// Who acted.
        seat: u8,
        /// The action.
        action: Payload,
        /// Its events.
        events: Payload,
    },
    /// Hidden information: your new view.
    View {
        /// Your stream position.
        seq: u64,
        /// The view.
        view: Payload,
        /// Events of the action.
        events: Payload,
    },
    /// Real time: a snapshot.
    Snapshot {
        /// Ticks simulated.
        tick: u64,
        /// Log length.
        index: u64,
        /// The view.
        view: Payload,
        /// Events since the previous snapshot.
        events: Payload,
    },
    /// A leaderboard you subscribed to.
    Leaderboard {
        /// Game.
        game: String,
        /// Rows, best first.
        standings: Vec<Standing>,
    },
    /// You left your room (kicked, superseded, closed …).
    Left(String),
    /// The host reported a problem not tied to a request.
    Error(WireError),
    /// The mirror's hash differs from the host's at this log length.
    Desync(u64),
    /// The connection dropped; reconnecting if the policy allows.
    Disconnected(String),
    /// The connection is back (and the seat resumed, if there was one).
    Reconnected,
    /// The connection is gone for good: the host said `closing`, refused the handshake, or
    /// reconnecting failed.
    Closed(String),
}

/// Why a game value could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// No room (or no game) yet.
    #[error("you are in no room with a running game; join one (and wait for `started`) first")]
    NoGame,
    /// The rules refused the value.
    #[error(transparent)]
    Rule(#[from] RuleError),
}

impl ValueError {
    /// A stable code, as the protocol's.
    pub fn code(&self) -> &str {
        match self {
            ValueError::NoGame => codes::NOT_IN_ROOM,
            ValueError::Rule(e) => e.code(),
        }
    }
}

/// A frame from the host that is not a Hearth message; nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct BadFrame(pub WireError);

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Waiting for the transport to open a socket (attempt number).
    Opening(u32),
    /// `hello` sent, waiting for `welcome`.
    Greeting(u32),
    /// `resume` sent after a reconnect, waiting for `joined`.
    Resuming(u32),
    /// Requests may be sent.
    Open,
    /// Waiting until `at` to start attempt `attempt`.
    Backoff { attempt: u32, at: u64 },
    /// For good.
    Closed,
}

/// What a request id is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The game's request; `leave` clears the game once answered.
    User {
        leave: bool,
    },
    Hello,
    Resume,
    /// A mirror hash report: only a mismatch is of interest.
    Hash,
}

#[derive(Debug, Clone, Copy)]
struct Waiting {
    purpose: Purpose,
    deadline: u64,
}

/// The client protocol's state machine. See the crate docs.
pub struct Core {
    config: Config,
    link: Link,
    next_id: u32,
    pending: BTreeMap<u32, Waiting>,
    io: VecDeque<Io>,
    events: VecDeque<Event>,
    completions: VecDeque<Completion>,
    welcome: Option<Welcome>,
    refusal: Option<WireError>,
    /// The game of the room we are in (known before its `started`).
    game: Option<String>,
    started: Option<Started<Payload>>,
    /// The seat's resume token while a game runs.
    token: Option<String>,
    /// The next stream position expected (entries or views).
    next: u64,
    mirror: Option<DynSession>,
    view: Option<Payload>,
    tick: u64,
    /// Why the link last dropped (kept for the final `closed`).
    last_drop: String,
}

impl Core {
    /// A core about to connect: the transport opens the first socket and reports
    /// [`Core::opened`] or [`Core::open_failed`].
    pub fn new(config: Config) -> Core {
        Core {
            config,
            link: Link::Opening(0),
            next_id: 0,
            pending: BTreeMap::new(),
            io: VecDeque::new(),
            events: VecDeque::new(),
            completions: VecDeque::new(),
            welcome: None,
            refusal: None,
            game: None,
            started: None,
            token: None,
            next: 0,
            mirror: None,
            view: None,
            tick: 0,
            last_drop: String::new(),
        }
    }

    // ----- inputs ------------------------------------------------------------------------

    /// The socket the core asked for (or the first one) is open: say hello.
    pub fn opened(&mut self, now: u64) {
        let Link::Opening(attempt) = self.link else {
            return;
        };
        let hello = Request::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: self.config.catalog.fingerprints(),
            name: self.config.name.clone(),
            token: self.config.token.clone(),
        });
        self.send_wire(hello, Purpose::Hello, now);
        self.link = Link::Greeting(attempt);
    }

    /// Opening the socket failed.
    pub fn open_failed(&mut self, reason: &str, now: u64) {
        if let Link::Opening(attempt) = self.link {
            self.attempt_failed(attempt, reason, now);
        }
    }

    /// The socket dropped (the host closed it or the network failed).
    pub fn disconnected(&mut self, reason: &str, now: u64) {
        self.fail_pending(RequestError::Disconnected);
        match self.link {
            Link::Open => {
                self.events
                    .push_back(Event::Disconnected(reason.to_string()));
                self.last_drop = reason.to_string();
                if self.config.reconnect.is_some() {
                    self.backoff(0, now);
                } else {
                    self.close_for_good(reason.to_string());
                }
            }
            Link::Opening(a) | Link::Greeting(a) | Link::Resuming(a) => {
                self.attempt_failed(a, reason, now)
            }
            Link::Backoff { .. } | Link::Closed => {}
        }
    }

    /// A binary frame from the host. A frame that is not a Hearth message is refused and
    /// changes nothing.
    pub fn receive(&mut self, frame: &[u8], now: u64) -> Result<(), BadFrame> {
        let msg = from_postcard::<ServerMsg<WireBytes>>(frame).map_err(BadFrame)?;
        self.handle(msg, now);
        Ok(())
    }

    /// Time passed: expire requests and start a due reconnect attempt. Call it at
    /// [`Core::next_deadline`] (calling it early or late is harmless).
    pub fn handle_timeout(&mut self, now: u64) {
        let due: Vec<(u32, Purpose)> = self
            .pending
            .iter()
            .filter(|(_, w)| w.deadline <= now)
            .map(|(id, w)| (*id, w.purpose))
            .collect();
        for (id, purpose) in due {
            // An earlier expiry may have dropped the link and failed the rest already.
            if self.pending.remove(&id).is_none() {
                continue;
            }
            match purpose {
                Purpose::User { .. } => self.completions.push_back(Completion {
                    id,
                    result: Err(RequestError::Timeout),
                }),
                // A host that takes the socket but never answers the handshake: this attempt
                // failed.
                Purpose::Hello | Purpose::Resume => {
                    self.io.push_back(Io::Close);
                    self.disconnected("the host did not answer the handshake in time", now);
                }
                Purpose::Hash => {}
            }
        }
        if let Link::Backoff { attempt, at } = self.link
            && at <= now
        {
            self.link = Link::Opening(attempt);
            self.io.push_back(Io::Open);
        }
    }

    /// Sends a request (game values as JSON or postcard); its answer comes back as a
    /// [`Completion`] with the returned id. Refused at once when the connection is not open
    /// or a game value does not fit the room's game.
    pub fn request(&mut self, req: Request<Payload>, now: u64) -> Result<u32, RequestError> {
        if self.link != Link::Open {
            return Err(RequestError::NotConnected);
        }
        let leave = matches!(req, Request::Leave);
        let wire = request_to_wire(&self.config.catalog, self.game.as_deref(), req)
            .map_err(RequestError::Refused)?;
        Ok(self.send_wire(wire, Purpose::User { leave }, now))
    }

    /// Closes for good: waiting requests fail, the socket is closed, nothing reconnects.
    pub fn close(&mut self) {
        self.fail_pending(RequestError::Disconnected);
        if self.link != Link::Closed {
            self.link = Link::Closed;
            self.io.push_back(Io::Close);
        }
    }

    // ----- outputs -----------------------------------------------------------------------

    /// The next thing the transport must do.
    pub fn poll_io(&mut self) -> Option<Io> {
        self.io.pop_front()
    }

    /// The next answer to a request.
    pub fn poll_completion(&mut self) -> Option<Completion> {
        self.completions.pop_front()
    }

    /// The next event for the game.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Core::handle_timeout`] should next run, if anything waits.
    pub fn next_deadline(&self) -> Option<u64> {
        let backoff = match self.link {
            Link::Backoff { at, .. } => Some(at),
            _ => None,
        };
        self.pending
            .values()
            .map(|w| w.deadline)
            .chain(backoff)
            .min()
    }

    // ----- state -------------------------------------------------------------------------

    /// Requests may be sent now.
    pub fn is_open(&self) -> bool {
        self.link == Link::Open
    }

    /// The connection is gone for good.
    pub fn is_closed(&self) -> bool {
        self.link == Link::Closed
    }

    /// The host's welcome (the latest, after reconnects).
    pub fn welcome(&self) -> Option<&Welcome> {
        self.welcome.as_ref()
    }

    /// Why the host refused the first handshake, if it did.
    pub fn refusal(&self) -> Option<&WireError> {
        self.refusal.as_ref()
    }

    /// The game of the room you are in.
    pub fn game(&self) -> Option<&str> {
        self.game.as_deref()
    }

    /// The running game's `started` (your seat, the config in [`Config::values`], …).
    pub fn started(&self) -> Option<&Started<Payload>> {
        self.started.as_ref()
    }

    /// The token that resumes your seat while a game runs.
    pub fn resume_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The next stream position expected: what a resume asks for.
    pub fn stream_position(&self) -> u64 {
        self.next
    }

    /// The perfect-information mirror: the game replayed from the log with the shared rules.
    pub fn mirror(&self) -> Option<&DynSession> {
        self.mirror.as_ref()
    }

    /// The mirror's state hash (16 hex digits).
    pub fn mirror_hash(&self) -> Option<String> {
        self.mirror.as_ref().map(|m| hash_hex(m.hash()))
    }

    /// The latest view the host sent (hidden-information and real-time games).
    pub fn latest_view(&self) -> Option<&Payload> {
        self.view.as_ref()
    }

    /// Your view now: the mirror's for your seat in perfect-information games, else the
    /// latest the host sent.
    pub fn view(&self) -> Option<Payload> {
        let viewer = match self.started.as_ref().and_then(|s| s.seat) {
            Some(s) => Viewer::Seat(Seat(s)),
            None => Viewer::Spectator,
        };
        match &self.mirror {
            Some(m) => m.view(viewer, self.config.values).ok(),
            None => self.view.clone(),
        }
    }

    /// The tick of the latest snapshot (real-time games): stamp inputs with it.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// A forecast for client-side prediction in real-time games: the running game continued
    /// from a host's `view` (JSON or postcard) at `tick`. Apply your own input and tick it
    /// ahead of the next snapshot, draw it, and throw it away when the snapshot comes.
    pub fn predict(&self, view: &Payload, tick: u64) -> Result<DynSession, ValueError> {
        let s = self.started.as_ref().ok_or(ValueError::NoGame)?;
        Ok(self
            .config
            .catalog
            .predict(&s.game, &s.config, s.seats, tick, view)?)
    }

    /// One of the current game's values in another encoding.
    pub fn convert(
        &self,
        kind: ValueKind,
        value: &Payload,
        to: Encoding,
    ) -> Result<Payload, ValueError> {
        let game = self.game.as_ref().ok_or(ValueError::NoGame)?;
        Ok(self.config.catalog.convert(game, kind, value, to)?)
    }

    /// The configuration this core was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ----- inside ------------------------------------------------------------------------

    fn send_wire(&mut self, req: Request<WireBytes>, purpose: Purpose, now: u64) -> u32 {
        // Ids are never 0, and skip any still waiting after a wrap.
        loop {
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.pending.contains_key(&self.next_id) {
                break;
            }
        }
        let id = self.next_id;
        self.pending.insert(
            id,
            Waiting {
                purpose,
                deadline: now.saturating_add(self.config.reply_timeout_ms),
            },
        );
        self.io
            .push_back(Io::Send(to_postcard(&ClientMsg { id, req })));
        id
    }

    fn fail_pending(&mut self, why: RequestError) {
        for (id, w) in std::mem::take(&mut self.pending) {
            if let Purpose::User { .. } = w.purpose {
                self.completions.push_back(Completion {
                    id,
                    result: Err(why.clone()),
                });
            }
        }
    }

    fn backoff(&mut self, attempt: u32, now: u64) {
        let policy = self.config.reconnect.unwrap_or_default();
        self.link = Link::Backoff {
            attempt,
            at: now.saturating_add(policy.delay_ms(attempt)),
        };
    }

    fn attempt_failed(&mut self, attempt: u32, reason: &str, now: u64) {
        // The first connection is not retried: whoever asked to connect hears why.
        if self.welcome.is_none() {
            return self.close_for_good(reason.to_string());
        }
        let attempts = self.config.reconnect.map_or(0, |r| r.attempts);
        if attempt + 1 >= attempts {
            let why = format!("{}; reconnecting failed ({reason})", self.last_drop);
            return self.close_for_good(why);
        }
        self.backoff(attempt + 1, now);
    }

    fn close_for_good(&mut self, reason: String) {
        self.fail_pending(RequestError::Disconnected);
        self.link = Link::Closed;
        self.events.push_back(Event::Closed(reason));
    }

    /// A game value from the wire in the encoding the game asked for (`null` if it is not
    /// one of the game's values: the host and this client disagree, which the handshake's
    /// fingerprints rule out).
    fn value(&self, kind: ValueKind, bytes: WireBytes) -> Payload {
        let p = Payload::Postcard(bytes.0);
        if self.config.values == Encoding::Postcard && kind != ValueKind::Config {
            return p;
        }
        let Some(game) = &self.game else {
            return p;
        };
        self.config
            .catalog
            .convert(game, kind, &p, self.config.values)
            .unwrap_or(match self.config.values {
                Encoding::Json => Payload::encode(&(), Encoding::Json),
                Encoding::Postcard => p,
            })
    }

    fn reply(&self, reply: Reply<WireBytes>) -> Reply<Payload> {
        match reply {
            Reply::Legal { actions } => Reply::Legal {
                actions: self.value(ValueKind::Actions, actions),
            },
            Reply::View { index, tick, view } => Reply::View {
                index,
                tick,
                view: self.value(ValueKind::View, view),
            },
            other => other.map_payload(Payload::from),
        }
    }

    fn handle(&mut self, msg: ServerMsg<WireBytes>, now: u64) {
        match msg {
            ServerMsg::Reply { id, reply } => self.answered(id, Ok(reply), now),
            ServerMsg::Error {
                id: Some(id),
                error,
            } => self.answered(id, Err(error), now),
            ServerMsg::Error { id: None, error } => self.events.push_back(Event::Error(error)),
            ServerMsg::Room(state) => {
                self.game = Some(state.game.clone());
                self.events.push_back(Event::Room(state));
            }
            ServerMsg::Chat { from, name, text } => {
                self.events.push_back(Event::Chat { from, name, text })
            }
            ServerMsg::Started(s) => self.on_started(s),
            ServerMsg::Entry {
                seq,
                seat,
                action,
                events,
                ..
            } => {
                if !self.in_order(seq, now) {
                    return;
                }
                let raw = Payload::Postcard(action.0.clone());
                let mut report = None;
                if let Some(m) = self.mirror.as_mut()
                    && seq == m.log_len()
                {
                    match m.apply(Seat(seat), &raw) {
                        Ok(_) => report = Some((m.log_len(), m.hash())),
                        Err(_) => self.events.push_back(Event::Desync(seq)),
                    }
                }
                // Report the mirror's hash so a desync surfaces at once; the host's answer
                // becomes `Desync` if it differs.
                if let Some((index, hash)) = report
                    && self.link == Link::Open
                {
                    let req = Request::Hash {
                        index,
                        hash: hash_hex(hash),
                    };
                    self.send_wire(req, Purpose::Hash, now);
                }
                let action = self.value(ValueKind::Action, action);
                let events = self.value(ValueKind::Events, events);
                self.events.push_back(Event::Entry {
                    seq,
                    seat,
                    action,
                    events,
                });
            }
            ServerMsg::View {
                seq, view, events, ..
            } => {
                if !self.in_order(seq, now) {
                    return;
                }
                let view = self.value(ValueKind::View, view);
                let events = self.value(ValueKind::Events, events);
                self.view = Some(view.clone());
                self.events.push_back(Event::View { seq, view, events });
            }
            ServerMsg::Snapshot {
                tick,
                index,
                view,
                events,
            } => {
                let view = self.value(ValueKind::View, view);
                let events = self.value(ValueKind::Events, events);
                self.tick = tick;
                self.view = Some(view.clone());
                self.events.push_back(Event::Snapshot {
                    tick,
                    index,
                    view,
                    events,
                });
            }
            ServerMsg::Leaderboard { game, standings } => self
                .events
                .push_back(Event::Leaderboard { game, standings }),
            ServerMsg::Left { reason } => {
                // The seat is gone: nothing to resume.
                self.token = None;
                self.events.push_back(Event::Left(reason));
            }
            ServerMsg::Closing { code, message } => {
                self.io.push_back(Io::Close);
                self.close_for_good(format!("{code}: {message}"));
            }
        }
    }

    /// Whether a stream item at `seq` is the next one. Duplicates are dropped. A seated
    /// player's stream has no gaps, so a gap means frames were lost: the link is dropped and
    /// the seat resumed from the first missing position.
    fn in_order(&mut self, seq: u64, now: u64) -> bool {
        if seq < self.next {
            return false;
        }
        if seq > self.next && self.token.is_some() && self.link == Link::Open {
            self.io.push_back(Io::Close);
            self.disconnected(
                &format!(
                    "the stream skipped from {} to {seq}; resuming the seat",
                    self.next
                ),
                now,
            );
            return false;
        }
        self.next = seq + 1;
        true
    }

    fn answered(&mut self, id: u32, result: Result<Reply<WireBytes>, WireError>, now: u64) {
        let Some(waiting) = self.pending.remove(&id) else {
            // An answer after its request timed out or its connection dropped.
            return;
        };
        match (waiting.purpose, result) {
            (Purpose::User { leave }, Ok(reply)) => {
                if let Reply::Joined(state) = &reply {
                    self.game = Some(state.game.clone());
                }
                if leave {
                    self.token = None;
                    self.started = None;
                    self.mirror = None;
                    self.view = None;
                }
                let result = Ok(self.reply(reply));
                self.completions.push_back(Completion { id, result });
            }
            (Purpose::User { .. }, Err(e)) => self.completions.push_back(Completion {
                id,
                result: Err(RequestError::Refused(e)),
            }),
            (Purpose::Hello, Ok(Reply::Welcome(w))) => {
                let again = self.welcome.is_some();
                self.welcome = Some(w);
                let Link::Greeting(attempt) = self.link else {
                    return;
                };
                match (&self.token, again) {
                    (Some(token), true) => {
                        let req = Request::Resume {
                            token: token.clone(),
                            next: self.next,
                        };
                        self.send_wire(req, Purpose::Resume, now);
                        self.link = Link::Resuming(attempt);
                    }
                    _ => self.reopened(again),
                }
            }
            (Purpose::Hello, Ok(_)) => {
                self.io.push_back(Io::Close);
                // Not the reply's Debug text: that would pull the Debug code of every
                // protocol type (and float formatting) into the browser module.
                let e = WireError::new(
                    codes::BAD_REQUEST,
                    "the host answered hello with something other than a welcome; is it a Hearth host?",
                );
                self.refused(e);
            }
            (Purpose::Hello, Err(e)) => {
                self.io.push_back(Io::Close);
                self.refused(e);
            }
            (Purpose::Resume, result) => {
                if let Ok(Reply::Joined(state)) = &result {
                    self.game = Some(state.game.clone());
                    // The room may have changed while the link was down (someone got ready,
                    // left, took the host's role): the game sees it as it is now.
                    self.events.push_back(Event::Room(state.clone()));
                }
                // The seat is gone (grace period over, room closed): say so, stay connected.
                if let Err(e) = result {
                    self.token = None;
                    self.events.push_back(Event::Error(e));
                }
                self.reopened(true);
            }
            (
                Purpose::Hash,
                Ok(Reply::HashChecked {
                    index,
                    matches: false,
                    host: Some(_),
                }),
            ) => self.events.push_back(Event::Desync(index)),
            (Purpose::Hash, _) => {}
        }
    }

    fn reopened(&mut self, again: bool) {
        self.link = Link::Open;
        if again {
            self.events.push_back(Event::Reconnected);
            // A host keeps a member across a drop only for a seat in a running game (its
            // resume token); a lobby member or a spectator was let go with the old link.
            if self.token.is_none() && self.game.take().is_some() {
                self.started = None;
                self.mirror = None;
                self.view = None;
                self.events.push_back(Event::Left(
                    "the connection dropped; join the room again".into(),
                ));
            }
        }
    }

    fn refused(&mut self, e: WireError) {
        let reason = format!("the host refused the handshake: {e}");
        if self.welcome.is_none() {
            self.refusal = Some(e);
        }
        self.close_for_good(reason);
    }

    fn on_started(&mut self, s: Started<WireBytes>) {
        self.game = Some(s.game.clone());
        let config = self.value(ValueKind::Config, s.config.clone());
        // A new game (not a resume of this one) restarts the stream, the view and the mirror.
        let same = s.resume.is_some() && self.token == s.resume;
        if !same {
            self.next = 0;
            self.view = None;
            self.tick = 0;
            self.mirror = match (s.sync, s.seed) {
                (SyncMode::PerfectInformation, Some(seed)) => self
                    .config
                    .catalog
                    .create(
                        &s.game,
                        &Payload::Postcard(s.config.0.clone()),
                        s.seats,
                        seed,
                    )
                    .ok(),
                _ => None,
            };
        }
        self.token = s.resume.clone();
        let started = s.map_config(|_| config);
        self.started = Some(started.clone());
        self.events.push_back(Event::Started(started));
    }
}
