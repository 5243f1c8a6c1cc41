//! `hearth-bench`: a load generator for a Hearth server over loopback. Every scenario is
//! bounded in clients and seconds and stops by itself; results come as a table and one JSON
//! line. Scenarios: `logins` (device and password sign-ins per second), `turns` (connect-four
//! rooms played against the room's bot as fast as the server acknowledges, every action
//! persisted before its acknowledgement), `held` (idle signed-in sockets: server memory per
//! socket) and `arena` (tanks rooms of 8 at 20 Hz: input-to-snapshot latency, tick overruns,
//! bytes per second; the binary adds a sweep for the largest arena within budget). Each simulated client is one task with small
//! buffers, so the generator stays cheap; its own CPU is reported beside the server's so a
//! saturated generator is visible.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hearth_games::connect_four::{ConnectFour, ConnectFourConfig, Move};
use hearth_games::tanks::{MapId, TankInput, TanksConfig};
use hearth_rules::protocol::{
    ClientMsg, Hello, JoinAs, PROTOCOL_VERSION, Reply, Request, RoomOptions, RoomPhase, ServerMsg,
    WireBytes, from_postcard, to_postcard,
};
use hearth_rules::{Seat, Session};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

pub mod floor;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The server could not be reached or answered nonsense.
    #[error("{0}")]
    Server(String),
}

fn err(e: impl std::fmt::Display) -> BenchError {
    BenchError::Server(e.to_string())
}

/// Latencies in microseconds, summarised.
#[derive(Debug, Clone, Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    fn add(&mut self, d: Duration) {
        self.0.push(d.as_micros().min(u128::from(u32::MAX)) as u32);
    }

    fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// The `q`-quantile in milliseconds (0 when empty).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let mut v = self.0.clone();
        if v.is_empty() {
            return 0.0;
        }
        v.sort_unstable();
        let i = ((v.len() - 1) as f64 * q).round() as usize;
        f64::from(v[i]) / 1000.0
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none were recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn json(&self) -> Value {
        json!({
            "p50_ms": self.quantile_ms(0.50),
            "p95_ms": self.quantile_ms(0.95),
            "p99_ms": self.quantile_ms(0.99),
            "max_ms": self.quantile_ms(1.0),
        })
    }
}

/// CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident memory of a process in KiB, from `/proc/<pid>/status`.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A minimal HTTP/1.1 client on one kept-alive connection (the load it makes is the point,
/// not features).
pub struct Http {
    stream: TcpStream,
    authority: String,
    buf: Vec<u8>,
}

impl Http {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Http, BenchError> {
        let stream = TcpStream::connect(addr).await.map_err(err)?;
        stream.set_nodelay(true).map_err(err)?;
        Ok(Http {
            stream,
            authority: addr.to_string(),
            buf: Vec::with_capacity(1024),
        })
    }

