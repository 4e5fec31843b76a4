//! Stage 1: back-of-envelope estimates as exact integer functions, checked
//! against worked examples whose arithmetic is written out here, and against
//! the traps interviewers set: per day vs per second, rounding the average
//! before the peak, bits vs bytes, 10^3 vs 2^10, and rounding servers to
//! nearest instead of up.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use scaling::{
    ByteUnit, DAYS_PER_YEAR, EstimateError, Redundancy, SECONDS_PER_DAY, average_qps,
    bandwidth_bits_per_second, in_units, peak_qps, servers_needed, storage_bytes,
};

#[test]
fn a_day_has_86_400_seconds_and_a_year_365_days() {
    assert_eq!(SECONDS_PER_DAY, 24 * 60 * 60);
    assert_eq!(DAYS_PER_YEAR, 365);
}

#[test]
fn average_qps_divides_a_day_of_requests_by_86_400_seconds() {
    // 86.4 M users × 1 request = 86 400 000 per day / 86 400 s = exactly 1 000/s.
    // (The shortcut "a day is 10^5 seconds" gives 864: 14 % short.)
    assert_eq!(
        average_qps(86_400_000, 1),
        Ok(1_000),
        "requests per day / 86 400 = requests per second; a day is not 10^5 s"
    );
    // 100 M users × 10 = 10^9 per day / 86 400 = 11 574.07.. -> 11 575.
    assert_eq!(
        average_qps(100_000_000, 10),
        Ok(11_575),
        "11 574.07 requests per second rounds UP to 11 575"
    );
    // 1 user × 1 request a day is 0.0000116/s: still one request per second of capacity.
    assert_eq!(average_qps(1, 1), Ok(1));
}

#[test]
fn zero_users_make_zero_requests() {
    assert_eq!(average_qps(0, 50), Ok(0));
    assert_eq!(average_qps(1_000, 0), Ok(0));
    assert_eq!(peak_qps(0, 50, 300), Ok(0));
}

#[test]
fn peak_qps_rounds_once_at_the_end() {
    // 10 M users × 20 = 200 M per day; × 300 % / (86 400 × 100)
    // = 60 000 000 000 / 8 640 000 = 6 944.44.. -> 6 945.
    assert_eq!(peak_qps(10_000_000, 20, 300), Ok(6_945));
    // The average is 2 314.8 -> 2 315; 2 315 × 3 = 6 945 here too, but not below:
    // 1 000 users × 10 = 10 000 per day: average 0.1157/s, peak ×3 = 0.347/s -> 1.
    assert_eq!(average_qps(1_000, 10), Ok(1));
    assert_eq!(
        peak_qps(1_000, 10, 300),
        Ok(1),
        "0.347 peak requests per second is 1, not 3 × ⌈0.1157⌉ = 3: round the product \
         once, never the average before multiplying"
    );
    // A fractional factor: 864 000 per day × 150 % / 8 640 000 = 15 exactly.
    assert_eq!(peak_qps(86_400, 10, 150), Ok(15));
    // 864 000 users × 10 = 8 640 000 per day = 100/s on average; at 110 % the
    // peak is 110/s exactly. In f64, 100.0 × 1.1 = 110.00000000000001, whose
    // ceil is 111: integer arithmetic is what makes "exact" true.
    assert_eq!(
        peak_qps(864_000, 10, 110),
        Ok(110),
        "8 640 000 × 110 / 8 640 000 is exactly 110 (floating point says 110.00000000000001 \
         and rounds it up to 111)"
    );
    // 100 % is the average itself.
    assert_eq!(peak_qps(100_000_000, 10, 100), average_qps(100_000_000, 10));
}

#[test]
fn a_peak_below_the_average_is_refused() {
    let err = peak_qps(1_000, 10, 99).unwrap_err();
    assert_eq!(err, EstimateError::PeakBelowAverage { peak_percent: 99 });
    assert_eq!(
        err.to_string(),
        "peak factor must be at least 100 percent, got 99"
    );
    assert_eq!(
        peak_qps(1_000, 10, 3),
        Err(EstimateError::PeakBelowAverage { peak_percent: 3 }),
        "the factor is in percent: 3x is 300, and 3 is refused rather than read as 3x"
    );
}

