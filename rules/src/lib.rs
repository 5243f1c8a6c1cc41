//! Hearth's rules: write a game once as a [`Game`], and play it, replay it from its log,
//! hash it, snapshot it and drive it by name through the [`Catalog`] — offline, on a LAN
//! host or on the official server, from Rust, Wasm, C or Godot, with identical results.
//!
//! This crate is pure: no I/O, clocks, threads, floats in state or unordered iteration.
//! Randomness comes only from the seeded [`Rng`] that every [`Session`] keeps in its state.
//! A test (`tests/purity.rs`) enforces this.
//!
//! ```
//! use hearth_rules::{Session, Viewer};
//! use hearth_games::connect_four::ConnectFour;
//!
//! let mut game = Session::<ConnectFour>::new(Default::default(), 2, 1)?;
//! while !game.is_over() {
//!     let seat = game.state().to_move().expect("someone is to move");
//!     let action = game.bot_action(seat, 2)?.expect("a legal move exists");
//!     game.apply(seat, action)?;
//! }
//! println!("{:?}, hash {:016x}", game.outcome(), game.hash());
//! # let _ = game.view(Viewer::Spectator)?;
//! # Ok::<(), hearth_rules::RuleError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod catalog;
mod codec;
pub mod drive;
mod error;
mod game;
mod hash;
pub mod protocol;
mod rng;
mod schema;
mod session;

pub use catalog::{
    Catalog, DynHeader, DynLogEntry, DynSession, GameMeta, Games, SyncMode, ValueKind, Views,
};
pub use codec::{Encoding, Payload, decode_json_value, decode_postcard};
pub use error::RuleError;
pub use game::{Game, GameInfo, Outcome, Seat, Viewer};
pub use hash::{from_hex, hash_hex, stable_hash, to_hex};
pub use rng::Rng;
pub use schema::{BadFingerprint, Fingerprint};
pub use session::{LogEntry, SESSION_FORMAT, Session, SessionHeader};
