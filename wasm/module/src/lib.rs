//! Hearth's own browser module: the whole `hearth-wasm` API over the example games
//! (`export!`), plus `tanksMap`, which the page's tanks board draws. A developer's module is
//! the `export!` line with their own games.
#![warn(missing_docs)]

use wasm_bindgen::prelude::*;

hearth_wasm::export!(hearth_games::games);

/// The rows of a tanks map (`"arena"`, `"open"`: a view's `map`), top to bottom: `#` wall,
/// `s` spawn point, `.` floor; one character per tile of `TILE` (1024) fixed-point units.
/// Views name their map instead of carrying it, so a client draws it from the rules.
#[wasm_bindgen(js_name = tanksMap, unchecked_return_type = "string[]")]
pub fn tanks_map(name: &str) -> Result<Vec<String>, JsValue> {
    use hearth_games::tanks::MapId;
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    let map =
        MapId::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(name))
            .map_err(|_| {
                hearth_wasm::error(
                    "decode",
                    &format!("there is no tanks map `{name}`; the maps are arena and open"),
                )
            })?;
    Ok(map.rows().iter().map(ToString::to_string).collect())
}
