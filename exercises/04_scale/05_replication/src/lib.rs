//! Leader/follower replication: one node as a deterministic state machine
//! that ships a log of writes, numbered by LSN, from a leader to its followers.
//!
//! A leader takes writes, appends them to its log at the next *log sequence
//! number* (LSN) and ships the new entries to every follower; followers store
//! them strictly in LSN order and acknowledge how far they are. In
//! [`Mode::Async`] the leader acknowledges a write to its client as soon as
//! the write is in its own log; in [`Mode::SemiSync`] only once at least one
//! follower has acknowledged it. Reads may go to any node: a client carries
//! an LSN token ([`Session`]) and a node that is behind it waits before
//! answering, which gives read-your-writes and monotonic reads.
//!
//! Failover is run from outside, as Orchestrator, Patroni or Redis Sentinel
//! do: the tests' coordinator picks the most up-to-date node with
//! [`choose_leader`], [`Node::promote`]s it into a new *epoch*, and tells the
//! others to [`Node::follow`] it, handing them the new leader's
//! [`Node::history`] so that each can cut off the part of its log that the
//! new leader never had.
//!
//! Like the `raft` lesson's node, a [`Node`] does no I/O, owns no thread and
//! reads no clock: the caller moves time with [`Node::tick`], hands it
//! messages with [`Node::step`], calls [`Node::write`] and [`Node::read`] for
//! clients, and collects what to do with [`Node::ready`]: persist the log,
//! then send the messages, then report acknowledgements and read replies.
//!
//! ```
//! use replication::{Config, Message, Mode, Node};
//!
//! let mut leader = Node::new(Config::new(0, 2, Mode::Async), Vec::new());
//! leader.promote(1);
//! let mut follower = Node::new(Config::new(1, 2, Mode::Async), Vec::new());
//! follower.follow(0, 1, &leader.history());
//! // The follower says where it is (LSN 0): the leader now knows it.
//! let hello = follower.ready().messages;
//! assert_eq!(hello, vec![(0, Message::Ack { epoch: 1, lsn: 0 })]);
//! leader.step(1, hello[0].1.clone());
//!
//! assert_eq!(leader.write(7, 70), Ok(1)); // key 7 = 70 at LSN 1
//! assert_eq!(leader.ready().acked, vec![1]); // async: acknowledged at once
//! leader.tick(); // ships LSN 1 to the follower
//! for (to, msg) in leader.ready().messages {
//!     follower.step(0, msg);
//! }
//! assert_eq!(follower.last_lsn(), 1);
//! ```
//!
//! Read README.md first. The types above [`choose_leader`] are given
//! complete; the private fields and helpers of [`Node`] are a suggestion you
//! may change; the public API is fixed. Suggested order, stage by stage:
//! shipping (`new`, the accessors, `promote`, `write`, `tick`, `step`,
//! `ready`), failover (`choose_leader`, `history`, `follow`), semi-sync (the
//! visible LSN), reads (`read`, [`Session`]).

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports)]

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// A node's address: `0..nodes` (the same as `kit::sim::NodeId`).
pub type NodeId = usize;
/// A log sequence number: the position of an entry in the log, from 1.
/// LSN 0 means "before the first entry".
pub type Lsn = u64;
/// A leadership generation: each failover promotes a leader of a higher
/// epoch. Epoch 0 means "no leader yet".
pub type Epoch = u64;
/// A key of the replicated map.
pub type Key = u64;
/// A value of the replicated map.
pub type Value = u64;
/// The caller's number for a read, echoed in its [`ReadReply`].
pub type ReadId = u64;

/// One write in the log: `key` was set to `value`. Its `Debug` form is
/// short (`e1 lsn3 7=70`: epoch 1, LSN 3, key 7 set to 70), so that
/// failures and the network's flight recorder stay readable.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The epoch of the leader that created it.
    pub epoch: Epoch,
    /// Its position in the log.
    pub lsn: Lsn,
    /// The key written.
    pub key: Key,
    /// The value written.
    pub value: Value,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "e{} lsn{} {}={}",
            self.epoch, self.lsn, self.key, self.value
        )
    }
}

