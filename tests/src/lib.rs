//! Hearth's test harness.
//!
//! - [`props`]: property checks that any [`Game`](hearth_rules::Game) can be put through
//!   (replay equals live, rejected actions change nothing, snapshots, both encodings, seeds,
//!   termination). Implement [`props::GameUnderTest`] for your game and call
//!   [`props::check_game`].
//! - [`crossmode`]: one generated game played offline, on a LAN host, on the official server
//!   and as a replay of its record, compared move by move ([`crossmode::check_cross_mode`]).
//! - [`realtime`]: the same for real-time games, with per-tick input schedules (late,
//!   early, missing and refused inputs) and two network orders
//!   ([`realtime::check_cross_mode_real_time`]).
//! - [`c`]: any game's C library replays its golden vectors from C.
//! - [`canary`]: games must end the same in processes with different hashing seeds.
//! - [`godot`]: what Godot checks when it loads an extension, checked without Godot; a
//!   headless Godot run where `HEARTH_GODOT` names one.
//! - [`netns`]: run a test inside its own network namespace (for mDNS), or make a host and a
//!   player namespace joined by a veth pair.
//! - [`browser`]: what the browser tests need, checked with a message saying what to do.
//! - [`purity`]: the check every crate holding game rules runs on itself (no clocks, I/O,
//!   threads, floats, unordered maps; reviewed dependencies only).
//! - [`vectors`]: the golden-vector format, its generator and its checker: the contract the
//!   Wasm, C and Godot builds reproduce.

pub mod browser;
/// Property-test strategies for Hearth's example games ([`hearth_games`]).
pub mod builtin;
pub mod c;
pub mod canary;
#[cfg(feature = "hosts")]
pub mod crossmode;
pub mod error;
#[cfg(feature = "hosts")]
pub mod godot;
pub mod netns;
pub mod pg;
pub mod props;
pub mod purity;
#[cfg(feature = "hosts")]
pub mod realtime;
pub mod vectors;

pub use error::HarnessError;

/// Compiles the reference's examples (a game, a host started in-process, the cross-mode check
/// of your own game) as doc tests, so `docs/reference.md` stays true. It lives here because
/// this crate sees the rules, the host, the client and the harness.
#[cfg(doctest)]
#[doc = include_str!("../../docs/reference.md")]
struct ReferenceDoctests;
