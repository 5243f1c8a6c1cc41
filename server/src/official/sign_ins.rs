//! Device sign-ins, group-committed: one thread owns them and writes every sign-in that
//! queued while the previous batch committed in one transaction. On disk, a commit (a WAL
//! write, and a sync at checkpoints) and a blocking-pool hand-off per sign-in were most of
//! its cost (BENCHMARKS.md, "On disk").

use std::sync::Arc;
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::store::{Account, DeviceSignIn, Store, StoreError};

/// Most sign-ins committed in one transaction.
const GROUP_COMMIT_MAX: usize = 256;

/// One queued sign-in and where its result goes.
struct Job {
    sign_in: DeviceSignIn,
    now: i64,
    done: oneshot::Sender<Result<Account, StoreError>>,
}

/// The queue to the sign-in writer thread. Dropping the last handle ends the thread.
#[derive(Clone)]
pub struct SignIns {
    queue: mpsc::Sender<Job>,
}

impl SignIns {
    /// Starts the writer thread over `store`.
    pub fn start(store: Arc<dyn Store>) -> SignIns {
        let (queue, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("hearth-sign-ins".into())
            .spawn(move || write(&*store, &rx));
        if let Err(e) = spawned {
            // Sign-ins then fail with a reason (the queue's receiver is gone).
            tracing::error!("cannot start the sign-in writer: {e}");
        }
        SignIns { queue }
    }

    /// Signs a device in: its account (made on first use) and, unless the account is banned,
    /// the token `sign_in` carries, durable before this returns.
    pub async fn device(&self, sign_in: DeviceSignIn, now: i64) -> Result<Account, StoreError> {
        let stopped = || StoreError::Backend("the sign-in writer has stopped".into());
        let (done, result) = oneshot::channel();
        self.queue
            .send(Job { sign_in, now, done })
            .map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }
}

/// The writer: waits for sign-ins and commits every queued one in one transaction. A batch
/// that fails is written again one by one, so one sign-in's failure is only its own.
fn write(store: &dyn Store, rx: &mpsc::Receiver<Job>) {
    while let Some(batch) = super::next_batch(rx, GROUP_COMMIT_MAX) {
        // One clock reading for the batch: its sign-ins are one commit.
        let now = batch.iter().map(|j| j.now).max().unwrap_or_default();
        let sign_ins: Vec<DeviceSignIn> = batch.iter().map(|j| j.sign_in.clone()).collect();
        let result = store.device_sign_ins(&sign_ins, now);
        match result {
            Ok(accounts) if accounts.len() == batch.len() => {
                for (job, account) in batch.into_iter().zip(accounts) {
                    let _ = job.done.send(Ok(account));
                }
            }
            result if batch.len() == 1 => {
                if let Some(job) = batch.into_iter().next() {
                    let _ = job.done.send(result.and_then(only));
                }
            }
            _ => {
                for job in batch {
                    let result = store
                        .device_sign_ins(std::slice::from_ref(&job.sign_in), job.now)
                        .and_then(only);
                    let _ = job.done.send(result);
                }
            }
        }
    }
}

/// The one account of a one-sign-in batch.
fn only(mut accounts: Vec<Account>) -> Result<Account, StoreError> {
    match (accounts.pop(), accounts.is_empty()) {
        (Some(account), true) => Ok(account),
        _ => Err(StoreError::Backend(
            "the store returned a different number of accounts than sign-ins".into(),
        )),
    }
}
