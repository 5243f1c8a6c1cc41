//! Networking behind `HearthClient`, `HearthLanHost` and `HearthLanBrowser`, in plain Rust.
//!
//! Each driver owns a small background tokio runtime that does all waiting; the Godot node only
//! calls [`ClientDriver::send`] and drains [`ClientDriver::poll`] in `_process`, so every
//! signal fires on the main thread and no Godot object is ever touched off it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use hearth_client::lan::{Interfaces, LanEvent, browse};
use hearth_client::{Client, ClientConfig, ClientError, Event};
use hearth_rules::protocol::{JoinAs, Reply, Request, RoomOptions};
use hearth_rules::{Catalog, Encoding, Payload};
use hearth_server::HostConfig;
use hearth_server::lan::{LanConfig, LanHost};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::value::{GdValue, from_json};

/// Something for the node to turn into a signal.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientOut {
    /// Connected: `{player, name, server_version, games}`.
    Connected(GdValue),
    /// The room changed (`RoomState` as a Dictionary).
    RoomChanged(GdValue),
    /// Public rooms, an Array of summaries.
    RoomsListed(GdValue),
    /// A game started: `{game, sync, seats, players, seat, tick_rate, config}`.
    GameStarted(GdValue),
    /// Perfect information: an accepted action `{seq, seat, action, events}`.
    LogEntry(GdValue),
    /// Your view changed, with the events that changed it and the tick (real time).
    ViewChanged {
        /// The view.
        view: GdValue,
        /// The events (an Array; empty for snapshots).
        events: GdValue,
        /// Ticks simulated (0 for turn-based games).
        tick: i64,
    },
    /// A leaderboard you subscribed to.
    LeaderboardChanged {
        /// The game.
        game: String,
        /// Rows, best first.
        standings: GdValue,
    },
    /// Someone spoke.
    Chat {
        /// Their name.
        name: String,
        /// The text.
        text: String,
    },
    /// Your legal actions now (an Array), as the host computes them: the answer to
    /// [`ClientCmd::Legal`].
    LegalActions(GdValue),
    /// You left the room (kicked, closed, ...).
    Left(String),
    /// A request was refused or something failed: `code` is the protocol's.
    Error {
        /// Stable code.
        code: String,
        /// What happened.
        message: String,
    },
    /// The connection is gone; `reconnecting` says whether the client is trying again.
    Disconnected {
        /// Why.
        reason: String,
        /// Whether it is coming back on its own.
        reconnecting: bool,
    },
}

/// What the node asks for.
#[derive(Debug, Clone)]
pub enum ClientCmd {
    /// Device login at an official server (`http://host:port`), then connect.
    ConnectServer {
        /// Base URL.
        url: String,
        /// This device's id (keep it in `user://` to stay the same player).
        device_id: String,
        /// Display name for a new account.
        name: String,
    },
    /// Connect to a LAN host.
    ConnectHost {
        /// Address.
        address: String,
        /// Port.
        port: u16,
        /// Display name.
        name: String,
    },
    /// List public rooms.
    ListRooms,
    /// Join a room by name, creating it with `game` and `config` if there is none.
    Join {
        /// Room name.
        room: String,
        /// Password ("" for none).
        password: String,
        /// Game for a new room.
        game: String,
        /// Config for a new room.
        config: Value,
        /// Watch instead of play.
        spectate: bool,
    },
    /// Mark yourself ready.
    Ready(bool),
    /// Start (host only).
    Start,
    /// Fill a seat with a bot.
    AddBot(u8),
    /// Say something.
    Chat(String),
    /// Leave the room.
    Leave,
    /// Play an action (stamped with the latest tick in real-time games).
    Action(Value),
    /// Ask the host for your legal actions (answered by [`ClientOut::LegalActions`]; works
    /// for hidden-information games too).
    Legal,
    /// Have a leaderboard pushed.
    SubscribeLeaderboard(String),
    /// Close the connection.
    Disconnect,
}

