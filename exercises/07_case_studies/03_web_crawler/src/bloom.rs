//! The seen-URL set: a Bloom filter in front of an exact set. The filter
//! answers "certainly new" for most new URLs without touching the exact set
//! (on disk, in a production crawler); "maybe seen" costs an exact lookup,
//! which is either a true duplicate or the filter's false positive.

use std::collections::HashSet;

use kit::hash::hash128;

/// A Bloom filter over byte strings: no false negatives, false positives at a
/// rate set by its size and number of hashes.
#[derive(Debug, Clone)]
pub struct Bloom {
    // TODO: the bits (e.g. a Vec<u64>), their number, the number of hashes.
}

impl Bloom {
    /// A filter of `bits` bits using `hashes` hash functions (double hashing
    /// of one 128-bit [`kit::hash::hash128`]).
    ///
    /// # Panics
    /// "a Bloom filter needs at least one bit and one hash" if either is 0.
    pub fn new(bits: usize, hashes: u32) -> Self {
        todo!("an empty filter")
    }

    /// Adds `key`.
    pub fn insert(&mut self, key: &[u8]) {
        todo!("set the key's bits")
    }

    /// Whether `key` may have been added: `false` means it certainly was not.
    pub fn contains(&self, key: &[u8]) -> bool {
        todo!("are all the key's bits set?")
    }
}

/// What [`SeenSet::insert`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// New, and the Bloom filter said so: no exact lookup was made.
    BloomNew,
    /// New, but the Bloom filter said "maybe": an exact lookup was made and
    /// found nothing (the filter's false positive).
    FalsePositive,
    /// Seen before (an exact lookup confirmed it).
    Duplicate,
}

/// Every URL one crawl has admitted: a [`Bloom`] filter in front of an exact
/// set. Never loses a URL to a false positive.
#[derive(Debug, Clone)]
pub struct SeenSet {
    // TODO: a Bloom and a HashSet<String>.
}

impl SeenSet {
    /// An empty set whose filter has `bits` bits and `hashes` hashes.
    pub fn new(bits: usize, hashes: u32) -> Self {
        todo!("an empty seen set")
    }

    /// Adds `url` and says whether it was new, and at what cost. The exact
    /// set is consulted only when the filter answers "maybe".
    pub fn insert(&mut self, url: &str) -> Seen {
        todo!("filter first, exact set only on a maybe")
    }

    /// How many URLs it holds.
    pub fn len(&self) -> usize {
        todo!("the number of URLs")
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        todo!("no URLs?")
    }
}
