//! Sharding: hash and range partitioning, rebalancing, live migration,
//! scatter-gather and hot keys.
//!
//! - [`ModN`]: `hash(key) % N`, the naive router. Adding a node moves about
//!   `N/(N+1)` of all keys.
//! - [`FixedPartitions`]: a fixed number of partitions (`hash(key) % P`) and a
//!   table from partition to node. Adding a node moves whole partitions, about
//!   `1/(N+1)` of the keys, planned by [`FixedPartitions::plan_rebalance`].
//! - [`Cluster`]: nodes behind a [`FixedPartitions`] table that migrates
//!   partitions to a new node one step at a time while every read and write is
//!   still served; [`Cluster::scan`] scatters a range query to every node and
//!   gathers the answers with [`merge_sorted`]; a hot key is salted over
//!   several sub-keys ([`Cluster::set_hot`]).
//! - [`RangeStore`]: contiguous key ranges, each on its own shard, split at the
//!   median key when a shard grows past a stated size; a range scan touches
//!   only the shards whose ranges overlap it.
//!
//! Every hash is [`key_hash`]: `kit::hash::hash64` (XXH3, 64-bit) of the
//! key's UTF-8 bytes, the same on every machine and in every release, so any
//! client computes the same placement.
//!
//! ```
//! use sharding::{FixedPartitions, Router};
//!
//! let mut table = FixedPartitions::new(256, 4);
//! let before = table.node_for("user:42");
//! let new_node = table.add_node();
//! let plan = table.plan_rebalance();
//! assert_eq!(plan.len(), 51); // 256 / 5, whole partitions, all to the new node
//! assert!(plan.iter().all(|m| m.to == new_node));
//! for m in &plan {
//!     table.apply(m);
//! }
//! let after = table.node_for("user:42");
//! assert!(after == before || after == new_node);
//! ```

mod shard;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

pub use shard::{MemShard, Shard};

/// A node's index: nodes are numbered `0, 1, 2, ...` in the order they were
/// created or added.
pub type NodeId = usize;

/// The hash every router here uses: `kit::hash::hash64(key.as_bytes())`.
pub fn key_hash(key: &str) -> u64 {
    kit::hash::hash64(key.as_bytes())
}

/// Maps a key to the node that owns it.
pub trait Router {
    /// The node that owns `key`.
    fn node_for(&self, key: &str) -> NodeId;

    /// How many nodes there are (node ids are `0..node_count()`).
    fn node_count(&self) -> usize;
}

/// The naive router: `key_hash(key) % N`.
///
/// Simple and perfectly even, but the owner of almost every key depends on
/// `N`: going from `N` to `N + 1` nodes moves a key unless
/// `h % N == h % (N + 1)`, which holds for only `1/(N+1)` of the hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModN {
    nodes: usize,
}

impl ModN {
    /// A router over `nodes` nodes.
    ///
    /// # Panics
    /// If `nodes` is 0, with the message `"ModN needs at least one node"`.
    pub fn new(nodes: usize) -> Self {
        assert!(nodes > 0, "ModN needs at least one node");
        Self { nodes }
    }

    /// Adds a node and returns its id (the old node count). Placement
    /// changes at once: from now on `node_for` divides by the new count.
    pub fn add_node(&mut self) -> NodeId {
        self.nodes += 1;
        self.nodes - 1
    }
}

impl Router for ModN {
    fn node_for(&self, key: &str) -> NodeId {
        // The remainder is below `nodes`, which is a usize.
        (key_hash(key) % self.nodes as u64) as NodeId
    }

    fn node_count(&self) -> usize {
        self.nodes
    }
}

/// One partition changing owner: `partition` moves from node `from` to
/// node `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Move {
    /// The partition that moves.
    pub partition: usize,
    /// Its owner before the move.
    pub from: NodeId,
    /// Its owner after the move.
    pub to: NodeId,
}

/// Fixed partitions, as in Redis Cluster's 16,384 hash slots: a key belongs
/// to partition `key_hash(key) % P` forever, and a table says which node owns
/// each partition. Only the table changes when nodes come and go, and it
/// changes a whole partition at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedPartitions {
    /// `owners[p]` is the node that owns partition `p`.
    owners: Vec<NodeId>,
    nodes: usize,
}