/// How far a node's log goes: the epoch of its last entry and its last LSN
/// (both 0 for an empty log). Positions compare by epoch first, then LSN:
/// the order [`choose_leader`] uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The epoch of the last entry.
    pub epoch: Epoch,
    /// The LSN of the last entry.
    pub lsn: Lsn,
}

/// Where an epoch begins in a log: its entries start at `first_lsn`. A
/// leader's [`Node::history`] is a list of these, the way a PostgreSQL
/// timeline history file lists where each timeline branched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EpochStart {
    /// The epoch.
    pub epoch: Epoch,
    /// The LSN of its first entry.
    pub first_lsn: Lsn,
}

/// When a leader acknowledges a write to its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As soon as the write is in the leader's own log (MySQL's default,
    /// PostgreSQL's `synchronous_standby_names` left empty).
    Async,
    /// Once at least one follower has acknowledged it (MySQL's semi-sync
    /// with `rpl_semi_sync_source_wait_for_replica_count = 1`).
    SemiSync,
}

/// A node's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// This node's id, in `0..nodes`.
    pub id: NodeId,
    /// How many nodes there are (ids `0..nodes`); as leader, every other
    /// node is a follower.
    pub nodes: usize,
    /// When writes are acknowledged.
    pub mode: Mode,
    /// A leader resends after this many ticks without progress (see
    /// [`Node::tick`]); also the interval of its probes.
    pub retransmit_ticks: u64,
    /// At most this many entries in one [`Message::Append`].
    pub max_batch: usize,
}

impl Config {
    /// Node `id` of `nodes` in `mode`, resending after 8 ticks, up to 64
    /// entries per Append.
    pub fn new(id: NodeId, nodes: usize, mode: Mode) -> Self {
        Self {
            id,
            nodes,
            mode,
            retransmit_ticks: 8,
            max_batch: 64,
        }
    }
}

/// The messages between a leader and its followers. The sender's id is not
/// in the message: [`Node::step`] receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Leader to follower: entries of the leader's log, consecutive LSNs in
    /// order. Empty: a probe, asking the follower where it is.
    Append {
        /// The leader's epoch.
        epoch: Epoch,
        /// The entries (at most `max_batch`).
        entries: Vec<Entry>,
    },
    /// Follower to leader: "my log holds everything up to `lsn`, durably".
    Ack {
        /// The epoch the follower follows.
        epoch: Epoch,
        /// The follower's last LSN.
        lsn: Lsn,
    },
}

/// What a node is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Takes writes and ships its log.
    Leader,
    /// Stores what this leader ships.
    Follower(NodeId),
    /// Neither: a node restored from disk waits to be told, by
    /// [`Node::promote`] or [`Node::follow`], what to do.
    Unassigned,
}

/// [`Node::write`] on a node that is not the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLeader {
    /// The leader this node follows, for the client to retry there.
    pub leader: Option<NodeId>,
}

impl fmt::Display for NotLeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.leader {
            Some(leader) => write!(f, "not the leader; try node {leader}"),
            None => write!(f, "not the leader; no leader known"),
        }
    }
}

impl std::error::Error for NotLeader {}

/// The answer to a [`Node::read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadReply {
    /// The caller's id for the read.
    pub id: ReadId,
    /// The key read.
    pub key: Key,
    /// Its value as of `lsn` (`None`: never written by then).
    pub value: Option<Value>,
    /// The node's visible LSN when it answered (see [`Node::visible_lsn`]);
    /// at least the read's `at_least`.
    pub lsn: Lsn,
}

/// What the node asks its caller to do, drained by [`Node::ready`].
///
/// In this order: save `persist` to stable storage (if `Some`), then send
/// `messages`, then report `acked` to the writers and `reads` to the
/// readers. Saving first is what makes an acknowledgement (to a client or
/// to the leader) survive a crash right after it left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// The whole log, if it changed since the last `ready`.
    pub persist: Option<Vec<Entry>>,
    /// Messages to send: `(to, message)`.
    pub messages: Vec<(NodeId, Message)>,
    /// LSNs of this leader's writes acknowledged since the last `ready`,
    /// ascending, each once.
    pub acked: Vec<Lsn>,
    /// Reads answered since the last `ready`, in the order answered.
    pub reads: Vec<ReadReply>,
}

