//! Golden vectors: recorded games with the expected state hash after every step. They are
//! the contract that every build of the rules (native, Wasm, C, Godot) must reproduce.
//! The format is documented in `tests/vectors/README.md`.

use std::path::Path;

use hearth_rules::{Catalog, DynSession, Encoding, Outcome, Payload, RuleError, Seat, hash_hex};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::HarnessError;
use crate::error::{io, rules};

/// Current vector format.
pub const FORMAT: u32 = 1;

/// One recorded game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Format version ([`FORMAT`]).
    pub format: u32,
    /// File stem, e.g. `connect-four-draw`.
    pub name: String,
    /// What the vector exercises.
    pub description: String,
    /// Catalog name of the game.
    pub game: String,
    /// Rules fingerprint the vector was recorded with.
    pub fingerprint: String,
    /// Game config as JSON.
    pub config: Value,
    /// Seat count.
    pub seats: u8,
    /// Seed.
    pub seed: u64,
    /// State hash right after setup (16 hex digits).
    pub initial_hash: String,
    /// The steps in order.
    pub steps: Vec<VectorStep>,
    /// The outcome after the last step (`null` if the game had not ended).
    pub outcome: Option<Outcome>,
}

/// One step: an action (accepted or refused) or a tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum VectorStep {
    /// Apply `action` for `seat`.
    Apply {
        /// Acting seat (may be out of range on purpose).
        seat: u8,
        /// The action as JSON.
        action: Value,
        /// The same action as postcard bytes in hex, or `null` if it does not decode.
        action_postcard: Option<String>,
        /// `null` if accepted, else the refusal's error code.
        error: Option<String>,
        /// State hash after the step.
        hash: String,
    },
    /// Advance one tick.
    Tick {
        /// State hash after the tick.
        hash: String,
    },
}

use hearth_rules::to_hex as hex;

/// Parses hex into bytes (`hearth_rules::from_hex`).
pub use hearth_rules::from_hex as unhex;

/// Records a game into a [`Vector`].
pub struct Recorder {
    session: DynSession,
    vector: Vector,
}

impl Recorder {
    /// Starts recording a new game.
    pub fn new(
        catalog: &Catalog,
        name: &str,
        description: &str,
        game: &str,
        config: Value,
        seats: u8,
        seed: u64,
    ) -> Result<Self, RuleError> {
        let session = catalog.create(game, &Payload::Json(config.clone()), seats, seed)?;
        let vector = Vector {
            format: FORMAT,
            name: name.into(),
            description: description.into(),
            game: game.into(),
            fingerprint: session.meta().fingerprint.to_string(),
            config,
            seats,
            seed,
            initial_hash: hash_hex(session.hash()),
            steps: Vec::new(),
            outcome: None,
        };
        Ok(Recorder { session, vector })
    }

    /// The session being recorded.
    pub fn session(&self) -> &DynSession {
        &self.session
    }

    /// Applies and records an action; returns whether it was accepted.
    pub fn apply(&mut self, seat: u8, action: Value) -> bool {
        let payload = Payload::Json(action.clone());
        let action_postcard = match self.session.convert_action(&payload, Encoding::Postcard) {
            Ok(Payload::Postcard(bytes)) => Some(hex(&bytes)),
            _ => None,
        };
        let error = self
            .session
            .apply(Seat(seat), &payload)
            .err()
            .map(|e| e.code().to_string());
        let accepted = error.is_none();
        self.vector.steps.push(VectorStep::Apply {
            seat,
            action,
            action_postcard,
            error,
            hash: hash_hex(self.session.hash()),
        });
        accepted
    }

    /// Ticks and records.
    pub fn tick(&mut self) -> Result<(), RuleError> {
        self.session.tick(Encoding::Json)?;
        self.vector.steps.push(VectorStep::Tick {
            hash: hash_hex(self.session.hash()),
        });
        Ok(())
    }

    /// The bot's action for `seat` at `level`, as JSON.
    pub fn bot(&self, seat: u8, level: u8) -> Option<Value> {
        match self.session.bot_action(Seat(seat), level, Encoding::Json) {
            Ok(Some(Payload::Json(v))) => Some(v),
            _ => None,
        }
    }

