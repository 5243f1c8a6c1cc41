//! The game's checks, run by `cargo test`:
//! - Hearth's property checks (`check_game`): replay equals live, refused actions change
//!   nothing, snapshots, both encodings, seeds, random play ends;
//! - the cross-mode check: generated games played offline, on a LAN host found over mDNS, on
//!   the official server with accounts, and replayed from the server's record, all compared
//!   (inside a network namespace of its own: needs `unshare`, root or user namespaces);
//! - the golden vectors in `rules/vectors/`, which the Wasm module and the C library replay
//!   too (written on the first run; delete them after a deliberate rules change, and bump
//!   `GameInfo::version`);
//! - scripted situations: challenges both ways, elimination, wild ones, secret views.
//!
//! `PROPTEST_CASES` sets how many generated games each check plays.

use hearth_rules::{Catalog, Session};
use hearth_tests::props::GameUnderTest;
use proptest::prelude::{BoxedStrategy, Just, Strategy, any, prop_oneof};

use super::LiarsDiceAction::{Bid, Challenge};
use super::*;

impl GameUnderTest for LiarsDice {
    fn configs() -> BoxedStrategy<LiarsDiceConfig> {
        // Few dice keep the generated games short.
        (1u8..=3, any::<bool>())
            .prop_map(|(dice_per_player, ones_wild)| LiarsDiceConfig {
                dice_per_player,
                ones_wild,
            })
            .boxed()
    }

    fn wild_actions() -> BoxedStrategy<LiarsDiceAction> {
        prop_oneof![
            (0u8..=20, 0u8..=8).prop_map(|(count, face)| LiarsDiceAction::Bid { count, face }),
            (any::<u8>(), any::<u8>())
                .prop_map(|(count, face)| LiarsDiceAction::Bid { count, face }),
            Just(LiarsDiceAction::Challenge),
        ]
        .boxed()
    }

    fn step_bound(config: &LiarsDiceConfig, seats: u8) -> usize {
        // Each round removes one die, so there are fewer rounds than dice; a round's
        // bids strictly rise through at most 6 × dice values before a challenge.
        let dice = usize::from(seats) * usize::from(config.dice_per_player);
        dice * (6 * dice + 1)
    }
}

#[test]
fn the_game_keeps_every_invariant() {
    hearth_tests::props::check_game::<LiarsDice>();
}

#[test]
fn the_game_ends_identically_in_every_mode() {
    use hearth_tests::crossmode::{Modes, check_cross_mode};
    // Re-runs this test under `unshare -n`: mDNS never leaves the machine.
    if !hearth_tests::netns::in_network_namespace("tests::the_game_ends_identically_in_every_mode")
    {
        return;
    }
    let catalog = Catalog::of(games).expect("the catalog builds");
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let modes = rt.block_on(Modes::start(catalog)).expect("the hosts start");
    check_cross_mode::<LiarsDice>(&rt, &modes, 12, 60);
    println!("{}", modes.report());
}

#[test]
fn the_golden_vectors_replay() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let report =
        hearth_tests::vectors::project_vectors(games, &dir).unwrap_or_else(|e| panic!("{e}"));
    println!("{report}");
}

fn config(dice_per_player: u8, ones_wild: bool) -> LiarsDiceConfig {
    LiarsDiceConfig {
        dice_per_player,
        ones_wild,
    }
}

fn session(config: LiarsDiceConfig, seats: u8, seed: u64) -> Session<LiarsDice> {
    Session::new(config, seats, seed).expect("setup")
}

/// Plays bots for the seat to move until the game ends, calling `each` before every
/// move and once at the end. Fails if it takes longer than the proven bound.
fn play_bots(
    config: LiarsDiceConfig,
    seats: u8,
    seed: u64,
    level: u8,
    mut each: impl FnMut(&Session<LiarsDice>),
) -> Session<LiarsDice> {
    let dice = usize::from(seats) * usize::from(config.dice_per_player);
    let bound = dice * (6 * dice + 1);
    let mut s = session(config, seats, seed);
    let mut steps = 0;
    while !s.is_over() {
        assert!(steps < bound, "no end after {steps} moves (seed {seed})");
        each(&s);
        let seat = s.state().to_move().expect("a seat is to move");
        let action = s
            .bot_action(seat, level)
            .expect("a seat at the table")
            .expect("the seat to move can act");
        if let Err(e) = s.apply(seat, action) {
            panic!("bot action {action:?} of seat {seat} was refused: {e}");
        }
        steps += 1;
    }
    each(&s);
    s
}

