//! Hearth's host core: authoritative game rooms over WebSocket (the `hearth` binary is
//! `hearth-cli`'s).
//!
//! A host offers the games of a [`hearth_rules::Catalog`]. Clients connect to `/ws`, shake
//! hands (protocol version and rules fingerprints), and meet in rooms joined by name. Each
//! room is one tokio task that owns its game session; the rules decide every action, and each
//! member only ever receives what its seat may see:
//!
//! - perfect-information games stream accepted log entries (clients replay them);
//! - hidden-information games send each seat its own view after every action;
//! - real-time games tick at the game's rate and send each seat a snapshot every tick.
//!
//! The same core runs the official server (`hearth serve`) and a LAN host inside a game
//! client ([`Host::start`]); accounts and storage plug in through [`Authenticator`] and
//! [`MatchRecorder`]. The wire protocol is [`hearth_rules::protocol`], documented message by
//! message in `docs/protocol.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use hearth_server::{Host, HostConfig};
//! // Your rules crate's `games` (here Hearth's example games).
//! let catalog = Arc::new(hearth_rules::Catalog::of(hearth_games::games)?);
//! let host = Host::start(HostConfig::on("127.0.0.1:0".parse()?, catalog)).await?;
//! println!("{} rooms at {}", host.rooms().len(), host.ws_url());
//! host.shutdown().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod admission;
mod config;
mod conn;
mod host;
mod hub;
pub mod lan;
pub mod metrics;
pub mod names;
#[cfg(feature = "official")]
pub mod official;
#[cfg(feature = "cluster")]
mod proxy;
mod room;
pub mod secrets;
mod services;
pub mod tls;
mod web;
mod wire;
mod ws;

pub use admission::Peer;
pub use config::{HostConfig, Limits, ManualTicks, RouteFactory, SeedSource};
pub use host::{Host, HostControl, HostError, HostHandle};
pub use hub::Online;
pub use room::RoomInspect;
pub use services::{
    Accepted, Authenticator, BoxFuture, Cluster, Identity, LeaderboardSource, MatchRecorder,
    MatchStart, NullRecorder, OpenAuth, Placement, RecordError,
};
