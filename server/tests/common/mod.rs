//! A small WebSocket test client speaking the Hearth protocol in either encoding.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hearth_rules::protocol::{
    ClientMsg, Hello, JoinAs, PROTOCOL_VERSION, Request, RoomOptions, ServerMsg, WireBytes,
    WireError, from_json, from_postcard, to_json, to_postcard,
};
use hearth_server::{Host, HostConfig, HostHandle, Limits};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Liveness bound for one expected message (not a performance assertion).
pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) async fn host_with(limits: Limits) -> HostHandle {
    Host::start(HostConfig {
        limits,
        ..HostConfig::on(
            "127.0.0.1:0".parse().unwrap(),
            std::sync::Arc::new(hearth_games::catalog()),
        )
    })
    .await
    .expect("host starts on loopback")
}

pub(crate) async fn host() -> HostHandle {
    host_with(Limits::default()).await
}

/// A message as the client saw it: the JSON form (postcard messages keep payloads as byte
/// arrays) and the raw text of the frame.
#[derive(Debug, Clone)]
pub(crate) struct Got {
    pub json: Value,
    pub raw: String,
    pub bytes: Option<Vec<u8>>,
}

pub(crate) struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub postcard: bool,
    next_id: u32,
    pending: VecDeque<Got>,
    /// Every message received, in order.
    pub log: Vec<Got>,
    pub player: u64,
}

