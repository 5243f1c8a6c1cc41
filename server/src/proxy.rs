//! Entering a room another node of a cluster runs: this node opens a WebSocket to the room's
//! node, repeats the client's own `hello` there (its token and fingerprints, so that node
//! checks the account itself), hands over the request, and from then on passes frames both
//! ways unchanged. The client sees one host and needs nothing new (docs/protocol.md, section
//! "Clusters"). Why a proxy and not a redirect: the native, Wasm and Godot clients, and any
//! client written against the protocol, follow it without a change.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hearth_rules::protocol::{ServerMsg, WireBytes, WireError, from_json, from_postcard};
use tokio_tungstenite::tungstenite;

use crate::wire::{Ctl, Mailbox};
use crate::ws::{Message, WebSocket};

/// How long reaching a room's node and its answer to `hello` may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket to the node that runs a room, past its handshake.
pub(crate) struct Upstream {
    ws: Socket,
}

/// Why a room's node could not be used.
pub(crate) enum ConnectError {
    /// It did not answer (it may have just died: the cluster moves its matches).
    Unreachable(String),
    /// It refused the client's handshake (a ban, say): the client hears why.
    Refused(WireError),
}

/// Opens a socket to `url` and says the client's `hello` there.
pub(crate) async fn connect(url: &str, hello: &Message) -> Result<Upstream, ConnectError> {
    let attempt = async {
        // Small reads, as in the clients: frames are a few hundred bytes (BENCHMARKS.md).
        let config = tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
        let gone = |e: tungstenite::Error| ConnectError::Unreachable(e.to_string());
        ws.send(upstream_message(hello)).await.map_err(gone)?;
        // The node answers `hello` before anything else.
        loop {
            let Some(msg) = ws.next().await else {
                return Err(ConnectError::Unreachable(
                    "closed during the handshake".into(),
                ));
            };
            let refusal = match msg.map_err(gone)? {
                tungstenite::Message::Text(t) => {
                    match from_json::<ServerMsg<serde_json::Value>>(t.as_str()) {
                        Ok(ServerMsg::Error { error, .. }) => Some(error),
                        _ => None,
                    }
                }
                tungstenite::Message::Binary(b) => {
                    match from_postcard::<ServerMsg<WireBytes>>(&b) {
                        Ok(ServerMsg::Error { error, .. }) => Some(error),
                        _ => None,
                    }
                }
                tungstenite::Message::Close(_) => {
                    return Err(ConnectError::Unreachable(
                        "closed during the handshake".into(),
                    ));
                }
                _ => continue,
            };
            return match refusal {
                Some(e) => Err(ConnectError::Refused(e)),
                None => Ok(Upstream { ws }),
            };
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| Err(ConnectError::Unreachable("no answer in time".into())))
}

/// How passing frames ended.
pub(crate) enum Ended {
    /// The client went away.
    Client,
    /// The room's node closed or failed: drop the client's socket so it reconnects (and
    /// resumes its seat wherever the room runs then).
    Upstream,
    /// This node closes the connection (a ban, a sign-out, shutdown).
    Close(&'static str, String),
}

/// Hands `request` to the room's node, then passes frames both ways until either side ends.
/// What this node's own mailbox receives (a leaderboard subscribed here, a ban) still
/// reaches the client.
pub(crate) async fn pipe(
    socket: &mut WebSocket,
    mut up: Upstream,
    request: Message,
    mailbox: &Mailbox,
) -> Ended {
    if up.ws.send(upstream_message(&request)).await.is_err() {
        return Ended::Upstream;
    }
    loop {
        // The host's clock: the room's node keeps its own watch on the client.
        mailbox.take_tick();
        while let Some(ctl) = mailbox.take_ctl() {
            match ctl {
                Ctl::Close { code, message } => return Ended::Close(code, message),
                Ctl::Overflow | Ctl::Drop => return Ended::Upstream,
                Ctl::Left { .. } => {}
            }
        }
        while let Some(frame) = mailbox.next_frame() {
            frame.queue_on(socket);
        }
        if socket.has_output() && socket.flush().await.is_err() {
            return Ended::Client;
        }
        tokio::select! {
            () = std::future::poll_fn(|cx| mailbox.poll_ready(cx)) => {}
            from_client = socket.recv() => match from_client {
                Some(Ok(Message::Close)) | Some(Err(_)) | None => {
                    let _ = up.ws.close(None).await;
                    return Ended::Client;
                }
                // A ping's pong is queued and goes at the top of the loop.
                Some(Ok(Message::Ping | Message::Pong)) => {}
                Some(Ok(msg)) => {
                    if up.ws.send(upstream_message(&msg)).await.is_err() {
                        return Ended::Upstream;
                    }
                }
            },
            from_node = up.ws.next() => match from_node {
                Some(Ok(tungstenite::Message::Text(t))) => socket.queue_text(t.as_bytes()),
                Some(Ok(tungstenite::Message::Binary(b))) => socket.queue_binary(&b),
                Some(Ok(tungstenite::Message::Close(_))) | Some(Err(_)) | None => {
                    return Ended::Upstream;
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

/// A client's frame as the upstream socket's type.
fn upstream_message(m: &Message) -> tungstenite::Message {
    match m {
        Message::Text(t) => tungstenite::Message::Text(t.clone()),
        Message::Binary(b) => tungstenite::Message::Binary(b.clone()),
        Message::Ping => tungstenite::Message::Ping(Default::default()),
        Message::Pong => tungstenite::Message::Pong(Default::default()),
        Message::Close => tungstenite::Message::Close(None),
    }
}
