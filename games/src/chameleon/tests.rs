use proptest::prelude::*;

use super::*;
use hearth_rules::Session;

fn session(seats: u8, seed: u64) -> Session<Chameleon> {
    Session::new(ChameleonConfig::default(), seats, seed).expect("setup")
}

/// Plays every clue of the round: the bots' hint for players, `chameleon_clue` for the
/// chameleon.
fn give_clues(s: &mut Session<Chameleon>, chameleon_clue: &str) {
    while let Some(seat) = s.state().to_clue() {
        let clue = if seat == s.state().chameleon {
            chameleon_clue.to_string()
        } else {
            s.state().topic_card().words[usize::from(s.state().secret)]
                .1
                .to_string()
        };
        s.apply(seat, ChameleonAction::Clue(clue)).expect("clue");
    }
}

#[test]
fn topic_cards_are_well_formed() {
    assert!(TOPICS.len() >= 10);
    assert!(TOPICS.len() <= 32, "used_topics is a 32-bit mask");
    for topic in TOPICS {
        let mut words: Vec<_> = topic
            .words
            .iter()
            .map(|(w, _)| w.to_ascii_lowercase())
            .collect();
        words.sort();
        words.dedup();
        assert_eq!(words.len(), 16, "{} has 16 distinct words", topic.name);
        let mut hints: Vec<_> = topic.words.iter().map(|(_, h)| *h).collect();
        hints.sort();
        hints.dedup();
        assert_eq!(hints.len(), 16, "{} has 16 distinct hints", topic.name);
        for (word, _) in topic.words {
            assert!(
                !names_word(topic.name, word),
                "topic {} names its word `{word}`",
                topic.name
            );
        }
        for (_, hint) in topic.words {
            for (word, _) in topic.words {
                assert!(
                    !names_word(hint, word),
                    "hint `{hint}` names `{word}` on {}",
                    topic.name
                );
            }
            assert!(hint.chars().all(|c| c.is_ascii_lowercase()), "{hint}");
        }
    }
}

#[test]
fn a_caught_chameleon_that_guesses_wrong_gives_everyone_else_two_points() {
    let mut s = session(4, 21);
    let chameleon = s.state().chameleon;
    give_clues(&mut s, "something");
    assert_eq!(s.state().phase, Phase::Votes);
    for seat in (0..4).map(Seat) {
        let target = if seat == chameleon {
            Seat((chameleon.0 + 1) % 4)
        } else {
            chameleon
        };
        s.apply(seat, ChameleonAction::Vote(target)).expect("vote");
    }
    assert_eq!(s.state().phase, Phase::Guess);
    let seen = s.view(Viewer::Spectator).expect("view");
    assert_eq!(seen.caught, Some(chameleon));
    assert_eq!(seen.votes.as_ref().map(Vec::len), Some(4));
    assert_eq!(
        seen.secret_word, None,
        "the word is still hidden while the chameleon guesses"
    );
    let secret = s.state().secret_word();
    let wrong = s
        .state()
        .topic_card()
        .words
        .iter()
        .find(|(w, _)| *w != secret)
        .expect("16 words")
        .0;
    let other = Seat((chameleon.0 + 1) % 4);
    assert_eq!(
        s.apply(other, ChameleonAction::Guess(wrong.into()))
            .expect_err("not the chameleon")
            .code(),
        "not_your_turn"
    );
    let events = s
        .apply(chameleon, ChameleonAction::Guess(wrong.to_lowercase()))
        .expect("guess")
        .to_vec();
    let Some(ChameleonEvent::RoundEnded(summary)) = events.first() else {
        panic!("{events:?}")
    };
    assert!(summary.caught && !summary.guessed_right);
    assert_eq!(summary.word, secret);
    for seat in 0..4u8 {
        assert_eq!(
            summary.points[usize::from(seat)],
            if Seat(seat) == chameleon { 0 } else { 2 }
        );
    }
    assert!(matches!(
        events.get(1),
        Some(ChameleonEvent::RoundStarted { round: 2, .. })
    ));
    assert_eq!(
        s.view(Viewer::Seat(chameleon))
            .expect("view")
            .last_round
            .as_ref(),
        Some(summary)
    );
}