/// Every view is unchanged when every hand but the viewer's own is replaced: no view
/// depends on (let alone shows) another seat's current dice.
fn assert_views_keep_secrets(game: &LiarsDice) {
    let viewers = (0..game.seats)
        .map(|s| Viewer::Seat(Seat(s)))
        .chain([Viewer::Spectator]);
    for viewer in viewers {
        let view = game.view(viewer);
        let mut disguised = game.clone();
        for (i, hand) in disguised.hands.iter_mut().enumerate() {
            if viewer.seat().map(Seat::index) != Some(i) {
                let other: Vec<u8> = hand.iter().map(|&d| d % FACES + 1).collect();
                *hand = other;
            }
        }
        let json = serde_json::to_string(&view).expect("json");
        let disguised_json = serde_json::to_string(&disguised.view(viewer)).expect("json");
        assert_eq!(disguised_json, json, "{viewer:?} sees another seat's dice");
        let own = viewer.seat().map(|s| game.hands[s.index()].clone());
        assert_eq!(view.your_dice, own, "{viewer:?} sees its own dice");
    }
}

/// Every legal action of the seat to move is accepted; no other seat has any.
fn assert_legal_actions_apply(s: &Session<LiarsDice>) {
    for seat in (0..s.seats()).map(Seat) {
        let legal = s.legal_actions(seat).expect("seat");
        if Some(seat) != s.state().to_move() {
            assert!(legal.is_empty(), "seat {seat} may act out of turn");
            continue;
        }
        assert!(!legal.is_empty(), "seat {seat} is to move but cannot act");
        for action in legal {
            let mut copy = s.clone();
            if let Err(e) = copy.apply(seat, action) {
                panic!("legal {action:?} of seat {seat} was refused: {e}");
            }
        }
    }
}

/// Invalid actions from every seat are refused with a reason and change nothing.
fn assert_refusals_change_nothing(s: &Session<LiarsDice>) {
    let mut copy = s.clone();
    let hash = copy.hash();
    let invalid = [
        Bid { count: 0, face: 3 },
        Bid { count: 1, face: 0 },
        Bid { count: 1, face: 7 },
        Bid { count: 31, face: 2 },
    ];
    for seat in (0..copy.seats()).map(Seat) {
        let out_of_turn = Some(seat) != copy.state().to_move();
        for action in invalid.into_iter().chain(out_of_turn.then_some(Challenge)) {
            let e = copy.apply(seat, action).expect_err("invalid action");
            assert!(e.to_string().len() > 10, "a reason is given: {e}");
            assert_eq!(copy.hash(), hash, "refused {action:?} changed the state");
        }
    }
    assert_eq!(copy.log().len(), s.log().len());
}

