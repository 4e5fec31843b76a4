//! Stage 4: replica sets. Dynamo and Cassandra store a key on the first `r`
//! distinct physical nodes clockwise from it; two vnodes of one node are one
//! machine, and a replica set that names it twice survives one failure less.

use consistent_hashing::HashRing;
use kit::hash::hash64;
use proptest::prelude::*;

fn ring_of(n: usize, vnodes: u32) -> HashRing {
    let mut ring = HashRing::new(vnodes);
    for i in 0..n {
        ring.add_node(&format!("node-{i}"));
    }
    ring
}

/// The first `r` distinct nodes met walking clockwise from the key, longhand.
fn model_replicas(names: &[String], vnodes: u32, key: &[u8], r: usize) -> Vec<String> {
    let mut points: Vec<(u64, String)> = names
        .iter()
        .flat_map(|n| (0..vnodes).map(move |i| (hash64(format!("{n}#{i}").as_bytes()), n.clone())))
        .collect();
    points.sort();
    let h = hash64(key);
    let start = points.iter().position(|(p, _)| *p >= h).unwrap_or(0);
    let mut out: Vec<String> = Vec::new();
    for (_, n) in points[start..].iter().chain(&points[..start]) {
        if out.len() < r && !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

#[test]
fn three_replicas_are_three_distinct_nodes_led_by_the_owner() {
    let ring = ring_of(6, 50);
    for i in 0..2_000 {
        let key = format!("user:{i}");
        let set = ring.nodes_for(&key, 3);
        assert_eq!(set.len(), 3, "6 nodes can hold 3 replicas of {key}");
        assert_eq!(
            Some(set[0]),
            ring.node_for(&key),
            "the first replica is the owner"
        );
        assert!(
            set[0] != set[1] && set[1] != set[2] && set[0] != set[2],
            "{key}: replica set {set:?} repeats a physical node"
        );
    }
}

#[test]
fn one_node_holds_one_replica_whatever_r_is() {
    let ring = ring_of(1, 64);
    assert_eq!(
        ring.nodes_for("k", 3),
        ["node-0"],
        "64 vnodes of one node are still one machine"
    );
    assert_eq!(ring.nodes_for("k", 1), ["node-0"]);
}

#[test]
fn r_larger_than_the_cluster_returns_every_node_once() {
    let ring = ring_of(4, 32);
    for i in 0..200 {
        let mut set = ring.nodes_for(format!("k{i}"), 10);
        assert_eq!(
            set.len(),
            4,
            "r = 10 on 4 nodes returns the 4 nodes, not more: {set:?}"
        );
        set.sort();
        set.dedup();
        assert_eq!(set.len(), 4, "and each only once");
    }
}

#[test]
fn r_zero_and_an_empty_ring_give_nothing() {
    assert!(ring_of(3, 8).nodes_for("k", 0).is_empty());
    assert!(HashRing::new(8).nodes_for("k", 3).is_empty());
}

#[test]
fn colliding_vnodes_never_repeat_a_node() {
    let mut ring = HashRing::with_hasher(8, |b| hash64(b) & 0x7);
    for n in ["a", "b", "c", "d"] {
        ring.add_node(n);
    }
    for i in 0..200 {
        let mut set = ring.nodes_for(format!("k{i}"), 4);
        set.sort();
        assert_eq!(set, ["a", "b", "c", "d"]);
    }
}

#[test]
fn removing_a_node_outside_the_replica_set_leaves_it_alone() {
    let mut ring = ring_of(8, 40);
    let keys: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
    let before: Vec<Vec<String>> = keys
        .iter()
        .map(|k| ring.nodes_for(k, 3).into_iter().map(String::from).collect())
        .collect();
    ring.remove_node("node-2");
    for (k, b) in keys.iter().zip(&before) {
        let after: Vec<String> = ring.nodes_for(k, 3).into_iter().map(String::from).collect();
        if !b.contains(&"node-2".to_string()) {
            assert_eq!(
                &after, b,
                "{k}: its replicas did not include node-2, so they must not change"
            );
        } else {
            let kept: Vec<&String> = b.iter().filter(|n| *n != "node-2").collect();
            assert_eq!(after.len(), 3);
            assert!(
                kept.iter().all(|n| after.contains(n)),
                "{k}: surviving replicas {kept:?} must stay in the set {after:?}"
            );
        }
    }
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(208),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn replica_sets_walk_clockwise_over_distinct_nodes(
        n in 1usize..7,
        vnodes in 1u32..12,
        r in 0usize..9,
        key in any::<u64>(),
    ) {
        let names: Vec<String> = (0..n).map(|i| format!("node-{i}")).collect();
        let ring = ring_of(n, vnodes);
        let key = key.to_le_bytes();
        let got: Vec<String> = ring.nodes_for(key, r).into_iter().map(String::from).collect();
        prop_assert_eq!(got, model_replicas(&names, vnodes, &key, r));
    }
}
