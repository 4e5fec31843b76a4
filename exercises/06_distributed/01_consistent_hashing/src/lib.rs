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

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

/// A 64-bit hash of bytes. The default is [`kit::hash::hash64`] (XXH3).
pub type Hasher = fn(&[u8]) -> u64;

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
    // TODO: the vnode count, the hasher, the ring (sorted, for binary search:
    // what must it hold so that two nodes can share a point?), and the
    // physical nodes with their weights.
}

impl HashRing {
    /// An empty ring that gives each node `vnodes` virtual nodes per unit of
    /// weight, hashing with [`kit::hash::hash64`].
    ///
    /// # Panics
    /// If `vnodes` is zero: a node with no points on the ring owns nothing.
    pub fn new(vnodes: u32) -> Self {
        todo!("an empty ring using kit::hash::hash64")
    }

    /// An empty ring with a custom hash function (tests use a deliberately
    /// weak one to force virtual-node collisions).
    ///
    /// # Panics
    /// If `vnodes` is zero.
    pub fn with_hasher(vnodes: u32, hasher: Hasher) -> Self {
        todo!("an empty ring using `hasher`")
    }

    /// Virtual nodes per unit of weight.
    pub fn vnodes_per_weight(&self) -> u32 {
        todo!()
    }

    /// Adds `node` with weight 1. Returns `false` (and changes nothing) if a
    /// node of that name is already on the ring.
    pub fn add_node(&mut self, node: &str) -> bool {
        todo!()
    }

    /// Adds `node` with `weight × vnodes` virtual nodes, so it owns about
    /// `weight / total weight` of the keys. Returns `false` (and changes
    /// nothing) if a node of that name is already on the ring.
    ///
    /// # Panics
    /// If `weight` is zero.
    pub fn add_node_weighted(&mut self, node: &str, weight: u32) -> bool {
        todo!("hash each of the node's vnode labels onto the ring; keep the ring sorted")
    }

    /// Removes `node` and all of its virtual nodes. Returns `false` if it was
    /// not on the ring. Only the keys it owned move, each to the next node
    /// clockwise.
    pub fn remove_node(&mut self, node: &str) -> bool {
        todo!("remove this node's vnodes (and only this node's)")
    }

    /// Whether `node` is on the ring.
    pub fn contains_node(&self, node: &str) -> bool {
        todo!()
    }

    /// The weight `node` was added with, if it is on the ring.
    pub fn weight(&self, node: &str) -> Option<u32> {
        todo!()
    }

    /// The number of physical nodes.
    pub fn len(&self) -> usize {
        todo!()
    }

    /// Whether the ring has no nodes.
    pub fn is_empty(&self) -> bool {
        todo!()
    }

    /// The number of virtual nodes on the ring: the sum of `weight × vnodes`
    /// over the nodes, collisions included.
    pub fn vnode_count(&self) -> usize {
        todo!()
    }

    /// The physical nodes, in name order.
    pub fn nodes(&self) -> impl Iterator<Item = &str> + '_ {
        todo!("the node names, sorted");
        #[allow(unreachable_code)]
        std::iter::empty()
    }

    /// The node that owns `key`, or `None` if the ring is empty.
    pub fn node_for(&self, key: impl AsRef<[u8]>) -> Option<&str> {
        todo!("binary-search the first vnode at or after hash(key), wrapping around")
    }

    /// The replica set of `key`: walking clockwise from the key, the first
    /// `r` *distinct physical* nodes (vnodes of a node already chosen are
    /// skipped). Returns fewer than `r` nodes only when the ring has fewer
    /// than `r` nodes; the first entry is always [`HashRing::node_for`].
    pub fn nodes_for(&self, key: impl AsRef<[u8]>, r: usize) -> Vec<&str> {
        todo!("walk one lap clockwise from the key, skipping nodes already chosen")
    }
}
