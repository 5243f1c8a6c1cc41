//! Hostile load: normal rooms play connect-four on a real `hearth serve` process twice, once
//! alone and once while other clients flood requests, trickle their handshakes a byte at a
//! time, watch the same rooms without ever reading, and hold silent and hello-less sockets up
//! to the server's connection limit. The normal rooms must play exactly the same games (the
//! same moves, outcomes and final hashes, each hash checked against a local replay); the
//! latency of their moves in both runs is printed side by side (a figure, not an assertion;
//! run with `--nocapture` to see it). Bounded: a fixed number of games, attackers stop when
//! the rooms are done.

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hearth_games::connect_four::{ConnectFour, Move};
use hearth_rules::protocol::{ClientMsg, Hello, JoinAs, PROTOCOL_VERSION, Request, to_json};
use hearth_rules::{Seat, Session, SessionHeader};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

/// Normal rooms, games each plays one after another, and how long a player thinks before
/// each move (so the attack lasts long enough for handshake deadlines to pass).
const ROOMS: usize = 6;
const GAMES: usize = 4;
const THINK: Duration = Duration::from_millis(30);
/// The server's connection cap; the attackers fill it.
const MAX_CONNECTIONS: usize = 96;
/// Each kind of attacker.
const FLOODERS: usize = 4;
const TRICKLERS: usize = 4;
const HELLOLESS: usize = 16;

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
    cmd.args(["serve", "--memory", "--handshake-timeout-secs", "2"])
        .args(["--max-connections", &MAX_CONNECTIONS.to_string()])
        .args(["--sign-ins-per-minute", "100000"])
        // Above the rate limit's burst (120), so a flood meets the rate limit before a full
        // queue.
        .args(["--outbound-queue", "256"]);
    let (child, addr) = spawn_serving(cmd);
    Server { child, addr }
}

/// What one normal game was: its moves and how it ended (the final hash is checked within a
/// run against a local replay; it differs between runs, as each match has its own seed).
#[derive(Debug, PartialEq)]
struct Game {
    room: String,
    moves: Vec<u8>,
    outcome: Value,
}

/// One run's games, and the latency of every move (send → `accepted`), in milliseconds.
struct Run {
    games: Vec<Game>,
    latency_ms: Vec<f64>,
}

/// The move a normal player makes: a fixed function of where the game stands, so both runs
/// play the same games whatever the server's seeds.
fn policy(room: usize, game: usize, s: &Session<ConnectFour>, seat: Seat) -> Move {
    let legal = s
        .legal_actions(seat)
        .expect("a seat to move has legal actions");
    let n = s.log().len();
    legal[(room * 3 + game * 5 + n * n + n / 2) % legal.len()]
}

/// Both players of every normal room, signed in and seated (before any attacker comes: the
/// rooms are already playing when the attack starts).
async fn seat_rooms(addr: SocketAddr) -> Vec<[Client; 2]> {
    let ws = format!("ws://{addr}/ws");
    let mut rooms = Vec::new();
    for room in 0..ROOMS {
        let (ta, _) = device_login(addr, &format!("normal-device-{room}-a"), "Ada").await;
        let (tb, _) = device_login(addr, &format!("normal-device-{room}-b"), "Bob").await;
        let mut players = [
            Client::with_token(&ws, &ta).await,
            Client::with_token(&ws, &tb).await,
        ];
        let name = format!("Normal-{room}");
        players[0]
            .create(&name, "connect-four", json!({"first_seat": 0}))
            .await;
        players[1].join(&name, JoinAs::Player).await.expect("joins");
        rooms.push(players);
    }
    rooms
}

/// Plays [`GAMES`] games (a rematch each time) in one room.
async fn play_room(room: usize, mut players: [Client; 2]) -> (Vec<Game>, Vec<f64>) {
    let mut games = Vec::new();
    let mut latency = Vec::new();
    for game in 0..GAMES {
        for p in players.iter_mut() {
            p.ok(Request::Ready { ready: true }).await;
        }
        players[0].ok(Request::Start).await;
        let started = players[0].expect("started").await;
        // Room states read on the way to `started` are from before this game began.
        let _ = players[0].drain_pending();
        let mut mirror = Session::<ConnectFour>::from_header(SessionHeader {
            seats: 2,
            seed: started["seed"]
                .as_u64()
                .expect("perfect information has a seed"),
            config: serde_json::from_value(started["config"].clone()).expect("a config"),
        })
        .expect("the game sets up");
        let mut moves = Vec::new();
        while !mirror.is_over() {
            let seat = mirror.state().to_move().expect("someone moves");
            let mv = policy(room, game, &mirror, seat);
            tokio::time::sleep(THINK).await;
            let sent = Instant::now();
            players[seat.0 as usize]
                .call(Request::Action {
                    action: json!({"column": mv.column}),
                    tick: None,
                })
                .await
                .expect("a legal move is accepted");
            latency.push(sent.elapsed().as_secs_f64() * 1000.0);
            moves.push(mv.column);
            mirror.apply(seat, mv).expect("the mirror follows");
        }
        let over = players[0]
            .expect_where("room", |r| r["phase"].get("over").is_some())
            .await["phase"]["over"]
            .clone();
        assert_eq!(
            over["hash"],
            hearth_rules::hash_hex(mirror.hash()),
            "the host's end differs from the moves it acknowledged (room {room}, game {game}, {moves:?}, {over})"
        );
        games.push(Game {
            room: format!("Normal-{room}, game {game}"),
            moves,
            outcome: over["outcome"].clone(),
        });
    }
    (games, latency)
}

