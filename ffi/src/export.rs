//! [`export_c_api!`](crate::export_c_api): the `hearth.h` API defined in the developer's own
//! library crate.

/// Defines every function of `hearth.h` in the calling crate over the games that `$games`
/// (a [`hearth_rules::Games`] function path) registers, each forwarding to this crate's
/// function of the same name. Use it once, in a `cdylib`/`staticlib` crate:
///
/// ```ignore
/// hearth_ffi::export_c_api!(my_rules::games);
/// ```
///
/// The text between the `C API` markers is also what `tests/header.rs` feeds cbindgen, so the
/// committed header is generated from exactly these declarations.
#[macro_export]
macro_rules! export_c_api {
    ($games:path) => {
        // -- C API begin --
        /// The library version (static; do not free).
        #[unsafe(no_mangle)]
        pub extern "C" fn hearth_version() -> *const ::std::ffi::c_char {
            $crate::install($games);
            $crate::hearth_version()
        }

        /// The message of this thread's last failed call, `""` after a success (library-owned; valid
        /// until this thread's next call).
        #[unsafe(no_mangle)]
        pub extern "C" fn hearth_last_error() -> *const ::std::ffi::c_char {
            $crate::install($games);
            $crate::hearth_last_error()
        }

        /// The stable code of this thread's last failed call (`not_your_turn`, `bad_handle`, `decode`,
        /// ...), `""` after a success (library-owned; valid until this thread's next call).
        #[unsafe(no_mangle)]
        pub extern "C" fn hearth_last_error_code() -> *const ::std::ffi::c_char {
            $crate::install($games);
            $crate::hearth_last_error_code()
        }

        /// The games as a JSON array: `name`, `version`, `min_seats`, `max_seats`, `tick_rate`
        /// (`null` for turn-based), `hidden_information`, `description`, and the rules `fingerprint`
        /// (`name@version#schema`) that must match a host's to play with it.
        ///
        /// # Safety
        /// `out` points to a writable `HearthBuf`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_games(out: *mut $crate::HearthBuf) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_games(out) }
        }

        /// Creates a session of `game` with `config_json` (a JSON object, or NULL / `"null"` for the
        /// defaults), `seats` players and generator `seed`; writes its handle to `out_session`.
        ///
        /// # Safety
        /// `game` is a NUL-terminated string; `config_json` is NULL or one; `out_session` points to a
        /// writable `uint64_t`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_session_new(
            game: *const ::std::ffi::c_char,
            config_json: *const ::std::ffi::c_char,
            seats: u8,
            seed: u64,
            out_session: *mut u64,
        ) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_session_new(game, config_json, seats, seed, out_session) }
        }

        /// Frees a session. Freeing it again, or any handle that is not live, gives
        /// `HEARTH_ERR_BAD_HANDLE`.
        #[unsafe(no_mangle)]
        pub extern "C" fn hearth_session_free(session: u64) -> i32 {
            $crate::install($games);
            $crate::hearth_session_free(session)
        }

        /// Applies `seat`'s action (`len` bytes of JSON text or postcard, per `encoding`). Accepted:
        /// `HEARTH_OK` and the action's events in `out_events` (same encoding). Refused by the rules:
        /// `HEARTH_REJECTED`, the session unchanged, the reason in the last error (a malformed action
        /// is refused with code `decode`). `out_events` may be NULL when the events are not wanted.
        ///
        /// # Safety
        /// `action` points to `len` readable bytes (or `len` is 0); `out_events` is NULL or points to
        /// a writable `HearthBuf`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_apply(
            session: u64,
            seat: u8,
            action: *const u8,
            len: usize,
            encoding: i32,
            out_events: *mut $crate::HearthBuf,
        ) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_apply(session, seat, action, len, encoding, out_events) }
        }

        /// Advances a real-time game one tick; its events go to `out_events` (may be NULL).
        /// Refused (`HEARTH_REJECTED`) for turn-based games and finished games.
        ///
        /// # Safety
        /// `out_events` is NULL or points to a writable `HearthBuf`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_tick(
            session: u64,
            encoding: i32,
            out_events: *mut $crate::HearthBuf,
        ) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_tick(session, encoding, out_events) }
        }

        /// What `viewer` may see: a seat number, or `HEARTH_SPECTATOR`.
        ///
        /// # Safety
        /// `out` points to a writable `HearthBuf`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_view(
            session: u64,
            viewer: i32,
            encoding: i32,
            out: *mut $crate::HearthBuf,
        ) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_view(session, viewer, encoding, out) }
        }

        /// The actions `seat` may take now, as a list in `encoding` (empty when it is not its turn).
        ///
        /// # Safety
        /// `out` points to a writable `HearthBuf`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_legal_actions(
            session: u64,
            seat: u8,
            encoding: i32,
            out: *mut $crate::HearthBuf,
        ) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_legal_actions(session, seat, encoding, out) }
        }

        /// The state hash (XXH3-64; equal on every build and every host for the same game).
        ///
        /// # Safety
        /// `out_hash` points to a writable `uint64_t`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_hash(session: u64, out_hash: *mut u64) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_hash(session, out_hash) }
        }

        /// Progress: ticks simulated, log length, and whether the game is over (1) or not (0). Any
        /// out pointer may be NULL.
        ///
        /// # Safety
        /// Each out pointer is NULL or writable.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_progress(
            session: u64,
            out_ticks: *mut u64,
            out_log_len: *mut u64,
            out_over: *mut i32,
        ) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_progress(session, out_ticks, out_log_len, out_over) }
        }

        /// The outcome as JSON (`{"winners":[0],"scores":[1,0]}`), or `null` while the game goes on.
        ///
        /// # Safety
        /// `out` points to a writable `HearthBuf`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_outcome(session: u64, out: *mut $crate::HearthBuf) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_outcome(session, out) }
        }

        /// The session as snapshot bytes (header, log and state), for saving or handing over.
        ///
        /// # Safety
        /// `out` points to a writable `HearthBuf`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_snapshot(session: u64, out: *mut $crate::HearthBuf) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_snapshot(session, out) }
        }

        /// A new session from snapshot bytes. A damaged or edited snapshot, or one of a game this
        /// build lacks, is refused (`HEARTH_ERR_INVALID`).
        ///
        /// # Safety
        /// `data` points to `len` readable bytes; `out_session` to a writable `uint64_t`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_restore(
            data: *const u8,
            len: usize,
            out_session: *mut u64,
        ) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_restore(data, len, out_session) }
        }

        /// A new session replayed from a header and a log, both JSON:
        /// header `{"game":"connect-four","seats":2,"seed":7,"config":null}`, log
        /// `[{"seat":0,"tick":0,"action":{"column":3}}, ...]` (entries in order). A log the rules
        /// refuse is refused (`HEARTH_ERR_INVALID`, code `replay`).
        ///
        /// # Safety
        /// `header_json` and `log_json` are NUL-terminated strings; `out_session` points to a
        /// writable `uint64_t`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_replay(
            header_json: *const ::std::ffi::c_char,
            log_json: *const ::std::ffi::c_char,
            out_session: *mut u64,
        ) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_replay(header_json, log_json, out_session) }
        }

        /// Frees a buffer the library returned (pass its `data`). NULL is accepted and does nothing.
        /// A pointer that is not a live library buffer (freed already, or not from the library) is
        /// reported as `HEARTH_ERR_BAD_BUFFER` and left alone.
        #[unsafe(no_mangle)]
        pub extern "C" fn hearth_free(data: *mut u8) -> i32 {
            $crate::install($games);
            $crate::hearth_free(data)
        }

        /// How many sessions and buffers are live (made and not yet freed): for leak checks in your
        /// own tests — both are 0 once everything was released. Either pointer may be NULL.
        ///
        /// # Safety
        /// Each pointer is NULL or points to a writable `uint64_t`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_live(out_sessions: *mut u64, out_buffers: *mut u64) -> i32 {
            $crate::install($games);
            // SAFETY: the same contract, passed on.
            unsafe { $crate::hearth_live(out_sessions, out_buffers) }
        }
        // -- C API end --
    };
}
