// Given: the storage layer (rows, columns, pages and the pager). Complete; do not change it.
//
// Everything a table or an index stores lives in a `Page` of a `Pager`, and
// every page the code looks at is a counted `Pager::read`. The tests bring a
// pager of their own that counts and logs reads and writes; `MemPager` is the
// same thing for your own experiments and the benchmarks.

use std::cell::Cell;
use std::fmt;

/// A column value. Every column of the lesson's table is an integer.
pub type Value = i64;

/// The number of columns of the table.
pub const COLUMNS: usize = 4;

/// A row of the table: the values of columns `a`, `b`, `c` and `d`, in order.
pub type Row = [Value; COLUMNS];

/// The most rows a heap page holds. A real 4 KiB page holds about fifty rows
/// of 80 bytes; eight keeps the arithmetic of the tests small.
pub const HEAP_ROWS: usize = 8;

/// The most entries a hash bucket page holds before it needs an overflow page.
pub const BUCKET_ENTRIES: usize = 16;

/// A column of the table `t(a, b, c, d)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    A,
    B,
    C,
    D,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; COLUMNS] = [Column::A, Column::B, Column::C, Column::D];

    /// The column's position in a [`Row`].
    pub fn position(self) -> usize {
        self as usize
    }

    /// The column's name in SQL: `"a"`, `"b"`, `"c"` or `"d"`.
    pub fn name(self) -> &'static str {
        ["a", "b", "c", "d"][self.position()]
    }

    /// This column's value in `row`.
    pub fn of(self, row: &Row) -> Value {
        row[self.position()]
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The number of a page in its pager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageId(pub u32);

/// Where a row lives: its heap page and its slot in that page (PostgreSQL's
/// `ctid`). A row keeps its `RowId` for life: updates happen in place, and a
/// deleted row's slot is never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowId {
    pub page: PageId,
    pub slot: u16,
}

impl RowId {
    /// Sorts before every real `RowId`.
    pub const MIN: RowId = RowId {
        page: PageId(0),
        slot: 0,
    };
    /// Sorts after every real `RowId`.
    pub const MAX: RowId = RowId {
        page: PageId(u32::MAX),
        slot: u16::MAX,
    };
}

/// An index key: the values of the index's columns, in index order. Keys
/// compare lexicographically, so `[5]` sorts before `[5, 0]` and every
/// `[5, x]` sorts before `[6]`.
pub type Key = Vec<Value>;

/// One index entry: a key and the row it points at. Entries are ordered by
/// key, then by row, so they are unique even when keys repeat (PostgreSQL
/// 12+ does the same with the heap TID as the last key column).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    pub key: Key,
    pub row: RowId,
}

impl Entry {
    /// An entry of `key` pointing at `row`.
    pub fn new(key: Key, row: RowId) -> Self {
        Self { key, row }
    }
}

/// What a page holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// A heap page: at most [`HEAP_ROWS`] slots, in slot order. A deleted
    /// row leaves `None` in its slot.
    Heap(Vec<Option<Row>>),
    /// A hash bucket: at most [`BUCKET_ENTRIES`] entries, and the next page
    /// of the bucket's overflow chain.
    Bucket {
        entries: Vec<Entry>,
        overflow: Option<PageId>,
    },
    /// A B+tree leaf: entries in ascending order, and the leaf to its right.
    Leaf {
        entries: Vec<Entry>,
        next: Option<PageId>,
    },
    /// A B+tree internal node: `children.len() == separators.len() + 1`;
    /// every entry under `children[i]` is `>= separators[i - 1]` (for
    /// `i > 0`) and `< separators[i]` (for `i < separators.len()`).
    Internal {
        separators: Vec<Entry>,
        children: Vec<PageId>,
    },
}

/// Page storage: a disk, as far as this lesson is concerned. Every call is
/// one page I/O, and the tests count them.
///
/// Implementations hand out ids in increasing order and never reuse one, and
/// panic on an id they never handed out.
pub trait Pager {
    /// Stores `page` in a new page and returns its id (one write).
    fn allocate(&mut self, page: Page) -> PageId;

    /// The page `id` (one read).
    fn read(&self, id: PageId) -> &Page;

    /// Replaces the page `id` with `page` (one write).
    fn write(&mut self, id: PageId, page: Page);
}

/// An in-memory pager that counts reads and writes.
#[derive(Debug, Default)]
pub struct MemPager {
    pages: Vec<Page>,
    reads: Cell<u64>,
    writes: u64,
}

impl MemPager {
    /// An empty pager.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads so far.
    pub fn reads(&self) -> u64 {
        self.reads.get()
    }

    /// Writes (allocations included) so far.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// The number of pages allocated.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// True if no page has been allocated.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

impl Pager for MemPager {
    fn allocate(&mut self, page: Page) -> PageId {
        let id = PageId(u32::try_from(self.pages.len()).expect("fewer than 2^32 pages"));
        self.pages.push(page);
        self.writes += 1;
        id
    }

    fn read(&self, id: PageId) -> &Page {
        self.reads.set(self.reads.get() + 1);
        &self.pages[id.0 as usize]
    }

    fn write(&mut self, id: PageId, page: Page) {
        self.writes += 1;
        self.pages[id.0 as usize] = page;
    }
}
