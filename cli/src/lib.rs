//! Hearth's command line as a library: the `hearth` command for *your* games.
//!
//! A game's server binary is one call, with the registration function of its rules crate:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     hearth_cli::run(hearth_games::games) // your rules crate's `games`
//! }
//! ```
//!
//! Every subcommand then works on those games: `serve` (the official server: accounts,
//! SQLite, leaderboards, admin page, crash recovery), `lan` (a LAN host announced over mDNS),
//! `play` (terminal play offline, on a LAN host or on a server; games without a terminal
//! renderer get the generic player), `browse`, `replay`, `games` and `admin`; `new` creates a
//! project for a new game ([`scaffold`]). Hearth's own `hearth` binary is exactly this call
//! with the example games.
#![warn(missing_docs)]

pub mod scaffold;
pub mod terminal;

use std::net::SocketAddr;
use std::time::Duration;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use hearth_rules::{Catalog, Games, hash_hex};
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::official::store::{Role, Store};
use hearth_server::official::{accounts, start};
use hearth_server::{HostConfig, Limits};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Hearth: multiplayer game rules written once, played offline, on a LAN or online.
#[derive(Parser)]
#[command(name = "hearth", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the game server: WebSocket at /ws, REST at /v1, admin page at /admin,
    /// /healthz and /metrics; accounts, matches and leaderboards in one SQLite file.
    Serve(ServeArgs),
    /// List the games this build offers, with their rules fingerprints.
    Games,
    /// Host games on the local network: no accounts, announced over mDNS.
    Lan(LanArgs),
    /// List Hearth hosts on the local network as they appear and go.
    Browse {
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long)]
        seconds: Option<u64>,
        /// Look on the loopback interface only.
        #[arg(long)]
        loopback_only: bool,
    },
    /// Play in the terminal: offline (default), on a LAN host (--lan or --url) or on a
    /// server (--server).
    Play(PlayArgs),
    /// Administer accounts in the database.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Create a workspace for a new game: rules with a starter game and its tests, a server
    /// binary, a Wasm module with a page, a Godot extension with a project, a C library.
    New {
        /// The game's name (lowercase letters, digits and dashes): the directory, the crates'
        /// prefix and the command's name.
        name: String,
        /// Where to create it (default: ./NAME); it must not exist or be empty.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The Hearth checkout the project depends on (default: the one this command was
        /// built from).
        #[arg(long)]
        hearth: Option<PathBuf>,
    },
    /// Re-run a stored match with the rules and print its final hash and outcome.
    Replay {
        /// The match id (see GET /v1/matches).
        id: u64,
        /// The database file.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
        /// Replay a running match of a game that hides information (its players' secrets
        /// are in its log); refused without this until the match is over.
        #[arg(long)]
        running: bool,
    },
}

#[derive(Args)]
struct LanArgs {
    /// The name players see.
    #[arg(long, default_value = "Hearth")]
    name: String,
    /// Address to listen on (all interfaces by default, so friends can connect).
    #[arg(long, default_value = "0.0.0.0:7777")]
    bind: SocketAddr,
    /// Announce on loopback only (for trying it out on one machine).
    #[arg(long)]
    loopback_only: bool,
    /// Serve the browser client from this folder, so phones join by opening the printed URL
    /// (default: `web/` or `web/www/` in the current directory, whichever has an index.html:
    /// the repository's page and a `hearth new` project's, once scripts/build-web.sh built
    /// the module into it).
    #[arg(long, env = "HEARTH_WEB")]
    web: Option<PathBuf>,
    /// Serve no browser page, even if `web/` is there.
    #[arg(long, conflicts_with = "web")]
    no_web: bool,
}

