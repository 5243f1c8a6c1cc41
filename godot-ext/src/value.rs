//! The one conversion between Godot values and the rules' serde values, in plain Rust so it is
//! tested without Godot. [`GdValue`] mirrors the data a `Variant` can carry; the Godot layer
//! (`crate::godot_api`) only maps it to and from real `Variant`s one to one.
//!
//! Rules values are JSON-shaped: objects, arrays, strings, integers, booleans, null. Godot
//! differs in two ways this layer absorbs:
//! - GDScript's `JSON.parse_string` and float arithmetic turn integers into floats (`3.0`): a
//!   float with no fraction (and exactly representable) becomes a JSON integer again, so
//!   `{"column": 3.0}` is the move `{"column": 3}`.
//! - Godot integers are `i64`: a JSON integer above `i64::MAX` becomes a decimal string.

use serde_json::{Map, Number, Value};

/// How deep values may nest (Godot arrays can contain themselves; this also stops that).
pub const MAX_DEPTH: usize = 64;

/// A Godot value, as plain Rust.
#[derive(Debug, Clone, PartialEq)]
pub enum GdValue {
    /// `null`.
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int` (64-bit).
    Int(i64),
    /// `float` (64-bit).
    Float(f64),
    /// `String` or `StringName`.
    String(String),
    /// `PackedByteArray`.
    Bytes(Vec<u8>),
    /// `Array`.
    Array(Vec<GdValue>),
    /// `Dictionary`, in insertion order.
    Dict(Vec<(GdValue, GdValue)>),
}

/// Why a Godot value has no rules value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvertError {
    /// NaN or infinity.
    #[error("{at}: {value} is not a finite number; send a finite int or float")]
    NotFinite {
        /// Where in the value.
        at: String,
        /// The number.
        value: f64,
    },
    /// A dictionary key that is not a string or an integer.
    #[error("{at}: dictionary keys must be Strings (or ints); found {found}")]
    Key {
        /// Where in the value.
        at: String,
        /// What the key was.
        found: String,
    },
    /// Nested deeper than [`MAX_DEPTH`] (or containing itself).
    #[error(
        "{at}: nested deeper than {MAX_DEPTH} levels (does an Array or Dictionary contain itself?)"
    )]
    TooDeep {
        /// Where in the value.
        at: String,
    },
    /// A Godot type with no JSON counterpart (an Object, a Vector2, a Callable, ...).
    #[error(
        "{at}: a {found} cannot be sent; use Dictionaries, Arrays, Strings, ints, floats and bools"
    )]
    Unsupported {
        /// Where in the value.
        at: String,
        /// The Godot type's name.
        found: String,
    },
}

/// The Godot value for a rules value.
pub fn from_json(v: &Value) -> GdValue {
    match v {
        Value::Null => GdValue::Nil,
        Value::Bool(b) => GdValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                GdValue::Int(i)
            } else if n.is_u64() {
                GdValue::String(n.to_string())
            } else {
                GdValue::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => GdValue::String(s.clone()),
        Value::Array(a) => GdValue::Array(a.iter().map(from_json).collect()),
        Value::Object(o) => GdValue::Dict(
            o.iter()
                .map(|(k, v)| (GdValue::String(k.clone()), from_json(v)))
                .collect(),
        ),
    }
}

/// The rules value for a Godot value.
pub fn to_json(v: &GdValue) -> Result<Value, ConvertError> {
    convert(v, "value", 0)
}

/// Largest integer a float holds exactly (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

fn convert(v: &GdValue, at: &str, depth: usize) -> Result<Value, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::TooDeep { at: at.into() });
    }
    Ok(match v {
        GdValue::Nil => Value::Null,
        GdValue::Bool(b) => Value::Bool(*b),
        GdValue::Int(i) => Value::from(*i),
        GdValue::Float(f) => {
            if !f.is_finite() {
                return Err(ConvertError::NotFinite {
                    at: at.into(),
                    value: *f,
                });
            }
            if f.fract() == 0.0 && f.abs() <= EXACT {
                // GDScript made an integer a float (JSON.parse_string, `/`): take it back.
                Value::from(*f as i64)
            } else {
                Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
        }
        GdValue::String(s) => Value::String(s.clone()),
        GdValue::Bytes(b) => Value::Array(b.iter().map(|x| Value::from(*x)).collect()),
        GdValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| convert(x, &format!("{at}[{i}]"), depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        GdValue::Dict(pairs) => {
            let mut map = Map::new();
            for (k, x) in pairs {
                let key = match k {
                    GdValue::String(s) => s.clone(),
                    GdValue::Int(i) => i.to_string(),
                    other => {
                        return Err(ConvertError::Key {
                            at: at.into(),
                            found: type_name(other).into(),
                        });
                    }
                };
                let value = convert(x, &format!("{at}.{key}"), depth + 1)?;
                map.insert(key, value);
            }
            Value::Object(map)
        }
    })
}

/// The Godot name of a value's type (for messages).
pub fn type_name(v: &GdValue) -> &'static str {
    match v {
        GdValue::Nil => "null",
        GdValue::Bool(_) => "bool",
        GdValue::Int(_) => "int",
        GdValue::Float(_) => "float",
        GdValue::String(_) => "String",
        GdValue::Bytes(_) => "PackedByteArray",
        GdValue::Array(_) => "Array",
        GdValue::Dict(_) => "Dictionary",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What GDScript's `JSON.parse_string` does to a value: every number becomes a float.
    fn as_gdscript_json(v: &GdValue) -> GdValue {
        match v {
            GdValue::Int(i) => GdValue::Float(*i as f64),
            GdValue::Array(a) => GdValue::Array(a.iter().map(as_gdscript_json).collect()),
            GdValue::Dict(d) => GdValue::Dict(
                d.iter()
                    .map(|(k, v)| (k.clone(), as_gdscript_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    #[test]
    fn json_shapes_round_trip() {
        let v = json!({"a": [1, -2, 2.5, true, null, "x"], "b": {"c": {}}, "big": 9_007_199_254_740_993i64});
        assert_eq!(to_json(&from_json(&v)).unwrap(), v);
    }

    #[test]
    fn integral_floats_become_integers_again() {
        let move_ = GdValue::Dict(vec![(
            GdValue::String("column".into()),
            GdValue::Float(3.0),
        )]);
        assert_eq!(to_json(&move_).unwrap(), json!({"column": 3}));
        assert_eq!(to_json(&GdValue::Float(2.5)).unwrap(), json!(2.5));
        assert_eq!(to_json(&GdValue::Float(-0.0)).unwrap(), json!(0));
    }

    #[test]
    fn numbers_godot_cannot_hold_exactly_stay_exact() {
        let v = json!(u64::MAX);
        assert_eq!(from_json(&v), GdValue::String(u64::MAX.to_string()));
        // Above 2^53 a float is not an exact integer; it stays a float.
        assert_eq!(to_json(&GdValue::Float(1e300)).unwrap(), json!(1e300));
    }

    #[test]
    fn int_keys_become_string_keys() {
        let v = GdValue::Dict(vec![(GdValue::Int(0), GdValue::Bool(true))]);
        assert_eq!(to_json(&v).unwrap(), json!({"0": true}));
    }

    #[test]
    fn bad_values_are_refused_with_where_and_what() {
        let bad_key = GdValue::Dict(vec![(GdValue::Float(1.5), GdValue::Nil)]);
        let e = to_json(&bad_key).unwrap_err();
        assert!(e.to_string().contains("keys must be Strings"), "{e}");
        let nan = GdValue::Array(vec![GdValue::Float(f64::NAN)]);
        assert!(
            to_json(&nan)
                .unwrap_err()
                .to_string()
                .starts_with("value[0]")
        );
        let mut deep = GdValue::Nil;
        for _ in 0..=MAX_DEPTH + 1 {
            deep = GdValue::Array(vec![deep]);
        }
        assert!(matches!(to_json(&deep), Err(ConvertError::TooDeep { .. })));
    }

    #[test]
    fn gdscript_json_numbers_still_decode_as_the_same_value() {
        let v = json!({"vote": 2, "nested": [{"turn": -1, "thrust": 1, "fire": true}]});
        let through_gdscript = as_gdscript_json(&from_json(&v));
        assert_eq!(to_json(&through_gdscript).unwrap(), v);
    }

    #[test]
    fn every_example_games_actions_and_views_round_trip() {
        use hearth_rules::{Encoding, Payload, Seat, Viewer};
        let catalog = hearth_games::catalog();
        for meta in catalog.games() {
            let seats = meta.min_seats.max(3).min(meta.max_seats);
            let mut s = catalog
                .create(&meta.name, &Payload::Json(Value::Null), seats, 11)
                .unwrap();
            let mut checked = 0;
            for step in 0..60 {
                for viewer in (0..seats)
                    .map(|i| Viewer::Seat(Seat(i)))
                    .chain([Viewer::Spectator])
                {
                    let Payload::Json(view) = s.view(viewer, Encoding::Json).unwrap() else {
                        unreachable!("asked for JSON")
                    };
                    assert_eq!(
                        to_json(&from_json(&view)).unwrap(),
                        view,
                        "{} view",
                        meta.name
                    );
                    assert_eq!(
                        to_json(&as_gdscript_json(&from_json(&view))).unwrap(),
                        view,
                        "{} view through GDScript JSON",
                        meta.name
                    );
                }
                let seat = Seat(step % seats);
                let Some(Payload::Json(action)) =
                    s.bot_action(seat, 1, Encoding::Json).ok().flatten()
                else {
                    if meta.tick_rate.is_some() && !s.is_over() {
                        s.tick(Encoding::Json).unwrap();
                    }
                    continue;
                };
                // The action as a GDScript program would send it, floats and all.
                let sent = to_json(&as_gdscript_json(&from_json(&action))).unwrap();
                assert_eq!(sent, action, "{} action", meta.name);
                s.apply(seat, &Payload::Json(sent)).unwrap();
                checked += 1;
                if s.is_over() {
                    break;
                }
            }
            assert!(checked > 0, "{} played some actions", meta.name);
        }
    }
}
