//! A stored match record as the store hands it to crash recovery and `hearth replay`
//! (`StoredMatch::rebuild`): a header (game, seats, seed, postcard config) and a log of
//! postcard actions with seats and ticks, any of them damaged. Replaying is refused or gives
//! a working session; a log that replays replays the same way twice.

#![no_main]

use hearth_fuzz::{catalog, check_session, game_names};
use hearth_rules::{DynHeader, DynLogEntry, Encoding, Payload, Seat};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let names = game_names();
    let header = DynHeader {
        game: u.choose(&names)?.clone(),
        seats: u.int_in_range(0..=9)?,
        seed: u.arbitrary()?,
        config: Payload::Postcard(u.arbitrary::<&[u8]>()?.to_vec()),
    };
    let mut log = Vec::new();
    let mut tick = 0u64;
    for index in 0..u.int_in_range(0..=32u64)? {
        // Ticks only go forward in a stored log, by a bounded step (a real match's pace).
        tick += u64::from(u.int_in_range(0..=20u8)?);
        log.push(DynLogEntry {
            index,
            tick,
            seat: Seat(u.arbitrary()?),
            action: Payload::Postcard(u.arbitrary::<&[u8]>()?.to_vec()),
        });
    }
    let catalog = catalog();
    let Ok(mut s) = catalog.replay(&header, &log) else {
        return Ok(());
    };
    let again = catalog
        .replay(&header, &log)
        .expect("a log that replayed once replays again");
    assert_eq!(s.hash(), again.hash(), "one log, two games");
    // Recovery ticks a real-time game on to the ticks recorded.
    let ticks: u64 = u.int_in_range(0..=64)?;
    while s.tick_count() < tick + ticks && !s.is_over() {
        if s.tick(Encoding::Postcard).is_err() {
            break;
        }
    }
    check_session(&s);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
