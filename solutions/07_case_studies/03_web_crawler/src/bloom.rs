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
    words: Vec<u64>,
    bits: u64,
    hashes: u32,
}

impl Bloom {
    /// A filter of `bits` bits using `hashes` hash functions (double hashing
    /// of one 128-bit [`kit::hash::hash128`]).
    ///
    /// # Panics
    /// "a Bloom filter needs at least one bit and one hash" if either is 0.
    pub fn new(bits: usize, hashes: u32) -> Self {
        assert!(
            bits > 0 && hashes > 0,
            "a Bloom filter needs at least one bit and one hash"
        );
        Bloom {
            words: vec![0; bits.div_ceil(64)],
            bits: bits as u64,
            hashes,
        }
    }

    /// Adds `key`.
    pub fn insert(&mut self, key: &[u8]) {
        for bit in self.positions(key) {
            self.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }

    /// Whether `key` may have been added: `false` means it certainly was not.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.positions(key)
            .all(|bit| self.words[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    /// Kirsch–Mitzenmacher: h1 + i·h2 gives k hashes as good as independent
    /// ones; h2 is made odd so it never collapses to one position.
    fn positions(&self, key: &[u8]) -> impl Iterator<Item = u64> + use<> {
        let hash = hash128(key);
        let (h1, h2) = ((hash >> 64) as u64, hash as u64 | 1);
        let bits = self.bits;
        (0..u64::from(self.hashes)).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % bits)
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
    bloom: Bloom,
    exact: HashSet<String>,
}

impl SeenSet {
    /// An empty set whose filter has `bits` bits and `hashes` hashes.
    pub fn new(bits: usize, hashes: u32) -> Self {
        SeenSet {
            bloom: Bloom::new(bits, hashes),
            exact: HashSet::new(),
        }
    }

    /// Adds `url` and says whether it was new, and at what cost. The exact
    /// set is consulted only when the filter answers "maybe".
    pub fn insert(&mut self, url: &str) -> Seen {
        if !self.bloom.contains(url.as_bytes()) {
            self.bloom.insert(url.as_bytes());
            self.exact.insert(url.to_owned());
            return Seen::BloomNew;
        }
        if self.exact.insert(url.to_owned()) {
            Seen::FalsePositive
        } else {
            Seen::Duplicate
        }
    }

    /// How many URLs it holds.
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }
}
