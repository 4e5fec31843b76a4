//! Stage 3: properties of `apply_raise` over many inputs, checked against a
//! model that computes the exact rational result.

use proptest::prelude::*;
use structs::{Cents, RaiseError, apply_raise};

/// The model: the exact raise is `salary * bp / 10_000`; the paid raise is the
/// whole cent nearest to it, ties to the even one.
fn model(salary: u64, bp: i32) -> Result<u64, RaiseError> {
    if bp < 0 {
        return Err(RaiseError::Negative { basis_points: bp });
    }
    let exact_times_10000 = u128::from(salary) * bp as u128;
    let floor = exact_times_10000 / 10_000;
    let twice_rem = 2 * (exact_times_10000 - floor * 10_000);
    let raise = match twice_rem.cmp(&10_000) {
        std::cmp::Ordering::Less => floor,
        std::cmp::Ordering::Greater => floor + 1,
        std::cmp::Ordering::Equal => floor + (floor & 1),
    };
    u64::try_from(u128::from(salary) + raise).map_err(|_| RaiseError::Overflow)
}

fn salary() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..1_000,
        0u64..100_000_000,
        any::<u64>(),
        (u64::MAX - 1_000_000)..=u64::MAX,
    ]
}

fn basis_points() -> impl Strategy<Value = i32> {
    prop_oneof![0i32..=20, 0i32..=10_000, any::<i32>(), -5i32..5]
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(201),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn matches_the_exact_model(s in salary(), bp in basis_points()) {
        prop_assert_eq!(apply_raise(Cents(s), bp).map(|c| c.0), model(s, bp),
            "salary {} cents, raise {} basis points", s, bp);
    }

    #[test]
    fn paid_raise_is_within_half_a_cent(s in 0u64..1_000_000_000_000, bp in 0i32..=100_000) {
        let new = apply_raise(Cents(s), bp).unwrap().0;
        let exact_times_10000 = i128::from(s) * i128::from(bp);
        let paid_times_10000 = i128::from(new - s) * 10_000;
        prop_assert!((paid_times_10000 - exact_times_10000).abs() <= 5_000,
            "rounding may move the raise by at most half a cent");
    }

    #[test]
    fn a_bigger_raise_never_pays_less(s in 0u64..u64::MAX / 4, a in 0i32..=10_000, b in 0i32..=10_000) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let low = apply_raise(Cents(s), lo).unwrap();
        let high = apply_raise(Cents(s), hi).unwrap();
        prop_assert!(low <= high, "{} bp gave {:?} but {} bp gave {:?}", lo, low, hi, high);
        prop_assert!(low >= Cents(s), "a raise never lowers the salary");
    }
}
