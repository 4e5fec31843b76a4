//! Stage 2 (the wrong design): what a join costs. Going from N to N+1 nodes,
//! `hash % N` moves about N/(N+1) of all keys; fixed partitions move whole
//! partitions, about 1/(N+1) of the keys, and only to the new node.
//!
//! The bounds are derived, not measured. A key hash `h` is, for our purposes,
//! uniform and independent across distinct keys. Under mod-N a key stays put
//! iff `h % N == h % (N+1)`, i.e. iff `h mod N(N+1)` is below N (both
//! residues equal `r` only if N and N+1 both divide `h - r`), which happens
//! with probability N / (N(N+1)) = 1/(N+1). So the number of keys that move
//! is Binomial(K, N/(N+1)). With fixed partitions the plan (which depends on
//! the table only, never on the keys) moves q = ⌊P/(N+1)⌋ of the P
//! partitions, and a key moves iff its partition is one of them:
//! Binomial(K, q/P). Each check allows mean ± 5σ.

use std::collections::HashSet;

use proptest::prelude::*;
use sharding::{FixedPartitions, ModN, Move, Router};

use crate::common;

const K: usize = 20_000;
const P: usize = 256;

fn moved(before: &[usize], after: &[usize]) -> usize {
    before.iter().zip(after).filter(|(b, a)| b != a).count()
}

fn apply_all(table: &mut FixedPartitions, plan: &[Move]) {
    for m in plan {
        table.apply(m);
    }
}

fn counts(table: &FixedPartitions) -> Vec<usize> {
    (0..table.node_count())
        .map(|n| table.partitions_of(n).len())
        .collect()
}

#[test]
fn mod_n_moves_about_n_over_n_plus_1_of_the_keys_on_a_join() {
    for (seed, n) in [(11, 1usize), (12, 4), (13, 9), (14, 4)] {
        let keys = common::keys(seed, K);
        let mut router = ModN::new(n);
        let before: Vec<usize> = keys.iter().map(|k| router.node_for(k)).collect();
        router.add_node();
        let after: Vec<usize> = keys.iter().map(|k| router.node_for(k)).collect();
        let moved = moved(&before, &after);
        let p = n as f64 / (n as f64 + 1.0);
        let (low, high) = common::binomial_bounds(K, p);
        assert!(
            (low..=high).contains(&(moved as f64)),
            "mod-N from {n} to {} nodes moved {moved} of {K} keys; expected about \
             N/(N+1) = {p:.3} of them ({low:.0}..={high:.0}). This is why hash % N is the \
             wrong design for a cluster that grows",
            n + 1
        );
    }
}

#[test]
fn fixed_partitions_move_about_1_over_n_plus_1_and_only_to_the_new_node() {
    for (seed, n) in [(21, 1usize), (22, 4), (23, 9), (24, 4)] {
        let keys = common::keys(seed, K);
        let mut table = FixedPartitions::new(P, n);
        let before: Vec<usize> = keys.iter().map(|k| table.node_for(k)).collect();
        let new_node = table.add_node();
        let plan = table.plan_rebalance();
        apply_all(&mut table, &plan);
        let after: Vec<usize> = keys.iter().map(|k| table.node_for(k)).collect();
        for ((key, b), a) in keys.iter().zip(&before).zip(&after) {
            assert!(
                a == b || *a == new_node,
                "key {key:?} moved from node {b} to node {a}: after a join, keys may only \
                 move to the new node {new_node} (a mod-N router inside the table moves keys \
                 between old nodes too)"
            );
        }
        let moved = moved(&before, &after);
        let q = P / (n + 1);
        let (low, high) = common::binomial_bounds(K, q as f64 / P as f64);
        assert!(
            (low..=high).contains(&(moved as f64)),
            "fixed partitions from {n} to {} nodes moved {moved} of {K} keys; the plan \
             moves {q} of {P} partitions, so about {:.0} keys ({low:.0}..={high:.0}), \
             close to K/(N+1) = {:.0}",
            n + 1,
            K as f64 * q as f64 / P as f64,
            K as f64 / (n as f64 + 1.0)
        );
    }
}

#[test]
fn the_naive_design_moves_several_times_more_keys() {
    // Same keys, same join from 4 to 5 nodes: ~80 % against ~20 %.
    let keys = common::keys(31, K);
    let mut naive = ModN::new(4);
    let mut table = FixedPartitions::new(P, 4);
    let naive_before: Vec<usize> = keys.iter().map(|k| naive.node_for(k)).collect();
    let table_before: Vec<usize> = keys.iter().map(|k| table.node_for(k)).collect();
    naive.add_node();
    table.add_node();
    let plan = table.plan_rebalance();
    apply_all(&mut table, &plan);
    let naive_moved = moved(
        &naive_before,
        &keys.iter().map(|k| naive.node_for(k)).collect::<Vec<_>>(),
    );
    let table_moved = moved(
        &table_before,
        &keys.iter().map(|k| table.node_for(k)).collect::<Vec<_>>(),
    );
    assert!(
        naive_moved > 3 * table_moved,
        "mod-N moved {naive_moved} keys and fixed partitions {table_moved}: the partition \
         table must move about a quarter as many (1/5 against 4/5)"
    );
}

