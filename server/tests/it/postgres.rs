//! The official services on PostgreSQL: the same `Store` semantics as SQLite, checked side by
//! side, the refusals at start, and a match played and rated through a host over it. Each test
//! starts its own private PostgreSQL (initdb into a temporary directory, listening on
//! 127.0.0.1 and a Unix socket there only, stopped and removed at the end).

use std::process::Command;
use std::sync::Arc;

use crate::common::*;
use hearth_rules::protocol::Request;
use hearth_rules::{DynLogEntry, Outcome, Payload, Seat};
use hearth_server::official::postgres::{PgStore, SCHEMA_VERSION};
use hearth_server::official::sqlite::SqliteStore;
use hearth_server::official::start;
use hearth_server::official::store::{Account, DeviceSignIn, LogAppend, Role, Store, StoreError};
use hearth_server::{HostConfig, MatchStart};

pub(crate) use pg::PrivatePostgres as Pg;

/// The private PostgreSQL harness, shared with the cross-mode suite (`hearth-tests`).
#[path = "../../../tests/src/pg.rs"]
#[allow(unreachable_pub, dead_code)]
mod pg;

/// An account as compared across stores: ids are left out (PostgreSQL's sequences may skip
/// numbers — an upsert that updates still takes one — where SQLite's do not).
fn shown(a: &Account) -> String {
    format!("{:?}", Account { id: 0, ..a.clone() })
}

