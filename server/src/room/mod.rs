//! One room: a state machine owning its members and its game session, inside a thin tokio
//! task. Connections reach it only through its channel. The logic never awaits and never
//! touches a connection or a clock (the task passes the time in): a command, a tick or a
//! timer queues [`Effect`]s (frames for members, arming and stopping the tick clock, the end
//! of a match) and returns the [`Work`] the room must wait for (registering a match, making
//! log entries durable) with what to do once it is done ([`Then`]). The task performs the
//! effects ([`Room::flush`]) and the work ([`Room::carry_out`]) and hands the result back. An
//! acknowledgement that needs a durable record lives in that `Then`, so it cannot be queued
//! before the record is kept. The logic is split by subject: `lobby`, `turns`, `realtime`,
//! `streams` and `bots` each add methods to [`Room`].

mod bots;
mod lobby;
mod realtime;
mod streams;
mod turns;

#[cfg(all(test, feature = "official"))]
mod sim;
#[cfg(test)]
mod test_host;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use hearth_rules::drive;
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

/// What the room waits for; the only waiting a room does (see the module docs).
pub(crate) enum Work {
    /// Register a new match with the recorder; its id goes to [`Room::registered`].
    Register {
        /// The match.
        start: MatchStart,
        /// The game about to begin.
        then: Box<Starting>,
    },
    /// Make the log entries from some index on durable, then go on with `then`.
    Record {
        /// The match.
        match_id: u64,
        /// The entries (postcard).
        entries: Vec<hearth_rules::DynLogEntry>,
        /// The game's tick count now.
        tick: u64,
        /// The game's state hash now.
        hash: u64,
        /// What to do once they are kept.
        then: Then,
    },
}

/// What the room does once a record is durable.
pub(crate) enum Then {
    /// Turn-based actions were applied: acknowledge the first (if a member sent it), tell
    /// everyone about each, then let bots act (from bot round `bot_round`).
    Turn {
        /// Who to acknowledge: the member's index and request id (`None` for a bot).
        member: Option<(usize, u32)>,
        /// The actions, in log order: the one asked for and, in perfect-information games,
        /// the bot turns that followed it, recorded together.
        turns: Vec<Applied>,
        /// Bot rounds already played after the last member's action.
        bot_round: u32,
    },
    /// A real-time tick ran: acknowledge its inputs and send the snapshots.
    Tick(Box<TickDone>),
}

/// One applied turn-based action, waiting for its record.
pub(crate) struct Applied {
    /// Who acted.
    pub(crate) seat: Seat,
    /// The action (postcard).
    pub(crate) action: Payload,
    /// Its log index.
    pub(crate) index: u64,
    /// The tick count when applied.
    pub(crate) tick: u64,
    /// Its events (postcard).
    pub(crate) events: Payload,
    /// The state hash after it (the desync guard's).
    pub(crate) hash: u64,
}

impl Applied {
    /// `action` by `seat`, the last entry of `session`'s log, which caused `events`.
    fn last(session: &DynSession, seat: Seat, action: Payload, events: Payload) -> Applied {
        Applied {
            seat,
            action,
            index: session.log_len() - 1,
            tick: session.tick_count(),
            events,
            hash: session.hash(),
        }
    }
}

/// A game set up by `start`, waiting for its match id.
pub(crate) struct Starting {
    idx: usize,
    id: u32,
    seated: Vec<usize>,
    seed: u64,
    session: DynSession,
    players: Vec<PlayerId>,
}

/// A tick applied, waiting for its inputs to be kept.
pub(crate) struct TickDone {
    accepted: Vec<PendingInput>,
    log_before: u64,
    /// The tick the inputs were applied at.
    at: u64,
    events: Payload,
}

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
    /// Another node of the cluster runs this room's match now (or will: this node drains):
    /// stop without ending the match; members reconnect and resume there.
    Moved,
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

