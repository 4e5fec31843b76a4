//! Stage 3: a live migration. A join moves partitions to the new node one
//! step at a time (copy, switch, drop), and at every step every key is
//! readable, with its latest value, from the node the router names.

use std::collections::{BTreeMap, BTreeSet};

use kit::rng::Rng;
use sharding::{Cluster, FixedPartitions, Move, Router, Step};

use crate::common::{self, CountingShard};

const PARTITIONS: usize = 64;

/// A cluster of `nodes` counting shards holding `keys`, each with a value;
/// returns the cluster and the model of what it holds.
fn loaded(nodes: usize, keys: &[String]) -> (Cluster<CountingShard>, BTreeMap<String, u64>) {
    let mut cluster = Cluster::new(PARTITIONS, CountingShard::many(nodes));
    let mut model = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        cluster.put(key, i as u64);
        model.insert(key.clone(), i as u64);
    }
    (cluster, model)
}

fn assert_all_readable(
    cluster: &mut Cluster<CountingShard>,
    model: &BTreeMap<String, u64>,
    when: &str,
) {
    for (key, value) in model {
        assert_eq!(
            cluster.get(key),
            Some(*value),
            "{when}: key {key:?} must read {value} (owner per router: node {}); a \
             migration must never make a key unreadable or stale",
            cluster.router().node_for(key)
        );
    }
}

/// Each node holds exactly the keys the router says it owns.
fn assert_placed_exactly(cluster: &Cluster<CountingShard>, model: &BTreeMap<String, u64>) {
    for id in 0..cluster.node_count() {
        let held: BTreeSet<&str> = cluster.node(id).data.keys().map(String::as_str).collect();
        let owned: BTreeSet<&str> = model
            .keys()
            .filter(|k| cluster.router().node_for(k) == id)
            .map(String::as_str)
            .collect();
        assert_eq!(
            held, owned,
            "after the migration node {id} must hold exactly the keys it owns: no key lost, \
             no stale copy left behind"
        );
    }
}

/// The plan an independent router computes for the same join.
fn expected_plan(nodes: usize) -> Vec<Move> {
    let mut table = FixedPartitions::new(PARTITIONS, nodes);
    table.add_node();
    table.plan_rebalance()
}

#[test]
fn a_cluster_stores_on_the_routers_owner() {
    let keys = common::keys(41, 300);
    let (cluster, model) = loaded(3, &keys);
    assert_eq!(cluster.node_count(), 3);
    assert!(!cluster.migrating());
    assert_eq!(cluster.router(), &FixedPartitions::new(PARTITIONS, 3));
    assert_placed_exactly(&cluster, &model);
}

#[test]
fn join_plans_the_moves_and_moves_nothing_yet() {
    let keys = common::keys(42, 1_000);
    let (mut cluster, model) = loaded(3, &keys);
    let messages_before: Vec<usize> = (0..3).map(|n| cluster.node(n).messages()).collect();
    let router_before = cluster.router().clone();
    assert_eq!(
        cluster.join(CountingShard::new(3)),
        3,
        "the new node's id is the old count"
    );
    assert_eq!(cluster.node_count(), 4);
    assert!(
        cluster.migrating(),
        "a join that planned moves starts a migration"
    );
    assert_eq!(cluster.router().node_count(), 4);
    for key in model.keys() {
        assert_eq!(
            cluster.router().node_for(key),
            router_before.node_for(key),
            "join must not switch any partition: the new node holds no data yet"
        );
    }
    for (n, &before) in messages_before.iter().enumerate() {
        assert_eq!(
            cluster.node(n).messages(),
            before,
            "join only plans; copying is the job of step()"
        );
    }
    assert!(cluster.node(3).data.is_empty());
}

