//! The lobby and a whole connect-four match over real WebSockets on loopback.

use crate::common::*;
use hearth_games::connect_four::{ConnectFour, Move};
use hearth_rules::protocol::{Hello, JoinAs, PROTOCOL_VERSION, Request, RoomOptions, codes};
use hearth_rules::{Fingerprint, Seat, Session, SessionHeader, hash_hex};
use serde_json::{Value, json};

/// Seat 0 drops in column 0 and seat 1 in column 1, four times: seat 0 wins vertically.
#[tokio::test]
async fn connect_four_through_the_lobby_to_a_win() {
    let host = host().await;
    let mut ada = Client::join_host(&host, "Ada").await;
    let mut bob = Client::join_host(&host, "Bob").await;
    let mut eve = Client::join_host(&host, "Eve").await;

    let joined = ada
        .create("Friday Game", "connect-four", json!({"first_seat": 0}))
        .await;
    assert_eq!(joined["joined"]["host"], ada.player);
    // The room is listed; names are matched without case.
    let rooms = eve.call(Request::ListRooms).await.unwrap();
    assert_eq!(rooms["rooms"][0]["name"], "Friday Game");
    assert_eq!(rooms["rooms"][0]["phase"], "lobby");
    bob.join("friday game", JoinAs::Player).await.unwrap();
    let state = ada
        .expect_where("room", |r| r["members"].as_array().unwrap().len() == 2)
        .await;
    assert_eq!(state["members"][1]["name"], "Bob");
    assert_eq!(state["members"][1]["seat"], 1);

    // Not everyone is ready yet.
    ada.ok(Request::Ready { ready: true }).await;
    assert_code(ada.call(Request::Start).await, codes::NOT_READY);
    bob.ok(Request::Ready { ready: true }).await;
    // Only the host starts.
    assert_code(bob.call(Request::Start).await, codes::NOT_HOST);
    ada.ok(Request::Chat {
        text: "good luck".into(),
    })
    .await;
    let chat = bob.expect("chat").await;
    assert_eq!(chat["text"], "good luck");
    assert_eq!(chat["name"], "Ada");
    ada.ok(Request::Start).await;

    let started = bob.expect("started").await;
    assert_eq!(started["seat"], 1);
    assert_eq!(started["sync"], "perfect_information");
    assert!(started["resume"].is_string());
    let seed = started["seed"]
        .as_u64()
        .expect("perfect information shares the seed");
    // A spectator can come in once the game runs; a new player cannot.
    assert_code(
        eve.join("Friday Game", JoinAs::Player).await,
        codes::ALREADY_STARTED,
    );

    let moves = [(0, 0), (1, 1), (0, 0), (1, 1), (0, 0), (1, 1)];
    for (i, (seat, column)) in moves.iter().enumerate() {
        let c = if *seat == 0 { &mut ada } else { &mut bob };
        let r = c
            .call(Request::Action {
                action: json!({"column": column}),
                tick: None,
            })
            .await
            .unwrap();
        assert_eq!(r["accepted"]["index"], i as u64);
    }
    // Mid-game: the wrong seat is refused with the rules' reason, to the sender only.
    let e = assert_code(
        bob.call(Request::Action {
            action: json!({"column": 2}),
            tick: None,
        })
        .await,
        "not_your_turn",
    );
    assert!(e.message.contains("turn"), "{e}");
    assert_code(
        ada.call(Request::Action {
            action: json!({"column": 9}),
            tick: None,
        })
        .await,
        "illegal_action",
    );
    assert_code(
        ada.call(Request::Action {
            action: json!({"row": 1}),
            tick: None,
        })
        .await,
        "decode",
    );

    eve.join("Friday Game", JoinAs::Spectator).await.unwrap();
    let spectator_start = eve.expect("started").await;
    assert_eq!(spectator_start["seat"], Value::Null);
    assert_eq!(spectator_start["resume"], Value::Null);
    // The spectator receives the whole log so far, in order, without gaps.
    for i in 0..6u64 {
        let e = eve.expect("entry").await;
        assert_eq!(e["seq"], i);
    }

    let winning = ada
        .call(Request::Action {
            action: json!({"column": 0}),
            tick: None,
        })
        .await
        .unwrap();
    assert_eq!(winning["accepted"]["index"], 6);

    // Everyone sees the game end with Ada (seat 0) winning.
    let mut final_hash = String::new();
    for c in [&mut ada, &mut bob, &mut eve] {
        let over = c
            .expect_where("room", |r| r["phase"].get("over").is_some())
            .await;
        assert_eq!(over["phase"]["over"]["outcome"]["winners"], json!([0]));
        final_hash = over["phase"]["over"]["hash"].as_str().unwrap().to_string();
    }

    // Bob's client followed the entries and replays them with the shared rules: same hash.
    let mut mirror = Session::<ConnectFour>::from_header(SessionHeader {
        seats: 2,
        seed,
        config: serde_json::from_value(started["config"].clone()).unwrap(),
    })
    .unwrap();
    let entries: Vec<Value> = bob
        .log
        .iter()
        .filter_map(|g| g.json.get("entry").cloned())
        .collect();
    assert_eq!(
        entries.len(),
        7,
        "one entry per accepted move, none for rejected ones"
    );
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as u64);
        let mv: Move = serde_json::from_value(e["action"].clone()).unwrap();
        mirror
            .apply(Seat(e["seat"].as_u64().unwrap() as u8), mv)
            .unwrap();
    }
    assert_eq!(hash_hex(mirror.hash()), final_hash);
    let checked = bob
        .call(Request::Hash {
            index: 7,
            hash: final_hash.clone(),
        })
        .await
        .unwrap();
    assert_eq!(checked["hash_checked"]["matches"], true);
    // The host's copy agrees with the replay too.
    let inspected = host.inspect("friday game").await.unwrap();
    let restored = hearth_games::catalog()
        .restore(&inspected.snapshot.unwrap())
        .unwrap();
    assert_eq!(hash_hex(restored.hash()), final_hash);

    // After the game the room is a lobby again: ready up and start a rematch.
    ada.ok(Request::Ready { ready: true }).await;
    bob.ok(Request::Ready { ready: true }).await;
    ada.ok(Request::Start).await;
    bob.expect_where("room", |r| r["phase"] == "playing").await;
    host.shutdown().await;
}

