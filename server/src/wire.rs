//! Encoded frames and the per-connection outbox rooms write into.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::ws::{Message, Utf8Bytes};
use hearth_rules::protocol::{ServerMsg, to_json, to_postcard};
use hearth_rules::{Encoding, Payload};
use tokio::sync::{Notify, mpsc};

use crate::metrics::Metrics;

/// One encoded message, cheap to clone (shared bytes), ready for any number of sockets.
#[derive(Debug, Clone)]
pub(crate) enum Frame {
    /// JSON text.
    Text(Utf8Bytes),
    /// postcard bytes.
    Binary(Bytes),
    /// A keep-alive ping.
    Ping,
}

impl Frame {
    /// Encodes `msg` in `encoding`.
    pub(crate) fn encode(msg: &ServerMsg<Payload>, encoding: Encoding) -> Frame {
        match encoding {
            Encoding::Json => Frame::Text(Utf8Bytes::from(to_json(msg))),
            Encoding::Postcard => Frame::Binary(Bytes::from(to_postcard(msg))),
        }
    }

    /// The WebSocket message.
    pub(crate) fn into_message(self) -> Message {
        match self {
            Frame::Text(t) => Message::Text(t),
            Frame::Binary(b) => Message::Binary(b),
            Frame::Ping => Message::Ping(Bytes::new()),
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
    /// The connection is no longer in the room it joined with this link.
    Left {
        /// The join's link id.
        link: u64,
    },
}

/// The newest unsent real-time snapshot of one connection.
#[derive(Debug, Default)]
pub(crate) struct Latest {
    slot: Mutex<Option<Frame>>,
    /// Woken when a snapshot is put in the slot.
    pub notify: Notify,
}

impl Latest {
    /// Takes the waiting snapshot.
    pub(crate) fn take(&self) -> Option<Frame> {
        self.slot.lock().ok().and_then(|mut s| s.take())
    }
}

/// The sending half of one connection, held by the room it is in. Cloning it is one
/// reference count: rooms hand a clone to each effect they queue.
#[derive(Debug, Clone)]
pub(crate) struct Outbox {
    /// The connection's encoding.
    pub encoding: Encoding,
    queues: Arc<Queues>,
}

#[derive(Debug)]
struct Queues {
    tx: mpsc::Sender<Frame>,
    latest: Arc<Latest>,
    ctl: mpsc::UnboundedSender<Ctl>,
    metrics: Arc<Metrics>,
}

impl Outbox {
    /// An outbox over a connection's queues.
    pub(crate) fn new(
        encoding: Encoding,
        tx: mpsc::Sender<Frame>,
        latest: Arc<Latest>,
        ctl: mpsc::UnboundedSender<Ctl>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Outbox {
            encoding,
            queues: Arc::new(Queues {
                tx,
                latest,
                ctl,
                metrics,
            }),
        }
    }

    /// Queues a reliable frame. Never waits: if the queue is full the connection is told to
    /// disconnect (it can resume), so one slow reader never stalls a room.
    pub(crate) fn send(&self, frame: Frame) {
        match self.queues.tx.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.queues.metrics.queue_overflows.inc();
                let _ = self.queues.ctl.send(Ctl::Overflow);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Encodes and queues a message for this connection alone.
    pub(crate) fn send_msg(&self, msg: &ServerMsg<Payload>) {
        self.send(Frame::encode(msg, self.encoding));
    }

    /// Replaces the waiting real-time snapshot with a newer one.
    pub(crate) fn snapshot(&self, frame: Frame) {
        if let Ok(mut slot) = self.queues.latest.slot.lock()
            && slot.replace(frame).is_some()
        {
            self.queues.metrics.snapshots_coalesced.inc();
        }
        self.queues.latest.notify.notify_one();
    }

    /// Sends the last snapshot of a game reliably (it must not be coalesced away), after
    /// dropping any older one still waiting.
    pub(crate) fn final_snapshot(&self, frame: Frame) {
        let _ = self.queues.latest.take();
        self.send(frame);
    }

    /// Whether the connection has gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.queues.tx.is_closed()
    }

    /// Whether both go to the same connection.
    pub(crate) fn same_connection(&self, other: &Outbox) -> bool {
        self.queues.tx.same_channel(&other.queues.tx)
    }

    /// Tells the connection it left the room it joined with `link`.
    pub(crate) fn left(&self, link: u64) {
        let _ = self.queues.ctl.send(Ctl::Left { link });
    }
}
