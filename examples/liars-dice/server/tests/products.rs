//! Liar's Dice through its own `liars-dice` command, as a player meets it: the official
//! server (accounts, a match to the end, the leaderboard, the stored replay), a LAN host found
//! over mDNS and played on (in a network namespace of the test's own), and the browser page
//! with its generic player in Chromium (`web/tests/e2e.mjs`, when the module is built), on the
//! official server and served by its LAN host to a browser in another network namespace.
//! Every server binds to 127.0.0.1 or to the private address of a namespace the test made;
//! every process is stopped by the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_liars-dice");

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("liars-dice-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Starts `liars-dice ARGS…` and waits for a stdout line containing `ready`.
fn spawn(args: &[&str], ready: &str) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("liars-dice starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let running = Running(child);
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains(ready) => break,
            Some(Ok(_)) => continue,
            other => panic!("liars-dice {args:?} stopped before `{ready}`: {other:?}"),
        }
    }
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    running
}

/// A script for the terminal player: `lines`, then the first legal action (the generic player
/// numbers them) again and again until the game ends.
fn script(dir: &Path, lines: &[&str]) -> PathBuf {
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push_str(&"1\n".repeat(5000));
    let path = dir.join("script.txt");
    std::fs::write(&path, text).expect("script");
    path
}

/// Runs `liars-dice ARGS…` to the end (bounded) and returns its output.
fn run(args: &[&str]) -> String {
    run_together(&[args]).remove(0)
}