/// Everything a store keeps, asked the same way of any store; returns what it saw, so two
/// stores can be compared.
fn exercise(store: &dyn Store) -> Vec<String> {
    let mut seen = Vec::new();
    let mut note = |s: String| seen.push(s);
    let guest = store.device_account("device-aaaa-0001", "Ada", 10).unwrap();
    let again = store
        .device_account("device-aaaa-0001", "Other", 20)
        .unwrap();
    assert_eq!(guest.id, again.id, "one device, one account");
    note(shown(&again));
    let bo = store
        .create_user("Bo", "Bo", "phc-hash", Role::Player, 30)
        .unwrap();
    let taken = store
        .create_user("bO", "x", "h", Role::Player, 31)
        .expect_err("usernames are unique in any case");
    assert!(matches!(taken, StoreError::Conflict(_)), "{taken}");
    note(taken.to_string());
    let (found, hash) = store.user_by_name("BO").unwrap().expect("any case");
    assert_eq!((found.id, hash.as_deref()), (bo.id, Some("phc-hash")));
    let upgraded = store.upgrade_guest(guest.id, "ada", "h2").unwrap();
    note(shown(&upgraded));
    assert!(matches!(
        store.upgrade_guest(guest.id, "ada2", "h3"),
        Err(StoreError::Conflict(_))
    ));
    note(shown(&store.set_role(bo.id, Role::Admin).unwrap()));
    store.add_token(b"token-bo", bo.id, 1_000, 40).unwrap();
    assert_eq!(
        store.token_account(b"token-bo", 50).unwrap().map(|a| a.id),
        Some(bo.id)
    );
    assert_eq!(
        store.token_account(b"token-bo", 1_000).unwrap(),
        None,
        "expired"
    );
    store.set_banned(bo.id, true).unwrap();
    assert_eq!(
        store.token_account(b"token-bo", 50).unwrap(),
        None,
        "a ban revokes"
    );
    store.set_banned(bo.id, false).unwrap();
    let batch = store
        .device_sign_ins(
            &[
                DeviceSignIn {
                    device_id: "device-cccc-0003".into(),
                    display_name: "Cy".into(),
                    token_hash: b"token-cy-1".to_vec(),
                    expires_at: 2_000,
                },
                DeviceSignIn {
                    device_id: "device-cccc-0003".into(),
                    display_name: "Cy".into(),
                    token_hash: b"token-cy-2".to_vec(),
                    expires_at: 2_000,
                },
            ],
            60,
        )
        .unwrap();
    assert_eq!(batch[0].id, batch[1].id);
    for t in [&b"token-cy-1"[..], b"token-cy-2"] {
        assert_eq!(
            store.token_account(t, 61).unwrap().map(|a| a.id),
            Some(batch[0].id)
        );
    }
    store.revoke_token(b"token-cy-1").unwrap();
    assert_eq!(store.token_account(b"token-cy-1", 61).unwrap(), None);
    store.device_account("device-100%-_x", "P_%", 70).unwrap();
    let names = |q: &str| -> Vec<String> {
        store
            .search_accounts(q, 10)
            .unwrap()
            .into_iter()
            .map(|a| a.display_name)
            .collect()
    };
    assert_eq!(names("_%"), ["P_%"], "wildcards are literal");
    note(format!("{:?}", names("o")));
    // Matches: started, logs in a group commit, ended and rated once.
    let fingerprint = hearth_games::catalog()
        .get("connect-four")
        .unwrap()
        .fingerprint
        .clone();
    let start = |room: &str| MatchStart {
        room: room.into(),
        game: "connect-four".into(),
        fingerprint: fingerprint.clone(),
        seats: 2,
        seed: u64::MAX - 1,
        config: Payload::Postcard(vec![]),
        players: vec![(guest.id, "Ada".into()), (bo.id, "Bo".into())],
    };
    let a = store.match_started(&start("a"), 100).unwrap();
    let b = store.match_started(&start("b"), 101).unwrap();
    let entry = |index: u64, column: u8| DynLogEntry {
        index,
        tick: index * 2,
        seat: Seat((index % 2) as u8),
        action: Payload::Postcard(vec![column]),
    };
    let (a_log, b_log) = ([entry(0, 3), entry(1, 4)], [entry(0, 6)]);
    let append = |match_id, entries, ticks| LogAppend {
        match_id,
        entries,
        ticks,
        hash: 0x100 + ticks,
    };
    store
        .append_logs(&[
            append(a, &a_log[..1], 1),
            append(b, &b_log, 5),
            append(a, &a_log[1..], 2),
        ])
        .unwrap();
    store.append_logs(&[]).unwrap();
    assert_eq!(store.match_log(a).unwrap(), a_log.to_vec());
    assert_eq!(store.match_log(b).unwrap(), b_log.to_vec());
    // Each match keeps the tick count and hash of its last append in the batch.
    let got = |id| {
        let m = store.get_match(id).unwrap().unwrap();
        (m.ticks, m.log_hash)
    };
    assert_eq!(got(a), (2, Some("0000000000000102".into())));
    assert_eq!(got(b), (5, Some("0000000000000105".into())));
    let dup = store.append_log(append(a, &a_log[..1], 2));
    assert!(dup.is_err(), "an entry is written once");
    assert_eq!(
        store.match_log(a).unwrap(),
        a_log.to_vec(),
        "and nothing else"
    );
    let won = Outcome {
        winners: vec![Seat(0)],
        scores: vec![1, 0],
    };
    let players = [guest.id, bo.id];
    store
        .match_finished(a, Some(&won), 0xabc, 2, 200, Some(&players))
        .unwrap();
    store
        .match_finished(a, Some(&won), 0xabc, 2, 201, Some(&players))
        .unwrap();
    let board = store.leaderboard("connect-four", 10).unwrap();
    assert_eq!(
        board
            .iter()
            .map(|s| (s.account, s.wins, s.losses, s.rating))
            .collect::<Vec<_>>(),
        [(guest.id, 1, 0, 1216), (bo.id, 0, 1, 1184)],
        "rated once"
    );
    let m = store.get_match(a).unwrap().unwrap();
    assert_eq!(
        (m.status.as_str(), m.seed, m.ticks, m.outcome.as_ref()),
        ("over", u64::MAX - 1, 2, Some(&won))
    );
    let names: Vec<&str> = m.players.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        m.players.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [guest.id, bo.id]
    );
    note(format!("{:?}", (&m.room, names, &m.hash, m.ended_at)));
    let running: Vec<_> = store
        .running_matches()
        .unwrap()
        .into_iter()
        .map(|m| (m.room, m.ticks))
        .collect();
    assert_eq!(running, [("b".to_string(), 5)]);
    let mine: Vec<_> = store
        .list_matches(Some(bo.id), 10)
        .unwrap()
        .into_iter()
        .map(|m| m.room)
        .collect();
    assert_eq!(mine, ["b", "a"], "newest first");
    assert_eq!(store.list_matches(None, 1).unwrap().len(), 1);
    // Guests unseen since before 80 who never played: only the %-device one.
    assert_eq!(store.delete_stale_guests(80).unwrap(), 2);
    store.touch(guest.id, 300).unwrap();
    note(shown(&store.account(guest.id).unwrap().expect("kept")));
    seen
}

