//! A deterministic fault simulator: the room logic, the players' client cores (the code every
//! Hearth client runs) and the real SQLite store, driven by one seeded scheduler over a
//! simulated network, while the host crashes and restarts from its store at any step —
//! between writes, in the middle of a log write or of the end-of-match write (the
//! transaction never commits), or after a log write whose acknowledgements never left — and
//! the store refuses a write now and then (a full disk).
//!
//! The network is what Hearth runs on, WebSockets over TCP: frames on one connection arrive
//! in order, each direction its own lane; lanes are delayed independently, so frames of
//! different connections and directions arrive in any order; a lost frame is a broken
//! connection (everything in flight on it is gone, both ends learn); a host frame may arrive
//! twice (as when a resume replays what a client already had).
//!
//! Every run plays three rooms at once on one host and one store, each with its own players:
//! connect-four (two players, perfect information), chameleon (three, hidden information)
//! and tanks (two, real time: the room ticks as simulated time passes). After every step: no
//! acknowledged action of a running match is missing from its host game (or, after a crash,
//! from the game rebuilt from the store); while a match runs no seat is held by another
//! player than the one it was given to; and in chameleon every frame a player is sent shows
//! only what its seat may know — each view equal to the view the rules give that seat at
//! that point, no other seat's actions, no seed. At the end the network calms down and the
//! players play on: every room's game must end (no room stalled, by its own faults or by
//! another room's), every acknowledged action of every match must be in the store, every
//! ended game must be recorded as ended, and every player must see its host's game (its
//! mirror, or its seat's view). A failure prints the seed and the fault schedule that
//! reproduce it, shrunk to the fewest steps that still fail.
//!
//! Not simulated: the connection layer (`conn.rs`) — the simulator speaks to the rooms as it
//! does, through `RoomCmd`s and outboxes, and plays its part (handshake, joining, resuming).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hearth_client_core::{Config as CoreConfig, Core, Event, Io};
use hearth_rules::protocol::{
    ClientMsg, JoinAs, PROTOCOL_VERSION, Reply, Request, RoomOptions, Welcome, WireBytes,
    from_postcard,
};
use hearth_rules::{Catalog, Payload, Seat};
use serde_json::Value;

use super::test_host::TestHost;
use super::*;
use crate::official::sqlite::SqliteStore;
use crate::official::store::{LogAppend, Store};
use crate::services::{Accepted, BoxFuture, MatchRecorder, RecordError};
use crate::wire::{Ctl, Mailbox};

/// The players, in table order: the first two play connect-four, the next three chameleon,
/// the last two tanks.
const NAMES: [&str; 7] = ["Ada", "Bob", "Cy", "Di", "Ed", "Flo", "Gus"];

/// A room every run plays, the game in it and how many of the players sit there.
#[derive(Debug, Clone, Copy)]
struct Table {
    room: &'static str,
    game: &'static str,
    config: &'static str,
    seats: usize,
}

const TABLES: [Table; 3] = [
    Table {
        room: "Four",
        game: "connect-four",
        config: "null",
        seats: 2,
    },
    Table {
        room: "Chameleon",
        game: "chameleon",
        config: "null",
        seats: 3,
    },
    // Short, so that a run sees it end; a score limit it may also reach.
    Table {
        room: "Tanks",
        game: "tanks",
        config: r#"{"map": "arena", "duration_secs": 10, "score_limit": 3}"#,
        seats: 2,
    },
];

/// The table player `p` plays at.
fn table_of(p: usize) -> usize {
    let mut first = 0;
    for (t, table) in TABLES.iter().enumerate() {
        if p < first + table.seats {
            return t;
        }
        first += table.seats;
    }
    TABLES.len() - 1
}

/// The table whose room is called `room`.
fn table_named(room: &str) -> Option<usize> {
    TABLES
        .iter()
        .position(|t| t.room.eq_ignore_ascii_case(room))
}

/// SplitMix64: the one source of every choice a run makes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Where the host dies.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Crash {
    /// Between two steps.
    Idle,
    /// During the next log write, after this many rows, before the commit.
    MidWrite(usize),
    /// Right after the next log write commits, before anyone hears of it.
    AfterWrite,
    /// During the next end-of-match write, before its commit (what the room said before
    /// and beside it may have gone out).
    AtFinish,
}

/// One step of a schedule. Indices pick among what exists then (modulo its count), so a
/// schedule with steps removed still runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Deliver the next frame of the lane at this place among the lanes with frames in
    /// flight (lanes go at different speeds: the network reorders between them).
    Deliver(usize),
    /// Lose the next frame of a lane: its connection breaks.
    Drop(usize),
    /// Deliver the next frame of a host-to-client lane and keep it in flight, to arrive again.
    Duplicate(usize),
    /// Cut this player's connection.
    Cut(usize),
    /// Milliseconds pass (real-time rooms tick).
    Wait(u64),
    /// The player does what it would do next (join, get ready, start, move).
    Act(usize),
    /// The host dies and restarts from its store.
    Crash(Crash),
    /// The store refuses the next log write (a full disk): that room closes, its players
    /// make it again, the other rooms play on.
    Refuse,
}

