//! Rate limiters behind one trait, with time from an injected [`Clock`].
//!
//! - [`TokenBucket`]: bursts up to `capacity`, then `tokens` per `period`.
//! - [`FixedWindow`]: `limit` per aligned window; lets 2x through across a boundary.
//! - [`SlidingLog`]: exact: never more than `limit` in any window; memory O(limit).
//! - [`SlidingCounter`]: two counters, weighted; approximate, O(1) memory.
//! - [`KeyedLimiter`]: one limiter per key (user, IP), idle keys forgotten.
//!
//! Windows are measured on [`Clock::monotonic`]; fixed windows are aligned to
//! its zero: window `k` is `[k·W, (k+1)·W)`. All arithmetic is in integer
//! nanoseconds, so nothing drifts however long a limiter runs.
//!
//! Locks come from [`sync`] only (never `std::sync` directly), so that loom
//! can model-check two callers racing for the last unit
//! (`cargo test -p rate_limiter --features loom --test 5_loom`).
//!
//! Read README.md first. The private fields are a suggestion; the public
//! API is fixed.
//!
//! ```
//! # #[cfg(not(feature = "loom"))] // loom's primitives run only inside a model
//! # {
//! use kit::clock::ManualClock;
//! use rate_limiter::{RateLimiter, TokenBucket};
//! use std::time::Duration;
//!
//! let clock = ManualClock::new(0);
//! let bucket = TokenBucket::new(3, 1, Duration::from_millis(100), clock.clone());
//! assert!(bucket.try_acquire(3)); // a burst of 3
//! assert!(!bucket.try_acquire(1)); // empty
//! assert_eq!(bucket.time_until(1), Some(Duration::from_millis(100)));
//! clock.advance_millis(100);
//! assert!(bucket.try_acquire(1)); // refilled one token
//! # }
//! ```

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports)]

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::Duration;

use kit::clock::Clock;

pub mod sync;
use sync::{Mutex, MutexGuard, PoisonError};

/// Admits or refuses work; shared by many threads (`&self`, `Send + Sync`).
pub trait RateLimiter: Send + Sync {
    /// Admits `n` units (requests, bytes, ...) now if the limit allows all of
    /// them, taking them from the budget; otherwise takes nothing and returns
    /// false. `try_acquire(0)` is always true.
    fn try_acquire(&self, n: u64) -> bool;
}

/// Locks ignoring poison: every critical section below leaves the state
/// consistent before anything that could panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Nanoseconds as u128, so products with counts cannot overflow.
fn nanos(d: Duration) -> u128 {
    d.as_nanos()
}

/// A token bucket: holds at most `capacity` tokens, gains `tokens` every
/// `period` (continuously, to the nanosecond), and each unit admitted takes
/// one token. A full bucket admits a burst of `capacity` at once.
#[derive(Debug)]
pub struct TokenBucket<C> {
    capacity: u64,
    /// Refill `tokens` per `period_ns`.
    tokens: u64,
    period_ns: u128,
    /// A full bucket's balance, `capacity × period_ns`.
    max_balance: u128,
    clock: C,
    state: Mutex<Bucket>,
}

/// The balance is kept in "token-nanoseconds": one token is `period_ns`
/// units and every elapsed nanosecond adds `tokens` units. Integer and exact:
/// refill never loses the fraction of a token earned so far.
#[derive(Debug)]
struct Bucket {
    balance: u128,
    /// The monotonic time, in nanoseconds, the balance is up to date at.
    last_ns: u128,
}

impl<C: Clock> TokenBucket<C> {
    /// A full bucket of `capacity` tokens, refilled at `tokens` per `period`.
    ///
    /// # Panics
    /// If `capacity` is zero, with a message that contains "capacity of at
    /// least 1"; if `tokens` or `period` is zero, with one that contains
    /// "positive refill rate".
    pub fn new(capacity: u64, tokens: u64, period: Duration, clock: C) -> Self {
        todo!("validate the arguments and build the limiter")
    }

    /// Brings the balance up to now and returns the locked state.
    fn refilled(&self) -> MutexGuard<'_, Bucket> {
        todo!("add the tokens earned since the last refill (exactly), capped at the capacity")
    }

    /// Whole tokens in the bucket now.
    pub fn available(&self) -> u64 {
        todo!("whole tokens in the bucket now")
    }

    /// How long until `n` tokens will be available, if nobody else takes any:
    /// `Some(Duration::ZERO)` if they are there now, `None` if `n` exceeds the
    /// capacity (it would never succeed). Rounded up to the nanosecond, so
    /// `try_acquire(n)` succeeds once this much time has passed.
    pub fn time_until(&self, n: u64) -> Option<Duration> {
        todo!("how long until n tokens are there (None if n > capacity)")
    }
}

impl<C: Clock> RateLimiter for TokenBucket<C> {
    fn try_acquire(&self, n: u64) -> bool {
        todo!("admit n units, or refuse and take nothing: check and take under one lock")
    }
}

