//! Hearth's native client: connect to the official server (with an account token) or to a
//! LAN host (with a display name), use the lobby, play, and receive one stream of events.
//! For perfect-information games the client keeps a *mirror* — the game replayed from the
//! log with the shared rules — so it always knows the state and its legal moves, and it
//! reports the mirror's hash so desyncs surface. Dropped connections are resumed
//! automatically.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hearth_client::ClientError> {
//! use hearth_client::{Client, ClientConfig, Event};
//! use hearth_rules::{Encoding, Seat, protocol::JoinAs};
//! // The rules this client plays: your rules crate's `games` (here Hearth's example games).
//! let catalog = std::sync::Arc::new(hearth_games::catalog());
//! let config = ClientConfig::lan("ws://127.0.0.1:7777/ws", "Ada", catalog);
//! let mut client = Client::connect(config).await?;
//! client.join_or_create("Friday", "connect-four", serde_json::Value::Null, JoinAs::Player).await?;
//! client.ready(true).await?;
//! while let Some(event) = client.next_event().await {
//!     if let (Event::Entry { .. } | Event::Started(_), Some(mirror), Some(started)) =
//!         (event, client.mirror(), client.started())
//!     {
//!         // The mirror knows the state: play what the built-in bot would.
//!         if let Some(seat) = started.seat
//!             && let Ok(Some(action)) = mirror.bot_action(Seat(seat), 3, Encoding::Json)
//!         {
//!             client.act(action, None).await?;
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod lan;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hearth_client_core::{Config, Core, Io, REPLY_TIMEOUT_MS, RequestError, ValueError};
pub use hearth_client_core::{Event, Reconnect};
use hearth_rules::protocol::{
    JoinAs, Reply, Request, RoomOptions, RoomState, Started, Welcome, WireError, codes,
};
use hearth_rules::{Catalog, DynSession, Encoding, Payload, ValueKind};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The host could not be reached.
    #[error(
        "cannot reach {url}: {reason}; check the address and that the host is running, then retry"
    )]
    Unreachable {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
    /// The host refused the request.
    #[error("{0}")]
    Refused(WireError),
    /// The connection dropped before the answer came, or is not open now.
    #[error("the connection to the host dropped; it is being re-established, retry in a moment")]
    Disconnected,
    /// No answer in time.
    #[error("the host did not answer in time; retry")]
    Timeout,
}

impl ClientError {
    /// The protocol error code, if the host refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Refused(e) => Some(&e.code),
            _ => None,
        }
    }
}

impl From<RequestError> for ClientError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Refused(e) => ClientError::Refused(e),
            RequestError::Disconnected | RequestError::NotConnected => ClientError::Disconnected,
            RequestError::Timeout => ClientError::Timeout,
        }
    }
}

impl From<ValueError> for ClientError {
    fn from(e: ValueError) -> Self {
        ClientError::Refused(WireError::new(e.code(), e.to_string()))
    }
}

/// Where and as whom to connect.
#[derive(Clone)]
pub struct ClientConfig {
    /// WebSocket URL, e.g. `ws://127.0.0.1:7777/ws`.
    pub url: String,
    /// Account token (official server); `None` on LAN hosts.
    pub token: Option<String>,
    /// Display name (LAN hosts; the official server uses the account's).
    pub name: String,
    /// The rules this client carries (fingerprints are sent in `hello`).
    pub catalog: Arc<Catalog>,
    /// Reconnect and resume automatically when the connection drops (the policy is
    /// [`Reconnect::default`]).
    pub reconnect: bool,
    /// The encoding game values have in events and replies: postcard (default) to decode into
    /// your game's types, JSON for scripting layers.
    pub values: Encoding,
}

impl ClientConfig {
    /// A LAN host: no account, just a name; `catalog` holds the rules this client plays.
    pub fn lan(url: impl Into<String>, name: impl Into<String>, catalog: Arc<Catalog>) -> Self {
        ClientConfig {
            url: url.into(),
            token: None,
            name: name.into(),
            catalog,
            reconnect: true,
            values: Encoding::Postcard,
        }
    }

    /// The official server, with an account token.
    pub fn server(url: impl Into<String>, token: impl Into<String>, catalog: Arc<Catalog>) -> Self {
        ClientConfig {
            token: Some(token.into()),
            ..ClientConfig::lan(url, "player", catalog)
        }
    }

    fn core(&self) -> Config {
        Config {
            name: self.name.clone(),
            token: self.token.clone(),
            catalog: self.catalog.clone(),
            values: self.values,
            reconnect: self.reconnect.then(Reconnect::default),
            reply_timeout_ms: REPLY_TIMEOUT_MS,
        }
    }
}

