//! Hearth for Godot 4: a GDExtension (`hearth_godot`) with four classes —
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

pub mod driver;
mod godot_api;
pub mod session;
pub mod value;
