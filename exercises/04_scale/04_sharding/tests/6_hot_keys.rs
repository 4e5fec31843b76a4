//! Stage 6: a hot key. One key that takes a large share of the writes (a
//! celebrity's like counter) is salted over sub-keys `key#0 .. key#{s-1}`;
//! the n-th add goes to salt n % s, and a read gathers every salt.

use sharding::{Cluster, KeyRange, Router};

use crate::common::{self, CountingShard};

fn cluster(nodes: usize) -> Cluster<CountingShard> {
    Cluster::new(64, CountingShard::many(nodes))
}

/// The value of `sub` on the node the router names for it, without counting.
fn stored(cluster: &Cluster<CountingShard>, sub: &str) -> Option<u64> {
    cluster.node(cluster.router().node_for(sub)).value(sub)
}

#[test]
fn adds_go_round_robin_over_the_salts() {
    let mut c = cluster(4);
    assert!(c.set_hot("likes", 4));
    for i in 0..10u64 {
        c.add("likes", i + 1); // deltas 1..=10
    }
    // Add n (from 0) went to salt n % 4, with delta n + 1.
    let expected = [1 + 5 + 9, 2 + 6 + 10, 3 + 7, 4 + 8];
    for (salt, want) in expected.iter().enumerate() {
        let sub = format!("likes#{salt}");
        assert_eq!(
            stored(&c, &sub),
            Some(*want),
            "{sub} must hold the adds number {salt}, {}, ... (n % 4 == {salt})",
            salt + 4
        );
    }
    assert_eq!(
        stored(&c, "likes"),
        None,
        "a hot key is never stored under its own name"
    );
    assert_eq!(
        c.get("likes"),
        Some(55),
        "a read sums every salt: 1 + 2 + ... + 10"
    );
}

#[test]
fn each_hot_key_counts_its_own_adds() {
    let mut c = cluster(4);
    c.set_hot("a", 2);
    c.set_hot("b", 2);
    for _ in 0..3 {
        c.add("a", 1);
        c.add("b", 10);
    }
    // Each key's adds number 0, 1, 2: salts 0, 1, 0 (a counter shared by all
    // hot keys would send a to salts 0, 0, 0 and b to 1, 1, 1).
    assert_eq!(
        (stored(&c, "a#0"), stored(&c, "a#1")),
        (Some(2), Some(1)),
        "the n-th add counts per key"
    );
    assert_eq!(
        (stored(&c, "b#0"), stored(&c, "b#1")),
        (Some(20), Some(10)),
        "the n-th add counts per key"
    );
}

#[test]
fn a_hot_key_with_no_value_reads_none() {
    let mut c = cluster(3);
    assert!(c.set_hot("views", 3));
    assert_eq!(c.get("views"), None, "no salt holds a value yet");
    c.add("views", 0);
    assert_eq!(c.get("views"), Some(0), "one salt holds 0");
}

#[test]
fn marking_a_key_hot_twice_changes_nothing() {
    let mut c = cluster(3);
    assert!(c.set_hot("likes", 2));
    c.add("likes", 1);
    assert!(!c.set_hot("likes", 8), "set_hot on a hot key returns false");
    for _ in 0..3 {
        c.add("likes", 1);
    }
    assert_eq!(
        stored(&c, "likes#0"),
        Some(2),
        "still 2 salts: adds 0 and 2 went to salt 0"
    );
    assert_eq!(stored(&c, "likes#1"), Some(2));
    assert_eq!(
        stored(&c, "likes#2"),
        None,
        "the second set_hot must not add salts"
    );
    assert_eq!(c.get("likes"), Some(4));
}

#[test]
fn a_stored_value_moves_to_salt_zero() {
    let mut c = cluster(4);
    c.put("likes", 40);
    assert!(c.set_hot("likes", 4));
    assert_eq!(stored(&c, "likes"), None, "the value leaves the plain key");
    assert_eq!(stored(&c, "likes#0"), Some(40), "and lands in likes#0");
    c.add("likes", 2);
    assert_eq!(
        stored(&c, "likes#0"),
        Some(42),
        "the first add after set_hot goes to salt 0"
    );
    assert_eq!(c.get("likes"), Some(42));
}

#[test]
fn other_keys_are_untouched() {
    let mut c = cluster(3);
    c.set_hot("likes", 4);
    c.put("likes2", 9);
    c.add("likes2", 1);
    assert_eq!(c.get("likes2"), Some(10));
    assert_eq!(
        stored(&c, "likes2"),
        Some(10),
        "only the key marked hot is salted"
    );
}

#[test]
fn salting_spreads_one_keys_writes_over_several_nodes() {
    let mut c = cluster(4);
    let salts = 8;
    let owners: Vec<usize> = (0..salts)
        .map(|s| c.router().node_for(&format!("celeb#{s}")))
        .collect();
    let distinct = owners
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    assert!(
        distinct >= 3,
        "precondition: the 8 salts of celeb land on {distinct} nodes"
    );
    c.set_hot("celeb", salts);
    for _ in 0..1_000 {
        c.add("celeb", 1);
    }
    for node in 0..4 {
        let salts_here = owners.iter().filter(|&&o| o == node).count();
        assert_eq!(
            c.node(node).adds,
            125 * salts_here,
            "node {node} owns {salts_here} of the 8 salts, so it takes 1000/8 adds for each"
        );
    }
    let hottest = (0..4).map(|n| c.node(n).adds).max().unwrap();
    assert!(
        hottest < 1_000,
        "unsalted, one node would take all 1000 writes"
    );
    assert_eq!(c.get("celeb"), Some(1_000));
}

#[test]
fn a_scan_shows_the_salted_sub_keys() {
    let mut c = cluster(3);
    c.set_hot("likes", 3);
    for _ in 0..5 {
        c.add("likes", 1);
    }
    c.put("likeable", 1);
    assert_eq!(
        c.scan(&KeyRange::new("like", "likez")),
        [
            ("likeable".to_owned(), 1),
            ("likes#0".to_owned(), 2),
            ("likes#1".to_owned(), 2),
            ("likes#2".to_owned(), 1),
        ],
        "scan reports keys as stored: a hot key appears as its salts"
    );
}

#[test]
fn a_hot_key_survives_a_migration() {
    let mut c = cluster(3);
    for key in common::keys(61, 500) {
        c.put(&key, 1);
    }
    c.set_hot("likes", 16);
    let mut total = 0;
    for _ in 0..40 {
        c.add("likes", 3);
        total += 3;
    }
    c.join(CountingShard::new(3));
    while let Some(step) = c.step() {
        for _ in 0..5 {
            c.add("likes", 1);
            total += 1;
        }
        assert_eq!(
            c.get("likes"),
            Some(total),
            "after {step:?} the hot key must read {total}"
        );
    }
    assert_eq!(c.get("likes"), Some(total));
}

#[test]
#[should_panic(expected = "put on hot key")]
fn put_on_a_hot_key_panics() {
    let mut c = cluster(2);
    c.set_hot("likes", 2);
    c.put("likes", 1);
}

#[test]
#[should_panic(expected = "a hot key needs at least one salt")]
fn zero_salts_panics() {
    cluster(2).set_hot("likes", 0);
}
