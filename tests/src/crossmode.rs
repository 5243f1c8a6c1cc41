//! The cross-mode check: one generated game played offline in a `Session`, on a LAN host,
//! on the official server (accounts + SQLite) and as a replay of what the server stored —
//! and the decisions, the log, every view each seat saw, the final hash and the outcome
//! must agree. Works for any turn-based [`GameUnderTest`]; see [`check_cross_mode`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_client::{Client, ClientConfig, Event};
use hearth_rules::protocol::{JoinAs, Request, RoomPhase};
use hearth_rules::{
    Catalog, DynHeader, Encoding, Game, Outcome, Payload, Seat, Session, SyncMode, Viewer,
    stable_hash,
};
use std::net::SocketAddr;

use hearth_client::lan::{Interfaces, LanEvent, browse};
use hearth_server::lan::{LanConfig, LanHost};
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::official::store::Store;
use hearth_server::{HostConfig, HostHandle, Limits, ManualTicks};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde::Serialize;

use crate::props::{Case, GameUnderTest, Step, case_strategy, resolve_legal};
use crate::vectors::{Recorder, to_json};

/// How long one expected message may take (a liveness bound, not a speed assertion).
pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// One concrete move: who sends what.
#[derive(Debug, Clone)]
pub struct Move<A> {
    /// The sender's seat.
    pub seat: u8,
    /// The action.
    pub action: A,
}

/// What a mode saw: the decision of every move, the views after every accepted one, the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// `None` accepted, `Some(code)` refused with that code.
    pub decisions: Vec<Option<String>>,
    /// After each accepted move: the hash of each seat's view, then the spectators'.
    pub views: Vec<Vec<u64>>,
    /// Log length at the end.
    pub log_len: u64,
    /// Final state hash.
    pub hash: u64,
    /// The outcome, if the game ended.
    pub outcome: Option<Outcome>,
}

/// A case resolved to concrete moves, with what playing them offline did and the session at
/// the end.
pub struct Resolved<G: Game> {
    /// The moves, in order.
    pub moves: Vec<Move<G::Action>>,
    /// What happened.
    pub record: Record,
    /// The offline session after the last move.
    pub session: Session<G>,
}

/// The hash of each seat's view, then the spectator's.
pub(crate) fn view_hashes<G: Game>(s: &Session<G>) -> Vec<u64> {
    let mut viewers: Vec<Viewer> = (0..s.seats()).map(|i| Viewer::Seat(Seat(i))).collect();
    viewers.push(Viewer::Spectator);
    viewers
        .into_iter()
        .map(|v| s.view(v).map(|v| stable_hash(&v)).unwrap_or(0))
        .collect()
}

/// Plays the case offline; returns the concrete moves it resolved to and what happened.
/// Moves are from seats at the table (a network client can only speak for its own seat).
pub fn offline<G: GameUnderTest>(case: &Case<G>) -> Result<Resolved<G>, TestCaseError> {
    let mut s = Session::<G>::new(case.config.clone(), case.seats, case.seed)
        .map_err(|e| TestCaseError::fail(format!("setup: {e}")))?;
    let mut moves = Vec::new();
    let mut rec = Record {
        decisions: Vec::new(),
        views: Vec::new(),
        log_len: 0,
        hash: 0,
        outcome: None,
    };
    for step in &case.steps {
        let (seat, action) = match step {
            Step::Legal { seat, pick } => match resolve_legal(&s, *seat, *pick) {
                Some((seat, action)) => (seat.0, action),
                None => continue,
            },
            Step::Wild { seat, action } => (seat % case.seats, action.clone()),
            Step::Tick => continue,
        };
        moves.push(Move {
            seat,
            action: action.clone(),
        });
        match s.apply(Seat(seat), action) {
            Ok(_) => {
                rec.decisions.push(None);
                rec.views.push(view_hashes(&s));
            }
            Err(e) => rec.decisions.push(Some(e.code().to_string())),
        }
    }
    rec.log_len = s.log().len() as u64;
    rec.hash = s.hash();
    rec.outcome = s.outcome();
    Ok(Resolved {
        moves,
        record: rec,
        session: s,
    })
}

/// Where an online mode plays.
#[derive(Clone)]
pub struct Target {
    /// WebSocket URL.
    pub url: String,
    /// Tokens for seat 0.., then the spectator (official server); `None` on a LAN host.
    pub tokens: Option<Vec<String>>,
    /// The host's tick permissions (`HostConfig::ticks`); real-time games need them so every
    /// input of a tick is in place before the tick runs.
    pub ticks: Option<ManualTicks>,
    /// The games (the clients' and the host's catalog).
    pub catalog: Arc<Catalog>,
    /// A cluster's nodes: seat `i` enters through node `i % len` (empty: everyone uses `url`).
    pub nodes: Vec<String>,
}

