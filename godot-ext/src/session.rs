//! Offline play behind `HearthSession`, in plain Rust: every value in and out is a
//! [`GdValue`], every failure a [`Failure`] with the code the server would send.

use hearth_rules::drive;
use hearth_rules::{Catalog, DynSession, Encoding, Payload, RuleError, Seat, Viewer, hash_hex};
use serde_json::Value;

use crate::value::{ConvertError, GdValue, from_json, to_json};

/// A failed call: a stable code and a sentence (GDScript gets `{ok: false, error: ...}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `not_your_turn`, `illegal_action`, `decode`, `no_session`, ...
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
}

impl From<RuleError> for Failure {
    fn from(e: RuleError) -> Failure {
        Failure {
            code: e.code().into(),
            message: e.to_string(),
        }
    }
}

impl From<ConvertError> for Failure {
    fn from(e: ConvertError) -> Failure {
        Failure {
            code: "decode".into(),
            message: e.to_string(),
        }
    }
}

impl Failure {
    fn no_session() -> Failure {
        Failure {
            code: "no_session".into(),
            message: "no game yet; call create(game, config, seats, seed) or restore(bytes) first"
                .into(),
        }
    }

    /// As GDScript sees it: `{code, message}`.
    pub fn to_value(&self) -> GdValue {
        GdValue::Dict(vec![
            (
                GdValue::String("code".into()),
                GdValue::String(self.code.clone()),
            ),
            (
                GdValue::String("message".into()),
                GdValue::String(self.message.clone()),
            ),
        ])
    }
}

/// A value asked for as JSON below (a postcard payload cannot reach here).
fn json(p: Payload) -> Value {
    p.into_json()
}

/// One offline game.
pub struct SessionCore {
    session: Option<DynSession>,
    /// Strength of [`SessionCore::bot_action`] (0 = weakest; 2 by default).
    pub bot_level: u8,
}

impl Default for SessionCore {
    fn default() -> Self {
        SessionCore {
            session: None,
            bot_level: 2,
        }
    }
}

impl SessionCore {
    fn live(&self) -> Result<&DynSession, Failure> {
        self.session.as_ref().ok_or_else(Failure::no_session)
    }

    fn live_mut(&mut self) -> Result<&mut DynSession, Failure> {
        self.session.as_mut().ok_or_else(Failure::no_session)
    }

    /// Starts a game (replacing any running one only if this succeeds).
    pub fn create(
        &mut self,
        catalog: &Catalog,
        game: &str,
        config: &GdValue,
        seats: i64,
        seed: i64,
    ) -> Result<(), Failure> {
        let config = to_json(config)?;
        let config = match config {
            // An empty Dictionary means the defaults, as `null` does.
            Value::Object(ref m) if m.is_empty() => Value::Null,
            other => other,
        };
        let seats = u8::try_from(seats).map_err(|_| Failure {
            code: "seat_count".into(),
            message: format!("{seats} seats is out of range; {game} takes a handful"),
        })?;
        // GDScript ints are signed; the seed's bits are what count.
        self.session = Some(catalog.create(game, &Payload::Json(config), seats, seed as u64)?);
        Ok(())
    }

    /// Starts a forecast for client-side prediction in a real-time game: `game` continued
    /// from a host's `view` at `tick` (as `game_started` and `view_changed` give them). Apply
    /// your own input and `tick()` ahead of the next snapshot; drop it when that comes.
    pub fn predict(
        &mut self,
        catalog: &Catalog,
        game: &str,
        config: &GdValue,
        seats: i64,
        view: &GdValue,
        tick: i64,
    ) -> Result<(), Failure> {
        let config = Payload::Json(to_json(config)?);
        let view = Payload::Json(to_json(view)?);
        let seats = u8::try_from(seats).map_err(|_| Failure {
            code: "seat_count".into(),
            message: format!("{seats} seats is out of range; {game} takes a handful"),
        })?;
        let tick = u64::try_from(tick).map_err(|_| Failure {
            code: "bad_request".into(),
            message: format!("tick {tick} is negative; pass the tick `view_changed` gave"),
        })?;
        self.session = Some(catalog.predict(game, &config, seats, tick, &view)?);
        Ok(())
    }