type Waiter = oneshot::Sender<Result<Reply<Payload>, RequestError>>;

/// The core and who waits for its answers, behind one lock: a request registers its waiter
/// before the connection task can see the reply.
struct Shared {
    core: Core,
    waiters: HashMap<u32, Waiter>,
}

/// A connected client. Events arrive through [`Client::next_event`].
pub struct Client {
    shared: Arc<Mutex<Shared>>,
    /// Tells the connection task that the core has frames to send.
    wake: Arc<Notify>,
    clock: Clock,
    events: mpsc::UnboundedReceiver<Event>,
    /// Dropped with the client, which ends its connection task.
    _alive: tokio::sync::watch::Sender<()>,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Milliseconds since the client was made: the core's time.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn instant(self, ms: u64) -> tokio::time::Instant {
        (self.0 + Duration::from_millis(ms)).into()
    }
}

async fn open(url: &str) -> Result<Socket, ClientError> {
    // tungstenite zero-fills its whole read buffer before every read: at the default 128 KiB
    // that memset was half of the load generator's CPU (BENCHMARKS.md). A game's frames are a
    // few hundred bytes; a larger one grows the buffer as it arrives.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4 * 1024);
    let attempt = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(ClientError::Unreachable {
            url: url.to_string(),
            reason: e.to_string(),
        }),
        Err(_) => Err(ClientError::Unreachable {
            url: url.to_string(),
            reason: "no answer within 10 s".into(),
        }),
    }
}

