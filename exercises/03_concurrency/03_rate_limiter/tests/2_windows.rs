//! Stage 2: window limiters, exactly at their edges. The fixed window lets
//! twice the limit through across a boundary; the sliding ones do not.

use std::time::Duration;

use kit::clock::ManualClock;
use rate_limiter::{FixedWindow, RateLimiter, SlidingCounter, SlidingLog};

const W: Duration = Duration::from_millis(1_000);

/// Moves `clock` to `t` milliseconds on the monotonic clock.
fn at(clock: &ManualClock, t: u64) {
    let now = clock.monotonic_millis();
    assert!(t >= now, "tests only move time forward");
    clock.advance_millis(t - now);
}

trait Millis {
    fn monotonic_millis(&self) -> u64;
}

impl Millis for ManualClock {
    fn monotonic_millis(&self) -> u64 {
        use kit::clock::Clock;
        u64::try_from(self.monotonic().as_millis()).unwrap()
    }
}

fn admitted(limiter: &(impl RateLimiter + ?Sized), tries: u64) -> u64 {
    (0..tries).filter(|_| limiter.try_acquire(1)).count() as u64
}

#[test]
fn fixed_window_counts_per_aligned_window() {
    let clock = ManualClock::new(0);
    let fixed = FixedWindow::new(3, W, clock.clone());
    assert_eq!(admitted(&fixed, 5), 3, "3 per window");
    at(&clock, 999);
    assert!(!fixed.try_acquire(1), "t=999 ms is still window [0, 1000)");
    at(&clock, 1_000);
    assert_eq!(
        admitted(&fixed, 5),
        3,
        "t=1000 ms starts window [1000, 2000) afresh"
    );
    assert!(fixed.try_acquire(0));
}

#[test]
fn fixed_window_lets_twice_the_limit_through_across_a_boundary() {
    let clock = ManualClock::new(0);
    let fixed = FixedWindow::new(3, W, clock.clone());
    at(&clock, 999);
    assert_eq!(admitted(&fixed, 3), 3);
    at(&clock, 1_000);
    assert_eq!(
        admitted(&fixed, 3),
        3,
        "the fixed window's known flaw: 3 at t=999 and 3 more at t=1000 (it resets at \
         the boundary), 6 in 2 ms for a limit of 3 per second"
    );
}

#[test]
fn fixed_window_several_units_all_or_nothing() {
    let clock = ManualClock::new(0);
    let fixed = FixedWindow::new(5, W, clock.clone());
    assert!(fixed.try_acquire(4));
    assert!(!fixed.try_acquire(2), "4 + 2 > 5");
    assert!(fixed.try_acquire(1), "the refused 2 took nothing");
    at(&clock, 5_500);
    assert!(
        fixed.try_acquire(5),
        "a window several windows later starts from zero"
    );
}

#[test]
fn sliding_log_does_not_let_a_boundary_burst_through() {
    let clock = ManualClock::new(0);
    let log = SlidingLog::new(3, W, clock.clone());
    at(&clock, 999);
    assert_eq!(admitted(&log, 3), 3);
    at(&clock, 1_000);
    assert!(
        !log.try_acquire(1),
        "the 3 admitted at t=999 are inside (0, 1000]: no room"
    );
    at(&clock, 1_998);
    assert!(
        !log.try_acquire(1),
        "at t=1998 they are 999 ms old: still inside the window"
    );
    at(&clock, 1_999);
    assert_eq!(
        admitted(&log, 5),
        3,
        "at t=1999 the admissions of t=999 are exactly one window old and have left it \
         (the window is (now - W, now])"
    );
}

#[test]
fn sliding_log_frees_units_one_admission_at_a_time() {
    let clock = ManualClock::new(0);
    let log = SlidingLog::new(4, W, clock.clone());
    assert!(log.try_acquire(2)); // t=0
    at(&clock, 300);
    assert!(log.try_acquire(2)); // t=300
    assert!(!log.try_acquire(1));
    at(&clock, 1_000);
    assert!(
        !log.try_acquire(3),
        "the 2 from t=0 left; the 2 from t=300 remain, so only 2 fit"
    );
    assert!(log.try_acquire(2));
    assert!(log.try_acquire(0));
    at(&clock, 1_300);
    assert!(log.try_acquire(2));
    assert!(!log.try_acquire(1));
}

