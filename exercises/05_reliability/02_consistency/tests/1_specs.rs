//! Stage 1: the sequential specifications. Each one says, from a state, an
//! operation and the return value seen, what the next state is or that the
//! value is illegal; an unseen return value (`None`, an indefinite
//! operation) is never illegal. Every checker of the later stages stands on
//! these answers.

use consistency::{
    CasOp, CasRegister, KvMap, KvOp, KvRet, Register, RegisterOp, RegisterRet, Spec,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const REG: Register = Register { init: 7 };
const CAS: CasRegister = CasRegister { init: 7 };

fn map(pairs: &[(u64, u64)]) -> BTreeMap<u64, u64> {
    pairs.iter().copied().collect()
}

#[test]
fn registers_start_at_their_initial_value_and_a_map_starts_empty() {
    assert_eq!(REG.init(), 7, "Register::init is its `init` field");
    assert_eq!(CAS.init(), 7, "CasRegister::init is its `init` field");
    assert!(KvMap.init().is_empty(), "a KvMap starts empty");
}

#[test]
fn register_read_returns_the_value_and_changes_nothing() {
    assert_eq!(
        REG.step(&3, &RegisterOp::Read, Some(&RegisterRet::Value(3))),
        Some(3),
        "a read of 3 in state 3 is legal and leaves the state"
    );
    assert_eq!(
        REG.step(&3, &RegisterOp::Read, Some(&RegisterRet::Value(4))),
        None,
        "a read of 4 in state 3 is illegal: this is how a stale read is caught"
    );
    assert_eq!(
        REG.step(&3, &RegisterOp::Read, None),
        Some(3),
        "an indefinite read (nobody saw its value) is legal and changes nothing"
    );
}

#[test]
fn register_write_acknowledges_and_replaces_the_value() {
    assert_eq!(
        REG.step(&3, &RegisterOp::Write(5), Some(&RegisterRet::Done)),
        Some(5)
    );
    assert_eq!(
        REG.step(&3, &RegisterOp::Write(5), None),
        Some(5),
        "an indefinite write still moves the state if it took effect"
    );
}

#[test]
fn a_return_value_of_the_wrong_kind_is_illegal() {
    assert_eq!(
        REG.step(&3, &RegisterOp::Read, Some(&RegisterRet::Done)),
        None
    );
    assert_eq!(
        REG.step(&3, &RegisterOp::Write(5), Some(&RegisterRet::Value(5))),
        None
    );
    assert_eq!(
        REG.step(&3, &RegisterOp::Read, Some(&RegisterRet::Swapped(true))),
        None,
        "a plain register has no compare-and-set"
    );
    assert_eq!(
        CAS.step(
            &3,
            &CasOp::Cas { expect: 3, new: 4 },
            Some(&RegisterRet::Done)
        ),
        None
    );
    assert_eq!(
        KvMap.step(&map(&[]), &KvOp::Put(1, 2), Some(&KvRet::Value(None))),
        None
    );
    assert_eq!(
        KvMap.step(&map(&[]), &KvOp::Get(1), Some(&KvRet::Done)),
        None
    );
}

#[test]
fn cas_swaps_exactly_when_it_finds_the_expected_value() {
    let cas = CasOp::Cas { expect: 3, new: 4 };
    assert_eq!(
        CAS.step(&3, &cas, Some(&RegisterRet::Swapped(true))),
        Some(4)
    );
    assert_eq!(
        CAS.step(&3, &cas, Some(&RegisterRet::Swapped(false))),
        None,
        "in state 3, cas(3,4) swaps: returning false there is illegal"
    );
    assert_eq!(
        CAS.step(&5, &cas, Some(&RegisterRet::Swapped(false))),
        Some(5),
        "in state 5, cas(3,4) ran, changed nothing and returned false"
    );
    assert_eq!(
        CAS.step(&5, &cas, Some(&RegisterRet::Swapped(true))),
        None,
        "two clients both swapping from one value is the lost update this makes illegal"
    );
    assert_eq!(
        CAS.step(&3, &cas, None),
        Some(4),
        "an indefinite cas that finds its value swaps"
    );
    assert_eq!(
        CAS.step(&5, &cas, None),
        Some(5),
        "an indefinite cas that does not find its value changes nothing"
    );
}

#[test]
fn cas_register_reads_and_writes_like_a_register() {
    assert_eq!(
        CAS.step(&3, &CasOp::Read, Some(&RegisterRet::Value(3))),
        Some(3)
    );
    assert_eq!(
        CAS.step(&3, &CasOp::Read, Some(&RegisterRet::Value(2))),
        None
    );
    assert_eq!(CAS.step(&3, &CasOp::Read, None), Some(3));
    assert_eq!(
        CAS.step(&3, &CasOp::Write(9), Some(&RegisterRet::Done)),
        Some(9)
    );
    assert_eq!(CAS.step(&3, &CasOp::Write(9), None), Some(9));
}

#[test]
fn map_get_put_and_delete() {
    let m = map(&[(1, 10)]);
    assert_eq!(
        KvMap.step(&m, &KvOp::Get(1), Some(&KvRet::Value(Some(10)))),
        Some(m.clone())
    );
    assert_eq!(
        KvMap.step(&m, &KvOp::Get(1), Some(&KvRet::Value(Some(11)))),
        None
    );
    assert_eq!(
        KvMap.step(&m, &KvOp::Get(1), Some(&KvRet::Value(None))),
        None,
        "key 1 is present: reading it as absent is illegal"
    );
    assert_eq!(
        KvMap.step(&m, &KvOp::Get(2), Some(&KvRet::Value(None))),
        Some(m.clone()),
        "an absent key reads as None"
    );
    assert_eq!(KvMap.step(&m, &KvOp::Get(2), None), Some(m.clone()));
    assert_eq!(
        KvMap.step(&m, &KvOp::Put(2, 20), Some(&KvRet::Done)),
        Some(map(&[(1, 10), (2, 20)]))
    );
    assert_eq!(
        KvMap.step(&m, &KvOp::Put(1, 11), None),
        Some(map(&[(1, 11)]))
    );
    assert_eq!(
        KvMap.step(&m, &KvOp::Delete(1), Some(&KvRet::Done)),
        Some(map(&[]))
    );
    assert_eq!(
        KvMap.step(&m, &KvOp::Delete(3), None),
        Some(m.clone()),
        "deleting an absent key changes nothing"
    );
}

#[test]
fn keys_split_a_map_by_its_keys_and_keep_a_register_whole() {
    assert_eq!(KvMap.key(&KvOp::Get(4)), 4);
    assert_eq!(KvMap.key(&KvOp::Put(5, 1)), 5);
    assert_eq!(KvMap.key(&KvOp::Delete(6)), 6);
    assert_eq!(KvOp::Put(5, 1).key(), 5);
    // A register is one object: every operation has the same key.
    REG.key(&RegisterOp::Read);
    CAS.key(&CasOp::Cas { expect: 0, new: 1 });
}

#[test]
fn labels_are_short_and_show_the_return_value() {
    let cases = [
        (REG.describe(&RegisterOp::Read, None), "read"),
        (
            REG.describe(&RegisterOp::Read, Some(&RegisterRet::Value(3))),
            "read->3",
        ),
        (
            REG.describe(&RegisterOp::Write(3), Some(&RegisterRet::Done)),
            "write(3)",
        ),
        (REG.describe(&RegisterOp::Write(3), None), "write(3)"),
        (
            CAS.describe(&CasOp::Read, Some(&RegisterRet::Value(0))),
            "read->0",
        ),
        (CAS.describe(&CasOp::Write(2), None), "write(2)"),
        (
            CAS.describe(&CasOp::Cas { expect: 1, new: 2 }, None),
            "cas(1,2)",
        ),
        (
            CAS.describe(
                &CasOp::Cas { expect: 1, new: 2 },
                Some(&RegisterRet::Swapped(true)),
            ),
            "cas(1,2)->true",
        ),
        (
            CAS.describe(
                &CasOp::Cas { expect: 1, new: 2 },
                Some(&RegisterRet::Swapped(false)),
            ),
            "cas(1,2)->false",
        ),
        (KvMap.describe(&KvOp::Get(1), None), "get(1)"),
        (
            KvMap.describe(&KvOp::Get(1), Some(&KvRet::Value(Some(5)))),
            "get(1)->5",
        ),
        (
            KvMap.describe(&KvOp::Get(1), Some(&KvRet::Value(None))),
            "get(1)->none",
        ),
        (
            KvMap.describe(&KvOp::Put(1, 5), Some(&KvRet::Done)),
            "put(1,5)",
        ),
        (KvMap.describe(&KvOp::Delete(1), None), "delete(1)"),
    ];
    for (got, want) in cases {
        assert_eq!(
            got, want,
            "labels are what timelines and counterexamples show"
        );
    }
}

fn cas_op() -> impl Strategy<Value = CasOp> {
    prop_oneof![
        Just(CasOp::Read),
        (0u64..4).prop_map(CasOp::Write),
        (0u64..4, 0u64..4).prop_map(|(expect, new)| CasOp::Cas { expect, new }),
    ]
}

fn every_ret() -> Vec<RegisterRet> {
    let mut rets: Vec<RegisterRet> = (0..4).map(RegisterRet::Value).collect();
    rets.extend([
        RegisterRet::Done,
        RegisterRet::Swapped(true),
        RegisterRet::Swapped(false),
    ]);
    rets
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(13),
        failure_persistence: None,
        cases: 200,
        ..ProptestConfig::default()
    })]

    /// Deterministic: in every state exactly one return value is legal,
    /// and it leads where the unseen (`None`) step leads.
    #[test]
    fn exactly_one_return_value_is_legal(state in 0u64..4, op in cas_op()) {
        let legal: Vec<(RegisterRet, u64)> = every_ret()
            .into_iter()
            .filter_map(|r| CAS.step(&state, &op, Some(&r)).map(|s| (r, s)))
            .collect();
        prop_assert_eq!(
            legal.len(), 1,
            "{:?} in state {}: legal returns {:?}; a spec allows exactly one", op, state, legal
        );
        prop_assert_eq!(
            CAS.step(&state, &op, None), Some(legal[0].1),
            "the unseen step of {:?} must lead where the legal seen one leads", op
        );
    }

    #[test]
    fn a_map_is_one_register_per_key(
        ops in proptest::collection::vec((0u64..3, 0u64..3, any::<bool>()), 1..20)
    ) {
        // Apply random puts and deletes; gets of each key must match a
        // per-key model.
        let mut state = KvMap.init();
        let mut model: BTreeMap<u64, u64> = BTreeMap::new();
        for (k, v, delete) in ops {
            let op = if delete { KvOp::Delete(k) } else { KvOp::Put(k, v) };
            state = KvMap.step(&state, &op, Some(&KvRet::Done)).expect("writes are legal");
            if delete { model.remove(&k); } else { model.insert(k, v); }
            for key in 0..3 {
                let seen = KvRet::Value(model.get(&key).copied());
                prop_assert!(
                    KvMap.step(&state, &KvOp::Get(key), Some(&seen)).is_some(),
                    "get({}) must see {:?} after the writes so far", key, seen
                );
            }
        }
    }
}
