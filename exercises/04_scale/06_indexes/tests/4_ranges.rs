//! Stage 4: the budgets, in page reads. A point lookup reads at most
//! ⌈log_B n⌉ + 2 pages, a range of k entries at most ⌈log_B n⌉ + ⌈k/B⌉ + 2,
//! a select adds each heap page it needs once, and keeping an index in sync
//! costs pages in proportion to its height, never to the table.

use std::collections::BTreeSet;
use std::ops::Bound;

use indexes::{BTree, Column, Entry, IndexKind, PageId, Plan, Query, RowId};
use kit::rng::Rng;

use crate::common::{
    CountingPager, ceil_log, distinct_pages, filter_scan, point_budget, range_budget, reads_of,
    rid, sample_rows, table_of,
};

/// A tree of `n` entries with keys 0, 2, 4, ... (odd keys are absent),
/// inserted in order or shuffled.
fn tree_of(b: usize, n: usize, shuffled: bool, seed: u64) -> (CountingPager, BTree) {
    let mut es: Vec<Entry> = (0..n)
        .map(|i| Entry::new(vec![2 * i as i64], rid(i as u32)))
        .collect();
    if shuffled {
        Rng::new(seed).shuffle(&mut es);
    }
    let mut pager = CountingPager::new();
    let mut tree = BTree::new(&mut pager, b);
    for e in es {
        tree.insert(&mut pager, e);
    }
    (pager, tree)
}

const SHAPES: [(usize, usize); 9] = [
    (2, 1),
    (2, 9),
    (2, 2000),
    (3, 1500),
    (4, 100),
    (4, 3000),
    (8, 3000),
    (16, 16),
    (16, 3000),
];

#[test]
fn point_lookups_stay_within_log_b_n_plus_2() {
    for (b, n) in SHAPES {
        for shuffled in [false, true] {
            let (pager, tree) = tree_of(b, n, shuffled, (b * n) as u64);
            let budget = point_budget(b, n);
            let mut rng = Rng::new(n as u64);
            for _ in 0..60 {
                let key = rng.below(2 * n as u64 + 4) as i64 - 2; // even: present, odd: absent
                let before = pager.reads();
                let got = tree.get(&pager, &[key]);
                let reads = pager.reads() - before;
                let present = key >= 0 && key % 2 == 0 && key < 2 * n as i64;
                assert_eq!(
                    got.len(),
                    usize::from(present),
                    "get [{key}] in a tree of keys 0, 2, .."
                );
                assert!(
                    reads <= budget,
                    "B = {b}, n = {n}{}: get [{key}] read {reads} pages, over the budget ⌈log_B n⌉ + 2 = {budget}. One descent from the root, then at most one more leaf; a walk along the leaves or a scan costs far more",
                    if shuffled { ", shuffled" } else { "" }
                );
            }
        }
    }
}

#[test]
fn ranges_stay_within_log_b_n_plus_k_over_b_plus_2() {
    for (b, n) in SHAPES {
        for shuffled in [false, true] {
            let (pager, tree) = tree_of(b, n, shuffled, (b + n) as u64);
            let mut rng = Rng::new(b as u64);
            for _ in 0..40 {
                let lo = rng.below(2 * n as u64 + 2) as i64 - 1;
                let width = [0, 1, 7, 40, 400][rng.below(5) as usize];
                let hi = lo + width;
                let before = pager.reads();
                let got = tree.range(&pager, Bound::Included(&[lo]), Bound::Included(&[hi]));
                let reads = pager.reads() - before;
                let k = got.len();
                assert!(
                    got.iter().all(|e| lo <= e.key[0] && e.key[0] <= hi),
                    "range [{lo}]..=[{hi}] returned an entry outside it"
                );
                let budget = range_budget(b, n, k);
                assert!(
                    reads <= budget,
                    "B = {b}, n = {n}: range [{lo}]..=[{hi}] returned k = {k} entries and read {reads} pages, over ⌈log_B n⌉ + ⌈k/B⌉ + 2 = {budget}: descend once, walk the leaf chain, and stop at the first entry past the end"
                );
            }
            let before = pager.reads();
            let all = tree.range(&pager, Bound::Unbounded, Bound::Unbounded);
            let reads = pager.reads() - before;
            assert_eq!(all.len(), n);
            assert!(
                reads <= range_budget(b, n, n),
                "B = {b}, n = {n}: the whole tree read {reads} pages, over the range budget {}",
                range_budget(b, n, n)
            );
        }
    }
}

/// A table of 5 000 rows in d order (d = 0..5000, b a permutation), with a
/// B+tree (B = 8) on d and one on b.
fn indexed_table() -> (
    indexes::Table<CountingPager>,
    indexes::IndexId,
    indexes::IndexId,
) {
    let mut table = table_of(&sample_rows(5000, 40));
    let by_d = table.create_index(IndexKind::BTree { b: 8 }, &[Column::D]);
    let by_b = table.create_index(IndexKind::BTree { b: 8 }, &[Column::B]);
    (table, by_d, by_b)
}

