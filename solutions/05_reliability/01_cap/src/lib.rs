//! CAP and PACELC: one register, CP or AP, with hybrid logical clocks: a
//! replicated register that stays consistent or stays available when the
//! network partitions.
//!
//! Every node holds one copy of the register: a [`Version`], a value with
//! the [`Timestamp`] of the write that made it. What a node does with a
//! client's request depends on its [`Mode`]:
//!
//! - [`Mode::Cp`]: a read or a write is answered only after a **majority**
//!   of the nodes took part (the ABD algorithm of Attiya, Bar-Noy and Dolev).
//!   A node that its failure detector says cannot reach a majority answers
//!   [`Reply::Unavailable`] at once, having done nothing; an operation that
//!   started but did not finish in time is answered [`Reply::Timeout`] (it
//!   may or may not have taken effect). It never answers from its own copy
//!   alone: every answer it gives is linearizable.
//! - [`Mode::Ap`]: every request is answered at once from the local copy; a
//!   write is then pushed to the other nodes, and every node pushes its
//!   version to every other one periodically (anti-entropy), so that after a
//!   partition heals all copies converge. Concurrent writes are resolved by
//!   last-writer-wins on their timestamps: the greater stamp wins.
//!
//! Timestamps come from a **hybrid logical clock** ([`Hlc`], Kulkarni et
//! al., 2014): the node's wall clock, pushed forward by every timestamp the
//! node receives, so that a write that causally follows another always gets
//! a greater stamp, however skewed the wall clocks are. [`Stamping::WallClock`]
//! stamps writes with the bare wall clock instead: the design that the tests
//! show losing a causally later write when a node's clock runs behind.
//!
//! Like the `replication` lesson's node, a [`Node`] does no I/O and owns no
//! thread: the caller moves time with [`Node::tick`], hands it messages with
//! [`Node::step`], calls [`Node::read`] and [`Node::write`] for clients, and
//! collects messages to send and replies to give with [`Node::ready`]. The
//! wall clock is injected ([`kit::clock::Clock`]); timers count ticks.
//!
//! ```
//! use cap::{Config, Message, Mode, Node, Reply, Response};
//! use kit::clock::ManualClock;
//!
//! let clock = ManualClock::new(1_000);
//! let mut a = Node::new(Config::new(0, 2, Mode::Ap), Box::new(clock.clone()));
//! a.write(1, 42);
//! let ready = a.ready();
//! assert_eq!(ready.responses, [Response { req: 1, reply: Reply::Written }]);
//! let Message::Sync { version } = ready.messages[0].1 else { panic!() };
//! assert_eq!((version.value, version.stamp.physical), (42, 1_000));
//! ```
//!
//! Read README.md first. The private fields are a suggestion; the public
//! API is fixed. Suggested order, stage by stage: [`Hlc`]; the CP node
//! (`new`, the accessors, `read`, `write`, `step`, `tick`, `ready`); the AP
//! paths; anti-entropy; [`Stamping::WallClock`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use kit::clock::Clock;

/// A node's address: `0..nodes` (the same as `kit::sim::NodeId`).
pub type NodeId = usize;
/// What the register holds. It holds 0 before any write.
pub type Value = u64;
/// The caller's number for a client request, echoed in its [`Response`].
pub type RequestId = u64;
/// A coordinator's number for one CP operation, carried by its messages.
pub type OpId = u64;

/// A hybrid logical clock reading: wall-clock milliseconds, a logical
/// counter for events within one millisecond (or while the wall clock lags
/// behind a timestamp received), and the node that made it.
///
/// Timestamps compare by `physical`, then `logical`, then `node`: two
/// different nodes never make equal timestamps, so last-writer-wins always
/// has one winner. Its `Debug` form is short: `1000.2@n1`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Milliseconds: the greatest wall-clock reading this clock has seen,
    /// its own or received.
    pub physical: u64,
    /// Events since `physical` last changed.
    pub logical: u32,
    /// The node whose clock made it: the last tie-break.
    pub node: NodeId,
}

