//! Caching: an O(1) LRU, expiry, the four strategies, stampedes and stale fills.
//!
//! Build, in this order (the stages follow it):
//! - [`LruCache`]: a bounded map that evicts the least recently used entry,
//!   every operation O(1): a `HashMap` from key to entry index, and a doubly
//!   linked list kept in a `Vec` and linked by index (no `unsafe`).
//! - [`TtlCache`]: entries that expire `ttl` after they were put, measured on
//!   an injected [`Clock`], with optional jitter so that keys put together do
//!   not all expire together.
//! - The four strategies over a [`Database`]: [`CacheAside`] (the application
//!   fills and invalidates), [`ReadThrough`] (the cache loads on a miss),
//!   [`WriteThrough`] (writes go to the database and the cache together) and
//!   [`WriteBack`] (writes stay in the cache until flushed or evicted).
//! - [`ReadThrough`] is shared by threads and collapses a stampede: however
//!   many callers miss on one key at once, one of them loads it and the others
//!   wait for that load (single-flight).
//! - [`LeaseCache`]: the cache server [`CacheAside`] talks to; its leases
//!   refuse a fill that a concurrent write has made stale.
//!
//! Locks, condition variables and atomics come from [`sync`] only (never
//! `std::sync` directly), so that the stampede is model-checked by loom
//! (`cargo test -p caching --features loom --test 8_loom`) and runs on real
//! threads. Read README.md first. The private fields are a suggestion; the
//! public API is fixed.
//!
//! ```
//! use caching::LruCache;
//!
//! let mut cache = LruCache::new(2);
//! cache.put("a", 1);
//! cache.put("b", 2);
//! assert_eq!(cache.get(&"a"), Some(&1)); // "a" is now the most recent...
//! assert_eq!(cache.put("c", 3), Some(("b", 2))); // ...so "b" is evicted
//! assert_eq!(cache.peek(&"b"), None);
//! ```

#![forbid(unsafe_code)]

pub mod sync;

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::mem;
use std::time::Duration;

use kit::clock::Clock;
use kit::rng::Rng;

use sync::{Arc, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering};

// ---------------------------------------------------------------------------
// The database behind the caches
// ---------------------------------------------------------------------------

/// The system of record behind a cache: slow, authoritative, and what a
/// cache exists to spare. Tests supply one that counts every call, so "a hit
/// makes no load" and "a flush makes one store per dirty key" are exact
/// assertions.
pub trait Database<K, V> {
    /// The current value of `key`, or `None` if the database has none.
    fn load(&self, key: &K) -> Option<V>;

    /// Makes `value` the current value of `key`.
    fn store(&self, key: &K, value: &V);
}

// Given: a shared reference or an `Arc` to a database is a database, so a
// test can keep a handle on the one it gave a cache.
impl<K, V, D: Database<K, V> + ?Sized> Database<K, V> for &D {
    fn load(&self, key: &K) -> Option<V> {
        (**self).load(key)
    }
    fn store(&self, key: &K, value: &V) {
        (**self).store(key, value)
    }
}

impl<K, V, D: Database<K, V> + ?Sized> Database<K, V> for Arc<D> {
    fn load(&self, key: &K) -> Option<V> {
        (**self).load(key)
    }
    fn store(&self, key: &K, value: &V) {
        (**self).store(key, value)
    }
}

/// Locks ignoring poison: no critical section in this crate can panic
/// half-way through an update (database calls run outside every lock).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ---------------------------------------------------------------------------
// Stage 1: LruCache
// ---------------------------------------------------------------------------

/// The end of the list: the `prev` of the most recent node, the `next` of
/// the least recent, and `head` and `tail` of an empty cache.
const NIL: u32 = u32::MAX;