#[test]
fn an_escaped_chameleon_scores_two_and_the_game_ends_after_the_last_round() {
    let config = ChameleonConfig {
        rounds: 1,
        ..ChameleonConfig::default()
    };
    let mut s = Session::<Chameleon>::new(config, 3, 5).expect("setup");
    let chameleon = s.state().chameleon;
    give_clues(&mut s, "hmm");
    // Everyone votes for the next seat round the table: a three-way tie, nobody caught.
    for seat in 0..3u8 {
        s.apply(Seat(seat), ChameleonAction::Vote(Seat((seat + 1) % 3)))
            .expect("vote");
    }
    assert!(s.is_over());
    let outcome = s.outcome().expect("over");
    assert_eq!(outcome.winners, vec![chameleon]);
    assert_eq!(outcome.scores[chameleon.index()], 2);
    assert_eq!(
        s.apply(Seat(0), ChameleonAction::Vote(Seat(1)))
            .expect_err("over")
            .code(),
        "game_over"
    );
}

#[test]
fn clues_are_validated_and_only_word_knowers_may_not_name_it() {
    let mut s = session(5, 8);
    let st = s.state().clone();
    let first = st.to_clue().expect("clue phase");
    let secret = st.secret_word();
    let before = s.hash();
    let errors = [
        ("   ", "cannot be empty"),
        ("a very very long clue that goes on", "keep it to 24"),
        ("50%", "not `%`"),
        ("42", "at least one letter"),
    ];
    for (clue, want) in errors {
        let err = s
            .apply(first, ChameleonAction::Clue(clue.into()))
            .expect_err(clue);
        assert!(err.to_string().contains(want), "{clue}: {err}");
    }
    let not_turn = Seat((first.0 + 1) % 5);
    assert_eq!(
        s.apply(not_turn, ChameleonAction::Clue("x".into()))
            .expect_err("turn")
            .code(),
        "not_your_turn"
    );
    assert_eq!(
        s.apply(first, ChameleonAction::Vote(Seat(0)))
            .expect_err("phase")
            .code(),
        "illegal_action"
    );
    let naming = format!("the {}!", secret.to_uppercase()).replace('!', "");
    if first == st.chameleon {
        s.apply(first, ChameleonAction::Clue(naming))
            .expect("the chameleon's clue is never checked against the word");
    } else {
        let err = s
            .apply(first, ChameleonAction::Clue(naming))
            .expect_err("names the word");
        assert!(err.to_string().contains("names the secret word"), "{err}");
        assert_eq!(s.hash(), before, "a refused clue changes nothing");
        let config = ChameleonConfig {
            forbid_secret_in_clue: false,
            ..ChameleonConfig::default()
        };
        let mut lenient = Session::<Chameleon>::new(config, 5, 8).expect("setup");
        lenient
            .apply(first, ChameleonAction::Clue(secret.into()))
            .expect("allowed by config");
    }
}

#[test]
fn votes_are_validated() {
    let mut s = session(3, 2);
    give_clues(&mut s, "guess");
    assert!(
        s.apply(Seat(0), ChameleonAction::Vote(Seat(0)))
            .expect_err("self")
            .to_string()
            .contains("yourself")
    );
    assert!(
        s.apply(Seat(0), ChameleonAction::Vote(Seat(7)))
            .expect_err("no seat")
            .to_string()
            .contains("no seat 7")
    );
    s.apply(Seat(0), ChameleonAction::Vote(Seat(1)))
        .expect("vote");
    assert!(
        s.apply(Seat(0), ChameleonAction::Vote(Seat(2)))
            .expect_err("twice")
            .to_string()
            .contains("already voted")
    );
    let view = s.view(Viewer::Seat(Seat(1))).expect("view");
    assert_eq!(view.voted, vec![true, false, false]);
    assert_eq!(view.your_vote, None);
    assert_eq!(
        s.view(Viewer::Seat(Seat(0))).expect("view").your_vote,
        Some(Seat(1))
    );
}

#[test]
fn bad_configs_are_refused() {
    for (config, want) in [
        (
            ChameleonConfig {
                rounds: 0,
                ..ChameleonConfig::default()
            },
            "rounds is 0",
        ),
        (
            ChameleonConfig {
                max_clue_len: 2,
                ..ChameleonConfig::default()
            },
            "max_clue_len is 2",
        ),
    ] {
        let err = Session::<Chameleon>::new(config, 4, 0).expect_err("bad config");
        assert!(err.to_string().contains(want), "{err}");
    }
    let err = Session::<Chameleon>::new(ChameleonConfig::default(), 9, 0).expect_err("nine seats");
    assert_eq!(
        err.to_string(),
        "chameleon is played by 3 to 8 seats, not 9; choose a seat count in that range"
    );
}

