//! The lesson's B+tree (nodes are `Page`s in a `MemPager`, keys `Vec<i64>`,
//! every node visit a counted page read) against `std::collections::BTreeMap`
//! (an in-memory B-tree with B = 6, 11 keys per node) on the same keys and
//! values.
//!
//! - `point`: 100 000 entries inserted in shuffled order, lookups of present
//!   keys in a shuffled order.
//! - `range`: the same tree, ranges of 100 consecutive keys, every entry
//!   cloned into a Vec on both sides (the lesson's `range` returns owned
//!   entries).
//!
//! The lesson's tree pays for what a disk-backed tree needs and an in-memory
//! map does not: a page lookup per node (a Vec index here, a buffer-pool hash
//! lookup in a database), an enum match per page, a counter per read.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::ops::Bound;

use criterion::{Criterion, criterion_group, criterion_main};
use indexes::{BTree, Entry, MemPager, PageId, RowId};
use kit::rng::Rng;

const SIZE: i64 = 100_000;
/// 64 to 128 entries per node: a small page's worth.
const FAN_OUT: usize = 64;
const RANGE: i64 = 100;

fn row(i: i64) -> RowId {
    RowId {
        page: PageId((i / 8) as u32),
        slot: (i % 8) as u16,
    }
}

fn shuffled() -> Vec<i64> {
    let mut keys: Vec<i64> = (0..SIZE).collect();
    Rng::new(7).shuffle(&mut keys);
    keys
}

fn build() -> (MemPager, BTree, BTreeMap<Vec<i64>, RowId>) {
    let mut pager = MemPager::new();
    let mut tree = BTree::new(&mut pager, FAN_OUT);
    let mut map = BTreeMap::new();
    for k in shuffled() {
        tree.insert(&mut pager, Entry::new(vec![k], row(k)));
        map.insert(vec![k], row(k));
    }
    (pager, tree, map)
}

fn point(c: &mut Criterion) {
    let (pager, tree, map) = build();
    let probes: Vec<Vec<i64>> = shuffled().into_iter().map(|k| vec![k]).collect();
    let mut group = c.benchmark_group("indexes_point");

    let mut i = 0;
    group.bench_function("sdkata_btree", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            black_box(tree.get(&pager, black_box(&probes[i])))
        })
    });

    let mut i = 0;
    group.bench_function("std_btreemap", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            black_box(map.get(black_box(&probes[i])).copied())
        })
    });
    group.finish();
}

fn range(c: &mut Criterion) {
    let (pager, tree, map) = build();
    let starts: Vec<(Vec<i64>, Vec<i64>)> = shuffled()
        .into_iter()
        .map(|k| {
            let lo = k.min(SIZE - RANGE);
            (vec![lo], vec![lo + RANGE - 1])
        })
        .collect();
    let mut group = c.benchmark_group("indexes_range_100");

    let mut i = 0;
    group.bench_function("sdkata_btree", |b| {
        b.iter(|| {
            i = (i + 1) % starts.len();
            let (lo, hi) = &starts[i];
            let out = tree.range(
                &pager,
                Bound::Included(lo.as_slice()),
                Bound::Included(hi.as_slice()),
            );
            debug_assert_eq!(out.len(), RANGE as usize);
            black_box(out)
        })
    });

    let mut i = 0;
    group.bench_function("std_btreemap", |b| {
        b.iter(|| {
            i = (i + 1) % starts.len();
            let (lo, hi) = &starts[i];
            let out: Vec<Entry> = map
                .range::<Vec<i64>, _>((Bound::Included(lo), Bound::Included(hi)))
                .map(|(k, v)| Entry::new(k.clone(), *v))
                .collect();
            debug_assert_eq!(out.len(), RANGE as usize);
            black_box(out)
        })
    });
    group.finish();
}

criterion_group!(benches, point, range);
criterion_main!(benches);