impl Client {
    /// Connects and shakes hands; fails with the host's reason if refused.
    pub async fn connect(config: ClientConfig) -> Result<Client, ClientError> {
        let ws = open(&config.url).await?;
        let clock = Clock(Instant::now());
        let mut core = Core::new(config.core());
        core.opened(clock.now());
        let shared = Arc::new(Mutex::new(Shared {
            core,
            waiters: HashMap::new(),
        }));
        let wake = Arc::new(Notify::new());
        let (ev_tx, events) = mpsc::unbounded_channel();
        let (alive, alive_rx) = tokio::sync::watch::channel(());
        let (handshake_tx, handshake) = oneshot::channel();
        tokio::spawn(run(
            config.url.clone(),
            ws,
            shared.clone(),
            wake.clone(),
            clock,
            ev_tx,
            alive_rx,
            handshake_tx,
        ));
        let client = Client {
            shared,
            wake,
            clock,
            events,
            _alive: alive,
        };
        match handshake.await {
            Ok(Ok(())) => Ok(client),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ClientError::Disconnected),
        }
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        lock(&self.shared)
    }

    /// The welcome: your player id, name and the games offered.
    pub fn welcome(&self) -> Option<Welcome> {
        self.shared().core.welcome().cloned()
    }

    /// Sends a request (game values as JSON or postcard) and waits for its reply.
    pub async fn request(&self, req: Request<Payload>) -> Result<Reply<Payload>, ClientError> {
        self.send(req)?.await
    }

    /// Sends a request now and returns its reply as a future to await later, so a real-time
    /// game can send its input for a tick without waiting for the tick to run.
    ///
    /// The frame is on its way when this returns; dropping the future just ignores the reply.
    pub fn send(
        &self,
        req: Request<Payload>,
    ) -> Result<
        impl Future<Output = Result<Reply<Payload>, ClientError>> + Send + 'static,
        ClientError,
    > {
        let rx = {
            let mut shared = self.shared();
            let id = shared.core.request(req, self.clock.now())?;
            let (tx, rx) = oneshot::channel();
            shared.waiters.insert(id, tx);
            rx
        };
        self.wake.notify_one();
        Ok(async move {
            match rx.await {
                Ok(result) => result.map_err(ClientError::from),
                Err(_) => Err(ClientError::Disconnected),
            }
        })
    }

    /// The next event; `None` once the client is closed for good.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// An event if one is waiting.
    pub fn try_event(&mut self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// The perfect-information mirror (the game replayed from the log), if a game runs.
    pub fn mirror(&self) -> Option<DynSession> {
        self.shared().core.mirror().cloned()
    }

    /// The mirror's state hash (16 hex digits), to compare with a host's.
    pub fn mirror_hash(&self) -> Option<String> {
        self.shared().core.mirror_hash()
    }

    /// Your latest view from the host (hidden-information and real-time games).
    pub fn latest_view(&self) -> Option<Payload> {
        self.shared().core.latest_view().cloned()
    }

    /// Your view now: the mirror's in perfect-information games, else the host's latest.
    pub fn view(&self) -> Option<Payload> {
        self.shared().core.view()
    }

    /// The running game's `started` (your seat, the config, …).
    pub fn started(&self) -> Option<Started<Payload>> {
        self.shared().core.started().cloned()
    }

    /// The token that resumes your seat (e.g. after your program restarts) while a game runs.
    pub fn resume_token(&self) -> Option<String> {
        self.shared().core.resume_token().map(str::to_string)
    }

    /// The tick of the latest snapshot (real-time games): stamp inputs with it.
    pub fn tick(&self) -> u64 {
        self.shared().core.tick()
    }

    /// A forecast for client-side prediction in real-time games: the running game continued
    /// from a host's `view` at `tick` with the shared rules. Apply your own input and tick it
    /// ahead of the next snapshot; throw it away when that snapshot comes.
    pub fn predict(&self, view: &Payload, tick: u64) -> Result<DynSession, ClientError> {
        Ok(self.shared().core.predict(view, tick)?)
    }

    // ----- lobby helpers -----------------------------------------------------------------

    /// Joins the room called `room`, creating it for `game` with `config` if it does not exist.
    pub async fn join_or_create(
        &self,
        room: &str,
        game: &str,
        config: serde_json::Value,
        join_as: JoinAs,
    ) -> Result<RoomState, ClientError> {
        let reply = self
            .request(Request::Join {
                room: room.into(),
                password: None,
                join_as,
                create: Some(RoomOptions {
                    game: game.into(),
                    config: Payload::Json(config),
                    max_seats: None,
                    public: true,
                    password: None,
                }),
            })
            .await?;
        match reply {
            Reply::Joined(state) => Ok(state),
            other => Err(unexpected(other)),
        }
    }

    /// Marks yourself (un)ready.
    pub async fn ready(&self, ready: bool) -> Result<(), ClientError> {
        self.request(Request::Ready { ready }).await.map(drop)
    }

    /// Starts the game (room host).
    pub async fn start(&self) -> Result<(), ClientError> {
        self.request(Request::Start).await.map(drop)
    }

    /// Seats a bot (room host).
    pub async fn add_bot(&self, level: u8) -> Result<(), ClientError> {
        self.request(Request::AddBot { level }).await.map(drop)
    }

    /// Leaves the room.
    pub async fn leave(&self) -> Result<(), ClientError> {
        self.request(Request::Leave).await.map(drop)
    }

    /// Plays an action (JSON or postcard); returns its log index.
    pub async fn act(&self, action: Payload, tick: Option<u64>) -> Result<u64, ClientError> {
        match self.request(Request::Action { action, tick }).await? {
            Reply::Accepted { index, .. } => Ok(index),
            other => Err(unexpected(other)),
        }
    }

    /// Your legal actions now as JSON (a list), computed by the host from the authoritative
    /// state, so it works in every sync mode (a hidden-information client cannot compute
    /// them from its view). Empty when it is not your turn.
    pub async fn legal_actions(&self) -> Result<serde_json::Value, ClientError> {
        let actions = match self.request(Request::Legal).await? {
            Reply::Legal { actions } => actions,
            other => return Err(unexpected(other)),
        };
        let json = self
            .shared()
            .core
            .convert(ValueKind::Actions, &actions, Encoding::Json)?;
        Ok(json.into_json())
    }

    /// Lists public rooms.
    pub async fn rooms(&self) -> Result<Vec<hearth_rules::protocol::RoomSummary>, ClientError> {
        match self.request(Request::ListRooms).await? {
            Reply::Rooms(r) => Ok(r),
            other => Err(unexpected(other)),
        }
    }
}

