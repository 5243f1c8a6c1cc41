//! The Godot extension: `gdext_rust_init` and Hearth's classes over this game's rules.
//! `godot/project/liars-dice.gdextension` loads it.

hearth_godot::extension!(LiarsDiceExtension, liars_dice_rules::games);
