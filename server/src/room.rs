//! One room: a tokio task that owns its members and its game session. Connections reach it
//! only through its channel; it answers through their outboxes, which never block it.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use hearth_rules::protocol::{
    JoinAs, Member, PlayerId, Reply, Request, RoomPhase, RoomState, RoomSummary, ServerMsg,
    Started, WireError, codes,
};
use hearth_rules::{DynSession, Encoding, GameMeta, Payload, Seat, SyncMode, Viewer, hash_hex};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::config::HostConfig;
use crate::metrics::Metrics;
use crate::secrets::{random_seed, random_token};
use crate::services::MatchStart;
use crate::wire::{Fanout, Frame, Outbox};

/// Strongest bot a room runs (connect-four's search depth): deeper would stall the room.
const MAX_BOT_LEVEL: u8 = 6;

/// Real-time hashes kept for desync checks, in ticks.
const RECENT_HASHES: usize = 256;

/// What connections (and the embedding process) ask of a room.
pub(crate) enum RoomCmd {
    /// Enter the room.
    Join {
        /// The connection's link for this join.
        link: u64,
        /// Who.
        player: PlayerId,
        /// Their display name.
        name: String,
        /// Where to send them things.
        outbox: Outbox,
        /// The request id to answer.
        id: u32,
        /// The password they gave.
        password: Option<String>,
        /// Sit or watch.
        join_as: JoinAs,
        /// They created the room just now (no password needed).
        creator: bool,
    },
    /// Take a seat back after a dropped connection.
    Resume {
        /// The new connection's link.
        link: u64,
        /// Who is resuming.
        player: PlayerId,
        /// Where to send things now.
        outbox: Outbox,
        /// The request id to answer.
        id: u32,
        /// The seat's resume token.
        token: String,
        /// The first stream `seq` wanted.
        next: u64,
    },
    /// A room-level request from a member.
    Request {
        /// The member's link.
        link: u64,
        /// The request id to answer.
        id: u32,
        /// What they ask.
        req: Request<Payload>,
    },
    /// A member's connection closed.
    Gone {
        /// The member's link.
        link: u64,
    },
    /// An administrator closes the room.
    Close {
        /// Told to the members.
        reason: String,
    },
    /// An administrator removes a member.
    KickPlayer {
        /// Who.
        player: PlayerId,
        /// Whether someone was removed.
        reply: oneshot::Sender<bool>,
    },
    /// The embedding process wants a look inside.
    Inspect {
        /// Where to answer.
        reply: oneshot::Sender<RoomInspect>,
    },
}

/// A look inside a room (for tests, the embedding process and admins).
#[derive(Debug, Clone)]
pub struct RoomInspect {
    /// The list entry.
    pub summary: RoomSummary,
    /// The current or last game as [`DynSession::snapshot`] bytes.
    pub snapshot: Option<Vec<u8>>,
    /// Everyone in the room.
    pub members: Vec<Member>,
    /// The room's phase.
    pub phase: RoomPhase,
}

/// What a room needs from the host around it. The hub implements it; rooms sit below the hub
/// (which makes and finds them) and never name it.
pub(crate) trait Directory: Send + Sync + 'static {
    /// The host's configuration.
    fn config(&self) -> &HostConfig;
    /// The host's metrics.
    fn metrics(&self) -> &Metrics;
    /// Turns true when the host shuts down.
    fn shutdown(&self) -> tokio::sync::watch::Receiver<bool>;
    /// A fresh id (bots, links).
    fn next_id(&self) -> u64;
    /// The room's entry in the list changed.
    fn set_summary(&self, key: &str, id: u64, summary: &RoomSummary);
    /// The room (this incarnation of it) is gone.
    fn remove_room(&self, key: &str, id: u64);
    /// `token` resumes a seat in the room called `key`.
    fn add_token(&self, token: &str, key: &str);
    /// These tokens resume nothing any more.
    fn remove_tokens(&self, tokens: &[String]);
}

/// A room's fixed settings, checked by the hub.
pub(crate) struct RoomSetup {
    pub(crate) name: String,
    pub(crate) key: String,
    pub(crate) meta: GameMeta,
    pub(crate) config_json: Payload,
    pub(crate) config_postcard: Payload,
    pub(crate) max_seats: u8,
    pub(crate) public: bool,
    pub(crate) password: Option<crate::names::PasswordDigest>,
}

struct MemberSlot {
    player: PlayerId,
    name: String,
    link: u64,
    outbox: Option<Outbox>,
    seat: Option<u8>,
    ready: bool,
    grace: Option<Instant>,
    token: Option<String>,
    /// A bot of this strength plays this member (a filler seat with no connection).
    bot: Option<u8>,
}

/// A stream message encoded in both encodings (kept for resumes).
struct StreamItem {
    json: Frame,
    postcard: Frame,
}

impl StreamItem {
    fn get(&self, encoding: Encoding) -> Frame {
        match encoding {
            Encoding::Json => self.json.clone(),
            Encoding::Postcard => self.postcard.clone(),
        }
    }
}

struct PendingInput {
    seat: u8,
    /// Arrival order (bots' inputs come last).
    seq: u64,
    id: u32,
    action: Payload,
}

struct Running {
    session: DynSession,
    sync: SyncMode,
    seed: u64,
    players: Vec<PlayerId>,
    match_id: u64,
    /// Perfect information: one stream for all. Hidden information: one per seat.
    streams: Vec<Vec<Arc<StreamItem>>>,
    /// Turn-based: the hash after each log length.
    hashes: Vec<u64>,
    /// Real-time: (tick, hash) of recent ticks.
    recent: VecDeque<(u64, u64)>,
    pending: BTreeMap<u64, Vec<PendingInput>>,
    /// Arrival counter of real-time inputs (orders one seat's inputs within a tick).
    arrivals: u64,
    ticker: Option<Ticker>,
    finished: bool,
}

/// The room task's state.
pub(crate) struct Room {
    hub: Arc<dyn Directory>,
    id: u64,
    setup: RoomSetup,
    members: Vec<MemberSlot>,
    host: Option<PlayerId>,
    phase: RoomPhase,
    game: Option<Running>,
    /// Set when the rules panicked: the room closes with this error.
    failed: Option<WireError>,
    tokens: Vec<String>,
    /// Events of the last applied action (handed from `apply_turn` to `after_turn`).
    last_events: Payload,
}

/// Removes the room from the hub however its task ends (even by a panic in room code).
struct Deregister {
    hub: Arc<dyn Directory>,
    key: String,
    id: u64,
}

impl Drop for Deregister {
    fn drop(&mut self) {
        self.hub.remove_room(&self.key, self.id);
    }
}

/// What makes a real-time game tick: the clock, or a test's [`ManualTicks`].
struct Ticker {
    clock: Clock,
    period: Duration,
}

enum Clock {
    Wall(Interval),
    Manual(Arc<tokio::sync::Semaphore>),
}

