//! `hearth`: the Hearth game server.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use hearth_server::{Host, HostConfig, Limits};
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
    /// Run the game server (WebSocket at /ws, /healthz, /metrics).
    Serve(ServeArgs),
    /// List the games this build offers, with their rules fingerprints.
    Games,
}

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

async fn serve(args: ServeArgs) -> Result<(), hearth_server::HostError> {
    let limits = Limits {
        seat_grace: Duration::from_secs(args.seat_grace_secs),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs.max(1)),
        max_frame_bytes: args.max_frame_bytes,
        rate_per_sec: args.rate_per_sec.max(1),
        rate_burst: args.rate_per_sec.max(1) * 2,
        outbound_queue: args.outbound_queue.max(16),
        ..Limits::default()
    };
    let host = Host::start(HostConfig {
        limits,
        ..HostConfig::on(args.bind)
    })
    .await?;
    println!(
        "hearth serving on http://{}  (WebSocket: {}; Ctrl-C stops)",
        host.addr(),
        host.ws_url()
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
