//! Stage 3: the Wing–Gong search with Lowe's memoisation. Same verdicts as
//! the definition, on the textbook histories and on random ones with
//! timeouts; and counted efficiency: with the memo, ten concurrent writes
//! and a read cost a few thousand steps, where a search without it tries up
//! to 10! = 3,628,800 orders. A budget too small for the search answers
//! Unknown, never Ok, and the steps reported are the `Spec::step` calls
//! made.

use consistency::*;

use crate::common::{self, CAS, Counting, DONE, concurrent_writes, decided, done, textbook, val};

/// The step budget the memoised search must meet on ten concurrent writes
/// and one read. About 10 * 2^9 nodes exist; a search without memo visits
/// orders, not sets, and needs hundreds of times more.
const MEMO_BUDGET: u64 = 60_000;

#[test]
fn textbook_histories_get_their_textbook_verdicts() {
    for case in textbook() {
        let checked = check_linearizable(&CAS, &case.history, 100_000);
        assert_eq!(
            decided(&checked.verdict),
            Some(case.linearizable),
            "search on \"{}\": expected {}, got {:?}: {}",
            case.name,
            if case.linearizable {
                "linearizable"
            } else {
                "not linearizable"
            },
            checked.verdict,
            case.why
        );
    }
}

#[test]
fn a_plain_register_is_checked_the_same_way() {
    let mut h = History::new();
    done(&mut h, 0, RegisterOp::Write(1), DONE);
    done(&mut h, 1, RegisterOp::Read, val(0));
    let checked = check_linearizable(&Register { init: 0 }, &h, 1_000);
    assert_eq!(
        decided(&checked.verdict),
        Some(false),
        "a stale read of a plain register: {:?}",
        checked.verdict
    );
}

#[test]
fn memoisation_keeps_ten_concurrent_writes_cheap() {
    for (read, linearizable) in [(1, true), (10, true), (99, false)] {
        let h = concurrent_writes(10, read);
        let spec = Counting::new(CAS);
        let checked = check_linearizable(&spec, &h, MEMO_BUDGET);
        assert_eq!(
            decided(&checked.verdict),
            Some(linearizable),
            "ten concurrent writes, then a read of {read}, within {MEMO_BUDGET} steps: got \
             {:?} after {} calls of Spec::step. Without a memo of (placed set, state) the \
             search retries every order of the writes (10! of them); with it, every set \
             once",
            checked.verdict,
            spec.calls()
        );
    }
}

#[test]
fn steps_reported_are_the_spec_calls_made() {
    for h in [concurrent_writes(6, 1), concurrent_writes(6, 99)] {
        let spec = Counting::new(CAS);
        let checked = check_linearizable(&spec, &h, 1_000_000);
        assert_eq!(
            checked.steps,
            spec.calls(),
            "Checked::steps must count every call of Spec::step"
        );
        assert!(checked.steps > 0);
    }
}

#[test]
fn a_budget_too_small_answers_unknown_never_ok() {
    for read in [1, 99] {
        let h = concurrent_writes(8, read);
        let spec = Counting::new(CAS);
        let checked = check_linearizable(&spec, &h, 30);
        let Verdict::Unknown { reason } = &checked.verdict else {
            panic!(
                "30 steps cannot decide eight concurrent writes and a read of {read}; got {:?}. \
                 Running out of budget must answer Unknown: a silent Ok would pass a broken \
                 store",
                checked.verdict
            );
        };
        assert!(!reason.is_empty(), "Unknown says why");
        assert!(
            spec.calls() <= 30,
            "the budget bounds the calls of Spec::step: {} calls with a budget of 30",
            spec.calls()
        );
    }
}

#[test]
fn a_failed_search_is_also_bounded_by_the_budget() {
    let h = concurrent_writes(7, 99);
    let spec = Counting::new(CAS);
    let checked = check_linearizable(&spec, &h, 500);
    assert!(
        matches!(checked.verdict, Verdict::Unknown { .. }),
        "{:?}",
        checked.verdict
    );
    assert!(spec.calls() <= 500, "{} calls, budget 500", spec.calls());
}

#[test]
fn indefinite_operations_do_not_blow_up_a_correct_history() {
    // Twelve clients each write once and time out; then reads see some of
    // them. Each write may or may not have happened.
    let mut h = History::new();
    for c in 0..12 {
        let id = h.invoke(c, CasOp::Write(c as u64 + 1));
        h.unknown(id);
    }
    for v in [3, 5, 5, 9] {
        done(&mut h, 20, CasOp::Read, val(v));
    }
    let checked = check_linearizable(&CAS, &h, MEMO_BUDGET);
    assert_eq!(
        decided(&checked.verdict),
        Some(true),
        "timed-out writes 3, 5 and 9 landed in that order: {:?}",
        checked.verdict
    );
}

#[test]
fn agrees_with_an_independent_checker_on_random_histories() {
    let mut seen = [0usize; 2];
    for seed in 0..300 {
        let clients = 2 + (seed % 4) as usize;
        let ops = 6 + (seed % 15) as usize;
        let h = common::random_cas(seed, clients, ops, 0.08, seed % 3 != 0);
        let (expected, _) = common::oracle_linearizable_cas(&h, 5_000_000);
        let expected = expected.expect("the oracle decides these histories");
        seen[usize::from(expected)] += 1;
        let checked = check_linearizable(&CAS, &h, 5_000_000);
        assert_eq!(
            decided(&checked.verdict),
            Some(expected),
            "seed {seed} ({} operations): got {:?}, the independent checker says {}",
            h.len(),
            checked.verdict,
            if expected {
                "linearizable"
            } else {
                "not linearizable"
            }
        );
    }
    assert!(
        seen.iter().all(|&n| n > 50),
        "both verdicts appear: {seen:?}"
    );
}
