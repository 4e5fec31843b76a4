//! Stage 1: money as integer cents, and a raise with a stated rounding rule.
//!
//! The rule under test: the raise amount `salary * basis_points / 10_000` is
//! rounded to a whole cent, half to even, then added to the salary.

use structs::{Cents, RaiseError, apply_raise};

fn raise(salary: u64, basis_points: i32) -> Result<u64, RaiseError> {
    apply_raise(Cents(salary), basis_points).map(|c| c.0)
}

#[test]
fn cents_display_has_two_digit_cents() {
    assert_eq!(Cents(0).to_string(), "$0.00");
    assert_eq!(Cents(5).to_string(), "$0.05", "5 cents is $0.05, not $0.5");
    assert_eq!(Cents(50).to_string(), "$0.50");
    assert_eq!(Cents(100).to_string(), "$1.00");
    assert_eq!(Cents(123_456).to_string(), "$1234.56");
    assert_eq!(Cents(5_200_000).to_string(), "$52000.00");
    assert_eq!(
        Cents(u64::MAX).to_string(),
        "$184467440737095516.15",
        "formatting must be exact integer arithmetic even at u64::MAX (a float would round it)"
    );
}

#[test]
fn cents_from_dollars_checks_overflow() {
    assert_eq!(Cents::from_dollars(0), Some(Cents::ZERO));
    assert_eq!(Cents::from_dollars(52_000), Some(Cents(5_200_000)));
    assert_eq!(
        Cents::from_dollars(u64::MAX / 100),
        Some(Cents(u64::MAX / 100 * 100))
    );
    assert_eq!(
        Cents::from_dollars(u64::MAX / 100 + 1),
        None,
        "dollars * 100 overflows u64 here: return None, do not wrap or panic"
    );
    assert_eq!(Cents::from_dollars(u64::MAX), None);
}

#[test]
fn zero_raise_changes_nothing() {
    for salary in [0, 1, 99, 5_200_000, u64::MAX] {
        assert_eq!(
            raise(salary, 0),
            Ok(salary),
            "0 % of {salary} cents must change nothing"
        );
    }
}

#[test]
fn ordinary_raises() {
    assert_eq!(
        raise(5_200_000, 350),
        Ok(5_382_000),
        "$52000 + 3.5 % = $53820"
    );
    assert_eq!(raise(10_000, 10_000), Ok(20_000), "100 % doubles");
    assert_eq!(raise(0, 10_000), Ok(0), "any raise of nothing is nothing");
    assert_eq!(
        raise(12_345, 250),
        Ok(12_654),
        "2.5 % of 12345 is 308.625 cents, rounds to 309"
    );
}

#[test]
fn half_cents_round_to_even() {
    // 50 % of an odd number of cents is exactly half a cent off a whole cent.
    assert_eq!(
        raise(1, 5_000),
        Ok(1),
        "raise of 0.5 cent rounds half to even, to 0 (half-up, or rounding the new \
         salary 1.5 instead of the raise, would give 2)"
    );
    assert_eq!(
        raise(3, 5_000),
        Ok(5),
        "raise of 1.5 cents rounds half to even, to 2 (truncation would give 1)"
    );
    assert_eq!(
        raise(5, 5_000),
        Ok(7),
        "raise of 2.5 cents rounds to 2 (half-up would give 3)"
    );
    assert_eq!(raise(7, 5_000), Ok(11), "raise of 3.5 cents rounds to 4");
    assert_eq!(
        raise(5_000, 1),
        Ok(5_000),
        "0.01 % of 5000 is 0.5 cent: to 0"
    );
    assert_eq!(
        raise(15_000, 1),
        Ok(15_002),
        "0.01 % of 15000 is 1.5 cents: to 2"
    );
    assert_eq!(
        raise(25_000, 1),
        Ok(25_002),
        "0.01 % of 25000 is 2.5 cents: to 2"
    );
}

#[test]
fn not_quite_half_rounds_to_nearest() {
    assert_eq!(raise(4_999, 1), Ok(4_999), "0.4999 cent rounds down");
    assert_eq!(
        raise(5_001, 1),
        Ok(5_002),
        "0.5001 cent rounds up (truncation would not)"
    );
    assert_eq!(raise(9_999, 1), Ok(10_000), "0.9999 cent rounds up to 1");
    assert_eq!(raise(100, 1), Ok(100), "0.01 cent rounds down to 0");
}

#[test]
fn half_to_even_is_unbiased() {
    // 50 % raises on 1, 3, 5, ... cents: every raise is a tie. Half-up would pay
    // half a cent too much every time; half-to-even errs up and down in turn.
    let mut error_in_half_cents: i64 = 0;
    for salary in (1..=4_001u64).step_by(2) {
        let new = raise(salary, 5_000).unwrap();
        let paid_raise = (new - salary) as i64;
        error_in_half_cents += 2 * paid_raise - salary as i64;
    }
    assert!(
        error_in_half_cents.abs() <= 1,
        "2001 ties should round up and down in turn, but the total error is \
         {error_in_half_cents} half-cents: ties are not rounded half to even"
    );
}

#[test]
fn negative_raise_is_rejected() {
    assert_eq!(
        raise(5_200_000, -1),
        Err(RaiseError::Negative { basis_points: -1 })
    );
    assert_eq!(
        raise(5_200_000, i32::MIN),
        Err(RaiseError::Negative {
            basis_points: i32::MIN
        })
    );
    assert_eq!(
        raise(0, -500),
        Err(RaiseError::Negative { basis_points: -500 }),
        "a negative raise is refused even when it would change nothing"
    );
    let text = RaiseError::Negative { basis_points: -250 }.to_string();
    assert!(
        text.contains("-250"),
        "the message should name the rejected amount: {text:?}"
    );
}

#[test]
fn huge_raises_are_exact() {
    assert_eq!(
        raise(1, i32::MAX),
        Ok(214_749),
        "214748.3647 cents rounds to 214748, plus 1"
    );
    assert_eq!(
        raise(u64::MAX / 4, 10_000),
        Ok(u64::MAX / 4 * 2),
        "salary * basis points overflows u64 even though the result fits: widen to u128"
    );
    assert_eq!(
        raise(u64::MAX / 2, 10_000),
        Ok(u64::MAX - 1),
        "the largest salary that can be doubled"
    );
}

#[test]
fn big_salaries_are_exact_not_floats() {
    // 2^53 + 1 is the first integer an f64 cannot hold.
    let salary = (1u64 << 53) + 1;
    assert_eq!(
        raise(salary, 0),
        Ok(salary),
        "a float round-trip would lose the last cent"
    );
    assert_eq!(
        raise(salary, 10_000),
        Ok(2 * salary),
        "a float round-trip would lose cents"
    );
}

#[test]
fn overflow_is_an_error_not_a_wrap_or_panic() {
    assert_eq!(
        raise(u64::MAX / 2 + 1, 10_000),
        Err(RaiseError::Overflow),
        "doubling 2^63 cents does not fit in u64"
    );
    assert_eq!(raise(u64::MAX, 1), Err(RaiseError::Overflow));
    assert_eq!(raise(u64::MAX, i32::MAX), Err(RaiseError::Overflow));
    assert!(!RaiseError::Overflow.to_string().is_empty());
}
