//! Test support shared by the stages: a shard that counts every call it
//! receives, and seeded key sets.

use std::collections::BTreeMap;
use std::ops::Bound;

use kit::rng::Rng;
use sharding::{KeyRange, Shard};

/// A shard that records every call, so a test can see exactly which shards
/// an operation touched and how often. Its data is a plain `BTreeMap` the
/// test can inspect without counting (`data`, `value`).
#[derive(Debug, Default, Clone)]
pub struct CountingShard {
    /// A name the test gave it (the node or creation index).
    pub id: usize,
    pub data: BTreeMap<String, u64>,
    pub gets: usize,
    pub puts: usize,
    pub adds: usize,
    pub removes: usize,
    pub scans: usize,
}

impl CountingShard {
    pub fn new(id: usize) -> Self {
        Self {
            id,
            ..Self::default()
        }
    }

    /// `n` empty shards with ids `0..n`.
    pub fn many(n: usize) -> Vec<Self> {
        (0..n).map(Self::new).collect()
    }

    /// Writes received: puts and adds.
    pub fn writes(&self) -> usize {
        self.puts + self.adds
    }

    /// Every call received.
    pub fn messages(&self) -> usize {
        self.gets + self.puts + self.adds + self.removes + self.scans
    }

    /// The stored value of `key`, without counting a call.
    pub fn value(&self, key: &str) -> Option<u64> {
        self.data.get(key).copied()
    }

    /// Whether `key` is stored here, without counting a call.
    pub fn holds(&self, key: &str) -> bool {
        self.data.contains_key(key)
    }
}

impl Shard for CountingShard {
    fn get(&mut self, key: &str) -> Option<u64> {
        self.gets += 1;
        self.data.get(key).copied()
    }

    fn put(&mut self, key: &str, value: u64) {
        self.puts += 1;
        self.data.insert(key.to_owned(), value);
    }

    fn add(&mut self, key: &str, delta: u64) {
        self.adds += 1;
        let value = self.data.entry(key.to_owned()).or_insert(0);
        *value = value.saturating_add(delta);
    }

    fn remove(&mut self, key: &str) -> Option<u64> {
        self.removes += 1;
        self.data.remove(key)
    }

    fn scan(&mut self, range: &KeyRange) -> Vec<(String, u64)> {
        self.scans += 1;
        let start = range.start.as_str();
        let end = match range.end.as_deref() {
            Some(end) if end <= start => return Vec::new(),
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        };
        self.data
            .range::<str, _>((Bound::Included(start), end))
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    fn len(&self) -> usize {
        self.data.len()
    }
}

/// `n` distinct keys `user:<16 hex digits>` drawn from `seed`.
pub fn keys(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng::new(seed).stream("keys");
    let mut out: Vec<String> = (0..n)
        .map(|_| format!("user:{:016x}", rng.next_u64()))
        .collect();
    out.sort();
    out.dedup();
    assert_eq!(
        out.len(),
        n,
        "64-bit random keys do not collide in practice"
    );
    out
}

/// `mean ± 5σ` of a Binomial(n, p) count, as an inclusive range. Five
/// standard deviations: a correct implementation falls outside with
/// probability below one in a million per check, whatever the key set.
pub fn binomial_bounds(n: usize, p: f64) -> (f64, f64) {
    let n = n as f64;
    let mean = n * p;
    let sigma = (n * p * (1.0 - p)).sqrt();
    (mean - 5.0 * sigma, mean + 5.0 * sigma)
}
