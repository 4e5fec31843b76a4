//! Stage 1: an LRU cache. Bounded, evicts the least recently used entry,
//! `get` uses an entry and `peek` does not, and every operation is O(1):
//! counted in hash and equality calls, not timed.

use std::cell::Cell;
use std::hash::{Hash, Hasher};

use caching::LruCache;
use proptest::prelude::*;

use crate::common::{ModelLru, allocations, live_bytes};

fn keys<K: Clone, V>(cache: &LruCache<K, V>) -> Vec<K> {
    cache.iter().map(|(k, _)| k.clone()).collect()
}

#[test]
fn an_empty_cache_has_nothing() {
    let mut cache: LruCache<u32, u32> = LruCache::new(3);
    assert_eq!(cache.capacity(), 3);
    assert_eq!(cache.len(), 0);
    assert!(cache.is_empty());
    assert_eq!(cache.get(&1), None);
    assert_eq!(cache.peek(&1), None);
    assert_eq!(cache.remove(&1), None);
    assert_eq!(cache.iter().count(), 0);
}

#[test]
fn a_cache_of_capacity_zero_holds_nothing() {
    let mut cache = LruCache::new(0);
    assert_eq!(
        cache.put("a", 1),
        Some(("a", 1)),
        "capacity 0: put hands its own entry straight back as evicted"
    );
    assert_eq!(cache.len(), 0);
    assert!(cache.is_empty());
    assert_eq!(cache.get(&"a"), None);
    assert_eq!(cache.capacity(), 0);
}

#[test]
fn a_full_cache_evicts_the_least_recently_put() {
    let mut cache = LruCache::new(2);
    assert_eq!(cache.put("a", 1), None);
    assert_eq!(cache.put("b", 2), None);
    assert_eq!(cache.len(), 2);
    assert_eq!(
        cache.put("c", 3),
        Some(("a", 1)),
        "the cache is full: put must evict and return the least recently used entry"
    );
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.peek(&"a"), None);
    assert_eq!(cache.peek(&"b"), Some(&2));
    assert_eq!(cache.peek(&"c"), Some(&3));
}

#[test]
fn get_makes_an_entry_the_most_recent() {
    let mut cache = LruCache::new(2);
    cache.put("a", 1);
    cache.put("b", 2);
    assert_eq!(cache.get(&"a"), Some(&1));
    assert_eq!(
        cache.put("c", 3),
        Some(("b", 2)),
        "`a` was just read, so `b` is the least recently used; an eviction in insertion \
         order (FIFO) would drop the entry that is being read"
    );
    assert_eq!(keys(&cache), vec!["c", "a"]);
}

#[test]
fn peek_reads_without_using() {
    let mut cache = LruCache::new(2);
    cache.put("a", 1);
    cache.put("b", 2);
    assert_eq!(cache.peek(&"a"), Some(&1));
    assert_eq!(
        cache.put("c", 3),
        Some(("a", 1)),
        "peek must not change the order of use: `a` is still the least recent"
    );
}

#[test]
fn putting_a_present_key_replaces_its_value_and_evicts_nothing() {
    let mut cache = LruCache::new(2);
    cache.put("a", 1);
    cache.put("b", 2);
    assert_eq!(
        cache.put("a", 10),
        None,
        "replacing a value makes no room and needs none: nothing is evicted"
    );
    assert_eq!(
        cache.len(),
        2,
        "a key is held once, however often it is put"
    );
    assert_eq!(cache.peek(&"a"), Some(&10));
    assert_eq!(
        cache.put("c", 3),
        Some(("b", 2)),
        "a put is a use: `a` became the most recent"
    );
}

#[test]
fn remove_returns_the_value_and_frees_its_room() {
    let mut cache = LruCache::new(2);
    cache.put("a", 1);
    cache.put("b", 2);
    assert_eq!(cache.remove(&"a"), Some(1));
    assert_eq!(cache.remove(&"a"), None, "already removed");
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.get(&"a"), None);
    assert_eq!(
        cache.put("c", 3),
        None,
        "removing made room: nothing must be evicted"
    );
    assert_eq!(keys(&cache), vec!["c", "b"]);
}

