//! Stage 3: the clock's edges. The 4097th ID of a millisecond waits for the
//! next one instead of wrapping into a duplicate; a clock that steps back is
//! reported (or, within a configured skew, waited out), never a duplicate or
//! a decreasing ID.

use kit::clock::{Clock, ManualClock};
use proptest::prelude::*;
use snowflake::{Generator, MAX_SEQUENCE, Parts, SnowflakeError, decode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

const EPOCH: u64 = 1_600_000_000_000;

/// A clock that moves forward by itself: one millisecond every `per_ms`
/// reads. Deterministic for one thread, and lets a waiting `next_id` finish
/// without a real clock or a sleep.
#[derive(Debug)]
struct TickingClock {
    start_ms: AtomicU64,
    reads: AtomicU64,
    per_ms: u64,
}

impl TickingClock {
    fn new(start_ms: u64, per_ms: u64) -> Self {
        Self {
            start_ms: AtomicU64::new(start_ms),
            reads: AtomicU64::new(0),
            per_ms,
        }
    }
}

impl Clock for TickingClock {
    fn unix_millis(&self) -> u64 {
        self.start_ms.load(Ordering::SeqCst)
            + self.reads.fetch_add(1, Ordering::SeqCst) / self.per_ms
    }
    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.reads.load(Ordering::SeqCst) / self.per_ms)
    }
}

/// Runs `f` on its own thread; fails instead of hanging if it takes over 10 s.
fn within_10s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!(),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after 10 s (waiting for something that never happens?)")
        }
    }
}

#[test]
fn the_4097th_id_of_a_millisecond_is_refused_not_wrapped() {
    let clock = ManualClock::new(EPOCH + 100);
    let g = Generator::new(5, clock.clone()).unwrap().with_epoch(EPOCH);
    for seq in 0..=MAX_SEQUENCE {
        let id = g.try_next_id().unwrap();
        assert_eq!(
            decode(id),
            Parts {
                timestamp_ms: 100,
                machine_id: 5,
                sequence: seq
            }
        );
    }
    assert_eq!(
        g.try_next_id(),
        Err(SnowflakeError::SequenceExhausted),
        "the 4097th ID in one millisecond: wrapping the sequence to 0 would repeat the first ID"
    );
    assert_eq!(
        g.try_next_id(),
        Err(SnowflakeError::SequenceExhausted),
        "and it stays exhausted until the clock moves"
    );
    clock.advance_millis(1);
    assert_eq!(
        decode(g.try_next_id().unwrap()),
        Parts {
            timestamp_ms: 101,
            machine_id: 5,
            sequence: 0
        },
        "a refused call must not use up anything"
    );
}

