//! Stage 2: expiry on an injected clock. An entry put at `t` with ttl `d`
//! lives in `[t, t + d)`: one nanosecond before `t + d` it is there, at
//! `t + d` it is gone, and an expired entry is never returned. Jitter spreads
//! the expiry of keys put together.

use std::collections::HashMap;
use std::time::Duration;

use caching::TtlCache;
use kit::clock::ManualClock;
use kit::rng::Rng;
use proptest::prelude::*;

const NS: Duration = Duration::from_nanos(1);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn an_entry_lives_until_just_before_put_time_plus_ttl() {
    let clock = ManualClock::new(0);
    clock.advance(secs(5)); // entries are timed from their put, not from zero
    let mut cache = TtlCache::new(10, secs(60), clock.clone());
    cache.put("k", 1);
    clock.advance(secs(60) - NS);
    assert_eq!(
        cache.get(&"k"),
        Some(&1),
        "one nanosecond before put time + ttl the entry is still alive"
    );
    clock.advance(NS);
    assert_eq!(
        cache.get(&"k"),
        None,
        "at exactly put time + ttl the entry has expired (the boundary is exclusive); \
         an expired entry must never be returned"
    );
    clock.advance(secs(3_600));
    assert_eq!(cache.get(&"k"), None);
}

#[test]
fn a_ttl_of_zero_expires_at_once() {
    let clock = ManualClock::new(0);
    let mut cache = TtlCache::new(10, Duration::ZERO, clock.clone());
    cache.put(1, "x");
    assert_eq!(
        cache.get(&1),
        None,
        "ttl 0: the entry expires the instant it is put"
    );
}

#[test]
fn putting_again_restarts_the_ttl() {
    let clock = ManualClock::new(0);
    let mut cache = TtlCache::new(10, secs(10), clock.clone());
    cache.put("k", 1);
    clock.advance(secs(8));
    cache.put("k", 2);
    clock.advance(secs(8));
    assert_eq!(
        cache.get(&"k"),
        Some(&2),
        "the second put lives 10 s from its own time, not from the first put"
    );
    clock.advance(secs(2));
    assert_eq!(cache.get(&"k"), None);
}

#[test]
fn reading_does_not_extend_the_ttl() {
    let clock = ManualClock::new(0);
    let mut cache = TtlCache::new(10, secs(10), clock.clone());
    cache.put("k", 1);
    for _ in 0..9 {
        clock.advance(secs(1));
        assert_eq!(cache.get(&"k"), Some(&1));
    }
    clock.advance(secs(1));
    assert_eq!(
        cache.get(&"k"),
        None,
        "a TTL bounds how stale a value can be; reads must not keep it alive"
    );
}

#[test]
fn expiry_is_on_the_monotonic_clock() {
    let clock = ManualClock::new(1_000_000);
    let mut cache = TtlCache::new(10, secs(10), clock.clone());
    cache.put("k", 1);
    clock.set_unix_millis(1_000_000 + 3_600_000);
    assert_eq!(
        cache.get(&"k"),
        Some(&1),
        "the wall clock jumped an hour ahead (an NTP correction); expiry must use the \
         monotonic clock, which did not move"
    );
    clock.set_unix_millis(0);
    clock.advance(secs(10));
    assert_eq!(
        cache.get(&"k"),
        None,
        "10 s of monotonic time passed, whatever the wall clock says"
    );
}

#[test]
fn expired_entries_stay_in_memory_until_found_or_swept() {
    let clock = ManualClock::new(0);
    let mut cache = TtlCache::new(10, secs(10), clock.clone());
    for k in 0..3 {
        cache.put(k, k);
    }
    clock.advance(secs(5));
    cache.put(3, 3);
    clock.advance(secs(5));
    assert_eq!(
        cache.len(),
        4,
        "expiry is lazy: three entries have expired but nothing has removed them yet"
    );
    assert_eq!(cache.get(&0), None);
    assert_eq!(cache.len(), 3, "get removes the expired entry it finds");
    assert_eq!(
        cache.remove(&1),
        None,
        "remove never returns an expired value"
    );
    assert_eq!(cache.len(), 2, "...but does remove it");
    assert_eq!(
        cache.purge_expired(),
        1,
        "key 2 is the only expired entry left"
    );
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.get(&3), Some(&3), "the sweep keeps live entries");
    assert!(!cache.is_empty(), "one live entry: not empty");
    assert_eq!(cache.purge_expired(), 0);
    assert_eq!(cache.remove(&3), Some(3));
    assert!(cache.is_empty());
}

#[test]
fn a_full_cache_evicts_the_least_recently_used() {
    let clock = ManualClock::new(0);
    let mut cache = TtlCache::new(2, secs(10), clock.clone());
    cache.put("a", 1);
    cache.put("b", 2);
    assert_eq!(cache.get(&"a"), Some(&1));
    cache.put("c", 3);
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.get(&"b"), None, "`b` was the least recently used");
    assert_eq!(cache.get(&"a"), Some(&1));
    assert_eq!(cache.get(&"c"), Some(&3));
}

