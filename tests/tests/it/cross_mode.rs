//! The headline claim, checked: generated games end identically offline, on a LAN host found
//! over mDNS, on the official server (device-login accounts + SQLite) and as a replay of the
//! server's record — turn-based games move by move, the real-time game tick by tick with
//! late, early, missing and refused inputs. Runs inside its own network namespace.
//! `PROPTEST_CASES` sets the games per game type.

use hearth_games::chameleon::Chameleon;
use hearth_games::connect_four::ConnectFour;
use hearth_games::tanks::Tanks;
use hearth_rules::{Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};
use hearth_tests::crossmode::{Modes, check_cross_mode};
use hearth_tests::netns::in_network_namespace;
use hearth_tests::props::GameUnderTest;
use hearth_tests::realtime::check_cross_mode_real_time;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Real-time games run 200+ ticks each in lockstep with the hosts.
const TANKS_GAMES: u32 = 50;

#[test]
fn generated_games_end_identically_in_every_mode() {
    if !in_network_namespace("cross_mode::generated_games_end_identically_in_every_mode") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let modes = rt.block_on(Modes::start(hearth_games::catalog())).unwrap();
    check_cross_mode::<ConnectFour>(&rt, &modes, 150, 60);
    check_cross_mode::<Chameleon>(&rt, &modes, 100, 80);
    check_cross_mode_real_time::<Tanks>(&rt, &modes, TANKS_GAMES, 240);
    eprintln!("cross-mode throughput:\n{}", modes.report());
    rt.block_on(modes.stop());
}

/// A game that is not in the catalog: take 1–3 stones, taking the last one wins.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Nim {
    stones: u8,
    to_move: Seat,
    winner: Option<Seat>,
}

impl Game for Nim {
    type Config = ();
    type Action = u8;
    type View = (u8, Seat, Option<Seat>);
    type Event = u8;

    const INFO: GameInfo = GameInfo {
        name: "nim",
        version: 1,
        min_seats: 2,
        max_seats: 2,
        tick_rate: None,
        hidden_information: false,
        description: "Take one to three stones; whoever takes the last wins.",
    };

    fn setup(_: &(), _: u8, rng: &mut Rng) -> Result<Self, RuleError> {
        Ok(Nim {
            stones: 10 + rng.below(10) as u8,
            to_move: Seat(0),
            winner: None,
        })
    }

    fn apply(
        &mut self,
        seat: Seat,
        take: &u8,
        _: &mut Rng,
        events: &mut Vec<u8>,
    ) -> Result<(), RuleError> {
        if seat != self.to_move {
            return Err(RuleError::NotYourTurn {
                seat: seat.0,
                waiting_for: self.to_move.0,
            });
        }
        if !(1..=3).contains(take) || *take > self.stones {
            return Err(RuleError::illegal(format!(
                "take 1 to 3 of the {} stones left",
                self.stones
            )));
        }
        self.stones -= take;
        events.push(*take);
        if self.stones == 0 {
            self.winner = Some(seat);
        }
        self.to_move = Seat(1 - seat.0);
        Ok(())
    }

    fn legal_actions(&self, seat: Seat) -> Vec<u8> {
        if seat != self.to_move || self.winner.is_some() {
            return Vec::new();
        }
        (1..=3.min(self.stones)).collect()
    }

    fn view(&self, _: Viewer) -> Self::View {
        (self.stones, self.to_move, self.winner)
    }

    fn is_over(&self) -> bool {
        self.winner.is_some()
    }

    fn outcome(&self) -> Option<Outcome> {
        let w = self.winner?;
        Some(Outcome {
            winners: vec![w],
            scores: vec![i32::from(w.0 == 0), i32::from(w.0 == 1)],
        })
    }
}

impl GameUnderTest for Nim {
    fn configs() -> BoxedStrategy<()> {
        Just(()).boxed()
    }

    fn wild_actions() -> BoxedStrategy<u8> {
        any::<u8>().boxed()
    }

    fn step_bound(_: &(), _: u8) -> usize {
        20
    }
}

/// What a game developer writes for their own game: register it, start the modes, check.
#[test]
fn a_game_from_outside_the_catalog_goes_through_the_same_check() {
    if !in_network_namespace(
        "cross_mode::a_game_from_outside_the_catalog_goes_through_the_same_check",
    ) {
        return;
    }
    let mut catalog = hearth_games::catalog();
    catalog.register::<Nim>().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let modes = rt.block_on(Modes::start(catalog)).unwrap();
    check_cross_mode::<Nim>(&rt, &modes, 40, 30);
    rt.block_on(modes.stop());
}