#[test]
fn a_scripted_game_resolves_challenges_both_ways_and_ends() {
    let mut s = session(config(2, false), 2, 7);
    assert_eq!(s.state().to_move(), Some(Seat(0)));
    assert_eq!(s.state().round(), 1);
    assert_eq!(s.state().hands[0].len(), 2);

    // Refusals first: each says why and changes nothing.
    let before = s.hash();
    let e = s
        .apply(Seat(1), Bid { count: 1, face: 2 })
        .expect_err("seat 0 opens");
    assert_eq!(e.code(), "not_your_turn");
    let e = s.apply(Seat(0), Challenge).expect_err("no bid yet");
    assert_eq!(e.code(), "illegal_action");
    for (count, face) in [(0, 3), (1, 0), (1, 7), (5, 3)] {
        let e = s
            .apply(Seat(0), Bid { count, face })
            .expect_err("invalid bid");
        assert_eq!(e.code(), "illegal_action");
    }
    assert_eq!(s.hash(), before);
    assert!(s.log().is_empty());

    // A true bid: seat 0 claims one die it holds itself, so the challenger loses.
    let face = s.state().hands[0][0];
    let events = s
        .apply(Seat(0), Bid { count: 1, face })
        .expect("bid")
        .to_vec();
    assert_eq!(
        events,
        vec![LiarsDiceEvent::Bid {
            seat: Seat(0),
            count: 1,
            face
        }]
    );
    assert_eq!(s.state().to_move(), Some(Seat(1)));
    let e = s
        .apply(Seat(1), Bid { count: 1, face })
        .expect_err("an equal bid does not beat it");
    assert_eq!(e.code(), "illegal_action");
    let hands = s.state().hands.clone();
    let found = hands.iter().flatten().filter(|&&d| d == face).count() as u8;
    let events = s.apply(Seat(1), Challenge).expect("challenge").to_vec();
    assert_eq!(events.len(), 2, "{events:?}");
    let LiarsDiceEvent::Challenged(result) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        *result,
        ChallengeResult {
            round: 1,
            by: Seat(1),
            bidder: Seat(0),
            count: 1,
            face,
            count_found: found,
            loser: Seat(1),
            hands,
        }
    );
    assert_eq!(
        events[1],
        LiarsDiceEvent::NewRound {
            round: 2,
            first: Seat(1)
        }
    );
    assert_eq!(s.state().dice_counts(), &[2u8, 1]);
    assert_eq!(s.state().hands[0].len(), 2);
    assert_eq!(s.state().hands[1].len(), 1);
    assert_eq!(s.state().current_bid(), None);
    assert_eq!(
        s.view(Viewer::Spectator)
            .expect("view")
            .last_challenge
            .as_ref(),
        Some(result)
    );

    // A false bid: all three dice on a face fewer than three show, so the bidder loses
    // its last die and the game ends.
    let hands = s.state().hands.clone();
    let showing = |f: u8| hands.iter().flatten().filter(|&&d| d == f).count();
    let face = (1..=FACES)
        .find(|&f| showing(f) < 3)
        .expect("three dice cannot all show every face");
    s.apply(Seat(1), Bid { count: 3, face }).expect("bid");
    let events = s.apply(Seat(0), Challenge).expect("challenge").to_vec();
    match events.as_slice() {
        [
            LiarsDiceEvent::Challenged(r),
            LiarsDiceEvent::Eliminated { seat: Seat(1) },
            LiarsDiceEvent::Won { seat: Seat(0) },
        ] => {
            assert_eq!((r.by, r.bidder, r.loser), (Seat(0), Seat(1), Seat(1)));
            assert_eq!(usize::from(r.count_found), showing(face));
        }
        other => panic!("unexpected events {other:?}"),
    }
    assert!(s.is_over());
    assert_eq!(
        s.outcome(),
        Some(Outcome {
            winners: vec![Seat(0)],
            scores: vec![2, 0]
        })
    );
    assert_eq!(
        s.view(Viewer::Seat(Seat(1))).expect("view").winner,
        Some(Seat(0))
    );
    let e = s
        .apply(Seat(0), Bid { count: 1, face: 2 })
        .expect_err("over");
    assert_eq!(e.code(), "game_over");
    assert!(s.legal_actions(Seat(0)).expect("seat").is_empty());

    let replayed = Session::<LiarsDice>::replay(s.header().clone(), s.log()).expect("replay");
    assert_eq!(replayed.hash(), s.hash());
}

#[test]
fn an_eliminated_seat_is_skipped_and_cannot_act() {
    let mut s = session(config(1, true), 3, 11);
    let face = s.state().hands[0][0];
    s.apply(Seat(0), Bid { count: 1, face }).expect("true bid");
    let events = s.apply(Seat(1), Challenge).expect("challenge").to_vec();
    assert_eq!(
        events[1..].to_vec(),
        vec![
            LiarsDiceEvent::Eliminated { seat: Seat(1) },
            LiarsDiceEvent::NewRound {
                round: 2,
                first: Seat(2)
            },
        ]
    );
    assert_eq!(s.state().to_move(), Some(Seat(2)));
    assert!(s.legal_actions(Seat(1)).expect("seat").is_empty());
    assert_eq!(
        s.view(Viewer::Seat(Seat(1))).expect("view").your_dice,
        Some(Vec::new())
    );
    let before = s.hash();
    let e = s
        .apply(Seat(1), Bid { count: 1, face: 2 })
        .expect_err("seat 1 is out");
    assert_eq!(e.code(), "illegal_action");
    assert_eq!(s.hash(), before);
    // The turn passes from seat 2 to seat 0, over the empty seat.
    s.apply(Seat(2), Bid { count: 1, face: 2 }).expect("bid");
    assert_eq!(s.state().to_move(), Some(Seat(0)));
}

#[test]
fn ones_are_wild_only_when_configured_and_never_for_a_bid_on_ones() {
    let mut g =
        LiarsDice::setup(&LiarsDiceConfig::default(), 2, &mut Rng::from_seed(1)).expect("setup");
    g.hands = vec![vec![1, 1, 3, 5, 6], vec![1, 2, 3, 3, 4]];
    assert_eq!(g.count_showing(3), 6);
    assert_eq!(g.count_showing(1), 3);
    g.config.ones_wild = false;
    assert_eq!(g.count_showing(3), 3);
    assert_eq!(g.count_showing(1), 3);
}

