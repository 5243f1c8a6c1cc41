//! The type-erased catalog: bad input gets typed errors that say what was wrong, and changes
//! nothing.

use hearth_games::connect_four::ConnectFour;
use hearth_rules::{
    Catalog, Encoding, Game, GameInfo, Outcome, Payload, Rng, RuleError, Seat, Viewer,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

fn json(v: serde_json::Value) -> Payload {
    Payload::Json(v)
}

#[test]
fn lists_the_builtin_games_with_metadata_and_fingerprints() {
    let catalog = hearth_games::catalog();
    let names: Vec<_> = catalog.games().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["chameleon", "connect-four", "tanks"]);
    let c4 = catalog.get("connect-four").expect("registered");
    assert_eq!(
        (
            c4.min_seats,
            c4.max_seats,
            c4.tick_rate,
            c4.hidden_information
        ),
        (2, 2, None, false)
    );
    assert_eq!(c4.sync_mode(), hearth_rules::SyncMode::PerfectInformation);
    assert_eq!(
        catalog.get("chameleon").expect("registered").sync_mode(),
        hearth_rules::SyncMode::HiddenInformation
    );
    let tanks = catalog.get("tanks").expect("registered");
    assert_eq!((tanks.tick_rate, tanks.max_seats), (Some(20), 16));
    assert_eq!(tanks.sync_mode(), hearth_rules::SyncMode::RealTime);
    let fp = c4.fingerprint.to_string();
    assert!(
        fp.starts_with("connect-four@1#") && fp.len() == "connect-four@1#".len() + 16,
        "{fp}"
    );
    // Fingerprints are stable across catalogs and distinct across games.
    assert_eq!(
        hearth_games::catalog().fingerprints(),
        catalog.fingerprints()
    );
    let meta_json = serde_json::to_value(c4).expect("json");
    assert_eq!(meta_json["fingerprint"], json!(fp));
}

#[test]
fn unknown_game_names_the_games_there_are() {
    let err = hearth_games::catalog()
        .create("chess", &json(json!(null)), 2, 0)
        .expect_err("unknown");
    assert_eq!(err.code(), "unknown_game");
    assert_eq!(
        err.to_string(),
        "unknown game `chess`; the games here are: chameleon, connect-four, tanks"
    );
}

