//! Active-passive failover: a heartbeat failure detector, a leader lease,
//! fencing tokens, promotion, and the rejoin of a deposed primary.
//!
//! Two database servers hold a copy of one key-value store each. One is the
//! *primary*: it holds a lease from a lock service (etcd, ZooKeeper, Chubby),
//! takes the writes, and streams its log to the other, the *standby*, which
//! acknowledges what it stored. A write is acknowledged to its client once the
//! standby has it (synchronous replication), or at once while the primary has
//! no standby attached. When the primary goes silent, the standby's failure
//! detector suspects it; the standby asks the lock service for the lease,
//! which it gets only once the old lease has expired, with a *fencing token*
//! larger than any before. Every store rejects writes that carry a token
//! older than the newest it has seen, so a primary that was paused past its
//! lease and wakes up believing it still leads cannot damage anything. The
//! deposed primary then rejoins: it rewinds to the last entry it shares with
//! the new primary and catches up from its log, or takes a full copy when the
//! log it needs is gone.
//!
//! The parts, in the order of the stages:
//!
//! - [`Detector`]: an adaptive heartbeat failure detector (the mean of recent
//!   heartbeat gaps plus a margin of standard deviations, a simplified phi
//!   accrual detector).
//! - [`Store`]: the fenced log with its snapshot, and [`LockService`]: leases
//!   with fencing tokens.
//! - [`Server`]: one server as a deterministic state machine on a simulated
//!   network: lease, heartbeats, promotion, synchronous commit.
//! - [`shared_prefix`], [`plan_rejoin`]: rewinding and catching up, or a full
//!   copy.
//!
//! Nothing here does I/O or reads a clock: the caller passes the current tick
//! (`now`) to every call and moves messages between nodes, as the tests'
//! harness does on `kit::sim`.
//!
//! ```
//! use failover::{Entry, LockService, Store, StoreError};
//!
//! // The lock service hands out leases with ever larger fencing tokens.
//! let mut lock = LockService::new(30);
//! let old = lock.acquire(1, 0).unwrap();
//! assert!(lock.acquire(2, 10).is_err(), "node 1's lease is live until tick 30");
//! let new = lock.acquire(2, 30).unwrap();
//! assert!(new.token > old.token);
//!
//! // The storage remembers the newest token and refuses older ones.
//! let mut store = Store::new();
//! let write = |token, lsn| Entry { token, lsn, key: 7, value: lsn * 10 };
//! store.append(new.token, &[write(new.token, 1)]).unwrap();
//! assert_eq!(
//!     store.append(old.token, &[write(old.token, 2)]),
//!     Err(StoreError::Stale { token: old.token, newest: new.token })
//! );
//! assert_eq!(store.last_lsn(), 1);
//! ```
//!
//! Read README.md first. The types are given complete (their `Display`
//! and `Debug` impls, [`DetectorConfig::new`] and [`Config::new`] too); the
//! private fields and helpers are a suggestion you may change; the public
//! API is fixed. Suggested order, stage by stage: [`Detector`]; [`Store`]
//! (`new` to `append`, `to_bytes`) and [`LockService`]; [`Server`];
//! [`shared_prefix`], [`plan_rejoin`] and the rest of [`Store`]
//! (`truncate_after`, `compact`, `entries_after`, `snapshot`,
//! `from_snapshot`).

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports)]

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// A node's address (the same as `kit::sim::NodeId`).
pub type NodeId = usize;
/// A fencing token: the lock service numbers its leases 1, 2, 3, ...; 0
/// means "none".
pub type Token = u64;
/// A log sequence number: the position of an entry in the log, from 1. LSN
/// 0 means "before the first entry".
pub type Lsn = u64;
/// A key of the store.
pub type Key = u64;
/// A value of the store.
pub type Value = u64;

// ------------------------------------------------------------------------
// The failure detector.
// ------------------------------------------------------------------------

/// How a [`Detector`] turns heartbeat gaps into a timeout.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    /// How many of the most recent gaps between heartbeats it remembers.
    pub window: usize,
    /// Until it has this many gaps, the timeout is `initial_timeout`.
    pub min_samples: usize,
    /// The margin, in standard deviations of the gaps, above their mean.
    pub deviations: f64,
    /// The standard deviation used is at least this (in ticks), so that a
    /// perfectly steady link still leaves a margin.
    pub min_std_dev: f64,
    /// The timeout before `min_samples` gaps are known, in ticks.
    pub initial_timeout: u64,
}