/// Runs several `liars-dice` commands at once, each to its end (bounded); their outputs.
fn run_together(commands: &[&[&str]]) -> Vec<String> {
    let mut children: Vec<Child> = commands
        .iter()
        .map(|args| {
            Command::new(BIN)
                .args(*args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("liars-dice runs")
        })
        .collect();
    // Drain the pipes on threads, so no child blocks on a full one.
    let readers: Vec<_> = children
        .iter_mut()
        .map(|c| {
            let mut out = c.stdout.take().expect("stdout");
            let mut err = c.stderr.take().expect("stderr");
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = out.read_to_string(&mut text);
                let _ = err.read_to_string(&mut text);
                text
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    for (child, args) in children.iter_mut().zip(commands) {
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("liars-dice {args:?} did not finish in 120 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    readers
        .into_iter()
        .map(|r| r.join().unwrap_or_default())
        .collect()
}

/// GET `path` from the server at `port`, as JSON.
fn get(port: u16, path: &str) -> Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "GET {path}: {head}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
}

fn winner_line(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("Winner: seat"))
        .unwrap_or_else(|| panic!("the match did not end:\n{}", tail(out)))
}

fn tail(out: &str) -> String {
    let lines: Vec<&str> = out.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

#[test]
fn a_match_on_its_server_with_accounts_leaderboard_and_replay() {
    let dir = temp_dir("server");
    let db = dir.join("liars-dice.db");
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let db_arg = db.display().to_string();
    let server = spawn(&["serve", "--bind", &bind, "--db", &db_arg], "serving");
    let url = format!("http://{bind}");
    // Two accounts (device logins) meet in one room; whoever hosts starts once both are ready.
    let mut turns = vec!["ready"];
    turns.extend(std::iter::repeat_n(["turn", "1"], 400).flatten());
    let script = script(&dir, &turns);
    let script = script.display().to_string();
    let player = |name: &'static str, device: &'static str| -> Vec<String> {
        [
            "play",
            "liars-dice",
            "--server",
            &url,
            "--room",
            "dice",
            "--name",
            name,
            "--device-id",
            device,
            "--script",
            &script,
        ]
        .map(String::from)
        .to_vec()
    };
    let (ada, bea) = (player("Ada", "device-ada"), player("Bea", "device-bea"));
    let ada: Vec<&str> = ada.iter().map(String::as_str).collect();
    let bea: Vec<&str> = bea.iter().map(String::as_str).collect();
    let outs = run_together(&[&ada, &bea]);
    let winners: Vec<&str> = outs.iter().map(|o| winner_line(o)).collect();
    assert_eq!(winners[0], winners[1], "both saw the same end");
    for out in &outs {
        assert!(
            out.contains("your_dice"),
            "the generic player shows the own dice"
        );
    }

    // Both accounts' results are on the leaderboard: one win, one loss.
    let board = get(port, "/v1/leaderboards/liars-dice");
    let standings = board["standings"].as_array().expect("standings");
    let row = |name: &str| {
        standings
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} is on the leaderboard: {board}"))
            .clone()
    };
    let (a, b) = (row("Ada"), row("Bea"));
    assert_eq!(
        a["wins"].as_u64().unwrap_or(0) + b["wins"].as_u64().unwrap_or(0),
        1,
        "{board}"
    );
    assert_eq!(
        a["losses"].as_u64().unwrap_or(0) + b["losses"].as_u64().unwrap_or(0),
        1,
        "{board}"
    );

    // The stored match replays, with the rules of this very binary, to what was recorded.
    let matches = get(port, "/v1/matches");
    let id = matches["matches"][0]["id"]
        .as_u64()
        .expect("a stored match");
    let detail = get(port, &format!("/v1/matches/{id}"));
    assert_eq!(detail["match"]["game"], "liars-dice", "{detail}");
    drop(server);
    let replayed = run(&["replay", &id.to_string(), "--db", &db_arg]);
    assert!(
        replayed.contains("final hash") && !replayed.contains("does not replay"),
        "{replayed}"
    );
    let hash = detail["match"]["hash"].as_str().expect("a recorded hash");
    assert!(
        replayed.contains(&format!("final hash {hash}")),
        "{replayed}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn its_lan_host_is_found_and_played_on() {
    // mDNS only inside a network namespace of this test's own.
    if !hearth_tests::netns::in_network_namespace("its_lan_host_is_found_and_played_on") {
        return;
    }
    let dir = temp_dir("lan");
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let _host = spawn(
        &[
            "lan",
            "--name",
            "Dice table",
            "--bind",
            &bind,
            "--loopback-only",
        ],
        "LAN host",
    );
    let found = run(&["browse", "--loopback-only", "--seconds", "3"]);
    assert!(
        found.contains("Dice table"),
        "browse finds the host:\n{found}"
    );
    let script = script(&dir, &["bot 1", "ready", "start"]);
    let out = run(&[
        "play",
        "liars-dice",
        "--lan",
        "--loopback-only",
        "--host",
        "Dice table",
        "--name",
        "Bea",
        "--script",
        &script.display().to_string(),
    ]);
    assert!(out.contains("joining Dice table"), "{}", tail(&out));
    winner_line(&out);
    let _ = std::fs::remove_dir_all(dir);
}

/// What the browser tests need, checked first with what to do when missing: the example's
/// folder, its page (`web/www`, module built) and the Chromium to drive.
fn page_prerequisites() -> (PathBuf, PathBuf, String) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let www = example.join("web/www");
    assert!(
        www.join("pkg/hearth.js").is_file(),
        "build the browser module first: scripts/build-web.sh (the test command does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "install Debian's chromium (Hearth's scripts/test.sh does), or set CHROMIUM"
    );
    assert!(
        example.join("../../node_modules/playwright-core").is_dir(),
        "run `npm ci` in the Hearth checkout for playwright-core (its scripts/test.sh does)"
    );
    (example, www, chromium)
}

#[test]
fn the_browser_page_plays_it_with_the_generic_player() {
    let (example, www, chromium) = page_prerequisites();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let www_arg = www.display().to_string();
    let _server = spawn(
        &["serve", "--memory", "--bind", &bind, "--web", &www_arg],
        "serving",
    );
    let shots = std::env::temp_dir().join(format!("liars-dice-screenshots-{}", std::process::id()));
    let out = Command::new("node")
        .arg(example.join("web/tests/e2e.mjs"))
        .arg(format!("http://{bind}"))
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("[e2e] ok"),
        "the browser test failed (screenshots in {}):\n{text}",
        shots.display()
    );
}

/// The page as phones get it from the LAN host: `liars-dice lan` serves `web/www` in a "host"
/// network namespace; Chromium in a "player" namespace (joined by a veth pair with private
/// addresses) opens the URL the host printed, joins with a name, and plays offline, against
/// a bot and two people against each other with the generic player (`E2E_LAN=1`).
#[test]
fn its_lan_host_serves_the_page_and_phones_play_it() {
    let (example, www, chromium) = page_prerequisites();
    let net = hearth_tests::netns::NamespacePair::new().unwrap_or_else(|e| panic!("{e}"));
    let mut child = net
        .command(&net.host, BIN)
        .args(["lan", "--bind", "0.0.0.0:7777", "--loopback-only", "--web"])
        .arg(&www)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("liars-dice lan starts in the host namespace");
    let stdout = child.stdout.take().expect("stdout");
    let _host = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("join from a phone or a browser: ") {
                    break url.to_string();
                }
            }
            other => panic!("liars-dice lan printed no page URL: {other:?}"),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    assert_eq!(url, format!("http://{}:7777/", net.host_ip));
    let shots =
        std::env::temp_dir().join(format!("liars-dice-lan-screenshots-{}", std::process::id()));
    let out = net
        .command(&net.player, "node")
        .arg(example.join("web/tests/e2e.mjs"))
        .arg(url.trim_end_matches('/'))
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .env("E2E_LAN", "1")
        .output()
        .expect("node runs in the player namespace");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    println!("{text}");
    assert!(
        out.status.success() && text.contains("[e2e] ok"),
        "the browser test on the LAN host failed (screenshots in {}):\n{text}",
        shots.display()
    );
}
