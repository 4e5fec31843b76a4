//! Indexes: a paged table with hash and B+tree indexes, composite keys and a planner.
//!
//! Build, in this order (the stages follow it):
//! - [`Table`]: rows stored in heap pages of [`HEAP_ROWS`] slots, kept in a
//!   [`Pager`]. Inserting appends, updating rewrites a row in place, deleting
//!   leaves an empty slot; [`Table::scan`] reads every heap page once.
//! - A hash index ([`IndexKind::Hash`]): a fixed number of bucket pages with
//!   overflow chains, kept in sync on every insert, update and delete.
//! - [`BTree`]: a B+tree of your own in pages of the same pager. Every node
//!   but the root holds between B and 2B items; the leaves are chained left to
//!   right, so a range is one descent and then a walk along the leaves.
//! - Budgets: a point lookup reads at most ⌈log_B n⌉ + 2 pages, a range of k
//!   entries at most ⌈log_B n⌉ + ⌈k/B⌉ + 2, and a [`Table::select`] through an
//!   index adds each heap page it needs exactly once.
//! - Composite indexes: an index on `(a, b)` serves `a = x`, `a = x AND b = y`
//!   and `a = x AND b BETWEEN ..`, but never `b = y` alone (leftmost prefix).
//! - [`Table::plan`]: picks an index or a full scan from the statistics of
//!   [`Table::analyze`], by estimated rows against heap pages.
//! - [`Query::to_sql`] and [`Table::schema_sql`]: the same table and queries
//!   in SQLite, whose `EXPLAIN QUERY PLAN` the last stage compares with yours.
//!
//! The pages, the pager and the row types are given in [`storage`]. Every
//! row and index entry lives in a page, and every page looked at is a
//! counted [`Pager::read`]: the structs hold only page ids, counts and
//! statistics. Read README.md first. The private items are a suggestion; the
//! public API is fixed.
//!
//! ```
//! use indexes::{Column, IndexKind, MemPager, Plan, Query, Table};
//!
//! let mut table = Table::new(MemPager::new());
//! for i in 0..1000 {
//!     table.insert([i % 10, i, 0, 1000 - i]);
//! }
//! let by_b = table.create_index(IndexKind::BTree { b: 8 }, &[Column::B]);
//! let query = Query::all().between(Column::B, 100, 109);
//! assert_eq!(table.plan(&query), Plan::Index(by_b));
//!
//! let before = table.pager().reads();
//! assert_eq!(table.select(&query).len(), 10);
//! assert!(table.pager().reads() - before <= 8); // a full scan reads 125 pages
//! ```

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports, unused_mut)]
#![forbid(unsafe_code)]

pub mod storage;

pub use storage::{
    BUCKET_ENTRIES, COLUMNS, Column, Entry, HEAP_ROWS, Key, MemPager, Page, PageId, Pager, Row,
    RowId, Value,
};

use std::collections::HashSet;
use std::ops::Bound;

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

/// A condition on one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// `column = value`.
    Eq(Value),
    /// `column BETWEEN lo AND hi`: both ends included; empty if `lo > hi`.
    Between(Value, Value),
}

/// A conjunction of conditions, at most one per column: `SELECT * FROM t
/// WHERE <every condition>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    conditions: Vec<(Column, Cond)>,
}

// Given: building a query. A second condition on a column replaces the first.
impl Query {
    /// The query with no condition: every row.
    pub fn all() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `column = value`.
    pub fn eq(self, column: Column, value: Value) -> Self {
        self.with(column, Cond::Eq(value))
    }

    /// Adds (or replaces) `column BETWEEN lo AND hi`.
    pub fn between(self, column: Column, lo: Value, hi: Value) -> Self {
        self.with(column, Cond::Between(lo, hi))
    }

    /// Adds (or replaces) the condition on `column`.
    pub fn with(mut self, column: Column, cond: Cond) -> Self {
        match self.conditions.iter_mut().find(|(c, _)| *c == column) {
            Some(slot) => slot.1 = cond,
            None => self.conditions.push((column, cond)),
        }
        self
    }

