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
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hearth_rules::protocol::{
    ClientMsg, Hello, JoinAs, PROTOCOL_VERSION, Reply, Request, RoomOptions, RoomState, ServerMsg,
    Standing, Started, Welcome, WireBytes, WireError, codes, from_postcard, request_to_wire,
    to_postcard,
};
use hearth_rules::{Catalog, DynSession, Payload, Seat, SyncMode, hash_hex};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// How long a request may wait for its reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);

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
    /// The connection dropped before the answer came.
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
    /// Reconnect and resume automatically when the connection drops.
    pub reconnect: bool,
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
        }
    }

    /// The official server, with an account token.
    pub fn server(url: impl Into<String>, token: impl Into<String>, catalog: Arc<Catalog>) -> Self {
        ClientConfig {
            token: Some(token.into()),
            ..ClientConfig::lan(url, "player", catalog)
        }
    }
}

/// Everything that happens, in order.
#[derive(Debug, Clone)]
pub enum Event {
    /// Your room changed.
    Room(RoomState),
    /// Someone spoke.
    Chat {
        /// Player id.
        from: u64,
        /// Name.
        name: String,
        /// Text.
        text: String,
    },
    /// A game started (or, after a resume, is still running).
    Started(Started<Payload>),
    /// Perfect information: a log entry (already applied to the mirror).
    Entry {
        /// Log index.
        seq: u64,
        /// Who acted.
        seat: u8,
        /// The action (postcard).
        action: Payload,
        /// Its events (postcard).
        events: Payload,
    },
    /// Hidden information: your new view.
    View {
        /// Your stream position.
        seq: u64,
        /// The view (postcard).
        view: Payload,
        /// Events of the action (postcard).
        events: Payload,
    },
    /// Real time: a snapshot.
    Snapshot {
        /// Tick.
        tick: u64,
        /// The view (postcard).
        view: Payload,
    },
    /// A leaderboard you subscribed to.
    Leaderboard {
        /// Game.
        game: String,
        /// Rows, best first.
        standings: Vec<Standing>,
    },
    /// You left your room (kicked, superseded, closed …).
    Left(String),
    /// The host reported a problem not tied to a request.
    Error(WireError),
    /// The mirror's hash differs from the host's at this log length.
    Desync(u64),
    /// The connection dropped; reconnecting if enabled.
    Disconnected(String),
    /// The connection is back and the seat resumed.
    Reconnected,
    /// The host closed the connection for good (`closing`), or reconnecting failed.
    Closed(String),
}

type Pending = Arc<Mutex<HashMap<u32, oneshot::Sender<Result<Reply<WireBytes>, WireError>>>>>;

struct Shared {
    mirror: Mutex<Option<DynSession>>,
    view: Mutex<Option<Payload>>,
    started: Mutex<Option<Started<Payload>>>,
    welcome: Mutex<Option<Welcome>>,
    /// The game of the room we are in (known before its `started` arrives).
    game: Mutex<Option<String>>,
}

/// A connected client. Events arrive through [`Client::next_event`].
pub struct Client {
    config: ClientConfig,
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    next_id: Arc<Mutex<u32>>,
    events: mpsc::UnboundedReceiver<Event>,
    shared: Arc<Shared>,
    /// Dropped with the client, which ends its connection task.
    _alive: tokio::sync::watch::Sender<()>,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(url: &str) -> Result<Socket, ClientError> {
    let attempt = tokio_tungstenite::connect_async_with_config(url, None, true);
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
        let (out, out_rx) = mpsc::unbounded_channel();
        let (ev_tx, events) = mpsc::unbounded_channel();
        let pending: Pending = Arc::default();
        let shared = Arc::new(Shared {
            mirror: Mutex::new(None),
            view: Mutex::new(None),
            started: Mutex::new(None),
            welcome: Mutex::new(None),
            game: Mutex::new(None),
        });
        let (alive, alive_rx) = tokio::sync::watch::channel(());
        let client = Client {
            config: config.clone(),
            out: out.clone(),
            pending: pending.clone(),
            next_id: Arc::new(Mutex::new(0)),
            events,
            shared: shared.clone(),
            _alive: alive,
        };
        tokio::spawn(run(
            config,
            ws,
            out_rx,
            out,
            ev_tx,
            pending,
            shared.clone(),
            client.next_id.clone(),
            alive_rx,
        ));
        let reply = client.request(Request::Hello(client.hello())).await?;
        if let Reply::Welcome(w) = reply {
            *lock(&shared.welcome) = Some(w);
        }
        Ok(client)
    }

