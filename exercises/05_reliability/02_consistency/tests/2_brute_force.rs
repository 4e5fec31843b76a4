//! Stage 2: linearizability by its definition. The brute-force checker
//! tries every order, so it is slow but easy to trust: it must give the
//! textbook verdicts (stale read, read from the future, lost update, a
//! crashed write seen later) and agree with an independent checker on a few
//! hundred random small histories.

use consistency::*;

use crate::common::{self, CAS, DONE, done, textbook, val, w};

#[test]
fn textbook_histories_get_their_textbook_verdicts() {
    for case in textbook() {
        assert_eq!(
            check_brute_force(&CAS, &case.history),
            case.linearizable,
            "brute force on \"{}\": expected {}: {}",
            case.name,
            if case.linearizable {
                "linearizable"
            } else {
                "not linearizable"
            },
            case.why
        );
    }
}

#[test]
fn a_plain_register_is_checked_the_same_way() {
    let mut h = History::new();
    done(&mut h, 0, RegisterOp::Write(1), DONE);
    done(&mut h, 1, RegisterOp::Read, val(0));
    assert!(
        !check_brute_force(&Register { init: 0 }, &h),
        "a stale read of a plain register is not linearizable"
    );
    let mut h = History::new();
    done(&mut h, 1, RegisterOp::Read, val(5));
    assert!(
        check_brute_force(&Register { init: 5 }, &h),
        "a read of the initial value is linearizable"
    );
}

#[test]
fn a_write_can_be_read_only_between_its_invocation_and_the_next_overwrite() {
    // Client 0 writes 1 then 2; client 1's read overlaps only the second
    // write, so it may return 1 or 2 but not 0.
    for (seen, ok) in [(1, true), (2, true), (0, false)] {
        let mut h = History::new();
        done(&mut h, 0, w(1), DONE);
        let w2 = h.invoke(0, w(2));
        done(&mut h, 1, CasOp::Read, val(seen));
        h.ok(w2, DONE);
        assert_eq!(
            check_brute_force(&CAS, &h),
            ok,
            "a read concurrent with write(2), after write(1) completed, returning {seen}"
        );
    }
}

#[test]
fn failed_operations_take_no_effect_and_need_no_place() {
    let mut h = History::new();
    let a = h.invoke(0, CasOp::Cas { expect: 0, new: 1 });
    h.fail(a);
    done(&mut h, 1, CasOp::Read, val(0));
    assert!(
        check_brute_force(&CAS, &h),
        "a refused cas changed nothing: reading 0 after it is linearizable"
    );
}

#[test]
fn an_indefinite_cas_takes_effect_only_if_it_finds_its_value() {
    let mut h = History::new();
    let a = h.invoke(0, CasOp::Cas { expect: 5, new: 1 });
    h.unknown(a);
    done(&mut h, 1, CasOp::Read, val(1));
    assert!(
        !check_brute_force(&CAS, &h),
        "the register never held 5, so the timed-out cas(5,1) cannot have written 1"
    );
}

#[test]
fn agrees_with_an_independent_checker_on_random_small_histories() {
    let mut seen = [0usize; 2];
    for seed in 0..300 {
        let clients = 2 + (seed % 2) as usize;
        let h = common::random_cas(seed, clients, 6, 0.3, seed % 3 != 0);
        let (expected, _) = common::oracle_linearizable_cas(&h, 1_000_000);
        let expected = expected.expect("the oracle decides small histories");
        seen[usize::from(expected)] += 1;
        assert_eq!(
            check_brute_force(&CAS, &h),
            expected,
            "seed {seed}: brute force says {}, the independent checker {expected}, on:\n{:#?}",
            !expected,
            h.ops()
        );
    }
    assert!(
        seen.iter().all(|&n| n > 50),
        "both verdicts appear: {seen:?}"
    );
}
