//! Stage 1: a table in heap pages. Rows fill pages of HEAP_ROWS slots in
//! order, keep their RowId for life, and a scan reads every heap page once.

use indexes::{Column, Cond, HEAP_ROWS, PageId, Query, Row, RowId, Table};
use proptest::prelude::*;

use crate::common::{CountingPager, filter_scan, reads_of, sample_rows, table_of};

#[test]
fn an_empty_table_has_no_pages() {
    let table = Table::new(CountingPager::new());
    assert_eq!(table.len(), 0);
    assert!(table.is_empty());
    assert_eq!(table.heap_pages(), 0, "an empty table owns no heap page");
    let (rows, reads) = reads_of(&table, |t| t.scan());
    assert!(rows.is_empty(), "an empty table scans to nothing");
    assert_eq!(reads, 0, "scanning an empty table reads no page");
    assert!(table.select(&Query::all()).is_empty());
}

#[test]
fn rows_fill_heap_pages_in_order() {
    let rows = sample_rows(20, 1);
    let mut table = Table::new(CountingPager::new());
    let ids: Vec<RowId> = rows.iter().map(|&r| table.insert(r)).collect();
    assert_eq!(table.len(), 20);
    assert!(!table.is_empty());
    assert_eq!(
        table.heap_pages(),
        20usize.div_ceil(HEAP_ROWS),
        "20 rows fill ⌈20 / {HEAP_ROWS}⌉ heap pages: a new page only when the last one is full"
    );
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            usize::from(id.slot),
            i % HEAP_ROWS,
            "row {i} should be in slot {} of its page, got {id:?}",
            i % HEAP_ROWS
        );
        assert_eq!(
            id.page,
            ids[i - i % HEAP_ROWS].page,
            "rows {} to {} share one heap page",
            i - i % HEAP_ROWS,
            i - i % HEAP_ROWS + HEAP_ROWS - 1
        );
    }
    assert!(
        ids[0].page < ids[8].page && ids[8].page < ids[16].page,
        "each new heap page is a new page: {ids:?}"
    );
}

#[test]
fn get_reads_exactly_one_page() {
    let rows = sample_rows(30, 2);
    let mut table = Table::new(CountingPager::new());
    let ids: Vec<RowId> = rows.iter().map(|&r| table.insert(r)).collect();
    for (id, row) in ids.iter().zip(&rows) {
        let (got, reads) = reads_of(&table, |t| t.get(*id));
        assert_eq!(
            got,
            Some(*row),
            "get({id:?}) returns the row inserted there"
        );
        assert_eq!(reads, 1, "get reads the row's heap page and nothing else");
    }
}

#[test]
fn get_of_an_id_never_handed_out_is_none() {
    let mut table = Table::new(CountingPager::new());
    let id = table.insert([1, 2, 3, 4]);
    let empty_slot = RowId { slot: 5, ..id };
    assert_eq!(
        table.get(empty_slot),
        None,
        "a slot never used holds no row"
    );
    let beyond = RowId {
        slot: u16::MAX,
        ..id
    };
    assert_eq!(table.get(beyond), None, "a slot past the page holds no row");
    let elsewhere = RowId {
        page: PageId(999),
        slot: 0,
    };
    assert_eq!(
        table.get(elsewhere),
        None,
        "a page that is not one of the table's heap pages holds no row (and must not be read)"
    );
}

#[test]
fn scan_reads_every_heap_page_once_in_row_id_order() {
    let rows = sample_rows(45, 3);
    let mut table = Table::new(CountingPager::new());
    let ids: Vec<RowId> = rows.iter().map(|&r| table.insert(r)).collect();
    table.pager().take_log();
    let scanned = table.scan();
    let log = table.pager().take_log();
    let mut heap: Vec<PageId> = ids.iter().map(|id| id.page).collect();
    heap.dedup();
    assert_eq!(
        log, heap,
        "a scan reads each heap page exactly once, in page order: the cost of a full scan is the number of heap pages"
    );
    let expected: Vec<(RowId, Row)> = ids.into_iter().zip(rows).collect();
    assert_eq!(
        scanned, expected,
        "a scan returns every live row in RowId order"
    );
}

#[test]
fn update_rewrites_in_place() {
    let rows = sample_rows(12, 4);
    let mut table = table_of(&rows);
    let id = table.scan()[9].0;
    let new = [-1, -2, -3, -4];
    assert_eq!(
        table.update(id, new),
        Some(rows[9]),
        "update returns the old row"
    );
    assert_eq!(table.get(id), Some(new), "the row keeps its RowId");
    assert_eq!(table.len(), 12, "an update neither adds nor removes a row");
    assert_eq!(table.scan()[9], (id, new), "the row stays in its slot");

    assert_eq!(table.delete(id), Some(new));
    let writes = table.pager().writes();
    assert_eq!(
        table.update(id, [7, 7, 7, 7]),
        None,
        "updating a deleted row changes nothing and returns None"
    );
    assert_eq!(table.get(id), None, "a deleted row stays deleted");
    assert_eq!(
        table.pager().writes(),
        writes,
        "a failed update writes no page"
    );
    let never = RowId { slot: 7, ..id };
    assert_eq!(table.update(never, [7, 7, 7, 7]), None);
}

