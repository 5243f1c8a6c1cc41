//! The shared bot and tick driver: bots play turn-based games to the end, and a tick's
//! result does not depend on how different players' inputs interleaved on the way.

use hearth_rules::drive::{self, Bot, Input};
use hearth_rules::{Catalog, DynSession, Encoding, Payload, Seat};
use serde_json::json;

fn game(catalog: &Catalog, name: &str, config: serde_json::Value, seats: u8) -> DynSession {
    catalog
        .create(name, &Payload::Json(config), seats, 42)
        .expect("the example game starts")
}

#[test]
fn bots_play_turn_based_games_to_the_end_one_turn_at_a_time() {
    let catalog = hearth_games::catalog();
    for (name, seats) in [("connect-four", 2u8), ("chameleon", 4)] {
        let mut s = game(&catalog, name, serde_json::Value::Null, seats);
        let bots: Vec<Bot> = (0..seats)
            .map(|seat| Bot {
                seat: Seat(seat),
                level: 1,
            })
            .collect();
        let mut turns = 0;
        while let Some((seat, action)) = drive::bot_turn(&s, &bots, Encoding::Postcard).unwrap() {
            s.apply(seat, &action).expect("a bot's turn is legal");
            turns += 1;
            assert!(turns < 10_000, "{name} never ends");
        }
        assert!(
            s.is_over(),
            "{name}: no bot wants to act, yet the game is not over"
        );
        // A human's seat is never played for them.
        let mut s = game(&catalog, name, serde_json::Value::Null, seats);
        let only_others = &bots[1..];
        while let Some((seat, action)) =
            drive::bot_turn(&s, only_others, Encoding::Postcard).unwrap()
        {
            assert_ne!(seat, Seat(0));
            s.apply(seat, &action).unwrap();
        }
    }
}

#[test]
fn a_tick_does_not_depend_on_how_players_inputs_interleaved() {
    let catalog = hearth_games::catalog();
    let config = json!({"duration_secs": 10});
    let bots = [Bot {
        seat: Seat(2),
        level: 2,
    }];
    let a = |seat: u8, order: u64, turn: i64, tag: u32| Input {
        seat: Seat(seat),
        order,
        action: Payload::Json(json!({"turn": turn, "thrust": 1, "fire": true})),
        tag,
    };
    // The same inputs (one seat's own order kept), arriving interleaved two ways, plus one
    // the rules refuse.
    let bad = Input {
        seat: Seat(1),
        order: 9,
        action: Payload::Json(json!({"turn": 7})),
        tag: 99,
    };
    let first = vec![a(0, 1, 1, 1), a(1, 2, -1, 2), a(0, 3, 0, 3), bad.clone()];
    let second = vec![bad, a(1, 1, -1, 2), a(0, 2, 1, 1), a(0, 5, 0, 3)];
    let mut results = Vec::new();
    for inputs in [first, second] {
        let mut s = game(&catalog, "tanks", config.clone(), 3);
        let ticked = drive::tick(&mut s, inputs, &bots, Encoding::Postcard).unwrap();
        let accepted: Vec<(u8, Option<u32>)> =
            ticked.accepted.iter().map(|i| (i.seat.0, i.tag)).collect();
        let refused: Vec<u32> = ticked.refused.iter().map(|(i, _)| i.tag).collect();
        results.push((accepted, refused, s.hash(), s.tick_count(), s.log_len()));
    }
    assert_eq!(results[0], results[1]);
    let (accepted, refused, _, ticks, log) = &results[0];
    // Seat order, each seat's own order, the bot's input last among its seat's.
    assert_eq!(
        accepted,
        &vec![(0, Some(1)), (0, Some(3)), (1, Some(2)), (2, None)]
    );
    assert_eq!(refused, &vec![99]);
    assert_eq!((*ticks, *log), (1, 4));
}

#[test]
fn a_finished_game_has_no_bot_turns() {
    let catalog = hearth_games::catalog();
    let mut s = game(&catalog, "connect-four", serde_json::Value::Null, 2);
    // Whoever opens stacks column 0, the other column 1: the opener wins on the 7th move.
    let opener = (0..2u8)
        .map(Seat)
        .find(|&seat| s.apply(seat, &Payload::Json(json!({"column": 0}))).is_ok())
        .expect("someone opens");
    for column in [1, 0, 1, 0, 1, 0] {
        let seat = if column == 0 {
            opener
        } else {
            Seat(1 - opener.0)
        };
        s.apply(seat, &Payload::Json(json!({"column": column})))
            .unwrap();
    }
    assert!(s.is_over());
    let bots = [Bot {
        seat: Seat(1),
        level: 3,
    }];
    assert_eq!(drive::bot_turn(&s, &bots, Encoding::Json).unwrap(), None);
}

#[test]
fn scripting_layers_inputs_and_results_read_as_json() {
    let inputs = drive::inputs_from_json(&json!([
        {"seat": 1, "action": {"turn": 1}},
        {"seat": 0, "action": "fire"}
    ]))
    .unwrap();
    assert_eq!(
        inputs.iter().map(|i| (i.seat, i.order)).collect::<Vec<_>>(),
        vec![(Seat(1), 0), (Seat(0), 1)],
        "arrival order is the array's"
    );
    assert!(
        drive::inputs_from_json(&serde_json::Value::Null)
            .unwrap()
            .is_empty()
    );
    let bad = drive::inputs_from_json(&json!([{"seat": -1, "action": 0}])).unwrap_err();
    assert_eq!(bad.code(), "decode");
    // A refused input shows in the JSON summary with its code.
    let catalog = hearth_games::catalog();
    let mut s = game(&catalog, "tanks", json!({"duration_secs": 10}), 2);
    let ticked = drive::tick(&mut s, inputs, &[], Encoding::Json).unwrap();
    let summary = ticked.to_json();
    assert_eq!(
        summary["refused"].as_array().map(Vec::len),
        Some(1),
        "{summary}"
    );
    assert_eq!(summary["refused"][0]["seat"], 0);
    assert_eq!(summary["refused"][0]["code"], "decode");
    assert!(summary["events"].is_array(), "{summary}");
}
