//! The golden vectors (`tests/vectors/*.json`), replayed step by step through the very API
//! JavaScript calls, compiled to Wasm and run under node:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test -p hearth-web --target wasm32-unknown-unknown`.
//! Every hash, refusal code and outcome must be what the native rules recorded.

use serde_json::Value;

macro_rules! vectors {
    ($($name:literal),* $(,)?) => {
        /// Every vector, by file name.
        const VECTORS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../../tests/vectors/", $name)))),*
        ];
    };
}

vectors!(
    "chameleon-3-seats.json",
    "chameleon-8-seats.json",
    "chameleon-random.json",
    "chameleon-refusals.json",
    "chameleon-short-clues.json",
    "connect-four-bots.json",
    "connect-four-deep.json",
    "connect-four-draw.json",
    "connect-four-random.json",
    "connect-four-refusals.json",
    "tanks-16-score-limit.json",
    "tanks-4-arena.json",
    "tanks-8-open.json",
    "tanks-duel.json",
    "tanks-sparse-inputs.json",
);

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("a golden vector is JSON")
}

/// Natively: the list above is every file there is, so a new vector cannot be skipped here.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_golden_vector_is_listed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("tests/vectors")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let listed: Vec<String> = VECTORS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        listed, on_disk,
        "list every vector in wasm/module/tests/vectors.rs"
    );
    for (_, text) in VECTORS {
        assert_eq!(parse(text)["format"], 1);
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::*;
    use hearth_wasm::{Session, games};
    use hearth_web::hearth_install;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn js(v: &Value) -> JsValue {
        js_sys::JSON::parse(&v.to_string()).expect("JSON")
    }

    fn back(v: &JsValue) -> Value {
        let text: String = js_sys::JSON::stringify(v).expect("stringify").into();
        serde_json::from_str(&text).expect("JSON")
    }

    /// The error of a call that must fail.
    fn refused<T>(r: Result<T, JsValue>) -> JsValue {
        match r {
            Ok(_) => panic!("accepted, but it must be refused"),
            Err(e) => e,
        }
    }

    fn code(e: &JsValue) -> String {
        js_sys::Reflect::get(e, &"code".into())
            .ok()
            .and_then(|c| c.as_string())
            .unwrap_or_default()
    }

    fn play(name: &str, v: &Value) -> usize {
        let fingerprint = back(&games().expect("games"))
            .as_array()
            .expect("games")
            .iter()
            .find(|g| g["name"] == v["game"])
            .map(|g| g["fingerprint"].clone());
        assert_eq!(
            fingerprint.as_ref(),
            Some(&v["fingerprint"]),
            "{name}: fingerprint"
        );
        let mut s = Session::new(
            v["game"].as_str().expect("game"),
            js(&v["config"]),
            v["seats"].as_f64().expect("seats"),
            v["seed"].as_f64().expect("seed"),
        )
        .expect("setup");
        assert_eq!(
            Value::from(s.hash()),
            v["initial_hash"],
            "{name}: initial hash"
        );
        let steps = v["steps"].as_array().expect("steps");
        for (i, step) in steps.iter().enumerate() {
            if i == steps.len() / 2 {
                // Halfway, carry on from a snapshot instead: it must not make a difference.
                s = Session::restore(&s.snapshot()).expect("restore");
            }
            match step["op"].as_str() {
                Some("apply") => {
                    let seat = step["seat"].as_f64().expect("seat");
                    // Every other step through `tryApply`: null and `lastRefusal` instead of
                    // a thrown error, the same rules either way.
                    let result = if i % 2 == 0 {
                        s.apply(seat, js(&step["action"]))
                    } else {
                        match s.try_apply(seat, js(&step["action"])).expect("tryApply") {
                            events if events.is_null() => Err(s.last_refusal()),
                            events => {
                                assert!(s.last_refusal().is_null(), "{name} step {i}");
                                Ok(events)
                            }
                        }
                    };
                    match (&result, step["error"].as_str()) {
                        (Ok(_), None) => {}
                        (Err(e), Some(want)) => assert_eq!(code(e), want, "{name} step {i}"),
                        (Ok(_), Some(want)) => panic!("{name} step {i}: accepted, want {want}"),
                        (Err(e), None) => panic!("{name} step {i}: refused {}", code(e)),
                    }
                }
                Some("tick") => {
                    s.tick().expect("tick");
                }
                other => panic!("{name} step {i}: unknown op {other:?}"),
            }
            assert_eq!(Value::from(s.hash()), step["hash"], "{name} step {i}");
        }
        assert_eq!(back(&s.outcome()), v["outcome"], "{name}: outcome");
        steps.len()
    }

    #[wasm_bindgen_test]
    fn every_golden_vector_reproduces_step_by_step() {
        hearth_install();
        let mut steps = 0;
        for (name, text) in VECTORS {
            steps += play(name, &parse(text));
        }
        assert!(steps > 1000, "{steps} steps");
    }

    #[wasm_bindgen_test]
    fn bad_input_throws_errors_with_codes_and_changes_nothing() {
        hearth_install();
        let mut s = Session::new("connect-four", JsValue::NULL, 2.0, 7.0).expect("setup");
        let before = s.hash();
        let e = refused(s.apply(0.0, js(&serde_json::json!({"column": 9}))));
        assert_eq!(code(&e), "illegal_action");
        let e = refused(s.apply(1.0, js(&serde_json::json!({"column": 0}))));
        assert_eq!(code(&e), "not_your_turn");
        let e = refused(s.apply(0.5, js(&serde_json::json!({"column": 0}))));
        assert_eq!(code(&e), "no_such_seat");
        let e = refused(s.apply(0.0, js(&serde_json::json!({"row": "x"}))));
        assert_eq!(code(&e), "decode");
        assert_eq!(s.hash(), before);
        // The same through `tryApply`: null, and why in `lastRefusal`, never a throw.
        for (seat, action, want) in [
            (0.0, serde_json::json!({"column": 9}), "illegal_action"),
            (1.0, serde_json::json!({"column": 0}), "not_your_turn"),
            (0.5, serde_json::json!({"column": 0}), "no_such_seat"),
            (0.0, serde_json::json!({"row": "x"}), "decode"),
            (0.0, serde_json::json!(7), "decode"),
        ] {
            let got = s
                .try_apply(seat, js(&action))
                .expect("tryApply does not throw");
            assert!(got.is_null(), "{action}");
            assert_eq!(code(&s.last_refusal()), want, "{action}");
            let message = js_sys::Reflect::get(&s.last_refusal(), &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_default();
            assert!(!message.is_empty(), "{action}");
        }
        assert_eq!(s.hash(), before);
        let events = s
            .try_apply(0.0, js(&serde_json::json!({"column": 3})))
            .expect("tryApply");
        assert_eq!(
            back(&events),
            serde_json::json!([{"dropped": {"seat": 0, "column": 3, "row": 0}}])
        );
        assert!(s.last_refusal().is_null());
        let e = refused(Session::new("chess", JsValue::NULL, 2.0, 1.0));
        assert_eq!(code(&e), "unknown_game");
        let message: String = js_sys::Error::from(e).message().into();
        assert!(message.contains("connect-four"), "{message}");
        let e = refused(Session::new("connect-four", JsValue::NULL, 2.0, -1.0));
        assert_eq!(code(&e), "bad_request");
        let e = refused(Session::restore(&[1, 2, 3]));
        assert_eq!(code(&e), "snapshot");
    }

    /// Values longer than the codec's first guess of room (64 bytes) and strings outside
    /// ASCII cross into and out of the module's memory intact.
    #[wasm_bindgen_test]
    fn long_and_non_ascii_values_cross_the_boundary_intact() {
        hearth_install();
        let config = serde_json::json!({"max_clue_len": 40});
        let mut s = Session::new("chameleon", js(&config), 3.0, 5.0).expect("setup");
        // 400 bytes of action: decoded whole by the rules, then refused for its length.
        let long = "é".repeat(200);
        for seat in 0..3 {
            let e = refused(s.apply(f64::from(seat), js(&serde_json::json!({"clue": long}))));
            assert_ne!(code(&e), "decode", "seat {seat}");
        }
        // Outside ASCII: the rules read the very character that was sent.
        let e = refused(s.apply(0.0, js(&serde_json::json!({"clue": "Crème brûlée"}))));
        let message: String = js_sys::Error::from(e).message().into();
        assert!(message.contains("`è`"), "{message}");
        let clue = "sea breeze";
        let seat = (0..3)
            .find(|&seat| {
                s.apply(f64::from(seat), js(&serde_json::json!({"clue": clue})))
                    .is_ok()
            })
            .expect("someone's turn to give a clue");
        // A view of some hundred bytes, read out of the module's memory.
        let view = back(&s.view(Some(f64::from(seat))).expect("view"));
        assert_eq!(view["clues"][seat as usize], clue, "{view}");
        assert_eq!(view["words"].as_array().map(Vec::len), Some(16), "{view}");
    }

    /// The protocol's values the module builds as JS objects read exactly as their JSON does.
    #[wasm_bindgen_test]
    fn protocol_values_are_the_objects_their_json_parses_to() {
        use hearth_rules::protocol::{
            Member, PhaseName, RoomPhase, RoomState, RoomSummary, Standing, Started, Welcome,
            WireError,
        };
        use hearth_rules::{Outcome, Seat, SyncMode};
        use hearth_wasm::objects::{ToJs, started};
        hearth_install();
        fn same<T: serde::Serialize>(value: &T, js: JsValue) {
            let got: String = js_sys::JSON::stringify(&js).expect("stringify").into();
            let want = serde_json::to_string(value).expect("JSON");
            assert_eq!(got, want);
        }
        let outcome = Outcome {
            winners: vec![Seat(1)],
            scores: vec![-2, 5],
        };
        same(&outcome, outcome.to_js());
        let members = vec![
            Member {
                player: 7,
                name: "Ada".into(),
                seat: Some(0),
                ready: true,
                connected: true,
                bot: false,
            },
            Member {
                player: 9,
                name: "Bot \"1\" é".into(),
                seat: None,
                ready: false,
                connected: false,
                bot: true,
            },
        ];
        for phase in [
            RoomPhase::Lobby,
            RoomPhase::Playing,
            RoomPhase::Over {
                outcome: outcome.clone(),
                hash: "00ff00ff00ff00ff".into(),
            },
            RoomPhase::Aborted {
                error: WireError::new("room_failed", "the rules failed"),
            },
        ] {
            let state = RoomState {
                name: "Kitchen".into(),
                game: "connect-four".into(),
                host: 7,
                you: 9,
                max_seats: 2,
                public: true,
                has_password: false,
                members: members.clone(),
                phase,
            };
            same(&state, state.to_js());
        }
        for phase in [
            PhaseName::Lobby,
            PhaseName::Playing,
            PhaseName::Over,
            PhaseName::Aborted,
        ] {
            let rooms = vec![RoomSummary {
                name: "Porch".into(),
                game: "chameleon".into(),
                players: 3,
                max_seats: 8,
                spectators: 1,
                phase,
                has_password: true,
            }];
            same(&rooms, rooms.to_js());
        }
        let standings = vec![Standing {
            account: 3,
            name: "Bob".into(),
            wins: 2,
            losses: 1,
            draws: 0,
            rating: -15,
        }];
        same(&standings, standings.to_js());
        let catalog = hearth_wasm::games().expect("games");
        let welcome_games: Vec<hearth_rules::GameMeta> = back(&catalog)
            .as_array()
            .expect("games")
            .iter()
            .map(|g| hearth_rules::GameMeta {
                name: g["name"].as_str().unwrap_or_default().into(),
                version: g["version"].as_u64().unwrap_or(0) as u32,
                min_seats: g["min_seats"].as_u64().unwrap_or(0) as u8,
                max_seats: g["max_seats"].as_u64().unwrap_or(0) as u8,
                tick_rate: g["tick_rate"].as_u64().map(|t| t as u16),
                hidden_information: g["hidden_information"].as_bool().unwrap_or(false),
                description: g["description"].as_str().unwrap_or_default().into(),
                fingerprint: g["fingerprint"]
                    .as_str()
                    .unwrap_or_default()
                    .parse()
                    .expect("fingerprint"),
            })
            .collect();
        same(&welcome_games, catalog);
        let welcome = Welcome {
            player: 12,
            name: "Ada".into(),
            protocol: 1,
            server_version: "0.1.0".into(),
            games: welcome_games,
        };
        same(&welcome, welcome.to_js());
        for (sync, seat, seed, tick_rate, resume) in [
            (
                SyncMode::PerfectInformation,
                Some(0),
                Some(42),
                None,
                Some("tok".to_string()),
            ),
            (SyncMode::HiddenInformation, Some(2), None, None, None),
            (SyncMode::RealTime, None, None, Some(20), None),
        ] {
            let s = Started {
                game: "tanks".into(),
                sync,
                seats: 3,
                players: vec![7, 9, 11],
                seat,
                seed,
                config: serde_json::json!({"map": "open"}),
                tick_rate,
                resume,
            };
            same(&s, started(&s, js(&s.config)));
        }
    }

    #[wasm_bindgen_test]
    fn a_forecast_runs_the_own_tank_ahead_of_the_snapshot() {
        hearth_install();
        let mut host = Session::new("tanks", js(&serde_json::json!({"map": "open"})), 2.0, 5.0)
            .expect("setup");
        let input = js(&serde_json::json!({"turn": 1, "thrust": 1, "fire": false}));
        host.apply(0.0, input.clone()).expect("input");
        host.tick().expect("tick");
        let view = host.view(None).expect("view");
        let mut forecast = Session::predict(
            "tanks",
            js(&serde_json::json!({"map": "open"})),
            2.0,
            view,
            Some(1.0),
        )
        .expect("predict");
        assert_eq!(forecast.tick_count(), 1.0);
        for _ in 0..5 {
            host.tick().expect("tick");
            forecast.tick().expect("tick");
        }
        assert_eq!(
            back(&forecast.view(None).expect("view")),
            back(&host.view(None).expect("view"))
        );
        // A view of 16 tanks is far longer than the buffer the codec is first offered: it
        // crosses whole (the forecast starts from exactly it).
        let mut big = Session::new("tanks", JsValue::NULL, 16.0, 9.0).expect("setup");
        for _ in 0..3 {
            big.tick().expect("tick");
        }
        let view = big.view(None).expect("view");
        let forecast = Session::predict("tanks", JsValue::NULL, 16.0, view, Some(3.0))
            .expect("predict from a long view");
        assert_eq!(
            back(&forecast.view(None).expect("view")),
            back(&big.view(None).expect("view"))
        );
        let e = refused(Session::predict(
            "connect-four",
            JsValue::NULL,
            2.0,
            JsValue::NULL,
            None,
        ));
        assert!(matches!(code(&e).as_str(), "decode" | "no_prediction"));
    }
}
