//! Stage 8: loom tries every interleaving of a small stampede (up to a
//! preemption bound) and fails on a second load, a caller that gets no
//! value, a lost wake-up or a deadlock. Run it with
//!
//!     cargo test -p caching --features loom --test 8_loom
//!
//! Each model is tiny on purpose: 2-3 callers, one or two keys. The bug this
//! finds is the one a stress test almost never hits: a caller that arrives
//! after the leader retired the in-flight load but before it cached the
//! value (fill and retire in two critical sections) sees neither and loads
//! again; a waiter that checks for the result, unlocks, and only then starts
//! to wait, sleeps through the wake-up forever ("deadlock").

use caching::sync::{Arc, AtomicUsize, Ordering, thread};
use caching::{Database, ReadThrough};
use loom::model::Builder;

/// Counts loads; the value of key k is k * 10.
#[derive(Default)]
struct Db {
    loads: AtomicUsize,
}

impl Database<u32, u32> for Db {
    fn load(&self, key: &u32) -> Option<u32> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        Some(key * 10)
    }
    fn store(&self, _: &u32, _: &u32) {
        unreachable!("a read-through cache never stores")
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

#[test]
fn two_callers_one_load_both_get_the_value() {
    model(|| {
        let db = Arc::new(Db::default());
        let cache = Arc::new(ReadThrough::new(4, Arc::clone(&db)));
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || cache.get(&1))
        };
        let mine = cache.get(&1);
        let theirs = other.join().unwrap();
        assert_eq!(mine, Some(10));
        assert_eq!(theirs, Some(10));
        let loads = db.loads.load(Ordering::SeqCst);
        assert_eq!(
            loads, 1,
            "two concurrent gets of one key made {loads} loads in some interleaving: a caller \
             that misses while a load is in flight must wait for it, and the leader must cache \
             the value and retire the flight in one critical section"
        );
        assert_eq!(cache.waiters(), 0);
    });
}

#[test]
fn three_callers_one_load() {
    model(|| {
        let db = Arc::new(Db::default());
        let cache = Arc::new(ReadThrough::new(4, Arc::clone(&db)));
        let others: Vec<_> = (0..2)
            .map(|_| {
                let cache = Arc::clone(&cache);
                thread::spawn(move || cache.get(&2))
            })
            .collect();
        assert_eq!(cache.get(&2), Some(20));
        for t in others {
            assert_eq!(t.join().unwrap(), Some(20), "every caller gets the value");
        }
        assert_eq!(db.loads.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn two_keys_load_independently() {
    model(|| {
        let db = Arc::new(Db::default());
        let cache = Arc::new(ReadThrough::new(4, Arc::clone(&db)));
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || cache.get(&3))
        };
        assert_eq!(cache.get(&4), Some(40));
        assert_eq!(other.join().unwrap(), Some(30));
        assert_eq!(
            db.loads.load(Ordering::SeqCst),
            2,
            "one load per key, never one key's result for the other"
        );
        assert_eq!(cache.get(&3), Some(30));
        assert_eq!(cache.get(&4), Some(40));
        assert_eq!(db.loads.load(Ordering::SeqCst), 2, "both are cached");
    });
}
