//! The headline claim, checked: generated games end identically offline, on a LAN host found
//! over mDNS, on the official server (accounts + SQLite) and as a replay of the server's record.
//! Runs inside its own network namespace. `PROPTEST_CASES` sets the games per game type.

use std::sync::Arc;
use std::time::Duration;

use hearth_client::lan::{Interfaces, LanEvent, browse};
use hearth_rules::games::chameleon::Chameleon;
use hearth_rules::games::connect_four::ConnectFour;
use hearth_server::HostConfig;
use hearth_server::lan::{LanConfig, LanHost};
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::official::store::Store;
use hearth_server::official::{accounts, start};
use hearth_tests::crossmode::{Modes, Seeds, Target, check_cross_mode, seed_source};
use hearth_tests::netns::in_network_namespace;

fn modes(rt: &tokio::runtime::Runtime) -> (Modes, LanHost, hearth_server::HostHandle) {
    rt.block_on(async {
        let seeds = Seeds::default();
        let mut browser = browse(Interfaces::LoopbackOnly).unwrap();
        let lan = LanHost::start(LanConfig {
            name: "Cross-mode".into(),
            host: HostConfig {
                seeds: Some(seed_source(&seeds)),
                ..HostConfig::on("127.0.0.1:0".parse().unwrap())
            },
            interfaces: Interfaces::LoopbackOnly,
        })
        .await
        .unwrap();
        // The LAN mode plays on the address the announcement gives, not the one we know.
        let url = loop {
            let ev = tokio::time::timeout(Duration::from_secs(10), browser.next())
                .await
                .expect("the LAN host is found over mDNS within 10 s")
                .unwrap();
            if let LanEvent::Found(info) = ev
                && info.name == "Cross-mode"
            {
                break info.ws_url().unwrap();
            }
        };
        let dir = std::env::temp_dir().join(format!("hearth-crossmode-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("official.db")).unwrap());
        let server = start(
            HostConfig {
                seeds: Some(seed_source(&seeds)),
                ..HostConfig::on("127.0.0.1:0".parse().unwrap())
            },
            store.clone(),
        )
        .await
        .unwrap();
        let accounts_store = store.clone();
        let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let modes = Modes {
            lan: Target { url, tokens: None },
            official: Target {
                url: server.ws_url(),
                tokens: None,
            },
            tokens: Arc::new(move |n| {
                (0..n)
                    .map(|_| {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let account = accounts_store
                            .device_account(
                                &format!("crossmode-device-{k:08}"),
                                &format!("P{k}"),
                                accounts::now(),
                            )
                            .unwrap();
                        let (token, hash) = accounts::new_token();
                        accounts_store
                            .add_token(&hash, account.id, accounts::now() + 3600, accounts::now())
                            .unwrap();
                        token
                    })
                    .collect()
            }),
            store,
            seeds,
        };
        (modes, lan, server)
    })
}

#[test]
fn generated_games_end_identically_in_every_mode() {
    if !in_network_namespace("generated_games_end_identically_in_every_mode") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (modes, lan, server) = modes(&rt);
    let started = std::time::Instant::now();
    check_cross_mode::<ConnectFour>(&rt, &modes, 150, 60);
    let c4 = started.elapsed();
    check_cross_mode::<Chameleon>(&rt, &modes, 100, 80);
    eprintln!(
        "cross-mode: connect-four {} games in {:.1} s, chameleon {} games in {:.1} s (each game in 4 modes)",
        hearth_tests::props::cases(150),
        c4.as_secs_f64(),
        hearth_tests::props::cases(100),
        (started.elapsed() - c4).as_secs_f64()
    );
    rt.block_on(async {
        lan.stop().await;
        server.shutdown().await;
    });
}
