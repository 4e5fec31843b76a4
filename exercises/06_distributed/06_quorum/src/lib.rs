//! Leaderless replication in the style of Amazon's Dynamo (and Cassandra,
//! Riak, Voldemort): every key lives on N replicas, a write succeeds when W
//! of them acknowledge it, a read when R of them answer; versions are
//! version vectors, so concurrent writes become siblings instead of silently
//! overwriting each other; stale replicas are fixed by read repair, and
//! writes meant for a replica that is down are kept as hints by a fallback
//! node and handed off when it returns.
//!
//! Like the `raft` lesson, a node is a deterministic state machine without
//! I/O: the caller feeds it [`Node::tick`] and [`Node::step`] and collects
//! messages and finished requests with [`Node::ready`].

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, unused_imports, dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use kit::hash::hash64;

/// A node's address (the same as `kit::sim::NodeId`).
pub type NodeId = usize;
/// Who wrote a version: each client counts its own writes.
pub type ClientId = u64;
/// A coordinator's number for one client request.
pub type RequestId = u64;

/// A version vector: for each client, how many of its writes this version
/// has seen. Version `a` *descends* from `b` when `a` has seen everything `b`
/// has; when neither descends from the other they are *concurrent*.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    counters: BTreeMap<ClientId, u64>,
}

impl Version {
    /// The empty version: before any write.
    pub fn new() -> Self {
        todo!("the empty version")
    }

    /// How many writes of `client` this version has seen.
    pub fn get(&self, client: ClientId) -> u64 {
        todo!("this client's counter, 0 if absent")
    }

    /// Counts one more write by `client`.
    pub fn increment(&mut self, client: ClientId) {
        todo!("add one to this client's counter")
    }

    /// Makes this version the least version that descends from both
    /// (entry-wise maximum).
    pub fn merge(&mut self, other: &Version) {
        todo!("entry-wise maximum")
    }

    /// Whether this version has seen everything `other` has (every entry
    /// at least as large). A version descends from itself.
    pub fn descends(&self, other: &Version) -> bool {
        todo!("every entry of other <= ours")
    }

    /// Whether neither version descends from the other: two writes that did
    /// not know about each other.
    pub fn concurrent_with(&self, other: &Version) -> bool {
        todo!("neither descends")
    }
}

/// A value and its version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Versioned {
    /// The version of this write.
    pub version: Version,
    /// The value written.
    pub value: Vec<u8>,
}

/// Keeps only the versions nothing else descends from (the *siblings*),
/// without duplicates, in a fixed order. Idempotent; the order of the input
/// does not matter.
pub fn reconcile(items: impl IntoIterator<Item = Versioned>) -> Vec<Versioned> {
    todo!("keep the maximal versions, deduplicated, sorted")
}

/// The version a client must write with to replace all of `siblings`: the
/// merge of their versions (the "context" Dynamo returns with a read).
pub fn context(siblings: &[Versioned]) -> Version {
    todo!("merge of every sibling's version")
}

/// Every node in the order a key tries them: the key's hash picks a start on
/// the ring `0..nodes`, then the nodes follow clockwise. The first `n` are the
/// key's *preference list* (its replicas); the rest are fallbacks.
///
/// # Panics
/// If `nodes` is 0.
pub fn ring_order(key: &str, nodes: usize) -> Vec<NodeId> {
    todo!("hash64(key) % nodes, then clockwise")
}

/// The `n` replicas of `key`: the first `n` of [`ring_order`].
pub fn preference_list(key: &str, nodes: usize, n: usize) -> Vec<NodeId> {
    todo!("the first n of ring_order")
}

/// A node's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// This node's id, in `0..nodes`.
    pub id: NodeId,
    /// How many nodes the ring has (ids `0..nodes`).
    pub nodes: usize,
    /// Replicas per key.
    pub n: usize,
    /// Acknowledgements a write needs.
    pub w: usize,
    /// Answers a read needs.
    pub r: usize,
    /// Ticks to wait for a replica before asking the next fallback instead.
    pub timeout: u64,
    /// Ticks after which an unfinished request fails (and a finished one
    /// stops collecting late replies for read repair).
    pub deadline: u64,
    /// A node holding hints tries to hand them off every this many ticks.
    pub handoff_every: u64,
}