impl DetectorConfig {
    /// For heartbeats every `interval` ticks: a window of 32 gaps, at least 8
    /// of them before adapting, 4 standard deviations of margin, at least
    /// 0.5 ticks of standard deviation, and an initial timeout of
    /// `3 * interval`.
    pub fn new(interval: u64) -> Self {
        Self {
            window: 32,
            min_samples: 8,
            deviations: 4.0,
            min_std_dev: 0.5,
            initial_timeout: 3 * interval,
        }
    }
}

/// A heartbeat failure detector that adapts its timeout to the link.
///
/// It remembers when the last heartbeat arrived and the gaps between the
/// last `window` heartbeats. Its timeout is
/// `ceil(mean + deviations * max(std_dev, min_std_dev))` over those gaps
/// (the population standard deviation, dividing by their count), or
/// `initial_timeout` while fewer than `min_samples` gaps are known. It
/// suspects the sender once more than `timeout()` ticks have passed since
/// the last heartbeat.
///
/// A timeout equal to the heartbeat interval would suspect on every late
/// heartbeat; a fixed large one detects a crash slowly on a steady link.
/// This one is tight where the gaps are regular and loose where they jitter.
/// With link delays of at most one interval, a crash is suspected within
/// `timeout() + interval` ticks.
#[derive(Debug, Clone)]
pub struct Detector {
    config: DetectorConfig,
    last: u64,
    gaps: VecDeque<u64>,
}

impl Detector {
    /// A detector that counts `now` as its last heartbeat and knows no gaps.
    ///
    /// # Panics
    /// With `"window must be positive"`, or `"min_samples must be in
    /// 1..=window"`.
    pub fn new(config: DetectorConfig, now: u64) -> Self {
        // TODO
        todo!("check the config (panics as documented); last heartbeat = now, no gaps")
    }

    /// A heartbeat arrived at `now`: the gap since the last one is
    /// remembered (the oldest forgotten beyond `window`). A heartbeat at or
    /// before the last one's tick adds nothing.
    pub fn heartbeat(&mut self, now: u64) {
        // TODO
        todo!(
            "ignore now <= last; else remember now - last (at most window gaps) and set last = now"
        )
    }

    /// When the last heartbeat arrived (or the detector was created).
    pub fn last_heard(&self) -> u64 {
        // TODO
        todo!("when the last heartbeat arrived")
    }

    /// How many gaps it remembers.
    pub fn samples(&self) -> usize {
        // TODO
        todo!("how many gaps are remembered")
    }

    /// The current timeout in ticks (see [`Detector`]).
    pub fn timeout(&self) -> u64 {
        // TODO
        todo!(
            "initial_timeout below min_samples; else ceil(mean + deviations * max(std_dev, min_std_dev))"
        )
    }

    /// Whether more than `timeout()` ticks have passed since the last
    /// heartbeat.
    pub fn suspects(&self, now: u64) -> bool {
        // TODO
        todo!("more than timeout() ticks since the last heartbeat")
    }
}

// ------------------------------------------------------------------------
// The fenced store.
// ------------------------------------------------------------------------

/// One write in the log: `key` was set to `value` by the primary holding
/// `token`. Its `Debug` form is short (`t2 lsn5 7=70`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The fencing token of the primary that created it.
    pub token: Token,
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
            "t{} lsn{} {}={}",
            self.token, self.lsn, self.key, self.value
        )
    }
}

/// Where the entries of one token begin in a log: a store's history is a
/// list of these in LSN order, one per run of entries with the same token,
/// as a PostgreSQL timeline history file lists where each timeline began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EpochStart {
    /// The token of the entries.
    pub token: Token,
    /// The LSN of the first of them.
    pub first_lsn: Lsn,
}

