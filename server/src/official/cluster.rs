//! Several `hearth serve` nodes on one PostgreSQL database (`--public-url`).
//!
//! - **Nodes and leases.** Each node registers the WebSocket URL other nodes reach it at
//!   (`hearth_nodes`) and renews a lease every quarter of it. A URL held by a live node is
//!   refused at start.
//! - **Room directory.** `hearth_rooms` maps every room name to the node that runs it; names
//!   are unique across the cluster, the public list is every node's. A node asked for a room
//!   another runs passes the connection there (`crate::proxy`).
//! - **Events.** Leaderboard changes, bans, sign-outs and admin actions are announced with
//!   `NOTIFY hearth_events` carrying ids only; every node acts on them with the data read from
//!   the tables, and reconciles (re-reads what it shows) whenever its listener reconnects, so
//!   a missed notification loses nothing.
//! - **Failover.** A match has an owner and an epoch (`matches.owner`, `matches.epoch`). When
//!   a node's lease lapses a survivor claims its running matches (epoch + 1), rebuilds each
//!   from its log and holds the seats; players reconnecting through any node resume them with
//!   the tokens they hold (seat tokens are keyed with a cluster secret, so any node checks
//!   them). Every log write and match end checks owner and epoch in its transaction, so a
//!   stale owner (one paused past its lease) can no longer write, and its rooms hand over.
//! - **Drain.** A node told to stop (SIGTERM) makes no new rooms, answers `/healthz` with
//!   503, waits for its matches to end, then releases the rest to the others and exits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use blake2::{Blake2s256, Digest};
use hearth_rules::protocol::{PhaseName, PlayerId, RoomSummary, WireError, codes};

use super::postgres::{Fence, PgStore, backend};
use super::recorder::LEADERBOARD_ROWS;
use super::store::{Store, StoreError};
use super::{ClusterEvent, ClusterOptions};
use crate::HostControl;
use crate::services::{BoxFuture, Cluster, Placement};

/// The `NOTIFY` channel nodes announce events on.
const CHANNEL: &str = "hearth_events";

/// A write to the directory, or an announcement, that nobody waits for (one thread does
/// them in order, off the callers' threads: the driver blocks).
enum DirWrite {
    Summary {
        key: String,
        summary: String,
        public: bool,
    },
    Removed(String),
    /// A `NOTIFY` payload for the other nodes.
    Announce(String),
}