#[test]
fn a_join_moves_whole_partitions_to_the_new_node_and_balances_within_one() {
    let mut table = FixedPartitions::new(P, 4);
    let new_node = table.add_node();
    let plan = table.plan_rebalance();
    assert_eq!(
        plan.len(),
        P / 5,
        "from 4 to 5 nodes the fewest moves is ⌊256/5⌋ = 51 partitions"
    );
    let mut seen = HashSet::new();
    for m in &plan {
        assert!(
            seen.insert(m.partition),
            "partition {} moves twice",
            m.partition
        );
        assert_eq!(
            m.from,
            table.owner(m.partition),
            "{m:?}: `from` must be the current owner"
        );
        assert_eq!(
            m.to, new_node,
            "{m:?}: after a join every move goes to the new node"
        );
    }
    apply_all(&mut table, &plan);
    let counts = counts(&table);
    assert_eq!(counts.iter().sum::<usize>(), P);
    for (node, &c) in counts.iter().enumerate() {
        assert!(
            c == 51 || c == 52,
            "node {node} owns {c} partitions; every node must own ⌊256/5⌋ = 51 or 52"
        );
    }
}

#[test]
fn every_join_from_one_to_twenty_nodes_is_minimal_and_balanced() {
    let mut table = FixedPartitions::new(P, 1);
    for n in 2..=20 {
        let new_node = table.add_node();
        let plan = table.plan_rebalance();
        assert_eq!(
            plan.len(),
            P / n,
            "joining node {new_node} of {n}: the fewest moves is ⌊{P}/{n}⌋"
        );
        assert!(plan.iter().all(|m| m.to == new_node));
        apply_all(&mut table, &plan);
        let counts = counts(&table);
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(
            max - min <= 1 && *min == P / n,
            "with {n} nodes the partition counts are {counts:?}: each must be ⌊P/N⌋ or ⌈P/N⌉"
        );
        assert!(
            table.plan_rebalance().is_empty(),
            "a balanced table plans no moves"
        );
    }
}

#[test]
fn a_balanced_table_plans_nothing() {
    for (p, n) in [(256, 4), (10, 3), (2, 3), (1, 1), (7, 7)] {
        assert_eq!(
            FixedPartitions::new(p, n).plan_rebalance(),
            Vec::<Move>::new(),
            "{p} partitions over {n} nodes start balanced"
        );
    }
    // More nodes than partitions: a join that cannot improve anything moves nothing.
    let mut table = FixedPartitions::new(2, 3);
    table.add_node();
    assert!(table.plan_rebalance().is_empty());
}

#[test]
fn the_plan_is_the_same_for_the_same_table() {
    // Two routers built independently (two clients, two machines) must agree.
    let build = || {
        let mut table = FixedPartitions::new(128, 3);
        table.add_node();
        table.add_node();
        table.apply(&Move {
            partition: 5,
            from: 2,
            to: 0,
        });
        table.apply(&Move {
            partition: 9,
            from: 0,
            to: 0,
        });
        table
    };
    let (a, b) = (build(), build());
    let plan = a.plan_rebalance();
    assert!(!plan.is_empty());
    for _ in 0..5 {
        assert_eq!(
            b.plan_rebalance(),
            plan,
            "the same table gave two different plans: the plan must not depend on \
             hash-map iteration order or randomness"
        );
        assert_eq!(a.clone().plan_rebalance(), plan);
    }
}

#[test]
#[should_panic(expected = "stale move")]
fn applying_a_move_from_the_wrong_owner_panics() {
    let mut table = FixedPartitions::new(8, 2);
    // Partition 3 is on node 1.
    table.apply(&Move {
        partition: 3,
        from: 0,
        to: 1,
    });
}

#[test]
#[should_panic]
fn applying_a_move_to_a_missing_node_panics() {
    let mut table = FixedPartitions::new(8, 2);
    table.apply(&Move {
        partition: 3,
        from: 1,
        to: 2,
    });
}

/// A table of `partitions` over `nodes`, scrambled by random reassignments.
fn scrambled() -> impl Strategy<Value = FixedPartitions> {
    (
        1usize..60,
        1usize..9,
        0usize..4,
        proptest::collection::vec((any::<u16>(), any::<u16>()), 0..80),
    )
        .prop_map(|(partitions, nodes, added, moves)| {
            let mut table = FixedPartitions::new(partitions, nodes);
            for _ in 0..added {
                table.add_node();
            }
            let n = table.node_count();
            for (p, to) in moves {
                let partition = p as usize % partitions;
                let from = table.owner(partition);
                table.apply(&Move {
                    partition,
                    from,
                    to: to as usize % n,
                });
            }
            table
        })
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(105),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn from_any_table_the_plan_is_valid_minimal_and_balancing(table in scrambled()) {
        let plan = table.plan_rebalance();
        let n = table.node_count();
        let p = table.partition_count();
        let (quota, extra) = (p / n, p % n);

        // The fewest moves: give the `extra` larger shares to the nodes that own
        // the most, and count what the others must give away.
        let mut sorted = counts(&table);
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let minimum: usize = sorted
            .iter()
            .enumerate()
            .map(|(i, &c)| c.saturating_sub(quota + usize::from(i < extra)))
            .sum();
        prop_assert_eq!(plan.len(), minimum, "the plan is not the fewest moves that balance");

        let mut seen = HashSet::new();
        let givers: HashSet<usize> = plan.iter().map(|m| m.from).collect();
        for m in &plan {
            prop_assert!(seen.insert(m.partition), "partition {} moves twice", m.partition);
            prop_assert_eq!(m.from, table.owner(m.partition), "`from` must be the current owner");
            prop_assert!(m.from != m.to, "{:?} moves a partition to its own owner", m);
            prop_assert!(!givers.contains(&m.to), "node {} both gives and receives", m.to);
        }
        let mut after = table.clone();
        apply_all(&mut after, &plan);
        for (node, c) in counts(&after).into_iter().enumerate() {
            prop_assert!(
                c == quota || c == quota + 1,
                "node {} owns {} partitions after the plan; must be {} or {}", node, c, quota, quota + 1
            );
        }
        prop_assert!(after.plan_rebalance().is_empty());
    }
}