impl FixedPartitions {
    /// `partitions` partitions over `nodes` nodes, partition `p` owned by
    /// node `p % nodes` (so every node owns `⌊P/N⌋` or `⌈P/N⌉`).
    ///
    /// # Panics
    /// If either is 0, with the message
    /// `"FixedPartitions needs at least one partition and one node"`.
    pub fn new(partitions: usize, nodes: usize) -> Self {
        assert!(
            partitions > 0 && nodes > 0,
            "FixedPartitions needs at least one partition and one node"
        );
        Self {
            owners: (0..partitions).map(|p| p % nodes).collect(),
            nodes,
        }
    }

    /// The number of partitions `P`, fixed at creation.
    pub fn partition_count(&self) -> usize {
        self.owners.len()
    }

    /// The partition of `key`: `key_hash(key) % P`. It never changes.
    pub fn partition_for(&self, key: &str) -> usize {
        (key_hash(key) % self.owners.len() as u64) as usize
    }

    /// The node that owns `partition` now.
    ///
    /// # Panics
    /// If `partition` is not below [`FixedPartitions::partition_count`].
    pub fn owner(&self, partition: usize) -> NodeId {
        self.owners[partition]
    }

    /// The partitions `node` owns, in increasing order.
    pub fn partitions_of(&self, node: NodeId) -> Vec<usize> {
        (0..self.owners.len())
            .filter(|&p| self.owners[p] == node)
            .collect()
    }

    /// Adds a node that owns nothing yet and returns its id (the old node
    /// count). No key changes owner until moves are applied.
    pub fn add_node(&mut self) -> NodeId {
        self.nodes += 1;
        self.nodes - 1
    }

    /// The moves that balance the table: after applying them all, every node
    /// owns `⌊P/N⌋` or `⌈P/N⌉` partitions. It is the fewest moves that do so:
    /// a partition moves only from a node that owns more than its share to one
    /// that owns fewer, and the nodes that owned the most keep the `⌈P/N⌉`
    /// shares. After [`FixedPartitions::add_node`] on a balanced table, that
    /// means `⌊P/(N+1)⌋` moves, every one to the new node.
    ///
    /// Each move names a distinct partition, its current owner as `from`, and
    /// a different node as `to`. An already balanced table gives no moves.
    /// The plan is a pure function of the table: the same table always gives
    /// the same plan, on every machine (no randomness, no hash-map order).
    pub fn plan_rebalance(&self) -> Vec<Move> {
        let partitions = self.owners.len();
        let quota = partitions / self.nodes;
        let extra = partitions % self.nodes;

        let mut owned: Vec<Vec<usize>> = vec![Vec::new(); self.nodes];
        for (p, &node) in self.owners.iter().enumerate() {
            owned[node].push(p);
        }
        // The `extra` nodes that own the most (ties to the lower id) may keep
        // one partition above the quota; everyone else gets exactly the quota.
        let mut by_load: Vec<NodeId> = (0..self.nodes).collect();
        by_load.sort_by_key(|&n| (Reverse(owned[n].len()), n));
        let mut target = vec![quota; self.nodes];
        for &n in &by_load[..extra] {
            target[n] += 1;
        }

        // Donors give their highest partitions, lowest donor id first.
        let mut surplus: Vec<(usize, NodeId)> = Vec::new();
        for (node, parts) in owned.iter().enumerate() {
            let excess = parts.len().saturating_sub(target[node]);
            surplus.extend(parts.iter().rev().take(excess).map(|&p| (p, node)));
        }
        let mut surplus = surplus.into_iter();
        let mut plan = Vec::new();
        for (node, parts) in owned.iter().enumerate() {
            for _ in parts.len()..target[node] {
                let (partition, from) = surplus.next().expect("total surplus equals total deficit");
                plan.push(Move {
                    partition,
                    from,
                    to: node,
                });
            }
        }
        plan
    }

    /// Gives `mv.partition` to `mv.to`.
    ///
    /// # Panics
    /// If `mv.from` is not the partition's current owner, with a message
    /// starting `"stale move"`; or if `mv.to` is not a node.
    pub fn apply(&mut self, mv: &Move) {
        let owner = self.owners[mv.partition];
        assert!(
            owner == mv.from,
            "stale move: partition {} is owned by node {owner}, not node {}",
            mv.partition,
            mv.from
        );
        assert!(
            mv.to < self.nodes,
            "move to node {}, which does not exist",
            mv.to
        );
        self.owners[mv.partition] = mv.to;
    }
}

