//! Stage 7 (counted efficiency): what each operation costs, in messages to
//! shards. A read is one message to the owner, even mid-migration; a join
//! copies only the moved partitions, each key once; a range scan touches
//! exactly the shards whose ranges overlap it, while a hash cluster must ask
//! every node; a hot-key read costs one message per salt, a write one.

use std::collections::BTreeSet;

use kit::rng::Rng;
use sharding::{Cluster, KeyRange, ModN, RangeStore, Router, Step};

use crate::common::{self, CountingShard};

fn messages(cluster: &Cluster<CountingShard>) -> Vec<usize> {
    (0..cluster.node_count())
        .map(|n| cluster.node(n).messages())
        .collect()
}

fn writes(cluster: &Cluster<CountingShard>) -> Vec<usize> {
    (0..cluster.node_count())
        .map(|n| cluster.node(n).writes())
        .collect()
}

fn diff(after: &[usize], before: &[usize]) -> Vec<usize> {
    after.iter().zip(before).map(|(a, b)| a - b).collect()
}

fn loaded(nodes: usize, keys: &[String]) -> Cluster<CountingShard> {
    let mut cluster = Cluster::new(64, CountingShard::many(nodes));
    for key in keys {
        cluster.put(key, 1);
    }
    cluster
}

#[test]
fn a_read_is_one_message_to_the_routers_owner_at_every_step() {
    let keys = common::keys(71, 600);
    let mut cluster = loaded(3, &keys);
    cluster.join(CountingShard::new(3));
    // Some keys that were never written: a miss costs one message too (no
    // falling back to other nodes "in case").
    let missing: Vec<String> = (0..100).map(|i| format!("missing:{i}")).collect();
    loop {
        for key in keys.iter().chain(&missing) {
            let owner = cluster.router().node_for(key);
            let before = messages(&cluster);
            cluster.get(key);
            let cost = diff(&messages(&cluster), &before);
            let mut expected = vec![0; cluster.node_count()];
            expected[owner] = 1;
            assert_eq!(
                cost, expected,
                "get({key:?}) must be one message to node {owner}, the router's owner (no \
                 asking every node, no dual reads: the copy is complete before the switch)"
            );
        }
        if cluster.step().is_none() {
            break;
        }
    }
}

#[test]
fn a_write_is_one_message_or_two_while_its_partition_is_being_copied() {
    let keys = common::keys(72, 600);
    let mut cluster = loaded(3, &keys);
    cluster.join(CountingShard::new(3));
    let mut copying = None;
    let mut rng = Rng::new(72).stream("writes");
    loop {
        for _ in 0..30 {
            let key = &keys[rng.below(keys.len() as u64) as usize];
            let partition = cluster.router().partition_for(key);
            let mut expected = vec![0; cluster.node_count()];
            expected[cluster.router().node_for(key)] = 1;
            if let Some(m) = copying.filter(|m: &sharding::Move| m.partition == partition) {
                expected[m.to] = 1;
            }
            let before = writes(&cluster);
            cluster.put(key, 5);
            assert_eq!(
                diff(&writes(&cluster), &before),
                expected,
                "put({key:?}): one write to the owner, plus one to the new owner only \
                 between Copy and Switch of its partition"
            );
        }
        match cluster.step() {
            Some(Step::Copy(m)) => copying = Some(m),
            Some(_) => copying = None,
            None => break,
        }
    }
}