/// Picks the next leader among `candidates` (each a node and its
/// [`Node::position`]): the highest position (epoch of the last entry
/// first, then LSN), and among equal positions the lowest id. `None` if
/// there are no candidates.
///
/// Comparing epochs first matters after an earlier failover: a node that
/// kept a long suffix of an old epoch is behind a node with fewer entries
/// of the newer epoch, whose writes may have been acknowledged.
pub fn choose_leader(candidates: &[(NodeId, Position)]) -> Option<NodeId> {
    // TODO
    todo!("the highest position; among equal positions the lowest id; None if empty")
}

/// A client's session: the LSN token it sends with every read.
///
/// The token is the highest LSN the client has seen, from the
/// acknowledgements of its writes and from the replies to its reads. A read
/// sent with it never sees an older state than one the client already saw
/// or wrote: read-your-writes and monotonic reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Session {
    token: Lsn,
}

impl Session {
    /// A new session: token 0.
    pub fn new() -> Self {
        // TODO
        todo!("token 0")
    }

    /// The token to send with the next read.
    pub fn token(&self) -> Lsn {
        // TODO
        todo!("the token")
    }

    /// One of the client's writes was acknowledged at `lsn`: the token
    /// becomes at least `lsn` (it never goes down).
    pub fn wrote(&mut self, lsn: Lsn) {
        // TODO
        todo!("raise the token to at least lsn")
    }

    /// A read was answered: the token becomes at least `reply.lsn` (it
    /// never goes down).
    pub fn read(&mut self, reply: &ReadReply) {
        // TODO
        todo!("raise the token to at least reply.lsn")
    }
}

/// What a leader knows about one follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    /// Not heard from in this epoch: probed every `retransmit_ticks`.
    Unknown { last_probe: Option<u64> },
    /// Heard from.
    Known {
        /// The highest LSN it acknowledged.
        acked: Lsn,
        /// The highest LSN shipped to it.
        sent: Lsn,
        /// When its progress last changed (the retransmit timer).
        since: u64,
    },
}

/// A read waiting for the node to catch up.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    id: ReadId,
    key: Key,
    at_least: Lsn,
}

/// One replica: leader, follower or unassigned.
///
/// Use `BTreeMap`s, not `HashMap`s: iteration order decides message order,
/// and a run must replay exactly from its seed.
#[derive(Debug)]
pub struct Node {
    config: Config,
    now: u64,
    epoch: Epoch,
    role: Role,
    log: Vec<Entry>,
    /// Every key's versions, `(lsn, value)` in LSN order, for reads as of
    /// the visible LSN.
    versions: BTreeMap<Key, Vec<(Lsn, Value)>>,
    visible: Lsn,
    /// The last LSN when this node was promoted.
    promoted_at: Lsn,
    /// Leader only: every other node.
    peers: BTreeMap<NodeId, Peer>,
    /// Leader only: LSNs of its own writes not yet acknowledged.
    unacked: VecDeque<Lsn>,
    waiting: Vec<Waiting>,
    dirty: bool,
    outbox: Vec<(NodeId, Message)>,
    acked: Vec<Lsn>,
    replies: Vec<ReadReply>,
}

impl Node {
    /// A node whose log is `log` (empty for a fresh node, or what it saved
    /// before a crash): [`Role::Unassigned`], epoch 0, visible LSN = its
    /// last LSN. It ignores every message until [`Node::promote`] or
    /// [`Node::follow`]. The restored log is already on disk: nothing is to
    /// be persisted until the log changes.
    ///
    /// # Panics
    /// With `"node id {id} is not in 0..{nodes}"`, `"retransmit_ticks must be
    /// positive"` or `"max_batch must be positive"`.
    pub fn new(config: Config, log: Vec<Entry>) -> Self {
        // TODO
        todo!("check the config, restore the log (nothing to persist yet): Unassigned, epoch 0")
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        // TODO
        todo!("this node's id")
    }

    /// The epoch it leads or follows (0 until promoted or told to follow).
    pub fn epoch(&self) -> Epoch {
        // TODO
        todo!("the epoch it leads or follows")
    }

