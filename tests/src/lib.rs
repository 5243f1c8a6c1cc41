//! Hearth's test harness.
//!
//! - [`props`]: property checks that any [`Game`](hearth_rules::Game) can be put through
//!   (replay equals live, rejected actions change nothing, snapshots, both encodings, seeds,
//!   termination). Implement [`props::GameUnderTest`] for your game and call
//!   [`props::check_game`].
//! - [`crossmode`]: one generated game played offline, on a LAN host, on the official server
//!   and as a replay of its record, compared move by move ([`crossmode::check_cross_mode`]).
//! - [`netns`]: run a test inside its own network namespace (for mDNS).
//! - [`vectors`]: the golden-vector format, its generator and its checker: the contract the
//!   Wasm, C and Godot builds reproduce.

pub mod builtin;
pub mod crossmode;
pub mod netns;
pub mod props;
pub mod vectors;
