//! Terminal demo of the built-in games against Hearth's bots:
//! `cargo run --release -p hearth-rules --example demo` (add `-- --help` for options).
//!
//! Connect four and chameleon take your moves from standard input; tanks is a bot battle
//! drawn in the terminal. `--auto` lets bots play every seat (no input needed).

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use hearth_games::chameleon::{Chameleon, ChameleonAction, ChameleonConfig, ChameleonView, Phase};
use hearth_games::connect_four::{ConnectFour, ConnectFourConfig, Move};
use hearth_games::tanks::world::{MAP_HEIGHT, MAP_WIDTH};
use hearth_games::tanks::{TILE, Tanks, TanksConfig};
use hearth_rules::{Game, RuleError, Seat, Session, Viewer, hash_hex};

#[derive(Clone, Copy, ValueEnum)]
enum GameArg {
    ConnectFour,
    Chameleon,
    Tanks,
}

/// Play Hearth's example games in the terminal against bots.
#[derive(Parser)]
struct Args {
    /// Which game (asked interactively if omitted).
    #[arg(long, value_enum)]
    game: Option<GameArg>,
    /// Bots play every seat; nothing is read from standard input.
    #[arg(long)]
    auto: bool,
    /// Seed of the game's generator.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Bot strength (connect four: search depth).
    #[arg(long, default_value_t = 5)]
    level: u8,
    /// Seats for chameleon (3-8) or tanks (2-16).
    #[arg(long)]
    seats: Option<u8>,
}

/// Reads one trimmed line; `None` at end of input.
fn ask(prompt: &str) -> Option<String> {
    print!("{prompt}");
    std::io::stdout().flush().ok()?;
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim().to_string()),
    }
}

fn main() -> Result<(), RuleError> {
    let args = Args::parse();
    let game = match args.game {
        Some(g) => g,
        None if args.auto => GameArg::ConnectFour,
        None => loop {
            println!(
                "Hearth demo: 1) connect four vs a bot  2) chameleon with bots  3) tanks bot battle"
            );
            match ask("choose 1-3: ").as_deref() {
                Some("1") => break GameArg::ConnectFour,
                Some("2") => break GameArg::Chameleon,
                Some("3") => break GameArg::Tanks,
                None => return Ok(()),
                _ => println!("type 1, 2 or 3"),
            }
        },
    };
    match game {
        GameArg::ConnectFour => connect_four(&args),
        GameArg::Chameleon => chameleon(&args),
        GameArg::Tanks => tanks(&args),
    }
}

fn draw_board(s: &Session<ConnectFour>) -> Result<(), RuleError> {
    let view = s.view(Viewer::Spectator)?;
    for row in view.board {
        let cells: Vec<&str> = row
            .iter()
            .map(|c| match c {
                None => ".",
                Some(Seat(0)) => "X",
                Some(_) => "O",
            })
            .collect();
        println!("  {}", cells.join(" "));
    }
    println!("  1 2 3 4 5 6 7");
    Ok(())
}

fn connect_four(args: &Args) -> Result<(), RuleError> {
    let mut s = Session::<ConnectFour>::new(ConnectFourConfig::default(), 2, args.seed)?;
    println!(
        "Connect four: you are X (seat 0), the bot is O. Drop a disc with 1-7; four in a row wins."
    );
    while let Some(seat) = s.state().to_move() {
        draw_board(&s)?;
        let action = if seat == Seat(1) || args.auto {
            let m = s.bot_action(seat, args.level)?.ok_or(RuleError::GameOver)?;
            println!("seat {seat} drops in column {}", m.column + 1);
            m
        } else {
            let Some(line) = ask("your column (1-7): ") else {
                println!("\nbye");
                return Ok(());
            };
            match line.parse::<u8>() {
                Ok(n @ 1..=7) => Move { column: n - 1 },
                _ => {
                    println!("type a column number from 1 to 7");
                    continue;
                }
            }
        };
        if let Err(e) = s.apply(seat, action) {
            println!("{e}");
        }
    }
    draw_board(&s)?;
    finish(&s);
    Ok(())
}

fn show_chameleon(v: &ChameleonView) {
    println!(
        "\n— round {}/{} · topic: {} · scores {:?}",
        v.round, v.rounds, v.topic, v.scores
    );
    println!("  words: {}", v.words.join(", "));
    match (&v.secret_word, v.you_are_chameleon) {
        (Some(w), _) => println!("  the secret word is: {w}"),
        (None, Some(true)) => println!("  YOU are the chameleon: blend in!"),
        _ => {}
    }
    for (seat, clue) in v.clues.iter().enumerate() {
        if let Some(c) = clue {
            println!("  seat {seat} said: {c}");
        }
    }
}