impl Config {
    /// N = 3, W = 2, R = 2, timeout 6 ticks, deadline 40, handoff every 10.
    pub fn new(id: NodeId, nodes: usize) -> Self {
        Self {
            id,
            nodes,
            n: 3,
            w: 2,
            r: 2,
            timeout: 6,
            deadline: 40,
            handoff_every: 10,
        }
    }
}

/// The messages between nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Store `item` under `key`. With `hint: Some(owner)` the receiver is a
    /// fallback keeping it for `owner`, which was not answering.
    Put {
        req: RequestId,
        key: String,
        item: Versioned,
        hint: Option<NodeId>,
    },
    /// The `Put` of request `req` is stored.
    PutAck { req: RequestId },
    /// Send what you have for `key`.
    Get { req: RequestId, key: String },
    /// The answer to a `Get`: the receiver's siblings (its hints included).
    GetReply {
        req: RequestId,
        siblings: Vec<Versioned>,
    },
    /// Read repair: merge `siblings` into what you store for `key`.
    Repair {
        key: String,
        siblings: Vec<Versioned>,
    },
    /// Hinted handoff: these were written for you while you were away.
    Handoff {
        key: String,
        siblings: Vec<Versioned>,
    },
    /// The owner stored a handoff: the fallback may drop those hints.
    HandoffAck {
        key: String,
        siblings: Vec<Versioned>,
    },
}

/// A request that could not reach its quorum before its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable {
    /// Distinct replicas that answered.
    pub answered: usize,
    /// How many were needed (W or R).
    pub needed: usize,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "only {} of the {} replicas needed answered",
            self.answered, self.needed
        )
    }
}

impl std::error::Error for Unavailable {}

/// A finished client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A write: its version once W replicas stored it.
    Put {
        req: RequestId,
        result: Result<Version, Unavailable>,
    },
    /// A read: the reconciled siblings from R replicas (empty: no value).
    Get {
        req: RequestId,
        result: Result<Vec<Versioned>, Unavailable>,
    },
}

/// What the caller must do: send the messages; report the outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// `(to, message)`.
    pub messages: Vec<(NodeId, Message)>,
    /// Requests finished since the last `ready`.
    pub outcomes: Vec<Outcome>,
}

#[derive(Debug)]
enum Kind {
    Put(Versioned),
    Get,
}

/// A request this node coordinates.
#[derive(Debug)]
struct Request {
    key: String,
    kind: Kind,
    started: u64,
    /// Nodes asked and not yet answered: when asked, and whom they stand in for.
    pending: BTreeMap<NodeId, (u64, Option<NodeId>)>,
    /// Every node asked so far (never asked twice).
    asked: BTreeSet<NodeId>,
    /// Distinct nodes that answered, with what they said (reads).
    answers: BTreeMap<NodeId, Vec<Versioned>>,
    /// Reads: the reconciled answers so far.
    merged: Vec<Versioned>,
    finished: bool,
}

/// A storage node that also coordinates the requests its clients send it.
///
/// Suggested fields below (private: change them as you like). Use BTreeMaps,
/// not HashMaps: iteration order decides message order, and a run must
/// replay exactly from its seed.
#[derive(Debug)]
pub struct Node {
    config: Config,
    now: u64,
    next_req: RequestId,
    /// Keys this node is a replica of, and their siblings.
    store: BTreeMap<String, Vec<Versioned>>,
    /// Writes held for other nodes: (owner, key) -> siblings.
    hints: BTreeMap<(NodeId, String), Vec<Versioned>>,
    requests: BTreeMap<RequestId, Request>,
    outbox: Vec<(NodeId, Message)>,
    outcomes: Vec<Outcome>,
}

