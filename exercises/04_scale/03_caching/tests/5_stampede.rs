//! Stage 5 (the wrong design): a stampede. 100 threads miss on one key at
//! the same moment. Without single-flight, each of them loads it: 100
//! database loads for one value, which is how a popular key expiring takes a
//! database down. With single-flight, exactly one loads and 99 wait.
//!
//! Deterministic, without sleeps: the database's loads block until the test
//! opens a gate, and the test opens it only once every thread is either
//! loading or waiting (`ReadThrough::waiters`), so every thread really did
//! miss while the load was in flight. Every test runs under a watchdog.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use caching::{Database, ReadThrough};

use crate::common::watchdog;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A database whose loads of the keys in `gated` block until the gate opens.
/// Value of key k: k * 10, for k < 1000; larger keys are absent.
#[derive(Default)]
struct GatedDb {
    gated: HashSet<u64>,
    open: Mutex<bool>,
    opened: Condvar,
    /// Loads started, per key.
    started: Mutex<HashMap<u64, usize>>,
    total: AtomicUsize,
    /// The first this-many loads panic (after the gate opens).
    panics: AtomicUsize,
}

impl GatedDb {
    fn gating(keys: impl IntoIterator<Item = u64>) -> Self {
        Self {
            gated: keys.into_iter().collect(),
            ..Self::default()
        }
    }

    fn open_gate(&self) {
        *lock(&self.open) = true;
        self.opened.notify_all();
    }

