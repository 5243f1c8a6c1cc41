//! Moving values across the JS boundary: game values as plain JS objects (through JSON, so
//! they look exactly like the protocol's JSON), failures as JS `Error`s with a `code`.

use hearth_rules::RuleError;
use hearth_rules::protocol::WireError;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A JS `Error` whose `message` is the sentence and whose `code` is the stable code.
pub fn error(code: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    // Setting a property on a fresh Error cannot fail.
    let _ = js_sys::Reflect::set(&e, &"code".into(), &code.into());
    e.into()
}

/// A rules refusal as a JS error.
pub(crate) fn rule_error(e: RuleError) -> JsValue {
    error(e.code(), &e.to_string())
}

/// A host refusal as a JS error.
pub(crate) fn wire_error(e: &WireError) -> JsValue {
    error(&e.code, &e.message)
}

/// A JS value as JSON (`undefined` and functions become `null`).
pub(crate) fn to_json(value: &JsValue) -> Result<serde_json::Value, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(serde_json::Value::Null);
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|_| error("decode", "this value cannot be written as JSON (a cycle or a BigInt?); pass plain objects, arrays, numbers and strings"))?;
    let text: String = text.into();
    serde_json::from_str(&text).map_err(|e| error("decode", &format!("not JSON: {e}")))
}

/// Any serialisable value as a plain JS value.
pub(crate) fn from_serde<T: Serialize + ?Sized>(value: &T) -> JsValue {
    match serde_json::to_string(value) {
        Ok(text) => js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    }
}