    /// The condition on `column`, if any.
    pub fn condition(&self, column: Column) -> Option<Cond> {
        self.conditions
            .iter()
            .find(|(c, _)| *c == column)
            .map(|&(_, cond)| cond)
    }

    /// Every condition, in the order they were first added.
    pub fn conditions(&self) -> &[(Column, Cond)] {
        &self.conditions
    }
}

impl Query {
    /// True if `row` satisfies every condition.
    pub fn matches(&self, row: &Row) -> bool {
        todo!("every condition holds: Eq is ==, Between(lo, hi) is lo <= v && v <= hi")
    }

    /// The query in SQL over the table of [`Table::schema_sql`]:
    /// `SELECT a, b, c, d FROM t`, then ` WHERE ` and the conditions joined
    /// by ` AND ` if there are any, each as `a = 5` or `a BETWEEN 1 AND 9`.
    pub fn to_sql(&self) -> String {
        todo!(
            "\"SELECT a, b, c, d FROM t\", then \" WHERE \" and the conditions joined by \" AND \""
        )
    }
}

// ---------------------------------------------------------------------------
// The B+tree
// ---------------------------------------------------------------------------

/// Compares the first `bound.len()` values of `key` with `bound`.
fn cmp_prefix(key: &[Value], bound: &[Value]) -> std::cmp::Ordering {
    todo!("compare key.iter().take(bound.len()) with bound.iter()")
}

/// True if `entry` sorts before the range starting at `lo`.
fn before_start(entry: &Entry, lo: Bound<&[Value]>) -> bool {
    todo!("Included(x): key's prefix < x; Excluded(x): <= x; Unbounded: never")
}

/// True if `entry` sorts after the range ending at `hi`.
fn past_end(entry: &Entry, hi: Bound<&[Value]>) -> bool {
    todo!("Included(y): key's prefix > y; Excluded(y): >= y; Unbounded: never")
}

/// A B+tree of [`Entry`]s stored in pages of a [`Pager`] (the pager is
/// passed to every call, so a [`Table`] can keep several trees in its one
/// pager).
///
/// Shape, checked by the tests through the pages themselves:
/// - a leaf is a [`Page::Leaf`] of sorted entries whose `next` is the leaf to
///   its right (`None` for the last); an internal node is a
///   [`Page::Internal`] whose separators bound its children as documented
///   there; every leaf is at the same depth, [`height`](Self::height);
/// - every node but the root holds between B and 2B items (entries in a
///   leaf, children in an internal node): a node that would hold 2B + 1
///   splits into B and B + 1, and a new root has two children. A leaf split
///   copies the first entry of the right half up as the separator; an
///   internal split moves its middle separator up.
/// - [`remove`](Self::remove) takes the entry out of its leaf and rebalances
///   nothing (as PostgreSQL, which only reclaims a page once it is empty):
///   leaves may be left under-full, even empty. The budgets below are for
///   trees that have only grown.
///
/// Budgets, for a tree of n entries grown by inserts alone, in page reads:
/// a point lookup ([`get`](Self::get) of a key with at most one entry)
/// reads at most ⌈log_B n⌉ + 2 pages, and a [`range`](Self::range) that
/// returns k entries at most ⌈log_B n⌉ + ⌈k/B⌉ + 2 (⌈log_B n⌉ is 0 for n
/// ≤ 1). With B items or more per node the tree is at most ⌈log_B n⌉ levels
/// high; the 2 pays for landing one leaf short of the range and for reading
/// the leaf that shows where it ends.
#[derive(Debug, Clone)]
pub struct BTree {
    root: PageId,
    height: usize,
    len: usize,
    b: usize,
}

impl BTree {
    /// An empty tree with fan-out `b`: one empty root leaf, allocated in
    /// `pager`. Panics with "B must be at least 2" if `b < 2`.
    pub fn new<P: Pager + ?Sized>(pager: &mut P, b: usize) -> Self {
        todo!("assert b >= 2, allocate an empty root leaf; height 1, len 0")
    }