#[test]
fn delete_leaves_a_hole_that_is_never_reused() {
    let rows = sample_rows(20, 5);
    let mut table = Table::new(CountingPager::new());
    let ids: Vec<RowId> = rows.iter().map(|&r| table.insert(r)).collect();
    assert_eq!(
        table.delete(ids[3]),
        Some(rows[3]),
        "delete returns the row"
    );
    assert_eq!(table.delete(ids[3]), None, "a second delete finds nothing");
    assert_eq!(table.get(ids[3]), None);
    assert_eq!(table.len(), 19);
    for &id in &ids[16..] {
        table.delete(id);
    }
    assert_eq!(table.len(), 15);
    assert_eq!(
        table.heap_pages(),
        3,
        "deleting rows frees no heap page: a slot, once used, is never reused"
    );
    let next = table.insert([0, 0, 0, 0]);
    assert_eq!(
        next,
        RowId {
            page: ids[16].page,
            slot: 4
        },
        "an insert goes to the next unused slot of the last page, not into a hole (RowIds are for life)"
    );
    let live: Vec<RowId> = table.scan().into_iter().map(|(id, _)| id).collect();
    let mut expected: Vec<RowId> = ids[..16]
        .iter()
        .copied()
        .filter(|&id| id != ids[3])
        .collect();
    expected.push(next);
    assert_eq!(live, expected, "the scan skips deleted slots");
}

#[test]
fn query_matching() {
    let row = [1, 5, -3, 100];
    assert!(
        Query::all().matches(&row),
        "the empty query matches every row"
    );
    assert!(Query::all().eq(Column::B, 5).matches(&row));
    assert!(!Query::all().eq(Column::B, 4).matches(&row));
    assert!(
        Query::all().between(Column::D, 100, 200).matches(&row)
            && Query::all().between(Column::D, 0, 100).matches(&row),
        "BETWEEN includes both ends"
    );
    assert!(!Query::all().between(Column::D, 101, 200).matches(&row));
    assert!(
        !Query::all().between(Column::D, 200, 0).matches(&row),
        "BETWEEN lo AND hi with lo > hi matches nothing"
    );
    assert!(
        !Query::all().eq(Column::A, 1).eq(Column::C, 3).matches(&row),
        "all conditions must hold"
    );
    assert!(
        Query::all()
            .eq(Column::A, 1)
            .between(Column::C, -5, -3)
            .matches(&row)
    );
    assert!(
        Query::all().eq(Column::A, 2).eq(Column::A, 1).matches(&row),
        "a second condition on a column replaces the first"
    );
    assert_eq!(
        Query::all()
            .eq(Column::A, 1)
            .between(Column::D, 0, 5)
            .eq(Column::A, 2)
            .conditions(),
        &[(Column::A, Cond::Eq(2)), (Column::D, Cond::Between(0, 5))],
        "conditions keep the order in which each column was first constrained"
    );
}

#[test]
fn select_without_an_index_is_a_full_scan() {
    let rows = sample_rows(200, 6);
    let table = table_of(&rows);
    let queries = [
        Query::all(),
        Query::all().eq(Column::A, 7),
        Query::all().eq(Column::D, 150),
        Query::all().between(Column::B, 10, 40),
        Query::all().eq(Column::C, 1).between(Column::D, 0, 99),
        Query::all().between(Column::D, 50, 10),
    ];
    for q in &queries {
        let (got, reads) = reads_of(&table, |t| t.select(q));
        assert_eq!(got, filter_scan(&table, |r| q.matches(r)), "select {q:?}");
        assert_eq!(
            reads,
            table.heap_pages() as u64,
            "without an index, select {q:?} reads every heap page exactly once"
        );
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Row),
    Update(usize, Row),
    Delete(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let row = prop::array::uniform4(-5i64..5);
    prop_oneof![
        3 => row.clone().prop_map(Op::Insert),
        1 => (any::<usize>(), row).prop_map(|(i, r)| Op::Update(i, r)),
        1 => any::<usize>().prop_map(Op::Delete),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(101),
        failure_persistence: None,
        cases: 64,
        ..ProptestConfig::default()
    })]

    /// The table against a model: a list of (RowId, Option<Row>) in insert order.
    #[test]
    fn the_table_matches_a_model(ops in prop::collection::vec(op(), 1..80)) {
        let mut table = Table::new(CountingPager::new());
        let mut model: Vec<(RowId, Option<Row>)> = Vec::new();
        for op in ops {
            match op {
                Op::Insert(row) => {
                    let id = table.insert(row);
                    prop_assert!(model.iter().all(|&(other, _)| other != id), "insert reused {:?}", id);
                    model.push((id, Some(row)));
                }
                Op::Update(i, row) if !model.is_empty() => {
                    let len = model.len();
                    let (id, slot) = &mut model[i % len];
                    prop_assert_eq!(table.update(*id, row), *slot);
                    if slot.is_some() {
                        *slot = Some(row);
                    }
                }
                Op::Delete(i) if !model.is_empty() => {
                    let len = model.len();
                    let (id, slot) = &mut model[i % len];
                    prop_assert_eq!(table.delete(*id), slot.take());
                }
                _ => {}
            }
        }
        let live: Vec<(RowId, Row)> = model.iter().filter_map(|&(id, r)| Some((id, r?))).collect();
        prop_assert_eq!(table.len(), live.len());
        prop_assert_eq!(table.scan(), live);
        prop_assert_eq!(table.heap_pages(), model.len().div_ceil(HEAP_ROWS));
        for &(id, row) in &model {
            prop_assert_eq!(table.get(id), row);
        }
    }
}
