//! Stage 3: cache-aside, read-through and write-through over a database that
//! counts its calls. A hit makes no load; a miss makes exactly one; a write
//! makes exactly one store; each strategy leaves the cache as it says. The
//! read-through tests run under a watchdog: a read that waits on a load which
//! never finishes fails with a message instead of freezing the run.

use std::sync::Arc;

use caching::{CacheAside, ReadThrough, WriteThrough};

use crate::common::{CountingDb, watchdog};

fn db() -> Arc<CountingDb> {
    Arc::new(CountingDb::with((0..100).map(|k| (k, k * 10))))
}

// ---- cache-aside ----

#[test]
fn cache_aside_loads_on_a_miss_and_then_hits() {
    let db = db();
    let cache = CacheAside::new(10, Arc::clone(&db));
    assert_eq!(cache.read(&7), Some(70));
    assert_eq!(db.loads(), 1, "a miss loads from the database once");
    for _ in 0..5 {
        assert_eq!(cache.read(&7), Some(70));
    }
    assert_eq!(
        db.loads(),
        1,
        "after the first read fills the cache, reads are hits and make no load"
    );
    assert_eq!(db.stores(), 0, "reading never writes to the database");
}

#[test]
fn a_borrowed_database_is_a_database() {
    let db = CountingDb::with([(1, 10)]);
    let cache = CacheAside::new(10, &db);
    assert_eq!(cache.read(&1), Some(10), "loads through the reference");
    cache.write(2, 20);
    assert_eq!((db.loads(), db.stores()), (1, 1), "and stores through it");
}

#[test]
fn cache_aside_does_not_cache_a_key_the_database_lacks() {
    let db = db();
    let cache = CacheAside::new(10, Arc::clone(&db));
    assert_eq!(cache.read(&1_000), None);
    assert_eq!(cache.read(&1_000), None);
    assert_eq!(
        db.loads(),
        2,
        "a key the database does not have is not cached: each read of it loads again"
    );
}

#[test]
fn cache_aside_writes_the_database_and_invalidates_the_cache() {
    let db = db();
    let cache = CacheAside::new(10, Arc::clone(&db));
    assert_eq!(cache.read(&7), Some(70));
    cache.write(7, 71);
    assert_eq!(db.stores(), 1, "a write is one store");
    assert_eq!(
        db.value(7),
        Some(71),
        "the database holds the written value"
    );
    assert_eq!(cache.read(&7), Some(71), "a read after a write must see it");
    assert_eq!(
        db.loads(),
        2,
        "cache-aside invalidates on a write (deletes the entry), so the next read loads the \
         new value once; updating the cache in place is write-through"
    );
    assert_eq!(cache.read(&7), Some(71));
    assert_eq!(db.loads(), 2, "...and after that it is a hit again");
}

#[test]
fn cache_aside_evicts_the_least_recently_used() {
    let db = db();
    let cache = CacheAside::new(2, Arc::clone(&db));
    cache.read(&1);
    cache.read(&2);
    cache.read(&1);
    cache.read(&3); // evicts 2
    assert_eq!(db.loads(), 3);
    cache.read(&1);
    assert_eq!(db.loads(), 3, "1 was used recently: still cached");
    cache.read(&2);
    assert_eq!(db.loads(), 4, "2 was the least recently used: evicted");
}

// ---- read-through ----

#[test]
fn read_through_loads_on_a_miss_and_then_hits() {
    watchdog(5, "reads of a read-through cache", || {
        let db = db();
        let cache = ReadThrough::new(10, Arc::clone(&db));
        assert_eq!(cache.get(&3), Some(30));
        assert_eq!(cache.get(&3), Some(30));
        assert_eq!(cache.get(&4), Some(40));
        assert_eq!(
            db.loads(),
            2,
            "one load per distinct key; repeated reads are hits"
        );
        assert_eq!(cache.waiters(), 0, "nobody is waiting when nothing loads");
    });
}

#[test]
fn read_through_does_not_cache_a_key_the_database_lacks() {
    watchdog(5, "reads of a read-through cache", || {
        let db = db();
        let cache = ReadThrough::new(10, Arc::clone(&db));
        assert_eq!(cache.get(&500), None);
        assert_eq!(cache.get(&500), None);
        assert_eq!(db.loads(), 2);
    });
}

#[test]
fn read_through_of_capacity_zero_loads_every_time() {
    watchdog(5, "reads of a read-through cache", || {
        let db = db();
        let cache = ReadThrough::new(0, Arc::clone(&db));
        for _ in 0..3 {
            assert_eq!(cache.get(&5), Some(50));
        }
        assert_eq!(db.loads(), 3, "capacity 0 caches nothing");
    });
}

#[test]
fn read_through_evicts_the_least_recently_used() {
    watchdog(5, "reads of a read-through cache", || {
        let db = db();
        let cache = ReadThrough::new(2, Arc::clone(&db));
        cache.get(&1);
        cache.get(&2);
        cache.get(&1);
        cache.get(&3); // evicts 2
        cache.get(&1);
        assert_eq!(db.loads(), 3);
        cache.get(&2);
        assert_eq!(db.loads(), 4, "2 was the least recently used: evicted");
    });
}

// ---- write-through ----

#[test]
fn write_through_stores_at_once_and_keeps_the_cache_current() {
    let db = db();
    let mut cache = WriteThrough::new(10, Arc::clone(&db));
    cache.put(7, 71);
    assert_eq!(
        db.stores(),
        1,
        "a write-through put stores before it returns"
    );
    assert_eq!(db.value(7), Some(71));
    assert_eq!(cache.get(&7), Some(71));
    assert_eq!(
        db.loads(),
        0,
        "write-through puts the value in the cache too: a read right after a write is a hit \
         (invalidating instead costs a load per write)"
    );
    cache.put(7, 72);
    assert_eq!(db.stores(), 2, "every put is one store");
    assert_eq!(cache.get(&7), Some(72));
    assert_eq!(db.loads(), 0);
}

#[test]
fn write_through_reads_through_on_a_miss() {
    let db = db();
    let mut cache = WriteThrough::new(10, Arc::clone(&db));
    assert_eq!(cache.get(&9), Some(90));
    assert_eq!(cache.get(&9), Some(90));
    assert_eq!(db.loads(), 1);
    assert_eq!(cache.get(&999), None);
    assert_eq!(cache.get(&999), None);
    assert_eq!(db.loads(), 3, "an absent key is not cached");
}

#[test]
fn write_through_evicts_without_storing() {
    let db = db();
    let mut cache = WriteThrough::new(2, Arc::clone(&db));
    cache.put(1, 11);
    cache.put(2, 12);
    cache.put(3, 13); // evicts 1
    assert_eq!(
        db.stores(),
        3,
        "entries are clean (the database already has them): evicting one stores nothing"
    );
    assert_eq!(cache.get(&1), Some(11), "evicted, so loaded again");
    assert_eq!(db.loads(), 1);
    assert_eq!(cache.get(&3), Some(13));
    assert_eq!(db.loads(), 1);
}
