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
        self.conditions.iter().all(|&(column, cond)| {
            let v = column.of(row);
            match cond {
                Cond::Eq(x) => v == x,
                Cond::Between(lo, hi) => lo <= v && v <= hi,
            }
        })
    }

    /// The query in SQL over the table of [`Table::schema_sql`]:
    /// `SELECT a, b, c, d FROM t`, then ` WHERE ` and the conditions joined
    /// by ` AND ` if there are any, each as `a = 5` or `a BETWEEN 1 AND 9`.
    pub fn to_sql(&self) -> String {
        let mut sql = String::from("SELECT a, b, c, d FROM t");
        for (i, &(column, cond)) in self.conditions.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(&match cond {
                Cond::Eq(v) => format!("{column} = {v}"),
                Cond::Between(lo, hi) => format!("{column} BETWEEN {lo} AND {hi}"),
            });
        }
        sql
    }
}

// ---------------------------------------------------------------------------
// The B+tree
// ---------------------------------------------------------------------------

/// Compares the first `bound.len()` values of `key` with `bound`.
fn cmp_prefix(key: &[Value], bound: &[Value]) -> std::cmp::Ordering {
    key.iter().take(bound.len()).cmp(bound.iter())
}

/// True if `entry` sorts before the range starting at `lo`.
fn before_start(entry: &Entry, lo: Bound<&[Value]>) -> bool {
    match lo {
        Bound::Unbounded => false,
        Bound::Included(x) => cmp_prefix(&entry.key, x).is_lt(),
        Bound::Excluded(x) => cmp_prefix(&entry.key, x).is_le(),
    }
}