fn chameleon(args: &Args) -> Result<(), RuleError> {
    let seats = args.seats.unwrap_or(4);
    let mut s = Session::<Chameleon>::new(ChameleonConfig::default(), seats, args.seed)?;
    println!(
        "Chameleon: you are seat 0 with {} bots. Give a clue that proves you know the word, then vote out the chameleon.",
        seats - 1
    );
    let mut shown = (0, Phase::Over);
    while !s.is_over() {
        let view = s.view(Viewer::Seat(Seat(0)))?;
        let Some(seat) = (0..seats)
            .map(Seat)
            .find(|&x| !s.legal_actions(x).map(|a| a.is_empty()).unwrap_or(true))
        else {
            break;
        };
        let action = if seat != Seat(0) || args.auto {
            s.bot_action(seat, 2)?.ok_or(RuleError::GameOver)?
        } else {
            if shown != (view.round, view.phase) {
                show_chameleon(&view);
                shown = (view.round, view.phase);
            }
            let (prompt, make): (&str, fn(String) -> Option<ChameleonAction>) = match view.phase {
                Phase::Clues => ("your clue: ", |t| Some(ChameleonAction::Clue(t))),
                Phase::Votes => ("vote for seat: ", |t| {
                    t.parse().ok().map(|n| ChameleonAction::Vote(Seat(n)))
                }),
                _ => ("you were caught! guess the word: ", |t| {
                    Some(ChameleonAction::Guess(t))
                }),
            };
            let Some(line) = ask(prompt) else {
                println!("\nbye");
                return Ok(());
            };
            match make(line) {
                Some(a) => a,
                None => {
                    println!("type a seat number");
                    continue;
                }
            }
        };
        match s.apply(seat, action) {
            Ok(events) => {
                for e in events {
                    println!("  {}", serde_json::to_string(e).unwrap_or_default());
                }
            }
            Err(e) => println!("{e}"),
        }
    }
    finish(&s);
    Ok(())
}

fn tanks(args: &Args) -> Result<(), RuleError> {
    let seats = args.seats.unwrap_or(6);
    let config = TanksConfig {
        duration_secs: 30,
        score_limit: 5,
        ..TanksConfig::default()
    };
    let mut s = Session::<Tanks>::new(config, seats, args.seed)?;
    let live = !args.auto && std::io::stdout().is_terminal();
    println!(
        "Tanks: {seats} bots battle for 30 s (first to 5 kills). Digits are tanks, * bullets."
    );
    while !s.is_over() {
        for seat in (0..seats).map(Seat) {
            if let Some(input) = s.bot_action(seat, 1 + seat.0 % 3)? {
                s.apply(seat, input)?;
            }
        }
        s.tick()?;
        if s.tick_count() % 20 == 0 || s.is_over() {
            let view = s.view(Viewer::Spectator)?;
            let mut grid: Vec<Vec<u8>> = view
                .map
                .rows()
                .iter()
                .map(|r| {
                    r.bytes()
                        .map(|b| if b == b'#' { b'#' } else { b' ' })
                        .collect()
                })
                .collect();
            let cell = |x: i32, y: i32| {
                (
                    (x / TILE).clamp(0, MAP_WIDTH as i32 - 1) as usize,
                    (y / TILE).clamp(0, MAP_HEIGHT as i32 - 1) as usize,
                )
            };
            for b in &view.bullets {
                let (cx, cy) = cell(b.x, b.y);
                grid[cy][cx] = b'*';
            }
            for (i, t) in view.tanks.iter().enumerate().filter(|(_, t)| t.hp > 0) {
                let (cx, cy) = cell(t.x, t.y);
                grid[cy][cx] = b"0123456789abcdef"[i];
            }
            if live {
                print!("\x1b[2J\x1b[H");
            }
            for row in grid {
                println!("{}", String::from_utf8_lossy(&row));
            }
            let scores: Vec<String> = view
                .tanks
                .iter()
                .enumerate()
                .map(|(i, t)| format!("{i:x}:{}", t.score))
                .collect();
            println!("t={:>3}s  kills {}", view.tick / 20, scores.join(" "));
        }
        if live {
            std::thread::sleep(Duration::from_millis(1000 / 20));
        }
    }
    finish(&s);
    Ok(())
}

fn finish<G: Game>(s: &Session<G>) {
    match s.outcome() {
        Some(o) if o.is_draw() => println!("Draw. Scores {:?}.", o.scores),
        Some(o) => println!(
            "Winner(s): {:?}. Scores {:?}.",
            o.winners.iter().map(|w| w.0).collect::<Vec<_>>(),
            o.scores
        ),
        None => println!("Unfinished."),
    }
    println!(
        "{} actions, final state hash {}",
        s.log().len(),
        hash_hex(s.hash())
    );
}