impl Client {
    pub(crate) async fn connect(host: &HostHandle, postcard: bool) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(host.ws_url(), None, true)
            .await
            .expect("websocket connects");
        Client {
            ws,
            postcard,
            next_id: 0,
            pending: VecDeque::new(),
            log: Vec::new(),
            player: 0,
        }
    }

    /// Connects with a tiny receive buffer, so a client that stops reading backs up fast.
    pub(crate) async fn connect_small_buffer(host: &HostHandle) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(host.addr()).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (ws, _) = tokio_tungstenite::client_async(host.ws_url(), MaybeTlsStream::Plain(stream))
            .await
            .expect("websocket connects");
        Client {
            ws,
            postcard: false,
            next_id: 0,
            pending: VecDeque::new(),
            log: Vec::new(),
            player: 0,
        }
    }

    /// Connects and says hello with no fingerprints (every game offered).
    pub(crate) async fn join_host(host: &HostHandle, name: &str) -> Client {
        let mut c = Client::connect(host, false).await;
        c.hello(name).await;
        c
    }

    pub(crate) async fn hello(&mut self, name: &str) -> Value {
        let reply = self
            .call_hello(Hello {
                protocol: PROTOCOL_VERSION,
                fingerprints: vec![],
                name: name.into(),
                token: None,
            })
            .await
            .expect("welcome");
        self.player = reply["welcome"]["player"].as_u64().unwrap();
        reply
    }

    pub(crate) async fn call_hello(&mut self, hello: Hello) -> Result<Value, WireError> {
        self.call(Request::Hello(hello)).await
    }

    pub(crate) async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.expect("send");
    }

    /// Sends a request (JSON payloads; postcard clients must use [`Client::send_pc`]).
    pub(crate) async fn send(&mut self, req: Request<Value>) -> u32 {
        self.next_id += 1;
        let id = self.next_id;
        let msg = ClientMsg { id, req };
        if self.postcard {
            let req = msg.req.map_payload(|v| {
                assert!(
                    v.is_null(),
                    "postcard clients send game values with send_pc"
                );
                WireBytes(vec![])
            });
            self.send_raw(Message::Binary(to_postcard(&ClientMsg { id, req }).into()))
                .await;
        } else {
            self.send_raw(Message::Text(to_json(&msg).into())).await;
        }
        id
    }

    pub(crate) async fn send_pc(&mut self, req: Request<WireBytes>) -> u32 {
        self.next_id += 1;
        let id = self.next_id;
        self.send_raw(Message::Binary(to_postcard(&ClientMsg { id, req }).into()))
            .await;
        id
    }

    /// Reads the next message from the socket; `None` when the connection closed.
    pub(crate) async fn read(&mut self) -> Option<Got> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message arrives in time")?;
            let got = match msg {
                Ok(Message::Text(t)) => {
                    let json: Value = serde_json::from_str(&t).expect("host sends valid JSON");
                    from_json::<ServerMsg<Value>>(&t).expect("host sends protocol messages");
                    Got {
                        json,
                        raw: t.to_string(),
                        bytes: None,
                    }
                }
                Ok(Message::Binary(b)) => {
                    let msg: ServerMsg<WireBytes> =
                        from_postcard(&b).expect("host sends protocol messages");
                    let json = serde_json::to_value(&msg).unwrap();
                    Got {
                        raw: json.to_string(),
                        json,
                        bytes: Some(b.to_vec()),
                    }
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            };
            self.log.push(got.clone());
            return Some(got);
        }
    }

    /// The next message that is not a reply (queued ones first).
    pub(crate) async fn next(&mut self) -> Got {
        if let Some(g) = self.pending.pop_front() {
            return g;
        }
        self.read().await.expect("connection stays open")
    }

    /// Waits for a push whose JSON has top-level key `kind`, skipping others (kept).
    pub(crate) async fn expect(&mut self, kind: &str) -> Value {
        self.expect_where(kind, |_| true).await
    }

    pub(crate) async fn expect_where(
        &mut self,
        kind: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        if let Some(pos) = self
            .pending
            .iter()
            .position(|g| g.json.get(kind).is_some_and(&pred))
        {
            return self.pending.remove(pos).unwrap().json[kind].clone();
        }
        loop {
            let g = self
                .read()
                .await
                .unwrap_or_else(|| panic!("connection closed while waiting for `{kind}`"));
            if let Some(v) = g.json.get(kind)
                && pred(v)
            {
                return v.clone();
            }
            self.pending.push_back(g);
        }
    }

    /// Sends a request and waits for its reply or error; pushes meanwhile are kept.
    pub(crate) async fn call(&mut self, req: Request<Value>) -> Result<Value, WireError> {
        let id = self.send(req).await;
        self.wait_reply(id).await
    }

    pub(crate) async fn call_pc(&mut self, req: Request<WireBytes>) -> Result<Value, WireError> {
        let id = self.send_pc(req).await;
        self.wait_reply(id).await
    }

    pub(crate) async fn wait_reply(&mut self, id: u32) -> Result<Value, WireError> {
        if let Some(pos) = self.pending.iter().position(|g| is_answer(&g.json, id)) {
            let g = self.pending.remove(pos).unwrap();
            return answer(g.json);
        }
        loop {
            let g = self
                .read()
                .await
                .unwrap_or_else(|| panic!("connection closed while waiting for reply {id}"));
            if is_answer(&g.json, id) {
                return answer(g.json);
            }
            self.pending.push_back(g);
        }
    }

    /// As [`Client::call`], but `None` when the connection closes (or nothing comes within
    /// `wait`) before the answer: for tests that kill hosts.
    pub(crate) async fn try_call(
        &mut self,
        req: Request<Value>,
        wait: Duration,
    ) -> Option<Result<Value, WireError>> {
        self.next_id += 1;
        let id = self.next_id;
        let text = serde_json::to_string(&ClientMsg { id, req }).ok()?;
        self.ws.send(Message::Text(text.into())).await.ok()?;
        tokio::time::timeout(wait, async {
            loop {
                let msg = self.ws.next().await?;
                let Ok(Message::Text(t)) = msg else {
                    match msg {
                        Ok(Message::Close(_)) | Err(_) => return None,
                        _ => continue,
                    }
                };
                let json: Value = serde_json::from_str(&t).ok()?;
                if is_answer(&json, id) {
                    return Some(answer(json));
                }
                self.pending.push_back(Got {
                    json,
                    raw: t.to_string(),
                    bytes: None,
                });
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Reads until the host closes the connection; returns what arrived on the way.
    pub(crate) async fn until_closed(&mut self) -> Vec<Got> {
        let mut seen: Vec<Got> = self.pending.drain(..).collect();
        while let Some(g) = self.read().await {
            seen.push(g);
        }
        seen
    }

    pub(crate) fn drain_pending(&mut self) -> Vec<Got> {
        self.pending.drain(..).collect()
    }

    pub(crate) async fn create(&mut self, room: &str, game: &str, config: Value) -> Value {
        self.call(Request::CreateRoom {
            name: room.into(),
            options: options(game, config),
        })
        .await
        .expect("room created")
    }

    pub(crate) async fn join(&mut self, room: &str, join_as: JoinAs) -> Result<Value, WireError> {
        self.call(Request::Join {
            room: room.into(),
            password: None,
            join_as,
            create: None,
        })
        .await
    }

    pub(crate) async fn ok(&mut self, req: Request<Value>) {
        let r = self.call(req).await.expect("request succeeds");
        assert_eq!(r, json!("ok"));
    }
}

pub(crate) fn options(game: &str, config: Value) -> RoomOptions<Value> {
    RoomOptions {
        game: game.into(),
        config,
        max_seats: None,
        public: true,
        password: None,
    }
}

fn is_answer(json: &Value, id: u32) -> bool {
    json.get("reply").is_some_and(|r| r["id"] == id)
        || json.get("error").is_some_and(|e| e["id"] == id)
}

fn answer(json: Value) -> Result<Value, WireError> {
    if let Some(r) = json.get("reply") {
        return Ok(r["reply"].clone());
    }
    let e = &json["error"]["error"];
    Err(WireError::new(
        e["code"].as_str().unwrap_or_default(),
        e["message"].as_str().unwrap_or_default(),
    ))
}

/// Asserts an error code.
#[track_caller]
pub(crate) fn assert_code(r: Result<Value, WireError>, code: &str) -> WireError {
    match r {
        Ok(v) => panic!("expected error `{code}`, got reply {v}"),
        Err(e) => {
            assert_eq!(e.code, code, "unexpected error: {e}");
            assert!(!e.message.is_empty());
            e
        }
    }
}

/// Two clients in a started room of `game`; the first is the host.
pub(crate) async fn started_pair(
    host: &HostHandle,
    room: &str,
    game: &str,
    config: Value,
) -> (Client, Client) {
    let mut a = Client::join_host(host, "Ada").await;
    let mut b = Client::join_host(host, "Bob").await;
    a.create(room, game, config).await;
    b.join(room, JoinAs::Player).await.expect("joins");
    a.ok(Request::Ready { ready: true }).await;
    b.ok(Request::Ready { ready: true }).await;
    a.ok(Request::Start).await;
    (a, b)
}

/// A tiny HTTP/1.1 client for the REST API: returns the status and the JSON body (or the
/// body as a JSON string when it is not JSON).
pub(crate) async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    http_from(None, addr, method, path, token, body).await
}

/// `GET /v1/matches` once its newest match is no longer running. The host records a match's
/// end just after telling the players, so a test that saw the end waits for it (boundedly:
/// 5 s).
pub(crate) async fn matches_once_ended(addr: std::net::SocketAddr) -> Value {
    let mut list = Value::Null;
    for _ in 0..500 {
        list = http(addr, "GET", "/v1/matches", None, None).await.1;
        if list["matches"][0]["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    list
}

/// [`http`] from the source address `from` (another loopback address, 127.0.0.2 and up:
/// Linux answers the whole 127/8 on `lo`), as a client elsewhere would.
pub(crate) async fn http_from(
    from: Option<std::net::IpAddr>,
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = match from {
        Some(ip) => {
            let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
            socket
                .bind((ip, 0).into())
                .expect("binds the loopback address");
            socket.connect(addr).await.expect("connects")
        }
        None => TcpStream::connect(addr).await.expect("connects"),
    };
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    // Read the head, then as many body bytes as Content-Length says (some servers, like
    // Chromium's DevTools, keep the connection open despite `Connection: close`).
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = tokio::time::timeout(WAIT, s.read(&mut buf))
            .await
            .expect("an HTTP answer in time")
            .unwrap();
        out.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&out);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            if length.is_some_and(|len| body.len() >= len) {
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&out);
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let rest = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    let json = serde_json::from_str(&rest).unwrap_or(Value::String(rest));
    (status, json)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n.min(rest.len())]);
        s = rest.get(n + 2..).unwrap_or("");
    }
    out
}