/// Why a [`Store`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// The write carries a token older than the newest this store has
    /// seen: it comes from a deposed primary. Nothing changed.
    Stale {
        /// The token the write carried.
        token: Token,
        /// The newest token the store has seen.
        newest: Token,
    },
    /// The entries do not continue the log: the first new one has LSN
    /// `got`, but the log ends at `last`. Nothing was stored.
    Gap {
        /// The store's last LSN.
        last: Lsn,
        /// The LSN of the first entry that is not already in the store.
        got: Lsn,
    },
    /// The entries after this LSN were folded into the snapshot (see
    /// [`Store::compact`]): they cannot be cut off or read any more.
    Compacted {
        /// The LSN of the snapshot.
        base: Lsn,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Stale { token, newest } => {
                write!(f, "stale token {token}: the newest seen is {newest}")
            }
            StoreError::Gap { last, got } => {
                write!(
                    f,
                    "gap: the log ends at LSN {last}, the entries start at {got}"
                )
            }
            StoreError::Compacted { base } => {
                write!(
                    f,
                    "the log up to LSN {base} was compacted into the snapshot"
                )
            }
        }
    }
}

impl std::error::Error for StoreError {}

/// A whole store as of one LSN: what a full copy (`pg_basebackup`) ships.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The last LSN it includes.
    pub lsn: Lsn,
    /// The token of the entry at `lsn` (0 if `lsn` is 0).
    pub token: Token,
    /// Every key's value as of `lsn`.
    pub data: BTreeMap<Key, Value>,
    /// The history of the log it was taken from (see [`Store::history`]).
    pub history: Vec<EpochStart>,
}

/// The state folded out of the log by compaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Base {
    lsn: Lsn,
    token: Token,
    data: BTreeMap<Key, Value>,
}

/// A server's storage: a log of entries after a snapshot, and the newest
/// fencing token it has seen.
///
/// The rule that makes fencing work is in [`Store::append`]: a write whose
/// token is older than the newest the store has seen is rejected, however
/// sure its sender is that it still leads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Store {
    newest: Token,
    base: Base,
    entries: Vec<Entry>,
    history: Vec<EpochStart>,
}

impl Store {
    /// An empty store: no entries, LSN 0, newest token 0.
    pub fn new() -> Self {
        // TODO
        todo!("an empty store")
    }