#[test]
fn steps_come_as_copy_switch_drop_for_each_move_in_plan_order() {
    let keys = common::keys(43, 1_000);
    let (mut cluster, _) = loaded(3, &keys);
    cluster.join(CountingShard::new(3));
    let mut expected = Vec::new();
    for m in expected_plan(3) {
        expected.extend([Step::Copy(m), Step::Switch(m), Step::Drop(m)]);
    }
    assert_eq!(
        expected.len(),
        3 * 16,
        "64 partitions from 3 to 4 nodes: 16 moves"
    );
    let mut got = Vec::new();
    while let Some(step) = cluster.step() {
        got.push(step);
        assert!(got.len() <= expected.len(), "the migration does not end");
    }
    assert_eq!(
        got, expected,
        "one move at a time, in plan order, each Copy, Switch, Drop"
    );
    assert!(!cluster.migrating());
    assert_eq!(cluster.step(), None, "no migration, no step");
}

#[test]
fn each_step_does_what_it_says() {
    let keys = common::keys(44, 2_000);
    let (mut cluster, model) = loaded(3, &keys);
    cluster.join(CountingShard::new(3));
    while let Some(step) = cluster.step() {
        let (m, phase) = match step {
            Step::Copy(m) => (m, "Copy"),
            Step::Switch(m) => (m, "Switch"),
            Step::Drop(m) => (m, "Drop"),
        };
        let in_partition: Vec<&String> = model
            .keys()
            .filter(|k| cluster.router().partition_for(k) == m.partition)
            .collect();
        assert!(!in_partition.is_empty());
        let owner = cluster.router().owner(m.partition);
        let (on_old, on_new) = (cluster.node(m.from), cluster.node(m.to));
        for key in in_partition {
            let v = model[key];
            match step {
                Step::Copy(_) => {
                    assert_eq!(
                        owner, m.from,
                        "after Copy the table still names the old owner"
                    );
                    assert_eq!(
                        on_new.value(key),
                        Some(v),
                        "after Copy the new node holds {key:?}"
                    );
                    assert_eq!(
                        on_old.value(key),
                        Some(v),
                        "Copy must not remove from the old node"
                    );
                }
                Step::Switch(_) => {
                    assert_eq!(owner, m.to, "after Switch the table names the new owner");
                    assert_eq!(on_new.value(key), Some(v));
                    assert!(on_old.holds(key), "the old copy goes only at Drop");
                }
                Step::Drop(_) => {
                    assert_eq!(owner, m.to);
                    assert_eq!(on_new.value(key), Some(v));
                    assert!(
                        !on_old.holds(key),
                        "after {phase} the old node holds no key of the partition"
                    );
                }
            }
        }
    }
    assert_placed_exactly(&cluster, &model);
}

#[test]
fn every_key_is_readable_at_every_step() {
    let keys = common::keys(45, 2_000);
    let (mut cluster, model) = loaded(3, &keys);
    cluster.join(CountingShard::new(3));
    assert_all_readable(&mut cluster, &model, "right after join");
    while let Some(step) = cluster.step() {
        assert_all_readable(&mut cluster, &model, &format!("after {step:?}"));
    }
    assert_placed_exactly(&cluster, &model);
}

