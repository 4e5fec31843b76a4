//! What the stages share: a pager that counts and logs every page I/O, a
//! checker that walks a B+tree through its pages, the budgets, and tables of
//! known shapes.

#![allow(dead_code)] // each stage uses part of it

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use indexes::{BTree, Entry, Page, PageId, Pager, Row, RowId, Table};
use kit::rng::Rng;

/// The test's pager: pages in a Vec, every read and write counted, and the
/// pages read logged in order. `peek` looks at a page without counting.
#[derive(Debug, Default)]
pub struct CountingPager {
    pages: Vec<Page>,
    reads: Cell<u64>,
    writes: u64,
    log: RefCell<Vec<PageId>>,
}

impl CountingPager {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn reads(&self) -> u64 {
        self.reads.get()
    }

    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// The pages read since the last call, in order (and clears the log).
    pub fn take_log(&self) -> Vec<PageId> {
        std::mem::take(&mut *self.log.borrow_mut())
    }

    /// A page, without counting a read.
    pub fn peek(&self, id: PageId) -> &Page {
        &self.pages[id.0 as usize]
    }

    pub fn pages(&self) -> usize {
        self.pages.len()
    }
}

impl Pager for CountingPager {
    fn allocate(&mut self, page: Page) -> PageId {
        let id = PageId(self.pages.len() as u32);
        self.pages.push(page);
        self.writes += 1;
        id
    }

    fn read(&self, id: PageId) -> &Page {
        assert!(
            (id.0 as usize) < self.pages.len(),
            "read of page {id:?}, which was never allocated: only {} pages exist",
            self.pages.len()
        );
        self.reads.set(self.reads.get() + 1);
        self.log.borrow_mut().push(id);
        &self.pages[id.0 as usize]
    }

    fn write(&mut self, id: PageId, page: Page) {
        assert!(
            (id.0 as usize) < self.pages.len(),
            "write of page {id:?}, which was never allocated"
        );
        self.writes += 1;
        self.pages[id.0 as usize] = page;
    }
}

/// Page reads and writes that `f` makes through `pager`.
pub fn io<T>(pager: impl Fn() -> (u64, u64), f: impl FnOnce() -> T) -> (T, u64, u64) {
    let (r0, w0) = pager();
    let out = f();
    let (r1, w1) = pager();
    (out, r1 - r0, w1 - w0)
}

/// Page reads that `f` makes on `table`.
pub fn reads_of<T>(
    table: &Table<CountingPager>,
    f: impl FnOnce(&Table<CountingPager>) -> T,
) -> (T, u64) {
    let before = table.pager().reads();
    let out = f(table);
    (out, table.pager().reads() - before)
}

/// ⌈log_b n⌉: the least h with b^h >= n (0 for n <= 1).
pub fn ceil_log(b: usize, n: usize) -> u64 {
    let (mut h, mut reach) = (0, 1usize);
    while reach < n {
        reach = reach.saturating_mul(b);
        h += 1;
    }
    h
}

/// The stub's budget for a range of `k` entries in a tree of `n` entries
/// with fan-out `b`: ⌈log_B n⌉ + ⌈k/B⌉ + 2 page reads.
pub fn range_budget(b: usize, n: usize, k: usize) -> u64 {
    ceil_log(b, n) + k.div_ceil(b) as u64 + 2
}

/// The point-lookup budget: ⌈log_B n⌉ + 2 page reads.
pub fn point_budget(b: usize, n: usize) -> u64 {
    ceil_log(b, n) + 2
}

/// What `check_tree` found.
#[derive(Debug)]
pub struct TreeShape {
    pub entries: Vec<Entry>,
    pub leaves: usize,
    pub height: usize,
}

/// Walks the tree from its root through `peek` (no counted reads) and checks
/// the shape the stub documents: every page a Leaf or an Internal node,
/// internal nodes with one more child than separators, separators that bound
/// their children, all leaves at one depth equal to `tree.height()`, entries
/// strictly ascending, the leaf chain linking the leaves left to right and
/// ending in `None`, at most 2B items per node, and (if `full` — a tree that
/// has only grown) at least B items in every node but the root and at least
/// two children in an internal root.
pub fn check_tree(pager: &CountingPager, tree: &BTree, full: bool) -> TreeShape {
    let b = tree.b();
    let mut leaves: Vec<(PageId, Option<PageId>)> = Vec::new();
    let mut entries = Vec::new();
    let mut leaf_depth = None;
    walk(
        pager,
        tree.root(),
        1,
        None,
        None,
        b,
        full,
        true,
        &mut leaves,
        &mut entries,
        &mut leaf_depth,
    );
    for w in entries.windows(2) {
        assert!(
            w[0] < w[1],
            "B+tree entries out of order or repeated: {:?} then {:?}; the tree must keep its entries sorted and unique",
            w[0],
            w[1]
        );
    }
    for (i, &(id, next)) in leaves.iter().enumerate() {
        let expected = leaves.get(i + 1).map(|&(id, _)| id);
        assert_eq!(
            next, expected,
            "leaf {id:?} links to {next:?} but the leaf to its right is {expected:?}: a range walks the leaf chain, so it must link every leaf to its right neighbour and end in None"
        );
    }
    let height = leaf_depth.unwrap_or(1);
    assert_eq!(
        height,
        tree.height(),
        "the leaves are at depth {height} but height() says {}",
        tree.height()
    );
    assert_eq!(
        entries.len(),
        tree.len(),
        "the leaves hold {} entries but len() says {}",
        entries.len(),
        tree.len()
    );
    TreeShape {
        leaves: leaves.len(),
        entries,
        height,
    }
}

