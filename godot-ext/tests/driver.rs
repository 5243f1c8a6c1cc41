//! `HearthClient`'s networking without Godot: the driver a node drains each frame, against a
//! real host core and a real official server on loopback.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_godot::driver::{ClientCmd, ClientDriver, ClientOut};
use hearth_godot::value::{GdValue, from_json, to_json};
use hearth_rules::Catalog;
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::{Host, HostConfig};
use serde_json::{Value, json};

/// A driver drained as `_process` would (every few milliseconds), keeping what a wait did
/// not need for the next one.
struct Drained<'a> {
    d: &'a ClientDriver,
    kept: std::collections::VecDeque<ClientOut>,
}

impl Drained<'_> {
    fn of(d: &ClientDriver) -> Drained<'_> {
        Drained {
            d,
            kept: Default::default(),
        }
    }

    fn next(&mut self) -> Option<ClientOut> {
        if self.kept.is_empty() {
            self.kept.extend(self.d.poll());
        }
        self.kept.pop_front()
    }

    /// Waits (up to 15 s) until `want` matches an output; returns all seen up to and
    /// including it.
    fn until(&mut self, what: &str, want: impl Fn(&ClientOut) -> bool) -> Vec<ClientOut> {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = Vec::new();
        loop {
            while let Some(o) = self.next() {
                let hit = want(&o);
                seen.push(o);
                if hit {
                    return seen;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within 15 s; saw {seen:#?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn json_of(v: &GdValue) -> Value {
    to_json(v).expect("outputs convert back")
}

/// An action as GDScript sends it: through the value layer, floats and all.
fn gdscript(v: Value) -> Value {
    to_json(&from_json(&v)).expect("converts")
}

fn catalog() -> Arc<Catalog> {
    Arc::new(hearth_games::catalog())
}

/// Both players join "Den", get ready and play: seat 0 stacks column 0, seat 1 column 1, and
/// seat 0 wins on its fourth disc — with a refused move first and GDScript's floats.
fn play_a_quick_win(players: &mut [Drained]) {
    for p in players.iter_mut() {
        p.d.send(ClientCmd::Join {
            room: "Den".into(),
            password: String::new(),
            game: "connect-four".into(),
            config: json!({"first_seat": 0}),
            spectate: false,
        });
        p.until("the room", |o| matches!(o, ClientOut::RoomChanged(_)));
    }
    for p in players.iter() {
        p.d.send(ClientCmd::Ready(true));
    }
    // The room host starts once it sees everyone ready (the two drivers race otherwise).
    players[0].until("everyone ready", |o| {
        matches!(o, ClientOut::RoomChanged(s) if json_of(s)["members"]
            .as_array()
            .is_some_and(|m| m.len() == 2 && m.iter().all(|m| m["ready"] == true)))
    });
    players[0].d.send(ClientCmd::Start);
    let mut seats = Vec::new();
    for p in players.iter_mut() {
        let seen = p.until("the game start", |o| matches!(o, ClientOut::GameStarted(_)));
        let Some(ClientOut::GameStarted(info)) = seen.last() else {
            unreachable!()
        };
        seats.push(json_of(info)["seat"].as_u64().unwrap());
    }
    assert_eq!(seats, [0, 1], "seats in join order");
    // A refused move arrives as an error with the rules' code.
    players[1].d.send(ClientCmd::Action(json!({"column": 3})));
    let seen = players[1].until("the refusal", |o| matches!(o, ClientOut::Error { .. }));
    assert!(
        matches!(seen.last(), Some(ClientOut::Error { code, .. }) if code == "not_your_turn"),
        "{seen:?}"
    );
    // Legal actions come from the host: seat 0 may drop into any of the 7 columns, seat 1
    // (not its turn) into none.
    for (p, want) in players.iter_mut().zip([7, 0]) {
        p.d.send(ClientCmd::Legal);
        let seen = p.until("the legal actions", |o| {
            matches!(o, ClientOut::LegalActions(_))
        });
        let Some(ClientOut::LegalActions(actions)) = seen.last() else {
            unreachable!()
        };
        let actions = json_of(actions);
        assert_eq!(actions.as_array().map(Vec::len), Some(want), "{actions}");
        if want > 0 {
            assert_eq!(actions[3], json!({"column": 3}));
        }
    }
    for turn in 0..7u64 {
        players[(turn % 2) as usize]
            .d
            .send(ClientCmd::Action(gdscript(
                json!({"column": (turn % 2) as f64}),
            )));
        for q in players.iter_mut() {
            q.until(
                "the entry",
                |o| matches!(o, ClientOut::LogEntry(e) if json_of(e)["seq"] == turn),
            );
        }
    }
    let seen = players[1].until(
        "the end",
        |o| matches!(o, ClientOut::RoomChanged(s) if json_of(s)["phase"].get("over").is_some()),
    );
    let Some(ClientOut::RoomChanged(state)) = seen.last() else {
        unreachable!()
    };
    assert_eq!(
        json_of(state)["phase"]["over"]["outcome"]["winners"],
        json!([0])
    );
    // Views followed the game: the last one shows the winner to seat 1 too.
    let view = seen
        .iter()
        .rev()
        .find_map(|o| match o {
            ClientOut::ViewChanged { view, .. } => Some(json_of(view)),
            _ => None,
        })
        .expect("a view after the last move");
    assert_eq!(view["winner"], json!(0));
    assert_eq!(view["you"], json!(1));
}

#[test]
fn two_players_play_connect_four_on_a_host_through_the_driver() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let host = rt
        .block_on(Host::start(HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        )))
        .unwrap();
    let port = host.addr().port();
    let drivers: Vec<ClientDriver> = (0..2)
        .map(|_| ClientDriver::new(catalog()).unwrap())
        .collect();
    let mut players: Vec<Drained> = drivers.iter().map(Drained::of).collect();
    for (i, p) in players.iter_mut().enumerate() {
        p.d.send(ClientCmd::ConnectHost {
            address: "127.0.0.1".into(),
            port,
            name: format!("Player {i}"),
        });
        let seen = p.until("connected", |o| matches!(o, ClientOut::Connected(_)));
        let ClientOut::Connected(welcome) = seen.last().unwrap() else {
            unreachable!()
        };
        assert_eq!(json_of(welcome)["name"], format!("Player {i}"));
    }
    play_a_quick_win(&mut players);
    rt.block_on(host.shutdown());
}

#[test]
fn device_login_at_the_official_server_and_a_live_leaderboard() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = Arc::new(SqliteStore::memory().unwrap());
    let server = rt
        .block_on(hearth_server::official::start(
            HostConfig::on(
                "127.0.0.1:0".parse().unwrap(),
                std::sync::Arc::new(hearth_games::catalog()),
            ),
            store,
        ))
        .unwrap();
    let drivers: Vec<ClientDriver> = (0..2)
        .map(|_| ClientDriver::new(catalog()).unwrap())
        .collect();
    let mut players: Vec<Drained> = drivers.iter().map(Drained::of).collect();
    // A wrong address is a readable error, not a hang.
    players[0].d.send(ClientCmd::ConnectServer {
        url: "ftp://nowhere".into(),
        device_id: "x".into(),
        name: "Ada".into(),
    });
    let seen = players[0].until("the refusal", |o| matches!(o, ClientOut::Error { .. }));
    assert!(matches!(seen.last(), Some(ClientOut::Error { code, .. }) if code == "bad_url"));
    let mut ids = Vec::new();
    for (i, p) in players.iter_mut().enumerate() {
        p.d.send(ClientCmd::ConnectServer {
            url: server.http_url(),
            device_id: format!("godot-device-{i}"),
            name: format!("P{i}"),
        });
        let seen = p.until("connected", |o| matches!(o, ClientOut::Connected(_)));
        let Some(ClientOut::Connected(welcome)) = seen.last() else {
            unreachable!()
        };
        ids.push(json_of(welcome)["player"].clone());
    }
    players[0]
        .d
        .send(ClientCmd::SubscribeLeaderboard("connect-four".into()));
    let seen = players[0].until("the leaderboard", |o| {
        matches!(o, ClientOut::LeaderboardChanged { .. })
    });
    assert!(
        matches!(seen.last(), Some(ClientOut::LeaderboardChanged { standings, .. }) if json_of(standings) == json!([]))
    );
    play_a_quick_win(&mut players);
    // The result is pushed to the subscriber: the winner first.
    let seen = players[0].until("the new leaderboard", |o| {
        matches!(o, ClientOut::LeaderboardChanged { standings, .. } if json_of(standings) != json!([]))
    });
    let Some(ClientOut::LeaderboardChanged { game, standings }) = seen.last() else {
        unreachable!()
    };
    assert_eq!(game, "connect-four");
    let rows = json_of(standings);
    assert_eq!(rows[0]["account"], ids[0]);
    assert_eq!(rows[0]["wins"], 1);
    assert_eq!(rows[1]["account"], ids[1]);
    players[0].d.send(ClientCmd::Disconnect);
    players[0].until("the disconnect", |o| {
        matches!(
            o,
            ClientOut::Disconnected {
                reconnecting: false,
                ..
            }
        )
    });
    rt.block_on(server.shutdown());
}