    /// The first seat from `from` on that has a legal action.
    pub fn seat_to_act(&self, from: u8) -> Option<u8> {
        let n = self.vector.seats;
        (0..n).map(|k| (from + k) % n).find(|&s| {
            matches!(self.session.legal_actions(Seat(s), Encoding::Json), Ok(Payload::Json(Value::Array(a))) if !a.is_empty())
        })
    }

    /// Finishes the recording.
    pub fn finish(mut self) -> Vector {
        self.vector.outcome = self.session.outcome();
        self.vector
    }
}

/// Writes a vector as JSON with one step per line (readable diffs, easy to stream).
pub fn to_json(v: &Vector) -> String {
    fn j<T: Serialize + ?Sized>(x: &T) -> String {
        serde_json::to_string(x).unwrap_or_default()
    }
    let fields = [
        ("format", j(&v.format)),
        ("name", j(&v.name)),
        ("description", j(&v.description)),
        ("game", j(&v.game)),
        ("fingerprint", j(&v.fingerprint)),
        ("config", j(&v.config)),
        ("seats", j(&v.seats)),
        ("seed", j(&v.seed)),
        ("initial_hash", j(&v.initial_hash)),
        ("outcome", j(&v.outcome)),
    ];
    let mut out = String::from("{\n");
    for (k, val) in fields {
        out.push_str(&format!("  \"{k}\": {val},\n"));
    }
    out.push_str("  \"steps\": [\n");
    let steps: Vec<String> = v.steps.iter().map(|s| format!("    {}", j(s))).collect();
    out.push_str(&steps.join(",\n"));
    out.push_str("\n  ]\n}\n");
    out
}

/// Replays a vector through the catalog twice — actions as JSON and as postcard — and
/// checks every step's acceptance, error code and hash, and the outcome. Returns a
/// description of the first mismatch.
pub fn check(catalog: &Catalog, v: &Vector) -> Result<(), HarnessError> {
    let differs = |what: String| HarnessError::Differs {
        subject: v.name.clone(),
        what,
    };
    let at = |i: usize, what: String| differs(format!("step {i}: {what}"));
    if v.format != FORMAT {
        return Err(differs(format!("format {} is not {FORMAT}", v.format)));
    }
    let meta = catalog.get(&v.game).map_err(rules(&v.name))?;
    if meta.fingerprint.to_string() != v.fingerprint {
        return Err(differs(format!(
            "recorded with rules {}, these are {}; if the rules changed on purpose, bump the game's version and regenerate",
            v.fingerprint, meta.fingerprint
        )));
    }
    let mut by_json = catalog
        .create(&v.game, &Payload::Json(v.config.clone()), v.seats, v.seed)
        .map_err(rules(&v.name))?;
    let mut by_postcard = by_json.clone();
    if hash_hex(by_json.hash()) != v.initial_hash {
        return Err(differs(format!(
            "initial hash {} != {}",
            hash_hex(by_json.hash()),
            v.initial_hash
        )));
    }
    for (i, step) in v.steps.iter().enumerate() {
        match step {
            VectorStep::Apply {
                seat,
                action,
                action_postcard,
                error,
                hash,
            } => {
                let got = by_json
                    .apply(Seat(*seat), &Payload::Json(action.clone()))
                    .err()
                    .map(|e| e.code().to_string());
                if &got != error {
                    return Err(at(
                        i,
                        format!("JSON action {action} gave {got:?}, expected {error:?}"),
                    ));
                }
                if let Some(bytes) = action_postcard {
                    let bytes = unhex(bytes).ok_or_else(|| at(i, "bad hex".into()))?;
                    let got = by_postcard
                        .apply(Seat(*seat), &Payload::Postcard(bytes))
                        .err()
                        .map(|e| e.code().to_string());
                    if &got != error {
                        return Err(at(
                            i,
                            format!("postcard action gave {got:?}, expected {error:?}"),
                        ));
                    }
                }
                for (which, s) in [("JSON", &by_json), ("postcard", &by_postcard)] {
                    if action_postcard.is_none() && which == "postcard" {
                        continue;
                    }
                    if &hash_hex(s.hash()) != hash {
                        return Err(at(
                            i,
                            format!("{which} hash {} != {hash}", hash_hex(s.hash())),
                        ));
                    }
                }
            }
            VectorStep::Tick { hash } => {
                by_json
                    .tick(Encoding::Json)
                    .map_err(|e| at(i, e.to_string()))?;
                by_postcard
                    .tick(Encoding::Postcard)
                    .map_err(|e| at(i, e.to_string()))?;
                if &hash_hex(by_json.hash()) != hash || by_postcard.hash() != by_json.hash() {
                    return Err(at(
                        i,
                        format!("tick hash {} != {hash}", hash_hex(by_json.hash())),
                    ));
                }
            }
        }
    }
    if by_json.outcome() != v.outcome {
        return Err(differs(format!(
            "outcome {:?} != {:?}",
            by_json.outcome(),
            v.outcome
        )));
    }
    Ok(())
}