impl Node {
    /// A node with empty storage.
    ///
    /// # Panics
    /// Unless `1 <= w, r <= n <= nodes` and `id < nodes`.
    pub fn new(config: Config) -> Self {
        todo!("validate the config, empty storage")
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        todo!("this node's id")
    }

    /// What this node stores for `key` as one of its replicas (hints excluded).
    pub fn local(&self, key: &str) -> Vec<Versioned> {
        todo!("the replica store's siblings for key")
    }

    /// The hints this node holds: (owner, key), in order.
    pub fn hints(&self) -> Vec<(NodeId, String)> {
        todo!("the (owner, key) pairs held as hints")
    }

    /// Starts a write of `value` to `key` for `client`, replacing the
    /// versions in `context` (the context of the client's last read, or
    /// [`Version::new`] for a blind write). The new version is `context`
    /// with `client`'s counter incremented. The outcome comes out of `ready`.
    ///
    /// The write is a `Put` to each replica of the key's preference list
    /// (this node's own replica, if it is one, stores it at once without the
    /// network). It finishes with `Outcome::Put(Ok(version))` once W distinct
    /// asked nodes acknowledged: a duplicated ack is one node, and an ack
    /// from a node never asked does not count.
    pub fn put(
        &mut self,
        key: &str,
        value: Vec<u8>,
        context: &Version,
        client: ClientId,
    ) -> RequestId {
        todo!("new version = context + 1 for client; send to the preference list")
    }

    /// Starts a read of `key`: a `Get` to each replica of the preference
    /// list. It finishes with `Outcome::Get(Ok(siblings))` once R distinct
    /// asked nodes replied, the siblings being [`reconcile`] of all replies.
    /// Read repair: every preference-list replica that answered with less
    /// than the reconciled result gets a `Repair` with it, including replicas
    /// whose reply arrives after the read finished (until the deadline); a
    /// late reply that knows more makes the earlier repliers stale, so they
    /// are repaired again. Nothing is repaired before the read finishes: a
    /// `Repair` carries the result the read answers (or, after a late reply,
    /// the new reconciliation), never a partial merge, and no replica is sent
    /// the same siblings twice. Fallbacks that answered are never repaired
    /// (they are not replicas). The outcome comes out of `ready`.
    pub fn get(&mut self, key: &str) -> RequestId {
        todo!("ask the preference list")
    }

    /// One unit of time.
    ///
    /// - Every node asked by an unfinished request (or by a write, even a
    ///   finished one: it still goes on to N copies) that has not answered
    ///   within `timeout` ticks of being asked is replaced: the request goes
    ///   to the next node of [`ring_order`] never asked for it, with
    ///   `hint: Some(owner)` on a `Put` (the original replica it stands in
    ///   for, never another fallback).
    /// - A request `deadline` ticks old is dropped; if it had not finished,
    ///   its outcome is `Err(Unavailable { answered, needed })`.
    /// - Every `handoff_every` ticks, each hint held is sent to its owner as
    ///   a `Handoff`, until the owner's `HandoffAck` arrives.
    pub fn tick(&mut self) {
        todo!("timeouts -> fallbacks, deadlines -> Unavailable, periodic handoff")
    }

    /// Handles one message from `from`.
    ///
    /// As a replica: `Put` merges the item (with [`reconcile`]) into the
    /// store, or into the hints for `owner` when `hint` names another node,
    /// and answers `PutAck`; `Get` answers `GetReply` with the store's and
    /// the hints' siblings for the key, reconciled; `Repair` merges into the
    /// store; `Handoff` merges into the store and answers `HandoffAck` with
    /// the same siblings; `HandoffAck` drops the hints for that owner and key
    /// that the acknowledged siblings cover (a newer hint may have arrived).
    /// As a coordinator: `PutAck` and `GetReply` are answers to its requests.
    pub fn step(&mut self, from: NodeId, msg: Message) {
        todo!("replica side and coordinator side")
    }

    /// Drains the messages to send and the finished requests.
    pub fn ready(&mut self) -> Ready {
        todo!("drain messages and outcomes")
    }
}