#[test]
fn malformed_configs_and_actions_are_refused_and_change_nothing() {
    let catalog = hearth_games::catalog();
    let err = catalog
        .create("connect-four", &json(json!({"first": 0})), 2, 0)
        .expect_err("unknown field");
    assert_eq!(err.code(), "decode");
    assert!(err.to_string().contains("unknown field `first`"), "{err}");
    let err = catalog
        .create("chameleon", &json(json!(null)), 9, 0)
        .expect_err("9 seats");
    assert_eq!(
        err,
        RuleError::SeatCount {
            game: "chameleon".into(),
            seats: 9,
            min: 3,
            max: 8
        }
    );
    let err = catalog
        .create("tanks", &json(json!({"duration_secs": 99999})), 2, 0)
        .expect_err("range");
    assert_eq!(err.code(), "decode", "{err}");

    let mut game = catalog
        .create("connect-four", &json(json!({"first_seat": 0})), 2, 1)
        .expect("create");
    let before = game.hash();
    for (action, code) in [
        (json(json!({"column": "three"})), "decode"),
        (json(json!({"col": 3})), "decode"),
        (Payload::Postcard(vec![]), "decode"),
        (Payload::Postcard(vec![3, 0]), "decode"),
        (
            Payload::Postcard(vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            "decode",
        ),
        (json(json!({"column": 9})), "illegal_action"),
    ] {
        let err = game.apply(Seat(0), &action).expect_err("bad action");
        assert_eq!(err.code(), code, "{action:?}: {err}");
        assert!(err.to_string().len() > 20, "{err}");
    }
    assert_eq!(
        game.apply(Seat(1), &json(json!({"column": 3})))
            .expect_err("turn")
            .code(),
        "not_your_turn"
    );
    assert_eq!(
        game.apply(Seat(5), &json(json!({"column": 3})))
            .expect_err("seat")
            .code(),
        "no_such_seat"
    );
    assert_eq!(
        game.view(Viewer::Seat(Seat(2)), Encoding::Json)
            .expect_err("seat")
            .code(),
        "no_such_seat"
    );
    assert_eq!(
        game.tick(Encoding::Json).expect_err("turn-based").code(),
        "not_real_time"
    );
    assert_eq!(game.hash(), before);
    assert_eq!(game.log_len(), 0);
    // A good action in postcard answers in postcard.
    let events = game
        .apply(Seat(0), &Payload::Postcard(vec![3]))
        .expect("ok");
    assert_eq!(events.encoding(), Encoding::Postcard);
}

#[test]
fn snapshots_of_other_games_or_garbage_are_refused() {
    let catalog = hearth_games::catalog();
    let c4 = catalog
        .create("connect-four", &json(json!(null)), 2, 1)
        .expect("create");
    let snap = c4.snapshot();
    assert_eq!(catalog.restore(&snap).expect("restore").hash(), c4.hash());
    for bad in [vec![], vec![1, 2, 3], snap[..snap.len() / 2].to_vec()] {
        assert_eq!(
            catalog.restore(&bad).expect_err("garbage").code(),
            "snapshot"
        );
    }
    let err = hearth_rules::Session::<hearth_games::tanks::Tanks>::restore(&snap)
        .expect_err("wrong game");
    assert!(
        err.to_string()
            .contains("holds connect-four version 1, not tanks"),
        "{err}"
    );
    let mut only_c4 = Catalog::new();
    only_c4.register::<ConnectFour>().expect("register");
    let chameleon = catalog
        .create("chameleon", &json(json!(null)), 3, 1)
        .expect("create");
    assert_eq!(
        only_c4
            .restore(&chameleon.snapshot())
            .expect_err("unknown")
            .code(),
        "unknown_game"
    );
}

#[test]
fn a_log_that_does_not_replay_is_refused_with_its_index() {
    let catalog = hearth_games::catalog();
    let mut game = catalog
        .create("connect-four", &json(json!({"first_seat": 0})), 2, 1)
        .expect("create");
    game.apply(Seat(0), &json(json!({"column": 3})))
        .expect("ok");
    game.apply(Seat(1), &json(json!({"column": 3})))
        .expect("ok");
    let header = game.header(Encoding::Json);
    let mut log = game.log(0, Encoding::Json);
    assert_eq!(
        catalog.replay(&header, &log).expect("replays").hash(),
        game.hash()
    );
    log.swap(0, 1);
    let err = catalog.replay(&header, &log).expect_err("out of order");
    assert_eq!(err.code(), "replay");
    log.swap(0, 1);
    log[1].seat = Seat(0);
    let err = catalog.replay(&header, &log).expect_err("wrong seat");
    assert_eq!(
        err.to_string(),
        "replay failed at log entry 1: it is not seat 0's turn; waiting for seat 1"
    );
}

/// A game whose state holds a float: registration must refuse it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Floaty {
    position: Vec<(u8, f32)>,
}

impl Game for Floaty {
    type Config = ();
    type Action = u8;
    type View = u8;
    type Event = u8;
    const INFO: GameInfo = GameInfo {
        name: "floaty",
        version: 1,
        min_seats: 1,
        max_seats: 2,
        tick_rate: None,
        hidden_information: false,
        description: "test only",
    };
    fn setup(_: &(), _: u8, _: &mut Rng) -> Result<Self, RuleError> {
        Ok(Floaty {
            position: Vec::new(),
        })
    }
    fn apply(&mut self, _: Seat, _: &u8, _: &mut Rng, _: &mut Vec<u8>) -> Result<(), RuleError> {
        Ok(())
    }
    fn legal_actions(&self, _: Seat) -> Vec<u8> {
        vec![0]
    }
    fn view(&self, _: Viewer) -> u8 {
        0
    }
    fn is_over(&self) -> bool {
        false
    }
    fn outcome(&self) -> Option<Outcome> {
        None
    }
}

#[test]
fn games_with_floats_in_their_state_or_duplicate_names_are_refused() {
    let mut catalog = Catalog::new();
    let err = catalog.register::<Floaty>().expect_err("float state");
    assert!(
        err.to_string()
            .contains("holds a float (Floaty.position: f32)"),
        "{err}"
    );
    catalog.register::<ConnectFour>().expect("first");
    assert_eq!(
        catalog.register::<ConnectFour>().expect_err("twice").code(),
        "duplicate_game"
    );
}

