//! Stage 5 (loom): every interleaving of a few threads taking IDs while the
//! clock ticks or steps back. Run with `cargo test --features loom --test 5_loom`.
//!
//! The test clock is a `kit::clock::Clock` whose time lives in a loom atomic
//! (`snowflake::sync::AtomicU64` is loom's under the feature). Because every
//! clock read and every tick is a loom operation, loom can schedule a tick
//! between a thread's state load, its clock read and its compare-and-swap:
//! exactly the windows where a generator goes wrong. A clock built on std
//! atomics (or `ManualClock`) would be invisible to loom, and it would never
//! try those schedules.

#![cfg(feature = "loom")]

use kit::clock::Clock;
use snowflake::sync::{Arc, AtomicU64, Ordering, thread};
use snowflake::{Generator, Parts, SnowflakeError, decode, encode};
use std::time::Duration;

/// Milliseconds since the generators' epoch (the epoch is 0 here). Clones
/// share one time, like `ManualClock`'s, but the time is a loom atomic.
#[derive(Debug, Clone)]
struct LoomClock(Arc<AtomicU64>);

impl LoomClock {
    fn at(ms: u64) -> Self {
        Self(Arc::new(AtomicU64::new(ms)))
    }
    fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for LoomClock {
    fn unix_millis(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::SeqCst))
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(f);
}

fn strictly_increasing(ids: &[u64]) -> bool {
    ids.windows(2).all(|w| w[0] < w[1])
}

fn all_unique(ids: &[u64]) -> bool {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).all(|w| w[0] != w[1])
}

#[test]
fn two_threads_and_a_tick_never_share_an_id() {
    model(|| {
        let clock = LoomClock::at(10);
        let g = Arc::new(Generator::new(1, clock.clone()).unwrap().with_epoch(0));
        let takers: Vec<_> = (0..2)
            .map(|_| {
                let g = Arc::clone(&g);
                thread::spawn(move || {
                    (0..2)
                        .map(|_| {
                            g.try_next_id().expect(
                                "the clock only moves forward and the sequence cannot run out: \
                                 an error here means the state was read after the clock \
                                 (a stale clock reading looks like time going backwards)",
                            )
                        })
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        let ticker = {
            let clock = clock.clone();
            thread::spawn(move || clock.set(11))
        };
        ticker.join().unwrap();
        let per_thread: Vec<Vec<u64>> = takers.into_iter().map(|t| t.join().unwrap()).collect();
        for ids in &per_thread {
            assert!(
                strictly_increasing(ids),
                "a thread saw its IDs go down: {ids:?}"
            );
        }
        let all = per_thread.concat();
        assert!(
            all_unique(&all),
            "two threads got the same ID: {all:?} (a load then a store is not atomic; use compare-and-swap)"
        );
    });
}

#[test]
fn sequence_rollover_racing_a_clock_tick() {
    model(|| {
        let clock = LoomClock::at(10);
        let start = encode(Parts {
            timestamp_ms: 10,
            machine_id: 3,
            sequence: 4_094,
        })
        .unwrap();
        let g = Arc::new(
            Generator::new(3, clock.clone())
                .unwrap()
                .with_epoch(0)
                .resume_after(start),
        );
        let spawn_taker = |n: usize| {
            let g = Arc::clone(&g);
            thread::spawn(move || (0..n).map(|_| g.try_next_id()).collect::<Vec<_>>())
        };
        let (a, b) = (spawn_taker(2), spawn_taker(1));
        let ticker = {
            let clock = clock.clone();
            thread::spawn(move || clock.set(11))
        };
        ticker.join().unwrap();
        let results = [a.join().unwrap(), b.join().unwrap()];
        let mut all = Vec::new();
        for thread_results in &results {
            let ids: Vec<u64> = thread_results.iter().filter_map(|r| r.ok()).collect();
            assert!(
                strictly_increasing(&ids),
                "IDs went down within a thread: {ids:?}"
            );
            for r in thread_results {
                assert!(
                    matches!(r, Ok(_) | Err(SnowflakeError::SequenceExhausted)),
                    "only exhaustion may fail here, got {r:?}"
                );
            }
            all.extend(ids);
        }
        assert!(all_unique(&all), "duplicate IDs: {all:?}");
        for &id in &all {
            let p = decode(id);
            assert!(
                id > start,
                "ID {p:?} is not after the resumed position: the sequence wrapped instead of waiting"
            );
        }
        let in_ms_10 = all
            .iter()
            .filter(|&&id| decode(id).timestamp_ms == 10)
            .count();
        assert!(
            in_ms_10 <= 1,
            "only sequence 4095 was left in millisecond 10, yet {in_ms_10} IDs used it"
        );
    });
}

#[test]
fn a_clock_stepping_back_never_yields_a_smaller_or_repeated_id() {
    model(|| {
        let clock = LoomClock::at(10);
        let g = Arc::new(Generator::new(2, clock.clone()).unwrap().with_epoch(0));
        let first = g.try_next_id().unwrap();
        let taker = {
            let g = Arc::clone(&g);
            thread::spawn(move || (0..2).map(|_| g.try_next_id()).collect::<Vec<_>>())
        };
        let stepper = {
            let clock = clock.clone();
            thread::spawn(move || clock.set(9))
        };
        stepper.join().unwrap();
        let results = taker.join().unwrap();
        let mut last = first;
        for r in results {
            match r {
                Ok(id) => {
                    assert!(
                        id > last,
                        "ID {id} after {last}: a backwards clock must never produce a smaller ID"
                    );
                    last = id;
                }
                Err(e) => assert_eq!(e, SnowflakeError::ClockMovedBackwards { by_ms: 1 }),
            }
        }
    });
}
