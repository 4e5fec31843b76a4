//! Stage 6 (the wrong design): the invalidation race. Cache-aside with
//! delete-on-write has a window: a reader misses and loads the old value, a
//! writer updates the database and deletes the key from the cache, and then
//! the reader fills the cache with the old value it loaded. Nothing will
//! ever delete it again: the cache serves a stale value forever (until
//! evicted or expired). Leases close the window: the writer's delete voids
//! the reader's lease, so its late fill is refused.
//!
//! No threads: the interleavings are scripted, either with hooks that run
//! another client in the middle of a database call, or step by step against
//! `LeaseCache`, every interleaving in turn.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use caching::{CacheAside, Database, Lease, LeaseCache, Lookup, LruCache};

use crate::common::{CountingDb, watchdog};

// ---- the lease rules ----

fn miss(lookup: Lookup<u64>) -> Lease {
    match lookup {
        Lookup::Miss(lease) => lease,
        Lookup::Hit(v) => panic!("expected a miss with a lease, got a hit on {v}"),
    }
}

#[test]
fn a_miss_hands_out_a_lease_that_fills_the_cache() {
    let mut cache = LeaseCache::new(10);
    let lease = miss(cache.get(&1));
    assert!(cache.set(1, 100, lease), "the key's current lease fills it");
    assert_eq!(cache.get(&1), Lookup::Hit(100));
}

#[test]
fn a_lease_is_used_up_by_its_fill() {
    let mut cache = LeaseCache::new(10);
    let lease = miss(cache.get(&1));
    assert!(cache.set(1, 100, lease));
    assert!(
        !cache.set(1, 999, lease),
        "a lease fills once: a second set with it must be refused"
    );
    assert_eq!(
        cache.get(&1),
        Lookup::Hit(100),
        "the refused set stored nothing"
    );
}

#[test]
fn a_lease_fills_only_its_own_key() {
    let mut cache = LeaseCache::new(10);
    let lease_1 = miss(cache.get(&1));
    let _lease_2 = miss(cache.get(&2));
    assert!(
        !cache.set(2, 100, lease_1),
        "key 1's lease cannot fill key 2"
    );
    assert!(matches!(cache.get(&2), Lookup::Miss(_)));
}

#[test]
fn a_newer_miss_voids_the_older_lease() {
    let mut cache = LeaseCache::new(10);
    let first = miss(cache.get(&1));
    let second = miss(cache.get(&1));
    assert_ne!(first, second, "every lease is distinct");
    assert!(
        !cache.set(1, 100, first),
        "only the latest reader's lease may fill: the older one is void"
    );
    assert!(cache.set(1, 200, second));
    assert_eq!(cache.get(&1), Lookup::Hit(200));
}

#[test]
fn a_delete_voids_the_lease_of_a_reader_in_flight() {
    let mut cache = LeaseCache::new(10);
    let lease = miss(cache.get(&1));
    cache.delete(&1); // a writer changed key 1 while the reader was loading
    assert!(
        !cache.set(1, 100, lease),
        "the reader loaded before the write: its value may be stale, so its fill is refused"
    );
    assert!(
        matches!(cache.get(&1), Lookup::Miss(_)),
        "the refused fill stored nothing"
    );
}

#[test]
fn a_delete_removes_the_value() {
    let mut cache = LeaseCache::new(10);
    let lease = miss(cache.get(&1));
    assert!(cache.set(1, 100, lease));
    cache.delete(&1);
    assert!(matches!(cache.get(&1), Lookup::Miss(_)));
    cache.delete(&2); // deleting what is not there is fine
}

#[test]
fn leases_are_bounded_like_entries() {
    let mut cache = LeaseCache::new(2);
    let a = miss(cache.get(&1));
    let b = miss(cache.get(&2));
    let c = miss(cache.get(&3));
    assert!(
        !cache.set(1, 10, a),
        "capacity 2: the lease for a third key voids the least recently issued (key 1's), \
         so abandoned leases cannot pile up"
    );
    assert!(cache.set(2, 20, b));
    assert!(cache.set(3, 30, c));
}

#[test]
fn values_are_evicted_least_recently_used_first() {
    let mut cache = LeaseCache::new(2);
    for k in 1..=2 {
        let lease = miss(cache.get(&k));
        assert!(cache.set(k, k * 10, lease));
    }
    assert_eq!(cache.get(&1), Lookup::Hit(10));
    let lease = miss(cache.get(&3));
    assert!(cache.set(3, 30, lease));
    assert!(
        matches!(cache.get(&2), Lookup::Miss(_)),
        "2 was the least recent"
    );
    assert_eq!(cache.get(&1), Lookup::Hit(10));
}

