//! Reconnects, the desync guard, panic isolation, limits, metrics and shutdown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use hearth_rules::protocol::{JoinAs, Request, codes};
use hearth_rules::{DynLogEntry, Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};
use hearth_server::{
    Accepted, BoxFuture, Host, HostConfig, Limits, MatchRecorder, MatchStart, RecordError,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// The `closing` message among what a connection received before it closed.
fn closing_of<'a>(got: &'a [Got], what: &str) -> &'a Value {
    got.iter()
        .find_map(|g| g.json.get("closing"))
        .unwrap_or_else(|| panic!("{what}: no `closing` in {got:?}"))
}

fn column(c: u8) -> Request<Value> {
    Request::Action {
        action: json!({"column": c}),
        tick: None,
    }
}

#[tokio::test]
async fn a_dropped_player_resumes_from_the_last_entry_it_saw() {
    let host = host().await;
    let (mut ada, mut bob) =
        started_pair(&host, "R", "connect-four", json!({"first_seat": 0})).await;
    let token = bob.expect("started").await["resume"]
        .as_str()
        .unwrap()
        .to_string();
    ada.call(column(3)).await.unwrap();
    bob.call(column(4)).await.unwrap();
    assert_eq!(bob.expect("entry").await["seq"], 0);
    assert_eq!(bob.expect("entry").await["seq"], 1);
    drop(bob);
    // Ada sees Bob's seat held, not freed.
    let held = ada
        .expect_where("room", |r| r["members"][1]["connected"] == false)
        .await;
    assert_eq!(held["members"][1]["seat"], 1);
    ada.call(column(3)).await.unwrap();

    let mut bob = Client::join_host(&host, "Bob").await;
    assert_code(
        bob.call(Request::Resume {
            token: "0".repeat(32),
            next: 2,
        })
        .await,
        codes::BAD_RESUME,
    );
    let joined = bob
        .call(Request::Resume {
            token: token.clone(),
            next: 2,
        })
        .await
        .unwrap();
    assert_eq!(joined["joined"]["phase"], "playing");
    let started = bob.expect("started").await;
    assert_eq!(started["seat"], 1);
    // Exactly the entry Bob missed, then live ones: no gap, no duplicate.
    assert_eq!(bob.expect("entry").await["seq"], 2);
    bob.call(column(4)).await.unwrap();
    assert_eq!(bob.expect("entry").await["seq"], 3);
    let seqs: Vec<u64> = bob
        .log
        .iter()
        .filter_map(|g| g.json.get("entry").map(|e| e["seq"].as_u64().unwrap()))
        .collect();
    assert_eq!(seqs, [2, 3]);
    ada.expect_where("room", |r| r["members"][1]["connected"] == true)
        .await;

    // Resuming again from elsewhere supersedes the older connection.
    let mut bob2 = Client::join_host(&host, "Bob").await;
    bob2.call(Request::Resume { token, next: 4 }).await.unwrap();
    assert_eq!(bob.expect("left").await["reason"], "superseded");
    bob2.call(column(4))
        .await
        .expect_err("not Bob's turn, but Bob's seat answers");
    host.shutdown().await;
}