pub(crate) fn fail(what: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(what.to_string())
}

async fn next_event(c: &mut Client) -> Result<Event, TestCaseError> {
    tokio::time::timeout(WAIT, c.next_event())
        .await
        .map_err(|_| fail("no message from the host in time"))?
        .ok_or_else(|| fail("the connection closed"))
}

/// The hash of this client's current view, once it has seen the update for `index`.
async fn view_after<G: Game>(
    c: &mut Client,
    viewer: Viewer,
    sync: SyncMode,
    index: u64,
    seen: &mut u64,
) -> Result<u64, TestCaseError> {
    loop {
        match sync {
            SyncMode::PerfectInformation => {
                if let Some(m) = c.mirror()
                    && m.log_len() > index
                {
                    let v = m.view(viewer, Encoding::Postcard).map_err(fail)?;
                    let typed: G::View = v.decode("view").map_err(fail)?;
                    return Ok(stable_hash(&typed));
                }
            }
            _ => {
                if *seen > index
                    && let Some(v) = c.latest_view()
                {
                    let typed: G::View = v.decode("view").map_err(fail)?;
                    return Ok(stable_hash(&typed));
                }
            }
        }
        if let Event::View { .. } = next_event(c).await? {
            // Views arrive in order, one per accepted move (after the initial one).
            *seen += 1;
        }
    }
}

