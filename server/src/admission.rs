//! Admission: every accepted socket counts against the connection cap from the moment it is
//! accepted, and must finish its handshake — TLS, the request head, the WebSocket upgrade —
//! by a deadline, however slowly it trickles bytes.
//!
//! Why here and not in hyper: hyper's own header timeout needs a timer axum does not give
//! it, restarts with each request, and a socket that never sends a byte never starts it.
//! Counting at accept is what keeps silent sockets from exhausting file descriptors, and
//! closing the oldest socket still in its handshake when the host is full is what keeps
//! them from locking players out while they wait for their deadline.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::metrics::Metrics;

/// File descriptors kept back from the connection cap for everything else the process opens
/// (the database and its journal, served files, the runtime's own).
const FD_MARGIN: usize = 64;

/// Waiting for (the rest of) a request head: the deadline runs and the socket may be
/// closed to make room.
const WAITING: u8 = 0;
/// A request is being answered: no deadline.
const BUSY: u8 = 1;
/// Upgraded to a WebSocket: the connection's own timeouts apply from here on.
const UPGRADED: u8 = 2;

/// How many sockets may be open and how long each has to prove itself.
pub(crate) struct Admission {
    cap: usize,
    reserve: usize,
    handshake: Duration,
    keep_alive: Duration,
    metrics: Arc<Metrics>,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Sockets accepted and not yet dropped.
    open: usize,
    /// Of those, the ones told to close to make room (they go within a poll).
    leaving: usize,
    /// Every socket that may still be waiting, oldest first (weak: the socket owns itself).
    queue: VecDeque<Weak<ConnState>>,
    /// How long the queue was after its last sweep.
    swept: usize,
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Admission {
    /// Admission for `max_connections` sockets (fewer if the process may not open that many
    /// files), `reserve` of them kept from WebSocket players for `/healthz` and `/metrics`;
    /// a socket has `handshake` for each request head, and an idle keep-alive socket
    /// `keep_alive` before its next one.
    pub(crate) fn new(
        max_connections: usize,
        reserve: usize,
        handshake: Duration,
        keep_alive: Duration,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let mut cap = max_connections.max(1);
        if let Some(files) = open_file_limit() {
            let fit = files.saturating_sub(FD_MARGIN.min(files / 4)).max(1);
            if fit < cap {
                tracing::info!(
                    "at most {fit} connections: the process may open {files} files (raise `ulimit -n` for more)"
                );
                cap = fit;
            }
        }
        Arc::new(Admission {
            cap,
            reserve: reserve.min(cap / 2),
            handshake,
            keep_alive,
            metrics,
            inner: Mutex::new(Inner {
                open: 0,
                leaving: 0,
                queue: VecDeque::new(),
                swept: 0,
            }),
        })
    }

    /// The most WebSocket connections at once: the cap less the reserve.
    pub(crate) fn max_websockets(&self) -> usize {
        self.cap - self.reserve
    }

    /// How long a socket has for its handshake.
    #[cfg(feature = "tls")]
    pub(crate) fn handshake(&self) -> Duration {
        self.handshake
    }

    /// Takes a freshly accepted socket in, closing the oldest socket still in its handshake
    /// if the host is full; `None` (drop the socket) if every open socket is past its
    /// handshake.
    pub(crate) fn admit<S>(self: &Arc<Self>, io: S) -> Option<Guarded<S>> {
        let mut inner = lock(&self.inner);
        if inner.open - inner.leaving >= self.cap && !self.make_room(&mut inner) {
            drop(inner);
            self.metrics.refused.inc();
            tracing::debug!("refusing a connection: the host is full");
            return None;
        }
        inner.open += 1;
        self.metrics.sockets.inc();
        let state = Arc::new(ConnState {
            phase: AtomicU8::new(WAITING),
            busy: AtomicU32::new(0),
            evicted: AtomicBool::new(false),
            deadline: Mutex::new(Some(Instant::now() + self.handshake)),
            waker: Mutex::new(None),
            keep_alive: self.keep_alive,
        });
        // Entries that can no longer be evicted (closed, or upgraded to WebSockets, which
        // never wait again) are dropped as they reach the front, and by a sweep whenever the
        // queue has doubled since the last one (amortised constant time per socket). A held
        // WebSocket at the front must not keep the entries behind it: each dead one keeps its
        // state's memory (a `Weak`), ~100 bytes per socket ever opened.
        let evictable = |w: &Weak<ConnState>| {
            w.upgrade()
                .is_some_and(|s| s.phase.load(Ordering::Acquire) != UPGRADED)
        };
        while inner.queue.front().is_some_and(|w| !evictable(w)) {
            inner.queue.pop_front();
        }
        if inner.queue.len() >= 2 * inner.swept + 64 {
            inner.queue.retain(evictable);
            inner.queue.shrink_to_fit();
            inner.swept = inner.queue.len();
        }
        inner.queue.push_back(Arc::downgrade(&state));
        drop(inner);
        Some(Guarded {
            io,
            slot: Slot {
                place: Some(Place {
                    admission: self.clone(),
                }),
                state: state.clone(),
            },
            sleep: Some(Box::pin(tokio::time::sleep_until(
                Instant::now() + self.handshake,
            ))),
        })
    }

    /// Tells the oldest socket still waiting for its request head to close; false if none is.
    fn make_room(&self, inner: &mut Inner) -> bool {
        let mut busy = Vec::new();
        let mut found = false;
        while let Some(weak) = inner.queue.pop_front() {
            let Some(state) = weak.upgrade() else {
                continue;
            };
            match state.phase.load(Ordering::Acquire) {
                // Never waits again: no need to keep it in line.
                UPGRADED => {}
                BUSY => busy.push(weak),
                _ => {
                    state.evicted.store(true, Ordering::Release);
                    state.wake();
                    inner.leaving += 1;
                    self.metrics.evicted.inc();
                    found = true;
                    break;
                }
            }
        }
        // Sockets in the middle of a request keep their place in line.
        for weak in busy.into_iter().rev() {
            inner.queue.push_front(weak);
        }
        found
    }
}

/// Where one socket is in its handshake, shared by its IO and the requests on it.
pub(crate) struct ConnState {
    phase: AtomicU8,
    busy: AtomicU32,
    evicted: AtomicBool,
    deadline: Mutex<Option<Instant>>,
    waker: Mutex<Option<Waker>>,
    keep_alive: Duration,
}

impl ConnState {
    fn wake(&self) {
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn set_deadline(&self, deadline: Option<Instant>) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = deadline;
    }

