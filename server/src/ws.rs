//! A WebSocket over an upgraded HTTP connection, framed by `hearth-ws` in Hearth's own
//! connection state, and the upgrade itself.
//!
//! Why not a WebSocket library's stream: an idle socket must cost as little memory as
//! possible (BENCHMARKS.md, *Held sockets*), and a library stream keeps a read and a write
//! buffer per socket for its whole life. Here bytes are read into the reading call's stack
//! and handed to the [`Framer`], which keeps only what is left of a frame that has not fully
//! arrived and what the socket has not taken yet: an idle socket holds no buffer.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use hearth_ws::Framer;
pub(crate) use hearth_ws::{FrameError, Message};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::admission::{Guarded, Place};

/// Why reading from the socket failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WsError {
    /// The client broke the WebSocket rules or the size limit.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The connection failed.
    #[error("the connection failed: {0}")]
    Io(#[from] io::Error),
}

/// Bytes read from the socket at a time, into the stack of the call that reads.
const READ_CHUNK: usize = 4096;

/// The server's end of an upgraded WebSocket connection.
pub(crate) struct WebSocket {
    io: Io,
    framer: Framer,
}

/// What a WebSocket reads and writes.
enum Io {
    /// A plain TCP socket, taken back from hyper with its place in the host's count: no
    /// boxed connection, handshake state or HTTP wrapper kept for the socket's life (an idle
    /// socket's memory, BENCHMARKS.md *Held sockets*). The place is given back on drop.
    Tcp {
        tcp: TcpStream,
        /// Held for its drop.
        _place: Option<Place>,
    },
    /// Anything else hyper upgraded (TLS); boxed so that it does not make every plain
    /// socket's task larger.
    Other(Box<TokioIo<Upgraded>>),
}

impl WebSocket {
    /// The server's end of `io`, upgraded, taking messages up to `max_message` bytes.
    pub(crate) fn new(io: Upgraded, max_message: usize) -> Self {
        let mut framer = Framer::new(u32::try_from(max_message).unwrap_or(u32::MAX));
        let io = match io.downcast::<TokioIo<Guarded<TcpStream>>>() {
            Ok(parts) => {
                // Frames a client sent right behind its upgrade request, read by hyper.
                framer.buffer(&parts.read_buf);
                let (tcp, place) = parts.io.into_inner().into_upgraded();
                Io::Tcp { tcp, _place: place }
            }
            Err(io) => Io::Other(Box::new(TokioIo::new(io))),
        };
        WebSocket { io, framer }
    }

    /// Reads the next message; `None` when the connection ended. Pings are answered and a
    /// close echoed by queuing the answer (see [`WebSocket::poll_flush`]).
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, WsError>>> {
        loop {
            match self.framer.next_buffered() {
                Ok(Some(msg)) => return Poll::Ready(Some(Ok(msg))),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(Err(e.into()))),
            }
            if self.framer.closed_by_peer() {
                return Poll::Ready(None);
            }
            // Not zero-filled: only what the read fills is looked at.
            let mut chunk = [std::mem::MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut chunk);
            let read = match &mut self.io {
                Io::Tcp { tcp, .. } => Pin::new(tcp).poll_read(cx, &mut buf),
                Io::Other(io) => Pin::new(&mut **io).poll_read(cx, &mut buf),
            };
            if let Err(e) = ready!(read) {
                return Poll::Ready(Some(Err(e.into())));
            }
            if buf.filled().is_empty() {
                return Poll::Ready(None);
            }
            match self.framer.next_in(buf.filled()) {
                Ok(Some(msg)) => return Poll::Ready(Some(Ok(msg))),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(Err(e.into()))),
            }
        }
    }

    /// Queues a text (JSON) message.
    pub(crate) fn queue_text(&mut self, text: &[u8]) {
        self.framer.queue_text(text);
    }

    /// Queues a binary (postcard) message.
    pub(crate) fn queue_binary(&mut self, bytes: &[u8]) {
        self.framer.queue_binary(bytes);
    }

    /// Queues a ping.
    pub(crate) fn queue_ping(&mut self) {
        self.framer.queue_ping();
    }

    /// Queues a close frame with `code` and `reason`.
    pub(crate) fn queue_close(&mut self, code: u16, reason: &str) {
        self.framer.queue_close(code, reason);
    }

    /// Whether the peer sent a close frame (whose echo may wait in the output).
    pub(crate) fn closed_by_peer(&self) -> bool {
        self.framer.closed_by_peer()
    }

    /// Whether queued bytes wait to be written.
    pub(crate) fn has_output(&self) -> bool {
        self.framer.has_output()
    }

    /// Writes what is queued, all of it (the framer then frees its buffer).
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.framer.has_output() {
            let output = self.framer.output();
            let n = ready!(match &mut self.io {
                Io::Tcp { tcp, .. } => Pin::new(tcp).poll_write(cx, output),
                Io::Other(io) => Pin::new(&mut **io).poll_write(cx, output),
            })?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.framer.written(n);
        }
        match &mut self.io {
            // Nothing buffered below: written is sent.
            Io::Tcp { .. } => Poll::Ready(Ok(())),
            // A TLS stream has its own buffer to push out.
            Io::Other(io) => Pin::new(&mut **io).poll_flush(cx),
        }
    }

    /// Waits for the next message (see [`WebSocket::poll_recv`]).
    pub(crate) async fn recv(&mut self) -> Option<Result<Message, WsError>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Waits until what is queued has been written.
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }
}

/// An HTTP/1.1 request asking for a WebSocket, checked: the `101 Switching Protocols`
/// answer and what completes when the connection has switched.
pub(crate) struct Upgrade {
    /// The answer to send.
    pub response: Response<Body>,
    /// The connection once upgraded.
    pub on_upgrade: OnUpgrade,
}

/// Checks a WebSocket upgrade request; a refusal is the HTTP status and text to answer with.
pub(crate) fn accept(
    method: &Method,
    headers: &HeaderMap,
    extensions: &mut axum::http::Extensions,
) -> Result<Upgrade, (StatusCode, &'static str)> {
    let refuse = |status: StatusCode, why: &'static str| (status, why);
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if method != Method::GET {
        return Err(refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "a WebSocket upgrade is a GET request",
        ));
    }
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err(refuse(
            StatusCode::UPGRADE_REQUIRED,
            "this is a WebSocket endpoint: connect with a WebSocket client",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "only WebSocket version 13 is spoken (Sec-WebSocket-Version: 13)",
        ));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "the upgrade lacks its Sec-WebSocket-Key",
        ));
    };
    let Some(on_upgrade) = extensions.remove::<OnUpgrade>() else {
        return Err(refuse(
            StatusCode::UPGRADE_REQUIRED,
            "this connection cannot be upgraded (HTTP/1.1 is needed)",
        ));
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    Ok(Upgrade {
        response,
        on_upgrade,
    })
}
