//! Hearth's own integration tests of the test harness crate, linked into one binary (the
//! harness links the server, the client and every game: one link instead of six).
//!
//! Tests that re-run themselves (in a network namespace, or as child processes with other
//! hashing seeds) name themselves with their module path, as the test harness does.

mod canary;
mod cross_mode;
mod lan;
mod rules_properties;
mod vectors;
mod web;