#[test]
fn a_select_through_an_index_pays_the_index_budget_plus_its_heap_pages() {
    let (table, by_d, by_b) = indexed_table();
    let n = table.len();
    let heap_pages: BTreeSet<PageId> = table.scan().into_iter().map(|(id, _)| id.page).collect();
    let mut rng = Rng::new(41);
    for round in 0..40 {
        let (column, index) = if round % 2 == 0 {
            (Column::D, by_d)
        } else {
            (Column::B, by_b)
        };
        let lo = rng.below(5200) as i64 - 100;
        let width = [0, 0, 4, 39, 299][rng.below(5) as usize];
        let q = if width == 0 {
            Query::all().eq(column, lo)
        } else {
            Query::all().between(column, lo, lo + width)
        };
        assert_eq!(
            table.plan(&q),
            Plan::Index(index),
            "{q:?} has one usable index"
        );
        table.pager().take_log();
        let (got, reads) = reads_of(&table, |t| t.select(&q));
        let log = table.pager().take_log();
        let expected = filter_scan(&table, |r| q.matches(r));
        assert_eq!(got, expected, "select {q:?}");
        let mut seen = BTreeSet::new();
        for page in log.iter().filter(|p| heap_pages.contains(p)) {
            assert!(
                seen.insert(*page),
                "select {q:?} read heap page {page:?} twice: collect the candidate RowIds, sort them, and read each heap page once"
            );
        }
        let k = expected.len();
        let budget = range_budget(8, n, k) + distinct_pages(&expected);
        assert!(
            reads <= budget,
            "select {q:?} matched {k} rows on {} heap pages and read {reads} pages; the budget is ⌈log_B n⌉ + ⌈k/B⌉ + 2 index pages plus those heap pages = {budget} (a full scan reads {})",
            distinct_pages(&expected),
            table.heap_pages()
        );
    }
}

#[test]
fn an_update_that_changes_no_indexed_column_touches_only_its_heap_page() {
    let (mut table, _, _) = indexed_table();
    let id: RowId = table.scan()[1234].0;
    let row = table.get(id).expect("live");
    let (r0, w0) = (table.pager().reads(), table.pager().writes());
    table.update(id, [row[0] + 1, row[1], row[2] + 1, row[3]]);
    let (reads, writes) = (table.pager().reads() - r0, table.pager().writes() - w0);
    assert_eq!(
        (reads, writes),
        (1, 1),
        "an update of a and c, on a table indexed on d and b, should read and write the row's heap page and nothing else (PostgreSQL's HOT updates do the same); it read {reads} and wrote {writes}"
    );
}

#[test]
fn keeping_indexes_in_sync_costs_their_height_not_the_table() {
    let n = 3000;
    let mut table = table_of(&sample_rows(n, 42));
    let b = 8;
    table.create_index(IndexKind::BTree { b }, &[Column::D]);
    table.create_index(IndexKind::Hash { buckets: 375 }, &[Column::B]);
    let mut rng = Rng::new(43);
    let mut ids: Vec<RowId> = table.scan().into_iter().map(|(id, _)| id).collect();
    let (r0, w0) = (table.pager().reads(), table.pager().writes());
    let mut entry_changes = 0u64; // per index: entries added or removed
    let mut row_ops = 0u64;
    for i in 0..900 {
        match i % 3 {
            0 => {
                let v = (n + i) as i64;
                ids.push(table.insert([0, v, 0, v]));
                entry_changes += 1;
            }
            1 => {
                let id = ids[rng.below(ids.len() as u64) as usize];
                let v = -(i as i64);
                if table.update(id, [1, v, 1, v]).is_some() {
                    entry_changes += 2;
                }
            }
            _ => {
                let id = ids.swap_remove(rng.below(ids.len() as u64) as usize);
                if table.delete(id).is_some() {
                    entry_changes += 1;
                }
            }
        }
        row_ops += 1;
    }
    let reads = table.pager().reads() - r0;
    let writes = table.pager().writes() - w0;
    let height = ceil_log(b, n + 300).max(1);
    // The heap: one read and one write per operation. Per entry change, a
    // B+tree costs at most height + 1 reads and 2 writes on average, a hash
    // index 2 reads and 2 writes.
    let read_budget = row_ops + entry_changes * ((height + 1) + 2);
    let write_budget = row_ops + entry_changes * (2 + 2);
    assert!(
        reads <= read_budget,
        "900 inserts, updates and deletes on a table with a B+tree and a hash index read {reads} pages, over the budget {read_budget}: maintaining an index should cost O(log_B n) pages per changed entry, never a scan or a rebuild"
    );
    assert!(
        writes <= write_budget,
        "900 inserts, updates and deletes wrote {writes} pages, over the budget {write_budget}: each changed entry should rewrite its leaf or bucket page, and splits only now and then"
    );
}