/// This process as a node of a cluster.
pub struct Node {
    store: Arc<PgStore>,
    id: i64,
    url: String,
    lease: Duration,
    secret: Vec<u8>,
    writes: std::sync::Mutex<std::sync::mpsc::Sender<DirWrite>>,
    host: OnceLock<HostControl>,
    catalog: Arc<hearth_rules::Catalog>,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unavailable(e: impl std::fmt::Display) -> WireError {
    WireError::new(
        codes::UNAVAILABLE,
        format!("the cluster's database did not answer ({e}); try again in a moment"),
    )
}

impl Node {
    /// Registers this node (blocking): refuses a public URL a live node holds, and from now
    /// on fences the store's log writes by this node's ownership.
    pub fn join(
        store: Arc<PgStore>,
        catalog: Arc<hearth_rules::Catalog>,
        options: &ClusterOptions,
    ) -> Result<Arc<Node>, StoreError> {
        let (id, secret) = store.register_node(&options.public_url, options.lease)?;
        *store.fence_lock() = Some(Fence {
            node: id,
            epochs: Default::default(),
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let writer = store.clone();
        std::thread::Builder::new()
            .name("hearth-directory".into())
            .spawn(move || write_directory(&writer, id, &rx))
            .map_err(|e| StoreError::Backend(format!("cannot start the directory writer: {e}")))?;
        tracing::info!(node = id, url = %options.public_url, "joined the cluster");
        Ok(Arc::new(Node {
            store,
            id,
            url: options.public_url.clone(),
            lease: options.lease,
            secret,
            writes: std::sync::Mutex::new(tx),
            host: OnceLock::new(),
            catalog,
        }))
    }

    /// This node's id in `hearth_nodes`.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The WebSocket URL this node registered.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Announces `event` to every other node.
    pub fn announce(&self, event: &ClusterEvent) {
        let payload = format!("{} {}", self.id, event.encode());
        let _ = lock(&self.writes).send(DirWrite::Announce(payload));
    }

    /// Starts the node's background work once its host runs: the lease (renewing it, taking
    /// over the matches of nodes whose lease lapsed, handing over rooms this node lost) and
    /// the event listener.
    pub fn run(self: &Arc<Self>, host: HostControl) {
        let _ = self.host.set(host);
        let node = self.clone();
        tokio::spawn(async move { node.lease_loop().await });
        let node = self.clone();
        let runtime = tokio::runtime::Handle::current();
        let spawned = std::thread::Builder::new()
            .name("hearth-events".into())
            .spawn(move || node.listen(&runtime));
        if let Err(e) = spawned {
            tracing::error!("cannot start the cluster event listener: {e}");
        }
    }

    async fn lease_loop(self: Arc<Self>) {
        let mut every = tokio::time::interval(self.lease / 4);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let node = self.clone();
            let step = tokio::task::spawn_blocking(move || node.lease_step()).await;
            let (lost, claimed) = match step {
                Ok(Ok(x)) => x,
                Ok(Err(e)) => {
                    tracing::warn!("cannot renew this node's lease: {e}");
                    continue;
                }
                Err(e) => {
                    tracing::error!("the lease step failed: {e}");
                    continue;
                }
            };
            let Some(host) = self.host.get() else {
                continue;
            };
            if !lost.is_empty() {
                let n = host.hand_over(Some(&lost)).await;
                tracing::warn!(
                    rooms = n,
                    "this node's lease had lapsed: its rooms run elsewhere now"
                );
            }
            for (m, log) in claimed {
                let result = m
                    .rebuild(&self.catalog, &log)
                    .map_err(|e| e.to_string())
                    .and_then(|session| {
                        host.restore_room(&m.room, session, m.players.clone(), m.id)
                            .map_err(|e| e.to_string())
                    });
                match result {
                    Ok(()) => {
                        tracing::info!(match_id = m.id, room = %m.room, "took over a match from a node that stopped")
                    }
                    Err(why) => {
                        tracing::error!(
                            match_id = m.id,
                            "cannot rebuild the match taken over: {why}; marking it abandoned"
                        );
                        let store = self.store.clone();
                        let _ = tokio::task::spawn_blocking(move || {
                            store.match_finished(
                                m.id,
                                None,
                                0,
                                m.ticks,
                                super::accounts::now(),
                                None,
                            )
                        })
                        .await;
                    }
                }
            }
        }
    }

    /// One turn of the lease (blocking): renew it; if it had lapsed, the local rooms this
    /// node no longer owns; then claim what dead nodes left, with each match's log.
    #[allow(clippy::type_complexity)]
    fn lease_step(
        &self,
    ) -> Result<
        (
            Vec<String>,
            Vec<(super::store::StoredMatch, Vec<hearth_rules::DynLogEntry>)>,
        ),
        StoreError,
    > {
        let lapsed = self.store.renew_lease(self.id, self.lease)?;
        let mut lost = Vec::new();
        if lapsed && let Some(host) = self.host.get() {
            let owned: BTreeSet<String> = self.store.rooms_of(self.id)?.into_iter().collect();
            lost = host
                .rooms()
                .iter()
                .filter_map(|r| crate::names::room_name(&r.name).ok().map(|(_, k)| k))
                .filter(|k| !owned.contains(k))
                .collect();
        }
        let draining = self.host.get().is_some_and(|h| h.is_draining());
        let mut claimed = Vec::new();
        if !draining {
            for id in self.store.claim_orphans(self.id)? {
                if let Some(m) = self.store.get_match(id)? {
                    let log = self.store.match_log(id)?;
                    claimed.push((m, log));
                }
            }
        }
        Ok((lost, claimed))
    }

    /// Stops this node in order (blocking parts run off the async threads): no new rooms
    /// and unready at once; matches get up to `wait` to end; what still runs is released to
    /// the other nodes and its players are sent to resume there; the node leaves.
    pub async fn drain(self: &Arc<Self>, wait: Duration) {
        let Some(host) = self.host.get() else {
            return;
        };
        host.drain();
        let store = self.store.clone();
        let id = self.id;
        let _ = tokio::task::spawn_blocking(move || store.set_draining(id)).await;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let playing = host
                .rooms()
                .iter()
                .filter(|r| r.phase == PhaseName::Playing)
                .count();
            if playing == 0 || tokio::time::Instant::now() >= deadline {
                tracing::info!(
                    matches = playing,
                    "draining: handing the running matches over"
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Released first, so writes from the rooms still here are refused from now on; then
        // the rooms drop their players, who resume on whichever node claims the match.
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || store.release(id)).await {
            Ok(Ok(n)) => tracing::info!(matches = n, "released to the other nodes"),
            Ok(Err(e)) => tracing::error!("cannot release the matches: {e}"),
            Err(e) => tracing::error!("cannot release the matches: {e}"),
        }
        host.hand_over(None).await;
        let store = self.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.leave(id)).await;
    }

    /// The event listener (its own thread and connection): acts on other nodes' events;
    /// after connecting (and every reconnect) re-reads what this node shows, so an event
    /// missed while disconnected changes nothing.
    fn listen(self: Arc<Self>, runtime: &tokio::runtime::Handle) {
        loop {
            let mut client = match self.store.connect_fresh() {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("the cluster event listener cannot connect: {e}; retrying");
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
            };
            if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
                tracing::warn!("cannot LISTEN: {e}; retrying");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            self.reconcile(runtime);
            let mut notes = client.notifications();
            let mut iter = notes.timeout_iter(Duration::from_secs(1));
            loop {
                match postgres::fallible_iterator::FallibleIterator::next(&mut iter) {
                    Ok(Some(n)) => self.on_event(n.payload(), runtime),
                    Ok(None) => {
                        // A quiet second: check the connection is alive.
                        drop(iter);
                        drop(notes);
                        if client.is_closed() {
                            break;
                        }
                        notes = client.notifications();
                        iter = notes.timeout_iter(Duration::from_secs(1));
                    }
                    Err(e) => {
                        tracing::warn!("the cluster event listener lost its connection: {e}");
                        break;
                    }
                }
            }
        }
    }

    fn on_event(&self, payload: &str, runtime: &tokio::runtime::Handle) {
        let Some((from, event)) = payload.split_once(' ') else {
            return;
        };
        if from.parse::<i64>().ok() == Some(self.id) {
            return;
        }
        let Some(event) = ClusterEvent::decode(event) else {
            tracing::warn!("an unknown cluster event: {payload}");
            return;
        };
        let Some(host) = self.host.get().cloned() else {
            return;
        };
        match event {
            ClusterEvent::Leaderboard(game) => self.push_standings(&host, &game),
            // Read, not trusted: the account must really be banned.
            ClusterEvent::Banned(player) => self.close_if_banned(&host, player),
            ClusterEvent::SignedOut(session) => {
                host.disconnect_session(
                    &session,
                    codes::SIGNED_OUT,
                    "this token was signed out; sign in again",
                );
            }
            ClusterEvent::CloseRoom(key) => {
                runtime.spawn(async move {
                    host.close_room(&key, "an administrator closed this room")
                        .await;
                });
            }
            ClusterEvent::Kick(key, player) => {
                runtime.spawn(async move {
                    host.kick(&key, player).await;
                });
            }
        }
    }

    fn push_standings(&self, host: &HostControl, game: &str) {
        match self.store.leaderboard(game, LEADERBOARD_ROWS) {
            Ok(standings) => host.publish_leaderboard(game, &standings),
            Err(e) => tracing::warn!("cannot read the leaderboard of {game}: {e}"),
        }
    }

    /// Re-reads what this node shows from the tables: every subscribed leaderboard, and the
    /// bans of whoever is connected here.
    fn reconcile(&self, _runtime: &tokio::runtime::Handle) {
        let Some(host) = self.host.get().cloned() else {
            return;
        };
        for game in host.subscribed_games() {
            self.push_standings(&host, &game);
        }
        let online: BTreeSet<PlayerId> = host.online().iter().map(|o| o.player).collect();
        for player in online {
            self.close_if_banned(&host, player);
        }
    }

    /// Closes `player`'s sockets here if the account is banned.
    fn close_if_banned(&self, host: &HostControl, player: PlayerId) {
        if let Ok(Some(a)) = self.store.account(player)
            && a.banned
        {
            host.disconnect_player(
                player,
                codes::BANNED,
                "this account was banned by an administrator",
            );
        }
    }

    fn mac(&self, key: &str, match_id: u64, seat: u8) -> String {
        let digest = Blake2s256::new()
            .chain_update(&self.secret)
            .chain_update(format!("seat\0{key}\0{match_id}\0{seat}").as_bytes())
            .finalize();
        super::store::hex(&digest[..16])
    }
}

impl Cluster for Node {
    fn place(
        &self,
        key: &str,
        create: Option<(&RoomSummary, bool)>,
    ) -> BoxFuture<'static, Result<Placement, WireError>> {
        let store = self.store.clone();
        let id = self.id;
        let key = key.to_string();
        let create =
            create.map(|(s, public)| (serde_json::to_string(s).unwrap_or_default(), public));
        Box::pin(async move {
            tokio::task::spawn_blocking(move || store.place_room(&key, id, create))
                .await
                .map_err(unavailable)?
                .map_err(unavailable)
        })
    }

