//! The canary against hidden nondeterminism: the built-in games end identically in processes
//! with different hashing seeds, and a game whose state follows hash-set order is caught.

use std::collections::HashSet;

use hearth_games::chameleon::Chameleon;
use hearth_games::connect_four::ConnectFour;
use hearth_games::tanks::Tanks;
use hearth_rules::{Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};
use hearth_tests::canary::{check_in_processes, digests_in_processes};
use hearth_tests::props::GameUnderTest;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[test]
fn connect_four_ends_identically_with_other_hash_seeds() {
    check_in_processes::<ConnectFour>(
        "canary::connect_four_ends_identically_with_other_hash_seeds",
        256,
        60,
    );
}

#[test]
fn chameleon_ends_identically_with_other_hash_seeds() {
    check_in_processes::<Chameleon>(
        "canary::chameleon_ends_identically_with_other_hash_seeds",
        256,
        80,
    );
}

#[test]
fn tanks_ends_identically_with_other_hash_seeds() {
    check_in_processes::<Tanks>(
        "canary::tanks_ends_identically_with_other_hash_seeds",
        32,
        400,
    );
}

/// A broken game: the turn order is whatever order a `HashSet` iterates in.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct HashOrder {
    order: Vec<u8>,
    next: usize,
    moves: u8,
}

impl Game for HashOrder {
    type Config = ();
    type Action = u8;
    type View = Vec<u8>;
    type Event = u8;

    const INFO: GameInfo = GameInfo {
        name: "hash-order",
        version: 1,
        min_seats: 2,
        max_seats: 8,
        tick_rate: None,
        hidden_information: false,
        description: "A deliberately broken game for the canary's self-check.",
    };

    fn setup(_: &(), seats: u8, _: &mut Rng) -> Result<Self, RuleError> {
        let set: HashSet<u8> = (0..seats).collect();
        Ok(HashOrder {
            order: set.into_iter().collect(),
            next: 0,
            moves: 0,
        })
    }

    fn apply(&mut self, seat: Seat, _: &u8, _: &mut Rng, _: &mut Vec<u8>) -> Result<(), RuleError> {
        if self.order[self.next] != seat.0 {
            return Err(RuleError::NotYourTurn {
                seat: seat.0,
                waiting_for: self.order[self.next],
            });
        }
        self.next = (self.next + 1) % self.order.len();
        self.moves += 1;
        Ok(())
    }

    fn legal_actions(&self, seat: Seat) -> Vec<u8> {
        if self.order[self.next] == seat.0 && !self.is_over() {
            vec![0]
        } else {
            Vec::new()
        }
    }

    fn view(&self, _: Viewer) -> Vec<u8> {
        self.order.clone()
    }

    fn is_over(&self) -> bool {
        self.moves >= 10
    }

    fn outcome(&self) -> Option<Outcome> {
        self.is_over().then(|| Outcome {
            winners: Vec::new(),
            scores: vec![0; self.order.len()],
        })
    }
}

impl GameUnderTest for HashOrder {
    fn configs() -> BoxedStrategy<()> {
        Just(()).boxed()
    }

    fn wild_actions() -> BoxedStrategy<u8> {
        any::<u8>().boxed()
    }

    fn step_bound(_: &(), _: u8) -> usize {
        10
    }
}

#[test]
fn the_canary_catches_state_that_follows_hash_order() {
    let Some(digests) = digests_in_processes::<HashOrder>(
        "canary::the_canary_catches_state_that_follows_hash_order",
        32,
        20,
    ) else {
        return;
    };
    assert!(
        digests.windows(2).any(|w| w[0] != w[1]),
        "three processes agreed on a game whose turn order is hash-set order: {digests:016x?}"
    );
}
