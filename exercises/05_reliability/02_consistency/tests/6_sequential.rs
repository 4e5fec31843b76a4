//! Stage 6: sequential consistency. One order that keeps each client's
//! program order and nothing else: a read from another client's past is
//! fine, a client's own stale read is not. Keys are checked together (it is
//! not local: the store-buffering and IRIW histories are fine key by key
//! and impossible together). Timed-out writes may land after the client's
//! next operation. Compared with an independent checker on generated
//! histories from buggy stores.

use consistency::*;

use crate::common::{
    self, BUGS, CAS, CasHistory, Counting, DONE, KvHistory, decided, done, val, w,
};

const BUDGET: u64 = 200_000;

fn put(k: u64, v: u64) -> KvOp {
    KvOp::Put(k, v)
}

fn got(v: Option<u64>) -> KvRet {
    KvRet::Value(v)
}

fn cas_sc(h: &CasHistory) -> Option<bool> {
    decided(&check_sequential(&CAS, h, BUDGET).verdict)
}

fn kv_sc(h: &KvHistory) -> Option<bool> {
    decided(&check_sequential(&KvMap, h, BUDGET).verdict)
}

#[test]
fn another_clients_stale_read_is_sequentially_consistent() {
    let mut h = History::new();
    done(&mut h, 0, w(1), DONE);
    done(&mut h, 1, CasOp::Read, val(0));
    assert_eq!(
        cas_sc(&h),
        Some(true),
        "client 1's read may be ordered before client 0's write: sequential consistency \
         ignores real time between clients. A checker that enforces real time rejects this"
    );
    let mut h = History::new();
    done(&mut h, 1, CasOp::Read, val(1));
    done(&mut h, 0, w(1), DONE);
    assert_eq!(
        cas_sc(&h),
        Some(true),
        "a read from the future is sequentially consistent: order the write first"
    );
}

#[test]
fn a_clients_own_stale_read_is_not() {
    let mut h = History::new();
    done(&mut h, 0, w(1), DONE);
    done(&mut h, 0, CasOp::Read, val(0));
    assert_eq!(
        cas_sc(&h),
        Some(false),
        "client 0 wrote 1, then read 0: program order puts its write first. A checker that \
         ignores program order accepts this"
    );
}

#[test]
fn a_client_never_sees_a_value_go_back() {
    let mut h = History::new();
    done(&mut h, 0, w(1), DONE);
    done(&mut h, 1, CasOp::Read, val(1));
    done(&mut h, 1, CasOp::Read, val(0));
    assert_eq!(
        cas_sc(&h),
        Some(false),
        "client 1 read 1, then 0: no single order has the write both before and after"
    );
}

#[test]
fn two_cas_cannot_both_win_in_any_order() {
    let mut h = History::new();
    done(
        &mut h,
        0,
        CasOp::Cas { expect: 0, new: 1 },
        RegisterRet::Swapped(true),
    );
    done(
        &mut h,
        1,
        CasOp::Cas { expect: 0, new: 2 },
        RegisterRet::Swapped(true),
    );
    assert_eq!(
        cas_sc(&h),
        Some(false),
        "a lost update is impossible in any order"
    );
}

#[test]
fn store_buffering_is_not_sequentially_consistent() {
    // Each client writes its key, then reads the other's as absent.
    let mut h = History::new();
    done(&mut h, 0, put(1, 1), KvRet::Done);
    done(&mut h, 1, put(2, 1), KvRet::Done);
    done(&mut h, 0, KvOp::Get(2), got(None));
    done(&mut h, 1, KvOp::Get(1), got(None));
    assert_eq!(
        kv_sc(&h),
        Some(false),
        "store buffering: each read comes before the other client's write, and each write \
         before its own client's read: a cycle. Each key alone is sequentially consistent, \
         so a checker that splits by key accepts this; sequential consistency is not local"
    );
}

#[test]
fn independent_reads_of_independent_writes_must_agree_on_an_order() {
    let mut h = History::new();
    done(&mut h, 0, put(1, 1), KvRet::Done);
    done(&mut h, 1, put(2, 1), KvRet::Done);
    done(&mut h, 2, KvOp::Get(1), got(Some(1)));
    done(&mut h, 2, KvOp::Get(2), got(None));
    done(&mut h, 3, KvOp::Get(2), got(Some(1)));
    done(&mut h, 3, KvOp::Get(1), got(None));
    assert_eq!(
        kv_sc(&h),
        Some(false),
        "IRIW: client 2 saw key 1's write before key 2's, client 3 the reverse; one order \
         cannot do both"
    );
}

#[test]
fn a_timed_out_write_may_land_after_its_clients_next_operation() {
    let mut h = History::new();
    let a = h.invoke(0, w(1));
    h.unknown(a);
    done(&mut h, 0, CasOp::Read, val(0));
    done(&mut h, 1, CasOp::Read, val(1));
    assert_eq!(
        cas_sc(&h),
        Some(true),
        "the timed-out write arrived after client 0's read: an indefinite operation does not \
         hold back its client's later operations"
    );
    let mut h = History::new();
    let a = h.invoke(0, w(1));
    h.fail(a);
    done(&mut h, 1, CasOp::Read, val(1));
    assert_eq!(cas_sc(&h), Some(false), "a failed write is never seen");
}

#[test]
fn an_indefinite_operation_comes_after_its_clients_earlier_ones() {
    // Client 0 writes 1 (acknowledged), then times out writing 2. Client 1
    // reads 2, then 1: the timed-out write must follow write(1).
    let mut h = History::new();
    done(&mut h, 0, w(1), DONE);
    let b = h.invoke(0, w(2));
    h.unknown(b);
    done(&mut h, 1, CasOp::Read, val(2));
    done(&mut h, 1, CasOp::Read, val(1));
    assert_eq!(
        cas_sc(&h),
        Some(false),
        "write(2) comes after client 0's write(1), so nobody reads 2 and then 1"
    );
}

