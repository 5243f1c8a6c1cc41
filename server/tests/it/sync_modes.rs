//! Hidden information (chameleon) never leaks; real-time (tanks) ends exactly where an
//! offline session fed the same inputs ends; JSON and postcard clients share a room.

use std::collections::BTreeMap;

use crate::common::*;
use hearth_games::connect_four::{ConnectFour, Move};
use hearth_games::tanks::{TankInput, Tanks};
use hearth_rules::protocol::{JoinAs, Request, WireBytes};
use hearth_rules::{Seat, Session, hash_hex};
use serde_json::{Value, json};

/// Every string value in `v`, except inside the card's public word list.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.to_lowercase()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => {
            for (k, x) in o {
                if k != "words" {
                    strings(x, out);
                }
            }
        }
        _ => {}
    }
}

/// Whether `v` holds key `key` with a non-null value anywhere.
fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Array(a) => a.iter().any(|x| has_key(x, key)),
        Value::Object(o) => o
            .iter()
            .any(|(k, x)| (k == key && !x.is_null()) || has_key(x, key)),
        _ => false,
    }
}

fn events_of(msg: &Value) -> Vec<Value> {
    msg.get("view")
        .and_then(|v| v["events"].as_array().cloned())
        .unwrap_or_default()
}

#[tokio::test]
async fn chameleon_views_never_leak_the_word_roles_or_votes() {
    let host = host().await;
    let names = ["Ada", "Bob", "Cy", "Dee"];
    let mut c = Vec::new();
    for n in names {
        c.push(Client::join_host(&host, n).await);
    }
    c[0].create("Den", "chameleon", json!({"rounds": 3})).await;
    for cl in c.iter_mut().skip(1) {
        cl.join("Den", JoinAs::Player).await.unwrap();
    }
    for cl in c.iter_mut() {
        cl.ok(Request::Ready { ready: true }).await;
    }
    c[0].ok(Request::Start).await;
    let mut seat_of = [0u8; 4];
    for (i, cl) in c.iter_mut().enumerate() {
        let started = cl.expect("started").await;
        assert_eq!(started["sync"], "hidden_information");
        assert!(
            started["seed"].is_null(),
            "the seed would reveal the secret"
        );
        seat_of[i] = started["seat"].as_u64().unwrap() as u8;
    }
    let mut latest: Vec<Value> = Vec::new();
    for cl in c.iter_mut() {
        latest.push(cl.expect("view").await["view"].clone());
    }
    let mut actions = 0;
    while latest[0]["phase"] != "over" {
        // Find someone who can act from their own view.
        let mut acted = false;
        for i in 0..4 {
            let v = &latest[i];
            let me = seat_of[i];
            let action = match v["phase"].as_str().unwrap() {
                "clues" if v["to_clue"] == me => {
                    json!({"clue": format!("hint{me}r{}", v["round"])})
                }
                "votes" if v["your_vote"].is_null() => json!({"vote": (me + 1) % 4}),
                "guess" if v["caught"] == me => json!({"guess": v["words"][0]}),
                _ => continue,
            };
            let r = c[i]
                .call(Request::Action { action, tick: None })
                .await
                .unwrap();
            assert_eq!(r["accepted"]["index"], actions);
            actions += 1;
            acted = true;
            break;
        }
        assert!(acted, "someone can always act: {latest:?}");
        for (i, cl) in c.iter_mut().enumerate() {
            let v = cl.expect("view").await;
            assert_eq!(v["index"], actions);
            latest[i] = v["view"].clone();
        }
        assert!(actions < 500, "the game ends");
    }
    // The revealed rounds tell us, after the fact, each round's word and chameleon.
    let mut rounds: BTreeMap<u64, (String, u64)> = BTreeMap::new();
    for g in &c[0].log {
        for e in events_of(&g.json) {
            if let Some(s) = e.get("round_ended") {
                rounds.insert(
                    s["round"].as_u64().unwrap(),
                    (
                        s["word"].as_str().unwrap().to_lowercase(),
                        s["chameleon"].as_u64().unwrap(),
                    ),
                );
            }
        }
    }
    assert_eq!(rounds.len(), 3);
    let mut checked = 0;
    for (i, cl) in c.iter().enumerate() {
        let me = u64::from(seat_of[i]);
        for g in &cl.log {
            // Only views carry game state; the previous round's summary and the card's
            // public word list are allowed to name anything.
            let Some(view) = g.json.get("view").map(|v| &v["view"]) else {
                continue;
            };
            let phase = view["phase"].as_str().unwrap();
            if phase != "clues" && phase != "votes" {
                continue;
            }
            let (word, chameleon) = &rounds[&view["round"].as_u64().unwrap()];
            let mut secret_part = view.clone();
            secret_part.as_object_mut().unwrap().remove("last_round");
            assert!(
                secret_part["votes"].is_null(),
                "votes before the reveal: {}",
                g.raw
            );
            assert!(
                secret_part["caught"].is_null(),
                "the chameleon named before the reveal: {}",
                g.raw
            );
            assert!(
                !has_key(&secret_part, "chameleon"),
                "a role before the reveal: {}",
                g.raw
            );
            assert_eq!(view["you_are_chameleon"], me == *chameleon, "{}", g.raw);
            if me == *chameleon {
                let mut s = Vec::new();
                strings(&secret_part, &mut s);
                assert!(
                    !s.iter().any(|x| x == word),
                    "the chameleon saw the word `{word}`: {}",
                    g.raw
                );
            } else {
                assert_eq!(
                    view["secret_word"].as_str().map(str::to_lowercase).as_ref(),
                    Some(word)
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked > 40,
        "the leak check looked at real traffic ({checked} messages)"
    );
    let over = c[1]
        .expect_where("room", |r| r["phase"].get("over").is_some())
        .await;
    assert_eq!(
        over["phase"]["over"]["outcome"]["scores"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    host.shutdown().await;
}

/// What one tanks client did: its accepted inputs by log index.
async fn drive_tank(
    mut cl: Client,
    seat: u8,
    postcard: bool,
) -> (Client, Vec<(u64, u64, u8, TankInput)>) {
    let mut sent: BTreeMap<u32, TankInput> = BTreeMap::new();
    let mut accepted = Vec::new();
    let mut last_tick = u64::MAX;
    loop {
        let g = cl.next().await;
        let msg = &g.json;
        if let Some(s) = msg.get("snapshot") {
            let tick = s["tick"].as_u64().unwrap();
            if tick == last_tick {
                continue;
            }
            last_tick = tick;
            // A deterministic pattern per seat; every third tick sends nothing (missing inputs),
            // and some inputs are stamped for a tick that has passed (late).
            if tick % 3 == u64::from(seat) % 3 {
                continue;
            }
            let input = TankInput {
                turn: ((tick / 15 + u64::from(seat)) % 3) as i8 - 1,
                thrust: if (tick / 40) % 4 == 3 { -1 } else { 1 },
                fire: tick % 5 == u64::from(seat) % 5,
            };
            let stamp = if tick % 11 == 0 {
                tick.saturating_sub(3)
            } else {
                tick + 1
            };
            let id = if postcard {
                cl.send_pc(Request::Action {
                    action: WireBytes(postcard::to_allocvec(&input).unwrap()),
                    tick: Some(stamp),
                })
                .await
            } else {
                cl.send(Request::Action {
                    action: serde_json::to_value(input).unwrap(),
                    tick: Some(stamp),
                })
                .await
            };
            sent.insert(id, input);
        } else if let Some(r) = msg.get("reply") {
            let id = r["id"].as_u64().unwrap() as u32;
            let a = &r["reply"]["accepted"];
            let input = sent.remove(&id).expect("a reply for an input we sent");
            accepted.push((
                a["index"].as_u64().unwrap(),
                a["tick"].as_u64().unwrap(),
                seat,
                input,
            ));
        } else if let Some(e) = msg.get("error") {
            // Only inputs stamped past the last tick may go unplayed, and they are told so.
            assert_eq!(e["error"]["code"], "not_playing", "input refused: {e}");
            sent.remove(&(e["id"].as_u64().unwrap() as u32));
        } else if msg
            .get("room")
            .is_some_and(|r| r["phase"].get("over").is_some())
        {
            // Replies for inputs applied in the last tick came before the final state.
            return (cl, accepted);
        }
    }
}

#[tokio::test]
async fn tanks_room_ends_where_an_offline_session_fed_the_same_inputs_ends() {
    let host = host().await;
    let mut c = Vec::new();
    for (i, n) in ["Ada", "Bob", "Cy", "Dee"].iter().enumerate() {
        let mut cl = Client::connect(&host, i % 2 == 1).await;
        cl.hello(n).await;
        c.push(cl);
    }
    c[0].create("Arena", "tanks", json!({"duration_secs": 10}))
        .await;
    for cl in c.iter_mut().skip(1) {
        cl.join("Arena", JoinAs::Player).await.unwrap();
    }
    for cl in c.iter_mut() {
        cl.ok(Request::Ready { ready: true }).await;
    }
    c[0].ok(Request::Start).await;
    let mut tasks = Vec::new();
    for (i, mut cl) in c.into_iter().enumerate() {
        let started = cl.expect("started").await;
        assert_eq!(started["sync"], "real_time");
        assert_eq!(started["tick_rate"], 20);
        let seat = started["seat"].as_u64().unwrap() as u8;
        tasks.push(tokio::spawn(drive_tank(cl, seat, i % 2 == 1)));
    }
    let mut inputs = Vec::new();
    let mut clients = Vec::new();
    for t in tasks {
        let (cl, acc) = t.await.unwrap();
        inputs.extend(acc);
        clients.push(cl);
    }
    inputs.sort_by_key(|x| x.0);
    assert!(
        inputs.len() > 300,
        "the clients played ({} inputs)",
        inputs.len()
    );
    for (i, x) in inputs.iter().enumerate() {
        assert_eq!(x.0, i as u64, "log indices have no gaps");
    }
    let final_state = clients[0].log.iter().rev().find_map(|g| {
        g.json
            .get("room")
            .and_then(|r| r["phase"].get("over"))
            .cloned()
    });
    let final_hash = final_state.unwrap()["hash"].as_str().unwrap().to_string();

    // The offline session: same header (the seed is the host's secret until the end, so
    // take it from the room), the inputs at the ticks the host reported, then to the end.
    let snapshot = host.inspect("arena").await.unwrap().snapshot.unwrap();
    let room = Session::<Tanks>::restore(&snapshot).unwrap();
    assert_eq!(room.tick_count(), 200, "10 s at 20 Hz");
    let mut offline = Session::<Tanks>::from_header(room.header().clone()).unwrap();
    for (_, tick, seat, input) in &inputs {
        offline.advance_to(*tick).unwrap();
        offline.apply(Seat(*seat), *input).unwrap();
    }
    offline.advance_to(room.tick_count()).unwrap();
    assert!(offline.is_over());
    assert_eq!(hash_hex(offline.hash()), final_hash);
    assert_eq!(offline.outcome(), room.outcome());

    // Every seat got a snapshot per tick (a slow reader may get fewer, never a stale one).
    for cl in &clients {
        let ticks: Vec<u64> = cl
            .log
            .iter()
            .filter_map(|g| g.json.get("snapshot").map(|s| s["tick"].as_u64().unwrap()))
            .collect();
        assert!(
            ticks.windows(2).all(|w| w[0] < w[1]),
            "snapshots move forward"
        );
        assert_eq!(ticks.last(), Some(&200));
        assert!(
            ticks.len() > 150,
            "nearly every tick arrived ({})",
            ticks.len()
        );
    }
    host.shutdown().await;
}

#[tokio::test]
async fn a_json_client_and_a_postcard_client_play_in_one_room() {
    let host = host().await;
    let mut json_c = Client::connect(&host, false).await;
    json_c.hello("Jay").await;
    let mut pc = Client::connect(&host, true).await;
    pc.hello("Pat").await;
    json_c
        .create("Mixed", "connect-four", json!({"first_seat": 1}))
        .await;
    pc.join("Mixed", JoinAs::Player).await.unwrap();
    json_c.ok(Request::Ready { ready: true }).await;
    pc.ok(Request::Ready { ready: true }).await;
    json_c.ok(Request::Start).await;
    let started = pc.expect("started").await;
    assert_eq!(started["seat"], 1);
    // The postcard client received the config as postcard bytes.
    let config: hearth_games::connect_four::ConnectFourConfig = postcard::from_bytes(
        &serde_json::from_value::<Vec<u8>>(started["config"].clone()).unwrap(),
    )
    .unwrap();
    assert_eq!(config.first_seat, Some(1));
    let mut mirror =
        Session::<ConnectFour>::new(config, 2, started["seed"].as_u64().unwrap()).unwrap();
    for turn in 0..4u8 {
        let column = turn % 2 + 2;
        if turn % 2 == 0 {
            let bytes = postcard::to_allocvec(&Move { column }).unwrap();
            pc.call_pc(Request::Action {
                action: WireBytes(bytes),
                tick: None,
            })
            .await
            .unwrap();
        } else {
            json_c
                .call(Request::Action {
                    action: json!({"column": column}),
                    tick: None,
                })
                .await
                .unwrap();
        }
    }
    // Both see the same four entries, each in its own encoding.
    for i in 0..4u64 {
        let j = json_c.expect("entry").await;
        let p = pc.expect("entry").await;
        assert_eq!(j["seq"], i);
        assert_eq!(p["seq"], i);
        let from_json: Move = serde_json::from_value(j["action"].clone()).unwrap();
        let from_pc: Move =
            postcard::from_bytes(&serde_json::from_value::<Vec<u8>>(p["action"].clone()).unwrap())
                .unwrap();
        assert_eq!(from_json, from_pc);
        mirror
            .apply(Seat(j["seat"].as_u64().unwrap() as u8), from_pc)
            .unwrap();
    }
    // The postcard client's mirror agrees with the host.
    let r = pc
        .call(Request::Hash {
            index: 4,
            hash: hash_hex(mirror.hash()),
        })
        .await
        .unwrap();
    assert_eq!(r["hash_checked"]["matches"], true);
    // Views come back in each client's encoding.
    let v = json_c.call(Request::View).await.unwrap();
    assert!(v["view"]["view"].is_object());
    let v = pc.call(Request::View).await.unwrap();
    assert!(v["view"]["view"].is_array(), "postcard bytes");
    host.shutdown().await;
}