/// Before which moves a seat reconnects: a sparse schedule drawn from the case's seed, so it
/// shrinks along with the moves.
pub fn reconnect_before(seed: u64, move_index: usize, seats: u8) -> Option<usize> {
    let k = move_index as u64;
    let mix = (seed ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (move_index > 0 && (mix >> 59) == 0).then(|| ((mix >> 32) % u64::from(seats)) as usize)
}

/// How the client for seat `i` (the spectator when `i == seats`) connects to `target`.
pub(crate) fn seat_config(target: &Target, i: usize, seats: usize) -> ClientConfig {
    let url = match target.nodes.len() {
        0 => target.url.clone(),
        len => target.nodes[i % len].clone(),
    };
    ClientConfig {
        url,
        token: target.tokens.as_ref().and_then(|t| t.get(i).cloned()),
        name: if i < seats {
            format!("Seat {i}")
        } else {
            "Watcher".into()
        },
        catalog: target.catalog.clone(),
        reconnect: false,
        values: hearth_rules::Encoding::Postcard,
    }
}

/// Opens the room `room` on `target` with one client per seat plus a spectator (the last),
/// starts `game` and returns once every client has its `started`. Seats are taken in join
/// order, so client `i` plays seat `i`.
pub(crate) async fn start_game(
    target: &Target,
    room: &str,
    game: &str,
    config: serde_json::Value,
    seats: u8,
) -> Result<Vec<Client>, TestCaseError> {
    let n = usize::from(seats);
    let mut clients = Vec::new();
    for i in 0..=n {
        clients.push(
            Client::connect(seat_config(target, i, n))
                .await
                .map_err(fail)?,
        );
    }
    for (i, c) in clients.iter().enumerate() {
        let join_as = if i < n {
            JoinAs::Player
        } else {
            JoinAs::Spectator
        };
        c.request(Request::Join {
            room: room.into(),
            password: None,
            join_as,
            create: Some(hearth_rules::protocol::RoomOptions {
                game: game.into(),
                config: Payload::Json(config.clone()),
                max_seats: Some(seats),
                public: false,
                password: None,
            }),
        })
        .await
        .map_err(fail)?;
    }
    for c in clients.iter().take(n) {
        c.ready(true).await.map_err(fail)?;
    }
    clients[0].start().await.map_err(fail)?;
    for c in clients.iter_mut() {
        loop {
            if let Event::Started(_) = next_event(c).await? {
                break;
            }
        }
    }
    Ok(clients)
}

/// Plays the moves on a host; returns what its clients saw.
/// `offline` is the offline record of the same moves: whether the game ended there decides
/// whether to wait for the room's end or ask the host for its hash.
pub async fn online<G: GameUnderTest>(
    target: &Target,
    room: &str,
    case: &Case<G>,
    moves: &[Move<G::Action>],
    offline: &Record,
) -> Result<Record, TestCaseError> {
    let sync = target.catalog.get(G::INFO.name).map_err(fail)?.sync_mode();
    let n = usize::from(case.seats);
    let config = serde_json::to_value(&case.config).map_err(fail)?;
    let mut clients = start_game(target, room, G::INFO.name, config, case.seats).await?;
    let mut seen = vec![0u64; n + 1];
    if sync == SyncMode::HiddenInformation {
        for (i, c) in clients.iter_mut().enumerate() {
            while seen[i] == 0 {
                if let Event::View { .. } = next_event(c).await? {
                    seen[i] = 1;
                }
            }
        }
    }
    let mut rec = Record {
        decisions: Vec::new(),
        views: Vec::new(),
        log_len: 0,
        hash: 0,
        outcome: None,
    };
    let mut accepted = 0u64;
    let configs: Vec<ClientConfig> = (0..n).map(|i| seat_config(target, i, n)).collect();
    // Follows the game offline to know when it has ended (seats are resumable only while
    // it runs; after the end a dropped player simply leaves the room).
    let mut shadow = Session::<G>::new(case.config.clone(), case.seats, case.seed).map_err(fail)?;
    for (k, m) in moves.iter().enumerate() {
        // Now and then a seat's connection drops and the player comes back with its resume
        // token on a new connection, receiving the whole stream again.
        if !shadow.is_over()
            && let Some(r) = reconnect_before(case.seed, k, case.seats)
        {
            let token = clients[r]
                .started()
                .and_then(|s| s.resume)
                .ok_or_else(|| fail("a seat without a resume token"))?;
            let fresh = Client::connect(configs[r].clone()).await.map_err(fail)?;
            drop(std::mem::replace(&mut clients[r], fresh));
            clients[r]
                .request(Request::Resume { token, next: 0 })
                .await
                .map_err(fail)?;
            seen[r] = 0;
            if sync == SyncMode::HiddenInformation {
                // The initial view plus one per accepted move so far.
                while seen[r] < accepted + 1 {
                    if let Event::View { .. } = next_event(&mut clients[r]).await? {
                        seen[r] += 1;
                    }
                }
            }
        }
        let _ = shadow.apply(Seat(m.seat), m.action.clone());
        let action = Payload::encode(&m.action, Encoding::Postcard);
        match clients[usize::from(m.seat)].act(action, None).await {
            Ok(index) => {
                rec.decisions.push(None);
                accepted = index + 1;
                let mut hashes = Vec::new();
                for (i, c) in clients.iter_mut().enumerate() {
                    let viewer = if i < n {
                        Viewer::Seat(Seat(i as u8))
                    } else {
                        Viewer::Spectator
                    };
                    // Hidden-information streams count views: the first was the start.
                    let want = if sync == SyncMode::PerfectInformation {
                        index
                    } else {
                        index + 1
                    };
                    hashes.push(view_after::<G>(c, viewer, sync, want, &mut seen[i]).await?);
                }
                rec.views.push(hashes);
            }
            Err(e) => {
                // After the end a host says the room is no longer playing, where the rules
                // say the game is over: the same refusal.
                let code = e.code().unwrap_or("transport").to_string();
                rec.decisions.push(Some(if code == "not_playing" {
                    "game_over".into()
                } else {
                    code
                }));
            }
        }
    }
    rec.log_len = accepted;
    // The end: the room's final state, or the host's hash at our log length.
    let over = offline.outcome.is_some();
    if over {
        let c = &mut clients[0];
        loop {
            if let Event::Room(state) = next_event(c).await?
                && let RoomPhase::Over { outcome, hash } = state.phase
            {
                rec.outcome = Some(outcome);
                rec.hash = u64::from_str_radix(&hash, 16).map_err(fail)?;
                break;
            }
        }
    } else {
        let reply = clients[0]
            .request(Request::Hash {
                index: accepted,
                hash: hearth_rules::hash_hex(offline.hash),
            })
            .await
            .map_err(fail)?;
        match reply {
            hearth_rules::protocol::Reply::HashChecked { host: Some(h), .. } => {
                rec.hash = u64::from_str_radix(&h, 16).map_err(fail)?;
            }
            other => return Err(fail(format!("no host hash: {other:?}"))),
        }
    }
    for c in &clients {
        let _ = c.leave().await;
    }
    Ok(rec)
}

/// What the official server stored of a match, replayed with the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The log as stored: (tick, seat, action as postcard bytes) per entry.
    pub log: Vec<(u64, u8, Vec<u8>)>,
    /// Ticks the match ran (real time).
    pub ticks: u64,
    /// Hash of the replayed final state.
    pub hash: u64,
    /// Outcome of the replay.
    pub outcome: Option<Outcome>,
}

