//! Rules fingerprints: a game's name, version and a hash of the shape of its types.

#[cfg(feature = "schema")]
pub(crate) use traced::{fingerprint, shapes};

/// Identifies the exact rules a build carries: `name@version#schema`, where `schema` is a
/// hash of the serde shape of the game's state, config, action, view and event types (and
/// the session format). Two builds with equal fingerprints encode and evolve the game the
/// same way; handshakes compare them so mismatched clients are refused instead of desyncing.
///
/// JSON: the string `"connect-four@1#0123456789abcdef"`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub struct Fingerprint {
    /// Game name.
    pub game: String,
    /// Rules version.
    pub version: u32,
    /// Hash of the type shapes.
    pub schema: u64,
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}#{:016x}", self.game, self.version, self.schema)
    }
}

impl From<Fingerprint> for String {
    fn from(f: Fingerprint) -> String {
        f.to_string()
    }
}

/// Text that is not a rules fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rules fingerprint (expected name@version#16-hex-digits)")]
pub struct BadFingerprint(pub String);

impl TryFrom<String> for Fingerprint {
    type Error = BadFingerprint;
    fn try_from(s: String) -> Result<Self, BadFingerprint> {
        s.parse()
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = BadFingerprint;
    fn from_str(s: &str) -> Result<Self, BadFingerprint> {
        let bad = || BadFingerprint(s.to_string());
        let (game, rest) = s.rsplit_once('@').ok_or_else(bad)?;
        let (version, schema) = rest.split_once('#').ok_or_else(bad)?;
        if game.is_empty() || schema.len() != 16 {
            return Err(bad());
        }
        Ok(Fingerprint {
            game: game.to_string(),
            version: version.parse().map_err(|_| bad())?,
            schema: u64::from_str_radix(schema, 16).map_err(|_| bad())?,
        })
    }
}

/// Computing fingerprints by tracing the games' serde types (feature `schema`, on by
/// default; builds without it take fingerprints computed natively).
#[cfg(feature = "schema")]
mod traced {
    use serde::de::DeserializeOwned;
    use serde_reflection::{
        ContainerFormat, Format, Named, Registry, Tracer, TracerConfig, VariantFormat,
    };

    use super::Fingerprint;
    use crate::{Game, RuleError, session::SESSION_FORMAT};

    /// Traces `G`'s types, refuses floats anywhere in the state, and hashes the shapes.
    pub(crate) fn fingerprint<G: Game>() -> Result<Fingerprint, RuleError> {
        let invalid = |reason: String| RuleError::InvalidGame {
            name: G::INFO.name.to_string(),
            reason,
        };
        let (roots, registry) = trace_all::<G>().map_err(|e| {
        invalid(format!(
            "its types cannot be traced ({e}); avoid custom deserializers and untagged or flattened enums"
        ))
    })?;
        let mut seen = Vec::new();
        if let Some(path) = find_float(&roots[0], &registry, &mut seen) {
            return Err(invalid(format!(
                "its state holds a float ({path}); use fixed-point integers so every target computes the same result"
            )));
        }
        let shape = serde_json::to_vec(&(SESSION_FORMAT, &roots, &registry))
            .map_err(|e| invalid(format!("its schema cannot be encoded ({e})")))?;
        Ok(Fingerprint {
            game: G::INFO.name.to_string(),
            version: G::INFO.version,
            schema: xxhash_rust::xxh3::xxh3_64(&shape),
        })
    }

