//! The hub: the directory of rooms and resume tokens that connections look rooms up in.
//! Rooms own their state; the hub only holds their channels and a summary for the list,
//! behind short locks that are never held across an await.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use hearth_rules::protocol::{PhaseName, PlayerId, RoomOptions, RoomSummary, WireError, codes};
use hearth_rules::{Encoding, GameMeta, Payload};
use tokio::sync::{mpsc, watch};

use crate::config::HostConfig;
use crate::metrics::{Metrics, RoomLabels};
use crate::room::{Room, RoomCmd, RoomSetup};

/// Room command queue length: a room that falls this far behind makes senders wait.
const ROOM_QUEUE: usize = 4096;

pub(crate) use crate::services::ANONYMOUS_IDS;

/// Someone connected, as the admin console lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Online {
    /// Player id.
    pub player: PlayerId,
    /// Display name.
    pub name: String,
}

/// A connection as the hub knows it: who, with which credential, and how to close it.
struct OnlineEntry {
    who: Online,
    session: Option<String>,
    mailbox: Arc<crate::wire::Mailbox>,
}

/// What every connection is told when the host stops (or when it opens while it stops).
pub(crate) const SHUTTING_DOWN: &str = "the host is shutting down; try again later";

#[derive(Default)]
struct Conns {
    all: HashMap<u64, Arc<crate::wire::Mailbox>>,
    /// The host is stopping: connections are told to close.
    stopping: bool,
}

struct RoomEntry {
    id: u64,
    tx: mpsc::Sender<RoomCmd>,
    summary: RoomSummary,
    public: bool,
}

/// Shared by every connection and room of one host.
pub(crate) struct Hub {
    /// The host's configuration.
    pub config: HostConfig,
    /// The host's metrics.
    pub metrics: Arc<Metrics>,
    /// Becomes `true` when the host shuts down.
    pub shutdown: watch::Receiver<bool>,
    rooms: Mutex<HashMap<String, RoomEntry>>,
    tokens: Mutex<HashMap<String, String>>,
    online: Mutex<HashMap<u64, OnlineEntry>>,
    /// Every open connection's mailbox (signed in or not), for what all of them hear at
    /// once: the clock's ticks and shutdown.
    conns: Mutex<Conns>,
    /// Where the connections' clock (`Hub::millis`) starts.
    epoch: tokio::time::Instant,
    leaderboard_subs: Mutex<HashMap<String, Vec<crate::wire::Outbox>>>,
    next_id: AtomicU64,
    /// A draining host makes no new rooms and reports itself unready on `/healthz`.
    pub draining: std::sync::atomic::AtomicBool,
}

