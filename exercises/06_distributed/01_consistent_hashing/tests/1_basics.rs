//! Stage 1: the ring itself. Empty and single-node rings, adding and removing
//! nodes, and `node_for` agreeing with the documented placement rule, including
//! the wrap-around past the top of the ring and virtual-node collisions.

use consistent_hashing::HashRing;
use kit::hash::hash64;
use proptest::prelude::*;

/// The placement rule written out longhand: every vnode's point, sorted by
/// (point, node name); a key belongs to the first point >= hash(key), wrapping.
fn model_owner(
    nodes: &[(&str, u32)],
    vnodes: u32,
    hasher: fn(&[u8]) -> u64,
    key: &[u8],
) -> Option<String> {
    let mut points: Vec<(u64, String)> = Vec::new();
    for &(name, weight) in nodes {
        for i in 0..u64::from(weight) * u64::from(vnodes) {
            points.push((hasher(format!("{name}#{i}").as_bytes()), name.to_string()));
        }
    }
    points.sort();
    let h = hasher(key);
    points
        .iter()
        .find(|(p, _)| *p >= h)
        .or(points.first())
        .map(|(_, n)| n.clone())
}

/// Only 16 distinct points: virtual nodes of different nodes collide all the time.
fn weak_hash(bytes: &[u8]) -> u64 {
    hash64(bytes) & 0xF
}

#[test]
fn an_empty_ring_has_no_owner() {
    let ring = HashRing::new(8);
    assert!(ring.is_empty());
    assert_eq!(ring.len(), 0);
    assert_eq!(ring.vnode_count(), 0);
    assert_eq!(
        ring.node_for("anything"),
        None,
        "an empty ring must answer None, not panic"
    );
    assert!(ring.nodes_for("anything", 3).is_empty());
}

#[test]
fn a_single_node_owns_every_key() {
    let mut ring = HashRing::new(4);
    assert!(ring.add_node("a"));
    for i in 0..1_000 {
        assert_eq!(ring.node_for(format!("k{i}")), Some("a"));
    }
}

#[test]
fn adding_counts_virtual_nodes_and_refuses_duplicates() {
    let mut ring = HashRing::new(10);
    assert_eq!(ring.vnodes_per_weight(), 10);
    assert!(ring.add_node("a"));
    assert!(ring.add_node_weighted("b", 3));
    assert_eq!(ring.len(), 2);
    assert!(!ring.is_empty());
    assert_eq!(
        ring.vnode_count(),
        10 + 30,
        "each node gets weight x vnodes points"
    );
    assert!(!ring.add_node("a"), "adding a node twice must be refused");
    assert!(
        !ring.add_node_weighted("b", 5),
        "re-adding with another weight must be refused too"
    );
    assert_eq!(
        ring.vnode_count(),
        40,
        "a refused add must not change the ring"
    );
    assert_eq!(ring.weight("b"), Some(3));
    assert_eq!(ring.weight("a"), Some(1));
    assert_eq!(ring.weight("zz"), None);
    assert!(ring.contains_node("a") && !ring.contains_node("c"));
    assert_eq!(
        ring.nodes().collect::<Vec<_>>(),
        ["a", "b"],
        "nodes() lists names in order"
    );
}

#[test]
fn removing_takes_every_vnode_away() {
    let mut ring = HashRing::new(16);
    ring.add_node("a");
    ring.add_node("b");
    assert!(
        !ring.remove_node("c"),
        "removing an unknown node returns false"
    );
    assert!(ring.remove_node("a"));
    assert!(!ring.remove_node("a"), "a node can only be removed once");
    assert_eq!(ring.vnode_count(), 16);
    assert!(!ring.contains_node("a"));
    for i in 0..500 {
        assert_eq!(
            ring.node_for(format!("k{i}")),
            Some("b"),
            "a removed node must own nothing"
        );
    }
    assert!(ring.remove_node("b"));
    assert!(ring.is_empty());
    assert_eq!(ring.node_for("k"), None);
}

#[test]
#[should_panic]
fn zero_vnodes_is_refused() {
    let _ = HashRing::new(0);
}

#[test]
#[should_panic]
fn zero_vnodes_is_refused_with_a_custom_hasher_too() {
    let _ = HashRing::with_hasher(0, hash64);
}

