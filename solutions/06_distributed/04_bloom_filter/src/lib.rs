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

use std::fmt;

pub mod sync;
use sync::{AtomicU64, Ordering};

/// Bits needed for `expected_items` at false-positive rate `fp_rate`:
/// `⌈−n · ln p / (ln 2)²⌉`.
///
/// # Panics
/// If `expected_items` is 0 or `fp_rate` is not strictly between 0 and 1.
pub fn optimal_bits(expected_items: u64, fp_rate: f64) -> u64 {
    assert!(
        expected_items > 0,
        "a Bloom filter must expect at least one item"
    );
    assert!(
        fp_rate > 0.0 && fp_rate < 1.0,
        "the false-positive rate must be in (0, 1), got {fp_rate}"
    );
    let ln2 = std::f64::consts::LN_2;
    // f64 → u64 `as` saturates, and the value is positive and finite here.
    (-(expected_items as f64) * fp_rate.ln() / (ln2 * ln2)).ceil() as u64
}

/// Hash functions that minimise the false-positive rate for `bits` bits and
/// `expected_items` items: `round((m / n) · ln 2)`, and at least 1.
///
/// # Panics
/// If `expected_items` is 0.
pub fn optimal_hashes(bits: u64, expected_items: u64) -> u32 {
    assert!(
        expected_items > 0,
        "a Bloom filter must expect at least one item"
    );
    let k = (bits as f64 / expected_items as f64 * std::f64::consts::LN_2).round();
    // Clamp: k is at least 1, and far below u32::MAX for any sane sizing.
    k.clamp(1.0, f64::from(u32::MAX)) as u32
}

/// The two halves of the item's 128-bit hash: (h1, h2).
fn hash_pair(item: &[u8]) -> (u64, u64) {
    let h = kit::hash::hash128(item);
    (h as u64, (h >> 64) as u64)
}

/// The item's `hashes` bit indices in `0..bits`, by double hashing.
fn indexes(item: &[u8], bits: u64, hashes: u32) -> impl Iterator<Item = u64> {
    let (h1, h2) = hash_pair(item);
    (0..u64::from(hashes)).map(move |i| {
        let g = h1.wrapping_add(i.wrapping_mul(h2));
        // Lemire's reduction: uniform over 0..bits with a multiply, no division.
        ((u128::from(g) * u128::from(bits)) >> 64) as u64
    })
}

fn word_and_mask(bit: u64) -> (usize, u64) {
    // bit < m, and m/64 words were allocated, so the index fits in usize.
    ((bit / 64) as usize, 1u64 << (bit % 64))
}

fn word_count(bits: u64) -> usize {
    usize::try_from(bits.div_ceil(64)).expect("the bit array fits in memory")
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
        write!(
            f,
            "cannot union Bloom filters of (m, k) = {:?} and {:?}: both must match",
            self.ours, self.theirs
        )
    }
}

impl std::error::Error for IncompatibleFilters {}

/// A Bloom filter owned by one thread (or shared read-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomFilter {
    words: Vec<u64>,
    bits: u64,
    hashes: u32,
}

impl BloomFilter {
    /// A filter sized for `expected_items` at false-positive rate `fp_rate`,
    /// with [`optimal_bits`] bits and [`optimal_hashes`] hash functions.
    ///
    /// # Panics
    /// If `expected_items` is 0 or `fp_rate` is not strictly between 0 and 1.
    pub fn new(expected_items: u64, fp_rate: f64) -> Self {
        let bits = optimal_bits(expected_items, fp_rate);
        Self::with_bits_and_hashes(bits, optimal_hashes(bits, expected_items))
    }

    /// A filter of exactly `bits` bits and `hashes` hash functions.
    ///
    /// # Panics
    /// If either is 0.
    pub fn with_bits_and_hashes(bits: u64, hashes: u32) -> Self {
        assert!(
            bits > 0 && hashes > 0,
            "a Bloom filter needs bits > 0 and hashes > 0"
        );
        Self {
            words: vec![0; word_count(bits)],
            bits,
            hashes,
        }
    }

    /// `m`, the number of bits.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// `k`, the number of bit indices per item.
    pub fn hashes(&self) -> u32 {
        self.hashes
    }

