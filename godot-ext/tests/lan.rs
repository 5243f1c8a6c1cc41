//! `HearthLanHost` and `HearthLanBrowser` without Godot: a host started from "inside a game"
//! is found by the browser over mDNS and joined by a client, inside a network namespace the
//! test makes itself (mDNS restricted to loopback there).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_client::lan::Interfaces;
use hearth_godot::driver::{
    BrowserOut, ClientCmd, ClientDriver, ClientOut, LanBrowserDriver, LanHostDriver,
    background_runtime,
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
    let (mut host, port) = LanHostDriver::start(
        &rt,
        "Living room",
        0,
        Interfaces::LoopbackOnly,
        catalog.clone(),
    )
    .unwrap();
    assert!(port > 0);
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