#[test]
fn the_budget_is_counted_and_never_a_pass() {
    let mut h = History::new();
    for c in 0..4 {
        done(&mut h, c, w(c as u64 + 1), DONE);
        done(&mut h, c, CasOp::Read, val(9));
    }
    let spec = Counting::new(CAS);
    let checked = check_sequential(&spec, &h, 5);
    assert!(
        matches!(checked.verdict, Verdict::Unknown { .. }),
        "five steps cannot decide this history: {:?}",
        checked.verdict
    );
    assert!(
        spec.calls() <= 5,
        "{} calls with a budget of 5",
        spec.calls()
    );
    let spec = Counting::new(CAS);
    let checked = check_sequential(&spec, &h, BUDGET);
    assert_eq!(decided(&checked.verdict), Some(false), "nobody wrote 9");
    assert_eq!(
        checked.steps,
        spec.calls(),
        "steps are the Spec::step calls"
    );
}

#[test]
fn the_counterexample_keeps_program_order() {
    for seed in 0..60 {
        let bug = BUGS[1 + seed as usize % 3];
        let h = common::replicated(seed, bug, 14, 2, 3);
        let Verdict::Violation(cex) = check_sequential(&KvMap, &h, BUDGET).verdict else {
            continue;
        };
        assert_eq!(
            cex.key, None,
            "sequential consistency checks all keys together"
        );
        // Replay the prefix: legal, each client's definite operations in
        // program order with none skipped.
        let mut state = KvMap.init();
        let mut next_definite = std::collections::HashMap::new();
        for id in &cex.prefix {
            let o = &h.ops()[id.index()];
            assert!(!o.is_fail(), "seed {seed}: failed {id} in the prefix");
            let earlier_definite = h.ops()[..id.index()]
                .iter()
                .filter(|p| p.client() == o.client() && !p.is_fail() && !p.is_indefinite())
                .count();
            let placed = next_definite.entry(o.client()).or_insert(0);
            assert!(
                *placed >= earlier_definite,
                "seed {seed}: {id} is placed before an earlier definite operation of its \
                 client: {:?}",
                cex.prefix
            );
            if !o.is_indefinite() {
                assert_eq!(*placed, earlier_definite, "seed {seed}: program order");
                *placed += 1;
            }
            state = KvMap
                .step(&state, o.op(), o.ret())
                .unwrap_or_else(|| panic!("seed {seed}: {id} is illegal in the prefix"));
        }
        assert_eq!(cex.state, state, "seed {seed}: the state after the prefix");
        // The stuck operation: the earliest invoked of the clients' next
        // definite operations, illegal here.
        let next: Vec<OpId> = h
            .ops()
            .iter()
            .filter(|o| !o.is_fail() && !o.is_indefinite() && !cex.prefix.contains(&o.id()))
            .map(|o| o.id())
            .filter(|id| {
                let o = &h.ops()[id.index()];
                h.ops()[..id.index()].iter().all(|p| {
                    p.client() != o.client()
                        || p.is_fail()
                        || p.is_indefinite()
                        || cex.prefix.contains(&p.id())
                })
            })
            .collect();
        assert_eq!(
            Some(cex.op),
            next.first().copied(),
            "seed {seed}: the stuck operation is the earliest invoked of the clients' next \
             definite operations {next:?}"
        );
        let o = &h.ops()[cex.op.index()];
        assert_eq!(
            KvMap.step(&cex.state, o.op(), o.ret()),
            None,
            "seed {seed}: the stuck operation is illegal after the prefix"
        );
        let all: Vec<usize> = (0..h.len()).collect();
        assert_eq!(
            cex.timeline,
            timeline(
                &KvMap,
                &h,
                &common::expected_slice(&h, &all, cex.op),
                Some(cex.op)
            ),
            "seed {seed}: the timeline draws the stuck operation, those overlapping it and the \
             3 that completed last before it, of all keys"
        );
    }
}

#[test]
fn linearizable_histories_are_sequentially_consistent() {
    for seed in 0..40 {
        let h = common::oracle_kv(seed, 20, 2, 3, 0.0);
        assert_eq!(
            kv_sc(&h),
            Some(true),
            "seed {seed}: a correct store's history is linearizable, hence sequentially \
             consistent"
        );
    }
}

#[test]
fn agrees_with_an_independent_checker_on_buggy_stores() {
    let mut seen = [0usize; 2];
    for seed in 0..160 {
        let bug = BUGS[seed as usize % 4];
        let ops = 10 + (seed % 9) as usize;
        let h = common::replicated(seed, bug, ops, 1 + seed % 2, 3);
        let expected = common::oracle_sequential_kv(&h, 2_000_000)
            .expect("the oracle decides these histories");
        seen[usize::from(expected)] += 1;
        assert_eq!(
            kv_sc(&h),
            Some(expected),
            "seed {seed}, {bug:?}, {} operations: the independent checker says {}",
            h.len(),
            if expected {
                "sequentially consistent"
            } else {
                "not sequentially consistent"
            }
        );
        let c = common::random_cas(seed, 3, 8, 0.2, true);
        let expected = common::oracle_sequential_cas(&c, 2_000_000).expect("decided");
        assert_eq!(
            cas_sc(&c),
            Some(expected),
            "seed {seed}, a random register history"
        );
    }
    assert!(
        seen.iter().all(|&n| n > 20),
        "both verdicts appear: {seen:?}"
    );
}
