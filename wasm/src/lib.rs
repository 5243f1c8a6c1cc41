//! Hearth in the browser: the very rules the server runs, compiled to Wasm, plus a
//! WebSocket client for LAN hosts and the official server.
//!
//! Built with `wasm-bindgen --target web` into an ES module with TypeScript types
//! (`scripts/build-web.sh`). From JavaScript:
//!
//! ```js
//! import init, { Session, games } from './pkg/hearth.js';
//! await init();
//! const s = new Session('connect-four', null, 2, 7);
//! s.apply(0, { column: 3 });                  // events, as plain objects
//! const move = s.botAction(1, 2);              // what the built-in bot would play
//! s.view(null);                                // what a spectator sees
//! ```
//!
//! Every game value is a plain JS object in the game's JSON form (the same JSON as the
//! protocol and the golden vectors). Inside, the module works in postcard only: `codec.js`
//! converts between the two from the shapes of the games' types, which the module's
//! `build.rs` traced natively, so neither serde_json nor a second serde implementation of
//! every game type is in the module. Every failure is thrown as an `Error` whose `message`
//! says what to do and whose `code` is the stable code (`not_your_turn`, `illegal_action`, …).
#![warn(missing_docs)]

mod client;
mod js;
#[doc(hidden)]
pub mod objects;

use hearth_rules::drive;
use hearth_rules::{Catalog, DynSession, Encoding, Payload, Seat, Viewer, hash_hex};
use js::{Kind, from_payload, to_payload};
use std::sync::{Arc, OnceLock};
use wasm_bindgen::prelude::*;

pub use client::{Client, device_login};
/// A JS `Error` with a stable `code`, as this module throws: for a developer's own exports.
pub use js::error;

pub use hearth_rules::Games;
#[doc(hidden)]
pub use wasm_bindgen;

static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();

/// Why a module's games could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A fingerprint from `build.rs` does not parse.
    #[error("`{0}` is not a rules fingerprint; rebuild the module")]
    Fingerprint(String),
    /// The catalog does not build, or the fingerprints do not fit its games (a stale
    /// `build.rs` output); the message names the game.
    #[error(transparent)]
    Catalog(#[from] hearth_rules::RuleError),
}

/// Installs the games this module serves, with the fingerprints and the shapes of their
/// values that the developer's `build.rs` computed natively (`hearth_wasm_build`), the first
/// time it is called; later calls change nothing. [`export!`] calls it when JavaScript runs
/// `init()`. Only in Wasm: the shapes go to the module's JavaScript codec.
///
/// # Errors
/// When the catalog does not build or the fingerprints do not fit its games (a stale
/// `build.rs` output): the message names the game.
pub fn install(games: Games, fingerprints: &[&str], shapes: &str) -> Result<(), InstallError> {
    if CATALOG.get().is_some() {
        return Ok(());
    }
    let mut parsed = Vec::with_capacity(fingerprints.len());
    for f in fingerprints {
        parsed.push(
            f.parse()
                .map_err(|_| InstallError::Fingerprint(f.to_string()))?,
        );
    }
    let catalog = Catalog::of_fingerprinted(games, &parsed)?;
    js::install_shapes(shapes);
    let _ = CATALOG.set(Arc::new(catalog));
    Ok(())
}

/// The installed catalog, or the error every entry point throws without one.
pub(crate) fn catalog() -> Result<&'static Arc<Catalog>, JsValue> {
    CATALOG.get().ok_or_else(|| {
        js::error(
            "no_games",
            "this module has no games: its crate must call `hearth_wasm::export!(your_rules::games);` (and JavaScript `await init()` before anything else)",
        )
    })
}