#[test]
fn huge_inputs_overflow_with_an_error_not_a_wrong_number() {
    assert_eq!(
        average_qps(u64::MAX, u64::MAX),
        Err(EstimateError::Overflow),
        "2^128 / 86 400 does not fit a u64"
    );
    assert_eq!(
        peak_qps(u64::MAX, u64::MAX, 300),
        Err(EstimateError::Overflow)
    );
    assert_eq!(
        EstimateError::Overflow.to_string(),
        "the estimate overflows"
    );
    assert_eq!(
        storage_bytes(u64::MAX, u64::MAX, 10, 3),
        Err(EstimateError::Overflow)
    );
    assert_eq!(
        bandwidth_bits_per_second(u64::MAX, u64::MAX),
        Err(EstimateError::Overflow)
    );
    assert_eq!(
        servers_needed(u64::MAX, 1, 1, Redundancy::N),
        Err(EstimateError::Overflow)
    );
    // Large but representable: u64::MAX requests at 1 per server and 100 % is
    // u64::MAX servers; one spare more does not fit.
    assert_eq!(
        servers_needed(u64::MAX, 1, 100, Redundancy::N),
        Ok(u64::MAX)
    );
    assert_eq!(
        servers_needed(u64::MAX, 1, 100, Redundancy::NPlus1),
        Err(EstimateError::Overflow)
    );
}

#[test]
fn storage_counts_every_copy_over_every_day_of_every_year() {
    // 500 M tweets a day × 300 B = 150 GB/day; × 365 = 54.75 TB/year;
    // × 5 years = 273.75 TB; × 3 copies = 821.25 TB = 821 250 000 000 000 B.
    assert_eq!(
        storage_bytes(500_000_000, 300, 5, 3),
        Ok(821_250_000_000_000)
    );
    // One copy is the data itself: replication 1 is not "one extra".
    assert_eq!(
        storage_bytes(1_000, 1_000, 1, 1),
        Ok(365_000_000),
        "1 000 items × 1 kB × 365 days × 1 year × 1 copy"
    );
    assert_eq!(
        storage_bytes(1_000, 1_000, 1, 3),
        Ok(3 * 365_000_000),
        "replication factor 3 is three copies in all, not the data plus three"
    );
    assert_eq!(
        storage_bytes(1_000, 1_000, 0, 3),
        Ok(0),
        "zero years store nothing"
    );
}

#[test]
fn replication_zero_is_refused() {
    let err = storage_bytes(1, 1, 1, 0).unwrap_err();
    assert_eq!(err, EstimateError::ZeroReplication);
    assert_eq!(
        err.to_string(),
        "replication factor must be at least 1 (the data itself)"
    );
}

#[test]
fn decimal_and_binary_units_differ_and_the_difference_grows() {
    use ByteUnit::*;
    assert_eq!(Byte.bytes(), 1);
    assert_eq!(Kilobyte.bytes(), 1_000);
    assert_eq!(Megabyte.bytes(), 1_000_000);
    assert_eq!(Gigabyte.bytes(), 1_000_000_000);
    assert_eq!(Terabyte.bytes(), 1_000_000_000_000);
    assert_eq!(Petabyte.bytes(), 1_000_000_000_000_000);
    assert_eq!(Kibibyte.bytes(), 1_024, "KiB is 2^10, KB is 10^3");
    assert_eq!(Mebibyte.bytes(), 1_048_576);
    assert_eq!(Gibibyte.bytes(), 1_073_741_824);
    assert_eq!(Tebibyte.bytes(), 1_099_511_627_776);
    assert_eq!(Pebibyte.bytes(), 1_125_899_906_842_624);
    // The gap: 2.4 % at kilo, 7.4 % at giga, 12.6 % at peta.
}

