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
        Self::default()
    }

    /// How many writes of `client` this version has seen.
    pub fn get(&self, client: ClientId) -> u64 {
        self.counters.get(&client).copied().unwrap_or(0)
    }

    /// Counts one more write by `client`.
    pub fn increment(&mut self, client: ClientId) {
        *self.counters.entry(client).or_insert(0) += 1;
    }

    /// Makes this version the least version that descends from both
    /// (entry-wise maximum).
    pub fn merge(&mut self, other: &Version) {
        for (&client, &n) in &other.counters {
            let mine = self.counters.entry(client).or_insert(0);
            *mine = (*mine).max(n);
        }
    }

    /// Whether this version has seen everything `other` has (every entry
    /// at least as large). A version descends from itself.
    pub fn descends(&self, other: &Version) -> bool {
        other.counters.iter().all(|(&c, &n)| self.get(c) >= n)
    }

    /// Whether neither version descends from the other: two writes that did
    /// not know about each other.
    pub fn concurrent_with(&self, other: &Version) -> bool {
        !self.descends(other) && !other.descends(self)
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
    let mut all: Vec<Versioned> = items.into_iter().collect();
    all.sort();
    all.dedup();
    let keep: Vec<bool> = all
        .iter()
        .map(|a| {
            !all.iter()
                .any(|b| b.version != a.version && b.version.descends(&a.version))
        })
        .collect();
    all.into_iter()
        .zip(keep)
        .filter_map(|(item, keep)| keep.then_some(item))
        .collect()
}

/// The version a client must write with to replace all of `siblings`: the
/// merge of their versions (the "context" Dynamo returns with a read).
pub fn context(siblings: &[Versioned]) -> Version {
    let mut version = Version::new();
    for s in siblings {
        version.merge(&s.version);
    }
    version
}

/// Every node in the order a key tries them: the key's hash picks a start on
/// the ring `0..nodes`, then the nodes follow clockwise. The first `n` are the
/// key's *preference list* (its replicas); the rest are fallbacks.
///
/// # Panics
/// If `nodes` is 0.
pub fn ring_order(key: &str, nodes: usize) -> Vec<NodeId> {
    assert!(nodes > 0, "a ring needs nodes");
    let start = (hash64(key.as_bytes()) % nodes as u64) as usize;
    (0..nodes).map(|k| (start + k) % nodes).collect()
}

