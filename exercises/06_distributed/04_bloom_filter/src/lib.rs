//! Bloom filters: "have we seen this before?" in a few bits per item.
//!
//! A Bloom filter is an array of `m` bits and `k` hash functions. Inserting an
//! item sets its `k` bits; a lookup answers "maybe present" when all `k` are
//! set and "definitely absent" otherwise. It never forgets an item (no false
//! negatives) and is wrong about absent items with a probability `p` that the
//! sizing below controls.
//!
//! Sizing for `n` expected items and a target false-positive rate `p`:
//! - `m = ⌈−n · ln p / (ln 2)²⌉` bits ([`optimal_bits`]),
//! - `k = round((m / n) · ln 2)`, at least 1 ([`optimal_hashes`]).
//!
//! Indices: one 128-bit [`kit::hash::hash128`] of the item gives `h1` (low 64
//! bits) and `h2` (high 64 bits); index `i` (for `i` in `0..k`) is
//! `g_i = h1 + i·h2` (wrapping at 2⁶⁴) mapped onto `0..m` by Lemire's
//! multiply-shift `(g_i · m) >> 64`. This is Kirsch–Mitzenmacher double
//! hashing: two independent hashes give `k` indices as good as `k` independent
//! hashes for a Bloom filter's error rate, at the cost of one hash.
//!
//! Bit `b` lives in word `b / 64` at bit position `b % 64`.
//!
//! [`AtomicBloomFilter`] takes its atomics from [`sync`] only (never
//! `std::sync` directly), so that loom can model-check concurrent inserts
//! (`cargo test -p bloom_filter --features loom --test 5_loom`).

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports)]

use std::fmt;

pub mod sync;
use sync::AtomicU64;

/// Bits needed for `expected_items` at false-positive rate `fp_rate`:
/// `⌈−n · ln p / (ln 2)²⌉`.
///
/// # Panics
/// If `expected_items` is 0 or `fp_rate` is not strictly between 0 and 1.
pub fn optimal_bits(expected_items: u64, fp_rate: f64) -> u64 {
    todo!("⌈−n · ln p / (ln 2)²⌉, after checking the arguments")
}

/// Hash functions that minimise the false-positive rate for `bits` bits and
/// `expected_items` items: `round((m / n) · ln 2)`, and at least 1.
///
/// # Panics
/// If `expected_items` is 0.
pub fn optimal_hashes(bits: u64, expected_items: u64) -> u32 {
    todo!("round((m / n) · ln 2), and at least 1")
}

/// Two filters cannot be combined: their sizes or hash counts differ, so the
/// same item sets different bits in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncompatibleFilters {
    /// `(bits, hashes)` of the filter being merged into.
    pub ours: (u64, u32),
    /// `(bits, hashes)` of the other filter.
    pub theirs: (u64, u32),
}

impl fmt::Display for IncompatibleFilters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("say which (m, k) pairs differ")
    }
}

impl std::error::Error for IncompatibleFilters {}

/// A Bloom filter owned by one thread (or shared read-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomFilter {
    // TODO: the packed bit array (u64 words), m and k.
}

impl BloomFilter {
    /// A filter sized for `expected_items` at false-positive rate `fp_rate`,
    /// with [`optimal_bits`] bits and [`optimal_hashes`] hash functions.
    ///
    /// # Panics
    /// If `expected_items` is 0 or `fp_rate` is not strictly between 0 and 1.
    pub fn new(expected_items: u64, fp_rate: f64) -> Self {
        todo!("size with optimal_bits and optimal_hashes")
    }

    /// A filter of exactly `bits` bits and `hashes` hash functions.
    ///
    /// # Panics
    /// If either is 0.
    pub fn with_bits_and_hashes(bits: u64, hashes: u32) -> Self {
        todo!("⌈bits / 64⌉ zeroed u64 words")
    }

    /// `m`, the number of bits.
    pub fn bits(&self) -> u64 {
        todo!()
    }

    /// `k`, the number of bit indices per item.
    pub fn hashes(&self) -> u32 {
        todo!()
    }

    /// The bit array, packed 64 bits to a word: `⌈m / 64⌉` words.
    pub fn words(&self) -> &[u64] {
        todo!()
    }

    /// Adds `item`. Returns `true` if all its bits were already set, that is
    /// if the filter already said "maybe present" (a repeat, or a false
    /// positive).
    pub fn insert(&mut self, item: impl AsRef<[u8]>) -> bool {
        todo!("one hash128 → (h1, h2); set bit (h1 + i·h2)·m >> 64 for i in 0..k")
    }

    /// `false`: `item` was certainly never inserted. `true`: it probably was.
    pub fn contains(&self, item: impl AsRef<[u8]>) -> bool {
        todo!("are all k bits set?")
    }

    /// Whether `other` has the same `m` and `k`, so the two can be united.
    pub fn is_compatible(&self, other: &BloomFilter) -> bool {
        todo!()
    }

    /// Adds every item of `other` to `self` (a bitwise OR): afterwards `self`
    /// is exactly the filter that saw both sets. Fails, changing nothing, if
    /// the filters are not compatible.
    pub fn union(&mut self, other: &BloomFilter) -> Result<(), IncompatibleFilters> {
        todo!("OR the words together, if m and k match")
    }
}

/// A Bloom filter many threads insert into at once through a shared
/// reference: concurrent inserts never lose a bit. No lock is needed: each
/// bit is set with an atomic `fetch_or`, whose old value also tells `insert`
/// whether that bit was already set.
#[derive(Debug)]
pub struct AtomicBloomFilter {
    // TODO: the bit array as atomic words, m and k.
    // words: Box<[AtomicU64]>, ... (the import is there for you)
}

impl AtomicBloomFilter {
    /// A shared filter sized like [`BloomFilter::new`].
    ///
    /// # Panics
    /// If `expected_items` is 0 or `fp_rate` is not strictly between 0 and 1.
    pub fn new(expected_items: u64, fp_rate: f64) -> Self {
        todo!("size with optimal_bits and optimal_hashes")
    }

    /// A shared filter of exactly `bits` bits and `hashes` hash functions.
    ///
    /// # Panics
    /// If either is 0.
    pub fn with_bits_and_hashes(bits: u64, hashes: u32) -> Self {
        todo!("⌈bits / 64⌉ zeroed AtomicU64 words")
    }

    /// `m`, the number of bits.
    pub fn bits(&self) -> u64 {
        todo!()
    }

    /// `k`, the number of bit indices per item.
    pub fn hashes(&self) -> u32 {
        todo!()
    }

    /// Adds `item` through a shared reference. Returns `true` if all its bits
    /// were already set when this call set them.
    pub fn insert(&self, item: impl AsRef<[u8]>) -> bool {
        todo!("set each bit with an atomic fetch_or (never load, then store)")
    }

    /// `false`: `item` was certainly never inserted (by an insert that
    /// finished before this call). `true`: it probably was.
    pub fn contains(&self, item: impl AsRef<[u8]>) -> bool {
        todo!("are all k bits set?")
    }

    /// A plain [`BloomFilter`] with the bits set so far.
    pub fn to_filter(&self) -> BloomFilter {
        todo!("copy the words into a BloomFilter")
    }
}