#[derive(Args)]
struct PlayArgs {
    /// A game of this build (`hearth games` lists them).
    game: String,
    /// Play on the official server at this base URL (http://HOST:PORT), signing in with
    /// this machine's device id.
    #[arg(long, conflicts_with_all = ["lan", "url"])]
    server: Option<String>,
    /// Find a LAN host and play there.
    #[arg(long, conflicts_with = "url")]
    lan: bool,
    /// Play on the LAN host at this WebSocket URL.
    #[arg(long)]
    url: Option<String>,
    /// With --lan: the host's name (default: the first compatible one found).
    #[arg(long)]
    host: Option<String>,
    /// With --lan: look on the loopback interface only.
    #[arg(long, requires = "lan")]
    loopback_only: bool,
    /// Room to join or create online.
    #[arg(long, default_value = "hearth")]
    room: String,
    /// Your display name.
    #[arg(long, default_value = "Player")]
    name: String,
    /// Device id for --server (default: one kept in ~/.config/hearth/device-id).
    #[arg(long)]
    device_id: Option<String>,
    /// Offline: every seat is played at this keyboard.
    #[arg(long)]
    hot_seat: bool,
    /// Bot strength (connect-four: search depth).
    #[arg(long, default_value_t = 3)]
    level: u8,
    /// Offline: seats (default: the game's minimum).
    #[arg(long, default_value_t = 0)]
    seats: u8,
    /// Offline: the game's seed (default: random).
    #[arg(long)]
    seed: Option<u64>,
    /// Read input lines from this file instead of the keyboard.
    #[arg(long)]
    script: Option<PathBuf>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a password account; the password is read from standard input.
    CreateUser {
        /// Username (3–24 letters, digits, `_` or `-`).
        name: String,
        /// Make it an admin.
        #[arg(long)]
        admin: bool,
        /// Display name (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
        /// The database file, or a PostgreSQL URL.
        #[arg(long, env = "HEARTH_DB", default_value = DEFAULT_DB)]
        db: PathBuf,
    },
}

const DEFAULT_DB: &str = "hearth-data/hearth.db";

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HEARTH_BIND", default_value = "127.0.0.1:7777")]
    bind: SocketAddr,
    /// Seconds a dropped player's seat is held for a resume.
    #[arg(long, default_value_t = 60)]
    seat_grace_secs: u64,
    /// Seconds without any traffic before a connection is closed.
    #[arg(long, default_value_t = 60)]
    idle_timeout_secs: u64,
    /// Seconds a socket has from accept to a complete request head (TLS included), and
    /// from its WebSocket upgrade to `hello`.
    #[arg(long, default_value_t = 10)]
    handshake_timeout_secs: u64,
    /// Most sockets open at once, counted from accept (lowered to fit `ulimit -n`).
    #[arg(long, default_value_t = 100_000)]
    max_connections: usize,
    /// Of --max-connections, how many are kept from WebSocket players so `/healthz`,
    /// `/metrics` and the REST API still answer a full server.
    #[arg(long, default_value_t = 16)]
    reserved_connections: usize,
    /// Largest message a client may send, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_frame_bytes: usize,
    /// Messages per second a connection may send on average.
    #[arg(long, default_value_t = 60)]
    rate_per_sec: u32,
    /// Reliable messages queued per connection before it is dropped as too slow.
    #[arg(long, default_value_t = 1024)]
    outbound_queue: usize,
    /// Sign-ins one address may make per minute (a burst of as many is allowed at once).
    /// Raise it when many players share one address.
    #[arg(long, default_value_t = 10)]
    sign_ins_per_minute: u32,
    /// The SQLite database file (created if missing), or a PostgreSQL URL
    /// (`postgres://USER@HOST:PORT/DATABASE`; builds with the `postgres` feature).
    #[arg(long, env = "HEARTH_DB", default_value = DEFAULT_DB, conflicts_with = "memory")]
    db: PathBuf,
    /// Keep everything in memory (nothing survives a restart).
    #[arg(long)]
    memory: bool,
    /// Serve HTTPS/WSS with this PEM certificate chain (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve the browser client from this folder at `/` (the repository's `web/`, with its
    /// Wasm module built into `web/pkg` by scripts/build-web.sh).
    #[arg(long, env = "HEARTH_WEB")]
    web: Option<PathBuf>,
    /// Run as a node of a cluster sharing the PostgreSQL database of --db: the WebSocket
    /// URL the other nodes reach this one's `/ws` at (e.g. `ws://10.0.0.5:7777/ws`), unique
    /// per node. See docs/deploy.md.
    #[arg(long, env = "HEARTH_PUBLIC_URL")]
    public_url: Option<String>,
    /// Milliseconds a node may go without renewing its lease before the others take its
    /// matches over (with --public-url).
    #[arg(long, env = "HEARTH_LEASE_MS", default_value_t = 2000)]
    lease_ms: u64,
    /// Seconds a node stopped with SIGTERM waits for its matches to end before handing the
    /// rest to the other nodes (with --public-url).
    #[arg(long, default_value_t = 20)]
    drain_secs: u64,
}