impl Timestamp {
    /// The stamp of the initial version, below every stamp a clock makes.
    pub const ZERO: Timestamp = Timestamp {
        physical: 0,
        logical: 0,
        node: 0,
    };
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}@n{}", self.physical, self.logical, self.node)
    }
}

/// A hybrid logical clock (Kulkarni, Demirbas, Madappa, Avva and Leone,
/// "Logical Physical Clocks", 2014).
///
/// It remembers the last timestamp it gave out or received. Each event takes
/// the current wall-clock reading `physical` (milliseconds) and returns a new
/// timestamp, always greater than the last one:
///
/// - **local or send event** ([`Hlc::now`]): the physical part becomes the
///   greater of the last one and `physical`; if that left it unchanged, the
///   logical part goes up by one, otherwise it restarts at 0;
/// - **receive event** ([`Hlc::receive`]): the physical part becomes the
///   greatest of the last one, the remote one and `physical`; the logical
///   part is then one more than the greatest logical part among those of the
///   last and the remote timestamp whose physical part equals the new one, or
///   0 if only `physical` reached it.
///
/// The physical part thus never exceeds the greatest wall-clock reading any
/// node has seen, and an event that causally follows another (through a
/// received timestamp) gets a greater timestamp. Every timestamp it returns
/// carries this clock's node id.
#[derive(Debug, Clone)]
pub struct Hlc {
    node: NodeId,
    last: Timestamp,
}

impl Hlc {
    /// The clock of `node`, whose last timestamp is `(0, 0)`.
    pub fn new(node: NodeId) -> Self {
        Self {
            node,
            last: Timestamp {
                node,
                ..Timestamp::ZERO
            },
        }
    }

    /// The last timestamp given out or received (with this clock's node id).
    pub fn last(&self) -> Timestamp {
        self.last
    }

    /// A local or send event at wall-clock reading `physical`.
    pub fn now(&mut self, physical: u64) -> Timestamp {
        let last = self.last;
        let (physical, logical) = if physical > last.physical {
            (physical, 0)
        } else {
            (last.physical, last.logical + 1)
        };
        self.set(physical, logical)
    }

    /// A receive event of `remote` at wall-clock reading `physical`.
    pub fn receive(&mut self, physical: u64, remote: Timestamp) -> Timestamp {
        let last = self.last;
        let top = physical.max(last.physical).max(remote.physical);
        let logical = match (top == last.physical, top == remote.physical) {
            (true, true) => last.logical.max(remote.logical) + 1,
            (true, false) => last.logical + 1,
            (false, true) => remote.logical + 1,
            (false, false) => 0,
        };
        self.set(top, logical)
    }

    /// Makes `(physical, logical)` the last timestamp, with this node's id.
    fn set(&mut self, physical: u64, logical: u32) -> Timestamp {
        self.last = Timestamp {
            physical,
            logical,
            node: self.node,
        };
        self.last
    }
}

/// One version of the register: a value and the stamp of the write that
/// made it. Of two versions, the one with the greater stamp wins. Its
/// `Debug` form is short: `7@1000.2@n1`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// The stamp of the write.
    pub stamp: Timestamp,
    /// The value written.
    pub value: Value,
}

impl Version {
    /// What every node holds before any write: value 0, stamp
    /// [`Timestamp::ZERO`].
    pub const INITIAL: Version = Version {
        stamp: Timestamp::ZERO,
        value: 0,
    };
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{:?}", self.value, self.stamp)
    }
}

/// Which side of CAP a node takes when the network partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Consistent: majority quorums; refuse rather than answer stale.
    Cp,
    /// Available: answer every request locally; converge later.
    Ap,
}