    fn summary(&self, key: &str, summary: &RoomSummary, public: bool) {
        let _ = lock(&self.writes).send(DirWrite::Summary {
            key: key.to_string(),
            summary: serde_json::to_string(summary).unwrap_or_default(),
            public,
        });
    }

    fn removed(&self, key: &str) {
        let _ = lock(&self.writes).send(DirWrite::Removed(key.to_string()));
    }

    fn list(&self) -> BoxFuture<'static, Result<Vec<RoomSummary>, WireError>> {
        let store = self.store.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || store.list_rooms())
                .await
                .map_err(unavailable)?
                .map_err(unavailable)
        })
    }

    fn seat_token(&self, key: &str, match_id: u64, seat: u8) -> String {
        format!(
            "s1.{}.{match_id}.{seat}.{}",
            super::store::hex(key.as_bytes()),
            self.mac(key, match_id, seat)
        )
    }

    fn token_room(&self, token: &str) -> Option<String> {
        let mut parts = token.split('.');
        let (Some("s1"), Some(key), Some(m), Some(seat), Some(mac), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let key = hearth_rules::from_hex(key).and_then(|b| String::from_utf8(b).ok())?;
        let m: u64 = m.parse().ok()?;
        let seat: u8 = seat.parse().ok()?;
        let want = self.mac(&key, m, seat);
        // Compared in full whatever differs first, so the time says nothing about the MAC.
        let same = want.len() == mac.len()
            && want
                .bytes()
                .zip(mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        same.then_some(key)
    }
}

/// Writes directory changes in order (a room's summaries that queue up are written once)
/// and sends announcements, every one.
fn write_directory(store: &PgStore, node: i64, rx: &std::sync::mpsc::Receiver<DirWrite>) {
    while let Some(batch) = super::next_batch(rx, 256) {
        // Only the last write per room matters.
        let mut last: BTreeMap<String, DirWrite> = BTreeMap::new();
        for w in batch {
            let key = match &w {
                DirWrite::Summary { key, .. } | DirWrite::Removed(key) => key.clone(),
                DirWrite::Announce(payload) => {
                    if let Err(e) = store.notify(payload) {
                        tracing::warn!("cannot announce a cluster event: {e}");
                    }
                    continue;
                }
            };
            last.insert(key, w);
        }
        for (key, w) in last {
            let result = match w {
                DirWrite::Summary {
                    summary, public, ..
                } => store.room_summary(&key, node, &summary, public),
                DirWrite::Removed(_) => store.room_removed(&key, node),
                DirWrite::Announce(_) => Ok(()),
            };
            if let Err(e) = result {
                tracing::warn!(room = %key, "cannot update the room directory: {e}");
            }
        }
    }
}

/// The SQL of the cluster's tables.
impl PgStore {
    /// Registers a node at `url` with a lease; its id and the cluster's seat-token secret.
    fn register_node(&self, url: &str, lease: Duration) -> Result<(i64, Vec<u8>), StoreError> {
        let fresh: [u8; 32] =
            crate::secrets::random_bytes().map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut db = self.db();
        let mut tx = db.transaction().map_err(backend)?;
        // One registration at a time, so two nodes given one URL cannot both pass the check.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&0x4852_5449_i64])
            .map_err(backend)?;
        let holder = tx
            .query_opt(
                "SELECT id FROM hearth_nodes WHERE url = $1 AND lease_until > now()",
                &[&url],
            )
            .map_err(backend)?;
        if let Some(row) = holder {
            let other: i64 = row.get(0);
            return Err(StoreError::Conflict(format!(
                "node {other} is running with the public URL {url}; give each node its own --public-url (HEARTH_PUBLIC_URL)"
            )));
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO hearth_nodes (url, lease_until) VALUES ($1, now() + make_interval(secs => $2)) RETURNING id",
                &[&url, &lease.as_secs_f64()],
            )
            .map_err(backend)?
            .get(0);
        tx.execute(
            "INSERT INTO hearth_secrets (name, value) VALUES ('seat', $1) ON CONFLICT DO NOTHING",
            &[&fresh.as_slice()],
        )
        .map_err(backend)?;
        let secret: Vec<u8> = tx
            .query_one("SELECT value FROM hearth_secrets WHERE name = 'seat'", &[])
            .map_err(backend)?
            .get(0);
        tx.commit().map_err(backend)?;
        Ok((id, secret))
    }

    /// Renews a node's lease; `true` if it had lapsed first (others may have taken its
    /// matches: it renews anyway and hands those rooms over).
    fn renew_lease(&self, node: i64, lease: Duration) -> Result<bool, StoreError> {
        let mut db = self.db();
        let renewed = db
            .query_opt(
                "UPDATE hearth_nodes SET lease_until = now() + make_interval(secs => $2)
                 WHERE id = $1 AND lease_until > now() RETURNING id",
                &[&node, &lease.as_secs_f64()],
            )
            .map_err(backend)?;
        if renewed.is_some() {
            return Ok(false);
        }
        db.execute(
            "UPDATE hearth_nodes SET lease_until = now() + make_interval(secs => $2) WHERE id = $1",
            &[&node, &lease.as_secs_f64()],
        )
        .map_err(backend)?;
        Ok(true)
    }

    /// The room keys the directory gives `node`.
    fn rooms_of(&self, node: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .db()
            .query("SELECT key FROM hearth_rooms WHERE node = $1", &[&node])
            .map_err(backend)?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// Where room `key` is, claiming it for `node` when `create` is given and it is nowhere.
    fn place_room(
        &self,
        key: &str,
        node: i64,
        create: Option<(String, bool)>,
    ) -> Result<Placement, StoreError> {
        let mut db = self.db();
        let mut tx = db.transaction().map_err(backend)?;
        let row = tx
            .query_opt(
                "SELECT r.node, r.match_id, n.url, COALESCE(n.lease_until > now(), FALSE),
                        EXISTS (SELECT 1 FROM matches m WHERE m.id = r.match_id AND m.status = 'running')
                 FROM hearth_rooms r LEFT JOIN hearth_nodes n ON n.id = r.node
                 WHERE r.key = $1 FOR UPDATE OF r",
                &[&key],
            )
            .map_err(backend)?;
        if let Some(row) = row {
            let owner: Option<i64> = row.get(0);
            let url: Option<String> = row.get(2);
            let alive: bool = row.get(3);
            let running: bool = row.get(4);
            if owner == Some(node) {
                return Ok(Placement::Here);
            }
            if alive && let Some(url) = url {
                return Ok(Placement::At(url));
            }
            if running {
                return Ok(Placement::Moving);
            }
            // A lobby (or an ended match) on a node that is gone: nobody is in it any more.
            tx.execute("DELETE FROM hearth_rooms WHERE key = $1", &[&key])
                .map_err(backend)?;
        }
        let Some((summary, public)) = create else {
            tx.commit().map_err(backend)?;
            return Ok(Placement::Nowhere);
        };
        let made = tx
            .query_opt(
                "INSERT INTO hearth_rooms (key, node, public, summary) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key) DO NOTHING RETURNING key",
                &[&key, &node, &public, &summary],
            )
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        if made.is_some() {
            Ok(Placement::Here)
        } else {
            // Another node made it between our look and our insert: ask again.
            self.place_room(key, node, None)
        }
    }

    fn room_summary(
        &self,
        key: &str,
        node: i64,
        summary: &str,
        public: bool,
    ) -> Result<(), StoreError> {
        self.db()
            .execute(
                "UPDATE hearth_rooms SET summary = $3, public = $4 WHERE key = $1 AND node = $2",
                &[&key, &node, &summary, &public],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn room_removed(&self, key: &str, node: i64) -> Result<(), StoreError> {
        self.db()
            .execute(
                "DELETE FROM hearth_rooms WHERE key = $1 AND node = $2",
                &[&key, &node],
            )
            .map_err(backend)?;
        Ok(())
    }

    /// Public rooms of live nodes, and running matches being moved.
    fn list_rooms(&self) -> Result<Vec<RoomSummary>, StoreError> {
        let rows = self
            .db()
            .query(
                "SELECT r.summary FROM hearth_rooms r LEFT JOIN hearth_nodes n ON n.id = r.node
                 WHERE r.public AND (n.lease_until > now() OR r.match_id IS NOT NULL)",
                &[],
            )
            .map_err(backend)?;
        let mut rooms: Vec<RoomSummary> = rows
            .iter()
            .filter_map(|r| serde_json::from_str(r.get::<_, &str>(0)).ok())
            .collect();
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rooms)
    }

    /// Claims for `node` every running match whose owner's lease lapsed (or that was
    /// released), each at a new epoch, with its room's directory row; the ids claimed.
    fn claim_orphans(&self, node: i64) -> Result<Vec<u64>, StoreError> {
        let mut db = self.db();
        let mut tx = db.transaction().map_err(backend)?;
        let rows = tx
            .query(
                "SELECT m.id, m.room, m.game, m.seats, m.epoch FROM matches m
                 WHERE m.status = 'running' AND (m.owner IS NULL OR NOT EXISTS
                   (SELECT 1 FROM hearth_nodes n WHERE n.id = m.owner AND n.lease_until > now()))
                 ORDER BY m.id DESC FOR UPDATE SKIP LOCKED",
                &[],
            )
            .map_err(backend)?;
        let mut claimed = Vec::new();
        let mut keys = BTreeSet::new();
        for r in &rows {
            let id: i64 = r.get(0);
            let room: String = r.get(1);
            let game: String = r.get(2);
            let seats: i32 = r.get(3);
            let epoch: i64 = r.get::<_, i64>(4) + 1;
            let (name, key) = crate::names::room_name(&room)
                .unwrap_or_else(|_| (room.clone(), room.to_lowercase()));
            let summary = serde_json::to_string(&RoomSummary {
                name,
                game,
                players: seats as u8,
                max_seats: seats as u8,
                spectators: 0,
                phase: PhaseName::Playing,
                has_password: false,
            })
            .unwrap_or_default();
            // The newest running match of a room takes it; an older one there (its room was
            // made again) is abandoned, as on a single node's restart.
            let took = keys.insert(key.clone())
                && tx
                    .query_opt(
                        "INSERT INTO hearth_rooms (key, node, epoch, match_id, public, summary)
                         VALUES ($1, $2, $3, $4, TRUE, $5)
                         ON CONFLICT (key) DO UPDATE SET node = EXCLUDED.node, epoch = EXCLUDED.epoch,
                             match_id = EXCLUDED.match_id, summary = EXCLUDED.summary
                         WHERE hearth_rooms.node IS NULL OR hearth_rooms.match_id = EXCLUDED.match_id
                            OR NOT EXISTS (SELECT 1 FROM hearth_nodes n
                                           WHERE n.id = hearth_rooms.node AND n.lease_until > now())
                         RETURNING key",
                        &[&key, &node, &epoch, &id, &summary],
                    )
                    .map_err(backend)?
                    .is_some();
            if took {
                tx.execute(
                    "UPDATE matches SET owner = $2, epoch = $3 WHERE id = $1",
                    &[&id, &node, &epoch],
                )
                .map_err(backend)?;
                claimed.push((id as u64, epoch));
            } else {
                tracing::warn!(match_id = id, room = %room, "an unfinished match whose room runs another match: marking it abandoned");
                tx.execute(
                    "UPDATE matches SET status = 'abandoned', ended_at = $2, owner = $3, epoch = $4 WHERE id = $1",
                    &[&id, &super::accounts::now(), &node, &epoch],
                )
                .map_err(backend)?;
            }
        }
        // Lobbies of nodes that are gone: their members went with them.
        tx.execute(
            "DELETE FROM hearth_rooms r WHERE r.match_id IS NULL AND NOT EXISTS
               (SELECT 1 FROM hearth_nodes n WHERE n.id = r.node AND n.lease_until > now())",
            &[],
        )
        .map_err(backend)?;
        tx.execute(
            "DELETE FROM hearth_nodes WHERE lease_until < now() - interval '1 day'",
            &[],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        if let Some(f) = self.fence_lock().as_mut() {
            for (id, epoch) in &claimed {
                f.epochs.insert(*id, *epoch);
            }
        }
        Ok(claimed.into_iter().map(|(id, _)| id).collect())
    }

    fn set_draining(&self, node: i64) -> Result<(), StoreError> {
        self.db()
            .execute(
                "UPDATE hearth_nodes SET draining = TRUE WHERE id = $1",
                &[&node],
            )
            .map_err(backend)?;
        Ok(())
    }

    /// Gives up `node`'s running matches (owner cleared) for the others to claim; how many.
    fn release(&self, node: i64) -> Result<u64, StoreError> {
        let mut db = self.db();
        let mut tx = db.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "UPDATE matches SET owner = NULL WHERE owner = $1 AND status = 'running'",
                &[&node],
            )
            .map_err(backend)?;
        tx.execute(
            "UPDATE hearth_rooms SET node = NULL WHERE node = $1 AND match_id IS NOT NULL",
            &[&node],
        )
        .map_err(backend)?;
        tx.execute("DELETE FROM hearth_rooms WHERE node = $1", &[&node])
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        if let Some(f) = self.fence_lock().as_mut() {
            f.epochs.clear();
        }
        Ok(n)
    }

    /// The node leaves the cluster.
    fn leave(&self, node: i64) -> Result<(), StoreError> {
        self.db()
            .execute("DELETE FROM hearth_nodes WHERE id = $1", &[&node])
            .map_err(backend)?;
        Ok(())
    }

    fn notify(&self, payload: &str) -> Result<(), StoreError> {
        self.db()
            .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
            .map_err(backend)?;
        Ok(())
    }

    /// A connection outside the pool (the event listener keeps one for `LISTEN`).
    fn connect_fresh(&self) -> Result<postgres::Client, StoreError> {
        postgres::Client::connect(&self.url, postgres::NoTls).map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::ClusterEvent;

    #[test]
    fn events_round_trip() {
        for e in [
            ClusterEvent::Leaderboard("tic-tac-toe".into()),
            ClusterEvent::Banned(42),
            ClusterEvent::SignedOut("abcd".into()),
            ClusterEvent::CloseRoom("room one".into()),
            ClusterEvent::Kick("room one".into(), 7),
        ] {
            assert_eq!(ClusterEvent::decode(&e.encode()), Some(e));
        }
        assert_eq!(ClusterEvent::decode("nonsense"), None);
    }
}
