//! Every example game's configs and actions as a client sends them, through the catalog:
//! setting up a game, applying actions in both encodings, ticking, views and legal actions.
//! Nothing panics; a refused action changes nothing; legal actions are accepted; every value
//! converts between encodings and back to itself.

#![no_main]

use hearth_fuzz::{apply_checked, catalog, check_convert, check_session, game_names, payload};
use hearth_rules::{Encoding, Payload, Seat, ValueKind};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let catalog = catalog();
    let names = game_names();
    let game = u.choose(&names)?.clone();
    let config = payload(u)?;
    check_convert(&game, ValueKind::Config, &config);
    let seats = u.int_in_range(0..=9)?;
    let seed = u.arbitrary()?;
    let Ok(mut s) = catalog.create(&game, &config, seats, seed) else {
        return Ok(());
    };
    for _ in 0..u.int_in_range(0..=48)? {
        if s.is_over() {
            break;
        }
        match u.int_in_range(0..=3)? {
            // Whatever a client sends as an action.
            0 => {
                let seat = Seat(u.int_in_range(0..=seats)?);
                let action = payload(u)?;
                check_convert(&game, ValueKind::Action, &action);
                apply_checked(&mut s, seat, &action);
            }
            // A legal action is accepted.
            1 => {
                let seat = Seat(u.int_in_range(0..=seats.saturating_sub(1))?);
                let Ok(Payload::Json(serde_json::Value::Array(legal))) =
                    s.legal_actions(seat, Encoding::Json)
                else {
                    continue;
                };
                if legal.is_empty() {
                    continue;
                }
                let pick = u.choose(&legal)?.clone();
                assert!(
                    apply_checked(&mut s, seat, &Payload::Json(pick.clone())),
                    "{game}: seat {} was refused its legal action {pick}",
                    seat.0
                );
            }
            2 => {
                let enc = if u.arbitrary()? {
                    Encoding::Json
                } else {
                    Encoding::Postcard
                };
                if let Ok(events) = s.tick(enc) {
                    check_convert(&game, ValueKind::Events, &events);
                }
            }
            _ => check_session(&s),
        }
    }
    check_session(&s);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
