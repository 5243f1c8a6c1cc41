//! hearth-cli's integration tests, one module per subject, linked into one binary (six
//! binaries each linking the CLI, the server and the helpers took most of the crate's test
//! build).

#[path = "../../../server/tests/common/mod.rs"]
mod common;

mod cli;
mod crash;
mod docs;
mod hostile;
mod lan_page;
mod new;
mod saturation;
mod terminal;