#[allow(clippy::too_many_arguments)]
fn walk(
    pager: &CountingPager,
    id: PageId,
    depth: usize,
    lo: Option<&Entry>,
    hi: Option<&Entry>,
    b: usize,
    full: bool,
    root: bool,
    leaves: &mut Vec<(PageId, Option<PageId>)>,
    entries: &mut Vec<Entry>,
    leaf_depth: &mut Option<usize>,
) {
    let within = |e: &Entry| lo.is_none_or(|lo| e >= lo) && hi.is_none_or(|hi| e < hi);
    match pager.peek(id) {
        Page::Leaf { entries: es, next } => {
            match *leaf_depth {
                None => *leaf_depth = Some(depth),
                Some(d) => assert_eq!(
                    d, depth,
                    "leaf {id:?} is at depth {depth} but another is at depth {d}: every leaf of a B+tree is at the same depth"
                ),
            }
            assert!(
                es.len() <= 2 * b,
                "leaf {id:?} holds {} entries, more than 2B = {}: a leaf that would exceed 2B must split",
                es.len(),
                2 * b
            );
            if full && !root {
                assert!(
                    es.len() >= b,
                    "leaf {id:?} holds {} entries, fewer than B = {b}, in a tree that has only grown: a split leaves B and B + 1, and that minimum is what keeps the tree ⌈log_B n⌉ high",
                    es.len()
                );
            }
            for e in es {
                assert!(
                    within(e),
                    "entry {e:?} in leaf {id:?} is outside its parent's separators {lo:?}..{hi:?}: a lookup descending by the separators would miss it"
                );
            }
            leaves.push((id, *next));
            entries.extend(es.iter().cloned());
        }
        Page::Internal {
            separators,
            children,
        } => {
            assert_eq!(
                children.len(),
                separators.len() + 1,
                "internal node {id:?} has {} children and {} separators: it needs exactly one more child than separators",
                children.len(),
                separators.len()
            );
            assert!(
                children.len() <= 2 * b,
                "internal node {id:?} has {} children, more than 2B = {}",
                children.len(),
                2 * b
            );
            if full {
                let least = if root { 2 } else { b };
                assert!(
                    children.len() >= least,
                    "internal node {id:?} has {} children, fewer than {least}, in a tree that has only grown (B = {b})",
                    children.len()
                );
            }
            for w in separators.windows(2) {
                assert!(
                    w[0] < w[1],
                    "separators of {id:?} out of order: {:?} then {:?}",
                    w[0],
                    w[1]
                );
            }
            for s in separators {
                assert!(
                    within(s),
                    "separator {s:?} of {id:?} is outside its own bounds {lo:?}..{hi:?}"
                );
            }
            for (i, &child) in children.iter().enumerate() {
                let clo = if i == 0 { lo } else { Some(&separators[i - 1]) };
                let chi = separators.get(i).or(hi);
                walk(
                    pager,
                    child,
                    depth + 1,
                    clo,
                    chi,
                    b,
                    full,
                    false,
                    leaves,
                    entries,
                    leaf_depth,
                );
            }
        }
        other => panic!("page {id:?} of the B+tree is {other:?}, not a Leaf or an Internal node"),
    }
}

/// A fake row id, for B+trees tested without a table.
pub fn rid(n: u32) -> RowId {
    RowId {
        page: indexes::PageId(n / 8),
        slot: (n % 8) as u16,
    }
}

/// The model of a B+tree: the same entries in a BTreeSet.
pub type Model = BTreeSet<Entry>;

/// A table of `n` rows: a = i % 100, b = a permutation of 0..n, c = i % 2,
/// d = i. Rows are inserted in d order, so d is correlated with the heap.
pub fn sample_rows(n: usize, seed: u64) -> Vec<Row> {
    let mut b: Vec<i64> = (0..n as i64).collect();
    Rng::new(seed).shuffle(&mut b);
    (0..n)
        .map(|i| {
            let i64i = i as i64;
            [i64i % 100, b[i], i64i % 2, i64i]
        })
        .collect()
}

/// A table holding `rows`, in a fresh counting pager.
pub fn table_of(rows: &[Row]) -> Table<CountingPager> {
    let mut table = Table::new(CountingPager::new());
    for &row in rows {
        table.insert(row);
    }
    table
}

/// The rows of a full scan that match `f`, the reference every index answer
/// is checked against.
pub fn filter_scan(table: &Table<CountingPager>, f: impl Fn(&Row) -> bool) -> Vec<(RowId, Row)> {
    table.scan().into_iter().filter(|(_, r)| f(r)).collect()
}

/// The distinct heap pages of some rows.
pub fn distinct_pages(rows: &[(RowId, Row)]) -> u64 {
    rows.iter()
        .map(|(id, _)| id.page)
        .collect::<BTreeSet<_>>()
        .len() as u64
}