/// Reads every `*.json` vector in `dir`, sorted by file name.
pub fn read_dir(dir: &Path) -> Result<Vec<Vector>, HarnessError> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(io(p))?;
            serde_json::from_str(&text).map_err(|e| HarnessError::Malformed {
                path: p.clone(),
                reason: format!(
                    "not a golden vector ({e}); fix the JSON or delete the file to record again"
                ),
            })
        })
        .collect()
}

/// Bot levels per seat cycle through `levels`.
fn play_turns(
    r: &mut Recorder,
    levels: &[u8],
    max_steps: usize,
    mut inject: impl FnMut(&mut Recorder, usize),
) {
    let mut next = 0u8;
    for step in 0..max_steps {
        if r.session().is_over() {
            break;
        }
        inject(r, step);
        let Some(seat) = r.seat_to_act(next) else {
            break;
        };
        let level = levels[usize::from(seat) % levels.len()];
        let Some(action) = r.bot(seat, level) else {
            break;
        };
        r.apply(seat, action);
        next = seat.wrapping_add(1) % r.vector.seats;
    }
}

/// Tanks: each tick every seat's bot decides; a seat sends an input only when it changed
/// (or, with `sparse`, only on every third tick), so "keeps its last input" is exercised.
fn play_ticks(r: &mut Recorder, levels: &[u8], sparse: bool) -> Result<(), RuleError> {
    let seats = r.vector.seats;
    let mut last: Vec<Option<Value>> = vec![None; usize::from(seats)];
    let mut tick = 0u32;
    while !r.session().is_over() {
        for seat in 0..seats {
            if sparse && !(tick + u32::from(seat)).is_multiple_of(3) {
                continue;
            }
            let level = levels[usize::from(seat) % levels.len()];
            if let Some(input) = r.bot(seat, level)
                && last[usize::from(seat)].as_ref() != Some(&input)
            {
                r.apply(seat, input.clone());
                last[usize::from(seat)] = Some(input);
            }
        }
        if sparse && tick % 50 == 7 {
            r.apply(0, json!({"turn": 3, "thrust": 0, "fire": false}));
            r.apply(seats, json!({"turn": 0, "thrust": 1, "fire": false}));
            r.apply(1, json!({"turn": 0, "thrust": "full"}));
        }
        r.tick()?;
        tick += 1;
    }
    Ok(())
}

