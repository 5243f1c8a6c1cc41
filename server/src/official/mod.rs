//! The official services, layered on the host core through its seams: accounts and tokens
//! (the socket's `Authenticator`), match logs in SQLite before acknowledgements (the
//! `MatchRecorder`), leaderboards pushed live, the REST API, the admin page, and crash
//! recovery of unfinished matches. Nothing here is woven through rooms or connections.

pub mod accounts;
pub mod api;
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

/// Guests unseen this long (and who never played) are deleted.
pub const STALE_GUEST_SECS: i64 = 30 * 24 * 3600;

/// Starts a host with the official services over `store`: accounts required on the socket,
/// matches recorded, leaderboards, `/v1` and `/admin`; then rebuilds the rooms of matches a
/// crash interrupted.
pub async fn start(base: HostConfig, store: Arc<dyn Store>) -> Result<HostHandle, HostError> {
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
        recorder: Arc::new(recorder::StoreRecorder::new(store.clone(), control.clone())),
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
            })
        })),
        ..base
    };
    let catalog = config.catalog.clone();
    let host = Host::start(config).await?;
    let _ = control.set(host.control().clone());
    recover(host.control(), store.clone(), &catalog).await;
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
