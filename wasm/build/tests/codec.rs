//! The browser module's JavaScript codec (`wasm/src/codec.js`) against serde_json, on the
//! games' real values: random games of every example game are played natively, and every
//! config, action, legal-action list, event list and view met on the way is written as its
//! postcard bytes beside its JSON form (serde_json's), together with mutated JSON (a field
//! dropped, added or given a value of the wrong type) and whether serde_json took it and as
//! what bytes. `node wasm/tests/codec.mjs` then checks that the codec, from the shapes
//! `Catalog::shapes` traced, turns every postcard value into exactly that JSON and back, and
//! takes or refuses every mutated value exactly as serde_json does.

use std::process::Command;

use hearth_rules::{Catalog, Encoding, Payload, Seat, ValueKind, Viewer};
use serde_json::{Value, json};

const KINDS: [ValueKind; 5] = [
    ValueKind::Config,
    ValueKind::Action,
    ValueKind::Actions,
    ValueKind::Events,
    ValueKind::View,
];

struct Samples<'a> {
    catalog: &'a Catalog,
    game: usize,
    name: String,
    good: Vec<Value>,
    mutated: Vec<Value>,
}

impl Samples<'_> {
    fn kind_index(kind: ValueKind) -> usize {
        KINDS.iter().position(|k| *k == kind).expect("kind")
    }

    /// A postcard value: its JSON form, and a few mutations of that JSON.
    fn add(&mut self, kind: ValueKind, postcard: &Payload) {
        let json = self
            .catalog
            .convert(&self.name, kind, postcard, Encoding::Json)
            .expect("to JSON")
            .into_json();
        let bytes = postcard.to_bytes();
        self.good.push(json!({"game": self.game, "kind": Self::kind_index(kind), "bytes": bytes, "json": json}));
        if self.mutated.len() < 4000 && self.good.len().is_multiple_of(7) {
            for (m, extra) in mutations(&json) {
                self.judge(kind, m, extra);
            }
        }
    }

    /// What serde_json makes of `value`: the postcard bytes, or `null` when it refuses it.
    /// `extra`: the mutation added a field (which the codec refuses even where serde_json
    /// would ignore it).
    fn judge(&mut self, kind: ValueKind, value: Value, extra: bool) {
        let native = self
            .catalog
            .convert(
                &self.name,
                kind,
                &Payload::Json(value.clone()),
                Encoding::Postcard,
            )
            .ok()
            .map(|p| p.to_bytes());
        self.mutated.push(json!({
            "game": self.game, "kind": Self::kind_index(kind), "json": value, "bytes": native,
            "extra": extra,
        }));
    }
}

