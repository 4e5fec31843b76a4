//! Stage 3: a B+tree in pages. Checked against a BTreeSet, and through its
//! pages: sorted, uniform depth, B to 2B items per node, chained leaves.

use std::cmp::Ordering;
use std::ops::Bound;

use indexes::{BTree, Column, Entry, IndexKind, Page, Query, Row, RowId, Table, Value};
use kit::rng::Rng;
use proptest::prelude::*;

use crate::common::{CountingPager, Model, ceil_log, check_tree, filter_scan, rid, table_of};

fn entry(key: &[Value], n: u32) -> Entry {
    Entry::new(key.to_vec(), rid(n))
}

/// A tree of fan-out `b` holding `entries`, inserted in the given order.
fn grow(b: usize, entries: &[Entry]) -> (CountingPager, BTree) {
    let mut pager = CountingPager::new();
    let mut tree = BTree::new(&mut pager, b);
    for e in entries {
        assert!(
            tree.insert(&mut pager, e.clone()),
            "inserting {e:?}, which is not in the tree yet, returns true"
        );
    }
    (pager, tree)
}

fn cmp_prefix(key: &[Value], bound: &[Value]) -> Ordering {
    key.iter().take(bound.len()).cmp(bound.iter())
}

/// The model's answer to `range(lo, hi)`, with bounds compared by prefix.
fn model_range(model: &Model, lo: &Bound<Vec<Value>>, hi: &Bound<Vec<Value>>) -> Vec<Entry> {
    model
        .iter()
        .filter(|e| match lo {
            Bound::Unbounded => true,
            Bound::Included(x) => cmp_prefix(&e.key, x).is_ge(),
            Bound::Excluded(x) => cmp_prefix(&e.key, x).is_gt(),
        })
        .filter(|e| match hi {
            Bound::Unbounded => true,
            Bound::Included(y) => cmp_prefix(&e.key, y).is_le(),
            Bound::Excluded(y) => cmp_prefix(&e.key, y).is_lt(),
        })
        .cloned()
        .collect()
}

fn as_ref(b: &Bound<Vec<Value>>) -> Bound<&[Value]> {
    match b {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
    }
}

#[test]
fn a_new_tree_is_one_empty_leaf() {
    let mut pager = CountingPager::new();
    let tree = BTree::new(&mut pager, 4);
    assert_eq!((tree.len(), tree.height(), tree.b()), (0, 1, 4));
    assert!(tree.is_empty());
    assert_eq!(
        pager.peek(tree.root()),
        &Page::Leaf {
            entries: vec![],
            next: None
        },
        "a new tree is a single empty leaf page"
    );
    assert!(
        tree.range(&pager, Bound::Unbounded, Bound::Unbounded)
            .is_empty()
    );
    assert!(tree.get(&pager, &[1]).is_empty());
}

#[test]
#[should_panic(expected = "B must be at least 2")]
fn fan_out_one_is_refused() {
    BTree::new(&mut CountingPager::new(), 1);
}

#[test]
fn insert_and_remove_report_what_changed() {
    let mut pager = CountingPager::new();
    let mut tree = BTree::new(&mut pager, 2);
    assert!(tree.insert(&mut pager, entry(&[1], 1)));
    assert!(!tree.is_empty());
    assert!(
        !tree.insert(&mut pager, entry(&[1], 1)),
        "inserting an entry already there returns false"
    );
    assert!(
        tree.insert(&mut pager, entry(&[1], 2)),
        "the same key with another row is another entry"
    );
    assert_eq!(tree.len(), 2, "a refused insert does not count");
    assert!(
        !tree.remove(&mut pager, &entry(&[1], 3)),
        "removing an absent entry returns false"
    );
    assert!(tree.remove(&mut pager, &entry(&[1], 1)));
    assert!(!tree.remove(&mut pager, &entry(&[1], 1)));
    assert_eq!(tree.len(), 1);
    assert_eq!(tree.get(&pager, &[1]), vec![rid(2)]);
}

#[test]
fn a_full_leaf_splits_into_b_and_b_plus_one() {
    let es: Vec<Entry> = (0..5).map(|i| entry(&[i], i as u32)).collect();
    let (pager, tree) = grow(2, &es[..4]);
    assert_eq!(tree.height(), 1, "2B = 4 entries fit in the root leaf");
    let (mut pager, mut tree) = (pager, tree);
    tree.insert(&mut pager, es[4].clone());
    assert_eq!(
        tree.height(),
        2,
        "the fifth entry splits the root leaf, and a new root goes on top"
    );
    let Page::Internal {
        separators,
        children,
    } = pager.peek(tree.root()).clone()
    else {
        panic!("after a root split the root is an internal node")
    };
    assert_eq!(
        separators,
        vec![es[2].clone()],
        "the separator is a copy of the first entry of the right half"
    );
    let left = pager.peek(children[0]);
    let right = pager.peek(children[1]);
    assert_eq!(
        left,
        &Page::Leaf {
            entries: es[..2].to_vec(),
            next: Some(children[1])
        },
        "B entries stay on the left, linked to the new right leaf"
    );
    assert_eq!(
        right,
        &Page::Leaf {
            entries: es[2..].to_vec(),
            next: None
        },
        "B + 1 entries move right"
    );
    check_tree(&pager, &tree, true);
}

