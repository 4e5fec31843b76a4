// Given: the counters GET /metrics reports, one `name value` per line.

use std::sync::atomic::{AtomicU64, Ordering};

/// The service's counters. Every part of the service holds an `Arc` of the
/// one set and bumps what it does with [`Metrics::add`].
#[derive(Debug, Default)]
pub struct Metrics {
    /// Link records read back from the log file to answer a request
    /// (recovery at start is not counted).
    pub store_reads: AtomicU64,
    /// Records appended to the log (links and click batches).
    pub store_writes: AtomicU64,
    /// fsync (fdatasync) calls on the log.
    pub log_fsyncs: AtomicU64,
    /// Valid records read from the log at start.
    pub log_recovered: AtomicU64,
    /// Bytes cut off the end of the log at start: a torn or corrupt tail.
    pub log_torn_bytes: AtomicU64,
}

impl Metrics {
    /// Adds `n` to `counter`.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The `/metrics` text, with the cache's current size as `cache_entries`.
    pub fn render(&self, cache_entries: usize) -> String {
        let counters = [
            ("store_reads", &self.store_reads),
            ("store_writes", &self.store_writes),
            ("log_fsyncs", &self.log_fsyncs),
            ("log_recovered", &self.log_recovered),
            ("log_torn_bytes", &self.log_torn_bytes),
        ];
        let mut text = String::new();
        for (name, value) in counters {
            text += &format!("{name} {}\n", value.load(Ordering::Relaxed));
        }
        text += &format!("cache_entries {cache_entries}\n");
        text
    }
}