/// A network client running in the background.
pub struct ClientDriver {
    runtime: tokio::runtime::Runtime,
    tx: mpsc::UnboundedSender<ClientCmd>,
    rx: std_mpsc::Receiver<ClientOut>,
}

/// A small runtime for one node's networking (one worker thread).
pub fn background_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("hearth-net")
        .enable_all()
        .build()
}

impl ClientDriver {
    /// Starts the background task (it idles until told to connect).
    pub fn new(catalog: Arc<Catalog>) -> std::io::Result<ClientDriver> {
        let runtime = background_runtime()?;
        let (tx, cmds) = mpsc::unbounded_channel();
        let (out, rx) = std_mpsc::channel();
        runtime.spawn(run(catalog, cmds, out));
        Ok(ClientDriver { runtime, tx, rx })
    }

    /// Queues a command.
    pub fn send(&self, cmd: ClientCmd) {
        let _ = self.tx.send(cmd);
    }

    /// Everything that happened since the last call.
    pub fn poll(&self) -> Vec<ClientOut> {
        self.rx.try_iter().collect()
    }

    /// The runtime (for the LAN host and browser, which share it).
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }
}

/// What the background task keeps.
struct State {
    catalog: Arc<Catalog>,
    out: std_mpsc::Sender<ClientOut>,
    client: Option<Client>,
}

impl State {
    fn emit(&self, o: ClientOut) {
        let _ = self.out.send(o);
    }

    fn fail(&self, e: &ClientError) {
        self.emit(ClientOut::Error {
            code: e.code().unwrap_or("connection").into(),
            message: e.to_string(),
        });
    }
}

/// A game value as Godot data: the client core delivers them as JSON (`Config::values`).
fn gd(p: &Payload) -> GdValue {
    from_json(p.json())
}

fn value(v: &impl serde::Serialize) -> GdValue {
    from_json(&serde_json::to_value(v).unwrap_or(Value::Null))
}

/// A client whose game values come as JSON, the form Godot data is made from.
fn json_values(config: ClientConfig) -> ClientConfig {
    ClientConfig {
        values: Encoding::Json,
        ..config
    }
}

async fn run(
    catalog: Arc<Catalog>,
    mut cmds: mpsc::UnboundedReceiver<ClientCmd>,
    out: std_mpsc::Sender<ClientOut>,
) {
    let mut st = State {
        catalog,
        out,
        client: None,
    };
    loop {
        let event = async {
            match st.client.as_mut() {
                Some(c) => c.next_event().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            cmd = cmds.recv() => match cmd {
                Some(cmd) => command(&mut st, cmd).await,
                None => break,
            },
            ev = event => match ev {
                Some(ev) => on_event(&mut st, ev),
                None => {
                    st.client = None;
                    st.emit(ClientOut::Disconnected { reason: "the connection closed".into(), reconnecting: false });
                }
            },
        }
    }
}

/// `http://host:port` (or `ws://…/ws`) → the HTTP base and the socket URL.
fn server_urls(url: &str) -> Result<(String, String), String> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix("/ws").unwrap_or(url);
    let authority = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("ws://"))
        .ok_or_else(|| {
            format!(
                "`{url}` is not a server address; use http://host:port (TLS servers are not supported from Godot yet)"
            )
        })?;
    Ok((
        format!("http://{authority}"),
        format!("ws://{authority}/ws"),
    ))
}

async fn connect(st: &mut State, config: ClientConfig) {
    match Client::connect(json_values(config)).await {
        Ok(c) => {
            let welcome = c.welcome().map(|w| value(&w)).unwrap_or(GdValue::Nil);
            st.client = Some(c);
            st.emit(ClientOut::Connected(welcome));
        }
        Err(e) => st.fail(&e),
    }
}