#[test]
fn writes_during_a_migration_are_not_lost() {
    // Between each pair of steps, overwrite, increment and insert keys, many
    // of them in the very partition being moved: a write between Copy and
    // Switch that reached only the old owner would vanish at the switch.
    let keys = common::keys(46, 1_500);
    let (mut cluster, mut model) = loaded(3, &keys);
    let mut rng = Rng::new(46).stream("writes");
    let mut fresh = 0u64;
    cluster.join(CountingShard::new(3));
    while let Some(step) = cluster.step() {
        let (Step::Copy(m) | Step::Switch(m) | Step::Drop(m)) = step;
        let router = cluster.router().clone();
        let hot: Vec<String> = model
            .keys()
            .filter(|k| router.partition_for(k) == m.partition)
            .cloned()
            .collect();
        for _ in 0..6 {
            let key = hot[rng.below(hot.len() as u64) as usize].clone();
            let value = rng.below(1_000_000);
            cluster.put(&key, value);
            model.insert(key, value);
            let key = hot[rng.below(hot.len() as u64) as usize].clone();
            let delta = rng.range(1..100);
            cluster.add(&key, delta);
            *model.get_mut(&key).unwrap() += delta;
        }
        // A brand-new key in the moving partition.
        let new_key = loop {
            fresh += 1;
            let candidate = format!("new:{fresh}");
            if router.partition_for(&candidate) == m.partition {
                break candidate;
            }
        };
        cluster.add(&new_key, 7);
        model.insert(new_key, 7);
        // And some key anywhere.
        let key = keys[rng.below(keys.len() as u64) as usize].clone();
        cluster.put(&key, 1);
        model.insert(key, 1);
        assert_all_readable(
            &mut cluster,
            &model,
            &format!("after writes following {step:?}"),
        );
    }
    assert_all_readable(&mut cluster, &model, "after the migration");
    assert_placed_exactly(&cluster, &model);
}

#[test]
fn the_migration_ends_balanced() {
    let keys = common::keys(47, 500);
    let (mut cluster, model) = loaded(3, &keys);
    cluster.join(CountingShard::new(3));
    while cluster.step().is_some() {}
    for n in 0..4 {
        assert_eq!(
            cluster.router().partitions_of(n).len(),
            16,
            "64 partitions over 4 nodes"
        );
    }
    assert_placed_exactly(&cluster, &model);
}

#[test]
fn several_joins_in_a_row_keep_every_key() {
    let keys = common::keys(48, 1_000);
    let (mut cluster, model) = loaded(2, &keys);
    for id in 2..6 {
        assert_eq!(cluster.join(CountingShard::new(id)), id);
        while cluster.step().is_some() {}
        assert_all_readable(&mut cluster, &model, &format!("after node {id} joined"));
        assert_placed_exactly(&cluster, &model);
    }
}

#[test]
fn a_join_that_needs_no_moves_is_not_a_migration() {
    // 2 partitions over 2 nodes: a third node cannot take anything.
    let mut cluster = Cluster::new(2, CountingShard::many(2));
    cluster.put("a", 1);
    assert_eq!(cluster.join(CountingShard::new(2)), 2);
    assert!(!cluster.migrating());
    assert_eq!(cluster.step(), None);
    assert_eq!(cluster.get("a"), Some(1));
}

#[test]
#[should_panic(expected = "join during a migration")]
fn joining_during_a_migration_panics() {
    let keys = common::keys(49, 100);
    let (mut cluster, _) = loaded(3, &keys);
    cluster.join(CountingShard::new(3));
    cluster.step();
    cluster.join(CountingShard::new(4));
}

#[test]
#[should_panic(expected = "FixedPartitions needs at least one partition and one node")]
fn a_cluster_without_nodes_panics() {
    let _ = Cluster::<CountingShard>::new(16, Vec::new());
}

#[test]
#[should_panic(expected = "FixedPartitions needs at least one partition and one node")]
fn a_cluster_without_partitions_panics() {
    let _ = Cluster::new(0, CountingShard::many(2));
}

#[test]
#[should_panic]
fn asking_for_a_node_that_does_not_exist_panics() {
    let cluster = Cluster::new(16, CountingShard::many(2));
    let _ = cluster.node(2);
}

#[test]
fn works_on_the_given_mem_shard() {
    let mut cluster = Cluster::new(
        16,
        vec![sharding::MemShard::new(), sharding::MemShard::new()],
    );
    cluster.put("k", 3);
    cluster.add("k", 4);
    cluster.add("fresh", 2);
    cluster.join(sharding::MemShard::new());
    while cluster.step().is_some() {}
    assert_eq!(cluster.get("k"), Some(7));
    assert_eq!(cluster.get("fresh"), Some(2));
    assert_eq!(cluster.get("missing"), None);
}
