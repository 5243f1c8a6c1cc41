//! `Catalog::convert`: a game's values between JSON and postcard, straight through its types.

use hearth_rules::{Catalog, Encoding, Payload, Seat, ValueKind, Viewer};
use serde_json::json;

#[test]
fn every_kind_of_value_round_trips_and_matches_a_sessions_encoding() {
    let catalog = Catalog::of(hearth_games::games).unwrap();
    let mut game = catalog
        .create(
            "connect-four",
            &Payload::Json(json!({"first_seat": 0})),
            2,
            7,
        )
        .unwrap();
    let action = Payload::Json(json!({"column": 3}));
    let events = game.apply(Seat(0), &action).unwrap();
    let view = game.view(Viewer::Spectator, Encoding::Json).unwrap();
    let legal = game.legal_actions(Seat(1), Encoding::Json).unwrap();
    let values = [
        (ValueKind::Action, action),
        (ValueKind::Events, events),
        (ValueKind::View, view),
        (ValueKind::Actions, legal),
        (ValueKind::Config, Payload::Json(json!({"first_seat": 1}))),
    ];
    for (kind, json_value) in values {
        let bytes = catalog
            .convert("connect-four", kind, &json_value, Encoding::Postcard)
            .unwrap();
        assert!(matches!(bytes, Payload::Postcard(_)), "{kind:?}");
        let back = catalog
            .convert("connect-four", kind, &bytes, Encoding::Json)
            .unwrap();
        assert_eq!(back, json_value, "{kind:?}");
    }
    // The session's own postcard for the events is the same bytes.
    let mut other = catalog
        .create("connect-four", &Payload::Postcard(vec![]), 2, 7)
        .unwrap();
    let pc_events = other.apply(Seat(0), &Payload::Postcard(vec![3])).unwrap();
    let converted = catalog
        .convert(
            "connect-four",
            ValueKind::Events,
            &pc_events,
            Encoding::Json,
        )
        .unwrap();
    assert_eq!(
        converted,
        Payload::Json(json!([{"dropped": {"seat": 0, "column": 3, "row": 0}}]))
    );
}

#[test]
fn a_config_of_null_is_the_defaults_and_bad_values_are_clear_errors() {
    let catalog = Catalog::of(hearth_games::games).unwrap();
    let defaults = catalog
        .convert(
            "connect-four",
            ValueKind::Config,
            &Payload::Json(serde_json::Value::Null),
            Encoding::Json,
        )
        .unwrap();
    assert!(matches!(defaults, Payload::Json(v) if v.is_object()));
    let err = catalog
        .convert(
            "connect-four",
            ValueKind::Action,
            &Payload::Json(json!({"row": 1})),
            Encoding::Postcard,
        )
        .unwrap_err();
    assert!(err.to_string().contains("action"), "{err}");
    let err = catalog
        .convert(
            "no-such-game",
            ValueKind::Action,
            &Payload::Json(json!(1)),
            Encoding::Postcard,
        )
        .unwrap_err();
    assert!(err.to_string().contains("no-such-game"), "{err}");
}

#[test]
fn apply_bytes_is_apply_in_postcard_and_a_refusal_changes_nothing() {
    let catalog = Catalog::of(hearth_games::games).unwrap();
    let config = Payload::Json(json!({"first_seat": 0}));
    let mut a = catalog.create("connect-four", &config, 2, 7).unwrap();
    let mut b = catalog.create("connect-four", &config, 2, 7).unwrap();
    let mut buffer = Vec::new();
    for (seat, column) in [(0u8, 3u8), (1, 3), (0, 4), (1, 9), (1, 2)] {
        let action = catalog
            .convert(
                "connect-four",
                ValueKind::Action,
                &Payload::Json(json!({"column": column})),
                Encoding::Postcard,
            )
            .unwrap();
        let want = a.apply(Seat(seat), &action);
        let got = b.apply_bytes(Seat(seat), &action.to_bytes(), std::mem::take(&mut buffer));
        match (want, got) {
            (Ok(want), Ok(got)) => {
                assert_eq!(got, want.to_bytes());
                buffer = got;
            }
            (Err(want), Err(got)) => assert_eq!(got.code(), want.code()),
            (want, got) => panic!("apply {want:?}, apply_bytes {got:?}"),
        }
        assert_eq!(a.hash(), b.hash());
    }
    let e = b.apply_bytes(Seat(0), &[200, 200], Vec::new()).unwrap_err();
    assert_eq!(e.code(), "decode");
    assert_eq!(a.hash(), b.hash());
}

#[test]
fn tick_bytes_is_tick_in_postcard_into_the_buffer_given() {
    let catalog = Catalog::of(hearth_games::games).unwrap();
    let config = Payload::Json(json!({}));
    let mut a = catalog.create("tanks", &config, 4, 11).unwrap();
    let mut b = catalog.create("tanks", &config, 4, 11).unwrap();
    let fire = catalog
        .convert(
            "tanks",
            ValueKind::Action,
            &Payload::Json(json!({"turn": 1, "thrust": 1, "fire": true})),
            Encoding::Postcard,
        )
        .unwrap();
    // A stale buffer is cleared, not appended to.
    let mut buffer = vec![9u8; 40];
    let mut with_events = 0;
    for tick in 0..400 {
        if tick % 7 == 0 {
            let seat = Seat((tick / 7 % 4) as u8);
            a.apply(seat, &fire).unwrap();
            b.apply(seat, &fire).unwrap();
        }
        let want = a.tick(Encoding::Postcard).unwrap().to_bytes();
        let got = b.tick_bytes(std::mem::take(&mut buffer)).unwrap();
        assert_eq!(got, want, "tick {tick}");
        with_events += usize::from(got != [0]);
        buffer = got;
        assert_eq!(a.hash(), b.hash());
    }
    assert!(with_events > 0, "tanks firing for 400 ticks hit something");
    let mut turns = catalog.create("connect-four", &config, 2, 1).unwrap();
    let e = turns.tick_bytes(Vec::new()).unwrap_err();
    assert_eq!(e.code(), "not_real_time");
}