#[test]
fn in_units_rounds_up_to_whole_units() {
    use ByteUnit::*;
    // A "1 TB" disk: 10^12 / 2^30 = 931.32 GiB -> 932 GiB to hold it all.
    assert_eq!(
        in_units(Terabyte.bytes(), Gibibyte),
        932,
        "10^12 bytes are 931.3 GiB (a GiB is 2^30 bytes, not 10^9)"
    );
    assert_eq!(in_units(Terabyte.bytes(), Gigabyte), 1_000);
    // 1 TiB = 1 099 511 627 776 B = 1 099.51 GB -> 1 100 GB.
    assert_eq!(in_units(Tebibyte.bytes(), Gigabyte), 1_100);
    assert_eq!(
        in_units(Tebibyte.bytes(), Terabyte),
        2,
        "1.0995 TB needs 2 whole TB"
    );
    assert_eq!(
        in_units(1, Petabyte),
        1,
        "one byte still needs a whole unit"
    );
    assert_eq!(in_units(0, Kibibyte), 0);
    assert_eq!(
        in_units(2_048, Kibibyte),
        2,
        "exact multiples do not round up"
    );
    // The storage example above in PB and PiB:
    // 821.25 × 10^12 B = 0.82 PB -> 1 PB; = 0.73 PiB -> 1 PiB; = 747 TiB -> 747.
    let stored = storage_bytes(500_000_000, 300, 5, 3).unwrap();
    assert_eq!(in_units(stored, Terabyte), 822);
    // 821 250 000 000 000 / 1 099 511 627 776 = 746.92 -> 747.
    assert_eq!(in_units(stored, Tebibyte), 747);
}

#[test]
fn bandwidth_is_in_bits_per_second() {
    // 10 000 requests/s × 100 kB = 10^9 B/s = 1 GB/s = 8 Gbit/s:
    // a 1 Gbit/s NIC is 8x too small, a 10 Gbit/s one runs at 80 %.
    let bits = bandwidth_bits_per_second(10_000, 100_000).unwrap();
    assert_eq!(
        bits, 8_000_000_000,
        "bandwidth is reported in bits per second (bytes × 8), as links are sold"
    );
    assert!(bits > 1_000_000_000, "it does not fit a 1 Gbit/s link");
    assert_eq!(bandwidth_bits_per_second(0, 100_000), Ok(0));
    assert_eq!(bandwidth_bits_per_second(1, 1), Ok(8));
}

#[test]
fn servers_are_rounded_up_never_to_nearest() {
    // 6 945 peak / (500 per server × 70 %) = 694 500 / 35 000 = 19.84 -> 20.
    assert_eq!(servers_needed(6_945, 500, 70, Redundancy::N), Ok(20));
    // 11 200 / (1 000 × 100 %) = 11.2: round() says 11, and 11 servers would
    // each run at 101.8 %. ceil says 12.
    assert_eq!(
        servers_needed(11_200, 1_000, 100, Redundancy::N),
        Ok(12),
        "11.2 servers is 12: round up, or every server runs above its capacity"
    );
    // Exactly divisible: 10 000 / (1 000 × 50 %) = 20.
    assert_eq!(servers_needed(10_000, 1_000, 50, Redundancy::N), Ok(20));
    // Utilisation divides the capacity: at 80 %, 8 000 / (1 000 × 0.8) = 10,
    // not 8 000 × 0.8 / 1 000 = 6.4 -> 7.
    assert_eq!(
        servers_needed(8_000, 1_000, 80, Redundancy::N),
        Ok(10),
        "a target utilisation below 100 % needs MORE servers: usable capacity is \
         qps_per_server × utilisation"
    );
    // The float trap: 5 400 / 1 000 / 0.6 = 9.000000000000002 in f64, whose
    // ceil is 10. In integers: 540 000 / 60 000 = 9 exactly.
    assert_eq!(
        servers_needed(5_400, 1_000, 60, Redundancy::N),
        Ok(9),
        "5 400 / (1 000 × 60 %) is exactly 9; floating point makes it 9.000000000000002 \
         and ceil makes that 10"
    );
}

#[test]
fn spares_are_added_after_rounding() {
    // 19.84 -> 20, then N+1 = 21 and N+2 = 22.
    assert_eq!(servers_needed(6_945, 500, 70, Redundancy::NPlus1), Ok(21));
    assert_eq!(
        servers_needed(6_945, 500, 70, Redundancy::NPlus2),
        Ok(22),
        "N+2 is two spare servers, not twice N"
    );
    assert_eq!(Redundancy::N.spares(), 0);
    assert_eq!(Redundancy::NPlus1.spares(), 1);
    assert_eq!(Redundancy::NPlus2.spares(), 2);
}

#[test]
fn no_traffic_still_needs_one_server() {
    assert_eq!(servers_needed(0, 1_000, 70, Redundancy::N), Ok(1));
    assert_eq!(
        servers_needed(0, 1_000, 70, Redundancy::NPlus1),
        Ok(2),
        "N is at least 1, then the spares: a deployed service runs somewhere"
    );
    assert_eq!(servers_needed(1, 1_000, 70, Redundancy::N), Ok(1));
}

