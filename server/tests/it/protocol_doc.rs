//! Every JSON example in `docs/protocol.md` is a real message: it decodes as a client or a
//! server message, so the document cannot drift from the types.

use hearth_rules::protocol::{ClientMsg, ServerMsg, from_json};
use serde_json::Value;

#[test]
fn every_json_example_in_the_protocol_doc_decodes() {
    let doc = include_str!("../../../docs/protocol.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```json") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            _ => {}
        }
    }
    assert!(
        blocks.len() >= 30,
        "the doc shows every message ({} examples)",
        blocks.len()
    );
    let (mut client, mut server) = (0, 0);
    for block in &blocks {
        if from_json::<ClientMsg<Value>>(block).is_ok() {
            client += 1;
        } else if from_json::<ServerMsg<Value>>(block).is_ok() {
            server += 1;
        } else {
            let c = from_json::<ClientMsg<Value>>(block).unwrap_err();
            let s = from_json::<ServerMsg<Value>>(block).unwrap_err();
            panic!("not a message:\n{block}\nas a request: {c}\nas a server message: {s}");
        }
    }
    assert!(
        client >= 15 && server >= 15,
        "{client} requests, {server} server messages"
    );
}

/// The variant names of a serde enum in declaration order, which is also their postcard
/// index: derived `Deserialize` hands exactly that list to `deserialize_enum`.
fn variants<T: serde::de::DeserializeOwned>() -> Vec<&'static str> {
    use serde::de::{Error, Visitor, value};
    struct Capture(Option<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for &mut Capture {
        type Error = value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, value::Error> {
            Err(value::Error::custom("not an enum"))
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, value::Error> {
            self.0 = Some(variants);
            Err(value::Error::custom("captured"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
            identifier ignored_any
        }
    }
    let mut capture = Capture(None);
    let _ = T::deserialize(&mut capture);
    capture.0.expect("an enum").to_vec()
}

/// The `###` headings of the section whose `##` heading starts with `prefix`.
fn headings(doc: &str, prefix: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            inside = h.starts_with(prefix);
        } else if inside && let Some(h) = line.strip_prefix("### ") {
            out.push(h.trim().to_string());
        }
    }
    out
}

#[test]
fn the_variant_tables_and_message_sections_follow_the_types_in_order() {
    use hearth_rules::SyncMode;
    use hearth_rules::protocol::{JoinAs, PhaseName, Reply, Request, RoomPhase};
    let doc = include_str!("../../../docs/protocol.md");
    // Section 2's table: `| `Enum` | `a`, `b`, … |`, one row per enum on the wire.
    let table: std::collections::BTreeMap<&str, Vec<&str>> = doc
        .lines()
        .filter_map(|l| {
            let mut cells = l.strip_prefix("| `")?.splitn(2, "` | ");
            let name = cells.next()?;
            let list = cells.next()?.trim_end_matches(" |");
            let names: Vec<&str> = list.split(", ").map(|v| v.trim_matches('`')).collect();
            names
                .iter()
                .all(|v| v.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .then_some((name, names))
        })
        .collect();
    let expected: [(&str, Vec<&str>); 7] = [
        ("Request", variants::<Request<Value>>()),
        ("ServerMsg", variants::<ServerMsg<Value>>()),
        ("Reply", variants::<Reply<Value>>()),
        ("JoinAs", variants::<JoinAs>()),
        ("RoomPhase", variants::<RoomPhase>()),
        ("PhaseName", variants::<PhaseName>()),
        ("SyncMode", variants::<SyncMode>()),
    ];
    for (name, types) in &expected {
        assert_eq!(
            table.get(name),
            Some(types),
            "section 2's row for `{name}` must list its variants in declaration order (their postcard indices)"
        );
    }
    // Sections 4, 5 and 6 describe each message under its own heading, in the same order.
    let requests = variants::<Request<Value>>();
    assert_eq!(headings(doc, "4. Requests"), requests, "section 4");
    let mut replies: Vec<String> = headings(doc, "5. Replies");
    assert_eq!(
        replies.pop().as_deref(),
        Some("Errors"),
        "section 5 ends with errors"
    );
    assert_eq!(replies, variants::<Reply<Value>>(), "section 5");
    let pushes: Vec<&str> = variants::<ServerMsg<Value>>()
        .into_iter()
        .filter(|v| !matches!(*v, "reply" | "error"))
        .collect();
    assert_eq!(headings(doc, "6. Pushes"), pushes, "section 6");
}