#[test]
fn trees_grown_in_any_order_keep_their_shape() {
    for b in [2, 3, 4, 8] {
        for order in ["ascending", "descending", "shuffled"] {
            let n = 600;
            let mut es: Vec<Entry> = (0..n).map(|i| entry(&[i as i64 / 3], i)).collect();
            match order {
                "descending" => es.reverse(),
                "shuffled" => Rng::new(u64::from(b as u32) * 31).shuffle(&mut es),
                _ => {}
            }
            let (pager, tree) = grow(b, &es);
            let shape = check_tree(&pager, &tree, true);
            let mut sorted = es.clone();
            sorted.sort();
            assert_eq!(
                shape.entries, sorted,
                "B = {b}, {order}: the leaves hold every entry in order"
            );
            let bound = ceil_log(b, n as usize).max(1) as usize;
            assert!(
                tree.height() <= bound,
                "B = {b}, {order}: {n} entries in a tree {} levels high; with at least B items per node it is at most ⌈log_B n⌉ = {bound}",
                tree.height()
            );
        }
    }
}

#[test]
fn ranges_compare_keys_by_prefix() {
    let mut es = Vec::new();
    for a in 0..6 {
        for b in 0..5 {
            es.push(entry(&[a, b], (a * 5 + b) as u32));
        }
    }
    Rng::new(3).shuffle(&mut es);
    let (pager, tree) = grow(2, &es);
    let model: Model = es.iter().cloned().collect();
    let keys = |v: Vec<Entry>| -> Vec<Key> { v.into_iter().map(|e| e.key).collect() };
    type Key = Vec<Value>;
    let five = [5i64];
    let two = [2i64];
    assert_eq!(
        keys(tree.range(&pager, Bound::Included(&two), Bound::Included(&two))),
        (0..5).map(|b| vec![2, b]).collect::<Vec<_>>(),
        "Included([2])..=Included([2]) is every key starting with 2"
    );
    assert_eq!(
        keys(tree.range(&pager, Bound::Excluded(&two), Bound::Unbounded)),
        keys(model_range(
            &model,
            &Bound::Excluded(vec![2]),
            &Bound::Unbounded
        )),
        "Excluded([2]) as a lower bound starts after every key starting with 2"
    );
    assert_eq!(
        tree.range(&pager, Bound::Excluded(&five), Bound::Unbounded),
        vec![]
    );
    assert_eq!(
        keys(tree.range(&pager, Bound::Included(&[1, 3]), Bound::Excluded(&[3]))),
        vec![
            vec![1, 3],
            vec![1, 4],
            vec![2, 0],
            vec![2, 1],
            vec![2, 2],
            vec![2, 3],
            vec![2, 4]
        ],
        "a two-value lower bound and a one-value upper bound"
    );
    assert_eq!(
        tree.get(&pager, &[3, 4]),
        vec![rid(19)],
        "get is one exact key"
    );
    assert_eq!(tree.get(&pager, &[3, 5]), vec![]);
    assert_eq!(
        tree.range(&pager, Bound::Unbounded, Bound::Unbounded).len(),
        30
    );
}

#[test]
fn get_returns_every_row_of_a_repeated_key() {
    let es: Vec<Entry> = (0..40).map(|i| entry(&[i64::from(i % 3)], i)).collect();
    let (pager, tree) = grow(2, &es);
    let ones: Vec<RowId> = (0..40).filter(|i| i % 3 == 1).map(rid).collect();
    assert_eq!(
        tree.get(&pager, &[1]),
        ones,
        "13 entries share key [1] across several leaves; get returns all of them, in row order"
    );
}

#[derive(Debug, Clone)]
enum TreeOp {
    Insert(i64, i64, u32),
    Remove(usize),
}