/// At most `limit` units per aligned window `[k·W, (k+1)·W)`. Cheap and
/// simple, but a burst at the end of one window and another at the start of
/// the next let `2 × limit` through in a moment.
#[derive(Debug)]
pub struct FixedWindow<C> {
    limit: u64,
    window_ns: u128,
    clock: C,
    /// (index of the current window, units admitted in it)
    state: Mutex<(u128, u64)>,
}

impl<C: Clock> FixedWindow<C> {
    /// `limit` units per `window`.
    ///
    /// # Panics
    /// If `window` is zero, with a message that contains "a window must have
    /// a length".
    pub fn new(limit: u64, window: Duration, clock: C) -> Self {
        todo!("validate the arguments and build the limiter")
    }
}

impl<C: Clock> RateLimiter for FixedWindow<C> {
    fn try_acquire(&self, n: u64) -> bool {
        todo!("admit n units, or refuse and take nothing: check and take under one lock")
    }
}

/// Exact: remembers when each admitted unit was admitted and counts those in
/// the last `window`, so no interval of length `window` ever holds more than
/// `limit`. Memory grows with `limit` (one entry per admission).
#[derive(Debug)]
pub struct SlidingLog<C> {
    limit: u64,
    window: Duration,
    clock: C,
    state: Mutex<Log>,
}

#[derive(Debug, Default)]
struct Log {
    /// (time, units) of each admission still inside the window, oldest first.
    entries: VecDeque<(Duration, u64)>,
    /// Sum of the units in `entries`.
    total: u64,
}

impl<C: Clock> SlidingLog<C> {
    /// `limit` units in any `window`.
    ///
    /// # Panics
    /// If `window` is zero, with a message that contains "a window must have
    /// a length".
    pub fn new(limit: u64, window: Duration, clock: C) -> Self {
        todo!("validate the arguments and build the limiter")
    }
}

impl<C: Clock> RateLimiter for SlidingLog<C> {
    fn try_acquire(&self, n: u64) -> bool {
        todo!("admit n units, or refuse and take nothing: check and take under one lock")
    }
}

/// Approximate sliding window in O(1) memory: counts for the current and the
/// previous aligned window, and the previous one weighted by how much of it
/// the sliding window still covers:
/// `estimate = previous × (W − elapsed) / W + current`.
///
/// It assumes the previous window's traffic was spread evenly; when it was
/// not, it can over-admit. In any window `[t, t+W)` that starts a fraction
/// `d/W` into aligned window `k`, it admits at most `limit + c_k × d / W`
/// (rounded down), where `c_k ≤ limit` is what window `k` admitted, so never
/// `2 × limit` (see README.md for the derivation).
#[derive(Debug)]
pub struct SlidingCounter<C> {
    limit: u64,
    window_ns: u128,
    clock: C,
    state: Mutex<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    index: u128,
    current: u64,
    previous: u64,
}

impl<C: Clock> SlidingCounter<C> {
    /// About `limit` units in any `window`.
    ///
    /// # Panics
    /// If `window` is zero, with a message that contains "a window must have
    /// a length".
    pub fn new(limit: u64, window: Duration, clock: C) -> Self {
        todo!("validate the arguments and build the limiter")
    }
}

impl<C: Clock> RateLimiter for SlidingCounter<C> {
    fn try_acquire(&self, n: u64) -> bool {
        todo!("admit n units, or refuse and take nothing: check and take under one lock")
    }
}

/// One limiter per key (user id, IP address, API key), created on first use
/// by `make`, and forgotten once the key has been idle for `idle_ttl`.
///
/// Choose `idle_ttl` at least as long as the limiter takes to forget a key's
/// history by itself (one window for a fixed window or a sliding log, two
/// for a sliding counter, whose previous window still counts; `capacity /
/// rate` for a bucket): then
/// evicting a key and starting it afresh admits nothing the old limiter
/// would have refused, and memory holds only the keys active in the last
/// `idle_ttl`.
pub struct KeyedLimiter<K, L, C> {
    make: Box<dyn Fn() -> L + Send + Sync>,
    idle_ttl: Duration,
    clock: C,
    state: Mutex<Keys<K, L>>,
}

struct Keys<K, L> {
    limiters: HashMap<K, (L, Duration)>,
    last_sweep: Duration,
}

impl<K, L, C> KeyedLimiter<K, L, C>
where
    K: Eq + Hash + Clone + Send,
    L: RateLimiter,
    C: Clock,
{
    /// A keyed limiter making a fresh `make()` for each new key.
    pub fn new(idle_ttl: Duration, clock: C, make: impl Fn() -> L + Send + Sync + 'static) -> Self {
        todo!("build the limiter: no keys yet, the last sweep now")
    }

    /// Asks `key`'s limiter for `n` units, creating it if the key is new.
    pub fn try_acquire(&self, key: &K, n: u64) -> bool {
        todo!("admit n units, or refuse and take nothing: check and take under one lock")
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        todo!("number of keys remembered")
    }

    /// True if no key is remembered.
    pub fn is_empty(&self) -> bool {
        todo!("no keys remembered")
    }
}
