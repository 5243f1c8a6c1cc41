//! The host around a room in its unit tests and the fault simulator: resume tokens kept in a
//! map, ids counted, list entries ignored.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

use super::*;

pub(super) struct TestHost {
    pub(super) config: HostConfig,
    metrics: Metrics,
    shutdown: watch::Receiver<bool>,
    /// Held so the host never reads as shut down.
    _stop: watch::Sender<bool>,
    /// Resume tokens and the room key each resumes a seat in.
    pub(super) tokens: Mutex<BTreeMap<String, String>>,
    next: AtomicU64,
}

impl TestHost {
    /// A host with `config`, never shutting down; ids from `first`.
    pub(super) fn new(config: HostConfig, first: u64) -> Arc<TestHost> {
        let (stop, shutdown) = watch::channel(false);
        Arc::new(TestHost {
            config,
            metrics: Metrics::default(),
            shutdown,
            _stop: stop,
            tokens: Mutex::default(),
            next: AtomicU64::new(first),
        })
    }

    /// The resume tokens the rooms have handed out and not taken back.
    pub(super) fn tokens(&self) -> BTreeMap<String, String> {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Directory for TestHost {
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
        self.next.fetch_add(1, Ordering::Relaxed)
    }
    fn set_summary(&self, _: &str, _: u64, _: &RoomSummary) {}
    fn remove_room(&self, _: &str, _: u64) {}
    fn add_token(&self, token: &str, key: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.to_string(), key.to_string());
    }
    fn remove_tokens(&self, tokens: &[String]) {
        let mut map = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        for t in tokens {
            map.remove(t);
        }
    }
}
