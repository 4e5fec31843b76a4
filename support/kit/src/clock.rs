//! Time as an injected dependency.
//!
//! Code under test asks a [`Clock`] for the time instead of calling
//! `SystemTime::now()`, so a test can freeze it, step it by exactly one
//! millisecond, or move the wall clock backwards (as NTP does) and check what
//! the code does then. Nothing in a lesson test ever sleeps to wait for time.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of time.
///
/// Two readings, because real systems have two clocks:
/// - [`Clock::unix_millis`] is wall-clock time. It is what goes into a
///   timestamp, and it can jump, even backwards, when the clock is corrected.
/// - [`Clock::monotonic`] only ever moves forward. Measure intervals with it
///   (timeouts, rate-limit windows, cache expiry).
pub trait Clock: Send + Sync + Debug {
    /// Milliseconds since the Unix epoch, as the wall clock says now.
    fn unix_millis(&self) -> u64;

    /// Time elapsed since an arbitrary, fixed origin; never decreases.
    fn monotonic(&self) -> Duration;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn unix_millis(&self) -> u64 {
        (**self).unix_millis()
    }
    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn unix_millis(&self) -> u64 {
        (**self).unix_millis()
    }
    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn unix_millis(&self) -> u64 {
        (**self).unix_millis()
    }
    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
}

/// The real clocks of the operating system.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A system clock whose monotonic origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn unix_millis(&self) -> u64 {
        // A wall clock set before 1970 reads as the epoch rather than panicking.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when a test tells it to.
///
/// Clones share the same time, so a test keeps one handle and gives another to
/// the code under test; it is safe to read and advance from many threads.
///
/// ```
/// use kit::clock::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new(1_000);
/// let seen_by_code = clock.clone();
/// clock.advance(Duration::from_millis(5));
/// assert_eq!(seen_by_code.unix_millis(), 1_005);
/// assert_eq!(seen_by_code.monotonic(), Duration::from_millis(5));
///
/// clock.set_unix_millis(900); // an NTP correction: wall time goes back...
/// assert_eq!(seen_by_code.unix_millis(), 900);
/// assert_eq!(seen_by_code.monotonic(), Duration::from_millis(5)); // ...monotonic time does not
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    inner: Arc<ManualTime>,
}

#[derive(Debug, Default)]
struct ManualTime {
    unix_nanos: AtomicU64,
    monotonic_nanos: AtomicU64,
}

impl ManualClock {
    /// A clock reading `unix_millis` on the wall and zero on the monotonic clock.
    pub fn new(unix_millis: u64) -> Self {
        let clock = Self::default();
        clock.set_unix_millis(unix_millis);
        clock
    }

    /// Moves both clocks forward by `by` (rounded down to whole nanoseconds).
    ///
    /// # Panics
    /// If either clock would pass `u64::MAX` nanoseconds (about 584 years).
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).expect("advance by less than 584 years");
        for time in [&self.inner.unix_nanos, &self.inner.monotonic_nanos] {
            let before = time.fetch_add(nanos, Ordering::SeqCst);
            assert!(
                before.checked_add(nanos).is_some(),
                "ManualClock overflowed"
            );
        }
    }

    /// Moves both clocks forward by `ms` milliseconds.
    pub fn advance_millis(&self, ms: u64) {
        self.advance(Duration::from_millis(ms));
    }

    /// Sets the wall clock, forwards or backwards; the monotonic clock stays put.
    pub fn set_unix_millis(&self, unix_millis: u64) {
        let nanos = unix_millis
            .checked_mul(1_000_000)
            .expect("unix_millis fits in u64 nanoseconds");
        self.inner.unix_nanos.store(nanos, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn unix_millis(&self) -> u64 {
        self.inner.unix_nanos.load(Ordering::SeqCst) / 1_000_000
    }

    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.inner.monotonic_nanos.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_starts_where_told_and_only_moves_when_told() {
        let clock = ManualClock::new(42);
        assert_eq!(clock.unix_millis(), 42);
        assert_eq!(clock.monotonic(), Duration::ZERO);
        assert_eq!(
            clock.unix_millis(),
            42,
            "reading must not advance the clock"
        );
    }

    #[test]
    fn sub_millisecond_steps_accumulate() {
        let clock = ManualClock::new(0);
        for _ in 0..3 {
            clock.advance(Duration::from_micros(400));
        }
        assert_eq!(clock.unix_millis(), 1, "1.2 ms reads as 1 ms");
        assert_eq!(clock.monotonic(), Duration::from_micros(1_200));
    }

    #[test]
    fn clones_and_arcs_share_one_time() {
        let clock = ManualClock::new(10);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        clock.advance_millis(7);
        assert_eq!(shared.unix_millis(), 17);
        fn read(c: impl Clock) -> Duration {
            c.monotonic()
        }
        assert_eq!(read(&clock), Duration::from_millis(7), "&C is a clock too");
        let boxed: Box<dyn Clock> = Box::new(clock.clone());
        assert_eq!(boxed.unix_millis(), 17);
    }

    #[test]
    fn wall_clock_can_go_back_but_monotonic_cannot() {
        let clock = ManualClock::new(1_000);
        clock.advance_millis(10);
        clock.set_unix_millis(500);
        assert_eq!(clock.unix_millis(), 500);
        assert_eq!(clock.monotonic(), Duration::from_millis(10));
    }

    #[test]
    fn advancing_from_many_threads_loses_no_time() {
        let clock = ManualClock::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                let clock = clock.clone();
                s.spawn(move || {
                    for _ in 0..1_000 {
                        clock.advance_millis(1);
                    }
                });
            }
        });
        assert_eq!(clock.unix_millis(), 8_000);
        assert_eq!(clock.monotonic(), Duration::from_secs(8));
    }

    #[test]
    #[should_panic(expected = "overflowed")]
    fn overflow_is_loud() {
        let clock = ManualClock::new(u64::MAX / 1_000_000);
        clock.advance(Duration::from_secs(1));
    }

    #[test]
    fn system_clock_is_after_2020_and_monotonic() {
        let clock = SystemClock::new();
        assert!(clock.unix_millis() > 1_577_836_800_000);
        let a = clock.monotonic();
        let b = clock.monotonic();
        assert!(b >= a);
    }
}
