//! Rules throughput: `cargo bench -p hearth-rules --bench rules`. Figures go in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hearth_games::chameleon::{Chameleon, ChameleonConfig};
use hearth_games::connect_four::{ConnectFour, ConnectFourConfig, Move};
use hearth_games::tanks::{TankInput, Tanks, TanksConfig};
use hearth_rules::{Game, Rng, Seat, Session};

/// Move lists of finished random connect-four games (random legal play, seeded).
fn connect_four_games(n: usize) -> Vec<Vec<Move>> {
    let mut rng = Rng::from_seed(1);
    (0..n as u64)
        .map(|seed| {
            let mut s = Session::<ConnectFour>::new(
                ConnectFourConfig {
                    first_seat: Some(0),
                },
                2,
                seed,
            )
            .expect("setup");
            while let Some(seat) = s.state().to_move() {
                let legal = s.legal_actions(seat).expect("seat");
                let m = *rng.pick(&legal).expect("a move");
                s.apply(seat, m).expect("legal");
            }
            s.log().iter().map(|e| e.action).collect()
        })
        .collect()
}

fn connect_four(c: &mut Criterion) {
    let games = connect_four_games(1000);
    let moves: u64 = games.iter().map(|g| g.len() as u64).sum();
    let mut group = c.benchmark_group("connect-four");
    group.throughput(Throughput::Elements(moves));
    group.bench_function("session apply (1000 random games, moves/s)", |b| {
        b.iter(|| {
            for game in &games {
                let mut s = Session::<ConnectFour>::new(
                    ConnectFourConfig {
                        first_seat: Some(0),
                    },
                    2,
                    0,
                )
                .expect("setup");
                let mut seat = Seat(0);
                for m in game {
                    s.apply(seat, *m).expect("legal");
                    seat = Seat(1 - seat.0);
                }
                black_box(s.is_over());
            }
        })
    });
    group.bench_function("game apply without the session log (moves/s)", |b| {
        let mut rng = Rng::from_seed(0);
        let mut events = Vec::with_capacity(4);
        b.iter(|| {
            for game in &games {
                let mut g = ConnectFour::setup(
                    &ConnectFourConfig {
                        first_seat: Some(0),
                    },
                    2,
                    &mut rng,
                )
                .expect("setup");
                let mut seat = Seat(0);
                for m in game {
                    events.clear();
                    g.apply(seat, m, &mut rng, &mut events).expect("legal");
                    seat = Seat(1 - seat.0);
                }
                black_box(g.is_over());
            }
        })
    });
    group.finish();
}

/// A finished chameleon game's log played by level-2 bots: (config, seats, seed, log).
fn chameleon_game(seats: u8, rounds: u8, seed: u64) -> (Session<Chameleon>, u64) {
    let config = ChameleonConfig {
        rounds,
        ..ChameleonConfig::default()
    };
    let mut s = Session::<Chameleon>::new(config, seats, seed).expect("setup");
    while !s.is_over() {
        let seat = (0..seats)
            .map(Seat)
            .find(|&x| !s.legal_actions(x).expect("seat").is_empty())
            .expect("someone acts");
        let a = s.bot_action(seat, 2).expect("seat").expect("action");
        s.apply(seat, a).expect("legal");
    }
    (s, u64::from(rounds))
}

fn chameleon(c: &mut Criterion) {
    let (game, rounds) = chameleon_game(6, 20, 5);
    let mut group = c.benchmark_group("chameleon");
    group.throughput(Throughput::Elements(rounds));
    group.bench_function("apply, 6 seats (rounds/s)", |b| {
        b.iter(|| {
            let mut s = Session::<Chameleon>::from_header(game.header().clone()).expect("setup");
            for e in game.log() {
                s.apply(e.seat, e.action.clone()).expect("legal");
            }
            black_box(s.is_over())
        })
    });
    group.finish();
}

/// Inputs for 16 seats over `ticks` ticks: each seat changes input every 5 ticks.
fn tanks_inputs(ticks: u32) -> Vec<Vec<(Seat, TankInput)>> {
    let mut rng = Rng::from_seed(16);
    (0..ticks)
        .map(|t| {
            (0..16u8)
                .filter(|s| (t + u32::from(*s)) % 5 == 0)
                .map(|s| {
                    let input = TankInput {
                        turn: rng.below(3) as i8 - 1,
                        thrust: rng.below(3) as i8 - 1,
                        fire: rng.chance(1, 2),
                    };
                    (Seat(s), input)
                })
                .collect()
        })
        .collect()
}