    /// The fan-out B the tree was made with.
    pub fn b(&self) -> usize {
        todo!("the fan-out")
    }

    /// The root's page.
    pub fn root(&self) -> PageId {
        todo!("the root page")
    }

    /// The number of levels: 1 for a tree that is a single leaf.
    pub fn height(&self) -> usize {
        todo!("the number of levels")
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        todo!("the number of entries")
    }

    /// True if the tree holds no entry.
    pub fn is_empty(&self) -> bool {
        todo!("no entries")
    }

    /// The pages from the root down to the leaf where `entry` belongs, each
    /// with the child index taken from it (the leaf's is 0). Reads `height`
    /// pages.
    fn path_to<P: Pager + ?Sized>(&self, pager: &P, entry: &Entry) -> Vec<(PageId, usize)> {
        todo!("from the root, child i = separators.partition_point(|s| s <= entry), until a leaf")
    }

    /// Adds `entry`; false (and no change) if the tree holds it already.
    pub fn insert<P: Pager + ?Sized>(&mut self, pager: &mut P, entry: Entry) -> bool {
        todo!(
            "find the leaf, insert in order; at 2B + 1 entries split into B and B + 1 and push a separator up"
        )
    }

    /// Inserts `separator` and the new node `right` (split off `left`) into
    /// the parents on `path`, splitting them in turn while they overflow.
    fn push_up<P: Pager + ?Sized>(
        &mut self,
        pager: &mut P,
        mut path: Vec<(PageId, usize)>,
        mut left: PageId,
        mut separator: Entry,
        mut right: PageId,
    ) {
        todo!(
            "insert the separator and the new child into each parent; split at 2B + 1 children; a new root on top"
        )
    }

    /// Removes `entry`; false if the tree does not hold it. Rebalances
    /// nothing (see the type's documentation).
    pub fn remove<P: Pager + ?Sized>(&mut self, pager: &mut P, entry: &Entry) -> bool {
        todo!("find the leaf, remove the entry, write the leaf back (no rebalancing)")
    }

    /// The entries between `lo` and `hi`, in order.
    ///
    /// Bounds compare by prefix: a bound of m values is compared with the
    /// first m values of each key. So on an index of `(a, b)`,
    /// `Included(&[5])..=Included(&[5])` is every entry with `a = 5`, and
    /// `Excluded(&[5])` as the lower bound starts at the first entry with
    /// `a > 5`. One descent to the first entry in range, then along the
    /// leaves until the first entry past `hi` (see the budgets above).
    pub fn range<P: Pager + ?Sized>(
        &self,
        pager: &P,
        lo: Bound<&[Value]>,
        hi: Bound<&[Value]>,
    ) -> Vec<Entry> {
        todo!("descend to the first entry not before lo, then walk the leaf chain until past hi")
    }

    /// The rows of the entries whose key is exactly `key`, in row order.
    pub fn get<P: Pager + ?Sized>(&self, pager: &P, key: &[Value]) -> Vec<RowId> {
        todo!("range(Included(key), Included(key)), keeping only the rows")
    }
}

// ---------------------------------------------------------------------------
// The hash index
// ---------------------------------------------------------------------------

/// A static hash index: a fixed number of bucket pages, each the head of an
/// overflow chain of [`Page::Bucket`]s.
#[derive(Debug, Clone)]
struct HashIndex {
    buckets: Vec<PageId>,
}

impl HashIndex {
    fn new<P: Pager + ?Sized>(pager: &mut P, buckets: usize) -> Self {
        todo!("assert buckets >= 1 and allocate that many empty bucket pages")
    }

    fn bucket(&self, key: &[Value]) -> PageId {
        todo!(
            "hash the key's values (kit::hash::hash64 of their bytes) modulo the number of buckets"
        )
    }

