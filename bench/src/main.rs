//! `hearth-bench`: drives a Hearth server over loopback and prints a table and one JSON line.
//!
//! By default it starts `hearth serve --memory` (the `hearth` binary next to this one) on a
//! free loopback port, optionally pinned with `taskset`, and measures that process's CPU and
//! memory; `--server ADDR --server-pid PID` targets one already running.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use hearth_bench::{
    ArenaTarget, BenchError, arena, cpu_seconds, held, hold_until_stdin_closes, logins, rss_kib,
    turns,
};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    version,
    about = "Load generator for a Hearth server (loopback only; bounded; stops by itself)"
)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
    /// A running server (`127.0.0.1:7777`) instead of starting one.
    #[arg(long, global = true)]
    server: Option<SocketAddr>,
    /// The running server's process id (for its CPU and memory).
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// CPUs for the server this starts (`taskset -c`), e.g. `0`; run the generator itself under
    /// `taskset -c 1` to keep them apart.
    #[arg(long, global = true)]
    server_cpus: Option<String>,
    /// The server this starts keeps its database in a fresh file on disk (SQLite in WAL mode,
    /// as users run it), removed afterwards, instead of in memory.
    #[arg(long, global = true)]
    on_disk: bool,
    /// Seconds to measure (at most 600).
    #[arg(long, global = true, default_value_t = 10.0)]
    seconds: f64,
}