/// Replays the official server's record of the match in `room`: its log, then (real time)
/// the ticks it ran after its last entry.
pub fn replay_stored(
    store: &dyn Store,
    catalog: &Catalog,
    room: &str,
) -> Result<Stored, TestCaseError> {
    let m = store
        .list_matches(None, 1000)
        .map_err(fail)?
        .into_iter()
        .find(|m| m.room == room)
        .ok_or_else(|| fail(format!("the server stored no match for room {room}")))?;
    let log = store.match_log(m.id).map_err(fail)?;
    let header = DynHeader {
        game: m.game.clone(),
        seats: m.seats,
        seed: m.seed,
        config: m.config.clone(),
    };
    let mut s = catalog.replay(&header, &log).map_err(fail)?;
    while s.tick_count() < m.ticks && !s.is_over() {
        s.tick(Encoding::Postcard).map_err(fail)?;
    }
    Ok(Stored {
        log: log
            .iter()
            .map(|e| (e.tick, e.seat.0, e.action.to_bytes()))
            .collect(),
        ticks: m.ticks,
        hash: s.hash(),
        outcome: s.outcome(),
    })
}

/// The log of an offline session in the form [`Stored::log`] has.
pub fn log_of<G: Game>(s: &Session<G>) -> Vec<(u64, u8, Vec<u8>)> {
    s.log()
        .iter()
        .map(|e| {
            (
                e.tick,
                e.seat.0,
                Payload::encode(&e.action, Encoding::Postcard).to_bytes(),
            )
        })
        .collect()
}

/// The room names → seeds map hosts read their games' seeds from (see
/// `HostConfig::seeds`), so a room plays exactly the generated game.
pub type Seeds = Arc<Mutex<HashMap<String, u64>>>;

/// A seed source for `HostConfig::seeds` reading `seeds`.
pub fn seed_source(seeds: &Seeds) -> hearth_server::SeedSource {
    let seeds = seeds.clone();
    Arc::new(move |room: &str| {
        seeds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(room)
            .copied()
            .unwrap_or(0)
    })
}

/// The hosts a cross-mode run plays on: a LAN host found over mDNS, the official server
/// with accounts over SQLite, and — when the build has PostgreSQL (`official::CLUSTERS`,
/// as Hearth's own test build does) — a cluster of three official nodes on a private
/// PostgreSQL (each seat entering through another node), all on loopback. Make them with [`Modes::start`] inside
/// [`in_network_namespace`](crate::netns::in_network_namespace).
pub struct Modes {
    /// The LAN host, at the address its mDNS announcement gave.
    pub lan: Target,
    /// The official server (tokens are made per game, see [`Modes::tokens`]).
    pub official: Target,
    /// Three nodes of a cluster, seats entering through different ones, and a node's HTTP
    /// base URL (device login); `None` when the build has no PostgreSQL (a game project's
    /// own tests, made by `hearth new`, unless it enables `hearth-server/postgres`).
    pub cluster: Option<(Target, String)>,
    /// The official server's HTTP base URL (device login).
    pub official_http: String,
    /// The official server's store (for the replay and leaderboard checks).
    pub store: Arc<dyn Store>,
    /// The games both hosts offer.
    pub catalog: Arc<Catalog>,
    /// Seeds by room name, shared with both hosts.
    pub seeds: Seeds,
    /// How far ahead both hosts accept a stamped real-time input (`Limits::max_input_lead_ticks`).
    pub lead: u64,
    /// Time spent in each mode, by game.
    pub times: Times,
    devices: std::sync::atomic::AtomicU64,
    hosts: Option<(LanHost, HostHandle)>,
    nodes: Vec<(HostHandle, hearth_server::official::NodeHandle)>,
    _postgres: Option<crate::pg::PrivatePostgres>,
    files: PathBuf,
}

/// Why the cross-mode hosts could not start.
#[derive(Debug, thiserror::Error)]
pub enum ModesError {
    /// Outside a network namespace mDNS would reach the real network.
    #[error(
        "the cross-mode hosts announce over mDNS; start them inside `netns::in_network_namespace`"
    )]
    NotIsolated,
    /// A host or the browser failed.
    #[error("{0}")]
    Start(String),
    /// The LAN host was not found over mDNS.
    #[error("the LAN host was not found over mDNS within 10 s")]
    NotFound,
}