fn generate(rng: &mut Rng, steps: usize) -> Vec<Step> {
    (0..steps)
        .map(|_| {
            let pick = rng.below(100);
            let at = rng.next() as usize;
            let who = rng.below(NAMES.len() as u64) as usize;
            match pick {
                0..=44 => Step::Deliver(at),
                45..=47 => Step::Drop(at),
                48..=50 => Step::Duplicate(at),
                51..=53 => Step::Cut(who),
                54..=64 => Step::Wait(1 + rng.below(400)),
                65..=97 => Step::Act(who),
                98 if rng.below(4) == 0 => Step::Refuse,
                _ => Step::Crash(match rng.below(4) {
                    0 => Crash::Idle,
                    1 => Crash::MidWrite(rng.below(2) as usize),
                    2 => Crash::AfterWrite,
                    _ => Crash::AtFinish,
                }),
            }
        })
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The real SQLite store behind the rooms' recorder. The simulator performs the log writes
/// itself (to place its crashes); the recorder writes the other records synchronously, so a
/// run is deterministic.
struct Recorder {
    store: Mutex<Option<Arc<SqliteStore>>>,
    /// The schedule put a crash in the next end-of-match write.
    die_at_finish: Mutex<bool>,
    /// The host died in an end-of-match write: the world crashes it at once.
    died: Mutex<bool>,
}

impl Recorder {
    fn store(&self) -> Result<Arc<SqliteStore>, RecordError> {
        lock(&self.store)
            .clone()
            .ok_or_else(|| RecordError("the host is down".into()))
    }
}

fn record_error(e: crate::official::store::StoreError) -> RecordError {
    RecordError(e.to_string())
}

impl MatchRecorder for Arc<Recorder> {
    fn started(&self, start: MatchStart) -> BoxFuture<'static, Result<u64, RecordError>> {
        let r = self
            .store()
            .and_then(|s| s.match_started(&start, 0).map_err(record_error));
        Box::pin(async move { r })
    }

    fn append(&self, a: Accepted) -> BoxFuture<'static, Result<(), RecordError>> {
        let r = self.store().and_then(|s| {
            s.append_log(LogAppend {
                match_id: a.match_id,
                entries: &a.entries,
                ticks: a.ticks,
                hash: a.hash,
            })
            .map_err(record_error)
        });
        Box::pin(async move { r })
    }

    fn finished(
        &self,
        match_id: u64,
        outcome: Option<hearth_rules::Outcome>,
        hash: u64,
        ticks: u64,
    ) -> BoxFuture<'static, Result<(), RecordError>> {
        let die = std::mem::take(&mut *lock(&self.die_at_finish));
        let r = self.store().and_then(|s| {
            let write = if die {
                *lock(&self.died) = true;
                s.match_finished_crashing(match_id, outcome.as_ref(), hash, ticks)
            } else {
                s.match_finished(match_id, outcome.as_ref(), hash, ticks, 0, None)
            };
            write.map_err(record_error)
        });
        Box::pin(async move { r })
    }
}

/// The host's end of one connection.
struct Conn {
    player: Option<PlayerId>,
    name: String,
    link: Option<u64>,
    outbox: Outbox,
    /// The connection's receiving end (closed when the connection is cut).
    mailbox: Arc<Mailbox>,
}

impl Drop for Conn {
    /// A cut connection is gone for the rooms, as a real one whose task ended.
    fn drop(&mut self) {
        self.mailbox.close();
    }
}

/// One player: its client core and what its game code knows.
struct Player {
    table: usize,
    core: Core,
    conn: Option<u64>,
    /// The request in flight and what it was.
    waiting: Option<(u32, Request<Payload>)>,
    room: Option<RoomState>,
    /// Hidden information: this seat's legal actions, as the host last told them.
    legal: Option<Vec<Value>>,
}