    /// A request head arrived: no deadline while it is answered.
    pub(crate) fn begin_request(&self) {
        self.busy.fetch_add(1, Ordering::AcqRel);
        let _ = self
            .phase
            .compare_exchange(WAITING, BUSY, Ordering::AcqRel, Ordering::Acquire);
        self.set_deadline(None);
    }

    /// A request was answered: the next head must arrive within the keep-alive time (and an
    /// idle socket may be closed earlier to make room).
    pub(crate) fn end_request(&self) {
        if self.busy.fetch_sub(1, Ordering::AcqRel) == 1
            && self
                .phase
                .compare_exchange(BUSY, WAITING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.set_deadline(Some(Instant::now() + self.keep_alive));
            // The IO may be parked on a read with no timer set: wake it to set one.
            self.wake();
        }
    }

    /// The socket became a WebSocket: the connection's own timeouts take over.
    pub(crate) fn upgraded(&self) {
        self.phase.store(UPGRADED, Ordering::Release);
        self.set_deadline(None);
        // The waker is the HTTP connection's task: a waker keeps its task's memory, which
        // the WebSocket would otherwise hold for its whole life (1.5 KB per socket,
        // BENCHMARKS.md *Held sockets*).
        drop(self.waker.lock().unwrap_or_else(|e| e.into_inner()).take());
    }
}

/// One open socket's place in the count; dropping it gives the place back. All a socket
/// upgraded to a WebSocket keeps of its admission (see [`Guarded::into_upgraded`]).
pub(crate) struct Place {
    admission: Arc<Admission>,
}

impl Drop for Place {
    fn drop(&mut self) {
        lock(&self.admission.inner).open -= 1;
        self.admission.metrics.sockets.dec();
    }
}

/// A socket's place and its handshake state.
struct Slot {
    /// Taken only by [`Guarded::into_upgraded`].
    place: Option<Place>,
    state: Arc<ConnState>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(place) = &self.place
            && self.state.evicted.load(Ordering::Acquire)
        {
            lock(&place.admission.inner).leaving -= 1;
        }
    }
}

/// An admitted socket: reads fail once its handshake deadline passes or it is told to make
/// room, which makes hyper (or the TLS handshake) drop it.
pub(crate) struct Guarded<S> {
    io: S,
    slot: Slot,
    /// The handshake's timer; dropped once upgraded.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<S> Guarded<S> {
    /// Where it is in its handshake.
    pub(crate) fn state(&self) -> &Arc<ConnState> {
        &self.slot.state
    }

