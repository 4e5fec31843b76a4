//! Stage 7 (counted efficiency): database calls per 1,000 operations on a
//! Zipf workload (1,000 keys, exponent 1: a few hot keys take most of the
//! traffic), over five seeds. An LRU is deterministic, so the budget is
//! exact: each strategy must make exactly the loads and stores that a model
//! LRU of the same capacity predicts — no extra load, no missed hit, no
//! store that could have been saved.

use std::sync::Arc;

use caching::{CacheAside, ReadThrough, WriteBack, WriteThrough};
use kit::rng::Rng;

use crate::common::{CountingDb, ModelLru, Zipf, watchdog};

const KEYS: u64 = 1_000;
const SEEDS: std::ops::RangeInclusive<u64> = 1..=5;

fn db() -> Arc<CountingDb> {
    Arc::new(CountingDb::with((0..KEYS).map(|k| (k, k))))
}

/// 2,000 keys drawn from the Zipf distribution: the first 1,000 warm the
/// cache, the next 1,000 are measured.
fn workload(seed: u64) -> Vec<u64> {
    let zipf = Zipf::new(KEYS as usize, 1.0);
    let mut rng = Rng::new(seed).stream("zipf");
    (0..2_000).map(|_| zipf.sample(&mut rng)).collect()
}

/// Misses of an exact LRU of `capacity` over the measured half of `keys`.
fn model_misses(capacity: usize, keys: &[u64]) -> usize {
    let mut lru = ModelLru::new(capacity);
    let mut misses = 0;
    for (i, &k) in keys.iter().enumerate() {
        if lru.get(&k).is_none() {
            lru.put(k, ());
            if i >= 1_000 {
                misses += 1;
            }
        }
    }
    misses
}

#[test]
fn read_through_loads_exactly_what_an_lru_misses() {
    watchdog(20, "2,000 read-through reads on each of 5 seeds", || {
        for seed in SEEDS {
            let keys = workload(seed);
            let db = db();
            let cache = ReadThrough::new(100, Arc::clone(&db));
            for &k in &keys[..1_000] {
                cache.get(&k);
            }
            let warm = db.loads();
            for &k in &keys[1_000..] {
                assert_eq!(cache.get(&k), Some(k));
            }
            let loads = db.loads() - warm;
            let want = model_misses(100, &keys);
            assert_eq!(
                loads, want,
                "seed {seed}: {loads} database loads per 1,000 Zipf reads with 100 entries cached; \
                 an exact LRU of 100 misses {want} times. More means extra loads (or eviction that \
                 is not least-recently-used); fewer is impossible."
            );
            assert!(
                want < 600,
                "seed {seed}: the workload is not hot enough to show a cache's worth ({want})"
            );
        }
    });
}

#[test]
fn cache_aside_loads_exactly_what_an_lru_misses_with_writes_invalidating() {
    for seed in SEEDS {
        let keys = workload(seed);
        let mut rng = Rng::new(seed).stream("writes");
        let db = db();
        let cache = CacheAside::new(100, Arc::clone(&db));
        let mut model = ModelLru::new(100);
        let (mut misses, mut writes) = (0, 0);
        for (i, &k) in keys.iter().enumerate() {
            if rng.chance(0.1) {
                // one operation in ten is a write
                cache.write(k, i as u64);
                model.remove(&k);
                writes += 1;
            } else {
                cache.read(&k);
                if model.get(&k).is_none() {
                    model.put(k, ());
                    misses += 1;
                }
            }
        }
        assert_eq!(
            db.loads(),
            misses,
            "seed {seed}: cache-aside loads once per miss of an LRU whose writes delete the key"
        );
        assert_eq!(db.stores(), writes, "seed {seed}: one store per write");
    }
}

#[test]
fn write_through_stores_every_write_and_loads_only_on_misses() {
    for seed in SEEDS {
        let keys = workload(seed);
        let mut rng = Rng::new(seed).stream("writes");
        let db = db();
        let mut cache = WriteThrough::new(100, Arc::clone(&db));
        let mut model = ModelLru::new(100);
        let (mut misses, mut writes) = (0, 0);
        for (i, &k) in keys.iter().enumerate() {
            if rng.chance(0.3) {
                cache.put(k, i as u64);
                model.put(k, ());
                writes += 1;
            } else {
                cache.get(&k);
                if model.get(&k).is_none() {
                    model.put(k, ());
                    misses += 1;
                }
            }
        }
        assert_eq!(
            db.stores(),
            writes,
            "seed {seed}: write-through stores every write"
        );
        assert_eq!(
            db.loads(),
            misses,
            "seed {seed}: a write-through put caches the value, so only LRU misses load"
        );
    }
}

#[test]
fn write_back_stores_far_fewer_than_it_is_written() {
    for seed in SEEDS {
        let keys = workload(seed);
        let db = db();
        let mut cache = WriteBack::new(50, Arc::clone(&db));
        // Model: an LRU with a dirty flag; a store per dirty eviction and per
        // dirty entry at each flush.
        let mut model: ModelLru<u64, bool> = ModelLru::new(50);
        let mut stores = 0;
        for (i, &k) in keys[1_000..].iter().enumerate() {
            cache.put(k, i as u64);
            if let Some((_, true)) = model.put(k, true) {
                stores += 1;
            }
            if i % 100 == 99 {
                cache.flush();
                for (_, dirty) in model.entries.iter_mut() {
                    stores += usize::from(*dirty);
                    *dirty = false;
                }
            }
        }
        assert_eq!(
            db.stores(),
            stores,
            "seed {seed}: 1,000 writes flushed every 100: exactly one store per dirty entry \
             flushed or evicted"
        );
        assert!(
            stores < 700,
            "seed {seed}: write-back should coalesce hot keys' writes ({stores} of 1,000)"
        );
        assert_eq!(db.loads(), 0, "writing never loads");
    }
}