impl Modes {
    /// Starts a LAN host (announced on loopback and found again by browsing) and the official
    /// server (accounts, a fresh SQLite file in the temp directory), both offering `catalog`,
    /// both taking their games' seeds from [`Modes::seeds`] and ticking real-time rooms on
    /// the test's word. The rate limits are raised so a test can play as fast as the hosts
    /// answer; everything else is the default configuration.
    pub async fn start(catalog: Catalog) -> Result<Modes, ModesError> {
        if !crate::netns::only_loopback() {
            return Err(ModesError::NotIsolated);
        }
        let catalog = Arc::new(catalog);
        let seeds = Seeds::default();
        let (lan_ticks, official_ticks) = (ManualTicks::new(), ManualTicks::new());
        let config = |ticks: &ManualTicks| HostConfig {
            seeds: Some(seed_source(&seeds)),
            ticks: Some(ticks.clone()),
            limits: Limits::unthrottled(),
            ..HostConfig::on(SocketAddr::from(([127, 0, 0, 1], 0)), catalog.clone())
        };
        let start = |e: &dyn std::fmt::Display| ModesError::Start(e.to_string());
        let mut browser = browse(Interfaces::LoopbackOnly).map_err(|e| start(&e))?;
        let name = format!("Cross-mode {}", std::process::id());
        let lan = LanHost::start(LanConfig {
            name: name.clone(),
            host: config(&lan_ticks),
            interfaces: Interfaces::LoopbackOnly,
        })
        .await
        .map_err(|e| start(&e))?;
        // The LAN mode plays on the address the announcement gives, not the one we know.
        let found = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(event) = browser.next().await {
                if let LanEvent::Found(info) = event
                    && info.name == name
                {
                    return info.ws_url();
                }
            }
            None
        });
        let url = found.await.ok().flatten().ok_or(ModesError::NotFound)?;
        let files = std::env::temp_dir().join(format!("hearth-crossmode-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&files);
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&files.join("official.db")).map_err(|e| start(&e))?);
        let server = hearth_server::official::start(config(&official_ticks), store.clone())
            .await
            .map_err(|e| start(&e))?;
        let cluster_ticks = ManualTicks::new();
        let (postgres, nodes) = if hearth_server::official::CLUSTERS {
            let (pg, nodes) = start_cluster(|| config(&cluster_ticks)).await?;
            (Some(pg), nodes)
        } else {
            eprintln!(
                "cross-mode: no cluster column (this build has no PostgreSQL; enable hearth-server's `postgres` feature to add it)"
            );
            (None, Vec::new())
        };
        Ok(Modes {
            lan: Target {
                url,
                tokens: None,
                ticks: Some(lan_ticks),
                catalog: catalog.clone(),
                nodes: Vec::new(),
            },
            official: Target {
                url: server.ws_url(),
                tokens: None,
                ticks: Some(official_ticks),
                catalog: catalog.clone(),
                nodes: Vec::new(),
            },
            cluster: nodes.first().map(|(first, _)| {
                let target = Target {
                    url: first.ws_url(),
                    tokens: None,
                    ticks: Some(cluster_ticks.clone()),
                    catalog: catalog.clone(),
                    nodes: nodes.iter().map(|(h, _)| h.ws_url()).collect(),
                };
                (target, first.http_url())
            }),
            official_http: server.http_url(),
            store,
            catalog,
            seeds,
            lead: Limits::default().max_input_lead_ticks,
            times: Times::default(),
            devices: Default::default(),
            hosts: Some((lan, server)),
            nodes,
            _postgres: postgres,
            files,
        })
    }

    /// `n` fresh guest accounts made by device login over HTTP, as a game would; their tokens.
    pub async fn tokens(&self, n: usize) -> Result<Vec<String>, TestCaseError> {
        self.tokens_at(&self.official_http, n).await
    }

    async fn tokens_at(&self, http: &str, n: usize) -> Result<Vec<String>, TestCaseError> {
        let mut tokens = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self
                .devices
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let token = hearth_client::device_login(
                http,
                &format!("crossmode-device-{k:08}"),
                &format!("P{k}"),
            )
            .await
            .map_err(fail)?;
            tokens.push(token);
        }
        Ok(tokens)
    }

    /// The official server as a target for one game: `seats` players and a spectator, each
    /// with a fresh account.
    pub async fn official_with_accounts(&self, seats: u8) -> Result<Target, TestCaseError> {
        Ok(Target {
            tokens: Some(self.tokens(usize::from(seats) + 1).await?),
            ..self.official.clone()
        })
    }

    /// The cluster as a target for one game: `seats` players and a spectator, each with a
    /// fresh account, each entering through another node.
    /// `None` without a cluster column.
    pub async fn cluster_with_accounts(&self, seats: u8) -> Result<Option<Target>, TestCaseError> {
        let Some((cluster, http)) = &self.cluster else {
            return Ok(None);
        };
        Ok(Some(Target {
            tokens: Some(self.tokens_at(http, usize::from(seats) + 1).await?),
            ..cluster.clone()
        }))
    }

    /// Stops the hosts (and removes the server's files).
    pub async fn stop(mut self) {
        if let Some((lan, server)) = self.hosts.take() {
            lan.stop().await;
            server.shutdown().await;
        }
        for (node, _) in self.nodes.drain(..) {
            node.shutdown().await;
        }
    }
}

