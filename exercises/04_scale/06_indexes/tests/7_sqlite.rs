//! Stage 7: a real query plan. The same table, indexes and queries go into
//! SQLite (in memory, rusqlite with the bundled library); after ANALYZE,
//! `EXPLAIN QUERY PLAN` must use an index exactly where your planner does,
//! and the same one, and both must return the same rows.

use indexes::{Column, IndexKind, Plan, Query, Row, Table};
use rusqlite::Connection;

use crate::common::{CountingPager, table_of};

/// 4 000 rows: a = i % 1000 (four rows per value), b and d permutations of
/// 0..4000, c = 1 for every tenth row and 0 otherwise. Indexes: a B+tree on
/// (a, b), a hash index on c, a B+tree on d.
fn learner_table() -> Table<CountingPager> {
    let n = 4000i64;
    let rows: Vec<Row> = (0..n)
        .map(|i| {
            [
                i % 1000,
                (i * 7919) % n,
                i64::from(i % 10 == 0),
                (i * 2_654_435_761) % n,
            ]
        })
        .collect();
    let mut table = table_of(&rows);
    table.create_index(IndexKind::BTree { b: 8 }, &[Column::A, Column::B]);
    table.create_index(IndexKind::Hash { buckets: 64 }, &[Column::C]);
    table.create_index(IndexKind::BTree { b: 8 }, &[Column::D]);
    table.analyze();
    table
}

/// The same table in SQLite, from the learner's schema_sql, analyzed.
fn sqlite_copy(table: &Table<CountingPager>) -> Connection {
    let db = Connection::open_in_memory().expect("an in-memory SQLite database");
    for statement in table.schema_sql() {
        db.execute_batch(&statement)
            .unwrap_or_else(|e| panic!("SQLite refused `{statement}` from schema_sql: {e}"));
    }
    let tx = db.unchecked_transaction().expect("a transaction");
    {
        let mut insert = tx
            .prepare("INSERT INTO t(a, b, c, d) VALUES (?1, ?2, ?3, ?4)")
            .expect("schema_sql creates t(a, b, c, d)");
        for (_, row) in table.scan() {
            insert.execute(row).expect("insert a row");
        }
    }
    tx.commit().expect("commit");
    db.execute_batch("ANALYZE").expect("ANALYZE");
    db
}

/// The index SQLite's plan for `sql` uses, or `None` for a scan of the table.
fn sqlite_plan(db: &Connection, sql: &str) -> Option<String> {
    let mut statement = db
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|e| panic!("SQLite refused `{sql}` from to_sql: {e}"));
    let details: Vec<String> = statement
        .query_map([], |r| r.get::<_, String>(3))
        .expect("EXPLAIN QUERY PLAN")
        .map(|r| r.expect("a plan row"))
        .collect();
    assert_eq!(details.len(), 1, "one table, one plan step: {details:?}");
    let detail = &details[0];
    if detail.starts_with("SCAN t") {
        assert!(
            !detail.contains("INDEX"),
            "a full index scan is not expected here: {detail}"
        );
        return None;
    }
    let name = detail
        .split("INDEX ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("a SEARCH that names no index: {detail}"));
    Some(name.to_owned())
}

fn sqlite_rows(db: &Connection, sql: &str) -> Vec<Row> {
    let mut statement = db.prepare(sql).expect("the query");
    let mut rows: Vec<Row> = statement
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))
        .expect("run the query")
        .map(|r| r.expect("a row"))
        .collect();
    rows.sort_unstable();
    rows
}

#[test]
fn to_sql_writes_the_documented_select() {
    assert_eq!(Query::all().to_sql(), "SELECT a, b, c, d FROM t");
    assert_eq!(
        Query::all()
            .eq(Column::A, 5)
            .between(Column::D, -2, 9)
            .to_sql(),
        "SELECT a, b, c, d FROM t WHERE a = 5 AND d BETWEEN -2 AND 9"
    );
}

#[test]
fn schema_sql_names_every_index() {
    let table = learner_table();
    assert_eq!(
        table.schema_sql(),
        vec![
            "CREATE TABLE t(a INTEGER, b INTEGER, c INTEGER, d INTEGER)".to_owned(),
            "CREATE INDEX i0_a_b ON t(a, b)".to_owned(),
            "CREATE INDEX i1_c ON t(c)".to_owned(),
            "CREATE INDEX i2_d ON t(d)".to_owned(),
        ]
    );
}

#[test]
fn sqlite_uses_an_index_exactly_where_your_planner_does() {
    let table = learner_table();
    let db = sqlite_copy(&table);
    // Clear cases on either side of both planners' thresholds. Between them
    // (roughly 1/8 to 1/2 of the table) the two cost models disagree: ours
    // counts a heap page per row fetched, SQLite's assumes a page cache.
    let queries = [
        Query::all(),
        Query::all().eq(Column::D, 1234),
        Query::all().between(Column::D, 100, 140),
        Query::all().between(Column::D, 0, 399),
        Query::all().between(Column::D, 0, 3900),
        Query::all().between(Column::D, 5000, 6000),
        Query::all().eq(Column::A, 7),
        Query::all().eq(Column::A, 7).eq(Column::B, 123),
        Query::all().eq(Column::A, 7).between(Column::B, 0, 2000),
        Query::all().eq(Column::A, 3).between(Column::B, 5, 1),
        Query::all().between(Column::A, 3, 4),
        Query::all().between(Column::A, 0, 45),
        Query::all().between(Column::A, 0, 900),
        Query::all().eq(Column::B, 55),
        Query::all().between(Column::B, 0, 10),
        Query::all().eq(Column::C, 0),
        Query::all().eq(Column::C, 0).eq(Column::D, 77),
        Query::all().eq(Column::C, 0).eq(Column::A, 3),
        Query::all().eq(Column::A, 7).between(Column::D, 0, 3999),
        Query::all().eq(Column::A, 7).between(Column::D, 100, 140),
    ];
    let mut used = [0; 2];
    for q in &queries {
        let sql = q.to_sql();
        let ours = match table.plan(q) {
            Plan::FullScan => None,
            Plan::Index(id) => Some(table.index_name(id)),
        };
        let theirs = sqlite_plan(&db, &sql);
        assert_eq!(
            ours, theirs,
            "`{sql}`: your planner chose {ours:?} (None = full scan), SQLite chose {theirs:?}. Leftmost prefixes only, and an index only when it selects fewer rows than the table has pages"
        );
        used[usize::from(ours.is_some())] += 1;
        let mut rows: Vec<Row> = table.select(q).into_iter().map(|(_, r)| r).collect();
        rows.sort_unstable();
        assert_eq!(
            rows,
            sqlite_rows(&db, &sql),
            "`{sql}`: your select and SQLite return different rows"
        );
    }
    assert!(
        used[0] >= 6 && used[1] >= 10,
        "both kinds of plan are exercised: {used:?}"
    );
}
