// Given: the storage one shard runs on. Complete: the lesson's code calls it, and the tests wrap it to count every call.
//! One shard's storage: the [`Shard`] trait every store in this crate talks
//! to, and [`MemShard`], an in-memory implementation.
//!
//! Every method that reads takes `&mut self` so that an implementation can
//! count calls without interior mutability: the tests pass shards that record
//! each `get`, `put`, `add`, `remove` and `scan` they receive, and so see
//! exactly which shards an operation touched.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::KeyRange;

/// The storage of one shard (a node of a cluster, or one range of a range
/// store): a map from string keys to `u64` values, kept in key order.
/// One call is one message to that shard.
pub trait Shard {
    /// The value stored under `key`, if any.
    fn get(&mut self, key: &str) -> Option<u64>;

    /// Stores `value` under `key`, replacing any previous value.
    fn put(&mut self, key: &str, value: u64);

    /// Adds `delta` to the value under `key`, a missing key counting as 0
    /// (an atomic increment on the shard, like Redis `INCRBY` or DynamoDB's
    /// `ADD`). Saturates at `u64::MAX`.
    fn add(&mut self, key: &str, delta: u64);

    /// Removes `key`, returning its value if it was there.
    fn remove(&mut self, key: &str) -> Option<u64>;

    /// Every entry whose key lies in `range`, in key order.
    fn scan(&mut self, range: &KeyRange) -> Vec<(String, u64)>;

    /// How many keys the shard holds.
    fn len(&self) -> usize;

    /// True if the shard holds no key.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A [`Shard`] in memory, on a `BTreeMap`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemShard {
    entries: BTreeMap<String, u64>,
}

impl MemShard {
    /// An empty shard.
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys held, in key order (for inspection; not a [`Shard`] call).
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.keys().map(String::as_str)
    }
}

impl Shard for MemShard {
    fn get(&mut self, key: &str) -> Option<u64> {
        self.entries.get(key).copied()
    }

    fn put(&mut self, key: &str, value: u64) {
        self.entries.insert(key.to_owned(), value);
    }

    fn add(&mut self, key: &str, delta: u64) {
        let value = self.entries.entry(key.to_owned()).or_insert(0);
        *value = value.saturating_add(delta);
    }

    fn remove(&mut self, key: &str) -> Option<u64> {
        self.entries.remove(key)
    }

    fn scan(&mut self, range: &KeyRange) -> Vec<(String, u64)> {
        // Read the bounds directly rather than through KeyRange's methods,
        // and never hand BTreeMap::range an inverted range (it panics).
        let start = range.start.as_str();
        let end = match range.end.as_deref() {
            Some(end) if end <= start => return Vec::new(),
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        };
        self.entries
            .range::<str, _>((Bound::Included(start), end))
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}