/// A map of at most `capacity` entries that, when full, evicts the least
/// recently used one.
///
/// "Used" means [`put`](Self::put) or [`get`](Self::get); [`peek`](Self::peek)
/// reads without using. Every operation is O(1): `get`, `peek`, `put` and
/// `remove` hash the key and compare keys a constant number of times whatever
/// the number of entries (a test counts the calls of `Hash::hash` and
/// `PartialEq::eq` on its key type: at most 16 per operation on average, the
/// same for 10 000 entries as for 10). A `Vec` scanned for the key, or a
/// `VecDeque` of keys searched to move one to the front, is O(n) and fails.
///
/// Its memory is bounded by its capacity, and a full cache reuses room
/// rather than allocating: a test counts the allocations and live bytes of
/// its thread. Once full, 50 000 operations may allocate at most 50 times
/// (the `HashMap`'s occasional rehash), so an evicted entry's room must be
/// reused in place, not freed and allocated again; a `BTreeMap` ordered by a
/// use counter (O(log n), allocating and freeing tree nodes as it goes)
/// fails. And the bytes held after 100 000 removes and puts are at most
/// twice those held after 1 000: a slab that never reuses the slots that
/// `remove` frees grows without bound.
#[derive(Debug)]
pub struct LruCache<K, V> {
    /// Key -> index of its node in `nodes`.
    map: HashMap<K, u32>,
    /// The entries, dense (`remove` moves the last one into the hole), each
    /// with its links in the order of use: an entry and its place in that
    /// order share one slot.
    nodes: Vec<Node<K, V>>,
    /// The most recently used node, or `NIL`.
    head: u32,
    /// The least recently used node (the next to evict), or `NIL`.
    tail: u32,
    capacity: usize,
}

#[derive(Debug)]
struct Node<K, V> {
    key: K,
    value: V,
    /// Towards the most recent end.
    prev: u32,
    /// Towards the least recent end.
    next: u32,
}

impl<K, V> LruCache<K, V> {
    /// The most entries this cache holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of entries held.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The entries, most recently used first (without using them).
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            nodes: &self.nodes,
            next: self.head,
            remaining: self.nodes.len(),
        }
    }

    /// Moves node `i` to the most recent end.
    fn promote(&mut self, i: u32) {
        if self.head == i {
            return;
        }
        // Not the head, so it has a `prev`, and the list has a head.
        let Node { prev, next, .. } = self.nodes[i as usize];
        self.nodes[prev as usize].next = next;
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        self.nodes[self.head as usize].prev = i;
        let node = &mut self.nodes[i as usize];
        node.prev = NIL;
        node.next = self.head;
        self.head = i;
    }

    /// Takes node `i` out of the list (its own links are left stale).
    fn unlink(&mut self, i: u32) {
        let Node { prev, next, .. } = self.nodes[i as usize];
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
    }

    /// Points the neighbours of the node just moved to index `i` at it.
    fn relink(&mut self, i: u32) {
        let Node { prev, next, .. } = self.nodes[i as usize];
        if prev == NIL {
            self.head = i;
        } else {
            self.nodes[prev as usize].next = i;
        }
        if next == NIL {
            self.tail = i;
        } else {
            self.nodes[next as usize].prev = i;
        }
    }
}

