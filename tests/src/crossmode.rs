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
use hearth_server::official::store::Store;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde::Serialize;

use crate::props::{Case, GameUnderTest, Step, case_strategy, resolve_legal};
use crate::vectors::{Recorder, to_json};

/// How long one expected message may take (a liveness bound, not a speed assertion).
const WAIT: Duration = Duration::from_secs(15);

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

/// A case resolved to concrete moves, with what playing them offline did.
pub type Resolved<A> = (Vec<Move<A>>, Record);

fn view_hashes<G: Game>(s: &Session<G>) -> Vec<u64> {
    let mut v: Vec<u64> = (0..s.seats())
        .map(|i| {
            s.view(Viewer::Seat(Seat(i)))
                .map(|v| stable_hash(&v))
                .unwrap_or(0)
        })
        .collect();
    v.push(
        s.view(Viewer::Spectator)
            .map(|v| stable_hash(&v))
            .unwrap_or(0),
    );
    v
}

/// Plays the case offline; returns the concrete moves it resolved to and what happened.
/// Moves are from seats at the table (a network client can only speak for its own seat).
pub fn offline<G: GameUnderTest>(case: &Case<G>) -> Result<Resolved<G::Action>, TestCaseError> {
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
    Ok((moves, rec))
}

/// Where an online mode plays.
#[derive(Clone)]
pub struct Target {
    /// WebSocket URL.
    pub url: String,
    /// Tokens for seat 0.., then the spectator (official server); `None` on a LAN host.
    pub tokens: Option<Vec<String>>,
}