/// What the logic asks the task to do besides waiting: everything a room says to a
/// connection, and the end of a match for the recorder. The logic queues effects in order
/// ([`Effects`]); the task performs them ([`Room::flush`]) before it waits for any [`Work`]
/// and after every command, tick or timer, and none of them blocks (a connection whose queue
/// is full is disconnected and may resume).
pub(crate) enum Effect {
    /// Queue a reliable frame on a connection.
    Send(Outbox, Frame),
    /// Replace a connection's waiting real-time snapshot.
    Snapshot(Outbox, Frame),
    /// The last snapshot of a game, sent reliably (never coalesced away).
    FinalSnapshot(Outbox, Frame),
    /// Tell a connection it left the room it joined with this link.
    Left(Outbox, u64),
    /// Drop a connection silently: the room moved to another node (see [`Room::hand_over`]).
    Drop(Outbox),
    /// Start ticking at this rate (per second): a real-time game began.
    ArmTicker(u16),
    /// Stop ticking: the game ended.
    StopTicker,
    /// Store the end of a match (nobody waits on it: the room goes on).
    Finished {
        /// The match.
        match_id: u64,
        /// How it ended (`None`: abandoned or failed).
        outcome: Option<hearth_rules::Outcome>,
        /// The final state hash.
        hash: u64,
        /// Ticks played.
        ticks: u64,
    },
}

/// The effects the logic has queued and the task has not performed yet.
#[derive(Default)]
pub(crate) struct Effects(Vec<Effect>);

impl Effects {
    /// Queues `frame` for `to`.
    fn send(&mut self, to: &Outbox, frame: Frame) {
        self.0.push(Effect::Send(to.clone(), frame));
    }

    /// Encodes `msg` in `to`'s encoding and queues it.
    fn msg(&mut self, to: &Outbox, msg: &ServerMsg<Payload>) {
        self.send(to, Frame::encode(msg, to.encoding));
    }

    /// Tells `to` it left the room (`reason`), and its connection that the link `link` ended.
    fn leave(&mut self, to: &Outbox, link: u64, reason: &str) {
        self.msg(
            to,
            &ServerMsg::Left {
                reason: reason.into(),
            },
        );
        self.0.push(Effect::Left(to.clone(), link));
    }

    fn push(&mut self, effect: Effect) {
        self.0.push(effect);
    }

    /// The queued effects, oldest first, leaving none.
    pub(crate) fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.0)
    }
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

/// A stream message (kept for members who join or resume later): its postcard frame, and its
/// JSON frame — for a perfect-information entry made when a member speaking JSON first needs
/// it (converting every entry to JSON, with no JSON member to send it to, was 6 % of a turn's
/// server time).
struct StreamItem {
    postcard: Frame,
    json: Json,
}

/// A stream message's JSON frame.
enum Json {
    /// Made with the postcard one (a view).
    Made(Frame),
    /// An entry's, made on first use from its postcard action and events.
    Later(Entry, std::sync::OnceLock<Frame>),
}

/// A perfect-information log entry with its postcard action and events.
struct Entry {
    seq: u64,
    tick: u64,
    seat: u8,
    action: Payload,
    events: Payload,
}

impl Entry {
    /// Its message, with `action` and `events` in the encoding wanted.
    fn msg(&self, action: Payload, events: Payload) -> ServerMsg<Payload> {
        ServerMsg::Entry {
            seq: self.seq,
            tick: self.tick,
            seat: self.seat,
            action,
            events,
        }
    }
}

impl StreamItem {
    /// A perfect-information entry (postcard action and events); its JSON frame waits.
    fn entry(seq: u64, tick: u64, seat: u8, action: Payload, events: Payload) -> StreamItem {
        let entry = Entry {
            seq,
            tick,
            seat,
            action,
            events,
        };
        let msg = entry.msg(entry.action.clone(), entry.events.clone());
        StreamItem {
            postcard: Frame::encode(&msg, Encoding::Postcard),
            json: Json::Later(entry, std::sync::OnceLock::new()),
        }
    }

