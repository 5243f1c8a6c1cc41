//! Match logs into the store, before acknowledgements; results into the leaderboards.

use std::sync::{Arc, OnceLock};

use hearth_rules::protocol::{Standing, WireError, codes};
use hearth_rules::{DynLogEntry, Outcome};

use super::accounts::now;
use super::store::Store;
use crate::HostControl;
use crate::services::{BoxFuture, LeaderboardSource, MatchRecorder, MatchStart, RecordError};

/// Rows shown on a leaderboard.
pub const LEADERBOARD_ROWS: u32 = 100;

/// Records matches in the store and publishes leaderboard changes to subscribers.
pub struct StoreRecorder {
    store: Arc<dyn Store>,
    /// Set once the host runs, to push leaderboards.
    pub host: Arc<OnceLock<HostControl>>,
}

impl StoreRecorder {
    /// A recorder over `store`.
    pub fn new(store: Arc<dyn Store>, host: Arc<OnceLock<HostControl>>) -> Self {
        StoreRecorder { store, host }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, super::store::StoreError> + Send + 'static,
) -> Result<T, RecordError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RecordError(e.to_string()))?
        .map_err(|e| RecordError(e.to_string()))
}

impl MatchRecorder for StoreRecorder {
    fn started(&self, start: MatchStart) -> BoxFuture<'static, Result<u64, RecordError>> {
        let store = self.store.clone();
        Box::pin(blocking(move || store.match_started(&start, now())))
    }

    fn append(
        &self,
        match_id: u64,
        entries: Vec<DynLogEntry>,
        ticks: u64,
    ) -> BoxFuture<'static, Result<(), RecordError>> {
        let store = self.store.clone();
        Box::pin(blocking(move || {
            store.append_log(match_id, &entries, ticks)
        }))
    }

    fn finished(
        &self,
        match_id: u64,
        outcome: Option<Outcome>,
        hash: u64,
        ticks: u64,
    ) -> BoxFuture<'static, Result<(), RecordError>> {
        let store = self.store.clone();
        let host = self.host.clone();
        Box::pin(async move {
            let game = blocking({
                let store = store.clone();
                let outcome = outcome.clone();
                move || {
                    store.match_finished(match_id, outcome.as_ref(), hash, ticks, now())?;
                    let Some(m) = store.get_match(match_id)? else {
                        return Ok(None);
                    };
                    // Only games among accounts are rated: a bot seat has no account, and a
                    // win against a bot says little about a player's strength.
                    let players: Vec<_> = m.players.iter().map(|p| p.0).collect();
                    let mut all_accounts = true;
                    for p in &players {
                        all_accounts &= store.account(*p)?.is_some();
                    }
                    if let (Some(outcome), true) = (&outcome, all_accounts) {
                        store.record_result(match_id, &m.game, &players, outcome)?;
                        return Ok(Some((
                            m.game.clone(),
                            store.leaderboard(&m.game, LEADERBOARD_ROWS)?,
                        )));
                    }
                    Ok(None)
                }
            })
            .await?;
            if let (Some((game, standings)), Some(host)) = (game, host.get()) {
                host.publish_leaderboard(&game, &standings);
            }
            Ok(())
        })
    }
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