    fn hello(&self) -> Hello {
        hello_for(&self.config)
    }

    /// The welcome: your player id, name and the games offered.
    pub fn welcome(&self) -> Option<Welcome> {
        lock(&self.shared.welcome).clone()
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
        let id = {
            let mut n = lock(&self.next_id);
            *n = n.wrapping_add(1);
            *n
        };
        let req = self.to_postcard(req)?;
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        let frame = to_postcard(&ClientMsg { id, req });
        if self.out.send(Message::Binary(frame.into())).is_err() {
            lock(&self.pending).remove(&id);
            return Err(ClientError::Disconnected);
        }
        let (pending, shared) = (self.pending.clone(), self.shared.clone());
        Ok(async move {
            match tokio::time::timeout(REPLY_TIMEOUT, rx).await {
                Ok(Ok(Ok(reply))) => {
                    if let Reply::Joined(state) = &reply {
                        *lock(&shared.game) = Some(state.game.clone());
                    }
                    Ok(map_reply(reply))
                }
                Ok(Ok(Err(e))) => Err(ClientError::Refused(e)),
                Ok(Err(_)) => Err(ClientError::Disconnected),
                Err(_) => {
                    lock(&pending).remove(&id);
                    Err(ClientError::Timeout)
                }
            }
        })
    }

    /// Converts JSON game values to postcard through the game's types.
    fn to_postcard(&self, req: Request<Payload>) -> Result<Request<WireBytes>, ClientError> {
        let game = lock(&self.shared.game).clone();
        request_to_wire(&self.config.catalog, game.as_deref(), req).map_err(ClientError::Refused)
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
        lock(&self.shared.mirror).clone()
    }

    /// Your latest view (hidden-information and real-time games).
    pub fn latest_view(&self) -> Option<Payload> {
        lock(&self.shared.view).clone()
    }