impl<K: Eq + Hash + Clone, V> LruCache<K, V> {
    /// An empty cache holding at most `capacity` entries. A cache of
    /// capacity 0 holds nothing: every `put` hands its entry straight back
    /// as evicted.
    pub fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity,
        }
    }

    /// The value of `key`, which becomes the most recently used entry.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let i = *self.map.get(key)?;
        self.promote(i);
        Some(&self.nodes[i as usize].value)
    }

    /// The value of `key`, leaving the order of use unchanged.
    pub fn peek(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(|&i| &self.nodes[i as usize].value)
    }

    /// Stores `value` under `key` as the most recently used entry.
    ///
    /// If `key` is present, its value is replaced (the old one is dropped)
    /// and nothing is evicted: returns `None`. Otherwise, if the cache is
    /// full, the least recently used entry is evicted to make room and
    /// returned; a cache of capacity 0 returns `Some((key, value))` itself.
    pub fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        if self.capacity == 0 {
            return Some((key, value));
        }
        // One lookup finds the key or the place to insert it.
        let slot = match self.map.entry(key) {
            Entry::Occupied(present) => {
                let i = *present.get();
                self.nodes[i as usize].value = value;
                self.promote(i);
                return None;
            }
            Entry::Vacant(slot) => slot,
        };
        if self.nodes.len() < self.capacity {
            let i = u32::try_from(self.nodes.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("an LruCache holds fewer than u32::MAX entries");
            self.nodes.push(Node {
                key: slot.key().clone(),
                value,
                prev: NIL,
                next: self.head,
            });
            slot.insert(i);
            if self.head == NIL {
                self.tail = i;
            } else {
                self.nodes[self.head as usize].prev = i;
            }
            self.head = i;
            return None;
        }
        // Full: the least recent node is reused in place for the new entry.
        let i = self.tail;
        let node = &mut self.nodes[i as usize];
        let old_key = mem::replace(&mut node.key, slot.key().clone());
        let old_value = mem::replace(&mut node.value, value);
        slot.insert(i);
        self.map.remove(&old_key);
        self.promote(i);
        Some((old_key, old_value))
    }

    /// Removes `key`, returning its value if it was present.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.map.remove(key)?;
        self.unlink(i);
        let removed = self.nodes.swap_remove(i as usize);
        if let Some(moved) = self.nodes.get(i as usize) {
            // The last node moved into the hole: point its neighbours and
            // its map entry at its new index.
            *self
                .map
                .get_mut(&moved.key)
                .expect("every node's key is in the map") = i;
            self.relink(i);
        }
        Some(removed.value)
    }
}