/// A room's channel and what a joiner must know before entering.
pub(crate) struct RoomRef {
    /// The room's command channel.
    pub tx: mpsc::Sender<RoomCmd>,
    /// Catalog name of its game.
    pub game: String,
    /// Whether the caller made it just now.
    pub created: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these short locks would be a bug in plain map code; carrying on
    // with the data is better than taking every connection down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    /// A hub for this configuration.
    pub(crate) fn new(
        config: HostConfig,
        metrics: Arc<Metrics>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Hub {
            config,
            metrics,
            shutdown,
            rooms: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            online: Mutex::new(HashMap::new()),
            conns: Mutex::new(Conns::default()),
            epoch: tokio::time::Instant::now(),
            leaderboard_subs: Mutex::new(HashMap::new()),
            // Anonymous ids start high so they never collide with account ids.
            next_id: AtomicU64::new(ANONYMOUS_IDS),
            draining: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A fresh id (anonymous players, links, rooms).
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The room called `key` (lowercase), or a new one made with `create` if there is none
    /// and `create` is given.
    pub(crate) fn find_or_create(
        self: &Arc<Self>,
        name: &str,
        key: &str,
        create: Option<&RoomOptions<Payload>>,
        must_be_new: bool,
        creator: PlayerId,
    ) -> Result<RoomRef, WireError> {
        let mut rooms = lock(&self.rooms);
        if let Some(entry) = rooms.get(key) {
            if must_be_new {
                return Err(WireError::new(
                    codes::NAME_TAKEN,
                    format!(
                        "a room called `{}` exists already; join it or pick another name",
                        entry.summary.name
                    ),
                ));
            }
            return Ok(RoomRef {
                tx: entry.tx.clone(),
                game: entry.summary.game.clone(),
                created: false,
            });
        }
        let Some(options) = create else {
            return Err(WireError::new(
                codes::UNKNOWN_ROOM,
                format!("no room is called `{name}`; check the name or create it"),
            ));
        };
        if self.draining.load(Ordering::Relaxed) {
            return Err(WireError::new(
                codes::UNAVAILABLE,
                "this node is shutting down and makes no new rooms; connect again to reach another",
            ));
        }
        if rooms.len() >= self.config.limits.max_rooms {
            return Err(WireError::new(
                codes::UNAVAILABLE,
                "this host has as many rooms as it allows; try again later",
            ));
        }
        let setup = self.room_setup(name, key, options)?;
        let id = self.next_id();
        let (tx, rx) = mpsc::channel(ROOM_QUEUE);
        let summary = lobby_summary(name, &setup);
        rooms.insert(
            key.to_string(),
            RoomEntry {
                id,
                tx: tx.clone(),
                summary,
                public: setup.public,
            },
        );
        drop(rooms);
        let room = Room::new(self.clone(), id, setup, creator);
        tokio::spawn(room.run(rx));
        tracing::info!(room = name, game = %options.game, "room created");
        Ok(RoomRef {
            tx,
            game: options.game.clone(),
            created: true,
        })
    }

    /// Rebuilds a room around a stored match (after a restart).
    pub(crate) fn restore_room(
        self: &Arc<Self>,
        name: &str,
        session: hearth_rules::DynSession,
        players: Vec<(PlayerId, String)>,
        match_id: u64,
    ) -> Result<(), WireError> {
        let (name, key) = crate::names::room_name(name)?;
        let header = session.header(Encoding::Postcard);
        let setup = restored_setup(&self.config, &name, &key, &session)?;
        let mut rooms = lock(&self.rooms);
        if rooms.contains_key(&key) {
            return Err(WireError::new(
                codes::NAME_TAKEN,
                format!("room `{name}` exists already"),
            ));
        }
        let id = self.next_id();
        let (tx, rx) = mpsc::channel(ROOM_QUEUE);
        let summary = RoomSummary {
            name: name.clone(),
            game: header.game.clone(),
            players: header.seats,
            max_seats: header.seats,
            spectators: 0,
            phase: PhaseName::Playing,
            has_password: false,
        };
        rooms.insert(
            key,
            RoomEntry {
                id,
                tx,
                summary,
                public: true,
            },
        );
        drop(rooms);
        let room = Room::restored(
            self.clone(),
            id,
            setup,
            session,
            players,
            match_id,
            tokio::time::Instant::now(),
        );
        tokio::spawn(room.run(rx));
        tracing::info!(room = %name, match_id, "room restored from its log");
        Ok(())
    }

    /// Milliseconds since the hub was made: the time connections keep (8 bytes, not an
    /// `Instant`'s 16).
    pub(crate) fn millis(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The instant `ms` milliseconds after the hub was made.
    pub(crate) fn instant_at(&self, ms: u64) -> tokio::time::Instant {
        self.epoch + std::time::Duration::from_millis(ms)
    }

    /// Counts a connection in, to hear the clock and shutdown; false if the host is
    /// stopping (the connection should close at once).
    pub(crate) fn register(&self, conn: u64, mailbox: &Arc<crate::wire::Mailbox>) -> bool {
        let mut conns = lock(&self.conns);
        if conns.stopping {
            return false;
        }
        conns.all.insert(conn, mailbox.clone());
        true
    }

    /// The connection has ended.
    pub(crate) fn unregister(&self, conn: u64) {
        lock(&self.conns).all.remove(&conn);
    }

    /// Ticks every connection's clock: each looks at its timers (the handshake's deadline,
    /// the idle timeout, when to ping). One timer for the host instead of one per socket,
    /// which every idle socket would pay for (BENCHMARKS.md, *Held sockets*).
    pub(crate) fn tick(&self) {
        for mailbox in lock(&self.conns).all.values() {
            mailbox.tick();
        }
    }

    /// Tells every connection the host is stopping; connections that open later are closed
    /// at once.
    pub(crate) fn stop_connections(&self) {
        let mut conns = lock(&self.conns);
        conns.stopping = true;
        for mailbox in conns.all.values() {
            mailbox.close_with(codes::SERVER_SHUTDOWN, SHUTTING_DOWN.into());
        }
    }

    /// A connection said hello.
    pub(crate) fn set_online(
        &self,
        conn: u64,
        who: Online,
        session: Option<String>,
        mailbox: Arc<crate::wire::Mailbox>,
    ) {
        lock(&self.online).insert(
            conn,
            OnlineEntry {
                who,
                session,
                mailbox,
            },
        );
    }

    /// Closes every connection of `player` (when `session` is `None`) or every connection
    /// that signed in with `session`, telling each `code` and `message`; how many.
    pub(crate) fn disconnect(
        &self,
        player: Option<PlayerId>,
        session: Option<&str>,
        code: &'static str,
        message: &str,
    ) -> usize {
        let online = lock(&self.online);
        let mut closed = 0;
        for entry in online.values() {
            let hit = match (player, session) {
                (_, Some(s)) => entry.session.as_deref() == Some(s),
                (Some(p), None) => entry.who.player == p,
                (None, None) => false,
            };
            if hit && entry.mailbox.close_with(code, message.to_string()) {
                closed += 1;
            }
        }
        closed
    }

    /// A connection closed.
    pub(crate) fn set_offline(&self, conn: u64) {
        lock(&self.online).remove(&conn);
    }

    /// Everyone connected (one row per connection), by name.
    pub(crate) fn online(&self) -> Vec<Online> {
        let mut v: Vec<Online> = lock(&self.online).values().map(|e| e.who.clone()).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name).then(a.player.cmp(&b.player)));
        v
    }

    /// A connection wants the leaderboard of `game` pushed.
    pub(crate) fn subscribe_leaderboard(&self, game: &str, outbox: crate::wire::Outbox) {
        let mut subs = lock(&self.leaderboard_subs);
        let list = subs.entry(game.to_string()).or_default();
        // Subscribing twice must not push everything twice.
        list.retain(|o| !o.is_closed() && !o.same_connection(&outbox));
        list.push(outbox);
    }

    /// Pushes a leaderboard to its subscribers (encoded once per encoding).
    pub(crate) fn publish_leaderboard(
        &self,
        game: &str,
        standings: &[hearth_rules::protocol::Standing],
    ) {
        let subs: Vec<crate::wire::Outbox> = {
            let mut map = lock(&self.leaderboard_subs);
            let Some(list) = map.get_mut(game) else {
                return;
            };
            list.retain(|o| !o.is_closed());
            list.clone()
        };
        let mut fanout =
            crate::wire::Fanout::new(|_| hearth_rules::protocol::ServerMsg::Leaderboard {
                game: game.to_string(),
                standings: standings.to_vec(),
            });
        for o in subs {
            o.send(fanout.get(o.encoding));
        }
    }

    /// The list entry a room made with `options` starts with (checked against the catalog).
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn new_summary(
        &self,
        name: &str,
        key: &str,
        options: &RoomOptions<Payload>,
    ) -> Result<RoomSummary, WireError> {
        Ok(lobby_summary(name, &self.room_setup(name, key, options)?))
    }

    /// Every room's key and current match, for the cluster (which rooms this node runs).
    pub(crate) fn room_keys(&self) -> Vec<String> {
        lock(&self.rooms).keys().cloned().collect()
    }

    /// The games some connection here has subscribed to.
    pub(crate) fn subscribed_games(&self) -> Vec<String> {
        lock(&self.leaderboard_subs).keys().cloned().collect()
    }

    /// Checks a room's options against the catalog and the naming rules.
    fn room_setup(
        &self,
        name: &str,
        key: &str,
        options: &RoomOptions<Payload>,
    ) -> Result<RoomSetup, WireError> {
        room_setup(&self.config, name, key, options)
    }

    /// Public rooms, by name.
    pub(crate) fn public_rooms(&self) -> Vec<RoomSummary> {
        let rooms = lock(&self.rooms);
        let mut list: Vec<RoomSummary> = rooms
            .values()
            .filter(|r| r.public)
            .map(|r| r.summary.clone())
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// Every room, public or not, by name (for the embedding process and admins).
    pub(crate) fn all_rooms(&self) -> Vec<RoomSummary> {
        let rooms = lock(&self.rooms);
        let mut list: Vec<RoomSummary> = rooms.values().map(|r| r.summary.clone()).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// The channel of the room called `key`, if it exists.
    pub(crate) fn room_tx(&self, key: &str) -> Option<mpsc::Sender<RoomCmd>> {
        lock(&self.rooms).get(key).map(|r| r.tx.clone())
    }

    /// Number of rooms.
    pub(crate) fn room_count(&self) -> usize {
        lock(&self.rooms).len()
    }

    /// A room publishes its new summary.
    pub(crate) fn set_summary(&self, key: &str, id: u64, summary: &RoomSummary) {
        if let Some(entry) = lock(&self.rooms).get_mut(key)
            && entry.id == id
            && entry.summary != *summary
        {
            entry.summary = summary.clone();
            if let Some(cluster) = &self.config.cluster {
                cluster.summary(key, summary, entry.public);
            }
        }
    }

    /// A room has ended.
    pub(crate) fn remove_room(&self, key: &str, id: u64) {
        let mut rooms = lock(&self.rooms);
        if rooms.get(key).is_some_and(|r| r.id == id) {
            rooms.remove(key);
            if let Some(cluster) = &self.config.cluster {
                cluster.removed(key);
            }
        }
        drop(rooms);
        lock(&self.tokens).retain(|_, room| room != key);
    }

    /// Registers a seat's resume token.
    pub(crate) fn add_token(&self, token: &str, key: &str) {
        lock(&self.tokens).insert(token.to_string(), key.to_string());
    }

    /// Forgets resume tokens.
    pub(crate) fn remove_tokens<'a>(&self, tokens: impl IntoIterator<Item = &'a String>) {
        let mut map = lock(&self.tokens);
        for t in tokens {
            map.remove(t);
        }
    }

    /// The room a resume token belongs to.
    pub(crate) fn token_room(&self, token: &str) -> Option<mpsc::Sender<RoomCmd>> {
        let key = lock(&self.tokens).get(token).cloned()?;
        self.room_tx(&key)
    }

    /// Refreshes the rooms gauge from the summaries (at scrape time).
    pub(crate) fn update_room_gauge(&self) {
        let mut counts: HashMap<RoomLabels, i64> = HashMap::new();
        for r in lock(&self.rooms).values() {
            *counts
                .entry(RoomLabels {
                    game: r.summary.game.clone(),
                    phase: r.summary.phase.as_str().to_string(),
                })
                .or_default() += 1;
        }
        self.metrics.rooms.clear();
        for (labels, n) in counts {
            self.metrics.rooms.get_or_create(&labels).set(n);
        }
    }
}

impl crate::room::Directory for Hub {
    fn config(&self) -> &HostConfig {
        &self.config
    }
    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    fn shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
    fn next_id(&self) -> u64 {
        Hub::next_id(self)
    }
    fn set_summary(&self, key: &str, id: u64, summary: &RoomSummary) {
        Hub::set_summary(self, key, id, summary);
    }
    fn remove_room(&self, key: &str, id: u64) {
        Hub::remove_room(self, key, id);
    }
    fn add_token(&self, token: &str, key: &str) {
        Hub::add_token(self, token, key);
    }
    fn remove_tokens(&self, tokens: &[String]) {
        Hub::remove_tokens(self, tokens);
    }
}

/// The list entry of a room just made with `setup`.
fn lobby_summary(name: &str, setup: &RoomSetup) -> RoomSummary {
    RoomSummary {
        name: name.to_string(),
        game: setup.meta.name.clone(),
        players: 0,
        max_seats: setup.max_seats,
        spectators: 0,
        phase: PhaseName::Lobby,
        has_password: setup.password.is_some(),
    }
}

/// The settings of a room rebuilt from a stored match after a restart: the game, config and
/// seats its session was played with, listed publicly, no password.
pub(crate) fn restored_setup(
    config: &HostConfig,
    name: &str,
    key: &str,
    session: &hearth_rules::DynSession,
) -> Result<RoomSetup, WireError> {
    let header = session.header(Encoding::Postcard);
    let options = RoomOptions {
        game: header.game,
        config: header.config,
        max_seats: Some(header.seats),
        public: true,
        password: None,
    };
    room_setup(config, name, key, &options)
}

/// A room's fixed settings from a create request, checked against `config`'s catalog (the
/// config is validated by setting a game up).
pub(crate) fn room_setup(
    config: &HostConfig,
    name: &str,
    key: &str,
    options: &RoomOptions<Payload>,
) -> Result<RoomSetup, WireError> {
    let catalog = &config.catalog;
    let meta: GameMeta = catalog.get(&options.game)?.clone();
    let max_seats = options.max_seats.unwrap_or(meta.max_seats);
    if max_seats < meta.min_seats || max_seats > meta.max_seats {
        return Err(WireError::new(
            codes::BAD_REQUEST,
            format!(
                "{} is played by {} to {} seats; max_seats {max_seats} is outside that",
                meta.name, meta.min_seats, meta.max_seats
            ),
        ));
    }
    // Setting a game up validates its config for real; the seed does not matter here.
    let probe = catalog.create(&meta.name, &options.config, max_seats, 0)?;
    let password = options
        .password
        .as_deref()
        .map(crate::names::password)
        .map(|p| p.and_then(|p| Ok(crate::names::PasswordDigest::new(&p)?)))
        .transpose()?;
    Ok(RoomSetup {
        name: name.to_string(),
        key: key.to_string(),
        config_json: probe.header(Encoding::Json).config,
        config_postcard: probe.header(Encoding::Postcard).config,
        meta,
        max_seats,
        public: options.public,
        password,
    })
}

/// The host's one clock for its connections: ticks them every third of the idle timeout
/// (or half the handshake time, if shorter) until the host stops, then tells each to close.
pub(crate) async fn clock(hub: Arc<Hub>, mut stop: watch::Receiver<bool>) {
    let limits = &hub.config.limits;
    let period = (limits.idle_timeout / 3)
        .min(limits.handshake_timeout / 2)
        .max(std::time::Duration::from_millis(10));
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = every.tick() => hub.tick(),
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    hub.stop_connections();
}