    /// The socket, upgraded to a WebSocket, with its place in the count and nothing else:
    /// no handshake state or timer (an idle WebSocket keeps this for its whole life).
    pub(crate) fn into_upgraded(self) -> (S, Option<Place>) {
        let Guarded { io, mut slot, .. } = self;
        let place = slot.place.take();
        if let Some(place) = &place
            && slot.state.evicted.swap(false, Ordering::AcqRel)
        {
            // Told to make room just as its upgrade went through: it stays, so it is no
            // longer counted as leaving.
            lock(&place.admission.inner).leaving -= 1;
        }
        (io, place)
    }

    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let state = &self.slot.state;
        if state.phase.load(Ordering::Acquire) == UPGRADED {
            // No deadline from here on: the timer's memory goes back.
            self.sleep = None;
            return Ok(());
        }
        if state.evicted.load(Ordering::Acquire) {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "closed to make room: the host is full and this connection had not sent a request",
            ));
        }
        *state.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        let deadline = *state.deadline.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(deadline) = deadline {
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            if sleep.as_mut().poll(cx).is_ready() {
                if !state.evicted.swap(true, Ordering::AcqRel) {
                    // Counted once; `evicted` also stops the next read from waiting again.
                    if let Some(place) = &self.slot.place {
                        place.admission.metrics.handshake_timeouts.inc();
                        lock(&place.admission.inner).leaving += 1;
                    }
                }
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the handshake took longer than the host allows",
                ));
            }
        }
        Ok(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Err(e) = self.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// An IO type whose admission state can be found (plain and TLS sockets).
pub(crate) trait Admitted {
    /// Where the socket is in its handshake.
    fn conn_state(&self) -> &Arc<ConnState>;
}

impl<S> Admitted for Guarded<S> {
    fn conn_state(&self) -> &Arc<ConnState> {
        self.state()
    }
}

/// What handlers learn about the socket a request came on (axum's connect info).
#[derive(Clone)]
pub struct Peer {
    /// The remote address.
    pub addr: SocketAddr,
    /// The socket's handshake state.
    pub(crate) state: Arc<ConnState>,
}

/// Connect info for each of the host's listeners (a blanket impl would overlap axum's own).
macro_rules! peer_from {
    ($listener:ty) => {
        impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, $listener>>
            for Peer
        {
            fn connect_info(stream: axum::serve::IncomingStream<'_, $listener>) -> Self {
                Peer {
                    addr: *stream.remote_addr(),
                    state: stream.io().conn_state().clone(),
                }
            }
        }
    };
}
#[cfg(feature = "tls")]
pub(crate) use peer_from;
peer_from!(AdmittedTcp);

/// Plain TCP through admission.
pub(crate) struct AdmittedTcp {
    pub(crate) listener: tokio::net::TcpListener,
    pub(crate) admission: Arc<Admission>,
}

impl axum::serve::Listener for AdmittedTcp {
    type Io = Guarded<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, peer) = accept(&self.listener).await;
            if let Some(io) = self.admission.admit(tcp) {
                return (io, peer);
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// Accepts one TCP connection, backing off on errors (out of file descriptors and the
/// like) instead of spinning.
pub(crate) async fn accept(
    listener: &tokio::net::TcpListener,
) -> (tokio::net::TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((tcp, peer)) => {
                // Game traffic is many small frames: Nagle's algorithm would hold them back.
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!("cannot set TCP_NODELAY: {e}");
                }
                return (tcp, peer);
            }
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Marks each request's socket busy while it is answered (axum middleware).
pub(crate) async fn track(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let state = req
        .extensions()
        .get::<axum::extract::ConnectInfo<Peer>>()
        .map(|p| p.0.state.clone());
    if let Some(s) = &state {
        s.begin_request();
    }
    let response = next.run(req).await;
    if let Some(s) = &state {
        s.end_request();
    }
    response
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere or when
/// unlimited.
fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_file_limit_is_read() {
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some_and(|n| n > 0));
        }
    }

    #[tokio::test]
    async fn a_full_host_closes_the_oldest_waiting_socket_and_spares_busy_ones() {
        let admission = Admission::new(
            2,
            0,
            Duration::from_secs(60),
            Duration::from_secs(60),
            Arc::default(),
        );
        let a = admission.admit(()).expect("room for a");
        let b = admission.admit(()).expect("room for b");
        a.state().begin_request();
        // Full: b (waiting) makes room, a (busy) does not.
        let c = admission.admit(()).expect("b made room for c");
        assert!(b.state().evicted.load(Ordering::Acquire));
        assert!(!a.state().evicted.load(Ordering::Acquire));
        // b is still closing; with a busy and c waiting, c makes room for d.
        let d = admission.admit(());
        assert!(d.is_some() && c.state().evicted.load(Ordering::Acquire));
        drop((b, c));
        // With a busy and d upgraded, nothing can make room: refused.
        d.as_ref().expect("d").state().upgraded();
        assert!(admission.admit(()).is_none(), "a busy and d upgraded");
        a.state().end_request();
        assert!(admission.admit(()).is_some(), "a is idle again");
    }
}
