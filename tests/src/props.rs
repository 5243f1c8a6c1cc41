//! Property checks for any `Game`, driven by proptest.
//!
//! ```no_run
//! use hearth_tests::props::{GameUnderTest, check_game};
//! # use hearth_games::connect_four::ConnectFour as MyGame;
//! // For your own game: `impl GameUnderTest for MyGame { ... }` (see the trait), then:
//! #[test]
//! fn my_game_keeps_every_invariant() {
//!     check_game::<MyGame>();
//! }
//! ```

use std::fmt::Debug;

use hearth_rules::{Catalog, Encoding, Game, Payload, Rng, Seat, Session, SessionHeader, Viewer};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::{Serialize, de::DeserializeOwned};

/// What the harness needs to know about a game beyond the `Game` trait.
pub trait GameUnderTest: Game {
    /// Configs to test with (keep real-time games short so cases stay quick).
    fn configs() -> BoxedStrategy<Self::Config>;
    /// Arbitrary actions, mostly illegal ones: out-of-range values, wrong phase, bad text.
    fn wild_actions() -> BoxedStrategy<Self::Action>;
    /// An upper bound on the steps (actions plus ticks) random legal play needs to finish.
    fn step_bound(config: &Self::Config, seats: u8) -> usize;
}

/// One scripted step.
#[derive(Debug, Clone)]
pub enum Step<A> {
    /// The `pick`-th legal action of the first seat at or after `seat` that has one.
    Legal {
        /// Where to start looking for a seat that can act.
        seat: u8,
        /// Which of its legal actions.
        pick: u16,
    },
    /// An arbitrary action from an arbitrary seat (possibly no seat at all).
    Wild {
        /// Seat number, possibly past the last seat.
        seat: u8,
        /// The action.
        action: A,
    },
    /// One tick (real-time games only; skipped otherwise).
    Tick,
}

/// A generated game: setup plus a script.
#[derive(Debug, Clone)]
pub struct Case<G: Game> {
    /// The config.
    pub config: G::Config,
    /// Seat count.
    pub seats: u8,
    /// Seed.
    pub seed: u64,
    /// The script.
    pub steps: Vec<Step<G::Action>>,
}