/// Three nodes of a cluster on a fresh private PostgreSQL, each made with `config` on its
/// own loopback port.
async fn start_cluster(
    config: impl Fn() -> HostConfig,
) -> Result<
    (
        crate::pg::PrivatePostgres,
        Vec<(HostHandle, hearth_server::official::NodeHandle)>,
    ),
    ModesError,
> {
    let start = |e: &dyn std::fmt::Display| ModesError::Start(e.to_string());
    let (postgres, db) = tokio::task::spawn_blocking(|| {
        let pg = crate::pg::PrivatePostgres::try_start("crossmode")?;
        let url = pg.url("postgres");
        Ok::<_, String>((pg, url))
    })
    .await
    .map_err(|e| start(&e))?
    .map_err(|e| start(&e))?;
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| start(&e))?
            .port();
        let bind = SocketAddr::from(([127, 0, 0, 1], port));
        let options = hearth_server::official::ClusterOptions {
            public_url: format!("ws://{bind}/ws"),
            lease: Duration::from_secs(2),
        };
        let node = hearth_server::official::start_cluster_node(
            HostConfig { bind, ..config() },
            &db,
            &options,
        )
        .await
        .map_err(|e| start(&e))?;
        nodes.push(node);
    }
    Ok((postgres, nodes))
}

impl Drop for Modes {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.files);
    }
}

/// Time spent per mode, by game name (for games-per-minute figures).
pub type Times = Arc<Mutex<std::collections::BTreeMap<&'static str, ModeTimes>>>;

/// Time one game type spent in each mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct ModeTimes {
    /// Games checked.
    pub games: u64,
    /// Offline in a `Session` (including resolving the case).
    pub offline: Duration,
    /// On the LAN host.
    pub lan: Duration,
    /// On the official server.
    pub official: Duration,
    /// On a cluster of three nodes, seats entering through different ones.
    pub cluster: Duration,
    /// Replaying the stored record and checking the leaderboard.
    pub replay: Duration,
}

impl ModeTimes {
    /// One line: games per minute in each mode.
    pub fn summary(&self, game: &str) -> String {
        let per_min = |d: Duration| self.games as f64 * 60.0 / d.as_secs_f64().max(1e-9);
        format!(
            "{game}: {} games; games/min offline {:.0}, LAN {:.0}, official {:.0},{} replay {:.0}",
            self.games,
            per_min(self.offline),
            per_min(self.lan),
            per_min(self.official),
            // Without a cluster column its time is only the check that there is none.
            if self.cluster > Duration::from_millis(1) * self.games as u32 {
                format!(" cluster {:.0},", per_min(self.cluster))
            } else {
                String::new()
            },
            per_min(self.replay)
        )
    }
}

impl Modes {
    pub(crate) fn add_times(&self, game: &'static str, t: [Duration; 5]) {
        let mut times = self.times.lock().unwrap_or_else(|e| e.into_inner());
        let e = times.entry(game).or_default();
        e.games += 1;
        e.offline += t[0];
        e.lan += t[1];
        e.official += t[2];
        e.cluster += t[3];
        e.replay += t[4];
    }

