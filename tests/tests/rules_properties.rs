//! The rules invariants of ARCHITECTURE.md for every built-in game (issue: rules crate).
//! Case counts: `PROPTEST_CASES` overrides the defaults below.

use hearth_rules::games::chameleon::Chameleon;
use hearth_rules::games::connect_four::ConnectFour;
use hearth_rules::games::tanks::Tanks;
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
