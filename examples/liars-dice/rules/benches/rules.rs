//! How fast the rules run: whole bot games (setup, every bot decision and action, the
//! outcome) and a replay of a finished game from its log. `cargo bench -p liars-dice-rules`;
//! `cargo test` runs each once to check it still works.

use criterion::{Criterion, criterion_group, criterion_main};
use hearth_rules::{Seat, Session, Viewer};
use liars_dice_rules::{LiarsDice, LiarsDiceConfig};

/// A game of level-1 bots to the end from `seed`; returns the finished session.
fn bot_game(seed: u64) -> Session<LiarsDice> {
    let mut s = Session::<LiarsDice>::new(LiarsDiceConfig::default(), 2, seed).expect("setup");
    while !s.is_over() {
        let Some(seat) = (0..2).map(Seat).find(|&seat| {
            s.legal_actions(seat)
                .map(|a| !a.is_empty())
                .unwrap_or(false)
        }) else {
            break;
        };
        let Ok(Some(action)) = s.bot_action(seat, 1) else {
            break;
        };
        s.apply(seat, action).expect("the bot plays legally");
    }
    s
}

fn rules(c: &mut Criterion) {
    let mut seed = 0;
    c.bench_function("a bot game to the end", |b| {
        b.iter(|| {
            seed += 1;
            bot_game(seed).hash()
        })
    });
    let finished = bot_game(7);
    c.bench_function("replay of a finished game", |b| {
        b.iter(|| {
            Session::<LiarsDice>::replay(finished.header().clone(), finished.log())
                .expect("replay")
                .view(Viewer::Spectator)
                .is_ok()
        })
    });
}

criterion_group!(benches, rules);
criterion_main!(benches);
