// Given: the counters GET /metrics reports, and their text form.

//! Counters for the whole process (all crawls since start), in the
//! `name value` text format of `GET /metrics`. Relaxed atomics: each counter
//! is exact on its own, and no reader needs two of them to agree at an
//! instant.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every counter `GET /metrics` reports. The meaning of each is in the
/// crate documentation ("Metrics").
#[derive(Debug, Default)]
pub struct Counters {
    /// `page_requests`
    pub page_requests: AtomicU64,
    /// `pages_fetched`
    pub pages_fetched: AtomicU64,
    /// `fetch_errors`
    pub fetch_errors: AtomicU64,
    /// `robots_fetches`
    pub robots_fetches: AtomicU64,
    /// `robots_disallowed`
    pub robots_disallowed: AtomicU64,
    /// `redirects_followed`
    pub redirects_followed: AtomicU64,
    /// `urls_seen`
    pub urls_seen: AtomicU64,
    /// `bloom_negatives`
    pub bloom_negatives: AtomicU64,
    /// `exact_lookups`
    pub exact_lookups: AtomicU64,
    /// `bloom_false_positives`
    pub bloom_false_positives: AtomicU64,
    /// `duplicate_bodies`
    pub duplicate_bodies: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The `GET /metrics` body: one `name value` line per counter.
    pub fn render(&self) -> String {
        let counters = [
            ("page_requests", &self.page_requests),
            ("pages_fetched", &self.pages_fetched),
            ("fetch_errors", &self.fetch_errors),
            ("robots_fetches", &self.robots_fetches),
            ("robots_disallowed", &self.robots_disallowed),
            ("redirects_followed", &self.redirects_followed),
            ("urls_seen", &self.urls_seen),
            ("bloom_negatives", &self.bloom_negatives),
            ("exact_lookups", &self.exact_lookups),
            ("bloom_false_positives", &self.bloom_false_positives),
            ("duplicate_bodies", &self.duplicate_bodies),
        ];
        let mut out = String::new();
        for (name, counter) in counters {
            let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
        }
        out
    }
}
