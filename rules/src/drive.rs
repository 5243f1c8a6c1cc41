//! The bot and tick driver that every place a game runs shares: a host's room, and offline
//! play in the terminal, the browser and Godot. It decides which bot moves next in a
//! turn-based game, and how one real-time tick applies the inputs that reached it. It owns no
//! clock: whoever calls it decides when (the room on its ticker, the page on a timer).
//!
//! ```
//! use hearth_rules::drive::{self, Bot};
//! use hearth_rules::{Encoding, Payload, Seat};
//!
//! let catalog = hearth_games::catalog();
//! let mut game = catalog.create("connect-four", &Payload::Json(serde_json::Value::Null), 2, 7)?;
//! let bots = [Bot { seat: Seat(0), level: 1 }, Bot { seat: Seat(1), level: 1 }];
//! // Two bots play each other to the end, one turn at a time.
//! while let Some((seat, action)) = drive::bot_turn(&game, &bots, Encoding::Postcard)? {
//!     game.apply(seat, &action)?;
//! }
//! assert!(game.is_over());
//! # Ok::<(), hearth_rules::RuleError>(())
//! ```

#[cfg(feature = "json")]
use crate::decode_json_value;
use crate::{DynSession, Encoding, Payload, RuleError, Seat};

/// A seat a bot plays, and how strong it is (0 = weakest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bot {
    /// The bot's seat.
    pub seat: Seat,
    /// Its strength, as the game's `bot_action` takes it.
    pub level: u8,
}

/// The next bot turn of a turn-based game: the first of `bots`, in order, whose bot wants to
/// act now, with its action; `None` when no bot wants to (a human's turn, or the game is
/// over). Apply it, then ask again.
pub fn bot_turn(
    session: &DynSession,
    bots: &[Bot],
    encoding: Encoding,
) -> Result<Option<(Seat, Payload)>, RuleError> {
    if session.is_over() {
        return Ok(None);
    }
    for bot in bots {
        if let Some(action) = session.bot_action(bot.seat, bot.level, encoding)? {
            return Ok(Some((bot.seat, action)));
        }
    }
    Ok(None)
}

/// One input for a real-time tick, with whatever the caller needs to answer it (`T`: a
/// request id, nothing offline).
#[derive(Debug, Clone, PartialEq)]
pub struct Input<T> {
    /// Who.
    pub seat: Seat,
    /// Arrival order: orders one seat's inputs within the tick.
    pub order: u64,
    /// The input.
    pub action: Payload,
    /// The caller's own.
    pub tag: T,
}

/// What one tick did.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticked<T> {
    /// The inputs applied, in the order they were (they are the log's new entries). Bots'
    /// inputs have the tag `None`.
    pub accepted: Vec<Input<Option<T>>>,
    /// The inputs the rules refused, with why (nothing changed for them).
    pub refused: Vec<(Input<T>, RuleError)>,
    /// The tick's events.
    pub events: Payload,
}

/// One tick of a real-time game. The bots decide their inputs from the state before any of
/// this tick's inputs; then every input is applied in seat order and, within a seat, in
/// arrival order (bots' last), so the log does not depend on how the network interleaved
/// different players; then the game ticks. A refused input changes nothing and is returned
/// with its reason; a failure to tick is the error.
pub fn tick<T>(
    session: &mut DynSession,
    inputs: Vec<Input<T>>,
    bots: &[Bot],
    encoding: Encoding,
) -> Result<Ticked<T>, RuleError> {
    let mut all: Vec<Input<Option<T>>> = inputs
        .into_iter()
        .map(|i| Input {
            seat: i.seat,
            order: i.order,
            action: i.action,
            tag: Some(i.tag),
        })
        .collect();
    for bot in bots {
        // A bot that cannot decide sits this tick out, as a player who sends nothing.
        if let Ok(Some(action)) = session.bot_action(bot.seat, bot.level, Encoding::Postcard) {
            all.push(Input {
                seat: bot.seat,
                order: u64::MAX,
                action,
                tag: None,
            });
        }
    }
    // Stable: equal keys keep their arrival order.
    all.sort_by_key(|i| (i.seat, i.order));
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for input in all {
        match session.apply(input.seat, &input.action) {
            Ok(_) => accepted.push(input),
            Err(e) => {
                if let Some(tag) = input.tag {
                    let input = Input {
                        seat: input.seat,
                        order: input.order,
                        action: input.action,
                        tag,
                    };
                    refused.push((input, e));
                }
            }
        }
    }
    let events = session.tick(encoding)?;
    Ok(Ticked {
        accepted,
        refused,
        events,
    })
}

/// One input as scripting layers (JavaScript, GDScript) pass it.
#[cfg(feature = "json")]
#[derive(serde::Deserialize)]
struct JsonInput {
    seat: u8,
    action: serde_json::Value,
}

/// A tick's inputs given as JSON — `[{seat, action}, …]` in arrival order, or `null` for
/// none — as Godot passes them to [`tick`] (feature `json`).
#[cfg(feature = "json")]
pub fn inputs_from_json(inputs: &serde_json::Value) -> Result<Vec<Input<()>>, RuleError> {
    if inputs.is_null() {
        return Ok(Vec::new());
    }
    let inputs: Vec<JsonInput> = decode_json_value(inputs, "tick inputs ([{seat, action}])")?;
    Ok(inputs
        .into_iter()
        .enumerate()
        .map(|(order, i)| Input {
            seat: Seat(i.seat),
            order: order as u64,
            action: Payload::Json(i.action),
            tag: (),
        })
        .collect())
}

impl<T> Ticked<T> {
    /// `{events, refused: [{seat, code, message}]}` for scripting layers (the events as JSON
    /// when the tick was asked for JSON; feature `json`).
    #[cfg(feature = "json")]
    pub fn to_json(&self) -> serde_json::Value {
        let refused: Vec<serde_json::Value> = self
            .refused
            .iter()
            .map(|(i, e)| {
                serde_json::json!({"seat": i.seat.0, "code": e.code(), "message": e.to_string()})
            })
            .collect();
        serde_json::json!({"events": self.events.json(), "refused": refused})
    }
}
