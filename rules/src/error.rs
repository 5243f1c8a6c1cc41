//! The one error type of the rules crate.

use crate::codec::Encoding;

/// Why the rules refused something. Every message says what was wrong and, where it helps,
/// what to do instead. A call that returns an error has changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The catalog has no game of that name.
    #[error("unknown game `{name}`; the games here are: {known}")]
    UnknownGame {
        /// The name that was asked for.
        name: String,
        /// The registered names, comma separated.
        known: String,
    },
    /// A game of that name is already registered.
    #[error("a game named `{name}` is already registered; give your game another name")]
    DuplicateGame {
        /// The clashing name.
        name: String,
    },
    /// A game type cannot be registered (for example its state holds floats).
    #[error("game `{name}` cannot be registered: {reason}")]
    InvalidGame {
        /// The game's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The number of seats is outside what the game allows.
    #[error(
        "{game} is played by {min} to {max} seats, not {seats}; choose a seat count in that range"
    )]
    SeatCount {
        /// The game's name.
        game: String,
        /// The seat count that was asked for.
        seats: u8,
        /// The fewest seats the game allows.
        min: u8,
        /// The most seats the game allows.
        max: u8,
    },
    /// The seat does not exist at this table.
    #[error("seat {seat} is not at this table, which has seats 0 to {last}")]
    NoSuchSeat {
        /// The seat that acted.
        seat: u8,
        /// The highest seat number at the table.
        last: u8,
    },
    /// Another seat must act first.
    #[error("it is not seat {seat}'s turn; waiting for seat {waiting_for}")]
    NotYourTurn {
        /// The seat that acted.
        seat: u8,
        /// The seat whose turn it is.
        waiting_for: u8,
    },
    /// The game has ended; nothing more can be applied.
    #[error("the game is over; start a new game to keep playing")]
    GameOver,
    /// The action breaks the game's rules at this point.
    #[error("illegal action: {reason}")]
    Illegal {
        /// What rule it breaks, phrased for the player.
        reason: String,
    },
    /// The game config is out of range or inconsistent.
    #[error("invalid config: {reason}")]
    InvalidConfig {
        /// What is wrong and what range is accepted.
        reason: String,
    },
    /// Bytes or JSON could not be decoded into the expected type.
    #[error(
        "could not decode the {what} from {encoding}: {detail}; send it in the shape documented for this game"
    )]
    Decode {
        /// What was being decoded (action, config, snapshot, ...).
        what: &'static str,
        /// The encoding it arrived in.
        encoding: Encoding,
        /// The decoder's own description of the problem.
        detail: String,
    },
    /// `tick` was called on a turn-based game.
    #[error("{game} is turn-based and has no ticks; send actions instead")]
    NotRealTime {
        /// The game's name.
        game: String,
    },
    /// A log could not be replayed.
    #[error("replay failed at log entry {index}: {reason}")]
    Replay {
        /// The log index where replay stopped.
        index: u64,
        /// Why.
        reason: String,
    },
    /// A snapshot is damaged or belongs to another game or version.
    #[error("cannot restore this snapshot: {reason}")]
    Snapshot {
        /// Why.
        reason: String,
    },
    /// The game cannot rebuild its state from a view (see `Game::from_view`).
    #[error("{game} cannot predict from a view; draw the host's views as they come")]
    NoPrediction {
        /// The game's name.
        game: String,
    },
}

impl RuleError {
    /// A stable, machine-readable code for this error (snake case), for wire replies and FFI.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::UnknownGame { .. } => "unknown_game",
            RuleError::DuplicateGame { .. } => "duplicate_game",
            RuleError::InvalidGame { .. } => "invalid_game",
            RuleError::SeatCount { .. } => "seat_count",
            RuleError::NoSuchSeat { .. } => "no_such_seat",
            RuleError::NotYourTurn { .. } => "not_your_turn",
            RuleError::GameOver => "game_over",
            RuleError::Illegal { .. } => "illegal_action",
            RuleError::InvalidConfig { .. } => "invalid_config",
            RuleError::Decode { .. } => "decode",
            RuleError::NotRealTime { .. } => "not_real_time",
            RuleError::Replay { .. } => "replay",
            RuleError::Snapshot { .. } => "snapshot",
            RuleError::NoPrediction { .. } => "no_prediction",
        }
    }

    /// Shorthand for [`RuleError::Illegal`].
    pub fn illegal(reason: impl Into<String>) -> Self {
        RuleError::Illegal {
            reason: reason.into(),
        }
    }

    /// Shorthand for [`RuleError::InvalidConfig`].
    pub fn config(reason: impl Into<String>) -> Self {
        RuleError::InvalidConfig {
            reason: reason.into(),
        }
    }
}
