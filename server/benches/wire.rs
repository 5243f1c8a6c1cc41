//! Wire messages: sizes of what rooms send, and encode/decode speed in both encodings.
//! `cargo bench -p hearth-server --bench wire`; figures go in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use hearth_rules::protocol::{
    ClientMsg, Request, ServerMsg, WireBytes, from_json, from_postcard, to_json, to_postcard,
};
use hearth_rules::{DynSession, Encoding, Payload, Seat, Viewer};
use serde_json::json;

/// A chameleon game of 6 bots, with every seat's view after every action, as the host
/// sends them (`view` messages, full views).
fn chameleon_views() -> Vec<(ServerMsg<Payload>, ServerMsg<Payload>)> {
    let catalog = hearth_games::catalog();
    let mut s = catalog
        .create("chameleon", &Payload::Json(serde_json::Value::Null), 6, 3)
        .expect("setup");
    let mut out = Vec::new();
    let mut guard = 0;
    while !s.is_over() && guard < 500 {
        guard += 1;
        let mut acted = false;
        for seat in 0..6u8 {
            if let Ok(Some(action)) = s.bot_action(Seat(seat), 1, Encoding::Postcard)
                && s.apply(Seat(seat), &action).is_ok()
            {
                acted = true;
                for viewer in 0..6u8 {
                    out.push((
                        view_msg(&s, viewer, Encoding::Json),
                        view_msg(&s, viewer, Encoding::Postcard),
                    ));
                }
                break;
            }
        }
        if !acted {
            break;
        }
    }
    out
}

fn view_msg(s: &DynSession, viewer: u8, enc: Encoding) -> ServerMsg<Payload> {
    ServerMsg::View {
        seq: s.log_len(),
        index: s.log_len(),
        seat: Some(0),
        view: s.view(Viewer::Seat(Seat(viewer)), enc).expect("view"),
        events: match enc {
            Encoding::Json => Payload::Json(json!([{"voted": {"seat": 0}}])),
            Encoding::Postcard => Payload::Postcard(vec![1, 2, 0]),
        },
    }
}

/// A 16-seat tanks snapshot for seat 0 after 100 ticks.
fn tanks_snapshot(enc: Encoding) -> ServerMsg<Payload> {
    let catalog = hearth_games::catalog();
    let mut s = catalog
        .create("tanks", &Payload::Json(serde_json::Value::Null), 16, 5)
        .expect("setup");
    for _ in 0..100 {
        for seat in 0..16u8 {
            if let Ok(Some(a)) = s.bot_action(Seat(seat), 1, Encoding::Postcard) {
                let _ = s.apply(Seat(seat), &a);
            }
        }
        s.tick(Encoding::Postcard).expect("tick");
    }
    ServerMsg::Snapshot {
        tick: s.tick_count(),
        index: s.log_len(),
        view: s.view(Viewer::Seat(Seat(0)), enc).expect("view"),
        events: match enc {
            Encoding::Json => Payload::Json(json!([])),
            Encoding::Postcard => Payload::Postcard(vec![0]),
        },
    }
}

fn sizes() {
    let views = chameleon_views();
    let json: Vec<usize> = views.iter().map(|(j, _)| to_json(j).len()).collect();
    let pc: Vec<usize> = views.iter().map(|(_, p)| to_postcard(p).len()).collect();
    let avg = |v: &[usize]| v.iter().sum::<usize>() / v.len().max(1);
    println!(
        "chameleon `view` message, 6 seats, {} views: JSON avg {} B max {} B; postcard avg {} B max {} B",
        views.len(),
        avg(&json),
        json.iter().max().unwrap_or(&0),
        avg(&pc),
        pc.iter().max().unwrap_or(&0)
    );
    println!(
        "tanks `snapshot` message, 16 seats: JSON {} B; postcard {} B",
        to_json(&tanks_snapshot(Encoding::Json)).len(),
        to_postcard(&tanks_snapshot(Encoding::Postcard)).len()
    );
}

fn wire(c: &mut Criterion) {
    let views = chameleon_views();
    let (view_json, view_pc) = views[views.len() / 2].clone();
    let snap_json = tanks_snapshot(Encoding::Json);
    let snap_pc = tanks_snapshot(Encoding::Postcard);
    let mut g = c.benchmark_group("wire");
    g.bench_function("encode chameleon view (JSON)", |b| {
        b.iter(|| black_box(to_json(&view_json)))
    });
    g.bench_function("encode chameleon view (postcard)", |b| {
        b.iter(|| black_box(to_postcard(&view_pc)))
    });
    g.bench_function("encode tanks snapshot 16 seats (JSON)", |b| {
        b.iter(|| black_box(to_json(&snap_json)))
    });
    g.bench_function("encode tanks snapshot 16 seats (postcard)", |b| {
        b.iter(|| black_box(to_postcard(&snap_pc)))
    });
    let input = json!({"turn": 1, "thrust": 1, "fire": false});
    let action_json = to_json(&ClientMsg {
        id: 7,
        req: Request::Action {
            action: input,
            tick: Some(120),
        },
    });
    let action_pc = to_postcard(&ClientMsg {
        id: 7,
        req: Request::Action {
            action: WireBytes(vec![2, 1, 0]),
            tick: Some(120),
        },
    });
    g.bench_function("decode tanks input (JSON)", |b| {
        b.iter(|| black_box(from_json::<ClientMsg<serde_json::Value>>(&action_json).is_ok()))
    });
    g.bench_function("decode tanks input (postcard)", |b| {
        b.iter(|| black_box(from_postcard::<ClientMsg<WireBytes>>(&action_pc).is_ok()))
    });
    g.finish();
}

criterion_group!(benches, wire);

fn main() {
    sizes();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
