//! The `hearth` binary: `hearth serve` listens where told, answers, and shuts down
//! gracefully on SIGTERM and SIGINT, telling its members.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hearth_rules::protocol::{ClientMsg, Hello, PROTOCOL_VERSION, Request, to_json};
use tokio_tungstenite::tungstenite::Message;

use crate::common::free_port;

async fn serve_then_signal(signal: &str) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["serve", "--memory"])
        .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("hearth starts");
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains(&format!("127.0.0.1:{port}")), "{first}");

    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (token, _) = crate::common::device_login(addr, "cli-test-device", "Ada").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws"))
        .await
        .expect("connects");
    let hello = ClientMsg::<serde_json::Value> {
        id: 1,
        req: Request::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "Ada".into(),
            token: Some(token),
        }),
    };
    ws.send(Message::Text(to_json(&hello).into()))
        .await
        .unwrap();
    let welcome = ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(welcome.contains("\"welcome\""), "{welcome}");

    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut told = false;
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
        if let Message::Text(t) = msg
            && t.contains("server_shutdown")
        {
            told = true;
        }
    }
    assert!(told, "the member was told the server is shutting down");
    let exit = child.wait().unwrap();
    assert!(exit.success(), "clean exit after {signal}: {exit:?}");
}

#[tokio::test]
async fn serve_shuts_down_gracefully_on_sigterm() {
    serve_then_signal("-TERM").await;
}

#[tokio::test]
async fn serve_shuts_down_gracefully_on_sigint() {
    serve_then_signal("-INT").await;
}

#[test]
fn a_taken_address_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["serve", "--memory", "--bind", &addr.to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(err.contains("--bind"), "{err}");
}

#[tokio::test]
async fn a_scripted_terminal_client_plays_a_whole_game_on_hearth_serve() {
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["serve", "--memory"])
        .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("hearth starts");
    let mut first = String::new();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();

    let dir = std::env::temp_dir().join(format!("hearth-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("moves.txt");
    let mut lines = String::from("bot 1\nready\nstart\n");
    for _ in 0..8 {
        lines.push_str("4\n3\n5\n2\n6\n1\n7\n");
    }
    lines.push_str(&"wait\n".repeat(5));
    std::fs::write(&script, lines).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args([
            "play",
            "connect-four",
            "--server",
            &format!("http://127.0.0.1:{port}"),
        ])
        .args([
            "--room",
            "Scripted",
            "--name",
            "Scripty",
            "--device-id",
            "device-script-0001",
            "--script",
        ])
        .arg(&script)
        .env("HOME", &dir)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("bot (level 1) seated"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("Winner: seat") || l.starts_with("Draw")),
        "the game ended: {text}"
    );
    // The result is on the server's record.
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let matches = crate::common::matches_once_ended(addr).await;
    assert_eq!(matches["matches"][0]["status"], "over");
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary takes its games' fingerprints from build.rs (it has no type tracer): they must be
/// the ones a traced catalog computes, or every client would be refused at its hello.
#[test]
fn the_binary_announces_the_fingerprints_traced_from_the_games() {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .arg("games")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().find(|w| w.contains('#')))
        .map(str::to_string)
        .collect();
    let traced: Vec<String> = hearth_games::catalog()
        .fingerprints()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(listed, traced);
}

#[test]
fn an_unreachable_server_is_a_message_not_a_panic() {
    let port = free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args([
            "play",
            "connect-four",
            "--server",
            &format!("http://127.0.0.1:{port}"),
            "--device-id",
            "device-nowhere-01",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach") && err.contains("retry"),
        "{err}"
    );
}

#[test]
fn replay_keeps_a_running_hidden_match_to_itself_unless_told() {
    use hearth_server::official::sqlite::SqliteStore;
    use hearth_server::official::store::Store;
    let dir = std::env::temp_dir().join(format!("hearth-replay-hidden-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("hearth.db");
    let catalog = hearth_games::catalog();
    let store = SqliteStore::open(&db).unwrap();
    let id = store
        .match_started(
            &hearth_server::MatchStart {
                room: "Secret".into(),
                game: "chameleon".into(),
                fingerprint: catalog.get("chameleon").unwrap().fingerprint.clone(),
                seats: 3,
                seed: 7,
                config: hearth_rules::Payload::Postcard(vec![]),
                players: vec![(1, "A".into()), (2, "B".into()), (3, "C".into())],
            },
            1,
        )
        .unwrap();
    drop(store);
    let replay = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hearth"))
            .args(["replay", &id.to_string(), "--db"])
            .arg(&db)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = replay(&[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("still running") && err.contains("--running"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    let out = replay(&["--running"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