fn fail(what: impl std::fmt::Display) -> TestCaseError {
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

/// Plays the moves on a host; returns what its clients saw.
pub async fn online<G: GameUnderTest>(
    target: &Target,
    room: &str,
    case: &Case<G>,
    moves: &[Move<G::Action>],
) -> Result<Record, TestCaseError> {
    let catalog = Arc::new(Catalog::builtin());
    let meta = catalog.get(G::INFO.name).map_err(fail)?.clone();
    let sync = meta.sync_mode();
    let n = usize::from(case.seats);
    let mut clients = Vec::new();
    for i in 0..=n {
        let config = ClientConfig {
            url: target.url.clone(),
            token: target.tokens.as_ref().map(|t| t[i].clone()),
            name: if i < n {
                format!("Seat {i}")
            } else {
                "Watcher".into()
            },
            catalog: catalog.clone(),
            reconnect: false,
        };
        clients.push(Client::connect(config).await.map_err(fail)?);
    }
    let config = serde_json::to_value(&case.config).map_err(fail)?;
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
                game: meta.name.clone(),
                config: Payload::Json(config.clone()),
                max_seats: Some(case.seats),
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
    // Everyone has the game (and, for hidden information, its first view) before moving.
    let mut seen = vec![0u64; n + 1];
    for c in clients.iter_mut() {
        loop {
            if let Event::Started(_) = next_event(c).await? {
                break;
            }
        }
    }
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
    let configs: Vec<ClientConfig> = (0..n)
        .map(|i| ClientConfig {
            url: target.url.clone(),
            token: target.tokens.as_ref().map(|t| t[i].clone()),
            name: format!("Seat {i}"),
            catalog: catalog.clone(),
            reconnect: false,
        })
        .collect();
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
    let offline_hash = {
        let mut s = Session::<G>::new(case.config.clone(), case.seats, case.seed).map_err(fail)?;
        for m in moves {
            let _ = s.apply(Seat(m.seat), m.action.clone());
        }
        s.hash()
    };
    let over = G::INFO.tick_rate.is_none() && {
        let mut s = Session::<G>::new(case.config.clone(), case.seats, case.seed).map_err(fail)?;
        for m in moves {
            let _ = s.apply(Seat(m.seat), m.action.clone());
        }
        s.is_over()
    };
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
                hash: hearth_rules::hash_hex(offline_hash),
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

/// The official server's record of a match, replayed with the rules.
pub fn replay_stored(
    store: &dyn Store,
    room: &str,
) -> Result<(u64, Option<Outcome>, u64), TestCaseError> {
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
    let s = Catalog::builtin().replay(&header, &log).map_err(fail)?;
    Ok((s.hash(), s.outcome(), log.len() as u64))
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

/// The hosts a cross-mode run plays on.
pub struct Modes {
    /// A LAN host found over mDNS.
    pub lan: Target,
    /// The official server, with a way to make accounts.
    pub official: Target,
    /// Makes `n` fresh guest accounts on the official server and returns their tokens.
    pub tokens: Arc<dyn Fn(usize) -> Vec<String> + Send + Sync>,
    /// The official server's store (for the replay and leaderboard checks).
    pub store: Arc<dyn Store>,
    /// Seeds by room name, shared with both hosts.
    pub seeds: Seeds,
}

/// Checks that `case` plays identically offline, on the LAN host, on the official server and
/// as a replay of the server's record, and that the leaderboard moved by the outcome.
pub async fn check_case<G: GameUnderTest>(
    modes: &Modes,
    case: &Case<G>,
    n: u64,
) -> Result<(), TestCaseError> {
    let (moves, off) = offline(case)?;
    let room = format!("x{}-{n}", G::INFO.name);
    modes
        .seeds
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(room.clone(), case.seed);
    let lan = online::<G>(&modes.lan, &room, case, &moves).await?;
    prop_eq(&off, &lan, "LAN host")?;
    let tokens = (modes.tokens)(usize::from(case.seats) + 1);
    let official = Target {
        tokens: Some(tokens.clone()),
        ..modes.official.clone()
    };
    let server = online::<G>(&official, &room, case, &moves).await?;
    prop_eq(&off, &server, "official server")?;
    // The host records a match's end after telling the players; wait for it (bounded).
    if off.outcome.is_some() {
        for _ in 0..500 {
            let done = modes
                .store
                .list_matches(None, 1000)
                .map_err(fail)?
                .iter()
                .any(|m| m.room == room && m.status != "running");
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // (d) the server's stored log replays to the same end.
    let (hash, outcome, len) = replay_stored(&*modes.store, &room)?;
    if (hash, &outcome, len) != (off.hash, &off.outcome, off.log_len) {
        return Err(fail(format!(
            "the stored match replays to hash {hash:016x}, {outcome:?}, {len} entries; offline: {:016x}, {:?}, {}",
            off.hash, off.outcome, off.log_len
        )));
    }
    // The leaderboard moved by exactly this outcome (fresh accounts start at 0 games).
    if let Some(outcome) = &off.outcome {
        let board = modes
            .store
            .leaderboard(G::INFO.name, 100_000)
            .map_err(fail)?;
        let ids = player_ids(modes, &room)?;
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
    }
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

fn prop_eq(offline: &Record, online: &Record, mode: &str) -> Result<(), TestCaseError> {
    if offline.decisions != online.decisions {
        let at = offline
            .decisions
            .iter()
            .zip(&online.decisions)
            .position(|(a, b)| a != b);
        return Err(fail(format!(
            "{mode}: decisions differ at move {at:?}: offline {:?}, {mode} {:?}",
            offline.decisions, online.decisions
        )));
    }
    if offline.views != online.views {
        let at = offline
            .views
            .iter()
            .zip(&online.views)
            .position(|(a, b)| a != b);
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
    let mut runner = TestRunner::new(Config {
        cases: crate::props::cases(cases_default),
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::sync::atomic::AtomicU64::new(0);
    let result = runner.run(&case_strategy::<G>(max_steps), |case| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        rt.block_on(check_case::<G>(modes, &case, n))
    });
    if let Err(TestError::Fail(why, case)) = result {
        let path = write_vector::<G>(&case);
        panic!(
            "{} differs between modes: {why}\nminimal case written as a vector: {}",
            G::INFO.name,
            path.display()
        );
    } else if let Err(e) = result {
        panic!("{e}");
    }
}

/// Writes the offline run of `case` as a golden-vector file (runnable by the vector checker).
pub fn write_vector<G: GameUnderTest>(case: &Case<G>) -> PathBuf
where
    G::Config: Serialize,
    G::Action: Serialize,
{
    let path = std::env::temp_dir().join(format!(
        "hearth-crossmode-{}-{}.json",
        G::INFO.name,
        std::process::id()
    ));
    let catalog = Catalog::builtin();
    let config = serde_json::to_value(&case.config).unwrap_or_default();
    if let Ok(mut rec) = Recorder::new(
        &catalog,
        "crossmode-failure",
        "a minimal case the cross-mode check failed on",
        G::INFO.name,
        config,
        case.seats,
        case.seed,
    ) && let Ok((moves, _)) = offline(case)
    {
        for m in moves {
            rec.apply(m.seat, serde_json::to_value(&m.action).unwrap_or_default());
        }
        let _ = std::fs::write(&path, to_json(&rec.finish()));
    }
    path
}
