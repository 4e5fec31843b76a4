//! Stage 6: the planner. With the statistics of analyze, an index is used
//! only when its estimated rows are fewer than the heap pages; a predicate
//! that matches half the table is a full scan, index or not.

use indexes::{Column, IndexId, IndexKind, Plan, Query, Table};

use crate::common::{CountingPager, filter_scan, reads_of, sample_rows, table_of};

/// 4 000 rows (a = i % 100, b a permutation, c = i % 2, d = i) on 500 heap
/// pages, with a hash index on c, B+trees on (a, b) and on d, and a hash
/// index on b.
struct Fixture {
    table: Table<CountingPager>,
    by_c: IndexId,
    ab: IndexId,
    by_d: IndexId,
    by_b: IndexId,
}

fn fixture() -> Fixture {
    let mut table = table_of(&sample_rows(4000, 60));
    let by_c = table.create_index(IndexKind::Hash { buckets: 8 }, &[Column::C]);
    let ab = table.create_index(IndexKind::BTree { b: 8 }, &[Column::A, Column::B]);
    let by_d = table.create_index(IndexKind::BTree { b: 8 }, &[Column::D]);
    let by_b = table.create_index(IndexKind::Hash { buckets: 500 }, &[Column::B]);
    Fixture {
        table,
        by_c,
        ab,
        by_d,
        by_b,
    }
}

fn close(x: Option<f64>, y: f64) -> bool {
    x.is_some_and(|x| (x - y).abs() < 1e-6)
}

#[test]
fn there_are_no_estimates_without_statistics() {
    let f = fixture();
    assert_eq!(
        f.table.estimate(&Query::all().eq(Column::C, 1), f.by_c),
        None,
        "before analyze there are no statistics to estimate from"
    );
    let mut table = f.table;
    table.analyze();
    assert_eq!(
        table.estimate(&Query::all().eq(Column::B, 1), f.ab),
        None,
        "the (a, b) index cannot serve b alone, so it has no estimate"
    );
    assert_eq!(
        table.estimate(&Query::all().between(Column::B, 1, 2), f.by_b),
        None,
        "a hash index cannot serve a range"
    );
}

#[test]
fn analyze_is_one_full_scan() {
    let mut f = fixture();
    let before = f.table.pager().reads();
    f.table.analyze();
    assert_eq!(
        f.table.pager().reads() - before,
        f.table.heap_pages() as u64,
        "analyze reads every heap page once and no index page"
    );
}

#[test]
fn estimates_follow_the_documented_formula() {
    let mut f = fixture();
    f.table.analyze();
    let t = &f.table;
    let cases = [
        (
            Query::all().eq(Column::C, 1),
            f.by_c,
            2000.0,
            "4000 rows / 2 distinct c",
        ),
        (
            Query::all().eq(Column::A, 7),
            f.ab,
            40.0,
            "4000 / 100 distinct a",
        ),
        (
            Query::all().eq(Column::A, 7).eq(Column::B, 5),
            f.ab,
            1.0,
            "4000 / 4000 distinct (a, b)",
        ),
        (
            Query::all().eq(Column::A, 7).between(Column::B, 0, 1999),
            f.ab,
            20.0,
            "40 × 2000/4000 of b's range",
        ),
        (
            Query::all().between(Column::A, 0, 49),
            f.ab,
            2000.0,
            "4000 × 50/100 of a's range",
        ),
        (
            Query::all().between(Column::D, 0, 99),
            f.by_d,
            100.0,
            "4000 × 100/4000",
        ),
        (
            Query::all().between(Column::D, -100, 99),
            f.by_d,
            100.0,
            "only the overlap with [min, max] counts",
        ),
        (
            Query::all().between(Column::D, 3990, 9000),
            f.by_d,
            10.0,
            "only the overlap with [min, max] counts",
        ),
        (
            Query::all().between(Column::D, 5000, 6000),
            f.by_d,
            0.0,
            "no overlap, no rows",
        ),
        (
            Query::all().between(Column::D, 10, 5),
            f.by_d,
            0.0,
            "an empty BETWEEN",
        ),
        (
            Query::all().eq(Column::B, 17).eq(Column::C, 0),
            f.by_b,
            1.0,
            "4000 / 4000 distinct b",
        ),
        (
            Query::all().eq(Column::A, 7).eq(Column::D, 3),
            f.ab,
            40.0,
            "d is no column of (a, b)",
        ),
    ];
    for (q, index, rows, why) in cases {
        let got = t.estimate(&q, index);
        assert!(
            close(got, rows),
            "estimate of {q:?} on {index:?}: expected {rows} ({why}), got {got:?}"
        );
    }
}

