//! The Godot extension: `gdext_rust_init` and Hearth's classes over this game's rules.
//! `godot/project/__name__.gdextension` loads it.

hearth_godot::extension!(__Type__Extension, __crate___rules::games);