/// How a node stamps a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamping {
    /// With its hybrid logical clock: [`Hlc::now`] at the wall-clock reading.
    Hlc,
    /// With the bare wall clock: `Timestamp { physical: <wall clock>,
    /// logical: 0, node: <id> }` (the wrong design that the tests show
    /// losing writes under clock skew; Cassandra's client timestamps work
    /// like this).
    WallClock,
}

/// A node's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// This node's id, in `0..nodes`.
    pub id: NodeId,
    /// How many nodes hold the register (ids `0..nodes`); a majority is
    /// `nodes / 2 + 1` of them.
    pub nodes: usize,
    /// CP or AP.
    pub mode: Mode,
    /// How writes are stamped.
    pub stamping: Stamping,
    /// Every this many ticks a node sends its version to every other node
    /// (anti-entropy, and the heartbeat of the failure detector).
    pub sync_ticks: u64,
    /// A peer not heard from for more than this many ticks is suspected.
    pub suspect_ticks: u64,
    /// A CP operation not finished this many ticks after it started is
    /// answered [`Reply::Timeout`].
    pub timeout_ticks: u64,
}

impl Config {
    /// Node `id` of `nodes` in `mode`, stamping with the HLC, syncing every
    /// 5 ticks, suspecting after 12 silent ticks, timing out after 20.
    pub fn new(id: NodeId, nodes: usize, mode: Mode) -> Self {
        Self {
            id,
            nodes,
            mode,
            stamping: Stamping::Hlc,
            sync_ticks: 5,
            suspect_ticks: 12,
            timeout_ticks: 20,
        }
    }
}

/// The messages between nodes. The sender's id is not in the message:
/// [`Node::step`] receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// "This is my version": sent after an AP write and every `sync_ticks`.
    Sync {
        /// The sender's version.
        version: Version,
    },
    /// A CP coordinator asks for the receiver's version.
    Query {
        /// The coordinator's operation.
        op: OpId,
    },
    /// The answer to a [`Message::Query`].
    QueryReply {
        /// The operation asked about.
        op: OpId,
        /// The replier's version when it answered.
        version: Version,
    },
    /// A CP coordinator asks the receiver to store `version`.
    Store {
        /// The coordinator's operation.
        op: OpId,
        /// The version to store (if it wins).
        version: Version,
    },
    /// The answer to a [`Message::Store`]: the receiver holds `version` or a
    /// greater one.
    StoreAck {
        /// The operation answered.
        op: OpId,
    },
}

/// What a client is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// A read's value.
    Value(Value),
    /// A write's acknowledgement.
    Written,
    /// CP only: refused at once, because the failure detector says this node
    /// cannot reach a majority. Definite: nothing was sent or changed.
    Unavailable,
    /// CP only: started, but not finished within `timeout_ticks`.
    /// Indefinite: a timed-out write may still take effect.
    Timeout,
}

/// The reply to request `req`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// The caller's number of the request.
    pub req: RequestId,
    /// What the client is told.
    pub reply: Reply,
}

/// What the node asks its caller to do, drained by [`Node::ready`]: send
/// `messages`, then give `responses` to the clients.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// Messages to send: `(to, message)`, in the order produced.
    pub messages: Vec<(NodeId, Message)>,
    /// Replies to clients, in the order answered.
    pub responses: Vec<Response>,
}

/// The phase of a CP operation.
#[derive(Debug, Clone)]
enum Phase {
    /// Collecting versions; the coordinator's own is the first.
    Query(BTreeMap<NodeId, Version>),
    /// Waiting for StoreAcks of `version`; the coordinator's own is the first.
    Store {
        version: Version,
        acks: BTreeSet<NodeId>,
    },
}

/// What a CP operation does.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Read,
    Write(Value),
}

/// A CP operation this node coordinates.
#[derive(Debug, Clone)]
struct Op {
    req: RequestId,
    kind: Kind,
    started: u64,
    phase: Phase,
}