    /// The shapes of `G`'s config, action, view and event types, for code that converts
    /// postcard to the JSON form without the game's Rust types (the browser module's
    /// JavaScript); the format is documented on `Catalog::shapes`.
    pub(crate) fn shapes<G: Game>() -> Result<serde_json::Value, RuleError> {
        use serde_json::{Value, json};
        let invalid = |reason: String| RuleError::InvalidGame {
            name: G::INFO.name.to_string(),
            reason,
        };
        let (roots, registry) =
            trace_all::<G>().map_err(|e| invalid(format!("its types cannot be traced ({e})")))?;
        fn format(f: &Format) -> Value {
            let name = match f {
                Format::Variable(_) => "unit",
                Format::TypeName(n) => return json!(["type", n]),
                Format::Unit => "unit",
                Format::Bool => "bool",
                Format::I8 => "i8",
                Format::I16 => "i16",
                Format::I32 => "i32",
                Format::I64 => "i64",
                Format::I128 => "i128",
                Format::U8 => "u8",
                Format::U16 => "u16",
                Format::U32 => "u32",
                Format::U64 => "u64",
                Format::U128 => "u128",
                Format::F32 => "f32",
                Format::F64 => "f64",
                Format::Char => "char",
                Format::Str => "str",
                Format::Bytes => "bytes",
                Format::Option(t) => return json!(["option", format(t)]),
                Format::Seq(t) => return json!(["seq", format(t)]),
                Format::Map { key, value } => return json!(["map", format(key), format(value)]),
                Format::Tuple(ts) => return json!(["tuple", formats(ts)]),
                Format::TupleArray { content, size } => {
                    return json!(["array", format(content), size]);
                }
            };
            json!(name)
        }
        fn formats(ts: &[Format]) -> Vec<Value> {
            ts.iter().map(format).collect()
        }
        fn fields(fs: &[Named<Format>]) -> Value {
            json!([
                "struct",
                fs.iter()
                    .map(|f| json!([f.name, format(&f.value)]))
                    .collect::<Vec<_>>()
            ])
        }
        let mut types = serde_json::Map::new();
        for (name, container) in &registry {
            let shape = match container {
                ContainerFormat::UnitStruct => json!(["unit"]),
                ContainerFormat::NewTypeStruct(t) => json!(["newtype", format(t)]),
                ContainerFormat::TupleStruct(ts) => json!(["tuple", formats(ts)]),
                ContainerFormat::Struct(fs) => fields(fs),
                ContainerFormat::Enum(variants) => {
                    let mut list = Vec::with_capacity(variants.len());
                    for (i, (index, v)) in variants.iter().enumerate() {
                        if usize::try_from(*index).ok() != Some(i) {
                            return Err(invalid(format!(
                                "the variants of `{name}` could not all be traced"
                            )));
                        }
                        let content = match &v.value {
                            VariantFormat::Variable(_) | VariantFormat::Unit => json!(["unit"]),
                            VariantFormat::NewType(t) => json!(["newtype", format(t)]),
                            VariantFormat::Tuple(ts) => json!(["tuple", formats(ts)]),
                            VariantFormat::Struct(fs) => fields(fs),
                        };
                        list.push(json!([v.name, content]));
                    }
                    json!(["enum", list])
                }
            };
            types.insert(name.clone(), shape);
        }
        let default_config = serde_json::to_value(G::Config::default())
            .map_err(|e| invalid(format!("its default config is not JSON ({e})")))?;
        // What `{}` reads as, for the config and action types when they are structs whose
        // missing fields take defaults (`#[serde(default)]` on the type), by type name.
        let mut fill = serde_json::Map::new();
        fn probe<T: serde::Serialize + DeserializeOwned>(
            root: &Format,
            fill: &mut serde_json::Map<String, Value>,
        ) {
            if let Format::TypeName(name) = root
                && let Ok(t) = serde_json::from_value::<T>(json!({}))
                && let Ok(value) = serde_json::to_value(t)
            {
                fill.insert(name.clone(), value);
            }
        }
        probe::<G::Config>(&roots[1], &mut fill);
        probe::<G::Action>(&roots[2], &mut fill);
        Ok(json!({
            "config": format(&roots[1]),
            "action": format(&roots[2]),
            "view": format(&roots[3]),
            "event": format(&roots[4]),
            "types": types,
            "default_config": default_config,
            "fill": fill,
        }))
    }