/// Variants of `v` with one place changed: each value replaced by one of another type, each
/// object field dropped, an unknown field added (marked `true`).
fn mutations(v: &Value) -> Vec<(Value, bool)> {
    let mut out = Vec::new();
    let replacements = [
        json!(null),
        json!("x"),
        json!(1.5),
        json!(-1),
        json!(300),
        json!(70000),
        json!(true),
        json!([]),
        json!({}),
        json!({"nope": 1}),
    ];
    fn places(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        out.push(path.clone());
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().take(3) {
                    path.push(json!(i));
                    places(item, path, out);
                    path.pop();
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    path.push(json!(k));
                    places(item, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
        path.iter().fold(v, |v, p| match p {
            Value::String(k) => &mut v[k.as_str()],
            Value::Number(i) => &mut v[i.as_u64().unwrap_or(0) as usize],
            _ => v,
        })
    }
    let mut all = Vec::new();
    places(v, &mut Vec::new(), &mut all);
    for path in all.iter().take(12) {
        for r in &replacements {
            let mut m = v.clone();
            *at(&mut m, path) = r.clone();
            out.push((m, false));
        }
        let mut m = v.clone();
        let keys = match at(&mut m, path) {
            Value::Object(map) => {
                map.insert("unknown_field".into(), json!(1));
                Some(
                    map.keys()
                        .filter(|k| *k != "unknown_field")
                        .cloned()
                        .collect::<Vec<_>>(),
                )
            }
            _ => None,
        };
        if let Some(keys) = keys {
            out.push((m, true));
            for k in keys {
                let mut d = v.clone();
                if let Value::Object(map) = at(&mut d, path) {
                    map.remove(&k);
                }
                out.push((d, false));
            }
        }
    }
    out
}

#[test]
fn the_javascript_codec_agrees_with_serde_json_on_every_games_values() {
    let catalog = Catalog::of(hearth_games::games).expect("catalog");
    let shapes = catalog.shapes().expect("shapes");
    let mut good = Vec::new();
    let mut mutated = Vec::new();
    for (game, meta) in catalog.games().enumerate() {
        let mut samples = Samples {
            catalog: &catalog,
            game,
            name: meta.name.clone(),
            good: Vec::new(),
            mutated: Vec::new(),
        };
        // The default config, and configs the golden vectors use.
        samples.add(ValueKind::Config, &Payload::Postcard(Vec::new()));
        for config in [
            json!({"map": "open"}),
            json!({"first_seat": 1}),
            json!({"rounds": 2}),
        ] {
            if let Ok(p) = catalog.convert(
                &meta.name,
                ValueKind::Config,
                &Payload::Json(config.clone()),
                Encoding::Postcard,
            ) {
                samples.add(ValueKind::Config, &p);
            }
            samples.judge(ValueKind::Config, config, false);
        }
        // Strings at the edges of the codec's short-ASCII paths (32 bytes read and 127
        // written a byte at a time), and past them, in and out of ASCII.
        let long = |c: &str, n: usize| c.repeat(n);
        let mut strings = 0;
        for text in [
            String::new(),
            "a".into(),
            "\u{7f}".into(),
            long("b", 32),
            long("c", 33),
            long("d", 127),
            long("e", 128),
            "é".into(),
            "ab€".into(),
            format!("{}é", long("f", 31)),
            format!("{}é", long("g", 126)),
            "🦎 chameleon".into(),
            long("ü", 100),
        ] {
            for variant in ["clue", "guess"] {
                let action = json!({ variant: text });
                if let Ok(p) = catalog.convert(
                    &meta.name,
                    ValueKind::Action,
                    &Payload::Json(action),
                    Encoding::Postcard,
                ) {
                    samples.add(ValueKind::Action, &p);
                    strings += 1;
                }
            }
        }
        if meta.name == "chameleon" {
            assert_eq!(strings, 26, "chameleon's clues and guesses are strings");
        }
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n.max(1) as u64) as usize
        };
        for round in 0..6u64 {
            let seats = meta.min_seats + (round as u8 % (meta.max_seats - meta.min_seats + 1));
            let mut s = catalog
                .create(
                    &meta.name,
                    &Payload::Postcard(Vec::new()),
                    seats,
                    1000 + round,
                )
                .expect("create");
            for _ in 0..200 {
                if s.is_over() {
                    break;
                }
                for seat in 0..seats {
                    let legal = s
                        .legal_actions(Seat(seat), Encoding::Postcard)
                        .expect("legal");
                    samples.add(ValueKind::Actions, &legal);
                    let actions = catalog
                        .convert(&meta.name, ValueKind::Actions, &legal, Encoding::Json)
                        .expect("JSON")
                        .into_json();
                    let choice = match actions.as_array() {
                        Some(list) if !list.is_empty() => Some(list[next(list.len())].clone()),
                        _ => s
                            .bot_action(Seat(seat), 1, Encoding::Json)
                            .expect("bot")
                            .map(Payload::into_json),
                    };
                    if let Some(action) = choice {
                        let action = catalog
                            .convert(
                                &meta.name,
                                ValueKind::Action,
                                &Payload::Json(action),
                                Encoding::Postcard,
                            )
                            .expect("postcard");
                        samples.add(ValueKind::Action, &action);
                        if let Ok(events) = s.apply(Seat(seat), &action) {
                            samples.add(ValueKind::Events, &events);
                        }
                    }
                    let view = s
                        .view(Viewer::Seat(Seat(seat)), Encoding::Postcard)
                        .expect("view");
                    samples.add(ValueKind::View, &view);
                }
                if meta.tick_rate.is_some() && !s.is_over() {
                    let events = s.tick(Encoding::Postcard).expect("tick");
                    samples.add(ValueKind::Events, &events);
                }
                let view = s.view(Viewer::Spectator, Encoding::Postcard).expect("view");
                samples.add(ValueKind::View, &view);
            }
        }
        good.append(&mut samples.good);
        mutated.append(&mut samples.mutated);
    }
    assert!(good.len() > 10_000, "{} samples", good.len());
    let dir = std::env::temp_dir().join(format!("hearth-codec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("samples.json");
    let text = json!({"shapes": shapes, "good": good, "mutated": mutated}).to_string();
    std::fs::write(&file, text).expect("write samples");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/codec.mjs");
    // Twice: as pages usually run it (the codec generates code for structs), and as under a
    // Content-Security-Policy without 'unsafe-eval' (node's flag refuses `new Function` the
    // same way), where the codec falls back to its general code.
    for flags in [&[][..], &["--disallow-code-generation-from-strings"][..]] {
        let out = Command::new("node")
            .args(flags)
            .arg(script)
            .arg(&file)
            .output()
            .expect("node runs (the test command installs it)");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{flags:?}\n{stdout}\n{stderr}");
        assert!(stdout.contains(" 0 failures"), "{flags:?}\n{stdout}");
        let generated = if flags.is_empty() { "yes" } else { "no" };
        assert!(
            stdout.contains(&format!("generated code: {generated},")),
            "{flags:?}\n{stdout}"
        );
        println!("{flags:?}: {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