    /// POSTs JSON; returns the status and the body.
    pub async fn post(&mut self, path: &str, body: &Value) -> Result<(u16, Value), BenchError> {
        let body = body.to_string();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.authority,
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await.map_err(err)?;
        self.buf.clear();
        let mut chunk = [0u8; 2048];
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
                let status = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| err(format!("not an HTTP response: {head}")))?;
                let len = content_length(&self.buf[..end]);
                while self.buf.len() < end + 4 + len {
                    let n = self.stream.read(&mut chunk).await.map_err(err)?;
                    if n == 0 {
                        return Err(err("the server closed the connection"));
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                let body = serde_json::from_slice(&self.buf[end + 4..end + 4 + len])
                    .unwrap_or(Value::Null);
                return Ok((status, body));
            }
            let n = self.stream.read(&mut chunk).await.map_err(err)?;
            if n == 0 {
                return Err(err("the server closed the connection"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The `Content-Length` of an HTTP head (0 without one).
pub(crate) fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One device login; returns the token.
pub async fn device_login(http: &mut Http, device: &str) -> Result<String, BenchError> {
    let (status, body) = http
        .post(
            "/v1/auth/device",
            &json!({"device_id": device, "display_name": "Bench"}),
        )
        .await?;
    body["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| err(format!("device login answered {status}: {body}")))
}

/// What the `logins` scenario measured.
#[derive(Debug, Clone)]
pub struct LoginReport {
    /// Device logins completed.
    pub device: u64,
    /// Their latencies.
    pub device_latency: Latencies,
    /// Seconds spent on device logins.
    pub device_secs: f64,
    /// Password logins completed.
    pub password: u64,
    /// Their latencies.
    pub password_latency: Latencies,
    /// Seconds spent on password logins.
    pub password_secs: f64,
}

/// `clients` connections sign in with fresh device ids for `seconds`, then, if `passwords`,
/// with passwords (users registered first) for `seconds`.
pub async fn logins(
    addr: SocketAddr,
    clients: usize,
    seconds: f64,
    passwords: bool,
) -> Result<LoginReport, BenchError> {
    let run = |password: bool| async move {
        let stop = Instant::now() + Duration::from_secs_f64(seconds);
        let mut tasks = Vec::new();
        for c in 0..clients {
            tasks.push(tokio::spawn(async move {
                let mut http = Http::connect(addr).await?;
                let (user, pass) = (
                    format!("bench{c}x{}", std::process::id()),
                    "correct horse battery",
                );
                if password {
                    let (s, body) = http
                        .post(
                            "/v1/auth/register",
                            &json!({"username": user, "password": pass}),
                        )
                        .await?;
                    if s != 200 && s != 201 {
                        return Err(err(format!("register answered {s}: {body}")));
                    }
                }
                let mut lat = Latencies::default();
                let mut n = 0u64;
                let started = Instant::now();
                while Instant::now() < stop {
                    let t = Instant::now();
                    if password {
                        let (s, body) = http
                            .post(
                                "/v1/auth/login",
                                &json!({"username": user, "password": pass}),
                            )
                            .await?;
                        if s != 200 {
                            return Err(err(format!("login answered {s}: {body}")));
                        }
                    } else {
                        device_login(&mut http, &format!("bench-{c}-{n}-{}", std::process::id()))
                            .await?;
                    }
                    lat.add(t.elapsed());
                    n += 1;
                }
                Ok::<_, BenchError>((n, lat, started.elapsed().as_secs_f64()))
            }));
        }
        let (mut total, mut lat, mut secs) = (0, Latencies::default(), 0f64);
        for t in tasks {
            let (n, l, s) = t.await.map_err(err)??;
            total += n;
            lat.merge(l);
            secs = secs.max(s);
        }
        Ok::<_, BenchError>((total, lat, secs))
    };
    let (device, device_latency, device_secs) = run(false).await?;
    let (password, password_latency, password_secs) = match passwords {
        true => run(true).await?,
        false => (0, Latencies::default(), 0.0),
    };
    Ok(LoginReport {
        device,
        device_latency,
        device_secs,
        password,
        password_latency,
        password_secs,
    })
}

/// What the `turns` scenario measured.
#[derive(Debug, Clone)]
pub struct TurnReport {
    /// The clients' own actions acknowledged (each persisted first).
    pub actions: u64,
    /// All log entries (the bots' moves too), each persisted.
    pub entries: u64,
    /// Games finished.
    pub games: u64,
    /// Action → acknowledgement latencies.
    pub latency: Latencies,
    /// Seconds measured.
    pub secs: f64,
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn send(ws: &mut Ws, id: u32, req: Request<WireBytes>) -> Result<(), BenchError> {
    ws.send(Message::Binary(to_postcard(&ClientMsg { id, req }).into()))
        .await
        .map_err(err)
}

async fn recv(ws: &mut Ws) -> Result<ServerMsg<WireBytes>, BenchError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => return from_postcard(&b).map_err(err),
            Some(Ok(Message::Close(_))) | None => return Err(err("the server closed the socket")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(err(e)),
        }
    }
}

/// One simulated player's connection and what it has seen of its game.
struct Player {
    ws: Ws,
    id: u32,
    seed: Option<u64>,
    entries: Vec<(u8, Vec<u8>)>,
    over: bool,
    /// The latest room state pushed.
    room: Option<hearth_rules::protocol::RoomState>,
    /// Whether `started` arrived.
    started: bool,
}

impl Player {
    /// Opens a socket and says hello (with `token` on a server with accounts).
    async fn connect(
        addr: SocketAddr,
        token: Option<String>,
        name: String,
    ) -> Result<Player, BenchError> {
        // tungstenite zero-fills its whole read buffer before every read: at the default
        // 128 KiB that memset was half of the generator's CPU (perf). Frames here are small.
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(4 * 1024);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(
            format!("ws://{addr}/ws"),
            Some(config),
            false,
        )
        .await
        .map_err(err)?;
        let mut p = Player {
            ws,
            id: 0,
            seed: None,
            entries: Vec::new(),
            over: false,
            room: None,
            started: false,
        };
        p.call(Request::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name,
            token,
        }))
        .await?;
        Ok(p)
    }

    fn absorb(&mut self, m: ServerMsg<WireBytes>) {
        match m {
            ServerMsg::Started(s) => {
                self.seed = s.seed;
                self.started = true;
            }
            ServerMsg::Entry { seat, action, .. } => self.entries.push((seat, action.0)),
            ServerMsg::Room(state) => {
                self.over |= matches!(state.phase, RoomPhase::Over { .. });
                self.room = Some(state);
            }
            _ => {}
        }
    }

    /// Sends `req` and waits for its reply, keeping the pushes that arrive meanwhile.
    async fn call(&mut self, req: Request<WireBytes>) -> Result<Reply<WireBytes>, BenchError> {
        self.id += 1;
        let id = self.id;
        send(&mut self.ws, id, req).await?;
        loop {
            match recv(&mut self.ws).await? {
                ServerMsg::Reply { id: r, reply } if r == id => return Ok(reply),
                ServerMsg::Error { id: Some(r), error } if r == id => {
                    return Err(err(format!("{}: {}", error.code, error.message)));
                }
                other => self.absorb(other),
            }
        }
    }

    /// Reads pushes until `done` holds.
    async fn until(&mut self, done: impl Fn(&Player) -> bool) -> Result<(), BenchError> {
        while !done(self) {
            let m = recv(&mut self.ws).await?;
            self.absorb(m);
        }
        Ok(())
    }
}

/// What one `turns` client counted.
struct Counted {
    actions: u64,
    entries: u64,
    games: u64,
    latency: Latencies,
    secs: f64,
}

async fn play_turns(
    addr: SocketAddr,
    c: usize,
    with_accounts: bool,
    stop: Arc<AtomicBool>,
) -> Result<Counted, BenchError> {
    let token = if with_accounts {
        let mut http = Http::connect(addr).await?;
        Some(
            device_login(
                &mut http,
                &format!("bench-turns-{c}-{}", std::process::id()),
            )
            .await?,
        )
    } else {
        None
    };
    let mut p = Player::connect(addr, token, format!("Bench {c}")).await?;
    let config = ConnectFourConfig {
        first_seat: Some(0),
    };
    p.call(Request::Join {
        room: format!("turns {c} {}", std::process::id()),
        password: None,
        join_as: JoinAs::Player,
        create: Some(RoomOptions {
            game: "connect-four".into(),
            config: WireBytes(to_postcard(&config)),
            max_seats: None,
            public: false,
            password: None,
        }),
    })
    .await?;
    p.call(Request::AddBot { level: 1 }).await?;
    let mut n = Counted {
        actions: 0,
        entries: 0,
        games: 0,
        latency: Latencies::default(),
        secs: 0.0,
    };
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        (p.seed, p.over) = (None, false);
        p.entries.clear();
        p.call(Request::Ready { ready: true }).await?;
        p.call(Request::Start).await?;
        // Perfect information: `started` carries the seed, so the game is followed locally.
        p.until(|p| p.seed.is_some()).await?;
        let mut game =
            Session::<ConnectFour>::new(config.clone(), 2, p.seed.unwrap_or(0)).map_err(err)?;
        let mut applied = 0;
        loop {
            while applied < p.entries.len() {
                let (seat, bytes) = &p.entries[applied];
                let mv: Move = from_postcard(bytes).map_err(err)?;
                game.apply(Seat(*seat), mv).map_err(err)?;
                applied += 1;
                n.entries += 1;
            }
            if game.is_over() {
                p.until(|p| p.over).await?;
                n.games += 1;
                break;
            }
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let legal = game.legal_actions(Seat(0)).map_err(err)?;
            let Some(mv) = legal.get(n.actions as usize % legal.len().max(1)).cloned() else {
                // The bot's turn: wait for its entry.
                let have = p.entries.len();
                p.until(|p| p.entries.len() > have).await?;
                continue;
            };
            let t = Instant::now();
            let reply = p
                .call(Request::Action {
                    action: WireBytes(to_postcard(&mv)),
                    tick: None,
                })
                .await?;
            n.latency.add(t.elapsed());
            n.actions += 1;
            // Our own entry follows the acknowledgement; apply it before choosing again.
            if let Reply::Accepted { index, .. } = reply {
                p.until(|p| p.entries.len() as u64 > index).await?;
            }
        }
    }
    n.secs = started.elapsed().as_secs_f64();
    let _ = p.ws.close(None).await;
    Ok(n)
}

/// `clients` players, each in its own connect-four room against the room's bot (level 1),
/// play as fast as the server acknowledges for `seconds`, starting a new game whenever one
/// ends. `with_accounts`: sign in by device login first (official server).
pub async fn turns(
    addr: SocketAddr,
    with_accounts: bool,
    clients: usize,
    seconds: f64,
) -> Result<TurnReport, BenchError> {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..clients)
        .map(|c| tokio::spawn(play_turns(addr, c, with_accounts, stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut r = TurnReport {
        actions: 0,
        entries: 0,
        games: 0,
        latency: Latencies::default(),
        secs: 0.0,
    };
    for t in tasks {
        let n = t.await.map_err(err)??;
        r.actions += n.actions;
        r.entries += n.entries;
        r.games += n.games;
        r.latency.merge(n.latency);
        r.secs = r.secs.max(n.secs);
    }
    Ok(r)
}

/// Signs in by device and opens an authenticated socket (hello answered).
async fn signed_in_socket(addr: SocketAddr, who: &str) -> Result<Player, BenchError> {
    let mut http = Http::connect(addr).await?;
    let token = device_login(&mut http, &format!("{who}-{}", std::process::id())).await?;
    drop(http);
    Player::connect(addr, Some(token), "Bench".into()).await
}

/// What the `held` scenario measured.
#[derive(Debug, Clone)]
pub struct HeldReport {
    /// Sockets open and signed in at once.
    pub sockets: usize,
    /// Seconds it took to open them.
    pub open_secs: f64,
    /// Server RSS before and with all sockets open, in KiB (0 if unknown).
    pub rss_before_kib: u64,
    /// See `rss_before_kib`.
    pub rss_held_kib: u64,
}

impl HeldReport {
    /// The one JSON line.
    pub fn json(&self) -> Value {
        let per = (self.rss_held_kib.saturating_sub(self.rss_before_kib)) as f64 * 1024.0
            / self.sockets.max(1) as f64;
        json!({
            "scenario": "held",
            "sockets": self.sockets,
            "open_secs": self.open_secs,
            "server_rss_before_kib": self.rss_before_kib,
            "server_rss_held_kib": self.rss_held_kib,
            "server_bytes_per_socket": per,
        })
    }
}

/// Idle signed-in sockets being held, until [`Idle::release`].
struct Idle {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Result<(), BenchError>>>,
    open: usize,
}

impl Idle {
    /// Opens `clients` signed-in sockets, 64 at a time, and returns once all are open; they
    /// stay idle (reading answers the server's pings; nothing else is sent).
    async fn open(addr: SocketAddr, clients: usize) -> Idle {
        let stop = Arc::new(AtomicBool::new(false));
        let gate = Arc::new(tokio::sync::Semaphore::new(64));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut tasks = Vec::with_capacity(clients);
        for c in 0..clients {
            let (stop, gate, ready) = (stop.clone(), gate.clone(), ready_tx.clone());
            tasks.push(tokio::spawn(async move {
                let permit = gate.acquire_owned().await.map_err(err)?;
                let mut p = signed_in_socket(addr, &format!("bench-held-{c}")).await?;
                drop(permit);
                let _ = ready.send(());
                while !stop.load(Ordering::Relaxed) {
                    match tokio::time::timeout(Duration::from_millis(250), p.ws.next()).await {
                        Ok(Some(Ok(_))) | Err(_) => {}
                        Ok(_) => return Err(err("the server closed an idle socket")),
                    }
                }
                let _ = p.ws.close(None).await;
                Ok::<_, BenchError>(())
            }));
        }
        drop(ready_tx);
        let mut open = 0;
        while open < clients && ready_rx.recv().await.is_some() {
            open += 1;
        }
        Idle { stop, tasks, open }
    }

    /// Closes them all; the first failure of any socket, if one failed.
    async fn release(self) -> Result<(), BenchError> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.map_err(err)??;
        }
        Ok(())
    }
}

/// Opens `clients` signed-in sockets (64 at a time), holds them idle (answering the server's
/// pings) for `seconds`, measuring the server's resident memory per socket. `elsewhere` opens
/// more in other processes (one process may hold only as many sockets as its open-file limit
/// allows) once the memory before has been read; it resolves to how many it holds.
pub async fn held(
    addr: SocketAddr,
    server_pid: Option<u32>,
    clients: usize,
    seconds: f64,
    elsewhere: impl Future<Output = Result<usize, BenchError>>,
) -> Result<HeldReport, BenchError> {
    let rss = || server_pid.map(rss_kib).unwrap_or(0);
    let rss_before_kib = rss();
    let started = Instant::now();
    let others = elsewhere.await?;
    let idle = Idle::open(addr, clients).await;
    let open_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let rss_held_kib = rss();
    let sockets = idle.open + others;
    idle.release().await?;
    Ok(HeldReport {
        sockets,
        open_secs,
        rss_before_kib,
        rss_held_kib,
    })
}

/// A helper process of `held`: opens `clients` signed-in sockets, prints `held N` on stdout
/// once they are open, and holds them until its stdin closes (the parent is done or gone).
pub async fn hold_until_stdin_closes(addr: SocketAddr, clients: usize) -> Result<(), BenchError> {
    let idle = Idle::open(addr, clients).await;
    println!("held {}", idle.open);
    let mut sink = [0u8; 64];
    let mut stdin = tokio::io::stdin();
    while stdin.read(&mut sink).await.map_err(err)? > 0 {}
    idle.release().await
}

/// What the `arena` scenario measured.
#[derive(Debug, Clone)]
pub struct ArenaReport {
    /// Clients playing.
    pub clients: usize,
    /// Inputs sent.
    pub inputs: u64,
    /// Input sent → first snapshot reflecting it.
    pub latency: Latencies,
    /// Snapshot bytes received per second, all clients.
    pub bytes_per_sec: f64,
    /// Ticks the server reported as overrunning their period during the run.
    pub tick_overruns: u64,
    /// Seconds measured.
    pub secs: f64,
    /// The server's CPU while measuring (every room playing; setup and sign-ins left out),
    /// percent of one core, when its process id is known.
    pub server_cpu_percent: Option<f64>,
    /// This generator's own CPU while measuring, percent of one core.
    pub generator_cpu_percent: f64,
    /// The generator used 90 % or more of the CPUs it may run on: then it, not the server,
    /// may be what limited the run.
    pub generator_saturated: bool,
}

impl ArenaReport {
    /// The one JSON line.
    pub fn json(&self) -> Value {
        json!({
            "scenario": "arena",
            "clients": self.clients,
            "inputs": self.inputs,
            "latency": self.latency.json(),
            "bytes_per_sec": self.bytes_per_sec,
            "tick_overruns": self.tick_overruns,
            "server_cpu_percent_measured": self.server_cpu_percent,
            "server_cpu_percent_per_100_players": self.server_cpu_percent.map(|c| c * 100.0 / self.clients as f64),
            "generator_cpu_percent_measured": self.generator_cpu_percent,
            "generator_saturated": self.generator_saturated,
        })
    }

    /// Whether the run kept the goal: p99 within one tick plus 10 ms, no overruns.
    pub fn within_budget(&self) -> bool {
        self.tick_overruns == 0 && self.latency.quantile_ms(0.99) <= 60.0
    }
}

/// The server's `hearth_tick_overruns_total`, from `/metrics`.
pub async fn tick_overruns(addr: SocketAddr) -> Result<u64, BenchError> {
    let mut s = TcpStream::connect(addr).await.map_err(err)?;
    s.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .map_err(err)?;
    let mut body = String::new();
    s.read_to_string(&mut body).await.map_err(err)?;
    Ok(body
        .lines()
        .find_map(|l| l.strip_prefix("hearth_tick_overruns_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64)
}

/// One arena player: joins its room of 8, and once the game runs sends an input every 50 ms
/// stamped with the latest snapshot's tick, timing each until a snapshot reflects it.
struct ArenaShared {
    stop: AtomicBool,
    /// Set once every room plays: only then are latencies and bytes counted.
    measuring: AtomicBool,
    started: std::sync::atomic::AtomicUsize,
    open: tokio::sync::Semaphore,
    /// The server is the floor (`floor::serve_floor`): no accounts, no metrics.
    floor: bool,
}

async fn play_arena(
    addr: SocketAddr,
    c: usize,
    room: String,
    group: usize,
    game_secs: u16,
    shared: Arc<ArenaShared>,
) -> Result<(u64, Latencies, u64), BenchError> {
    // Sign-ins 64 at a time: a connection storm would measure the accept queue, not play.
    let permit = shared.open.acquire().await.map_err(err)?;
    let mut p = if shared.floor {
        Player::connect(addr, None, format!("bench-arena-{c}")).await?
    } else {
        signed_in_socket(addr, &format!("bench-arena-{c}")).await?
    };
    drop(permit);
    let config = TanksConfig {
        map: MapId::Open,
        duration_secs: game_secs,
        score_limit: 0,
    };
    let joined = p
        .call(Request::Join {
            room,
            password: None,
            join_as: JoinAs::Player,
            create: Some(RoomOptions {
                game: "tanks".into(),
                config: WireBytes(to_postcard(&config)),
                max_seats: Some(group as u8),
                public: false,
                password: None,
            }),
        })
        .await?;
    let me = match joined {
        Reply::Joined(state) => {
            let me = state.you;
            p.room = Some(state);
            me
        }
        _ => return Err(err("join did not answer `joined`")),
    };
    p.call(Request::Ready { ready: true }).await?;
    // The room's host starts once all its players are in and ready (the state that shows it
    // may have arrived while a request was in flight: look at the latest one first).
    let mut asked = false;
    while !p.started {
        let all_ready = p.room.as_ref().is_some_and(|s| {
            s.host == me && s.members.len() == group && s.members.iter().all(|m| m.ready)
        });
        if all_ready && !asked {
            send(&mut p.ws, 1_000_000, Request::Start).await?;
            asked = true;
        }
        let m = recv(&mut p.ws).await?;
        p.absorb(m);
    }
    shared.started.fetch_add(1, Ordering::Relaxed);
    let (mut inputs, mut lat, mut bytes) = (0u64, Latencies::default(), 0u64);
    let mut latest_tick = 0u64;
    // Sent inputs by request id, then by the tick whose snapshot reflects them.
    let mut sent: std::collections::BTreeMap<u32, Instant> = Default::default();
    let mut due: std::collections::BTreeMap<u64, Vec<Instant>> = Default::default();
    let mut every = tokio::time::interval(Duration::from_millis(50));
    let mut id = 1_000_000u32;
    while !shared.stop.load(Ordering::Relaxed) {
        tokio::select! {
            _ = every.tick() => {
                id += 1;
                let input = TankInput { turn: (inputs % 3) as i8 - 1, thrust: 1, fire: inputs % 4 == 0 };
                let req = Request::Action { action: WireBytes(to_postcard(&input)), tick: Some(latest_tick) };
                send(&mut p.ws, id, req).await?;
                sent.insert(id, Instant::now());
                inputs += 1;
            }
            msg = p.ws.next() => {
                let frame = match msg {
                    Some(Ok(Message::Binary(b))) => b,
                    Some(Ok(_)) => continue,
                    _ => return Err(err("the server closed an arena socket")),
                };
                let measuring = shared.measuring.load(Ordering::Relaxed);
                if measuring {
                    bytes += frame.len() as u64;
                }
                match from_postcard::<ServerMsg<WireBytes>>(&frame).map_err(err)? {
                    ServerMsg::Reply { id, reply: Reply::Accepted { tick, .. } } => {
                        if let Some(t) = sent.remove(&id) {
                            due.entry(tick + 1).or_default().push(t);
                        }
                    }
                    ServerMsg::Error { id: Some(id), .. } => {
                        sent.remove(&id);
                    }
                    ServerMsg::Snapshot { tick, .. } => {
                        latest_tick = tick;
                        let now = Instant::now();
                        let ready: Vec<u64> = due.range(..=tick).map(|(k, _)| *k).collect();
                        for k in ready {
                            for t in due.remove(&k).unwrap_or_default() {
                                if measuring {
                                    lat.add(now - t);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let _ = p.ws.close(None).await;
    Ok((inputs, lat, bytes))
}

/// Where the `arena` scenario plays.
#[derive(Debug, Clone, Copy)]
pub struct ArenaTarget {
    /// The server's address.
    pub addr: SocketAddr,
    /// Its process id, to measure its CPU while every room plays.
    pub pid: Option<u32>,
    /// The server is the floor (`floor::serve_floor`), not Hearth.
    pub floor: bool,
}

/// `clients` players (rounded up to rooms of 8) play tanks for `seconds` after every room has
/// started.
pub async fn arena(
    target: ArenaTarget,
    clients: usize,
    seconds: f64,
) -> Result<ArenaReport, BenchError> {
    let addr = target.addr;
    const GROUP: usize = 8;
    let rooms = clients.div_ceil(GROUP);
    let game_secs = (seconds + 60.0).clamp(10.0, 1800.0) as u16;
    let shared = Arc::new(ArenaShared {
        stop: AtomicBool::new(false),
        measuring: AtomicBool::new(false),
        started: Default::default(),
        open: tokio::sync::Semaphore::new(64),
        floor: target.floor,
    });
    let total = rooms * GROUP;
    let tasks: Vec<_> = (0..total)
        .map(|c| {
            let room = format!("arena {} {}", c / GROUP, std::process::id());
            tokio::spawn(play_arena(addr, c, room, GROUP, game_secs, shared.clone()))
        })
        .collect();
    // Measure once every room plays (bounded: a stuck start is an error, not a hang).
    let deadline = Instant::now() + Duration::from_secs(120);
    while shared.started.load(Ordering::Relaxed) < total {
        if Instant::now() > deadline || tasks.iter().any(|t| t.is_finished()) {
            shared.stop.store(true, Ordering::Relaxed);
            for t in tasks {
                t.await.map_err(err)??;
            }
            return Err(err("not every arena room started within 120 s"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let overruns = || async {
        match target.floor {
            true => Ok(0),
            false => tick_overruns(addr).await,
        }
    };
    let overruns_before = overruns().await?;
    shared.measuring.store(true, Ordering::Relaxed);
    let cpu0 = target.pid.map(cpu_seconds);
    let me = std::process::id();
    let my_cpu0 = cpu_seconds(me);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let server_cpu_percent = target
        .pid
        .zip(cpu0)
        .map(|(pid, c0)| 100.0 * (cpu_seconds(pid) - c0) / t0.elapsed().as_secs_f64());
    let generator_cpu_percent = 100.0 * (cpu_seconds(me) - my_cpu0) / t0.elapsed().as_secs_f64();
    // The CPUs this process may use (`taskset` narrows them).
    let my_cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let generator_saturated = generator_cpu_percent >= 90.0 * my_cpus as f64;
    let overruns = overruns().await?.saturating_sub(overruns_before);
    shared.stop.store(true, Ordering::Relaxed);
    let secs = t0.elapsed().as_secs_f64();
    let mut r = ArenaReport {
        clients: total,
        inputs: 0,
        latency: Latencies::default(),
        bytes_per_sec: 0.0,
        tick_overruns: overruns,
        secs,
        server_cpu_percent,
        generator_cpu_percent,
        generator_saturated,
    };
    let mut bytes = 0;
    for t in tasks {
        let (i, l, b) = t.await.map_err(err)??;
        r.inputs += i;
        r.latency.merge(l);
        bytes += b;
    }
    r.bytes_per_sec = bytes as f64 / secs.max(1e-9);
    Ok(r)
}

impl LoginReport {
    /// The one JSON line.
    pub fn json(&self) -> Value {
        json!({
            "scenario": "logins",
            "device_logins": self.device,
            "device_per_sec": self.device as f64 / self.device_secs.max(1e-9),
            "device_latency": self.device_latency.json(),
            "password_logins": self.password,
            "password_per_sec": self.password as f64 / self.password_secs.max(1e-9),
            "password_latency": self.password_latency.json(),
        })
    }
}

impl TurnReport {
    /// The one JSON line.
    pub fn json(&self) -> Value {
        json!({
            "scenario": "turns",
            "actions": self.actions,
            "actions_per_sec": self.actions as f64 / self.secs.max(1e-9),
            "persisted_entries_per_sec": self.entries as f64 / self.secs.max(1e-9),
            "games": self.games,
            "latency": self.latency.json(),
        })
    }
}