#[tokio::test]
async fn lobby_errors_are_distinct_and_change_nothing() {
    let host = host().await;
    let mut ada = Client::join_host(&host, "Ada").await;
    let mut bob = Client::join_host(&host, "Bob").await;
    let mut cy = Client::join_host(&host, "Cy").await;

    assert_code(
        ada.call(Request::CreateRoom {
            name: "no/slashes".into(),
            options: options("connect-four", Value::Null),
        })
        .await,
        codes::INVALID_NAME,
    );
    assert_code(
        ada.call(Request::CreateRoom {
            name: "ok".into(),
            options: options("chess", Value::Null),
        })
        .await,
        "unknown_game",
    );
    assert_code(
        ada.call(Request::CreateRoom {
            name: "ok".into(),
            options: options("chameleon", json!({"rounds": 99})),
        })
        .await,
        "invalid_config",
    );
    assert!(
        host.rooms().is_empty(),
        "failed creates leave no room behind"
    );
    assert_code(
        bob.join("Nowhere", JoinAs::Player).await,
        codes::UNKNOWN_ROOM,
    );
    assert_code(
        bob.call(Request::Ready { ready: true }).await,
        codes::NOT_IN_ROOM,
    );

    ada.call(Request::CreateRoom {
        name: "Secret".into(),
        options: RoomOptions {
            password: Some("hunter2".into()),
            public: false,
            ..options("connect-four", Value::Null)
        },
    })
    .await
    .unwrap();
    assert_code(
        ada.call(Request::Join {
            room: "x".into(),
            password: None,
            join_as: JoinAs::Player,
            create: None,
        })
        .await,
        codes::ALREADY_IN_ROOM,
    );
    assert_code(
        bob.call(Request::CreateRoom {
            name: "SECRET".into(),
            options: options("connect-four", Value::Null),
        })
        .await,
        codes::NAME_TAKEN,
    );
    // Private rooms are not listed.
    assert_eq!(
        bob.call(Request::ListRooms).await.unwrap(),
        json!({"rooms": []})
    );
    assert_code(
        bob.join("secret", JoinAs::Player).await,
        codes::WRONG_PASSWORD,
    );
    assert_code(
        bob.call(Request::Join {
            room: "secret".into(),
            password: Some("wrong".into()),
            join_as: JoinAs::Player,
            create: None,
        })
        .await,
        codes::WRONG_PASSWORD,
    );
    bob.call(Request::Join {
        room: "secret".into(),
        password: Some("hunter2".into()),
        join_as: JoinAs::Player,
        create: None,
    })
    .await
    .unwrap();
    let full = cy
        .call(Request::Join {
            room: "secret".into(),
            password: Some("hunter2".into()),
            join_as: JoinAs::Player,
            create: None,
        })
        .await;
    assert_code(full, codes::ROOM_FULL);
    // A full room can still be watched.
    cy.call(Request::Join {
        room: "secret".into(),
        password: Some("hunter2".into()),
        join_as: JoinAs::Spectator,
        create: None,
    })
    .await
    .unwrap();
    assert_code(
        cy.call(Request::Ready { ready: true }).await,
        codes::NOT_SEATED,
    );
    assert_code(
        cy.call(Request::Sit { seat: Some(0) }).await,
        codes::SEAT_TAKEN,
    );
    assert_code(
        bob.call(Request::Kick { player: cy.player }).await,
        codes::NOT_HOST,
    );
    assert_code(
        ada.call(Request::Kick { player: 12345 }).await,
        codes::UNKNOWN_PLAYER,
    );
    assert_code(
        ada.call(Request::Chat { text: "  ".into() }).await,
        codes::BAD_CHAT,
    );

    // Kick: Cy is told and is out; the room lists two members.
    ada.ok(Request::Kick { player: cy.player }).await;
    let left = cy.expect("left").await;
    assert_eq!(left["reason"], "kicked");
    assert_code(
        cy.call(Request::Ready { ready: true }).await,
        codes::NOT_IN_ROOM,
    );

    // The host leaves: hosting passes to Bob, who can now start and kick.
    ada.ok(Request::Leave).await;
    let state = bob
        .expect_where("room", |r| r["members"].as_array().unwrap().len() == 1)
        .await;
    assert_eq!(state["host"], bob.player);
    bob.ok(Request::Leave).await;
    // The empty room is gone.
    for _ in 0..100 {
        if host.rooms().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(host.rooms().is_empty());
    host.shutdown().await;
}

#[tokio::test]
async fn friends_typing_the_same_name_meet_in_one_room() {
    let host = host().await;
    let mut clients = Vec::new();
    for name in ["Ada", "Bob", "Cy"] {
        clients.push(Client::join_host(&host, name).await);
    }
    // All three at once: exactly one room results, with three members.
    let mut ids = Vec::new();
    for c in clients.iter_mut() {
        ids.push(
            c.send(Request::Join {
                room: "Pizza Night".into(),
                password: None,
                join_as: JoinAs::Player,
                create: Some(options("chameleon", Value::Null)),
            })
            .await,
        );
    }
    for (c, id) in clients.iter_mut().zip(ids) {
        c.wait_reply(id).await.expect("joined or created");
    }
    assert_eq!(host.rooms().len(), 1);
    let summary = &host.rooms()[0];
    assert_eq!(summary.players, 3);
    assert_eq!(summary.game, "chameleon");
    // Display names are unique within a room, ignoring case.
    let mut twin = Client::join_host(&host, "ADA").await;
    let joined = twin.join("pizza night", JoinAs::Spectator).await.unwrap();
    let names: Vec<&str> = joined["joined"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada", "Bob", "Cy", "ADA 2"]);
    host.shutdown().await;
}

#[tokio::test]
async fn handshake_refusals_name_the_mismatch() {
    let host = host().await;
    let mut c = Client::connect(&host, false).await;
    assert_code(c.call(Request::ListRooms).await, codes::BAD_REQUEST);
    let e = assert_code(
        c.call_hello(Hello {
            protocol: PROTOCOL_VERSION + 1,
            fingerprints: vec![],
            name: "Ada".into(),
            token: None,
        })
        .await,
        codes::PROTOCOL_MISMATCH,
    );
    assert!(
        e.message.contains(&format!("protocol {PROTOCOL_VERSION}")),
        "{e}"
    );
    let mut other = hearth_games::catalog()
        .get("connect-four")
        .unwrap()
        .fingerprint
        .clone();
    other.schema ^= 1;
    let e = assert_code(
        c.call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![other],
            name: "Ada".into(),
            token: None,
        })
        .await,
        codes::RULES_MISMATCH,
    );
    assert!(e.message.contains("connect-four"), "{e}");
    assert_code(
        c.call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "".into(),
            token: None,
        })
        .await,
        codes::INVALID_NAME,
    );
    assert_code(
        c.call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "Ada".into(),
            token: Some("abc".into()),
        })
        .await,
        codes::UNAUTHORIZED,
    );
    // Carrying only connect-four's rules offers only connect-four.
    let fp: Fingerprint = hearth_games::catalog()
        .get("connect-four")
        .unwrap()
        .fingerprint
        .clone();
    let welcome = c
        .call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![fp],
            name: "Ada".into(),
            token: None,
        })
        .await
        .unwrap();
    let games: Vec<&str> = welcome["welcome"]["games"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(games, ["connect-four"]);
    assert_code(
        c.call(Request::CreateRoom {
            name: "t".into(),
            options: options("tanks", Value::Null),
        })
        .await,
        codes::GAME_NOT_OFFERED,
    );
    assert_code(
        c.call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "Ada".into(),
            token: None,
        })
        .await,
        codes::BAD_REQUEST,
    );
    host.shutdown().await;
}