/// The entries of an [`LruCache`], most recently used first. It knows how
/// many entries remain ([`ExactSizeIterator`]).
#[derive(Debug)]
pub struct Iter<'a, K, V> {
    nodes: &'a [Node<K, V>],
    /// The next node to yield, `NIL` at the end.
    next: u32,
    remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        // `NIL` is past the end of any `nodes` (a cache holds fewer).
        let node = self.nodes.get(self.next as usize)?;
        self.next = node.next;
        self.remaining -= 1;
        Some((&node.key, &node.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

// ---------------------------------------------------------------------------
// Stage 2: TtlCache
// ---------------------------------------------------------------------------

/// An [`LruCache`] whose entries expire: an entry put at time `t` with a
/// time-to-live `d` is returned until just before `t + d` and never from
/// `t + d` on (the boundary is exclusive: at exactly `t + d` it has expired).
///
/// Time is [`Clock::monotonic`], so a jump of the wall clock neither expires
/// nor revives anything. Expiry is lazy, as in Redis: an expired entry stays
/// in memory (and counts in [`len`](Self::len)) until `get` or `remove` finds
/// it, [`purge_expired`](Self::purge_expired) sweeps it, or eviction pushes
/// it out. When full, `put` evicts the least recently used entry, expired or
/// not (finding the expired ones would take a scan).
#[derive(Debug)]
pub struct TtlCache<K, V, C> {
    /// Each value with the monotonic time at which it expires.
    entries: LruCache<K, (V, Duration)>,
    ttl: Duration,
    /// Maximum jitter and the generator that draws it.
    jitter: Option<(Duration, Rng)>,
    clock: C,
}

impl<K: Eq + Hash + Clone, V, C: Clock> TtlCache<K, V, C> {
    /// At most `capacity` entries, each living `ttl` from its `put`. A `ttl`
    /// of zero makes every entry expire the instant it is put.
    pub fn new(capacity: usize, ttl: Duration, clock: C) -> Self {
        Self {
            entries: LruCache::new(capacity),
            ttl,
            jitter: None,
            clock,
        }
    }

    /// Like [`new`](Self::new), but each `put` draws its entry's time-to-live
    /// uniformly from `[ttl - jitter, ttl]` with `rng`, so that keys put at
    /// the same moment expire spread over `jitter` instead of all at once.
    /// No entry ever lives longer than `ttl`.
    ///
    /// # Panics
    /// If `jitter > ttl`, with "jitter must not exceed the ttl".
    pub fn with_jitter(
        capacity: usize,
        ttl: Duration,
        jitter: Duration,
        clock: C,
        rng: Rng,
    ) -> Self {
        assert!(jitter <= ttl, "jitter must not exceed the ttl");
        Self {
            entries: LruCache::new(capacity),
            ttl,
            jitter: Some((jitter, rng)),
            clock,
        }
    }

    /// Stores `value` under `key` as the most recent entry, living from now
    /// for the ttl (a new one, if the key was already there).
    pub fn put(&mut self, key: K, value: V) {
        let mut ttl = self.ttl;
        if let Some((jitter, rng)) = &mut self.jitter {
            let max = u64::try_from(jitter.as_nanos()).unwrap_or(u64::MAX);
            ttl -= Duration::from_nanos(rng.below(max.saturating_add(1)));
        }
        // An expiry past the end of representable time is "never".
        let expires = self
            .clock
            .monotonic()
            .checked_add(ttl)
            .unwrap_or(Duration::MAX);
        self.entries.put(key, (value, expires));
    }

    /// The value of `key` if it has not expired (it becomes the most recent
    /// entry). An expired entry found here is removed and `None` returned.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let now = self.clock.monotonic();
        let &(_, expires) = self.entries.peek(key)?;
        if expires <= now {
            self.entries.remove(key);
            return None;
        }
        self.entries.get(key).map(|(value, _)| value)
    }

    /// Removes `key`, returning its value if it had not expired.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let now = self.clock.monotonic();
        let (value, expires) = self.entries.remove(key)?;
        (expires > now).then_some(value)
    }

    /// Removes every expired entry and returns how many there were: the
    /// periodic sweep that frees what no `get` will ever ask for again.
    /// O(len).
    pub fn purge_expired(&mut self) -> usize {
        let now = self.clock.monotonic();
        let expired: Vec<K> = self
            .entries
            .iter()
            .filter(|(_, (_, expires))| *expires <= now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &expired {
            self.entries.remove(key);
        }
        expired.len()
    }

    /// Entries held, including expired ones not yet removed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

// ---------------------------------------------------------------------------
// Stages 3 and 6: cache-aside over a cache server with leases
// ---------------------------------------------------------------------------

/// Permission to fill one key, handed out by [`LeaseCache::get`] on a miss.
/// Opaque; every lease a cache issues is distinct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease(u64);

/// The answer of [`LeaseCache::get`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<V> {
    /// The cached value.
    Hit(V),
    /// Not cached: load the value and offer it back with this lease.
    Miss(Lease),
}

/// A cache server in the style of memcached with leases (Facebook, "Scaling
/// Memcache at Facebook", NSDI 2013): a bounded LRU of values whose fills
/// are accepted only with a valid lease.
///
/// The rules, per key:
/// - `get` of a cached key is a hit (and uses the entry, as in [`LruCache`]).
/// - `get` of a key not cached issues a fresh lease, which replaces (voids)
///   any lease issued earlier for that key: only the latest reader may fill.
/// - `set` with the key's current lease stores the value and uses up the
///   lease (a second `set` with it is refused). Any other lease is refused:
///   `set` returns false and stores nothing.
/// - `delete` removes the value and voids the key's lease, so a reader that
///   loaded before a write cannot fill its (now stale) value after it.
/// - Leases are bounded like entries: at most `capacity` keys have one, and
///   issuing a lease for one more key voids the least recently issued. A
///   voided lease only costs a refill: refusing a fill is always safe.
#[derive(Debug)]
pub struct LeaseCache<K, V> {
    entries: LruCache<K, V>,
    leases: LruCache<K, Lease>,
    next_lease: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> LeaseCache<K, V> {
    /// An empty cache of at most `capacity` values (and as many leases).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: LruCache::new(capacity),
            leases: LruCache::new(capacity),
            next_lease: 0,
        }
    }

    /// A hit with a copy of the cached value, or a miss with a new lease.
    pub fn get(&mut self, key: &K) -> Lookup<V> {
        if let Some(value) = self.entries.get(key) {
            return Lookup::Hit(value.clone());
        }
        let lease = Lease(self.next_lease);
        self.next_lease += 1;
        self.leases.put(key.clone(), lease);
        Lookup::Miss(lease)
    }

    /// Stores `value` if `lease` is `key`'s current lease, using it up;
    /// returns whether it stored.
    pub fn set(&mut self, key: K, value: V, lease: Lease) -> bool {
        if self.leases.peek(&key) != Some(&lease) {
            return false;
        }
        self.leases.remove(&key);
        self.entries.put(key, value);
        true
    }

    /// Removes `key`'s value and voids its lease.
    pub fn delete(&mut self, key: &K) {
        self.entries.remove(key);
        self.leases.remove(key);
    }
}