// ---- the race, scripted with hooks inside database calls ----

/// The design a candidate draws first: cache-aside over a plain LRU, fill on
/// every miss, delete on write. Here only to show that the script below
/// really does leave it stale.
struct NaiveCacheAside {
    cache: Mutex<LruCache<u64, u64>>,
    db: Arc<CountingDb>,
}

impl NaiveCacheAside {
    fn read(&self, key: &u64) -> Option<u64> {
        if let Some(v) = self.cache.lock().unwrap().get(key) {
            return Some(*v);
        }
        let v = self.db.load(key)?;
        self.cache.lock().unwrap().put(*key, v);
        Some(v)
    }

    fn write(&self, key: u64, value: u64) {
        self.db.store(&key, &value);
        self.cache.lock().unwrap().remove(&key);
    }
}

#[test]
fn the_script_leaves_the_naive_design_stale_forever() {
    let db = Arc::new(CountingDb::with([(1, 100)]));
    let naive = Arc::new(NaiveCacheAside {
        cache: Mutex::new(LruCache::new(10)),
        db: Arc::clone(&db),
    });
    let writer = Arc::clone(&naive);
    // The reader has missed and read 100 from the database; before its load
    // returns, a writer stores 200 and deletes the key from the cache.
    db.on_next_load(move || writer.write(1, 200));
    assert_eq!(naive.read(&1), Some(100));
    assert_eq!(db.value(1), Some(200));
    for _ in 0..3 {
        assert_eq!(
            naive.read(&1),
            Some(100),
            "(the script is broken, not your code: the naive design should be stale here)"
        );
    }
}

#[test]
fn a_slow_reader_cannot_fill_a_value_a_write_made_stale() {
    watchdog(5, "the slow-reader script", || {
        let db = Arc::new(CountingDb::with([(1, 100)]));
        let cache = Arc::new(CacheAside::new(10, Arc::clone(&db)));
        let writer = Arc::clone(&cache);
        // Exactly the script that leaves the naive design stale.
        db.on_next_load(move || writer.write(1, 200));
        assert_eq!(
            cache.read(&1),
            Some(100),
            "the slow reader returns what it loaded (it was current when it read it)"
        );
        assert_eq!(db.value(1), Some(200));
        assert_eq!(
            cache.read(&1),
            Some(200),
            "the cache serves 100 although the database holds 200, and will forever: the \
             reader filled the value it loaded before the write, after the write's delete. \
             Fill with the miss's lease; the delete voids it."
        );
        assert_eq!(cache.read(&1), Some(200));
        assert_eq!(
            db.loads(),
            2,
            "the refused fill costs one extra load, no more"
        );
    });
}

#[test]
fn a_writer_stores_before_it_invalidates() {
    watchdog(5, "the delete-then-write script", || {
        let db = Arc::new(CountingDb::with([(1, 100)]));
        let cache = Arc::new(CacheAside::new(10, Arc::clone(&db)));
        assert_eq!(cache.read(&1), Some(100)); // cached
        let reader = Arc::clone(&cache);
        // A reader arrives while the write is under way, before the database
        // has the new value.
        db.on_next_store(move || {
            reader.read(&1);
        });
        cache.write(1, 200);
        assert_eq!(
            cache.read(&1),
            Some(200),
            "after the write returned, the cache serves the old value forever: the writer \
             deleted the key before storing, and a reader in between refilled it from the \
             database's old value (no lease can tell: the delete came before its miss). \
             Store in the database first, then delete."
        );
    });
}

#[test]
fn a_reader_between_the_store_and_the_delete_is_stale_only_until_the_delete() {
    let db = Arc::new(CountingDb::with([(1, 100)]));
    let cache = CacheAside::new(10, Arc::clone(&db));
    assert_eq!(cache.read(&1), Some(100));
    // Cache-aside's accepted window: after the store, before the delete, a
    // hit still returns the old value. What matters is that it ends.
    cache.write(1, 200);
    assert_eq!(cache.read(&1), Some(200));
    assert_eq!(db.loads(), 2);
}

// ---- every interleaving, step by step ----

/// The test plays the clients against `LeaseCache` and a database map.
#[derive(Clone, Copy, Debug)]
enum Client {
    /// get; on a miss, load; then set with the lease.
    Reader,
    /// store the value, then delete from the cache (the right order).
    Writer(u64),
    /// delete from the cache, then store (the wrong order).
    EarlyDeleter(u64),
}

impl Client {
    fn steps(self) -> usize {
        match self {
            Client::Reader => 3,
            Client::Writer(_) | Client::EarlyDeleter(_) => 2,
        }
    }
}

