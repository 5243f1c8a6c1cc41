//! Hearth's test harness.
//!
//! - [`props`]: property checks that any [`Game`](hearth_rules::Game) can be put through
//!   (replay equals live, rejected actions change nothing, snapshots, both encodings, seeds,
//!   termination). Implement [`props::GameUnderTest`] for your game and call
//!   [`props::check_game`].
//! - [`vectors`]: the golden-vector format, its generator and its checker: the contract the
//!   Wasm, C and Godot builds reproduce.

pub mod builtin;
pub mod props;
pub mod vectors;