    /// Traces the state, config, action, view and event types of `G` to a complete registry.
    ///
    /// serde-reflection explores a *nested* enum one variant per pass and only while it is not
    /// flagged incomplete, so: trace, learn which enums are incomplete from the registry's
    /// error, then trace again clearing those flags between passes until none remains.
    fn trace_all<G: Game>() -> serde_reflection::Result<(Vec<Format>, Registry)> {
        let mut nested: Vec<String> = Vec::new();
        loop {
            let mut tracer = Tracer::new(TracerConfig::default());
            let mut roots = Vec::new();
            for pass in 0..256 {
                roots = vec![
                    trace::<G>(&mut tracer)?,
                    trace::<G::Config>(&mut tracer)?,
                    trace::<G::Action>(&mut tracer)?,
                    trace::<G::View>(&mut tracer)?,
                    trace::<G::Event>(&mut tracer)?,
                ];
                let mut incomplete = false;
                for name in &nested {
                    incomplete |= tracer.check_incomplete_enum(name).is_some();
                }
                if !incomplete || pass == 255 {
                    break;
                }
            }
            match tracer.registry() {
                Ok(registry) => return Ok((roots, registry)),
                Err(serde_reflection::Error::MissingVariants(names))
                    if names.iter().any(|n| !nested.contains(n)) =>
                {
                    nested.extend(names);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn trace<T: DeserializeOwned>(tracer: &mut Tracer) -> serde_reflection::Result<Format> {
        tracer.trace_simple_type::<T>().map(|(format, _)| format)
    }

    /// Returns a description of where a float occurs in `format`, if anywhere.
    fn find_float(format: &Format, registry: &Registry, seen: &mut Vec<String>) -> Option<String> {
        match format {
            Format::F32 => Some("f32".into()),
            Format::F64 => Some("f64".into()),
            Format::TypeName(name) => {
                if seen.contains(name) {
                    return None;
                }
                seen.push(name.clone());
                let container = registry.get(name)?;
                let inner = match container {
                    ContainerFormat::UnitStruct => None,
                    ContainerFormat::NewTypeStruct(f) => find_float(f, registry, seen),
                    ContainerFormat::TupleStruct(fs) => {
                        fs.iter().find_map(|f| find_float(f, registry, seen))
                    }
                    ContainerFormat::Struct(fields) => find_in_named(fields, registry, seen),
                    ContainerFormat::Enum(variants) => {
                        variants.values().find_map(|v| match &v.value {
                            VariantFormat::NewType(f) => find_float(f, registry, seen),
                            VariantFormat::Tuple(fs) => {
                                fs.iter().find_map(|f| find_float(f, registry, seen))
                            }
                            VariantFormat::Struct(fields) => find_in_named(fields, registry, seen),
                            _ => None,
                        })
                    }
                };
                inner.map(|path| format!("{name}.{path}"))
            }
            Format::Option(f) | Format::Seq(f) => find_float(f, registry, seen),
            Format::Map { key, value } => {
                find_float(key, registry, seen).or_else(|| find_float(value, registry, seen))
            }
            Format::Tuple(fs) => fs.iter().find_map(|f| find_float(f, registry, seen)),
            Format::TupleArray { content, .. } => find_float(content, registry, seen),
            _ => None,
        }
    }

    fn find_in_named(
        fields: &[Named<Format>],
        registry: &Registry,
        seen: &mut Vec<String>,
    ) -> Option<String> {
        fields
            .iter()
            .find_map(|f| find_float(&f.value, registry, seen).map(|p| format!("{}: {p}", f.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_string_round_trips() {
        let f = Fingerprint {
            game: "connect-four".into(),
            version: 3,
            schema: 0xdead_beef,
        };
        let s = f.to_string();
        assert_eq!(s, "connect-four@3#00000000deadbeef");
        assert_eq!(s.parse::<Fingerprint>(), Ok(f));
        assert!("connect-four".parse::<Fingerprint>().is_err());
        assert!("x@1#zz".parse::<Fingerprint>().is_err());
    }
}