#[test]
fn a_between_is_a_fraction_of_the_measured_range() {
    let mut table = Table::new(CountingPager::new());
    for d in -500..500 {
        table.insert([0, 0, 0, d]);
    }
    table.insert([0, 0, 0, 1499]);
    let by_d = table.create_index(IndexKind::BTree { b: 4 }, &[Column::D]);
    table.analyze();
    // 1001 rows; d's measured range is [-500, 1499], 2000 values wide.
    let cases = [
        (-500, -401, 1001.0 * 100.0 / 2000.0),
        (1400, 9000, 1001.0 * 100.0 / 2000.0),
        (i64::MIN, i64::MAX, 1001.0),
        (-10_000, -501, 0.0),
    ];
    for (lo, hi, rows) in cases {
        let q = Query::all().between(Column::D, lo, hi);
        let got = table.estimate(&q, by_d);
        assert!(
            close(got, rows),
            "d BETWEEN {lo} AND {hi} over a measured range of [-500, 1499]: expected {rows} rows (the overlap over max - min + 1), got {got:?}"
        );
    }
}

#[test]
fn a_non_selective_predicate_is_a_full_scan() {
    let mut f = fixture();
    f.table.analyze();
    let t = &f.table;
    assert_eq!(t.heap_pages(), 500);
    for q in [
        Query::all().eq(Column::C, 1),
        Query::all().between(Column::A, 0, 49),
        Query::all().between(Column::D, 0, 3999),
        Query::all().between(Column::D, 0, 499),
    ] {
        assert_eq!(
            t.plan(&q),
            Plan::FullScan,
            "{q:?} is estimated at 500 rows or more, on a table of 500 heap pages: fetching them through an index may read a page per row, more than the whole scan (a planner that uses every usable index fails here)"
        );
        let (got, reads) = reads_of(t, |t| t.select(&q));
        assert_eq!(got, filter_scan(t, |r| q.matches(r)));
        assert_eq!(
            reads, 500,
            "{q:?} is planned as a full scan, so select reads the 500 heap pages once"
        );
    }
    assert_eq!(
        t.plan(&Query::all().between(Column::D, 0, 498)),
        Plan::Index(f.by_d),
        "499 estimated rows is below 500 heap pages: the index wins"
    );
}

#[test]
fn the_most_selective_index_wins() {
    let mut f = fixture();
    f.table.analyze();
    let t = &f.table;
    let cases = [
        (Query::all().eq(Column::A, 7), f.ab),
        (Query::all().eq(Column::C, 1).eq(Column::D, 5), f.by_d),
        (
            Query::all().eq(Column::A, 7).between(Column::D, 0, 999),
            f.ab,
        ),
        (
            Query::all().eq(Column::A, 7).between(Column::D, 0, 9),
            f.by_d,
        ),
        (Query::all().eq(Column::B, 123).eq(Column::A, 7), f.ab),
        (
            Query::all().eq(Column::B, 123).between(Column::A, 0, 99),
            f.by_b,
        ),
        (Query::all().between(Column::D, 5000, 6000), f.by_d),
    ];
    for (q, index) in cases {
        assert_eq!(
            t.plan(&q),
            Plan::Index(index),
            "{q:?}: the usable index with the smallest estimate is {index:?} (estimates {:?})",
            [f.by_c, f.ab, f.by_d, f.by_b].map(|i| t.estimate(&q, i))
        );
        assert_eq!(t.select(&q), filter_scan(t, |r| q.matches(r)));
    }
    assert_eq!(
        t.plan(&Query::all().eq(Column::B, 123).eq(Column::A, 7)),
        Plan::Index(f.ab),
        "(a, b) estimates 1 row, as does b; the earlier index wins the tie"
    );
}

#[test]
fn ties_go_to_the_earliest_index() {
    let mut table = table_of(&sample_rows(1000, 61));
    let first = table.create_index(IndexKind::BTree { b: 4 }, &[Column::D]);
    let second = table.create_index(IndexKind::Hash { buckets: 64 }, &[Column::D]);
    let q = Query::all().eq(Column::D, 10);
    assert_eq!(
        table.plan(&q),
        Plan::Index(first),
        "without statistics: equal columns matched, the earliest index"
    );
    table.analyze();
    assert!(close(table.estimate(&q, second), 1.0));
    assert_eq!(
        table.plan(&q),
        Plan::Index(first),
        "with statistics: equal estimates, the earliest index"
    );
}

