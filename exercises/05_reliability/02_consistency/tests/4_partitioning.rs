//! Stage 4: checking each key apart. Linearizability is local, so a map's
//! history is checked one key at a time: eight keys, each with six
//! concurrent writes and a read, cost eight small searches with
//! partitioning, and a joint search over every interleaving of the keys
//! exhausts any sane budget. The budget is per key, a violation anywhere
//! wins over an undecided key, and an undecided key is never a pass.

use consistency::*;

use crate::common::{self, Counting, KvHistory, decided, done};

/// Per key, for eight keys of six concurrent writes and a read each.
const PER_KEY_BUDGET: u64 = 5_000;

/// `keys` keys, each with `writes` concurrent puts and, after all of them,
/// a get returning the first put's value (or `bad_key`'s returning 999).
/// Every key's operations overlap every other key's in time.
fn many_keys(keys: u64, writes: u64, bad_key: Option<u64>) -> KvHistory {
    let mut h = History::new();
    let mut ids = Vec::new();
    for k in 0..keys {
        for i in 0..writes {
            let client = (k * writes + i) as ClientId;
            ids.push(h.invoke(client, KvOp::Put(k, 100 * k + i)));
        }
    }
    for id in ids {
        h.ok(id, KvRet::Done);
    }
    for k in 0..keys {
        let seen = if bad_key == Some(k) { 999 } else { 100 * k };
        done(&mut h, 1_000, KvOp::Get(k), KvRet::Value(Some(seen)));
    }
    h
}

#[test]
fn eight_keys_are_eight_small_searches() {
    let h = many_keys(8, 6, None);
    let spec = Counting::new(KvMap);
    let checked = check_linearizable(&spec, &h, PER_KEY_BUDGET);
    assert!(
        checked.verdict.is_ok(),
        "eight independent keys, each linearizable, with a budget of {PER_KEY_BUDGET} steps \
         per key: got {:?} after {} steps. Checked together, the search interleaves the keys \
         and the memo's states multiply; split by Spec::key, each key is a small search \
         (Herlihy and Wing: linearizability is local)",
        checked.verdict,
        spec.calls()
    );
    assert!(
        spec.calls() <= 8 * PER_KEY_BUDGET,
        "{} steps for 8 keys",
        spec.calls()
    );
    assert_eq!(checked.steps, spec.calls(), "steps count every key's calls");
}

#[test]
fn the_budget_is_per_key() {
    // One key needs more than a third of the budget; four of them need
    // more than the budget in all, and each one alone fits.
    let one = check_linearizable(&KvMap, &many_keys(1, 6, None), 1_000_000);
    let per_key = one.steps;
    let budget = per_key + per_key / 2;
    let checked = check_linearizable(&KvMap, &many_keys(4, 6, None), budget);
    assert!(
        checked.verdict.is_ok(),
        "each of four keys needs {per_key} steps and the budget is {budget} per key: got {:?}",
        checked.verdict
    );
    assert!(
        checked.steps > budget,
        "the steps reported are summed over the keys"
    );
}

#[test]
fn the_violating_key_is_named() {
    let h = many_keys(4, 3, Some(2));
    let checked = check_linearizable(&KvMap, &h, PER_KEY_BUDGET);
    let Verdict::Violation(cex) = &checked.verdict else {
        panic!(
            "key 2's get returns a value nobody put: {:?}",
            checked.verdict
        );
    };
    assert_eq!(cex.key, Some(2), "the counterexample names its key");
    assert_eq!(
        h.get(cex.op).map(|o| *o.op()),
        Some(KvOp::Get(2)),
        "the stuck operation is key 2's get"
    );
}

#[test]
fn the_first_violating_key_in_order_of_first_operation_is_reported() {
    // Key 7 is touched first, key 3 second; both have stale reads.
    let mut h = History::new();
    done(&mut h, 0, KvOp::Put(7, 1), KvRet::Done);
    done(&mut h, 0, KvOp::Put(3, 1), KvRet::Done);
    done(&mut h, 1, KvOp::Get(3), KvRet::Value(None));
    done(&mut h, 1, KvOp::Get(7), KvRet::Value(None));
    let checked = check_linearizable(&KvMap, &h, PER_KEY_BUDGET);
    let Verdict::Violation(cex) = &checked.verdict else {
        panic!("both keys have stale reads: {:?}", checked.verdict);
    };
    assert_eq!(
        cex.key,
        Some(7),
        "keys are checked in the order of their first operations, and the first violation \
         is reported"
    );
}

#[test]
fn a_violation_in_one_key_wins_over_an_undecided_one() {
    // Key 0 is hard (needs far more than 40 steps), key 1 has a stale read.
    let mut h = many_keys(1, 8, None);
    done(&mut h, 50, KvOp::Put(1, 5), KvRet::Done);
    done(&mut h, 51, KvOp::Get(1), KvRet::Value(None));
    let checked = check_linearizable(&KvMap, &h, 40);
    let Verdict::Violation(cex) = &checked.verdict else {
        panic!(
            "key 1 is certainly not linearizable, whatever key 0 turns out to be: got {:?}",
            checked.verdict
        );
    };
    assert_eq!(cex.key, Some(1));
}

#[test]
fn an_undecided_key_makes_the_verdict_unknown() {
    let mut h = many_keys(1, 8, None);
    done(&mut h, 50, KvOp::Put(1, 5), KvRet::Done);
    done(&mut h, 51, KvOp::Get(1), KvRet::Value(Some(5)));
    let spec = Counting::new(KvMap);
    let checked = check_linearizable(&spec, &h, 40);
    assert!(
        matches!(checked.verdict, Verdict::Unknown { .. }),
        "key 0 cannot be decided in 40 steps and key 1 is fine: the verdict is Unknown, \
         never Ok; got {:?}",
        checked.verdict
    );
    assert!(
        spec.calls() <= 2 * 40,
        "each key's search stops at its budget: {} calls for two keys",
        spec.calls()
    );
}

#[test]
fn a_long_generated_history_is_decided() {
    // 600 operations on 6 keys from 6 clients, correct store: linearizable.
    let h = common::oracle_kv(5, 600, 6, 6, 0.0);
    let checked = check_linearizable(&KvMap, &h, 200_000);
    assert!(
        checked.verdict.is_ok(),
        "a correct store's 600-operation history: {:?}",
        checked.verdict
    );
    // The same workload with stale reads: not linearizable.
    let h = common::oracle_kv(5, 600, 6, 6, 0.05);
    let checked = check_linearizable(&KvMap, &h, 200_000);
    assert_eq!(
        decided(&checked.verdict),
        Some(false),
        "5% stale reads: {:?}",
        checked.verdict
    );
}