    /// Appends to the first page of the chain with room, or to a new
    /// overflow page at its end.
    fn insert<P: Pager + ?Sized>(&self, pager: &mut P, entry: Entry) {
        todo!("walk the chain to a page with room, or allocate an overflow page at its end")
    }

    fn remove<P: Pager + ?Sized>(&self, pager: &mut P, entry: &Entry) -> bool {
        todo!("walk the chain to the page holding the entry and remove it there")
    }

    /// The entries of `key`, read from its bucket's whole chain.
    fn lookup<P: Pager + ?Sized>(&self, pager: &P, key: &[Value]) -> Vec<Entry> {
        todo!("walk the whole chain, keeping the entries of this key")
    }

    fn entries<P: Pager + ?Sized>(&self, pager: &P) -> Vec<Entry> {
        todo!("every entry of every chain")
    }
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

/// Which structure an index uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// A static hash index of `buckets` bucket pages (at least 1), each with
    /// an overflow chain of [`Page::Bucket`]s of [`BUCKET_ENTRIES`] entries.
    /// It answers equality on all of its columns and nothing else.
    Hash { buckets: usize },
    /// A [`BTree`] of fan-out `b` (at least 2). It answers equality on a
    /// leftmost prefix of its columns, optionally followed by a range on the
    /// next column.
    BTree { b: usize },
}

/// An index of a table: the position in which it was created, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexId(pub usize);

/// How [`Table::select`] answers a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Read every heap page and keep the rows that match.
    FullScan,
    /// Find the candidate rows through this index, then read their pages.
    Index(IndexId),
}

#[derive(Debug, Clone)]
enum Store {
    Hash(HashIndex),
    BTree(BTree),
}

#[derive(Debug, Clone)]
struct Index {
    columns: Vec<Column>,
    store: Store,
}

impl Index {
    fn key(&self, row: &Row) -> Key {
        todo!("the values of the index's columns in `row`")
    }

    fn insert<P: Pager + ?Sized>(&mut self, pager: &mut P, entry: Entry) {
        todo!("add the entry to the hash index or the B+tree")
    }

    fn remove<P: Pager + ?Sized>(&mut self, pager: &mut P, entry: &Entry) {
        todo!("remove the entry from the hash index or the B+tree")
    }
}

/// How an index can serve a query: equality on its first `eq` columns, then
/// maybe a range on the next one.
#[derive(Debug, Clone)]
struct Access {
    eq: Vec<Value>,
    range: Option<(Column, Value, Value)>,
}

impl Access {
    /// The number of index columns the query constrains through the index.
    fn matched(&self) -> usize {
        todo!("eq.len(), plus one for a range")
    }
}

/// What [`Table::analyze`] measured.
#[derive(Debug, Clone)]
struct Stats {
    /// Per index, per prefix length p = 1..=columns: distinct values of the
    /// first p columns.
    distinct: Vec<Vec<usize>>,
    /// Per column: the smallest and largest value, if there were rows.
    bounds: [Option<(Value, Value)>; COLUMNS],
}

/// A table `t(a, b, c, d)` in the heap pages of a [`Pager`], with its
/// indexes in pages of the same pager.
///
/// The heap: [`insert`](Self::insert) puts the row in the next slot of the
/// last heap page if it has fewer than [`HEAP_ROWS`] slots, otherwise in a
/// new heap page; slots are never reused, so a table of n inserted rows has
/// ⌈n / [`HEAP_ROWS`]⌉ heap pages whatever was deleted.
///
/// Every index is kept in sync: after any sequence of inserts, updates and
/// deletes, an index holds exactly one entry (the index columns' values, the
/// `RowId`) for every live row and nothing else.
///
/// Keeping an index in sync costs pages in proportion to the index, never to
/// the table. An insert adds one entry to each index and a delete removes
/// one; an update touches only the indexes whose columns it changes (removes
/// the old entry, adds the new one), so an update that changes no indexed
/// column reads and writes the row's heap page and nothing else. Besides
/// that one heap page read and write per operation, each entry added or
/// removed costs on average at most `height + 1` page reads and 2 page
/// writes in a B+tree, 2 reads and 2 writes in a hash index.
#[derive(Debug)]
pub struct Table<P: Pager> {
    pager: P,
    /// The heap pages, in allocation (so `PageId`) order.
    heap: Vec<PageId>,
    len: usize,
    indexes: Vec<Index>,
    stats: Option<Stats>,
}

