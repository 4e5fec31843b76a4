// Given: a gate a test puts on the read path, to hold readers at one point.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

/// Where a read waits, if the test installed one (`Config::before_body`):
/// after the metadata step has granted the body to this reader (for a
/// burn-after-read paste: after it has claimed the paste) and before the
/// first byte of the body is read. Readers that are refused (404, 410) never
/// reach it.
///
/// The test counts who arrived, and opens the gate when every reader has
/// either arrived or been answered: a check-then-delete design lets all of
/// them through the check before any deletes.
#[derive(Debug)]
pub struct Gate {
    arrived: AtomicUsize,
    open: watch::Sender<bool>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Gate {
            arrived: AtomicUsize::new(0),
            open: watch::Sender::new(false),
        }
    }

    /// Counts this reader as arrived and waits until the gate is open.
    pub async fn pass(&self) {
        let mut opened = self.open.subscribe();
        self.arrived.fetch_add(1, Ordering::SeqCst);
        // The sender lives as long as `self`, so this cannot fail.
        let _ = opened.wait_for(|open| *open).await;
    }

    /// How many readers have reached the gate.
    pub fn arrived(&self) -> usize {
        self.arrived.load(Ordering::SeqCst)
    }

    /// Lets every waiting and future reader through.
    pub fn open(&self) {
        self.open.send_replace(true);
    }
}