impl Router for FixedPartitions {
    /// The owner of the key's partition: `owner(partition_for(key))`.
    fn node_for(&self, key: &str) -> NodeId {
        self.owners[self.partition_for(key)]
    }

    fn node_count(&self) -> usize {
        self.nodes
    }
}

/// A half-open range of keys `[start, end)` in byte order; `end: None` means
/// no upper bound. `KeyRange::all()` is `["", ∞)`, every key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyRange {
    /// The smallest key in the range (inclusive).
    pub start: String,
    /// The first key after the range (exclusive), or `None` for no end.
    pub end: Option<String>,
}

impl KeyRange {
    /// `[start, end)`.
    pub fn new(start: impl Into<String>, end: impl Into<String>) -> Self {
        Self {
            start: start.into(),
            end: Some(end.into()),
        }
    }

    /// `[start, ∞)`: `start` and every key after it.
    pub fn starting_at(start: impl Into<String>) -> Self {
        Self {
            start: start.into(),
            end: None,
        }
    }

    /// `["", ∞)`: every key.
    pub fn all() -> Self {
        Self::starting_at("")
    }

    /// Whether `key` is in the range: `start <= key` and `key < end`.
    pub fn contains(&self, key: &str) -> bool {
        self.start.as_str() <= key && self.end.as_deref().is_none_or(|end| key < end)
    }

    /// Whether the range holds no key at all (`end <= start`).
    pub fn is_empty(&self) -> bool {
        self.end
            .as_deref()
            .is_some_and(|end| end <= self.start.as_str())
    }

    /// Whether some key is in both ranges. An empty range overlaps nothing;
    /// `[a, m)` and `[m, z)` do not overlap (`m` is only in the second).
    pub fn overlaps(&self, other: &KeyRange) -> bool {
        let starts_before_other_ends = other
            .end
            .as_deref()
            .is_none_or(|end| self.start.as_str() < end);
        let other_starts_before_self_ends = self
            .end
            .as_deref()
            .is_none_or(|end| other.start.as_str() < end);
        !self.is_empty()
            && !other.is_empty()
            && starts_before_other_ends
            && other_starts_before_self_ends
    }
}

/// A k-way merge of sorted streams into one sorted stream, as a
/// scatter-gather query does with the answers of its shards.
///
/// It is lazy: it pulls nothing until the first `next()`, then one item from
/// every stream, and after each item it yields it pulls one more item from the
/// stream that item came from. So yielding `m` items pulls at most `k + m`
/// items from `k` streams, however long they are. Items that
/// compare equal come out in stream order (the earlier stream in `streams`
/// first), and each stream's own order is kept.
///
/// Each input stream must already be sorted.
pub fn merge_sorted<T, I>(streams: impl IntoIterator<Item = I>) -> MergeSorted<T, I>
where
    T: Ord,
    I: Iterator<Item = T>,
{
    MergeSorted {
        streams: streams.into_iter().collect(),
        heads: BinaryHeap::new(),
        started: false,
    }
}

/// The iterator [`merge_sorted`] returns.
#[derive(Debug)]
pub struct MergeSorted<T, I> {
    streams: Vec<I>,
    /// The next item of each stream that has one, smallest first; ties go to
    /// the lower stream index.
    heads: BinaryHeap<Reverse<(T, usize)>>,
    started: bool,
}

impl<T, I> Iterator for MergeSorted<T, I>
where
    T: Ord,
    I: Iterator<Item = T>,
{
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if !self.started {
            self.started = true;
            for (i, stream) in self.streams.iter_mut().enumerate() {
                if let Some(item) = stream.next() {
                    self.heads.push(Reverse((item, i)));
                }
            }
        }
        let Reverse((item, i)) = self.heads.pop()?;
        if let Some(next) = self.streams[i].next() {
            self.heads.push(Reverse((next, i)));
        }
        Some(item)
    }
}

/// One step of a migration, as [`Cluster::step`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Every entry of the partition was copied from the old owner to the new
    /// one; until the switch, writes to the partition go to both.
    Copy(Move),
    /// The table now names the new owner: reads and writes go there.
    Switch(Move),
    /// The old owner deleted its copy of the partition.
    Drop(Move),
}

