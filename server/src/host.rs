//! Starting and stopping a host: the HTTP/WebSocket listener around the hub.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hearth_rules::protocol::{PlayerId, RoomSummary};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::{oneshot, watch};

use crate::admission::{Admission, Admitted, AdmittedTcp, Peer};
use crate::config::HostConfig;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::room::{RoomCmd, RoomInspect};

/// How long [`HostHandle::shutdown`] waits for rooms and connections to finish.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Why a host could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The TLS certificate or key could not be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}; pick another address with --bind or HEARTH_BIND")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Serves `app` on `listener` until `stop` turns true, then lets the HTTP connections finish
/// their requests (WebSockets have left this loop: the hub closes them).
///
/// Hearth's own loop rather than `axum::serve`: axum serves through hyper-util's automatic
/// HTTP/1-or-2 connection, whose private buffering type sits under every upgraded socket, so
/// a WebSocket could never get its plain TCP socket back from hyper (`ws::WebSocket::new`)
/// and kept hyper's boxed connection and the handshake's state for its whole life.
async fn serve_http<L>(mut listener: L, app: Router, mut stop: watch::Receiver<bool>)
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: Admitted,
{
    // Each connection holds a receiver; the loop's end waits until all are gone.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let (io, addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop) => break,
        };
        let peer = Peer {
            addr,
            state: io.conn_state().clone(),
        };
        let app = app.clone();
        let mut stop = stop.clone();
        let open = open_rx.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(peer.clone()));
                tower_service::Service::call(&mut app.clone(), request)
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(open);
        });
    }
    // New connections are refused from here, not left waiting in the backlog.
    drop(listener);
    drop(open_rx);
    open_tx.closed().await;
}

/// Returns once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: dropped here, not held in a `select!`.
    let _ = stop.wait_for(|s| *s).await;
}

/// The host core: authoritative rooms over WebSocket at `/ws`, plus `/healthz` and
/// `/metrics`.
pub struct Host;

impl Host {
    /// Binds and starts serving in the background.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use hearth_server::{Host, HostConfig};
    /// // Your rules crate's `games` (here Hearth's example games).
    /// let catalog = Arc::new(hearth_rules::Catalog::of(hearth_games::games)?);
    /// let host = Host::start(HostConfig::on("127.0.0.1:0".parse()?, catalog)).await?;
    /// println!("join at {}", host.ws_url());
    /// host.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn start(config: HostConfig) -> Result<HostHandle, HostError> {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| HostError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| HostError::Bind {
            addr: config.bind,
            source,
        })?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let metrics = Arc::new(Metrics::default());
        let extra = config.routes.clone();
        let web_root = config.web_root.clone();
        #[cfg(feature = "tls")]
        let config_bind = config.bind;
        #[cfg(feature = "tls")]
        let tls = match &config.tls {
            Some(files) => Some(files.server_config()?),
            None => None,
        };
        #[cfg(not(feature = "tls"))]
        let tls: Option<std::convert::Infallible> = match &config.tls {
            Some(_) => return Err(crate::tls::TlsError::NotBuiltIn.into()),
            None => None,
        };
        let limits = &config.limits;
        let admission = Admission::new(
            limits.max_connections,
            limits.reserved_connections,
            limits.handshake_timeout,
            limits.idle_timeout,
            metrics.clone(),
        );
        let hub = Arc::new(Hub::new(config, metrics, stop_rx.clone()));
        tokio::spawn(crate::hub::clock(hub.clone(), stop_rx.clone()));
        let control = HostControl { hub: hub.clone() };
        let mut app = Router::new()
            .route("/ws", get(upgrade))
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics_text))
            .with_state(hub.clone());
        if let Some(extra) = extra {
            app = app.merge(extra(control.clone()));
        }
        if let Some(root) = web_root {
            app = app.fallback_service(axum::routing::get(crate::web::serve).with_state(root));
        }
        let app = app
            .layer(axum::middleware::from_fn(crate::admission::track))
            .layer(Extension(admission.clone()));
        let stop = stop_rx;
        let secure = tls.is_some();
        let server = match tls {
            #[cfg(not(feature = "tls"))]
            Some(never) => match never {},
            #[cfg(feature = "tls")]
            Some(tls) => {
                let listener =
                    crate::tls::TlsListener::new(listener, tls, admission).map_err(|source| {
                        HostError::Bind {
                            addr: config_bind,
                            source,
                        }
                    })?;
                tokio::spawn(serve_http(listener, app, stop))
            }
            None => tokio::spawn(serve_http(
                AdmittedTcp {
                    listener,
                    admission,
                },
                app,
                stop,
            )),
        };
        let (http, ws) = if secure {
            ("https", "wss")
        } else {
            ("http", "ws")
        };
        tracing::info!("hearth host listening on {http}://{addr} (WebSocket at {ws}://{addr}/ws)");
        Ok(HostHandle {
            addr,
            secure,
            hub,
            control,
            stop: stop_tx,
            server,
        })
    }
}