/// Exports the whole ES module API (`Session`, `Client`, `games()`, `deviceLogin`, …) over
/// the developer's games from their own `cdylib` crate:
///
/// ```ignore
/// hearth_wasm::export!(my_game::games);
/// ```
///
/// with a `build.rs` of `hearth_wasm_build::build_script(my_game::games)` (the module leaves
/// the type tracer and JSON out for size, so the fingerprints and the shapes of the games'
/// values are computed natively at build time).
/// The catalog is installed by the module's start function, which `init()` runs.
#[macro_export]
macro_rules! export {
    ($games:path) => {
        /// Installs this module's games; `init()` runs it. Tests under
        /// `wasm-bindgen-test` may call it first: it is idempotent.
        #[$crate::wasm_bindgen::prelude::wasm_bindgen(start, wasm_bindgen = $crate::wasm_bindgen)]
        pub fn hearth_install() {
            if let Err(why) = $crate::install(
                $games,
                include!(concat!(env!("OUT_DIR"), "/hearth_fingerprints.rs")),
                include_str!(concat!(env!("OUT_DIR"), "/hearth_shapes.json")),
            ) {
                $crate::wasm_bindgen::throw_str(&why.to_string());
            }
        }
    };
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A game of the catalog, as `games()` and the host's `welcome` list it. */
export interface GameMeta {
  name: string; version: number; min_seats: number; max_seats: number;
  tick_rate: number | null; hidden_information: boolean; description: string;
  fingerprint: string;
}
/** How a finished game ended. */
export interface Outcome { winners: number[]; scores: number[]; }
/** Every failure thrown or rejected by this module. */
export interface HearthError extends Error { code: string; }
"#;

/// The games this module carries, with their rules fingerprints.
#[wasm_bindgen(unchecked_return_type = "GameMeta[]")]
pub fn games() -> Result<JsValue, JsValue> {
    Ok(catalog()?
        .games()
        .map(objects::ToJs::to_js)
        .collect::<js_sys::Array>()
        .into())
}

/// The wire protocol version this module speaks.
#[wasm_bindgen(js_name = protocolVersion)]
pub fn protocol_version() -> u32 {
    hearth_rules::protocol::PROTOCOL_VERSION
}

/// A JS number as JS writes it (Rust's float formatting would add ~10 KB to the module).
fn number(value: f64) -> String {
    js_sys::Number::from(value)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// A JS number as a small count or index, refused clearly otherwise.
pub(crate) fn small(value: f64, what: &str, code: &str) -> Result<u8, JsValue> {
    byte(value).ok_or_else(|| js::error(code, &not_small(value, what)))
}

/// A JS number that is a whole number from 0 to 255.
fn byte(value: f64) -> Option<u8> {
    (value.fract() == 0.0 && (0.0..=255.0).contains(&value)).then_some(value as u8)
}

/// Why `value` is not a [`small`] number.
fn not_small(value: f64, what: &str) -> String {
    format!(
        "{what} {} is not a whole number from 0 to 255",
        number(value)
    )
}

/// A JS number as a seed or tick (whole, 0 ≤ n < 2^53, so it is exact in JS).
pub(crate) fn whole(value: f64, what: &str) -> Result<u64, JsValue> {
    if value.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&value) {
        Ok(value as u64)
    } else {
        Err(js::error(
            "bad_request",
            &format!(
                "{what} {} is not a whole number from 0 to 2^53 - 1",
                number(value)
            ),
        ))
    }
}

/// The driver's bots: these seats at strength `level`.
fn bots(seats: &[f64], level: f64) -> Result<Vec<drive::Bot>, JsValue> {
    let level = small(level, "bot level", "bad_request")?;
    seats
        .iter()
        .map(|&s| {
            Ok(drive::Bot {
                seat: Seat(small(s, "seat", "no_such_seat")?),
                level,
            })
        })
        .collect()
}

/// The catalog index of `game`, which the codec knows games by; `unknown_game` otherwise.
pub(crate) fn game_index(game: &str) -> Result<u32, JsValue> {
    let catalog = catalog()?;
    catalog.get(game).map_err(js::rule_error)?;
    let i = catalog.games().position(|g| g.name == game).unwrap_or(0);
    Ok(u32::try_from(i).unwrap_or(u32::MAX))
}

/// A config given by JS (`null`, `{}` or a partial object: the rest from the defaults).
fn config(game: u32, config: &JsValue) -> Result<Payload, JsValue> {
    to_payload(game, Kind::Config, config)
}

/// One offline game: pure rules, no network.
#[wasm_bindgen]
pub struct Session {
    inner: DynSession,
    /// The game's catalog index, which the codec knows it by.
    game: u32,
    /// Why the last `applyBytes` or `tryApply` was refused (`code`, message), until the
    /// next one.
    refusal: Option<(&'static str, String)>,
    /// The events of the last `applyBytes` or `tickBytes` (postcard), for `lastEvents`.
    events: Vec<u8>,
    /// `apply`'s events buffer, kept for its allocation.
    scratch: Vec<u8>,
    /// `apply`'s action buffer, kept for its allocation.
    action: Vec<u8>,
}

impl Session {
    fn of(inner: DynSession) -> Result<Session, JsValue> {
        let game = game_index(&inner.meta().name)?;
        Ok(Session {
            inner,
            game,
            refusal: None,
            events: Vec::new(),
            scratch: Vec::new(),
            action: Vec::new(),
        })
    }

    fn js(&self, kind: Kind, value: &Payload) -> Result<JsValue, JsValue> {
        from_payload(self.game, kind, value)
    }

    /// What `apply` and `tryApply` share: the action encoded into the kept buffer and
    /// applied, its events as JS values (an `Err` inside only if the events the rules just
    /// made did not decode: a bug, thrown either way), or why nothing changed.
    fn apply_js(
        &mut self,
        seat: f64,
        action: &JsValue,
    ) -> Result<Result<JsValue, JsValue>, Refused> {
        let seat = byte(seat).ok_or(Refused::Seat(seat))?;
        if !js::encode_into(self.game, Kind::Action, action, &mut self.action) {
            return Err(Refused::Decode);
        }
        let buffer = std::mem::take(&mut self.scratch);
        let events = self
            .inner
            .apply_bytes(Seat(seat), &self.action, buffer)
            .map_err(Refused::Rules)?;
        let value = js::from_bytes(self.game, Kind::Events, &events);
        self.scratch = events;
        Ok(value)
    }
}

/// Why an action changed nothing; `apply` throws it as an `Error`, `tryApply` keeps it in
/// `lastRefusal`.
enum Refused {
    /// Not a seat number.
    Seat(f64),
    /// Not an action of this game (the codec keeps why).
    Decode,
    /// Refused by the rules.
    Rules(hearth_rules::RuleError),
}

#[wasm_bindgen]
impl Session {
    /// Starts `game` with `config` (`null` for the defaults) at `seats` seats with `seed`
    /// (a whole number below 2^53).
    #[wasm_bindgen(constructor)]
    pub fn new(game: &str, config: JsValue, seats: f64, seed: f64) -> Result<Session, JsValue> {
        let config = self::config(game_index(game)?, &config)?;
        let seats = small(seats, "seat count", "seat_count")?;
        let seed = whole(seed, "seed")?;
        let inner = catalog()?
            .create(game, &config, seats, seed)
            .map_err(js::rule_error)?;
        Session::of(inner)
    }

    /// Continues from `snapshot()` bytes.
    pub fn restore(bytes: &[u8]) -> Result<Session, JsValue> {
        let inner = catalog()?.restore(bytes).map_err(js::rule_error)?;
        Session::of(inner)
    }

    /// Rebuilds a game from its record — `log` as the server's match history gives it
    /// (`GET /v1/matches/{id}`: `[{index, tick, seat, action}]`) — entirely inside Wasm, then
    /// ticks a real-time game on to `ticks` if given. Compare its `hash` with the record's to
    /// check a replay; throws `replay` at the first entry the rules refuse.
    pub fn replay(
        game: &str,
        config: JsValue,
        seats: f64,
        seed: f64,
        #[wasm_bindgen(
            unchecked_param_type = "{index: number, tick: number, seat: number, action: any}[]"
        )]
        log: JsValue,
        ticks: Option<f64>,
    ) -> Result<Session, JsValue> {
        use hearth_rules::DynHeader;
        let index = game_index(game)?;
        let header = DynHeader {
            game: game.to_string(),
            seats: small(seats, "seat count", "seat_count")?,
            seed: whole(seed, "seed")?,
            config: self::config(index, &config)?,
        };
        let parsed = js::to_log(index, &log)?;
        let mut inner = catalog()?
            .replay(&header, &parsed)
            .map_err(js::rule_error)?;
        let target = ticks.map(|t| whole(t, "ticks")).transpose()?;
        while let Some(t) = target
            && inner.tick_count() < t
            && !inner.is_over()
        {
            inner.tick(Encoding::Postcard).map_err(js::rule_error)?;
        }
        Session::of(inner)
    }

    /// A forecast continuing from a host's `view` at `tick`, for client-side prediction in
    /// real-time games (tanks): apply your own input and `tick()` ahead of the next snapshot,
    /// draw it, and throw it away when that snapshot comes. Exact until a tank respawns.
    pub fn predict(
        game: &str,
        config: JsValue,
        seats: f64,
        view: JsValue,
        tick: Option<f64>,
    ) -> Result<Session, JsValue> {
        let index = game_index(game)?;
        let config = self::config(index, &config)?;
        let view = to_payload(index, Kind::View, &view)?;
        let seats = small(seats, "seat count", "seat_count")?;
        let tick = whole(tick.unwrap_or(0.0), "tick")?;
        let inner = catalog()?
            .predict(game, &config, seats, tick, &view)
            .map_err(js::rule_error)?;
        Session::of(inner)
    }

    /// Applies `seat`'s action; the events it caused. Throws on refusal (nothing changes).
    #[wasm_bindgen(unchecked_return_type = "any[]")]
    pub fn apply(&mut self, seat: f64, action: JsValue) -> Result<JsValue, JsValue> {
        match self.apply_js(seat, &action) {
            Ok(events) => events,
            Err(Refused::Seat(seat)) => Err(js::error("no_such_seat", &not_small(seat, "seat"))),
            Err(Refused::Decode) => Err(js::take_failure()),
            Err(Refused::Rules(e)) => Err(js::rule_error(e)),
        }
    }

    /// `apply` without exceptions, for hot loops with JS values: the events the action
    /// caused, or `null` when the rules refused it or it is not an action of this game
    /// (nothing changed), with `{code, message}` in `lastRefusal`. No JS `Error` is made: one
    /// costs more than the step itself, and its stack more again (BENCHMARKS.md, *The
    /// browser module*).
    #[wasm_bindgen(js_name = tryApply, unchecked_return_type = "any[] | null")]
    pub fn try_apply(&mut self, seat: f64, action: JsValue) -> Result<JsValue, JsValue> {
        match self.apply_js(seat, &action) {
            Ok(events) => {
                self.refusal = None;
                events
            }
            Err(refused) => {
                self.refusal = Some(match refused {
                    Refused::Seat(seat) => ("no_such_seat", not_small(seat, "seat")),
                    Refused::Decode => ("decode", js::take_failure_message()),
                    Refused::Rules(e) => (e.code(), e.to_string()),
                });
                Ok(JsValue::NULL)
            }
        }
    }

    /// Applies `seat`'s action given as postcard bytes (the protocol's own encoding; make them
    /// once with `encodeAction`). For hot loops: no JS objects, and a refusal throws
    /// nothing. Returns the byte length of the events it caused, which `lastEvents` hands
    /// over as postcard bytes (`decodeEvents` reads them) only if asked; or -1 when the rules
    /// refused it (nothing changed), with `{code, message}` in `lastRefusal`.
    #[wasm_bindgen(js_name = applyBytes)]
    pub fn apply_bytes(&mut self, seat: u8, action: &[u8]) -> i32 {
        let buffer = std::mem::take(&mut self.events);
        match self.inner.apply_bytes(Seat(seat), action, buffer) {
            Ok(events) => {
                self.refusal = None;
                self.events = events;
                i32::try_from(self.events.len()).unwrap_or(i32::MAX)
            }
            Err(e) => {
                self.refusal = Some((e.code(), e.to_string()));
                -1
            }
        }
    }

    /// The events of the last accepted `applyBytes`, or of the last `tickBytes`, as postcard
    /// bytes (empty after a refusal).
    #[wasm_bindgen(getter, js_name = lastEvents)]
    pub fn last_events(&self) -> Vec<u8> {
        self.events.clone()
    }

    /// Why the last `applyBytes` returned -1 or `tryApply` `null`: `{code, message}`, or
    /// `null` after one that was accepted.
    #[wasm_bindgen(getter, js_name = lastRefusal, unchecked_return_type = "{code: string, message: string} | null")]
    pub fn last_refusal(&self) -> JsValue {
        match &self.refusal {
            Some((code, message)) => js::object(&[
                ("code", JsValue::from_str(code)),
                ("message", JsValue::from_str(message)),
            ]),
            None => JsValue::NULL,
        }
    }

    /// One tick of a real-time game; the byte length of its events, which `lastEvents` hands
    /// over (see `applyBytes`).
    #[wasm_bindgen(js_name = tickBytes)]
    pub fn tick_bytes(&mut self) -> Result<u32, JsValue> {
        let buffer = std::mem::take(&mut self.events);
        self.events = self.inner.tick_bytes(buffer).map_err(js::rule_error)?;
        Ok(u32::try_from(self.events.len()).unwrap_or(u32::MAX))
    }

    /// An action (a JS value, as `apply` takes it) as the postcard bytes `applyBytes` takes.
    /// Throws if it is not an action of this game.
    #[wasm_bindgen(js_name = encodeAction)]
    pub fn encode_action(&self, action: JsValue) -> Result<Vec<u8>, JsValue> {
        Ok(to_payload(self.game, Kind::Action, &action)?.into_bytes())
    }

    /// Events from `applyBytes` or `tickBytes` as JS values (what `apply` returns).
    #[wasm_bindgen(js_name = decodeEvents, unchecked_return_type = "any[]")]
    pub fn decode_events(&self, events: &[u8]) -> Result<JsValue, JsValue> {
        self.js(Kind::Events, &Payload::Postcard(events.to_vec()))
    }

    /// One tick of a real-time game; its events.
    #[wasm_bindgen(unchecked_return_type = "any[]")]
    pub fn tick(&mut self) -> Result<JsValue, JsValue> {
        let buffer = std::mem::take(&mut self.scratch);
        let events = self.inner.tick_bytes(buffer).map_err(js::rule_error)?;
        let value = js::from_bytes(self.game, Kind::Events, &events);
        self.scratch = events;
        value
    }

    /// What `seat` sees; `null` (or nothing) for a spectator.
    pub fn view(&self, seat: Option<f64>) -> Result<JsValue, JsValue> {
        let viewer = match seat {
            None => Viewer::Spectator,
            Some(s) => Viewer::Seat(Seat(small(s, "seat", "no_such_seat")?)),
        };
        let view = self
            .inner
            .view(viewer, Encoding::Postcard)
            .map_err(js::rule_error)?;
        self.js(Kind::View, &view)
    }

    /// The actions `seat` may take now.
    #[wasm_bindgen(js_name = legalActions, unchecked_return_type = "any[]")]
    pub fn legal_actions(&self, seat: f64) -> Result<JsValue, JsValue> {
        let seat = Seat(small(seat, "seat", "no_such_seat")?);
        let actions = self
            .inner
            .legal_actions(seat, Encoding::Postcard)
            .map_err(js::rule_error)?;
        self.js(Kind::Actions, &actions)
    }

    /// The action the built-in bot would take for `seat` at strength `level` (0 = weakest),
    /// or `null` when it has nothing to do.
    #[wasm_bindgen(js_name = botAction)]
    pub fn bot_action(&self, seat: f64, level: f64) -> Result<JsValue, JsValue> {
        let seat = Seat(small(seat, "seat", "no_such_seat")?);
        let level = small(level, "bot level", "bad_request")?;
        let action = self
            .inner
            .bot_action(seat, level, Encoding::Postcard)
            .map_err(js::rule_error)?;
        match action {
            Some(a) => self.js(Kind::Action, &a),
            None => Ok(JsValue::NULL),
        }
    }

    /// The next bot turn of a turn-based game, played: the first of `botSeats` whose bot (at
    /// strength `level`) wants to act now. Resolves to `{seat, action, events}`, or `null` when
    /// no bot wants to (a human's turn, or the game is over). The same driver a host's room
    /// uses for its bot seats.
    #[wasm_bindgen(js_name = botTurn, unchecked_return_type = "{seat: number, action: any, events: any[]} | null")]
    pub fn bot_turn(&mut self, bot_seats: Vec<f64>, level: f64) -> Result<JsValue, JsValue> {
        let bots = bots(&bot_seats, level)?;
        let Some((seat, action)) =
            drive::bot_turn(&self.inner, &bots, Encoding::Postcard).map_err(js::rule_error)?
        else {
            return Ok(JsValue::NULL);
        };
        let events = self.inner.apply(seat, &action).map_err(js::rule_error)?;
        Ok(js::object(&[
            ("seat", JsValue::from(seat.0)),
            ("action", self.js(Kind::Action, &action)?),
            ("events", self.js(Kind::Events, &events)?),
        ]))
    }

    /// One tick of a real-time game as a host's room runs it: the bots of `botSeats` decide
    /// from the state before this tick's inputs, `inputs` (`{seat, action}`, in arrival order)
    /// apply in seat order, then the game ticks. Returns `{events, refused}`, where `refused`
    /// lists `{seat, code, message}` for inputs the rules did not take (they changed nothing).
    #[wasm_bindgen(
        unchecked_return_type = "{events: any[], refused: {seat: number, code: string, message: string}[]}"
    )]
    pub fn step(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "{seat: number, action: any}[]")] inputs: JsValue,
        bot_seats: Vec<f64>,
        level: f64,
    ) -> Result<JsValue, JsValue> {
        let bots = bots(&bot_seats, level)?;
        let mut parsed = Vec::new();
        if !inputs.is_null() && !inputs.is_undefined() {
            if !js_sys::Array::is_array(&inputs) {
                return Err(js::error(
                    "decode",
                    "the tick's inputs are not an array of {seat, action}",
                ));
            }
            for (order, input) in js_sys::Array::from(&inputs).iter().enumerate() {
                let seat = js::get(&input, "seat").as_f64().unwrap_or(f64::NAN);
                parsed.push(drive::Input {
                    seat: Seat(small(seat, "seat", "no_such_seat")?),
                    order: order as u64,
                    action: to_payload(self.game, Kind::Action, &js::get(&input, "action"))?,
                    tag: (),
                });
            }
        }
        let ticked = drive::tick(&mut self.inner, parsed, &bots, Encoding::Postcard)
            .map_err(js::rule_error)?;
        let refused = js_sys::Array::new();
        for (input, e) in &ticked.refused {
            refused.push(&js::object(&[
                ("seat", JsValue::from(input.seat.0)),
                ("code", JsValue::from_str(e.code())),
                ("message", JsValue::from_str(&e.to_string())),
            ]));
        }
        Ok(js::object(&[
            ("events", self.js(Kind::Events, &ticked.events)?),
            ("refused", refused.into()),
        ]))
    }

    /// The state hash as 16 hex digits (what hosts and golden vectors compare).
    #[wasm_bindgen(getter)]
    pub fn hash(&self) -> String {
        hash_hex(self.inner.hash())
    }

    /// Whether the game has ended.
    #[wasm_bindgen(getter, js_name = isOver)]
    pub fn is_over(&self) -> bool {
        self.inner.is_over()
    }

    /// How the game ended; `null` while it goes on.
    #[wasm_bindgen(getter, unchecked_return_type = "Outcome | null")]
    pub fn outcome(&self) -> JsValue {
        match self.inner.outcome() {
            Some(o) => objects::ToJs::to_js(&o),
            None => JsValue::NULL,
        }
    }

    /// Ticks played (real-time games).
    #[wasm_bindgen(getter, js_name = tickCount)]
    pub fn tick_count(&self) -> f64 {
        self.inner.tick_count() as f64
    }

    /// Accepted actions so far.
    #[wasm_bindgen(getter, js_name = logLength)]
    pub fn log_length(&self) -> f64 {
        self.inner.log_len() as f64
    }

    /// The game's catalog name.
    #[wasm_bindgen(getter)]
    pub fn game(&self) -> String {
        self.inner.meta().name.clone()
    }

    /// Seats at the table.
    #[wasm_bindgen(getter)]
    pub fn seats(&self) -> u8 {
        self.inner.header(Encoding::Postcard).seats
    }

    /// Snapshot bytes for `Session.restore` (a save game).
    pub fn snapshot(&self) -> Vec<u8> {
        self.inner.snapshot()
    }
}