/// Every way to interleave the clients' steps: sequences of client indices.
fn interleavings(steps: &[usize]) -> Vec<Vec<usize>> {
    fn go(left: &mut [usize], prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if left.iter().all(|&n| n == 0) {
            out.push(prefix.clone());
            return;
        }
        for c in 0..left.len() {
            if left[c] > 0 {
                left[c] -= 1;
                prefix.push(c);
                go(left, prefix, out);
                prefix.pop();
                left[c] += 1;
            }
        }
    }
    let mut out = Vec::new();
    go(&mut steps.to_vec(), &mut Vec::new(), &mut out);
    out
}

#[derive(Default, Clone)]
struct ReaderState {
    lease: Option<Lease>,
    loaded: Option<u64>,
    done: bool,
}

/// Runs one interleaving from a database holding 100 (and the cache holding
/// it too if `warm`). Returns the cache's final value for key 1 and the
/// database's, or `None` for the cache if it holds nothing.
fn run(clients: &[Client], order: &[usize], warm: bool) -> (Option<u64>, u64) {
    let mut cache = LeaseCache::new(4);
    let mut db: HashMap<u64, u64> = HashMap::from([(1, 100)]);
    if warm {
        let lease = miss(cache.get(&1));
        assert!(cache.set(1, 100, lease));
    }
    let mut step = vec![0usize; clients.len()];
    let mut readers = vec![ReaderState::default(); clients.len()];
    for &c in order {
        let s = step[c];
        step[c] += 1;
        let r = &mut readers[c];
        match (clients[c], s) {
            (Client::Reader, _) if r.done => {}
            (Client::Reader, 0) => match cache.get(&1) {
                Lookup::Hit(_) => r.done = true,
                Lookup::Miss(lease) => r.lease = Some(lease),
            },
            (Client::Reader, 1) => r.loaded = Some(db[&1]),
            (Client::Reader, _) => {
                let (Some(v), Some(lease)) = (r.loaded, r.lease) else {
                    unreachable!()
                };
                cache.set(1, v, lease);
            }
            (Client::Writer(v), 0) | (Client::EarlyDeleter(v), 1) => {
                db.insert(1, v);
            }
            (Client::Writer(_), _) | (Client::EarlyDeleter(_), _) => cache.delete(&1),
        }
    }
    let cached = match cache.get(&1) {
        Lookup::Hit(v) => Some(v),
        Lookup::Miss(_) => None,
    };
    (cached, db[&1])
}

/// The interleavings after which the cache holds a value the database does
/// not: stale until evicted.
fn stale_endings(clients: &[Client]) -> Vec<(Vec<usize>, bool, u64, u64)> {
    let steps: Vec<usize> = clients.iter().map(|c| c.steps()).collect();
    let mut stale = Vec::new();
    for order in interleavings(&steps) {
        for warm in [false, true] {
            if let (Some(cached), in_db) = run(clients, &order, warm)
                && cached != in_db
            {
                stale.push((order.clone(), warm, cached, in_db));
            }
        }
    }
    stale
}

#[test]
fn no_interleaving_of_readers_and_writers_ends_stale() {
    let scenarios: [&[Client]; 3] = [
        &[Client::Reader, Client::Writer(200)],
        &[Client::Reader, Client::Reader, Client::Writer(200)],
        &[
            Client::Reader,
            Client::Reader,
            Client::Writer(200),
            Client::Writer(300),
        ],
    ];
    for clients in scenarios {
        let stale = stale_endings(clients);
        if let Some((order, warm, cached, in_db)) = stale.first() {
            let names: Vec<String> = order
                .iter()
                .map(|&c| format!("{:?}#{c}", clients[c]))
                .collect();
            panic!(
                "{} of the interleavings of {clients:?} end with the cache holding {cached} while \
                 the database holds {in_db}, e.g. (cache {}) steps by client: {}. Readers do \
                 get, load, set(lease); writers store, then delete. A lease must be refused \
                 once a delete (or a newer miss) has voided it.",
                stale.len(),
                if *warm { "warm" } else { "cold" },
                names.join(", ")
            );
        }
    }
}

#[test]
fn leases_cannot_save_a_writer_that_deletes_first() {
    let stale = stale_endings(&[Client::Reader, Client::EarlyDeleter(200)]);
    assert!(
        !stale.is_empty(),
        "deleting before storing leaves a window no lease can close: a reader that misses \
         after the delete holds a valid lease and loads the old value before the store. \
         (With a LeaseCache that follows the rules, some interleaving must end stale here.)"
    );
    let distinct: HashSet<Vec<usize>> = stale.into_iter().map(|(o, ..)| o).collect();
    assert!(distinct.contains(&vec![1, 0, 0, 0, 1]));
}