/// Cache-aside (lazy loading): the application talks to the cache and the
/// database itself. Shared by threads (`&self`); the cache lock is never held
/// during a database call.
///
/// - `read`: ask the cache; on a miss, load from the database and offer the
///   value back to the cache with the miss's lease. A key the database does
///   not have is not cached (every read of it loads again).
/// - `write`: store in the database first, then delete the key from the
///   cache (invalidate, not update: the next read loads the new value).
///   Deleting first would let a reader refill the old value in between.
#[derive(Debug)]
pub struct CacheAside<K, V, D> {
    cache: Mutex<LeaseCache<K, V>>,
    db: D,
}

impl<K: Eq + Hash + Clone, V: Clone, D: Database<K, V>> CacheAside<K, V, D> {
    /// Cache-aside over `db` with a [`LeaseCache`] of `capacity`.
    pub fn new(capacity: usize, db: D) -> Self {
        Self {
            cache: Mutex::new(LeaseCache::new(capacity)),
            db,
        }
    }

    /// The value of `key`: from the cache, or loaded (and filled, if the
    /// lease is still good). Returns what it loaded even if the fill was
    /// refused.
    pub fn read(&self, key: &K) -> Option<V> {
        let lease = match lock(&self.cache).get(key) {
            Lookup::Hit(value) => return Some(value),
            Lookup::Miss(lease) => lease,
        };
        let value = self.db.load(key)?;
        lock(&self.cache).set(key.clone(), value.clone(), lease);
        Some(value)
    }

    /// Writes `value` to the database, then invalidates `key` in the cache.
    pub fn write(&self, key: K, value: V) {
        self.db.store(&key, &value);
        lock(&self.cache).delete(&key);
    }
}

// ---------------------------------------------------------------------------
// Stages 3, 5 and 8: read-through with single-flight
// ---------------------------------------------------------------------------

/// A read-through cache shared by threads: `get` answers from an
/// [`LruCache`] of `capacity`, and on a miss loads the key from the database
/// itself and caches it. A key the database does not have is not cached.
///
/// Single-flight: while a load of a key is in progress, every other caller
/// that misses on that key waits for it and gets its result (`Some` or
/// `None`) instead of loading again, so 100 concurrent misses on one key make
/// exactly one load. A load of one key never blocks callers of other keys:
/// no lock is held during a database call. If a load panics, the panic goes
/// to the caller that ran it; the callers waiting for it are not left
/// hanging: they retry, and one of them loads again.
#[derive(Debug)]
pub struct ReadThrough<K, V, D> {
    state: Mutex<Shared<K, V>>,
    waiters: AtomicUsize,
    db: D,
}

#[derive(Debug)]
struct Shared<K, V> {
    cache: LruCache<K, V>,
    /// The load in progress for each key being loaded.
    flights: HashMap<K, Arc<Flight<V>>>,
}

/// One load in progress; its waiters sleep on `done`.
#[derive(Debug)]
struct Flight<V> {
    outcome: Mutex<Outcome<V>>,
    done: Condvar,
}

#[derive(Debug)]
enum Outcome<V> {
    Loading,
    Loaded(Option<V>),
    /// The load panicked: nothing to share, try again.
    Abandoned,
}

impl<V: Clone> Flight<V> {
    fn new() -> Self {
        Self {
            outcome: Mutex::new(Outcome::Loading),
            done: Condvar::new(),
        }
    }

