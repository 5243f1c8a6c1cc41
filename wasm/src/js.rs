//! Moving values across the JS boundary: game values as plain JS objects in their JSON form
//! (converted from and to postcard by `codec.js`, from the shapes `build.rs` traced), the
//! protocol's values as JS objects built in `objects.rs`, failures as JS `Error`s with a
//! `code`.

use hearth_rules::protocol::WireError;
use hearth_rules::{Payload, RuleError};
use wasm_bindgen::prelude::*;

// Bytes cross as an address in the module's memory and a length, which the codec reads and
// writes through one view of the memory it keeps: a slice argument would make the glue build
// a fresh `Uint8Array` view for every call (5 % of a page's `apply` in profiles).
#[wasm_bindgen(module = "/src/codec.js")]
extern "C" {
    #[wasm_bindgen(js_name = install)]
    fn codec_install(shapes: &str, memory: &JsValue);
    // Not `catch`: they return a sentinel and keep the error for `takeFailure` (cheaper).
    #[wasm_bindgen(js_name = encodeInto)]
    fn codec_encode_into(game: u32, kind: u8, value: &JsValue, ptr: u32, room: u32) -> i32;
    #[wasm_bindgen(js_name = copyEncoded)]
    fn codec_copy_encoded(ptr: u32);
    #[wasm_bindgen(js_name = decodeOr)]
    fn codec_decode(game: u32, kind: u8, ptr: u32, len: u32) -> JsValue;
    #[wasm_bindgen(js_name = takeFailure)]
    fn codec_take_failure() -> JsValue;
    #[wasm_bindgen(js_name = takeFailureMessage)]
    fn codec_take_failure_message() -> String;
    fn refusal(code: &str, message: &str) -> JsValue;
    #[wasm_bindgen(catch, js_name = encodeLog)]
    fn codec_encode_log(game: u32, log: &JsValue) -> Result<js_sys::Uint8Array, JsValue>;
}

/// A match record's log from JS (`[{index, tick, seat, action}]`), encoded in one call.
pub(crate) fn to_log(game: u32, log: &JsValue) -> Result<Vec<hearth_rules::DynLogEntry>, JsValue> {
    let bytes = codec_encode_log(game, log)?.to_vec();
    read_log(&bytes).ok_or_else(|| {
        error(
            "decode",
            "the log did not encode as the codec says; rebuild the module",
        )
    })
}

/// The entries of `codec.js`'s `encodeLog` buffer.
fn read_log(bytes: &[u8]) -> Option<Vec<hearth_rules::DynLogEntry>> {
    fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*at)?;
            *at += 1;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }
    let mut at = 0;
    let mut out = Vec::new();
    while at < bytes.len() {
        let index = varint(bytes, &mut at)?;
        let tick = varint(bytes, &mut at)?;
        let seat = *bytes.get(at)?;
        at += 1;
        let len = usize::try_from(varint(bytes, &mut at)?).ok()?;
        let action = bytes.get(at..at.checked_add(len)?)?.to_vec();
        at += len;
        out.push(hearth_rules::DynLogEntry {
            index,
            tick,
            seat: hearth_rules::Seat(seat),
            action: Payload::Postcard(action),
        });
    }
    Some(out)
}

/// Hands the games' shapes (JSON text from `build.rs`) to the codec.
pub(crate) fn install_shapes(shapes: &str) {
    codec_install(shapes, &wasm_bindgen::memory());
}

/// Where `bytes` start in the module's memory, as the codec addresses it (Wasm is 32-bit).
fn address(bytes: &[u8]) -> u32 {
    bytes.as_ptr() as usize as u32
}

/// [`address`] of bytes the codec will write (the address derives from a unique borrow).
fn address_mut(bytes: &mut [u8]) -> u32 {
    bytes.as_mut_ptr() as usize as u32
}

/// A length as the codec takes it (no slice in a 32-bit memory is longer).
fn length(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.len()).unwrap_or(u32::MAX)
}

