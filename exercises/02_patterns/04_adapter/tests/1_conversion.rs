//! Stage 1: dollars to cents, exactly. `(dollars * 100.0) as i64` truncates
//! 19.99 to 1998 cents; these tests are built from the amounts where it does.

use adapter::{AmountError, MAX_CENTS, dollars_to_cents};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

#[test]
fn amounts_that_truncation_gets_wrong() {
    // Each of these times 100.0 lands just *below* the integer:
    // 19.99 * 100.0 == 1998.9999999999998, so `as i64` gives 1998.
    for (dollars, cents) in [
        (19.99, 1999),
        (0.29, 29),
        (1.15, 115),
        (4.35, 435),
        (0.57, 57),
        (631_702_169_659.2, 63_170_216_965_920),
        (154_721_692_870.77, 15_472_169_287_077),
    ] {
        assert_eq!(
            dollars_to_cents(dollars),
            Ok(cents),
            "{dollars} dollars is {cents} cents; {dollars} * 100.0 = {:?}, so truncating \
             with `as i64` loses a cent. Round to the nearest cent instead.",
            dollars * 100.0
        );
    }
}

#[test]
fn ordinary_amounts() {
    for (dollars, cents) in [
        (0.01, 1),
        (0.07, 7),
        (0.1, 10),
        (1.0, 100),
        (10.1, 1010),
        (100.0, 10_000),
        (999_999_999.99, 99_999_999_999),
    ] {
        assert_eq!(dollars_to_cents(dollars), Ok(cents), "{dollars} dollars");
    }
}

#[test]
fn zero_and_negative_amounts_are_refused() {
    for dollars in [0.0, -0.0, -0.01, -19.99, -1e12, f64::MIN] {
        assert_eq!(
            dollars_to_cents(dollars),
            Err(AmountError::NotPositive),
            "{dollars:?}: a charge must be positive; the legacy gateway treats a \
             negative charge as a refund"
        );
    }
}

#[test]
fn nan_and_infinities_are_refused() {
    // `f64::NAN as i64` is 0 and `f64::INFINITY as i64` is i64::MAX: casts never fail.
    for dollars in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            dollars_to_cents(dollars),
            Err(AmountError::NotFinite),
            "{dollars:?}"
        );
    }
}

#[test]
fn the_largest_amount_is_one_trillion_dollars() {
    assert_eq!(MAX_CENTS, 100_000_000_000_000);
    assert_eq!(
        dollars_to_cents(1e12),
        Ok(MAX_CENTS),
        "exactly the maximum is allowed"
    );
    assert_eq!(dollars_to_cents(999_999_999_999.99), Ok(MAX_CENTS - 1));
    for dollars in [1_000_000_000_000.01, 1e13, 9.3e16, 1e300, f64::MAX] {
        assert_eq!(
            dollars_to_cents(dollars),
            Err(AmountError::TooLarge),
            "{dollars:e} dollars is over the limit; `as i64` would saturate it to \
             i64::MAX cents and charge that instead"
        );
    }
}

#[test]
fn fractions_of_a_cent_are_refused_not_rounded() {
    for dollars in [
        1.005,
        2.675,
        0.001,
        0.004,
        0.005,
        19.999,
        0.1 + 0.2,
        5e-324,
        1e-9,
    ] {
        assert_eq!(
            dollars_to_cents(dollars),
            Err(AmountError::FractionOfCent),
            "{dollars:?} is not a whole number of cents; rounding it would charge an \
             amount nobody asked for"
        );
    }
}

#[test]
fn error_checks_come_in_the_documented_order() {
    assert_eq!(
        dollars_to_cents(f64::NEG_INFINITY),
        Err(AmountError::NotFinite)
    );
    assert_eq!(dollars_to_cents(-0.001), Err(AmountError::NotPositive));
    assert_eq!(dollars_to_cents(1e20 + 0.5), Err(AmountError::TooLarge));
    assert_eq!(
        dollars_to_cents(1_000_000_000_000.007),
        Err(AmountError::TooLarge),
        "over the limit *and* a fraction of a cent: TooLarge comes before FractionOfCent"
    );
    assert_eq!(
        dollars_to_cents(1_000_000_000_000.004),
        Err(AmountError::TooLarge),
        "0.4 cents over the limit rounds down to exactly the limit: compare before rounding, \
         or this amount is called a fraction of a cent although it is too large first"
    );
}

#[test]
fn amount_errors_have_messages() {
    let all = [
        AmountError::NotFinite,
        AmountError::NotPositive,
        AmountError::TooLarge,
        AmountError::FractionOfCent,
    ];
    for (i, a) in all.iter().enumerate() {
        assert!(!a.to_string().is_empty());
        for b in &all[i + 1..] {
            assert_ne!(a.to_string(), b.to_string());
        }
    }
}

proptest! {
    // A fixed seed: the same cases on every run, so a pass or a failure repeats.
    #![proptest_config(ProptestConfig {
        cases: 512,
        rng_seed: RngSeed::Fixed(4),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_whole_number_of_cents_converts_exactly(
        cents in prop_oneof![1i64..10_000, 1i64..=MAX_CENTS]
    ) {
        let dollars = cents as f64 / 100.0;
        prop_assert_eq!(dollars_to_cents(dollars), Ok(cents), "{} dollars", dollars);
    }

    #[test]
    fn amounts_between_cents_are_refused(cents in 0i64..1_000_000, tenth_of_a_mill in 1u32..100) {
        // cents + a fraction in (0, 1) of a cent, far from both neighbours.
        let dollars = (cents as f64 + f64::from(tenth_of_a_mill) / 100.0) / 100.0;
        prop_assert_eq!(dollars_to_cents(dollars), Err(AmountError::FractionOfCent), "{}", dollars);
    }
}
