//! [`GameUnderTest`] for the built-in games: their config ranges, their wild actions and how
//! long random play may take.

use hearth_games::chameleon::{Chameleon, ChameleonAction, ChameleonConfig, TOPICS};
use hearth_games::connect_four::{COLUMNS, ConnectFour, ConnectFourConfig, Move, ROWS};
use hearth_games::tanks::{MapId, TICK_RATE, TankInput, Tanks, TanksConfig};
use hearth_rules::Seat;
use proptest::prelude::*;

use crate::props::GameUnderTest;

impl GameUnderTest for ConnectFour {
    fn configs() -> BoxedStrategy<ConnectFourConfig> {
        prop::option::of(0u8..=1)
            .prop_map(|first_seat| ConnectFourConfig { first_seat })
            .boxed()
    }

    fn wild_actions() -> BoxedStrategy<Move> {
        prop_oneof![0u8..=8, any::<u8>()]
            .prop_map(|column| Move { column })
            .boxed()
    }

    fn step_bound(_: &ConnectFourConfig, _: u8) -> usize {
        COLUMNS * ROWS
    }
}

impl GameUnderTest for Chameleon {
    fn configs() -> BoxedStrategy<ChameleonConfig> {
        (1u8..=3, 3u8..=40, any::<bool>())
            .prop_map(
                |(rounds, max_clue_len, forbid_secret_in_clue)| ChameleonConfig {
                    rounds,
                    max_clue_len,
                    forbid_secret_in_clue,
                },
            )
            .boxed()
    }

    fn wild_actions() -> BoxedStrategy<ChameleonAction> {
        let any_word =
            (0..TOPICS.len(), 0usize..16).prop_map(|(t, w)| TOPICS[t].words[w].0.to_string());
        prop_oneof![
            "[ a-zA-Z0-9%!'-]{0,30}".prop_map(ChameleonAction::Clue),
            any_word.clone().prop_map(ChameleonAction::Clue),
            (0u8..10).prop_map(|s| ChameleonAction::Vote(Seat(s))),
            any_word.prop_map(ChameleonAction::Guess),
            "[a-z ]{0,12}".prop_map(ChameleonAction::Guess),
        ]
        .boxed()
    }

    fn step_bound(config: &ChameleonConfig, seats: u8) -> usize {
        usize::from(config.rounds) * (2 * usize::from(seats) + 1)
    }
}

impl GameUnderTest for Tanks {
    fn configs() -> BoxedStrategy<TanksConfig> {
        (
            prop_oneof![Just(MapId::Arena), Just(MapId::Open)],
            10u16..=12,
            0u16..=3,
        )
            .prop_map(|(map, duration_secs, score_limit)| TanksConfig {
                map,
                duration_secs,
                score_limit,
            })
            .boxed()
    }

    fn wild_actions() -> BoxedStrategy<TankInput> {
        (-2i8..=2, -2i8..=2, any::<bool>())
            .prop_map(|(turn, thrust, fire)| TankInput { turn, thrust, fire })
            .boxed()
    }

    fn step_bound(config: &TanksConfig, _: u8) -> usize {
        usize::from(config.duration_secs) * usize::from(TICK_RATE)
    }
}
