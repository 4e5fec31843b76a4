//! Stage 1: versions and placement. Version vectors (descends, concurrent,
//! merge), reconciling siblings, and the ring order that places a key on N
//! replicas with fallbacks after them.

use crate::common;

use common::*;
use proptest::prelude::*;

fn v(entries: &[(ClientId, u64)]) -> Version {
    let mut version = Version::new();
    for &(client, n) in entries {
        for _ in 0..n {
            version.increment(client);
        }
    }
    version
}

fn item(entries: &[(ClientId, u64)], value: &str) -> Versioned {
    Versioned {
        version: v(entries),
        value: val(value),
    }
}

#[test]
fn a_version_counts_writes_per_client() {
    let mut a = Version::new();
    assert_eq!(a.get(7), 0);
    a.increment(7);
    a.increment(7);
    a.increment(9);
    assert_eq!((a.get(7), a.get(9), a.get(1)), (2, 1, 0));
}

#[test]
fn descends_is_everything_seen() {
    let empty = Version::new();
    let a = v(&[(1, 2)]);
    let b = v(&[(1, 2), (2, 1)]);
    assert!(a.descends(&a), "a version descends from itself");
    assert!(
        a.descends(&empty),
        "everything descends from the empty version"
    );
    assert!(!empty.descends(&a));
    assert!(b.descends(&a), "b has seen a's writes and one more");
    assert!(!a.descends(&b));
    assert!(!a.concurrent_with(&b) && !b.concurrent_with(&a));
}

#[test]
fn writes_that_did_not_see_each_other_are_concurrent() {
    let base = v(&[(1, 1)]);
    let mut x = base.clone();
    x.increment(2);
    let mut y = base.clone();
    y.increment(3);
    assert!(
        x.concurrent_with(&y) && y.concurrent_with(&x),
        "two clients that wrote after reading the same version wrote concurrently: neither \
         may silently win"
    );
    assert!(!x.descends(&y) && !y.descends(&x));
    let mut m = x.clone();
    m.merge(&y);
    assert!(m.descends(&x) && m.descends(&y), "the merge has seen both");
    assert_eq!(m, v(&[(1, 1), (2, 1), (3, 1)]));
}

#[test]
fn reconcile_keeps_only_the_siblings() {
    let old = item(&[(1, 1)], "old");
    let newer = item(&[(1, 2)], "newer");
    let other = item(&[(1, 1), (2, 1)], "other");
    let got = reconcile(vec![
        old.clone(),
        newer.clone(),
        other.clone(),
        newer.clone(),
    ]);
    assert_eq!(
        values(&got),
        ["newer", "other"],
        "'old' is superseded by both; 'newer' and 'other' are concurrent: both stay, once"
    );
    assert!(reconcile(Vec::new()).is_empty());
    assert_eq!(reconcile(vec![old.clone()]), vec![old]);
}

#[test]
fn the_context_of_siblings_replaces_them_all() {
    let x = item(&[(1, 1), (2, 1)], "x");
    let y = item(&[(1, 1), (3, 1)], "y");
    let ctx = context(&[x.clone(), y.clone()]);
    assert_eq!(ctx, v(&[(1, 1), (2, 1), (3, 1)]));
    let mut resolved = ctx.clone();
    resolved.increment(1);
    let merged = reconcile(vec![
        x,
        y,
        Versioned {
            version: resolved,
            value: val("resolved"),
        },
    ]);
    assert_eq!(
        values(&merged),
        ["resolved"],
        "a write with the merged context supersedes both"
    );
    assert_eq!(context(&[]), Version::new());
}

#[test]
fn the_ring_places_each_key_on_n_consecutive_nodes() {
    for key in ["a", "b", "user:42", "cart:7", ""] {
        let order = ring_order(key, 5);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [0, 1, 2, 3, 4],
            "ring_order lists every node once: {order:?}"
        );
        for k in 1..5 {
            assert_eq!(
                order[k],
                (order[0] + k) % 5,
                "clockwise from the start: {order:?}"
            );
        }
        assert_eq!(preference_list(key, 5, 3), order[..3].to_vec());
        assert_eq!(ring_order(key, 5), order, "placement is deterministic");
    }
    let starts: std::collections::BTreeSet<NodeId> = (0..100)
        .map(|i| ring_order(&format!("key{i}"), 5)[0])
        .collect();
    assert_eq!(starts.len(), 5, "keys spread over every start position");
    assert_eq!(
        ring_order("user:42", 7)[0],
        (kit::hash::hash64(b"user:42") % 7) as NodeId,
        "the start is the key's kit::hash::hash64 modulo the number of nodes"
    );
}

fn arb_version() -> impl Strategy<Value = Version> {
    proptest::collection::vec((0u64..4, 0u64..4), 0..4).prop_map(|e| v(&e))
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 128,
        rng_seed: proptest::test_runner::RngSeed::Fixed(214),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn descends_is_a_partial_order(a in arb_version(), b in arb_version(), c in arb_version()) {
        prop_assert!(a.descends(&a));
        if a.descends(&b) && b.descends(&a) {
            prop_assert_eq!(&a, &b, "antisymmetric");
        }
        if a.descends(&b) && b.descends(&c) {
            prop_assert!(a.descends(&c), "transitive");
        }
        prop_assert_eq!(a.concurrent_with(&b), !a.descends(&b) && !b.descends(&a));
    }

    #[test]
    fn merge_is_the_least_upper_bound(a in arb_version(), b in arb_version(), c in arb_version()) {
        let mut m = a.clone();
        m.merge(&b);
        prop_assert!(m.descends(&a) && m.descends(&b));
        if c.descends(&a) && c.descends(&b) {
            prop_assert!(c.descends(&m), "anything above both is above the merge");
        }
        let mut n = b.clone();
        n.merge(&a);
        prop_assert_eq!(m, n, "commutative");
    }

    #[test]
    fn reconcile_is_an_order_independent_antichain(
        raw in proptest::collection::vec((arb_version(), 0u8..3), 0..8),
        seed: u64,
    ) {
        let items: Vec<Versioned> = raw
            .into_iter()
            .map(|(version, x)| Versioned { version, value: vec![x] })
            .collect();
        let got = reconcile(items.clone());
        for a in &got {
            for b in &got {
                if a != b {
                    prop_assert!(
                        a.version == b.version || a.version.concurrent_with(&b.version),
                        "siblings must be mutually concurrent"
                    );
                }
            }
        }
        for i in &items {
            prop_assert!(got.iter().any(|g| g.version.descends(&i.version)), "nothing is lost");
        }
        let mut shuffled = items;
        kit::rng::Rng::new(seed).shuffle(&mut shuffled);
        prop_assert_eq!(reconcile(shuffled), got.clone(), "order does not matter");
        prop_assert_eq!(reconcile(got.clone()), got, "idempotent");
    }
}
