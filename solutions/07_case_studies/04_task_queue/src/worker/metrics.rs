// Given: what a worker counts, and the `/metrics` text it answers.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a worker counts, for its `GET /metrics`.
#[derive(Debug, Default)]
pub struct WorkerMetrics {
    /// `tasks_started`: leases received and started.
    pub started: AtomicU64,
    /// `tasks_completed`: completions the broker accepted.
    pub completed: AtomicU64,
    /// `tasks_failed`: failures the broker accepted.
    pub failed: AtomicU64,
    /// `tasks_abandoned`: tasks given up because the lease was lost (a
    /// heartbeat, completion or failure answered 409).
    pub abandoned: AtomicU64,
}

impl WorkerMetrics {
    /// The `/metrics` text: one `name value` line per counter.
    pub fn render(&self) -> String {
        [
            ("tasks_started", &self.started),
            ("tasks_completed", &self.completed),
            ("tasks_failed", &self.failed),
            ("tasks_abandoned", &self.abandoned),
        ]
        .iter()
        .map(|(name, value)| format!("{name} {}\n", value.load(Ordering::Relaxed)))
        .collect()
    }
}