#[tokio::test]
async fn bots_fill_seats_and_play_every_game_to_the_end() {
    let host = host().await;
    for (game, bots, config) in [
        ("connect-four", 1, json!({"first_seat": 1})),
        ("chameleon", 2, json!({"rounds": 1})),
        ("tanks", 3, json!({"duration_secs": 10})),
    ] {
        let mut me = Client::join_host(&host, "Solo").await;
        let mut other = Client::join_host(&host, "Other").await;
        me.create(game, game, config).await;
        other.join(game, JoinAs::Spectator).await.unwrap();
        assert_code(
            other.call(Request::AddBot { level: 2 }).await,
            codes::NOT_HOST,
        );
        for _ in 0..bots {
            me.ok(Request::AddBot { level: 2 }).await;
        }
        let state = me
            .expect_where("room", |r| {
                r["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|m| m["bot"] == true)
                    .count()
                    == bots
            })
            .await;
        assert!(
            state["members"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["connected"] == true)
        );
        me.ok(Request::Ready { ready: true }).await;
        me.ok(Request::Start).await;
        assert_code(
            me.call(Request::AddBot { level: 2 }).await,
            codes::GAME_RUNNING,
        );
        // Play whatever is legal whenever it is my turn, until the room says it is over.
        let mut over = None;
        for _ in 0..2000 {
            if let Some(o) = me.log.iter().rev().find_map(|g| {
                g.json
                    .get("room")
                    .and_then(|r| r["phase"].get("over"))
                    .cloned()
            }) {
                over = Some(o);
                break;
            }
            let legal = me.call(Request::Legal).await.unwrap();
            let action = legal["legal"]["actions"]
                .as_array()
                .and_then(|a| a.first().cloned());
            match action {
                Some(a) => {
                    let _ = me
                        .call(Request::Action {
                            action: a,
                            tick: None,
                        })
                        .await;
                }
                None => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
        let over = over.unwrap_or_else(|| panic!("{game} with bots did not end"));
        assert!(
            over["outcome"]["scores"].as_array().unwrap().len() == bots + 1,
            "{game}: {over}"
        );
        // A rematch needs only the people to confirm: bots stay ready.
        me.ok(Request::Ready { ready: true }).await;
        me.ok(Request::Start).await;
        drop((me, other));
    }
    host.shutdown().await;
}