/// How far the move in progress has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Copied; writes go to both nodes until the switch.
    Copied,
    /// Switched; the old copy is still to be dropped.
    Switched,
}

/// A salted hot key: `salts` sub-keys, and how many adds it has had.
#[derive(Debug, Clone)]
struct Hot {
    salts: usize,
    adds: u64,
}

/// A cluster of storage nodes behind a [`FixedPartitions`] table.
///
/// Every read and write of a key goes to the node the table names for it
/// (`router().node_for(key)`), one message each, except that during a
/// migration a write to the partition being copied also goes to its new owner
/// (see [`Cluster::step`]).
pub struct Cluster<S> {
    router: FixedPartitions,
    nodes: Vec<S>,
    /// Moves of the running migration not yet started, in plan order.
    pending: VecDeque<Move>,
    /// The move in progress and how far it has got.
    current: Option<(Move, Phase)>,
    hot: HashMap<String, Hot>,
}

impl<S: Shard> Cluster<S> {
    /// A cluster of `nodes` (node `i` is `nodes[i]`) over `partitions`
    /// partitions, laid out as [`FixedPartitions::new`] does.
    ///
    /// # Panics
    /// If `partitions` is 0 or `nodes` is empty, with
    /// [`FixedPartitions::new`]'s message.
    pub fn new(partitions: usize, nodes: Vec<S>) -> Self {
        Self {
            router: FixedPartitions::new(partitions, nodes.len()),
            nodes,
            pending: VecDeque::new(),
            current: None,
            hot: HashMap::new(),
        }
    }

    /// The routing table (it changes only at `Switch` steps).
    pub fn router(&self) -> &FixedPartitions {
        &self.router
    }

    /// Node `id`'s storage, to inspect.
    ///
    /// # Panics
    /// If there is no such node.
    pub fn node(&self, id: NodeId) -> &S {
        &self.nodes[id]
    }

    /// How many nodes the cluster has.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Stores `value` under `key` on the key's owner (and on its new owner
    /// too while its partition is between `Copy` and `Switch`).
    ///
    /// # Panics
    /// If `key` is hot, with a message starting `"put on hot key"`: a hot
    /// key is a counter spread over salts and takes only [`Cluster::add`].
    pub fn put(&mut self, key: &str, value: u64) {
        assert!(
            !self.hot.contains_key(key),
            "put on hot key {key:?}: a hot key takes add() only"
        );
        self.write(key, |shard, k| shard.put(k, value));
    }

    /// Adds `delta` to the value of `key` (missing counts as 0), one
    /// [`Shard::add`] on the key's owner (plus its new owner, as for `put`).
    /// The `n`-th add to a hot key since [`Cluster::set_hot`] (counting from
    /// 0) goes to its salt `n % salts` instead.
    pub fn add(&mut self, key: &str, delta: u64) {
        let target = match self.hot.get_mut(key) {
            Some(hot) => {
                // The remainder is below `salts`, which is a usize.
                let salt = (hot.adds % hot.salts as u64) as usize;
                hot.adds += 1;
                salted(key, salt)
            }
            None => key.to_owned(),
        };
        self.write(&target, |shard, k| shard.add(k, delta));
    }

    /// The value of `key`: one [`Shard::get`] on the node the router names.
    /// For a hot key, one `get` of each salt `key#0 .. key#{salts-1}` on its
    /// own owner, and the sum of the values found (`None` if no salt holds
    /// one).
    pub fn get(&mut self, key: &str) -> Option<u64> {
        let Some(hot) = self.hot.get(key) else {
            let owner = self.router.node_for(key);
            return self.nodes[owner].get(key);
        };
        let mut total: Option<u64> = None;
        for salt in 0..hot.salts {
            let sub = salted(key, salt);
            let owner = self.router.node_for(&sub);
            if let Some(value) = self.nodes[owner].get(&sub) {
                total = Some(total.unwrap_or(0).saturating_add(value));
            }
        }
        total
    }

