//! `HearthLanHost` and `HearthLanBrowser` without Godot: a host started from "inside a game"
//! is found by the browser over mDNS and joined by a client, and serves its web folder to
//! browsers with its page URL and a QR code of it, inside a network namespace the test makes
//! itself (mDNS restricted to loopback there).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_client::lan::Interfaces;
use hearth_godot::driver::{
    BrowserOut, ClientCmd, ClientDriver, ClientOut, LanBrowserDriver, LanHostDriver,
    background_runtime, qr_luma,
};
use hearth_godot::value::to_json;
use hearth_tests::netns::in_network_namespace;

#[test]
fn a_hosted_game_is_found_and_joined() {
    if !in_network_namespace("a_hosted_game_is_found_and_joined") {
        return;
    }
    let catalog = Arc::new(hearth_games::catalog());
    let rt = background_runtime().unwrap();
    let browser = LanBrowserDriver::start(&rt, Interfaces::LoopbackOnly, catalog.clone());
    let web = std::env::temp_dir().join(format!("hearth-godot-web-{}", std::process::id()));
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(web.join("index.html"), "<p>the game's page</p>").unwrap();
    // A folder without the page is refused, saying what it needs.
    let empty = web.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let refused = LanHostDriver::start(
        &rt,
        "Living room",
        0,
        Interfaces::LoopbackOnly,
        catalog.clone(),
        Some(empty),
    )
    .err()
    .expect("a folder without index.html is refused");
    assert!(refused.contains("index.html"), "{refused}");
    let (mut host, port) = LanHostDriver::start(
        &rt,
        "Living room",
        0,
        Interfaces::LoopbackOnly,
        catalog.clone(),
        Some(web.clone()),
    )
    .unwrap();
    assert!(port > 0);
    // Inside the namespace there is only loopback: the page is offered there.
    let urls = host.page_urls();
    assert_eq!(urls, [format!("http://127.0.0.1:{port}/")]);
    let page = http_get(port, "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.ends_with("<p>the game's page</p>"), "{page}");
    let info = http_get(port, "/v1/lan");
    assert!(info.contains(r#""name":"Living room""#), "{info}");
    assert!(info.contains(&urls[0]), "{info}");
    let (side, pixels) = qr_luma(&urls[0], 4).unwrap();
    assert_eq!(pixels.len(), side * side);
    assert!(pixels.iter().all(|&p| p == 0 || p == 255));
    // Quiet zone: the first 4 modules (16 pixels) of the first row are light.
    assert!(pixels[..16].iter().all(|&p| p == 255));
    assert!(
        qr_luma(&"x".repeat(5000), 4).is_err(),
        "too long for a QR code"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let info = loop {
        assert!(Instant::now() < deadline, "the host was found within 10 s");
        if let Some(BrowserOut::Found(info)) = browser
            .poll()
            .into_iter()
            .find(|o| matches!(o, BrowserOut::Found(_)))
        {
            break to_json(&info).unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(info["name"], "Living room");
    assert_eq!(info["port"], port);
    assert_eq!(info["compatible"], true);
    let client = ClientDriver::new(catalog).unwrap();
    client.send(ClientCmd::ConnectHost {
        address: info["address"].as_str().unwrap().into(),
        port: info["port"].as_u64().unwrap() as u16,
        name: "Guest".into(),
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !client
        .poll()
        .iter()
        .any(|o| matches!(o, ClientOut::Connected(_)))
    {
        assert!(Instant::now() < deadline, "the guest connected within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Stopping withdraws the announcement.
    host.stop(&rt);
    assert!(host.page_urls().is_empty());
    let _ = std::fs::remove_dir_all(&web);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser
        .poll()
        .iter()
        .any(|o| matches!(o, BrowserOut::Lost(_)))
    {
        assert!(
            Instant::now() < deadline,
            "the host was lost within 10 s of stopping"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A plain HTTP/1.1 GET on loopback: the response, headers and body.
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