/// Runs the `hearth` command line (arguments from the process) over the games `games`
/// registers, and returns the process's exit code. A catalog that does not build (two games
/// of one name, floats in a game's state) is reported naming the game, and nothing runs.
///
/// The game types are traced at start to compute their rules fingerprints, which needs
/// hearth-rules' `schema` feature (a game project's rules crate asks for it).
pub fn run(games: Games) -> std::process::ExitCode {
    run_catalog(Catalog::of(games))
}

/// [`run`] with fingerprints computed at build time (`Catalog::fingerprints()` of the same
/// games in a `build.rs`, as `name@version#schema` text), for a binary built without the type
/// tracer. Stale fingerprints (the games changed since) are reported naming the game, and
/// nothing runs.
pub fn run_fingerprinted(games: Games, fingerprints: &[&str]) -> std::process::ExitCode {
    let parsed: Result<Vec<hearth_rules::Fingerprint>, _> =
        fingerprints.iter().map(|f| f.parse()).collect();
    match parsed {
        Ok(parsed) => run_catalog(Catalog::of_fingerprinted(games, &parsed)),
        Err(hearth_rules::BadFingerprint(f)) => {
            eprintln!("hearth: {f:?} is not a rules fingerprint (name@version#schema); rebuild");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_catalog(catalog: Result<Catalog, hearth_rules::RuleError>) -> std::process::ExitCode {
    let cli = Cli::parse();
    let catalog = match catalog {
        Ok(catalog) => Arc::new(catalog),
        Err(e) => {
            eprintln!("hearth: the games do not register: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // RUST_LOG as `level` or `target=level,…`. `Targets` rather than `EnvFilter`: the
    // latter's regex engine was ~0.4 MB of the binary for a feature nobody here uses.
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .init();
    match cli.command {
        Command::Games => {
            for g in catalog.games() {
                println!(
                    "{:<14} {}-{} seats  {}  {}",
                    g.name, g.min_seats, g.max_seats, g.fingerprint, g.description
                );
            }
            std::process::ExitCode::SUCCESS
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    name,
                    admin,
                    display_name,
                    db,
                },
        } => exit(create_user(&name, admin, display_name.as_deref(), &db)),
        Command::Replay { id, db, running } => exit(replay(id, &db, running, &catalog)),
        Command::New { name, dir, hearth } => exit(new_project(name, dir, hearth)),
        Command::Lan(args) => exit(runtime().and_then(|rt| rt.block_on(lan(args, catalog)))),
        Command::Browse {
            seconds,
            loopback_only,
        } => exit(runtime().and_then(|rt| rt.block_on(browse(seconds, loopback_only, &catalog)))),
        Command::Play(args) => exit(runtime().and_then(|rt| rt.block_on(play(args, catalog)))),
        Command::Serve(args) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("hearth: cannot start the async runtime: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve(args, catalog)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("hearth: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn interfaces(loopback_only: bool) -> hearth_client::lan::Interfaces {
    if loopback_only {
        hearth_client::lan::Interfaces::LoopbackOnly
    } else {
        hearth_client::lan::Interfaces::All
    }
}

async fn lan(args: LanArgs, catalog: Arc<Catalog>) -> Result<(), String> {
    let web = match (&args.web, args.no_web) {
        (_, true) => None,
        (Some(dir), _) => {
            if !dir.join("index.html").is_file() {
                return Err(format!(
                    "{} has no index.html: give --web the browser client's folder (the repository's web/)",
                    dir.display()
                ));
            }
            Some(dir.clone())
        }
        // The repository's page, or a `hearth new` project's.
        (None, false) => ["web", "web/www"]
            .into_iter()
            .map(PathBuf::from)
            .find(|d| d.join("index.html").is_file()),
    };
    if let Some(dir) = &web
        && !dir.join("pkg").join("hearth.js").is_file()
    {
        tracing::warn!(
            "{} has no pkg/hearth.js: the page will not load until its Wasm module is built into it (scripts/build-web.sh)",
            dir.display()
        );
    }
    let host = hearth_server::lan::LanHost::start(hearth_server::lan::LanConfig {
        name: args.name.clone(),
        host: HostConfig {
            web_root: web.clone(),
            ..HostConfig::on(args.bind, catalog)
        },
        interfaces: interfaces(args.loopback_only),
    })
    .await
    .map_err(|e| e.to_string())?;
    println!(
        "LAN host `{}` on {} (announced as {}; Ctrl-C stops)",
        args.name,
        host.host().ws_url(),
        host.fullname()
    );
    match &web {
        Some(dir) => {
            for url in host.page_urls() {
                println!("join from a phone or a browser: {url}");
            }
            if let Some(first) = host.page_urls().first() {
                use std::io::IsTerminal;
                match hearth_server::lan::Qr::new(first) {
                    Ok(qr) => print!("{}", qr.to_terminal(std::io::stdout().is_terminal())),
                    Err(e) => tracing::warn!("{e}"),
                }
            }
            println!("(the page is served from {})", dir.display());
        }
        None => println!(
            "no browser page: run from a folder with web/index.html or web/www/index.html in it, or pass --web DIR, for phones to join"
        ),
    }
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    host.stop().await;
    Ok(())
}

async fn browse(
    seconds: Option<u64>,
    loopback_only: bool,
    catalog: &Catalog,
) -> Result<(), String> {
    use hearth_client::lan::LanEvent;
    let mut browser =
        hearth_client::lan::browse(interfaces(loopback_only)).map_err(|e| e.to_string())?;
    println!("looking for Hearth hosts on the local network…");
    let until = async {
        match seconds {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => wait_for_signal().await,
        }
    };
    tokio::pin!(until);
    loop {
        tokio::select! {
            _ = &mut until => return Ok(()),
            ev = browser.next() => match ev {
                Some(LanEvent::Found(h)) => {
                    let ok = match h.compatibility(catalog) {
                        Ok(()) => "can play".to_string(),
                        Err(why) => format!("cannot play: {why}"),
                    };
                    println!(
                        "found  {} at {} — {} open rooms, {} players — {ok}",
                        h.name,
                        h.ws_url().unwrap_or_default(),
                        h.open_rooms,
                        h.players
                    );
                }
                Some(LanEvent::Lost(name)) => println!("gone   {name}"),
                None => return Ok(()),
            },
        }
    }
}

fn device_id(given: Option<String>) -> String {
    if let Some(id) = given {
        return id;
    }
    let path = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".config/hearth/device-id");
    if let Ok(id) = std::fs::read_to_string(&path)
        && id.trim().len() >= 8
    {
        return id.trim().to_string();
    }
    let id = format!(
        "device-{}",
        hash_hex(std::process::id() as u64 ^ accounts::now() as u64 ^ 0x9e37_79b9_7f4a_7c15)
    );
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&path, &id);
    id
}

async fn play(args: PlayArgs, catalog: Arc<Catalog>) -> Result<(), String> {
    use terminal::{Offline, Online, Terminal, play_offline, play_online};
    let input: Box<dyn tokio::io::AsyncBufRead + Unpin + Send> = match &args.script {
        Some(path) => Box::new(tokio::io::BufReader::new(
            tokio::fs::File::open(path)
                .await
                .map_err(|e| format!("cannot read the script {}: {e}", path.display()))?,
        )),
        None => Box::new(tokio::io::BufReader::new(tokio::io::stdin())),
    };
    let mut term = Terminal::new(input, std::io::stdout());
    let online = |url: String, token: Option<String>| Online {
        game: args.game.clone(),
        room: args.room.clone(),
        config: hearth_client::ClientConfig {
            url,
            token,
            name: args.name.clone(),
            catalog: catalog.clone(),
            reconnect: true,
            values: hearth_rules::Encoding::Postcard,
        },
    };
    let result = if let Some(base) = &args.server {
        let token =
            hearth_client::device_login(base, &device_id(args.device_id.clone()), &args.name)
                .await
                .map_err(|e| e.to_string())?;
        let ws = format!(
            "ws://{}/ws",
            base.trim_start_matches("http://").trim_end_matches('/')
        );
        play_online(&mut term, online(ws, Some(token))).await
    } else if let Some(url) = &args.url {
        play_online(&mut term, online(url.clone(), None)).await
    } else if args.lan {
        let url = pick_lan_host(args.host.as_deref(), args.loopback_only, &catalog).await?;
        play_online(&mut term, online(url, None)).await
    } else {
        let seed = args.seed.unwrap_or_else(|| accounts::now() as u64);
        play_offline(
            &mut term,
            &catalog,
            Offline {
                game: args.game.clone(),
                seats: args.seats,
                hot_seat: args.hot_seat,
                level: args.level,
                seed,
            },
        )
        .await
    };
    result.map(drop).map_err(|e| e.to_string())
}

/// Browses for up to 5 s and returns the URL of the named (or first compatible) host.
async fn pick_lan_host(
    name: Option<&str>,
    loopback_only: bool,
    catalog: &Catalog,
) -> Result<String, String> {
    use hearth_client::lan::LanEvent;
    let mut browser =
        hearth_client::lan::browse(interfaces(loopback_only)).map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut refused = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, browser.next()).await {
        let LanEvent::Found(h) = ev else { continue };
        if name.is_some_and(|n| n != h.name) {
            continue;
        }
        match (h.compatibility(catalog), h.ws_url()) {
            (Ok(()), Some(url)) => {
                println!("joining {} at {url}", h.name);
                return Ok(url);
            }
            (Err(why), _) => refused.push(format!("{}: {why}", h.name)),
            (_, None) => refused.push(format!("{}: no address", h.name)),
        }
    }
    if refused.is_empty() {
        Err("no Hearth host found on the local network in 5 s; start one with `hearth lan` and retry".into())
    } else {
        Err(format!(
            "no host this client can play on: {}",
            refused.join("; ")
        ))
    }
}

fn new_project(name: String, dir: Option<PathBuf>, hearth: Option<PathBuf>) -> Result<(), String> {
    let project = scaffold::NewProject {
        dir: dir.unwrap_or_else(|| PathBuf::from(&name)),
        hearth: hearth.unwrap_or_else(scaffold::default_hearth),
        name,
    };
    let written = scaffold::create(&project).map_err(|e| e.to_string())?;
    let dir = project.dir.display();
    println!(
        "Created {} ({} files): the game `{}` with its rules, server, web, Godot and C crates.",
        dir,
        written.len(),
        project.name
    );
    println!(
        "Next:\n  cd {dir}\n  cargo test\n  cargo run -p {}-server -- play {}",
        project.name, project.name
    );
    println!("README.md there says how to play it in the browser, on a LAN, in Godot and from C.");
    Ok(())
}

fn exit(result: Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn create_user(
    name: &str,
    admin: bool,
    display_name: Option<&str>,
    db: &Path,
) -> Result<(), String> {
    let username = accounts::username(name).map_err(|e| e.message)?;
    let display =
        hearth_server::names::display_name(display_name.unwrap_or(name)).map_err(|e| e.message)?;
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\n', '\r']);
    accounts::password(password)
        .map_err(|e| format!("{} (the password is read from standard input)", e.message))?;
    let store = open_store(db)?;
    let hash = accounts::hash_password(password).map_err(|e| e.to_string())?;
    let role = if admin { Role::Admin } else { Role::Player };
    let account = store
        .create_user(&username, &display, &hash, role, accounts::now())
        .map_err(|e| e.to_string())?;
    println!(
        "created {} `{}` (account {})",
        role.as_str(),
        username,
        account.id
    );
    Ok(())
}

/// The PostgreSQL URL `db` names, if it is one.
fn postgres_url(db: &Path) -> Option<&str> {
    let s = db.to_str()?;
    (s.starts_with("postgres://") || s.starts_with("postgresql://")).then_some(s)
}

/// The store `--db` names: a SQLite file, or a PostgreSQL database given by URL. Blocking.
fn open_store(db: &Path) -> Result<Arc<dyn Store>, String> {
    match postgres_url(db) {
        Some(url) => hearth_server::official::open_postgres(url).map_err(|e| e.to_string()),
        None => Ok(Arc::new(SqliteStore::open(db).map_err(|e| e.to_string())?)),
    }
}

fn replay(id: u64, db: &Path, running: bool, catalog: &Catalog) -> Result<(), String> {
    if postgres_url(db).is_none() && !db.exists() {
        return Err(format!("no database at {}; pass --db PATH", db.display()));
    }
    let store = open_store(db)?;
    let m = store
        .get_match(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no match {id} in {}", db.display()))?;
    // The same rule as the REST API: a running game that hides information keeps its log
    // to itself until it is over (docs/security.md).
    let hidden = catalog
        .get(&m.game)
        .map(|g| g.hidden_information)
        .unwrap_or(true);
    if hidden && m.ended_at.is_none() && !running {
        return Err(format!(
            "match {id} ({}) is still running and its game hides information: its log holds the players' secrets; replay it once it is over, or pass --running (for an operator recovering it)",
            m.game
        ));
    }
    let log = store.match_log(id).map_err(|e| e.to_string())?;
    let session = m.rebuild(catalog, &log).map_err(|e| e.to_string())?;
    let hash = hash_hex(session.hash());
    let outcome = session.outcome();
    println!(
        "match {id}: {} in room `{}`, {} entries, {} ticks",
        m.game,
        m.room,
        log.len(),
        session.tick_count()
    );
    println!(
        "final hash {hash} (recorded {})",
        m.hash.as_deref().unwrap_or("none: still running")
    );
    println!(
        "outcome {} (recorded {})",
        serde_json::to_string(&outcome).unwrap_or_default(),
        serde_json::to_string(&m.outcome).unwrap_or_default()
    );
    if let Some(recorded) = &m.hash
        && (recorded != &hash || m.outcome != outcome)
    {
        return Err(format!("match {id} does not replay to what was recorded"));
    }
    Ok(())
}

async fn serve(args: ServeArgs, catalog: Arc<Catalog>) -> Result<(), String> {
    let limits = Limits {
        seat_grace: Duration::from_secs(args.seat_grace_secs),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs.max(1)),
        handshake_timeout: Duration::from_secs(args.handshake_timeout_secs.max(1)),
        max_connections: args.max_connections.max(1),
        reserved_connections: args.reserved_connections,
        max_frame_bytes: args.max_frame_bytes,
        rate_per_sec: args.rate_per_sec.max(1),
        rate_burst: args.rate_per_sec.max(1) * 2,
        outbound_queue: args.outbound_queue.max(16),
        sign_in_burst: args.sign_ins_per_minute.max(1),
        sign_ins_per_minute: args.sign_ins_per_minute,
        ..Limits::default()
    };
    if args.public_url.is_some() {
        return serve_node(args, catalog, limits).await;
    }
    let store: Arc<dyn Store> = if args.memory {
        Arc::new(SqliteStore::memory().map_err(|e| e.to_string())?)
    } else {
        // The PostgreSQL driver blocks (it runs its own small runtime per connection), so it
        // is opened off this runtime's threads.
        let db = args.db.clone();
        tokio::task::spawn_blocking(move || open_store(&db))
            .await
            .map_err(|e| e.to_string())??
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(hearth_server::tls::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    if tls.is_none() && !args.bind.ip().is_loopback() {
        tracing::warn!(
            "serving plain HTTP on {}, which is not a loopback address: tokens and passwords cross the network unencrypted",
            args.bind
        );
    }
    if let Some(web) = &args.web
        && !web.join("pkg").join("hearth.js").is_file()
    {
        tracing::warn!(
            "{} has no pkg/hearth.js: the browser client will not load until its Wasm module is built into it (scripts/build-web.sh)",
            web.display()
        );
    }
    let host = start(
        HostConfig {
            limits,
            tls,
            web_root: args.web.clone(),
            ..HostConfig::on(args.bind, catalog)
        },
        store,
    )
    .await
    .map_err(|e| e.to_string())?;
    if args.web.is_some() {
        println!("play in the browser: {}/", host.http_url());
    }
    println!(
        "hearth serving on {}  (WebSocket: {}; admin: {}/admin; data: {}; Ctrl-C stops)",
        host.http_url(),
        host.ws_url(),
        host.http_url(),
        if args.memory {
            "in memory".to_string()
        } else {
            args.db.display().to_string()
        }
    );
    wait_for_signal().await;
    tracing::info!("shutting down: telling connections and flushing rooms");
    host.shutdown().await;
    Ok(())
}

/// `hearth serve --public-url …`: a node of a cluster on PostgreSQL.
async fn serve_node(args: ServeArgs, catalog: Arc<Catalog>, limits: Limits) -> Result<(), String> {
    use hearth_server::official::ClusterOptions;
    let Some(url) = postgres_url(&args.db).map(str::to_string) else {
        return Err(format!(
            "--public-url runs a node of a cluster, which needs a PostgreSQL database shared by the nodes; pass --db postgres://… (not {})",
            args.db.display()
        ));
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(hearth_server::tls::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let public_url = args.public_url.clone().unwrap_or_default();
    if !(public_url.starts_with("ws://") || public_url.starts_with("wss://")) {
        return Err(format!(
            "--public-url must be the WebSocket URL of this node's /ws (ws://HOST:PORT/ws), not `{public_url}`"
        ));
    }
    let options = ClusterOptions {
        public_url,
        lease: Duration::from_millis(args.lease_ms.max(200)),
    };
    let (host, node) = hearth_server::official::start_cluster_node(
        HostConfig {
            limits,
            tls,
            web_root: args.web.clone(),
            ..HostConfig::on(args.bind, catalog)
        },
        &url,
        &options,
    )
    .await
    .map_err(|e| e.to_string())?;
    println!(
        "hearth node {} serving on {}  (WebSocket: {}; reached by other nodes at {}; Ctrl-C or SIGTERM drains)",
        node.id(),
        host.http_url(),
        host.ws_url(),
        node.url()
    );
    wait_for_signal().await;
    tracing::info!("draining: no new rooms; running matches finish or move to other nodes");
    node.drain(Duration::from_secs(args.drain_secs)).await;
    host.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
