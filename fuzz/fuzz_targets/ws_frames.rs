//! What a host's WebSocket framing (`hearth-ws`, under every connection in `server/src/ws.rs`)
//! reads from a client: any bytes, split into reads anywhere. Whatever they are, nothing
//! panics; the messages, or the refusal, are the same however the bytes are split; text is
//! UTF-8 and no message is above the limit; once every message is read and the output
//! written, the framer holds nothing.

#![no_main]

use hearth_ws::{FrameError, Framer, Message};
use libfuzzer_sys::fuzz_target;

const LIMIT: u32 = 4096;

/// Reads `data` in pieces of `step` bytes (all at once for 0), as a connection does: the
/// messages up to the end or the first refusal.
fn read(data: &[u8], step: usize) -> (Vec<Message>, Option<FrameError>, Framer) {
    let mut framer = Framer::new(LIMIT);
    let mut out = Vec::new();
    let step = if step == 0 { data.len().max(1) } else { step };
    let drain = |framer: &mut Framer, out: &mut Vec<Message>| -> Result<(), FrameError> {
        while let Some(m) = framer.next_buffered()? {
            out.push(m);
        }
        Ok(())
    };
    for piece in data.chunks(step) {
        if let Err(e) = drain(&mut framer, &mut out) {
            return (out, Some(e), framer);
        }
        match framer.next_in(piece) {
            Ok(Some(m)) => out.push(m),
            Ok(None) => {}
            Err(e) => return (out, Some(e), framer),
        }
    }
    if let Err(e) = drain(&mut framer, &mut out) {
        return (out, Some(e), framer);
    }
    (out, None, framer)
}

fuzz_target!(|data: &[u8]| {
    let (whole, whole_err, _) = read(data, 0);
    for step in [1, 3, 7, 64] {
        let (split, split_err, mut framer) = read(data, step);
        assert_eq!(
            whole, split,
            "the same messages however the bytes are split"
        );
        assert_eq!(
            whole_err, split_err,
            "the same refusal however the bytes are split"
        );
        let pending = framer.output().len();
        framer.written(pending);
        assert!(!framer.has_output());
    }
    for m in &whole {
        match m {
            Message::Text(t) => assert!(t.len() <= LIMIT as usize),
            Message::Binary(b) => assert!(b.len() <= LIMIT as usize),
            _ => {}
        }
    }
});