/// Generates the built-in vector set (at least five per game).
pub fn generate(catalog: &Catalog) -> Result<Vec<Vector>, RuleError> {
    let mut out = Vec::new();
    let c4 = |name: &str, desc: &str, config: Value, seed: u64| {
        Recorder::new(catalog, name, desc, "connect-four", config, 2, seed)
    };

    let mut r = c4(
        "connect-four-bots",
        "alpha-beta depth 4 against depth 2 to the end",
        json!({}),
        1,
    )?;
    play_turns(&mut r, &[4, 2], 64, |_, _| {});
    out.push(r.finish());

    let mut r = c4(
        "connect-four-deep",
        "alpha-beta depth 6 against depth 5",
        json!({"first_seat": 1}),
        99,
    )?;
    play_turns(&mut r, &[6, 5], 64, |_, _| {});
    out.push(r.finish());

    let mut r = c4(
        "connect-four-random",
        "random play (bot level 0) to the end",
        json!(null),
        7,
    )?;
    play_turns(&mut r, &[0], 64, |_, _| {});
    out.push(r.finish());

    let mut r = c4(
        "connect-four-refusals",
        "a vertical win with refused moves in between: out of turn, off the board, full column, no such seat, malformed",
        json!({"first_seat": 0}),
        3,
    )?;
    for (seat, action) in [
        (0, json!({"column": 0})),
        (1, json!({"column": 0})),
        (1, json!({"column": 1})),
        (0, json!({"column": 0})),
        (1, json!({"column": 0})),
        (0, json!({"column": 7})),
        (0, json!({"column": 0})),
        (1, json!({"column": 0})),
        (0, json!({"column": 0})),
        (2, json!({"column": 4})),
        (0, json!({"column": "x"})),
        (0, json!({"row": 1})),
        (0, json!({"column": 4})),
        (1, json!({"column": 4})),
        (0, json!({"column": 5})),
        (1, json!({"column": 4})),
        (0, json!({"column": 3})),
        (1, json!({"column": 4})),
        (0, json!({"column": 6})),
        (1, json!({"column": 4})),
        (0, json!({"column": 1})),
    ] {
        r.apply(seat, action);
    }
    out.push(r.finish());

    let mut r = c4(
        "connect-four-draw",
        "a full board with no four in a row",
        json!({"first_seat": 0}),
        5,
    )?;
    let order = [
        0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 2, 3, 2, 3, 2, 3, 3, 2, 3, 2, 3, 2, 4, 5, 4, 5, 4, 5,
        5, 4, 5, 4, 5, 4, 6, 6, 6, 6, 6, 6,
    ];
    for (i, column) in order.into_iter().enumerate() {
        r.apply((i % 2) as u8, json!({ "column": column }));
    }
    out.push(r.finish());

    let ch = |name: &str, desc: &str, config: Value, seats: u8, seed: u64| {
        Recorder::new(catalog, name, desc, "chameleon", config, seats, seed)
    };
    let mut r = ch(
        "chameleon-3-seats",
        "three bots (level 2), two rounds",
        json!({"rounds": 2}),
        3,
        3,
    )?;
    play_turns(&mut r, &[2], 200, |_, _| {});
    out.push(r.finish());

    let mut r = ch(
        "chameleon-refusals",
        "four bots with refused actions: empty, too long and bad-charset clues, out of turn, voting for oneself, voting twice, guessing off the card",
        json!({"rounds": 3}),
        4,
        11,
    )?;
    play_turns(&mut r, &[1, 2], 300, |r, step| {
        if step % 5 == 0 {
            let seat = r.seat_to_act(0).unwrap_or(0);
            r.apply(seat, json!({"clue": "   "}));
            r.apply(seat, json!({"clue": "x".repeat(40)}));
            r.apply(seat, json!({"clue": "100%"}));
            r.apply((seat + 1) % 4, json!({"clue": "early"}));
            r.apply(seat, json!({"vote": seat}));
            r.apply(seat, json!({"guess": "Nothing"}));
            r.apply(seat, json!({"shout": "hi"}));
        }
    });
    out.push(r.finish());

    let mut r = ch(
        "chameleon-random",
        "five seats playing random legal actions, two rounds",
        json!({"rounds": 2}),
        5,
        21,
    )?;
    play_turns(&mut r, &[0], 300, |_, _| {});
    out.push(r.finish());

    let mut r = ch(
        "chameleon-8-seats",
        "eight bots, one round, secret word allowed in clues",
        json!({"rounds": 1, "forbid_secret_in_clue": false}),
        8,
        8,
    )?;
    play_turns(&mut r, &[2, 1, 0], 200, |_, _| {});
    out.push(r.finish());

    let mut r = ch(
        "chameleon-short-clues",
        "six seats, mixed bots, three rounds, clues of at most 10 characters",
        json!({"rounds": 3, "max_clue_len": 10}),
        6,
        66,
    )?;
    play_turns(&mut r, &[2, 0, 1], 400, |_, _| {});
    out.push(r.finish());

    let tk = |name: &str, desc: &str, config: Value, seats: u8, seed: u64| {
        Recorder::new(catalog, name, desc, "tanks", config, seats, seed)
    };
    let mut r = tk(
        "tanks-duel",
        "two aiming bots on the open map for 10 s",
        json!({"map": "open", "duration_secs": 10, "score_limit": 0}),
        2,
        2,
    )?;
    play_ticks(&mut r, &[3], false)?;
    out.push(r.finish());

    let mut r = tk(
        "tanks-4-arena",
        "four bots (level 1) in the arena for 10 s",
        json!({"duration_secs": 10}),
        4,
        4,
    )?;
    play_ticks(&mut r, &[1], false)?;
    out.push(r.finish());

    let mut r = tk(
        "tanks-16-score-limit",
        "sixteen bots of mixed levels, ends at 3 kills or 15 s",
        json!({"duration_secs": 15, "score_limit": 3}),
        16,
        16,
    )?;
    play_ticks(&mut r, &[3, 2, 1], false)?;
    out.push(r.finish());

    let mut r = tk(
        "tanks-sparse-inputs",
        "three random-input seats sending only every third tick, with refused inputs",
        json!({"duration_secs": 10}),
        3,
        33,
    )?;
    play_ticks(&mut r, &[0], true)?;
    out.push(r.finish());

    let mut r = tk(
        "tanks-8-open",
        "eight aiming bots on the open map for 12 s",
        json!({"map": "open", "duration_secs": 12}),
        8,
        88,
    )?;
    play_ticks(&mut r, &[3, 1], false)?;
    out.push(r.finish());

    Ok(out)
}