/// Cases per property: `PROPTEST_CASES` if set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The strategy for whole cases of `G`.
pub fn case_strategy<G: GameUnderTest>(max_steps: usize) -> BoxedStrategy<Case<G>> {
    let info = G::INFO;
    let step = if info.tick_rate.is_some() {
        prop_oneof![
            5 => (any::<u8>(), any::<u16>()).prop_map(|(seat, pick)| Step::Legal { seat, pick }),
            2 => (any::<u8>(), G::wild_actions()).prop_map(|(seat, action)| Step::Wild { seat, action }),
            4 => Just(Step::Tick),
        ]
        .boxed()
    } else {
        prop_oneof![
            6 => (any::<u8>(), any::<u16>()).prop_map(|(seat, pick)| Step::Legal { seat, pick }),
            2 => (any::<u8>(), G::wild_actions()).prop_map(|(seat, action)| Step::Wild { seat, action }),
        ]
        .boxed()
    };
    (
        G::configs(),
        info.min_seats..=info.max_seats,
        any::<u64>(),
        prop::collection::vec(step, 0..max_steps),
    )
        .prop_map(|(config, seats, seed, steps)| Case {
            config,
            seats,
            seed,
            steps,
        })
        .boxed()
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    /// An action was accepted.
    Applied,
    /// An action was refused with this error code.
    Refused(&'static str),
    /// A tick ran.
    Ticked,
    /// Nothing to do (no seat could act, tick on a turn-based game, game over).
    Skipped,
}

/// Resolves a `Legal` step to a concrete seat and action, if any seat can act.
pub fn resolve_legal<G: Game>(s: &Session<G>, seat: u8, pick: u16) -> Option<(Seat, G::Action)> {
    let n = s.seats();
    (0..n).map(|k| Seat((seat % n + k) % n)).find_map(|seat| {
        let legal = s.legal_actions(seat).ok()?;
        (!legal.is_empty()).then(|| (seat, legal[usize::from(pick) % legal.len()].clone()))
    })
}

/// Runs one step, checking on the way that a refused action changed nothing and said why.
pub fn run_step<G: Game>(
    s: &mut Session<G>,
    step: &Step<G::Action>,
) -> Result<Done, TestCaseError> {
    match step {
        Step::Legal { seat, pick } => match resolve_legal(s, *seat, *pick) {
            None => Ok(Done::Skipped),
            Some((seat, action)) => match s.apply(seat, action.clone()) {
                Ok(_) => Ok(Done::Applied),
                Err(e) => Err(TestCaseError::fail(format!(
                    "legal action {action:?} of seat {seat} was refused: {e}"
                ))),
            },
        },
        Step::Wild { seat, action } => {
            let (hash, log) = (s.hash(), s.log().len());
            match s.apply(Seat(*seat % (s.seats() + 1)), action.clone()) {
                Ok(_) => Ok(Done::Applied),
                Err(e) => {
                    prop_assert_eq!(s.hash(), hash, "refused {:?} changed the state", action);
                    prop_assert_eq!(s.log().len(), log);
                    prop_assert!(e.to_string().len() > 10, "refusal gives a reason: {}", e);
                    Ok(Done::Refused(e.code()))
                }
            }
        }
        Step::Tick if G::INFO.tick_rate.is_some() && !s.is_over() => {
            s.tick()
                .map_err(|e| TestCaseError::fail(format!("tick failed: {e}")))?;
            Ok(Done::Ticked)
        }
        Step::Tick => Ok(Done::Skipped),
    }
}

fn new_session<G: Game>(case: &Case<G>) -> Result<Session<G>, TestCaseError> {
    Session::new(case.config.clone(), case.seats, case.seed)
        .map_err(|e| TestCaseError::fail(format!("setup: {e}")))
}

/// Replaying the log from the header gives the live hash after every step.
pub fn replay_equals_live<G: Game>(case: &Case<G>) -> Result<(), TestCaseError> {
    let mut live = new_session(case)?;
    for step in &case.steps {
        run_step(&mut live, step)?;
        let mut replayed = Session::<G>::replay(live.header().clone(), live.log())
            .map_err(|e| TestCaseError::fail(format!("replay: {e}")))?;
        replayed
            .advance_to(live.tick_count())
            .map_err(|e| TestCaseError::fail(format!("advance: {e}")))?;
        prop_assert_eq!(
            replayed.hash(),
            live.hash(),
            "after {} log entries",
            live.log().len()
        );
    }
    Ok(())
}

/// Snapshot → restore → continue equals an uninterrupted run.
pub fn snapshot_restore_continue<G: Game>(
    case: &Case<G>,
    split: usize,
) -> Result<(), TestCaseError> {
    let split = split.min(case.steps.len());
    let mut straight = new_session(case)?;
    for step in &case.steps[..split] {
        run_step(&mut straight, step)?;
    }
    let bytes = straight.snapshot();
    let mut restored =
        Session::<G>::restore(&bytes).map_err(|e| TestCaseError::fail(format!("restore: {e}")))?;
    prop_assert_eq!(restored.hash(), straight.hash());
    for step in &case.steps[split..] {
        let a = run_step(&mut straight, step)?;
        let b = run_step(&mut restored, step)?;
        prop_assert_eq!(a, b);
        prop_assert_eq!(restored.hash(), straight.hash());
    }
    prop_assert_eq!(restored.log(), straight.log());
    Ok(())
}

/// The same case run twice gives the same hashes and outcome at every step.
pub fn same_seed_same_game<G: Game>(case: &Case<G>) -> Result<(), TestCaseError> {
    let mut a = new_session(case)?;
    let mut b = new_session(case)?;
    prop_assert_eq!(a.hash(), b.hash());
    for step in &case.steps {
        prop_assert_eq!(run_step(&mut a, step)?, run_step(&mut b, step)?);
        prop_assert_eq!(a.hash(), b.hash());
    }
    prop_assert_eq!(a.outcome(), b.outcome());
    Ok(())
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(
    value: &T,
) -> Result<(), TestCaseError> {
    for encoding in [Encoding::Json, Encoding::Postcard] {
        let payload = Payload::encode(value, encoding);
        let back: T = payload
            .decode("value")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, value, "{:?} round trip", encoding);
    }
    Ok(())
}

/// Driving the type-erased session with JSON and with postcard gives the same decisions,
/// events, views and hashes as the typed session; every action, view and event round-trips
/// through both encodings.
pub fn encodings_agree<G: Game>(case: &Case<G>) -> Result<(), TestCaseError> {
    let mut catalog = Catalog::new();
    catalog
        .register::<G>()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let config_json = Payload::encode(&case.config, Encoding::Json);
    let config_pc = Payload::encode(&case.config, Encoding::Postcard);
    let fail = |e: hearth_rules::RuleError| TestCaseError::fail(e.to_string());
    let mut json = catalog
        .create(G::INFO.name, &config_json, case.seats, case.seed)
        .map_err(fail)?;
    let mut pc = catalog
        .create(G::INFO.name, &config_pc, case.seats, case.seed)
        .map_err(fail)?;
    let mut typed = new_session(case)?;
    round_trip(&case.config)?;
    for step in &case.steps {
        let (seat, action) = match step {
            Step::Legal { seat, pick } => match resolve_legal(&typed, *seat, *pick) {
                Some(x) => x,
                None => continue,
            },
            Step::Wild { seat, action } => (Seat(*seat % (case.seats + 1)), action.clone()),
            Step::Tick => {
                if G::INFO.tick_rate.is_none() || typed.is_over() {
                    continue;
                }
                let events = typed.tick().map_err(fail)?.to_vec();
                let ej: Vec<G::Event> = json
                    .tick(Encoding::Json)
                    .map_err(fail)?
                    .decode("events")
                    .map_err(fail)?;
                let ep: Vec<G::Event> = pc
                    .tick(Encoding::Postcard)
                    .map_err(fail)?
                    .decode("events")
                    .map_err(fail)?;
                prop_assert_eq!(&ej, &events);
                prop_assert_eq!(&ep, &events);
                events.iter().try_for_each(round_trip)?;
                continue;
            }
        };
        round_trip(&action)?;
        let typed_result = typed.apply(seat, action.clone()).map(<[_]>::to_vec);
        let json_result = json.apply(seat, &Payload::encode(&action, Encoding::Json));
        let pc_result = pc.apply(seat, &Payload::encode(&action, Encoding::Postcard));
        match typed_result {
            Ok(events) => {
                let ej: Vec<G::Event> =
                    json_result.map_err(fail)?.decode("events").map_err(fail)?;
                let ep: Vec<G::Event> = pc_result.map_err(fail)?.decode("events").map_err(fail)?;
                prop_assert_eq!(&ej, &events);
                prop_assert_eq!(&ep, &events);
                events.iter().try_for_each(round_trip)?;
            }
            Err(e) => {
                prop_assert_eq!(json_result.map(drop), Err(e.clone()));
                prop_assert_eq!(pc_result.map(drop), Err(e));
            }
        }
        prop_assert_eq!(json.hash(), typed.hash());
        prop_assert_eq!(pc.hash(), typed.hash());
        let viewers = (0..case.seats)
            .map(|s| Viewer::Seat(Seat(s)))
            .chain([Viewer::Spectator]);
        for viewer in viewers {
            let view = typed.view(viewer).map_err(fail)?;
            round_trip(&view)?;
            let vj: G::View = json
                .view(viewer, Encoding::Json)
                .map_err(fail)?
                .decode("view")
                .map_err(fail)?;
            prop_assert_eq!(&vj, &view);
        }
    }
    // The erased session's snapshot restores through the catalog to the same game.
    let restored = catalog.restore(&pc.snapshot()).map_err(fail)?;
    prop_assert_eq!(restored.hash(), typed.hash());
    let replayed = catalog
        .replay(&json.header(Encoding::Json), &json.log(0, Encoding::Json))
        .map_err(fail)?;
    if G::INFO.tick_rate.is_none() {
        prop_assert_eq!(replayed.hash(), typed.hash());
    }
    prop_assert_eq!(typed.outcome(), json.outcome());
    Ok(())
}

/// Random legal play (a random bot for every seat) reaches an outcome within the bound.
pub fn random_play_ends<G: GameUnderTest>(
    config: &G::Config,
    seats: u8,
    seed: u64,
) -> Result<(), TestCaseError> {
    let mut s = Session::<G>::new(config.clone(), seats, seed)
        .map_err(|e| TestCaseError::fail(format!("setup: {e}")))?;
    let mut rng = Rng::from_seed(seed ^ 0x5eed);
    let bound = G::step_bound(config, seats);
    let mut steps = 0;
    while !s.is_over() && steps < bound {
        if G::INFO.tick_rate.is_some() {
            for seat in (0..seats).map(Seat) {
                if rng.chance(1, 2) {
                    let legal = s
                        .legal_actions(seat)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    if let Some(a) = rng.pick(&legal) {
                        s.apply(seat, a.clone())
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    }
                }
            }
            s.tick().map_err(|e| TestCaseError::fail(e.to_string()))?;
        } else {
            let seat = rng.below(u32::from(seats)) as u8;
            let Some((seat, action)) = resolve_legal(&s, seat, rng.next_u32() as u16) else {
                return Err(TestCaseError::fail(format!(
                    "no seat can act after {steps} steps, yet the game is not over"
                )));
            };
            s.apply(seat, action)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        steps += 1;
    }
    let Some(outcome) = s.outcome() else {
        return Err(TestCaseError::fail(format!(
            "no outcome after {steps} steps (bound {bound})"
        )));
    };
    prop_assert_eq!(outcome.scores.len(), usize::from(seats));
    prop_assert!(outcome.winners.iter().all(|w| w.0 < seats));
    Ok(())
}

fn run<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{name}: {e}");
    }
}

