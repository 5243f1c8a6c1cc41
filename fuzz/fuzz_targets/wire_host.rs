//! What a host decodes from a client: one WebSocket frame, as JSON text or postcard bytes.
//! Whatever it is, decoding never panics, and a frame that decodes re-encodes to a frame that
//! decodes to the same message.

#![no_main]

use hearth_rules::protocol::{
    ClientMsg, WireBytes, from_json, from_postcard, to_json, to_postcard,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(msg) = from_json::<ClientMsg<serde_json::Value>>(text)
    {
        let again = from_json::<ClientMsg<serde_json::Value>>(&to_json(&msg))
            .expect("a decoded JSON frame re-encodes to one that decodes");
        assert_eq!(again, msg);
    }
    if let Ok(msg) = from_postcard::<ClientMsg<WireBytes>>(data) {
        let again = from_postcard::<ClientMsg<WireBytes>>(&to_postcard(&msg))
            .expect("a decoded postcard frame re-encodes to one that decodes");
        assert_eq!(again, msg);
    }
});
