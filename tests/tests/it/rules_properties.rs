//! The rules invariants of ARCHITECTURE.md for every built-in game (issue: rules crate).
//! Case counts: `PROPTEST_CASES` overrides the defaults below.

use hearth_games::chameleon::Chameleon;
use hearth_games::connect_four::ConnectFour;
use hearth_games::tanks::Tanks;
use hearth_tests::props::*;

macro_rules! properties {
    ($module:ident, $game:ty, $cases:expr, $steps:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn replayed_hash_equals_live_hash_at_every_step() {
                check_replay::<$game>($cases, $steps);
            }

            #[test]
            fn snapshot_restore_continue_equals_an_uninterrupted_run() {
                check_snapshots::<$game>($cases, $steps);
            }

            #[test]
            fn json_and_postcard_round_trip_and_drive_the_same_result() {
                check_encodings::<$game>($cases, $steps);
            }

            #[test]
            fn same_seed_gives_the_same_game() {
                check_same_seed::<$game>($cases, $steps);
            }

            #[test]
            fn random_legal_play_reaches_an_outcome() {
                check_random_play_ends::<$game>($cases);
            }
        }
    };
}

properties!(connect_four, ConnectFour, 256, 60);
properties!(chameleon, Chameleon, 192, 120);
properties!(tanks, Tanks, 48, 240);

/// Inputs of one tick from different seats may arrive in any order (real-time games only).
#[test]
fn tanks_tick_ignores_the_arrival_order_of_inputs() {
    hearth_tests::realtime::check_arrival_order::<Tanks>(48, 240);
}

/// A client's forecast of the arena from any snapshot view, fed the inputs the host got,
/// stays exactly the host's state until a tank respawns (spawn points come from the host's
/// generator, which views do not carry).
#[test]
fn tanks_forecast_from_a_view_matches_the_host_until_a_respawn() {
    use hearth_games::tanks::TanksEvent;
    check_forecasts::<Tanks>(48, 240, |e| matches!(e, TanksEvent::Respawned { .. }));
}

/// Turn-based games cannot be forecast from a view, and say so.
#[test]
fn turn_based_games_refuse_to_predict_with_a_reason() {
    use hearth_rules::{Encoding, Payload, Viewer};
    let catalog = hearth_games::catalog();
    let defaults = Payload::Json(serde_json::Value::Null);
    for game in ["connect-four", "chameleon"] {
        let seats = catalog.get(game).expect("registered").min_seats;
        let session = catalog.create(game, &defaults, seats, 1).expect("setup");
        let view = session
            .view(Viewer::Spectator, Encoding::Json)
            .expect("view");
        let Err(err) = catalog.predict(game, &defaults, seats, 0, &view) else {
            panic!("{game} predicted from a view");
        };
        assert_eq!(err.code(), "no_prediction", "{game}");
        assert!(err.to_string().contains("cannot predict"), "{err}");
    }
    // A damaged view is refused as such, for a game that can predict.
    let damaged = Payload::Json(serde_json::json!({"tanks": 3}));
    let Err(err) = catalog.predict("tanks", &defaults, 2, 0, &damaged) else {
        panic!("a damaged view was predicted from");
    };
    assert_eq!(err.code(), "decode");
}