async fn command(st: &mut State, cmd: ClientCmd) {
    match cmd {
        ClientCmd::ConnectServer {
            url,
            device_id,
            name,
        } => {
            let (http, ws) = match server_urls(&url) {
                Ok(u) => u,
                Err(message) => {
                    return st.emit(ClientOut::Error {
                        code: "bad_url".into(),
                        message,
                    });
                }
            };
            match hearth_client::device_login(&http, &device_id, &name).await {
                Ok(token) => {
                    let config = ClientConfig::server(ws, token, st.catalog.clone());
                    connect(st, config).await;
                }
                Err(e) => st.fail(&e),
            }
        }
        ClientCmd::ConnectHost {
            address,
            port,
            name,
        } => {
            let addr = match address.parse::<std::net::IpAddr>() {
                Ok(ip) => SocketAddr::new(ip, port).to_string(),
                Err(_) => format!("{address}:{port}"),
            };
            let config = ClientConfig::lan(format!("ws://{addr}/ws"), name, st.catalog.clone());
            connect(st, config).await;
        }
        ClientCmd::Disconnect => {
            if st.client.take().is_some() {
                st.emit(ClientOut::Disconnected {
                    reason: "disconnected".into(),
                    reconnecting: false,
                });
            }
        }
        other => {
            let Some(c) = st.client.as_ref() else {
                return st.emit(ClientOut::Error {
                    code: "not_connected".into(),
                    message: "connect first (connect_to_server or connect_to_host)".into(),
                });
            };
            let result = match other {
                ClientCmd::ListRooms => c.rooms().await.map(|rooms| {
                    st.emit(ClientOut::RoomsListed(value(&rooms)));
                }),
                ClientCmd::Join {
                    room,
                    password,
                    game,
                    config,
                    spectate,
                } => {
                    let password = (!password.is_empty()).then_some(password);
                    let req = Request::Join {
                        room,
                        password: password.clone(),
                        join_as: if spectate {
                            JoinAs::Spectator
                        } else {
                            JoinAs::Player
                        },
                        create: (!game.is_empty()).then(|| RoomOptions {
                            game,
                            config: Payload::Json(config),
                            max_seats: None,
                            public: password.is_none(),
                            password,
                        }),
                    };
                    c.request(req).await.map(|reply| {
                        if let Reply::Joined(state) = reply {
                            st.emit(ClientOut::RoomChanged(value(&state)));
                        }
                    })
                }
                ClientCmd::Ready(ready) => c.ready(ready).await,
                ClientCmd::Start => c.start().await,
                ClientCmd::AddBot(level) => c.add_bot(level).await,
                ClientCmd::Chat(text) => c.request(Request::Chat { text }).await.map(drop),
                ClientCmd::Leave => c.leave().await,
                ClientCmd::Legal => c.legal_actions().await.map(|actions| {
                    st.emit(ClientOut::LegalActions(from_json(&actions)));
                }),
                ClientCmd::SubscribeLeaderboard(game) => c
                    .request(Request::SubscribeLeaderboard { game })
                    .await
                    .map(drop),
                ClientCmd::Action(action) => {
                    // Real time: stamp with the latest snapshot's tick and do not wait for
                    // the tick to run; a refusal still arrives as an error.
                    let tick = c
                        .started()
                        .is_some_and(|s| s.tick_rate.is_some())
                        .then(|| c.tick());
                    match c.send(Request::Action {
                        action: Payload::Json(action),
                        tick,
                    }) {
                        Ok(reply) => {
                            let out = st.out.clone();
                            tokio::spawn(async move {
                                if let Err(e) = reply.await {
                                    let _ = out.send(ClientOut::Error {
                                        code: e.code().unwrap_or("connection").into(),
                                        message: e.to_string(),
                                    });
                                }
                            });
                            Ok(())
                        }
                        Err(e) => Err(e),
                    }
                }
                ClientCmd::ConnectServer { .. }
                | ClientCmd::ConnectHost { .. }
                | ClientCmd::Disconnect => Ok(()),
            };
            if let Err(e) = result {
                st.fail(&e);
            }
        }
    }
}

