//! LAN play over mDNS, inside a network namespace this test makes for itself (so no
//! multicast ever leaves the machine): a host is found by browsing, two clients join it by
//! the advertised address and play a match to the end, and the host's goodbye is seen.

use std::time::Duration;

use hearth_client::lan::{Interfaces, LanEvent, browse};
use hearth_client::{Client, ClientConfig, Event};
use hearth_rules::protocol::JoinAs;
use hearth_rules::{Encoding, Seat};
use hearth_server::HostConfig;
use hearth_server::lan::{LanConfig, LanHost};
use hearth_tests::netns::in_network_namespace;
use serde_json::Value;

async fn found(
    browser: &mut hearth_client::lan::Browser,
    pred: impl Fn(&hearth_client::lan::LanHostInfo) -> bool,
) -> hearth_client::lan::LanHostInfo {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ev = tokio::time::timeout_at(deadline, browser.next())
            .await
            .expect("the host is announced within 10 s")
            .expect("browsing goes on");
        if let LanEvent::Found(info) = ev
            && pred(&info)
        {
            return info;
        }
    }
}

/// Plays this client's seat with the mirror's bot until the game ends; returns the outcome.
async fn play(mut c: Client) -> Value {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), c.next_event())
            .await
            .expect("the game moves on")
            .expect("the client stays open");
        match ev {
            Event::Room(state) => {
                if let hearth_rules::protocol::RoomPhase::Over { outcome, .. } = state.phase {
                    return serde_json::to_value(outcome).unwrap();
                }
            }
            Event::Started(_) | Event::Entry { .. } => {}
            Event::Desync(i) => panic!("desync at {i}"),
            _ => continue,
        }
        let (Some(mirror), Some(started)) = (c.mirror(), c.started()) else {
            continue;
        };
        let Some(seat) = started.seat else { continue };
        if mirror.is_over() {
            continue;
        }
        if let Ok(Some(action)) = mirror.bot_action(Seat(seat), 2, Encoding::Json) {
            // The other seat's turn gives no action; ours is applied by the host.
            let _ = c.act(action, None).await;
        }
    }
}

#[test]
fn a_lan_host_is_found_played_on_and_seen_leaving() {
    if !in_network_namespace("lan::a_lan_host_is_found_played_on_and_seen_leaving") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut browser = browse(Interfaces::LoopbackOnly).unwrap();
        let host = LanHost::start(LanConfig {
            name: "Living room".into(),
            host: HostConfig::on(
                "127.0.0.1:0".parse().unwrap(),
                std::sync::Arc::new(hearth_games::catalog()),
            ),
            interfaces: Interfaces::LoopbackOnly,
        })
        .await
        .unwrap();
        let info = found(&mut browser, |i| i.name == "Living room").await;
        let catalog = hearth_games::catalog();
        assert_eq!(info.compatibility(&catalog), Ok(()));
        assert_eq!(info.fingerprints, catalog.fingerprints());
        assert_eq!(info.games, ["chameleon", "connect-four", "tanks"]);
        assert_eq!(info.port, host.host().addr().port());
        let url = info.ws_url().unwrap();
        assert_eq!(url, host.host().ws_url());

        let ada = Client::connect(ClientConfig::lan(
            &url,
            "Ada",
            std::sync::Arc::new(hearth_games::catalog()),
        ))
        .await
        .unwrap();
        let bob = Client::connect(ClientConfig::lan(
            &url,
            "Bob",
            std::sync::Arc::new(hearth_games::catalog()),
        ))
        .await
        .unwrap();
        ada.join_or_create("Table", "connect-four", Value::Null, JoinAs::Player)
            .await
            .unwrap();
        bob.join_or_create("Table", "connect-four", Value::Null, JoinAs::Player)
            .await
            .unwrap();
        // The announcement follows the rooms and players.
        let busy = found(&mut browser, |i| i.open_rooms == 1 && i.players == 2).await;
        assert_eq!(busy.fullname, info.fullname);
        ada.ready(true).await.unwrap();
        bob.ready(true).await.unwrap();
        ada.start().await.unwrap();
        let (a, b) = tokio::join!(play(ada), play(bob));
        assert_eq!(a, b, "both saw the same end");
        assert_eq!(a["scores"].as_array().unwrap().len(), 2);

        let fullname = host.fullname().to_string();
        host.stop().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let ev = tokio::time::timeout_at(deadline, browser.next())
                .await
                .expect("the goodbye is seen within 10 s")
                .unwrap();
            if ev == LanEvent::Lost(fullname.clone()) {
                break;
            }
        }
    });
}

#[tokio::test]
async fn an_unreachable_host_is_a_clear_error_not_a_hang() {
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Client::connect(ClientConfig::lan(
        format!("ws://127.0.0.1:{port}/ws"),
        "Ada",
        std::sync::Arc::new(hearth_games::catalog()),
    ))
    .await
    .err()
    .expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("cannot reach") && text.contains("retry"),
        "{text}"
    );
}
