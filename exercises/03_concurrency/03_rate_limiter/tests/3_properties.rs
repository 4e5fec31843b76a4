//! Stage 3: properties over random traffic. No window of the configured
//! length admits more than each algorithm promises, and each one admits
//! exactly what its model says.

use std::time::Duration;

use kit::clock::ManualClock;
use proptest::prelude::*;
use rate_limiter::{FixedWindow, RateLimiter, SlidingCounter, SlidingLog, TokenBucket};

const W_MS: u64 = 1_000;
const W: Duration = Duration::from_millis(W_MS);

/// Random traffic: (milliseconds since the previous request, units wanted).
fn traffic() -> impl Strategy<Value = Vec<(u64, u64)>> {
    proptest::collection::vec(
        (prop_oneof![Just(0u64), 0u64..50, 0u64..700], 1u64..4),
        1..250,
    )
}

/// Feeds `traffic` to `limiter` and returns (time in ms, units) of every
/// admitted request.
fn run(traffic: &[(u64, u64)], clock: &ManualClock, limiter: &impl RateLimiter) -> Vec<(u64, u64)> {
    let mut t = 0;
    let mut admitted = Vec::new();
    for &(gap, n) in traffic {
        clock.advance_millis(gap);
        t += gap;
        if limiter.try_acquire(n) {
            admitted.push((t, n));
        }
    }
    admitted
}

/// Units admitted in [start, start + len).
fn units_in(admitted: &[(u64, u64)], start: u64, len: u64) -> u64 {
    admitted
        .iter()
        .filter(|(t, _)| *t >= start && *t < start + len)
        .map(|(_, n)| n)
        .sum()
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 128,
        rng_seed: proptest::test_runner::RngSeed::Fixed(205),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn sliding_log_never_admits_more_than_the_limit_in_any_window(
        traffic in traffic(), limit in 1u64..12,
    ) {
        let clock = ManualClock::new(0);
        let log = SlidingLog::new(limit, W, clock.clone());
        let admitted = run(&traffic, &clock, &log);
        // The busiest window starts at an admission.
        for &(start, _) in &admitted {
            let units = units_in(&admitted, start, W_MS);
            prop_assert!(
                units <= limit,
                "the window [{}, {}) ms admitted {} units, limit {}", start, start + W_MS, units, limit
            );
        }
    }

    #[test]
    fn sliding_log_admits_exactly_what_fits(traffic in traffic(), limit in 1u64..12) {
        // Not only safe but exact: refuse only when the last window is full.
        let clock = ManualClock::new(0);
        let log = SlidingLog::new(limit, W, clock.clone());
        let mut t = 0;
        let mut admitted: Vec<(u64, u64)> = Vec::new();
        for &(gap, n) in &traffic {
            clock.advance_millis(gap);
            t += gap;
            let in_window: u64 = admitted.iter().filter(|(at, _)| t - at < W_MS).map(|(_, n)| n).sum();
            let expected = in_window + n <= limit;
            prop_assert_eq!(log.try_acquire(n), expected, "at t={} ms with {} in the window", t, in_window);
            if expected {
                admitted.push((t, n));
            }
        }
    }

    #[test]
    fn fixed_window_admits_exactly_the_limit_per_aligned_window(
        traffic in traffic(), limit in 1u64..12,
    ) {
        let clock = ManualClock::new(0);
        let fixed = FixedWindow::new(limit, W, clock.clone());
        let mut t = 0;
        let mut used = (0u64, 0u64); // (window index, units)
        for &(gap, n) in &traffic {
            clock.advance_millis(gap);
            t += gap;
            if used.0 != t / W_MS {
                used = (t / W_MS, 0);
            }
            let expected = used.1 + n <= limit;
            prop_assert_eq!(fixed.try_acquire(n), expected, "at t={} ms", t);
            if expected {
                used.1 += n;
            }
        }
    }

    #[test]
    fn token_bucket_matches_an_exact_model_and_bounds_every_window(
        traffic in traffic(),
        capacity in 1u64..10,
        tokens in 1u64..5,
        period_ms in 1u64..400,
    ) {
        let clock = ManualClock::new(0);
        let bucket = TokenBucket::new(capacity, tokens, Duration::from_millis(period_ms), clock.clone());
        // Model: balance in token-milliseconds (all times here are whole ms).
        let mut balance = capacity * period_ms;
        let mut t = 0;
        let mut admitted = Vec::new();
        for &(gap, n) in &traffic {
            clock.advance_millis(gap);
            t += gap;
            balance = (balance + gap * tokens).min(capacity * period_ms);
            let expected = n * period_ms <= balance;
            prop_assert_eq!(bucket.try_acquire(n), expected, "at t={} ms", t);
            if expected {
                balance -= n * period_ms;
                admitted.push((t, n));
            }
        }
        // Burst plus refill: capacity + tokens × W / period in any window of W.
        let bound = capacity + tokens * W_MS / period_ms;
        for &(start, _) in &admitted {
            let units = units_in(&admitted, start, W_MS);
            prop_assert!(units <= bound, "[{}, +1 s) admitted {} > burst + refill = {}", start, units, bound);
        }
    }

    #[test]
    fn sliding_counter_stays_within_its_derived_bound(
        traffic in traffic(), limit in 1u64..12,
    ) {
        let clock = ManualClock::new(0);
        let counter = SlidingCounter::new(limit, W, clock.clone());
        // Model: previous × (W − elapsed) / W + current + n ≤ limit, in integers.
        let (mut index, mut previous, mut current) = (0u64, 0u64, 0u64);
        let mut t = 0;
        let mut admitted = Vec::new();
        for &(gap, n) in &traffic {
            clock.advance_millis(gap);
            t += gap;
            if t / W_MS != index {
                previous = if t / W_MS == index + 1 { current } else { 0 };
                current = 0;
                index = t / W_MS;
            }
            let elapsed = t % W_MS;
            let expected = previous * (W_MS - elapsed) + (current + n) * W_MS <= limit * W_MS;
            prop_assert_eq!(counter.try_acquire(n), expected, "at t={} ms (previous {}, current {})", t, previous, current);
            if expected {
                current += n;
                admitted.push((t, n));
            }
        }
        for &(start, _) in &admitted {
            let k = start / W_MS;
            let d = start - k * W_MS;
            // What aligned window k admitted in total.
            let c_k = units_in(&admitted, k * W_MS, W_MS);
            let bound = limit + c_k * d / W_MS;
            let units = units_in(&admitted, start, W_MS);
            prop_assert!(
                units <= bound,
                "[{}, +1 s) admitted {} units; the sliding counter's bound is limit + c_k·d/W \
                 = {} + {}·{}/1000 = {}", start, units, limit, c_k, d, bound
            );
            prop_assert!(units < 2 * limit, "never twice the limit");
        }
    }
}