#[test]
fn bots_play_whole_games() {
    for seats in 3..=8 {
        let mut s = session(seats, u64::from(seats));
        for _ in 0..500 {
            if s.is_over() {
                break;
            }
            let seat = (0..seats)
                .map(Seat)
                .find(|&x| !s.legal_actions(x).expect("seat").is_empty())
                .expect("someone can act");
            let a = s.bot_action(seat, 2).expect("seat").expect("bot acts");
            s.apply(seat, a).expect("bot actions are legal");
        }
        assert!(s.is_over(), "{seats} seats");
    }
}

/// Plays `steps` random legal actions (each step picks an acting seat and an action).
fn play_random(seats: u8, seed: u64, rounds: u8, steps: &[(u8, u8)]) -> Vec<Chameleon> {
    let config = ChameleonConfig {
        rounds,
        ..ChameleonConfig::default()
    };
    let mut s = Session::<Chameleon>::new(config, seats, seed).expect("setup");
    let mut states = vec![s.state().clone()];
    for &(who, which) in steps {
        let actors: Vec<Seat> = (0..seats)
            .map(Seat)
            .filter(|&x| !s.legal_actions(x).expect("seat").is_empty())
            .collect();
        let Some(&seat) = actors.get(usize::from(who) % actors.len().max(1)) else {
            break;
        };
        let legal = s.legal_actions(seat).expect("seat");
        s.apply(seat, legal[usize::from(which) % legal.len()].clone())
            .expect("legal");
        states.push(s.state().clone());
    }
    states
}

fn json_view(g: &Chameleon, viewer: Viewer) -> String {
    serde_json::to_string(&g.view(viewer)).expect("json")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Noninterference: before the reveal, what a viewer sees does not depend on the secrets
    /// it may not know. Changing the secret word, who the chameleon is, or other seats' votes
    /// must leave that viewer's serialized view byte for byte the same.
    #[test]
    fn views_do_not_depend_on_secrets_the_viewer_may_not_know(
        seats in 3u8..=8,
        seed in any::<u64>(),
        rounds in 1u8..=3,
        steps in prop::collection::vec((any::<u8>(), any::<u8>()), 0..60),
    ) {
        for g in play_random(seats, seed, rounds, &steps) {
            if g.phase == Phase::Over {
                continue;
            }
            let spectator = json_view(&g, Viewer::Spectator);
            let chameleon_view = json_view(&g, Viewer::Seat(g.chameleon));
            // The word: invisible to the chameleon and to spectators.
            for secret in 0..16u8 {
                let alt = Chameleon { secret, ..g.clone() };
                prop_assert_eq!(&json_view(&alt, Viewer::Seat(g.chameleon)), &chameleon_view);
                prop_assert_eq!(&json_view(&alt, Viewer::Spectator), &spectator);
            }
            // The role: invisible to everyone else until the votes are in.
            if g.phase != Phase::Guess {
                for c in (0..seats).map(Seat) {
                    let alt = Chameleon { chameleon: c, ..g.clone() };
                    prop_assert_eq!(&json_view(&alt, Viewer::Spectator), &spectator);
                    for v in (0..seats).map(Seat).filter(|&v| v != c && v != g.chameleon) {
                        prop_assert_eq!(json_view(&alt, Viewer::Seat(v)), json_view(&g, Viewer::Seat(v)));
                    }
                }
            }
            // Votes: another seat's choice is invisible until all are in.
            if g.phase == Phase::Votes {
                for u in (0..seats).filter(|&u| g.votes[usize::from(u)].is_some()) {
                    for target in (0..seats).filter(|&t| t != u) {
                        let mut alt = g.clone();
                        alt.votes[usize::from(u)] = Some(Seat(target));
                        prop_assert_eq!(json_view(&alt, Viewer::Spectator), spectator.clone());
                        for v in (0..seats).filter(|&v| v != u).map(Seat) {
                            prop_assert_eq!(json_view(&alt, Viewer::Seat(v)), json_view(&g, Viewer::Seat(v)));
                        }
                    }
                }
            }
            // And literally: apart from the card's word list (and past rounds), the chameleon's
            // and spectators' serialized views never name the current word.
            for viewer in [Viewer::Seat(g.chameleon), Viewer::Spectator] {
                let mut value = serde_json::to_value(g.view(viewer)).expect("json");
                if let Some(map) = value.as_object_mut() {
                    map.remove("words");
                    map.remove("last_round");
                    if viewer != Viewer::Spectator {
                        // The chameleon's own clue may name the word by luck.
                        map.remove("clues");
                    }
                }
                prop_assert!(!names_word(&value.to_string(), g.secret_word()), "{} leaks {}", value, g.secret_word());
            }
        }
    }
}
