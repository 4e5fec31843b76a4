// Given: the counters behind GET /metrics, and their text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the service counts. Every field is reported by `GET /metrics` as one
/// `name value` line, under the field's name.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Pastes created (201 answers).
    pub pastes_created: AtomicU64,
    /// Blob files on disk now: one per distinct body still referenced.
    pub blob_files: AtomicU64,
    /// Creates whose body was already stored, so no new blob file was kept.
    pub dedup_hits: AtomicU64,
    /// The largest piece of a body held in memory at once while serving a
    /// read, in bytes.
    pub largest_body_chunk_bytes: AtomicU64,
    /// Pastes removed by the sweeper.
    pub swept: AtomicU64,
    /// Requests refused with 429.
    pub rate_limited: AtomicU64,
    /// At the last start: blob files that no row referenced, removed.
    pub repaired_orphan_blobs: AtomicU64,
    /// At the last start: paste rows whose blob file was missing, removed.
    pub repaired_dangling_rows: AtomicU64,
    /// At the last start: unfinished uploads found under `tmp/`, removed.
    pub repaired_temp_files: AtomicU64,
}

impl Metrics {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Raises `gauge` to `value` if it is lower.
    pub fn raise(gauge: &AtomicU64, value: u64) {
        gauge.fetch_max(value, Ordering::Relaxed);
    }

    /// The `/metrics` text.
    pub fn render(&self) -> String {
        let fields = [
            ("pastes_created", &self.pastes_created),
            ("blob_files", &self.blob_files),
            ("dedup_hits", &self.dedup_hits),
            ("largest_body_chunk_bytes", &self.largest_body_chunk_bytes),
            ("swept", &self.swept),
            ("rate_limited", &self.rate_limited),
            ("repaired_orphan_blobs", &self.repaired_orphan_blobs),
            ("repaired_dangling_rows", &self.repaired_dangling_rows),
            ("repaired_temp_files", &self.repaired_temp_files),
        ];
        let mut text = String::new();
        for (name, value) in fields {
            writeln!(text, "{name} {}", value.load(Ordering::Relaxed))
                .expect("a String takes writes");
        }
        text
    }
}
