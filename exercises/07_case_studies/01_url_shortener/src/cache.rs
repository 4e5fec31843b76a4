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
        todo!("an empty LRU of at most capacity links")
    }

    /// How many links it holds (filled or being filled).
    pub fn len(&self) -> usize {
        todo!("how many links are held")
    }

    /// The link for `code`: from the cache, or from `load` (called at most
    /// once however many callers miss on `code` at the same time).
    pub async fn get_or_load<F, Fut>(&self, code: &str, load: F) -> io::Result<Arc<Link>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = io::Result<Link>>,
    {
        todo!(
            "one cell per code: the first miss installs it and loads, everyone else waits on the same cell (tokio::sync::OnceCell)"
        )
    }

    /// The cell of `code`, now the most recently used; a new, empty one if
    /// it had none (evicting the least recently used when full).
    fn cell(&self, code: &str) -> Cell {
        todo!(
            "find or insert the code's cell, mark it most recently used, evict the least recently used when full"
        )
    }

    fn lock(&self) -> MutexGuard<'_, Lru> {
        todo!("lock the LRU, ignoring poison")
    }
}
