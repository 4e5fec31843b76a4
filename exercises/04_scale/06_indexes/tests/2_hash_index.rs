//! Stage 2: a hash index, kept in sync with the table on every insert,
//! update and delete, and used by select for equality.

use indexes::{
    BUCKET_ENTRIES, Column, Entry, IndexId, IndexKind, Page, PageId, Plan, Query, Row, RowId, Table,
};
use kit::rng::Rng;
use proptest::prelude::*;

use crate::common::{CountingPager, filter_scan, reads_of, sample_rows, table_of};

/// What an index on `columns` must hold: one entry per live row, sorted.
fn projection(table: &Table<CountingPager>, columns: &[Column]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = table
        .scan()
        .into_iter()
        .map(|(id, row)| Entry::new(columns.iter().map(|c| c.of(&row)).collect(), id))
        .collect();
    entries.sort();
    entries
}

fn ids(rows: Vec<(RowId, Row)>) -> Vec<RowId> {
    rows.into_iter().map(|(id, _)| id).collect()
}

#[test]
fn a_new_index_covers_the_rows_already_there() {
    let rows = sample_rows(300, 10);
    let mut table = table_of(&rows);
    let by_c = table.create_index(IndexKind::Hash { buckets: 4 }, &[Column::C]);
    assert_eq!(by_c, IndexId(0), "the first index is IndexId(0)");
    assert_eq!(
        table.index_entries(by_c),
        projection(&table, &[Column::C]),
        "create_index must add an entry for every row already in the table"
    );
    let ones = table.lookup(by_c, &[1]);
    assert_eq!(
        ones.len(),
        150,
        "150 rows have c = 1; 150 entries span several pages of one bucket's overflow chain (a page holds {BUCKET_ENTRIES})"
    );
    assert_eq!(
        ones,
        ids(filter_scan(&table, |r| r[2] == 1)),
        "lookup returns the rows in RowId order"
    );
    let pager = table.pager();
    let mut bucket_pages = 0;
    for id in (0..pager.pages()).map(|i| PageId(i as u32)) {
        if let Page::Bucket { entries, .. } = pager.peek(id) {
            bucket_pages += 1;
            assert!(
                entries.len() <= BUCKET_ENTRIES,
                "bucket page {id:?} holds {} entries; a page holds at most BUCKET_ENTRIES = {BUCKET_ENTRIES}, and a full one gets an overflow page",
                entries.len()
            );
        }
    }
    assert!(
        bucket_pages >= 4 + 2 * 150usize.div_ceil(BUCKET_ENTRIES) - 2,
        "300 entries under two keys need overflow chains: only {bucket_pages} bucket pages"
    );
    let by_ab = table.create_index(IndexKind::Hash { buckets: 8 }, &[Column::A, Column::B]);
    assert_eq!(by_ab, IndexId(1), "the second index is IndexId(1)");
    let (a, b) = (rows[17][0], rows[17][1]);
    assert_eq!(
        table.lookup(by_ab, &[a, b]),
        ids(filter_scan(&table, |r| r[0] == a && r[1] == b))
    );
    assert!(
        table.lookup(by_ab, &[a, -1]).is_empty(),
        "no row has b = -1"
    );
}

#[test]
fn the_index_follows_inserts_updates_and_deletes() {
    let mut table = Table::new(CountingPager::new());
    let by_d = table.create_index(IndexKind::Hash { buckets: 4 }, &[Column::D]);
    let x = table.insert([0, 0, 0, 10]);
    let y = table.insert([0, 0, 0, 20]);
    let z = table.insert([0, 0, 0, 10]);
    assert_eq!(
        table.lookup(by_d, &[10]),
        vec![x, z],
        "an insert adds its entry to every index"
    );

    table.update(x, [0, 0, 0, 30]);
    assert_eq!(
        table.lookup(by_d, &[10]),
        vec![z],
        "an update that changes d must remove the old entry: a stale entry points at a row that no longer has d = 10"
    );
    assert_eq!(
        table.lookup(by_d, &[30]),
        vec![x],
        "an update that changes d must add the new entry, or the row cannot be found by its new value"
    );

    table.delete(y);
    assert!(
        table.lookup(by_d, &[20]).is_empty(),
        "a delete must remove the row's entry: an index that keeps it points at a dead slot"
    );
    assert_eq!(table.index_entries(by_d), projection(&table, &[Column::D]));
    let (rows, _) = reads_of(&table, |t| t.select(&Query::all().eq(Column::D, 10)));
    assert_eq!(rows, vec![(z, [0, 0, 0, 10])]);
}

#[test]
#[should_panic(expected = "a lookup key holds one value per index column")]
fn a_lookup_key_has_one_value_per_column() {
    let mut table = table_of(&sample_rows(10, 11));
    let by_ab = table.create_index(IndexKind::Hash { buckets: 2 }, &[Column::A, Column::B]);
    table.lookup(by_ab, &[1]);
}