#[test]
fn an_edited_snapshot_is_refused() {
    use hearth_games::connect_four::{ConnectFourConfig, Move};
    use hearth_rules::Session;
    let mut s = Session::<ConnectFour>::new(
        ConnectFourConfig {
            first_seat: Some(0),
        },
        2,
        4,
    )
    .expect("setup");
    s.apply(Seat(0), Move { column: 2 }).expect("legal");
    let bytes = s.snapshot();
    // The last byte is the log entry's action (column 2); the stored state says otherwise.
    let mut edited = bytes.clone();
    let last = edited.len() - 1;
    edited[last] = 5;
    let err = Session::<ConnectFour>::restore(&edited).expect_err("edited");
    assert!(err.to_string().contains("damaged or was edited"), "{err}");
    assert_eq!(
        Session::<ConnectFour>::restore(&bytes)
            .expect("intact")
            .hash(),
        s.hash()
    );
}

/// A build without the type tracer takes fingerprints computed natively; they must name the
/// game and version they are registered for, and give the same catalog as tracing does.
#[test]
fn fingerprints_computed_elsewhere_register_the_same_catalog() {
    let traced = hearth_games::catalog();
    let given =
        Catalog::of_fingerprinted(hearth_games::games, &traced.fingerprints()).expect("registers");
    assert_eq!(given.fingerprints(), traced.fingerprints());
    let mut other = Catalog::new();
    let tanks = traced.get("tanks").expect("registered").fingerprint.clone();
    let err = other
        .register_fingerprinted::<ConnectFour>(tanks)
        .expect_err("another game's fingerprint");
    assert_eq!(err.code(), "invalid_game");
    assert!(err.to_string().contains("tanks@1"), "{err}");
    let missing = Catalog::of_fingerprinted(hearth_games::games, &traced.fingerprints()[..2])
        .err()
        .map(|e| e.to_string());
    assert!(
        missing
            .as_deref()
            .is_some_and(|m| m.contains("no fingerprint")),
        "{missing:?}"
    );
}

#[test]
fn views_for_a_table_are_encoded_once_per_distinct_view() {
    let catalog = hearth_games::catalog();
    // Tanks: every seat and spectator sees the same arena, so one encoding serves the table.
    let tanks = catalog
        .create("tanks", &json(json!(null)), 4, 7)
        .expect("tanks");
    let table = [
        Viewer::Seat(Seat(0)),
        Viewer::Seat(Seat(1)),
        Viewer::Spectator,
        Viewer::Seat(Seat(3)),
        Viewer::Seat(Seat(2)),
    ];
    for enc in [Encoding::Postcard, Encoding::Json] {
        let views = tanks.views(&table, enc).expect("views");
        assert_eq!(views.distinct.len(), 1);
        assert_eq!(views.of, [0, 0, 0, 0, 0]);
        assert_eq!(
            views.distinct[0],
            tanks.view(Viewer::Seat(Seat(2)), enc).expect("view")
        );
    }
    // Chameleon hides things: each viewer gets exactly its own view, equal ones shared.
    let chameleon = catalog
        .create("chameleon", &json(json!(null)), 4, 11)
        .expect("chameleon");
    let table = [
        Viewer::Seat(Seat(0)),
        Viewer::Seat(Seat(1)),
        Viewer::Seat(Seat(2)),
        Viewer::Seat(Seat(3)),
        Viewer::Spectator,
        Viewer::Spectator,
    ];
    let views = chameleon.views(&table, Encoding::Postcard).expect("views");
    for (viewer, i) in table.iter().zip(&views.of) {
        assert_eq!(
            views.distinct[*i],
            chameleon.view(*viewer, Encoding::Postcard).expect("view"),
            "{viewer:?}"
        );
    }
    assert_eq!(views.of[4], views.of[5], "spectators share one view");
    let mut seen = views.of.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), views.distinct.len(), "no view is encoded twice");
    // A seat the table does not have is refused, as `view` refuses it.
    let err = tanks
        .views(
            &[Viewer::Seat(Seat(0)), Viewer::Seat(Seat(9))],
            Encoding::Postcard,
        )
        .expect_err("no seat 9");
    assert_eq!(
        err,
        tanks
            .view(Viewer::Seat(Seat(9)), Encoding::Postcard)
            .expect_err("no seat 9")
    );
}
