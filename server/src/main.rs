//! `hearth`: the Hearth game server.

use std::net::SocketAddr;
use std::time::Duration;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use hearth_rules::{Catalog, DynHeader, hash_hex};
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::official::store::{Role, Store};
use hearth_server::official::{accounts, start};
use hearth_server::{HostConfig, Limits};
use tracing_subscriber::EnvFilter;

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
    /// Administer accounts in the database.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Re-run a stored match with the rules and print its final hash and outcome.
    Replay {
        /// The match id (see GET /v1/matches).
        id: u64,
        /// The database file.
        #[arg(long, default_value = DEFAULT_DB)]
        db: PathBuf,
    },
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
        /// The database file.
        #[arg(long, default_value = DEFAULT_DB)]
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
    /// Largest message a client may send, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_frame_bytes: usize,
    /// Messages per second a connection may send on average.
    #[arg(long, default_value_t = 60)]
    rate_per_sec: u32,
    /// Reliable messages queued per connection before it is dropped as too slow.
    #[arg(long, default_value_t = 1024)]
    outbound_queue: usize,
    /// The SQLite database file (created if missing).
    #[arg(long, default_value = DEFAULT_DB, conflicts_with = "memory")]
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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match cli.command {
        Command::Games => {
            for g in hearth_rules::Catalog::builtin().games() {
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
        Command::Replay { id, db } => exit(replay(id, &db)),
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
            match runtime.block_on(serve(args)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("hearth: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
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
    let store = SqliteStore::open(db).map_err(|e| e.to_string())?;
    let hash = accounts::hash_password(password)?;
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

fn replay(id: u64, db: &Path) -> Result<(), String> {
    if !db.exists() {
        return Err(format!("no database at {}; pass --db PATH", db.display()));
    }
    let store = SqliteStore::open(db).map_err(|e| e.to_string())?;
    let m = store
        .get_match(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no match {id} in {}", db.display()))?;
    let log = store.match_log(id).map_err(|e| e.to_string())?;
    let catalog = Catalog::builtin();
    let meta = catalog.get(&m.game).map_err(|e| e.to_string())?;
    if meta.fingerprint.to_string() != m.fingerprint {
        return Err(format!(
            "match {id} was played with {} but this build has {}; replay it with that build",
            m.fingerprint, meta.fingerprint
        ));
    }
    let header = DynHeader {
        game: m.game.clone(),
        seats: m.seats,
        seed: m.seed,
        config: m.config.clone(),
    };
    let mut session = catalog.replay(&header, &log).map_err(|e| e.to_string())?;
    while session.tick_count() < m.ticks && !session.is_over() {
        session
            .tick(hearth_rules::Encoding::Postcard)
            .map_err(|e| e.to_string())?;
    }
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

async fn serve(args: ServeArgs) -> Result<(), String> {
    let limits = Limits {
        seat_grace: Duration::from_secs(args.seat_grace_secs),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs.max(1)),
        max_frame_bytes: args.max_frame_bytes,
        rate_per_sec: args.rate_per_sec.max(1),
        rate_burst: args.rate_per_sec.max(1) * 2,
        outbound_queue: args.outbound_queue.max(16),
        ..Limits::default()
    };
    let store: Arc<dyn Store> = if args.memory {
        Arc::new(SqliteStore::memory().map_err(|e| e.to_string())?)
    } else {
        Arc::new(SqliteStore::open(&args.db).map_err(|e| e.to_string())?)
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
    let host = start(
        HostConfig {
            limits,
            tls,
            ..HostConfig::on(args.bind)
        },
        store,
    )
    .await
    .map_err(|e| e.to_string())?;
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
