//! The official services, layered on the host core through its seams: accounts and tokens
//! (the socket's `Authenticator`), match logs in SQLite before acknowledgements (the
//! `MatchRecorder`), leaderboards pushed live, the REST API, the admin page, and crash
//! recovery of unfinished matches. Nothing here is woven through rooms or connections.

pub mod accounts;
pub mod api;
#[cfg(feature = "postgres")]
pub mod cluster;
pub mod leaderboard;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod recorder;
pub mod sign_ins;
pub mod sqlite;
pub mod store;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::{Host, HostConfig, HostControl, HostError, HostHandle};
use hearth_rules::protocol::PlayerId;
use store::Store;

/// Waits for the first job on `rx`, then takes every other one already queued, up to `max`
/// in all: the batch a writer thread commits at once (group commit). `None` once every
/// sender is gone.
pub(crate) fn next_batch<T>(rx: &std::sync::mpsc::Receiver<T>, max: usize) -> Option<Vec<T>> {
    let mut batch = vec![rx.recv().ok()?];
    while batch.len() < max {
        match rx.try_recv() {
            Ok(more) => batch.push(more),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Opens the PostgreSQL store at `url` (blocking: call it off async threads), or says this
/// build has none (the `postgres` feature).
pub fn open_postgres(url: &str) -> Result<Arc<dyn Store>, store::StoreError> {
    #[cfg(feature = "postgres")]
    {
        Ok(Arc::new(postgres::PgStore::open(url)?))
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = url;
        Err(store::StoreError::Backend(
            "this hearth was built without PostgreSQL; build it with `cargo build --release -p hearth-cli --features postgres`, or use a SQLite file".into(),
        ))
    }
}

/// Something that happened on one node that the others must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterEvent {
    /// A game's standings changed: push them to subscribers.
    Leaderboard(String),
    /// An account was banned: close its sockets.
    Banned(PlayerId),
    /// A token was signed out (its hash, as `Identity::session`): close its sockets.
    SignedOut(String),
    /// An administrator closed the room with this key.
    CloseRoom(String),
    /// An administrator removed a player from the room with this key.
    Kick(String, PlayerId),
}

#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
impl ClusterEvent {
    pub(crate) fn encode(&self) -> String {
        match self {
            ClusterEvent::Leaderboard(game) => format!("lb {game}"),
            ClusterEvent::Banned(p) => format!("ban {p}"),
            ClusterEvent::SignedOut(s) => format!("out {s}"),
            ClusterEvent::CloseRoom(k) => format!("close {k}"),
            ClusterEvent::Kick(k, p) => format!("kick {p} {k}"),
        }
    }

    pub(crate) fn decode(s: &str) -> Option<ClusterEvent> {
        let (kind, rest) = s.split_once(' ')?;
        Some(match kind {
            "lb" => ClusterEvent::Leaderboard(rest.to_string()),
            "ban" => ClusterEvent::Banned(rest.parse().ok()?),
            "out" => ClusterEvent::SignedOut(rest.to_string()),
            "close" => ClusterEvent::CloseRoom(rest.to_string()),
            "kick" => {
                let (p, k) = rest.split_once(' ')?;
                ClusterEvent::Kick(k.to_string(), p.parse().ok()?)
            }
            _ => return None,
        })
    }
}

/// Where a node tells the rest of its cluster what happened (nowhere on a single node).
pub type Announce = Option<Arc<dyn Fn(ClusterEvent) + Send + Sync>>;

/// Guests unseen this long (and who never played) are deleted.
pub const STALE_GUEST_SECS: i64 = 30 * 24 * 3600;

/// Starts a host with the official services over `store`: accounts required on the socket,
/// matches recorded, leaderboards, `/v1` and `/admin`; then rebuilds the rooms of matches a
/// crash interrupted.
pub async fn start(base: HostConfig, store: Arc<dyn Store>) -> Result<HostHandle, HostError> {
    let catalog = base.catalog.clone();
    let host = start_with(base, store.clone(), None).await?;
    recover(host.control(), store, &catalog).await;
    Ok(host)
}

/// Starts a node of a cluster over a PostgreSQL store: as [`start`], with the room directory,
/// cross-node events and failover of `cluster` (which replaces the crash recovery: matches
/// of nodes that stopped are claimed by the lease loop instead).
#[cfg(feature = "postgres")]
pub async fn start_node(
    base: HostConfig,
    store: Arc<postgres::PgStore>,
    options: &ClusterOptions,
) -> Result<(HostHandle, Arc<cluster::Node>), StartError> {
    // Joined off the async threads, where the store is also dropped if joining fails (the
    // driver's connections must not be dropped on an async thread).
    let (store, joined) = {
        let catalog = base.catalog.clone();
        let options = options.clone();
        tokio::task::spawn_blocking(move || {
            cluster::Node::join(store.clone(), catalog, &options).map(|node| (store, node))
        })
        .await
        .map_err(|e| StartError::Store(store::StoreError::Backend(e.to_string())))??
    };
    let node = joined.clone();
    let announce: Announce = Some(Arc::new(move |e: ClusterEvent| node.announce(&e)));
    let base = HostConfig {
        cluster: Some(joined.clone()),
        ..base
    };
    let host = start_with(base, store, announce).await?;
    joined.run(host.control().clone());
    Ok((host, joined))
}

/// How a node joins a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The WebSocket URL other nodes (and load balancers) reach this node's `/ws` at, e.g.
    /// `ws://10.0.0.5:7777/ws`. Unique per node.
    pub public_url: String,
    /// How long a node may go without renewing its lease before others take its matches
    /// over. It renews every quarter of it.
    pub lease: Duration,
}

/// A running node of a cluster ([`start_cluster_node`]).
pub struct NodeHandle {
    #[cfg(feature = "postgres")]
    node: Arc<cluster::Node>,
    /// Without PostgreSQL no node can run, so no handle exists.
    #[cfg(not(feature = "postgres"))]
    never: std::convert::Infallible,
}

impl NodeHandle {
    /// The node's id in the cluster.
    pub fn id(&self) -> i64 {
        #[cfg(feature = "postgres")]
        return self.node.id();
        #[cfg(not(feature = "postgres"))]
        match self.never {}
    }

    /// The WebSocket URL the node registered.
    pub fn url(&self) -> &str {
        #[cfg(feature = "postgres")]
        return self.node.url();
        #[cfg(not(feature = "postgres"))]
        match self.never {}
    }

    /// Drains the node (SIGTERM): see [`cluster::Node::drain`].
    pub async fn drain(&self, wait: Duration) {
        #[cfg(feature = "postgres")]
        self.node.drain(wait).await;
        #[cfg(not(feature = "postgres"))]
        {
            let _ = wait;
            match self.never {}
        }
    }
}

/// Whether this build can run clusters (the `postgres` feature): [`start_cluster_node`]
/// refuses without it.
pub const CLUSTERS: bool = cfg!(feature = "postgres");

/// Opens the PostgreSQL database at `db_url` and starts a node of the cluster on it (see
/// [`cluster`]); says so when this build has no PostgreSQL (the `postgres` feature).
pub async fn start_cluster_node(
    base: HostConfig,
    db_url: &str,
    options: &ClusterOptions,
) -> Result<(HostHandle, NodeHandle), StartError> {
    #[cfg(feature = "postgres")]
    {
        let url = db_url.to_string();
        let store =
            tokio::task::spawn_blocking(move || postgres::PgStore::open(&url).map(Arc::new))
                .await
                .map_err(|e| StartError::Store(store::StoreError::Backend(e.to_string())))??;
        let (host, node) = start_node(base, store, options).await?;
        Ok((host, NodeHandle { node }))
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (base, db_url, options);
        Err(StartError::Store(store::StoreError::Backend(
            "this hearth was built without PostgreSQL, which clusters need; build it with `cargo build --release -p hearth-cli --features postgres`".into(),
        )))
    }
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database refused (a public URL another live node holds, say).
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The host could not start.
    #[error(transparent)]
    Host(#[from] HostError),
}

/// The host with the official services, without recovery.
async fn start_with(
    base: HostConfig,
    store: Arc<dyn Store>,
    announce: Announce,
) -> Result<HostHandle, HostError> {
    let control: Arc<OnceLock<HostControl>> = Arc::new(OnceLock::new());
    let catalog = base.catalog.clone();
    let api_store = store.clone();
    let sign_ins = sign_ins::SignIns::start(store.clone());
    let limiter = Arc::new(api::LoginLimiter::new(
        base.limits.sign_in_burst,
        base.limits.sign_ins_per_minute,
    ));
    let config = HostConfig {
        auth: Arc::new(accounts::AccountAuth {
            store: store.clone(),
        }),
        recorder: Arc::new(recorder::StoreRecorder::new(
            store.clone(),
            control.clone(),
            announce.clone(),
        )),
        leaderboards: Some(Arc::new(recorder::StoreLeaderboards {
            store: store.clone(),
        })),
        routes: Some(Arc::new(move |host: HostControl| {
            api::router(api::Api {
                store: api_store.clone(),
                host,
                catalog: catalog.clone(),
                limiter: limiter.clone(),
                sign_ins: sign_ins.clone(),
                announce: announce.clone(),
            })
        })),
        ..base
    };
    let host = Host::start(config).await?;
    let _ = control.set(host.control().clone());
    let cleanup = store.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let store = cleanup.clone();
            let before = accounts::now() - STALE_GUEST_SECS;
            match tokio::task::spawn_blocking(move || store.delete_stale_guests(before)).await {
                Ok(Ok(n)) if n > 0 => tracing::info!("removed {n} stale guest accounts"),
                Ok(Err(e)) => tracing::warn!("guest cleanup failed: {e}"),
                _ => {}
            }
        }
    });
    Ok(host)
}

