//! Encoded frames and the per-connection outbox rooms write into.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use axum::body::Bytes;
use hearth_rules::protocol::{ServerMsg, to_json, to_postcard};
use hearth_rules::{Encoding, Payload};

use crate::metrics::Metrics;
use crate::ws::WebSocket;

/// One encoded message, cheap to clone (shared bytes), ready for any number of sockets.
#[derive(Debug, Clone)]
pub(crate) enum Frame {
    /// JSON text.
    Text(Bytes),
    /// postcard bytes.
    Binary(Bytes),
    /// A keep-alive ping.
    Ping,
}

impl Frame {
    /// Encodes `msg` in `encoding`.
    pub(crate) fn encode(msg: &ServerMsg<Payload>, encoding: Encoding) -> Frame {
        match encoding {
            Encoding::Json => Frame::Text(Bytes::from(to_json(msg))),
            Encoding::Postcard => Frame::Binary(Bytes::from(to_postcard(msg))),
        }
    }

    /// Queues the frame on `socket`.
    pub(crate) fn queue_on(&self, socket: &mut WebSocket) {
        match self {
            Frame::Text(t) => socket.queue_text(t),
            Frame::Binary(b) => socket.queue_binary(b),
            Frame::Ping => socket.queue_ping(),
        }
    }
}

/// A message encoded at most once per encoding, shared by every recipient.
pub(crate) struct Fanout<F: Fn(Encoding) -> ServerMsg<Payload>> {
    build: F,
    json: Option<Frame>,
    postcard: Option<Frame>,
}

impl<F: Fn(Encoding) -> ServerMsg<Payload>> Fanout<F> {
    /// A fan-out that builds the message for an encoding when first asked.
    pub(crate) fn new(build: F) -> Self {
        Fanout {
            build,
            json: None,
            postcard: None,
        }
    }

    /// The frame in `encoding`.
    pub(crate) fn get(&mut self, encoding: Encoding) -> Frame {
        let slot = match encoding {
            Encoding::Json => &mut self.json,
            Encoding::Postcard => &mut self.postcard,
        };
        slot.get_or_insert_with(|| Frame::encode(&(self.build)(encoding), encoding))
            .clone()
    }
}

/// What a room tells a connection's reader besides frames.
#[derive(Debug)]
pub(crate) enum Ctl {
    /// The reliable queue overflowed: disconnect as too slow.
    Overflow,
    /// Close the connection with this reason (a ban, a sign-out).
    Close {
        /// The `closing` code.
        code: &'static str,
        /// What to tell the player.
        message: String,
    },
    /// Drop the socket without a word: its room moved to another node, and the client's
    /// reconnect (and resume) finds it there.
    Drop,
    /// The connection is no longer in the room it joined with this link.
    Left {
        /// The join's link id.
        link: u64,
    },
}

/// Everything rooms and the hub send one connection, in one small allocation: the bounded
/// queue of reliable frames, the newest unsent real-time snapshot, and the controls. The
/// queues are allocated on first use and freed once drained, so an idle socket holds none
/// (BENCHMARKS.md, *Held sockets*).
#[derive(Debug)]
pub(crate) struct Mailbox {
    state: Mutex<MailState>,
    /// Most reliable frames waiting before the connection counts as too slow.
    capacity: usize,
    metrics: Arc<Metrics>,
}

#[derive(Debug, Default)]
struct MailState {
    frames: VecDeque<Frame>,
    latest: Option<Frame>,
    ctl: VecDeque<Ctl>,
    /// The connection has gone: whatever arrives is dropped.
    closed: bool,
    /// The overflow control has been sent (once is enough).
    overflowed: bool,
    /// The hub's clock ticked: time to look at the connection's timers (see `Hub::tick`).
    tick: bool,
    /// The connection's task, waiting for something to arrive (one waker in the state, not
    /// a `Notify` and a `Notified` per socket: BENCHMARKS.md, *Held sockets*).
    waker: Option<Waker>,
}

impl MailState {
    /// Whether the connection has anything to do.
    fn ready(&self) -> bool {
        !self.frames.is_empty() || self.latest.is_some() || !self.ctl.is_empty() || self.tick
    }
}

/// Wakes the connection's task, if it waits, once the lock is let go.
fn wake(mut st: MutexGuard<'_, MailState>) {
    let waker = st.waker.take();
    drop(st);
    if let Some(w) = waker {
        w.wake();
    }
}

/// Keeps `cx`'s waker to be woken.
fn park(st: &mut MailState, cx: &Context<'_>) {
    match &st.waker {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => st.waker = Some(cx.waker().clone()),
    }
}

/// The front of `queue`; a drained queue is freed, so an idle socket holds no queue
/// (BENCHMARKS.md, *Held sockets*: a few hundred bytes each, against an allocation per burst).
fn pop<T>(queue: &mut VecDeque<T>) -> Option<T> {
    let item = queue.pop_front();
    if queue.is_empty() && queue.capacity() > 0 {
        *queue = VecDeque::new();
    }
    item
}