#[test]
fn next_id_waits_for_the_next_millisecond() {
    let ids = within_10s("next_id after exhausting a millisecond", || {
        // 5000 reads per millisecond: the first 4096 IDs all read the same ms.
        let g = Generator::new(5, TickingClock::new(EPOCH + 100, 5_000))
            .unwrap()
            .with_epoch(EPOCH);
        (0..4_097).map(|_| g.next_id().unwrap()).collect::<Vec<_>>()
    });
    assert_eq!(
        decode(ids[4_095]),
        Parts {
            timestamp_ms: 100,
            machine_id: 5,
            sequence: 4_095
        }
    );
    assert_eq!(
        decode(ids[4_096]),
        Parts {
            timestamp_ms: 101,
            machine_id: 5,
            sequence: 0
        },
        "the 4097th ID must come from the next millisecond"
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn next_id_keeps_issuing_across_many_exhausted_milliseconds() {
    let ids = within_10s("20k IDs on a slow clock", || {
        let g = Generator::new(1, TickingClock::new(EPOCH, 10_000))
            .unwrap()
            .with_epoch(EPOCH);
        (0..20_000)
            .map(|_| g.next_id().unwrap())
            .collect::<Vec<_>>()
    });
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "IDs must strictly increase, so none repeats"
    );
    let last = decode(*ids.last().unwrap());
    assert_eq!(
        last.timestamp_ms, 4,
        "20k IDs at 4096 per ms span milliseconds 0..=4"
    );
    assert_eq!(last.sequence, (20_000 - 4 * 4_096 - 1) as u16);
}

#[test]
fn a_clock_that_steps_back_is_reported_never_a_duplicate() {
    let clock = ManualClock::new(EPOCH + 100);
    let g = std::sync::Arc::new(Generator::new(5, clock.clone()).unwrap().with_epoch(EPOCH));
    let first = g.try_next_id().unwrap();
    clock.advance_millis(1);
    let second = g.try_next_id().unwrap();
    clock.set_unix_millis(EPOCH + 100); // NTP steps the clock back 1 ms
    assert_eq!(
        g.try_next_id(),
        Err(SnowflakeError::ClockMovedBackwards { by_ms: 1 }),
        "resetting the sequence at the old millisecond would issue {first} again"
    );
    let waiting = std::sync::Arc::clone(&g);
    assert_eq!(
        within_10s("next_id on a clock 1 ms back, no skew allowed", move || {
            waiting.next_id()
        }),
        Err(SnowflakeError::ClockMovedBackwards { by_ms: 1 }),
        "no skew configured: next_id must not wait"
    );
    clock.set_unix_millis(EPOCH + 90);
    assert_eq!(
        g.try_next_id(),
        Err(SnowflakeError::ClockMovedBackwards { by_ms: 11 })
    );
    clock.set_unix_millis(EPOCH + 101);
    let third = g.try_next_id().unwrap();
    assert!(
        third > second,
        "after the clock catches up IDs go on increasing"
    );
    assert_eq!(
        decode(third).sequence,
        1,
        "millisecond 101 had already issued sequence 0"
    );
}

#[test]
fn next_id_waits_out_a_small_backward_skew() {
    let id = within_10s("next_id with a 5 ms skew allowance", || {
        let clock = TickingClock::new(EPOCH + 100, 50);
        let g = Generator::new(5, &clock)
            .unwrap()
            .with_epoch(EPOCH)
            .with_max_backward_skew(5);
        let first = g.next_id().unwrap();
        clock.start_ms.store(EPOCH + 97, Ordering::SeqCst); // 3 ms back, reads counted from here on
        assert!(
            matches!(
                g.try_next_id(),
                Err(SnowflakeError::ClockMovedBackwards { .. })
            ),
            "try_next_id reports the skew"
        );
        let id = g
            .next_id()
            .expect("3 ms back is within the 5 ms allowance: wait, don't fail");
        assert!(id > first);
        id
    });
    assert!(decode(id).timestamp_ms >= 100);
}

#[test]
fn next_id_fails_fast_beyond_the_allowed_skew() {
    let result = within_10s("next_id 10 ms back with a 5 ms allowance", || {
        let clock = ManualClock::new(EPOCH + 100);
        let g = Generator::new(5, clock.clone())
            .unwrap()
            .with_epoch(EPOCH)
            .with_max_backward_skew(5);
        g.next_id().unwrap();
        clock.set_unix_millis(EPOCH + 90);
        g.next_id()
    });
    assert_eq!(
        result,
        Err(SnowflakeError::ClockMovedBackwards { by_ms: 10 })
    );
}

#[derive(Debug, Clone)]
enum Op {
    Forward(u64),
    Back(u64),
    Take(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..3).prop_map(Op::Forward),
        (0u64..3).prop_map(Op::Back),
        (1u16..1500).prop_map(Op::Take),
    ]
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(210),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn whatever_the_clock_does_ids_only_go_up(ops in proptest::collection::vec(op(), 1..25)) {
        let clock = ManualClock::new(EPOCH + 1_000);
        let g = Generator::new(77, clock.clone()).unwrap().with_epoch(EPOCH);
        let mut last: Option<u64> = None;
        let mut now = 1_000u64;
        for op in ops {
            match op {
                Op::Forward(ms) => { now += ms; clock.set_unix_millis(EPOCH + now); }
                Op::Back(ms) => { now -= ms; clock.set_unix_millis(EPOCH + now); }
                Op::Take(n) => for _ in 0..n {
                    let last_ts = last.map(|id| decode(id).timestamp_ms);
                    match g.try_next_id() {
                        Ok(id) => {
                            prop_assert!(last.is_none_or(|l| id > l), "ID {} after {:?}: IDs must strictly increase", id, last);
                            prop_assert_eq!(decode(id).timestamp_ms, now);
                            last = Some(id);
                        }
                        Err(SnowflakeError::ClockMovedBackwards { by_ms }) => {
                            prop_assert_eq!(Some(now + by_ms), last_ts, "backwards by exactly the gap to the last ID");
                        }
                        Err(SnowflakeError::SequenceExhausted) => {
                            prop_assert_eq!(last.map(decode), Some(Parts { timestamp_ms: now, machine_id: 77, sequence: MAX_SEQUENCE }));
                        }
                        Err(e) => prop_assert!(false, "unexpected error {:?}", e),
                    }
                },
            }
        }
    }
}
