//! Click counting off the request path.
//!
//! A redirect only drops the code into a bounded channel (never waiting: a
//! full channel drops the click, as analytics may, rather than slow a
//! redirect). One task drains it, adds each click to the in-memory totals
//! at once (so stats are exact as soon as the channel is empty), and writes
//! the counts to the log in batches: one record per [`FLUSH_EVERY`] clicks
//! or per [`FLUSH_AFTER`] of real time, whichever comes first, and the rest
//! when the service shuts down.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::store::Store;

/// Clicks that may wait in the channel.
pub const CHANNEL: usize = 65_536;

/// Clicks counted before a batch is written.
pub const FLUSH_EVERY: u64 = 1_000;

/// The longest a counted click waits to be written. Real time: this paces
/// disk writes, it decides nothing a client sees.
pub const FLUSH_AFTER: Duration = Duration::from_secs(1);

/// The request path's end: where redirects report their clicks.
#[derive(Debug, Clone)]
pub struct Clicks {
    tx: mpsc::Sender<String>,
}

impl Clicks {
    /// Counts one redirect of `code`, without waiting.
    pub fn record(&self, code: &str) {
        todo!("try_send the code; never wait")
    }
}

/// The counting task; [`ClickTask::stop`] writes what is left and ends it.
#[derive(Debug)]
pub struct ClickTask {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<()>,
}

impl ClickTask {
    /// Counts every click already sent, writes the last batch, and returns.
    pub async fn stop(self) {
        todo!("tell the task to stop and wait for it to write its last batch")
    }
}

/// Starts the counting task for `store`.
pub fn start(store: Arc<Store>) -> (Clicks, ClickTask) {
    todo!("a bounded channel and the counting task")
}

async fn count(store: Arc<Store>, mut rx: mpsc::Receiver<String>, mut stop: oneshot::Receiver<()>) {
    todo!(
        "receive clicks, add each to the totals at once, write a batch every FLUSH_EVERY clicks or FLUSH_AFTER; on stop, drain and write the rest"
    )
}

fn far_future() -> Instant {
    todo!("an instant an hour away")
}

#[derive(Default)]
struct Batch {
    counts: BTreeMap<String, u64>,
    clicks: u64,
    deadline: Option<Instant>,
}

impl Batch {
    fn add(&mut self, store: &Store, code: String) {
        todo!("count the click in the totals and in this batch; start the batch's deadline")
    }

    async fn flush(&mut self, store: &Store) {
        todo!("write the batch's counts as one record if there are any, and start a new batch")
    }
}