    /// The running game's `started` (your seat, the config, …).
    pub fn started(&self) -> Option<Started<Payload>> {
        lock(&self.shared.started).clone()
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
        let game = lock(&self.shared.game).clone().ok_or_else(|| {
            ClientError::Refused(WireError::new(
                codes::NOT_IN_ROOM,
                "you are in no room; join one first",
            ))
        })?;
        let json = self
            .config
            .catalog
            .convert(
                &game,
                hearth_rules::ValueKind::Actions,
                &actions,
                hearth_rules::Encoding::Json,
            )
            .map_err(|e| ClientError::Refused(e.into()))?;
        match json {
            Payload::Json(v) => Ok(v),
            Payload::Postcard(_) => Ok(serde_json::Value::Null),
        }
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

fn hello_for(config: &ClientConfig) -> Hello {
    Hello {
        protocol: PROTOCOL_VERSION,
        fingerprints: config.catalog.fingerprints(),
        name: config.name.clone(),
        token: config.token.clone(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn map_reply(r: Reply<WireBytes>) -> Reply<Payload> {
    r.map_payload(Payload::from)
}

/// Stream positions the connection task keeps to resume without gaps or duplicates.
#[derive(Default)]
struct Progress {
    token: Option<String>,
    next: u64,
}

#[allow(clippy::too_many_arguments)]
async fn run(
    config: ClientConfig,
    mut ws: Socket,
    mut out_rx: mpsc::UnboundedReceiver<Message>,
    out: mpsc::UnboundedSender<Message>,
    events: mpsc::UnboundedSender<Event>,
    pending: Pending,
    shared: Arc<Shared>,
    next_id: Arc<Mutex<u32>>,
    mut alive: tokio::sync::watch::Receiver<()>,
) {
    let mut progress = Progress::default();
    loop {
        let pumped = pump(
            &config,
            &mut ws,
            &mut out_rx,
            &out,
            &events,
            &pending,
            &shared,
            &next_id,
            &mut progress,
        );
        let reason = tokio::select! {
            r = pumped => r,
            // The client was dropped: close the socket politely and stop.
            _ = alive.changed() => {
                let _ = ws.close(None).await;
                return;
            }
        };
        // Everyone waiting for a reply learns the connection dropped.
        for (_, tx) in lock(&pending).drain() {
            drop(tx);
        }
        let Err(reason) = reason else {
            return;
        };
        let _ = events.send(Event::Disconnected(reason.clone()));
        if !config.reconnect || events.is_closed() {
            let _ = events.send(Event::Closed(reason));
            return;
        }
        let again = tokio::select! {
            ws = reconnect(&config, &progress) => ws,
            _ = alive.changed() => return,
        };
        match again {
            Some(new_ws) => {
                ws = new_ws;
                let _ = events.send(Event::Reconnected);
            }
            None => {
                let _ = events.send(Event::Closed(format!("{reason}; reconnecting failed")));
                return;
            }
        }
    }
}

/// Reconnects with backoff, says hello again and resumes the seat from where the stream
/// stopped.
async fn reconnect(config: &ClientConfig, progress: &Progress) -> Option<Socket> {
    let mut delay = Duration::from_millis(200);
    for _ in 0..8 {
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
        let Ok(mut ws) = open(&config.url).await else {
            continue;
        };
        let hello = to_postcard(&ClientMsg::<WireBytes> {
            id: 0,
            req: Request::Hello(hello_for(config)),
        });
        if ws.send(Message::Binary(hello.into())).await.is_err() {
            continue;
        }
        if let Some(token) = &progress.token {
            let resume = to_postcard(&ClientMsg::<WireBytes> {
                id: 0,
                req: Request::Resume {
                    token: token.clone(),
                    next: progress.next,
                },
            });
            if ws.send(Message::Binary(resume.into())).await.is_err() {
                continue;
            }
        }
        return Some(ws);
    }
    None
}

/// Runs one connection until it drops (`Err(reason)`) or the client is dropped (`Ok`).
#[allow(clippy::too_many_arguments)]
async fn pump(
    config: &ClientConfig,
    ws: &mut Socket,
    out_rx: &mut mpsc::UnboundedReceiver<Message>,
    out: &mpsc::UnboundedSender<Message>,
    events: &mpsc::UnboundedSender<Event>,
    pending: &Pending,
    shared: &Shared,
    next_id: &Mutex<u32>,
    progress: &mut Progress,
) -> Result<(), String> {
    loop {
        tokio::select! {
            msg = out_rx.recv() => {
                let Some(msg) = msg else { return Ok(()) };
                ws.send(msg).await.map_err(|e| e.to_string())?;
            }
            frame = ws.next() => {
                let bytes = match frame {
                    None => return Err("the host closed the connection".into()),
                    Some(Err(e)) => return Err(e.to_string()),
                    Some(Ok(Message::Binary(b))) => b,
                    Some(Ok(Message::Close(_))) => return Err("the host closed the connection".into()),
                    Some(Ok(_)) => continue,
                };
                let Ok(msg) = from_postcard::<ServerMsg<WireBytes>>(&bytes) else {
                    tracing::warn!("an undecodable frame from the host was ignored");
                    continue;
                };
                handle(config, msg, out, events, pending, shared, next_id, progress);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn handle(
    config: &ClientConfig,
    msg: ServerMsg<WireBytes>,
    out: &mpsc::UnboundedSender<Message>,
    events: &mpsc::UnboundedSender<Event>,
    pending: &Pending,
    shared: &Shared,
    next_id: &Mutex<u32>,
    progress: &mut Progress,
) {
    let emit = |e: Event| {
        let _ = events.send(e);
    };
    match msg {
        ServerMsg::Reply { id, reply } => {
            if let Some(tx) = lock(pending).remove(&id) {
                let _ = tx.send(Ok(reply));
            } else if let Reply::HashChecked {
                index,
                matches: false,
                host: Some(_),
            } = reply
            {
                emit(Event::Desync(index));
            }
        }
        ServerMsg::Error {
            id: Some(id),
            error,
        } => {
            if let Some(tx) = lock(pending).remove(&id) {
                let _ = tx.send(Err(error));
            } else {
                emit(Event::Error(error));
            }
        }
        ServerMsg::Error { id: None, error } => emit(Event::Error(error)),
        ServerMsg::Room(state) => {
            *lock(&shared.game) = Some(state.game.clone());
            emit(Event::Room(state))
        }
        ServerMsg::Chat { from, name, text } => emit(Event::Chat { from, name, text }),
        ServerMsg::Started(s) => {
            let started = s.map_config(Payload::from);
            if started.resume.is_some() {
                progress.token = started.resume.clone();
            }
            // A new game (not a resume of this one) restarts the stream.
            let same = lock(&shared.started)
                .as_ref()
                .is_some_and(|old| old.resume.is_some() && old.resume == started.resume);
            if !same {
                progress.next = 0;
                let mirror = match (started.sync, started.seed) {
                    (SyncMode::PerfectInformation, Some(seed)) => config
                        .catalog
                        .create(&started.game, &started.config, started.seats, seed)
                        .ok(),
                    _ => None,
                };
                *lock(&shared.mirror) = mirror;
            }
            *lock(&shared.started) = Some(started.clone());
            emit(Event::Started(started));
        }
        ServerMsg::Entry {
            seq,
            seat,
            action,
            events: ev,
            ..
        } => {
            let action = Payload::from(action);
            let mut report = None;
            if let Some(m) = lock(&shared.mirror).as_mut()
                && seq == m.log_len()
            {
                if m.apply(Seat(seat), &action).is_err() {
                    emit(Event::Desync(seq));
                }
                report = Some((m.log_len(), m.hash()));
            }
            progress.next = progress.next.max(seq + 1);
            // Report the mirror's hash so a desync surfaces at once; the answer comes back
            // without a waiting caller and is turned into `Event::Desync` if it differs.
            if let Some((index, hash)) = report {
                let id = {
                    let mut n = lock(next_id);
                    *n = n.wrapping_add(1);
                    *n
                };
                let msg = to_postcard(&ClientMsg::<WireBytes> {
                    id,
                    req: Request::Hash {
                        index,
                        hash: hash_hex(hash),
                    },
                });
                let _ = out.send(Message::Binary(msg.into()));
            }
            emit(Event::Entry {
                seq,
                seat,
                action,
                events: ev.into(),
            });
        }
        ServerMsg::View {
            seq,
            view,
            events: ev,
            ..
        } => {
            progress.next = progress.next.max(seq + 1);
            let view = Payload::from(view);
            *lock(&shared.view) = Some(view.clone());
            emit(Event::View {
                seq,
                view,
                events: ev.into(),
            });
        }
        ServerMsg::Snapshot { tick, view, .. } => {
            let view = Payload::from(view);
            *lock(&shared.view) = Some(view.clone());
            emit(Event::Snapshot { tick, view });
        }
        ServerMsg::Leaderboard { game, standings } => emit(Event::Leaderboard { game, standings }),
        ServerMsg::Left { reason } => emit(Event::Left(reason)),
        ServerMsg::Closing { code, message } => emit(Event::Closed(format!("{code}: {message}"))),
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
