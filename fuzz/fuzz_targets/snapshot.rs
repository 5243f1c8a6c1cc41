//! Snapshot bytes from a file or another process (`Catalog::restore`, `hearth_restore`):
//! anything is refused or restores to a session whose every operation works and whose own
//! snapshot restores to the same game.

#![no_main]

use hearth_fuzz::{catalog, check_session};
use hearth_rules::{Encoding, Payload, Seat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut s) = catalog().restore(data) else {
        return;
    };
    check_session(&s);
    // The restored game goes on: a few ticks or legal moves.
    let seats = s.header(Encoding::Postcard).seats;
    for _ in 0..8 {
        if s.is_over() {
            break;
        }
        let _ = s.tick(Encoding::Postcard);
        for seat in 0..seats {
            if let Ok(Payload::Json(serde_json::Value::Array(legal))) =
                s.legal_actions(Seat(seat), Encoding::Json)
                && let Some(first) = legal.first()
            {
                let _ = s.apply(Seat(seat), &Payload::Json(first.clone()));
                break;
            }
        }
    }
    check_session(&s);
});