/// A game of bots to record as a vector ([`record_bot_game`]).
#[derive(Debug, Clone)]
pub struct BotGame<'a> {
    /// The vector's name (its file stem).
    pub name: &'a str,
    /// Catalog name of the game.
    pub game: &'a str,
    /// The config as JSON (`null` for the defaults).
    pub config: Value,
    /// Seat count.
    pub seats: u8,
    /// Seed.
    pub seed: u64,
    /// Bot levels, cycling by seat (empty: level 0).
    pub levels: &'a [u8],
    /// At most this many actions (turn-based) or ticks (real-time).
    pub max_steps: usize,
}

/// Records a game of bots as a vector: turn-based games move by move, real-time games tick by
/// tick (each seat sending its bot's input when it changes). Every fifth move the acting
/// seat's action is first tried from the next seat and from a seat past the table, so the
/// vector records refusals (or, for simultaneous moves, acceptances) too.
pub fn record_bot_game(catalog: &Catalog, spec: &BotGame<'_>) -> Result<Vector, RuleError> {
    let BotGame {
        name,
        game,
        ref config,
        seats,
        seed,
        levels,
        max_steps,
    } = *spec;
    let config = config.clone();
    let levels = if levels.is_empty() { &[0][..] } else { levels };
    let description = format!("bots at levels {levels:?} with injected refusals, {seats} seats");
    let mut r = Recorder::new(catalog, name, &description, game, config, seats, seed)?;
    if r.session().meta().tick_rate.is_some() {
        let mut last: Vec<Option<Value>> = vec![None; usize::from(seats)];
        for _ in 0..max_steps {
            if r.session().is_over() {
                break;
            }
            for seat in 0..seats {
                let level = levels[usize::from(seat) % levels.len()];
                if let Some(input) = r.bot(seat, level)
                    && last[usize::from(seat)].as_ref() != Some(&input)
                {
                    r.apply(seat, input.clone());
                    last[usize::from(seat)] = Some(input);
                }
            }
            r.tick()?;
        }
    } else {
        play_turns(&mut r, levels, max_steps, |r, step| {
            if step % 5 != 4 {
                return;
            }
            let n = r.vector.seats;
            if let Some(seat) = r.seat_to_act(0)
                && let Some(action) = r.bot(seat, 0)
            {
                // Rarely legal for another seat; the vector records what the rules said.
                let other = (seat + 1) % n;
                if r.seat_to_act(other) != Some(other) {
                    r.apply(other, action.clone());
                }
                r.apply(n, action);
            }
        });
    }
    Ok(r.finish())
}