    /// The per-mode summary of every game checked so far, a line each.
    pub fn report(&self) -> String {
        let times = self.times.lock().unwrap_or_else(|e| e.into_inner());
        times
            .iter()
            .map(|(g, t)| t.summary(g))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits (bounded) until the official server has recorded the end of the match in `room`.
    pub(crate) async fn wait_recorded(&self, room: &str) -> Result<(), TestCaseError> {
        for _ in 0..500 {
            let done = self
                .store
                .list_matches(None, 1000)
                .map_err(fail)?
                .iter()
                .any(|m| m.room == room && m.status != "running");
            if done {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(fail(format!("the server never recorded the end of {room}")))
    }

    /// (d): the official server's record of the match in `room` equals the offline game — the
    /// log entry by entry, and its replay's ticks (real time: `Some`), hash and outcome — and
    /// every player's leaderboard row moved by exactly that outcome.
    pub(crate) async fn check_stored(
        &self,
        game: &str,
        room: &str,
        log: &[(u64, u8, Vec<u8>)],
        ticks: Option<u64>,
        hash: u64,
        outcome: &Option<Outcome>,
    ) -> Result<(), TestCaseError> {
        // The host records a match's end after telling the players; wait for it.
        if outcome.is_some() {
            self.wait_recorded(room).await?;
        }
        let stored = replay_stored(&*self.store, &self.catalog, room)?;
        if stored.log != log {
            let at = first_difference(&stored.log, log);
            return Err(fail(format!(
                "the stored log ({} entries) differs from the offline log ({} entries) at {at:?}",
                stored.log.len(),
                log.len()
            )));
        }
        let stored_ticks = ticks.map(|_| stored.ticks);
        if (stored_ticks, stored.hash, &stored.outcome) != (ticks, hash, outcome) {
            return Err(fail(format!(
                "the stored match replays to ({stored_ticks:?} ticks, {:016x}, {:?}); offline: ({ticks:?} ticks, {hash:016x}, {outcome:?})",
                stored.hash, stored.outcome
            )));
        }
        if let Some(outcome) = outcome {
            self.check_leaderboard(game, room, outcome)?;
        }
        Ok(())
    }

    /// The room a case plays in on both hosts (`n` tells cases apart), its seed registered.
    pub(crate) fn room_for(&self, game: &str, seed: u64, n: u64) -> String {
        let room = format!("x{game}-{n}");
        self.seeds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(room.clone(), seed);
        room
    }

    /// Checks every player of the match in `room` moved on `game`'s leaderboard by exactly
    /// `outcome` (fresh accounts start at 0 games).
    pub(crate) fn check_leaderboard(
        &self,
        game: &str,
        room: &str,
        outcome: &Outcome,
    ) -> Result<(), TestCaseError> {
        let board = self.store.leaderboard(game, 100_000).map_err(fail)?;
        let ids = player_ids(self, room)?;
        for (seat, id) in ids.iter().enumerate() {
            let row = board
                .iter()
                .find(|r| r.account == *id)
                .ok_or_else(|| fail("a player is missing from the leaderboard"))?;
            let won = outcome.winners.iter().any(|w| w.index() == seat);
            let want = match (outcome.is_draw(), won) {
                (true, _) => (0, 0, 1),
                (false, true) => (1, 0, 0),
                (false, false) => (0, 1, 0),
            };
            if (row.wins, row.losses, row.draws) != want {
                return Err(fail(format!(
                    "seat {seat}'s leaderboard row {row:?} does not match {outcome:?}"
                )));
            }
        }
        Ok(())
    }
}

/// Checks that `case` plays identically offline, on the LAN host, on the official server and
/// as a replay of the server's record, and that the leaderboard moved by the outcome.
pub async fn check_case<G: GameUnderTest>(
    modes: &Modes,
    case: &Case<G>,
    n: u64,
) -> Result<(), TestCaseError> {
    let clock = std::time::Instant::now();
    let Resolved {
        moves,
        record: off,
        session,
    } = offline(case)?;
    let offline_log = log_of(&session);
    let t_offline = clock.elapsed();
    let room = modes.room_for(G::INFO.name, case.seed, n);
    let clock = std::time::Instant::now();
    let lan = online::<G>(&modes.lan, &room, case, &moves, &off).await?;
    prop_eq(&off, &lan, "LAN host")?;
    let t_lan = clock.elapsed();
    let clock = std::time::Instant::now();
    let official = modes.official_with_accounts(case.seats).await?;
    let server = online::<G>(&official, &room, case, &moves, &off).await?;
    prop_eq(&off, &server, "official server")?;
    let t_official = clock.elapsed();
    let clock = std::time::Instant::now();
    if let Some(cluster) = modes.cluster_with_accounts(case.seats).await? {
        let nodes = online::<G>(&cluster, &room, case, &moves, &off).await?;
        prop_eq(&off, &nodes, "cluster")?;
    }
    let t_cluster = clock.elapsed();
    let clock = std::time::Instant::now();
    // (d) the server's stored log replays to the same end; the leaderboard moved by it.
    modes
        .check_stored(
            G::INFO.name,
            &room,
            &offline_log,
            None,
            off.hash,
            &off.outcome,
        )
        .await?;
    modes.add_times(
        G::INFO.name,
        [t_offline, t_lan, t_official, t_cluster, clock.elapsed()],
    );
    Ok(())
}

fn player_ids(modes: &Modes, room: &str) -> Result<Vec<u64>, TestCaseError> {
    let m = modes
        .store
        .list_matches(None, 1000)
        .map_err(fail)?
        .into_iter()
        .find(|m| m.room == room)
        .ok_or_else(|| fail("no stored match"))?;
    Ok(m.players.iter().map(|p| p.0).collect())
}

/// Where two sequences first differ (`None` if one is a prefix of the other).
pub(crate) fn first_difference<T: PartialEq>(a: &[T], b: &[T]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y)
}

fn prop_eq(offline: &Record, online: &Record, mode: &str) -> Result<(), TestCaseError> {
    if offline.decisions != online.decisions {
        let at = first_difference(&offline.decisions, &online.decisions);
        return Err(fail(format!(
            "{mode}: decisions differ at move {at:?}: offline {:?}, {mode} {:?}",
            offline.decisions, online.decisions
        )));
    }
    if offline.views != online.views {
        let at = first_difference(&offline.views, &online.views);
        return Err(fail(format!(
            "{mode}: views differ after accepted move {at:?}"
        )));
    }
    if (offline.log_len, offline.hash, &offline.outcome)
        != (online.log_len, online.hash, &online.outcome)
    {
        return Err(fail(format!(
            "{mode}: the end differs: offline ({}, {:016x}, {:?}), {mode} ({}, {:016x}, {:?})",
            offline.log_len,
            offline.hash,
            offline.outcome,
            online.log_len,
            online.hash,
            online.outcome
        )));
    }
    Ok(())
}

/// Runs the cross-mode check for `G` over generated cases (`PROPTEST_CASES` or
/// `cases_default`). A failure is shrunk to a minimal case and written as a vector file,
/// whose path the panic message gives.
pub fn check_cross_mode<G: GameUnderTest>(
    rt: &tokio::runtime::Runtime,
    modes: &Modes,
    cases_default: u32,
    max_steps: usize,
) where
    G::Config: Serialize,
    G::Action: Serialize,
{
    run_generated(
        G::INFO.name,
        case_strategy::<G>(max_steps),
        cases_default,
        |case, n| rt.block_on(check_case::<G>(modes, case, n)),
        |case| write_vector::<G>(&modes.catalog, case),
    );
}

/// Runs `check` over cases from `strategy` (`PROPTEST_CASES` or `cases_default` of them,
/// numbered from 0); on a failure shrinks it, writes the minimal case with `write` and panics
/// with the reason and the file's path.
pub(crate) fn run_generated<T: Clone + std::fmt::Debug>(
    game: &str,
    strategy: proptest::strategy::BoxedStrategy<T>,
    cases_default: u32,
    check: impl Fn(&T, u64) -> Result<(), TestCaseError>,
    write: impl Fn(&T) -> PathBuf,
) {
    let mut runner = TestRunner::new(Config {
        cases: crate::props::cases(cases_default),
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::sync::atomic::AtomicU64::new(0);
    let result = runner.run(&strategy, |case| {
        check(
            &case,
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        )
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, case)) => panic!(
            "{game} differs between modes: {why}\nminimal case written as a vector: {}",
            write(&case).display()
        ),
        Err(e) => panic!("{e}"),
    }
}

/// Writes the offline run of `case` as a golden-vector file (runnable by the vector checker).
pub fn write_vector<G: GameUnderTest>(catalog: &Catalog, case: &Case<G>) -> PathBuf
where
    G::Config: Serialize,
    G::Action: Serialize,
{
    failure_vector::<G>(catalog, &case.config, case.seats, case.seed, |rec| {
        if let Ok(resolved) = offline(case) {
            for m in resolved.moves {
                rec.apply(m.seat, serde_json::to_value(&m.action).unwrap_or_default());
            }
        }
    })
}

/// Records a failing case as a vector file in the temp directory (`play` drives the recorder)
/// and returns its path.
pub(crate) fn failure_vector<G: Game>(
    catalog: &Catalog,
    config: &G::Config,
    seats: u8,
    seed: u64,
    play: impl FnOnce(&mut Recorder),
) -> PathBuf
where
    G::Config: Serialize,
{
    let path = std::env::temp_dir().join(format!(
        "hearth-crossmode-{}-{}.json",
        G::INFO.name,
        std::process::id()
    ));
    let config = serde_json::to_value(config).unwrap_or_default();
    if let Ok(mut rec) = Recorder::new(
        catalog,
        "crossmode-failure",
        "a minimal case the cross-mode check failed on",
        G::INFO.name,
        config,
        seats,
        seed,
    ) {
        play(&mut rec);
        let _ = std::fs::write(&path, to_json(&rec.finish()));
    }
    path
}