    /// What it is doing.
    pub fn role(&self) -> Role {
        // TODO
        todo!("its role")
    }

    /// Its log; `log()[i]` has LSN `i + 1`.
    pub fn log(&self) -> &[Entry] {
        // TODO
        todo!("the log")
    }

    /// The LSN of its last entry (0 if the log is empty).
    pub fn last_lsn(&self) -> Lsn {
        // TODO
        todo!("the LSN of the last entry, 0 if none")
    }

    /// The epoch and LSN of its last entry.
    pub fn position(&self) -> Position {
        // TODO
        todo!("epoch and LSN of the last entry")
    }

    /// How far reads on this node see: its last LSN, except on a
    /// [`Mode::SemiSync`] leader, where it is the highest LSN a follower has
    /// acknowledged in this epoch, but at least the node's last LSN when it
    /// was promoted. A semi-sync leader thus never shows a reader a write
    /// that only it holds (MySQL's `AFTER_SYNC`).
    pub fn visible_lsn(&self) -> Lsn {
        // TODO
        todo!("how far reads see")
    }

    /// The epochs of its log, each with the LSN of its first entry, in
    /// order; a leader with no entry of its own epoch yet lists its epoch
    /// last, starting at `last_lsn() + 1`.
    pub fn history(&self) -> Vec<EpochStart> {
        // TODO
        todo!(
            "each epoch of the log with its first LSN; a leader adds its own epoch if it has no entry yet"
        )
    }

    /// Makes this node the leader of `epoch` (the coordinator gives a new
    /// epoch to every failover). Its log stays as it is; its next write gets
    /// LSN `last_lsn() + 1`. It knows nothing of its followers yet: each
    /// gets an empty [`Message::Append`] (a probe) on the first tick, and
    /// again every `retransmit_ticks` ticks, until it sends an
    /// [`Message::Ack`] in this epoch.
    pub fn promote(&mut self, epoch: Epoch) {
        // TODO
        todo!(
            "become leader of epoch: every other node unknown (probed on the next tick); visible = last LSN"
        )
    }

    /// Makes this node a follower of `leader` in `epoch`, whose
    /// [`Node::history`] is `history`.
    ///
    /// First it cuts its log back to the part the leader shares: the
    /// history says which epoch each LSN belongs to in the leader's log (the
    /// epoch of the last [`EpochStart`] whose `first_lsn` is at most that
    /// LSN), and the node removes its first entry whose epoch differs from
    /// that, and everything after it. (Entries with the same LSN and epoch
    /// are the same write: an epoch has one leader, which only appends.)
    /// Then it sends the leader an [`Message::Ack`] with its last LSN, so
    /// that shipping starts there. Writes it took as a leader and had not
    /// acknowledged are never acknowledged.
    pub fn follow(&mut self, leader: NodeId, epoch: Epoch, history: &[EpochStart]) {
        // TODO
        todo!(
            "cut the log at the first LSN whose epoch differs from the history, then say hello with the last LSN"
        )
    }

    /// A client write: `key` becomes `value`.
    ///
    /// On the leader it appends `Entry { epoch, lsn: last_lsn() + 1, .. }`
    /// to the log (to be persisted) and returns that LSN. It sends nothing
    /// itself: the next [`Node::tick`] ships it. The write is acknowledged
    /// (its LSN comes out in [`Ready::acked`]) once the visible LSN reaches
    /// it: at once in [`Mode::Async`], after a follower's Ack in
    /// [`Mode::SemiSync`]. A semi-sync leader with no follower answering
    /// keeps waiting (MySQL would fall back to async after
    /// `rpl_semi_sync_source_timeout`; this lesson never does).
    ///
    /// # Errors
    /// [`NotLeader`] on any other node, naming the leader it follows.
    pub fn write(&mut self, key: Key, value: Value) -> Result<Lsn, NotLeader> {
        // TODO
        todo!("leader: append at last_lsn() + 1, acknowledge once visible; others: NotLeader")
    }

