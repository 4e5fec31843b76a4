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
        assert!(
            capacity > 0,
            "a token bucket needs a capacity of at least 1"
        );
        assert!(
            tokens > 0 && !period.is_zero(),
            "a token bucket needs a positive refill rate"
        );
        let period_ns = nanos(period);
        let max_balance = u128::from(capacity) * period_ns;
        let last_ns = nanos(clock.monotonic());
        Self {
            capacity,
            tokens,
            period_ns,
            max_balance,
            clock,
            state: Mutex::new(Bucket {
                balance: max_balance,
                last_ns,
            }),
        }
    }

    /// Brings the balance up to now and returns the locked state.
    fn refilled(&self) -> MutexGuard<'_, Bucket> {
        let now_ns = nanos(self.clock.monotonic());
        let mut bucket = lock(&self.state);
        // Only forward: another thread may have refilled up to a `now` read
        // after ours; monotonic time never goes back, but reads race.
        if now_ns > bucket.last_ns {
            let earned = (now_ns - bucket.last_ns) * u128::from(self.tokens);
            bucket.balance = (bucket.balance + earned).min(self.max_balance);
            bucket.last_ns = now_ns;
        }
        bucket
    }

    /// Whole tokens in the bucket now.
    pub fn available(&self) -> u64 {
        let bucket = self.refilled();
        u64::try_from(bucket.balance / self.period_ns).unwrap_or(u64::MAX)
    }

    /// How long until `n` tokens will be available, if nobody else takes any:
    /// `Some(Duration::ZERO)` if they are there now, `None` if `n` exceeds the
    /// capacity (it would never succeed). Rounded up to the nanosecond, so
    /// `try_acquire(n)` succeeds once this much time has passed.
    pub fn time_until(&self, n: u64) -> Option<Duration> {
        if n > self.capacity {
            return None;
        }
        let bucket = self.refilled();
        let needed = (u128::from(n) * self.period_ns).saturating_sub(bucket.balance);
        let ns = needed.div_ceil(u128::from(self.tokens));
        Some(Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX)))
    }
}

impl<C: Clock> RateLimiter for TokenBucket<C> {
    fn try_acquire(&self, n: u64) -> bool {
        let cost = u128::from(n) * self.period_ns;
        // Check and take under one lock: two threads can never both see the
        // last token.
        let mut bucket = self.refilled();
        if bucket.balance >= cost {
            bucket.balance -= cost;
            true
        } else {
            false
        }
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
        assert!(!window.is_zero(), "a window must have a length");
        Self {
            limit,
            window_ns: nanos(window),
            clock,
            state: Mutex::new((0, 0)),
        }
    }
}

impl<C: Clock> RateLimiter for FixedWindow<C> {
    fn try_acquire(&self, n: u64) -> bool {
        let index = nanos(self.clock.monotonic()) / self.window_ns;
        let mut state = lock(&self.state);
        if state.0 != index {
            *state = (index, 0);
        }
        if state.1.saturating_add(n) <= self.limit {
            state.1 += n;
            true
        } else {
            false
        }
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
        assert!(!window.is_zero(), "a window must have a length");
        Self {
            limit,
            window,
            clock,
            state: Mutex::new(Default::default()),
        }
    }
}

impl<C: Clock> RateLimiter for SlidingLog<C> {
    fn try_acquire(&self, n: u64) -> bool {
        let now = self.clock.monotonic();
        let mut log = lock(&self.state);
        // The window is (now - W, now]: an admission exactly W ago has left it.
        while let Some(&(at, units)) = log.entries.front() {
            if now.saturating_sub(at) < self.window {
                break;
            }
            log.entries.pop_front();
            log.total -= units;
        }
        if log.total.saturating_add(n) > self.limit {
            return false;
        }
        if n > 0 {
            log.entries.push_back((now, n));
            log.total += n;
        }
        true
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
        assert!(!window.is_zero(), "a window must have a length");
        Self {
            limit,
            window_ns: nanos(window),
            clock,
            state: Mutex::new(Default::default()),
        }
    }
}

impl<C: Clock> RateLimiter for SlidingCounter<C> {
    fn try_acquire(&self, n: u64) -> bool {
        let now = nanos(self.clock.monotonic());
        let index = now / self.window_ns;
        let elapsed = now % self.window_ns;
        let mut c = lock(&self.state);
        if index != c.index {
            // One window later, current becomes previous; any later, both
            // are stale.
            c.previous = if index == c.index + 1 { c.current } else { 0 };
            c.current = 0;
            c.index = index;
        }
        // previous × (W − elapsed) / W + current + n ≤ limit, multiplied out
        // by W so it stays in exact integers.
        let weighted = u128::from(c.previous) * (self.window_ns - elapsed);
        let wanted = (u128::from(c.current) + u128::from(n)) * self.window_ns;
        if weighted + wanted <= u128::from(self.limit) * self.window_ns {
            c.current += n;
            true
        } else {
            false
        }
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
        let now = clock.monotonic();
        Self {
            make: Box::new(make),
            idle_ttl,
            clock,
            state: Mutex::new(Keys {
                limiters: HashMap::new(),
                last_sweep: now,
            }),
        }
    }

    /// Asks `key`'s limiter for `n` units, creating it if the key is new.
    pub fn try_acquire(&self, key: &K, n: u64) -> bool {
        let now = self.clock.monotonic();
        let mut keys = lock(&self.state);
        // Sweep at most once per idle_ttl: the cost of a sweep is spread over
        // all the calls in between, so each call is amortised O(1).
        if now.saturating_sub(keys.last_sweep) >= self.idle_ttl {
            let ttl = self.idle_ttl;
            keys.limiters
                .retain(|_, (_, seen)| now.saturating_sub(*seen) < ttl);
            keys.last_sweep = now;
        }
        let known = matches!(
            keys.limiters.get(key),
            Some((_, seen)) if now.saturating_sub(*seen) < self.idle_ttl
        );
        if !known {
            // New, or idle long enough to be forgotten: start afresh.
            keys.limiters.insert(key.clone(), ((self.make)(), now));
        }
        let entry = keys
            .limiters
            .get_mut(key)
            .expect("present or just inserted");
        entry.1 = now;
        entry.0.try_acquire(n)
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        lock(&self.state).limiters.len()
    }

    /// True if no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