/// What the embedding process and the official services may do with a running host.
#[derive(Clone)]
pub struct HostControl {
    hub: Arc<Hub>,
}

impl HostControl {
    /// Every room (public or not), by name.
    pub fn rooms(&self) -> Vec<RoomSummary> {
        self.hub.all_rooms()
    }

    /// A look inside a room: its summary, members, phase and game as snapshot bytes.
    pub async fn inspect(&self, room: &str) -> Option<RoomInspect> {
        let tx = self.hub.room_tx(&room.trim().to_lowercase())?;
        let (reply, rx) = oneshot::channel();
        tx.send(RoomCmd::Inspect { reply }).await.ok()?;
        rx.await.ok()
    }

    /// Closes a room: its members are told `reason` and let go. False if there is no such room.
    pub async fn close_room(&self, room: &str, reason: &str) -> bool {
        let Some(tx) = self.hub.room_tx(&room.trim().to_lowercase()) else {
            return false;
        };
        tx.send(RoomCmd::Close {
            reason: reason.to_string(),
        })
        .await
        .is_ok()
    }

    /// Removes a player from a room. False if the room or the player is not there.
    pub async fn kick(&self, room: &str, player: PlayerId) -> bool {
        let Some(tx) = self.hub.room_tx(&room.trim().to_lowercase()) else {
            return false;
        };
        let (reply, rx) = oneshot::channel();
        if tx
            .send(RoomCmd::KickPlayer { player, reply })
            .await
            .is_err()
        {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// Closes every open connection of `player`, telling it `code` and `message` in a
    /// `closing` push (a ban); returns how many were closed.
    pub fn disconnect_player(&self, player: PlayerId, code: &'static str, message: &str) -> usize {
        self.hub.disconnect(Some(player), None, code, message)
    }

    /// Closes every open connection that signed in with the credential `session` (see
    /// [`Identity::session`](crate::Identity::session)), e.g. when its token is signed out.
    pub fn disconnect_session(&self, session: &str, code: &'static str, message: &str) -> usize {
        self.hub.disconnect(None, Some(session), code, message)
    }

    /// Everyone connected, one row per connection.
    pub fn online(&self) -> Vec<crate::hub::Online> {
        self.hub.online()
    }

    /// Rebuilds a room around a stored, unfinished match: it plays on, each seat held for its
    /// player (who takes it back by joining the room by name with the same account).
    pub fn restore_room(
        &self,
        name: &str,
        session: hearth_rules::DynSession,
        players: Vec<(PlayerId, String)>,
        match_id: u64,
    ) -> Result<(), hearth_rules::protocol::WireError> {
        self.hub.restore_room(name, session, players, match_id)
    }

    /// Pushes a leaderboard to the connections that subscribed to it.
    pub fn publish_leaderboard(&self, game: &str, standings: &[hearth_rules::protocol::Standing]) {
        self.hub.publish_leaderboard(game, standings);
    }

    /// The games some connection here wants leaderboards of.
    pub fn subscribed_games(&self) -> Vec<String> {
        self.hub.subscribed_games()
    }

    /// Starts draining: no new rooms, and `/healthz` answers 503 so load balancers send
    /// players elsewhere. Rooms already here go on.
    pub fn drain(&self) {
        self.hub
            .draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether [`HostControl::drain`] was called.
    pub fn is_draining(&self) -> bool {
        self.hub.draining.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops the rooms called `keys` (every room if `None`) without ending their matches,
    /// dropping their members' connections so they reconnect and resume wherever the
    /// cluster runs the match now. How many rooms were told.
    pub async fn hand_over(&self, keys: Option<&[String]>) -> usize {
        let keys = match keys {
            Some(k) => k.to_vec(),
            None => self.hub.room_keys(),
        };
        let mut told = 0;
        for key in keys {
            if let Some(tx) = self.hub.room_tx(&key)
                && tx.send(RoomCmd::Moved).await.is_ok()
            {
                told += 1;
            }
        }
        told
    }

    /// The host's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.hub.metrics
    }
}

/// A running host.
pub struct HostHandle {
    addr: SocketAddr,
    secure: bool,
    hub: Arc<Hub>,
    control: HostControl,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

impl HostHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it serves HTTPS/WSS.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The WebSocket URL clients connect to (`wss://` with TLS).
    pub fn ws_url(&self) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        format!("{scheme}://{}/ws", self.addr)
    }

    /// The base URL of the HTTP endpoints (`https://` with TLS).
    pub fn http_url(&self) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Every room (public or not), by name.
    pub fn rooms(&self) -> Vec<RoomSummary> {
        self.hub.all_rooms()
    }

    /// The host's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.hub.metrics
    }

    /// A look inside a room: its summary and its game as snapshot bytes.
    pub async fn inspect(&self, room: &str) -> Option<RoomInspect> {
        self.control.inspect(room).await
    }

    /// The control handle (admin operations, restoring rooms, leaderboards).
    pub fn control(&self) -> &HostControl {
        &self.control
    }

    /// Stops accepting, tells every connection, lets rooms flush their logs, and waits (up
    /// to a few seconds) for all of it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + SHUTDOWN_WAIT;
        while (self.hub.room_count() > 0 || self.hub.metrics.connections.get() > 0)
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = tokio::time::timeout(SHUTDOWN_WAIT, self.server).await;
        tracing::info!("hearth host stopped");
    }
}

