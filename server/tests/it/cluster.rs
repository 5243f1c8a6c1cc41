//! Three `hearth serve` nodes on one private PostgreSQL, all on loopback, as real processes
//! (so they can be killed and paused for real): rooms reachable from every node, events
//! across nodes, a killed owner's match continuing on a survivor, a paused owner fenced.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hearth_rules::protocol::{JoinAs, Request};
use hearth_rules::{Payload, Seat};
use hearth_server::official::accounts;
use hearth_server::official::postgres::PgStore;
use hearth_server::official::store::{Role, Store as _};
use serde_json::{Value, json};

use super::postgres::Pg;
use crate::common::*;

/// The lease the nodes run with: short, so tests see takeovers quickly (the default is 2 s);
/// `HEARTH_CLUSTER_LEASE_MS` overrides it (BENCHMARKS.md measures failover with 2000).
fn lease_ms() -> u64 {
    std::env::var("HEARTH_CLUSTER_LEASE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// One `hearth serve --public-url` process.
struct Node {
    child: Option<Child>,
    port: u16,
    db: String,
    log: PathBuf,
    dir: PathBuf,
}

impl Node {
    /// Starts a node on `port` and waits until it answers `/healthz`.
    async fn start(db: &str, port: u16, dir: &std::path::Path, name: &str) -> Node {
        let log = dir.join(format!(
            "{name}-{}.log",
            Instant::now().elapsed().as_nanos()
        ));
        let mut node = Node {
            child: None,
            port,
            db: db.to_string(),
            log,
            dir: dir.to_path_buf(),
        };
        node.spawn();
        node.ready().await;
        node
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(&self.log).unwrap();
        let child = Command::new(hearth_bin())
            .args(["serve", "--bind"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["--db", &self.db, "--public-url", &self.ws()])
            .args(["--lease-ms", &lease_ms().to_string()])
            .args(["--sign-ins-per-minute", "100000", "--drain-secs", "2"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("hearth starts");
        self.child = Some(child);
    }

    async fn ready(&mut self) {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("node exited ({status}): {}", self.log_text());
            }
            if tokio::net::TcpStream::connect(self.addr()).await.is_ok() {
                let (status, _) = http(self.addr(), "GET", "/healthz", None, None).await;
                if status == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < until,
                "node never ready: {}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A fresh process on the same port and URL (after a kill, once its lease lapsed).
    async fn restart(&mut self) {
        self.log = self
            .dir
            .join(format!("restart-{}-{}.log", self.port, free_port()));
        self.spawn();
        self.ready().await;
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn ws(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let ok = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {pid}");
    }

    fn alive(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(c) = &self.child {
            // A paused node would not die of SIGKILL's delivery until resumed on some kernels.
            let _ = Command::new("kill")
                .args(["-CONT", &c.id().to_string()])
                .status();
        }
        self.kill();
    }
}

/// A private PostgreSQL, a database, and three nodes on it.
struct Cluster {
    nodes: Vec<Node>,
    url: String,
    _dir: PathBuf,
    _pg: Pg,
}

impl Cluster {
    async fn start(name: &str) -> Cluster {
        // The PostgreSQL driver blocks: off the async threads.
        let (pg, url) = tokio::task::spawn_blocking({
            let name = name.to_string();
            move || {
                let pg = Pg::start(&name);
                let url = pg.database(&name);
                (pg, url)
            }
        })
        .await
        .unwrap();
        let dir =
            std::env::temp_dir().join(format!("hearth-cluster-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut nodes = Vec::new();
        for n in ["a", "b", "c"] {
            nodes.push(Node::start(&url, free_port(), &dir, n).await);
        }
        Cluster {
            nodes,
            url,
            _dir: dir,
            _pg: pg,
        }
    }

    /// Runs blocking SQL against the cluster's database.
    async fn sql(&self, query: &str) -> Vec<postgres::Row> {
        let url = self.url.clone();
        let query = query.to_string();
        tokio::task::spawn_blocking(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.query(query.as_str(), &[]).unwrap()
        })
        .await
        .unwrap()
    }

    /// The index of the node the directory says runs room `key`.
    async fn owner_of(&self, key: &str) -> Option<usize> {
        let rows = self
            .sql(&format!(
                "SELECT n.url FROM hearth_rooms r JOIN hearth_nodes n ON n.id = r.node WHERE r.key = '{key}'"
            ))
            .await;
        let url: String = rows.first()?.get(0);
        self.nodes.iter().position(|n| n.ws() == url)
    }

    /// An administrator's token, signed in on `node` (the account is made in the database).
    async fn admin_on(&self, node: &Node) -> String {
        let url = self.url.clone();
        tokio::task::spawn_blocking(move || {
            let hash = accounts::hash_password("admin password").unwrap();
            PgStore::open(&url)
                .unwrap()
                .create_user("root", "Root", &hash, Role::Admin, accounts::now())
                .unwrap();
        })
        .await
        .unwrap();
        let login = json!({"username": "root", "password": "admin password"}).to_string();
        let (_, body) = http(node.addr(), "POST", "/v1/auth/login", None, Some(&login)).await;
        body["token"].as_str().unwrap().to_string()
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("--- {}\n{}", n.port, n.log_text()))
            .collect()
    }
}

/// A seat in a match: the account token, the seat's resume token, and its connection.
struct Player {
    token: String,
    resume: String,
    client: Client,
}

impl Player {
    /// Enters again through `node` and resumes the seat.
    async fn resume_through(&mut self, node: &Node) {
        self.client = Client::with_token(&node.ws(), &self.token).await;
        let r = self
            .client
            .try_call(
                Request::Resume {
                    token: self.resume.clone(),
                    next: 0,
                },
                Duration::from_secs(30),
            )
            .await;
        assert!(
            matches!(r, Some(Ok(_))),
            "the seat resumes through {}: {r:?}",
            node.port
        );
    }

    /// The log length the room reports.
    async fn log_len(&mut self) -> Option<u64> {
        match self
            .client
            .try_call(Request::View, Duration::from_secs(10))
            .await
        {
            Some(Ok(v)) => v["view"]["index"].as_u64(),
            _ => None,
        }
    }
}

fn column(col: u64) -> Request<Value> {
    Request::Action {
        action: json!({"column": col}),
        tick: None,
    }
}

/// A connect-four game that lasts: each move is the first column (from a rotating start)
/// that does not end the game, while there is one; the columns and the final state hash.
fn long_game() -> (Vec<u64>, String) {
    let catalog = hearth_games::catalog();
    let config = Payload::Json(json!({"first_seat": 0}));
    let mut game = catalog.create("connect-four", &config, 2, 1).unwrap();
    let mut cols = Vec::new();
    let mut ply = 0u64;
    while !game.is_over() {
        let seat = Seat((ply % 2) as u8);
        let tries: Vec<u64> = (0..7).map(|i| (i + ply * 3) % 7).collect();
        let mut chosen = None;
        for &c in &tries {
            let mut probe = catalog.restore(&game.snapshot()).unwrap();
            let action = Payload::Json(json!({"column": c}));
            if probe.apply(seat, &action).is_ok() && (!probe.is_over() || chosen.is_none()) {
                chosen = Some(c);
                if !probe.is_over() {
                    break;
                }
            }
        }
        let c = chosen.expect("a legal column");
        game.apply(seat, &Payload::Json(json!({"column": c})))
            .unwrap();
        cols.push(c);
        ply += 1;
    }
    (cols, hearth_rules::hash_hex(game.hash()))
}

/// The hash after `cols` played offline with `seed`.
fn replayed_hash(cols: &[u64], seed: u64) -> String {
    let catalog = hearth_games::catalog();
    let config = Payload::Json(json!({"first_seat": 0}));
    let mut game = catalog.create("connect-four", &config, 2, seed).unwrap();
    for (ply, c) in cols.iter().enumerate() {
        game.apply(Seat((ply % 2) as u8), &Payload::Json(json!({"column": c})))
            .unwrap();
    }
    hearth_rules::hash_hex(game.hash())
}

/// Two accounts signed in through different nodes, in a started connect-four match in room
/// `room` made through node `owner`.
async fn start_match(c: &Cluster, room: &str, owner: usize, other: usize) -> [Player; 2] {
    let (ta, _) = device_login(c.nodes[owner].addr(), &format!("device-{room}-ada"), "Ada").await;
    let (tb, _) = device_login(c.nodes[other].addr(), &format!("device-{room}-bob"), "Bob").await;
    let mut a = Client::with_token(&c.nodes[owner].ws(), &ta).await;
    let mut b = Client::with_token(&c.nodes[other].ws(), &tb).await;
    a.create(room, "connect-four", json!({"first_seat": 0}))
        .await;
    b.join(room, JoinAs::Player)
        .await
        .expect("joins through another node");
    a.ok(Request::Ready { ready: true }).await;
    b.ok(Request::Ready { ready: true }).await;
    a.ok(Request::Start).await;
    let ra = a.expect("started").await["resume"]
        .as_str()
        .unwrap()
        .to_string();
    let rb = b.expect("started").await["resume"]
        .as_str()
        .unwrap()
        .to_string();
    [
        Player {
            token: ta,
            resume: ra,
            client: a,
        },
        Player {
            token: tb,
            resume: rb,
            client: b,
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_events_and_bans_reach_across_nodes() {
    let c = Cluster::start("across").await;
    let (a_node, b_node, c_node) = (&c.nodes[0], &c.nodes[1], &c.nodes[2]);
    // A watcher on the third node subscribes to the leaderboard.
    let (tw, _) = device_login(c_node.addr(), "device-wat-0003", "Wat").await;
    let mut watcher = Client::with_token(&c_node.ws(), &tw).await;
    watcher
        .ok(Request::SubscribeLeaderboard {
            game: "connect-four".into(),
        })
        .await;
    assert_eq!(watcher.expect("leaderboard").await["standings"], json!([]));

    // Ada enters through A, Bob through B; the room is A's; the list on C shows it.
    let (ta, ada) = device_login(a_node.addr(), "device-ada-0001", "Ada").await;
    let (tb, bob) = device_login(b_node.addr(), "device-bob-0002", "Bob").await;
    let mut a = Client::with_token(&a_node.ws(), &ta).await;
    let mut b = Client::with_token(&b_node.ws(), &tb).await;
    a.create("Across", "connect-four", json!({"first_seat": 0}))
        .await;
    let listed = watcher.call(Request::ListRooms).await.unwrap();
    assert_eq!(listed["rooms"][0]["name"], "Across", "{listed}");
    // Names are unique across the cluster.
    let again = watcher
        .call(Request::CreateRoom {
            name: "across".into(),
            options: options("chameleon", Value::Null),
        })
        .await;
    assert_code(again, "name_taken");
    // Bob plays through B against Ada through A, to the end.
    b.join("Across", JoinAs::Player).await.expect("joins");
    a.ok(Request::Ready { ready: true }).await;
    b.ok(Request::Ready { ready: true }).await;
    a.ok(Request::Start).await;
    let ada_seat = a.expect("started").await["resume"]
        .as_str()
        .expect("a seat token")
        .to_string();
    for (seat, col) in [(0, 0), (1, 1), (0, 0), (1, 1), (0, 0), (1, 1), (0, 0)] {
        let p = if seat == 0 { &mut a } else { &mut b };
        p.call(column(col)).await.expect("accepted");
    }
    // The push reached the watcher on C, read from the table C shares.
    let pushed = watcher
        .expect_where("leaderboard", |l| {
            !l["standings"].as_array().unwrap().is_empty()
        })
        .await;
    assert_eq!(pushed["standings"][0]["account"], ada, "{pushed}");

    // An admin on C bans Bob, connected through B: his socket there closes.
    let admin = c.admin_on(c_node).await;
    let path = format!("/v1/admin/users/{bob}/ban");
    let (status, _) = http(c_node.addr(), "POST", &path, Some(&admin), None).await;
    assert_eq!(status, 200);
    let seen = b.until_closed().await;
    assert!(
        seen.iter().any(|g| g.json["closing"]["code"] == "banned"),
        "Bob was told he is banned: {:?}\n{}",
        seen.iter().map(|g| &g.raw).collect::<Vec<_>>(),
        c.logs()
    );
    // The admin on C closes the room, which runs on A: Ada, on A, is let go.
    let (status, body) = http(
        c_node.addr(),
        "POST",
        "/v1/admin/rooms/Across/close",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let left = a.expect("left").await;
    assert_eq!(left["reason"], "room_closed");
    // A seat token outlives nothing: its room is gone, so no node takes it any more.
    let mut again = Client::with_token(&c_node.ws(), &ta).await;
    let r = again
        .call(Request::Resume {
            token: ada_seat,
            next: 0,
        })
        .await;
    let code = r.expect_err("a token for a closed room is refused").code;
    assert!(
        code == "bad_resume" || code == "unknown_room",
        "refused with {code}"
    );
}

/// An admin's kick on one node reaches a room on another; and a change whose notification
/// never came (written to the tables with no NOTIFY, then every node's listener connection cut)
/// still reaches the nodes: each re-reads bans and subscribed leaderboards when it reconnects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kick_and_a_missed_notification_reach_across_nodes() {
    let c = Cluster::start("missed").await;
    let (a_node, b_node, c_node) = (&c.nodes[0], &c.nodes[1], &c.nodes[2]);
    let (ta, _) = device_login(a_node.addr(), "device-ada-0011", "Ada").await;
    let (tb, bob) = device_login(b_node.addr(), "device-bob-0012", "Bob").await;
    let (tw, wat) = device_login(c_node.addr(), "device-wat-0013", "Wat").await;
    let mut a = Client::with_token(&a_node.ws(), &ta).await;
    let mut b = Client::with_token(&b_node.ws(), &tb).await;
    let mut watcher = Client::with_token(&c_node.ws(), &tw).await;
    watcher
        .ok(Request::SubscribeLeaderboard {
            game: "connect-four".into(),
        })
        .await;
    assert_eq!(watcher.expect("leaderboard").await["standings"], json!([]));

    // Ada's room runs on A; Bob joins it through B; an admin on C kicks him.
    a.create("Kicks", "connect-four", json!({"first_seat": 0}))
        .await;
    b.join("Kicks", JoinAs::Player).await.expect("joins");
    let admin = c.admin_on(c_node).await;
    let kick = json!({ "player": bob }).to_string();
    let (status, body) = http(
        c_node.addr(),
        "POST",
        "/v1/admin/rooms/Kicks/kick",
        Some(&admin),
        Some(&kick),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let left = b.expect("left").await;
    assert_eq!(left["reason"], "kicked", "{left}\n{}", c.logs());
    // Kicked, not banned: Bob's socket stays open and he can rejoin.
    b.join("Kicks", JoinAs::Player).await.expect("rejoins");

    // Changes with no notification: Bob banned, a standing for Wat, straight into the tables.
    c.sql(&format!(
        "UPDATE accounts SET banned = TRUE WHERE id = {bob}"
    ))
    .await;
    c.sql(&format!(
        "INSERT INTO ratings (game, account, wins, rating) VALUES ('connect-four', {wat}, 1, 1216)"
    ))
    .await;
    // Nothing was announced: Bob is still connected.
    b.call(Request::Ping).await.expect("still connected");
    // Every node's listener loses its connection; on reconnecting it re-reads.
    let cut = c
        .sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN hearth_events'")
        .await;
    assert_eq!(cut.len(), 3, "one listener per node");
    let seen = b.until_closed().await;
    assert!(
        seen.iter().any(|g| g.json["closing"]["code"] == "banned"),
        "Bob, on B, was told he is banned: {:?}\n{}",
        seen.iter().map(|g| &g.raw).collect::<Vec<_>>(),
        c.logs()
    );
    let pushed = watcher
        .expect_where("leaderboard", |l| {
            !l["standings"].as_array().unwrap().is_empty()
        })
        .await;
    assert_eq!(pushed["standings"][0]["account"], wat, "{pushed}");
    assert_eq!(pushed["standings"][0]["rating"], 1216, "{pushed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_owners_match_goes_on_on_a_survivor() {
    let mut c = Cluster::start("failover").await;
    let (cols, _) = long_game();
    assert!(cols.len() >= 20, "a long game: {cols:?}");
    let mut players = start_match(&c, "Failover", 0, 1).await;
    // Kill points: three plies spread over the game, varied by the clock.
    let salt = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 4) as usize;
    let kills = [3 + salt, 9 + salt, 15 + salt];
    let mut acked = 0usize;
    let mut failovers = Vec::new();
    let mut ply = 0usize;
    let mut killed_at: Option<Instant> = None;
    let mut pick = salt;
    while ply < cols.len() {
        if kills.contains(&ply) && killed_at.is_none() {
            let owner = c.owner_of("failover").await.expect("the room has an owner");
            c.nodes[owner].kill();
            killed_at = Some(Instant::now());
        }
        let seat = ply % 2;
        let r = players[seat]
            .client
            .try_call(column(cols[ply]), Duration::from_secs(10))
            .await;
        match r {
            Some(Ok(_)) => {
                acked += 1;
                ply += 1;
                if let Some(t) = killed_at.take() {
                    failovers.push(t.elapsed());
                    // The killed node comes back as a new node on the same URL.
                    for n in c.nodes.iter_mut().filter(|n| !n.alive()) {
                        n.restart().await;
                    }
                }
            }
            Some(Err(e)) => panic!("ply {ply} refused: {e}\n{}", c.logs()),
            None => {
                // The connection dropped (its node, or the room's, died): both players
                // enter again through any live node and resume; the move is sent again
                // only if the log does not have it.
                for p in players.iter_mut() {
                    let alive: Vec<usize> = (0..3).filter(|&i| c.nodes[i].alive()).collect();
                    pick += 1;
                    let through = alive[pick % alive.len()];
                    p.resume_through(&c.nodes[through]).await;
                }
                let len = players[seat]
                    .log_len()
                    .await
                    .expect("a view after resuming");
                assert!(
                    len as usize == ply || len as usize == ply + 1,
                    "the log holds every acknowledged move: {len} at ply {ply}"
                );
                if len as usize == ply + 1 {
                    ply += 1;
                }
            }
        }
    }
    assert_eq!(failovers.len(), 3, "three owners were killed");
    // The match ended; its stored hash is the offline game's, its log every move.
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = c
            .sql("SELECT status, hash, (SELECT count(*) FROM match_log l WHERE l.match_id = m.id), epoch FROM matches m")
            .await;
        if rows.first().map(|r| r.get::<_, String>(0)) == Some("over".into()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let row = rows.first().expect("one match");
    assert_eq!(row.get::<_, String>(0), "over", "{}", c.logs());
    // The moves played offline with the match's seed give the hash the survivors stored.
    let seed = c.sql("SELECT seed FROM matches").await[0].get::<_, i64>(0) as u64;
    assert_eq!(
        row.get::<_, Option<String>>(1),
        Some(replayed_hash(&cols, seed))
    );
    assert_eq!(row.get::<_, i64>(2) as usize, cols.len());
    assert!(acked <= cols.len());
    assert_eq!(row.get::<_, i64>(3), 4, "claimed three times: epoch 1 + 3");
    println!(
        "failover, kill to first accepted move (lease {} ms): {:?}",
        lease_ms(),
        failovers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_owner_is_fenced_and_its_players_move() {
    let c = Cluster::start("fenced").await;
    let (cols, _) = long_game();
    let mut players = start_match(&c, "Fenced", 0, 1).await;
    for (ply, col) in cols.iter().take(4).enumerate() {
        players[ply % 2]
            .client
            .call(column(*col))
            .await
            .expect("accepted");
    }
    // Ada leaves A's socket and resumes through C: no player is on A itself.
    {
        let c_node = &c.nodes[2];
        players[0].resume_through(c_node).await;
    }
    assert_eq!(c.owner_of("fenced").await, Some(0));
    // A pauses past its lease; a survivor takes the match over.
    c.nodes[0].signal("-STOP");
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let owner = c.owner_of("fenced").await;
        if owner.is_some_and(|o| o != 0) {
            break;
        }
        assert!(Instant::now() < until, "nobody took over: {}", c.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Ada's next move goes (through C) to the paused A; A wakes up and can no longer
    // write: the move is not acknowledged, her connection drops.
    let send = players[0]
        .client
        .try_call(column(cols[4]), Duration::from_secs(20));
    let wake = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.nodes[0].signal("-CONT");
    };
    let (r, ()) = tokio::join!(send, wake);
    assert!(
        r.is_none(),
        "a fenced owner acknowledges nothing: {r:?}\n{}",
        c.logs()
    );
    // Both resume through any node; the match is where the directory says, at epoch 2.
    players[0].resume_through(&c.nodes[1]).await;
    players[1].resume_through(&c.nodes[2]).await;
    let len = players[0].log_len().await.expect("a view");
    assert_eq!(len, 4, "the refused move was not kept");
    players[0]
        .client
        .call(column(cols[4]))
        .await
        .expect("the move is accepted by the new owner");
    players[1]
        .client
        .call(column(cols[5]))
        .await
        .expect("and the next");
    let rows = c
        .sql("SELECT epoch, (SELECT count(*) FROM match_log l WHERE l.match_id = m.id) FROM matches m")
        .await;
    assert_eq!(rows[0].get::<_, i64>(0), 2);
    assert_eq!(rows[0].get::<_, i64>(1), 6);
    // Resume tokens are checked by every node: a forged one, or one made for another room,
    // is refused with `bad_resume`.
    let genuine = players[0].resume.clone();
    let mut forged = genuine.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let parts: Vec<&str> = genuine.split('.').collect();
    // The hex of "other room", with the genuine token's match, seat and MAC.
    let elsewhere = format!(
        "s1.6f7468657220726f6f6d.{}.{}.{}",
        parts[2], parts[3], parts[4]
    );
    let mut probe = Client::with_token(&c.nodes[2].ws(), &players[0].token).await;
    for bad in [forged, elsewhere, "s1.zz.1.0.00".to_string()] {
        let r = probe
            .call(Request::Resume {
                token: bad,
                next: 0,
            })
            .await;
        assert_code(r, "bad_resume");
    }
    let a_log = c.nodes[0].log_text();
    assert!(
        a_log.contains("handing the room over") || a_log.contains("lease had lapsed"),
        "A knows it lost the room: {a_log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_cannot_claim_one_url_and_a_drained_node_hands_over() {
    let mut c = Cluster::start("urls").await;
    // A second process given A's URL is refused at start, writing nothing.
    let before = c.sql("SELECT count(*) FROM hearth_nodes").await[0].get::<_, i64>(0);
    let out = Command::new(hearth_bin())
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--db",
            &c.url,
            "--public-url",
        ])
        .arg(c.nodes[0].ws())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("own --public-url"), "{err}");
    let after = c.sql("SELECT count(*) FROM hearth_nodes").await[0].get::<_, i64>(0);
    assert_eq!(before, after, "nothing written");
    // --public-url with SQLite is refused too.
    let out = Command::new(hearth_bin())
        .args(["serve", "--memory", "--public-url", "ws://127.0.0.1:1/ws"])
        .output()
        .unwrap();
    assert!(!out.status.success());

    // SIGTERM drains: unready at once, no new rooms, the running match moves to a survivor.
    let mut players = start_match(&c, "Drained", 0, 1).await;
    players[0].client.call(column(3)).await.expect("accepted");
    c.nodes[0].signal("-TERM");
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let owner = c.owner_of("drained").await;
        if owner.is_some_and(|o| o != 0) {
            break;
        }
        assert!(
            Instant::now() < until,
            "the match did not move: {}",
            c.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exited = tokio::task::spawn_blocking(move || {
        let mut child = c.nodes[0].child.take().unwrap();
        let status = child.wait().unwrap();
        (status, c)
    })
    .await
    .unwrap();
    let (status, c) = exited;
    assert!(status.success(), "a drained node exits cleanly: {status}");
    for p in players.iter_mut() {
        p.resume_through(&c.nodes[2]).await;
    }
    players[1]
        .client
        .call(column(4))
        .await
        .expect("the match goes on elsewhere");
}