    /// A store holding `snapshot` and nothing after it: its base LSN and last
    /// LSN are `snapshot.lsn`, its history the snapshot's, and its newest
    /// token `snapshot.token`.
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        // TODO
        todo!("base = the snapshot, no entries, its history, newest = snapshot.token")
    }

    /// The newest fencing token this store has seen.
    pub fn newest_token(&self) -> Token {
        // TODO
        todo!("the newest token seen")
    }

    /// The LSN of its last entry (the snapshot's LSN if no entry follows
    /// it; 0 for an empty store).
    pub fn last_lsn(&self) -> Lsn {
        // TODO
        todo!("the last entry's LSN, else the snapshot's")
    }

    /// The token of its last entry (the snapshot's token if no entry
    /// follows it; 0 for an empty store).
    pub fn last_token(&self) -> Token {
        // TODO
        todo!("the last entry's token, else the snapshot's")
    }

    /// The LSN of its snapshot: the entries up to it were folded in by
    /// [`Store::compact`] (0 if nothing was).
    pub fn base_lsn(&self) -> Lsn {
        // TODO
        todo!("the snapshot's LSN")
    }

    /// The entries after the snapshot, in LSN order.
    pub fn entries(&self) -> &[Entry] {
        // TODO
        todo!("the entries after the snapshot")
    }

    /// Where each token's entries begin, in LSN order, over the whole log
    /// including the part folded into the snapshot; one [`EpochStart`] per
    /// run of entries with the same token.
    pub fn history(&self) -> &[EpochStart] {
        // TODO
        todo!("where each run of one token begins")
    }

    /// The value of `key` as of the last LSN.
    pub fn get(&self, key: Key) -> Option<Value> {
        // TODO
        todo!("the latest value of key: the entries from the end, then the snapshot")
    }

    /// Raises the newest token to `token` (a new primary's first act, and a
    /// standby's when it learns of a new primary).
    ///
    /// # Errors
    /// [`StoreError::Stale`] if `token` is older than the newest seen;
    /// nothing changes.
    pub fn fence(&mut self, token: Token) -> Result<(), StoreError> {
        // TODO
        todo!("Stale if token < newest, else newest = token")
    }

    /// A write by the primary holding `token`: stores `entries` (consecutive
    /// LSNs, in order) and returns how many were new.
    ///
    /// If `token` is older than the newest token seen, nothing changes and
    /// the write is rejected. Otherwise the newest token becomes `token`;
    /// entries at or below the last LSN are skipped (the store has them),
    /// and the rest must continue the log at `last_lsn() + 1` with
    /// consecutive LSNs.
    ///
    /// # Errors
    /// [`StoreError::Stale`] for an older token (nothing changes);
    /// [`StoreError::Gap`] if the new entries do not continue the log (the
    /// newest token is still raised; no entry is stored).
    pub fn append(&mut self, token: Token, entries: &[Entry]) -> Result<usize, StoreError> {
        // TODO
        todo!(
            "Stale for an older token; else raise newest, skip what is there, refuse a gap, append and extend the history"
        )
    }

    /// Removes every entry after `lsn` (a rewind, as `pg_rewind` does to a
    /// deposed primary), and the history of what was removed. Nothing
    /// happens if `lsn` is at or beyond the last LSN.
    ///
    /// # Errors
    /// [`StoreError::Compacted`] if `lsn` is before the snapshot's LSN;
    /// nothing changes.
    pub fn truncate_after(&mut self, lsn: Lsn) -> Result<(), StoreError> {
        // TODO
        todo!("Compacted below the snapshot; else drop the entries and history after lsn")
    }

    /// Folds the oldest entries into the snapshot so that at most `keep`
    /// entries remain after it (a checkpoint that recycles old WAL). The
    /// history is kept whole.
    pub fn compact(&mut self, keep: usize) {
        // TODO
        todo!("fold the oldest entries into the snapshot until at most keep remain")
    }

    /// The entries after `lsn` (empty if `lsn` is at or beyond the last
    /// LSN), or `None` if some of them were folded into the snapshot
    /// (`lsn` is before the snapshot's LSN).
    pub fn entries_after(&self, lsn: Lsn) -> Option<&[Entry]> {
        // TODO
        todo!("None below the snapshot; else the entries with LSN > lsn")
    }

    /// The whole store as of its last LSN, for a full copy.
    pub fn snapshot(&self) -> Snapshot {
        // TODO
        todo!("the whole state as of the last LSN, with the history")
    }

    /// The store's contents as bytes, so that two copies can be compared
    /// byte for byte: the last LSN, then the last token, then every key and
    /// its value in ascending key order, each as 8 little-endian bytes. The
    /// log's layout (what was compacted) and the newest token are not part
    /// of it.
    pub fn to_bytes(&self) -> Vec<u8> {
        // TODO
        todo!("last LSN, last token, then (key, value) in key order, 8 bytes little-endian each")
    }

    /// Every key's value as of the last LSN.
    fn data(&self) -> BTreeMap<Key, Value> {
        // TODO
        todo!("every key's value as of the last LSN")
    }
}

// ------------------------------------------------------------------------
// The lock service.
// ------------------------------------------------------------------------

/// A lease granted by the [`LockService`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    /// The node holding it.
    pub holder: NodeId,
    /// Its fencing token.
    pub token: Token,
    /// The first tick at which it is no longer valid.
    pub expires_at: u64,
}

/// The lock service: one lease at a time, each with a fencing token larger
/// than every token before it (ZooKeeper's zxid, etcd's revision, Chubby's
/// sequencer).
///
/// A lease is *live* at `now` while `now < expires_at`. Time comes from the
/// caller; the service itself never fails (it stands for a replicated
/// etcd or ZooKeeper ensemble).
#[derive(Debug, Clone)]
pub struct LockService {
    lease_ticks: u64,
    lease: Option<Lease>,
    last_token: Token,
}

impl LockService {
    /// A service whose leases last `lease_ticks` ticks from their grant or
    /// last renewal. No token has been issued yet.
    ///
    /// # Panics
    /// With `"lease_ticks must be positive"`.
    pub fn new(lease_ticks: u64) -> Self {
        // TODO
        todo!("check lease_ticks; no lease, no token issued")
    }

    /// How long a lease lasts.
    pub fn lease_ticks(&self) -> u64 {
        // TODO
        todo!("how long a lease lasts")
    }