/// With `same_origin_only`: the page to open instead, if a browser page of another origin
/// opened this socket (`Origin`'s host and port are not the request's `Host`).
fn foreign_origin(headers: &axum::http::HeaderMap) -> Option<String> {
    let origin = headers
        .get(axum::http::header::ORIGIN)?
        .to_str()
        .unwrap_or("null");
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    if authority.is_some_and(|a| a.eq_ignore_ascii_case(host)) {
        return None;
    }
    Some(format!(
        "this page ({origin}) is not this host's: open http://{host}/ to play here"
    ))
}

async fn upgrade(
    State(hub): State<Arc<Hub>>,
    Extension(admission): Extension<Arc<Admission>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let upgrade = match crate::ws::accept(&parts.method, &parts.headers, &mut parts.extensions) {
        Ok(upgrade) => upgrade,
        Err(refusal) => return refusal.into_response(),
    };
    let limits = &hub.config.limits;
    // Upgrades stop short of the socket cap, so a full host still answers `/healthz`.
    if hub.metrics.connections.get() >= admission.max_websockets() as i64 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections; try again later",
        )
            .into_response();
    }
    if *hub.shutdown.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "the host is shutting down").into_response();
    }
    // From here the connection's own timeouts apply (`hello` within the handshake time).
    peer.state.upgraded();
    let refusal = if hub.config.same_origin_only {
        foreign_origin(&parts.headers)
    } else {
        None
    };
    let max_message = limits.max_frame_bytes;
    let on_upgrade = upgrade.on_upgrade;
    // Two tasks, not one with a branch: a task keeps everything its future captured for its
    // whole life, and every idle socket pays for it (BENCHMARKS.md, *Held sockets*).
    match refusal {
        // Upgraded, then refused in words: a browser cannot read an HTTP refusal of a
        // WebSocket, but it reads a `closing` message.
        Some(message) => {
            tokio::spawn(async move {
                if let Ok(io) = on_upgrade.await {
                    let socket = crate::ws::WebSocket::new(io, max_message);
                    let code = hearth_rules::protocol::codes::WRONG_ORIGIN;
                    crate::conn::refuse(socket, code, message).await;
                }
            });
        }
        None => {
            tokio::spawn(async move {
                // `let … else`, not `if let`: the awaited result would live through the
                // whole connection in the task's memory.
                let Ok(io) = on_upgrade.await else {
                    return;
                };
                crate::conn::serve(crate::ws::WebSocket::new(io, max_message), hub).await;
            });
        }
    }
    upgrade.response
}

async fn healthz(State(hub): State<Arc<Hub>>) -> Response {
    let draining = hub.draining.load(std::sync::atomic::Ordering::Relaxed);
    let status = if *hub.shutdown.borrow() {
        "stopping"
    } else if draining {
        "draining"
    } else {
        "ok"
    };
    let body = serde_json::json!({
        "status": status,
        "version": hub.config.server_version,
        "protocol": hearth_rules::protocol::PROTOCOL_VERSION,
        "connections": hub.metrics.connections.get(),
        "rooms": hub.room_count(),
    });
    // Readiness: a draining node takes no new players.
    let code = if draining {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(body)).into_response()
}

async fn metrics_text(State(hub): State<Arc<Hub>>) -> Response {
    hub.update_room_gauge();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        hub.metrics.render(),
    )
        .into_response()
}