impl<P: Pager> Table<P> {
    /// An empty table in `pager` (no page is allocated yet).
    pub fn new(pager: P) -> Self {
        todo!("an empty table: no heap page yet, no index, no statistics")
    }

    /// The pager, for its counters.
    pub fn pager(&self) -> &P {
        todo!("the pager")
    }

    /// The number of live rows.
    pub fn len(&self) -> usize {
        todo!("the number of live rows")
    }

    /// True if the table has no live row.
    pub fn is_empty(&self) -> bool {
        todo!("no live rows")
    }

    /// The number of heap pages: what a full scan reads.
    pub fn heap_pages(&self) -> usize {
        todo!("the number of heap pages")
    }

    /// Adds `row` (see the type's documentation for where it goes) and an
    /// entry for it to every index. Returns its `RowId`.
    pub fn insert(&mut self, row: Row) -> RowId {
        todo!("the next slot of the last heap page, or a new page; then an entry in every index")
    }

    /// Reads the heap page of `id` if it is one of this table's.
    fn heap_page(&self, id: RowId) -> Option<&Vec<Option<Row>>> {
        todo!("None unless id.page is one of the heap pages; otherwise read it")
    }

    /// The live row at `id`, reading its one heap page; `None` if it was
    /// deleted or this table never handed `id` out.
    pub fn get(&self, id: RowId) -> Option<Row> {
        todo!("read the row's heap page; None for a foreign page, an unused slot or a deleted row")
    }

    /// Replaces the live row at `id` with `row`, in place (it keeps its
    /// `RowId`), and moves its entry in every index whose columns changed.
    /// Returns the old row; `None`, and nothing changes, if there is no live
    /// row at `id`.
    pub fn update(&mut self, id: RowId, row: Row) -> Option<Row> {
        todo!("rewrite the slot, then move the entry of every index whose key changed")
    }

    /// Deletes the live row at `id` (its slot stays empty for good) and its
    /// entry in every index. Returns the row; `None`, and nothing changes,
    /// if there is no live row at `id`.
    pub fn delete(&mut self, id: RowId) -> Option<Row> {
        todo!("empty the slot, then remove the row's entry from every index")
    }

    /// Every live row in `RowId` order, reading each heap page exactly once.
    pub fn scan(&self) -> Vec<(RowId, Row)> {
        todo!("read each heap page once, in order, and collect the live rows")
    }

    /// Creates an index of `kind` on `columns` (in that order), filled with
    /// an entry for every live row, and returns its id: 0 for the first
    /// index, 1 for the next, ... Creating an index discards the statistics
    /// of [`analyze`](Self::analyze), as if it had never run.
    ///
    /// Panics with "an index needs at least one column" if `columns` is
    /// empty, and as [`BTree::new`] does for `b < 2`.
    pub fn create_index(&mut self, kind: IndexKind, columns: &[Column]) -> IndexId {
        todo!("build the structure, add an entry for every live row, forget the statistics")
    }

    /// Every entry of index `id`, in entry order (key, then row).
    pub fn index_entries(&self, id: IndexId) -> Vec<Entry> {
        todo!("every entry of the index, sorted")
    }

    /// The rows index `id` holds for exactly `key` (one value per index
    /// column), in `RowId` order, reading index pages only.
    ///
    /// Panics with "a lookup key holds one value per index column" if it
    /// does not.
    pub fn lookup(&self, id: IndexId, key: &[Value]) -> Vec<RowId> {
        todo!("the rows of exactly this key, from the index alone")
    }

    /// How index `index` can serve `query`, if it can.
    fn access(&self, index: &Index, query: &Query) -> Option<Access> {
        todo!("equality on a leftmost prefix of the index's columns, then maybe one BETWEEN")
    }

