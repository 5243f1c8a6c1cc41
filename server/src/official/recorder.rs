//! Match logs into the store, before acknowledgements; results into the leaderboards.

use std::sync::{Arc, OnceLock};

use hearth_rules::Outcome;
use hearth_rules::protocol::{Standing, WireError, codes};

use super::accounts::now;
use super::store::{LogAppend, Store, StoreError, StoredMatch};
use crate::HostControl;
use crate::services::{
    Accepted, BoxFuture, LeaderboardSource, MatchRecorder, MatchStart, RecordError,
};

/// Rows shown on a leaderboard.
pub const LEADERBOARD_ROWS: u32 = 100;

/// Records matches in the store and publishes leaderboard changes to subscribers.
pub struct StoreRecorder {
    store: Arc<dyn Store>,
    /// Set once the host runs, to push leaderboards.
    pub host: Arc<OnceLock<HostControl>>,
    log: std::sync::mpsc::Sender<Job>,
    announce: super::Announce,
}

/// One room's accepted entries, waiting for the log writer.
struct Append {
    accepted: Accepted,
    done: tokio::sync::oneshot::Sender<Result<(), RecordError>>,
}

/// What the log writer does, in the order rooms asked.
enum Job {
    /// Entries to append; appends queued together share one commit.
    Append(Append),
    /// Any other write (a match's start or end), run on the writer between appends: no
    /// blocking-pool hand-off and no second thread waiting on the store's lock, which cost
    /// more than the write itself when games start and end a thousand times a second.
    Run(Write),
}

/// A write for [`Job::Run`].
type Write = Box<dyn FnOnce(&dyn Store) + Send>;

/// Most appends committed in one transaction.
const GROUP_COMMIT_MAX: usize = 512;

impl StoreRecorder {
    /// A recorder over `store`, with its log writer thread.
    pub fn new(
        store: Arc<dyn Store>,
        host: Arc<OnceLock<HostControl>>,
        announce: super::Announce,
    ) -> Self {
        let (log, rx) = std::sync::mpsc::channel();
        let writer = store.clone();
        // One thread owns the log writes: every append that arrives while a transaction
        // commits goes into the next one (group commit). A blocking-pool thread and a commit
        // per action were most of a turn's cost (thread hand-offs and lock contention).
        let spawned = std::thread::Builder::new()
            .name("hearth-log-writer".into())
            .spawn(move || write_logs(&*writer, &rx));
        if let Err(e) = spawned {
            // Appends then fail with a reason (the sender's receiver is gone); rooms close.
            tracing::error!("cannot start the match log writer: {e}");
        }
        StoreRecorder {
            store,
            host,
            log,
            announce,
        }
    }
}

/// The log writer: waits for jobs, commits every append queued together in one transaction,
/// runs the other writes between them in order, and tells each room its result. Ends when the
/// recorder is dropped.
fn write_logs(store: &dyn Store, rx: &std::sync::mpsc::Receiver<Job>) {
    while let Some(jobs) = super::next_batch(rx, GROUP_COMMIT_MAX) {
        let mut appends = Vec::new();
        for job in jobs {
            match job {
                Job::Append(a) => appends.push(a),
                Job::Run(write) => {
                    append_all(store, std::mem::take(&mut appends));
                    write(store);
                }
            }
        }
        append_all(store, appends);
    }
}

/// Commits `batch` in one transaction and answers each room.
fn append_all(store: &dyn Store, mut batch: Vec<Append>) {
    while !batch.is_empty() {
        let items: Vec<LogAppend<'_>> = batch
            .iter()
            .map(|a| LogAppend {
                match_id: a.accepted.match_id,
                entries: &a.accepted.entries,
                ticks: a.accepted.ticks,
                hash: a.accepted.hash,
            })
            .collect();
        let result = store.append_logs(&items);
        drop(items);
        match result {
            // Matches another node took over are refused alone (their rooms move); the rest
            // of the batch is written without them.
            Err(StoreError::Fenced { matches }) => {
                let (fenced, rest): (Vec<Append>, Vec<Append>) = batch
                    .into_iter()
                    .partition(|a| matches.contains(&a.accepted.match_id));
                for a in fenced {
                    let _ = a.done.send(Err(RecordError::moved(a.accepted.match_id)));
                }
                batch = rest;
            }
            result => {
                let result = result.map_err(|e| RecordError(e.to_string()));
                for a in batch {
                    let _ = a.done.send(result.clone());
                }
                return;
            }
        }
    }
}