#[tokio::test]
async fn a_held_seat_expires_after_the_grace_period() {
    let host = host_with(Limits {
        seat_grace: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let (mut ada, mut bob) = started_pair(&host, "G", "connect-four", Value::Null).await;
    let token = bob.expect("started").await["resume"]
        .as_str()
        .unwrap()
        .to_string();
    drop(bob);
    ada.expect_where("room", |r| r["members"].as_array().unwrap().len() == 1)
        .await;
    let mut bob = Client::join_host(&host, "Bob").await;
    assert_code(
        bob.call(Request::Resume { token, next: 0 }).await,
        codes::BAD_RESUME,
    );
    host.shutdown().await;
}

#[tokio::test]
async fn hidden_information_resumes_with_the_views_missed() {
    let host = host().await;
    let mut c = Vec::new();
    for n in ["Ada", "Bob", "Cy"] {
        c.push(Client::join_host(&host, n).await);
    }
    c[0].create("H", "chameleon", Value::Null).await;
    c[1].join("H", JoinAs::Player).await.unwrap();
    c[2].join("H", JoinAs::Player).await.unwrap();
    for cl in c.iter_mut() {
        cl.ok(Request::Ready { ready: true }).await;
    }
    c[0].ok(Request::Start).await;
    let mut tokens = Vec::new();
    for cl in c.iter_mut() {
        tokens.push(
            cl.expect("started").await["resume"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let mut views = Vec::new();
    for cl in c.iter_mut() {
        let v = cl.expect("view").await;
        assert_eq!(v["seq"], 0);
        views.push(v["view"].clone());
    }
    // Cy drops; two clues are given meanwhile (by whoever's turn it is, Cy included).
    let cy = c.pop().unwrap();
    drop(cy);
    let mut given = 0;
    let mut turn = views[0]["to_clue"].as_u64().unwrap();
    while given < 2 && turn != 2 {
        c[turn as usize]
            .call(Request::Action {
                action: json!({"clue": "soft"}),
                tick: None,
            })
            .await
            .unwrap();
        given += 1;
        turn = c[0].expect("view").await["view"]["to_clue"]
            .as_u64()
            .unwrap_or(99);
        c[1].expect("view").await;
    }
    let mut cy = Client::join_host(&host, "Cy").await;
    cy.call(Request::Resume {
        token: tokens[2].clone(),
        next: 1,
    })
    .await
    .unwrap();
    for seq in 1..=given {
        let v = cy.expect("view").await;
        assert_eq!(v["seq"], seq);
        assert_eq!(v["index"], seq);
    }
    let cur = cy.call(Request::View).await.unwrap();
    assert_eq!(cur["view"]["index"], given);
    host.shutdown().await;
}

#[tokio::test]
async fn desync_reports_are_answered_logged_and_counted() {
    let host = host().await;
    let (mut ada, _bob) = started_pair(&host, "D", "connect-four", json!({"first_seat": 0})).await;
    ada.call(column(2)).await.unwrap();
    let over = host.inspect("d").await.unwrap().snapshot.unwrap();
    let real = hearth_rules::hash_hex(hearth_games::catalog().restore(&over).unwrap().hash());
    let ok = ada
        .call(Request::Hash {
            index: 1,
            hash: real.clone(),
        })
        .await
        .unwrap();
    assert_eq!(ok["hash_checked"]["matches"], true);
    let bad = ada
        .call(Request::Hash {
            index: 1,
            hash: "0123456789abcdef".into(),
        })
        .await
        .unwrap();
    assert_eq!(bad["hash_checked"]["matches"], false);
    assert_eq!(bad["hash_checked"]["host"], real);
    assert_code(
        ada.call(Request::Hash {
            index: 1,
            hash: "xyz".into(),
        })
        .await,
        codes::BAD_REQUEST,
    );
    assert_eq!(host.metrics().desyncs.get(), 1);
    host.shutdown().await;
}

/// A game that panics when someone plays 13: registered only in tests.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Boom {
    played: Vec<u8>,
}

impl Game for Boom {
    type Config = ();
    type Action = u8;
    type View = Vec<u8>;
    type Event = u8;
    const INFO: GameInfo = GameInfo {
        name: "boom",
        version: 1,
        min_seats: 1,
        max_seats: 2,
        tick_rate: None,
        hidden_information: false,
        description: "panics on 13 (tests only)",
    };
    fn setup(_: &(), _: u8, _: &mut Rng) -> Result<Self, RuleError> {
        Ok(Boom { played: Vec::new() })
    }
    fn apply(
        &mut self,
        _: Seat,
        a: &u8,
        _: &mut Rng,
        events: &mut Vec<u8>,
    ) -> Result<(), RuleError> {
        assert!(*a != 13, "unlucky number");
        self.played.push(*a);
        events.push(*a);
        Ok(())
    }
    fn legal_actions(&self, _: Seat) -> Vec<u8> {
        vec![1]
    }
    fn view(&self, _: Viewer) -> Vec<u8> {
        self.played.clone()
    }
    fn is_over(&self) -> bool {
        false
    }
    fn outcome(&self) -> Option<Outcome> {
        None
    }
}

#[tokio::test]
async fn a_panic_in_the_rules_ends_that_room_and_no_other() {
    let mut catalog = hearth_games::catalog();
    catalog.register::<Boom>().unwrap();
    let host = Host::start(HostConfig {
        catalog: Arc::new(catalog),
        ..HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        )
    })
    .await
    .unwrap();
    let (mut ada, mut bob) =
        started_pair(&host, "Calm", "connect-four", json!({"first_seat": 0})).await;
    let mut x = Client::join_host(&host, "Xi").await;
    let mut watcher = Client::join_host(&host, "Wu").await;
    x.create("Boom", "boom", Value::Null).await;
    watcher.join("Boom", JoinAs::Spectator).await.unwrap();
    x.ok(Request::Ready { ready: true }).await;
    x.ok(Request::Start).await;
    x.call(Request::Action {
        action: json!(1),
        tick: None,
    })
    .await
    .unwrap();
    let e = assert_code(
        x.call(Request::Action {
            action: json!(13),
            tick: None,
        })
        .await,
        codes::ROOM_FAILED,
    );
    assert!(
        e.message.contains("other rooms are unaffected") || e.message.contains("failed"),
        "{e}"
    );
    // Every member hears why, and is let go.
    for c in [&mut x, &mut watcher] {
        let failed = c.expect_where("error", |e| e["id"].is_null()).await;
        assert_eq!(failed["error"]["code"], codes::ROOM_FAILED);
        assert_eq!(c.expect("left").await["reason"], "room_closed");
    }
    // The other room plays on.
    ada.call(column(0)).await.unwrap();
    bob.call(column(1)).await.unwrap();
    assert_eq!(host.metrics().caught_panics.get(), 1);
    let names: Vec<String> = host.rooms().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["Calm"]);
    // The failed room's members can go elsewhere.
    x.call(Request::Ping).await.unwrap();
    x.create("Again", "connect-four", Value::Null).await;
    host.shutdown().await;
}

#[tokio::test]
async fn oversized_and_malformed_frames_close_only_that_connection() {
    let host = host_with(Limits {
        max_frame_bytes: 1024,
        max_bad_frames: 3,
        ..Limits::default()
    })
    .await;
    let mut good = Client::join_host(&host, "Good").await;
    let mut big = Client::join_host(&host, "Big").await;
    big.send_raw(Message::Text("x".repeat(4096).into())).await;
    let got = big.until_closed().await;
    let closing = closing_of(&got, "told why");
    assert_eq!(closing["code"], codes::FRAME_TOO_LARGE);
    assert!(closing["message"].as_str().unwrap().contains("1024 bytes"));

    let mut junk = Client::join_host(&host, "Junk").await;
    junk.send_raw(Message::Text("not json".into())).await;
    let e = junk.expect("error").await;
    assert!(e["id"].is_null());
    assert_eq!(e["error"]["code"], codes::BAD_FRAME);
    junk.send_raw(Message::Binary(vec![0xff, 0xff, 0xff].into()))
        .await;
    assert_eq!(
        junk.expect("error").await["error"]["code"],
        codes::BAD_FRAME
    );
    // Still usable after a bad frame.
    assert_eq!(junk.call(Request::Ping).await.unwrap(), json!("pong"));
    for _ in 0..3 {
        junk.send_raw(Message::Text("{\"id\":1}".into())).await;
    }
    let rest = junk.until_closed().await;
    let closing = closing_of(&rest, "told why");
    assert_eq!(closing["code"], codes::TOO_MANY_ERRORS);
    assert!(host.metrics().bad_frames.get() >= 4);
    assert_eq!(good.call(Request::Ping).await.unwrap(), json!("pong"));
    host.shutdown().await;
}

#[tokio::test]
async fn a_flooding_client_is_rate_limited_then_closed() {
    let host = host_with(Limits {
        rate_per_sec: 5,
        rate_burst: 5,
        ..Limits::default()
    })
    .await;
    let mut calm = Client::join_host(&host, "Calm").await;
    let mut flood = Client::connect(&host, false).await;
    flood.hello("Flood").await;
    for _ in 0..30 {
        flood.send(Request::Ping).await;
    }
    let got = flood.until_closed().await;
    let limited = got
        .iter()
        .filter(|g| g.json["error"]["error"]["code"] == codes::RATE_LIMITED)
        .count();
    assert!(limited >= 1, "{got:?}");
    let closing = closing_of(&got, "closed with a reason");
    assert_eq!(closing["code"], codes::RATE_LIMITED);
    assert!(host.metrics().rate_limited.get() >= 5);
    assert_eq!(calm.call(Request::Ping).await.unwrap(), json!("pong"));
    host.shutdown().await;
}

#[tokio::test]
async fn fragments_are_one_message_and_a_frame_against_the_websocket_rules_closes_only_its_connection()
 {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let host = host_with(Limits::default()).await;
    let mut ada = Client::join_host(&host, "Ada").await;
    // A request in three fragments, with a ping between two of them, is one request.
    let text = br#"{"id":900,"req":"ping"}"#;
    let part =
        |bytes: &[u8], opcode, fin| Message::Frame(Frame::message(bytes.to_vec(), opcode, fin));
    ada.send_raw(part(&text[..6], OpCode::Data(Data::Text), false))
        .await;
    ada.send_raw(Message::Ping(b"between".to_vec().into()))
        .await;
    ada.send_raw(part(&text[6..12], OpCode::Data(Data::Continue), false))
        .await;
    ada.send_raw(part(&text[12..], OpCode::Data(Data::Continue), true))
        .await;
    assert_eq!(ada.wait_reply(900).await.unwrap(), json!("pong"));

    // A frame with a reserved bit set (no extension was agreed) closes that connection, and
    // it is told why.
    let mut bob = Client::join_host(&host, "Bob").await;
    let mut bad = Frame::message(b"{}".to_vec(), OpCode::Data(Data::Text), true);
    bad.header_mut().rsv1 = true;
    bob.send_raw(Message::Frame(bad)).await;
    let got = bob.until_closed().await;
    let closing = closing_of(&got, "told why");
    assert_eq!(closing["code"], codes::BAD_FRAME);
    assert!(
        closing["message"]
            .as_str()
            .unwrap()
            .contains("reserved bits"),
        "{closing}"
    );
    // The others play on.
    assert_eq!(ada.call(Request::Ping).await.unwrap(), json!("pong"));

    // A plain HTTP request to the WebSocket endpoint is told what the endpoint is.
    let plain = http_get(host.addr(), "/ws").await;
    assert!(plain.starts_with("HTTP/1.1 426"), "{plain}");
    assert!(plain.contains("connect with a WebSocket client"), "{plain}");
    host.shutdown().await;
}

/// A client may send its first frame right behind its upgrade request, before the `101`
/// (nothing forbids it): the HTTP layer reads it along with the request, and the WebSocket
/// must still get it.
#[tokio::test]
async fn a_hello_sent_in_the_same_write_as_the_upgrade_is_answered() {
    use hearth_rules::protocol::{ClientMsg, Hello, PROTOCOL_VERSION, to_json};
    let host = host_with(Limits::default()).await;
    let hello = ClientMsg::<Value> {
        id: 1,
        req: Request::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "Eager".into(),
            token: None,
        }),
    };
    let mut bytes =
        b"GET /ws HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
        Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            .to_vec();
    bytes.extend(hearth_ws::client_frame(
        0x81,
        [1, 2, 3, 4],
        to_json(&hello).as_bytes(),
    ));
    let mut tcp = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
    tcp.write_all(&bytes).await.unwrap();
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&got).contains("\"welcome\"") {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, tcp.read(&mut chunk))
            .await
            .expect("the welcome arrives")
            .unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&chunk[..n]);
    }
    assert!(
        got.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    host.shutdown().await;
}

