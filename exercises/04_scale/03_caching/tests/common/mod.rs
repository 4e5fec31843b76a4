//! What the stages share: a database that counts and can run a hook inside a
//! call, a model LRU to compare against, a Zipf workload and a watchdog.

#![allow(dead_code)] // each stage uses part of it

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};
use std::thread;
use std::time::Duration;

use caching::Database;
use kit::rng::Rng;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Something to run in the middle of a database call: it plays another
/// client acting at exactly that moment.
pub type Hook = Box<dyn FnOnce() + Send>;

/// The test's database: a map that counts every `load` and `store`, logs the
/// stores, and can run a hook inside the next call.
///
/// - A load hook runs after the load has read its value and before it
///   returns it: whatever the hook writes, this load returns the old value
///   (a slow reader).
/// - A store hook runs before the store is applied: whatever the hook reads,
///   it sees the value from before this store.
#[derive(Default)]
pub struct CountingDb {
    data: Mutex<HashMap<u64, u64>>,
    loads: AtomicUsize,
    stores: AtomicUsize,
    store_log: Mutex<Vec<(u64, u64)>>,
    on_load: Mutex<Option<Hook>>,
    on_store: Mutex<Option<Hook>>,
}

impl CountingDb {
    /// An empty database.
    pub fn new() -> Self {
        Self::default()
    }

    /// A database holding `pairs` (not counted as stores).
    pub fn with(pairs: impl IntoIterator<Item = (u64, u64)>) -> Self {
        let db = Self::new();
        lock(&db.data).extend(pairs);
        db
    }

    /// Loads so far.
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    /// Stores so far.
    pub fn stores(&self) -> usize {
        self.stores.load(Ordering::SeqCst)
    }

    /// Every store so far, in order.
    pub fn store_log(&self) -> Vec<(u64, u64)> {
        lock(&self.store_log).clone()
    }

    /// What the database holds for `key` now (not counted as a load).
    pub fn value(&self, key: u64) -> Option<u64> {
        lock(&self.data).get(&key).copied()
    }

    /// Everything the database holds (not counted).
    pub fn contents(&self) -> HashMap<u64, u64> {
        lock(&self.data).clone()
    }

    /// Runs `hook` inside the next load, after it has read its value.
    pub fn on_next_load(&self, hook: impl FnOnce() + Send + 'static) {
        *lock(&self.on_load) = Some(Box::new(hook));
    }

    /// Runs `hook` inside the next store, before it is applied.
    pub fn on_next_store(&self, hook: impl FnOnce() + Send + 'static) {
        *lock(&self.on_store) = Some(Box::new(hook));
    }
}

impl Database<u64, u64> for CountingDb {
    fn load(&self, key: &u64) -> Option<u64> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let value = lock(&self.data).get(key).copied();
        let hook = lock(&self.on_load).take();
        if let Some(hook) = hook {
            hook();
        }
        value
    }

    fn store(&self, key: &u64, value: &u64) {
        self.stores.fetch_add(1, Ordering::SeqCst);
        let hook = lock(&self.on_store).take();
        if let Some(hook) = hook {
            hook();
        }
        lock(&self.store_log).push((*key, *value));
        lock(&self.data).insert(*key, *value);
    }
}

/// The obviously correct LRU: a list of entries, most recent first, searched
/// from end to end. O(n), and exactly what the spec says.
#[derive(Debug, Clone)]
pub struct ModelLru<K, V> {
    pub capacity: usize,
    pub entries: VecDeque<(K, V)>,
}

impl<K: PartialEq + Clone, V: Clone> ModelLru<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: VecDeque::new(),
        }
    }

    fn position(&self, key: &K) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        let i = self.position(key)?;
        let entry = self.entries.remove(i).expect("position is in range");
        let value = entry.1.clone();
        self.entries.push_front(entry);
        Some(value)
    }

    pub fn peek(&self, key: &K) -> Option<V> {
        self.position(key).map(|i| self.entries[i].1.clone())
    }

    /// Returns the evicted entry, as `LruCache::put` does.
    pub fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        if let Some(i) = self.position(&key) {
            self.entries.remove(i);
            self.entries.push_front((key, value));
            return None;
        }
        if self.capacity == 0 {
            return Some((key, value));
        }
        let evicted = if self.entries.len() == self.capacity {
            self.entries.pop_back()
        } else {
            None
        };
        self.entries.push_front((key, value));
        evicted
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.position(key)?;
        self.entries.remove(i).map(|(_, v)| v)
    }

    pub fn keys(&self) -> Vec<K> {
        self.entries.iter().map(|(k, _)| k.clone()).collect()
    }
}

/// Zipf's law over keys `0..n`: key `i` is drawn with probability
/// proportional to `1 / (i + 1)^s`. With `s` near 1, a few keys take most of
/// the traffic, as on real sites.
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let weights: Vec<f64> = (1..=n).map(|i| 1.0 / (i as f64).powf(s)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cdf = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        Self { cdf }
    }

    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let u = rng.unit_f64();
        let i = self.cdf.partition_point(|&c| c <= u);
        i.min(self.cdf.len() - 1) as u64
    }
}

/// Runs `f` on its own thread and fails the test if it takes longer than
/// `secs` seconds: a deadlock must fail with a message, not freeze the run.
pub fn watchdog<T: Send + 'static>(
    secs: u64,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hung: {what} did not finish in {secs} s")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked (see above)"),
    }
}

// ---- Memory, counted: an allocator that counts per thread ----

/// The system allocator, counting the allocations and live bytes of each
/// thread (tests run side by side on threads of their own, and each measures
/// only what its own thread did).
struct Counting;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static LIVE_BYTES: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

fn count(allocations: u64, bytes: i64) {
    // try_with: the allocator also runs while a thread is being torn down.
    let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + allocations));
    let _ = LIVE_BYTES.try_with(|b| b.set(b.get() + bytes));
}

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count(1, layout.size() as i64);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        count(0, -(layout.size() as i64));
        // SAFETY: `ptr` came from `alloc` or `realloc` above, with `layout`.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        count(1, size as i64 - layout.size() as i64);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations (including reallocations) made by this thread so far.
pub fn allocations() -> u64 {
    ALLOCATIONS.with(std::cell::Cell::get)
}

/// Bytes this thread has allocated and not yet freed.
pub fn live_bytes() -> i64 {
    LIVE_BYTES.with(std::cell::Cell::get)
}