/// One replica of the register, CP or AP.
///
/// Use `BTreeMap`s, not `HashMap`s: iteration order decides message order,
/// and a run must replay exactly from its seed.
#[derive(Debug)]
pub struct Node {
    config: Config,
    clock: Box<dyn Clock>,
    hlc: Hlc,
    version: Version,
    now: u64,
    /// When each peer was last heard from (tick); the node itself is absent.
    last_heard: BTreeMap<NodeId, u64>,
    next_op: OpId,
    ops: BTreeMap<OpId, Op>,
    outbox: Vec<(NodeId, Message)>,
    responses: Vec<Response>,
}

impl Node {
    /// Node `config.id`, holding [`Version::INITIAL`], at tick 0, having
    /// heard from every peer at tick 0 (a new node trusts its peers until
    /// they are silent for `suspect_ticks`). `clock` is its wall clock: it
    /// reads `clock.unix_millis()` at every event that stamps or receives a
    /// timestamp.
    ///
    /// # Panics
    /// With `"node id {id} is not in 0..{nodes}"`, or `"sync_ticks must be
    /// positive"`.
    pub fn new(config: Config, clock: Box<dyn Clock>) -> Self {
        assert!(
            config.id < config.nodes,
            "node id {} is not in 0..{}",
            config.id,
            config.nodes
        );
        assert!(config.sync_ticks > 0, "sync_ticks must be positive");
        let last_heard = (0..config.nodes)
            .filter(|&p| p != config.id)
            .map(|p| (p, 0))
            .collect();
        Self {
            hlc: Hlc::new(config.id),
            config,
            clock,
            version: Version::INITIAL,
            now: 0,
            last_heard,
            next_op: 1,
            ops: BTreeMap::new(),
            outbox: Vec::new(),
            responses: Vec::new(),
        }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.config.id
    }

    /// Its mode.
    pub fn mode(&self) -> Mode {
        self.config.mode
    }

    /// The version it holds.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Its hybrid logical clock's last timestamp ([`Hlc::last`]).
    pub fn hlc(&self) -> Timestamp {
        self.hlc.last()
    }

    /// The failure detector: whether this node and the peers it heard from
    /// in the last `suspect_ticks` ticks (a peer last heard at tick `t` is
    /// live while `now - t <= suspect_ticks`) make a majority of `nodes`.
    pub fn has_majority(&self) -> bool {
        let live = self
            .last_heard
            .values()
            .filter(|&&t| self.now - t <= self.config.suspect_ticks)
            .count();
        1 + live >= self.majority()
    }

    /// A client read, request `req`.
    ///
    /// AP: answered at once with [`Reply::Value`] of the local version;
    /// nothing is sent.
    ///
    /// CP: if [`Node::has_majority`] is false, answered [`Reply::Unavailable`]
    /// at once, and nothing is sent. Otherwise a new operation: the node
    /// sends [`Message::Query`] to every other node and collects versions,
    /// its own (taken now) counting as the first. When it has versions from a
    /// majority, it looks at those: if they all have the same stamp, it
    /// answers that version's value (one round trip); otherwise it stores the
    /// winning one (the greatest stamp) locally if it wins there, sends
    /// [`Message::Store`] of it to every other node, and answers its value
    /// once a majority (itself included) holds it (the write-back, which
    /// stops a later read from seeing an older value). With one node, the
    /// node alone is a majority and answers at once.
    pub fn read(&mut self, req: RequestId) {
        match self.config.mode {
            Mode::Ap => {
                let value = self.version.value;
                self.respond(req, Reply::Value(value));
            }
            Mode::Cp => self.start(req, Kind::Read),
        }
    }