    fn finish(&self, outcome: Outcome<V>) {
        *lock(&self.outcome) = outcome;
        self.done.notify_all();
    }

    /// Waits for the load: `Some(result)`, or `None` if it was abandoned.
    fn wait(&self) -> Option<Option<V>> {
        let mut outcome = lock(&self.outcome);
        loop {
            match &*outcome {
                Outcome::Loading => {
                    outcome = self
                        .done
                        .wait(outcome)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                Outcome::Loaded(value) => return Some(value.clone()),
                Outcome::Abandoned => return None,
            }
        }
    }
}

/// What a caller that missed does.
enum Role<V> {
    Lead(Arc<Flight<V>>),
    Follow(Arc<Flight<V>>),
}

/// Armed while a leader loads: if the load unwinds, it takes the flight
/// out of the map and wakes its waiters, so that they retry.
struct Abandon<'a, K: Eq + Hash, V> {
    state: &'a Mutex<Shared<K, V>>,
    key: &'a K,
    flight: &'a Arc<Flight<V>>,
    armed: bool,
}

impl<K: Eq + Hash, V> Drop for Abandon<'_, K, V> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        {
            let mut shared = lock(self.state);
            if shared
                .flights
                .get(self.key)
                .is_some_and(|f| Arc::ptr_eq(f, self.flight))
            {
                shared.flights.remove(self.key);
            }
        }
        *lock(&self.flight.outcome) = Outcome::Abandoned;
        self.flight.done.notify_all();
    }
}

impl<K: Eq + Hash + Clone, V: Clone, D: Database<K, V>> ReadThrough<K, V, D> {
    /// A read-through cache of `capacity` entries over `db`. Capacity 0
    /// caches nothing (but concurrent misses are still collapsed).
    pub fn new(capacity: usize, db: D) -> Self {
        Self {
            state: Mutex::new(Shared {
                cache: LruCache::new(capacity),
                flights: HashMap::new(),
            }),
            waiters: AtomicUsize::new(0),
            db,
        }
    }

    /// The value of `key`: cached, or loaded once however many callers ask
    /// for it at the same time.
    pub fn get(&self, key: &K) -> Option<V> {
        loop {
            let role = {
                let mut shared = lock(&self.state);
                if let Some(value) = shared.cache.get(key) {
                    return Some(value.clone());
                }
                match shared.flights.get(key) {
                    Some(flight) => {
                        // Counted under the lock, before the leader can finish.
                        self.waiters.fetch_add(1, Ordering::SeqCst);
                        Role::Follow(Arc::clone(flight))
                    }
                    None => {
                        let flight = Arc::new(Flight::new());
                        shared.flights.insert(key.clone(), Arc::clone(&flight));
                        Role::Lead(flight)
                    }
                }
            };
            match role {
                Role::Lead(flight) => return self.lead(key, &flight),
                Role::Follow(flight) => {
                    let outcome = flight.wait();
                    self.waiters.fetch_sub(1, Ordering::SeqCst);
                    if let Some(value) = outcome {
                        return value;
                    }
                    // The leader panicked: start over (one of us leads now).
                }
            }
        }
    }

    /// How many callers are waiting right now for another caller's load (for
    /// monitoring, and so a test can tell that a stampede has fully formed).
    pub fn waiters(&self) -> usize {
        self.waiters.load(Ordering::SeqCst)
    }

    fn lead(&self, key: &K, flight: &Arc<Flight<V>>) -> Option<V> {
        let mut abandon = Abandon {
            state: &self.state,
            key,
            flight,
            armed: true,
        };
        let value = self.db.load(key);
        abandon.armed = false;
        {
            // Fill and retire the flight in one critical section: a caller
            // arriving now sees one or the other, never neither.
            let mut shared = lock(&self.state);
            if let Some(value) = &value {
                shared.cache.put(key.clone(), value.clone());
            }
            shared.flights.remove(key);
        }
        flight.finish(Outcome::Loaded(value.clone()));
        value
    }
}

// ---------------------------------------------------------------------------
// Stage 3: write-through
// ---------------------------------------------------------------------------