fn unexpected(reply: Reply<Payload>) -> ClientError {
    ClientError::Refused(WireError::new(
        codes::BAD_REQUEST,
        format!("unexpected reply {reply:?}"),
    ))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The transport: carries out the core's `Io` on a tokio-tungstenite socket, feeds it
/// frames and time, hands replies to their waiters and events to the game.
#[allow(clippy::too_many_arguments)]
async fn run(
    url: String,
    ws: Socket,
    shared: Arc<Mutex<Shared>>,
    wake: Arc<Notify>,
    clock: Clock,
    events: mpsc::UnboundedSender<Event>,
    mut alive: tokio::sync::watch::Receiver<()>,
    handshake: oneshot::Sender<Result<(), ClientError>>,
) {
    let mut ws = Some(ws);
    let mut handshake = Some(handshake);
    loop {
        // Everything the core has to say, taken under the lock and acted on outside it.
        let (io, deadline, closed) = {
            let mut guard = lock(&shared);
            let sh = &mut *guard;
            while let Some(c) = sh.core.poll_completion() {
                if let Some(tx) = sh.waiters.remove(&c.id) {
                    let _ = tx.send(c.result);
                }
            }
            while let Some(e) = sh.core.poll_event() {
                let _ = events.send(e);
            }
            if handshake.is_some() {
                let answer = if sh.core.is_open() {
                    Some(Ok(()))
                } else if let Some(e) = sh.core.refusal() {
                    Some(Err(ClientError::Refused(e.clone())))
                } else if sh.core.is_closed() {
                    Some(Err(ClientError::Disconnected))
                } else {
                    None
                };
                if let Some(answer) = answer
                    && let Some(tx) = handshake.take()
                {
                    let _ = tx.send(answer);
                }
            }
            let io: Vec<Io> = std::iter::from_fn(|| sh.core.poll_io()).collect();
            (io, sh.core.next_deadline(), sh.core.is_closed())
        };
        let mut dropped = None;
        // Opening a socket makes the core say hello: drain it before waiting.
        let mut said_more = false;
        for io in io {
            match io {
                Io::Send(frame) => {
                    if let Some(s) = ws.as_mut()
                        && let Err(e) = s.send(Message::Binary(frame.into())).await
                    {
                        ws = None;
                        dropped = Some(e.to_string());
                    }
                }
                Io::Close => {
                    if let Some(mut s) = ws.take() {
                        let _ = s.close(None).await;
                    }
                }
                Io::Open => {
                    let opened = tokio::select! {
                        r = open(&url) => r,
                        _ = alive.changed() => return,
                    };
                    said_more = true;
                    let mut sh = lock(&shared);
                    match opened {
                        Ok(s) => {
                            ws = Some(s);
                            sh.core.opened(clock.now());
                        }
                        Err(e) => sh.core.open_failed(&e.to_string(), clock.now()),
                    }
                }
            }
        }
        if let Some(reason) = dropped {
            lock(&shared).core.disconnected(&reason, clock.now());
            continue;
        }
        if said_more {
            continue;
        }
        if closed && ws.is_none() {
            // Waiters still registered learn the end by their sender dropping.
            lock(&shared).waiters.clear();
            return;
        }
        let frame = async {
            match ws.as_mut() {
                Some(s) => s.next().await,
                None => std::future::pending().await,
            }
        };
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(clock.instant(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = frame => {
                let now = clock.now();
                match frame {
                    Some(Ok(Message::Binary(bytes))) => {
                        if let Err(e) = lock(&shared).core.receive(&bytes, now) {
                            tracing::warn!("a frame from the host was ignored: {e}");
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => {
                        ws = None;
                        lock(&shared).core.disconnected("the host closed the connection", now);
                    }
                    Some(Err(e)) => {
                        ws = None;
                        lock(&shared).core.disconnected(&e.to_string(), now);
                    }
                    Some(Ok(_)) => {}
                }
            }
            _ = wake.notified() => {}
            _ = sleep => lock(&shared).core.handle_timeout(clock.now()),
            // The client was dropped: close the socket politely and stop.
            _ = alive.changed() => {
                if let Some(mut s) = ws.take() {
                    let _ = s.close(None).await;
                }
                return;
            }
        }
    }
}

/// Signs in to the official server with a device id (`POST /v1/auth/device`) and returns the
/// token. `base` is `http://HOST:PORT` (plain HTTP; put TLS in front with a proxy or use the
/// library with your own HTTPS client).
pub async fn device_login(
    base: &str,
    device_id: &str,
    display_name: &str,
) -> Result<String, ClientError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let unreachable = |reason: String| ClientError::Unreachable {
        url: base.to_string(),
        reason,
    };
    let authority = base
        .strip_prefix("http://")
        .ok_or_else(|| unreachable("only http:// URLs are supported here".into()))?
        .trim_end_matches('/');
    let body =
        serde_json::json!({"device_id": device_id, "display_name": display_name}).to_string();
    let request = format!(
        "POST /v1/auth/device HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(authority).await?;
        s.write_all(request.as_bytes()).await?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await?;
        Ok::<_, std::io::Error>(out)
    };
    let out = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| unreachable("no answer within 10 s".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let text = String::from_utf8_lossy(&out);
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).map_err(|_| {
        unreachable(format!(
            "not a Hearth server answer: {}",
            text.lines().next().unwrap_or("")
        ))
    })?;
    match json["token"].as_str() {
        Some(t) => Ok(t.to_string()),
        None => Err(ClientError::Refused(WireError::new(
            json["code"].as_str().unwrap_or("unauthorized"),
            json["message"]
                .as_str()
                .unwrap_or("the server refused the sign-in"),
        ))),
    }
}