/// Property: replay equals live at every step.
pub fn check_replay<G: GameUnderTest>(cases_default: u32, max_steps: usize) {
    run(
        "replay equals live",
        cases(cases_default),
        case_strategy::<G>(max_steps),
        |c| replay_equals_live(&c),
    );
}

/// A forecast (`Session::predict`) from any host view, fed the same inputs and ticks as the
/// host, keeps exactly the host's state until the generator is drawn (`draws` tells from a
/// step's events; the forecast's generator is not the host's). Real-time games that
/// implement `Game::from_view`.
pub fn forecast_matches<G: Game + PartialEq>(
    case: &Case<G>,
    split: usize,
    viewer: Viewer,
    draws: fn(&G::Event) -> bool,
) -> Result<(), TestCaseError> {
    let split = split.min(case.steps.len());
    let mut live = new_session(case)?;
    for step in &case.steps[..split] {
        run_step(&mut live, step)?;
    }
    let view = live
        .view(viewer)
        .map_err(|e| TestCaseError::fail(format!("view: {e}")))?;
    let header = SessionHeader {
        seed: 0,
        ..live.header().clone()
    };
    let mut forecast = Session::<G>::predict(header, live.tick_count(), &view)
        .map_err(|e| TestCaseError::fail(format!("predict: {e}")))?;
    prop_assert_eq!(forecast.state(), live.state());
    for step in &case.steps[split..] {
        // The host's decision, then the very same call on the forecast.
        let (seat, action) = match step {
            Step::Legal { seat, pick } => match resolve_legal(&live, *seat, *pick) {
                Some(picked) => picked,
                None => continue,
            },
            Step::Wild { seat, action } => (Seat(*seat % (live.seats() + 1)), action.clone()),
            Step::Tick => {
                if live.is_over() {
                    continue;
                }
                let drawn = live
                    .tick()
                    .map_err(|e| TestCaseError::fail(format!("tick: {e}")))?
                    .iter()
                    .any(draws);
                if drawn {
                    return Ok(());
                }
                forecast
                    .tick()
                    .map_err(|e| TestCaseError::fail(format!("forecast tick: {e}")))?;
                prop_assert_eq!(forecast.state(), live.state());
                continue;
            }
        };
        let a = live.apply(seat, action.clone()).map(|e| e.to_vec());
        let b = forecast.apply(seat, action).map(|e| e.to_vec());
        prop_assert_eq!(a.map_err(|e| e.code()), b.map_err(|e| e.code()));
        prop_assert_eq!(forecast.state(), live.state());
        prop_assert_eq!(forecast.view(viewer).ok(), live.view(viewer).ok());
    }
    Ok(())
}