impl Ticker {
    fn new(rate: u16, room: &str, manual: Option<&crate::config::ManualTicks>) -> Ticker {
        let period = Duration::from_micros(1_000_000 / u64::from(rate.max(1)));
        let clock = match manual {
            Some(m) => Clock::Manual(m.gate(room)),
            None => {
                let mut interval = tokio::time::interval_at(Instant::now() + period, period);
                interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
                Clock::Wall(interval)
            }
        };
        Ticker { clock, period }
    }
}

async fn next_tick(ticker: &mut Option<Running>) {
    match ticker.as_mut().and_then(|g| g.ticker.as_mut()) {
        Some(Ticker {
            clock: Clock::Wall(interval),
            ..
        }) => {
            interval.tick().await;
        }
        Some(Ticker {
            clock: Clock::Manual(gate),
            ..
        }) => match gate.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

fn err(code: &str, message: impl Into<String>) -> WireError {
    WireError::new(code, message)
}

impl Room {
    pub(crate) fn new(
        hub: Arc<dyn Directory>,
        id: u64,
        setup: RoomSetup,
        creator: PlayerId,
    ) -> Room {
        Room {
            hub,
            id,
            setup,
            members: Vec::new(),
            host: Some(creator),
            phase: RoomPhase::Lobby,
            game: None,
            failed: None,
            tokens: Vec::new(),
            last_events: Payload::Postcard(vec![0]),
        }
    }

    /// The room's task: runs until the room is empty, fails or the host shuts down.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<RoomCmd>) {
        let _deregister = Deregister {
            hub: self.hub.clone(),
            key: self.setup.key.clone(),
            id: self.id,
        };
        let mut shutdown = self.hub.shutdown();
        if *shutdown.borrow() {
            return;
        }
        loop {
            let deadline = self.members.iter().filter_map(|m| m.grace).min();
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => self.handle(cmd).await,
                    None => break,
                },
                _ = next_tick(&mut self.game) => self.on_tick().await,
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    self.expire_graces();
                }
                _ = shutdown.changed() => {
                    if let Err(e) = self.hub.config().recorder.flush().await {
                        tracing::error!(room = %self.setup.name, "flush at shutdown failed: {e}");
                    }
                    break;
                }
            }
            if let Some(error) = self.failed.take() {
                self.abort(error);
                break;
            }
            self.repair_host();
            // Bots do not keep a room open on their own.
            if self.members.iter().all(|m| m.bot.is_some()) {
                self.members.clear();
                self.abandon_if_running();
                tracing::info!(room = %self.setup.name, "room closed (empty)");
                break;
            }
            self.hub
                .set_summary(&self.setup.key, self.id, &self.summary());
        }
        self.hub.remove_tokens(&self.tokens);
    }

    async fn handle(&mut self, cmd: RoomCmd) {
        match cmd {
            RoomCmd::Join {
                link,
                player,
                name,
                outbox,
                id,
                password,
                join_as,
                creator,
            } => {
                if let Err(e) =
                    self.join(link, player, name, &outbox, id, password, join_as, creator)
                {
                    outbox.send_msg(&ServerMsg::Error {
                        id: Some(id),
                        error: e,
                    });
                    outbox.left(link);
                }
            }
            RoomCmd::Resume {
                link,
                player,
                outbox,
                id,
                token,
                next,
            } => {
                if let Err(e) = self.resume(link, player, &outbox, id, &token, next) {
                    outbox.send_msg(&ServerMsg::Error {
                        id: Some(id),
                        error: e,
                    });
                    outbox.left(link);
                }
            }
            RoomCmd::Request { link, id, req } => {
                let Some(idx) = self.members.iter().position(|m| m.link == link) else {
                    return;
                };
                match self.request(idx, id, req).await {
                    Ok(Some(reply)) => self.reply(idx, id, reply),
                    Ok(None) => {}
                    Err(e) => self.send_to(
                        idx,
                        &ServerMsg::Error {
                            id: Some(id),
                            error: e,
                        },
                    ),
                }
            }
            RoomCmd::Gone { link } => {
                let Some(idx) = self.members.iter().position(|m| m.link == link) else {
                    return;
                };
                let held =
                    matches!(self.phase, RoomPhase::Playing) && self.members[idx].seat.is_some();
                if held {
                    let m = &mut self.members[idx];
                    m.outbox = None;
                    m.grace = Some(Instant::now() + self.hub.config().limits.seat_grace);
                    tracing::info!(room = %self.setup.name, player = m.player, "seat held for a resume");
                    self.push_room_state();
                } else {
                    self.remove_member(idx, None);
                }
            }
            RoomCmd::Inspect { reply } => {
                let _ = reply.send(RoomInspect {
                    summary: self.summary(),
                    snapshot: self.game.as_ref().map(|g| g.session.snapshot()),
                    members: if self.members.is_empty() {
                        Vec::new()
                    } else {
                        self.state_for(0).members
                    },
                    phase: self.phase.clone(),
                });
            }
            RoomCmd::Close { reason } => {
                tracing::info!(room = %self.setup.name, "closed by an administrator");
                self.failed = Some(err(codes::ROOM_CLOSED, reason));
            }
            RoomCmd::KickPlayer { player, reply } => {
                let found = self.members.iter().position(|m| m.player == player);
                if let Some(idx) = found {
                    self.remove_member(idx, Some("kicked"));
                }
                let _ = reply.send(found.is_some());
            }
        }
    }

    // ----- lobby --------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn join(
        &mut self,
        link: u64,
        player: PlayerId,
        name: String,
        outbox: &Outbox,
        id: u32,
        password: Option<String>,
        join_as: JoinAs,
        creator: bool,
    ) -> Result<(), WireError> {
        if let Some(want) = &self.setup.password
            && !creator
            && !password.as_deref().is_some_and(|p| want.matches(p))
        {
            let message = match password.as_deref() {
                None | Some("") => format!(
                    "room `{}` needs its password; ask its host for it",
                    self.setup.name
                ),
                Some(_) => format!(
                    "that is not the password of room `{}`; check it with its host and retry",
                    self.setup.name
                ),
            };
            return Err(err(codes::WRONG_PASSWORD, message));
        }
        // The same account coming back (accounts give stable ids): take over its place.
        if let Some(idx) = self.members.iter().position(|m| m.player == player) {
            self.rebind(idx, link, outbox.clone());
            self.reply(idx, id, Reply::Joined(self.state_for(idx)));
            self.send_game_intro(idx, 0);
            self.push_room_state();
            return Ok(());
        }
        let seat = match join_as {
            JoinAs::Spectator => None,
            JoinAs::Player => {
                if matches!(self.phase, RoomPhase::Playing) {
                    return Err(err(
                        codes::ALREADY_STARTED,
                        format!(
                            "room `{}` is playing already; watch as a spectator, or resume your own seat with its token",
                            self.setup.name
                        ),
                    ));
                }
                Some(self.free_seat().ok_or_else(|| {
                    err(
                        codes::ROOM_FULL,
                        format!(
                            "all {} seats of room `{}` are taken; join as a spectator or try another room",
                            self.setup.max_seats, self.setup.name
                        ),
                    )
                })?)
            }
        };
        // Display names are unique in a room, ignoring case: a second "Ada" shows as "Ada 2".
        let taken = |n: &str| {
            self.members
                .iter()
                .any(|m| m.name.to_lowercase() == n.to_lowercase())
        };
        let name = (1..)
            .map(|i| {
                if i == 1 {
                    name.clone()
                } else {
                    format!("{name} {i}")
                }
            })
            .find(|n| !taken(n))
            .unwrap_or(name);
        self.members.push(MemberSlot {
            player,
            name,
            link,
            outbox: Some(outbox.clone()),
            seat,
            ready: false,
            grace: None,
            token: None,
            bot: None,
        });
        let idx = self.members.len() - 1;
        self.reply(idx, id, Reply::Joined(self.state_for(idx)));
        self.send_game_intro(idx, 0);
        self.push_room_state_except(Some(idx));
        Ok(())
    }

    fn resume(
        &mut self,
        link: u64,
        player: PlayerId,
        outbox: &Outbox,
        id: u32,
        token: &str,
        next: u64,
    ) -> Result<(), WireError> {
        let Some(idx) = self
            .members
            .iter()
            .position(|m| m.token.as_deref() == Some(token))
        else {
            return Err(err(
                codes::BAD_RESUME,
                "that resume token is unknown or its seat was given up; join the room again",
            ));
        };
        // A seat that belongs to an account is resumed only by that account.
        let owner = self.members[idx].player;
        if owner < crate::services::ANONYMOUS_IDS && owner != player {
            return Err(err(
                codes::BAD_RESUME,
                "that seat belongs to another account",
            ));
        }
        self.rebind(idx, link, outbox.clone());
        self.reply(idx, id, Reply::Joined(self.state_for(idx)));
        self.send_game_intro(idx, next);
        self.push_room_state_except(Some(idx));
        Ok(())
    }

    /// Points a member at a new connection; the old one (if still open) is told it was
    /// superseded.
    fn rebind(&mut self, idx: usize, link: u64, outbox: Outbox) {
        let m = &mut self.members[idx];
        if let Some(old) = m.outbox.take() {
            old.send_msg(&ServerMsg::Left {
                reason: "superseded".into(),
            });
            old.left(m.link);
        }
        m.link = link;
        m.outbox = Some(outbox);
        m.grace = None;
        tracing::info!(room = %self.setup.name, player = m.player, "member (re)connected");
    }

    fn free_seat(&self) -> Option<u8> {
        (0..self.setup.max_seats).find(|s| self.members.iter().all(|m| m.seat != Some(*s)))
    }

    async fn request(
        &mut self,
        idx: usize,
        id: u32,
        req: Request<Payload>,
    ) -> Result<Option<Reply<Payload>>, WireError> {
        let playing = matches!(self.phase, RoomPhase::Playing);
        let running = || {
            err(
                codes::GAME_RUNNING,
                "a game is running; this is for the lobby (before a game or after it ends)",
            )
        };
        match req {
            Request::Sit { seat } => {
                if playing {
                    return Err(running());
                }
                let seat = match seat {
                    Some(s) => {
                        let taken = self
                            .members
                            .iter()
                            .enumerate()
                            .any(|(i, m)| i != idx && m.seat == Some(s));
                        if s >= self.setup.max_seats || taken {
                            return Err(err(
                                codes::SEAT_TAKEN,
                                format!(
                                    "seat {s} is taken or not in this room (seats 0 to {}); pick a free one or leave it out",
                                    self.setup.max_seats - 1
                                ),
                            ));
                        }
                        s
                    }
                    None => match self.members[idx].seat {
                        Some(s) => s,
                        None => self.free_seat().ok_or_else(|| {
                            err(
                                codes::ROOM_FULL,
                                "every seat is taken; keep watching or try another room",
                            )
                        })?,
                    },
                };
                self.members[idx].seat = Some(seat);
                self.members[idx].ready = false;
                self.push_room_state();
                Ok(Some(Reply::Ok))
            }
            Request::Stand => {
                if playing {
                    return Err(running());
                }
                self.members[idx].seat = None;
                self.members[idx].ready = false;
                self.push_room_state();
                Ok(Some(Reply::Ok))
            }
            Request::Ready { ready } => {
                if playing {
                    return Err(running());
                }
                if self.members[idx].seat.is_none() {
                    return Err(err(codes::NOT_SEATED, "take a seat before you get ready"));
                }
                self.members[idx].ready = ready;
                self.push_room_state();
                Ok(Some(Reply::Ok))
            }
            Request::Start => {
                if self.host != Some(self.members[idx].player) {
                    return Err(err(
                        codes::NOT_HOST,
                        "only the room's host can start the game",
                    ));
                }
                if playing {
                    return Err(running());
                }
                self.start(idx, id).await?;
                self.drive_bots().await;
                Ok(None)
            }
            Request::AddBot { level } => {
                if self.host != Some(self.members[idx].player) {
                    return Err(err(codes::NOT_HOST, "only the room's host can add bots"));
                }
                if playing {
                    return Err(running());
                }
                let seat = self.free_seat().ok_or_else(|| {
                    err(
                        codes::ROOM_FULL,
                        "every seat is taken; there is no room for a bot",
                    )
                })?;
                let n = self.members.iter().filter(|m| m.bot.is_some()).count() + 1;
                let player = self.hub.next_id();
                self.members.push(MemberSlot {
                    player,
                    name: format!("Bot {n}"),
                    link: 0,
                    outbox: None,
                    seat: Some(seat),
                    ready: true,
                    grace: None,
                    token: None,
                    bot: Some(level.clamp(1, MAX_BOT_LEVEL)),
                });
                self.push_room_state();
                Ok(Some(Reply::Ok))
            }
            Request::Leave => {
                self.reply(idx, id, Reply::Ok);
                self.remove_member(idx, Some("left"));
                Ok(None)
            }
            Request::Kick { player } => {
                if self.host != Some(self.members[idx].player) {
                    return Err(err(codes::NOT_HOST, "only the room's host can kick"));
                }
                if player == self.members[idx].player {
                    return Err(err(
                        codes::BAD_REQUEST,
                        "you cannot kick yourself; leave instead",
                    ));
                }
                let Some(target) = self.members.iter().position(|m| m.player == player) else {
                    return Err(err(
                        codes::UNKNOWN_PLAYER,
                        format!("player {player} is not in this room"),
                    ));
                };
                self.reply(idx, id, Reply::Ok);
                tracing::info!(room = %self.setup.name, player, "kicked");
                self.remove_member(target, Some("kicked"));
                Ok(None)
            }
            Request::Chat { text } => {
                let text = crate::names::chat(&text)?;
                let from = self.members[idx].player;
                let name = self.members[idx].name.clone();
                self.broadcast(|_| ServerMsg::Chat {
                    from,
                    name: name.clone(),
                    text: text.clone(),
                });
                Ok(Some(Reply::Ok))
            }
            Request::Action { action, tick } => self.action(idx, id, action, tick).await,
            Request::View => {
                let enc = self.encoding(idx);
                let viewer = self.viewer(idx);
                let game = self.game_or_err()?;
                let (index, tick) = (game.session.log_len(), game.session.tick_count());
                let view = self.rules(|g| g.session.view(viewer, enc))??;
                Ok(Some(Reply::View { index, tick, view }))
            }
            Request::Legal => {
                let enc = self.encoding(idx);
                self.game_or_err()?;
                let Viewer::Seat(seat) = self.viewer(idx) else {
                    return Err(err(codes::NOT_SEATED, "spectators have no legal actions"));
                };
                let actions = self.rules(|g| g.session.legal_actions(seat, enc))??;
                Ok(Some(Reply::Legal { actions }))
            }
            Request::Hash { index, hash } => self.check_hash(idx, index, &hash).map(Some),
            Request::Hello(_)
            | Request::Resume { .. }
            | Request::ListGames
            | Request::ListRooms
            | Request::CreateRoom { .. }
            | Request::Join { .. }
            | Request::SubscribeLeaderboard { .. }
            | Request::Ping => Err(err(
                codes::BAD_REQUEST,
                "this request is not for a room (leave the room first to join another)",
            )),
        }
    }

    fn remove_member(&mut self, idx: usize, reason: Option<&str>) {
        let m = self.members.remove(idx);
        if let Some(outbox) = &m.outbox {
            if let Some(reason) = reason {
                outbox.send_msg(&ServerMsg::Left {
                    reason: reason.to_string(),
                });
            }
            outbox.left(m.link);
        }
        if let Some(token) = &m.token {
            self.hub.remove_tokens(std::slice::from_ref(token));
        }
        if self.host == Some(m.player) {
            // The host passes to the longest-present connected member.
            self.host = self
                .members
                .iter()
                .find(|x| x.outbox.is_some())
                .or(self.members.iter().find(|x| x.bot.is_none()))
                .map(|x| x.player);
        }
        self.abandon_if_running();
        self.push_room_state();
    }

    /// Keeps the host a present member: the creator (set before anyone enters, so a
    /// concurrent joiner cannot take it), else the longest-present connected member.
    fn repair_host(&mut self) {
        if self
            .host
            .is_some_and(|h| self.members.iter().any(|m| m.player == h))
        {
            return;
        }
        if self.host.is_some() && self.members.is_empty() {
            return;
        }
        let next = self
            .members
            .iter()
            .find(|x| x.outbox.is_some())
            .or(self.members.iter().find(|x| x.bot.is_none()))
            .map(|x| x.player);
        if next != self.host {
            self.host = next;
            self.push_room_state();
        }
    }

    fn expire_graces(&mut self) {
        let now = Instant::now();
        while let Some(idx) = self
            .members
            .iter()
            .position(|m| m.grace.is_some_and(|g| g <= now))
        {
            tracing::info!(room = %self.setup.name, player = self.members[idx].player, "seat grace expired");
            self.remove_member(idx, None);
        }
    }

    /// A running game whose players have all gone is stopped, so watchers are not left
    /// waiting forever.
    fn abandon_if_running(&mut self) {
        if !matches!(self.phase, RoomPhase::Playing)
            || self
                .members
                .iter()
                .any(|m| m.seat.is_some() && m.bot.is_none())
        {
            return;
        }
        if let Some(g) = self.game.as_mut() {
            g.ticker = None;
            g.finished = true;
            let fut = self.hub.config().recorder.finished(
                g.match_id,
                None,
                g.session.hash(),
                g.session.tick_count(),
            );
            tokio::spawn(fut);
        }
        self.phase = RoomPhase::Aborted {
            error: err(codes::ABANDONED, "every player left the game"),
        };
        self.push_room_state();
    }

    // ----- the game -----------------------------------------------------------------------

    async fn start(&mut self, idx: usize, id: u32) -> Result<(), WireError> {
        let meta = self.setup.meta.clone();
        let mut seated: Vec<usize> = (0..self.members.len())
            .filter(|&i| self.members[i].seat.is_some())
            .collect();
        seated.sort_by_key(|&i| self.members[i].seat);
        let ready = seated.iter().filter(|&&i| self.members[i].ready).count();
        if seated.len() < meta.min_seats as usize || ready < seated.len() {
            return Err(err(
                codes::NOT_READY,
                format!(
                    "{ready} of {} seated players are ready; {} needs at least {} seated and all of them ready",
                    seated.len(),
                    meta.name,
                    meta.min_seats
                ),
            ));
        }
        let seats = seated.len() as u8;
        let seed = match &self.hub.config().seeds {
            Some(pick) => pick(&self.setup.name),
            None => random_seed()?,
        };
        let catalog = self.hub.config().catalog.clone();
        let created = catch_unwind(AssertUnwindSafe(|| {
            catalog.create(&meta.name, &self.setup.config_postcard, seats, seed)
        }));
        let session = match created {
            Ok(result) => result?,
            Err(panic) => {
                self.fail_with_panic(&*panic);
                return Err(err(
                    codes::ROOM_FAILED,
                    "the game's setup failed; the room is closed",
                ));
            }
        };
        let players: Vec<PlayerId> = seated.iter().map(|&i| self.members[i].player).collect();
        let start = MatchStart {
            room: self.setup.name.clone(),
            game: meta.name.clone(),
            fingerprint: meta.fingerprint.clone(),
            seats,
            seed,
            config: self.setup.config_postcard.clone(),
            players: seated
                .iter()
                .map(|&i| (self.members[i].player, self.members[i].name.clone()))
                .collect(),
        };
        let match_id = self
            .hub
            .config()
            .recorder
            .started(start)
            .await
            .map_err(|e| {
                tracing::error!(room = %self.setup.name, "{e}");
                err(
                    codes::UNAVAILABLE,
                    "the match could not be recorded; try starting again",
                )
            })?;
        let tokens = seated
            .iter()
            .map(|_| random_token())
            .collect::<Result<Vec<_>, _>>()?;
        self.hub.remove_tokens(&self.tokens);
        self.tokens.clear();
        for ((game_seat, &i), token) in seated.iter().enumerate().zip(tokens) {
            self.hub.add_token(&token, &self.setup.key);
            self.tokens.push(token.clone());
            let m = &mut self.members[i];
            m.seat = Some(game_seat as u8);
            m.token = Some(token);
        }
        // Players confirm again for a rematch; bots are always ready.
        for m in &mut self.members {
            m.ready = m.bot.is_some();
        }
        let sync = meta.sync_mode();
        let ticker = meta
            .tick_rate
            .map(|rate| Ticker::new(rate, &self.setup.key, self.hub.config().ticks.as_ref()));
        let hash = session.hash();
        let streams = match sync {
            SyncMode::PerfectInformation => vec![Vec::new()],
            SyncMode::HiddenInformation => (0..seats).map(|_| Vec::new()).collect(),
            SyncMode::RealTime => Vec::new(),
        };
        self.game = Some(Running {
            session,
            sync,
            seed,
            players,
            match_id,
            streams,
            hashes: vec![hash],
            recent: VecDeque::from([(0, hash)]),
            pending: BTreeMap::new(),
            arrivals: 0,
            ticker,
            finished: false,
        });
        self.phase = RoomPhase::Playing;
        tracing::info!(room = %self.setup.name, game = %self.setup.meta.name, seats, match_id, "game started");
        self.reply(idx, id, Reply::Ok);
        for i in 0..self.members.len() {
            self.send_game_intro(i, u64::MAX);
        }
        if sync == SyncMode::HiddenInformation {
            self.push_views(None, &Payload::Postcard(vec![0]));
        }
        self.push_room_state();
        Ok(())
    }

    /// Sends a member the game's `Started` and the stream from `next` (`u64::MAX`: none).
    fn send_game_intro(&self, idx: usize, next: u64) {
        let Some(game) = &self.game else { return };
        let m = &self.members[idx];
        let Some(outbox) = &m.outbox else { return };
        // A finished game is only replayed to those who played it.
        if !matches!(self.phase, RoomPhase::Playing) && !game.players.contains(&m.player) {
            return;
        }
        let enc = outbox.encoding;
        let seat = m
            .seat
            .filter(|_| game.players.get(m.seat.unwrap_or(0) as usize) == Some(&m.player));
        outbox.send_msg(&ServerMsg::Started(Started {
            game: self.setup.meta.name.clone(),
            sync: game.sync,
            seats: game.players.len() as u8,
            players: game.players.clone(),
            seat,
            seed: (game.sync == SyncMode::PerfectInformation).then_some(game.seed),
            config: match enc {
                Encoding::Json => self.setup.config_json.clone(),
                Encoding::Postcard => self.setup.config_postcard.clone(),
            },
            tick_rate: self.setup.meta.tick_rate,
            resume: if seat.is_some() {
                m.token.clone()
            } else {
                None
            },
        }));
        if next == u64::MAX {
            return;
        }
        let stream = match (game.sync, seat) {
            (SyncMode::PerfectInformation, _) => game.streams.first(),
            (SyncMode::HiddenInformation, Some(s)) => game.streams.get(s as usize),
            _ => None,
        };
        match stream {
            Some(items) => {
                let from = usize::try_from(next).unwrap_or(usize::MAX).min(items.len());
                for item in &items[from..] {
                    outbox.send(item.get(enc));
                }
            }
            None if game.sync == SyncMode::HiddenInformation => {
                // Spectators of hidden-information games get the current view to start from.
                if let Ok(view) = game.session.view(Viewer::Spectator, enc) {
                    let index = game.session.log_len();
                    outbox.send_msg(&ServerMsg::View {
                        seq: index,
                        index,
                        seat: None,
                        view,
                        events: empty_events(enc),
                    });
                }
            }
            None => {}
        }
    }

    async fn action(
        &mut self,
        idx: usize,
        id: u32,
        action: Payload,
        tick: Option<u64>,
    ) -> Result<Option<Reply<Payload>>, WireError> {
        if !matches!(self.phase, RoomPhase::Playing) {
            return Err(err(
                codes::NOT_PLAYING,
                "no game is running in this room; the host starts one",
            ));
        }
        let Viewer::Seat(seat) = self.viewer(idx) else {
            return Err(err(
                codes::NOT_SEATED,
                "spectators cannot act; take a seat in the next game",
            ));
        };
        // One canonical encoding in the log, whatever the client spoke.
        let action = match self.rules(|g| g.session.convert_action(&action, Encoding::Postcard))? {
            Ok(a) => a,
            Err(e) => {
                self.hub.metrics().action(false);
                return Err(e.into());
            }
        };
        let Some(game) = self.game.as_mut() else {
            return Err(err(codes::NOT_PLAYING, "no game is running"));
        };
        if game.sync == SyncMode::RealTime {
            let now = game.session.tick_count();
            let at = tick.unwrap_or(now).max(now);
            if at > now + self.hub.config().limits.max_input_lead_ticks {
                return Err(err(
                    codes::BAD_TICK,
                    format!(
                        "input stamped for tick {at}, but the game is at tick {now}; stamp inputs with the latest snapshot's tick"
                    ),
                ));
            }
            game.arrivals += 1;
            game.pending.entry(at).or_default().push(PendingInput {
                seat: seat.0,
                seq: game.arrivals,
                id,
                action,
            });
            return Ok(None);
        }
        let Some((index, tick)) = self.apply_turn(seat, &action).await? else {
            return Ok(None);
        };
        self.reply(idx, id, Reply::Accepted { index, tick });
        self.after_turn(seat, &action, index);
        self.drive_bots().await;
        Ok(None)
    }

    /// Applies a turn-based action, records it, and returns its log index and tick
    /// (`None` if the room failed on the way).
    async fn apply_turn(
        &mut self,
        seat: Seat,
        action: &Payload,
    ) -> Result<Option<(u64, u64)>, WireError> {
        let applied = self.rules(|g| g.session.apply(seat, action))?;
        let events = match applied {
            Ok(events) => events,
            Err(e) => {
                self.hub.metrics().action(false);
                return Err(e.into());
            }
        };
        let Some(game) = self.game.as_mut() else {
            return Ok(None);
        };
        let index = game.session.log_len() - 1;
        let tick = game.session.tick_count();
        let entries = game.session.log(index, Encoding::Postcard);
        let record = self
            .hub
            .config()
            .recorder
            .append(game.match_id, entries, tick);
        if let Err(e) = record.await {
            self.failed = Some(err(codes::ROOM_FAILED, format!("{e}; the room is closed")));
            return Ok(None);
        }
        let Some(game) = self.game.as_mut() else {
            return Ok(None);
        };
        game.hashes.push(game.session.hash());
        self.hub.metrics().action(true);
        self.last_events = events;
        Ok(Some((index, tick)))
    }

    /// Tells everyone about an applied turn-based action.
    fn after_turn(&mut self, seat: Seat, action: &Payload, index: u64) {
        let Some(game) = self.game.as_ref() else {
            return;
        };
        let events = std::mem::replace(&mut self.last_events, Payload::Postcard(vec![0]));
        match game.sync {
            SyncMode::PerfectInformation => self.push_entry(index, seat.0, action, &events),
            SyncMode::HiddenInformation => self.push_views(Some(seat.0), &events),
            SyncMode::RealTime => {}
        }
        self.finish_if_over();
    }

    /// Lets bot seats act until none wants to (turn-based games). Bounded, so a game whose
    /// bots could act forever cannot stall the room.
    async fn drive_bots(&mut self) {
        // Real-time bots give their inputs in `on_tick`.
        if self
            .game
            .as_ref()
            .is_none_or(|g| g.sync == SyncMode::RealTime)
        {
            return;
        }
        for _ in 0..1000 {
            if !matches!(self.phase, RoomPhase::Playing) || self.failed.is_some() {
                return;
            }
            let bots: Vec<(u8, u8)> = self
                .members
                .iter()
                .filter_map(|m| Some((m.seat?, m.bot?)))
                .collect();
            let mut acted = false;
            for (seat, level) in bots {
                let choice = match self
                    .rules(|g| g.session.bot_action(Seat(seat), level, Encoding::Postcard))
                {
                    Ok(Ok(Some(a))) => a,
                    Ok(_) => continue,
                    Err(_) => return,
                };
                if let Ok(Some((index, _))) = self.apply_turn(Seat(seat), &choice).await {
                    self.after_turn(Seat(seat), &choice, index);
                    acted = true;
                    break;
                }
            }
            if !acted {
                return;
            }
        }
    }

    fn push_entry(&mut self, index: u64, seat: u8, action: &Payload, events: &Payload) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        let tick = game.session.tick_count();
        let both = |p: &Payload, kind: bool| -> (Payload, Payload) {
            let json = if kind {
                game.session.convert_action(p, Encoding::Json)
            } else {
                game.session.convert_events(p, Encoding::Json)
            };
            (
                json.unwrap_or(Payload::Json(serde_json::Value::Null)),
                p.clone(),
            )
        };
        let (action_json, action_pc) = both(action, true);
        let (events_json, events_pc) = both(events, false);
        let msg = |action: Payload, events: Payload| ServerMsg::Entry {
            seq: index,
            tick,
            seat,
            action,
            events,
        };
        let item = Arc::new(StreamItem {
            json: Frame::encode(&msg(action_json, events_json), Encoding::Json),
            postcard: Frame::encode(&msg(action_pc, events_pc), Encoding::Postcard),
        });
        game.streams[0].push(item.clone());
        for m in &self.members {
            if let Some(outbox) = &m.outbox {
                outbox.send(item.get(outbox.encoding));
            }
        }
    }

    /// Hidden information: each seat its own view (kept for resumes), spectators theirs.
    fn push_views(&mut self, actor: Option<u8>, events: &Payload) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        let index = game.session.log_len();
        let events_pc = match events {
            // The initial views have no events; an empty postcard list is the byte 0.
            Payload::Postcard(_) => events.clone(),
            Payload::Json(_) => Payload::Postcard(vec![0]),
        };
        let events_json = game
            .session
            .convert_events(&events_pc, Encoding::Json)
            .unwrap_or(Payload::Json(serde_json::Value::Array(vec![])));
        let session = &game.session;
        let build = |viewer: Viewer, seq: u64| -> Option<StreamItem> {
            let json = session.view(viewer, Encoding::Json).ok()?;
            let pc = session.view(viewer, Encoding::Postcard).ok()?;
            let msg = |view: Payload, events: Payload| ServerMsg::View {
                seq,
                index,
                seat: actor,
                view,
                events,
            };
            Some(StreamItem {
                json: Frame::encode(&msg(json, events_json.clone()), Encoding::Json),
                postcard: Frame::encode(&msg(pc, events_pc.clone()), Encoding::Postcard),
            })
        };
        let mut seat_items = Vec::with_capacity(game.players.len());
        for s in 0..game.players.len() {
            let seq = game.streams[s].len() as u64;
            seat_items.push(build(Viewer::Seat(Seat(s as u8)), seq).map(Arc::new));
        }
        let spectators = self
            .members
            .iter()
            .any(|m| m.outbox.is_some() && m.seat.is_none());
        let spectator_item = if spectators {
            build(Viewer::Spectator, index)
        } else {
            None
        };
        for (s, item) in seat_items.iter().enumerate() {
            if let Some(item) = item {
                game.streams[s].push(item.clone());
            }
        }
        for m in &self.members {
            let Some(outbox) = &m.outbox else { continue };
            let item = match m.seat {
                Some(s) => seat_items.get(s as usize).and_then(|i| i.as_deref()),
                None => spectator_item.as_ref(),
            };
            if let Some(item) = item {
                outbox.send(item.get(outbox.encoding));
            }
        }
    }

    async fn on_tick(&mut self) {
        let started = std::time::Instant::now();
        let Some(game) = self.game.as_mut() else {
            return;
        };
        let period = game.ticker.as_ref().map(|t| t.period).unwrap_or_default();
        let now = game.session.tick_count();
        let due: Vec<u64> = game.pending.range(..=now).map(|(k, _)| *k).collect();
        let mut inputs = Vec::new();
        for k in due {
            if let Some(v) = game.pending.remove(&k) {
                inputs.extend(v);
            }
        }
        let log_before = game.session.log_len();
        // Bot seats decide their input for this tick from the same state.
        let bots: Vec<(u8, u8)> = self
            .members
            .iter()
            .filter_map(|m| Some((m.seat?, m.bot?)))
            .collect();
        for (seat, level) in bots {
            match self.rules(|g| g.session.bot_action(Seat(seat), level, Encoding::Postcard)) {
                Ok(Ok(Some(action))) => inputs.push(PendingInput {
                    seat,
                    seq: u64::MAX,
                    id: 0,
                    action,
                }),
                Ok(_) => {}
                Err(_) => return,
            }
        }
        // Seat order, then each seat's own order: the log of a tick does not depend on how
        // the network interleaved different players' inputs.
        inputs.sort_by_key(|i| (i.seat, i.seq));
        let mut accepted = Vec::new();
        for input in inputs {
            let result = self.rules(|g| g.session.apply(Seat(input.seat), &input.action));
            match result {
                Err(_) => return,
                Ok(Ok(_)) => {
                    self.hub.metrics().action(true);
                    accepted.push(input);
                }
                Ok(Err(e)) => {
                    self.hub.metrics().action(false);
                    self.reply_seat(
                        input.seat,
                        &ServerMsg::Error {
                            id: Some(input.id),
                            error: e.into(),
                        },
                    );
                }
            }
        }
        let events = match self.rules(|g| g.session.tick(Encoding::Postcard)) {
            Ok(Ok(events)) => events,
            Ok(Err(e)) => {
                self.failed = Some(err(
                    codes::ROOM_FAILED,
                    format!("the game could not tick: {e}"),
                ));
                return;
            }
            Err(_) => return,
        };
        let Some(game) = self.game.as_mut() else {
            return;
        };
        let tick = game.session.tick_count();
        if !accepted.is_empty() {
            let entries = game.session.log(log_before, Encoding::Postcard);
            let record = self
                .hub
                .config()
                .recorder
                .append(game.match_id, entries, tick);
            if let Err(e) = record.await {
                self.failed = Some(err(codes::ROOM_FAILED, format!("{e}; the room is closed")));
                return;
            }
        }
        let Some(game) = self.game.as_mut() else {
            return;
        };
        game.recent.push_back((tick, game.session.hash()));
        if game.recent.len() > RECENT_HASHES {
            game.recent.pop_front();
        }
        for (i, input) in accepted.iter().enumerate() {
            let index = log_before + i as u64;
            self.reply_seat(
                input.seat,
                &ServerMsg::Reply {
                    id: input.id,
                    reply: Reply::Accepted { index, tick: now },
                },
            );
        }
        self.push_snapshots(&events);
        let elapsed = started.elapsed();
        self.hub
            .metrics()
            .tick_seconds
            .observe(elapsed.as_secs_f64());
        if elapsed > period {
            self.hub.metrics().tick_overruns.inc();
        }
        self.finish_if_over();
    }

    fn push_snapshots(&mut self, events: &Payload) {
        let Some(game) = self.game.as_ref() else {
            return;
        };
        let session = &game.session;
        let tick = session.tick_count();
        let index = session.log_len();
        let mut events_json = None;
        // Spectators share one frame per encoding; seats get their own.
        let mut spectator: [Option<Frame>; 2] = [None, None];
        for m in &self.members {
            let Some(outbox) = &m.outbox else { continue };
            let enc = outbox.encoding;
            let events = match enc {
                Encoding::Postcard => events.clone(),
                Encoding::Json => events_json
                    .get_or_insert_with(|| {
                        session
                            .convert_events(events, Encoding::Json)
                            .unwrap_or(Payload::Json(serde_json::Value::Array(vec![])))
                    })
                    .clone(),
            };
            let make = |viewer| -> Option<Frame> {
                let view = session.view(viewer, enc).ok()?;
                Some(Frame::encode(
                    &ServerMsg::Snapshot {
                        tick,
                        index,
                        view,
                        events,
                    },
                    enc,
                ))
            };
            let frame = match m.seat {
                Some(s) => make(Viewer::Seat(Seat(s))),
                None => {
                    let slot = &mut spectator[enc as usize];
                    if slot.is_none() {
                        *slot = make(Viewer::Spectator);
                    }
                    slot.clone()
                }
            };
            match frame {
                Some(frame) if session.is_over() => outbox.final_snapshot(frame),
                Some(frame) => outbox.snapshot(frame),
                None => {}
            }
        }
    }

    fn finish_if_over(&mut self) {
        let Some(game) = self.game.as_mut() else {
            return;
        };
        if game.finished || !game.session.is_over() {
            return;
        }
        game.finished = true;
        game.ticker = None;
        let unplayed: Vec<PendingInput> = std::mem::take(&mut game.pending)
            .into_values()
            .flatten()
            .collect();
        let outcome = game.session.outcome();
        let hash = game.session.hash();
        let ticks = game.session.tick_count();
        tokio::spawn(self.hub.config().recorder.finished(
            game.match_id,
            outcome.clone(),
            hash,
            ticks,
        ));
        self.phase = match outcome {
            Some(outcome) => RoomPhase::Over {
                outcome,
                hash: hash_hex(hash),
            },
            None => RoomPhase::Aborted {
                error: err(codes::ROOM_FAILED, "the game ended without an outcome"),
            },
        };
        tracing::info!(room = %self.setup.name, hash = %hash_hex(hash), "game over");
        for input in unplayed {
            self.reply_seat(
                input.seat,
                &ServerMsg::Error {
                    id: Some(input.id),
                    error: err(
                        codes::NOT_PLAYING,
                        "the game ended before the tick this input was for",
                    ),
                },
            );
        }
        self.push_room_state();
    }

    fn check_hash(
        &mut self,
        idx: usize,
        index: u64,
        hash: &str,
    ) -> Result<Reply<Payload>, WireError> {
        let theirs = u64::from_str_radix(hash, 16)
            .ok()
            .filter(|_| hash.len() == 16)
            .ok_or_else(|| {
                err(
                    codes::BAD_REQUEST,
                    "hashes are 16 hex digits, as hash_hex prints them",
                )
            })?;
        let game = self.game_or_err()?;
        let ours = if game.sync == SyncMode::RealTime {
            game.recent
                .iter()
                .find(|(t, _)| *t == index)
                .map(|(_, h)| *h)
        } else {
            usize::try_from(index)
                .ok()
                .and_then(|i| game.hashes.get(i).copied())
        };
        let matches = ours == Some(theirs);
        if !matches && ours.is_some() {
            self.hub.metrics().desyncs.inc();
            tracing::warn!(
                room = %self.setup.name,
                player = self.members[idx].player,
                index,
                client = hash,
                host = %hash_hex(ours.unwrap_or_default()),
                "desync reported"
            );
        }
        Ok(Reply::HashChecked {
            index,
            matches,
            host: ours.map(hash_hex),
        })
    }

    // ----- failure ------------------------------------------------------------------------

    /// Runs rules code, catching a panic: the room then closes with an error to its members
    /// while every other room goes on.
    fn rules<T>(&mut self, f: impl FnOnce(&mut Running) -> T) -> Result<T, WireError> {
        let Some(game) = self.game.as_mut() else {
            return Err(err(codes::NOT_PLAYING, "no game has started in this room"));
        };
        match catch_unwind(AssertUnwindSafe(|| f(game))) {
            Ok(t) => Ok(t),
            Err(panic) => {
                self.fail_with_panic(&*panic);
                Err(err(
                    codes::ROOM_FAILED,
                    "the game's rules failed; the room is closed",
                ))
            }
        }
    }

    fn fail_with_panic(&mut self, panic: &(dyn std::any::Any + Send)) {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        self.hub.metrics().caught_panics.inc();
        tracing::error!(room = %self.setup.name, game = %self.setup.meta.name, "the rules panicked: {what}");
        self.failed = Some(err(
            codes::ROOM_FAILED,
            format!(
                "the rules of {} failed in this room ({what}); the room is closed, other rooms are unaffected",
                self.setup.meta.name
            ),
        ));
    }

    /// A room rebuilt from a stored match (after a restart): playing, with every seat held
    /// for its account, who takes it back by joining the room by name.
    pub(crate) fn restored(
        hub: Arc<dyn Directory>,
        id: u64,
        setup: RoomSetup,
        session: DynSession,
        players: Vec<(PlayerId, String)>,
        match_id: u64,
    ) -> Room {
        let sync = setup.meta.sync_mode();
        let seats = players.len();
        let header = session.header(Encoding::Postcard);
        // The hashes and streams are rebuilt from the log so desync checks and late joiners
        // see the same history as before the restart.
        let mut hashes = Vec::new();
        let mut streams: Vec<Vec<Arc<StreamItem>>> = match sync {
            SyncMode::PerfectInformation => vec![Vec::new()],
            SyncMode::HiddenInformation => (0..seats).map(|_| Vec::new()).collect(),
            SyncMode::RealTime => Vec::new(),
        };
        let catalog = hub.config().catalog.clone();
        if sync != SyncMode::RealTime
            && let Ok(mut replay) =
                catalog.create(&header.game, &header.config, header.seats, header.seed)
        {
            hashes.push(replay.hash());
            for entry in session.log(0, Encoding::Postcard) {
                let Ok(events) = replay.apply(entry.seat, &entry.action) else {
                    break;
                };
                hashes.push(replay.hash());
                if sync == SyncMode::PerfectInformation {
                    let json_action = replay
                        .convert_action(&entry.action, Encoding::Json)
                        .unwrap_or(Payload::Json(serde_json::Value::Null));
                    let json_events = replay
                        .convert_events(&events, Encoding::Json)
                        .unwrap_or(Payload::Json(serde_json::Value::Null));
                    let msg = |action: Payload, events: Payload| ServerMsg::Entry {
                        seq: entry.index,
                        tick: entry.tick,
                        seat: entry.seat.0,
                        action,
                        events,
                    };
                    streams[0].push(Arc::new(StreamItem {
                        json: Frame::encode(&msg(json_action, json_events), Encoding::Json),
                        postcard: Frame::encode(
                            &msg(entry.action.clone(), events),
                            Encoding::Postcard,
                        ),
                    }));
                }
            }
        }
        let ticker = setup
            .meta
            .tick_rate
            .map(|rate| Ticker::new(rate, &setup.key, hub.config().ticks.as_ref()));
        let hash = session.hash();
        let grace = Instant::now() + hub.config().limits.seat_grace;
        let members = players
            .iter()
            .enumerate()
            .map(|(seat, (player, name))| MemberSlot {
                player: *player,
                name: name.clone(),
                link: 0,
                outbox: None,
                seat: Some(seat as u8),
                ready: false,
                grace: Some(grace),
                token: None,
                bot: None,
            })
            .collect();
        let host = players.first().map(|p| p.0);
        let mut room = Room::new(hub, id, setup, host.unwrap_or_default());
        room.members = members;
        room.phase = RoomPhase::Playing;
        let hidden = sync == SyncMode::HiddenInformation;
        room.game = Some(Running {
            sync,
            seed: header.seed,
            players: players.iter().map(|p| p.0).collect(),
            match_id,
            streams,
            hashes: if hashes.is_empty() {
                vec![hash]
            } else {
                hashes
            },
            recent: VecDeque::from([(session.tick_count(), hash)]),
            pending: BTreeMap::new(),
            arrivals: 0,
            ticker,
            finished: false,
            session,
        });
        if hidden {
            // Views are not in the log: each seat's stream restarts from its current view.
            room.push_views(None, &Payload::Postcard(vec![0]));
        }
        room
    }

    /// Ends the room: members get the error, the final state and are let go.
    fn abort(&mut self, error: WireError) {
        if let Some(g) = self.game.as_mut()
            && !g.finished
        {
            g.finished = true;
            let hash = catch_unwind(AssertUnwindSafe(|| g.session.hash())).unwrap_or(0);
            tokio::spawn(
                self.hub
                    .config()
                    .recorder
                    .finished(g.match_id, None, hash, 0),
            );
        }
        self.phase = RoomPhase::Aborted {
            error: error.clone(),
        };
        self.broadcast(|_| ServerMsg::Error {
            id: None,
            error: error.clone(),
        });
        self.push_room_state();
        for m in self.members.drain(..) {
            if let Some(outbox) = m.outbox {
                outbox.send_msg(&ServerMsg::Left {
                    reason: "room_closed".into(),
                });
                outbox.left(m.link);
            }
        }
    }

    // ----- sending ------------------------------------------------------------------------

    fn game_or_err(&self) -> Result<&Running, WireError> {
        self.game
            .as_ref()
            .ok_or_else(|| err(codes::NOT_PLAYING, "no game has started in this room"))
    }

    fn viewer(&self, idx: usize) -> Viewer {
        let m = &self.members[idx];
        match (&self.game, m.seat) {
            (Some(g), Some(s)) if g.players.get(s as usize) == Some(&m.player) => {
                Viewer::Seat(Seat(s))
            }
            _ => Viewer::Spectator,
        }
    }

    fn encoding(&self, idx: usize) -> Encoding {
        self.members[idx]
            .outbox
            .as_ref()
            .map(|o| o.encoding)
            .unwrap_or(Encoding::Postcard)
    }

    fn send_to(&self, idx: usize, msg: &ServerMsg<Payload>) {
        if let Some(outbox) = &self.members[idx].outbox {
            outbox.send_msg(msg);
        }
    }

    fn reply(&self, idx: usize, id: u32, reply: Reply<Payload>) {
        self.send_to(idx, &ServerMsg::Reply { id, reply });
    }

    fn reply_seat(&self, seat: u8, msg: &ServerMsg<Payload>) {
        let Some(game) = &self.game else { return };
        let player = game.players.get(seat as usize);
        if let Some(idx) = self
            .members
            .iter()
            .position(|m| m.seat == Some(seat) && Some(&m.player) == player)
        {
            self.send_to(idx, msg);
        }
    }

    /// Sends one message to every connected member, encoded once per encoding.
    fn broadcast(&self, build: impl Fn(Encoding) -> ServerMsg<Payload>) {
        let mut fanout = Fanout::new(build);
        for m in &self.members {
            if let Some(outbox) = &m.outbox {
                outbox.send(fanout.get(outbox.encoding));
            }
        }
    }

    fn push_room_state(&self) {
        self.push_room_state_except(None);
    }

    fn push_room_state_except(&self, skip: Option<usize>) {
        for (i, m) in self.members.iter().enumerate() {
            if Some(i) == skip {
                continue;
            }
            if let Some(outbox) = &m.outbox {
                outbox.send_msg(&ServerMsg::Room(self.state_for(i)));
            }
        }
    }

    fn state_for(&self, idx: usize) -> RoomState {
        let mut members: Vec<Member> = self
            .members
            .iter()
            .map(|m| Member {
                player: m.player,
                name: m.name.clone(),
                seat: m.seat,
                ready: m.ready,
                connected: m.outbox.is_some() || m.bot.is_some(),
                bot: m.bot.is_some(),
            })
            .collect();
        members.sort_by_key(|m| (m.seat.is_none(), m.seat));
        RoomState {
            name: self.setup.name.clone(),
            game: self.setup.meta.name.clone(),
            host: self.host.unwrap_or_default(),
            you: self.members[idx].player,
            max_seats: self.setup.max_seats,
            public: self.setup.public,
            has_password: self.setup.password.is_some(),
            members,
            phase: self.phase.clone(),
        }
    }

    fn summary(&self) -> RoomSummary {
        RoomSummary {
            name: self.setup.name.clone(),
            game: self.setup.meta.name.clone(),
            players: self.members.iter().filter(|m| m.seat.is_some()).count() as u8,
            max_seats: self.setup.max_seats,
            spectators: self.members.iter().filter(|m| m.seat.is_none()).count() as u32,
            phase: self.phase.name(),
            has_password: self.setup.password.is_some(),
        }
    }
}

fn empty_events(enc: Encoding) -> Payload {
    match enc {
        Encoding::Json => Payload::Json(serde_json::Value::Array(vec![])),
        Encoding::Postcard => Payload::Postcard(vec![0]),
    }
}