#[test]
fn legal_actions_are_capped_and_ordered() {
    let mut g = LiarsDice::setup(&config(1, true), 2, &mut Rng::from_seed(3)).expect("setup");
    // Two dice on the table: opening bids are 1 or 2 of any face.
    let opening = g.legal_actions(Seat(0));
    assert_eq!(opening.len(), 12);
    assert_eq!(opening[0], Bid { count: 1, face: 1 });
    assert_eq!(opening[11], Bid { count: 2, face: 6 });
    assert!(g.legal_actions(Seat(1)).is_empty());
    // At the highest possible bid only a challenge is left.
    g.bid = Some(CurrentBid {
        bidder: Seat(1),
        count: 2,
        face: 6,
    });
    assert_eq!(g.legal_actions(Seat(0)), vec![Challenge]);
}

#[test]
fn the_bot_challenges_unlikely_bids_and_raises_likely_ones() {
    let mut g =
        LiarsDice::setup(&LiarsDiceConfig::default(), 2, &mut Rng::from_seed(5)).expect("setup");
    g.hands = vec![vec![2, 2, 4, 5, 6], vec![3, 3, 3, 3, 3]];
    // Seat 0 holds two 2s and no 1s: it expects 2 + 5/3 ≈ 4 twos, 2 threes, 1 one.
    assert_eq!(g.heuristic(Seat(0)), Bid { count: 2, face: 2 });
    g.bid = Some(CurrentBid {
        bidder: Seat(1),
        count: 9,
        face: 3,
    });
    assert_eq!(g.heuristic(Seat(0)), Challenge);
    g.bid = Some(CurrentBid {
        bidder: Seat(1),
        count: 2,
        face: 3,
    });
    assert_eq!(g.heuristic(Seat(0)), Bid { count: 3, face: 2 });
}

#[test]
fn bots_play_every_table_size_to_the_end() {
    for seats in 2..=6u8 {
        for seed in 0..4u64 {
            for level in [0u8, 2] {
                let s = play_bots(LiarsDiceConfig::default(), seats, seed, level, |s| {
                    if seed == 0 {
                        assert_legal_actions_apply(s);
                        assert_refusals_change_nothing(s);
                    }
                });
                let outcome = s.outcome().expect("the game is over");
                assert_eq!(outcome.winners.len(), 1);
                assert_eq!(outcome.scores.len(), usize::from(seats));
                let winner = outcome.winners[0];
                assert!(outcome.scores[winner.index()] > 0);
                assert_eq!(outcome.scores.iter().filter(|&&x| x > 0).count(), 1);
            }
        }
    }
}

#[test]
fn views_never_show_another_seats_dice() {
    for seats in 2..=6u8 {
        for seed in 0..3u64 {
            let table = config(3, seed % 2 == 0);
            play_bots(table, seats, seed, 0, |s| {
                assert_views_keep_secrets(s.state())
            });
        }
    }
}

#[test]
fn configs_are_checked() {
    for dice_per_player in [0, 6] {
        let Err(e) = Session::<LiarsDice>::new(config(dice_per_player, true), 2, 1) else {
            panic!("{dice_per_player} dice per player was accepted");
        };
        assert_eq!(e.code(), "invalid_config");
    }
    let Err(e) = Session::<LiarsDice>::new(LiarsDiceConfig::default(), 7, 1) else {
        panic!("7 seats were accepted");
    };
    assert_eq!(e.code(), "seat_count");
}

#[test]
fn json_shapes_are_as_documented() {
    let bid: LiarsDiceAction =
        serde_json::from_str(r#"{"bid":{"count":3,"face":4}}"#).expect("bid");
    assert_eq!(bid, Bid { count: 3, face: 4 });
    assert_eq!(
        serde_json::to_string(&Challenge).expect("json"),
        r#""challenge""#
    );
    let defaults: LiarsDiceConfig = serde_json::from_str("{}").expect("defaults");
    assert_eq!(defaults, LiarsDiceConfig::default());
    assert!(serde_json::from_str::<LiarsDiceConfig>(r#"{"dice":3}"#).is_err());
}

#[test]
fn the_game_registers_in_a_catalog() {
    match Catalog::of(games) {
        Ok(catalog) => assert!(catalog.get("liars-dice").is_ok()),
        Err(e) => panic!("registration failed: {e}"),
    }
}