fn on_event(st: &mut State, ev: Event) {
    match ev {
        Event::Room(state) => st.emit(ClientOut::RoomChanged(value(&state))),
        Event::Chat { name, text, .. } => st.emit(ClientOut::Chat { name, text }),
        Event::Started(started) => {
            st.emit(ClientOut::GameStarted(from_json(&json!({
                "game": started.game,
                "sync": started.sync,
                "seats": started.seats,
                "players": started.players,
                "seat": started.seat,
                "tick_rate": started.tick_rate,
                "config": started.config.json(),
            }))));
            // Perfect information: the first view comes from the mirror.
            if let Some(view) = mirror_view(st) {
                st.emit(ClientOut::ViewChanged {
                    view,
                    events: GdValue::Array(Vec::new()),
                    tick: 0,
                });
            }
        }
        Event::Entry {
            seq,
            seat,
            action,
            events,
        } => {
            st.emit(ClientOut::LogEntry(value(&json!({
                "seq": seq,
                "seat": seat,
                "action": action.json(),
                "events": events.json(),
            }))));
            if let Some(view) = mirror_view(st) {
                st.emit(ClientOut::ViewChanged {
                    view,
                    events: gd(&events),
                    tick: 0,
                });
            }
        }
        Event::View { view, events, .. } => {
            let tick = st.client.as_ref().map_or(0, Client::tick);
            st.emit(ClientOut::ViewChanged {
                view: gd(&view),
                events: gd(&events),
                tick: tick as i64,
            })
        }
        Event::Snapshot { tick, view, .. } => st.emit(ClientOut::ViewChanged {
            view: gd(&view),
            events: GdValue::Array(Vec::new()),
            tick: tick as i64,
        }),
        Event::Leaderboard { game, standings } => st.emit(ClientOut::LeaderboardChanged {
            game,
            standings: value(&standings),
        }),
        Event::Left(reason) => st.emit(ClientOut::Left(reason)),
        Event::Error(e) => st.emit(ClientOut::Error {
            code: e.code,
            message: e.message,
        }),
        Event::Desync(index) => st.emit(ClientOut::Error {
            code: "desync".into(),
            message: format!("this client's game differs from the host's at log length {index}"),
        }),
        Event::Disconnected(reason) => st.emit(ClientOut::Disconnected {
            reason,
            reconnecting: true,
        }),
        Event::Reconnected => {
            let welcome = st
                .client
                .as_ref()
                .and_then(Client::welcome)
                .map(|w| value(&w))
                .unwrap_or(GdValue::Nil);
            st.emit(ClientOut::Connected(welcome));
        }
        Event::Closed(reason) => {
            st.client = None;
            st.emit(ClientOut::Disconnected {
                reason,
                reconnecting: false,
            });
        }
    }
}

/// Perfect information: your view from the mirror.
fn mirror_view(st: &State) -> Option<GdValue> {
    let client = st.client.as_ref()?;
    let perfect = client
        .started()
        .is_some_and(|s| s.sync == hearth_rules::SyncMode::PerfectInformation);
    if !perfect {
        return None;
    }
    client.view().as_ref().map(gd)
}

/// A LAN host running in the background: the host core plus its mDNS announcement.
pub struct LanHostDriver {
    host: Option<LanHost>,
}