#[test]
fn utilisation_outside_1_to_100_percent_is_refused() {
    for bad in [0, 101, 150, u32::MAX] {
        let err = servers_needed(1_000, 100, bad, Redundancy::N).unwrap_err();
        assert_eq!(err, EstimateError::UtilisationOutOfRange { percent: bad });
        assert_eq!(
            err.to_string(),
            format!("target utilisation must be 1..=100 percent, got {bad}")
        );
    }
    assert_eq!(
        servers_needed(1_000, 0, 0, Redundancy::N),
        Err(EstimateError::UtilisationOutOfRange { percent: 0 }),
        "utilisation is checked before capacity"
    );
    assert_eq!(servers_needed(1_000, 100, 1, Redundancy::N), Ok(1_000));
    assert_eq!(servers_needed(1_000, 100, 100, Redundancy::N), Ok(10));
}

#[test]
fn a_server_of_zero_capacity_is_refused() {
    let err = servers_needed(1_000, 0, 70, Redundancy::N).unwrap_err();
    assert_eq!(err, EstimateError::ZeroCapacity);
    assert_eq!(
        err.to_string(),
        "a server must handle at least 1 request per second"
    );
}

#[test]
fn a_worked_example_end_to_end() {
    // A photo service: 50 M daily users, 30 requests each, peak 250 %.
    // Requests: 1.5 × 10^9 / day; peak = 1.5e9 × 250 / 8 640 000 = 43 402.7 -> 43 403/s.
    let peak = peak_qps(50_000_000, 30, 250).unwrap();
    assert_eq!(peak, 43_403);
    // Web tier: 2 000/s per server at 60 %: 4 340 300 / 120 000 = 36.17 -> 37, N+2 = 39.
    assert_eq!(servers_needed(peak, 2_000, 60, Redundancy::NPlus2), Ok(39));
    // Responses of 200 kB at peak: 43 403 × 200 000 × 8 = 69 444 800 000 bit/s
    // = 69.4 Gbit/s: seven 10 Gbit/s links at full speed, more at a sane load.
    assert_eq!(bandwidth_bits_per_second(peak, 200_000), Ok(69_444_800_000));
    // Uploads: 2 M photos/day × 2 MB, 10 years, 3 copies:
    // 4 × 10^12 B/day × 365 × 10 × 3 = 43.8 × 10^15 B = 43.8 PB = 38.9 PiB.
    let stored = storage_bytes(2_000_000, 2_000_000, 10, 3).unwrap();
    assert_eq!(stored, 43_800_000_000_000_000);
    assert_eq!(in_units(stored, ByteUnit::Petabyte), 44);
    // 43.8e15 / 2^50 = 38.90 -> 39.
    assert_eq!(in_units(stored, ByteUnit::Pebibyte), 39);
}

proptest! {
    // A fixed seed, so a pass or a failure repeats; failures are not written
    // to a regressions file beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 512,
        rng_seed: RngSeed::Fixed(11),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn servers_needed_is_the_fewest_that_carry_the_peak(
        peak in 0u64..10_000_000,
        per_server in 1u64..100_000,
        utilisation in 1u32..=100,
    ) {
        let n = servers_needed(peak, per_server, utilisation, Redundancy::N).unwrap();
        let usable = |servers: u64| u128::from(servers) * u128::from(per_server) * u128::from(utilisation);
        let demand = u128::from(peak) * 100;
        prop_assert!(n >= 1);
        prop_assert!(usable(n) >= demand, "{n} servers cannot carry the peak at the target");
        prop_assert!(
            n == 1 || usable(n - 1) < demand,
            "{} servers would already do: rounded up too far", n - 1
        );
        prop_assert_eq!(
            servers_needed(peak, per_server, utilisation, Redundancy::NPlus2).unwrap(),
            n + 2
        );
    }

    #[test]
    fn peak_qps_is_the_smallest_rate_covering_the_peak(
        users in 0u64..1_000_000_000,
        per_user in 0u64..1_000,
        peak_percent in 100u32..1_000,
    ) {
        let q = peak_qps(users, per_user, peak_percent).unwrap();
        let demand = u128::from(users) * u128::from(per_user) * u128::from(peak_percent);
        let capacity = |qps: u64| u128::from(qps) * 86_400 * 100;
        prop_assert!(capacity(q) >= demand);
        prop_assert!(q == 0 || capacity(q - 1) < demand);
    }
}