    /// Spreads `key` over `salts` sub-keys `key#0 .. key#{salts-1}` (for
    /// `"likes"` and 4 salts: `likes#0` .. `likes#3`), each an ordinary key
    /// that lands wherever the router puts it. A value already stored under
    /// `key` itself moves to `key#0`. Returns false, and changes nothing, if
    /// `key` is already hot.
    ///
    /// # Panics
    /// If `salts` is 0, with the message `"a hot key needs at least one salt"`.
    pub fn set_hot(&mut self, key: &str, salts: usize) -> bool {
        assert!(salts > 0, "a hot key needs at least one salt");
        if self.hot.contains_key(key) {
            return false;
        }
        let owner = self.router.node_for(key);
        if let Some(value) = self.nodes[owner].get(key) {
            self.write(key, |shard, k| {
                shard.remove(k);
            });
            self.write(&salted(key, 0), |shard, k| shard.add(k, value));
        }
        self.hot.insert(key.to_owned(), Hot { salts, adds: 0 });
        true
    }

    /// Every entry with a key in `range`, in key order, each key once:
    /// scatter one [`Shard::scan`] to every node, keep from each node only the
    /// keys the router says it owns (mid-migration a partition sits on two
    /// nodes), and gather the sorted answers with [`merge_sorted`]. Keys are
    /// reported as stored: a hot key shows as its salted sub-keys.
    pub fn scan(&mut self, range: &KeyRange) -> Vec<(String, u64)> {
        let router = &self.router;
        let answers: Vec<_> = self
            .nodes
            .iter_mut()
            .enumerate()
            .map(|(id, node)| {
                node.scan(range)
                    .into_iter()
                    .filter(move |(key, _)| router.node_for(key) == id)
            })
            .collect();
        merge_sorted(answers).collect()
    }

    /// Adds `node` (its id is the old node count) and plans the rebalance
    /// ([`FixedPartitions::plan_rebalance`] after
    /// [`FixedPartitions::add_node`]). Nothing moves yet: drive the migration
    /// with [`Cluster::step`].
    ///
    /// # Panics
    /// If a migration is still running, with a message starting
    /// `"join during a migration"`.
    pub fn join(&mut self, node: S) -> NodeId {
        assert!(
            !self.migrating(),
            "join during a migration: step() until it returns None first"
        );
        self.nodes.push(node);
        let id = self.router.add_node();
        self.pending = self.router.plan_rebalance().into();
        id
    }

    /// True from a [`Cluster::join`] that planned moves until its last step.
    pub fn migrating(&self) -> bool {
        self.current.is_some() || !self.pending.is_empty()
    }

    /// Does the next step of the migration and returns it, or `None` if no
    /// migration is running. The moves are done one at a time, in plan order,
    /// each in three steps:
    ///
    /// 1. `Copy(m)`: every entry of partition `m.partition` on `m.from` is
    ///    put on `m.to`. From now until the switch, every write to that
    ///    partition goes to both nodes, so the copy stays complete. Reads
    ///    still go to `m.from`.
    /// 2. `Switch(m)`: the table gives the partition to `m.to`; reads and
    ///    writes go there alone.
    /// 3. `Drop(m)`: `m.from` removes every key of the partition.
    ///
    /// So at every step each key is readable, with its latest value, from the
    /// node the router names.
    pub fn step(&mut self) -> Option<Step> {
        let step = match self.current {
            None => {
                let m = self.pending.pop_front()?;
                for (key, value) in self.partition_entries(m.from, m.partition) {
                    self.nodes[m.to].put(&key, value);
                }
                self.current = Some((m, Phase::Copied));
                Step::Copy(m)
            }
            Some((m, Phase::Copied)) => {
                self.router.apply(&m);
                self.current = Some((m, Phase::Switched));
                Step::Switch(m)
            }
            Some((m, Phase::Switched)) => {
                for (key, _) in self.partition_entries(m.from, m.partition) {
                    self.nodes[m.from].remove(&key);
                }
                self.current = None;
                Step::Drop(m)
            }
        };
        Some(step)
    }

    /// The entries of `partition` stored on `node`.
    fn partition_entries(&mut self, node: NodeId, partition: usize) -> Vec<(String, u64)> {
        let router = &self.router;
        self.nodes[node]
            .scan(&KeyRange::all())
            .into_iter()
            .filter(|(key, _)| router.partition_for(key) == partition)
            .collect()
    }

