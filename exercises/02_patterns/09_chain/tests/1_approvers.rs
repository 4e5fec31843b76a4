//! Stage 1: money, valid claims, and one approver's decision.

use chain::{
    Approver, CFO_LIMIT, Cents, DIRECTOR_LIMIT, Decision, Expense, ExpenseError, LimitApprover,
    MANAGER_LIMIT,
};

fn claim(employee: &str, cents: i64) -> Expense {
    Expense::new(employee, Cents(cents), "travel").expect("a valid claim")
}

#[test]
fn money_is_integer_cents() {
    assert_eq!(Cents::from_dollars(12), Cents(1200));
    assert_eq!(Cents::from_dollars(0), Cents(0));
    assert_eq!(Cents::from_dollars(-3), Cents(-300));
    assert_eq!(
        MANAGER_LIMIT,
        Cents(100_000),
        "a manager may approve up to $1,000.00"
    );
    assert_eq!(
        DIRECTOR_LIMIT,
        Cents(1_000_000),
        "a director up to $10,000.00"
    );
    assert_eq!(CFO_LIMIT, Cents(10_000_000), "the CFO up to $100,000.00");
    assert!(Cents(1) > Cents(0) && Cents(-1) < Cents(0));
}

#[test]
#[should_panic(expected = "overflow")]
fn dollars_that_overflow_are_refused_not_wrapped() {
    let _ = Cents::from_dollars(i64::MAX / 10);
}

#[test]
#[should_panic(expected = "overflow")]
fn negative_dollars_that_overflow_are_refused_too() {
    // ±92 million billion dollars: the bound is on both sides.
    let _ = Cents::from_dollars(i64::MIN / 10);
}

#[test]
fn the_largest_dollar_amounts_that_fit_convert() {
    assert_eq!(
        Cents::from_dollars(i64::MAX / 100),
        Cents(i64::MAX / 100 * 100),
        "the largest whole-dollar amount that fits in i64 cents must not be refused"
    );
    assert_eq!(
        Cents::from_dollars(i64::MIN / 100),
        Cents(i64::MIN / 100 * 100)
    );
}

#[test]
fn money_displays_as_dollars_and_cents() {
    assert_eq!(Cents(123_456).to_string(), "$1234.56");
    assert_eq!(Cents(5).to_string(), "$0.05");
    assert_eq!(Cents(0).to_string(), "$0.00");
    assert_eq!(Cents(100).to_string(), "$1.00");
    assert_eq!(Cents(-150).to_string(), "-$1.50");
    assert_eq!(
        Cents(-5).to_string(),
        "-$0.05",
        "under a dollar the sign still shows: it belongs to the amount, not to the dollars"
    );
    assert_eq!(
        Cents(i64::MIN).to_string(),
        "-$92233720368547758.08",
        "the most negative amount must not overflow when negated"
    );
}

#[test]
fn a_claim_must_be_for_a_positive_amount() {
    assert_eq!(
        Expense::new("Ann", Cents(0), "nothing"),
        Err(ExpenseError::NonPositiveAmount(Cents(0))),
        "a zero claim must be refused before any approver sees it"
    );
    assert_eq!(
        Expense::new("Ann", Cents(-1), "refund?"),
        Err(ExpenseError::NonPositiveAmount(Cents(-1))),
        "a negative claim must be refused: approving it would pay the company"
    );
    assert_eq!(
        Expense::new("Ann", Cents(i64::MIN), "x"),
        Err(ExpenseError::NonPositiveAmount(Cents(i64::MIN)))
    );
    let one_cent = Expense::new("Ann", Cents(1), "a sweet").expect("one cent is a valid claim");
    assert_eq!(one_cent.amount(), Cents(1));
    assert_eq!(one_cent.employee(), "Ann");
    assert_eq!(one_cent.purpose(), "a sweet");
}

#[test]
fn a_claim_needs_an_employee() {
    assert_eq!(
        Expense::new("", Cents(100), "x"),
        Err(ExpenseError::MissingEmployee)
    );
    assert_eq!(
        Expense::new("", Cents(0), "x"),
        Err(ExpenseError::NonPositiveAmount(Cents(0))),
        "the amount is checked first"
    );
}

#[test]
fn errors_explain_themselves() {
    let e = ExpenseError::NonPositiveAmount(Cents(-250));
    assert!(e.to_string().contains("-$2.50"), "{e}");
    assert!(!ExpenseError::MissingEmployee.to_string().is_empty());
}

#[test]
fn an_approver_approves_up_to_and_including_the_limit() {
    let maya = LimitApprover::manager("Maya");
    assert_eq!(maya.name(), "Maya");
    assert_eq!(maya.limit(), MANAGER_LIMIT);
    assert_eq!(maya.review(&claim("Ann", 1)), Decision::Approve);
    assert_eq!(
        maya.review(&claim("Ann", 100_000)),
        Decision::Approve,
        "exactly $1,000.00 is within a manager's limit: the limit is inclusive"
    );
    assert_eq!(
        maya.review(&claim("Ann", 100_001)),
        Decision::Pass,
        "one cent over the limit must be passed on"
    );
}

#[test]
fn the_presets_have_the_documented_limits() {
    let cases = [
        (LimitApprover::manager("M"), MANAGER_LIMIT),
        (LimitApprover::director("D"), DIRECTOR_LIMIT),
        (LimitApprover::cfo("C"), CFO_LIMIT),
        (LimitApprover::new("X", Cents(7)), Cents(7)),
    ];
    for (approver, limit) in cases {
        assert_eq!(approver.limit(), limit);
        assert_eq!(approver.review(&claim("Ann", limit.0)), Decision::Approve);
        assert_eq!(approver.review(&claim("Ann", limit.0 + 1)), Decision::Pass);
    }
    assert_eq!(LimitApprover::cfo("Cleo").name(), "Cleo");
    assert_eq!(LimitApprover::director("Dan").name(), "Dan");
}

#[test]
fn nobody_approves_their_own_claim() {
    let maya = LimitApprover::manager("Maya");
    assert_eq!(
        maya.review(&claim("Maya", 50)),
        Decision::Pass,
        "separation of duties: an approver passes their own claim on, however small"
    );
    assert_eq!(
        maya.review(&claim("Mayan", 50)),
        Decision::Approve,
        "only the exact name"
    );
}