#[test]
fn nodes_are_listed_in_name_order_whatever_the_order_they_were_added_in() {
    let mut ring = HashRing::new(4);
    for n in ["delta", "alpha", "charlie", "bravo"] {
        ring.add_node(n);
    }
    assert_eq!(
        ring.nodes().collect::<Vec<_>>(),
        ["alpha", "bravo", "charlie", "delta"],
        "nodes() lists the physical nodes in name order, not in the order they joined"
    );
    ring.remove_node("bravo");
    assert_eq!(
        ring.nodes().collect::<Vec<_>>(),
        ["alpha", "charlie", "delta"]
    );
}

#[test]
#[should_panic]
fn zero_weight_is_refused() {
    HashRing::new(4).add_node_weighted("a", 0);
}

#[test]
fn keys_past_the_last_point_wrap_to_the_first() {
    let nodes = [("a", 1), ("b", 1), ("c", 1)];
    let mut ring = HashRing::new(2);
    for (n, _) in nodes {
        ring.add_node(n);
    }
    let mut points: Vec<(u64, &str)> = nodes
        .iter()
        .flat_map(|&(n, _)| (0..2).map(move |i| (hash64(format!("{n}#{i}").as_bytes()), n)))
        .collect();
    points.sort();
    let (max, first_owner) = (points.last().unwrap().0, points[0].1);
    let mut rng = kit::rng::Rng::new(1);
    let mut wrapped = 0;
    while wrapped < 5 {
        let key = rng.next_u64().to_le_bytes();
        if hash64(&key) > max {
            wrapped += 1;
            assert_eq!(
                ring.node_for(key),
                Some(first_owner),
                "a key hashing past the highest point must wrap around to the lowest point's node"
            );
        }
    }
    // A key that hashes exactly onto a point belongs to that point.
    let exact = b"b#1";
    assert_eq!(
        ring.node_for(exact),
        Some("b"),
        "'at or clockwise after': a key exactly on b's point belongs to b"
    );
}

#[test]
fn colliding_vnodes_are_all_kept_and_resolved_by_name() {
    let mut ring = HashRing::with_hasher(8, weak_hash);
    for n in ["a", "b", "c"] {
        ring.add_node(n);
    }
    assert_eq!(
        ring.vnode_count(),
        24,
        "with 16 possible points, 24 vnodes must collide; each still counts (a map keyed by point loses them)"
    );
    let nodes = [("a", 1), ("b", 1), ("c", 1)];
    for i in 0..300 {
        let key = format!("k{i}");
        assert_eq!(
            ring.node_for(&key).map(str::to_string),
            model_owner(&nodes, 8, weak_hash, key.as_bytes()),
            "on a shared point the node whose name sorts first owns it (key {key})"
        );
    }
}

#[test]
fn removing_a_colliding_node_leaves_the_others_intact() {
    // Keyed by point, adding c would overwrite a's or b's vnodes and removing
    // it would delete points that a and b still need.
    let mut ring = HashRing::with_hasher(8, weak_hash);
    for n in ["a", "b", "c"] {
        ring.add_node(n);
    }
    ring.remove_node("c");
    let mut fresh = HashRing::with_hasher(8, weak_hash);
    fresh.add_node("b");
    fresh.add_node("a");
    assert_eq!(ring.vnode_count(), 16);
    for i in 0..300 {
        let key = format!("k{i}");
        assert_eq!(
            ring.node_for(&key),
            fresh.node_for(&key),
            "after removing c the ring must place {key} exactly as a ring built from a and b"
        );
    }
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(206),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn node_for_follows_the_placement_rule(
        weights in proptest::collection::vec(1u32..4, 1..6),
        vnodes in 1u32..20,
        keys in proptest::collection::vec(any::<u64>(), 1..40),
        weak in any::<bool>(),
    ) {
        let hasher: fn(&[u8]) -> u64 = if weak { weak_hash } else { hash64 };
        let names: Vec<String> = (0..weights.len()).map(|i| format!("node-{i}")).collect();
        let nodes: Vec<(&str, u32)> = names.iter().map(String::as_str).zip(weights.iter().copied()).collect();
        let mut ring = HashRing::with_hasher(vnodes, hasher);
        // Add in reverse: placement must not depend on insertion order.
        for &(n, w) in nodes.iter().rev() {
            ring.add_node_weighted(n, w);
        }
        for k in keys {
            let key = k.to_le_bytes();
            prop_assert_eq!(
                ring.node_for(key).map(str::to_string),
                model_owner(&nodes, vnodes, hasher, &key),
                "node_for must be the first vnode at or after hash(key), wrapping around"
            );
        }
    }
}
