//! `libhearth`: Hearth's C library (`include/hearth.h` in `ffi/`) with the three example
//! games — exactly what a developer's own C library is, with their games instead.
#![warn(missing_docs)]

hearth_ffi::export_c_api!(hearth_games::games);