    /// Applies `seat`'s action; the events it caused.
    pub fn apply(&mut self, seat: i64, action: &GdValue) -> Result<GdValue, Failure> {
        let action = to_json(action)?;
        let seat = seat_of(seat)?;
        let events = self.live_mut()?.apply(seat, &Payload::Json(action))?;
        Ok(from_json(&json(events)))
    }

    /// One tick of a real-time game; its events.
    pub fn tick(&mut self) -> Result<GdValue, Failure> {
        let events = self.live_mut()?.tick(Encoding::Json)?;
        Ok(from_json(&json(events)))
    }

    /// What a seat (or, with a negative number, a spectator) sees.
    pub fn view(&self, viewer: i64) -> Result<GdValue, Failure> {
        let viewer = if viewer < 0 {
            Viewer::Spectator
        } else {
            Viewer::Seat(seat_of(viewer)?)
        };
        Ok(from_json(&json(self.live()?.view(viewer, Encoding::Json)?)))
    }

    /// The actions `seat` may take now.
    pub fn legal_actions(&self, seat: i64) -> Result<GdValue, Failure> {
        let seat = seat_of(seat)?;
        Ok(from_json(&json(
            self.live()?.legal_actions(seat, Encoding::Json)?,
        )))
    }

    /// A bot's action for `seat`, `Nil` if it has nothing to do.
    pub fn bot_action(&self, seat: i64) -> Result<GdValue, Failure> {
        let seat = seat_of(seat)?;
        Ok(
            match self
                .live()?
                .bot_action(seat, self.bot_level, Encoding::Json)?
            {
                Some(action) => from_json(&json(action)),
                None => GdValue::Nil,
            },
        )
    }

    /// The next bot turn, played: the first of `bot_seats` whose bot (at `bot_level`) wants
    /// to act now — the driver a host's room uses. `{seat, action, events}`, or `Nil` when
    /// no bot wants to (a human's turn, or the game is over).
    pub fn bot_turn(&mut self, bot_seats: &GdValue) -> Result<GdValue, Failure> {
        let bots = self.bots(bot_seats)?;
        let session = self.live_mut()?;
        let Some((seat, action)) = drive::bot_turn(session, &bots, Encoding::Json)? else {
            return Ok(GdValue::Nil);
        };
        let events = session.apply(seat, &action)?;
        Ok(from_json(&serde_json::json!({
            "seat": seat.0,
            "action": json(action),
            "events": json(events),
        })))
    }

    /// One real-time tick as a host's room runs it: the bots of `bot_seats` decide from the
    /// state before the tick's inputs, `inputs` (an Array of `{seat, action}`, in arrival
    /// order) apply in seat order, then the game ticks. `{events, refused}`, `refused` listing
    /// `{seat, code, message}` of inputs the rules did not take.
    pub fn step(&mut self, inputs: &GdValue, bot_seats: &GdValue) -> Result<GdValue, Failure> {
        let bots = self.bots(bot_seats)?;
        let inputs = drive::inputs_from_json(&to_json(inputs)?)?;
        let ticked = drive::tick(self.live_mut()?, inputs, &bots, Encoding::Json)?;
        Ok(from_json(&ticked.to_json()))
    }

    /// The driver's bots: these seats (an Array of ints) at `bot_level`.
    fn bots(&self, seats: &GdValue) -> Result<Vec<drive::Bot>, Failure> {
        let Value::Array(seats) = to_json(seats)? else {
            return Err(bad("bot seats are an Array of ints"));
        };
        seats
            .iter()
            .map(|s| {
                let seat = s.as_i64().ok_or_else(|| bad("bot seats are ints"))?;
                Ok(drive::Bot {
                    seat: seat_of(seat)?,
                    level: self.bot_level,
                })
            })
            .collect()
    }

    /// The state hash as 16 hex digits (a u64 does not fit GDScript's int).
    pub fn state_hash(&self) -> Result<String, Failure> {
        Ok(hash_hex(self.live()?.hash()))
    }