    /// The live lease at `now`, if any.
    pub fn lease(&self, now: u64) -> Option<Lease> {
        // TODO
        todo!("the lease if now < expires_at")
    }

    /// The last token issued (0 if none).
    pub fn last_token(&self) -> Token {
        // TODO
        todo!("the last token issued")
    }

    /// `node` asks for the lease at `now`. If no lease is live, or `node`
    /// itself holds the live one (a retry after a lost reply), it gets a new
    /// lease with the next token (the last token + 1), valid for
    /// `lease_ticks` from `now`.
    ///
    /// # Errors
    /// The live lease of another node: it is refused, whatever it thinks of
    /// that node's health.
    pub fn acquire(&mut self, node: NodeId, now: u64) -> Result<Lease, Lease> {
        // TODO
        todo!("refuse if another node holds a live lease; else a new lease with the next token")
    }

    /// `node` renews its lease with `token` at `now`: if that is the live
    /// lease, it now expires `lease_ticks` from `now` (same token).
    ///
    /// # Errors
    /// The live lease, if any, when `node` with `token` does not hold it
    /// (an expired lease cannot be renewed: acquire a new one).
    pub fn renew(&mut self, node: NodeId, token: Token, now: u64) -> Result<Lease, Option<Lease>> {
        // TODO
        todo!("extend the live lease if node and token match; else Err(the live lease)")
    }

    /// Answers a message from `from` at `now`: [`Message::Acquire`] and
    /// [`Message::Renew`] get [`Message::Granted`] (the lease's token) or
    /// [`Message::Refused`] (the live lease, if any), echoing the request's
    /// `sent_at`. Every other message gets no answer.
    pub fn step(&mut self, from: NodeId, msg: Message, now: u64) -> Option<Message> {
        // TODO
        todo!("Acquire / Renew -> Granted or Refused, echoing sent_at; anything else -> None")
    }
}

// ------------------------------------------------------------------------
// Rejoin planning.
// ------------------------------------------------------------------------

/// The last LSN two logs share, from their histories and last LSNs: the
/// largest `n <= min(a_last, b_last)` such that at every LSN up to `n` both
/// histories give the same token.
///
/// That is enough to compare logs: a token has one writer, which writes
/// each LSN once, so two entries with the same LSN and the same token are
/// the same entry.
pub fn shared_prefix(a: &[EpochStart], a_last: Lsn, b: &[EpochStart], b_last: Lsn) -> Lsn {
    // TODO
    todo!("the last LSN up to which both histories give the same token (check each epoch boundary)")
}

/// What a primary does for a node that rejoins it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejoinPlan {
    /// The node cuts its log after `after` and streams the primary's log
    /// from there (`pg_rewind`, then streaming replication).
    CatchUp {
        /// The last LSN both logs share.
        after: Lsn,
    },
    /// The node replaces its store with a full copy (`pg_basebackup`).
    FullCopy,
}

/// The primary's decision for a node whose store has `history`, last LSN
/// `last` and snapshot LSN `base`: catch up after their [`shared_prefix`]
/// if the primary still has its log from there (the shared prefix is at or
/// after `primary.base_lsn()`) and the node can cut its own log there (at
/// or after `base`); otherwise a full copy.
pub fn plan_rejoin(primary: &Store, history: &[EpochStart], last: Lsn, base: Lsn) -> RejoinPlan {
    // TODO
    todo!("CatchUp after the shared prefix if both sides can cut there, else FullCopy")
}

// ------------------------------------------------------------------------
// The server.
// ------------------------------------------------------------------------

/// A server's configuration. Times are in ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// This server's id.
    pub id: NodeId,
    /// The other server: the standby when this one is primary.
    pub peer: NodeId,
    /// The lock service's node.
    pub lock: NodeId,
    /// A primary sends its peer an [`Message::Append`] every this many
    /// ticks: the heartbeat, carrying whatever the peer has not acknowledged.
    pub heartbeat_interval: u64,
    /// How long a lease lasts (the lock service's `lease_ticks`).
    pub lease_ticks: u64,
    /// A primary renews its lease every this many ticks.
    pub renew_interval: u64,
    /// A standby asks for the lease, or repeats its rejoin request, at most
    /// once every this many ticks.
    pub retry_ticks: u64,
    /// A server compacts its store to keep at most this many entries after
    /// the snapshot (a primary after each write and each Ack, a standby after
    /// each Append); a primary keeps, besides, every entry its attached
    /// standby has not acknowledged (a replication slot).
    pub keep_log: usize,
    /// At most this many entries in one Append.
    pub max_batch: usize,
    /// The standby's failure detector.
    pub detector: DetectorConfig,
}