    /// Measures the statistics the planner estimates from, with one full
    /// scan: for every index and every leftmost prefix of its columns, the
    /// number of distinct values among the live rows (SQLite's
    /// `sqlite_stat1`), and for every column its smallest and largest value.
    /// They stay as measured until the next `analyze`, however the table
    /// changes.
    pub fn analyze(&mut self) {
        todo!("one scan: distinct counts of every index prefix, min and max of every column")
    }

    /// The planner's estimate of the rows index `id` finds for `query`;
    /// `None` if the index cannot serve the query or there are no statistics.
    ///
    /// An index serves a query through equality on its first j columns and,
    /// for a B+tree, a `BETWEEN` on column j + 1 (see [`plan`](Self::plan)).
    /// The estimate is `len() × (1 / d_j) × f`, where d_j is the distinct
    /// count of the first j columns measured by `analyze` (the factor is 1
    /// when j = 0), and f is the `BETWEEN`'s fraction of that column's
    /// measured range `[min, max]`: `overlap / (max - min + 1)`, where overlap
    /// counts the integers in both `[lo, hi]` and `[min, max]` (f = 1 without
    /// a `BETWEEN`, or if the table was empty when analyzed).
    pub fn estimate(&self, query: &Query, id: IndexId) -> Option<f64> {
        todo!("len() / d_j, times the BETWEEN's fraction of the column's measured range")
    }

    /// The plan [`select`](Self::select) uses for `query`.
    ///
    /// An index can serve a query if the query has an equality on all its
    /// columns (a hash index), or a condition on its first column (a B+tree:
    /// equality on a leftmost prefix, then at most one `BETWEEN` on the next
    /// column; an index on `(a, b)` never serves `b` alone).
    ///
    /// - Without statistics (before the first [`analyze`](Self::analyze), or
    ///   after a [`create_index`](Self::create_index)): the index that serves
    ///   the most query columns, the earliest created among equals; a full
    ///   scan if none can serve.
    /// - With statistics: the index with the smallest
    ///   [`estimate`](Self::estimate), the earliest created among equals, if
    ///   that estimate is below [`heap_pages`](Self::heap_pages) (fetching a
    ///   row through an index may read a page per row, a scan reads each page
    ///   once); otherwise a full scan.
    pub fn plan(&self, query: &Query) -> Plan {
        todo!(
            "without statistics: most matched columns; with: smallest estimate, if below heap_pages()"
        )
    }

    /// The live rows that match `query`, in `RowId` order, as planned by
    /// [`plan`](Self::plan).
    ///
    /// A full scan reads every heap page once. Through an index: the index
    /// pages the lookup needs (a B+tree within its budget for the entries in
    /// the index's range, a hash index its bucket's chain), then each heap
    /// page holding a candidate row exactly once (sort the candidates by
    /// `RowId` first, as PostgreSQL's bitmap heap scan does); every
    /// candidate is checked against the whole query.
    pub fn select(&self, query: &Query) -> Vec<(RowId, Row)> {
        todo!(
            "plan; a scan and filter, or the index's candidates, sorted, one read per heap page, filtered"
        )
    }

    /// The SQL name of index `id`: `i`, its number, then `_` and each of its
    /// columns, e.g. `i0_a_b` for a first index on `(a, b)`.
    pub fn index_name(&self, id: IndexId) -> String {
        todo!("\"i\", the index number, and \"_\" before each column name")
    }

    /// The table and its indexes in SQL, one statement per string:
    /// `CREATE TABLE t(a INTEGER, b INTEGER, c INTEGER, d INTEGER)`, then for
    /// every index in creation order `CREATE INDEX <index_name> ON t(a, b)`
    /// with its columns in index order. A hash index becomes an ordinary
    /// (B-tree) index: SQLite has no other kind.
    pub fn schema_sql(&self) -> Vec<String> {
        todo!("CREATE TABLE t(...), then a CREATE INDEX per index")
    }
}