#[test]
fn eviction_is_by_use_not_by_expiry() {
    let clock = ManualClock::new(0);
    let mut cache = TtlCache::new(2, secs(10), clock.clone());
    cache.put("x", 1); // expires at 10 s
    clock.advance(secs(1));
    cache.put("y", 2); // expires at 11 s
    assert_eq!(cache.get(&"x"), Some(&1)); // x is now the most recent
    clock.advance(secs(9)); // t = 10 s: x has expired, y has not
    cache.put("z", 3);
    assert_eq!(
        cache.get(&"y"),
        None,
        "when full, put evicts the least recently used entry (y), even though x has \
         expired: expiry is lazy, and finding expired entries would take a scan"
    );
    assert_eq!(cache.get(&"x"), None, "x has expired all the same");
    assert_eq!(cache.get(&"z"), Some(&3));
}

#[test]
fn without_jitter_keys_put_together_expire_together() {
    let clock = ManualClock::new(0);
    let mut cache = TtlCache::new(1_000, secs(60), clock.clone());
    for k in 0..1_000 {
        cache.put(k, k);
    }
    clock.advance(secs(60) - NS);
    assert!((0..1_000).all(|k| cache.get(&k).is_some()));
    clock.advance(NS);
    assert!(
        (0..1_000).all(|k| cache.get(&k).is_none()),
        "1000 keys filled at once all expire in the same nanosecond: the next 1000 reads all \
         miss together (this is what jitter is for)"
    );
}

/// How many of 1000 keys, put at once with ttl 60 s and jitter 10 s, expire
/// in each second from 50 s to 60 s.
fn expiries_per_second(seed: u64) -> Vec<usize> {
    let clock = ManualClock::new(0);
    let mut cache = TtlCache::with_jitter(1_000, secs(60), secs(10), clock.clone(), Rng::new(seed));
    for k in 0..1_000 {
        cache.put(k, k);
    }
    clock.advance(secs(50) - NS);
    let alive = (0..1_000).filter(|k| cache.get(k).is_some()).count();
    assert_eq!(
        alive, 1_000,
        "seed {seed}: with ttl 60 s and jitter 10 s no entry may expire before 50 s"
    );
    clock.advance(NS);
    let mut live: Vec<u32> = (0..1_000).collect();
    let mut per_second = Vec::new();
    for _ in 0..10 {
        clock.advance(secs(1));
        let before = live.len();
        live.retain(|k| cache.get(k).is_some());
        per_second.push(before - live.len());
    }
    assert!(
        live.is_empty(),
        "seed {seed}: {} entries outlived the ttl of 60 s; jitter may only shorten a ttl \
         (draw it from [ttl - jitter, ttl]), never lengthen it",
        live.len()
    );
    per_second
}

#[test]
fn jitter_spreads_expiry_over_the_jitter_window() {
    for seed in 1..=5 {
        let per_second = expiries_per_second(seed);
        for (i, n) in per_second.iter().enumerate() {
            assert!(
                (50..=150).contains(n),
                "seed {seed}: {n} of 1000 entries expired between {}s and {}s, expected about \
                 100 in each of the 10 seconds of jitter (drawn uniformly): {per_second:?}",
                50 + i,
                51 + i
            );
        }
    }
}

#[test]
#[should_panic(expected = "jitter must not exceed the ttl")]
fn jitter_larger_than_the_ttl_is_a_bug() {
    let _ =
        TtlCache::<u32, u32, _>::with_jitter(1, secs(1), secs(2), ManualClock::new(0), Rng::new(1));
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8),
    Get(u8),
    Remove(u8),
    Purge,
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6).prop_map(Op::Put),
        3 => (0u8..6).prop_map(Op::Get),
        1 => (0u8..6).prop_map(Op::Remove),
        1 => Just(Op::Purge),
        3 => (0u64..8).prop_map(Op::Advance),
    ]
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(103),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    /// Against a model with no capacity pressure: a value is returned exactly
    /// while `now < put time + ttl`, and `len` counts what nothing has
    /// removed yet.
    #[test]
    fn matches_a_model_of_expiry(ops in proptest::collection::vec(op(), 0..80)) {
        let ttl = Duration::from_millis(5);
        let clock = ManualClock::new(0);
        let mut cache = TtlCache::new(100, ttl, clock.clone());
        // key -> (value, expires at)
        let mut model: HashMap<u8, (u32, Duration)> = HashMap::new();
        for (step, op) in ops.iter().enumerate() {
            let now = Duration::from_millis(clock_ms(&clock));
            match *op {
                Op::Put(k) => {
                    let v = step as u32;
                    cache.put(k, v);
                    model.insert(k, (v, now + ttl));
                }
                Op::Get(k) => {
                    let want = match model.get(&k) {
                        Some(&(v, expires)) if now < expires => Some(v),
                        Some(_) => { model.remove(&k); None }
                        None => None,
                    };
                    prop_assert_eq!(cache.get(&k).copied(), want, "step {}: {:?} at {:?}", step, op, now);
                }
                Op::Remove(k) => {
                    let want = model.remove(&k).and_then(|(v, e)| (now < e).then_some(v));
                    prop_assert_eq!(cache.remove(&k), want, "step {}: {:?} at {:?}", step, op, now);
                }
                Op::Purge => {
                    let before = model.len();
                    model.retain(|_, (_, e)| now < *e);
                    prop_assert_eq!(cache.purge_expired(), before - model.len(), "step {}: purge at {:?}", step, now);
                }
                Op::Advance(ms) => clock.advance_millis(ms),
            }
            prop_assert_eq!(cache.len(), model.len(), "step {}: len after {:?}", step, op);
        }
    }
}

fn clock_ms(clock: &ManualClock) -> u64 {
    use kit::clock::Clock;
    clock.monotonic().as_millis() as u64
}