fn bound() -> impl Strategy<Value = Bound<Vec<Value>>> {
    let key = prop::collection::vec(-1i64..6, 0..3);
    prop_oneof![
        1 => Just(Bound::Unbounded),
        2 => key.clone().prop_map(Bound::Included),
        2 => key.prop_map(Bound::Excluded),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(303),
        failure_persistence: None,
        cases: 96,
        ..ProptestConfig::default()
    })]

    /// The tree against a BTreeSet under inserts and removes, with its shape
    /// checked through the pages and random prefix ranges compared.
    #[test]
    fn the_tree_matches_a_sorted_set(
        b in 2usize..5,
        ops in prop::collection::vec(
            prop_oneof![
                3 => (0i64..5, 0i64..5, 0u32..8).prop_map(|(x, y, r)| TreeOp::Insert(x, y, r)),
                1 => any::<usize>().prop_map(TreeOp::Remove),
            ],
            1..150,
        ),
        ranges in prop::collection::vec((bound(), bound()), 8),
    ) {
        let mut pager = CountingPager::new();
        let mut tree = BTree::new(&mut pager, b);
        let mut model = Model::new();
        for op in ops {
            match op {
                TreeOp::Insert(x, y, r) => {
                    let e = entry(&[x, y], r);
                    prop_assert_eq!(tree.insert(&mut pager, e.clone()), model.insert(e));
                }
                TreeOp::Remove(i) if !model.is_empty() => {
                    let e = model.iter().nth(i % model.len()).cloned().expect("in range");
                    prop_assert!(tree.remove(&mut pager, &e));
                    model.remove(&e);
                }
                TreeOp::Remove(_) => {}
            }
        }
        let shape = check_tree(&pager, &tree, false);
        prop_assert_eq!(shape.entries, model.iter().cloned().collect::<Vec<_>>());
        for (lo, hi) in &ranges {
            prop_assert_eq!(
                tree.range(&pager, as_ref(lo), as_ref(hi)),
                model_range(&model, lo, hi),
                "range {:?}..{:?}", lo, hi
            );
        }
        for x in 0..5 {
            for y in 0..5 {
                let rows: Vec<RowId> = model.iter().filter(|e| e.key == [x, y]).map(|e| e.row).collect();
                prop_assert_eq!(tree.get(&pager, &[x, y]), rows);
            }
        }
    }

    /// A tree that has only grown keeps every node between B and 2B items.
    #[test]
    fn a_growing_tree_keeps_nodes_at_least_half_full(
        b in 2usize..6,
        keys in prop::collection::vec((0i64..40, 0u32..4), 1..300),
    ) {
        let mut pager = CountingPager::new();
        let mut tree = BTree::new(&mut pager, b);
        let mut model = Model::new();
        for (k, r) in keys {
            let e = entry(&[k], r);
            prop_assert_eq!(tree.insert(&mut pager, e.clone()), model.insert(e));
        }
        let shape = check_tree(&pager, &tree, true);
        prop_assert_eq!(shape.entries, model.into_iter().collect::<Vec<_>>());
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Row),
    Update(usize, Row),
    Delete(usize),
}

fn row() -> impl Strategy<Value = Row> {
    prop::array::uniform4(-4i64..4)
}

fn projection(table: &Table<CountingPager>, columns: &[Column]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = table
        .scan()
        .into_iter()
        .map(|(id, row)| Entry::new(columns.iter().map(|c| c.of(&row)).collect(), id))
        .collect();
    entries.sort();
    entries
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(304),
        failure_persistence: None,
        cases: 48,
        ..ProptestConfig::default()
    })]

    /// B+tree indexes of a table stay in sync under inserts, updates and
    /// deletes, and selects through them equal filtered scans.
    #[test]
    fn btree_indexes_stay_in_sync(
        initial in prop::collection::vec(row(), 0..60),
        ops in prop::collection::vec(
            prop_oneof![
                2 => row().prop_map(Op::Insert),
                2 => (any::<usize>(), row()).prop_map(|(i, r)| Op::Update(i, r)),
                1 => any::<usize>().prop_map(Op::Delete),
            ],
            1..80,
        ),
    ) {
        let mut table = table_of(&initial);
        let by_d = table.create_index(IndexKind::BTree { b: 3 }, &[Column::D]);
        let by_ab = table.create_index(IndexKind::BTree { b: 2 }, &[Column::A, Column::B]);
        let mut ids: Vec<RowId> = table.scan().into_iter().map(|(id, _)| id).collect();
        for op in ops {
            match op {
                Op::Insert(r) => ids.push(table.insert(r)),
                Op::Update(i, r) if !ids.is_empty() => {
                    table.update(ids[i % ids.len()], r);
                }
                Op::Delete(i) if !ids.is_empty() => {
                    table.delete(ids[i % ids.len()]);
                }
                _ => {}
            }
        }
        prop_assert_eq!(table.index_entries(by_d), projection(&table, &[Column::D]),
            "the B+tree on d must hold exactly one entry per live row");
        prop_assert_eq!(table.index_entries(by_ab), projection(&table, &[Column::A, Column::B]),
            "the B+tree on (a, b) must hold exactly one entry per live row");
        for v in -4..4 {
            let key_rows: Vec<RowId> = filter_scan(&table, |r| r[3] == v).into_iter().map(|(id, _)| id).collect();
            prop_assert_eq!(table.lookup(by_d, &[v]), key_rows);
            for q in [
                Query::all().eq(Column::D, v),
                Query::all().between(Column::D, v, v + 2),
                Query::all().eq(Column::A, v).between(Column::B, -1, 2),
                Query::all().between(Column::A, v, 1).eq(Column::C, 0),
            ] {
                prop_assert_eq!(table.select(&q), filter_scan(&table, |r| q.matches(r)), "select {:?}", q);
            }
        }
    }
}
