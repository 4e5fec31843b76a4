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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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
        matches!(self, FetchError::Transient(_))
    }
}

impl fmt::Display for FetchError {
    /// `not found`, or `transient: <reason>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::NotFound => f.write_str("not found"),
            FetchError::Transient(reason) => write!(f, "transient: {reason}"),
        }
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
        (**self).fetch(url)
    }
}

impl<F: Fetch + ?Sized> Fetch for Box<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        (**self).fetch(url)
    }
}

impl<F: Fetch + ?Sized> Fetch for Arc<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        (**self).fetch(url)
    }
}

/// A poisoned lock only means another thread panicked mid-update; the data
/// here (log lines, cached bodies) is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
        Self::default()
    }

    /// Appends a line.
    pub fn push(&self, line: impl Into<String>) {
        lock(&self.lines).push(line.into());
    }

    /// A copy of every line so far, oldest first.
    pub fn lines(&self) -> Vec<String> {
        lock(&self.lines).clone()
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
        Logging {
            inner,
            log,
            label: label.into(),
        }
    }
}

impl<F: Fetch> Fetch for Logging<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let result = self.inner.fetch(url);
        let outcome = match &result {
            Ok(body) => format!("ok ({} bytes)", body.len()),
            Err(e) => format!("error: {e}"),
        };
        self.log
            .push(format!("[{}] {url} -> {outcome}", self.label));
        result
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
        Retry {
            inner,
            max_attempts: max_attempts.max(1),
        }
    }
}

impl<F: Fetch> Fetch for Retry<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let mut attempt = 1;
        loop {
            match self.inner.fetch(url) {
                Err(e) if e.is_retryable() && attempt < self.max_attempts => attempt += 1,
                done => return done,
            }
        }
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
        Cache {
            inner,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// How many URLs are cached.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets `url`, so the next fetch of it goes to the wrapped service.
    pub fn invalidate(&self, url: &str) {
        lock(&self.entries).remove(url);
    }
}

impl<F: Fetch> Fetch for Cache<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        if let Some(body) = lock(&self.entries).get(url) {
            return Ok(body.clone());
        }
        // The lock is NOT held while the inner service works: holding it would
        // make every other URL wait for this one slow fetch. Two threads missing
        // the same URL at once may both fetch it; both results are equal, and
        // the later insert simply overwrites.
        let body = self.inner.fetch(url)?;
        lock(&self.entries).insert(url.to_owned(), body.clone());
        Ok(body)
    }
}
