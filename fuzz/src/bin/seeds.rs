//! Writes the seed corpora the fuzz targets start from (`fuzz/seeds/<target>/`): real client
//! frames in both encodings, snapshots of every example game at several points, and the
//! golden vectors. Run from `fuzz/`: `cargo run --release --bin seeds`; commit what changed.

use std::fs;
use std::path::Path;

use hearth_fuzz::{catalog, game_names};
use hearth_rules::protocol::{
    ClientMsg, Hello, JoinAs, PROTOCOL_VERSION, Request, RoomOptions, WireBytes, to_json,
    to_postcard,
};
use hearth_rules::{Encoding, Payload, Seat};
use serde_json::{Value, json};

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::create_dir_all(dir).expect("the seeds directory can be made");
    fs::write(dir.join(name), bytes).expect("a seed can be written");
}

/// One of each request, with game values as `P`.
fn requests<P: Clone>(value: P) -> Vec<Request<P>> {
    let options = RoomOptions {
        game: "connect-four".into(),
        config: value.clone(),
        max_seats: Some(2),
        public: true,
        password: Some("pw".into()),
    };
    vec![
        Request::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: catalog().fingerprints(),
            name: "Ada".into(),
            token: Some("token".into()),
        }),
        Request::Resume {
            token: "resume".into(),
            next: 3,
        },
        Request::ListGames,
        Request::ListRooms,
        Request::CreateRoom {
            name: "Den".into(),
            options: options.clone(),
        },
        Request::Join {
            room: "Den".into(),
            password: None,
            join_as: JoinAs::Player,
            create: Some(options),
        },
        Request::Sit { seat: Some(1) },
        Request::Stand,
        Request::Ready { ready: true },
        Request::Start,
        Request::AddBot { level: 2 },
        Request::Leave,
        Request::Kick { player: 7 },
        Request::Chat { text: "hi".into() },
        Request::Action {
            action: value,
            tick: Some(4),
        },
        Request::View,
        Request::Legal,
        Request::Hash {
            index: 2,
            hash: "00112233445566ff".into(),
        },
        Request::Ping,
        Request::SubscribeLeaderboard {
            game: "connect-four".into(),
        },
    ]
}

fn main() {
    let seeds = Path::new("seeds");
    let catalog = catalog();

    // What a host decodes: every request, as JSON text and as postcard bytes.
    let host = seeds.join("wire_host");
    for (i, req) in requests(json!({"column": 3})).into_iter().enumerate() {
        write(
            &host,
            &format!("json-{i:02}"),
            to_json(&ClientMsg { id: i as u32, req }).as_bytes(),
        );
    }
    let column = catalog
        .convert(
            "connect-four",
            hearth_rules::ValueKind::Action,
            &Payload::Json(json!({"column": 3})),
            Encoding::Postcard,
        )
        .expect("a connect-four move converts");
    for (i, req) in requests(WireBytes(column.to_bytes()))
        .into_iter()
        .enumerate()
    {
        write(
            &host,
            &format!("postcard-{i:02}"),
            &to_postcard(&ClientMsg { id: i as u32, req }),
        );
    }

    // What a host's WebSocket framing reads: those requests as masked client frames, several
    // to a read, fragmented, with pings, pongs and a close between them.
    let frames = seeds.join("ws_frames");
    let mask = [0x12, 0x34, 0x56, 0x78];
    let mut all = Vec::new();
    for (i, req) in requests(json!({"column": 3})).into_iter().enumerate() {
        let text = to_json(&ClientMsg { id: i as u32, req });
        let frame = hearth_ws::client_frame(0x81, mask, text.as_bytes());
        write(&frames, &format!("text-{i:02}"), &frame);
        all.extend(frame);
    }
    let msg = to_postcard(&ClientMsg {
        id: 1,
        req: Request::<WireBytes>::ListRooms,
    });
    let (head, tail) = msg.split_at(msg.len() / 2);
    let mut fragmented = hearth_ws::client_frame(0x02, mask, head);
    fragmented.extend(hearth_ws::client_frame(0x89, mask, b"ping"));
    fragmented.extend(hearth_ws::client_frame(0x80, mask, tail));
    fragmented.extend(hearth_ws::client_frame(0x8A, mask, b""));
    fragmented.extend(hearth_ws::client_frame(0x88, mask, &[0x03, 0xE8]));
    write(&frames, "fragmented", &fragmented);
    write(&frames, "many", &all);

    // Snapshots of every game: at the start, after a few moves, and at the end.
    let snapshots = seeds.join("snapshot");
    for game in game_names() {
        let meta = catalog.get(&game).expect("a listed game").clone();
        let seats = meta.min_seats.max(2);
        let mut s = catalog
            .create(&game, &Payload::Json(Value::Null), seats, 7)
            .expect("the defaults set up a game");
        let mut step = 0;
        while !s.is_over() && step < 400 {
            if [0, 3, 10].contains(&step) {
                write(&snapshots, &format!("{game}-{step}"), &s.snapshot());
            }
            let moved = (0..seats).any(|seat| {
                let Ok(Payload::Json(Value::Array(legal))) =
                    s.legal_actions(Seat(seat), Encoding::Json)
                else {
                    return false;
                };
                legal
                    .get(step % legal.len().max(1))
                    .is_some_and(|a| s.apply(Seat(seat), &Payload::Json(a.clone())).is_ok())
            });
            if meta.tick_rate.is_some() || !moved {
                let _ = s.tick(Encoding::Postcard);
            }
            step += 1;
        }
        write(&snapshots, &format!("{game}-end"), &s.snapshot());
    }

    // The golden vectors as they are in the repository.
    let vectors = seeds.join("vector");
    for entry in fs::read_dir("../tests/vectors").expect("tests/vectors is there") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|x| x == "json") {
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .to_string();
            write(&vectors, &name, &fs::read(&path).expect("a vector reads"));
        }
    }
    println!("seeds written to {}", seeds.display());
}
