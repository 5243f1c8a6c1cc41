//! The terminal game, driven by scripts: offline games always end in a legal outcome, and
//! bad input is explained without ending the game.

use hearth_cli::terminal::{Offline, Terminal, parse_move, play_offline};
use hearth_rules::Catalog;

async fn offline(game: &str, seed: u64, script: &str) -> (Result<String, String>, String) {
    let catalog = Catalog::of(|c| {
        hearth_games::games(c)?;
        liars_dice_rules::games(c)?;
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
        .map_err(|e| e.to_string())
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

#[tokio::test]
async fn a_game_without_a_renderer_gets_the_generic_player() {
    // Liar's Dice (an example outside Hearth's catalog, hidden hands): `99` is out of range,
    // `x` not understood, a bid of face 9 refused by the rules; then `1` (the first legal
    // action: the lowest bid, or a challenge once a bid stands) until the game ends.
    let script = format!(
        "99\nx\n{{\"bid\": {{\"count\": 1, \"face\": 9}}}}\n{}",
        "1\n".repeat(200)
    );
    let (result, out) = offline("liars-dice", 3, &script).await;
    let line = result.unwrap();
    assert!(line.starts_with("Winner: seat"), "{line}\n{out}");
    assert!(
        out.contains("your_dice: ["),
        "the view is shown as readable data:\n{out}"
    );
    assert!(
        out.contains("legal actions:\n  1) bid {count: 1, face: 1}"),
        "numbered legal actions:\n{out}"
    );
    assert!(out.contains(") challenge"), "{out}");
    assert!(
        out.contains("type the number of a legal action (1–"),
        "{out}"
    );
    assert!(out.contains("not allowed: "), "{out}");
    assert!(out.contains("(bot) played bid {"), "{out}");
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
            .hint
            .contains("as JSON")
    );
}
