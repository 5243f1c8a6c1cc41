//! The protocol's own values (rooms, members, standings, the welcome, `started`, outcomes,
//! catalog entries) as plain JS objects, built field by field — the same objects their JSON
//! would parse to (field names as serde writes them; `wasm/module/tests/vectors.rs` compares
//! each with serde_json's text), without serde_json in the module. Public only for that test.

use hearth_rules::protocol::{
    Member, PhaseName, RoomPhase, RoomState, RoomSummary, Standing, Started, Welcome, WireError,
};
use hearth_rules::{GameMeta, Outcome, Seat, SyncMode};
use wasm_bindgen::JsValue;

use crate::js::object;

/// A value as the plain JS value its JSON form parses to.
pub trait ToJs {
    /// The JS value.
    fn to_js(&self) -> JsValue;
}

impl ToJs for bool {
    fn to_js(&self) -> JsValue {
        JsValue::from_bool(*self)
    }
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl ToJs for $t {
            fn to_js(&self) -> JsValue {
                // JSON numbers are doubles in JS; ids and seeds stay below 2^53 by design.
                JsValue::from_f64(*self as f64)
            }
        }
    )*};
}
numbers!(u8, u16, u32, u64, i32);

impl ToJs for String {
    fn to_js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl ToJs for str {
    fn to_js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl ToJs for Seat {
    fn to_js(&self) -> JsValue {
        self.0.to_js()
    }
}

impl<T: ToJs> ToJs for Option<T> {
    fn to_js(&self) -> JsValue {
        self.as_ref().map_or(JsValue::NULL, ToJs::to_js)
    }
}

impl<T: ToJs> ToJs for [T] {
    fn to_js(&self) -> JsValue {
        self.iter()
            .map(ToJs::to_js)
            .collect::<js_sys::Array>()
            .into()
    }
}

impl<T: ToJs> ToJs for Vec<T> {
    fn to_js(&self) -> JsValue {
        self.as_slice().to_js()
    }
}

impl<T: ToJs + ?Sized> ToJs for &T {
    fn to_js(&self) -> JsValue {
        (**self).to_js()
    }
}

impl ToJs for Outcome {
    fn to_js(&self) -> JsValue {
        object(&[
            ("winners", self.winners.to_js()),
            ("scores", self.scores.to_js()),
        ])
    }
}

impl ToJs for WireError {
    fn to_js(&self) -> JsValue {
        object(&[
            ("code", self.code.to_js()),
            ("message", self.message.to_js()),
        ])
    }
}

impl ToJs for GameMeta {
    fn to_js(&self) -> JsValue {
        object(&[
            ("name", self.name.to_js()),
            ("version", self.version.to_js()),
            ("min_seats", self.min_seats.to_js()),
            ("max_seats", self.max_seats.to_js()),
            ("tick_rate", self.tick_rate.to_js()),
            ("hidden_information", self.hidden_information.to_js()),
            ("description", self.description.to_js()),
            ("fingerprint", self.fingerprint.to_string().to_js()),
        ])
    }
}

impl ToJs for Welcome {
    fn to_js(&self) -> JsValue {
        object(&[
            ("player", self.player.to_js()),
            ("name", self.name.to_js()),
            ("protocol", self.protocol.to_js()),
            ("server_version", self.server_version.to_js()),
            ("games", self.games.to_js()),
        ])
    }
}

impl ToJs for PhaseName {
    fn to_js(&self) -> JsValue {
        self.as_str().to_js()
    }
}

impl ToJs for RoomPhase {
    fn to_js(&self) -> JsValue {
        match self {
            RoomPhase::Lobby | RoomPhase::Playing => self.name().to_js(),
            RoomPhase::Over { outcome, hash } => object(&[(
                "over",
                object(&[("outcome", outcome.to_js()), ("hash", hash.to_js())]),
            )]),
            RoomPhase::Aborted { error } => {
                object(&[("aborted", object(&[("error", error.to_js())]))])
            }
        }
    }
}

impl ToJs for RoomSummary {
    fn to_js(&self) -> JsValue {
        object(&[
            ("name", self.name.to_js()),
            ("game", self.game.to_js()),
            ("players", self.players.to_js()),
            ("max_seats", self.max_seats.to_js()),
            ("spectators", self.spectators.to_js()),
            ("phase", self.phase.to_js()),
            ("has_password", self.has_password.to_js()),
        ])
    }
}

impl ToJs for Member {
    fn to_js(&self) -> JsValue {
        object(&[
            ("player", self.player.to_js()),
            ("name", self.name.to_js()),
            ("seat", self.seat.to_js()),
            ("ready", self.ready.to_js()),
            ("connected", self.connected.to_js()),
            ("bot", self.bot.to_js()),
        ])
    }
}

impl ToJs for RoomState {
    fn to_js(&self) -> JsValue {
        object(&[
            ("name", self.name.to_js()),
            ("game", self.game.to_js()),
            ("host", self.host.to_js()),
            ("you", self.you.to_js()),
            ("max_seats", self.max_seats.to_js()),
            ("public", self.public.to_js()),
            ("has_password", self.has_password.to_js()),
            ("members", self.members.to_js()),
            ("phase", self.phase.to_js()),
        ])
    }
}

impl ToJs for Standing {
    fn to_js(&self) -> JsValue {
        object(&[
            ("account", self.account.to_js()),
            ("name", self.name.to_js()),
            ("wins", self.wins.to_js()),
            ("losses", self.losses.to_js()),
            ("draws", self.draws.to_js()),
            ("rating", self.rating.to_js()),
        ])
    }
}

impl ToJs for SyncMode {
    fn to_js(&self) -> JsValue {
        match self {
            SyncMode::PerfectInformation => "perfect_information",
            SyncMode::HiddenInformation => "hidden_information",
            SyncMode::RealTime => "real_time",
        }
        .to_js()
    }
}

/// `started` with its config already a JS value (the game's JSON form, from the codec).
pub fn started(s: &Started<impl Sized>, config: JsValue) -> JsValue {
    object(&[
        ("game", s.game.to_js()),
        ("sync", s.sync.to_js()),
        ("seats", s.seats.to_js()),
        ("players", s.players.to_js()),
        ("seat", s.seat.to_js()),
        ("seed", s.seed.to_js()),
        ("config", config),
        ("tick_rate", s.tick_rate.to_js()),
        ("resume", s.resume.to_js()),
    ])
}
