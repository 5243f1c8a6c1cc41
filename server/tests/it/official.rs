//! The official services: accounts, the socket's authentication, recorded and rated matches,
//! replays, the role matrix and the storage's refusals.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use crate::common::*;
use hearth_rules::protocol::{Hello, JoinAs, PROTOCOL_VERSION, Request, codes};
use hearth_server::official::sqlite::{SCHEMA_VERSION, SqliteStore};
use hearth_server::official::store::{LogAppend, Role, Store, StoreError};
use hearth_server::official::{accounts, start};
use hearth_server::{HostConfig, HostHandle, Limits};
use serde_json::{Value, json};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hearth-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn official(store: Arc<dyn Store>) -> HostHandle {
    start(
        HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        ),
        store,
    )
    .await
    .expect("starts")
}

/// An official host with an admin account `root` ("admin password"), and its token.
async fn host_with_admin() -> (HostHandle, String) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::memory().unwrap());
    let hash = accounts::hash_password("admin password").unwrap();
    store
        .create_user("root", "Root", &hash, Role::Admin, accounts::now())
        .unwrap();
    let host = official(store).await;
    let login = json!({"username": "root", "password": "admin password"}).to_string();
    let (_, body) = http(host.addr(), "POST", "/v1/auth/login", None, Some(&login)).await;
    let admin = body["token"].as_str().unwrap().to_string();
    (host, admin)
}

/// Bans account `id` with the admin token `admin`: the status.
async fn ban(addr: std::net::SocketAddr, admin: &str, id: u64) -> u16 {
    let path = format!("/v1/admin/users/{id}/ban");
    http(addr, "POST", &path, Some(admin), None).await.0
}

/// A loopback host of the example games, to adjust before [`official_on`].
fn loopback() -> HostConfig {
    HostConfig::on(
        "127.0.0.1:0".parse().unwrap(),
        std::sync::Arc::new(hearth_games::catalog()),
    )
}

async fn official_on(config: HostConfig) -> HostHandle {
    start(config, Arc::new(SqliteStore::memory().unwrap()))
        .await
        .expect("starts")
}

async fn memory_host() -> HostHandle {
    official(Arc::new(SqliteStore::memory().unwrap())).await
}