async fn play(rooms: Vec<[Client; 2]>) -> Run {
    let rooms: Vec<_> = rooms
        .into_iter()
        .enumerate()
        .map(|(r, players)| tokio::spawn(play_room(r, players)))
        .collect();
    let mut run = Run {
        games: Vec::new(),
        latency_ms: Vec::new(),
    };
    for r in rooms {
        let (games, latency) = r.await.expect("a normal room plays to its end");
        run.games.extend(games);
        run.latency_ms.extend(latency);
    }
    run
}

/// What the attackers managed, counted.
#[derive(Default)]
struct Attacks {
    silent: AtomicU64,
    helloless: AtomicU64,
    trickles: AtomicU64,
    floods: AtomicU64,
    watchers: AtomicU64,
}

/// Holds a socket that never sends a byte until the server closes it; counts each.
async fn silent(addr: SocketAddr, stop: Arc<AtomicBool>, n: Arc<Attacks>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut tcp) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        n.silent.fetch_add(1, Ordering::Relaxed);
        let mut buf = [0u8; 64];
        while !stop.load(Ordering::Relaxed) {
            match tokio::time::timeout(Duration::from_millis(200), tcp.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                _ => {}
            }
        }
        // Back for its place soon after it is closed: the server stays full.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Upgrades to a WebSocket and never says `hello`.
async fn helloless(addr: SocketAddr, stop: Arc<AtomicBool>, n: Arc<Attacks>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await
        else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        n.helloless.fetch_add(1, Ordering::Relaxed);
        while !stop.load(Ordering::Relaxed) {
            match tokio::time::timeout(Duration::from_millis(200), ws.next()).await {
                Ok(None) | Ok(Some(Err(_))) => break,
                _ => {}
            }
        }
    }
}

/// Sends a WebSocket upgrade a byte every 100 ms.
async fn trickle(addr: SocketAddr, stop: Arc<AtomicBool>, n: Arc<Attacks>) {
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut tcp) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        n.trickles.fetch_add(1, Ordering::Relaxed);
        for byte in request.as_bytes() {
            if stop.load(Ordering::Relaxed) || tcp.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A signed-in `hello`.
fn hello(token: &str) -> Request<Value> {
    Request::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        fingerprints: vec![],
        name: "attacker".into(),
        token: Some(token.into()),
    })
}

/// A request as a JSON text frame.
fn text(id: u32, req: Request<Value>) -> Message {
    Message::Text(to_json(&ClientMsg { id, req }).into())
}

/// Signs in, then sends requests as fast as it can without reading until the server closes
/// it for the rate; again and again.
async fn flood(addr: SocketAddr, token: String, stop: Arc<AtomicBool>, n: Arc<Attacks>) {
    while !stop.load(Ordering::Relaxed) {
        let ws = format!("ws://{addr}/ws");
        let Ok((sock, _)) = tokio_tungstenite::connect_async(&ws).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        n.floods.fetch_add(1, Ordering::Relaxed);
        let (mut tx, mut rx) = sock.split();
        // It reads what comes back, so what stops it is the rate limit, not a full queue.
        let reader = tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
        let _ = tx.send(text(1, hello(&token))).await;
        for id in 2.. {
            if stop.load(Ordering::Relaxed)
                || reader.is_finished()
                || tx.send(text(id, Request::Ping)).await.is_err()
            {
                break;
            }
            if id % 64 == 0 {
                tokio::task::yield_now().await;
            }
        }
        reader.abort();
    }
}

