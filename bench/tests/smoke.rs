//! The load generator against an in-process official server, small and short: every scenario
//! (logins, turns, held, arena) runs, stops by itself, and counts work the server really did.

use std::sync::Arc;

use hearth_bench::{ArenaTarget, arena, held, logins, turns};
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::{HostConfig, Limits};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_and_counts_real_work() {
    let store = Arc::new(SqliteStore::memory().unwrap());
    let config = HostConfig {
        // As `hearth-bench` starts its server: one address, as fast as it answers.
        limits: Limits::unthrottled(),
        ..HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        )
    };
    let server = hearth_server::official::start(config, store.clone())
        .await
        .unwrap();
    let addr = server.addr();

    let l = logins(addr, 2, 0.5, true).await.unwrap();
    assert!(l.device > 0 && l.password > 0, "{l:?}");
    assert_eq!(l.device_latency.len() as u64, l.device);
    let j = l.json();
    assert!(j["device_per_sec"].as_f64().unwrap() > 0.0);

    let t = turns(addr, true, 3, 1.0).await.unwrap();
    assert!(t.actions > 0 && t.games > 0, "{t:?}");
    // Every acknowledged action (and every bot reply) is in the store.
    use hearth_server::official::store::Store;
    let matches = store.list_matches(None, 100_000).unwrap();
    let stored: usize = matches
        .iter()
        .map(|m| store.match_log(m.id).unwrap().len())
        .sum();
    assert!(
        stored as u64 >= t.entries,
        "{stored} stored, {} seen",
        t.entries
    );
    assert!(t.latency.quantile_ms(0.99) > 0.0);

    let h = held(addr, Some(std::process::id()), 5, 0.3, async { Ok(0) })
        .await
        .unwrap();
    assert_eq!(h.sockets, 5);
    assert!(h.rss_held_kib > 0);

    // One room of eight tanks: inputs flow and each is seen in a later snapshot.
    let target = ArenaTarget {
        addr,
        pid: Some(std::process::id()),
        floor: false,
    };
    let a = arena(target, 8, 1.0).await.unwrap();
    assert_eq!(a.clients, 8);
    assert!(a.inputs > 0 && !a.latency.is_empty(), "{a:?}");
    assert!(a.bytes_per_sec > 0.0);
    assert!(a.server_cpu_percent.is_some_and(|c| c > 0.0), "{a:?}");
    server.shutdown().await;
}

/// The floor speaks enough of the protocol for the arena — the same players join rooms of 8,
/// get every input acknowledged and see it in a later snapshot of an arena view's size — and
/// for the turns (legal bot moves the players' own rules accept, games that end and start
/// again), and answers device sign-ins with a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_arena_and_the_turns_play_against_the_floor() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let floor = tokio::spawn(hearth_bench::floor::serve_floor(listener));
    let target = ArenaTarget {
        addr,
        pid: None,
        floor: true,
    };
    // Device sign-ins: answered as Hearth answers them (a token), nothing else.
    let l = logins(addr, 2, 0.3, false).await.unwrap();
    assert!(l.device > 0 && l.password == 0, "{l:?}");
    let a = arena(target, 16, 1.0).await.unwrap();
    assert_eq!(a.clients, 16);
    assert!(a.inputs > 0 && !a.latency.is_empty(), "{a:?}");
    // Inputs are acknowledged with the tick they reached and seen in that tick's snapshot.
    assert!(a.latency.quantile_ms(0.5) <= 100.0, "{a:?}");
    // A snapshot per player per tick, each the size of an 8-tank view (over 300 bytes).
    assert!(a.bytes_per_sec > 16.0 * 15.0 * 300.0, "{a:?}");
    // The generator counts its own work while the rooms play.
    assert!(a.generator_cpu_percent > 0.0, "{a:?}");
    // Turns: every entry is checked by the player's own connect-four session (an illegal bot
    // move or a wrong index fails the run), games end (`over` in a room state) and restart.
    let t = turns(addr, false, 3, 0.5).await.unwrap();
    assert!(t.games > 3, "{t:?}");
    // The bot answers every move that does not end the game.
    assert!(t.entries > t.actions + t.games, "{t:?}");
    floor.abort();
}

/// `held --processes 3`: the sockets are spread over helper processes of the real binary,
/// all of them held at once and counted, and the helpers end with the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_sockets_spread_over_helper_processes() {
    let store = Arc::new(SqliteStore::memory().unwrap());
    let config = HostConfig {
        limits: Limits::unthrottled(),
        ..HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        )
    };
    let server = hearth_server::official::start(config, store).await.unwrap();
    let addr = server.addr().to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hearth-bench"))
            .args(["--server", &addr, "--seconds", "0.5", "held"])
            .args(["--clients", "9", "--processes", "3"])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["sockets"], 9, "{last}");
    assert_eq!(last["processes"], 3, "{last}");
    // The helpers closed their sockets when the run ended (the server notices shortly).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !server.control().online().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        server.control().online().is_empty(),
        "sockets outlived the run"
    );
    server.shutdown().await;
}
