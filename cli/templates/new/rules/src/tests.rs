//! The game's checks, run by `cargo test`:
//! - Hearth's property checks (`check_game`): replay equals live, refused actions change
//!   nothing, snapshots, both encodings, seeds, random play ends;
//! - the cross-mode check: generated games played offline, on a LAN host found over mDNS, on
//!   the official server with accounts, and replayed from the server's record, all compared
//!   (inside a network namespace of its own: needs `unshare`, root or user namespaces);
//! - the golden vectors in `rules/vectors/`, which the Wasm module and the C library replay
//!   too (written on the first run; delete them after a deliberate rules change, and bump
//!   `GameInfo::version`);
//! - a few scripted situations of this game.
//!
//! `PROPTEST_CASES` sets how many generated games each check plays.

use hearth_rules::{Catalog, Seat, Session};
use hearth_tests::props::GameUnderTest;
use proptest::prelude::{BoxedStrategy, Just, Strategy, prop_oneof};

use super::*;

impl GameUnderTest for __Type__ {
    fn configs() -> BoxedStrategy<__Type__Config> {
        // Low targets keep the generated games short.
        (10u16..=30).prop_map(|target| __Type__Config { target }).boxed()
    }

    fn wild_actions() -> BoxedStrategy<__Type__Action> {
        prop_oneof![Just(__Type__Action::Roll), Just(__Type__Action::Hold)].boxed()
    }

    fn step_bound(config: &__Type__Config, seats: u8) -> usize {
        // Random play banks a few points every couple of rolls; this is far beyond it.
        usize::from(config.target) * usize::from(seats) * 40
    }
}

#[test]
fn the_game_keeps_every_invariant() {
    hearth_tests::props::check_game::<__Type__>();
}

#[test]
fn the_game_ends_identically_in_every_mode() {
    use hearth_tests::crossmode::{Modes, check_cross_mode};
    // Re-runs this test under `unshare -n`: mDNS never leaves the machine.
    if !hearth_tests::netns::in_network_namespace(
        "tests::the_game_ends_identically_in_every_mode",
    ) {
        return;
    }
    let catalog = Catalog::of(games).expect("the catalog builds");
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let modes = rt.block_on(Modes::start(catalog)).expect("the hosts start");
    check_cross_mode::<__Type__>(&rt, &modes, 12, 60);
    println!("{}", modes.report());
}

#[test]
fn the_golden_vectors_replay() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let report =
        hearth_tests::vectors::project_vectors(games, &dir).unwrap_or_else(|e| panic!("{e}"));
    println!("{report}");
}

fn session(target: u16, seats: u8, seed: u64) -> Session<__Type__> {
    Session::new(__Type__Config { target }, seats, seed).expect("setup")
}

#[test]
fn holding_banks_the_turn_and_passes_the_die() {
    let mut s = session(30, 2, 1);
    assert_eq!(
        s.legal_actions(Seat(0)).expect("legal"),
        vec![__Type__Action::Roll]
    );
    assert!(s.apply(Seat(1), __Type__Action::Roll).is_err(), "not seat 1's turn");
    // Roll until a face other than 1 (a 1 passes the turn).
    while s.view(Viewer::Seat(Seat(0))).expect("view").to_move == Some(Seat(0))
        && s.view(Viewer::Seat(Seat(0))).expect("view").turn_total == 0
    {
        s.apply(Seat(0), __Type__Action::Roll).expect("roll");
    }
    let view = s.view(Viewer::Spectator).expect("view");
    if view.to_move == Some(Seat(0)) {
        let total = view.turn_total;
        s.apply(Seat(0), __Type__Action::Hold).expect("hold");
        let view = s.view(Viewer::Spectator).expect("view");
        assert_eq!(view.scores[0], total);
        assert_eq!(view.to_move, Some(Seat(1)));
        assert_eq!(view.turn_total, 0);
    }
}

#[test]
fn holding_nothing_and_bad_configs_are_refused() {
    let mut s = session(30, 2, 3);
    let before = s.hash();
    let e = s.apply(Seat(0), __Type__Action::Hold).expect_err("nothing to bank");
    assert_eq!(e.code(), "illegal_action");
    assert_eq!(s.hash(), before, "a refusal changes nothing");
    assert!(Session::<__Type__>::new(__Type__Config { target: 5 }, 2, 1).is_err());
}

#[test]
fn bots_play_to_a_winner() {
    for seats in 2..=4 {
        let mut s = session(30, seats, u64::from(seats));
        while !s.is_over() {
            let seat = s.view(Viewer::Spectator).expect("view").to_move.expect("someone moves");
            let action = s.bot_action(seat, 1).expect("bot").expect("the bot moves");
            s.apply(seat, action).expect("the bot plays legally");
        }
        let outcome = s.outcome().expect("an outcome");
        assert_eq!(outcome.winners.len(), 1);
        assert!(outcome.scores[outcome.winners[0].index()] >= 30);
    }
}