impl Config {
    /// Server `id` whose peer is `peer`, with the lock service at `lock`:
    /// heartbeats every 3 ticks, leases of 30 ticks renewed every 10 (as
    /// Patroni's `ttl` 30 s and `loop_wait` 10 s), retries every 6 ticks,
    /// 256 entries kept, 64 per Append, and [`DetectorConfig::new`]`(3)`.
    pub fn new(id: NodeId, peer: NodeId, lock: NodeId) -> Self {
        Self {
            id,
            peer,
            lock,
            heartbeat_interval: 3,
            lease_ticks: 30,
            renew_interval: 10,
            retry_ticks: 6,
            keep_log: 256,
            max_batch: 64,
            detector: DetectorConfig::new(3),
        }
    }
}

/// The messages between the servers and the lock service. The sender is
/// not in the message: [`Server::step`] receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Server to lock service: "give me the lease", sent at tick `sent_at`.
    Acquire {
        /// When the request was sent.
        sent_at: u64,
    },
    /// Primary to lock service: "extend my lease with `token`".
    Renew {
        /// The lease's token.
        token: Token,
        /// When the request was sent.
        sent_at: u64,
    },
    /// Lock service to server: the lease with `token` is yours, counting
    /// from some tick at or after `sent_at` (the request's).
    Granted {
        /// The lease's token.
        token: Token,
        /// The `sent_at` of the request this answers.
        sent_at: u64,
    },
    /// Lock service to server: refused; `lease` is the live lease, if any.
    Refused {
        /// The live lease, if any.
        lease: Option<Lease>,
        /// The `sent_at` of the request this answers.
        sent_at: u64,
    },
    /// Primary to peer, every heartbeat interval: the entries after what the
    /// peer acknowledged (none for a peer that has not rejoined).
    Append {
        /// The primary's token.
        token: Token,
        /// Consecutive entries, at most `max_batch`.
        entries: Vec<Entry>,
    },
    /// Standby to primary: "my store holds everything up to `lsn`".
    Ack {
        /// The token of the primary it follows.
        token: Token,
        /// Its last LSN.
        lsn: Lsn,
    },
    /// Reply to a message whose token is older than the newest the receiver
    /// has seen.
    Stale {
        /// The newest token the receiver has seen.
        newest: Token,
    },
    /// A node starting to follow a primary: "this is my log".
    Rejoin {
        /// Its store's history.
        history: Vec<EpochStart>,
        /// Its last LSN.
        last: Lsn,
        /// Its snapshot's LSN.
        base: Lsn,
    },
    /// Primary to a rejoining node: cut your log after `after`; my Appends
    /// continue from there.
    CatchUp {
        /// The primary's token.
        token: Token,
        /// The last LSN both logs share.
        after: Lsn,
    },
    /// Primary to a rejoining node: replace your store with this.
    FullCopy {
        /// The primary's token.
        token: Token,
        /// The primary's whole store.
        snapshot: Snapshot,
    },
}

/// What a server is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It was granted the lease and has not stepped down.
    Primary,
    /// It follows a primary, or nobody yet.
    Standby,
}

/// [`Server::write`] on a server that does not hold a live lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPrimary {
    /// The primary this server follows, if any, for the client to retry.
    pub primary: Option<NodeId>,
}

impl fmt::Display for NotPrimary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.primary {
            Some(p) => write!(f, "not the primary; try node {p}"),
            None => write!(f, "not the primary; no primary known"),
        }
    }
}

impl std::error::Error for NotPrimary {}