    /// A client read of `key` that must not see a state older than
    /// `at_least` (the client's [`Session::token`]). Works on any node.
    ///
    /// If the visible LSN is at least `at_least`, the read is answered at
    /// once: a [`ReadReply`] with the key's value as of the visible LSN and
    /// `lsn` = the visible LSN. Otherwise the node *waits*: it keeps the read
    /// and answers it, the same way, as soon as its visible LSN reaches
    /// `at_least`; reads that become answerable at the same moment are
    /// answered in the order they arrived. (The alternative, redirecting the
    /// client to the leader, costs a round trip and loads the leader; this
    /// node never redirects.)
    pub fn read(&mut self, id: ReadId, key: Key, at_least: Lsn) {
        // TODO
        todo!("answer now if visible_lsn() >= at_least, else keep it waiting")
    }

    /// One unit of time. A leader, for each follower in id order, sends at
    /// most one [`Message::Append`]:
    ///
    /// - a follower not heard from in this epoch: a probe (empty Append) on
    ///   the first tick after promotion, then every `retransmit_ticks`
    ///   ticks, and nothing else;
    /// - a follower whose Acks have not advanced for `retransmit_ticks`
    ///   ticks while it has unacknowledged entries: the leader forgets what
    ///   it shipped beyond the follower's last Ack and ships again from
    ///   there (the retransmit);
    /// - then, if the leader has entries beyond what it shipped to the
    ///   follower, the next up to `max_batch` of them, in one Append.
    ///
    /// The retransmit timer starts when entries are shipped to a follower
    /// that had acknowledged everything shipped to it, and restarts when its
    /// Ack advances and at each retransmit. A follower that has acknowledged
    /// everything, with nothing new to ship, gets nothing: no heartbeats.
    /// Followers and unassigned nodes do nothing on a tick.
    pub fn tick(&mut self) {
        // TODO
        todo!(
            "leader: per follower, a probe, or a retransmit and/or the next batch: at most one Append"
        )
    }

    /// Handles `msg` from node `from`.
    ///
    /// A follower takes [`Message::Append`]s of its own epoch only, and
    /// ignores every other message (a deposed leader's Appends among them:
    /// that is what fences it). For each Append it stores the entries
    /// beyond its last LSN if they continue its log without a gap (the first
    /// entry's LSN is at most `last_lsn() + 1`), and stores nothing if there
    /// would be a gap; either way it answers with one [`Message::Ack`] of its
    /// epoch and its last LSN. Stored entries become visible at once.
    ///
    /// A leader takes [`Message::Ack`]s of its own epoch only. The first one
    /// from a follower tells it where that follower is: shipping resumes
    /// after that LSN. A later one raises what the follower acknowledged
    /// (an older, reordered Ack lowers nothing). An Ack that repeats exactly
    /// what the follower had acknowledged, while the leader has shipped it
    /// more, says the follower stored nothing new (it found a gap, or it
    /// restarted): the leader forgets what it shipped beyond it and ships
    /// from there on its next tick, without waiting for the retransmit
    /// timer. In semi-sync mode Acks are what make writes visible and
    /// acknowledged.
    ///
    /// An unassigned node ignores everything.
    pub fn step(&mut self, from: NodeId, msg: Message) {
        // TODO
        todo!(
            "follower: store Appends of its epoch without gaps, Ack each; leader: take Acks of its epoch"
        )
    }

    /// Drains what the caller must do, in the order [`Ready`] says.
    pub fn ready(&mut self) -> Ready {
        // TODO
        todo!("drain persist, messages, acked and reads")
    }

    /// Appends `entry` (the next LSN) to the log and its version to the map.
    fn append(&mut self, entry: Entry) {
        // TODO
        todo!("push the entry and its version; mark the log for persisting")
    }

    /// Keeps the first `keep` entries.
    fn truncate(&mut self, keep: Lsn) {
        // TODO
        todo!("keep the first `keep` entries and their versions")
    }

    /// Raises the visible LSN to `lsn` (capped at the log), acknowledges the
    /// writes it covers and answers the reads it unblocks.
    fn advance_visible(&mut self, lsn: Lsn) {
        // TODO
        todo!("raise visible, acknowledge covered writes, answer unblocked reads")
    }

    /// Answers every waiting read the visible LSN has reached, in order.
    fn serve_waiting(&mut self) {
        // TODO
        todo!("answer every waiting read whose at_least the visible LSN has reached")
    }
}