    /// Whether the game has ended, and how: `Nil` while it goes on.
    pub fn outcome(&self) -> Result<GdValue, Failure> {
        let outcome = self.live()?.outcome();
        Ok(from_json(
            &serde_json::to_value(outcome).unwrap_or(Value::Null),
        ))
    }

    /// Whether the game has ended.
    pub fn is_over(&self) -> bool {
        self.session.as_ref().is_some_and(DynSession::is_over)
    }

    /// Snapshot bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, Failure> {
        Ok(self.live()?.snapshot())
    }

    /// Continues from snapshot bytes (the running game stays if they are refused).
    pub fn restore(&mut self, catalog: &Catalog, bytes: &[u8]) -> Result<(), Failure> {
        self.session = Some(catalog.restore(bytes)?);
        Ok(())
    }
}

fn bad(message: &str) -> Failure {
    Failure {
        code: "bad_request".into(),
        message: message.into(),
    }
}

fn seat_of(seat: i64) -> Result<Seat, Failure> {
    u8::try_from(seat).map(Seat).map_err(|_| Failure {
        code: "no_such_seat".into(),
        message: format!("seat {seat} does not exist; seats are numbered from 0"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(pairs: &[(&str, GdValue)]) -> GdValue {
        GdValue::Dict(
            pairs
                .iter()
                .map(|(k, v)| (GdValue::String((*k).into()), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn a_game_of_connect_four_as_gdscript_plays_it() {
        let catalog = hearth_games::catalog();
        let mut s = SessionCore::default();
        assert_eq!(s.apply(0, &GdValue::Nil).unwrap_err().code, "no_session");
        let none = GdValue::Dict(Vec::new());
        assert_eq!(
            s.create(&catalog, "chess", &none, 2, 1).unwrap_err().code,
            "unknown_game"
        );
        let bad_key = GdValue::Dict(vec![(GdValue::Bool(true), GdValue::Int(1))]);
        assert_eq!(
            s.create(&catalog, "connect-four", &bad_key, 2, 1)
                .unwrap_err()
                .code,
            "decode"
        );
        assert_eq!(
            s.create(&catalog, "connect-four", &none, 9, 1)
                .unwrap_err()
                .code,
            "seat_count"
        );
        let config = dict(&[("first_seat", GdValue::Float(0.0))]);
        s.create(&catalog, "connect-four", &config, 2, -5).unwrap();
        let before = s.state_hash().unwrap();
        // A refused move: the reason, and nothing changed.
        let e = s
            .apply(1, &dict(&[("column", GdValue::Float(3.0))]))
            .unwrap_err();
        assert_eq!(e.code, "not_your_turn");
        assert_eq!(s.state_hash().unwrap(), before);
        assert_eq!(
            s.apply(0, &dict(&[("column", GdValue::Float(3.5))]))
                .unwrap_err()
                .code,
            "decode"
        );
        assert_eq!(s.apply(-1, &GdValue::Nil).unwrap_err().code, "no_such_seat");
        // The wrong shape altogether.
        let wrong = dict(&[("col", GdValue::Int(3))]);
        assert_eq!(s.apply(0, &wrong).unwrap_err().code, "decode");
        for turn in 0..7 {
            let column = dict(&[("column", GdValue::Int(turn % 2))]);
            s.apply(turn % 2, &column).unwrap();
        }
        assert!(s.is_over());
        let outcome = to_json(&s.outcome().unwrap()).unwrap();
        assert_eq!(outcome["winners"], serde_json::json!([0]));
        // Snapshot and restore give the same game.
        let bytes = s.snapshot().unwrap();
        let mut t = SessionCore::default();
        t.restore(&catalog, &bytes).unwrap();
        assert_eq!(t.state_hash().unwrap(), s.state_hash().unwrap());
        assert!(t.restore(&catalog, &bytes[..10]).is_err());
        assert_eq!(
            t.state_hash().unwrap(),
            s.state_hash().unwrap(),
            "a refused restore keeps the game"
        );
    }

    #[test]
    fn bots_and_ticks_drive_a_real_time_game_to_its_end() {
        let catalog = hearth_games::catalog();
        let mut s = SessionCore::default();
        let config = dict(&[("duration_secs", GdValue::Int(10))]);
        s.create(&catalog, "tanks", &config, 2, 3).unwrap();
        let mut ticks = 0;
        while !s.is_over() {
            for seat in 0..2 {
                let action = s.bot_action(seat).unwrap();
                if action != GdValue::Nil {
                    s.apply(seat, &action).unwrap();
                }
            }
            s.tick().unwrap();
            ticks += 1;
        }
        assert_eq!(ticks, 200, "10 s at 20 ticks per second");
        assert!(matches!(s.legal_actions(0).unwrap(), GdValue::Array(_)));
        assert!(matches!(s.view(-1).unwrap(), GdValue::Dict(_)));
        assert_eq!(s.tick().unwrap_err().code, "game_over");
    }

    #[test]
    fn the_shared_driver_plays_bots_and_ticks_as_a_room_does() {
        let catalog = hearth_games::catalog();
        let mut s = SessionCore::default();
        s.create(&catalog, "connect-four", &GdValue::Nil, 2, 5)
            .unwrap();
        let both = GdValue::Array(vec![GdValue::Int(0), GdValue::Int(1)]);
        let mut turns = 0;
        while let GdValue::Dict(turn) = s.bot_turn(&both).unwrap() {
            assert!(
                turn.iter()
                    .any(|(k, _)| *k == GdValue::String("action".into())),
                "{turn:?}"
            );
            turns += 1;
        }
        assert!(s.is_over() && turns >= 7);
        // Real time: one human input and a bot, a refused input reported, not applied.
        let config = dict(&[("duration_secs", GdValue::Int(10))]);
        s.create(&catalog, "tanks", &config, 2, 3).unwrap();
        let input = dict(&[
            ("seat", GdValue::Int(0)),
            (
                "action",
                dict(&[
                    ("turn", GdValue::Int(1)),
                    ("thrust", GdValue::Int(1)),
                    ("fire", GdValue::Bool(false)),
                ]),
            ),
        ]);
        let bad = dict(&[
            ("seat", GdValue::Int(0)),
            ("action", GdValue::String("fly".into())),
        ]);
        let out = s
            .step(
                &GdValue::Array(vec![input, bad]),
                &GdValue::Array(vec![GdValue::Int(1)]),
            )
            .unwrap();
        let out = to_json(&out).unwrap();
        assert_eq!(out["refused"].as_array().map(Vec::len), Some(1), "{out}");
        assert_eq!(out["refused"][0]["code"], "decode");
        assert_eq!(
            s.bot_turn(&GdValue::String("x".into())).unwrap_err().code,
            "bad_request"
        );
    }

    #[test]
    fn a_prediction_from_the_hosts_view_matches_the_host_until_the_next_snapshot() {
        let catalog = hearth_games::catalog();
        let config = dict(&[("duration_secs", GdValue::Int(10))]);
        let mut host = SessionCore::default();
        host.create(&catalog, "tanks", &config, 2, 11).unwrap();
        for _ in 0..5 {
            host.tick().unwrap();
        }
        let mut forecast = SessionCore::default();
        let view = host.view(0).unwrap();
        forecast
            .predict(&catalog, "tanks", &config, 2, &view, 5)
            .unwrap();
        // Our input, applied to both, and a few ticks ahead.
        let input = host.bot_action(0).unwrap();
        host.apply(0, &input).unwrap();
        forecast.apply(0, &input).unwrap();
        for _ in 0..3 {
            host.tick().unwrap();
            forecast.tick().unwrap();
        }
        assert_eq!(forecast.view(0).unwrap(), host.view(0).unwrap());
        // A bad tick is refused and keeps the forecast.
        assert_eq!(
            forecast
                .predict(&catalog, "tanks", &config, 2, &view, -1)
                .unwrap_err()
                .code,
            "bad_request"
        );
        assert_eq!(forecast.view(0).unwrap(), host.view(0).unwrap());
    }
}
