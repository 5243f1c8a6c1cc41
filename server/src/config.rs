//! How a host is set up.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_rules::Catalog;

use crate::services::{Authenticator, MatchRecorder, NullRecorder, OpenAuth};

/// Limits that keep one client or one room from hurting the others.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket message a client may send, in bytes.
    pub max_frame_bytes: usize,
    /// Messages per second a connection may send on average.
    pub rate_per_sec: u32,
    /// Messages a connection may send in a burst.
    pub rate_burst: u32,
    /// A connection that sends nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    /// Reliable messages queued for one connection before it is disconnected as too slow.
    pub outbound_queue: usize,
    /// How long a dropped player's seat is held for a resume.
    pub seat_grace: Duration,
    /// Malformed frames tolerated on one connection before it is closed.
    pub max_bad_frames: u32,
    /// How many ticks ahead a real-time input may be stamped.
    pub max_input_lead_ticks: u64,
    /// Most rooms at once.
    pub max_rooms: usize,
    /// Most sockets open at once, counted from accept: WebSockets, HTTP requests and
    /// handshakes still in progress. Lowered to fit the process's open-file limit.
    pub max_connections: usize,
    /// Of `max_connections`, how many are kept from WebSocket players so `/healthz`,
    /// `/metrics` and the REST API still answer a full host.
    pub reserved_connections: usize,
    /// How long a socket has from accept to a complete request head (TLS handshake
    /// included), and from its WebSocket upgrade to `hello`. A full host also closes the
    /// oldest socket still waiting for its request head to make room for a new one.
    pub handshake_timeout: Duration,
    /// Sign-ins (device, register, login) one address may make at once before waiting; then
    /// one more per `60 / sign_ins_per_minute` seconds. Official services only.
    pub sign_in_burst: u32,
    /// Sign-ins one address may make per minute on average (official services only). Raise
    /// both when many players share one address (a venue, a carrier NAT).
    pub sign_ins_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 64 * 1024,
            rate_per_sec: 60,
            rate_burst: 120,
            idle_timeout: Duration::from_secs(60),
            outbound_queue: 1024,
            seat_grace: Duration::from_secs(60),
            max_bad_frames: 8,
            max_input_lead_ticks: 40,
            max_rooms: 50_000,
            max_connections: 100_000,
            reserved_connections: 16,
            handshake_timeout: Duration::from_secs(10),
            sign_in_burst: 10,
            sign_ins_per_minute: 10,
        }
    }
}

impl Limits {
    /// The defaults with the per-connection message rate and the per-address sign-in rate
    /// lifted: for tests and load generators, which drive a host from one address as fast as
    /// it answers. Never for a public server.
    pub fn unthrottled() -> Limits {
        Limits {
            rate_per_sec: 1_000_000,
            rate_burst: 1_000_000,
            sign_in_burst: 1_000_000,
            sign_ins_per_minute: 1_000_000,
            ..Limits::default()
        }
    }
}

/// Makes extra routes from a handle on the running host.
pub type RouteFactory = Arc<dyn Fn(crate::HostControl) -> axum::Router + Send + Sync>;

/// Everything [`Host::start`](crate::Host::start) needs.
#[derive(Clone)]
pub struct HostConfig {
    /// Where to listen (`127.0.0.1:7777` by default; port 0 picks a free one).
    pub bind: SocketAddr,
    /// The games this host offers.
    pub catalog: Arc<Catalog>,
    /// Limits per connection and room.
    pub limits: Limits,
    /// Who players are (the official services plug accounts in here).
    pub auth: Arc<dyn Authenticator>,
    /// Where match logs go before actions are acknowledged (storage plugs in here).
    pub recorder: Arc<dyn MatchRecorder>,
    /// Leaderboards for `subscribe_leaderboard` (none on LAN hosts).
    pub leaderboards: Option<Arc<dyn crate::services::LeaderboardSource>>,
    /// Extra HTTP routes served beside `/ws`, `/healthz` and `/metrics`, made once the host
    /// runs so they can reach it (the official services' REST API and admin page).
    pub routes: Option<RouteFactory>,
    /// Reported in the welcome and `/healthz`.
    pub server_version: String,
    /// Serve HTTPS/WSS with this certificate and key instead of plain HTTP.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Test hook: the seed of a room's next game, by room name (random when `None`). The
    /// cross-mode suite uses it to play the same game offline and on hosts.
    pub seeds: Option<SeedSource>,
    /// Test hook: real-time rooms tick only when [`ManualTicks::advance`] says so instead of
    /// by the clock, so a test can put every input of a tick in place before the tick runs.
    /// Everything else (stamps, late inputs, snapshots) works as with the clock.
    pub ticks: Option<ManualTicks>,
    /// Serve the files of this folder at `/` (the browser client and its Wasm module).
    pub web_root: Option<std::path::PathBuf>,
    /// Refuse WebSockets opened by browser pages of another origin (the `Origin` header's
    /// host and port differ from the request's `Host`; native clients send no `Origin` and
    /// are unaffected): such a socket gets `closing` with `wrong_origin`, naming the page to
    /// open. A LAN host serving its own page sets it, so a page elsewhere cannot drive it
    /// from a phone's browser. Off by default: the official server serves games' pages from
    /// anywhere.
    pub same_origin_only: bool,
    /// The room directory shared with the other nodes of a cluster (`official::cluster`);
    /// `None` for a host on its own.
    pub cluster: Option<Arc<dyn crate::services::Cluster>>,
}

/// Tick permissions by room, for [`HostConfig::ticks`].
#[derive(Clone, Default)]
pub struct ManualTicks {
    gates: Arc<Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>>,
}

impl ManualTicks {
    /// No room may tick yet.
    pub fn new() -> Self {
        ManualTicks::default()
    }

    /// Lets the room called `room` (any case) run `n` more ticks.
    pub fn advance(&self, room: &str, n: usize) {
        self.gate(room).add_permits(n);
    }

    /// The permits of the room called `room`.
    pub(crate) fn gate(&self, room: &str) -> Arc<tokio::sync::Semaphore> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(room.trim().to_lowercase())
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(0)))
            .clone()
    }
}

/// Picks a game's seed from its room's name.
pub type SeedSource = Arc<dyn Fn(&str) -> u64 + Send + Sync>;

impl HostConfig {
    /// A host of `catalog`'s games listening on `bind` (e.g. `127.0.0.1:0` in tests), with
    /// default limits, open authentication and no recording.
    pub fn on(bind: SocketAddr, catalog: Arc<Catalog>) -> Self {
        HostConfig {
            bind,
            catalog,
            limits: Limits::default(),
            auth: Arc::new(OpenAuth),
            recorder: Arc::new(NullRecorder::default()),
            routes: None,
            leaderboards: None,
            server_version: env!("CARGO_PKG_VERSION").to_string(),
            tls: None,
            seeds: None,
            ticks: None,
            web_root: None,
            same_origin_only: false,
            cluster: None,
        }
    }
}
