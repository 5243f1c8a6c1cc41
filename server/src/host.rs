//! Starting and stopping a host: the HTTP/WebSocket listener around the hub.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use hearth_rules::protocol::RoomSummary;
use tokio::sync::{oneshot, watch};

use crate::config::HostConfig;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::room::{RoomCmd, RoomInspect};

/// How long [`HostHandle::shutdown`] waits for rooms and connections to finish.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Why a host could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}; pick another address with --bind or HEARTH_BIND")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The host core: authoritative rooms over WebSocket at `/ws`, plus `/healthz` and
/// `/metrics`.
pub struct Host;

impl Host {
    /// Binds and starts serving in the background.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), hearth_server::HostError> {
    /// use hearth_server::{Host, HostConfig};
    /// let host = Host::start(HostConfig::on("127.0.0.1:0".parse().unwrap())).await?;
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
        let hub = Arc::new(Hub::new(config, metrics, stop_rx.clone()));
        let mut app = Router::new()
            .route("/ws", get(upgrade))
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics_text))
            .with_state(hub.clone());
        if let Some(extra) = extra {
            app = app.merge(extra);
        }
        let mut stop = stop_rx;
        // Game traffic is many small frames: Nagle's algorithm would hold them back.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {e}");
            }
        });
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            });
            if let Err(e) = serve.await {
                tracing::error!("the listener failed: {e}");
            }
        });
        tracing::info!("hearth host listening on http://{addr} (WebSocket at ws://{addr}/ws)");
        Ok(HostHandle {
            addr,
            hub,
            stop: stop_tx,
            server,
        })
    }
}

/// A running host.
pub struct HostHandle {
    addr: SocketAddr,
    hub: Arc<Hub>,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

impl HostHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The WebSocket URL clients connect to.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
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
        let tx = self.hub.room_tx(&room.trim().to_lowercase())?;
        let (reply, rx) = oneshot::channel();
        tx.send(RoomCmd::Inspect { reply }).await.ok()?;
        rx.await.ok()
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

async fn upgrade(State(hub): State<Arc<Hub>>, ws: WebSocketUpgrade) -> Response {
    let limits = &hub.config.limits;
    if hub.metrics.connections.get() >= limits.max_connections as i64 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections; try again later",
        )
            .into_response();
    }
    if *hub.shutdown.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "the host is shutting down").into_response();
    }
    ws.max_message_size(limits.max_frame_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .on_upgrade(move |socket| crate::conn::serve(socket, hub))
}

async fn healthz(State(hub): State<Arc<Hub>>) -> Response {
    let body = serde_json::json!({
        "status": if *hub.shutdown.borrow() { "stopping" } else { "ok" },
        "version": hub.config.server_version,
        "protocol": hearth_rules::protocol::PROTOCOL_VERSION,
        "connections": hub.metrics.connections.get(),
        "rooms": hub.room_count(),
    });
    Json(body).into_response()
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
