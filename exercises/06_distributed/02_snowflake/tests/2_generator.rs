//! Stage 2: a generator on a manual clock. IDs carry the time since the
//! epoch, count up within a millisecond, restart at 0 in the next one, and
//! never collide across machines.

use kit::clock::ManualClock;
use snowflake::{Generator, MAX_TIMESTAMP, Parts, SnowflakeError, decode, encode};
use std::collections::HashSet;

const EPOCH: u64 = 1_600_000_000_000;

fn parts(ts: u64, machine: u16, seq: u16) -> Parts {
    Parts {
        timestamp_ms: ts,
        machine_id: machine,
        sequence: seq,
    }
}

#[test]
fn the_first_id_is_the_time_since_the_epoch_with_sequence_0() {
    let clock = ManualClock::new(EPOCH + 1_234);
    let g = Generator::new(7, clock).unwrap().with_epoch(EPOCH);
    assert_eq!(g.epoch_ms(), EPOCH);
    let id = g.try_next_id().unwrap();
    assert_eq!(decode(id), parts(1_234, 7, 0));
}

#[test]
fn the_default_epoch_is_twitters() {
    let clock = ManualClock::new(snowflake::DEFAULT_EPOCH_MS + 99);
    let g = Generator::new(1, clock).unwrap();
    assert_eq!(decode(g.try_next_id().unwrap()), parts(99, 1, 0));
}

#[test]
fn the_sequence_counts_up_within_a_millisecond_and_resets_after() {
    let clock = ManualClock::new(EPOCH + 10);
    let g = Generator::new(3, clock.clone()).unwrap().with_epoch(EPOCH);
    let same_ms: Vec<Parts> = (0..5).map(|_| decode(g.try_next_id().unwrap())).collect();
    assert_eq!(same_ms, (0..5).map(|s| parts(10, 3, s)).collect::<Vec<_>>());
    clock.advance_millis(1);
    assert_eq!(
        decode(g.try_next_id().unwrap()),
        parts(11, 3, 0),
        "a new millisecond starts at sequence 0"
    );
    clock.advance_millis(5);
    assert_eq!(decode(g.try_next_id().unwrap()), parts(16, 3, 0));
    assert_eq!(
        decode(g.next_id().unwrap()),
        parts(16, 3, 1),
        "next_id takes the same path when nothing blocks"
    );
}

#[test]
fn ids_strictly_increase_per_generator() {
    let clock = ManualClock::new(EPOCH);
    let g = Generator::new(1, clock.clone()).unwrap().with_epoch(EPOCH);
    let mut rng = kit::rng::Rng::new(21);
    let mut last = None;
    for _ in 0..5_000 {
        if rng.chance(0.1) {
            clock.advance_millis(rng.range(1..4));
        }
        let id = g.try_next_id().unwrap();
        if let Some(prev) = last {
            assert!(id > prev, "IDs must strictly increase: {prev} then {id}");
        }
        last = Some(id);
    }
}

#[test]
fn generators_with_different_machine_ids_never_collide() {
    let clock = ManualClock::new(EPOCH);
    let gens: Vec<_> = [0u16, 1, 512, 1023]
        .iter()
        .map(|&m| Generator::new(m, clock.clone()).unwrap().with_epoch(EPOCH))
        .collect();
    let mut seen = HashSet::new();
    for round in 0..2_000 {
        if round % 300 == 0 {
            clock.advance_millis(1);
        }
        for g in &gens {
            let id = g.try_next_id().unwrap();
            assert!(seen.insert(id), "ID {id} was issued twice across machines");
            assert_eq!(decode(id).machine_id, g.machine_id());
        }
    }
}

#[test]
fn a_clock_before_the_epoch_is_an_error() {
    let clock = ManualClock::new(EPOCH - 1);
    let g = Generator::new(1, clock).unwrap().with_epoch(EPOCH);
    assert_eq!(
        g.try_next_id(),
        Err(SnowflakeError::ClockBeforeEpoch {
            now_ms: EPOCH - 1,
            epoch_ms: EPOCH
        })
    );
    assert_eq!(
        g.next_id(),
        Err(SnowflakeError::ClockBeforeEpoch {
            now_ms: EPOCH - 1,
            epoch_ms: EPOCH
        })
    );
}

#[test]
fn the_last_representable_millisecond_works_and_the_next_overflows() {
    let clock = ManualClock::new(EPOCH + MAX_TIMESTAMP);
    let g = Generator::new(2, clock.clone()).unwrap().with_epoch(EPOCH);
    assert_eq!(
        decode(g.try_next_id().unwrap()),
        parts(MAX_TIMESTAMP, 2, 0),
        "2^41 - 1 ms still fits"
    );
    clock.advance_millis(1);
    assert_eq!(
        g.try_next_id(),
        Err(SnowflakeError::TimestampOverflow),
        "2^41 ms would wrap the timestamp to 0 and sort the ID before every earlier one"
    );
    assert_eq!(
        g.next_id(),
        Err(SnowflakeError::TimestampOverflow),
        "next_id must not wait forever on overflow"
    );
}

#[test]
fn resume_after_continues_past_a_persisted_id() {
    let clock = ManualClock::new(EPOCH + 50);
    let before_restart = encode(parts(50, 9, 17)).unwrap();
    let g = Generator::new(9, clock.clone())
        .unwrap()
        .with_epoch(EPOCH)
        .resume_after(before_restart);
    assert_eq!(
        decode(g.try_next_id().unwrap()),
        parts(50, 9, 18),
        "same millisecond: continue the sequence"
    );

    // Restarted on a machine whose clock is now behind the last ID.
    let g = Generator::new(9, clock.clone())
        .unwrap()
        .with_epoch(EPOCH)
        .resume_after(encode(parts(60, 9, 0)).unwrap());
    assert_eq!(
        g.try_next_id(),
        Err(SnowflakeError::ClockMovedBackwards { by_ms: 10 })
    );
    clock.advance_millis(10);
    assert_eq!(decode(g.try_next_id().unwrap()), parts(60, 9, 1));
}

#[test]
fn resume_after_uses_only_the_timestamp_and_sequence_of_the_id() {
    // An ID persisted under another machine id (a host renumbered), with the
    // sign bit set by a careless cast: only (50 ms, sequence 17) counts.
    let clock = ManualClock::new(EPOCH + 50);
    let persisted = encode(parts(50, 3, 17)).unwrap() | 1 << 63;
    let g = Generator::new(9, clock)
        .unwrap()
        .with_epoch(EPOCH)
        .resume_after(persisted);
    assert_eq!(
        decode(g.try_next_id().unwrap()),
        parts(50, 9, 18),
        "resume_after takes only last_id's timestamp and sequence: the next ID carries \
         this generator's machine id, not the persisted one's"
    );
}