#[test]
fn a_join_copies_only_the_moved_partitions_and_each_key_once() {
    const K: usize = 20_000;
    let keys = common::keys(73, K);
    let mut cluster = loaded(4, &keys);
    let table = cluster.router().clone();
    let old_nodes: Vec<(usize, usize)> = (0..4)
        .map(|n| (cluster.node(n).writes(), cluster.node(n).removes))
        .collect();
    cluster.join(CountingShard::new(4));
    let mut moved_partitions = BTreeSet::new();
    while let Some(step) = cluster.step() {
        if let Step::Copy(m) = step {
            moved_partitions.insert(m.partition);
        }
    }
    let must_move = keys
        .iter()
        .filter(|k| moved_partitions.contains(&table.partition_for(k)))
        .count();
    assert_eq!(
        cluster.node(4).writes(),
        must_move,
        "the new node must receive each key of the moved partitions exactly once, and \
         nothing else"
    );
    let removed: usize = (0..4)
        .map(|n| cluster.node(n).removes - old_nodes[n].1)
        .sum();
    assert_eq!(
        removed, must_move,
        "each moved key is dropped once from its old node"
    );
    for (n, &(writes_before, _)) in old_nodes.iter().enumerate() {
        assert_eq!(
            cluster.node(n).writes(),
            writes_before,
            "old node {n} receives no writes"
        );
    }
    // 12 of 64 partitions, so Binomial(K, 12/64) keys: ~1/(N+1) of them.
    let (low, high) = common::binomial_bounds(K, 12.0 / 64.0);
    assert!(
        (low..=high).contains(&(must_move as f64)),
        "{must_move} keys moved"
    );

    let mut naive = ModN::new(4);
    let before: Vec<usize> = keys.iter().map(|k| naive.node_for(k)).collect();
    naive.add_node();
    let naive_moved = keys
        .iter()
        .zip(&before)
        .filter(|(k, b)| naive.node_for(k) != **b)
        .count();
    assert!(
        naive_moved > 3 * must_move,
        "the same join with mod-N would move {naive_moved} keys against {must_move}"
    );
}

/// A store of ~100 shards (ids in creation order) over sequential keys.
fn big_store() -> (RangeStore<CountingShard>, Vec<String>) {
    let mut next = 0;
    let mut store = RangeStore::new(32, move || {
        next += 1;
        CountingShard::new(next - 1)
    });
    let keys: Vec<String> = common::keys(74, 3_000);
    for key in &keys {
        store.put(key, 1);
    }
    (store, keys)
}

/// The ids of the shards whose ranges overlap `range`.
fn overlapping(store: &RangeStore<CountingShard>, range: &KeyRange) -> BTreeSet<usize> {
    store
        .shards()
        .filter(|(r, _)| {
            let starts_before_end = range.end.as_deref().is_none_or(|e| r.start.as_str() < e);
            let ends_after_start = r.end.as_deref().is_none_or(|e| range.start.as_str() < e);
            let nonempty = range
                .end
                .as_deref()
                .is_none_or(|e| range.start.as_str() < e);
            nonempty && starts_before_end && ends_after_start
        })
        .map(|(_, s)| s.id)
        .collect()
}

fn scans_by_shard(store: &RangeStore<CountingShard>) -> Vec<(usize, usize)> {
    store.shards().map(|(_, s)| (s.id, s.scans)).collect()
}

fn assert_touches_exactly_the_overlap(store: &mut RangeStore<CountingShard>, range: &KeyRange) {
    let before = scans_by_shard(store);
    store.scan(range);
    let after = scans_by_shard(store);
    let mut touched = BTreeSet::new();
    for ((id, b), (_, a)) in before.iter().zip(&after) {
        assert!(
            a - b <= 1,
            "scan({range:?}) scanned shard {id} {} times",
            a - b
        );
        if a > b {
            touched.insert(*id);
        }
    }
    let expected = overlapping(store, range);
    assert_eq!(
        touched,
        expected,
        "scan({range:?}) must touch exactly the {} shards whose ranges overlap it",
        expected.len()
    );
}

#[test]
fn a_range_scan_touches_exactly_the_overlapping_shards() {
    let (mut store, keys) = big_store();
    assert!(
        store.shard_count() > 100,
        "precondition: many shards ({})",
        store.shard_count()
    );
    let starts: Vec<String> = store.shards().map(|(r, _)| r.start.clone()).collect();
    let mut rng = Rng::new(74).stream("ranges");
    let mut ranges = vec![
        KeyRange::all(),
        KeyRange::new("", ""),
        KeyRange::new("user:9", "user:1"),
        KeyRange::starting_at(keys[keys.len() - 1].clone()),
    ];
    for _ in 0..60 {
        // Bounds exactly on shard boundaries, and keys inside shards.
        let a = &starts[rng.below(starts.len() as u64) as usize];
        let b = &starts[rng.below(starts.len() as u64) as usize];
        let k = &keys[rng.below(keys.len() as u64) as usize];
        ranges.push(KeyRange::new(a.clone(), b.clone()));
        ranges.push(KeyRange::new(k.clone(), b.clone()));
        ranges.push(KeyRange::starting_at(a.clone()));
        ranges.push(KeyRange::new(k.clone(), format!("{k}\0")));
    }
    for range in &ranges {
        assert_touches_exactly_the_overlap(&mut store, range);
    }
}