#[tokio::test]
async fn device_and_password_accounts() {
    let host = memory_host().await;
    let addr = host.addr();
    let (t1, id1) = device_login(addr, "device-aaaa-1111", "Ada").await;
    let (t2, id2) = device_login(addr, "device-aaaa-1111", "Ada").await;
    assert_eq!(id1, id2, "the same device is the same account");
    assert_ne!(t1, t2);
    let (_, other) = device_login(addr, "device-bbbb-2222", "Bob").await;
    assert_ne!(other, id1);
    let (s, me) = http(addr, "GET", "/v1/me", Some(&t1), None).await;
    assert_eq!(s, 200);
    assert_eq!(me["account"]["guest"], true);
    assert_eq!(me["account"]["role"], "player");

    let reg =
        json!({"username": "cyd", "password": "correct horse", "display_name": "Cyd"}).to_string();
    let (s, body) = http(addr, "POST", "/v1/auth/register", None, Some(&reg)).await;
    assert_eq!(s, 201, "{body}");
    let cyd = body["account"]["id"].as_u64().unwrap();
    let again = json!({"username": "CYD", "password": "another one!"}).to_string();
    let (s, body) = http(addr, "POST", "/v1/auth/register", None, Some(&again)).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let wrong = json!({"username": "cyd", "password": "wrong horse"}).to_string();
    let (s, body) = http(addr, "POST", "/v1/auth/login", None, Some(&wrong)).await;
    assert_eq!((s, body["code"].as_str()), (401, Some("wrong_credentials")));
    let nobody = json!({"username": "nobody", "password": "wrong horse"}).to_string();
    let (s, body2) = http(addr, "POST", "/v1/auth/login", None, Some(&nobody)).await;
    assert_eq!(
        (s, &body2["message"]),
        (401, &body["message"]),
        "no hint which usernames exist"
    );
    let right = json!({"username": "Cyd", "password": "correct horse"}).to_string();
    let (s, body) = http(addr, "POST", "/v1/auth/login", None, Some(&right)).await;
    assert_eq!(s, 200);
    assert_eq!(body["account"]["id"], cyd);
    let token = body["token"].as_str().unwrap().to_string();
    let (s, _) = http(addr, "POST", "/v1/auth/logout", Some(&token), None).await;
    assert_eq!(s, 200);
    let (s, body) = http(addr, "GET", "/v1/me", Some(&token), None).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (401, Some(codes::UNAUTHORIZED)),
        "revoked"
    );

    // A guest keeps its id (and so its history) when it takes a password.
    let up = json!({"username": "ada", "password": "ada's secret"}).to_string();
    let (s, body) = http(addr, "POST", "/v1/auth/upgrade", Some(&t1), Some(&up)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["account"]["id"], id1);
    assert_eq!(body["account"]["guest"], false);
    let (s, _) = http(addr, "POST", "/v1/auth/upgrade", Some(&t1), Some(&up)).await;
    assert_eq!(s, 409, "only guests upgrade");
    let login = json!({"username": "ada", "password": "ada's secret"}).to_string();
    let (_, body) = http(addr, "POST", "/v1/auth/login", None, Some(&login)).await;
    assert_eq!(body["account"]["id"], id1);

    // Bad input: a clear JSON error, nothing written.
    for (body, status, code) in [
        ("{not json", 400, codes::BAD_REQUEST),
        (
            r#"{"device_id":"device-cccc-3333","display_name":"Cy","admin":true}"#,
            422,
            codes::BAD_REQUEST,
        ),
        (
            r#"{"device_id":"device-cccc-3333","display_name":"a name far too long for anyone"}"#,
            400,
            codes::INVALID_NAME,
        ),
        (
            r#"{"device_id":"short","display_name":"Cy"}"#,
            400,
            codes::BAD_REQUEST,
        ),
    ] {
        let (s, e) = http(addr, "POST", "/v1/auth/device", None, Some(body)).await;
        assert_eq!(s, status, "{body} → {e}");
        assert_eq!(e["code"], code, "{body} → {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let weak = json!({"username": "dee", "password": "short"}).to_string();
    let (s, e) = http(addr, "POST", "/v1/auth/register", None, Some(&weak)).await;
    assert_eq!((s, e["code"].as_str()), (400, Some("weak_password")));
    let (s, e) = http(addr, "GET", "/v1/me", Some("hth_forged"), None).await;
    assert_eq!((s, e["code"].as_str()), (401, Some(codes::UNAUTHORIZED)));
    host.shutdown().await;
}

#[tokio::test]
async fn passwords_and_tokens_are_stored_hashed() {
    let dir = scratch("hashed");
    let db = dir.join("h.db");
    let host = official(Arc::new(SqliteStore::open(&db).unwrap())).await;
    let reg = json!({"username": "eve", "password": "plain-text-pw-1"}).to_string();
    let (_, body) = http(host.addr(), "POST", "/v1/auth/register", None, Some(&reg)).await;
    let token = body["token"].as_str().unwrap().to_string();
    host.shutdown().await;
    let store = SqliteStore::open(&db).unwrap();
    let (_, hash) = store.user_by_name("eve").unwrap().unwrap();
    assert!(hash.unwrap().starts_with("$argon2id$"));
    let mut raw = std::fs::read(&db).unwrap();
    raw.extend(std::fs::read(db.with_extension("db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&raw);
    assert!(
        !text.contains("plain-text-pw-1"),
        "no clear password on disk"
    );
    assert!(!text.contains(&token), "no clear token on disk");
    assert!(
        store
            .token_account(&accounts::token_hash(&token), accounts::now())
            .unwrap()
            .is_some()
    );
    // Tokens expire.
    let later = accounts::now() + accounts::TOKEN_LIFETIME_SECS + 1;
    assert!(
        store
            .token_account(&accounts::token_hash(&token), later)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_socket_needs_a_token_and_the_name_comes_from_the_account() {
    let host = memory_host().await;
    let mut anon = Client::connect(&host, false).await;
    let e = anon
        .call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "Ada".into(),
            token: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::UNAUTHORIZED);
    let e = anon
        .call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "Ada".into(),
            token: Some("hth_0000".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::UNAUTHORIZED);
    let (token, id) = device_login(host.addr(), "device-name-0001", "Real Name").await;
    let c = Client::with_token(&host.ws_url(), &token).await;
    assert_eq!(c.player, id);
    let first = &c.log[0].json["reply"]["reply"]["welcome"];
    assert_eq!(first["name"], "Real Name", "not what the client claimed");
    host.shutdown().await;
}

pub(crate) async fn play_connect_four_win(a: &mut Client, b: &mut Client, room: &str) {
    a.create(room, "connect-four", json!({"first_seat": 0}))
        .await;
    b.join(room, JoinAs::Player).await.unwrap();
    a.ok(Request::Ready { ready: true }).await;
    b.ok(Request::Ready { ready: true }).await;
    a.ok(Request::Start).await;
    for (seat, col) in [(0, 0), (1, 1), (0, 0), (1, 1), (0, 0), (1, 1), (0, 0)] {
        let c = if seat == 0 { &mut *a } else { &mut *b };
        c.call(Request::Action {
            action: json!({"column": col}),
            tick: None,
        })
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn matches_are_recorded_replayable_and_rated_live() {
    let dir = scratch("matches");
    let db = dir.join("m.db");
    let host = official(Arc::new(SqliteStore::open(&db).unwrap())).await;
    let addr = host.addr();
    let (ta, ada) = device_login(addr, "device-ada-0001", "Ada").await;
    let (tb, bob) = device_login(addr, "device-bob-0002", "Bob").await;
    let (tw, _) = device_login(addr, "device-wat-0003", "Wat").await;
    let mut watcher = Client::with_token(&host.ws_url(), &tw).await;
    watcher
        .ok(Request::SubscribeLeaderboard {
            game: "connect-four".into(),
        })
        .await;
    let first = watcher.expect("leaderboard").await;
    assert_eq!(first["standings"], json!([]));
    // Subscribing again sends the standings again but does not double later pushes.
    watcher
        .ok(Request::SubscribeLeaderboard {
            game: "connect-four".into(),
        })
        .await;
    watcher.expect("leaderboard").await;
    let mut a = Client::with_token(&host.ws_url(), &ta).await;
    let mut b = Client::with_token(&host.ws_url(), &tb).await;
    play_connect_four_win(&mut a, &mut b, "Rated").await;

    // The leaderboard moved by exactly this outcome, and subscribers were told.
    let pushed = watcher.expect("leaderboard").await;
    assert_eq!(pushed["standings"][0]["account"], ada);
    assert_eq!(pushed["standings"][0]["rating"], 1216);
    assert_eq!(pushed["standings"][0]["wins"], 1);
    assert_eq!(pushed["standings"][1]["account"], bob);
    assert_eq!(pushed["standings"][1]["losses"], 1);
    assert_eq!(pushed["standings"][1]["rating"], 1184);
    watcher.call(Request::Ping).await.unwrap();
    assert!(
        !watcher
            .drain_pending()
            .iter()
            .any(|g| g.json.get("leaderboard").is_some()),
        "one push per subscriber"
    );
    let (s, lb) = http(addr, "GET", "/v1/leaderboards/connect-four", None, None).await;
    assert_eq!(s, 200);
    assert_eq!(lb["standings"], pushed["standings"]);
    let (s, e) = http(addr, "GET", "/v1/leaderboards/chess", None, None).await;
    assert_eq!((s, e["code"].as_str()), (404, Some("unknown_game")));

    // History: the match, its seats, outcome and full log.
    let (_, list) = http(
        addr,
        "GET",
        &format!("/v1/matches?account={bob}"),
        None,
        None,
    )
    .await;
    let m = &list["matches"][0];
    assert_eq!(m["status"], "over");
    assert_eq!(m["players"][0][0], ada);
    assert_eq!(m["outcome"]["winners"], json!([0]));
    let id = m["id"].as_u64().unwrap();
    let (_, detail) = http(addr, "GET", &format!("/v1/matches/{id}"), None, None).await;
    let log = detail["log"].as_array().unwrap();
    assert_eq!(log.len(), 7);
    // In the shapes the OpenAPI document declares.
    let (_, doc) = http(addr, "GET", "/v1/openapi.json", None, None).await;
    conforms(&doc, "GET", "/v1/matches", 200, &list);
    conforms(&doc, "GET", "/v1/matches/1", 200, &detail);
    conforms(&doc, "GET", "/v1/leaderboards/connect-four", 200, &lb);
    assert_eq!(log[6]["action"], json!({"column": 0}));
    let (s, _) = http(addr, "GET", "/v1/matches/999", None, None).await;
    assert_eq!(s, 404);

    // `hearth replay` re-runs it with the rules (the server is still running: WAL readers).
    let out = Command::new(crate::common::hearth_bin())
        .args(["replay", &id.to_string(), "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recorded = m["hash"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("final hash {recorded} (recorded {recorded})")),
        "{stdout}"
    );
    let out = Command::new(crate::common::hearth_bin())
        .args(["replay", "4242", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no match 4242"));
    host.shutdown().await;
}

#[tokio::test]
async fn a_game_against_a_bot_is_recorded_but_not_rated() {
    let host = memory_host().await;
    let addr = host.addr();
    let (ta, ada) = device_login(addr, "device-solo-0001", "Ada").await;
    let mut a = Client::with_token(&host.ws_url(), &ta).await;
    a.create("Versus bot", "connect-four", json!({"first_seat": 0}))
        .await;
    a.ok(Request::AddBot { level: 1 }).await;
    a.ok(Request::Ready { ready: true }).await;
    a.ok(Request::Start).await;
    // The bot answers each move at once; full columns are refused and the next one tried.
    let over = |list: &serde_json::Value| list["matches"][0]["status"] == "over";
    let mut list = json!(null);
    for k in 0..60 {
        let _ = a
            .call(Request::Action {
                action: json!({"column": k % 7}),
                tick: None,
            })
            .await;
        list = http(
            addr,
            "GET",
            &format!("/v1/matches?account={ada}"),
            None,
            None,
        )
        .await
        .1;
        if over(&list) {
            break;
        }
    }
    assert!(over(&list), "the game against the bot ended: {list}");
    assert!(list["matches"][0]["outcome"]["winners"].is_array());
    let (_, lb) = http(addr, "GET", "/v1/leaderboards/connect-four", None, None).await;
    assert_eq!(
        lb["standings"],
        json!([]),
        "a game with a bot moves no rating"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let host = memory_host().await;
    // Each at another username, so only the per-address limit applies.
    let mut statuses = Vec::new();
    for i in 0..12 {
        let wrong = json!({"username": format!("nobody{i}"), "password": "wrong horse"});
        statuses.push(
            http(
                host.addr(),
                "POST",
                "/v1/auth/login",
                None,
                Some(&wrong.to_string()),
            )
            .await
            .0,
        );
    }
    let wrong = json!({"username": "nobody", "password": "wrong horse"}).to_string();
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(statuses[11], 429);
    // Minting guest accounts is limited the same way (a separate budget).
    let mut statuses = Vec::new();
    for i in 0..12 {
        let body =
            json!({"device_id": format!("device-flood-{i:04}"), "display_name": "F"}).to_string();
        statuses.push(
            http(host.addr(), "POST", "/v1/auth/device", None, Some(&body))
                .await
                .0,
        );
    }
    assert_eq!(&statuses[..10], &[200; 10]);
    assert_eq!(statuses[11], 429);
    // A 429 says when to come back (at the default 10 a minute: within 6 s).
    let head = raw_head(host.addr(), "POST", "/v1/auth/login", &wrong).await;
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    let wait: u64 = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("retry-after")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("a Retry-After header: {head}"));
    assert!((1..=6).contains(&wait), "{head}");
    host.shutdown().await;
}

#[tokio::test]
async fn guessing_one_accounts_password_from_many_addresses_is_slowed_not_locked() {
    // No per-address limit here: what slows the guessing is the account's own.
    let host = official_on(HostConfig {
        limits: Limits::unthrottled(),
        ..loopback()
    })
    .await;
    let addr = host.addr();
    let creds = |p: &str| json!({"username": "victim", "password": p}).to_string();
    let auth = async |from: Option<std::net::IpAddr>, path: &str, password: &str| {
        http_from(from, addr, "POST", path, None, Some(&creds(password))).await
    };
    assert_eq!(
        auth(None, "/v1/auth/register", "right password").await.0,
        201
    );
    // The owner has signed in from 127.0.0.1 before.
    assert_eq!(auth(None, "/v1/auth/login", "right password").await.0, 200);
    // 100 guesses from 10 other addresses: after the first few, each waits its turn.
    let mut answered = 0;
    let mut waits = Vec::new();
    for i in 0..100u8 {
        let from = std::net::IpAddr::from([127, 0, 0, 2 + i % 10]);
        let (s, e) = auth(Some(from), "/v1/auth/login", &format!("guess number {i}")).await;
        match s {
            401 => answered += 1,
            429 => {
                assert_eq!(e["code"], codes::RATE_LIMITED, "{e}");
                waits.push(e["message"].as_str().unwrap_or_default().to_string());
            }
            other => panic!("{other}: {e}"),
        }
    }
    assert!(answered < 10, "{answered} of 100 guesses were checked");
    assert!(
        waits.iter().all(|m| m.contains("this account")),
        "{waits:?}"
    );
    // A stranger with the right password waits too (and learns nothing from it); the
    // owner's own address is not locked out.
    let stranger = std::net::IpAddr::from([127, 0, 0, 50]);
    let (s, _) = auth(Some(stranger), "/v1/auth/login", "right password").await;
    assert_eq!(s, 429);
    let head = raw_head(addr, "POST", "/v1/auth/login", &creds("wrong again")).await;
    assert!(
        head.starts_with("HTTP/1.1 401"),
        "the owner's address is still answered: {head}"
    );
    let (s, _) = auth(None, "/v1/auth/login", "right password").await;
    assert_eq!(s, 200, "the owner signs in during the attack");
    // Every 429 says when to come back.
    let head = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((stranger, 0).into()).unwrap();
        let mut s = socket.connect(addr).await.unwrap();
        let body = creds("one more guess");
        let req = format!(
            "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(WAIT, s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    };
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: "),
        "{head}"
    );
    host.shutdown().await;
}

/// Checks that `status` and `body` are what the OpenAPI document `doc` declares for
/// `method path` (a concrete path, matched against the templates).
fn conforms(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let (template, ops) = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(t, _)| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segments.len()
                && ts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .unwrap_or_else(|| panic!("{path} is not documented"));
    let op = &ops[method.to_lowercase()];
    let response = &op["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {template} answered {status}, which the document does not declare: {body}"
    );
    let schema = &response["content"]["application/json"]["schema"];
    if let Err(why) = matches_schema(doc, schema, body) {
        panic!("{method} {path} {status}: {why}\n{body}");
    }
}

/// A small JSON Schema check: `$ref`, `type` (with null), `enum`, `required`, `properties`
/// and `items` — what the document uses.
fn matches_schema(doc: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return matches_schema(doc, &doc["components"]["schemas"][name], value);
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        return Err(format!("{value} is not one of {options:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types.is_empty() && !types.contains(&kind) {
        return Err(format!("{value} is {kind}, not {types:?}"));
    }
    if let Some(required) = schema["required"].as_array() {
        for key in required.iter().filter_map(Value::as_str) {
            if value.get(key).is_none() {
                return Err(format!("`{key}` is missing"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (schema["properties"].as_object(), value.as_object()) {
        for (key, sub) in props {
            if let Some(v) = obj.get(key) {
                matches_schema(doc, sub, v).map_err(|e| format!("{key}: {e}"))?;
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for v in list {
            matches_schema(doc, items, v)?;
        }
    }
    Ok(())
}

/// The status line and headers of a request's answer.
async fn raw_head(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("sends");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    text.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn every_endpoint_answers_every_role_as_documented() {
    let (host, admin) = host_with_admin().await;
    let addr = host.addr();
    let login = |u: &str, p: &str| json!({"username": u, "password": p}).to_string();
    let (guest, _) = device_login(addr, "device-guest-001", "Guest").await;
    let (_, body) = http(
        addr,
        "POST",
        "/v1/auth/register",
        None,
        Some(&login("player1", "player password")),
    )
    .await;
    let player = body["token"].as_str().unwrap().to_string();
    let (_, body) = http(
        addr,
        "POST",
        "/v1/auth/register",
        None,
        Some(&login("villain", "villain password")),
    )
    .await;
    let banned = body["token"].as_str().unwrap().to_string();
    let villain = body["account"]["id"].as_u64().unwrap();
    assert_eq!(ban(addr, &admin, villain).await, 200);
    let (s, e) = http(
        addr,
        "POST",
        "/v1/auth/login",
        None,
        Some(&login("villain", "villain password")),
    )
    .await;
    assert_eq!((s, e["code"].as_str()), (403, Some("banned")));

    // A live room to look at.
    let mut a = Client::with_token(&host.ws_url(), &guest).await;
    a.create("Matrix", "connect-four", Value::Null).await;
    let target = a.player;

    let roles: [(&str, Option<&str>); 5] = [
        ("anonymous", None),
        ("guest", Some(&guest)),
        ("player", Some(&player)),
        ("admin", Some(&admin)),
        ("banned", Some(&banned)),
    ];
    // Expected status per role, in the order above.
    let public = [200; 5];
    let account = [401, 200, 200, 200, 401];
    let admin_only = [401, 403, 403, 200, 401];
    let endpoints: Vec<(&str, String, Option<String>, [u16; 5])> = vec![
        ("GET", "/v1/games".into(), None, public),
        ("GET", "/v1/openapi.json".into(), None, public),
        ("GET", "/v1/leaderboards/tanks".into(), None, public),
        ("GET", "/v1/matches".into(), None, public),
        ("GET", "/v1/me".into(), None, account),
        ("GET", "/v1/admin/rooms".into(), None, admin_only),
        ("GET", "/v1/admin/online".into(), None, admin_only),
        ("GET", "/v1/admin/users?q=".into(), None, admin_only),
        (
            "POST",
            format!("/v1/admin/users/{villain}/promote"),
            None,
            admin_only,
        ),
        (
            "POST",
            format!("/v1/admin/users/{villain}/demote"),
            None,
            admin_only,
        ),
        (
            "POST",
            "/v1/admin/rooms/Nowhere/close".into(),
            None,
            [401, 403, 403, 404, 401],
        ),
        (
            "POST",
            "/v1/admin/rooms/Matrix/kick".into(),
            Some(json!({"player": 1}).to_string()),
            [401, 403, 403, 404, 401],
        ),
    ];
    // Every answer is one the OpenAPI document declares, in the shape it declares.
    let (_, doc) = http(addr, "GET", "/v1/openapi.json", None, None).await;
    for (method, path, body, expected) in &endpoints {
        for ((role, token), want) in roles.iter().zip(expected) {
            let (got, answer) = http(addr, method, path, *token, body.as_deref()).await;
            assert_eq!(got, *want, "{role} {method} {path}: {answer}");
            if got >= 400 {
                assert!(
                    answer["code"].is_string() && answer["message"].is_string(),
                    "{answer}"
                );
            }
            conforms(&doc, method, path, got, &answer);
        }
    }
    // The OpenAPI document lists exactly the endpoints that exist.
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|ops| ops.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, hearth_server::official::api::ENDPOINTS.len());
    // (A token of its own: the walk includes logout.)
    let (_, body) = http(
        addr,
        "POST",
        "/v1/auth/login",
        None,
        Some(&login("root", "admin password")),
    )
    .await;
    let walker = body["token"].as_str().unwrap().to_string();
    for e in hearth_server::official::api::ENDPOINTS {
        let path = e
            .path
            .replace("{game}", "tanks")
            .replace("{id}", "1")
            .replace("{room}", "Nowhere");
        let (s, answer) = http(addr, &e.method.to_uppercase(), &path, Some(&walker), e.body).await;
        conforms(&doc, e.method, &path, s, &answer);
        assert!(
            s != 405 && !(s == 404 && e.auth == "public" && !path.contains("/matches/")),
            "{} {path} → {s}",
            e.method
        );
    }

    // Admin actions: kick from a room, close it; the members are told.
    let rooms = http(addr, "GET", "/v1/admin/rooms", Some(&admin), None)
        .await
        .1;
    assert_eq!(rooms["rooms"][0]["room"]["name"], "Matrix", "{rooms}");
    assert_eq!(rooms["rooms"][0]["members"][0]["player"], target);
    let (s, _) = http(
        addr,
        "POST",
        "/v1/admin/rooms/matrix/close",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let e = a.expect_where("error", |e| e["id"].is_null()).await;
    assert_eq!(e["error"]["code"], codes::ROOM_CLOSED);
    assert_eq!(a.expect("left").await["reason"], "room_closed");
    // A banned account's socket is refused too.
    let mut villain_socket = Client::connect(&host, false).await;
    let e = villain_socket
        .call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "x".into(),
            token: Some(banned.clone()),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, codes::UNAUTHORIZED);
    host.shutdown().await;
}

#[tokio::test]
async fn one_account_cannot_take_another_accounts_seat() {
    let host = memory_host().await;
    let (ta, _) = device_login(host.addr(), "device-own-0001", "Ada").await;
    let (tb, _) = device_login(host.addr(), "device-own-0002", "Bob").await;
    let (tm, _) = device_login(host.addr(), "device-own-0003", "Mal").await;
    let mut a = Client::with_token(&host.ws_url(), &ta).await;
    let mut b = Client::with_token(&host.ws_url(), &tb).await;
    a.create("Mine", "connect-four", json!({"first_seat": 0}))
        .await;
    b.join("Mine", JoinAs::Player).await.unwrap();
    a.ok(Request::Ready { ready: true }).await;
    b.ok(Request::Ready { ready: true }).await;
    a.ok(Request::Start).await;
    let stolen = a.expect("started").await["resume"]
        .as_str()
        .unwrap()
        .to_string();
    // Mallory holds Ada's resume token (say it leaked): her account still cannot use it.
    let mut m = Client::with_token(&host.ws_url(), &tm).await;
    assert_code(
        m.call(Request::Resume {
            token: stolen.clone(),
            next: 0,
        })
        .await,
        codes::BAD_RESUME,
    );
    assert_code(m.join("Mine", JoinAs::Player).await, codes::ALREADY_STARTED);
    // Ada herself may, from a new connection.
    let mut a2 = Client::with_token(&host.ws_url(), &ta).await;
    a2.call(Request::Resume {
        token: stolen,
        next: 0,
    })
    .await
    .unwrap();
    a2.call(Request::Action {
        action: json!({"column": 3}),
        tick: None,
    })
    .await
    .unwrap();
    host.shutdown().await;
}

#[test]
fn storage_refuses_files_that_are_not_its_own() {
    let dir = scratch("refuse");
    let junk = dir.join("junk.db");
    std::fs::write(&junk, vec![0x5a; 4096]).unwrap();
    let e = SqliteStore::open(&junk).err().expect("junk refused");
    assert!(matches!(e, StoreError::NotHearth { .. }), "{e}");
    assert!(e.to_string().contains("not a Hearth database"), "{e}");
    assert_eq!(
        std::fs::read(&junk).unwrap(),
        vec![0x5a; 4096],
        "nothing written"
    );

    let foreign = dir.join("foreign.db");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let e = SqliteStore::open(&foreign).err().expect("foreign refused");
    assert!(e.to_string().contains("another program"), "{e}");

    let newer = dir.join("newer.db");
    drop(SqliteStore::open(&newer).unwrap());
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let e = SqliteStore::open(&newer).err().expect("newer refused");
    assert!(matches!(e, StoreError::NewerSchema { .. }), "{e}");
    assert!(e.to_string().contains("run a newer hearth"), "{e}");

    // The CLI says so and exits non-zero.
    let out = Command::new(crate::common::hearth_bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--db"])
        .arg(&junk)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a Hearth database"), "{err}");

    // A fresh file is migrated to the current version and reopens.
    let fresh = dir.join("sub/dir/fresh.db");
    drop(SqliteStore::open(&fresh).unwrap());
    drop(SqliteStore::open(&fresh).unwrap());
}

#[test]
fn create_user_reads_the_password_from_stdin() {
    use std::io::Write;
    let dir = scratch("cli-user");
    let db = dir.join("u.db");
    let mut child = Command::new(crate::common::hearth_bin())
        .args(["admin", "create-user", "boss", "--admin", "--db"])
        .arg(&db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"boss password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin `boss`"));
    let store = SqliteStore::open(&db).unwrap();
    let (account, hash) = store.user_by_name("boss").unwrap().unwrap();
    assert_eq!(account.role, Role::Admin);
    assert!(accounts::verify_password("boss password", &hash.unwrap()));
    // Too short a password, or a taken name: a clear error and a failing exit code.
    for (name, pw, says) in [
        ("boss2", "short\n", "8 to 128"),
        ("boss", "long enough pw\n", "taken"),
    ] {
        let mut child = Command::new(crate::common::hearth_bin())
            .args(["admin", "create-user", name, "--db"])
            .arg(&db)
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(pw.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn hostile_strings_are_data_and_stale_guests_are_cleaned_up() {
    let store = SqliteStore::memory().unwrap();
    let t0 = 1_000_000;
    // Every query binds its parameters: quotes and SQL in names are just text.
    let evil = "Bob'); DROP TABLE accounts;--";
    let a = store.device_account("device-evil-0001", evil, t0).unwrap();
    assert_eq!(a.display_name, evil);
    assert_eq!(store.search_accounts("'); DROP", 10).unwrap().len(), 1);
    assert!(
        store
            .search_accounts("%' OR '1'='1", 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        store.search_accounts("_", 10).unwrap().is_empty(),
        "LIKE wildcards are escaped"
    );
    assert!(store.user_by_name("' OR 1=1 --").unwrap().is_none());
    assert!(
        store.account(a.id).unwrap().is_some(),
        "the table is still there"
    );

    // A guest who never played and was not seen for the stale period goes; others stay.
    let played = store
        .device_account("device-played-01", "Player", t0)
        .unwrap();
    let fresh = store
        .device_account("device-fresh-001", "Fresh", t0 + 1000)
        .unwrap();
    let hash = accounts::hash_password("long enough pw").unwrap();
    let member = store
        .create_user("member", "Member", &hash, Role::Player, t0)
        .unwrap();
    let start = hearth_server::MatchStart {
        room: "r".into(),
        game: "connect-four".into(),
        fingerprint: hearth_games::catalog()
            .get("connect-four")
            .unwrap()
            .fingerprint
            .clone(),
        seats: 2,
        seed: 1,
        config: hearth_rules::Payload::Postcard(vec![]),
        players: vec![(played.id, "Player".into()), (member.id, "Member".into())],
    };
    store.match_started(&start, t0).unwrap();
    let removed = store.delete_stale_guests(t0 + 500).unwrap();
    assert_eq!(removed, 1, "only the evil guest: unseen, never played");
    assert!(store.account(a.id).unwrap().is_none());
    for kept in [played.id, fresh.id, member.id] {
        assert!(store.account(kept).unwrap().is_some());
    }
}

/// Group commit: appends of several matches go into the log in one transaction, each in
/// order, and every match's tick count follows; an empty batch changes nothing.
#[test]
fn several_matches_append_their_logs_in_one_commit() {
    use hearth_rules::{DynLogEntry, Payload, Seat};
    let store = SqliteStore::memory().unwrap();
    let fingerprint = hearth_games::catalog()
        .get("connect-four")
        .unwrap()
        .fingerprint
        .clone();
    let start = |room: &str| hearth_server::MatchStart {
        room: room.into(),
        game: "connect-four".into(),
        fingerprint: fingerprint.clone(),
        seats: 2,
        seed: 1,
        config: Payload::Postcard(vec![]),
        players: vec![],
    };
    let a = store.match_started(&start("a"), 0).unwrap();
    let b = store.match_started(&start("b"), 0).unwrap();
    let entry = |index: u64, column: u8| DynLogEntry {
        index,
        tick: 0,
        seat: Seat((index % 2) as u8),
        action: Payload::Postcard(vec![column]),
    };
    let (a_log, b_log) = ([entry(0, 3), entry(1, 4)], [entry(0, 6)]);
    let append = |match_id, entries, hash| LogAppend {
        match_id,
        entries,
        ticks: 0,
        hash,
    };
    store
        .append_logs(&[
            append(a, &a_log[..1], 1),
            append(b, &b_log, 2),
            append(a, &a_log[1..], 3),
        ])
        .unwrap();
    store.append_logs(&[]).unwrap();
    assert_eq!(store.match_log(a).unwrap(), a_log.to_vec());
    assert_eq!(store.match_log(b).unwrap(), b_log.to_vec());
    // Each match keeps the hash of its last append in the batch.
    let hash_of = |id| store.get_match(id).unwrap().unwrap().log_hash;
    assert_eq!(hash_of(a).as_deref(), Some("0000000000000003"));
    assert_eq!(hash_of(b).as_deref(), Some("0000000000000002"));
}

/// Every append keeps the state hash the room had after it: a match rebuilt from its log
/// (crash recovery, a cluster's takeover, `hearth replay`) reaches it, and a log that does not
/// replay to it is refused with both hashes named, not restored as if nothing were wrong.
#[test]
fn a_match_rebuilt_from_its_log_is_checked_against_the_stored_hash() {
    use hearth_rules::{Encoding, Payload, Seat};
    use hearth_server::official::store::RebuildError;
    let store = SqliteStore::memory().unwrap();
    let catalog = hearth_games::catalog();
    let mut game = catalog
        .create("connect-four", &Payload::Json(Value::Null), 2, 7)
        .unwrap();
    let header = game.header(Encoding::Postcard);
    let start = hearth_server::MatchStart {
        room: "checked".into(),
        game: "connect-four".into(),
        fingerprint: catalog.get("connect-four").unwrap().fingerprint.clone(),
        seats: 2,
        seed: header.seed,
        config: header.config,
        players: vec![(1, "Ada".into()), (2, "Bob".into())],
    };
    let id = store.match_started(&start, 0).unwrap();
    // Three moves, each appended with the hash after it, as a room does.
    for (i, column) in [3, 4, 3].into_iter().enumerate() {
        game.apply(
            Seat((i % 2) as u8),
            &Payload::Json(json!({ "column": column })),
        )
        .unwrap();
        let entries = game.log(i as u64, Encoding::Postcard);
        store
            .append_log(LogAppend {
                match_id: id,
                entries: &entries,
                ticks: game.tick_count(),
                hash: game.hash(),
            })
            .unwrap();
    }
    let stored = store.get_match(id).unwrap().unwrap();
    assert_eq!(
        stored.log_hash,
        Some(hearth_rules::hash_hex(game.hash())),
        "the hash after the last append is kept"
    );
    let log = store.match_log(id).unwrap();
    let rebuilt = stored.rebuild(&catalog, &log).unwrap();
    assert_eq!(rebuilt.hash(), game.hash());

    // A log missing its last entry (or rules that differ) does not reach the stored hash.
    let err = stored.rebuild(&catalog, &log[..2]).map(|_| ()).unwrap_err();
    let RebuildError::HashMismatch {
        id: which,
        stored: want,
        rebuilt: got,
    } = &err
    else {
        panic!("expected a hash mismatch, got {err}");
    };
    assert_eq!(*which, id);
    assert_eq!(want, stored.log_hash.as_ref().unwrap());
    assert_ne!(got, want);
    assert!(
        err.to_string()
            .contains("the log or the rules are not what was played")
    );
}

/// Group commit of sign-ins: a batch signs every device in at once; the same device twice
/// gets one account and two working tokens, and a banned account gets no token.
#[test]
fn device_sign_ins_commit_together_and_a_banned_account_gets_no_token() {
    use hearth_server::official::store::DeviceSignIn;
    let store = SqliteStore::memory().unwrap();
    let banned = store.device_account("device-banned-1", "Bo", 0).unwrap();
    store.set_banned(banned.id, true).unwrap();
    let sign_in = |device: &str, token: &str| DeviceSignIn {
        device_id: device.into(),
        display_name: "Al".into(),
        token_hash: accounts::token_hash(token),
        expires_at: 1_000,
    };
    let accounts = store
        .device_sign_ins(
            &[
                sign_in("device-aaaa-1111", "hth_a1"),
                sign_in("device-banned-1", "hth_b1"),
                sign_in("device-aaaa-1111", "hth_a2"),
            ],
            10,
        )
        .unwrap();
    assert_eq!(accounts.len(), 3);
    assert_eq!(accounts[0].id, accounts[2].id, "one device, one account");
    assert_eq!((accounts[1].id, accounts[1].banned), (banned.id, true));
    for token in ["hth_a1", "hth_a2"] {
        let owner = store
            .token_account(&accounts::token_hash(token), 10)
            .unwrap()
            .map(|a| a.id);
        assert_eq!(owner, Some(accounts[0].id), "{token}");
    }
    assert_eq!(
        store
            .token_account(&accounts::token_hash("hth_b1"), 10)
            .unwrap(),
        None
    );
}

/// Many devices signing in at once (they share commits on the server) each get their own
/// working token; a device signing in twice keeps its account.
#[tokio::test]
async fn a_burst_of_device_sign_ins_all_get_working_tokens() {
    let host = official_on(HostConfig {
        limits: Limits::unthrottled(),
        ..loopback()
    })
    .await;
    let addr = host.addr();
    let sign_ins = (0..48).map(|i| async move {
        let body = json!({"device_id": format!("burst-device-{:04}", i % 24), "display_name": "B"})
            .to_string();
        let (s, v) = http(addr, "POST", "/v1/auth/device", None, Some(&body)).await;
        assert_eq!(s, 200, "{v}");
        (i % 24, v)
    });
    let answers = futures_util::future::join_all(sign_ins).await;
    let mut ids = std::collections::BTreeMap::new();
    for (device, v) in answers {
        let token = v["token"].as_str().unwrap().to_string();
        let (s, me) = http(addr, "GET", "/v1/me", Some(&token), None).await;
        assert_eq!(s, 200, "{me}");
        assert_eq!(me["account"]["id"], v["account"]["id"]);
        let id = ids
            .entry(device)
            .or_insert_with(|| me["account"]["id"].clone());
        assert_eq!(*id, me["account"]["id"], "device {device} has one account");
    }
    assert_eq!(ids.len(), 24);
    host.shutdown().await;
}

/// A running match of a game that hides information shows neither its seed nor its log over
/// the public REST API until it is over (the seed alone replays the hidden draws: the secret
/// word, the chameleon); a perfect-information game's running match shows both.
#[tokio::test]
async fn a_running_hidden_match_keeps_its_seed_and_log_until_it_is_over() {
    let store = Arc::new(SqliteStore::memory().unwrap());
    let catalog = hearth_games::catalog();
    let start = |game: &str, seats: u8, room: &str| {
        let meta = catalog.get(game).unwrap();
        let config = catalog
            .create(game, &hearth_rules::Payload::Json(Value::Null), seats, 1)
            .unwrap()
            .header(hearth_rules::Encoding::Postcard)
            .config;
        hearth_server::MatchStart {
            room: room.into(),
            game: game.into(),
            fingerprint: meta.fingerprint.clone(),
            seats,
            seed: 987_654_321,
            config,
            players: (0..seats)
                .map(|s| (u64::from(s) + 1, format!("P{s}")))
                .collect(),
        }
    };
    let hidden = store
        .match_started(&start("chameleon", 3, "secret"), 1)
        .unwrap();
    let open = store
        .match_started(&start("connect-four", 2, "open"), 1)
        .unwrap();
    let host = official(store).await;
    let (s, detail) = http(
        host.addr(),
        "GET",
        &format!("/v1/matches/{hidden}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(detail["match"]["status"], "running", "{detail}");
    assert_eq!(detail["match"]["seed"], Value::Null, "{detail}");
    assert_eq!(detail["log"], json!([]), "{detail}");
    let (_, doc) = http(host.addr(), "GET", "/v1/openapi.json", None, None).await;
    conforms(&doc, "GET", "/v1/matches/1", 200, &detail);
    let (_, list) = http(host.addr(), "GET", "/v1/matches", None, None).await;
    conforms(&doc, "GET", "/v1/matches", 200, &list);
    let listed: Vec<&Value> = list["matches"].as_array().unwrap().iter().collect();
    let seed_of = |id: u64| {
        listed
            .iter()
            .find(|m| m["id"] == id)
            .map(|m| m["seed"].clone())
            .unwrap_or_else(|| panic!("match {id} listed: {list}"))
    };
    assert_eq!(seed_of(hidden), Value::Null);
    assert_eq!(
        seed_of(open),
        json!(987_654_321u64),
        "perfect information shows its seed"
    );
    host.shutdown().await;
}

/// The `closing` push a connection got before the host let it go.
async fn closing_reason(client: &mut Client) -> Value {
    let seen = tokio::time::timeout(WAIT, client.until_closed())
        .await
        .expect("the host closes the socket");
    seen.into_iter()
        .map(|g| g.json)
        .find(|j| j.get("closing").is_some())
        .map(|j| j["closing"].clone())
        .unwrap_or_else(|| panic!("no closing push before the socket closed"))
}

#[tokio::test]
async fn a_ban_or_a_sign_out_closes_the_open_sockets_it_concerns() {
    let (host, admin) = host_with_admin().await;
    let addr = host.addr();
    let (tv, villain) = device_login(addr, "device-ban-0001", "Vil").await;
    let (tv2, _) = device_login(addr, "device-ban-0001", "Vil").await;
    let (tb, _) = device_login(addr, "device-ban-0002", "Bob").await;
    let (tc, _) = device_login(addr, "device-ban-0003", "Cy").await;
    let mut v = Client::with_token(&host.ws_url(), &tv).await;
    let mut v2 = Client::with_token(&host.ws_url(), &tv2).await;
    let mut b = Client::with_token(&host.ws_url(), &tb).await;
    v.create("Banned", "connect-four", json!({"first_seat": 0}))
        .await;
    b.join("Banned", JoinAs::Player).await.unwrap();
    v.ok(Request::Ready { ready: true }).await;
    b.ok(Request::Ready { ready: true }).await;
    v.ok(Request::Start).await;
    v.expect("started").await;
    b.expect("started").await;

    // The ban closes both of the villain's sockets (two tokens) with the reason; nothing
    // the banned account does reaches the room any more.
    assert_eq!(ban(addr, &admin, villain).await, 200);
    for client in [&mut v, &mut v2] {
        let closing = closing_reason(client).await;
        assert_eq!(closing["code"], codes::BANNED, "{closing}");
    }
    let inspect = host.inspect("Banned").await.expect("the room is there");
    assert!(
        inspect
            .members
            .iter()
            .all(|m| m.player != villain || !m.connected),
        "{:?}",
        inspect.members
    );
    // Bob is untouched.
    b.call(Request::Ping).await.expect("Bob still plays");

    // Signing a token out closes the sockets that used it, not the account's others.
    let (tc2, _) = device_login(addr, "device-ban-0003", "Cy").await;
    let mut c = Client::with_token(&host.ws_url(), &tc).await;
    let mut c2 = Client::with_token(&host.ws_url(), &tc2).await;
    let (s, _) = http(addr, "POST", "/v1/auth/logout", Some(&tc), None).await;
    assert_eq!(s, 200);
    let closing = closing_reason(&mut c).await;
    assert_eq!(closing["code"], codes::SIGNED_OUT, "{closing}");
    c2.call(Request::Ping)
        .await
        .expect("the other token still works");
    host.shutdown().await;
}

#[tokio::test]
async fn every_rest_error_is_json_even_the_ones_the_router_writes() {
    let web = scratch("json-errors-web");
    std::fs::write(web.join("index.html"), "<p>hi</p>").unwrap();
    let host = official_on(HostConfig {
        web_root: Some(web.clone()),
        ..loopback()
    })
    .await;
    let addr = host.addr();
    let cases: [(&str, &str, Option<&str>, u16, &str); 7] = [
        // Unknown endpoint, even with a web folder behind it.
        ("GET", "/v1/nothing/here", None, 404, "not_found"),
        ("GET", "/v1", None, 404, "not_found"),
        // A known endpoint with the wrong method.
        ("DELETE", "/v1/me", None, 405, "method_not_allowed"),
        // Malformed path and query parameters.
        ("GET", "/v1/matches/not-a-number", None, 400, "bad_request"),
        ("GET", "/v1/matches?limit=lots", None, 400, "bad_request"),
        // Malformed and mistyped bodies.
        (
            "POST",
            "/v1/auth/login",
            Some("{not json"),
            400,
            "bad_request",
        ),
        (
            "POST",
            "/v1/auth/login",
            Some(r#"{"username":1}"#),
            422,
            "bad_request",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let (s, e) = http(addr, method, path, None, body).await;
        assert_eq!(s, status, "{method} {path}: {e}");
        assert_eq!(e["code"], code, "{method} {path}: {e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    }
    // The page's question "are you a LAN host?" gets an empty answer, not an error.
    let (s, body) = http(addr, "GET", "/v1/lan", None, None).await;
    assert_eq!(s, 204, "{body}");
    // The web folder still answers outside /v1.
    let (s, page) = http(addr, "GET", "/", None, None).await;
    assert_eq!((s, page.as_str()), (200, Some("<p>hi</p>")));
    host.shutdown().await;
    let _ = std::fs::remove_dir_all(&web);
}

#[tokio::test]
async fn display_names_are_normalised_and_deceptive_ones_refused() {
    let host = memory_host().await;
    let addr = host.addr();
    // Decomposed "é" comes back composed (NFC), so two spellings are one name.
    let (token, _) = device_login(addr, "device-nfc-0001", "Ame\u{301}lie").await;
    let (s, me) = http(addr, "GET", "/v1/me", Some(&token), None).await;
    assert_eq!(s, 200);
    assert_eq!(me["account"]["display_name"], "Am\u{e9}lie", "{me}");
    for bad in [
        "ad\u{202E}nimda",
        "\u{200B}\u{200B}",
        "\u{3164}",
        "\u{2066}x\u{2069}",
    ] {
        let body = json!({"device_id": "device-nfc-0002", "display_name": bad}).to_string();
        let (s, e) = http(addr, "POST", "/v1/auth/device", None, Some(&body)).await;
        assert_eq!((s, e["code"].as_str()), (400, Some("invalid_name")), "{e}");
    }
    // The socket's claimed name (on a host without accounts) gets the same check.
    let lan = host_with(hearth_server::Limits::default()).await;
    let mut c = Client::connect(&lan, false).await;
    let refused = c
        .call_hello(Hello {
            protocol: PROTOCOL_VERSION,
            fingerprints: vec![],
            name: "\u{202E}evil".into(),
            token: None,
        })
        .await;
    assert_code(refused, codes::INVALID_NAME);
    host.shutdown().await;
    lan.shutdown().await;
}

/// Found while teaching the fault simulator to restart several rooms: a room closed (its
/// store refused a write), the process died before the match's end was committed, and the
/// room's players made the room again. A restart found two unfinished matches in one room: it
/// restored the older (the dead one) and marked the live one abandoned. Now the newest match
/// of a room is restored and the older ones are marked abandoned.
#[tokio::test]
async fn a_restart_restores_the_newest_unfinished_match_of_a_room() {
    let store = Arc::new(SqliteStore::memory().unwrap());
    let catalog = hearth_games::catalog();
    let config = catalog
        .create(
            "connect-four",
            &hearth_rules::Payload::Json(Value::Null),
            2,
            1,
        )
        .unwrap()
        .header(hearth_rules::Encoding::Postcard)
        .config;
    let start_in = |seed: u64| hearth_server::MatchStart {
        room: "Table".into(),
        game: "connect-four".into(),
        fingerprint: catalog.get("connect-four").unwrap().fingerprint.clone(),
        seats: 2,
        seed,
        config: config.clone(),
        players: vec![(1, "P1".into()), (2, "P2".into())],
    };
    let dead = store.match_started(&start_in(1), 1).unwrap();
    let live = store.match_started(&start_in(2), 2).unwrap();
    let _host = official(store.clone()).await;
    let status = |id: u64| store.get_match(id).unwrap().unwrap().status;
    assert_eq!(status(dead), "abandoned");
    assert_eq!(status(live), "running");
}

/// A token carries the microsecond it was issued, and its stored key starts with it, so the
/// tokens' index grows at its end; a token issued before that (hash only) still signs in,
/// and one shaped like a new token but never issued does not.
#[test]
fn tokens_old_and_new_sign_in_and_new_ones_are_stored_in_issue_order() {
    let dir = scratch("token-order");
    let store = SqliteStore::open(&dir.join("t.db")).unwrap();
    let account = store.device_account("device-order-01", "Ord", 0).unwrap();
    let now = accounts::now();
    let old = "hth_8f1b2c3d4e5f60718293a4b5c6d7e8f9";
    let (first, first_key) = accounts::new_token().unwrap();
    // Issue times are in microseconds: two tokens in the same one sort by their hashes.
    std::thread::sleep(std::time::Duration::from_millis(2));
    let (second, second_key) = accounts::new_token().unwrap();
    assert!(
        first.starts_with("hth_") && first.len() == 4 + 48,
        "{first}"
    );
    assert!(first_key < second_key, "a later token's key sorts after");
    assert_eq!(
        accounts::token_hash(old).len(),
        32,
        "an old token: the hash alone"
    );
    for token in [old, first.as_str(), second.as_str()] {
        store
            .add_token(&accounts::token_hash(token), account.id, now + 60, now)
            .unwrap();
        let found = accounts::account_for_token(&store, token)
            .ok()
            .map(|a| a.id);
        assert_eq!(found, Some(account.id), "{token}");
    }
    let forged = format!("{}{}", &second[..20], "0".repeat(32));
    assert!(accounts::account_for_token(&store, &forged).is_err());
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// On disk the WAL is copied into the database file by a thread of the store's own, not
/// inside a commit: after a burst of writes the file catches up without another commit,
/// the log does not grow past its bound, and every entry is there when the file is opened
/// again.
#[test]
fn a_busy_file_is_checkpointed_beside_its_writer_and_keeps_every_entry() {
    use hearth_rules::{DynLogEntry, Payload, Seat};
    let dir = scratch("checkpoints");
    let db = dir.join("c.db");
    let store = SqliteStore::open(&db).unwrap();
    let fingerprint = hearth_games::catalog()
        .get("connect-four")
        .unwrap()
        .fingerprint
        .clone();
    let id = store
        .match_started(
            &hearth_server::MatchStart {
                room: "busy".into(),
                game: "connect-four".into(),
                fingerprint,
                seats: 2,
                seed: 1,
                config: Payload::Postcard(vec![]),
                players: vec![],
            },
            0,
        )
        .unwrap();
    // 6,000 pages of 4 KiB: past the 4,000 at which the checkpointer is asked to copy.
    let (blob, per_commit, commits) = (64 * 1024, 6, 64);
    let mut index = 0;
    for commit in 0..commits {
        let entries: Vec<DynLogEntry> = (0..per_commit)
            .map(|i| {
                index += 1;
                DynLogEntry {
                    index: index - 1,
                    tick: commit,
                    seat: Seat(0),
                    action: Payload::Postcard(vec![(i % 251) as u8; blob]),
                }
            })
            .collect();
        store
            .append_logs(&[LogAppend {
                match_id: id,
                entries: &entries,
                ticks: commit,
                hash: commit,
            }])
            .unwrap();
    }
    let written = (blob * per_commit) as u64 * commits;
    let size = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let caught_up = (0..300).any(|_| {
        if size(&db) >= written / 2 {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        false
    });
    assert!(
        caught_up,
        "the database file holds {} of {written} bytes written",
        size(&db)
    );
    let wal = size(&db.with_extension("db-wal"));
    assert!(wal < 16_000 * 4096, "the WAL grew to {wal} bytes");
    drop(store);
    let store = SqliteStore::open(&db).unwrap();
    let log = store.match_log(id).unwrap();
    assert_eq!(log.len() as u64, index);
    assert!(log.iter().all(|e| e.action.to_bytes().len() == blob));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