/// Rebuilds every unfinished match by replaying its log; its seats wait for their players.
async fn recover(host: &HostControl, store: Arc<dyn Store>, catalog: &hearth_rules::Catalog) {
    // Stores block (PostgreSQL's driver must not run on an async thread): read off it.
    let reader = store.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        to_restore(&*reader).map(|running| {
            running
                .into_iter()
                .map(|m| {
                    let log = reader.match_log(m.id).map_err(|e| e.to_string());
                    (m, log)
                })
                .collect::<Vec<_>>()
        })
    })
    .await;
    let running = match loaded {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::error!("cannot read unfinished matches: {e}");
            return;
        }
        Err(e) => {
            tracing::error!("cannot read unfinished matches: {e}");
            return;
        }
    };
    for (m, log) in running {
        let result = log.and_then(|log| {
            let session = m.rebuild(catalog, &log).map_err(|e| e.to_string())?;
            host.restore_room(&m.room, session, m.players.clone(), m.id)
                .map_err(|e| e.to_string())
        });
        match result {
            Ok(()) => tracing::info!(match_id = m.id, room = %m.room, "unfinished match restored"),
            Err(why) => {
                tracing::error!(
                    match_id = m.id,
                    "cannot restore the match: {why}; marking it abandoned"
                );
                let store = store.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    store.match_finished(m.id, None, 0, m.ticks, accounts::now(), None)
                })
                .await;
            }
        }
    }
}

/// The unfinished matches a restart rebuilds: the newest of each room. An older one in the
/// same room is one whose room closed (its end not written before the process died) and
/// was made again: it is marked abandoned, so it neither takes the room from the live
/// match nor waits forever.
pub(crate) fn to_restore(store: &dyn Store) -> Result<Vec<store::StoredMatch>, store::StoreError> {
    let mut newest: std::collections::BTreeMap<String, store::StoredMatch> =
        std::collections::BTreeMap::new();
    for m in store.running_matches()? {
        let key = crate::names::room_name(&m.room).map_or_else(|_| m.room.clone(), |(_, k)| k);
        if let Some(older) = newest.insert(key, m) {
            tracing::warn!(
                match_id = older.id,
                room = %older.room,
                "an unfinished match whose room was made again: marking it abandoned"
            );
            // Failing here only leaves it unfinished for the next start to try again.
            if let Err(e) =
                store.match_finished(older.id, None, 0, older.ticks, accounts::now(), None)
            {
                tracing::error!(match_id = older.id, "cannot mark it abandoned: {e}");
            }
        }
    }
    Ok(newest.into_values().collect())
}
