//! The practical decorator: cross-cutting behaviour (logging, retries,
//! caching) layered over any [`Fetch`] service without touching it.
//!
//! ```
//! use decorator::fetch::{Cache, Fetch, FetchError, Log, Logging, Retry};
//!
//! struct Origin;
//! impl Fetch for Origin {
//!     fn fetch(&self, url: &str) -> Result<String, FetchError> {
//!         Ok(format!("body of {url}"))
//!     }
//! }
//!
//! let log = Log::new();
//! // Outermost first: the cache answers repeats before anything is logged.
//! let client = Cache::new(Logging::new(Retry::new(Origin, 3), log.clone(), "origin"));
//! client.fetch("/a")?;
//! client.fetch("/a")?;
//! assert_eq!(log.lines(), ["[origin] /a -> ok (10 bytes)"]);
//! # Ok::<(), FetchError>(())
//! ```
//!
//! Order matters, and it is the point: each layer only sees the calls that get
//! past the layers outside it.
//!
//! | stack (outer → inner)     | what happens                                     |
//! |---------------------------|--------------------------------------------------|
//! | `Logging → Retry → origin`| one log line per call, with the final outcome    |
//! | `Retry → Logging → origin`| one log line per *attempt*                       |
//! | `Cache → Logging → origin`| cache hits are not logged                        |
//! | `Logging → Cache → origin`| every call is logged, hits included              |
//! | `Cache → Retry → origin`  | a miss may cost several origin calls; a hit none |

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The resource does not exist; asking again will not help.
    NotFound,
    /// A temporary failure (timeout, 503, connection reset); may work next time.
    Transient(String),
}

impl FetchError {
    /// Whether trying again can help: only [`FetchError::Transient`].
    pub fn is_retryable(&self) -> bool {
        todo!()
    }
}

impl fmt::Display for FetchError {
    /// `not found`, or `transient: <reason>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!()
    }
}

impl Error for FetchError {}

/// Something that returns the body at a URL. Every decorator here is a
/// `Fetch` wrapping a `Fetch`.
pub trait Fetch {
    /// The body at `url`.
    ///
    /// # Errors
    /// [`FetchError`] when there is no body to return.
    fn fetch(&self, url: &str) -> Result<String, FetchError>;
}

impl<F: Fetch + ?Sized> Fetch for &F {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        todo!("forward")
    }
}

impl<F: Fetch + ?Sized> Fetch for Box<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        todo!("forward")
    }
}

impl<F: Fetch + ?Sized> Fetch for Arc<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        todo!("forward")
    }
}

/// A shared, append-only list of log lines. Clones share the same lines, so a
/// test keeps one clone and hands another to [`Logging`].
#[derive(Debug, Clone, Default)]
pub struct Log {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        todo!()
    }

    /// Appends a line.
    pub fn push(&self, line: impl Into<String>) {
        todo!()
    }

    /// A copy of every line so far, oldest first.
    pub fn lines(&self) -> Vec<String> {
        todo!()
    }
}

/// Writes one line per call to the wrapped service, after it returns:
/// `"[label] url -> ok (N bytes)"` or `"[label] url -> error: <FetchError>"`.
/// The result is passed through unchanged.
#[derive(Debug)]
pub struct Logging<F> {
    inner: F,
    log: Log,
    label: String,
}

impl<F: Fetch> Logging<F> {
    /// Logs calls to `inner` into `log`, tagged with `label`.
    pub fn new(inner: F, log: Log, label: impl Into<String>) -> Self {
        todo!()
    }
}

impl<F: Fetch> Fetch for Logging<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        todo!("call inner, then log one line, then return the result unchanged")
    }
}

/// Calls the wrapped service up to `max_attempts` times in total, trying again
/// only after a retryable error ([`FetchError::is_retryable`]). Returns the
/// first success, the first non-retryable error, or the last error once the
/// attempts run out. No waiting between attempts (a real client would back off).
#[derive(Debug)]
pub struct Retry<F> {
    inner: F,
    max_attempts: u32,
}

impl<F: Fetch> Retry<F> {
    /// At most `max_attempts` calls per fetch; 0 counts as 1, because a
    /// fetch always makes at least one attempt.
    pub fn new(inner: F, max_attempts: u32) -> Self {
        todo!()
    }
}

impl<F: Fetch> Fetch for Retry<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        todo!("loop: retry retryable errors while attempts remain")
    }
}

/// Remembers successful bodies by URL and answers repeats without calling the
/// wrapped service. Errors are never cached: a transient failure must not
/// stick, and a missing page may appear later. Unbounded (a real cache would
/// evict and expire; see the caching lesson).
#[derive(Debug)]
pub struct Cache<F> {
    inner: F,
    entries: Mutex<HashMap<String, String>>,
}

impl<F: Fetch> Cache<F> {
    /// An empty cache in front of `inner`.
    pub fn new(inner: F) -> Self {
        todo!()
    }

    /// How many URLs are cached.
    pub fn len(&self) -> usize {
        todo!()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        todo!()
    }

    /// Forgets `url`, so the next fetch of it goes to the wrapped service.
    pub fn invalidate(&self, url: &str) {
        todo!()
    }
}

impl<F: Fetch> Fetch for Cache<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        todo!("hit: clone the body; miss: fetch (without holding the lock), store successes only")
    }
}
