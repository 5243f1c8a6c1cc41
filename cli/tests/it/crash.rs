//! Crash recovery: a real `hearth serve` process is killed with SIGKILL several times at
//! random points of a match; after each restart the match is rebuilt from its log, the
//! players rejoin their seats, and no acknowledged action is missing.

use std::path::Path;
use std::process::{Child, Command};

use crate::common::*;
use hearth_games::connect_four::{ConnectFour, Move};
use hearth_rules::protocol::{JoinAs, Request};
use hearth_rules::{Seat, Session, SessionHeader};
use serde_json::{Value, json};

struct Server {
    child: Child,
    addr: std::net::SocketAddr,
}

fn spawn_server(db: &Path) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
    cmd.args(["serve", "--seat-grace-secs", "600", "--db"])
        .arg(db);
    let (child, addr) = spawn_serving(cmd);
    Server { child, addr }
}

fn kill9(server: &mut Server) {
    let status = Command::new("kill")
        .args(["-KILL", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = server.child.wait();
}

/// A tiny deterministic generator for the kill points (seed printed for reruns).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A player's client plus its mirror of the game, rebuilt from the stream.
struct Player {
    client: Client,
    seat: u8,
    mirror: Session<ConnectFour>,
}

async fn rejoin(addr: std::net::SocketAddr, token: &str, room: &str) -> Player {
    let mut client = Client::with_token(&format!("ws://{addr}/ws"), token).await;
    client
        .join(room, JoinAs::Player)
        .await
        .expect("rejoins its seat");
    let started = client.expect("started").await;
    let seat = started["seat"].as_u64().expect("still seated") as u8;
    // The host sends the stream so far between `started` and the room state that shows this
    // player back; waiting for that state (not for a `pong`, which the connection answers
    // itself and which can overtake the room's sends on a loaded machine) means the whole
    // stream is queued for `absorb`.
    let me = started["players"][seat as usize].clone();
    client
        .expect_where("room", |r| {
            r["members"].as_array().is_some_and(|ms| {
                ms.iter()
                    .any(|m| m["player"] == me && m["connected"] == true)
            })
        })
        .await;
    let mirror = Session::<ConnectFour>::from_header(SessionHeader {
        seats: 2,
        seed: started["seed"].as_u64().unwrap(),
        config: serde_json::from_value(started["config"].clone()).unwrap(),
    })
    .unwrap();
    Player {
        client,
        seat,
        mirror,
    }
}

/// Applies every `entry` waiting in the client's queue to its mirror.
fn absorb(p: &mut Player) {
    for g in p.client.drain_pending() {
        if let Some(e) = g.json.get("entry") {
            let index = e["seq"].as_u64().unwrap();
            if index == p.mirror.log().len() as u64 {
                let mv: Move = serde_json::from_value(e["action"].clone()).unwrap();
                p.mirror
                    .apply(Seat(e["seat"].as_u64().unwrap() as u8), mv)
                    .unwrap();
            }
        }
    }
}

#[tokio::test]
async fn a_match_survives_sigkill_at_random_points() {
    // HEARTH_CRASH_SEED replays a failed run's kill points.
    let seed = std::env::var("HEARTH_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("kill-point seed {seed} (rerun with HEARTH_CRASH_SEED={seed})");
    let mut rng = Lcg(seed);
    let dir = std::env::temp_dir().join(format!("hearth-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("crash.db");

    let mut server = spawn_server(&db);
    let (ta, _) = device_login(server.addr, "device-crash-ada", "Ada").await;
    let (tb, _) = device_login(server.addr, "device-crash-bob", "Bob").await;
    let mut a = Client::with_token(&format!("ws://{}/ws", server.addr), &ta).await;
    let mut b = Client::with_token(&format!("ws://{}/ws", server.addr), &tb).await;
    a.create("Crashy", "connect-four", json!({"first_seat": 0}))
        .await;
    b.join("Crashy", JoinAs::Player).await.unwrap();
    a.ok(Request::Ready { ready: true }).await;
    b.ok(Request::Ready { ready: true }).await;
    a.ok(Request::Start).await;
    drop((a, b));

    // Every action the server acknowledged: (index, seat, column).
    let mut acknowledged: Vec<(u64, u8, u8)> = Vec::new();
    let mut kills = 0;
    let mut finished = None;
    while finished.is_none() {
        let mut players = [
            rejoin(server.addr, &ta, "Crashy").await,
            rejoin(server.addr, &tb, "Crashy").await,
        ];
        for p in players.iter_mut() {
            absorb(p);
        }
        // Nothing acknowledged is missing, and the log agrees with what was acknowledged.
        let log = players[0].mirror.log();
        for (index, seat, column) in &acknowledged {
            let e = log.get(*index as usize).unwrap_or_else(|| {
                panic!("acknowledged action {index} lost after kill {kills} (seed {seed})")
            });
            assert_eq!((e.seat.0, e.action.column), (*seat, *column), "seed {seed}");
        }
        assert_eq!(
            players[0].mirror.hash(),
            players[1].mirror.hash(),
            "after kill {kills} the players' mirrors differ: {} and {} entries (seed {seed})",
            players[0].mirror.log().len(),
            players[1].mirror.log().len(),
        );
        // One or two moves between kills: three kills come before move 7, the earliest a
        // connect-four game can end, so every run really kills mid-match three times.
        let moves_before_kill = if kills < 3 {
            1 + rng.below(2)
        } else {
            u64::MAX
        };
        let mut made = 0;
        while !players[0].mirror.is_over() && made < moves_before_kill {
            let to_move = players[0].mirror.state().to_move().unwrap();
            let p = players
                .iter_mut()
                .find(|p| Seat(p.seat) == to_move)
                .unwrap();
            // Depth-4 bots on both sides: games last long enough for three kills.
            let mv = p.mirror.bot_action(to_move, 4).unwrap().unwrap();
            let last = made + 1 == moves_before_kill;
            if last && rng.below(2) == 0 {
                // Kill with this action in flight: it may or may not have been stored,
                // but it was never acknowledged.
                p.client
                    .send(Request::Action {
                        action: json!({"column": mv.column}),
                        tick: None,
                    })
                    .await;
                break;
            }
            let r = p
                .client
                .call(Request::Action {
                    action: json!({"column": mv.column}),
                    tick: None,
                })
                .await
                .unwrap();
            let index = r["accepted"]["index"].as_u64().unwrap();
            acknowledged.push((index, to_move.0, mv.column));
            made += 1;
            // Both mirrors follow the stream.
            for p in players.iter_mut() {
                p.client.expect_where("entry", |e| e["seq"] == index).await;
                let mut pending = p.client.drain_pending();
                pending.retain(|g| g.json.get("entry").is_none());
                let mv: Move = Move { column: mv.column };
                p.mirror.apply(to_move, mv).unwrap();
            }
        }
        if players[0].mirror.is_over() {
            let over = players[0]
                .client
                .expect_where("room", |r| r["phase"].get("over").is_some())
                .await;
            finished = Some(over["phase"]["over"].clone());
            break;
        }
        kill9(&mut server);
        kills += 1;
        server = spawn_server(&db);
    }
    assert!(kills >= 3, "the server was killed {kills} times");
    let over: Value = finished.unwrap();

    // The stored match replays to the recorded end.
    let list = matches_once_ended(server.addr).await;
    let m = &list["matches"][0];
    assert_eq!(m["status"], "over");
    assert_eq!(m["hash"], over["hash"]);
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["replay", &m["id"].to_string(), "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    kill9(&mut server);
    let _ = std::fs::remove_dir_all(&dir);
}
