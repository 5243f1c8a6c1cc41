//! The browser client end to end (issue: wasm). Starts the official server — SQLite store,
//! accounts, leaderboards, and the web client folder at `/` — on loopback, then runs
//! `tests/web/e2e.mjs` (playwright-core driving Debian's Chromium): two pages play
//! connect-four online to a win with a reload mid-game, a third page's leaderboard updates,
//! and a page plays offline against the bot with the server blocked. Screenshots land in
//! `target/web-screenshots/`.
//!
//! Needs the module built (`scripts/build-web.sh`, which the test command runs first), node,
//! `npm ci` and `/usr/bin/chromium`; it fails, saying which, when one is missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use hearth_games::connect_four::{ConnectFour, ConnectFourConfig};
use hearth_rules::{Catalog, Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::official::store::Store;
use hearth_server::{HostConfig, HostHandle, Limits};
use serde::{Deserialize, Serialize};

/// Connect-four as a newer release of the rules would ship it (version 2): a host with it
/// refuses the browser's module at the handshake (`rules_mismatch`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
struct NewerConnectFour(ConnectFour);

impl Game for NewerConnectFour {
    type Config = <ConnectFour as Game>::Config;
    type Action = <ConnectFour as Game>::Action;
    type View = <ConnectFour as Game>::View;
    type Event = <ConnectFour as Game>::Event;
    const INFO: GameInfo = GameInfo {
        version: ConnectFour::INFO.version + 1,
        ..ConnectFour::INFO
    };
    fn setup(config: &ConnectFourConfig, seats: u8, rng: &mut Rng) -> Result<Self, RuleError> {
        ConnectFour::setup(config, seats, rng).map(NewerConnectFour)
    }
    fn apply(
        &mut self,
        seat: Seat,
        action: &Self::Action,
        rng: &mut Rng,
        events: &mut Vec<Self::Event>,
    ) -> Result<(), RuleError> {
        self.0.apply(seat, action, rng, events)
    }
    fn legal_actions(&self, seat: Seat) -> Vec<Self::Action> {
        self.0.legal_actions(seat)
    }
    fn view(&self, viewer: Viewer) -> Self::View {
        self.0.view(viewer)
    }
    fn is_over(&self) -> bool {
        self.0.is_over()
    }
    fn outcome(&self) -> Option<Outcome> {
        self.0.outcome()
    }
}

/// The official server on loopback (in-memory SQLite) serving `web/` at `/`.
async fn serve(catalog: Catalog, web: PathBuf) -> HostHandle {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::memory().expect("in-memory SQLite"));
    hearth_server::official::start(
        HostConfig {
            catalog: Arc::new(catalog),
            limits: Limits::unthrottled(),
            web_root: Some(web),
            ..HostConfig::on(
                "127.0.0.1:0".parse().expect("address"),
                std::sync::Arc::new(hearth_games::catalog()),
            )
        },
        store,
    )
    .await
    .expect("the official server starts")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_client_plays_online_offline_and_resumes_after_a_reload() {
    let repo = repo();
    let chromium = hearth_tests::browser::prerequisites(&repo);

    let server = serve(hearth_games::catalog(), repo.join("web")).await;
    let mut newer = Catalog::new();
    newer.register::<NewerConnectFour>().expect("a valid game");
    let mismatched = serve(newer, repo.join("web")).await;
    let shots = repo.join("target/web-screenshots");
    // Only this run's pictures (a failed run leaves `failed-*.png` to look at).
    let _ = std::fs::remove_dir_all(&shots);
    let script = repo.join("tests/web/e2e.mjs");
    let url = server.http_url();
    let other = mismatched.http_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .arg(shots)
            .arg(other)
            .env("CHROMIUM", chromium)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs (install Node.js)");
    server.shutdown().await;
    mismatched.shutdown().await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
}

/// The browser client on a cluster: two official nodes on a private PostgreSQL, each serving
/// the page on loopback; Ada signs in on one, Bob on the other and joins her room through his
/// node (relayed), they play to the end, and Bob's page resumes its seat through his node after
/// its socket is cut (`tests/web/e2e-cluster.mjs`). Skipped, saying so, in a build without
/// PostgreSQL (`official::CLUSTERS`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_client_plays_across_two_nodes_of_a_cluster() {
    if !hearth_server::official::CLUSTERS {
        println!("skipped: this build has no PostgreSQL support, so no cluster to play on");
        return;
    }
    let repo = repo();
    let chromium = hearth_tests::browser::prerequisites(&repo);
    // The PostgreSQL driver blocks: off the async threads.
    let (pg, db) = tokio::task::spawn_blocking(|| {
        let pg = hearth_tests::pg::PrivatePostgres::start("webcluster");
        let url = pg.database("webcluster");
        (pg, url)
    })
    .await
    .expect("PostgreSQL starts");
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let options = hearth_server::official::ClusterOptions {
            public_url: format!("ws://{bind}/ws"),
            lease: std::time::Duration::from_secs(2),
        };
        let node = hearth_server::official::start_cluster_node(
            HostConfig {
                limits: Limits::unthrottled(),
                web_root: Some(repo.join("web")),
                ..HostConfig::on(bind, Arc::new(hearth_games::catalog()))
            },
            &db,
            &options,
        )
        .await
        .expect("a node starts");
        nodes.push(node);
    }
    let shots = repo.join("target/web-screenshots/cluster");
    let _ = std::fs::remove_dir_all(&shots);
    let script = repo.join("tests/web/e2e-cluster.mjs");
    let (a, b) = (nodes[0].0.http_url(), nodes[1].0.http_url());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(a)
            .arg(b)
            .arg(shots)
            .env("CHROMIUM", chromium)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs (install Node.js)");
    for (host, _node) in nodes {
        host.shutdown().await;
    }
    tokio::task::spawn_blocking(move || drop(pg))
        .await
        .expect("PostgreSQL stops");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
}
