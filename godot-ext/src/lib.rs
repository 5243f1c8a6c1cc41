//! Hearth for Godot 4, over *your* games: four GDExtension classes —
//!
//! - `HearthSession` (RefCounted): offline play of any catalog game with the rules the server
//!   runs;
//! - `HearthClient` (Node): the official server or a LAN host, with signals on the main thread;
//! - `HearthLanHost` (Node): the host core in-process, announced over mDNS;
//! - `HearthLanBrowser` (Node): finds LAN hosts.
//!
//! The classes (`godot_api`) are thin: every decision lives in plain Rust that is tested
//! without Godot — [`value`] (Godot values ↔ the rules' serde values), [`session`] (offline
//! play) and [`driver`] (networking on a background runtime, drained each frame).
//!
//! This crate is a library: the extension Godot loads is a `cdylib` of your own whose whole
//! source is one line (gdext allows one entry point per library, so it cannot live here):
//!
//! ```ignore
//! hearth_godot::extension!(MyGameExtension, my_rules::games);
//! ```
//!
//! Hearth's own extension (`godot-ext/extension`, loaded by the demo project) is that line
//! with the example games.

pub mod driver;
mod godot_api;
pub mod session;
pub mod value;

pub use godot_api::install;

/// Declares a GDExtension entry point (`gdext_rust_init`) that registers Hearth's classes
/// over the games `$games` (a [`hearth_rules::Games`] function path) registers:
///
/// ```ignore
/// hearth_godot::extension!(MyGameExtension, my_rules::games);
/// ```
///
/// Use it once, in the `cdylib` crate Godot loads; that crate depends on `godot` too (the
/// entry point is gdext's `#[gdextension]`).
#[macro_export]
macro_rules! extension {
    ($name:ident, $games:path) => {
        /// The GDExtension entry point: Hearth's classes over this crate's games.
        struct $name;

        #[::godot::init::gdextension]
        // SAFETY: gdext's contract for an extension library; Hearth's classes uphold it.
        unsafe impl ::godot::init::ExtensionLibrary for $name {
            fn on_stage_init(stage: ::godot::init::InitStage) {
                if stage == ::godot::init::InitStage::Scene {
                    $crate::install($games);
                }
            }
        }
    };
}
