//! Stage 5: loom tries every interleaving of two callers (up to a preemption
//! bound) against a budget of one: exactly one may be admitted. Run it with
//!
//!     cargo test -p rate_limiter --features loom --test 5_loom
//!
//! The bug this finds is check-then-act: a limiter that checks the budget in
//! one critical section (or with one atomic load) and takes from it in
//! another lets both callers see "one left" before either takes it. A stress
//! test of real threads catches that only when the scheduler happens to
//! switch threads in the gap; loom tries that schedule every time.

use std::time::Duration;

use kit::clock::ManualClock;
use loom::model::Builder;
use rate_limiter::sync::{Arc, thread};
use rate_limiter::{
    FixedWindow, KeyedLimiter, RateLimiter, SlidingCounter, SlidingLog, TokenBucket,
};

const W: Duration = Duration::from_secs(1);

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(f);
}

/// Two threads each ask `limiter` for one unit; exactly one must get it.
fn one_of_two_admitted<L: RateLimiter + 'static>(name: &'static str, make: fn() -> L) {
    model(move || {
        let limiter = Arc::new(make());
        let other = {
            let limiter = Arc::clone(&limiter);
            thread::spawn(move || limiter.try_acquire(1))
        };
        let mine = limiter.try_acquire(1);
        let theirs = other.join().unwrap();
        assert!(
            mine ^ theirs,
            "{name} with a budget of one admitted {} of two concurrent callers in some \
             interleaving: the check and the take must happen in one critical section, or \
             both callers see the last unit before either takes it",
            u8::from(mine) + u8::from(theirs)
        );
    });
}

#[test]
fn token_bucket_admits_one_of_two() {
    one_of_two_admitted("TokenBucket", || {
        TokenBucket::new(1, 1, W, ManualClock::new(0))
    });
}

#[test]
fn fixed_window_admits_one_of_two() {
    one_of_two_admitted("FixedWindow", || {
        FixedWindow::new(1, W, ManualClock::new(0))
    });
}

#[test]
fn sliding_log_admits_one_of_two() {
    one_of_two_admitted("SlidingLog", || SlidingLog::new(1, W, ManualClock::new(0)));
}

#[test]
fn sliding_counter_admits_one_of_two() {
    one_of_two_admitted("SlidingCounter", || {
        SlidingCounter::new(1, W, ManualClock::new(0))
    });
}

#[test]
fn a_new_key_gets_one_limiter_however_its_first_callers_race() {
    model(|| {
        let clock = ManualClock::new(0);
        let keyed = Arc::new(KeyedLimiter::new(W, clock.clone(), move || {
            TokenBucket::new(1, 1, W, clock.clone())
        }));
        let other = {
            let keyed = Arc::clone(&keyed);
            thread::spawn(move || keyed.try_acquire(&7, 1))
        };
        let mine = keyed.try_acquire(&7, 1);
        let theirs = other.join().unwrap();
        assert!(
            mine ^ theirs,
            "two first callers of one key were admitted {} times with a budget of one: a key \
             seen for the first time must get one limiter, made and inserted under the lock \
             that found it missing, or each racer makes a fresh (full) limiter of its own",
            u8::from(mine) + u8::from(theirs)
        );
        assert_eq!(keyed.len(), 1);
    });
}