/// Which of a game's values a JS value or a payload holds (the codec's kinds, in its order).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Config = 0,
    Action = 1,
    Actions = 2,
    Events = 3,
    View = 4,
}

/// A game value given by JS as postcard; the game is its index in the catalog.
pub(crate) fn to_payload(game: u32, kind: Kind, value: &JsValue) -> Result<Payload, JsValue> {
    Ok(Payload::Postcard(to_bytes(game, kind, value)?))
}

/// [`to_payload`]'s bytes.
pub(crate) fn to_bytes(game: u32, kind: Kind, value: &JsValue) -> Result<Vec<u8>, JsValue> {
    let mut bytes = Vec::new();
    if encode_into(game, kind, value, &mut bytes) {
        Ok(bytes)
    } else {
        Err(take_failure())
    }
}

/// `value` as postcard into `bytes` (replacing what it held, so a hot path reuses one
/// allocation: the codec writes straight into it when it has room, one call into JS, no
/// copy). Says only whether it encoded; when not, the codec keeps why for [`take_failure`]
/// or [`take_failure_message`] (no JS `Error` is made until asked).
pub(crate) fn encode_into(game: u32, kind: Kind, value: &JsValue, bytes: &mut Vec<u8>) -> bool {
    // Room for most actions and configs, so the codec rarely has to be asked twice.
    let room = bytes.capacity().max(64);
    bytes.clear();
    bytes.resize(room, 0);
    // The codec writes into `bytes` through the address: it is initialised and ours.
    let written = codec_encode_into(game, kind as u8, value, address_mut(bytes), length(bytes));
    let Ok(len) = usize::try_from(written) else {
        bytes.clear();
        return false;
    };
    if len > bytes.len() {
        bytes.resize(len, 0);
        codec_copy_encoded(address_mut(bytes));
    }
    bytes.truncate(len);
    true
}

/// Why the last [`encode_into`] failed, as the `decode` `Error` (its stack taken here).
pub(crate) fn take_failure() -> JsValue {
    codec_take_failure()
}

/// Why the last [`encode_into`] failed, as the `decode` error's message.
pub(crate) fn take_failure_message() -> String {
    codec_take_failure_message()
}

/// [`from_payload`] of postcard bytes.
pub(crate) fn from_bytes(game: u32, kind: Kind, bytes: &[u8]) -> Result<JsValue, JsValue> {
    // Most steps cause no events (two in three of the golden vectors'): an empty list needs
    // no trip through the codec and no check of what it returned.
    if matches!(kind, Kind::Events | Kind::Actions) && bytes == [0] {
        return Ok(js_sys::Array::new().into());
    }
    let value = codec_decode(game, kind as u8, address(bytes), length(bytes));
    if value.is_undefined() {
        Err(take_failure())
    } else {
        Ok(value)
    }
}

/// A game value (postcard) as a plain JS value in its JSON form; a value that does not
/// decode (a host sending bytes of other rules) is a `decode` error.
pub(crate) fn from_payload(game: u32, kind: Kind, value: &Payload) -> Result<JsValue, JsValue> {
    match value.as_postcard() {
        Some(bytes) => from_bytes(game, kind, bytes),
        None => Err(error(
            "decode",
            "the module was handed JSON where it works in postcard; report this as a bug",
        )),
    }
}

/// A JS `Error` whose `message` is the sentence and whose `code` is the stable code.
pub fn error(code: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    // Setting a property on a fresh Error cannot fail.
    let _ = js_sys::Reflect::set(&e, &"code".into(), &code.into());
    e.into()
}

/// A rules refusal as a JS error (made by `codec.js`, without a stack).
pub(crate) fn rule_error(e: RuleError) -> JsValue {
    refusal(e.code(), &e.to_string())
}

/// A host refusal as a JS error.
pub(crate) fn wire_error(e: &WireError) -> JsValue {
    error(&e.code, &e.message)
}

/// A plain JS object with these properties.
pub(crate) fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// A property of a JS value (`undefined` when absent or not an object).
pub(crate) fn get(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}
