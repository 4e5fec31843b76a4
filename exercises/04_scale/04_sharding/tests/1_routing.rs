//! Stage 1: where a key lives. Both hash routers follow their stated rule
//! exactly, so any client computes the same owner without asking anyone.

use kit::hash::hash64;
use sharding::{FixedPartitions, ModN, Router, key_hash};

use crate::common;

#[test]
fn key_hash_is_xxh3_of_the_key_bytes() {
    for key in [
        "",
        "a",
        "user:42",
        "ключ",
        "a much longer key than the others",
    ] {
        assert_eq!(
            key_hash(key),
            hash64(key.as_bytes()),
            "key_hash({key:?}) must be kit::hash::hash64 of the UTF-8 bytes: every client \
             must compute the same placement"
        );
    }
}

#[test]
fn mod_n_is_the_hash_modulo_the_node_count() {
    let keys = common::keys(1, 500);
    for n in 1..=7 {
        let router = ModN::new(n);
        assert_eq!(router.node_count(), n);
        for key in &keys {
            assert_eq!(
                router.node_for(key),
                (hash64(key.as_bytes()) % n as u64) as usize,
                "ModN::node_for({key:?}) with {n} nodes must be key_hash(key) % {n}"
            );
        }
    }
}

#[test]
fn mod_n_add_node_returns_the_new_id_and_reroutes_at_once() {
    let mut router = ModN::new(3);
    assert_eq!(
        router.add_node(),
        3,
        "the new node's id is the old node count"
    );
    assert_eq!(router.node_count(), 4);
    for key in common::keys(2, 200) {
        assert_eq!(
            router.node_for(&key),
            (hash64(key.as_bytes()) % 4) as usize,
            "after add_node, ModN divides by the new count"
        );
    }
}

#[test]
#[should_panic(expected = "ModN needs at least one node")]
fn mod_n_without_nodes_panics() {
    let _ = ModN::new(0);
}

#[test]
fn fixed_partitions_route_by_partition_then_table() {
    // Three nodes, not four: 256 % 4 == 0 would make `(h % 256) % 4` equal
    // `h % 4`, and a router that computes `hash % nodes` would pass.
    let table = FixedPartitions::new(256, 3);
    assert_eq!(table.partition_count(), 256);
    assert_eq!(table.node_count(), 3);
    for p in 0..256 {
        assert_eq!(table.owner(p), p % 3, "partition {p} starts on node p % 3");
    }
    for key in common::keys(3, 1_000) {
        let partition = table.partition_for(&key);
        assert_eq!(
            partition,
            (hash64(key.as_bytes()) % 256) as usize,
            "partition_for({key:?}) must be key_hash(key) % 256"
        );
        assert_eq!(
            table.node_for(&key),
            table.owner(partition),
            "node_for must read the table (owner of the key's partition), not compute \
             hash % nodes: only the table can change when nodes join"
        );
    }
}

#[test]
fn fixed_partitions_start_balanced() {
    let table = FixedPartitions::new(256, 4);
    for node in 0..4 {
        let expected: Vec<usize> = (node..256).step_by(4).collect();
        assert_eq!(
            table.partitions_of(node),
            expected,
            "node {node} owns partitions {node}, {}, ..., in increasing order",
            node + 4
        );
    }
    let uneven = FixedPartitions::new(10, 3);
    let counts: Vec<usize> = (0..3).map(|n| uneven.partitions_of(n).len()).collect();
    assert_eq!(
        counts,
        [4, 3, 3],
        "10 partitions over 3 nodes: p % 3 gives 4, 3, 3"
    );
    let more_nodes = FixedPartitions::new(2, 3);
    assert_eq!(more_nodes.partitions_of(2), Vec::<usize>::new());
}

#[test]
#[should_panic(expected = "FixedPartitions needs at least one partition and one node")]
fn fixed_partitions_without_partitions_panics() {
    let _ = FixedPartitions::new(0, 3);
}

#[test]
#[should_panic(expected = "FixedPartitions needs at least one partition and one node")]
fn fixed_partitions_without_nodes_panics() {
    let _ = FixedPartitions::new(16, 0);
}

#[test]
fn adding_a_node_moves_nothing_until_moves_are_applied() {
    let mut table = FixedPartitions::new(64, 3);
    let keys = common::keys(4, 1_000);
    let before: Vec<usize> = keys.iter().map(|k| table.node_for(k)).collect();
    assert_eq!(
        table.add_node(),
        3,
        "the new node's id is the old node count"
    );
    assert_eq!(table.node_count(), 4);
    assert!(
        table.partitions_of(3).is_empty(),
        "a new node owns nothing yet"
    );
    let after: Vec<usize> = keys.iter().map(|k| table.node_for(k)).collect();
    assert_eq!(
        before, after,
        "add_node alone must not change any key's owner"
    );
}

#[test]
fn partitions_spread_keys_evenly_over_nodes() {
    // Each node owns 64 of the 256 partitions, so a key lands on a given node
    // with probability exactly 1/4 and the count per node is
    // Binomial(20 000, 1/4): mean 5 000, sigma 61.2.
    let keys = common::keys(5, 20_000);
    let table = FixedPartitions::new(256, 4);
    let mut per_node = [0usize; 4];
    for key in &keys {
        per_node[table.node_for(key)] += 1;
    }
    let (low, high) = common::binomial_bounds(keys.len(), 0.25);
    for (node, &count) in per_node.iter().enumerate() {
        assert!(
            (low..=high).contains(&(count as f64)),
            "node {node} holds {count} of 20 000 keys, outside {low:.0}..={high:.0}: \
             placement is not spreading keys evenly"
        );
    }
}

#[test]
fn routers_work_behind_the_trait() {
    let routers: Vec<Box<dyn Router>> = vec![
        Box::new(ModN::new(5)),
        Box::new(FixedPartitions::new(32, 5)),
    ];
    for router in &routers {
        assert_eq!(router.node_count(), 5);
        for key in common::keys(6, 100) {
            assert!(router.node_for(&key) < 5);
        }
    }
}

#[test]
#[should_panic]
fn the_owner_of_a_partition_that_does_not_exist_panics() {
    let _ = FixedPartitions::new(16, 2).owner(16);
}

#[test]
fn the_given_mem_shard_keeps_keys_in_order() {
    use sharding::{KeyRange, MemShard, Shard};
    let range = |start: &str, end: Option<&str>| KeyRange {
        start: start.to_owned(),
        end: end.map(str::to_owned),
    };
    let mut shard = MemShard::new();
    assert!(shard.is_empty());
    for (k, v) in [("b", 2), ("a", 1), ("c", 3)] {
        shard.put(k, v);
    }
    shard.add("a", 10);
    shard.add("d", u64::MAX);
    shard.add("d", 1);
    assert_eq!((shard.len(), shard.is_empty()), (4, false));
    assert_eq!(shard.keys().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    assert_eq!(shard.get("a"), Some(11));
    assert_eq!(shard.get("d"), Some(u64::MAX), "add saturates");
    assert_eq!(shard.remove("b"), Some(2));
    assert_eq!(shard.remove("b"), None);
    assert_eq!(
        shard.scan(&range("a", Some("d"))),
        [("a".to_owned(), 11), ("c".to_owned(), 3)]
    );
    assert_eq!(shard.scan(&range("c", None)).len(), 2);
    assert!(
        shard.scan(&range("c", Some("c"))).is_empty(),
        "an empty range"
    );
    assert!(
        shard.scan(&range("d", Some("a"))).is_empty(),
        "an inverted range"
    );
}