/// The golden vectors of every game in `catalog`, kept in `dir`: when `dir` holds vectors,
/// checks each against the rules ([`check`]) and that every game has some; when it holds none
/// (a new project), records `per_seats` bot games per seat count in `seats` (within each
/// game's range) and writes them, unless the `CI` variable is set (a CI run must not invent
/// its own expectations). Returns a one-line report.
pub fn check_or_record(
    catalog: &Catalog,
    dir: &Path,
    seats: &[u8],
    per_seats: u64,
) -> Result<String, HarnessError> {
    let existing = if dir.exists() {
        read_dir(dir)?
    } else {
        Vec::new()
    };
    if existing.is_empty() {
        if std::env::var_os("CI").is_some() {
            return Err(HarnessError::NoVectors {
                dir: dir.to_path_buf(),
                game: None,
            });
        }
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut written = 0;
        for meta in catalog.games() {
            for &n in seats
                .iter()
                .filter(|&&n| (meta.min_seats..=meta.max_seats).contains(&n))
            {
                for k in 0..per_seats {
                    let name = format!("{}-{n}-seats-{k}", meta.name);
                    let seed = 1 + k * 7919 + u64::from(n);
                    let levels = [k as u8 % 3, 1, 2];
                    let spec = BotGame {
                        name: &name,
                        game: &meta.name,
                        config: Value::Null,
                        seats: n,
                        seed,
                        levels: &levels,
                        max_steps: 400,
                    };
                    let v = record_bot_game(catalog, &spec).map_err(rules(&name))?;
                    let path = dir.join(format!("{name}.json"));
                    std::fs::write(&path, to_json(&v)).map_err(io(&path))?;
                    written += 1;
                }
            }
        }
        return Ok(format!(
            "recorded {written} golden vectors into {} (commit them: from now on every build replays them)",
            dir.display()
        ));
    }
    for meta in catalog.games() {
        if !existing.iter().any(|v| v.game == meta.name) {
            return Err(HarnessError::NoVectors {
                dir: dir.to_path_buf(),
                game: Some(meta.name.clone()),
            });
        }
    }
    let mut steps = 0;
    for v in &existing {
        check(catalog, v)?;
        steps += v.steps.len();
    }
    Ok(format!(
        "{} golden vectors, {steps} steps: every hash, refusal and outcome as recorded",
        existing.len()
    ))
}

/// The vectors flattened to the tab-separated lines Hearth's C and LuaJIT vector players
/// read (`host-ffi/tests/c/play_vectors.c`; format in ffi/README.md).
pub fn flatten(vectors: &[Vector]) -> String {
    let mut out = String::new();
    for v in vectors {
        out += &format!("vector\t{}\t{}\n", v.name, v.steps.len());
        out += &format!("game\t{}\n", v.game);
        out += &format!("seats\t{}\n", v.seats);
        out += &format!("seed\t{}\n", v.seed);
        out += &format!("config\t{}\n", v.config);
        out += &format!("initial\t{}\n", v.initial_hash);
        for s in &v.steps {
            match s {
                VectorStep::Apply {
                    seat,
                    action,
                    action_postcard,
                    error,
                    hash,
                } => {
                    out += &format!(
                        "apply\t{seat}\t{}\t{hash}\t{}\t{action}\n",
                        error.as_deref().unwrap_or("-"),
                        action_postcard.as_deref().unwrap_or("-"),
                    )
                }
                VectorStep::Tick { hash } => out += &format!("tick\t{hash}\n"),
            }
        }
        out += &format!(
            "outcome\t{}\n",
            serde_json::to_string(&v.outcome).unwrap_or_default()
        );
    }
    out
}

/// A project's golden vectors in `dir` ([`check_or_record`] with the set `hearth new`
/// projects use: three bot games per seat count from 2 to 4). Every test that replays the
/// vectors calls it first, so whichever runs first on a new project records them.
pub fn project_vectors(games: hearth_rules::Games, dir: &Path) -> Result<String, HarnessError> {
    let catalog = Catalog::of(games).map_err(rules("the games' catalog"))?;
    check_or_record(&catalog, dir, &[2, 3, 4], 3)
}
