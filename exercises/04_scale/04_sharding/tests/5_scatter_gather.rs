//! Stage 5: scatter-gather. A range query on a hash-partitioned cluster must
//! ask every node; their sorted answers are merged lazily (a k-way merge,
//! not collect-and-sort), each key reported once even mid-migration.

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::rc::Rc;

use kit::rng::Rng;
use proptest::prelude::*;
use sharding::{Cluster, KeyRange, merge_sorted};

use crate::common::{self, CountingShard};

/// A stream that counts the items pulled from it.
fn counted<I: Iterator>(inner: I, pulls: &Rc<Cell<usize>>) -> impl Iterator<Item = I::Item> {
    let pulls = Rc::clone(pulls);
    inner.inspect(move |_| pulls.set(pulls.get() + 1))
}

#[test]
fn merges_sorted_streams_into_one() {
    let merged: Vec<u32> = merge_sorted(vec![
        vec![1, 4, 9].into_iter(),
        vec![2, 3, 10].into_iter(),
        vec![5].into_iter(),
    ])
    .collect();
    assert_eq!(merged, [1, 2, 3, 4, 5, 9, 10]);
}

#[test]
fn merges_nothing_and_empty_streams() {
    let none: Vec<std::vec::IntoIter<u8>> = Vec::new();
    assert_eq!(merge_sorted(none).count(), 0, "no streams, no items");
    let empties = vec![Vec::<u8>::new().into_iter(), Vec::new().into_iter()];
    assert_eq!(merge_sorted(empties).count(), 0);
    let one = vec![
        Vec::new().into_iter(),
        vec![3u8, 3, 7].into_iter(),
        Vec::new().into_iter(),
    ];
    assert_eq!(merge_sorted(one).collect::<Vec<_>>(), [3, 3, 7]);
}

#[test]
fn pulls_nothing_before_the_first_item_and_one_per_item_after() {
    let pulls = Rc::new(Cell::new(0));
    let streams: Vec<_> = (0..3u64)
        .map(|r| counted((0u64..200_000).map(move |i| i * 3 + r), &pulls))
        .collect();
    let mut merged = merge_sorted(streams);
    assert_eq!(
        pulls.get(),
        0,
        "merge_sorted is lazy: nothing is pulled before next()"
    );
    let first: Vec<u64> = merged.by_ref().take(100).collect();
    assert_eq!(
        first,
        (0..100).collect::<Vec<_>>(),
        "three long streams merge in order"
    );
    assert!(
        pulls.get() <= 3 + 100,
        "yielding 100 items from 3 streams of 200 000 pulled {} items; a k-way merge pulls \
         at most k + m (collect-and-sort pulls all 600 000 before the first answer)",
        pulls.get()
    );
    assert_eq!(merged.next(), Some(100));
}

#[derive(Debug, Clone)]
struct Tagged {
    key: u8,
    tag: (usize, usize),
}

impl PartialEq for Tagged {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Tagged {}
impl PartialOrd for Tagged {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Tagged {
    /// Compares the key only, so equal items can be told apart by their tag.
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(107),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn equals_a_stable_sort_of_the_concatenation(
        streams in proptest::collection::vec(proptest::collection::vec(0u8..12, 0..15), 0..6),
        take in 0usize..60,
    ) {
        let streams: Vec<Vec<Tagged>> = streams
            .into_iter()
            .enumerate()
            .map(|(s, mut keys)| {
                keys.sort_unstable();
                keys.into_iter().enumerate().map(|(i, key)| Tagged { key, tag: (s, i) }).collect()
            })
            .collect();
        // Stream order, then each stream's own order, among equal keys.
        let mut expected: Vec<Tagged> = streams.concat();
        expected.sort_by_key(|t| t.key);
        let expected: Vec<(u8, (usize, usize))> = expected.iter().map(|t| (t.key, t.tag)).collect();

        let pulls = Rc::new(Cell::new(0));
        let k = streams.len();
        let merged: Vec<(u8, (usize, usize))> = merge_sorted(
            streams.into_iter().map(|s| counted(s.into_iter(), &pulls)).collect::<Vec<_>>(),
        )
        .take(take)
        .map(|t| (t.key, t.tag))
        .collect();
        let m = merged.len();
        prop_assert_eq!(&merged[..], &expected[..m.min(expected.len())],
            "equal items must come out earlier stream first, each stream in its own order");
        prop_assert_eq!(m, take.min(expected.len()));
        prop_assert!(pulls.get() <= k + m, "{} items from {} streams pulled {}", m, k, pulls.get());
    }
}

fn loaded_cluster(
    seed: u64,
    nodes: usize,
    n: usize,
) -> (Cluster<CountingShard>, BTreeMap<String, u64>) {
    let mut cluster = Cluster::new(64, CountingShard::many(nodes));
    let mut model = BTreeMap::new();
    for (i, key) in common::keys(seed, n).into_iter().enumerate() {
        cluster.put(&key, i as u64);
        model.insert(key, i as u64);
    }
    (cluster, model)
}

fn model_scan(model: &BTreeMap<String, u64>, range: &KeyRange) -> Vec<(String, u64)> {
    model
        .iter()
        .filter(|(k, _)| {
            range.start.as_str() <= k.as_str()
                && range.end.as_deref().is_none_or(|e| k.as_str() < e)
        })
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn random_range(rng: &mut Rng) -> KeyRange {
    let bound = |rng: &mut Rng| format!("user:{:x}", rng.below(16 * 16));
    match rng.below(4) {
        0 => KeyRange::starting_at(bound(rng)),
        1 => KeyRange::all(),
        _ => KeyRange::new(bound(rng), bound(rng)),
    }
}

#[test]
fn a_cluster_scan_returns_the_range_in_key_order() {
    let (mut cluster, model) = loaded_cluster(51, 4, 2_000);
    let mut rng = Rng::new(51).stream("ranges");
    for _ in 0..50 {
        let range = random_range(&mut rng);
        assert_eq!(
            cluster.scan(&range),
            model_scan(&model, &range),
            "scan({range:?}) must return exactly the stored entries in the range, in key order"
        );
    }
}

#[test]
fn a_scan_mid_migration_reports_each_key_once() {
    // Between Copy and Drop a partition sits on two nodes; the gather must keep
    // only the copy on the node the router names.
    let (mut cluster, model) = loaded_cluster(52, 3, 1_500);
    cluster.join(CountingShard::new(3));
    let mut rng = Rng::new(52).stream("ranges");
    while let Some(step) = cluster.step() {
        assert_eq!(
            cluster.scan(&KeyRange::all()),
            model_scan(&model, &KeyRange::all()),
            "after {step:?} a full scan must list every key exactly once"
        );
        let range = random_range(&mut rng);
        assert_eq!(
            cluster.scan(&range),
            model_scan(&model, &range),
            "after {step:?}: scan({range:?})"
        );
    }
}