#[test]
fn removing_from_the_middle_keeps_the_order_of_the_rest() {
    let mut cache = LruCache::new(5);
    for (i, k) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        cache.put(k, i);
    }
    assert_eq!(cache.remove(&"c"), Some(2));
    assert_eq!(cache.remove(&"e"), Some(4), "the most recent");
    assert_eq!(cache.remove(&"a"), Some(0), "the least recent");
    assert_eq!(keys(&cache), vec!["d", "b"]);
    cache.put("f", 5);
    cache.get(&"b");
    assert_eq!(keys(&cache), vec!["b", "f", "d"]);
    assert_eq!(
        cache.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        vec![1, 5, 3],
        "each key keeps its own value"
    );
}

#[test]
fn a_cache_of_one() {
    let mut cache = LruCache::new(1);
    assert_eq!(cache.put(1, "x"), None);
    assert_eq!(cache.get(&1), Some(&"x"));
    assert_eq!(cache.put(2, "y"), Some((1, "x")));
    assert_eq!(cache.put(2, "z"), None);
    assert_eq!(cache.remove(&2), Some("z"));
    assert!(cache.is_empty());
    assert_eq!(cache.put(3, "w"), None);
}

#[test]
fn iter_lists_the_entries_most_recent_first() {
    let mut cache = LruCache::new(4);
    for k in 1..=4 {
        cache.put(k, k * 10);
    }
    cache.get(&2);
    cache.peek(&3);
    let entries: Vec<(u32, u32)> = cache.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(entries, vec![(2, 20), (4, 40), (3, 30), (1, 10)]);
    let mut iter = cache.iter();
    assert_eq!(iter.len(), 4, "iter knows how many entries remain");
    iter.next();
    assert_eq!(iter.len(), 3, "and counts down as it yields them");
    assert!(!cache.is_empty(), "a cache holding entries is not empty");
}

#[derive(Debug, Clone)]
enum Op {
    Get(u8),
    Peek(u8),
    Put(u8, u16),
    Remove(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..8).prop_map(Op::Get),
        (0u8..8).prop_map(Op::Peek),
        (0u8..8, any::<u16>()).prop_map(|(k, v)| Op::Put(k, v)),
        (0u8..8).prop_map(Op::Remove),
    ]
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(102),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    /// Every answer and the whole order of use match the obvious O(n) model,
    /// after every operation.
    #[test]
    fn behaves_exactly_like_a_simple_model(
        capacity in 0usize..6,
        ops in proptest::collection::vec(op(), 0..120),
    ) {
        let mut cache = LruCache::new(capacity);
        let mut model = ModelLru::new(capacity);
        for (step, op) in ops.iter().enumerate() {
            match *op {
                Op::Get(k) => prop_assert_eq!(cache.get(&k).copied(), model.get(&k), "step {}: {:?}", step, op),
                Op::Peek(k) => prop_assert_eq!(cache.peek(&k).copied(), model.peek(&k), "step {}: {:?}", step, op),
                Op::Put(k, v) => prop_assert_eq!(cache.put(k, v), model.put(k, v), "step {}: {:?}", step, op),
                Op::Remove(k) => prop_assert_eq!(cache.remove(&k), model.remove(&k), "step {}: {:?}", step, op),
            }
            prop_assert_eq!(cache.len(), model.entries.len(), "step {}: len after {:?}", step, op);
            prop_assert_eq!(
                keys(&cache), model.keys(),
                "step {}: the order of use after {:?} (most recent first)", step, op
            );
        }
    }
}

// ---- O(1), counted: a key type that counts how often the cache hashes and compares it ----