/// Write-through: every `put` goes to the database and to the cache before it
/// returns, so the cache never holds a value the database lacks, and a read
/// right after a write is a hit. Reads are read-through over an
/// [`LruCache`] of `capacity` (a key the database lacks is not cached).
/// Single-threaded (`&mut self`).
#[derive(Debug)]
pub struct WriteThrough<K, V, D> {
    cache: LruCache<K, V>,
    db: D,
}

impl<K: Eq + Hash + Clone, V: Clone, D: Database<K, V>> WriteThrough<K, V, D> {
    /// Write-through over `db` with a cache of `capacity` entries.
    pub fn new(capacity: usize, db: D) -> Self {
        Self {
            cache: LruCache::new(capacity),
            db,
        }
    }

    /// The value of `key`: cached, or loaded and cached.
    pub fn get(&mut self, key: &K) -> Option<V> {
        if let Some(value) = self.cache.get(key) {
            return Some(value.clone());
        }
        let value = self.db.load(key)?;
        self.cache.put(key.clone(), value.clone());
        Some(value)
    }

    /// Stores `value` in the database (one store), then in the cache.
    pub fn put(&mut self, key: K, value: V) {
        self.db.store(&key, &value);
        self.cache.put(key, value);
    }
}

// ---------------------------------------------------------------------------
// Stage 4: write-back
// ---------------------------------------------------------------------------

/// Write-back (write-behind): `put` writes the cache only and marks the key
/// dirty; the database sees it later, once, however many times it was
/// written in between:
/// - [`flush`](Self::flush) stores every dirty entry (its latest value) and
///   makes it clean;
/// - evicting a dirty entry stores it first (evicting a clean one stores
///   nothing);
/// - with capacity 0 nothing stays in the cache, so every `put` is stored
///   at once.
///
/// Reads are read-through (a miss loads and caches a clean entry; a key the
/// database lacks is not cached) and see the latest `put` without a load.
/// Dropping a `WriteBack` does **not** flush: it models a crash, and loses
/// exactly the writes made since each key was last stored. Single-threaded
/// (`&mut self`).
#[derive(Debug)]
pub struct WriteBack<K, V, D> {
    cache: LruCache<K, V>,
    /// Keys whose cached value the database has not seen yet.
    dirty: HashSet<K>,
    db: D,
}

impl<K: Eq + Hash + Clone, V: Clone, D: Database<K, V>> WriteBack<K, V, D> {
    /// Write-back over `db` with a cache of `capacity` entries.
    pub fn new(capacity: usize, db: D) -> Self {
        Self {
            cache: LruCache::new(capacity),
            dirty: HashSet::new(),
            db,
        }
    }

    /// The value of `key`: the cached one (dirty or clean), or loaded and
    /// cached clean.
    pub fn get(&mut self, key: &K) -> Option<V> {
        if let Some(value) = self.cache.get(key) {
            return Some(value.clone());
        }
        let value = self.db.load(key)?;
        self.insert(key.clone(), value.clone());
        Some(value)
    }

    /// Writes `value` to the cache only and marks `key` dirty.
    pub fn put(&mut self, key: K, value: V) {
        self.dirty.insert(key.clone());
        self.insert(key, value);
    }

    /// Stores every dirty entry once and makes it clean; returns how many
    /// were stored.
    pub fn flush(&mut self) -> usize {
        let dirty = mem::take(&mut self.dirty);
        for key in &dirty {
            let value = self
                .cache
                .peek(key)
                .expect("a dirty key is cached: eviction stores it and cleans it");
            self.db.store(key, value);
        }
        dirty.len()
    }

    /// How many cached entries the database has not seen yet.
    pub fn dirty_len(&self) -> usize {
        self.dirty.len()
    }

    /// Caches an entry; an entry evicted for it is stored if it was dirty.
    fn insert(&mut self, key: K, value: V) {
        if let Some((evicted, value)) = self.cache.put(key, value)
            && self.dirty.remove(&evicted)
        {
            self.db.store(&evicted, &value);
        }
    }
}
