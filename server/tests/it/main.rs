//! hearth-server's integration tests, one module per subject, linked into one binary (nine
//! binaries each linking the server and the helpers took most of the crate's test build).

#[path = "../common/mod.rs"]
mod common;

mod admin_page;
#[cfg(feature = "postgres")]
mod cluster;
mod lobby;
mod official;
#[cfg(feature = "postgres")]
mod postgres;
mod protocol_doc;
mod reconnect;
mod resilience;
mod sync_modes;
mod tls;
