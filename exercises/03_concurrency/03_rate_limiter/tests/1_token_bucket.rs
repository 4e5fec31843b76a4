//! Stage 1: the token bucket. Bursts up to its capacity, refills continuously
//! (to the nanosecond, not in whole seconds), and says how long to wait.

use std::time::Duration;

use kit::clock::ManualClock;
use rate_limiter::{RateLimiter, TokenBucket};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn a_full_bucket_admits_a_burst_of_its_capacity_at_once() {
    let clock = ManualClock::new(0);
    let bucket = TokenBucket::new(5, 1, Duration::from_secs(1), clock.clone());
    for i in 0..5 {
        assert!(
            bucket.try_acquire(1),
            "request {i} of a burst of 5 was refused at t=0: a bucket starts full and admits \
             `capacity` at once (a limiter that spaces requests evenly cannot burst)"
        );
    }
    assert!(
        !bucket.try_acquire(1),
        "the 6th request at t=0 exceeds the burst"
    );
    assert_eq!(bucket.available(), 0);
}

#[test]
fn acquiring_several_is_all_or_nothing() {
    let clock = ManualClock::new(0);
    let bucket = TokenBucket::new(10, 1, Duration::from_secs(1), clock.clone());
    assert!(bucket.try_acquire(7));
    assert!(!bucket.try_acquire(4), "only 3 tokens are left");
    assert_eq!(
        bucket.available(),
        3,
        "a refused request must not take any tokens"
    );
    assert!(bucket.try_acquire(3));
    assert!(bucket.try_acquire(0), "acquiring nothing always succeeds");
    assert!(
        !bucket.try_acquire(11),
        "more than the capacity can never succeed"
    );
}

#[test]
fn refill_is_continuous_not_in_whole_seconds() {
    let clock = ManualClock::new(0);
    let bucket = TokenBucket::new(10, 10, Duration::from_secs(1), clock.clone());
    assert!(bucket.try_acquire(10));
    clock.advance_millis(99);
    assert!(
        !bucket.try_acquire(1),
        "10 tokens/s: after 99 ms not one token has refilled yet"
    );
    clock.advance_millis(1);
    assert!(
        bucket.try_acquire(1),
        "10 tokens/s: after 100 ms one token must be back (a refill computed in whole \
         seconds would still say zero)"
    );
    clock.advance_millis(450);
    assert_eq!(
        bucket.available(),
        4,
        "450 ms at 10/s is 4.5 tokens: 4 whole ones"
    );
    clock.advance_millis(50);
    assert_eq!(
        bucket.available(),
        5,
        "the half token earned before was kept"
    );
}

#[test]
fn fractions_of_a_token_are_never_lost_to_frequent_polling() {
    let clock = ManualClock::new(0);
    // One token every 3 ms; poll every millisecond (each poll refills).
    let bucket = TokenBucket::new(1, 1, ms(3), clock.clone());
    assert!(bucket.try_acquire(1));
    let mut admitted = 0;
    for _ in 0..3_000 {
        clock.advance_millis(1);
        if bucket.try_acquire(1) {
            admitted += 1;
        }
    }
    assert_eq!(
        admitted, 1_000,
        "3 s at one token per 3 ms is exactly 1000 tokens; refilling in whole tokens per \
         call (dropping the remainder) loses them"
    );
}

#[test]
fn no_drift_over_a_long_run() {
    let clock = ManualClock::new(0);
    // 3 tokens per 7 ms does not divide evenly into milliseconds.
    let bucket = TokenBucket::new(4, 3, ms(7), clock.clone());
    let mut admitted = 0u64;
    // Take greedily, but never more than the capacity (+1 to notice) per step.
    let take_all = || {
        let taken = (0..5).take_while(|_| bucket.try_acquire(1)).count();
        assert!(
            taken <= 4,
            "took more than the capacity of 4 in one instant"
        );
        taken as u64
    };
    admitted += take_all(); // the initial burst, at t=0
    for _ in 0..70_000 {
        clock.advance(Duration::from_micros(1_000));
        admitted += take_all();
    }
    // 4 at the start + 3 per 7 ms for 70 s.
    assert_eq!(
        admitted,
        4 + 30_000,
        "over 70 s at 3 tokens per 7 ms exactly 30 000 tokens refill (plus the initial 4); \
         floating-point or per-call rounding drifts"
    );
}

