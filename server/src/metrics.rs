//! Prometheus metrics (`/metrics`, OpenMetrics text).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of the rooms gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RoomLabels {
    /// Catalog name.
    pub game: String,
    /// lobby, playing, over or aborted.
    pub phase: String,
}

/// Labels of the actions counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// accepted or rejected.
    pub result: &'static str,
}

/// Every metric the host core keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Open WebSocket connections.
    pub connections: Gauge,
    /// Rooms by game and phase (filled in when scraped).
    pub rooms: Family<RoomLabels, Gauge>,
    /// Actions by result.
    pub actions: Family<ResultLabels, Counter>,
    /// Time to simulate one tick of a real-time room and build its snapshots.
    pub tick_seconds: Histogram,
    /// Ticks that took longer than the tick period.
    pub tick_overruns: Counter,
    /// Connections disconnected because their reliable queue overflowed.
    pub queue_overflows: Counter,
    /// Real-time snapshots replaced by a newer one before a slow client took them.
    pub snapshots_coalesced: Counter,
    /// Panics caught inside the rules (each closes one room).
    pub caught_panics: Counter,
    /// Desync reports whose hash differed from the host's.
    pub desyncs: Counter,
    /// Malformed frames received.
    pub bad_frames: Counter,
    /// Messages refused by the rate limit.
    pub rate_limited: Counter,
    /// Sockets accepted and not yet closed (WebSockets, HTTP, handshakes in progress).
    pub sockets: Gauge,
    /// Sockets closed at accept because the host was full.
    pub refused: Counter,
    /// Sockets still in their handshake closed to make room for a new one.
    pub evicted: Counter,
    /// Sockets closed because their handshake (TLS, request head, `hello`) took too long.
    pub handshake_timeouts: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hearth");
        let m = Metrics {
            connections: Gauge::default(),
            rooms: Family::default(),
            actions: Family::default(),
            tick_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 14)),
            tick_overruns: Counter::default(),
            queue_overflows: Counter::default(),
            snapshots_coalesced: Counter::default(),
            caught_panics: Counter::default(),
            desyncs: Counter::default(),
            bad_frames: Counter::default(),
            rate_limited: Counter::default(),
            sockets: Gauge::default(),
            refused: Counter::default(),
            evicted: Counter::default(),
            handshake_timeouts: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "connections",
            "Open WebSocket connections",
            m.connections.clone(),
        );
        registry.register("rooms", "Rooms by game and phase", m.rooms.clone());
        registry.register("actions", "Actions by result", m.actions.clone());
        registry.register(
            "tick_duration_seconds",
            "Time to simulate one tick and build its snapshots",
            m.tick_seconds.clone(),
        );
        registry.register(
            "tick_overruns",
            "Ticks longer than the tick period",
            m.tick_overruns.clone(),
        );
        registry.register(
            "queue_overflows",
            "Connections dropped because their outbound queue overflowed",
            m.queue_overflows.clone(),
        );
        registry.register(
            "snapshots_coalesced",
            "Snapshots replaced by a newer one before a slow client read them",
            m.snapshots_coalesced.clone(),
        );
        registry.register(
            "caught_panics",
            "Panics caught inside game rules",
            m.caught_panics.clone(),
        );
        registry.register(
            "desyncs",
            "Client state hashes that differed",
            m.desyncs.clone(),
        );
        registry.register(
            "bad_frames",
            "Malformed frames received",
            m.bad_frames.clone(),
        );
        registry.register(
            "rate_limited",
            "Messages refused by the rate limit",
            m.rate_limited.clone(),
        );
        registry.register(
            "sockets",
            "Sockets accepted and not yet closed, handshakes included",
            m.sockets.clone(),
        );
        registry.register(
            "refused",
            "Sockets closed at accept because the host was full",
            m.refused.clone(),
        );
        registry.register(
            "evicted",
            "Sockets still in their handshake closed to make room",
            m.evicted.clone(),
        );
        registry.register(
            "handshake_timeouts",
            "Sockets closed because their handshake took too long",
            m.handshake_timeouts.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// Counts an action.
    pub fn action(&self, accepted: bool) {
        let result = if accepted { "accepted" } else { "rejected" };
        self.actions.get_or_create(&ResultLabels { result }).inc();
    }

    /// The metrics as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