fn tanks(c: &mut Criterion) {
    let config = TanksConfig {
        duration_secs: 600,
        score_limit: 0,
        ..TanksConfig::default()
    };
    let inputs = tanks_inputs(1000);
    let mut group = c.benchmark_group("tanks");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("16 seats, inputs + tick (ticks/s)", |b| {
        b.iter(|| {
            let mut s = Session::<Tanks>::new(config.clone(), 16, 7).expect("setup");
            for tick in &inputs {
                for (seat, input) in tick {
                    s.apply(*seat, *input).expect("legal");
                }
                s.tick().expect("tick");
            }
            black_box(s.hash())
        })
    });
    group.finish();
}

fn replay_and_hash(c: &mut Criterion) {
    // A 10,000-entry log: 16 tanks each sending a new input every 5 ticks for 3,125 ticks.
    let config = TanksConfig {
        duration_secs: 600,
        score_limit: 0,
        ..TanksConfig::default()
    };
    let mut live = Session::<Tanks>::new(config, 16, 7).expect("setup");
    for tick in tanks_inputs(3200) {
        for (seat, input) in tick {
            if live.log().len() < 10_000 {
                live.apply(seat, input).expect("legal");
            }
        }
        live.tick().expect("tick");
    }
    let log = &live.log()[..10_000];
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("tanks, 10,000-entry log (entries/s)", |b| {
        b.iter(|| {
            black_box(
                Session::<Tanks>::replay(live.header().clone(), log)
                    .expect("replays")
                    .hash(),
            )
        })
    });
    group.finish();

    let mut group = c.benchmark_group("hash");
    group.bench_function("tanks, 16 seats mid-game", |b| {
        b.iter(|| black_box(live.hash()))
    });
    let (chameleon, _) = chameleon_game(8, 3, 9);
    group.bench_function("chameleon, 8 seats", |b| {
        b.iter(|| black_box(chameleon.hash()))
    });
    let c4 = Session::<ConnectFour>::replay(
        Session::<ConnectFour>::new(
            ConnectFourConfig {
                first_seat: Some(0),
            },
            2,
            0,
        )
        .expect("setup")
        .header()
        .clone(),
        &[],
    )
    .expect("empty replay");
    group.bench_function("connect-four", |b| b.iter(|| black_box(c4.hash())));
    group.bench_function("snapshot + restore, tanks 16 seats with 10k log", |b| {
        b.iter_batched(
            || live.snapshot(),
            |bytes| black_box(Session::<Tanks>::restore(&bytes).expect("restore")),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Every golden vector (`tests/vectors/*.json`) played through the catalog with JSON values:
/// the native side of the Wasm comparison (`node wasm/bench/vectors.mjs` plays the same steps
/// through the browser module's `Session`).
fn golden_vectors(c: &mut Criterion) {
    use hearth_rules::{Encoding, Payload};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors");
    let mut vectors: Vec<serde_json::Value> = std::fs::read_dir(dir)
        .expect("tests/vectors")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("readable");
            serde_json::from_str(&text).expect("JSON")
        })
        .collect();
    vectors.sort_by_key(|v| v["name"].to_string());
    let steps: u64 = vectors
        .iter()
        .map(|v| v["steps"].as_array().map_or(0, |s| s.len() as u64))
        .sum();
    let catalog = hearth_games::catalog();
    let mut group = c.benchmark_group("golden vectors");
    group.throughput(Throughput::Elements(steps));
    group.bench_function("all, JSON through the catalog (steps/s)", |b| {
        b.iter(|| {
            for v in &vectors {
                let mut s = catalog
                    .create(
                        v["game"].as_str().unwrap_or_default(),
                        &Payload::Json(v["config"].clone()),
                        v["seats"].as_u64().unwrap_or(0) as u8,
                        v["seed"].as_u64().unwrap_or(0),
                    )
                    .expect("setup");
                for step in v["steps"].as_array().into_iter().flatten() {
                    if step["op"] == "tick" {
                        black_box(s.tick(Encoding::Json).expect("tick"));
                    } else {
                        let seat = hearth_rules::Seat(step["seat"].as_u64().unwrap_or(0) as u8);
                        let _ = black_box(s.apply(seat, &Payload::Json(step["action"].clone())));
                    }
                }
                black_box(s.hash());
            }
        })
    });
    // The same steps with postcard actions made beforehand, events back as postcard: the
    // native side of `Session.applyBytes` (`node wasm/bench/vectors.mjs`). Steps whose action
    // is no action of the game (it cannot be encoded) are left out, there as here.
    struct Binary {
        game: String,
        config: Payload,
        seats: u8,
        seed: u64,
        steps: Vec<Option<(hearth_rules::Seat, Payload)>>,
    }
    let binary: Vec<Binary> = vectors
        .iter()
        .map(|v| {
            let config = Payload::Json(v["config"].clone());
            let game = v["game"].as_str().unwrap_or_default().to_string();
            let seats = v["seats"].as_u64().unwrap_or(0) as u8;
            let seed = v["seed"].as_u64().unwrap_or(0);
            let s = catalog.create(&game, &config, seats, seed).expect("setup");
            let steps = v["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|step| {
                    if step["op"] == "tick" {
                        return Some(None);
                    }
                    let seat = hearth_rules::Seat(step["seat"].as_u64().unwrap_or(0) as u8);
                    s.convert_action(&Payload::Json(step["action"].clone()), Encoding::Postcard)
                        .ok()
                        .map(|a| Some((seat, a)))
                })
                .collect();
            Binary {
                game,
                config,
                seats,
                seed,
                steps,
            }
        })
        .collect();
    let binary_steps: u64 = binary.iter().map(|b| b.steps.len() as u64).sum();
    group.throughput(Throughput::Elements(binary_steps));
    group.bench_function(
        format!("all {binary_steps} encodable steps, postcard through the catalog (steps/s)"),
        |b| {
            b.iter(|| {
                for v in &binary {
                    let mut s = catalog
                        .create(&v.game, &v.config, v.seats, v.seed)
                        .expect("setup");
                    // As the module does: the action borrowed, the events written into
                    // one buffer passed back each time.
                    let mut events = Vec::new();
                    for step in &v.steps {
                        events = match step {
                            None => s.tick_bytes(events).expect("tick"),
                            Some((seat, action)) => {
                                let bytes = action.as_postcard().unwrap_or_default();
                                s.apply_bytes(*seat, bytes, events).unwrap_or_default()
                            }
                        };
                        black_box(&events);
                    }
                    black_box(s.hash());
                }
            })
        },
    );
    group.throughput(Throughput::Elements(steps));
    // The same games as records of accepted actions, replayed (as `Session.replay` in Wasm).
    let records: Vec<_> = vectors
        .iter()
        .map(|v| {
            let header = hearth_rules::DynHeader {
                game: v["game"].as_str().unwrap_or_default().to_string(),
                seats: v["seats"].as_u64().unwrap_or(0) as u8,
                seed: v["seed"].as_u64().unwrap_or(0),
                config: Payload::Json(v["config"].clone()),
            };
            let mut s = catalog
                .create(&header.game, &header.config, header.seats, header.seed)
                .expect("setup");
            for step in v["steps"].as_array().into_iter().flatten() {
                if step["op"] == "tick" {
                    s.tick(Encoding::Json).expect("tick");
                } else {
                    let seat = hearth_rules::Seat(step["seat"].as_u64().unwrap_or(0) as u8);
                    let _ = s.apply(seat, &Payload::Json(step["action"].clone()));
                }
            }
            // As JSON text, which the replay parses, as the Wasm module's `Session.replay` does.
            let log: Vec<serde_json::Value> = s
                .log(0, Encoding::Json)
                .into_iter()
                .map(|e| {
                    let action = match e.action {
                        Payload::Json(v) => v,
                        Payload::Postcard(_) => serde_json::Value::Null,
                    };
                    serde_json::json!({"index": e.index, "tick": e.tick, "seat": e.seat.0, "action": action})
                })
                .collect();
            let text = serde_json::to_string(&log).expect("JSON");
            (header, text, s.tick_count(), s.hash())
        })
        .collect();
    group.bench_function(
        "all, replayed from their records as JSON text (steps/s)",
        |b| {
            b.iter(|| {
                for (header, text, ticks, hash) in &records {
                    let entries: Vec<serde_json::Value> = serde_json::from_str(text).expect("JSON");
                    let log: Vec<hearth_rules::DynLogEntry> = entries
                        .into_iter()
                        .map(|mut e| hearth_rules::DynLogEntry {
                            index: e["index"].as_u64().unwrap_or(0),
                            tick: e["tick"].as_u64().unwrap_or(0),
                            seat: hearth_rules::Seat(e["seat"].as_u64().unwrap_or(0) as u8),
                            action: Payload::Json(e["action"].take()),
                        })
                        .collect();
                    let mut s = catalog.replay(header, &log).expect("replays");
                    while s.tick_count() < *ticks && !s.is_over() {
                        s.tick(Encoding::Postcard).expect("tick");
                    }
                    assert_eq!(s.hash(), *hash);
                }
            })
        },
    );
    group.finish();
}

criterion_group!(
    benches,
    connect_four,
    chameleon,
    tanks,
    replay_and_hash,
    golden_vectors
);
criterion_main!(benches);