#[test]
fn without_statistics_the_index_matching_most_columns_wins() {
    let mut table = table_of(&sample_rows(1000, 62));
    let by_a = table.create_index(IndexKind::BTree { b: 4 }, &[Column::A]);
    let ab = table.create_index(IndexKind::BTree { b: 4 }, &[Column::A, Column::B]);
    let hash_cd = table.create_index(IndexKind::Hash { buckets: 16 }, &[Column::C, Column::D]);
    let by_c = table.create_index(IndexKind::Hash { buckets: 16 }, &[Column::C]);
    let cases = [
        (Query::all().eq(Column::A, 3), Plan::Index(by_a)),
        (
            Query::all().eq(Column::A, 3).eq(Column::B, 5),
            Plan::Index(ab),
        ),
        (
            Query::all().eq(Column::A, 3).between(Column::B, 5, 90),
            Plan::Index(ab),
        ),
        (
            Query::all().between(Column::A, 3, 4).eq(Column::B, 5),
            Plan::Index(by_a),
        ),
        (Query::all().eq(Column::C, 1), Plan::Index(by_c)),
        (
            Query::all().eq(Column::C, 1).eq(Column::D, 9),
            Plan::Index(hash_cd),
        ),
        (
            Query::all()
                .eq(Column::C, 1)
                .eq(Column::D, 9)
                .eq(Column::A, 9)
                .eq(Column::B, 1),
            Plan::Index(ab),
        ),
        (Query::all().eq(Column::B, 1), Plan::FullScan),
    ];
    for (q, plan) in cases {
        assert_eq!(
            table.plan(&q),
            plan,
            "without statistics, {q:?}: the usable index that serves the most query columns, the earliest among equals"
        );
    }
}

#[test]
fn statistics_stay_as_measured_until_the_next_analyze() {
    let mut f = fixture();
    f.table.analyze();
    for i in 4000..8000 {
        f.table.insert([i % 100, i, 1, i]);
    }
    let q = Query::all().eq(Column::C, 1);
    assert!(
        close(f.table.estimate(&q, f.by_c), 4000.0),
        "8000 rows / the 2 distinct c analyze measured: the row count is current, the distinct count is as measured; got {:?}",
        f.table.estimate(&q, f.by_c)
    );
    let q = Query::all().between(Column::D, 4000, 4999);
    assert!(
        close(f.table.estimate(&q, f.by_d), 0.0),
        "d BETWEEN 4000 AND 4999 lies outside the range analyze measured ([0, 3999]), so it is estimated at 0 rows until the next analyze: stale statistics are a classic cause of bad plans; got {:?}",
        f.table.estimate(&q, f.by_d)
    );
    f.table.analyze();
    assert!(
        close(f.table.estimate(&q, f.by_d), 1000.0),
        "after a new analyze, 8000 × 1000/8000"
    );
}

#[test]
fn a_new_index_discards_the_statistics() {
    let mut f = fixture();
    f.table.analyze();
    let q = Query::all().eq(Column::C, 1);
    assert_eq!(f.table.plan(&q), Plan::FullScan);
    let by_cd = f
        .table
        .create_index(IndexKind::BTree { b: 8 }, &[Column::C, Column::D]);
    assert_eq!(
        f.table.estimate(&q, f.by_c),
        None,
        "create_index discards the statistics"
    );
    assert_eq!(
        f.table.plan(&q),
        Plan::Index(f.by_c),
        "without statistics the planner is back to the index that matches the most columns"
    );
    f.table.analyze();
    assert!(close(f.table.estimate(&q, by_cd), 2000.0));
    assert_eq!(f.table.plan(&q), Plan::FullScan);
}

#[test]
fn statistics_of_an_empty_table() {
    let mut table = Table::new(CountingPager::new());
    let by_d = table.create_index(IndexKind::BTree { b: 4 }, &[Column::D]);
    table.analyze();
    for i in 0..100 {
        table.insert([0, 0, 0, i]);
    }
    assert!(
        close(table.estimate(&Query::all().eq(Column::D, 5), by_d), 100.0),
        "an empty table measured no distinct values: the estimate divides by at least 1"
    );
    assert!(
        close(
            table.estimate(&Query::all().between(Column::D, 0, 9), by_d),
            100.0
        ),
        "an empty table measured no range: the BETWEEN fraction is 1"
    );
    assert_eq!(
        table.plan(&Query::all().eq(Column::D, 5)),
        Plan::FullScan,
        "100 estimated rows against 13 heap pages"
    );
}
