//! The C library `lib__crate__.so` / `lib__crate__.a`: every function of `include/hearth.h`
//! over this game's rules.

hearth_ffi::export_c_api!(__crate___rules::games);
