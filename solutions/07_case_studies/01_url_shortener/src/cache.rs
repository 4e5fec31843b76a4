//! The hot-code cache: a bounded LRU of links, with single-flight loading.
//!
//! A link never changes once created (expiry is decided from the keydir, not
//! from here), so a cached copy can never be stale and needs no
//! invalidation; the only questions are how much to keep and how many reads
//! a burst of misses costs. The answer to the second is one: the first miss
//! installs an empty cell, and everyone who asks for that code before it is
//! filled waits on the same cell.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OnceCell;

use crate::store::Link;

type Cell = Arc<OnceCell<Arc<Link>>>;

/// At most `capacity` links, least recently used evicted first.
#[derive(Debug)]
pub struct Cache {
    capacity: usize,
    lru: Mutex<Lru>,
}

#[derive(Debug, Default)]
struct Lru {
    /// Code -> (its last use, its cell).
    entries: HashMap<String, (u64, Cell)>,
    /// Last use -> code: the first entry is the least recently used.
    order: BTreeMap<u64, String>,
    tick: u64,
}

impl Cache {
    /// A cache of at most `capacity` links; 0 caches nothing.
    pub fn new(capacity: usize) -> Self {
        Cache {
            capacity,
            lru: Mutex::default(),
        }
    }

    /// How many links it holds (filled or being filled).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// The link for `code`: from the cache, or from `load` (called at most
    /// once however many callers miss on `code` at the same time).
    pub async fn get_or_load<F, Fut>(&self, code: &str, load: F) -> io::Result<Arc<Link>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = io::Result<Link>>,
    {
        if self.capacity == 0 {
            return load().await.map(Arc::new);
        }
        let cell = self.cell(code);
        // A failed load leaves the cell empty, so the next caller retries.
        let link = cell
            .get_or_try_init(|| async { load().await.map(Arc::new) })
            .await?;
        Ok(Arc::clone(link))
    }

    /// The cell of `code`, now the most recently used; a new, empty one if
    /// it had none (evicting the least recently used when full).
    fn cell(&self, code: &str) -> Cell {
        let mut lru = self.lock();
        lru.tick += 1;
        let now = lru.tick;
        if let Some((used, cell)) = lru.entries.get_mut(code) {
            let before = std::mem::replace(used, now);
            let cell = Arc::clone(cell);
            lru.order.remove(&before);
            lru.order.insert(now, code.to_owned());
            return cell;
        }
        if lru.entries.len() >= self.capacity
            && let Some((_, oldest)) = lru.order.pop_first()
        {
            lru.entries.remove(&oldest);
        }
        let cell = Cell::default();
        lru.entries
            .insert(code.to_owned(), (now, Arc::clone(&cell)));
        lru.order.insert(now, code.to_owned());
        cell
    }

    fn lock(&self) -> MutexGuard<'_, Lru> {
        // No critical section here can panic half-way.
        self.lru.lock().unwrap_or_else(|p| p.into_inner())
    }
}
