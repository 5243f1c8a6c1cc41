//! __name__: the rules of the game, written once and played offline, on a LAN host and on
//! the official server, from Rust, the browser, Godot and C.
//!
//! The starter game is **Pig**, a dice race, so you can see every part working before you
//! change anything: on your turn you `"roll"` a die as often as you like, adding it to your
//! turn total, or `"hold"` to bank that total. Rolling a 1 loses the turn total and passes
//! the turn. The first seat to bank `target` points (config, default 30) wins.
//!
//! Make it your game by changing the types and the five methods of [`Game`] below; keep
//! the rules pure (no clocks, I/O, threads, floats or `HashMap` in the state; randomness only
//! from the `rng` argument). `cargo test` puts them through Hearth's property checks, plays
//! generated games offline, on a LAN host and on the official server and compares them, and
//! replays the golden vectors in `rules/vectors/` (written on the first run).
//!
//! JSON shapes: config `{"target": 30}`, actions `"roll"` and `"hold"`, events
//! `{"rolled": {"seat": 0, "face": 4}}`, `{"held": {"seat": 0, "banked": 12}}`,
//! `{"won": {"seat": 0}}`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use hearth_rules::{Catalog, Game, GameInfo, Outcome, Rng, RuleError, Seat, Viewer};
use serde::{Deserialize, Serialize};

/// This crate's games: what every Hearth product is given (`hearth_cli::run(games)`,
/// `hearth_wasm::export!(games)`, `hearth_godot::extension!(…, games)`,
/// `hearth_ffi::export_c_api!(games)`). Register more games here as you write them.
pub fn games(catalog: &mut Catalog) -> Result<(), RuleError> {
    catalog.register::<__Type__>()?;
    Ok(())
}

/// Table options. JSON: `{"target": 30}` (every field optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct __Type__Config {
    /// Points to bank to win, 10–100.
    pub target: u16,
}

impl Default for __Type__Config {
    fn default() -> Self {
        __Type__Config { target: 30 }
    }
}

/// What the seat to move can do. JSON: `"roll"` or `"hold"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum __Type__Action {
    /// Roll the die: 2–6 adds to the turn total, 1 loses it and ends the turn.
    Roll,
    /// Bank the turn total and pass the die.
    Hold,
}

/// What happened (events are public to every seat and spectator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum __Type__Event {
    /// A seat rolled the die.
    Rolled {
        /// Who rolled.
        seat: Seat,
        /// The face, 1–6.
        face: u8,
    },
    /// A seat banked its turn total.
    Held {
        /// Who held.
        seat: Seat,
        /// Points banked.
        banked: u16,
    },
    /// A seat reached the target.
    Won {
        /// The winner.
        seat: Seat,
    },
}

/// What a viewer sees. Pig has no secrets, so every seat sees the same; a game with hidden
/// information leaves out here what `viewer` may not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct __Type__View {
    /// Banked points, by seat.
    pub scores: Vec<u16>,
    /// Whose turn it is; `None` once the game is over.
    pub to_move: Option<Seat>,
    /// Points rolled this turn, not yet banked.
    pub turn_total: u16,
    /// The last face rolled this turn, if any.
    pub last_roll: Option<u8>,
    /// Points to bank to win.
    pub target: u16,
    /// The winner, once there is one.
    pub winner: Option<Seat>,
}

/// The game's state: everything the rules need, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct __Type__ {
    target: u16,
    scores: Vec<u16>,
    to_move: Seat,
    turn_total: u16,
    last_roll: Option<u8>,
    winner: Option<Seat>,
}

impl __Type__ {
    fn pass_turn(&mut self) {
        self.turn_total = 0;
        self.last_roll = None;
        self.to_move = Seat((self.to_move.0 + 1) % self.scores.len() as u8);
    }
}

impl Game for __Type__ {
    type Config = __Type__Config;
    type Action = __Type__Action;
    type View = __Type__View;
    type Event = __Type__Event;

    const INFO: GameInfo = GameInfo {
        name: "__name__",
        version: 1,
        min_seats: 2,
        max_seats: 4,
        tick_rate: None,
        hidden_information: false,
        description: "Roll to grow your turn total, hold to bank it; a 1 loses it. First to the target wins.",
    };

    fn setup(config: &__Type__Config, seats: u8, _rng: &mut Rng) -> Result<Self, RuleError> {
        if !(10..=100).contains(&config.target) {
            return Err(RuleError::config(format!(
                "target is {}; choose 10 to 100",
                config.target
            )));
        }
        Ok(__Type__ {
            target: config.target,
            scores: vec![0; usize::from(seats)],
            to_move: Seat(0),
            turn_total: 0,
            last_roll: None,
            winner: None,
        })
    }

    fn apply(
        &mut self,
        seat: Seat,
        action: &__Type__Action,
        rng: &mut Rng,
        events: &mut Vec<__Type__Event>,
    ) -> Result<(), RuleError> {
        // Validate fully before changing anything: a refused action must change nothing.
        if seat != self.to_move {
            return Err(RuleError::NotYourTurn {
                seat: seat.0,
                waiting_for: self.to_move.0,
            });
        }
        match action {
            __Type__Action::Roll => {
                let face = rng.below(6) as u8 + 1;
                events.push(__Type__Event::Rolled { seat, face });
                if face == 1 {
                    self.pass_turn();
                } else {
                    self.turn_total = self.turn_total.saturating_add(u16::from(face));
                    self.last_roll = Some(face);
                }
            }
            __Type__Action::Hold => {
                if self.turn_total == 0 {
                    return Err(RuleError::illegal(
                        "there is nothing to bank yet; roll first",
                    ));
                }
                let banked = self.turn_total;
                let score = &mut self.scores[seat.index()];
                *score += banked;
                events.push(__Type__Event::Held { seat, banked });
                if *score >= self.target {
                    self.winner = Some(seat);
                    events.push(__Type__Event::Won { seat });
                } else {
                    self.pass_turn();
                }
            }
        }
        Ok(())
    }

    fn legal_actions(&self, seat: Seat) -> Vec<__Type__Action> {
        if self.winner.is_some() || seat != self.to_move {
            Vec::new()
        } else if self.turn_total == 0 {
            vec![__Type__Action::Roll]
        } else {
            vec![__Type__Action::Roll, __Type__Action::Hold]
        }
    }

    fn view(&self, _viewer: Viewer) -> __Type__View {
        __Type__View {
            scores: self.scores.clone(),
            to_move: self.winner.is_none().then_some(self.to_move),
            turn_total: self.turn_total,
            last_roll: self.last_roll,
            target: self.target,
            winner: self.winner,
        }
    }

    fn is_over(&self) -> bool {
        self.winner.is_some()
    }

    fn outcome(&self) -> Option<Outcome> {
        let winner = self.winner?;
        Some(Outcome {
            winners: vec![winner],
            scores: self.scores.iter().map(|&s| i32::from(s)).collect(),
        })
    }

    fn bot_action(&self, seat: Seat, level: u8, rng: &mut Rng) -> Option<__Type__Action> {
        let legal = self.legal_actions(seat);
        if level == 0 {
            return rng.pick(&legal).copied();
        }
        // Hold at 20 (the textbook strategy), or at once when that wins.
        let needed = self.target.saturating_sub(self.scores[seat.index()]);
        let hold = self.turn_total >= 20.min(needed);
        match legal.as_slice() {
            [] => None,
            [_, hold_action] if hold => Some(*hold_action),
            [roll, ..] => Some(*roll),
        }
    }
}

#[cfg(test)]
mod tests;