/// Signs in with a device id; returns the token and the account id.
pub(crate) async fn device_login(
    addr: std::net::SocketAddr,
    device: &str,
    name: &str,
) -> (String, u64) {
    let (status, body) = http(
        addr,
        "POST",
        "/v1/auth/device",
        None,
        Some(&json!({"device_id": device, "display_name": name}).to_string()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["token"].as_str().unwrap().to_string(),
        body["account"]["id"].as_u64().unwrap(),
    )
}

impl Client {
    /// Connects to a host with accounts and says hello with a token.
    pub(crate) async fn with_token(host_ws: &str, token: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(host_ws, None, true)
            .await
            .expect("websocket connects");
        let mut c = Client {
            ws,
            postcard: false,
            next_id: 0,
            pending: VecDeque::new(),
            log: Vec::new(),
            player: 0,
        };
        let reply = c
            .call_hello(Hello {
                protocol: PROTOCOL_VERSION,
                fingerprints: vec![],
                name: "whatever I claim".into(),
                token: Some(token.into()),
            })
            .await
            .expect("welcome");
        c.player = reply["welcome"]["player"].as_u64().unwrap();
        c
    }
}

/// The `hearth` binary (built by `hearth-cli` in the same `cargo test --workspace` run, into
/// `target/<profile>/` beside this test's `deps/`).
/// A loopback port free right now (for a process the test starts on it).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn hearth_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .join(format!("hearth{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: build it first (`cargo build -p hearth-cli`; `cargo test --workspace` does)",
        bin.display()
    );
    bin
}

/// A self-signed certificate for 127.0.0.1, made with the system's openssl.
pub(crate) fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        // A leaf, not a CA: webpki refuses a CA certificate used as a server's own.
        .args([
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "keyUsage=digitalSignature",
        ])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is installed (the test script installs it)");
    assert!(status.success());
    (cert, key)
}

pub(crate) fn connector(cert: &Path) -> tokio_rustls::TlsConnector {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

/// Starts `cmd` (a `hearth serve` command line) on a free loopback port and waits until it
/// prints that it is serving (after any crash recovery); the child and its address.
pub(crate) fn spawn_serving(
    mut cmd: std::process::Command,
) -> (std::process::Child, std::net::SocketAddr) {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = cmd
        .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("hearth starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("serving"), "{line}");
    (child, format!("127.0.0.1:{port}").parse().unwrap())
}