    /// Applies `op` to `key` on its owner, and also on the partition's new
    /// owner while the partition is between `Copy` and `Switch`.
    fn write(&mut self, key: &str, op: impl Fn(&mut S, &str)) {
        let owner = self.router.node_for(key);
        op(&mut self.nodes[owner], key);
        if let Some((m, Phase::Copied)) = self.current
            && m.partition == self.router.partition_for(key)
        {
            op(&mut self.nodes[m.to], key);
        }
    }
}

/// Salt `i` of hot key `key`: `"{key}#{i}"`.
fn salted(key: &str, salt: usize) -> String {
    format!("{key}#{salt}")
}

/// Range partitioning: the key space cut into contiguous ranges, each stored
/// on its own shard, so neighbouring keys live together and a range scan
/// reads only the shards it needs.
///
/// It starts as one shard (made by `make()`) covering every key. The ranges,
/// in key order, always tile the key space: the first starts at `""`, each
/// ends where the next starts, the last has no end.
pub struct RangeStore<S> {
    max_keys: usize,
    make: Box<dyn FnMut() -> S>,
    /// (range, shard) in key order.
    shards: Vec<(KeyRange, S)>,
}

impl<S: Shard> RangeStore<S> {
    /// A store whose shards split when they hold more than `max_keys` keys;
    /// `make` creates each shard (the first one now, one more per split).
    ///
    /// # Panics
    /// If `max_keys` is 0, with the message `"a shard must hold at least one key"`.
    pub fn new(max_keys: usize, make: impl FnMut() -> S + 'static) -> Self {
        assert!(max_keys > 0, "a shard must hold at least one key");
        let mut make: Box<dyn FnMut() -> S> = Box::new(make);
        let first = make();
        Self {
            max_keys,
            make,
            shards: vec![(KeyRange::all(), first)],
        }
    }

    /// How many shards there are.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shards with their ranges, in key order.
    pub fn shards(&self) -> impl Iterator<Item = (&KeyRange, &S)> + '_ {
        self.shards.iter().map(|(range, shard)| (range, shard))
    }

    /// The index (in key order) of the shard whose range contains `key`.
    pub fn shard_for(&self, key: &str) -> usize {
        // The first range starts at "", so at least one start is <= key.
        self.shards
            .partition_point(|(range, _)| range.start.as_str() <= key)
            - 1
    }

    /// Stores `value` under `key` on its shard. If that shard now holds more
    /// than `max_keys` keys, it splits at its median key: with its `n` keys in
    /// order `k[0] .. k[n-1]`, the median is `k[n/2]`; a new shard from
    /// `make()` takes the range from `k[n/2]` to the old end and the keys
    /// `k[n/2] ..` (moved: put there, removed here), and the old shard keeps
    /// its start, the keys below `k[n/2]`, and ends at `k[n/2]`.
    pub fn put(&mut self, key: &str, value: u64) {
        let i = self.shard_for(key);
        self.shards[i].1.put(key, value);
        if self.shards[i].1.len() > self.max_keys {
            self.split(i);
        }
    }

    /// The value under `key`: one [`Shard::get`] on its shard.
    pub fn get(&mut self, key: &str) -> Option<u64> {
        let i = self.shard_for(key);
        self.shards[i].1.get(key)
    }

    /// Every entry with a key in `range`, in key order. Calls
    /// [`Shard::scan`] once on each shard whose range overlaps `range`, and on
    /// no other shard (none at all for an empty range).
    pub fn scan(&mut self, range: &KeyRange) -> Vec<(String, u64)> {
        if range.is_empty() {
            return Vec::new();
        }
        let first = self.shard_for(&range.start);
        let mut out = Vec::new();
        for (shard_range, shard) in &mut self.shards[first..] {
            if !shard_range.overlaps(range) {
                break;
            }
            out.extend(shard.scan(range));
        }
        out
    }

    fn split(&mut self, i: usize) {
        let (range, shard) = &mut self.shards[i];
        let entries = shard.scan(range);
        let upper = &entries[entries.len() / 2..];
        let median = upper[0].0.clone();
        let mut right = (self.make)();
        for (key, value) in upper {
            right.put(key, *value);
            shard.remove(key);
        }
        let right_range = KeyRange {
            start: median.clone(),
            end: range.end.replace(median),
        };
        self.shards.insert(i + 1, (right_range, right));
    }
}
