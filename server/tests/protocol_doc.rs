//! Every JSON example in `docs/protocol.md` is a real message: it decodes as a client or a
//! server message, so the document cannot drift from the types.

use hearth_rules::protocol::{ClientMsg, ServerMsg, from_json};
use serde_json::Value;

#[test]
fn every_json_example_in_the_protocol_doc_decodes() {
    let doc = include_str!("../../docs/protocol.md");
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