    /// The bit array, packed 64 bits to a word: `⌈m / 64⌉` words.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Adds `item`. Returns `true` if all its bits were already set, that is
    /// if the filter already said "maybe present" (a repeat, or a false
    /// positive).
    pub fn insert(&mut self, item: impl AsRef<[u8]>) -> bool {
        let mut was_present = true;
        for bit in indexes(item.as_ref(), self.bits, self.hashes) {
            let (w, mask) = word_and_mask(bit);
            was_present &= self.words[w] & mask != 0;
            self.words[w] |= mask;
        }
        was_present
    }

    /// `false`: `item` was certainly never inserted. `true`: it probably was.
    pub fn contains(&self, item: impl AsRef<[u8]>) -> bool {
        indexes(item.as_ref(), self.bits, self.hashes).all(|bit| {
            let (w, mask) = word_and_mask(bit);
            self.words[w] & mask != 0
        })
    }

    /// Whether `other` has the same `m` and `k`, so the two can be united.
    pub fn is_compatible(&self, other: &BloomFilter) -> bool {
        self.bits == other.bits && self.hashes == other.hashes
    }

    /// Adds every item of `other` to `self` (a bitwise OR): afterwards `self`
    /// is exactly the filter that saw both sets. Fails, changing nothing, if
    /// the filters are not compatible.
    pub fn union(&mut self, other: &BloomFilter) -> Result<(), IncompatibleFilters> {
        if !self.is_compatible(other) {
            return Err(IncompatibleFilters {
                ours: (self.bits, self.hashes),
                theirs: (other.bits, other.hashes),
            });
        }
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
        Ok(())
    }
}

/// A Bloom filter many threads insert into at once through a shared
/// reference: concurrent inserts never lose a bit. No lock is needed: each
/// bit is set with an atomic `fetch_or`, whose old value also tells `insert`
/// whether that bit was already set.
#[derive(Debug)]
pub struct AtomicBloomFilter {
    words: Box<[AtomicU64]>,
    bits: u64,
    hashes: u32,
}

impl AtomicBloomFilter {
    /// A shared filter sized like [`BloomFilter::new`].
    ///
    /// # Panics
    /// If `expected_items` is 0 or `fp_rate` is not strictly between 0 and 1.
    pub fn new(expected_items: u64, fp_rate: f64) -> Self {
        let bits = optimal_bits(expected_items, fp_rate);
        Self::with_bits_and_hashes(bits, optimal_hashes(bits, expected_items))
    }

    /// A shared filter of exactly `bits` bits and `hashes` hash functions.
    ///
    /// # Panics
    /// If either is 0.
    pub fn with_bits_and_hashes(bits: u64, hashes: u32) -> Self {
        assert!(
            bits > 0 && hashes > 0,
            "a Bloom filter needs bits > 0 and hashes > 0"
        );
        Self {
            words: (0..word_count(bits)).map(|_| AtomicU64::new(0)).collect(),
            bits,
            hashes,
        }
    }

    /// `m`, the number of bits.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// `k`, the number of bit indices per item.
    pub fn hashes(&self) -> u32 {
        self.hashes
    }

    /// Adds `item` through a shared reference. Returns `true` if all its bits
    /// were already set when this call set them.
    pub fn insert(&self, item: impl AsRef<[u8]>) -> bool {
        let mut was_present = true;
        for bit in indexes(item.as_ref(), self.bits, self.hashes) {
            let (w, mask) = word_and_mask(bit);
            // Relaxed is enough: bits are only ever set, each fetch_or is
            // atomic on its own word, and no other memory is published
            // through the filter. A load-then-store here would lose bits.
            let before = self.words[w].fetch_or(mask, Ordering::Relaxed);
            was_present &= before & mask != 0;
        }
        was_present
    }

    /// `false`: `item` was certainly never inserted (by an insert that
    /// finished before this call). `true`: it probably was.
    pub fn contains(&self, item: impl AsRef<[u8]>) -> bool {
        indexes(item.as_ref(), self.bits, self.hashes).all(|bit| {
            let (w, mask) = word_and_mask(bit);
            self.words[w].load(Ordering::Relaxed) & mask != 0
        })
    }

    /// A plain [`BloomFilter`] with the bits set so far.
    pub fn to_filter(&self) -> BloomFilter {
        BloomFilter {
            words: self
                .words
                .iter()
                .map(|w| w.load(Ordering::Relaxed))
                .collect(),
            bits: self.bits,
            hashes: self.hashes,
        }
    }
}
