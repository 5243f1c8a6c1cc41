//! Joining a LAN game from a phone: `hearth lan` runs in a "host" network namespace the test
//! makes, with a "player" namespace joined to it by a veth pair (private addresses, the test's
//! own hosts; nothing reaches the machine's interfaces, and mDNS is announced on loopback
//! only). The host prints its page's URL for its one non-loopback address and a QR code that
//! decodes (zbarimg, a real decoder) to that URL; two phone-sized headless Chromium pages in
//! the player namespace load the page from the host's address, join one room by name and play
//! connect-four to the end, one resuming its seat after its socket is cut and then told
//! readably when the host is gone for good (`tests/web/e2e-lan.mjs`). Screenshots land in `target/web-screenshots/lan/`.
//!
//! Needs root (network namespaces), iproute2, the browser module built
//! (`scripts/build-web.sh`), node with `npm ci` done, Debian's chromium and zbar-tools; it
//! fails saying which is missing (scripts/test.sh installs them).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hearth_tests::netns::NamespacePair;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the cli crate sits in the repository")
        .to_path_buf()
}

/// Kills the host when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The modules of a QR code printed by `Qr::to_terminal` (two rows per line; block glyphs
/// light, spaces dark; ANSI colour codes, if any, ignored), as rows of "is dark".
fn modules(lines: &[String]) -> Vec<Vec<bool>> {
    let mut rows = Vec::new();
    for line in lines {
        let mut clean = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // Skip to the end of the escape sequence (`ESC [ … m`).
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                clean.push(c);
            }
        }
        let (mut top, mut bottom) = (Vec::new(), Vec::new());
        for c in clean.chars() {
            let (t, b) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                _ => (false, false),
            };
            top.push(!t);
            bottom.push(!b);
        }
        rows.push(top);
        rows.push(bottom);
    }
    rows
}

/// Writes modules as a binary PGM image, `scale` pixels a module.
fn pgm(rows: &[Vec<bool>], scale: usize, path: &Path) {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = format!("P5\n{} {}\n255\n", width * scale, rows.len() * scale).into_bytes();
    for row in rows {
        for _ in 0..scale {
            for x in 0..width {
                let dark = row.get(x).copied().unwrap_or(false);
                out.extend(std::iter::repeat_n(if dark { 0 } else { 255 }, scale));
            }
        }
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&out))
        .expect("the QR image is written");
}

#[test]
fn phones_on_the_lan_open_the_hosts_page_join_by_name_and_play() {
    let repo = repo();
    let chromium = hearth_tests::browser::prerequisites(&repo);
    hearth_tests::browser::require(
        Path::new("/usr/bin/zbarimg"),
        "install Debian's zbar-tools (the QR decoder)",
    );
    let net = NamespacePair::new().unwrap_or_else(|e| panic!("{e}"));

    // The host: every address of its namespace (loopback and the link), mDNS on loopback.
    let mut host = Running(
        net.command(&net.host, env!("CARGO_BIN_EXE_hearth"))
            .args(["lan", "--bind", "0.0.0.0:7777", "--loopback-only"])
            .args(["--name", "Test room", "--web"])
            .arg(repo.join("web"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("hearth lan starts in the host namespace"),
    );
    let stdout = host.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let end = line.starts_with("(the page is served from");
            let _ = tx.send(line);
            if end {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("hearth lan printed no page URL: {printed:#?}"));
        let end = line.starts_with("(the page is served from");
        printed.push(line);
        if end {
            break;
        }
    }
    println!("{}", printed.join("\n"));
    let urls: Vec<&str> = printed
        .iter()
        .filter_map(|l| l.strip_prefix("join from a phone or a browser: "))
        .collect();
    let want = format!("http://{}:7777/", net.host_ip);
    assert_eq!(
        urls,
        [want.as_str()],
        "one URL: the host's address on the LAN, not loopback"
    );

    // The QR code in the terminal decodes to that URL.
    let qr: Vec<String> = printed
        .iter()
        .filter(|l| !l.is_empty() && l.chars().any(|c| matches!(c, '█' | '▀' | '▄')))
        .cloned()
        .collect();
    assert!(qr.len() > 10, "a QR code is printed: {printed:#?}");
    let shots = repo.join("target/web-screenshots/lan");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let image = shots.join("qr.pgm");
    pgm(&modules(&qr), 6, &image);
    let decoded = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&image)
        .output()
        .expect("zbarimg runs");
    assert!(
        decoded.status.success(),
        "zbarimg found no code in {}: {}",
        image.display(),
        String::from_utf8_lossy(&decoded.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&decoded.stdout).trim(), want);

    // Two phones in the player namespace open it and play.
    let played = net
        .command(&net.player, "node")
        .arg(repo.join("tests/web/e2e-lan.mjs"))
        .arg(&want)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs in the player namespace");
    let out = String::from_utf8_lossy(&played.stdout);
    println!("{out}");
    assert!(
        played.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&played.stderr)
    );
    assert!(
        matches!(host.0.try_wait(), Ok(None)),
        "the host is still running"
    );
}