/// True if `entry` sorts after the range ending at `hi`.
fn past_end(entry: &Entry, hi: Bound<&[Value]>) -> bool {
    match hi {
        Bound::Unbounded => false,
        Bound::Included(y) => cmp_prefix(&entry.key, y).is_gt(),
        Bound::Excluded(y) => cmp_prefix(&entry.key, y).is_ge(),
    }
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
        assert!(b >= 2, "B must be at least 2");
        let root = pager.allocate(Page::Leaf {
            entries: Vec::new(),
            next: None,
        });
        Self {
            root,
            height: 1,
            len: 0,
            b,
        }
    }

    /// The fan-out B the tree was made with.
    pub fn b(&self) -> usize {
        self.b
    }

    /// The root's page.
    pub fn root(&self) -> PageId {
        self.root
    }

    /// The number of levels: 1 for a tree that is a single leaf.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the tree holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The pages from the root down to the leaf where `entry` belongs, each
    /// with the child index taken from it (the leaf's is 0). Reads `height`
    /// pages.
    fn path_to<P: Pager + ?Sized>(&self, pager: &P, entry: &Entry) -> Vec<(PageId, usize)> {
        let mut path = Vec::with_capacity(self.height);
        let mut id = self.root;
        loop {
            match pager.read(id) {
                Page::Internal {
                    separators,
                    children,
                } => {
                    let i = separators.partition_point(|s| s <= entry);
                    path.push((id, i));
                    id = children[i];
                }
                Page::Leaf { .. } => {
                    path.push((id, 0));
                    return path;
                }
                other => panic!("page {id:?} of a B+tree is not a node: {other:?}"),
            }
        }
    }

    /// Adds `entry`; false (and no change) if the tree holds it already.
    pub fn insert<P: Pager + ?Sized>(&mut self, pager: &mut P, entry: Entry) -> bool {
        let mut path = self.path_to(pager, &entry);
        let (leaf_id, _) = path.pop().expect("a path ends at a leaf");
        let Page::Leaf { mut entries, next } = pager.read(leaf_id).clone() else {
            unreachable!("path_to ends at a leaf")
        };
        let Err(pos) = entries.binary_search(&entry) else {
            return false;
        };
        entries.insert(pos, entry);
        self.len += 1;
        if entries.len() <= 2 * self.b {
            pager.write(leaf_id, Page::Leaf { entries, next });
            return true;
        }

        // Split the leaf: B entries stay, B + 1 move right, and a copy of the
        // first entry on the right goes up as the separator.
        let right_entries = entries.split_off(self.b);
        let separator = right_entries[0].clone();
        let right = pager.allocate(Page::Leaf {
            entries: right_entries,
            next,
        });
        pager.write(
            leaf_id,
            Page::Leaf {
                entries,
                next: Some(right),
            },
        );
        self.push_up(pager, path, leaf_id, separator, right);
        true
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
        while let Some((parent, i)) = path.pop() {
            let Page::Internal {
                mut separators,
                mut children,
            } = pager.read(parent).clone()
            else {
                unreachable!("the parents on a path are internal nodes")
            };
            separators.insert(i, separator);
            children.insert(i + 1, right);
            if children.len() <= 2 * self.b {
                pager.write(
                    parent,
                    Page::Internal {
                        separators,
                        children,
                    },
                );
                return;
            }
            // 2B + 1 children: B stay, B + 1 move right, and the separator
            // between the halves moves up.
            let right_children = children.split_off(self.b);
            let mut right_separators = separators.split_off(self.b - 1);
            separator = right_separators.remove(0);
            right = pager.allocate(Page::Internal {
                separators: right_separators,
                children: right_children,
            });
            pager.write(
                parent,
                Page::Internal {
                    separators,
                    children,
                },
            );
            left = parent;
        }
        self.root = pager.allocate(Page::Internal {
            separators: vec![separator],
            children: vec![left, right],
        });
        self.height += 1;
    }

    /// Removes `entry`; false if the tree does not hold it. Rebalances
    /// nothing (see the type's documentation).
    pub fn remove<P: Pager + ?Sized>(&mut self, pager: &mut P, entry: &Entry) -> bool {
        let path = self.path_to(pager, entry);
        let (leaf_id, _) = *path.last().expect("a path ends at a leaf");
        let Page::Leaf { entries, next } = pager.read(leaf_id) else {
            unreachable!("path_to ends at a leaf")
        };
        let Ok(pos) = entries.binary_search(entry) else {
            return false;
        };
        let mut entries = entries.clone();
        let next = *next;
        entries.remove(pos);
        pager.write(leaf_id, Page::Leaf { entries, next });
        self.len -= 1;
        true
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
        let mut out = Vec::new();
        let mut id = self.root;
        let mut leaf = loop {
            match pager.read(id) {
                Page::Internal {
                    separators,
                    children,
                } => id = children[separators.partition_point(|s| before_start(s, lo))],
                Page::Leaf { entries, next } => {
                    let pos = entries.partition_point(|e| before_start(e, lo));
                    break (&entries[pos..], *next);
                }
                other => panic!("page {id:?} of a B+tree is not a node: {other:?}"),
            }
        };
        loop {
            for entry in leaf.0 {
                if past_end(entry, hi) {
                    return out;
                }
                out.push(entry.clone());
            }
            let Some(next) = leaf.1 else {
                return out;
            };
            let Page::Leaf { entries, next } = pager.read(next) else {
                panic!("page {next:?} on the leaf chain is not a leaf")
            };
            leaf = (&entries[..], *next);
        }
    }

    /// The rows of the entries whose key is exactly `key`, in row order.
    pub fn get<P: Pager + ?Sized>(&self, pager: &P, key: &[Value]) -> Vec<RowId> {
        self.range(pager, Bound::Included(key), Bound::Included(key))
            .into_iter()
            .filter(|e| e.key.len() == key.len())
            .map(|e| e.row)
            .collect()
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
        assert!(buckets >= 1, "a hash index needs at least one bucket");
        let buckets = (0..buckets)
            .map(|_| {
                pager.allocate(Page::Bucket {
                    entries: Vec::new(),
                    overflow: None,
                })
            })
            .collect();
        Self { buckets }
    }

    fn bucket(&self, key: &[Value]) -> PageId {
        let bytes: Vec<u8> = key.iter().flat_map(|v| v.to_le_bytes()).collect();
        let n = self.buckets.len() as u64;
        self.buckets[(kit::hash::hash64(&bytes) % n) as usize]
    }

    /// Appends to the first page of the chain with room, or to a new
    /// overflow page at its end.
    fn insert<P: Pager + ?Sized>(&self, pager: &mut P, entry: Entry) {
        let mut id = self.bucket(&entry.key);
        loop {
            let Page::Bucket { entries, overflow } = pager.read(id) else {
                panic!("page {id:?} of a hash index is not a bucket")
            };
            if entries.len() < BUCKET_ENTRIES {
                let mut entries = entries.clone();
                let overflow = *overflow;
                entries.push(entry);
                pager.write(id, Page::Bucket { entries, overflow });
                return;
            }
            match *overflow {
                Some(next) => id = next,
                None => {
                    let entries = entries.clone();
                    let new = pager.allocate(Page::Bucket {
                        entries: vec![entry],
                        overflow: None,
                    });
                    pager.write(
                        id,
                        Page::Bucket {
                            entries,
                            overflow: Some(new),
                        },
                    );
                    return;
                }
            }
        }
    }

    fn remove<P: Pager + ?Sized>(&self, pager: &mut P, entry: &Entry) -> bool {
        let mut next = Some(self.bucket(&entry.key));
        while let Some(id) = next {
            let Page::Bucket { entries, overflow } = pager.read(id) else {
                panic!("page {id:?} of a hash index is not a bucket")
            };
            if let Some(pos) = entries.iter().position(|e| e == entry) {
                let mut entries = entries.clone();
                let overflow = *overflow;
                entries.remove(pos);
                pager.write(id, Page::Bucket { entries, overflow });
                return true;
            }
            next = *overflow;
        }
        false
    }

    /// The entries of `key`, read from its bucket's whole chain.
    fn lookup<P: Pager + ?Sized>(&self, pager: &P, key: &[Value]) -> Vec<Entry> {
        let mut out = Vec::new();
        let mut next = Some(self.bucket(key));
        while let Some(id) = next {
            let Page::Bucket { entries, overflow } = pager.read(id) else {
                panic!("page {id:?} of a hash index is not a bucket")
            };
            out.extend(entries.iter().filter(|e| e.key == key).cloned());
            next = *overflow;
        }
        out
    }

    fn entries<P: Pager + ?Sized>(&self, pager: &P) -> Vec<Entry> {
        let mut out = Vec::new();
        for &head in &self.buckets {
            let mut next = Some(head);
            while let Some(id) = next {
                let Page::Bucket { entries, overflow } = pager.read(id) else {
                    panic!("page {id:?} of a hash index is not a bucket")
                };
                out.extend(entries.iter().cloned());
                next = *overflow;
            }
        }
        out
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
        self.columns.iter().map(|c| c.of(row)).collect()
    }

    fn insert<P: Pager + ?Sized>(&mut self, pager: &mut P, entry: Entry) {
        match &mut self.store {
            Store::Hash(h) => h.insert(pager, entry),
            Store::BTree(t) => {
                t.insert(pager, entry);
            }
        }
    }

    fn remove<P: Pager + ?Sized>(&mut self, pager: &mut P, entry: &Entry) {
        match &mut self.store {
            Store::Hash(h) => {
                h.remove(pager, entry);
            }
            Store::BTree(t) => {
                t.remove(pager, entry);
            }
        }
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
        self.eq.len() + usize::from(self.range.is_some())
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
        Self {
            pager,
            heap: Vec::new(),
            len: 0,
            indexes: Vec::new(),
            stats: None,
        }
    }

    /// The pager, for its counters.
    pub fn pager(&self) -> &P {
        &self.pager
    }

    /// The number of live rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the table has no live row.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of heap pages: what a full scan reads.
    pub fn heap_pages(&self) -> usize {
        self.heap.len()
    }

    /// Adds `row` (see the type's documentation for where it goes) and an
    /// entry for it to every index. Returns its `RowId`.
    pub fn insert(&mut self, row: Row) -> RowId {
        let last = self.heap.last().and_then(|&id| match self.pager.read(id) {
            Page::Heap(rows) if rows.len() < HEAP_ROWS => Some((id, rows.clone())),
            _ => None,
        });
        let id = match last {
            Some((page, mut rows)) => {
                let slot = rows.len();
                rows.push(Some(row));
                self.pager.write(page, Page::Heap(rows));
                RowId {
                    page,
                    slot: slot as u16,
                }
            }
            None => {
                let page = self.pager.allocate(Page::Heap(vec![Some(row)]));
                self.heap.push(page);
                RowId { page, slot: 0 }
            }
        };
        for index in &mut self.indexes {
            let entry = Entry::new(index.key(&row), id);
            index.insert(&mut self.pager, entry);
        }
        self.len += 1;
        id
    }

    /// Reads the heap page of `id` if it is one of this table's.
    fn heap_page(&self, id: RowId) -> Option<&Vec<Option<Row>>> {
        self.heap.binary_search(&id.page).ok()?;
        match self.pager.read(id.page) {
            Page::Heap(rows) => Some(rows),
            _ => None,
        }
    }

    /// The live row at `id`, reading its one heap page; `None` if it was
    /// deleted or this table never handed `id` out.
    pub fn get(&self, id: RowId) -> Option<Row> {
        self.heap_page(id)?.get(usize::from(id.slot)).copied()?
    }

    /// Replaces the live row at `id` with `row`, in place (it keeps its
    /// `RowId`), and moves its entry in every index whose columns changed.
    /// Returns the old row; `None`, and nothing changes, if there is no live
    /// row at `id`.
    pub fn update(&mut self, id: RowId, row: Row) -> Option<Row> {
        let mut rows = self.heap_page(id)?.clone();
        let old = (*rows.get(usize::from(id.slot))?)?;
        rows[usize::from(id.slot)] = Some(row);
        self.pager.write(id.page, Page::Heap(rows));
        for index in &mut self.indexes {
            let (old_key, new_key) = (index.key(&old), index.key(&row));
            if old_key != new_key {
                index.remove(&mut self.pager, &Entry::new(old_key, id));
                index.insert(&mut self.pager, Entry::new(new_key, id));
            }
        }
        Some(old)
    }

    /// Deletes the live row at `id` (its slot stays empty for good) and its
    /// entry in every index. Returns the row; `None`, and nothing changes,
    /// if there is no live row at `id`.
    pub fn delete(&mut self, id: RowId) -> Option<Row> {
        let mut rows = self.heap_page(id)?.clone();
        let old = rows.get_mut(usize::from(id.slot))?.take()?;
        self.pager.write(id.page, Page::Heap(rows));
        for index in &mut self.indexes {
            let entry = Entry::new(index.key(&old), id);
            index.remove(&mut self.pager, &entry);
        }
        self.len -= 1;
        Some(old)
    }

    /// Every live row in `RowId` order, reading each heap page exactly once.
    pub fn scan(&self) -> Vec<(RowId, Row)> {
        let mut out = Vec::with_capacity(self.len);
        for &page in &self.heap {
            if let Page::Heap(rows) = self.pager.read(page) {
                out.extend(rows.iter().enumerate().filter_map(|(slot, row)| {
                    row.map(|row| {
                        (
                            RowId {
                                page,
                                slot: slot as u16,
                            },
                            row,
                        )
                    })
                }));
            }
        }
        out
    }

    /// Creates an index of `kind` on `columns` (in that order), filled with
    /// an entry for every live row, and returns its id: 0 for the first
    /// index, 1 for the next, ... Creating an index discards the statistics
    /// of [`analyze`](Self::analyze), as if it had never run.
    ///
    /// Panics with "an index needs at least one column" if `columns` is
    /// empty, and as [`BTree::new`] does for `b < 2`.
    pub fn create_index(&mut self, kind: IndexKind, columns: &[Column]) -> IndexId {
        assert!(!columns.is_empty(), "an index needs at least one column");
        let store = match kind {
            IndexKind::Hash { buckets } => Store::Hash(HashIndex::new(&mut self.pager, buckets)),
            IndexKind::BTree { b } => Store::BTree(BTree::new(&mut self.pager, b)),
        };
        let mut index = Index {
            columns: columns.to_vec(),
            store,
        };
        for (id, row) in self.scan() {
            let entry = Entry::new(index.key(&row), id);
            index.insert(&mut self.pager, entry);
        }
        self.indexes.push(index);
        self.stats = None;
        IndexId(self.indexes.len() - 1)
    }

    /// Every entry of index `id`, in entry order (key, then row).
    pub fn index_entries(&self, id: IndexId) -> Vec<Entry> {
        let index = &self.indexes[id.0];
        match &index.store {
            Store::BTree(t) => t.range(&self.pager, Bound::Unbounded, Bound::Unbounded),
            Store::Hash(h) => {
                let mut entries = h.entries(&self.pager);
                entries.sort_unstable();
                entries
            }
        }
    }

    /// The rows index `id` holds for exactly `key` (one value per index
    /// column), in `RowId` order, reading index pages only.
    ///
    /// Panics with "a lookup key holds one value per index column" if it
    /// does not.
    pub fn lookup(&self, id: IndexId, key: &[Value]) -> Vec<RowId> {
        let index = &self.indexes[id.0];
        assert_eq!(
            key.len(),
            index.columns.len(),
            "a lookup key holds one value per index column"
        );
        match &index.store {
            Store::BTree(t) => t.get(&self.pager, key),
            Store::Hash(h) => {
                let mut rows: Vec<RowId> = h
                    .lookup(&self.pager, key)
                    .into_iter()
                    .map(|e| e.row)
                    .collect();
                rows.sort_unstable();
                rows
            }
        }
    }

    /// How index `index` can serve `query`, if it can.
    fn access(&self, index: &Index, query: &Query) -> Option<Access> {
        let mut eq = Vec::new();
        let mut range = None;
        for &column in &index.columns {
            match query.condition(column) {
                Some(Cond::Eq(v)) => eq.push(v),
                Some(Cond::Between(lo, hi)) => {
                    range = Some((column, lo, hi));
                    break;
                }
                None => break,
            }
        }
        let usable = match index.store {
            Store::Hash(_) => eq.len() == index.columns.len(),
            Store::BTree(_) => !eq.is_empty() || range.is_some(),
        };
        usable.then_some(Access { eq, range })
    }

    /// Measures the statistics the planner estimates from, with one full
    /// scan: for every index and every leftmost prefix of its columns, the
    /// number of distinct values among the live rows (SQLite's
    /// `sqlite_stat1`), and for every column its smallest and largest value.
    /// They stay as measured until the next `analyze`, however the table
    /// changes.
    pub fn analyze(&mut self) {
        let rows: Vec<Row> = self.scan().into_iter().map(|(_, row)| row).collect();
        let distinct = self
            .indexes
            .iter()
            .map(|index| {
                (1..=index.columns.len())
                    .map(|p| {
                        let prefixes: HashSet<Vec<Value>> = rows
                            .iter()
                            .map(|row| index.columns[..p].iter().map(|c| c.of(row)).collect())
                            .collect();
                        prefixes.len()
                    })
                    .collect()
            })
            .collect();
        let bounds = Column::ALL.map(|c| {
            let values = rows.iter().map(|row| c.of(row));
            Some((values.clone().min()?, values.max()?))
        });
        self.stats = Some(Stats { distinct, bounds });
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
        let stats = self.stats.as_ref()?;
        let access = self.access(&self.indexes[id.0], query)?;
        let mut rows = self.len as f64;
        if !access.eq.is_empty() {
            rows /= stats.distinct[id.0][access.eq.len() - 1].max(1) as f64;
        }
        if let Some((column, lo, hi)) = access.range
            && let Some((min, max)) = stats.bounds[column.position()]
        {
            let overlap = (i128::from(hi.min(max)) - i128::from(lo.max(min)) + 1).max(0);
            let width = i128::from(max) - i128::from(min) + 1;
            rows *= overlap as f64 / width as f64;
        }
        Some(rows)
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
        let usable = self
            .indexes
            .iter()
            .enumerate()
            .filter_map(|(i, index)| Some((IndexId(i), self.access(index, query)?)));
        if self.stats.is_none() {
            let mut best: Option<(IndexId, usize)> = None;
            for (id, access) in usable {
                if best.is_none_or(|(_, m)| access.matched() > m) {
                    best = Some((id, access.matched()));
                }
            }
            return best.map_or(Plan::FullScan, |(id, _)| Plan::Index(id));
        }
        let mut best: Option<(IndexId, f64)> = None;
        for (id, _) in usable {
            let rows = self.estimate(query, id).expect("statistics exist");
            if best.is_none_or(|(_, r)| rows < r) {
                best = Some((id, rows));
            }
        }
        match best {
            Some((id, rows)) if rows < self.heap_pages() as f64 => Plan::Index(id),
            _ => Plan::FullScan,
        }
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
        let Plan::Index(id) = self.plan(query) else {
            return self
                .scan()
                .into_iter()
                .filter(|(_, row)| query.matches(row))
                .collect();
        };
        let index = &self.indexes[id.0];
        let access = self
            .access(index, query)
            .expect("the plan's index serves the query");
        let mut rows: Vec<RowId> = match &index.store {
            Store::Hash(h) => h
                .lookup(&self.pager, &access.eq)
                .into_iter()
                .map(|e| e.row)
                .collect(),
            Store::BTree(t) => {
                let (mut lo, mut hi) = (access.eq.clone(), access.eq.clone());
                if let Some((_, l, h)) = access.range {
                    lo.push(l);
                    hi.push(h);
                }
                t.range(&self.pager, Bound::Included(&lo), Bound::Included(&hi))
                    .into_iter()
                    .map(|e| e.row)
                    .collect()
            }
        };
        rows.sort_unstable();
        let mut out = Vec::with_capacity(rows.len());
        for group in rows.chunk_by(|x, y| x.page == y.page) {
            let Page::Heap(page) = self.pager.read(group[0].page) else {
                panic!(
                    "an index points at page {:?}, not a heap page",
                    group[0].page
                )
            };
            for &id in group {
                if let Some(row) = page[usize::from(id.slot)]
                    && query.matches(&row)
                {
                    out.push((id, row));
                }
            }
        }
        out
    }

    /// The SQL name of index `id`: `i`, its number, then `_` and each of its
    /// columns, e.g. `i0_a_b` for a first index on `(a, b)`.
    pub fn index_name(&self, id: IndexId) -> String {
        let columns: Vec<&str> = self.indexes[id.0]
            .columns
            .iter()
            .map(|c| c.name())
            .collect();
        format!("i{}_{}", id.0, columns.join("_"))
    }

    /// The table and its indexes in SQL, one statement per string:
    /// `CREATE TABLE t(a INTEGER, b INTEGER, c INTEGER, d INTEGER)`, then for
    /// every index in creation order `CREATE INDEX <index_name> ON t(a, b)`
    /// with its columns in index order. A hash index becomes an ordinary
    /// (B-tree) index: SQLite has no other kind.
    pub fn schema_sql(&self) -> Vec<String> {
        let mut sql = vec!["CREATE TABLE t(a INTEGER, b INTEGER, c INTEGER, d INTEGER)".to_owned()];
        for (i, index) in self.indexes.iter().enumerate() {
            let columns: Vec<&str> = index.columns.iter().map(|c| c.name()).collect();
            sql.push(format!(
                "CREATE INDEX {} ON t({})",
                self.index_name(IndexId(i)),
                columns.join(", ")
            ));
        }
        sql
    }
}
