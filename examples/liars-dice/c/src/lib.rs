//! The C library `libliars_dice.so` / `libliars_dice.a`: every function of `include/hearth.h`
//! over this game's rules.

hearth_ffi::export_c_api!(liars_dice_rules::games);