#[test]
fn a_narrow_scan_touches_one_shard_but_a_hash_cluster_asks_every_node() {
    let (mut store, keys) = big_store();
    let key = &keys[1_234];
    let narrow = KeyRange::new(key.clone(), format!("{key}\0"));
    let before: usize = store.shards().map(|(_, s)| s.scans).sum();
    assert_eq!(store.scan(&narrow).len(), 1);
    let after: usize = store.shards().map(|(_, s)| s.scans).sum();
    assert_eq!(
        after - before,
        1,
        "a one-key range scan on a range store reads one shard"
    );

    let mut cluster = loaded(8, &keys);
    for range in [narrow, KeyRange::new("a", "b"), KeyRange::all()] {
        let before: Vec<usize> = (0..8).map(|n| cluster.node(n).scans).collect();
        cluster.scan(&range);
        let cost: Vec<usize> = (0..8).map(|n| cluster.node(n).scans - before[n]).collect();
        assert_eq!(
            cost, [1; 8],
            "scan({range:?}) on a hash-partitioned cluster: one scan on each node, since \
             hashing scatters every range over all of them"
        );
    }
}

#[test]
fn a_point_read_in_the_range_store_touches_one_shard() {
    let (mut store, keys) = big_store();
    for key in keys.iter().step_by(97) {
        let owner = store.shard_for(key);
        let before: Vec<usize> = store.shards().map(|(_, s)| s.messages()).collect();
        assert_eq!(store.get(key), Some(1));
        let after: Vec<usize> = store.shards().map(|(_, s)| s.messages()).collect();
        for (i, (a, b)) in after.iter().zip(&before).enumerate() {
            assert_eq!(
                a - b,
                usize::from(i == owner),
                "get({key:?}) must read only shard {owner}"
            );
        }
    }
}

#[test]
fn a_hot_key_read_costs_one_message_per_salt_and_a_write_one() {
    let mut cluster = Cluster::new(64, CountingShard::many(4));
    cluster.set_hot("celeb", 8);
    for _ in 0..100 {
        let before = messages(&cluster);
        cluster.add("celeb", 1);
        let cost: usize = diff(&messages(&cluster), &before).iter().sum();
        assert_eq!(cost, 1, "a write to a hot key is one add on one salt");
    }
    let before = messages(&cluster);
    let gets_before: usize = (0..4).map(|n| cluster.node(n).gets).sum();
    assert_eq!(cluster.get("celeb"), Some(100));
    let cost: usize = diff(&messages(&cluster), &before).iter().sum();
    let gets: usize = (0..4).map(|n| cluster.node(n).gets).sum::<usize>() - gets_before;
    assert_eq!(
        (cost, gets),
        (8, 8),
        "a read of a hot key with 8 salts is exactly one get per salt"
    );
    for s in 0..8 {
        let sub = format!("celeb#{s}");
        assert!(cluster.node(cluster.router().node_for(&sub)).holds(&sub));
    }
    cluster.put("plain", 1);
    let before = messages(&cluster);
    cluster.get("plain");
    assert_eq!(
        diff(&messages(&cluster), &before).iter().sum::<usize>(),
        1,
        "a plain read is one message"
    );
    let before = messages(&cluster);
    cluster.add("plain", 1);
    assert_eq!(
        diff(&messages(&cluster), &before).iter().sum::<usize>(),
        1,
        "an add is one Shard::add on the owner, not a get and a put"
    );
}
