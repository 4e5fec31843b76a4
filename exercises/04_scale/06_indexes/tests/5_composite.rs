//! Stage 5: composite indexes. An index on (a, b) is sorted by a, then b:
//! it serves a = x, a = x AND b = y, a = x AND b BETWEEN .., a BETWEEN ..,
//! and never b alone.

use indexes::{Column, Cond, Entry, IndexKind, Plan, Query, Row, RowId, Table, Value};
use proptest::prelude::*;

use crate::common::{
    CountingPager, distinct_pages, filter_scan, range_budget, reads_of, sample_rows, table_of,
};

/// The rows whose entries in an index on `columns` a prefix range
/// `lo..=hi` holds: the candidates, whose number is the budget's k.
fn in_range(
    table: &Table<CountingPager>,
    columns: &[Column],
    lo: &[Value],
    hi: &[Value],
) -> Vec<(RowId, Row)> {
    let key = |row: &Row| -> Vec<Value> { columns.iter().map(|c| c.of(row)).collect() };
    filter_scan(table, |r| {
        let k = key(r);
        k[..lo.len()] >= *lo && k[..hi.len()] <= *hi
    })
}

#[test]
fn a_composite_index_serves_its_leftmost_prefixes() {
    let mut table = table_of(&sample_rows(4000, 50));
    let ab = table.create_index(IndexKind::BTree { b: 8 }, &[Column::A, Column::B]);
    let n = table.len();
    let some_b = table.scan()[777].1[1];
    let a_of_b = table.scan()[777].1[0];
    // (query, whether the (a, b) index serves it, the prefix range it reads)
    let cases: Vec<(Query, bool, Vec<Value>, Vec<Value>)> = vec![
        (Query::all().eq(Column::A, 7), true, vec![7], vec![7]),
        (
            Query::all().eq(Column::A, a_of_b).eq(Column::B, some_b),
            true,
            vec![a_of_b, some_b],
            vec![a_of_b, some_b],
        ),
        (
            Query::all().eq(Column::A, 7).between(Column::B, 1000, 2999),
            true,
            vec![7, 1000],
            vec![7, 2999],
        ),
        (
            Query::all().between(Column::A, 3, 5),
            true,
            vec![3],
            vec![5],
        ),
        (
            Query::all().eq(Column::A, 7).eq(Column::C, 0),
            true,
            vec![7],
            vec![7],
        ),
        (
            Query::all().between(Column::A, 3, 5).eq(Column::B, some_b),
            true,
            vec![3],
            vec![5],
        ),
        (Query::all().eq(Column::B, some_b), false, vec![], vec![]),
        (
            Query::all().between(Column::B, 0, 99),
            false,
            vec![],
            vec![],
        ),
        (
            Query::all().eq(Column::B, some_b).eq(Column::C, 1),
            false,
            vec![],
            vec![],
        ),
    ];
    for (q, served, lo, hi) in cases {
        let expected = filter_scan(&table, |r| q.matches(r));
        let (got, reads) = reads_of(&table, |t| t.select(&q));
        assert_eq!(
            got, expected,
            "select {q:?}: every candidate from the index must be checked against the whole query"
        );
        if served {
            assert_eq!(
                table.plan(&q),
                Plan::Index(ab),
                "{q:?} constrains a, the index's first column, so the (a, b) index serves it"
            );
            let candidates = in_range(&table, &[Column::A, Column::B], &lo, &hi);
            let k = candidates.len();
            let budget = range_budget(8, n, k) + distinct_pages(&candidates);
            assert!(
                reads <= budget,
                "{q:?}: the (a, b) index range {lo:?}..={hi:?} holds {k} entries on {} heap pages; the select read {reads} pages, over {budget}: descend to the start of the range once, walk the leaves to its end and no further, then read each candidate's heap page once",
                distinct_pages(&candidates)
            );
        } else {
            assert_eq!(
                table.plan(&q),
                Plan::FullScan,
                "{q:?} has no condition on a: the (a, b) index is sorted by a first, so the rows with one b are scattered over the whole index, and a lookup of [b] would find the rows whose a equals it"
            );
            assert_eq!(reads, table.heap_pages() as u64, "{q:?} is a full scan");
        }
    }
}

