//! Stage 1: the 64-bit format. 41 bits of milliseconds, 10 of machine, 12 of
//! sequence, top bit zero; encode and decode are inverses.

use proptest::prelude::*;
use snowflake::{
    DEFAULT_EPOCH_MS, Generator, MAX_MACHINE_ID, MAX_SEQUENCE, MAX_TIMESTAMP, Parts,
    SnowflakeError, decode, encode,
};

#[test]
fn the_constants_describe_the_format() {
    assert_eq!(MAX_TIMESTAMP, (1u64 << 41) - 1);
    assert_eq!(MAX_MACHINE_ID, 1023);
    assert_eq!(MAX_SEQUENCE, 4095);
    assert_eq!(DEFAULT_EPOCH_MS, 1_288_834_974_657, "Twitter's epoch");
}

#[test]
fn fields_sit_at_their_bit_positions() {
    let id = encode(Parts {
        timestamp_ms: 1,
        machine_id: 1,
        sequence: 1,
    })
    .unwrap();
    assert_eq!(
        id,
        1 << 22 | 1 << 12 | 1,
        "timestamp at bit 22, machine at bit 12, sequence at bit 0"
    );
    let max = encode(Parts {
        timestamp_ms: MAX_TIMESTAMP,
        machine_id: 1023,
        sequence: 4095,
    })
    .unwrap();
    assert_eq!(
        max,
        i64::MAX as u64,
        "all fields full is i64::MAX: the top bit stays 0"
    );
    assert_eq!(
        encode(Parts {
            timestamp_ms: 0,
            machine_id: 0,
            sequence: 0
        }),
        Ok(0)
    );
    assert_eq!(
        decode(0x0000_1234_5678_9ABC),
        Parts {
            timestamp_ms: 0x0000_1234_5678_9ABC >> 22,
            machine_id: 0x389,
            sequence: 0xABC
        }
    );
}

#[test]
fn fields_that_do_not_fit_are_errors_not_truncations() {
    assert_eq!(
        encode(Parts {
            timestamp_ms: MAX_TIMESTAMP + 1,
            machine_id: 0,
            sequence: 0
        }),
        Err(SnowflakeError::TimestampOverflow)
    );
    assert_eq!(
        encode(Parts {
            timestamp_ms: 0,
            machine_id: 1024,
            sequence: 0
        }),
        Err(SnowflakeError::MachineIdOutOfRange(1024))
    );
    assert_eq!(
        encode(Parts {
            timestamp_ms: 0,
            machine_id: 0,
            sequence: 4096
        }),
        Err(SnowflakeError::SequenceOutOfRange(4096))
    );
    for e in [
        SnowflakeError::TimestampOverflow,
        SnowflakeError::MachineIdOutOfRange(5000),
        SnowflakeError::SequenceOutOfRange(5000),
        SnowflakeError::SequenceExhausted,
        SnowflakeError::ClockMovedBackwards { by_ms: 3 },
        SnowflakeError::ClockBeforeEpoch {
            now_ms: 1,
            epoch_ms: 2,
        },
    ] {
        assert!(
            !e.to_string().is_empty(),
            "errors explain themselves: {e:?}"
        );
    }
}

#[test]
fn machine_ids_above_1023_are_rejected() {
    let clock = kit::clock::ManualClock::new(DEFAULT_EPOCH_MS);
    assert_eq!(
        Generator::new(1024, clock.clone()).map(|g| g.machine_id()),
        Err(SnowflakeError::MachineIdOutOfRange(1024)),
        "1024 needs 11 bits: it would spill into the timestamp"
    );
    assert!(matches!(
        Generator::new(u16::MAX, clock.clone()),
        Err(SnowflakeError::MachineIdOutOfRange(_))
    ));
    let g = Generator::new(1023, clock).expect("1023 is the largest machine id");
    assert_eq!(g.machine_id(), 1023);
    assert_eq!(g.epoch_ms(), DEFAULT_EPOCH_MS);
}

#[test]
fn decode_ignores_the_sign_bit() {
    assert_eq!(
        decode(1 << 63),
        Parts {
            timestamp_ms: 0,
            machine_id: 0,
            sequence: 0
        }
    );
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(209),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn decode_inverts_encode(ts in 0..=MAX_TIMESTAMP, machine in 0..=MAX_MACHINE_ID, seq in 0..=MAX_SEQUENCE) {
        let parts = Parts { timestamp_ms: ts, machine_id: machine, sequence: seq };
        let id = encode(parts).unwrap();
        prop_assert_eq!(decode(id), parts);
        prop_assert!(id <= i64::MAX as u64);
    }

    #[test]
    fn ids_sort_by_time_then_machine_then_sequence(
        a in (0..=MAX_TIMESTAMP, 0..=MAX_MACHINE_ID, 0..=MAX_SEQUENCE),
        b in (0..=MAX_TIMESTAMP, 0..=MAX_MACHINE_ID, 0..=MAX_SEQUENCE),
    ) {
        let pa = Parts { timestamp_ms: a.0, machine_id: a.1, sequence: a.2 };
        let pb = Parts { timestamp_ms: b.0, machine_id: b.1, sequence: b.2 };
        prop_assert_eq!(encode(pa).unwrap().cmp(&encode(pb).unwrap()), pa.cmp(&pb));
    }
}