/// What the server asks its caller to do, drained by [`Server::ready`]:
/// send `messages`, then tell the writers of `acked` their writes are
/// durable. (The store is durable at once: nothing to persist.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// Messages to send: `(to, message)`.
    pub messages: Vec<(NodeId, Message)>,
    /// LSNs of this primary's writes acknowledged since the last `ready`,
    /// ascending, each once.
    pub acked: Vec<Lsn>,
}

/// One database server of an active-passive pair.
///
/// **As a standby** it follows nobody (at start, and after stepping down)
/// or one primary with its token:
///
/// - It sends [`Message::Acquire`] to the lock service when it follows
///   nobody or its detector suspects its primary, at most once every
///   `retry_ticks`.
/// - An Append (or a refusal naming a live lease) with a token newer than
///   the one it follows makes it follow that primary: it fences its store
///   with the token, restarts its detector, and sends
///   [`Message::Rejoin`]; it repeats the Rejoin every `retry_ticks` until
///   the answer comes. Until then it stores nothing the primary ships.
/// - On [`Message::CatchUp`] it cuts its log after `after`; on
///   [`Message::FullCopy`] it replaces its store; either way it is then
///   *synced* and sends an Ack. Later answers to the same rejoin are
///   ignored.
/// - Each Append from its primary is a heartbeat for the detector; once
///   synced it stores the entries and answers `Ack { token, lsn: last }`.
/// - Any message with a token older than its store's newest is answered
///   with [`Message::Stale`] and changes nothing.
/// - It ignores a [`Message::Rejoin`]: only a primary answers one.
///
/// **Promotion**: [`Message::Granted`] with a token newer than its store's
/// newest, arriving while `now < sent_at + lease_ticks`, makes it primary:
/// it fences its store, holds the lease until `sent_at + lease_ticks` (the
/// lease counts from when the request was *sent*, never from when the
/// answer arrived), has no standby attached, and heartbeats at once.
///
/// **As primary** it holds the lease while `now < lease_until`:
///
/// - It renews every `renew_interval` ticks, counting from the `sent_at`
///   of the request that granted the lease; a `Granted` for its token
///   extends the lease to `sent_at + lease_ticks` of that renewal (never
///   shortening it).
/// - It heartbeats every `heartbeat_interval` ticks.
/// - It answers the peer's Rejoin with [`plan_rejoin`]; the peer is then
///   *attached*, acknowledged up to the shared prefix (or the full copy's
///   LSN).
/// - A write is acknowledged at once while no standby is attached, and
///   otherwise once the standby's Ack covers it.
/// - It steps down, to a standby following nobody, when its lease runs out
///   (`now >= lease_until`, noticed in [`Server::tick`]), when a refusal
///   answers a request it sent as this primary, on a `Stale` naming a newer
///   token, or on an Append with a newer token (whose sender it then
///   follows). Writes not yet acknowledged are then never acknowledged.
///
/// Use `BTreeMap`s and `VecDeque`s, not `HashMap`s: a run must replay
/// exactly from its seed.
#[derive(Debug)]
pub struct Server {
    config: Config,
    store: Store,
    role: Role,
    /// Primary: the token it holds.
    token: Token,
    lease_until: u64,
    /// The `sent_at` of the request that granted the lease.
    lease_start: u64,
    last_renew: u64,
    last_heartbeat: u64,
    /// Primary: the attached standby's acknowledged LSN.
    peer: Option<Lsn>,
    /// Primary: LSNs of writes waiting for the standby.
    pending: VecDeque<Lsn>,
    /// Standby: the primary it follows and its token.
    following: Option<(NodeId, Token)>,
    synced: bool,
    detector: Detector,
    last_acquire: Option<u64>,
    last_rejoin: u64,
    outbox: Vec<(NodeId, Message)>,
    acked: Vec<Lsn>,
}

impl Server {
    /// A server with `store` (empty, or what it had on disk), at tick
    /// `now`: a standby following nobody, its detector started at `now`.
    ///
    /// # Panics
    /// With `"heartbeat_interval must be positive"`, `"renew_interval must
    /// be positive and below lease_ticks"`, `"retry_ticks must be positive"`
    /// or `"max_batch must be positive"`.
    pub fn new(config: Config, store: Store, now: u64) -> Self {
        // TODO
        todo!(
            "check the config (panics as documented): a standby following nobody, detector started at now"
        )
    }