#[test]
fn an_idle_bucket_fills_up_to_its_capacity_only() {
    let clock = ManualClock::new(0);
    let bucket = TokenBucket::new(3, 1, ms(10), clock.clone());
    assert!(bucket.try_acquire(3));
    clock.advance(Duration::from_secs(3_600));
    assert_eq!(
        bucket.available(),
        3,
        "tokens do not pile up beyond the capacity"
    );
    assert!(bucket.try_acquire(3));
    assert!(
        !bucket.try_acquire(1),
        "an hour idle still buys only one burst"
    );
}

#[test]
fn time_until_says_exactly_how_long_to_wait() {
    let clock = ManualClock::new(0);
    let bucket = TokenBucket::new(5, 2, Duration::from_secs(1), clock.clone());
    assert_eq!(
        bucket.time_until(5),
        Some(Duration::ZERO),
        "a full bucket has 5 now"
    );
    assert_eq!(
        bucket.time_until(6),
        None,
        "6 > capacity: waiting will never help"
    );
    assert!(bucket.try_acquire(5));
    assert_eq!(
        bucket.time_until(1),
        Some(ms(500)),
        "2 tokens/s: one token in 500 ms"
    );
    assert_eq!(bucket.time_until(3), Some(ms(1_500)));
    clock.advance_millis(200);
    assert_eq!(
        bucket.time_until(1),
        Some(ms(300)),
        "0.4 token earned, 0.6 to go"
    );
    clock.advance(ms(300) - Duration::from_nanos(1));
    assert!(!bucket.try_acquire(1), "one nanosecond early is too early");
    clock.advance(Duration::from_nanos(1));
    assert!(
        bucket.try_acquire(1),
        "after waiting time_until, try_acquire succeeds"
    );
}

#[test]
fn time_until_rounds_up_to_the_nanosecond() {
    let clock = ManualClock::new(0);
    let bucket = TokenBucket::new(1, 3, Duration::from_nanos(10), clock.clone());
    assert!(bucket.try_acquire(1));
    // 3 tokens per 10 ns: one token takes 3.33.. ns, so wait 4 ns.
    assert_eq!(bucket.time_until(1), Some(Duration::from_nanos(4)));
    clock.advance(Duration::from_nanos(3));
    assert!(
        !bucket.try_acquire(1),
        "rounding time_until down would make callers retry too early"
    );
    clock.advance(Duration::from_nanos(1));
    assert!(bucket.try_acquire(1));
}

#[test]
#[should_panic(expected = "capacity of at least 1")]
fn a_bucket_of_zero_capacity_is_a_bug() {
    let _ = TokenBucket::new(0, 1, ms(1), ManualClock::new(0));
}

#[test]
#[should_panic(expected = "positive refill rate")]
fn a_bucket_that_never_refills_is_a_bug() {
    let _ = TokenBucket::new(1, 1, Duration::ZERO, ManualClock::new(0));
}

#[test]
fn the_bucket_refills_on_the_monotonic_clock_not_the_wall() {
    let clock = ManualClock::new(1_000_000);
    let bucket = TokenBucket::new(1, 1, ms(100), clock.clone());
    assert!(bucket.try_acquire(1));
    // An NTP step an hour forward: no time has passed on the monotonic clock.
    clock.set_unix_millis(1_000_000 + 3_600_000);
    assert!(
        !bucket.try_acquire(1),
        "the bucket refilled when only the wall clock jumped: refill is measured on \
         Clock::monotonic, or an NTP step hands out tokens"
    );
    assert_eq!(bucket.available(), 0);
}