impl LanHostDriver {
    /// Starts hosting `name` on `port` (0 picks one) on every interface (`interfaces` says
    /// where to announce); returns the port it listens on. With `web`, a folder on disk
    /// holding the browser client (index.html and pkg/), phones join by opening
    /// [`LanHostDriver::page_urls`]. Only binds and registers locally: nothing here waits for
    /// another machine.
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        name: &str,
        port: u16,
        interfaces: Interfaces,
        catalog: Arc<Catalog>,
        web: Option<std::path::PathBuf>,
    ) -> Result<(LanHostDriver, u16), String> {
        if let Some(dir) = &web
            && !dir.join("index.html").is_file()
        {
            return Err(format!(
                "{} has no index.html: give the folder holding the browser client (index.html and pkg/)",
                dir.display()
            ));
        }
        let bind = match interfaces {
            Interfaces::All => SocketAddr::from(([0, 0, 0, 0], port)),
            Interfaces::LoopbackOnly => SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let config = LanConfig {
            name: name.into(),
            host: HostConfig {
                web_root: web,
                ..HostConfig::on(bind, catalog)
            },
            interfaces,
        };
        let host = runtime
            .block_on(LanHost::start(config))
            .map_err(|e| e.to_string())?;
        let port = host.host().addr().port();
        Ok((LanHostDriver { host: Some(host) }, port))
    }

    /// The page's URL on each address phones can reach (see `LanHost::page_urls`); empty
    /// once stopped.
    pub fn page_urls(&self) -> Vec<String> {
        self.host
            .as_ref()
            .map(|h| h.page_urls().to_vec())
            .unwrap_or_default()
    }

    /// Stops hosting: players are told and the announcement is withdrawn, in the background
    /// (the caller — Godot's main thread — does not wait for the network).
    pub fn stop(&mut self, runtime: &tokio::runtime::Runtime) {
        if let Some(host) = self.host.take() {
            runtime.spawn(host.stop());
        }
    }
}

/// A QR code of `text` as 8-bit grey pixels (0 dark, 255 light; quiet zone included),
/// `scale` pixels a module: `(side, pixels)`, what `HearthLanHost.qr_image` makes its `Image`
/// of.
pub fn qr_luma(text: &str, scale: usize) -> Result<(usize, Vec<u8>), String> {
    let qr = hearth_server::lan::Qr::new(text).map_err(|e| e.to_string())?;
    Ok(qr.to_luma(scale.clamp(1, 64)))
}

/// What the LAN browser found.
#[derive(Debug, Clone, PartialEq)]
pub enum BrowserOut {
    /// `{name, fullname, address, port, games, compatible, reason}`.
    Found(GdValue),
    /// A host went away (its full name).
    Lost(String),
    /// Browsing failed.
    Error(String),
}

/// Looks for LAN hosts in the background.
pub struct LanBrowserDriver {
    rx: std_mpsc::Receiver<BrowserOut>,
    task: tokio::task::JoinHandle<()>,
}

impl LanBrowserDriver {
    /// Starts browsing.
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        interfaces: Interfaces,
        catalog: Arc<Catalog>,
    ) -> LanBrowserDriver {
        let (out, rx) = std_mpsc::channel();
        let task = runtime.spawn(async move {
            let mut browser = match browse(interfaces) {
                Ok(b) => b,
                Err(e) => {
                    let _ = out.send(BrowserOut::Error(e.to_string()));
                    return;
                }
            };
            while let Some(event) = browser.next().await {
                let o = match event {
                    LanEvent::Found(info) => {
                        let verdict = info.compatibility(&catalog);
                        BrowserOut::Found(from_json(&json!({
                            "name": info.name,
                            "fullname": info.fullname,
                            "address": info.addresses.first().map(|a| a.to_string()),
                            "port": info.port,
                            "games": info.games,
                            "compatible": verdict.is_ok(),
                            "reason": verdict.err().map(|e| e.to_string()),
                        })))
                    }
                    LanEvent::Lost(fullname) => BrowserOut::Lost(fullname),
                };
                if out.send(o).is_err() {
                    break;
                }
            }
        });
        LanBrowserDriver { rx, task }
    }

    /// Everything found or lost since the last call.
    pub fn poll(&self) -> Vec<BrowserOut> {
        self.rx.try_iter().collect()
    }
}

impl Drop for LanBrowserDriver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