    /// This server's id.
    pub fn id(&self) -> NodeId {
        // TODO
        todo!("this server's id")
    }

    /// What it is doing.
    pub fn role(&self) -> Role {
        // TODO
        todo!("its role")
    }

    /// As primary, the token it holds; as a standby, the token of the
    /// primary it follows (0 if none).
    pub fn token(&self) -> Token {
        // TODO
        todo!("the token held as primary, or followed as standby (0 if none)")
    }

    /// The primary it follows, as a standby.
    pub fn following(&self) -> Option<NodeId> {
        // TODO
        todo!("the primary it follows")
    }

    /// Whether, as a standby, its rejoin was answered: its log is a prefix
    /// of its primary's.
    pub fn is_synced(&self) -> bool {
        // TODO
        todo!("a standby whose rejoin was answered")
    }

    /// Whether, as primary, a standby is attached (writes wait for it).
    pub fn has_standby(&self) -> bool {
        // TODO
        todo!("a primary with an attached standby")
    }

    /// Its store.
    pub fn store(&self) -> &Store {
        // TODO
        todo!("its store")
    }

    /// As primary, the first tick at which its lease is no longer valid by
    /// its own reckoning.
    pub fn lease_until(&self) -> Option<u64> {
        // TODO
        todo!("as primary, when its lease runs out")
    }

    /// Whether it is primary and its lease is valid at `now`.
    pub fn holds_lease(&self, now: u64) -> bool {
        // TODO
        todo!("primary and now < lease_until")
    }

    /// Time passes: a primary steps down if its lease ran out, else renews
    /// and heartbeats when due; a standby asks for the lease or repeats its
    /// rejoin when due (see [`Server`]).
    pub fn tick(&mut self, now: u64) {
        // TODO
        todo!(
            "primary: step down at lease_until, else renew / heartbeat when due; standby: acquire / rejoin when due"
        )
    }

    /// A message from `from` arrived at `now` (see [`Server`] for what each
    /// does).
    pub fn step(&mut self, now: u64, from: NodeId, msg: Message) {
        // TODO
        todo!("handle each message as the Server docs say")
    }

    /// A client's write of `key = value` at `now`: appended to the store
    /// with this primary's token at the next LSN, returned; acknowledged
    /// through [`Ready::acked`] (see [`Server`]).
    ///
    /// # Errors
    /// [`NotPrimary`] unless this server holds a valid lease at `now`.
    pub fn write(&mut self, now: u64, key: Key, value: Value) -> Result<Lsn, NotPrimary> {
        // TODO
        todo!(
            "refuse without a valid lease; append with this token; acknowledge now (alone) or after the Ack"
        )
    }

    /// Drains what to send and what was acknowledged.
    pub fn ready(&mut self) -> Ready {
        // TODO
        todo!("drain the outbox and the acknowledged LSNs")
    }

    fn promote(&mut self, token: Token, sent_at: u64, now: u64) {
        // TODO
        todo!("fence the store, lease until sent_at + lease_ticks, no standby, heartbeat now")
    }

    fn step_down(&mut self, now: u64) {
        // TODO
        todo!(
            "a standby following nobody: forget the standby and pending writes, restart the detector"
        )
    }

    fn follow(&mut self, primary: NodeId, token: Token, now: u64) {
        // TODO
        todo!("fence with the token, follow, unsynced, restart the detector, send Rejoin")
    }

    fn send_rejoin(&mut self, now: u64) {
        // TODO
        todo!("Rejoin with history, last and base to the primary it follows")
    }

    fn heartbeat(&mut self, now: u64) {
        // TODO
        todo!("Append: token, entries after what the standby acknowledged (none if not attached)")
    }

    fn ack(&mut self, to: NodeId, token: Token) {
        // TODO
        todo!("Ack with token and lsn = last to the primary")
    }

    fn stale(&mut self, to: NodeId) {
        // TODO
        todo!("Stale with the newest token to the sender")
    }

    fn commit(&mut self) {
        // TODO
        todo!("acknowledge the pending writes the standby has")
    }

    /// Compacts the primary's store, keeping what the standby still needs.
    fn compact(&mut self) {
        // TODO
        todo!("compact to keep_log, keeping what an attached standby has not acknowledged")
    }
}