    /// A client write of `value`, request `req`.
    ///
    /// AP: the node stamps the write (see [`Stamping`]) and keeps the new
    /// version if its stamp is greater than the held one's (with
    /// [`Stamping::Hlc`] it always is; with [`Stamping::WallClock`] a write
    /// stamped below the held version is silently dropped), answers
    /// [`Reply::Written`] at once either way, and sends [`Message::Sync`] of
    /// its version (the held one, whichever won) to every other node.
    ///
    /// CP: [`Reply::Unavailable`] as for [`Node::read`]. Otherwise a query
    /// phase as for a read; with versions from a majority, the node stamps
    /// the write (every reply's stamp has gone through its HLC, so an HLC
    /// stamp is greater than all of them), stores the new version locally if
    /// it wins, sends [`Message::Store`] of it to every other node, and
    /// answers [`Reply::Written`] once a majority (itself included) has
    /// acknowledged.
    pub fn write(&mut self, req: RequestId, value: Value) {
        match self.config.mode {
            Mode::Ap => {
                let stamp = self.stamp();
                self.adopt(Version { stamp, value });
                self.respond(req, Reply::Written);
                self.broadcast_sync();
            }
            Mode::Cp => self.start(req, Kind::Write(value)),
        }
    }

    /// One unit of time: the tick count goes up by one; every CP operation
    /// started `timeout_ticks` or more ticks ago is answered
    /// [`Reply::Timeout`] and forgotten (late replies to it are ignored);
    /// and on every `sync_ticks`-th tick (ticks `sync_ticks`, `2 *
    /// sync_ticks`, ...) the node sends [`Message::Sync`] of its version to
    /// every other node, in both modes.
    pub fn tick(&mut self) {
        self.now += 1;
        let expired: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(_, op)| self.now - op.started >= self.config.timeout_ticks)
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            if let Some(op) = self.ops.remove(&id) {
                self.respond(op.req, Reply::Timeout);
            }
        }
        if self.now.is_multiple_of(self.config.sync_ticks) {
            self.broadcast_sync();
        }
    }

    /// Handles `msg` from node `from`, in both modes.
    ///
    /// Any message means `from` was heard from now. A message that carries a
    /// version ([`Message::Sync`], [`Message::QueryReply`],
    /// [`Message::Store`]) is first received by the HLC ([`Hlc::receive`] of
    /// its stamp at the wall-clock reading), and the version is kept if its
    /// stamp is greater than the held one's. Then:
    ///
    /// - [`Message::Query`]: answer [`Message::QueryReply`] with the held
    ///   version;
    /// - [`Message::Store`]: answer [`Message::StoreAck`] (the node now holds
    ///   that version or a greater one);
    /// - [`Message::QueryReply`] and [`Message::StoreAck`]: count towards the
    ///   operation and phase they answer, once per node (a duplicate counts
    ///   once); one for an operation that is finished, timed out or in
    ///   another phase is ignored.
    pub fn step(&mut self, from: NodeId, msg: Message) {
        if let Some(heard) = self.last_heard.get_mut(&from) {
            *heard = self.now;
        }
        match msg {
            Message::Sync { version } => self.receive(version),
            Message::Query { op } => {
                let version = self.version;
                self.outbox
                    .push((from, Message::QueryReply { op, version }));
            }
            Message::QueryReply { op, version } => {
                self.receive(version);
                self.on_query_reply(op, from, version);
            }
            Message::Store { op, version } => {
                self.receive(version);
                self.outbox.push((from, Message::StoreAck { op }));
            }
            Message::StoreAck { op } => self.on_store_ack(op, from),
        }
    }

    /// Drains what the caller must do.
    pub fn ready(&mut self) -> Ready {
        Ready {
            messages: std::mem::take(&mut self.outbox),
            responses: std::mem::take(&mut self.responses),
        }
    }

    /// How many nodes make a majority.
    fn majority(&self) -> usize {
        self.config.nodes / 2 + 1
    }

    /// Every other node, in id order.
    fn peers(&self) -> Vec<NodeId> {
        let id = self.config.id;
        (0..self.config.nodes).filter(|&p| p != id).collect()
    }

    /// Queues the reply to `req`.
    fn respond(&mut self, req: RequestId, reply: Reply) {
        self.responses.push(Response { req, reply });
    }

    /// The wall clock's reading, in milliseconds.
    fn physical(&self) -> u64 {
        self.clock.unix_millis()
    }

    /// The stamp of a new write.
    fn stamp(&mut self) -> Timestamp {
        let physical = self.physical();
        match self.config.stamping {
            Stamping::Hlc => self.hlc.now(physical),
            Stamping::WallClock => Timestamp {
                physical,
                logical: 0,
                node: self.config.id,
            },
        }
    }

    /// Keeps `version` if it wins over the held one.
    fn adopt(&mut self, version: Version) {
        if version.stamp > self.version.stamp {
            self.version = version;
        }
    }

    /// A version arrived: its stamp goes through the HLC, then it may win.
    fn receive(&mut self, version: Version) {
        let physical = self.physical();
        self.hlc.receive(physical, version.stamp);
        self.adopt(version);
    }

    /// Sends the held version to every other node.
    fn broadcast_sync(&mut self) {
        let version = self.version;
        for p in self.peers() {
            self.outbox.push((p, Message::Sync { version }));
        }
    }

    /// Starts a CP operation: refuse, or query every peer.
    fn start(&mut self, req: RequestId, kind: Kind) {
        if !self.has_majority() {
            self.respond(req, Reply::Unavailable);
            return;
        }
        let id = self.next_op;
        self.next_op += 1;
        let replies = BTreeMap::from([(self.config.id, self.version)]);
        self.ops.insert(
            id,
            Op {
                req,
                kind,
                started: self.now,
                phase: Phase::Query(replies),
            },
        );
        for p in self.peers() {
            self.outbox.push((p, Message::Query { op: id }));
        }
        self.advance(id);
    }

    /// Counts `from`'s reply towards operation `id`, if it is querying.
    fn on_query_reply(&mut self, id: OpId, from: NodeId, version: Version) {
        if let Some(Op {
            phase: Phase::Query(replies),
            ..
        }) = self.ops.get_mut(&id)
        {
            replies.entry(from).or_insert(version);
            self.advance(id);
        }
    }

    /// Counts `from`'s ack towards operation `id`, if it is storing.
    fn on_store_ack(&mut self, id: OpId, from: NodeId) {
        if let Some(Op {
            phase: Phase::Store { acks, .. },
            ..
        }) = self.ops.get_mut(&id)
        {
            acks.insert(from);
            self.advance(id);
        }
    }

    /// Moves operation `id` on if its current phase has a majority.
    fn advance(&mut self, id: OpId) {
        let majority = self.majority();
        let Some(op) = self.ops.get(&id) else { return };
        let (req, kind) = (op.req, op.kind);
        match &op.phase {
            Phase::Query(replies) if replies.len() >= majority => {
                let winner = replies
                    .values()
                    .copied()
                    .max_by_key(|v| v.stamp)
                    .unwrap_or(Version::INITIAL);
                let unanimous = replies.values().all(|v| v.stamp == winner.stamp);
                let version = match kind {
                    Kind::Read if unanimous => {
                        self.ops.remove(&id);
                        self.respond(req, Reply::Value(winner.value));
                        return;
                    }
                    Kind::Read => winner,
                    Kind::Write(value) => Version {
                        stamp: self.stamp(),
                        value,
                    },
                };
                self.adopt(version);
                if let Some(op) = self.ops.get_mut(&id) {
                    op.phase = Phase::Store {
                        version,
                        acks: BTreeSet::from([self.config.id]),
                    };
                }
                for p in self.peers() {
                    self.outbox.push((p, Message::Store { op: id, version }));
                }
                self.advance(id);
            }
            Phase::Store { version, acks } if acks.len() >= majority => {
                let reply = match kind {
                    Kind::Read => Reply::Value(version.value),
                    Kind::Write(_) => Reply::Written,
                };
                self.ops.remove(&id);
                self.respond(req, reply);
            }
            _ => {}
        }
    }
}