#[test]
fn sliding_counter_weights_the_previous_window() {
    let clock = ManualClock::new(0);
    let counter = SlidingCounter::new(10, W, clock.clone());
    at(&clock, 500);
    assert_eq!(admitted(&counter, 12), 10, "10 per window");
    at(&clock, 1_000);
    // previous = 10, weight (1000 - 0)/1000 = 1: estimate 10.
    assert!(
        !counter.try_acquire(1),
        "at t=1000 the previous window still counts in full"
    );
    at(&clock, 1_250);
    // weight 0.75: estimate 7.5 + current.
    assert_eq!(
        admitted(&counter, 5),
        2,
        "10 × 0.75 = 7.5, so 2 more fit (9.5 ≤ 10)"
    );
    at(&clock, 1_500);
    // 10 × 0.5 + 2 = 7: 3 more.
    assert_eq!(admitted(&counter, 5), 3);
    at(&clock, 2_100);
    // previous = 5 (admitted in [1000, 2000)), weight 0.9: 4.5 + 0.
    assert_eq!(
        admitted(&counter, 10),
        5,
        "4.5 + 5 = 9.5 ≤ 10, a sixth would be 10.5"
    );
    at(&clock, 4_000);
    assert_eq!(
        admitted(&counter, 12),
        10,
        "after a whole empty window the previous count is zero, not what was there before"
    );
}

#[test]
fn sliding_counter_can_over_admit_and_this_is_how_much() {
    // The worst case for the approximation: the previous window's traffic all
    // came at its very end, and the estimate assumes it was spread evenly.
    let clock = ManualClock::new(0);
    let counter = SlidingCounter::new(10, W, clock.clone());
    at(&clock, 999);
    assert_eq!(admitted(&counter, 10), 10);
    let mut later = 0;
    for t in 1_000..1_999 {
        at(&clock, t);
        if counter.try_acquire(1) {
            later += 1;
        }
    }
    assert_eq!(
        10 + later,
        19,
        "in the window [999, 1999) the sliding counter admits 10 + 9 = 19: the bound \
         limit + c_prev × d / W = 10 + ⌊10 × 999/1000⌋ derived in the README, reached"
    );
}

#[test]
fn windows_are_measured_on_the_monotonic_clock_not_the_wall() {
    let clock = ManualClock::new(1_000_000);
    let fixed = FixedWindow::new(2, W, clock.clone());
    let log = SlidingLog::new(2, W, clock.clone());
    let counter = SlidingCounter::new(2, W, clock.clone());
    for (name, limiter) in [
        ("FixedWindow", &fixed as &dyn RateLimiter),
        ("SlidingLog", &log),
        ("SlidingCounter", &counter),
    ] {
        assert_eq!(admitted(limiter, 3), 2, "{name}: the limit is 2");
    }
    // An NTP step moves the wall clock an hour on (and then back before the
    // start); the monotonic clock has not moved, so no window has passed.
    for wall in [1_000_000 + 3_600_000, 0] {
        clock.set_unix_millis(wall);
        for (name, limiter) in [
            ("FixedWindow", &fixed as &dyn RateLimiter),
            ("SlidingLog", &log),
            ("SlidingCounter", &counter),
        ] {
            assert!(
                !limiter.try_acquire(1),
                "{name} admitted a unit after the wall clock jumped to {wall} ms: windows are \
                 measured on Clock::monotonic, which did not move; a wall-clock step (NTP, a \
                 VM migration) must neither open nor close a window"
            );
            assert!(
                limiter.try_acquire(0),
                "{name}: try_acquire(0) is always true"
            );
        }
    }
}

#[test]
#[should_panic(expected = "a window must have a length")]
fn a_fixed_window_of_zero_length_is_a_bug() {
    let _ = FixedWindow::new(1, Duration::ZERO, ManualClock::new(0));
}

#[test]
#[should_panic(expected = "a window must have a length")]
fn a_sliding_log_of_zero_length_is_a_bug() {
    let _ = SlidingLog::new(1, Duration::ZERO, ManualClock::new(0));
}

#[test]
#[should_panic(expected = "a window must have a length")]
fn a_sliding_counter_of_zero_length_is_a_bug() {
    let _ = SlidingCounter::new(1, Duration::ZERO, ManualClock::new(0));
}