#[test]
fn a_prefix_stops_at_the_first_unconstrained_column() {
    let mut table = table_of(&sample_rows(2000, 51));
    let abc = table.create_index(
        IndexKind::BTree { b: 4 },
        &[Column::A, Column::B, Column::C],
    );
    let q = Query::all().eq(Column::A, 5).eq(Column::C, 1);
    assert_eq!(
        table.plan(&q),
        Plan::Index(abc),
        "a = 5 is a prefix of (a, b, c)"
    );
    assert_eq!(
        table.select(&q),
        filter_scan(&table, |r| q.matches(r)),
        "c = 1 cannot narrow the index range past the unconstrained b; it is checked on each candidate row"
    );
    let q = Query::all().eq(Column::B, 5).eq(Column::C, 1);
    assert_eq!(
        table.plan(&q),
        Plan::FullScan,
        "b and c without a are no prefix of (a, b, c)"
    );
}

#[test]
fn a_single_column_index_serves_what_the_composite_cannot() {
    let mut table = table_of(&sample_rows(2000, 52));
    let ab = table.create_index(IndexKind::BTree { b: 8 }, &[Column::A, Column::B]);
    let by_b = table.create_index(IndexKind::BTree { b: 8 }, &[Column::B]);
    assert_eq!(
        table.plan(&Query::all().eq(Column::B, 9)),
        Plan::Index(by_b)
    );
    assert_eq!(table.plan(&Query::all().eq(Column::A, 9)), Plan::Index(ab));
    let entries = table.index_entries(ab);
    assert!(
        entries.windows(2).all(|w| w[0] < w[1]) && entries.len() == 2000,
        "the composite index holds one entry per row, sorted by (a, b, row)"
    );
    let first: &Entry = &entries[0];
    assert_eq!(
        first.key.len(),
        2,
        "a composite key holds both columns, in index order"
    );
}

fn cond() -> impl Strategy<Value = Option<Cond>> {
    prop_oneof![
        2 => Just(None),
        2 => (-3i64..3).prop_map(|v| Some(Cond::Eq(v))),
        1 => (-3i64..3, 0i64..3).prop_map(|(lo, w)| Some(Cond::Between(lo, lo + w - 1))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(505),
        failure_persistence: None,
        cases: 64,
        ..ProptestConfig::default()
    })]

    /// Random queries over composite indexes: the results equal a filtered
    /// scan, and an index is used exactly when the query constrains its
    /// first column.
    #[test]
    fn composite_indexes_answer_like_a_scan(
        rows in prop::collection::vec(prop::array::uniform4(-3i64..3), 0..120),
        queries in prop::collection::vec(prop::collection::vec(cond(), 4), 12),
    ) {
        let mut table = table_of(&rows);
        let ab = table.create_index(IndexKind::BTree { b: 2 }, &[Column::A, Column::B]);
        let dc = table.create_index(IndexKind::BTree { b: 3 }, &[Column::D, Column::C]);
        for conds in queries {
            let mut q = Query::all();
            for (column, c) in Column::ALL.into_iter().zip(conds) {
                if let Some(c) = c {
                    q = q.with(column, c);
                }
            }
            prop_assert_eq!(table.select(&q), filter_scan(&table, |r| q.matches(r)), "select {:?}", q);
            let plan = table.plan(&q);
            let on_a = q.condition(Column::A).is_some();
            let on_d = q.condition(Column::D).is_some();
            match plan {
                Plan::FullScan => prop_assert!(!on_a && !on_d, "{:?} constrains a first index column yet was planned as a full scan", q),
                Plan::Index(i) if i == ab => prop_assert!(on_a, "{:?} used the (a, b) index without a condition on a", q),
                Plan::Index(i) => {
                    prop_assert_eq!(i, dc);
                    prop_assert!(on_d, "{:?} used the (d, c) index without a condition on d", q);
                }
            }
        }
    }
}