#[tokio::test]
async fn a_silent_connection_times_out() {
    let host = host_with(Limits {
        idle_timeout: Duration::from_millis(600),
        ..Limits::default()
    })
    .await;
    let mut quiet = Client::join_host(&host, "Quiet").await;
    // Not reading means not answering the host's pings either.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = quiet.until_closed().await;
    eprintln!("{got:?}");
    let closing = closing_of(&got, "told why");
    assert_eq!(closing["code"], codes::IDLE_TIMEOUT);
    // A client that reads (and so answers pings) stays connected past the timeout.
    let mut alive = Client::join_host(&host, "Alive").await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while tokio::time::Instant::now() < deadline {
        assert_eq!(alive.call(Request::Ping).await.unwrap(), json!("pong"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    host.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_and_can_resume() {
    let host = host_with(Limits {
        outbound_queue: 64,
        rate_per_sec: 1_000_000,
        rate_burst: 1_000_000,
        ..Limits::default()
    })
    .await;
    let mut ada = Client::join_host(&host, "Ada").await;
    let mut bob = Client::connect_small_buffer(&host).await;
    bob.hello("Bob").await;
    ada.create("Slow", "connect-four", Value::Null).await;
    bob.join("Slow", JoinAs::Player).await.unwrap();
    ada.ok(Request::Ready { ready: true }).await;
    bob.ok(Request::Ready { ready: true }).await;
    ada.ok(Request::Start).await;
    let token = bob.expect("started").await["resume"]
        .as_str()
        .unwrap()
        .to_string();
    // Bob stops reading; Ada chats until Bob's queue overflows.
    let line = "y".repeat(480);
    let mut sent = 0;
    while host.metrics().queue_overflows.get() == 0 {
        for _ in 0..20 {
            ada.send(Request::Chat { text: line.clone() }).await;
        }
        // Ada reads her own replies and echoes so that she is not the slow one.
        for _ in 0..40 {
            ada.next().await;
        }
        sent += 20;
        assert!(sent < 400_000, "Bob's queue never overflowed");
    }
    // Bob's connection is gone, after whatever was already in flight and the reason.
    let got = bob.until_closed().await;
    let closing = closing_of(&got, "told why");
    assert_eq!(closing["code"], codes::SLOW_CONSUMER);
    ada.expect_where("room", |r| r["members"][1]["connected"] == false)
        .await;
    let mut bob = Client::join_host(&host, "Bob").await;
    bob.call(Request::Resume { token, next: 0 }).await.unwrap();
    assert_eq!(bob.expect("started").await["seat"], 1);
    host.shutdown().await;
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn healthz_and_metrics_report_the_host() {
    let host = host().await;
    let (mut ada, _bob) = started_pair(&host, "M", "connect-four", json!({"first_seat": 0})).await;
    ada.call(column(0)).await.unwrap();
    ada.call(column(0)).await.unwrap_err();
    let health = http_get(host.addr(), "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let body: Value = serde_json::from_str(health.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["rooms"], 1);
    assert_eq!(body["connections"], 2);
    let metrics = http_get(host.addr(), "/metrics").await;
    for needle in [
        "hearth_connections 2",
        "hearth_rooms{game=\"connect-four\",phase=\"playing\"} 1",
        "hearth_actions_total{result=\"accepted\"} 1",
        "hearth_actions_total{result=\"rejected\"} 1",
        "hearth_tick_duration_seconds_bucket",
        "hearth_queue_overflows_total 0",
        "hearth_caught_panics_total 0",
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
    host.shutdown().await;
}

/// Records what the room hands over, slowly, to show acknowledgements wait for it.
#[derive(Default)]
struct Recorded {
    entries: Mutex<Vec<DynLogEntry>>,
    flushed: AtomicUsize,
}

#[derive(Clone, Default)]
struct SlowRecorder(Arc<Recorded>);

impl std::ops::Deref for SlowRecorder {
    type Target = Recorded;
    fn deref(&self) -> &Recorded {
        &self.0
    }
}

impl MatchRecorder for SlowRecorder {
    fn started(&self, _: MatchStart) -> BoxFuture<'static, Result<u64, RecordError>> {
        Box::pin(async { Ok(7) })
    }
    fn append(&self, a: Accepted) -> BoxFuture<'static, Result<(), RecordError>> {
        let me = self.clone();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            me.entries.lock().unwrap().extend(a.entries);
            Ok(())
        })
    }
    fn finished(
        &self,
        _: u64,
        _: Option<Outcome>,
        _: u64,
        _: u64,
    ) -> BoxFuture<'static, Result<(), RecordError>> {
        Box::pin(async { Ok(()) })
    }
    fn flush(&self) -> BoxFuture<'static, Result<(), RecordError>> {
        self.flushed.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn actions_are_recorded_before_they_are_acknowledged_and_shutdown_flushes() {
    let recorder = SlowRecorder::default();
    let host = Host::start(HostConfig {
        recorder: Arc::new(recorder.clone()),
        ..HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        )
    })
    .await
    .unwrap();
    let (mut ada, mut bob) =
        started_pair(&host, "Rec", "connect-four", json!({"first_seat": 0})).await;
    for i in 0..4u64 {
        let c = if i % 2 == 0 { &mut ada } else { &mut bob };
        c.call(column(i as u8)).await.unwrap();
        assert_eq!(
            recorder.entries.lock().unwrap().len() as u64,
            i + 1,
            "the entry was stored before the reply"
        );
    }
    host.shutdown().await;
    for c in [&mut ada, &mut bob] {
        let got = c.until_closed().await;
        let closing = closing_of(&got, "told");
        assert_eq!(closing["code"], codes::SERVER_SHUTDOWN);
    }
    assert_eq!(
        recorder.flushed.load(Ordering::SeqCst),
        1,
        "the room flushed once"
    );
}