/// The `n` replicas of `key`: the first `n` of [`ring_order`].
pub fn preference_list(key: &str, nodes: usize, n: usize) -> Vec<NodeId> {
    let mut order = ring_order(key, nodes);
    order.truncate(n);
    order
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
        assert!(
            config.id < config.nodes,
            "id {} outside 0..{}",
            config.id,
            config.nodes
        );
        assert!(
            (1..=config.n).contains(&config.w) && (1..=config.n).contains(&config.r),
            "need 1 <= W, R <= N"
        );
        assert!(
            config.n <= config.nodes,
            "N = {} replicas on {} nodes",
            config.n,
            config.nodes
        );
        Self {
            config,
            now: 0,
            next_req: 1,
            store: BTreeMap::new(),
            hints: BTreeMap::new(),
            requests: BTreeMap::new(),
            outbox: Vec::new(),
            outcomes: Vec::new(),
        }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.config.id
    }

    /// What this node stores for `key` as one of its replicas (hints excluded).
    pub fn local(&self, key: &str) -> Vec<Versioned> {
        self.store.get(key).cloned().unwrap_or_default()
    }

    /// The hints this node holds: (owner, key), in order.
    pub fn hints(&self) -> Vec<(NodeId, String)> {
        self.hints.keys().cloned().collect()
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
        let mut version = context.clone();
        version.increment(client);
        self.start(key, Kind::Put(Versioned { version, value }))
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
        self.start(key, Kind::Get)
    }

    fn start(&mut self, key: &str, kind: Kind) -> RequestId {
        let req = self.next_req;
        self.next_req += 1;
        self.requests.insert(
            req,
            Request {
                key: key.to_owned(),
                kind,
                started: self.now,
                pending: BTreeMap::new(),
                asked: BTreeSet::new(),
                answers: BTreeMap::new(),
                merged: Vec::new(),
                finished: false,
            },
        );
        for target in preference_list(key, self.config.nodes, self.config.n) {
            self.ask(req, target, None);
        }
        req
    }

    /// Sends request `req` to `target`, standing in for `hint` if set.
    fn ask(&mut self, req: RequestId, target: NodeId, hint: Option<NodeId>) {
        let Some(r) = self.requests.get_mut(&req) else {
            return;
        };
        r.asked.insert(target);
        r.pending.insert(target, (self.now, hint));
        let msg = match &r.kind {
            Kind::Put(item) => Message::Put {
                req,
                key: r.key.clone(),
                item: item.clone(),
                hint,
            },
            Kind::Get => Message::Get {
                req,
                key: r.key.clone(),
            },
        };
        self.send(target, msg);
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
        self.now += 1;
        let reqs: Vec<RequestId> = self.requests.keys().copied().collect();
        for req in reqs {
            self.check_request(req);
        }
        if self.now.is_multiple_of(self.config.handoff_every) {
            let handoffs: Vec<(NodeId, Message)> = self
                .hints
                .iter()
                .map(|((owner, key), siblings)| {
                    (
                        *owner,
                        Message::Handoff {
                            key: key.clone(),
                            siblings: siblings.clone(),
                        },
                    )
                })
                .collect();
            for (owner, msg) in handoffs {
                self.send(owner, msg);
            }
        }
    }

    fn check_request(&mut self, req: RequestId) {
        let (timeout, deadline, nodes) =
            (self.config.timeout, self.config.deadline, self.config.nodes);
        let Some(r) = self.requests.get_mut(&req) else {
            return;
        };
        if self.now >= r.started + deadline {
            let r = self.requests.remove(&req).expect("present");
            if !r.finished {
                let needed = self.needed(&r.kind);
                let err = Unavailable {
                    answered: r.answers.len(),
                    needed,
                };
                self.outcomes.push(match r.kind {
                    Kind::Put(_) => Outcome::Put {
                        req,
                        result: Err(err),
                    },
                    Kind::Get => Outcome::Get {
                        req,
                        result: Err(err),
                    },
                });
            }
            return;
        }
        if r.finished && matches!(r.kind, Kind::Get) {
            return; // only collecting late answers for read repair
        }
        // A finished write still goes on to N copies: a replica that stays
        // silent gets its copy kept as a hint by a fallback (hinted handoff).
        // Each replica silent for too long is replaced by the next fallback
        // on the ring (a sloppy quorum), which keeps a write as a hint for it.
        let late: Vec<(NodeId, Option<NodeId>)> = r
            .pending
            .iter()
            .filter(|(_, (asked_at, _))| self.now >= asked_at + timeout)
            .map(|(&node, &(_, hint))| (node, hint))
            .collect();
        for (node, hint) in late {
            let Some(r) = self.requests.get_mut(&req) else {
                return;
            };
            r.pending.remove(&node);
            let fallback = ring_order(&r.key, nodes)
                .into_iter()
                .find(|f| !r.asked.contains(f));
            if let Some(f) = fallback {
                // A fallback stands in for the original owner, not for
                // another fallback.
                self.ask(req, f, Some(hint.unwrap_or(node)));
            }
        }
    }

    fn needed(&self, kind: &Kind) -> usize {
        match kind {
            Kind::Put(_) => self.config.w,
            Kind::Get => self.config.r,
        }
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
        match msg {
            // Replica side.
            Message::Put {
                req,
                key,
                item,
                hint,
            } => {
                match hint {
                    Some(owner) => {
                        merge_into(self.hints.entry((owner, key)).or_default(), vec![item]);
                    }
                    None => merge_into(self.store.entry(key).or_default(), vec![item]),
                }
                self.send(from, Message::PutAck { req });
            }
            Message::Get { req, key } => {
                let mut siblings = self.local(&key);
                for ((_, k), held) in &self.hints {
                    if *k == key {
                        siblings.extend(held.iter().cloned());
                    }
                }
                let siblings = reconcile(siblings);
                self.send(from, Message::GetReply { req, siblings });
            }
            Message::Repair { key, siblings } => {
                merge_into(self.store.entry(key).or_default(), siblings);
            }
            Message::Handoff { key, siblings } => {
                merge_into(self.store.entry(key.clone()).or_default(), siblings.clone());
                self.send(from, Message::HandoffAck { key, siblings });
            }
            Message::HandoffAck { key, siblings } => {
                let slot = (from, key);
                if let Some(held) = self.hints.get_mut(&slot) {
                    // Drop only what the owner confirmed: a newer hint for
                    // the same key may have arrived since.
                    held.retain(|h| !siblings.iter().any(|s| s.version.descends(&h.version)));
                    if held.is_empty() {
                        self.hints.remove(&slot);
                    }
                }
            }
            // Coordinator side.
            Message::PutAck { req } => self.answer(req, from, Vec::new()),
            Message::GetReply { req, siblings } => self.answer(req, from, siblings),
        }
    }

    /// An answer from `from` to request `req`. Counts distinct nodes only: a
    /// duplicated acknowledgement is not a second replica.
    fn answer(&mut self, req: RequestId, from: NodeId, siblings: Vec<Versioned>) {
        let needed = match self.requests.get(&req) {
            Some(r) => self.needed(&r.kind),
            None => return, // past its deadline
        };
        let Some(r) = self.requests.get_mut(&req) else {
            return;
        };
        if !r.asked.contains(&from) || r.answers.contains_key(&from) {
            return;
        }
        r.pending.remove(&from);
        let is_get = matches!(r.kind, Kind::Get);
        if is_get {
            let before = r.merged.clone();
            r.merged = reconcile(r.merged.iter().cloned().chain(siblings.iter().cloned()));
            r.answers.insert(from, siblings);
            if r.finished && r.merged != before {
                // A late answer knew more: everyone who answered before is stale.
                let stale: Vec<NodeId> = r.answers.keys().copied().collect();
                self.repair(req, &stale);
            } else if r.finished {
                self.repair(req, &[from]);
            }
        } else {
            r.answers.insert(from, Vec::new());
        }
        let Some(r) = self.requests.get_mut(&req) else {
            return;
        };
        if !r.finished && r.answers.len() >= needed {
            r.finished = true;
            let outcome = match &r.kind {
                Kind::Put(item) => Outcome::Put {
                    req,
                    result: Ok(item.version.clone()),
                },
                Kind::Get => Outcome::Get {
                    req,
                    result: Ok(r.merged.clone()),
                },
            };
            self.outcomes.push(outcome);
            if is_get {
                let answered: Vec<NodeId> = r.answers.keys().copied().collect();
                self.repair(req, &answered);
            }
        }
    }

    /// Read repair: sends the merged siblings to each of `nodes` that is a
    /// replica of the key and answered with less.
    fn repair(&mut self, req: RequestId, nodes: &[NodeId]) {
        let Some(r) = self.requests.get(&req) else {
            return;
        };
        let replicas = preference_list(&r.key, self.config.nodes, self.config.n);
        let mut sends = Vec::new();
        for &node in nodes {
            if replicas.contains(&node) && r.answers.get(&node).is_some_and(|a| *a != r.merged) {
                sends.push((
                    node,
                    Message::Repair {
                        key: r.key.clone(),
                        siblings: r.merged.clone(),
                    },
                ));
            }
        }
        let merged = r.merged.clone();
        for (node, msg) in sends {
            // What it will hold after the repair, so it is not repaired twice.
            if let Some(r) = self.requests.get_mut(&req) {
                r.answers.insert(node, merged.clone());
            }
            self.send(node, msg);
        }
    }

    /// Drains the messages to send and the finished requests.
    pub fn ready(&mut self) -> Ready {
        Ready {
            messages: std::mem::take(&mut self.outbox),
            outcomes: std::mem::take(&mut self.outcomes),
        }
    }

    fn send(&mut self, to: NodeId, msg: Message) {
        if to == self.config.id {
            // Our own replica answers at once, without the network.
            self.step(to, msg);
        } else {
            self.outbox.push((to, msg));
        }
    }
}

fn merge_into(slot: &mut Vec<Versioned>, new: Vec<Versioned>) {
    let all = std::mem::take(slot).into_iter().chain(new);
    *slot = reconcile(all);
}
