//! Stage 4: one limiter per key with bounded memory, and every limiter safe
//! to share between threads: 8 threads together never exceed the budget.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use kit::clock::ManualClock;
use rate_limiter::{
    FixedWindow, KeyedLimiter, RateLimiter, SlidingCounter, SlidingLog, TokenBucket,
};

const W: Duration = Duration::from_secs(1);

/// Runs `f` on its own thread and fails the test if it takes longer than a
/// few seconds (a deadlock in a limiter must fail, not freeze the run).
fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hung: {what} did not finish in 10 s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked (see above)"),
    }
}

#[test]
fn each_key_has_its_own_budget() {
    let clock = ManualClock::new(0);
    let c = clock.clone();
    let keyed = KeyedLimiter::new(W, clock.clone(), move || SlidingLog::new(2, W, c.clone()));
    assert!(keyed.is_empty());
    assert!(keyed.try_acquire(&"alice", 1));
    assert!(keyed.try_acquire(&"alice", 1));
    assert!(!keyed.try_acquire(&"alice", 1), "alice used her 2");
    assert!(keyed.try_acquire(&"bob", 2), "bob's budget is his own");
    assert_eq!(keyed.len(), 2);
}

#[test]
fn a_key_idle_less_than_the_ttl_keeps_its_state() {
    let clock = ManualClock::new(0);
    let c = clock.clone();
    let ttl = Duration::from_secs(10);
    let keyed = KeyedLimiter::new(ttl, clock.clone(), move || {
        TokenBucket::new(1, 1, Duration::from_secs(60), c.clone())
    });
    assert!(keyed.try_acquire(&7u32, 1));
    clock.advance(ttl - Duration::from_millis(1));
    assert!(
        !keyed.try_acquire(&7u32, 1),
        "the key was idle for less than idle_ttl: it must keep its (empty) bucket"
    );
    clock.advance(ttl - Duration::from_millis(1));
    assert!(
        !keyed.try_acquire(&7u32, 1),
        "each use restarts the idle timer"
    );
    clock.advance(ttl);
    assert!(
        keyed.try_acquire(&7u32, 1),
        "idle for idle_ttl: the key is forgotten and starts with a fresh limiter"
    );
}

#[test]
fn idle_keys_are_evicted_so_memory_stays_bounded() {
    let clock = ManualClock::new(0);
    let c = clock.clone();
    let ttl = Duration::from_secs(60);
    let keyed = KeyedLimiter::new(ttl, clock.clone(), move || SlidingLog::new(5, W, c.clone()));
    // A scan from 10 000 addresses, one request each...
    for ip in 0..10_000u32 {
        assert!(keyed.try_acquire(&ip, 1));
    }
    assert_eq!(keyed.len(), 10_000);
    // ...then only two keep talking.
    for _ in 0..3 {
        clock.advance(ttl / 2);
        assert!(keyed.try_acquire(&1u32, 1));
        assert!(keyed.try_acquire(&2u32, 1));
    }
    assert!(
        keyed.len() <= 2,
        "{} keys remembered after the idle ones were idle for more than idle_ttl; \
         a keyed limiter that never forgets grows with every IP that ever called",
        keyed.len()
    );
    assert!(!keyed.is_empty());
    // After a long silence, the very next call clears out the idle keys.
    clock.advance(ttl * 2);
    assert!(keyed.try_acquire(&3u32, 1));
    assert_eq!(
        keyed.len(),
        1,
        "after 2 × idle_ttl of silence only the key just used remains"
    );
}

/// 8 threads released at once by a barrier, each trying `tries` times.
fn race(limiter: Arc<dyn RateLimiter>, tries: u64) -> u64 {
    let admitted = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (limiter, admitted, barrier) = (
                Arc::clone(&limiter),
                Arc::clone(&admitted),
                Arc::clone(&barrier),
            );
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..tries {
                    if limiter.try_acquire(1) {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    admitted.load(Ordering::Relaxed)
}

#[test]
fn eight_threads_together_never_exceed_the_budget() {
    // Time is frozen, so each limiter has exactly 1000 units to give.
    let clock = ManualClock::new(0);
    let limiters: Vec<(&str, Arc<dyn RateLimiter>)> = vec![
        (
            "TokenBucket",
            Arc::new(TokenBucket::new(
                1_000,
                1,
                Duration::from_secs(3_600),
                clock.clone(),
            )),
        ),
        (
            "FixedWindow",
            Arc::new(FixedWindow::new(1_000, W, clock.clone())),
        ),
        (
            "SlidingLog",
            Arc::new(SlidingLog::new(1_000, W, clock.clone())),
        ),
        (
            "SlidingCounter",
            Arc::new(SlidingCounter::new(1_000, W, clock.clone())),
        ),
    ];
    for (name, limiter) in limiters {
        let admitted = watchdog("8 threads on one limiter", move || race(limiter, 400));
        assert_eq!(
            admitted, 1_000,
            "{name}: 8 threads together were admitted {admitted} times with a budget of 1000; \
             the check and the decrement must be one atomic step"
        );
    }
}

#[test]
fn eight_threads_racing_for_the_last_token_one_wins() {
    // Many short races: in each round, 8 fresh threads released at once by a
    // barrier compete for a bucket holding a single token. A check-then-
    // decrement that is not one atomic step lets two in, sooner or later.
    let clock = ManualClock::new(0);
    watchdog(
        "8 threads racing for one token, round after round",
        move || {
            for round in 0..600 {
                let bucket: Arc<dyn RateLimiter> = Arc::new(TokenBucket::new(
                    1,
                    1,
                    Duration::from_secs(3_600),
                    clock.clone(),
                ));
                let won = race(bucket, 1);
                assert_eq!(
                    won, 1,
                    "round {round}: {won} threads got the one token; checking the balance and \
                 taking from it must happen under one lock (or one compare-and-swap)"
                );
            }
        },
    );
}

#[test]
fn eight_threads_on_one_key_of_a_keyed_limiter() {
    let clock = ManualClock::new(0);
    let c = clock.clone();
    let keyed = Arc::new(KeyedLimiter::new(W, clock.clone(), move || {
        SlidingCounter::new(500, W, c.clone())
    }));
    let admitted = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(8));
    let k = Arc::clone(&keyed);
    let a = Arc::clone(&admitted);
    watchdog("8 threads on a keyed limiter", move || {
        let threads: Vec<_> = (0..8u32)
            .map(|i| {
                let (keyed, admitted, barrier) =
                    (Arc::clone(&k), Arc::clone(&a), Arc::clone(&barrier));
                thread::spawn(move || {
                    barrier.wait();
                    for j in 0..300u32 {
                        // Everyone hammers "shared"; each thread also has its own key.
                        if keyed.try_acquire(&"shared".to_string(), 1) {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                        let _ = keyed.try_acquire(&format!("own-{i}-{}", j % 3), 1);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    });
    assert_eq!(
        admitted.load(Ordering::Relaxed),
        500,
        "one key, one budget, however many threads"
    );
    assert_eq!(keyed.len(), 1 + 8 * 3);
}
