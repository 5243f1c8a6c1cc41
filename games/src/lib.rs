//! The example games that ship with Hearth, one of each kind: turn-based with perfect
//! information ([`connect_four`]), hidden roles with a seeded draw ([`chameleon`]), and a
//! real-time fixed-tick arena ([`tanks`]).
//!
//! They are ordinary users of [`hearth_rules`]: nothing in Hearth's core knows them. Hearth's
//! own binaries (the `hearth` command, libhearth, the browser module and the Godot extension)
//! are each product's entry point called with [`games`], exactly as a developer calls it
//! with their own crate's.
//!
//! ```
//! use hearth_rules::{Catalog, Payload, Seat};
//! let catalog = Catalog::of(hearth_games::games)?;
//! let mut game = catalog.create("connect-four", &Payload::Json(serde_json::json!(null)), 2, 7)?;
//! game.apply(Seat(0), &Payload::Json(serde_json::json!({"column": 3})))?;
//! # Ok::<(), hearth_rules::RuleError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chameleon;
pub mod connect_four;
pub mod tanks;

use hearth_rules::{Catalog, RuleError};

/// Registers the three example games (the [`hearth_rules::Games`] of this crate).
pub fn games(catalog: &mut Catalog) -> Result<(), RuleError> {
    catalog.register::<connect_four::ConnectFour>()?;
    catalog.register::<chameleon::Chameleon>()?;
    catalog.register::<tanks::Tanks>()?;
    Ok(())
}

/// A catalog of the three example games, with traced fingerprints.
///
/// # Panics
/// Never in a build with the `schema` feature: the games are checked by this crate's tests,
/// so a failure here is a bug in this crate, not something input can cause.
#[cfg(feature = "schema")]
pub fn catalog() -> Catalog {
    match Catalog::of(games) {
        Ok(catalog) => catalog,
        Err(e) => panic!("an example game failed to register: {e}"),
    }
}