impl Player {
    fn new(table: usize, config: CoreConfig) -> Player {
        Player {
            table,
            core: Core::new(config),
            conn: None,
            waiting: None,
            room: None,
            legal: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum To {
    Host(u64),
    Client(usize, u64),
}

impl To {
    fn conn(self) -> u64 {
        match self {
            To::Host(c) | To::Client(_, c) => c,
        }
    }
}

struct Packet {
    to: To,
    bytes: Vec<u8>,
}

/// An acknowledged action: its match (by seed), log index, seat and action (JSON).
#[derive(Debug, Clone, PartialEq)]
struct Acked {
    seed: u64,
    index: u64,
    seat: u8,
    action: Value,
}

struct World {
    catalog: Arc<Catalog>,
    dir: Arc<TestHost>,
    recorder: Arc<Recorder>,
    path: PathBuf,
    /// The host's rooms, by table.
    rooms: BTreeMap<usize, Room>,
    /// Simulated milliseconds toward each real-time room's next tick.
    tick_credit: BTreeMap<usize, u64>,
    conns: BTreeMap<u64, Conn>,
    players: Vec<Player>,
    net: Vec<Packet>,
    now: u64,
    base: Instant,
    next_conn: u64,
    acked: Vec<Acked>,
    /// Who was given each seat of each match.
    seated: BTreeMap<u64, Vec<PlayerId>>,
    crashes: u32,
    /// Log writes the store refused.
    refused: u32,
    /// A crash, or a refusal, the schedule placed in the next log write.
    write_plan: Option<Step>,
    /// The match each acknowledgement the host sent was for, by player and request id.
    ack_seed: BTreeMap<(usize, u32), u64>,
    /// The first invariant found broken where no step could return it (a frame that showed a
    /// player what its seat may not see, a restart that found two matches for one room).
    broken: Option<String>,
    /// Hidden-information frames checked against what their seat may know.
    views_checked: u64,
    /// Real-time ticks run.
    ticks: u64,
}

/// Why a run failed.
type Broken = String;

impl World {
    fn new(dir: &Path, seed: u64) -> World {
        let catalog = Arc::new(hearth_games::catalog());
        let path = dir.join(format!("sim-{seed}.db"));
        let _ = std::fs::remove_file(&path);
        let store = Arc::new(SqliteStore::open(&path).expect("the store opens"));
        let recorder = Arc::new(Recorder {
            store: Mutex::new(Some(store)),
            die_at_finish: Mutex::new(false),
            died: Mutex::new(false),
        });
        let mut config =
            HostConfig::on("127.0.0.1:0".parse().expect("an address"), catalog.clone());
        config.recorder = Arc::new(recorder.clone());
        // Each match its own seed (from the run's), so an acknowledgement names its match.
        let matches = AtomicU64::new(0);
        config.seeds = Some(Arc::new(move |_: &str| {
            seed.wrapping_mul(1000)
                .wrapping_add(matches.fetch_add(1, Ordering::Relaxed))
        }));
        // Seats wait out any outage here; a freed seat would be a different test.
        config.limits.seat_grace = std::time::Duration::from_secs(3600);
        // The simulator runs the ticks itself as simulated time passes.
        config.ticks = Some(crate::config::ManualTicks::new());
        let dir = TestHost::new(config, 1);
        let players = NAMES
            .iter()
            .enumerate()
            .map(|(p, name)| {
                let mut config = CoreConfig::server(format!("token-{name}"), catalog.clone());
                config.values = hearth_rules::Encoding::Json;
                // A player whose game gives up would be a different test: keep trying.
                config.reconnect = Some(hearth_client_core::Reconnect {
                    attempts: u32::MAX,
                    ..Default::default()
                });
                Player::new(table_of(p), config)
            })
            .collect();
        let mut w = World {
            catalog,
            dir,
            recorder,
            path,
            rooms: BTreeMap::new(),
            tick_credit: BTreeMap::new(),
            conns: BTreeMap::new(),
            players,
            net: Vec::new(),
            now: 0,
            base: Instant::now(),
            next_conn: 1,
            acked: Vec::new(),
            seated: BTreeMap::new(),
            crashes: 0,
            refused: 0,
            write_plan: None,
            ack_seed: BTreeMap::new(),
            broken: None,
            views_checked: 0,
            ticks: 0,
        };
        for p in 0..w.players.len() {
            w.open(p);
        }
        w
    }

    fn at(&self) -> Instant {
        self.base + std::time::Duration::from_millis(self.now)
    }

    /// Opens a connection for player `p` (the transport's job when the core asks).
    fn open(&mut self, p: usize) {
        let id = self.next_conn;
        self.next_conn += 1;
        let mailbox = Mailbox::new(1024, Arc::new(Metrics::default()));
        let outbox = Outbox::new(hearth_rules::Encoding::Postcard, mailbox.clone());
        self.conns.insert(
            id,
            Conn {
                player: None,
                name: String::new(),
                link: None,
                outbox,
                mailbox,
            },
        );
        self.players[p].conn = Some(id);
        self.players[p].core.opened(self.now);
    }

    /// A fresh client core for player `p` (its old one gave up), connecting at once.
    fn restart_client(&mut self, p: usize) {
        let config = self.players[p].core.config().clone();
        if let Some(id) = self.players[p].conn.take() {
            self.net.retain(|f| f.to.conn() != id);
            self.host_gone(id);
        }
        self.players[p] = Player::new(self.players[p].table, config);
        self.ack_seed.retain(|(q, _), _| *q != p);
        self.open(p);
    }

    /// What each side knows, for a failure message.
    fn describe(&self) -> String {
        let rooms: Vec<_> = self
            .rooms
            .iter()
            .map(|(t, r)| {
                (
                    TABLES[*t].room,
                    r.phase.clone(),
                    r.members
                        .iter()
                        .map(|m| (m.player, m.seat, m.ready, m.outbox.is_some()))
                        .collect::<Vec<_>>(),
                    r.game
                        .as_ref()
                        .map(|g| (g.match_id, g.players.clone(), g.session.log_len())),
                )
            })
            .collect();
        let players: Vec<_> = self
            .players
            .iter()
            .map(|p| {
                (
                    p.conn,
                    p.core.is_open(),
                    p.waiting.as_ref().map(|w| w.0),
                    p.room.as_ref().map(|r| r.phase.clone()),
                    p.core.stream_position(),
                )
            })
            .collect();
        format!(
            "rooms {rooms:?}; players {players:?}; {} frames in flight",
            self.net.len()
        )
    }

    /// Both ends learn the connection is gone.
    fn cut(&mut self, p: usize) {
        let Some(id) = self.players[p].conn.take() else {
            return;
        };
        self.net.retain(|f| f.to.conn() != id);
        self.host_gone(id);
        self.players[p].core.disconnected("cut", self.now);
    }

    /// The table of the player a connection belongs to (known after its hello).
    fn conn_table(&self, id: u64) -> Option<usize> {
        let conn = self.conns.get(&id)?;
        NAMES.iter().position(|n| *n == conn.name).map(table_of)
    }

    fn host_gone(&mut self, id: u64) {
        let at = self.at();
        let table = self.conn_table(id);
        if let Some(conn) = self.conns.remove(&id)
            && let (Some(link), Some(t)) = (conn.link, table)
            && let Some(room) = self.rooms.get_mut(&t)
        {
            // A dropped member waits for nothing.
            let work = room.handle(RoomCmd::Gone { link }, at);
            debug_assert!(work.is_none());
            self.after_step(t);
        }
    }

    /// What a room's task does after each step; the room ends if it says so. False if the
    /// host died meanwhile (in an end-of-match write).
    fn after_step(&mut self, t: usize) -> bool {
        if let Some(room) = self.rooms.get_mut(&t)
            && !room.after_step()
        {
            self.rooms.remove(&t);
            self.tick_credit.remove(&t);
        }
        !self.died()
    }

    /// If the host died in an end-of-match write, it is gone now: true.
    fn died(&mut self) -> bool {
        let died = std::mem::take(&mut *lock(&self.recorder.died));
        if died {
            // Whatever the room said before and beside that write may have reached the
            // connections (the end-of-match write runs beside them).
            self.pump_host();
            self.crash();
        }
        died
    }

    /// Takes what each client core asks of its transport and what it tells its game.
    fn pump_clients(&mut self) -> Result<(), Broken> {
        for p in 0..self.players.len() {
            while let Some(io) = self.players[p].core.poll_io() {
                match io {
                    Io::Open => self.open(p),
                    Io::Send(bytes) => {
                        if let Some(id) = self.players[p].conn {
                            self.net.push(Packet {
                                to: To::Host(id),
                                bytes,
                            });
                        }
                    }
                    Io::Close => {
                        if let Some(id) = self.players[p].conn.take() {
                            self.host_gone(id);
                        }
                    }
                }
            }
            while let Some(done) = self.players[p].core.poll_completion() {
                let Some((id, req)) = self.players[p].waiting.take() else {
                    return Err(format!("player {p} got an answer to nothing: {done:?}"));
                };
                if id != done.id {
                    return Err(format!("player {p} waited for {id}, got {}", done.id));
                }
                match (req, done.result) {
                    (Request::Action { action, .. }, Ok(Reply::Accepted { index, .. })) => {
                        let seat = self.players[p].core.started().and_then(|s| s.seat);
                        let seed = self.ack_seed.remove(&(p, id));
                        let (Some(seat), Some(seed)) = (seat, seed) else {
                            return Err(format!(
                                "player {p} saw an acknowledgement without a seat, or one the host never sent"
                            ));
                        };
                        let Payload::Json(action) = action else {
                            return Err("actions are sent as JSON here".into());
                        };
                        self.acked.push(Acked {
                            seed,
                            index,
                            seat,
                            action,
                        });
                    }
                    (_, Ok(Reply::Joined(state))) => self.players[p].room = Some(state),
                    (
                        Request::Legal,
                        Ok(Reply::Legal {
                            actions: Payload::Json(Value::Array(actions)),
                        }),
                    ) => self.players[p].legal = Some(actions),
                    _ => {}
                }
            }
            while let Some(event) = self.players[p].core.poll_event() {
                match event {
                    Event::Room(state) => self.players[p].room = Some(state),
                    Event::View { .. } | Event::Started(_) => self.players[p].legal = None,
                    Event::Left(_) => self.players[p].room = None,
                    // The host forgot the seat (it crashed): the game joins again by name.
                    Event::Error(e) if e.code == codes::BAD_RESUME => self.players[p].room = None,
                    Event::Desync(at) => return Err(format!("player {p} desynced at {at}")),
                    // The first connection failed, or the host said goodbye: the player
                    // starts the game's client again, as a person would.
                    Event::Closed(_) => self.restart_client(p),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Moves what the room said into the network, and performs connection controls.
    fn pump_host(&mut self) {
        let mut gone = Vec::new();
        let mut sent = Vec::new();
        for (id, conn) in self.conns.iter_mut() {
            while let Some(frame) = conn.mailbox.next_reliable() {
                let p = NAMES.iter().position(|n| *n == conn.name);
                if let (Frame::Binary(bytes), Some(p)) = (frame, p) {
                    sent.push((p, *id, bytes.to_vec()));
                }
            }
            while let Some(ctl) = conn.mailbox.take_ctl() {
                match ctl {
                    Ctl::Left { link } if conn.link == Some(link) => conn.link = None,
                    Ctl::Overflow | Ctl::Close { .. } | Ctl::Drop => gone.push(*id),
                    Ctl::Left { .. } => {}
                }
            }
        }
        for (p, id, bytes) in sent {
            self.inspect(p, &bytes);
            self.net.push(Packet {
                to: To::Client(p, id),
                bytes,
            });
        }
        for id in gone {
            if let Some(p) = self.players.iter().position(|p| p.conn == Some(id)) {
                self.cut(p);
            }
        }
    }

    /// Looks at a frame the room just sent player `p`: notes which match an acknowledgement
    /// is for, and in a hidden-information game checks it shows only what `p`'s seat may know
    /// — each view equal to the one the rules give that seat at that point of the game (not a
    /// search for one game's secret), no other seat's actions, no seed to derive secrets from.
    fn inspect(&mut self, p: usize, bytes: &[u8]) {
        let table = self.players[p].table;
        let Some(game) = self.rooms.get(&table).and_then(|r| r.game.as_ref()) else {
            return;
        };
        let Ok(msg) = from_postcard::<ServerMsg<WireBytes>>(bytes) else {
            self.broken
                .get_or_insert(format!("player {p} was sent an undecodable frame"));
            return;
        };
        if let ServerMsg::Reply {
            id,
            reply: Reply::Accepted { .. },
        } = &msg
        {
            self.ack_seed.insert((p, *id), game.seed);
        }
        if game.sync != SyncMode::HiddenInformation {
            return;
        }
        let me = p as PlayerId + 1;
        let viewer = game
            .players
            .iter()
            .position(|x| *x == me)
            .map_or(Viewer::Spectator, |s| Viewer::Seat(Seat(s as u8)));
        let shown = match &msg {
            ServerMsg::Entry { .. } => {
                self.broken.get_or_insert(format!(
                    "player {p} was sent another seat's action in a hidden-information game"
                ));
                return;
            }
            ServerMsg::Started(s) if s.seed.is_some() => {
                self.broken.get_or_insert(format!(
                    "player {p} was sent the seed of a hidden-information game"
                ));
                return;
            }
            ServerMsg::View { index, view, .. }
            | ServerMsg::Reply {
                reply: Reply::View { index, view, .. },
                ..
            } => (*index, view.0.clone()),
            _ => return,
        };
        let header = game.session.header(hearth_rules::Encoding::Postcard);
        let log = game.session.log(0, hearth_rules::Encoding::Postcard);
        let upto = (shown.0 as usize).min(log.len());
        let expected = self
            .catalog
            .replay(&header, &log[..upto])
            .and_then(|s| s.view(viewer, hearth_rules::Encoding::Postcard));
        self.views_checked += 1;
        if expected.as_ref().map(|v| v.to_bytes()).ok() != Some(shown.1) {
            self.broken.get_or_insert(format!(
                "player {p} ({viewer:?}) was sent a view at {} that is not its seat's",
                shown.0
            ));
        }
    }

    /// Runs table `t`'s room's work to its end as its task would: what the room said goes
    /// out before each wait (connections write while the store does), then the real store
    /// does the work, and the process dies there if the schedule says so.
    fn carry_out(&mut self, t: usize, mut work: Option<Work>) {
        loop {
            let Some(room) = self.rooms.get_mut(&t) else {
                return;
            };
            room.flush();
            if self.died() {
                return;
            }
            self.pump_host();
            let Some(w) = work.take() else {
                break;
            };
            let store = lock(&self.recorder.store)
                .clone()
                .expect("the store is open while the host runs");
            let Some(room) = self.rooms.get_mut(&t) else {
                return;
            };
            work = match w {
                Work::Register { start, then } => {
                    let id = store.match_started(&start, 0).map_err(record_error);
                    room.registered(*then, id)
                }
                Work::Record {
                    match_id,
                    entries,
                    tick,
                    hash,
                    then,
                } => {
                    let batch = [LogAppend {
                        match_id,
                        entries: &entries,
                        ticks: tick,
                        hash,
                    }];
                    match self.write_plan.take() {
                        Some(Step::Crash(Crash::MidWrite(rows))) => {
                            let _ = store.append_logs_crashing(&batch, rows);
                            drop(store);
                            self.crash();
                            return;
                        }
                        Some(Step::Crash(Crash::AfterWrite)) => {
                            store.append_logs(&batch).expect("the log is written");
                            drop(store);
                            self.crash();
                            return;
                        }
                        Some(Step::Refuse) => {
                            self.refused += 1;
                            room.record_done(then, Err(RecordError("the disk is full".into())))
                        }
                        _ => {
                            room.record_done(then, store.append_logs(&batch).map_err(record_error))
                        }
                    }
                }
            };
        }
        self.after_step(t);
    }

    fn reply(&mut self, conn: u64, id: u32, reply: Result<Reply<Payload>, WireError>) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let msg = match reply {
            Ok(reply) => ServerMsg::Reply { id, reply },
            Err(error) => ServerMsg::Error {
                id: Some(id),
                error,
            },
        };
        c.outbox.send_msg(&msg);
    }

    /// The host's connection layer for one frame: the handshake, entering the room (made on
    /// the first join), resuming, and the room's requests.
    fn host_receive(&mut self, conn: u64, bytes: &[u8]) -> Result<(), Broken> {
        let Some(c) = self.conns.get(&conn) else {
            return Ok(());
        };
        let (known, name, outbox, linked) = (c.player, c.name.clone(), c.outbox.clone(), c.link);
        let msg: ClientMsg<WireBytes> = from_postcard(bytes)
            .map_err(|e| format!("a client core sent an undecodable frame: {e:?}"))?;
        let (id, req) = (msg.id, msg.req.map_payload(Payload::from));
        let at = self.at();
        let Some(player) = known else {
            let Request::Hello(hello) = req else {
                self.reply(conn, id, Err(err(codes::BAD_REQUEST, "hello first")));
                return Ok(());
            };
            let name = hello
                .token
                .as_deref()
                .and_then(|t| t.strip_prefix("token-"))
                .unwrap_or_default()
                .to_string();
            let Some(p) = NAMES.iter().position(|n| *n == name) else {
                return Err(format!("an unknown token: {:?}", hello.token));
            };
            if let Some(c) = self.conns.get_mut(&conn) {
                c.player = Some(p as PlayerId + 1);
                c.name = name.clone();
            }
            let games = self.catalog.games().cloned().collect();
            self.reply(
                conn,
                id,
                Ok(Reply::Welcome(Welcome {
                    player: p as PlayerId + 1,
                    name,
                    protocol: PROTOCOL_VERSION,
                    server_version: "sim".into(),
                    games,
                })),
            );
            return Ok(());
        };
        let link = self.dir.next_id();
        let (t, work) = match req {
            Request::Ping => {
                self.reply(conn, id, Ok(Reply::Pong));
                return Ok(());
            }
            Request::Join { .. } | Request::Resume { .. } if linked.is_some() => {
                self.reply(conn, id, Err(err(codes::ALREADY_IN_ROOM, "leave first")));
                return Ok(());
            }
            Request::Join {
                room,
                password,
                join_as,
                create,
            } => {
                let Some(t) = table_named(&room) else {
                    return Err(format!("a player asked for a room no table has: {room}"));
                };
                let mut creator = false;
                if !self.rooms.contains_key(&t) {
                    let Some(options) = create else {
                        self.reply(conn, id, Err(err(codes::UNKNOWN_ROOM, "no such room")));
                        return Ok(());
                    };
                    let setup =
                        crate::hub::room_setup(&self.dir.config, &room, TABLES[t].room, &options)
                            .map_err(|e| format!("the room cannot be made: {e}"))?;
                    let made = Room::new(self.dir.clone(), self.dir.next_id(), setup, player);
                    self.rooms.insert(t, made);
                    creator = true;
                }
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.link = Some(link);
                }
                let room = self.rooms.get_mut(&t).expect("made above");
                let work = room.handle(
                    RoomCmd::Join {
                        link,
                        player,
                        name,
                        outbox,
                        id,
                        password,
                        join_as,
                        creator,
                    },
                    at,
                );
                (t, work)
            }
            Request::Resume { token, next } => {
                let key = lock(&self.dir.tokens).get(&token).cloned();
                match key.as_deref().and_then(table_named) {
                    Some(t) if self.rooms.contains_key(&t) => {
                        if let Some(c) = self.conns.get_mut(&conn) {
                            c.link = Some(link);
                        }
                        let room = self.rooms.get_mut(&t).expect("checked");
                        let work = room.handle(
                            RoomCmd::Resume {
                                link,
                                player,
                                outbox,
                                id,
                                token,
                                next,
                            },
                            at,
                        );
                        (t, work)
                    }
                    _ => {
                        self.reply(
                            conn,
                            id,
                            Err(err(codes::BAD_RESUME, "that resume token is unknown")),
                        );
                        return Ok(());
                    }
                }
            }
            req => {
                let t = self.conn_table(conn);
                match (linked, t.and_then(|t| self.rooms.get_mut(&t)), t) {
                    (Some(link), Some(room), Some(t)) => {
                        (t, room.handle(RoomCmd::Request { link, id, req }, at))
                    }
                    _ => {
                        self.reply(conn, id, Err(err(codes::NOT_IN_ROOM, "join first")));
                        return Ok(());
                    }
                }
            }
        };
        self.carry_out(t, work);
        Ok(())
    }

    /// The host process dies: its memory, its connections and every frame in flight are
    /// gone; it restarts from the store and rebuilds every unfinished match.
    fn crash(&mut self) {
        self.crashes += 1;
        self.write_plan = None;
        *lock(&self.recorder.die_at_finish) = false;
        // What the host passed to its connections before dying may still reach the players
        // (assume it does: that is when an early acknowledgement would show); what players
        // sent it is lost.
        let sent: Vec<Packet> = std::mem::take(&mut self.net)
            .into_iter()
            .filter(|p| matches!(p.to, To::Client(..)))
            .collect();
        for p in sent {
            if let To::Client(player, c) = p.to
                && self.players[player].conn == Some(c)
            {
                let _ = self.players[player].core.receive(&p.bytes, self.now);
            }
        }
        self.rooms.clear();
        self.tick_credit.clear();
        lock(&self.dir.tokens).clear();
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        self.conns.clear();
        self.net.clear();
        for p in 0..self.players.len() {
            if self.players[p].conn.is_some_and(|c| ids.contains(&c)) {
                self.players[p].conn = None;
                self.players[p]
                    .core
                    .disconnected("the host crashed", self.now);
            }
        }
        // Restart: the store file as the dead process left it.
        lock(&self.recorder.store).take();
        let store = Arc::new(SqliteStore::open(&self.path).expect("the store reopens"));
        *lock(&self.recorder.store) = Some(store.clone());
        let running = match crate::official::to_restore(&*store) {
            Ok(running) => running,
            Err(e) => {
                self.broken
                    .get_or_insert(format!("the restart cannot read unfinished matches: {e}"));
                return;
            }
        };
        for m in running {
            if let Err(why) = self.restore(&store, &m) {
                // The real host would mark it abandoned: a match lost, an invariant broken.
                self.broken.get_or_insert(format!(
                    "the restart cannot restore match {} in room {}: {why}",
                    m.id, m.room
                ));
            }
        }
    }

    /// Rebuilds one unfinished match's room from the store, as `hearth serve` does at start.
    fn restore(
        &mut self,
        store: &SqliteStore,
        m: &crate::official::store::StoredMatch,
    ) -> Result<(), String> {
        let t = table_named(&m.room).ok_or("a stored match is at no table")?;
        let log = store.match_log(m.id).map_err(|e| e.to_string())?;
        let session = m.rebuild(&self.catalog, &log).map_err(|e| e.to_string())?;
        let setup = crate::hub::restored_setup(&self.dir.config, &m.room, TABLES[t].room, &session)
            .map_err(|e| e.to_string())?;
        let room = Room::restored(
            self.dir.clone(),
            self.dir.next_id(),
            setup,
            session,
            m.players.clone(),
            m.id,
            self.at(),
        );
        if self.rooms.insert(t, room).is_some() {
            return Err("a second unfinished match in the same room".into());
        }
        if let Some(room) = self.rooms.get_mut(&t) {
            room.flush();
        }
        Ok(())
    }

    /// What player `p`'s game does next, if anything: join the room (making it if needed),
    /// get ready, start once everyone is, or make a move when it is its turn.
    fn act(&mut self, p: usize, rng: &mut Rng) {
        let table = TABLES[self.players[p].table];
        // A real-time input is stamped with the tick its player last saw.
        let real_time = self
            .catalog
            .get(table.game)
            .is_ok_and(|m| m.tick_rate.is_some());
        let pl = &mut self.players[p];
        if pl.waiting.is_some() || !pl.core.is_open() {
            return;
        }
        let me = p as PlayerId + 1;
        let req = match &pl.room {
            None => Request::Join {
                room: table.room.into(),
                password: None,
                join_as: JoinAs::Player,
                create: Some(RoomOptions {
                    game: table.game.into(),
                    config: Payload::Json(
                        serde_json::from_str(table.config).expect("a table's config is JSON"),
                    ),
                    max_seats: Some(table.seats as u8),
                    public: true,
                    password: None,
                }),
            },
            Some(state) => match &state.phase {
                RoomPhase::Lobby => {
                    let ready = state.members.iter().any(|m| m.player == me && m.ready);
                    let all =
                        state.members.len() == table.seats && state.members.iter().all(|m| m.ready);
                    if !ready {
                        Request::Ready { ready: true }
                    } else if all && state.host == me {
                        Request::Start
                    } else {
                        return;
                    }
                }
                RoomPhase::Playing => {
                    let Some(seat) = pl.core.started().and_then(|s| s.seat) else {
                        return;
                    };
                    // Perfect information: the mirror knows; hidden: ask the host.
                    let legal = match pl.core.mirror() {
                        Some(mirror) => {
                            match mirror.legal_actions(Seat(seat), hearth_rules::Encoding::Json) {
                                Ok(Payload::Json(Value::Array(legal))) => legal,
                                _ => return,
                            }
                        }
                        None => match pl.legal.take() {
                            Some(legal) if !legal.is_empty() => legal,
                            _ => {
                                if let Ok(id) = pl.core.request(Request::Legal, self.now) {
                                    pl.waiting = Some((id, Request::Legal));
                                }
                                return;
                            }
                        },
                    };
                    if legal.is_empty() {
                        return;
                    }
                    let pick = legal[rng.below(legal.len() as u64) as usize].clone();
                    Request::Action {
                        action: Payload::Json(pick),
                        tick: real_time.then(|| pl.core.tick()),
                    }
                }
                _ => return,
            },
        };
        if let Ok(id) = pl.core.request(req.clone(), self.now) {
            pl.waiting = Some((id, req));
        }
    }

    /// The lanes with frames in flight, in the order their first frame was sent; with
    /// `clients_only`, only host-to-client lanes.
    fn lanes(&self, clients_only: bool) -> Vec<To> {
        let mut lanes: Vec<To> = Vec::new();
        for p in &self.net {
            let wanted = !clients_only || matches!(p.to, To::Client(..));
            if wanted && !lanes.contains(&p.to) {
                lanes.push(p.to);
            }
        }
        lanes
    }

    fn deliver(&mut self, to: To, bytes: &[u8]) -> Result<(), Broken> {
        match to {
            To::Host(c) => self.host_receive(c, bytes),
            To::Client(p, c) => {
                if self.players[p].conn == Some(c) {
                    let _ = self.players[p].core.receive(bytes, self.now);
                }
                Ok(())
            }
        }
    }

    fn step(&mut self, step: Step, rng: &mut Rng) -> Result<(), Broken> {
        match step {
            Step::Deliver(i) | Step::Drop(i) | Step::Duplicate(i) => {
                let lanes = self.lanes(matches!(step, Step::Duplicate(_)));
                if !lanes.is_empty() {
                    let lane = lanes[i % lanes.len()];
                    let at = self
                        .net
                        .iter()
                        .position(|p| p.to == lane)
                        .expect("a lane has a frame");
                    match step {
                        Step::Deliver(_) => {
                            let packet = self.net.remove(at);
                            self.deliver(packet.to, &packet.bytes)?;
                        }
                        Step::Duplicate(_) => {
                            let bytes = self.net[at].bytes.clone();
                            self.deliver(lane, &bytes)?;
                        }
                        _ => {
                            let conn = lane.conn();
                            match self.players.iter().position(|p| p.conn == Some(conn)) {
                                Some(p) => self.cut(p),
                                None => self.net.retain(|p| p.to.conn() != conn),
                            }
                        }
                    }
                }
            }
            Step::Cut(p) => self.cut(p),
            Step::Wait(ms) => {
                self.now += ms;
                for p in self.players.iter_mut() {
                    p.core.handle_timeout(self.now);
                }
                let at = self.at();
                let crashes = self.crashes;
                let tables: Vec<usize> = self.rooms.keys().copied().collect();
                for t in tables {
                    if let Some(room) = self.rooms.get_mut(&t) {
                        room.expire_graces(at);
                    }
                    if !self.after_step(t) {
                        break;
                    }
                    self.run_ticks(t, ms);
                    if self.crashes != crashes {
                        break;
                    }
                }
            }
            Step::Act(p) => self.act(p, rng),
            Step::Crash(Crash::Idle) => self.crash(),
            Step::Crash(Crash::AtFinish) => *lock(&self.recorder.die_at_finish) = true,
            Step::Crash(_) | Step::Refuse => self.write_plan = Some(step),
        }
        self.pump_host();
        self.pump_clients()?;
        self.pump_host();
        self.check()
    }

    /// The ticks a real-time room runs while `ms` simulated milliseconds pass, as its
    /// task's clock would run them; stops if the host dies.
    fn run_ticks(&mut self, t: usize, ms: u64) {
        let rate = self
            .rooms
            .get(&t)
            .filter(|r| r.ticker.is_some())
            .and_then(|r| r.setup.meta.tick_rate);
        let Some(rate) = rate else {
            self.tick_credit.remove(&t);
            return;
        };
        let period = (tick_period(rate).as_millis() as u64).max(1);
        let mut credit = self.tick_credit.remove(&t).unwrap_or(0) + ms;
        let crashes = self.crashes;
        while credit >= period {
            credit -= period;
            let Some(room) = self.rooms.get_mut(&t).filter(|r| r.ticker.is_some()) else {
                return;
            };
            let work = room.on_tick();
            self.ticks += 1;
            self.carry_out(t, work);
            if self.crashes != crashes {
                return;
            }
        }
        self.tick_credit.insert(t, credit);
    }

    /// The invariants that hold after every step.
    fn check(&self) -> Result<(), Broken> {
        if let Some(broken) = &self.broken {
            return Err(broken.clone());
        }
        self.rooms
            .values()
            .try_for_each(|room| self.check_room(room))
    }

    fn check_room(&self, room: &Room) -> Result<(), Broken> {
        // While a match runs, its seats stay with the players they were given to (across
        // drops, resumes and restarts).
        if let (RoomPhase::Playing, Some(g)) = (&room.phase, &room.game) {
            let given = self.seated.get(&g.match_id).unwrap_or(&g.players);
            for m in &room.members {
                let owner = m.seat.and_then(|s| given.get(s as usize));
                if owner.is_some_and(|o| *o != m.player) || g.players != *given {
                    return Err(format!(
                        "match {}: seat {:?} was given to player {owner:?} but is held by {}: {}",
                        g.match_id,
                        m.seat,
                        m.player,
                        self.describe()
                    ));
                }
            }
        }
        // Nothing acknowledged is missing from the host's game.
        let Some(game) = &room.game else {
            return Ok(());
        };
        let log = game.session.log(0, hearth_rules::Encoding::Json);
        for a in self.acked.iter().filter(|a| a.seed == game.seed) {
            let found = log.get(a.index as usize).map(|e| {
                let Payload::Json(action) = &e.action else {
                    return false;
                };
                e.seat.0 == a.seat && *action == a.action
            });
            if found != Some(true) {
                return Err(format!(
                    "acknowledged action {a:?} is not in the host's log of {} entries (after {} crashes)",
                    log.len(),
                    self.crashes
                ));
            }
        }
        Ok(())
    }

    /// Every player sees its host's game: its mirror equals it (perfect information), or
    /// its latest view is its seat's view of it (hidden information, real time).
    fn check_converged(&self) -> Result<(), Broken> {
        for (p, player) in self.players.iter().enumerate() {
            let table = TABLES[player.table];
            let Some(game) = self.rooms.get(&player.table).and_then(|r| r.game.as_ref()) else {
                return Err(format!("no game in room {} at the end", table.room));
            };
            let (seen, host) = match game.sync {
                SyncMode::HiddenInformation | SyncMode::RealTime => {
                    let seat = game
                        .players
                        .iter()
                        .position(|x| *x == p as PlayerId + 1)
                        .ok_or_else(|| format!("player {p} has no seat at the end"))?;
                    let host = game
                        .session
                        .view(Viewer::Seat(Seat(seat as u8)), hearth_rules::Encoding::Json)
                        .map_err(|e| e.to_string())?;
                    (
                        format!("{:?}", player.core.view()),
                        format!("{:?}", Some(host)),
                    )
                }
                SyncMode::PerfectInformation => (
                    format!("{:?}", player.core.mirror_hash()),
                    format!("{:?}", Some(hash_hex(game.session.hash()))),
                ),
            };
            if seen != host {
                return Err(format!(
                    "player {p} ({}) sees {seen}, the host's game is {host}: {}",
                    table.room,
                    self.describe()
                ));
            }
        }
        Ok(())
    }

    /// Every acknowledged action of every match is in the store (what a restart rebuilds
    /// from).
    fn check_stored(&self) -> Result<(), Broken> {
        let store = self.recorder.store().map_err(|e| e.to_string())?;
        let matches = store.list_matches(None, 1000).map_err(|e| e.to_string())?;
        for a in &self.acked {
            let Some(m) = matches.iter().find(|m| m.seed == a.seed) else {
                return Err(format!(
                    "acknowledged action {a:?} belongs to no stored match"
                ));
            };
            let log = store.match_log(m.id).map_err(|e| e.to_string())?;
            let action = log.get(a.index as usize).and_then(|e| {
                let json = self
                    .catalog
                    .convert(
                        &m.game,
                        hearth_rules::ValueKind::Action,
                        &e.action,
                        hearth_rules::Encoding::Json,
                    )
                    .ok()?;
                (e.seat.0 == a.seat).then_some(json)
            });
            if action != Some(Payload::Json(a.action.clone())) {
                return Err(format!(
                    "acknowledged action {a:?} is not in match {}'s stored log of {} entries",
                    m.id,
                    log.len()
                ));
            }
        }
        // Every game that ended is recorded as ended, with its end: what leaderboards and
        // the match history read, and what keeps a restart from reopening it.
        for room in self.rooms.values() {
            let Some(g) = room.game.as_ref().filter(|g| g.session.is_over()) else {
                continue;
            };
            let stored = matches.iter().find(|m| m.id == g.match_id);
            let ended = stored.map(|m| (m.status.as_str(), m.hash.clone(), m.outcome.clone()));
            let expected = (
                "over",
                Some(hash_hex(g.session.hash())),
                g.session.outcome(),
            );
            if ended != Some((expected.0, expected.1.clone(), expected.2.clone())) {
                return Err(format!(
                    "match {} ended ({expected:?}) but the store has {ended:?}",
                    g.match_id
                ));
            }
        }
        Ok(())
    }

    /// Notes who holds each seat once a game is running.
    fn learn_seats(&mut self) {
        for g in self.rooms.values().filter_map(|r| r.game.as_ref()) {
            self.seated
                .entry(g.match_id)
                .or_insert_with(|| g.players.clone());
        }
    }

    /// The network calms down: every frame is delivered, players reconnect, act and wait.
    fn settle(&mut self, rng: &mut Rng, rounds: usize) -> Result<(), Broken> {
        for _ in 0..rounds {
            if self.is_over() && self.net.is_empty() {
                return Ok(());
            }
            while !self.net.is_empty() {
                self.step(Step::Deliver(0), rng)?;
            }
            self.step(Step::Wait(250), rng)?;
            for p in 0..self.players.len() {
                self.step(Step::Act(p), rng)?;
            }
            self.learn_seats();
        }
        Ok(())
    }

    /// Every table's game is over.
    fn is_over(&self) -> bool {
        (0..TABLES.len()).all(|t| {
            self.rooms
                .get(&t)
                .and_then(|r| r.game.as_ref())
                .is_some_and(|g| g.session.is_over())
        })
    }
}

/// What a run did.
#[derive(Default)]
struct Ran {
    crashes: u32,
    refused: u32,
    views_checked: u64,
    ticks: u64,
    acked: usize,
}

/// Runs `schedule` from `seed`: what it did, or which invariant broke.
fn run(dir: &Path, seed: u64, schedule: &[Step]) -> Result<Ran, Broken> {
    let mut rng = Rng(seed ^ 0x5157_4D55_4C41_5445);
    // The room's task spawns the store's end-of-match write; the simulator's recorder has
    // written it already, so the spawned task is never polled.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let _context = runtime.enter();
    let mut w = World::new(dir, seed);
    let result = (|| {
        w.pump_clients()?;
        w.pump_host();
        for step in schedule {
            w.step(*step, &mut rng)?;
            w.learn_seats();
        }
        w.settle(&mut rng, 200)?;
        if !w.is_over() {
            return Err(format!(
                "a room stalled: its game not over after the network calmed down ({} acknowledged moves, {} crashes): {}",
                w.acked.len(),
                w.crashes,
                w.describe()
            ));
        }
        w.check_stored()?;
        w.check_converged()?;
        Ok(Ran {
            crashes: w.crashes,
            refused: w.refused,
            views_checked: w.views_checked,
            ticks: w.ticks,
            acked: w.acked.len(),
        })
    })();
    let _ = std::fs::remove_file(&w.path);
    result
}

/// The shortest schedule (steps removed one at a time, then in halves) that still fails.
fn shrink(dir: &Path, seed: u64, mut schedule: Vec<Step>) -> Vec<Step> {
    let mut chunk = schedule.len() / 2;
    while chunk >= 1 {
        let mut i = 0;
        while i + chunk <= schedule.len() {
            let mut shorter = schedule.clone();
            shorter.drain(i..i + chunk);
            if run(dir, seed, &shorter).is_err() {
                schedule = shorter;
            } else {
                i += chunk;
            }
        }
        chunk /= 2;
    }
    schedule
}

/// Steps in a seed's schedule, before the network calms down.
const STEPS: usize = 400;

/// How many seeds the test command runs (`HEARTH_SIM_SEEDS` for the long mode) and from
/// which (`HEARTH_SIM_SEED` replays one).
fn seeds() -> std::ops::Range<u64> {
    let from = std::env::var("HEARTH_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok());
    let count = std::env::var("HEARTH_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    match from {
        Some(seed) => seed..seed + 1,
        None => 0..count,
    }
}

#[test]
fn rooms_clients_and_the_store_survive_faults_and_crashes_at_every_step() {
    let dir = std::env::temp_dir().join(format!("hearth-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let mut total = Ran::default();
    for seed in seeds() {
        let schedule = generate(&mut Rng(seed), STEPS);
        match run(&dir, seed, &schedule) {
            Ok(ran) => {
                total.crashes += ran.crashes;
                total.refused += ran.refused;
                total.views_checked += ran.views_checked;
                total.ticks += ran.ticks;
                total.acked += ran.acked;
            }
            Err(why) => {
                let shrunk = shrink(&dir, seed, schedule);
                let again = run(&dir, seed, &shrunk).err().unwrap_or_default();
                let _ = std::fs::remove_dir_all(&dir);
                panic!(
                    "seed {seed} broke: {why}\nshrunk to {} steps ({again}):\n{shrunk:?}\nreplay: HEARTH_SIM_SEED={seed} cargo test -p hearth-server --lib sim",
                    shrunk.len()
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "simulated {} seeds of {STEPS} steps, three rooms each (connect-four, chameleon, tanks): {} actions acknowledged, {} real-time ticks; the host crashed {} times, the store refused {} writes; {} hidden-information views checked",
        seeds().count(),
        total.acked,
        total.ticks,
        total.crashes,
        total.refused,
        total.views_checked
    );
}
