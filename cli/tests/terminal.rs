//! The terminal game, driven by scripts: offline games always end in a legal outcome, and
//! bad input is explained without ending the game.

use hearth_cli::terminal::{Offline, Terminal, parse_move, play_offline};
use hearth_rules::{Catalog, Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};
use serde::{Deserialize, Serialize};

async fn offline(game: &str, seed: u64, script: &str) -> (Result<String, String>, String) {
    let catalog = Catalog::of(|c| {
        hearth_games::games(c)?;
        c.register::<Nim>()?;
        Ok(())
    })
    .unwrap();
    let mut out = Vec::new();
    let result = {
        let mut term = Terminal::new(tokio::io::BufReader::new(script.as_bytes()), &mut out);
        play_offline(
            &mut term,
            &catalog,
            Offline {
                game: game.into(),
                seats: 0,
                hot_seat: false,
                level: 2,
                seed,
            },
        )
        .await
    };
    (result, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn offline_connect_four_against_the_bot_always_ends_legally() {
    let mut moves = String::from("x\n9\n");
    for _ in 0..8 {
        moves.push_str("4\n3\n5\n2\n6\n1\n7\n");
    }
    for seed in 0..20 {
        let (result, out) = offline("connect-four", seed, &moves).await;
        let line = result.unwrap();
        assert!(
            line.starts_with("Winner: seat") || line.starts_with("Draw"),
            "seed {seed}: {line}\n{out}"
        );
        if seed == 0 {
            assert!(out.contains("type a column number from 1 to 7"), "{out}");
            assert!(out.contains("  1 2 3 4 5 6 7"), "{out}");
        }
    }
}

#[tokio::test]
async fn offline_chameleon_and_tanks_end_too() {
    let mut script = String::new();
    for _ in 0..60 {
        script.push_str("clue soft\nvote 1\nguess apple\nguess 2\n");
    }
    let (result, out) = offline("chameleon", 3, &script).await;
    assert!(
        result
            .as_deref()
            .is_ok_and(|l| l.starts_with("Winner") || l.starts_with("Draw")),
        "{result:?}\n{out}"
    );
    assert!(out.contains("Round 1/3"));

    let script = "wdf 200\n".repeat(30);
    let (result, out) = offline("tanks", 3, &script).await;
    assert!(
        result
            .as_deref()
            .is_ok_and(|l| l.starts_with("Winner") || l.starts_with("Draw")),
        "{result:?}\n{out}"
    );
    assert!(out.contains("seat 1: at ("));
}

#[tokio::test]
async fn end_of_input_leaves_cleanly() {
    let (result, _) = offline("connect-four", 1, "4\n").await;
    assert_eq!(result.unwrap(), "bye");
}

#[test]
fn moves_parse_per_game() {
    assert_eq!(
        parse_move("connect-four", "1", &[]).unwrap().0,
        serde_json::json!({"column": 0})
    );
    assert!(parse_move("connect-four", "0", &[]).is_err());
    assert_eq!(
        parse_move("chameleon", "vote 2", &[]).unwrap().0,
        serde_json::json!({"vote": 2})
    );
    assert!(parse_move("chameleon", "vote x", &[]).is_err());
    assert_eq!(
        parse_move("tanks", "wdf 7", &[]).unwrap(),
        (serde_json::json!({"turn": 1, "thrust": 1, "fire": true}), 7)
    );
    assert!(parse_move("tanks", "zz", &[]).is_err());
    assert_eq!(
        parse_move("tanks", "{\"turn\":0,\"thrust\":0,\"fire\":false}", &[])
            .unwrap()
            .1,
        1
    );
}

/// A game the terminal has no renderer for: players take 1–3 from a pile; who takes the last
/// one wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Nim {
    pile: u8,
    to_move: u8,
    winner: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Take {
    Take(u8),
}

impl Game for Nim {
    type Config = ();
    type Action = Take;
    type View = Nim;
    type Event = Take;
    const INFO: GameInfo = GameInfo {
        name: "nim",
        version: 1,
        min_seats: 2,
        max_seats: 2,
        tick_rate: None,
        hidden_information: false,
        description: "Take 1 to 3; whoever takes the last wins.",
    };
    fn setup(_: &(), _: u8, _: &mut Rng) -> Result<Self, RuleError> {
        Ok(Nim {
            pile: 7,
            to_move: 0,
            winner: None,
        })
    }
    fn apply(
        &mut self,
        seat: Seat,
        a: &Take,
        _: &mut Rng,
        ev: &mut Vec<Take>,
    ) -> Result<(), RuleError> {
        let Take::Take(n) = *a;
        if seat.0 != self.to_move {
            return Err(RuleError::NotYourTurn {
                seat: seat.0,
                waiting_for: self.to_move,
            });
        }
        if !(1..=3).contains(&n) || n > self.pile {
            return Err(RuleError::Illegal {
                reason: "take 1 to 3, at most the pile".into(),
            });
        }
        self.pile -= n;
        if self.pile == 0 {
            self.winner = Some(seat.0);
        }
        self.to_move = 1 - self.to_move;
        ev.push(a.clone());
        Ok(())
    }
    fn legal_actions(&self, seat: Seat) -> Vec<Take> {
        if seat.0 != self.to_move || self.winner.is_some() {
            return vec![];
        }
        (1..=self.pile.min(3)).map(Take::Take).collect()
    }
    fn view(&self, _: Viewer) -> Nim {
        self.clone()
    }
    fn is_over(&self) -> bool {
        self.winner.is_some()
    }
    fn outcome(&self) -> Option<Outcome> {
        self.winner.map(|w| Outcome {
            winners: vec![Seat(w)],
            scores: (0..2).map(|s| i32::from(s == w)).collect(),
        })
    }
}

#[tokio::test]
async fn a_game_without_a_renderer_gets_the_generic_player() {
    // `9` is out of range, `{"take": 5}` illegal, `x` not understood; `1`, `{"take": 1}` play.
    let script = "9\nx\n{\"take\": 5}\n1\n{\"take\": 1}\n1\n1\n1\n1\n1\n";
    let (result, out) = offline("nim", 1, script).await;
    let line = result.unwrap();
    assert!(line.starts_with("Winner: seat"), "{line}\n{out}");
    assert!(
        out.contains("pile: 7"),
        "the view is shown as readable data:\n{out}"
    );
    assert!(
        out.contains("  1) take 1\n  2) take 2\n  3) take 3"),
        "numbered legal actions:\n{out}"
    );
    assert!(
        out.contains("type the number of a legal action (1–3) or the action as JSON"),
        "{out}"
    );
    assert!(out.contains("not allowed: "), "{out}");
    assert!(out.contains("(bot) played take "), "{out}");
}

#[test]
fn generic_numbers_pick_legal_actions() {
    let legal = [
        serde_json::json!("challenge"),
        serde_json::json!({"bid": {"count": 2, "face": 3}}),
    ];
    assert_eq!(parse_move("liars-dice", "2", &legal).unwrap().0, legal[1]);
    assert!(parse_move("liars-dice", "3", &legal).is_err());
    assert_eq!(
        parse_move("liars-dice", "\"challenge\"", &[]).unwrap().0,
        legal[0]
    );
    assert!(
        parse_move("liars-dice", "1", &[])
            .unwrap_err()
            .contains("as JSON")
    );
}