impl StoreRecorder {
    /// Runs `write` on the log writer, after everything queued before it.
    fn on_writer<T: Send + 'static>(
        &self,
        write: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'static, Result<T, RecordError>> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.queue(
            Job::Run(Box::new(move |store| {
                let _ = done.send(write(store).map_err(|e| RecordError(e.to_string())));
            })),
            result,
        )
    }

    /// Queues `job` for the log writer; the future is its answer on `result`.
    fn queue<T: Send + 'static>(
        &self,
        job: Job,
        result: tokio::sync::oneshot::Receiver<Result<T, RecordError>>,
    ) -> BoxFuture<'static, Result<T, RecordError>> {
        let stopped = || RecordError("the match log writer has stopped".into());
        let queued = self.log.send(job);
        Box::pin(async move {
            queued.map_err(|_| stopped())?;
            result.await.map_err(|_| stopped())?
        })
    }
}

impl MatchRecorder for StoreRecorder {
    fn started(&self, start: MatchStart) -> BoxFuture<'static, Result<u64, RecordError>> {
        self.on_writer(move |store| store.match_started(&start, now()))
    }

    fn append(&self, accepted: Accepted) -> BoxFuture<'static, Result<(), RecordError>> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.queue(Job::Append(Append { accepted, done }), result)
    }

    fn finished(
        &self,
        match_id: u64,
        outcome: Option<Outcome>,
        hash: u64,
        ticks: u64,
    ) -> BoxFuture<'static, Result<(), RecordError>> {
        let host = self.host.clone();
        let announce = self.announce.clone();
        let game = self.on_writer(move |store| {
            let Some(m) = store.get_match(match_id)? else {
                return Ok(None);
            };
            let rated = rated_players(store, &m)?;
            store.match_finished(
                match_id,
                outcome.as_ref(),
                hash,
                ticks,
                now(),
                rated.as_deref(),
            )?;
            Ok((outcome.is_some() && rated.is_some()).then_some(m.game))
        });
        let store = self.store.clone();
        Box::pin(async move {
            let Some(game) = game.await? else {
                return Ok(());
            };
            // The standings are read beside the writer, not on it: a read of the board's top
            // rows should not hold up every room's appends.
            let board = game.clone();
            let standings =
                tokio::task::spawn_blocking(move || store.leaderboard(&board, LEADERBOARD_ROWS))
                    .await
                    .map_err(|e| RecordError(e.to_string()))?
                    .map_err(|e| RecordError(e.to_string()))?;
            if let Some(host) = host.get() {
                host.publish_leaderboard(&game, &standings);
                // Subscribers on the other nodes read the standings themselves.
                if let Some(announce) = &announce {
                    announce(super::ClusterEvent::Leaderboard(game));
                }
            }
            Ok(())
        })
    }
}

/// The players of a match if it is rated: only games among accounts are (a bot seat has no
/// account, and a win against a bot says little about a player's strength).
fn rated_players(store: &dyn Store, m: &StoredMatch) -> Result<Option<Vec<u64>>, StoreError> {
    let players: Vec<_> = m.players.iter().map(|p| p.0).collect();
    for p in &players {
        if store.account(*p)?.is_none() {
            return Ok(None);
        }
    }
    Ok(Some(players))
}

/// Leaderboards for subscribers, from the store.
pub struct StoreLeaderboards {
    /// The store.
    pub store: Arc<dyn Store>,
}

impl LeaderboardSource for StoreLeaderboards {
    fn standings(&self, game: &str) -> BoxFuture<'static, Result<Vec<Standing>, WireError>> {
        let store = self.store.clone();
        let game = game.to_string();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || store.leaderboard(&game, LEADERBOARD_ROWS))
                .await
                .map_err(|e| WireError::new(codes::UNAVAILABLE, e.to_string()))?
                .map_err(|e| WireError::new(codes::UNAVAILABLE, e.to_string()))
        })
    }
}