#[test]
#[should_panic(expected = "an index needs at least one column")]
fn an_index_needs_a_column() {
    let mut table = table_of(&sample_rows(10, 12));
    table.create_index(IndexKind::Hash { buckets: 2 }, &[]);
}

#[test]
fn equality_through_a_hash_index_reads_a_bucket_not_the_table() {
    let n = 4000;
    let rows = sample_rows(n, 13);
    let mut table = table_of(&rows);
    // Eight entries per bucket on average, half a page: most chains are one page.
    let by_b = table.create_index(IndexKind::Hash { buckets: n / 8 }, &[Column::B]);
    let mut rng = Rng::new(14);
    let mut total = 0;
    let lookups = 200;
    for _ in 0..lookups {
        let b = rng.below(n as u64 + 50) as i64; // some absent
        let q = Query::all().eq(Column::B, b);
        assert_eq!(
            table.plan(&q),
            Plan::Index(by_b),
            "without statistics, an equality on the hash index's column uses it"
        );
        let (got, reads) = reads_of(&table, |t| t.select(&q));
        assert_eq!(got, filter_scan(&table, |r| r[1] == b), "select b = {b}");
        total += reads;
    }
    let mean = total as f64 / lookups as f64;
    assert!(
        mean <= 2.5,
        "a point select through the hash index read {mean:.2} pages on average; it should read its bucket's chain (about one page) and the row's heap page, while a full scan reads {} pages",
        table.heap_pages()
    );
}

#[test]
fn a_hash_index_answers_equality_on_all_its_columns_only() {
    let mut table = table_of(&sample_rows(400, 15));
    let by_ab = table.create_index(IndexKind::Hash { buckets: 16 }, &[Column::A, Column::B]);
    let by_d = table.create_index(IndexKind::Hash { buckets: 16 }, &[Column::D]);
    let cases = [
        (
            Query::all().eq(Column::A, 3).eq(Column::B, 3),
            Plan::Index(by_ab),
        ),
        (Query::all().eq(Column::A, 3), Plan::FullScan),
        (Query::all().eq(Column::B, 3), Plan::FullScan),
        (
            Query::all().eq(Column::A, 3).between(Column::B, 0, 9),
            Plan::FullScan,
        ),
        (Query::all().eq(Column::D, 3), Plan::Index(by_d)),
        (Query::all().between(Column::D, 3, 3), Plan::FullScan),
        (Query::all().eq(Column::C, 1), Plan::FullScan),
    ];
    for (q, plan) in cases {
        assert_eq!(
            table.plan(&q),
            plan,
            "{q:?}: a hash index scatters neighbouring keys, so it can answer only an equality on every one of its columns"
        );
        assert_eq!(
            table.select(&q),
            filter_scan(&table, |r| q.matches(r)),
            "select {q:?}"
        );
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

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => row().prop_map(Op::Insert),
        2 => (any::<usize>(), row()).prop_map(|(i, r)| Op::Update(i, r)),
        1 => any::<usize>().prop_map(Op::Delete),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(202),
        failure_persistence: None,
        cases: 48,
        ..ProptestConfig::default()
    })]

    /// Every hash index equals the full scan's projection after any history,
    /// and every equality select equals a filtered scan.
    #[test]
    fn hash_indexes_stay_in_sync(
        initial in prop::collection::vec(row(), 0..60),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut table = table_of(&initial);
        let by_c = table.create_index(IndexKind::Hash { buckets: 2 }, &[Column::C]);
        let by_ab = table.create_index(IndexKind::Hash { buckets: 3 }, &[Column::A, Column::B]);
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
        prop_assert_eq!(table.index_entries(by_c), projection(&table, &[Column::C]),
            "the index on c must hold exactly one entry per live row");
        prop_assert_eq!(table.index_entries(by_ab), projection(&table, &[Column::A, Column::B]),
            "the index on (a, b) must hold exactly one entry per live row");
        for v in -4..4 {
            prop_assert_eq!(table.lookup(by_c, &[v]), ids_of(&table, |r| r[2] == v));
            let q = Query::all().eq(Column::C, v);
            prop_assert_eq!(table.select(&q), filter_scan(&table, |r| q.matches(r)));
            let q = Query::all().eq(Column::A, v).eq(Column::B, -v);
            prop_assert_eq!(table.lookup(by_ab, &[v, -v]), ids_of(&table, |r| r[0] == v && r[1] == -v));
            prop_assert_eq!(table.select(&q), filter_scan(&table, |r| q.matches(r)));
        }
    }
}

fn ids_of(table: &Table<CountingPager>, f: impl Fn(&Row) -> bool) -> Vec<RowId> {
    ids(filter_scan(table, f))
}