    /// A message already made in both encodings.
    fn both(json: Frame, postcard: Frame) -> StreamItem {
        StreamItem {
            postcard,
            json: Json::Made(json),
        }
    }

    /// The frame in `encoding`; an entry's JSON payloads are converted by `session`'s codecs
    /// (a value that does not convert, a bug in the game's types, becomes `null`).
    fn get(&self, encoding: Encoding, session: &DynSession) -> Frame {
        if let Encoding::Postcard = encoding {
            return self.postcard.clone();
        }
        match &self.json {
            Json::Made(frame) => frame.clone(),
            Json::Later(entry, frame) => frame
                .get_or_init(|| {
                    let null = || Payload::Json(serde_json::Value::Null);
                    let msg = entry.msg(
                        session
                            .convert_action(&entry.action, Encoding::Json)
                            .unwrap_or_else(|_| null()),
                        session
                            .convert_events(&entry.events, Encoding::Json)
                            .unwrap_or_else(|_| null()),
                    );
                    Frame::encode(&msg, Encoding::Json)
                })
                .clone(),
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
    /// What the logic has said and the task has not yet passed on.
    out: Effects,
    /// The task's clock for a real-time game, armed and stopped by the logic's effects.
    ticker: Option<Ticker>,
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
}

enum Clock {
    Wall(Interval),
    Manual(Arc<tokio::sync::Semaphore>),
}

impl Ticker {
    fn new(rate: u16, room: &str, manual: Option<&crate::config::ManualTicks>) -> Ticker {
        let period = tick_period(rate);
        let clock = match manual {
            Some(m) => Clock::Manual(m.gate(room)),
            None => {
                let mut interval = tokio::time::interval_at(Instant::now() + period, period);
                interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
                Clock::Wall(interval)
            }
        };
        Ticker { clock }
    }
}

/// How long a tick lasts at `rate` ticks per second.
fn tick_period(rate: u16) -> Duration {
    Duration::from_micros(1_000_000 / u64::from(rate.max(1)))
}

async fn next_tick(ticker: &mut Option<Ticker>) {
    match ticker.as_mut() {
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

/// How the room answers a request.
pub(crate) enum Answer {
    /// With this reply now.
    Reply(Reply<Payload>),
    /// It has answered already, or answers later (real-time inputs).
    Sent,
    /// After this work (the continuation answers).
    Later(Work),
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
            out: Effects::default(),
            ticker: None,
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
        // A restored room may have said something already (arm its ticker).
        self.flush();
        loop {
            let deadline = self.members.iter().filter_map(|m| m.grace).min();
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(cmd) => {
                        let work = self.handle(cmd, Instant::now());
                        self.carry_out(work).await;
                    }
                    None => break,
                },
                _ = next_tick(&mut self.ticker) => {
                    // A tick lasts from applying its inputs to sending its snapshots, the
                    // record in between included.
                    let started = std::time::Instant::now();
                    let work = self.on_tick();
                    self.carry_out(work).await;
                    self.tick_took(started.elapsed());
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    self.expire_graces(Instant::now());
                }
                _ = shutdown.changed() => {
                    self.flush();
                    if let Err(e) = self.hub.config().recorder.flush().await {
                        tracing::error!(room = %self.setup.name, "flush at shutdown failed: {e}");
                    }
                    break;
                }
            }
            if !self.after_step() {
                break;
            }
            self.hub
                .set_summary(&self.setup.key, self.id, &self.summary());
        }
        self.hub.remove_tokens(&self.tokens);
    }

    /// After every command, tick or timer: a failed room closes, the host's role passes on
    /// if its holder left, a room left with bots only closes, and what was said goes out.
    /// False once the room is done.
    pub(crate) fn after_step(&mut self) -> bool {
        if let Some(error) = self.failed.take() {
            self.abort(error);
            self.flush();
            return false;
        }
        self.repair_host();
        // Bots do not keep a room open on their own.
        if self.members.iter().all(|m| m.bot.is_some()) {
            self.members.clear();
            self.abandon_if_running();
            self.flush();
            tracing::info!(room = %self.setup.name, "room closed (empty)");
            return false;
        }
        self.flush();
        true
    }

    /// The task's half: performs what the logic waits for and hands back the result, until
    /// the logic has nothing more to wait for. The room takes no other command meanwhile.
    pub(crate) async fn carry_out(&mut self, mut work: Option<Work>) {
        // What the logic said before asking to wait goes out first.
        self.flush();
        while let Some(w) = work.take() {
            work = match w {
                Work::Register { start, then } => {
                    let registered = self.hub.config().recorder.started(start).await;
                    self.registered(*then, registered)
                }
                Work::Record {
                    match_id,
                    entries,
                    tick,
                    hash,
                    then,
                } => {
                    let kept = self
                        .hub
                        .config()
                        .recorder
                        .append(crate::services::Accepted {
                            match_id,
                            entries,
                            ticks: tick,
                            hash,
                        })
                        .await;
                    self.record_done(then, kept)
                }
            };
            self.flush();
        }
    }

    /// The task's other half: performs the effects the logic queued, in order.
    pub(crate) fn flush(&mut self) {
        for effect in self.out.take() {
            match effect {
                Effect::Send(to, frame) => to.send(frame),
                Effect::Snapshot(to, frame) => to.snapshot(frame),
                Effect::FinalSnapshot(to, frame) => to.final_snapshot(frame),
                Effect::Left(to, link) => to.left(link),
                Effect::Drop(to) => to.drop_connection(),
                Effect::ArmTicker(rate) => {
                    let ticker =
                        Ticker::new(rate, &self.setup.key, self.hub.config().ticks.as_ref());
                    self.ticker = Some(ticker);
                }
                Effect::StopTicker => self.ticker = None,
                Effect::Finished {
                    match_id,
                    outcome,
                    hash,
                    ticks,
                } => {
                    tokio::spawn(
                        self.hub
                            .config()
                            .recorder
                            .finished(match_id, outcome, hash, ticks),
                    );
                }
            }
        }
    }

    /// A record the logic asked for was made, or failed: go on, or close the room rather
    /// than acknowledge what was not kept.
    pub(crate) fn record_done(
        &mut self,
        then: Then,
        kept: Result<(), crate::services::RecordError>,
    ) -> Option<Work> {
        match kept {
            Ok(()) => self.recorded(then),
            Err(e) if e.is_moved() => {
                tracing::warn!(room = %self.setup.name, "{e}: handing the room over");
                self.failed = Some(err(codes::ROOM_MOVED, e.0));
                None
            }
            Err(e) => {
                self.failed = Some(err(codes::ROOM_FAILED, format!("{e}; the room is closed")));
                None
            }
        }
    }

    /// A record the logic asked for is durable: go on.
    fn recorded(&mut self, then: Then) -> Option<Work> {
        match then {
            Then::Turn {
                member,
                turns,
                bot_round,
            } => {
                for (i, turn) in turns.into_iter().enumerate() {
                    let game = self.game.as_mut()?;
                    game.hashes.push(turn.hash);
                    self.hub.metrics().action(true);
                    if let (0, Some((idx, id))) = (i, member) {
                        let (index, tick) = (turn.index, turn.tick);
                        self.reply(idx, id, Reply::Accepted { index, tick });
                    }
                    self.after_turn(turn.seat, &turn.action, turn.index, &turn.events);
                }
                self.next_bot(bot_round)
            }
            Then::Tick(done) => {
                self.tick_done(*done);
                None
            }
        }
    }

    /// The logic's half for a command; what to wait for, if anything.
    pub(crate) fn handle(&mut self, cmd: RoomCmd, now: Instant) -> Option<Work> {
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
                    self.refuse(&outbox, link, id, e);
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
                    self.refuse(&outbox, link, id, e);
                }
            }
            RoomCmd::Request { link, id, req } => {
                let idx = self.members.iter().position(|m| m.link == link)?;
                match self.request(idx, id, req) {
                    Ok(Answer::Reply(reply)) => self.reply(idx, id, reply),
                    Ok(Answer::Sent) => {}
                    Ok(Answer::Later(work)) => return Some(work),
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
                let idx = self.members.iter().position(|m| m.link == link)?;
                let held =
                    matches!(self.phase, RoomPhase::Playing) && self.members[idx].seat.is_some();
                if held {
                    let m = &mut self.members[idx];
                    m.outbox = None;
                    m.grace = Some(now + self.hub.config().limits.seat_grace);
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
            RoomCmd::Moved => {
                self.failed = Some(err(
                    codes::ROOM_MOVED,
                    "this room's match is run by another node now; reconnect to resume your seat",
                ));
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
        None
    }

    // ----- lobby --------------------------------------------------------------------------

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

    /// The work of making the log from entry `from` on durable before `then` (`None` if no
    /// game runs).
    fn record(&self, from: u64, then: Then) -> Option<Work> {
        let game = self.game.as_ref()?;
        Some(Work::Record {
            match_id: game.match_id,
            entries: game.session.log(from, Encoding::Postcard),
            tick: game.session.tick_count(),
            hash: game.session.hash(),
            then,
        })
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

    /// Stops a room whose match another node runs now: the match is not ended here (it goes
    /// on there), and members' connections are dropped without a word so their clients
    /// reconnect and resume their seats on the new owner. Nothing unacknowledged was kept
    /// here, so nothing acknowledged is lost.
    fn hand_over(&mut self) {
        if let Some(g) = self.game.as_mut() {
            g.finished = true;
        }
        self.out.push(Effect::StopTicker);
        for m in self.members.drain(..) {
            if let Some(outbox) = m.outbox {
                self.out.push(Effect::Drop(outbox));
            }
        }
    }

    /// Ends the room: members get the error, the final state and are let go.
    fn abort(&mut self, error: WireError) {
        if error.code == codes::ROOM_MOVED {
            return self.hand_over();
        }
        if let Some(g) = self.game.as_mut()
            && !g.finished
        {
            g.finished = true;
            let hash = catch_unwind(AssertUnwindSafe(|| g.session.hash())).unwrap_or(0);
            self.out.push(Effect::Finished {
                match_id: g.match_id,
                outcome: None,
                hash,
                ticks: 0,
            });
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
                self.out.leave(&outbox, m.link, "room_closed");
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

    fn send_to(&mut self, idx: usize, msg: &ServerMsg<Payload>) {
        if let Some(outbox) = &self.members[idx].outbox {
            self.out.msg(outbox, msg);
        }
    }

    fn reply(&mut self, idx: usize, id: u32, reply: Reply<Payload>) {
        self.send_to(idx, &ServerMsg::Reply { id, reply });
    }

    /// Answers a join or resume with an error; the connection is not in the room.
    fn refuse(&mut self, outbox: &Outbox, link: u64, id: u32, error: WireError) {
        self.out.msg(
            outbox,
            &ServerMsg::Error {
                id: Some(id),
                error,
            },
        );
        self.out.push(Effect::Left(outbox.clone(), link));
    }

    fn reply_seat(&mut self, seat: u8, msg: &ServerMsg<Payload>) {
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
    fn broadcast(&mut self, build: impl Fn(Encoding) -> ServerMsg<Payload>) {
        let mut fanout = Fanout::new(build);
        for m in &self.members {
            if let Some(outbox) = &m.outbox {
                self.out.send(outbox, fanout.get(outbox.encoding));
            }
        }
    }

    fn push_room_state(&mut self) {
        self.push_room_state_except(None);
    }

    fn push_room_state_except(&mut self, skip: Option<usize>) {
        for i in 0..self.members.len() {
            if Some(i) == skip || self.members[i].outbox.is_none() {
                continue;
            }
            let msg = ServerMsg::Room(self.state_for(i));
            if let Some(outbox) = &self.members[i].outbox {
                self.out.msg(outbox, &msg);
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