#[derive(Subcommand)]
enum Scenario {
    /// Device logins/s, then password logins/s (each client on one kept-alive connection).
    Logins {
        /// Concurrent connections (at most 1000).
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Sign in against the floor instead of Hearth: a minimal HTTP/1.1 server answering
        /// every device sign-in with a response of the same size, no accounts, no database
        /// (what this machine allows; see `floor-serve`). Device logins only.
        #[arg(long)]
        floor: bool,
    },
    /// Connect-four rooms, one player plus the room's bot each, played as fast as the server
    /// acknowledges; every action is persisted before it is acknowledged.
    Turns {
        /// Concurrent players (at most 10000).
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Play against the floor instead of Hearth: a minimal server sending the same
        /// frames (replies, entries, room states) with no store, accounts or room task and a
        /// bot that takes the first legal column, everything one request causes in one write
        /// (what this machine allows; see `floor-serve`).
        #[arg(long)]
        floor: bool,
    },
    /// Idle signed-in sockets held open: the server's memory per socket. One process may open
    /// about 19,000 (the open-file limit here is 20,000 per process): `--processes` spreads
    /// the sockets over several generator processes so that the server's limit is what counts.
    Held {
        /// Sockets in all (at most 19000 per process).
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        /// Generator processes sharing the sockets (1–8).
        #[arg(long, default_value_t = 1)]
        processes: usize,
        /// Internal: run as one of those helper processes.
        #[arg(long, hide = true)]
        child: bool,
    },
    /// Tanks rooms of 8 sending inputs at 20 Hz: input-to-snapshot latency, tick overruns,
    /// bytes per second.
    Arena {
        /// Players (rounded up to rooms of 8; at most 19000).
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Double the players from `--clients` until p99 exceeds 60 ms or a tick overruns (or
        /// `--max-clients`), then narrow down; a fresh server for every step.
        #[arg(long)]
        sweep: bool,
        /// Upper bound for the sweep.
        #[arg(long, default_value_t = 16000)]
        max_clients: usize,
        /// Play against the floor instead of Hearth: a minimal server sending the same
        /// frames at the same sizes and rates, with no game, rooms or accounts (what this
        /// machine allows; see `floor-serve`).
        #[arg(long)]
        floor: bool,
    },
    /// Internal: serve the floor on `--bind` until stopped (the arena's and the turns' wire
    /// traffic and the device sign-in's HTTP exchange, nothing else).
    #[command(hide = true)]
    FloorServe {
        /// Loopback address to listen on.
        #[arg(long)]
        bind: SocketAddr,
    },
}

/// The server under load: started here (and stopped on drop, its database folder removed)
/// or given.
struct Server {
    addr: SocketAddr,
    pid: Option<u32>,
    child: Option<Child>,
    data: Option<PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(dir) = self.data.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Where the server this starts keeps its data.
#[derive(Clone, Copy)]
enum Kind {
    /// `hearth serve --memory`.
    Memory,
    /// `hearth serve --db` on a fresh file.
    OnDisk,
    /// The floor (`floor-serve`).
    Floor,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn hearth_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name("hearth")
}

/// Starts the server under load: `hearth serve` (its data in memory or in a fresh file), or
/// this binary's `floor-serve`.
async fn start_server(cpus: Option<&str>, kind: Kind) -> Result<Server, String> {
    let port = free_port().map_err(|e| format!("no free port: {e}"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let floor = matches!(kind, Kind::Floor);
    let bin = match floor {
        true => std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?,
        false => hearth_binary(),
    };
    let data = matches!(kind, Kind::OnDisk)
        .then(|| std::env::temp_dir().join(format!("hearth-bench-{}-{port}", std::process::id())));
    if !bin.exists() {
        return Err(format!(
            "{} is missing; build it with the same profile (`cargo build --release -p hearth-cli --bin hearth`)",
            bin.display()
        ));
    }
    let mut cmd = match cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpus]).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    if floor {
        cmd.args(["floor-serve", "--bind", &addr.to_string()]);
    } else {
        cmd.args(["serve", "--bind", &addr.to_string()]);
        match &data {
            Some(dir) => cmd.arg("--db").arg(dir.join("hearth.db")),
            None => cmd.arg("--memory"),
        };
        cmd
            // Load comes from one address: lift the per-address limits for the run.
            .args([
                "--sign-ins-per-minute",
                "100000000",
                "--rate-per-sec",
                "100000",
            ]);
    }
    cmd.env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let pid = child.id();
    let server = Server {
        addr,
        pid: Some(pid),
        child: Some(child),
        data,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if Instant::now() > deadline {
            return Err("the server did not listen within 10 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(server)
}

/// One arena run on a fresh server; its JSON with the server's CPU.
async fn arena_step(
    clients: usize,
    seconds: f64,
    cpus: Option<&str>,
    kind: Kind,
) -> Result<(bool, Value), String> {
    let server = start_server(cpus, kind).await?;
    let floor = matches!(kind, Kind::Floor);
    let pid = server.pid.unwrap_or(0);
    let (cpu0, t0) = (cpu_seconds(pid), Instant::now());
    let target = ArenaTarget {
        addr: server.addr,
        pid: server.pid,
        floor,
    };
    let r = arena(target, clients, seconds)
        .await
        .map_err(|e| e.to_string())?;
    let mut j = r.json();
    j["server_cpu_percent"] = json!(100.0 * (cpu_seconds(pid) - cpu0) / t0.elapsed().as_secs_f64());
    j["server_rss_kib"] = json!(rss_kib(pid));
    j["within_budget"] = json!(r.within_budget());
    println!("{j}");
    if r.generator_saturated {
        eprintln!(
            "hearth-bench: the generator used {:.0} % of its CPUs at {} players; it may be what ran out, not the server",
            r.generator_cpu_percent, r.clients
        );
    }
    Ok((r.within_budget(), j))
}

/// Finds the largest arena that keeps p99 ≤ 60 ms with no overrun: doubling, then halving the
/// gap three times.
async fn sweep(
    start: usize,
    max: usize,
    seconds: f64,
    cpus: Option<&str>,
    kind: Kind,
) -> Result<(), String> {
    let (mut good, mut bad): (Option<usize>, Option<usize>) = (None, None);
    // The steps at which the generator, not only the server, may have run out.
    let mut saturated = Vec::new();
    let step = |n: usize| async move {
        let (ok, j) = arena_step(n, seconds, cpus, kind).await?;
        Ok::<_, String>((ok, j["generator_saturated"] == json!(true)))
    };
    let mut n = start;
    while n <= max {
        let (ok, sat) = step(n).await?;
        if sat {
            saturated.push(n);
        }
        if ok {
            good = Some(n);
            n *= 2;
        } else {
            bad = Some(n);
            break;
        }
    }
    if let (Some(mut lo), Some(mut hi)) = (good, bad) {
        for _ in 0..3 {
            let mid = (lo + hi) / 2 / 8 * 8;
            if mid <= lo {
                break;
            }
            let (ok, sat) = step(mid).await?;
            if sat {
                saturated.push(mid);
            }
            if ok {
                lo = mid;
            } else {
                hi = mid;
                bad = Some(mid);
            }
        }
        good = Some(lo);
    }
    let limited_by = match bad {
        Some(b) if saturated.contains(&b) => {
            "the generator (it used 90 % or more of its CPUs there)"
        }
        Some(_) => "the server",
        None => "--max-clients",
    };
    let out = json!({
        "scenario": "arena_sweep",
        "largest_within_budget": good,
        "first_over_budget": bad,
        "limited_by": limited_by,
        "generator_saturated_at": saturated,
    });
    println!("{out}");
    Ok(())
}

/// Helper generator processes of the `held` scenario; closing their stdin (on drop) ends them.
#[derive(Default)]
struct Helpers {
    children: Vec<Child>,
}

impl Helpers {
    /// Starts `n` helpers holding `share` sockets each; resolves to how many they hold once
    /// every one has said so.
    fn start(
        &mut self,
        addr: SocketAddr,
        n: usize,
        share: usize,
    ) -> impl Future<Output = Result<usize, BenchError>> + use<> {
        let mut outputs = Vec::new();
        let mut failed = None;
        for _ in 0..n {
            let spawned = Command::new(std::env::current_exe().unwrap_or_default())
                .args(["--server", &addr.to_string(), "held", "--child"])
                .args(["--clients", &share.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn();
            match spawned {
                Ok(mut child) => {
                    outputs.extend(child.stdout.take());
                    self.children.push(child);
                }
                Err(e) => failed = Some(e.to_string()),
            }
        }
        async move {
            if let Some(e) = failed {
                return Err(BenchError::Server(format!(
                    "cannot start a helper process: {e}"
                )));
            }
            let mut total = 0;
            for out in outputs {
                let line = tokio::task::spawn_blocking(move || {
                    let mut line = String::new();
                    std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line)
                        .map(|_| line)
                })
                .await
                .map_err(|e| BenchError::Server(e.to_string()))?
                .map_err(|e| BenchError::Server(e.to_string()))?;
                total += line
                    .trim()
                    .strip_prefix("held ")
                    .and_then(|n| n.parse::<usize>().ok())
                    .ok_or_else(|| {
                        BenchError::Server(format!(
                            "a helper process failed before holding its sockets: {line:?}"
                        ))
                    })?;
            }
            Ok(total)
        }
    }
}

impl Helpers {
    /// CPU seconds the helper processes have used so far.
    fn cpu_seconds(&self) -> f64 {
        self.children.iter().map(|c| cpu_seconds(c.id())).sum()
    }
}

impl Drop for Helpers {
    fn drop(&mut self) {
        for mut c in self.children.drain(..) {
            drop(c.stdin.take());
            let _ = c.wait();
        }
    }
}

fn row(name: &str, value: &Value) {
    println!("{name:<28} {value}");
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("hearth-bench: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let seconds = cli.seconds.clamp(0.5, 600.0);
    if let Scenario::FloorServe { bind } = cli.scenario {
        if !bind.ip().is_loopback() {
            return Err(format!(
                "{bind} is not a loopback address; the floor serves this machine only"
            ));
        }
        // The floor is as lean as a server can be: one thread.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        return std::thread::spawn(move || {
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(bind)
                    .await
                    .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
                hearth_bench::floor::serve_floor(listener)
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join()
        .map_err(|_| "the floor server panicked".to_string())?;
    }
    let floor = matches!(
        cli.scenario,
        Scenario::Arena { floor: true, .. }
            | Scenario::Logins { floor: true, .. }
            | Scenario::Turns { floor: true, .. }
    );
    let kind = match (floor, cli.on_disk) {
        (true, _) => Kind::Floor,
        (false, true) => Kind::OnDisk,
        (false, false) => Kind::Memory,
    };
    let server = match cli.server {
        Some(addr) => {
            if !addr.ip().is_loopback() {
                return Err(format!(
                    "{addr} is not a loopback address; load runs on this machine only"
                ));
            }
            Server {
                addr,
                pid: cli.server_pid,
                child: None,
                data: None,
            }
        }
        None => start_server(cli.server_cpus.as_deref(), kind).await?,
    };
    let me = std::process::id();
    let (server_cpu0, my_cpu0, t0) = (
        server.pid.map(cpu_seconds).unwrap_or(0.0),
        cpu_seconds(me),
        Instant::now(),
    );
    // Helper generator processes (`held --processes`): alive until the figures are read.
    let mut helpers = Helpers::default();
    let result: Result<Value, BenchError> = match cli.scenario {
        Scenario::Logins { clients, floor } => {
            logins(server.addr, clients.clamp(1, 1000), seconds, !floor)
                .await
                .map(|r| r.json())
        }
        Scenario::Turns { clients, floor } => {
            turns(server.addr, !floor, clients.clamp(1, 10_000), seconds)
                .await
                .map(|r| r.json())
        }
        Scenario::Held {
            clients,
            child: true,
            ..
        } => {
            return hold_until_stdin_closes(server.addr, clients.clamp(1, 19_000))
                .await
                .map_err(|e| e.to_string());
        }
        Scenario::Held {
            clients, processes, ..
        } => {
            let processes = processes.clamp(1, 8);
            let share = clients.div_ceil(processes).clamp(1, 19_000);
            let elsewhere = helpers.start(server.addr, processes - 1, share);
            held(server.addr, server.pid, share, seconds, elsewhere)
                .await
                .map(|r| {
                    let mut j = r.json();
                    j["processes"] = json!(processes);
                    j
                })
        }
        Scenario::Arena {
            clients,
            sweep: false,
            ..
        } => arena(
            ArenaTarget {
                addr: server.addr,
                pid: server.pid,
                floor,
            },
            clients.clamp(8, 19_000),
            seconds,
        )
        .await
        .map(|r| {
            let mut j = r.json();
            j["within_budget"] = json!(r.within_budget());
            j
        }),
        Scenario::Arena {
            clients,
            sweep: true,
            max_clients,
            ..
        } => {
            drop(server);
            return sweep(
                clients.clamp(8, 19_000),
                max_clients.clamp(8, 19_000),
                seconds,
                cli.server_cpus.as_deref(),
                kind,
            )
            .await;
        }
        Scenario::FloorServe { .. } => return Err("the floor is served above".into()),
    };
    let mut out = result.map_err(|e| e.to_string())?;
    let wall = t0.elapsed().as_secs_f64();
    if let Some(pid) = server.pid {
        out["server_cpu_percent"] = json!(100.0 * (cpu_seconds(pid) - server_cpu0) / wall);
        out["server_rss_kib"] = json!(rss_kib(pid));
    }
    // The generator's CPU includes its helper processes' (they started after `my_cpu0`).
    let generator_cpu = cpu_seconds(me) - my_cpu0 + helpers.cpu_seconds();
    out["generator_cpu_percent"] = json!(100.0 * generator_cpu / wall);
    out["seconds"] = json!(wall);
    if server.child.is_some() {
        out["database"] = json!(match kind {
            Kind::Memory => "memory",
            Kind::OnDisk => "file (WAL)",
            Kind::Floor => "none",
        });
    }
    if let Value::Object(map) = &out {
        for (k, v) in map {
            row(k, v);
        }
    }
    println!("{out}");
    Ok(())
}
