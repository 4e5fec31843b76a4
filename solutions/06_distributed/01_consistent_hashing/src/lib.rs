//! Consistent hashing with virtual nodes.
//!
//! A [`HashRing`] maps keys to nodes so that adding or removing one node moves
//! only the keys that must move (about `K/N` of them), instead of nearly all of
//! them as `hash(key) % n` does. Each physical node is placed on a 64-bit ring
//! at many points ("virtual nodes"); a key belongs to the first point at or
//! clockwise after its own hash.
//!
//! Placement is a pure function of the set of nodes (their names and weights),
//! the vnode count and the hash function: not of the order nodes were added
//! in. That is what lets every client of a cache cluster compute the same owner
//! for a key without talking to each other.

use std::collections::BTreeMap;
use std::sync::Arc;

/// A 64-bit hash of bytes. The default is [`kit::hash::hash64`] (XXH3).
pub type Hasher = fn(&[u8]) -> u64;

/// One point on the ring.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct VNode {
    point: u64,
    // Ordering by (point, node) makes collisions resolve the same way whatever
    // the insertion order: the node whose name sorts first owns the point.
    node: Arc<str>,
}

/// A consistent-hash ring of named physical nodes, each shown on the ring as
/// `weight × vnodes` virtual nodes.
///
/// Virtual node `i` (counting from 0) of node `name` sits at
/// `hasher(format!("{name}#{i}"))`; a key sits at `hasher(key)`. A key belongs
/// to the first virtual node at or clockwise after the key's point, wrapping
/// past `u64::MAX` to the smallest point. When two virtual nodes hash to the
/// same point, the one whose node name sorts first (byte order) owns it.
#[derive(Debug, Clone)]
pub struct HashRing {
    vnodes: u32,
    hasher: Hasher,
    /// Sorted by (point, node).
    ring: Vec<VNode>,
    /// `ring`'s points alone, in the same order: the binary search runs over
    /// 8-byte entries (128 KB for 16k vnodes, L2-sized) instead of 24-byte
    /// ones, then reads one owner.
    points: Vec<u64>,
    /// Physical nodes and their weights.
    nodes: BTreeMap<Arc<str>, u32>,
}

impl HashRing {
    /// An empty ring that gives each node `vnodes` virtual nodes per unit of
    /// weight, hashing with [`kit::hash::hash64`].
    ///
    /// # Panics
    /// If `vnodes` is zero: a node with no points on the ring owns nothing.
    pub fn new(vnodes: u32) -> Self {
        Self::with_hasher(vnodes, kit::hash::hash64)
    }

    /// An empty ring with a custom hash function (tests use a deliberately
    /// weak one to force virtual-node collisions).
    ///
    /// # Panics
    /// If `vnodes` is zero.
    pub fn with_hasher(vnodes: u32, hasher: Hasher) -> Self {
        assert!(
            vnodes > 0,
            "a ring needs at least one virtual node per node"
        );
        Self {
            vnodes,
            hasher,
            ring: Vec::new(),
            points: Vec::new(),
            nodes: BTreeMap::new(),
        }
    }

    /// Virtual nodes per unit of weight.
    pub fn vnodes_per_weight(&self) -> u32 {
        self.vnodes
    }

    /// Adds `node` with weight 1. Returns `false` (and changes nothing) if a
    /// node of that name is already on the ring.
    pub fn add_node(&mut self, node: &str) -> bool {
        self.add_node_weighted(node, 1)
    }

    /// Adds `node` with `weight × vnodes` virtual nodes, so it owns about
    /// `weight / total weight` of the keys. Returns `false` (and changes
    /// nothing) if a node of that name is already on the ring.
    ///
    /// # Panics
    /// If `weight` is zero.
    pub fn add_node_weighted(&mut self, node: &str, weight: u32) -> bool {
        assert!(
            weight > 0,
            "a node of weight 0 would own no keys; remove it instead"
        );
        if self.nodes.contains_key(node) {
            return false;
        }
        let name: Arc<str> = Arc::from(node);
        let count = u64::from(weight) * u64::from(self.vnodes);
        self.ring
            .reserve(usize::try_from(count).unwrap_or(usize::MAX));
        let mut label = Vec::with_capacity(node.len() + 12);
        for i in 0..count {
            label.clear();
            label.extend_from_slice(node.as_bytes());
            label.push(b'#');
            label.extend_from_slice(i.to_string().as_bytes());
            self.ring.push(VNode {
                point: (self.hasher)(&label),
                node: Arc::clone(&name),
            });
        }
        // Appending then sorting once is O((V + v) log(V + v)); adding is rare
        // next to lookups, which stay a plain binary search over a flat Vec.
        self.ring.sort_unstable();
        self.reindex();
        self.nodes.insert(name, weight);
        true
    }

    /// Removes `node` and all of its virtual nodes. Returns `false` if it was
    /// not on the ring. Only the keys it owned move, each to the next node
    /// clockwise.
    pub fn remove_node(&mut self, node: &str) -> bool {
        if self.nodes.remove(node).is_none() {
            return false;
        }
        // Remove by owner, never by point: another node's vnode may share a point.
        self.ring.retain(|v| &*v.node != node);
        self.reindex();
        true
    }

    /// Whether `node` is on the ring.
    pub fn contains_node(&self, node: &str) -> bool {
        self.nodes.contains_key(node)
    }

    /// The weight `node` was added with, if it is on the ring.
    pub fn weight(&self, node: &str) -> Option<u32> {
        self.nodes.get(node).copied()
    }

    /// The number of physical nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the ring has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The number of virtual nodes on the ring: the sum of `weight × vnodes`
    /// over the nodes, collisions included.
    pub fn vnode_count(&self) -> usize {
        self.ring.len()
    }

    /// The physical nodes, in name order.
    pub fn nodes(&self) -> impl Iterator<Item = &str> + '_ {
        self.nodes.keys().map(|n| &**n)
    }

    /// The node that owns `key`, or `None` if the ring is empty.
    pub fn node_for(&self, key: impl AsRef<[u8]>) -> Option<&str> {
        let start = self.start(key.as_ref())?;
        Some(&self.ring[start].node)
    }

    /// The replica set of `key`: walking clockwise from the key, the first
    /// `r` *distinct physical* nodes (vnodes of a node already chosen are
    /// skipped). Returns fewer than `r` nodes only when the ring has fewer
    /// than `r` nodes; the first entry is always [`HashRing::node_for`].
    pub fn nodes_for(&self, key: impl AsRef<[u8]>, r: usize) -> Vec<&str> {
        let want = r.min(self.nodes.len());
        let mut chosen: Vec<&str> = Vec::with_capacity(want);
        let Some(start) = self.start(key.as_ref()) else {
            return chosen;
        };
        // One lap of the ring at most: after that every node has been seen.
        let lap = self.ring[start..].iter().chain(&self.ring[..start]);
        for vnode in lap {
            if chosen.len() == want {
                break;
            }
            // `r` is small (3 in Dynamo/Cassandra): a linear scan beats a set.
            if !chosen.contains(&&*vnode.node) {
                chosen.push(&vnode.node);
            }
        }
        chosen
    }

    /// Rebuilds the search index after the ring changed.
    fn reindex(&mut self) {
        self.points.clear();
        self.points.extend(self.ring.iter().map(|v| v.point));
    }

    /// Index of the first vnode at or after the key's point, wrapping around.
    fn start(&self, key: &[u8]) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let point = (self.hasher)(key);
        let i = self.points.partition_point(|&p| p < point);
        Some(if i == self.points.len() { 0 } else { i })
    }
}
