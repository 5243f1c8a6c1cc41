//! The example games that ship with Hearth, one of each kind: turn-based with perfect
//! information, hidden roles with a seeded draw, and a real-time fixed-tick arena.

pub mod chameleon;
pub mod connect_four;
pub mod tanks;