#[test]
fn postgres_keeps_exactly_what_sqlite_keeps() {
    let pg = Pg::start("same");
    let url = pg.database("same");
    let store = PgStore::open(&url).expect("a new database is made Hearth's");
    let on_pg = exercise(&store);
    drop(store);
    let on_sqlite = exercise(&SqliteStore::memory().unwrap());
    assert_eq!(on_pg, on_sqlite);
    // Opening again finds it migrated and keeps what is there.
    let store = PgStore::open(&url).expect("opens again");
    assert_eq!(store.running_matches().unwrap().len(), 1);
}

#[test]
fn postgres_databases_that_are_not_ours_are_refused_and_left_alone() {
    let pg = Pg::start("refuse");
    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = PgStore::open(&format!("postgres://hearth:pw@127.0.0.1:{closed}/x"))
        .err()
        .expect("unreachable");
    let msg = err.to_string();
    assert!(msg.contains("cannot connect"), "{msg}");
    assert!(!msg.contains("pw"), "no password in messages: {msg}");
    let err = PgStore::open("postgres://hearth@127.0.0.1:notaport/x")
        .err()
        .expect("bad URL");
    assert!(err.to_string().contains("not a PostgreSQL URL"), "{err}");
    // Another program's database.
    let theirs = pg.database("theirs");
    let mut c = postgres::Client::connect(&theirs, postgres::NoTls).unwrap();
    c.batch_execute("CREATE TABLE invoices (id INT); INSERT INTO invoices VALUES (7)")
        .unwrap();
    let err = PgStore::open(&theirs).err().expect("not Hearth's");
    assert!(matches!(err, StoreError::NotHearth { .. }), "{err}");
    let tables: Vec<String> = c
        .query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tables, ["invoices"], "nothing written");
    // `hearth serve` says so, exits non-zero, and HEARTH_DB names the database as --db does.
    for (env, want) in [
        (
            format!("postgres://hearth@127.0.0.1:{closed}/x"),
            "cannot connect",
        ),
        (theirs.clone(), "not a Hearth database"),
    ] {
        let out = Command::new(crate::common::hearth_bin())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("HEARTH_DB", &env)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{env}: {err}");
    }
    // A newer Hearth's database.
    let newer = pg.database("newer");
    drop(PgStore::open(&newer).unwrap());
    let mut c = postgres::Client::connect(&newer, postgres::NoTls).unwrap();
    c.execute(
        "UPDATE hearth_meta SET value = $1 WHERE key = 'schema_version'",
        &[&(SCHEMA_VERSION + 1)],
    )
    .unwrap();
    let err = PgStore::open(&newer).err().expect("newer");
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err}");
    assert!(err.to_string().contains("run a newer hearth"), "{err}");
}

#[test]
fn a_match_on_a_postgres_host_is_recorded_and_rated() {
    let pg = Pg::start("host");
    let url = pg.database("host");
    let store: Arc<dyn Store> = Arc::new(PgStore::open(&url).unwrap());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(play_on(store));
}

async fn play_on(store: Arc<dyn Store>) {
    let host = start(
        HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            Arc::new(hearth_games::catalog()),
        ),
        store.clone(),
    )
    .await
    .expect("starts");
    let addr = host.addr();
    let (ta, ada) = device_login(addr, "device-ada-0001", "Ada").await;
    let (tb, _) = device_login(addr, "device-bob-0002", "Bob").await;
    let mut a = Client::with_token(&host.ws_url(), &ta).await;
    let mut b = Client::with_token(&host.ws_url(), &tb).await;
    super::official::play_connect_four_win(&mut a, &mut b, "On PG").await;
    a.call(Request::Ping).await.unwrap();
    // The match's end is written after its last move is answered: wait for it (bounded).
    let mut lb = serde_json::Value::Null;
    for _ in 0..100 {
        let (s, now) = http(addr, "GET", "/v1/leaderboards/connect-four", None, None).await;
        assert_eq!(s, 200);
        lb = now;
        if lb["standings"][0]["account"] == ada {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(lb["standings"][0]["account"], ada);
    assert_eq!(lb["standings"][0]["rating"], 1216);
    let (s, list) = http(addr, "GET", "/v1/matches", None, None).await;
    assert_eq!(s, 200, "{list}");
    let id = list["matches"][0]["id"].as_u64().unwrap();
    assert_eq!(list["matches"][0]["status"], "over");
    let log = tokio::task::spawn_blocking(move || store.match_log(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(log.len(), 7, "every acknowledged move is in the log");
    host.shutdown().await;
}