/// Property: [`forecast_matches`] from a spectator's and a seat's view at any point.
pub fn check_forecasts<G: GameUnderTest + PartialEq>(
    cases_default: u32,
    max_steps: usize,
    draws: fn(&G::Event) -> bool,
) {
    run(
        "forecast from a view equals the host",
        cases(cases_default),
        (case_strategy::<G>(max_steps), any::<usize>(), any::<bool>()),
        |(c, split, seated)| {
            let viewer = if seated {
                Viewer::Seat(Seat(0))
            } else {
                Viewer::Spectator
            };
            forecast_matches(&c, split % (c.steps.len() + 1), viewer, draws)
        },
    );
}

/// Property: snapshot → restore → continue equals an uninterrupted run.
pub fn check_snapshots<G: GameUnderTest>(cases_default: u32, max_steps: usize) {
    let strategy = (case_strategy::<G>(max_steps), any::<usize>());
    run(
        "snapshot, restore, continue",
        cases(cases_default),
        strategy,
        |(c, split)| {
            let split = split % (c.steps.len() + 1);
            snapshot_restore_continue(&c, split)
        },
    );
}

/// Property: JSON, postcard and typed sessions agree; values round-trip.
pub fn check_encodings<G: GameUnderTest>(cases_default: u32, max_steps: usize) {
    run(
        "encodings agree",
        cases(cases_default),
        case_strategy::<G>(max_steps),
        |c| encodings_agree(&c),
    );
}

/// Property: same seed, same game.
pub fn check_same_seed<G: GameUnderTest>(cases_default: u32, max_steps: usize) {
    run(
        "same seed, same game",
        cases(cases_default),
        case_strategy::<G>(max_steps),
        |c| same_seed_same_game(&c),
    );
}

/// Property: random legal play ends within the bound.
pub fn check_random_play_ends<G: GameUnderTest>(cases_default: u32) {
    let info = G::INFO;
    let strategy = (G::configs(), info.min_seats..=info.max_seats, any::<u64>());
    run(
        "random play ends",
        cases(cases_default),
        strategy,
        |(config, seats, seed)| random_play_ends::<G>(&config, seats, seed),
    );
}

/// Every check above with modest defaults; `PROPTEST_CASES` overrides the case counts.
pub fn check_game<G: GameUnderTest>() {
    check_replay::<G>(32, 80);
    check_snapshots::<G>(32, 80);
    check_encodings::<G>(32, 60);
    check_same_seed::<G>(32, 80);
    check_random_play_ends::<G>(16);
}
