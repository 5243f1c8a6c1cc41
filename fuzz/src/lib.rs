//! What Hearth's fuzz targets share: the catalog of every example game, and the checks a
//! decoded game value or session must pass.

use std::sync::{Arc, OnceLock};

use hearth_rules::{Catalog, DynSession, Encoding, Payload, RuleError, Seat, ValueKind, Viewer};
use libfuzzer_sys::arbitrary::{Result, Unstructured};

/// Every example game: Hearth's three and Liar's Dice (made with `hearth new`).
pub fn all_games(catalog: &mut Catalog) -> std::result::Result<(), RuleError> {
    hearth_games::games(catalog)?;
    liars_dice_rules::games(catalog)
}

/// The catalog of [`all_games`], built once per process.
pub fn catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::of(all_games).expect("the example games register")))
        .clone()
}

/// The names of the catalog's games, in catalog order.
pub fn game_names() -> Vec<String> {
    catalog().games().map(|g| g.name.clone()).collect()
}

/// A game value as a client could send it: JSON (text the fuzzer writes, parsed as a host
/// parses a frame) or postcard bytes.
pub fn payload(u: &mut Unstructured<'_>) -> Result<Payload> {
    let bytes: &[u8] = u.arbitrary()?;
    Ok(if u.arbitrary()? {
        Payload::Json(serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null))
    } else {
        Payload::Postcard(bytes.to_vec())
    })
}

/// The other encoding.
pub fn other(e: Encoding) -> Encoding {
    match e {
        Encoding::Json => Encoding::Postcard,
        Encoding::Postcard => Encoding::Json,
    }
}

fn encoding_of(p: &Payload) -> Encoding {
    match p {
        Payload::Json(_) => Encoding::Json,
        Payload::Postcard(_) => Encoding::Postcard,
    }
}

/// Converting a value the catalog accepts is stable: once in the other encoding and back,
/// converting again gives the same bytes (a decoder and its encoder agree).
pub fn check_convert(game: &str, kind: ValueKind, value: &Payload) {
    let catalog = catalog();
    let from = encoding_of(value);
    let Ok(there) = catalog.convert(game, kind, value, other(from)) else {
        return;
    };
    let back = catalog
        .convert(game, kind, &there, from)
        .unwrap_or_else(|e| {
            panic!("{game} {kind:?}: a converted value does not convert back: {e}")
        });
    let again = catalog
        .convert(game, kind, &back, other(from))
        .unwrap_or_else(|e| panic!("{game} {kind:?}: a value converted twice is refused: {e}"));
    assert_eq!(
        there, again,
        "{game} {kind:?}: converting back and forth changes the value"
    );
}

/// Everything a session offers works on any session the rules built, and a snapshot
/// restores to the same game.
pub fn check_session(s: &DynSession) {
    let catalog = catalog();
    let header = s.header(Encoding::Postcard);
    let seats = header.seats;
    let _ = s.hash();
    let _ = s.outcome();
    let _ = s.is_over();
    let viewers = (0..seats)
        .map(|n| Viewer::Seat(Seat(n)))
        .chain([Viewer::Spectator]);
    for viewer in viewers {
        for enc in [Encoding::Json, Encoding::Postcard] {
            if let Ok(view) = s.view(viewer, enc) {
                check_convert(&header.game, ValueKind::View, &view);
            }
        }
    }
    for seat in 0..seats {
        if let Ok(legal) = s.legal_actions(Seat(seat), Encoding::Postcard) {
            check_convert(&header.game, ValueKind::Actions, &legal);
        }
    }
    let snapshot = s.snapshot();
    let restored = catalog
        .restore(&snapshot)
        .unwrap_or_else(|e| panic!("a session's own snapshot is refused: {e}"));
    assert_eq!(
        restored.hash(),
        s.hash(),
        "a snapshot restores another state"
    );
    assert_eq!(restored.snapshot(), snapshot, "a restored snapshot differs");
}

/// Applies `action` for `seat`; a refused action must change nothing.
pub fn apply_checked(s: &mut DynSession, seat: Seat, action: &Payload) -> bool {
    let before = s.snapshot();
    match s.apply(seat, action) {
        Ok(events) => {
            let game = s.header(Encoding::Postcard).game;
            check_convert(&game, ValueKind::Events, &events);
            true
        }
        Err(_) => {
            assert_eq!(s.snapshot(), before, "a refused action changed the game");
            false
        }
    }
}
