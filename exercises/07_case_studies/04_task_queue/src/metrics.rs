// Given: what the broker counts, and the `/metrics` text it answers.

use std::fmt::Write;

/// What the broker counts, for `GET /metrics`. Counts since this process
/// started: replaying the log at start does not count.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counters {
    /// `tasks_enqueued`: new tasks (a duplicate idempotency key is not one).
    pub enqueued: u64,
    /// `leases_granted`: leases handed out, redeliveries included.
    pub leases_granted: u64,
    /// `leases_expired`: leases that ran out before a complete or fail.
    pub leases_expired: u64,
    /// `tasks_completed`: accepted completions.
    pub completed: u64,
    /// `tasks_failed`: accepted failure reports (retried or dead-lettered).
    pub failed: u64,
    /// `tasks_dead`: tasks moved to the dead-letter queue.
    pub dead: u64,
    /// `stale_refused`: heartbeats, completions and failures refused with 409.
    pub stale_refused: u64,
    /// `wal_fsyncs`: fsyncs of the write-ahead log.
    pub wal_fsyncs: u64,
}

impl Counters {
    /// The `/metrics` text: one `name value` line per counter, plus the
    /// gauges `tasks_queued` and `tasks_leased`.
    pub fn render(&self, queued: usize, leased: usize) -> String {
        let mut out = String::new();
        for (name, value) in [
            ("tasks_enqueued", self.enqueued),
            ("leases_granted", self.leases_granted),
            ("leases_expired", self.leases_expired),
            ("tasks_completed", self.completed),
            ("tasks_failed", self.failed),
            ("tasks_dead", self.dead),
            ("stale_refused", self.stale_refused),
            ("wal_fsyncs", self.wal_fsyncs),
            ("tasks_queued", queued as u64),
            ("tasks_leased", leased as u64),
        ] {
            writeln!(out, "{name} {value}").expect("a String takes writes");
        }
        out
    }
}
