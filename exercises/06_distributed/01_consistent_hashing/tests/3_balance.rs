//! Stage 3: load balance. One point per node leaves arcs of wildly different
//! lengths; enough virtual nodes even them out, and weights skew them on purpose.

use consistent_hashing::HashRing;
use kit::rng::Rng;
use std::collections::BTreeMap;

const KEYS: usize = 100_000;

fn load(ring: &HashRing, seed: u64) -> BTreeMap<String, usize> {
    let mut rng = Rng::new(seed);
    let mut counts = BTreeMap::new();
    for n in ring.nodes() {
        counts.insert(n.to_string(), 0);
    }
    for _ in 0..KEYS {
        let key = rng.next_u64().to_le_bytes();
        *counts.get_mut(ring.node_for(key).unwrap()).unwrap() += 1;
    }
    counts
}

#[test]
fn with_160_vnodes_each_node_gets_its_share_within_20_percent() {
    let mut ring = HashRing::new(160);
    for i in 0..10 {
        ring.add_node(&format!("cache-{i}"));
    }
    let counts = load(&ring, 6);
    let mean = KEYS / 10;
    for (node, &c) in &counts {
        assert!(
            c > mean * 8 / 10 && c < mean * 12 / 10,
            "{node} got {c} of {KEYS} keys, more than 20% from the fair {mean}: {counts:?}. \
             Are all vnodes on the ring, each at its own hash?"
        );
    }
}

#[test]
fn more_vnodes_means_a_smaller_spread() {
    let spread = |vnodes| {
        let mut ring = HashRing::new(vnodes);
        for i in 0..10 {
            ring.add_node(&format!("cache-{i}"));
        }
        let counts = load(&ring, 7);
        counts.values().max().unwrap() - counts.values().min().unwrap()
    };
    let (few, many) = (spread(1), spread(200));
    assert!(
        many * 3 < few,
        "1 vnode per node: spread {few} keys; 200 vnodes: {many}. Virtual nodes must even out the arcs"
    );
}

#[test]
fn a_node_of_weight_3_gets_about_three_times_the_keys() {
    let mut ring = HashRing::new(100);
    for i in 0..4 {
        ring.add_node(&format!("small-{i}"));
    }
    ring.add_node_weighted("big", 3);
    assert_eq!(ring.vnode_count(), 700);
    let counts = load(&ring, 8);
    let share = counts["big"] as f64 / KEYS as f64;
    assert!(
        (0.36..0.50).contains(&share),
        "weight 3 of a total 7 should own about 3/7 = 43% of the keys, got {:.1}%: {counts:?}",
        share * 100.0
    );
    for i in 0..4 {
        let small = counts[&format!("small-{i}")] as f64 / KEYS as f64;
        assert!(
            (0.10..0.19).contains(&small),
            "small-{i} should own about 1/7 = 14%, got {:.1}%",
            small * 100.0
        );
    }
}