thread_local! {
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn calls() -> u64 {
    CALLS.with(Cell::get)
}

/// A key that counts every `Hash::hash` and `PartialEq::eq` called on it
/// (per thread, so tests running side by side do not mix their counts).
#[derive(Debug, Clone)]
struct Counted(u32);

impl Hash for Counted {
    fn hash<H: Hasher>(&self, state: &mut H) {
        CALLS.with(|c| c.set(c.get() + 1));
        self.0.hash(state);
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        CALLS.with(|c| c.set(c.get() + 1));
        self.0 == other.0
    }
}

impl Eq for Counted {}

/// Average hash + eq calls per operation on a full cache of `size` entries,
/// over a mix of every operation: hits, misses, replacements, removals,
/// evictions.
fn calls_per_operation(size: u32) -> f64 {
    let mut cache = LruCache::new(size as usize);
    for i in 0..size {
        cache.put(Counted(i), i);
    }
    // Spread the keys touched over the whole list, not just its ends.
    let key = |j: u32| Counted(j.wrapping_mul(7_919) % size);
    let before = calls();
    let mut ops = 0u32;
    for j in 0..2_000 {
        assert!(cache.get(&key(j)).is_some());
        assert!(cache.peek(&key(j + 1)).is_some());
        assert!(cache.peek(&Counted(size + j)).is_none());
        cache.put(key(j + 2), j);
        assert!(cache.remove(&key(j + 3)).is_some());
        cache.put(key(j + 3), j);
        ops += 6;
    }
    for j in 0..2_000 {
        assert!(
            cache.put(Counted(size + j), j).is_some(),
            "a full cache evicts"
        );
        ops += 1;
    }
    (calls() - before) as f64 / f64::from(ops)
}

#[test]
fn every_operation_is_constant_time_whatever_the_size() {
    for size in [10, 10_000] {
        let per_op = calls_per_operation(size);
        assert!(
            per_op <= 16.0,
            "with {size} entries, an operation made {per_op:.1} Hash/Eq calls on its key on \
             average (at most 16 allowed): the cache is searching for the key or for its place \
             in the order of use. Find the entry through the HashMap and move it in the list by \
             index, in O(1)."
        );
    }
}

// ---- Bounded memory, counted: allocations and live bytes of this thread ----

/// Drives a full cache through `rounds` rounds of every operation: gets and
/// peeks (hits and misses), puts that evict, removals and puts into the room
/// just freed.
fn churn(cache: &mut LruCache<u64, u64>, first: u64, rounds: u64) {
    for j in first..first + rounds {
        cache.get(&(j * 7_919 % 1_000)); // a hit or a miss: either way no room is needed
        cache.peek(&(j * 31 % 1_000));
        cache.put(1_000_000 + j, j); // a new key: evicts
        cache.remove(&(1_000_000 + j));
        cache.put(1_000_000 + j, j); // back into the room just freed
    }
}

#[test]
fn a_full_cache_reuses_its_room_instead_of_allocating() {
    let mut cache = LruCache::new(1_000);
    for k in 0..1_000 {
        cache.put(k, k);
    }
    churn(&mut cache, 0, 1_000); // let the HashMap settle on its size
    let before = allocations();
    churn(&mut cache, 1_000, 10_000);
    let made = allocations() - before;
    assert!(
        made <= 50,
        "50,000 operations on a full cache of 1,000 entries allocated {made} times (at most 50 \
         allowed, for the HashMap's occasional rehash): a full cache must reuse the evicted \
         entry's room. A tree ordered by a use counter (O(log n), and it allocates and frees \
         nodes as it goes) or a node allocated per put fails this."
    );
}

#[test]
fn memory_stays_bounded_by_the_capacity() {
    let start = live_bytes();
    let mut cache = LruCache::new(100);
    for k in 0..100 {
        cache.put(k, k);
    }
    for j in 0..1_000 {
        cache.remove(&(j % 100));
        cache.put(j % 100, j);
    }
    let settled = live_bytes() - start;
    for j in 0..100_000 {
        cache.remove(&(j % 100));
        cache.put(j % 100, j);
    }
    let after = live_bytes() - start;
    assert!(
        after <= 2 * settled,
        "a cache of 100 entries held {settled} bytes, and {after} bytes after 100,000 more \
         removes and puts: its memory must stay proportional to its capacity. A slab that never \
         reuses the slots that `remove` frees grows without bound."
    );
    drop(cache);
}