impl Mailbox {
    /// An empty mailbox for a connection whose reliable queue holds `capacity` frames.
    pub(crate) fn new(capacity: usize, metrics: Arc<Metrics>) -> Arc<Mailbox> {
        Arc::new(Mailbox {
            state: Mutex::new(MailState::default()),
            capacity,
            metrics,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, MailState> {
        // Nothing panics while holding it; if something did, the queues are still whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ready once there is something to do: a frame to write, a control or a tick of the
    /// hub's clock; otherwise the task is woken when there is.
    pub(crate) fn poll_ready(&self, cx: &Context<'_>) -> Poll<()> {
        let mut st = self.state();
        if st.ready() {
            return Poll::Ready(());
        }
        park(&mut st, cx);
        Poll::Pending
    }

    /// Ready once a control waits (while a write waits for the peer, frames stay queued).
    pub(crate) fn poll_ctl(&self, cx: &Context<'_>) -> Poll<()> {
        let mut st = self.state();
        if !st.ctl.is_empty() {
            return Poll::Ready(());
        }
        park(&mut st, cx);
        Poll::Pending
    }

    /// Whether the hub's clock ticked since the last call.
    pub(crate) fn take_tick(&self) -> bool {
        std::mem::take(&mut self.state().tick)
    }

    /// The hub's clock ticked.
    pub(crate) fn tick(&self) {
        let mut st = self.state();
        if st.closed {
            return;
        }
        st.tick = true;
        wake(st);
    }

    /// The next control, if any.
    pub(crate) fn take_ctl(&self) -> Option<Ctl> {
        pop(&mut self.state().ctl)
    }

    /// The next reliable frame, if any.
    pub(crate) fn next_reliable(&self) -> Option<Frame> {
        pop(&mut self.state().frames)
    }

    /// The next frame to write: reliable frames first (a tick queues its inputs' `accepted`
    /// replies before its snapshot, and a client learns from a reply which snapshot will
    /// show its input), then the waiting snapshot.
    pub(crate) fn next_frame(&self) -> Option<Frame> {
        let mut st = self.state();
        pop(&mut st.frames).or_else(|| st.latest.take())
    }

    /// The connection has gone: what waits is dropped and nothing more is kept.
    pub(crate) fn close(&self) {
        let mut st = self.state();
        *st = MailState {
            closed: true,
            ..MailState::default()
        };
    }

    /// Tells the connection to close with `code` and `message` (a ban, a sign-out); false if
    /// it has gone already.
    pub(crate) fn close_with(&self, code: &'static str, message: String) -> bool {
        self.control(Ctl::Close { code, message })
    }

    fn control(&self, ctl: Ctl) -> bool {
        {
            let mut st = self.state();
            if st.closed {
                return false;
            }
            st.ctl.push_back(ctl);
            wake(st);
        }
        true
    }
}

/// The sending half of one connection, held by the room it is in. Cloning it is one
/// reference count: rooms hand a clone to each effect they queue.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    /// The connection's encoding.
    pub encoding: Encoding,
    mailbox: Arc<Mailbox>,
}

impl Outbox {
    /// An outbox into a connection's mailbox.
    pub(crate) fn new(encoding: Encoding, mailbox: Arc<Mailbox>) -> Self {
        Outbox { encoding, mailbox }
    }

    /// Queues a reliable frame. Never waits: if the queue is full the connection is told to
    /// disconnect (it can resume), so one slow reader never stalls a room.
    pub(crate) fn send(&self, frame: Frame) {
        let mb = &self.mailbox;
        {
            let mut st = mb.state();
            if st.closed {
                return;
            }
            if st.frames.len() >= mb.capacity {
                if st.overflowed {
                    return;
                }
                st.overflowed = true;
                st.ctl.push_back(Ctl::Overflow);
                mb.metrics.queue_overflows.inc();
            } else {
                st.frames.push_back(frame);
            }
            wake(st);
        }
    }

    /// Encodes and queues a message for this connection alone.
    pub(crate) fn send_msg(&self, msg: &ServerMsg<Payload>) {
        self.send(Frame::encode(msg, self.encoding));
    }

    /// Replaces the waiting real-time snapshot with a newer one.
    pub(crate) fn snapshot(&self, frame: Frame) {
        let mb = &self.mailbox;
        {
            let mut st = mb.state();
            if st.closed {
                return;
            }
            if st.latest.replace(frame).is_some() {
                mb.metrics.snapshots_coalesced.inc();
            }
            wake(st);
        }
    }

    /// Sends the last snapshot of a game reliably (it must not be coalesced away), after
    /// dropping any older one still waiting.
    pub(crate) fn final_snapshot(&self, frame: Frame) {
        self.mailbox.state().latest = None;
        self.send(frame);
    }

    /// Whether the connection has gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.mailbox.state().closed
    }

    /// Whether both go to the same connection.
    pub(crate) fn same_connection(&self, other: &Outbox) -> bool {
        Arc::ptr_eq(&self.mailbox, &other.mailbox)
    }

    /// Tells the connection it left the room it joined with `link`.
    pub(crate) fn left(&self, link: u64) {
        self.mailbox.control(Ctl::Left { link });
    }

    /// Drops the connection without telling it why (see [`Ctl::Drop`]).
    pub(crate) fn drop_connection(&self) {
        self.mailbox.control(Ctl::Drop);
    }
}
