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
        // Full (a burst the counter cannot keep up with) or closed (shutting
        // down): the click is lost, the redirect is not slowed.
        let _ = self.tx.try_send(code.to_owned());
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
        let _ = self.stop.send(());
        let _ = self.handle.await;
    }
}

/// Starts the counting task for `store`.
pub fn start(store: Arc<Store>) -> (Clicks, ClickTask) {
    let (tx, rx) = mpsc::channel(CHANNEL);
    let (stop, stopped) = oneshot::channel();
    let handle = tokio::spawn(count(store, rx, stopped));
    (Clicks { tx }, ClickTask { stop, handle })
}

async fn count(store: Arc<Store>, mut rx: mpsc::Receiver<String>, mut stop: oneshot::Receiver<()>) {
    let mut batch = Batch::default();
    loop {
        let deadline = batch.deadline.unwrap_or_else(far_future);
        tokio::select! {
            click = rx.recv() => match click {
                Some(code) => {
                    batch.add(&store, code);
                    if batch.clicks >= FLUSH_EVERY {
                        batch.flush(&store).await;
                    }
                }
                None => break,
            },
            () = tokio::time::sleep_until(deadline), if batch.deadline.is_some() => {
                batch.flush(&store).await;
            }
            _ = &mut stop => break,
        }
    }
    // Shutting down: count what is queued, then write it all.
    while let Ok(code) = rx.try_recv() {
        batch.add(&store, code);
    }
    batch.flush(&store).await;
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

#[derive(Default)]
struct Batch {
    counts: BTreeMap<String, u64>,
    clicks: u64,
    deadline: Option<Instant>,
}

impl Batch {
    fn add(&mut self, store: &Store, code: String) {
        store.count_clicks(&code, 1);
        *self.counts.entry(code).or_default() += 1;
        self.clicks += 1;
        self.deadline
            .get_or_insert_with(|| Instant::now() + FLUSH_AFTER);
    }

    async fn flush(&mut self, store: &Store) {
        let counts = std::mem::take(&mut self.counts);
        self.clicks = 0;
        self.deadline = None;
        if !counts.is_empty() {
            // A batch that cannot be written is lost from the log but not
            // from the totals: analytics, not a link.
            let _ = store.persist_clicks(counts).await;
        }
    }
}