/// Watches every normal room as a spectator and never reads; rejoins when dropped.
async fn watch(addr: SocketAddr, token: String, stop: Arc<AtomicBool>, n: Arc<Attacks>) {
    let ws = format!("ws://{addr}/ws");
    while !stop.load(Ordering::Relaxed) {
        for room in 0..ROOMS {
            {
                let Ok((mut sock, _)) = tokio_tungstenite::connect_async(&ws).await else {
                    continue;
                };
                let join = Request::Join {
                    room: format!("Normal-{room}"),
                    password: None,
                    join_as: JoinAs::Spectator,
                    create: None,
                };
                let chat = Request::Chat {
                    text: "never reading".into(),
                };
                for (id, req) in [(1, hello(&token)), (2, join), (3, chat)] {
                    let _ = sock.send(text(id, req)).await;
                }
                n.watchers.fetch_add(1, Ordering::Relaxed);
                // Kept unread until the next round.
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    drop(sock);
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn percentile(ms: &[f64], p: f64) -> f64 {
    let mut v = ms.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_rooms_play_the_same_games_while_attackers_flood_trickle_stall_and_hold_sockets() {
    let quiet = {
        let server = start();
        let rooms = seat_rooms(server.addr).await;
        tokio::time::timeout(Duration::from_secs(120), play(rooms))
            .await
            .expect("the quiet run ends")
    };

    let server = start();
    let rooms = seat_rooms(server.addr).await;
    let stop = Arc::new(AtomicBool::new(false));
    let n = Arc::new(Attacks::default());
    let mut attackers = Vec::new();
    let a = server.addr;
    // The attackers with accounts sign in before the server is full (sign-ins go over
    // HTTP, which a full server keeps a reserve for, but an attacker would not rely on it).
    let mut flooders = Vec::new();
    for who in 0..FLOODERS {
        flooders.push(
            device_login(a, &format!("flooding-device-{who}"), "Flood")
                .await
                .0,
        );
    }
    let (watcher, _) = device_login(a, "watching-device", "Watch").await;
    for _ in 0..MAX_CONNECTIONS {
        attackers.push(tokio::spawn(silent(a, stop.clone(), n.clone())));
    }
    for _ in 0..HELLOLESS {
        attackers.push(tokio::spawn(helloless(a, stop.clone(), n.clone())));
    }
    for _ in 0..TRICKLERS {
        attackers.push(tokio::spawn(trickle(a, stop.clone(), n.clone())));
    }
    for token in flooders {
        attackers.push(tokio::spawn(flood(a, token, stop.clone(), n.clone())));
    }
    attackers.push(tokio::spawn(watch(a, watcher, stop.clone(), n.clone())));
    // Let the attackers fill the server first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let attacked = tokio::time::timeout(Duration::from_secs(120), play(rooms))
        .await
        .expect("the attacked run ends");
    stop.store(true, Ordering::Relaxed);
    for t in attackers {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }

    let (_, metrics) = http(server.addr, "GET", "/metrics", None, None).await;
    eprintln!(
        "hostile load: {} games in {ROOMS} rooms, {} moves each run\n\
         quiet:    p50 {:.1} ms, p99 {:.1} ms\n\
         attacked: p50 {:.1} ms, p99 {:.1} ms\n\
         attackers: {} silent sockets, {} hello-less WebSockets, {} trickled upgrades, \
         {} flooding connections, {} never-reading spectators\n{}",
        quiet.games.len(),
        quiet.latency_ms.len(),
        percentile(&quiet.latency_ms, 0.5),
        percentile(&quiet.latency_ms, 0.99),
        percentile(&attacked.latency_ms, 0.5),
        percentile(&attacked.latency_ms, 0.99),
        n.silent.load(Ordering::Relaxed),
        n.helloless.load(Ordering::Relaxed),
        n.trickles.load(Ordering::Relaxed),
        n.floods.load(Ordering::Relaxed),
        n.watchers.load(Ordering::Relaxed),
        metrics
            .as_str()
            .unwrap_or_default()
            .lines()
            .filter(|l| [
                "hearth_evicted",
                "hearth_handshake_timeouts",
                "hearth_rate_limited",
                "hearth_queue_overflows"
            ]
            .iter()
            .any(|k| l.starts_with(k)))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        attacked.games, quiet.games,
        "the attackers changed what the normal rooms played"
    );
    // The attacks really happened.
    assert!(n.silent.load(Ordering::Relaxed) >= MAX_CONNECTIONS as u64);
    assert!(
        n.floods.load(Ordering::Relaxed) > FLOODERS as u64,
        "no flooder was cut off"
    );
    let count = |name: &str| -> u64 {
        metrics
            .as_str()
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    // Each defence met its attacker: silent sockets were evicted to make room, hello-less and
    // trickling ones ran out of time, and floods were cut off (by the rate limit, or by their
    // own full queue when the server could not write as fast as they asked).
    for defence in ["hearth_evicted_total", "hearth_handshake_timeouts_total"] {
        assert!(count(defence) > 0, "{defence} never acted: {metrics}");
    }
    assert!(
        count("hearth_rate_limited_total") + count("hearth_queue_overflows_total") > 0,
        "no flood was cut off: {metrics}"
    );
    assert!(n.watchers.load(Ordering::Relaxed) > 0);
}
