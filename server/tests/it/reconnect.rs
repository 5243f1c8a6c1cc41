//! The native client survives a dropped connection mid-game: it reconnects by itself,
//! resumes its seat from the last entry it saw, and the game goes on to the end.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_client::{Client, ClientConfig, Event};
use hearth_rules::protocol::JoinAs;
use hearth_rules::{Encoding, Seat};
use hearth_server::{Host, HostConfig};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

/// A TCP relay to the host whose live connections can all be cut at once.
struct Relay {
    addr: std::net::SocketAddr,
    live: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn to(target: std::net::SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let live: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let l = live.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let handle = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                l.lock().unwrap().push(handle);
            }
        });
        Relay { addr, live }
    }

    fn cut(&self) {
        for h in self.live.lock().unwrap().drain(..) {
            h.abort();
        }
    }
}

async fn play(mut c: Client, relay: Option<Arc<Relay>>) -> (Value, Vec<String>) {
    let mut seen = Vec::new();
    let mut cut = false;
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), c.next_event())
            .await
            .expect("the game moves on")
            .expect("the client stays open");
        match &ev {
            Event::Room(state) => {
                if let hearth_rules::protocol::RoomPhase::Over { outcome, .. } = &state.phase {
                    return (serde_json::to_value(outcome).unwrap(), seen);
                }
                continue;
            }
            Event::Disconnected(_) => seen.push("disconnected".into()),
            Event::Reconnected => seen.push("reconnected".into()),
            Event::Desync(i) => panic!("desync at {i}"),
            Event::Entry { seq, .. } => {
                seen.push(format!("entry {seq}"));
                // Cut the line once, a few moves in.
                if *seq == 3
                    && !cut
                    && let Some(r) = &relay
                {
                    cut = true;
                    r.cut();
                }
            }
            _ => {}
        }
        let (Some(mirror), Some(started)) = (c.mirror(), c.started()) else {
            continue;
        };
        let Some(seat) = started.seat else { continue };
        if let Ok(Some(action)) = mirror.bot_action(Seat(seat), 2, Encoding::Json) {
            // Refusals (e.g. during the drop) are retried on the next event.
            let _ = c.act(action, None).await;
        }
    }
}

#[tokio::test]
async fn a_client_reconnects_and_resumes_mid_game() {
    let host = Host::start(HostConfig::on(
        "127.0.0.1:0".parse().unwrap(),
        std::sync::Arc::new(hearth_games::catalog()),
    ))
    .await
    .unwrap();
    let relay = Arc::new(Relay::to(host.addr()).await);
    let flaky = format!("ws://{}/ws", relay.addr);
    let ada = Client::connect(ClientConfig::lan(
        &flaky,
        "Ada",
        std::sync::Arc::new(hearth_games::catalog()),
    ))
    .await
    .unwrap();
    let bob = Client::connect(ClientConfig::lan(
        host.ws_url(),
        "Bob",
        std::sync::Arc::new(hearth_games::catalog()),
    ))
    .await
    .unwrap();
    ada.join_or_create("Flaky", "connect-four", Value::Null, JoinAs::Player)
        .await
        .unwrap();
    bob.join_or_create("Flaky", "connect-four", Value::Null, JoinAs::Player)
        .await
        .unwrap();
    ada.ready(true).await.unwrap();
    bob.ready(true).await.unwrap();
    ada.start().await.unwrap();
    let (a, b) = tokio::join!(play(ada, Some(relay.clone())), play(bob, None));
    assert_eq!(a.0, b.0, "both saw the same end");
    let events = a.1;
    assert!(
        events.contains(&"disconnected".to_string()) && events.contains(&"reconnected".to_string()),
        "{events:?}"
    );
    // Every entry exactly once, in order, across the drop.
    let entries: Vec<u64> = events
        .iter()
        .filter_map(|e| e.strip_prefix("entry ").map(|n| n.parse().unwrap()))
        .collect();
    assert_eq!(
        entries,
        (0..entries.len() as u64).collect::<Vec<_>>(),
        "{events:?}"
    );
    host.shutdown().await;
}
