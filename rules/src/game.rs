//! The `Game` trait and the small types every game shares.

use std::fmt::Debug;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::{Rng, RuleError};

/// A seat at the table, numbered from 0. Seats act in games; spectators only watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seat(pub u8);

impl Seat {
    /// The seat number as an index.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl std::fmt::Display for Seat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Who is looking at the game: one seat, or a spectator who may see only public information.
///
/// JSON: `{"seat": 2}` or `"spectator"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Viewer {
    /// A player in this seat.
    Seat(Seat),
    /// Anyone without a seat.
    Spectator,
}

impl Viewer {
    /// The seat, if the viewer has one.
    pub fn seat(self) -> Option<Seat> {
        match self {
            Viewer::Seat(s) => Some(s),
            Viewer::Spectator => None,
        }
    }
}

/// How a finished game ended. JSON: `{"winners":[0],"scores":[1,0]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The seats that won, in seat order; empty for a draw.
    pub winners: Vec<Seat>,
    /// Every seat's final score, indexed by seat.
    pub scores: Vec<i32>,
}

impl Outcome {
    /// Whether nobody won.
    pub fn is_draw(&self) -> bool {
        self.winners.is_empty()
    }

    /// The seats holding the highest score win (several on a tie); a draw if every seat
    /// shares it.
    pub fn by_top_score(scores: Vec<i32>) -> Outcome {
        let best = scores.iter().copied().max().unwrap_or(0);
        let winners: Vec<Seat> = (0..scores.len())
            .filter(|&i| scores[i] == best)
            .map(|i| Seat(i as u8))
            .collect();
        let winners = if winners.len() == scores.len() && scores.len() > 1 {
            Vec::new()
        } else {
            winners
        };
        Outcome { winners, scores }
    }
}

/// A game's static description, as the catalog lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GameInfo {
    /// Unique name in the catalog, lowercase with dashes (`connect-four`).
    pub name: &'static str,
    /// Rules version; bump it whenever the same inputs could give a different result.
    pub version: u32,
    /// Fewest seats.
    pub min_seats: u8,
    /// Most seats.
    pub max_seats: u8,
    /// Ticks per second for real-time games, `None` for turn-based ones.
    pub tick_rate: Option<u16>,
    /// Whether views differ between seats (decides how hosts sync the game).
    pub hidden_information: bool,
    /// One sentence for menus and room lists.
    pub description: &'static str,
}

/// A game's rules. Implement this once and the game runs offline, on a LAN host and on the
/// server, in Rust, Wasm, C and Godot.
///
/// Contract (checked by the property tests for the built-in games; run your own game through
/// the same checks):
/// - **Deterministic:** the state after a sequence of `apply`/`tick` calls depends only on the
///   config, the seat count, the seed and those calls. No clocks, I/O, threads, floats or
///   unordered collections in the state; randomness only from the `rng` argument.
/// - **Atomic:** `apply` validates fully before it changes anything; on `Err` neither `self`
///   nor `rng` has changed.
/// - **Events are public:** an event may be shown to every seat and spectator. Secrets go
///   only into [`Game::view`].
pub trait Game:
    Sized + Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// Table options (JSON object; `null` or `{}` gives the defaults).
    type Config: Clone
        + Debug
        + Default
        + PartialEq
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static;
    /// What a seat may do: a move, a clue, a per-tick input.
    type Action: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What one viewer may see of the state.
    type View: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static;
    /// Something that happened, public to all.
    type Event: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Static description.
    const INFO: GameInfo;

    /// Builds the initial state. The seat count is already within `INFO`'s range.
    fn setup(config: &Self::Config, seats: u8, rng: &mut Rng) -> Result<Self, RuleError>;

    /// Validates and applies `seat`'s action, pushing what happened onto `events`. `seat` is
    /// always a seat at the table and the game is not over (the session checks both).
    fn apply(
        &mut self,
        seat: Seat,
        action: &Self::Action,
        rng: &mut Rng,
        events: &mut Vec<Self::Event>,
    ) -> Result<(), RuleError>;

    /// The actions `seat` may take now (empty when it is not that seat's turn). For free-text
    /// actions this is a representative sample; for real-time games it is the input space.
    fn legal_actions(&self, seat: Seat) -> Vec<Self::Action>;

    /// What `viewer` may see.
    fn view(&self, viewer: Viewer) -> Self::View;

    /// Whether the game has ended (cheap; called before every action).
    fn is_over(&self) -> bool;

    /// The result once the game has ended, `None` while it goes on.
    fn outcome(&self) -> Option<Outcome>;

    /// Advances a real-time game by one tick, applying every seat's current input in seat
    /// order. Only called when `INFO.tick_rate` is `Some` and the game is not over.
    fn tick(&mut self, rng: &mut Rng, events: &mut Vec<Self::Event>) {
        let _ = (rng, events);
    }

    /// Rebuilds a state that continues from `view`, so a client can run its own input ahead
    /// of the host's snapshots (prediction) with these very rules. Only games whose views show
    /// everything can: the default is `None`. What a view leaves out (other seats' held
    /// inputs, say) starts at its default, so the result is a forecast, never an authority.
    fn from_view(config: &Self::Config, seats: u8, view: &Self::View) -> Option<Self> {
        let _ = (config, seats, view);
        None
    }

    /// An action a computer player would choose for `seat`, or `None` if it has nothing to
    /// do. `level` is a strength hint each game reads its own way (0 = weakest). The default
    /// picks a random legal action. `rng` is the bot's own generator, never the game's.
    fn bot_action(&self, seat: Seat, level: u8, rng: &mut Rng) -> Option<Self::Action> {
        let _ = level;
        let actions = self.legal_actions(seat);
        rng.pick(&actions).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_score_outcomes() {
        assert_eq!(
            Outcome::by_top_score(vec![3, 5, 5]).winners,
            vec![Seat(1), Seat(2)]
        );
        assert!(Outcome::by_top_score(vec![2, 2]).is_draw());
        assert_eq!(
            serde_json::to_string(&Viewer::Seat(Seat(2))).expect("json"),
            r#"{"seat":2}"#
        );
        assert_eq!(
            serde_json::to_string(&Viewer::Spectator).expect("json"),
            r#""spectator""#
        );
    }
}