    fn loads(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    fn loads_of(&self, key: u64) -> usize {
        lock(&self.started).get(&key).copied().unwrap_or(0)
    }
}

impl Database<u64, u64> for GatedDb {
    fn load(&self, key: &u64) -> Option<u64> {
        *lock(&self.started).entry(*key).or_default() += 1;
        self.total.fetch_add(1, Ordering::SeqCst);
        if self.gated.contains(key) {
            let mut open = lock(&self.open);
            while !*open {
                open = self
                    .opened
                    .wait(open)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        let panic_now = self
            .panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if panic_now {
            panic!("the database fell over (a load that panics, on purpose)");
        }
        (*key < 1_000).then_some(key * 10)
    }

    fn store(&self, _: &u64, _: &u64) {
        unreachable!("a read-through cache never stores")
    }
}

/// Opens the gate when dropped, so that a failing test never leaves its
/// threads blocked in the database.
struct OpenOnDrop(Arc<GatedDb>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open_gate();
    }
}

type Cache = ReadThrough<u64, u64, Arc<GatedDb>>;

/// Spins (yielding) until `ready()`; fails after 5 s with `explain()`.
fn wait_until(ready: impl Fn() -> bool, explain: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ready() {
        assert!(Instant::now() < deadline, "{}", explain());
        thread::yield_now();
    }
}

/// `n` threads, released together, each calling `get(key_of(i))`. Returns
/// their handles.
fn stampede(
    cache: &Arc<Cache>,
    n: usize,
    key_of: impl Fn(usize) -> u64,
) -> Vec<thread::JoinHandle<Option<u64>>> {
    let barrier = Arc::new(Barrier::new(n));
    (0..n)
        .map(|i| {
            let (cache, barrier, key) = (Arc::clone(cache), Arc::clone(&barrier), key_of(i));
            thread::spawn(move || {
                barrier.wait();
                cache.get(&key)
            })
        })
        .collect()
}

#[test]
fn a_hundred_concurrent_misses_make_one_load() {
    watchdog(20, "100 concurrent misses on one key", || {
        let db = Arc::new(GatedDb::gating([7]));
        let _open = OpenOnDrop(Arc::clone(&db));
        let cache = Arc::new(ReadThrough::new(10, Arc::clone(&db)));
        let threads = stampede(&cache, 100, |_| 7);
        wait_until(
            || db.loads() + cache.waiters() == 100,
            || {
                format!(
                    "after 5 s, {} loads had started and {} callers were waiting, out of 100 \
                     callers; each caller that misses must either load or wait for the load \
                     in flight (and be counted by `waiters`). If a load holds the cache's lock, \
                     the others queue on the lock instead, and every other key waits too.",
                    db.loads(),
                    cache.waiters()
                )
            },
        );
        let loads_before_release = db.loads();
        db.open_gate();
        for t in threads {
            assert_eq!(
                t.join().expect("a caller panicked"),
                Some(70),
                "every caller gets the one loaded value"
            );
        }
        assert_eq!(
            loads_before_release, 1,
            "100 concurrent misses on one key made {loads_before_release} database loads: \
             without single-flight every miss loads, and a popular key expiring becomes a \
             stampede on the database. The first miss must load; the rest wait for it."
        );
        assert_eq!(db.loads(), 1);
        assert_eq!(cache.waiters(), 0, "nobody is left waiting");
        assert_eq!(cache.get(&7), Some(70));
        assert_eq!(db.loads(), 1, "the value loaded for the stampede is cached");
    });
}

#[test]
fn concurrent_misses_on_an_absent_key_share_the_one_none() {
    watchdog(20, "concurrent misses on an absent key", || {
        let db = Arc::new(GatedDb::gating([5_000]));
        let _open = OpenOnDrop(Arc::clone(&db));
        let cache = Arc::new(ReadThrough::new(10, Arc::clone(&db)));
        let threads = stampede(&cache, 20, |_| 5_000);
        wait_until(
            || db.loads() + cache.waiters() == 20,
            || format!("{} loading, {} waiting, of 20", db.loads(), cache.waiters()),
        );
        db.open_gate();
        for t in threads {
            assert_eq!(t.join().expect("a caller panicked"), None);
        }
        assert_eq!(
            db.loads(),
            1,
            "callers waiting for a load get its result, `None` too: they must not each load \
             again because nothing was cached"
        );
        assert_eq!(cache.get(&5_000), None);
        assert_eq!(db.loads(), 2, "an absent key is not cached");
    });
}

#[test]
fn capacity_zero_caches_nothing_but_still_collapses_a_stampede() {
    watchdog(20, "a stampede on a cache of capacity 0", || {
        let db = Arc::new(GatedDb::gating([8]));
        let _open = OpenOnDrop(Arc::clone(&db));
        let cache = Arc::new(ReadThrough::new(0, Arc::clone(&db)));
        let threads = stampede(&cache, 20, |_| 8);
        wait_until(
            || db.loads() + cache.waiters() == 20,
            || format!("{} loading, {} waiting, of 20", db.loads(), cache.waiters()),
        );
        db.open_gate();
        for t in threads {
            assert_eq!(t.join().expect("a caller panicked"), Some(80));
        }
        assert_eq!(
            db.loads(),
            1,
            "with nothing cached, concurrent misses must still share one load: the waiters \
             get the leader's result from the flight, not from the cache"
        );
        assert_eq!(cache.get(&8), Some(80));
        assert_eq!(db.loads(), 2, "capacity 0: the next get loads again");
    });
}

#[test]
fn misses_on_different_keys_load_in_parallel_once_each() {
    watchdog(20, "10 keys, 10 callers each", || {
        let db = Arc::new(GatedDb::gating(0..10));
        let _open = OpenOnDrop(Arc::clone(&db));
        let cache = Arc::new(ReadThrough::new(100, Arc::clone(&db)));
        let threads = stampede(&cache, 100, |i| (i % 10) as u64);
        wait_until(
            || db.loads() == 10 && cache.waiters() == 90,
            || {
                format!(
                    "after 5 s, {} loads in progress and {} callers waiting; expected one load \
                     per key (10) running at the same time, and 90 waiting: a load of one key \
                     must not wait for the load of another",
                    db.loads(),
                    cache.waiters()
                )
            },
        );
        db.open_gate();
        for (i, t) in threads.into_iter().enumerate() {
            assert_eq!(
                t.join().expect("a caller panicked"),
                Some((i % 10) as u64 * 10)
            );
        }
        for k in 0..10 {
            assert_eq!(
                db.loads_of(k),
                1,
                "key {k}: one load for its 10 concurrent misses"
            );
        }
    });
}

#[test]
fn a_slow_load_does_not_block_other_keys() {
    let db = Arc::new(GatedDb::gating([1]));
    let _open = OpenOnDrop(Arc::clone(&db));
    let cache = Arc::new(ReadThrough::new(10, Arc::clone(&db)));
    assert_eq!(
        cache.get(&2),
        Some(20),
        "key 2 is not gated and gets cached"
    );
    let slow = {
        let cache = Arc::clone(&cache);
        thread::spawn(move || cache.get(&1))
    };
    let (d, c) = (Arc::clone(&db), Arc::clone(&cache));
    watchdog(5, "a hit on key 2 while key 1 is loading", move || {
        wait_until(
            || d.loads_of(1) == 1,
            || "the load of key 1 never started".to_string(),
        );
        assert_eq!(c.get(&2), Some(20));
        assert_eq!(c.get(&3), Some(30), "a miss on another key loads alongside");
    });
    db.open_gate();
    assert_eq!(slow.join().expect("the slow caller panicked"), Some(10));
    assert_eq!(db.loads(), 3, "keys 2, 1 and 3 once each");
}

#[test]
fn a_load_that_panics_does_not_strand_its_waiters() {
    watchdog(20, "waiters of a load that panicked", || {
        let db = Arc::new(GatedDb::gating([4]));
        db.panics.store(1, Ordering::SeqCst);
        let _open = OpenOnDrop(Arc::clone(&db));
        let cache = Arc::new(ReadThrough::new(10, Arc::clone(&db)));
        let threads = stampede(&cache, 10, |_| 4);
        wait_until(
            || db.loads() + cache.waiters() == 10,
            || format!("{} loading, {} waiting, of 10", db.loads(), cache.waiters()),
        );
        db.open_gate();
        let results: Vec<_> = threads.into_iter().map(|t| t.join()).collect();
        let panicked = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(
            panicked, 1,
            "the load's panic goes to the caller that ran it, and to it alone"
        );
        for r in results.into_iter().flatten() {
            assert_eq!(
                r,
                Some(40),
                "the waiters retry after the failed load and get the value"
            );
        }
        assert_eq!(
            db.loads(),
            2,
            "the failed load, then exactly one retry for the 9 who were waiting"
        );
    });
}
