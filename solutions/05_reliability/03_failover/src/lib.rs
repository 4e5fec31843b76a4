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
//! Read README.md first.

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
        assert!(config.window > 0, "window must be positive");
        assert!(
            (1..=config.window).contains(&config.min_samples),
            "min_samples must be in 1..=window"
        );
        Self {
            gaps: VecDeque::with_capacity(config.window),
            config,
            last: now,
        }
    }

    /// A heartbeat arrived at `now`: the gap since the last one is
    /// remembered (the oldest forgotten beyond `window`). A heartbeat at or
    /// before the last one's tick adds nothing.
    pub fn heartbeat(&mut self, now: u64) {
        if now <= self.last {
            return;
        }
        if self.gaps.len() == self.config.window {
            self.gaps.pop_front();
        }
        self.gaps.push_back(now - self.last);
        self.last = now;
    }

    /// When the last heartbeat arrived (or the detector was created).
    pub fn last_heard(&self) -> u64 {
        self.last
    }

    /// How many gaps it remembers.
    pub fn samples(&self) -> usize {
        self.gaps.len()
    }

    /// The current timeout in ticks (see [`Detector`]).
    pub fn timeout(&self) -> u64 {
        if self.gaps.len() < self.config.min_samples {
            return self.config.initial_timeout;
        }
        let n = self.gaps.len() as f64;
        let mean = self.gaps.iter().sum::<u64>() as f64 / n;
        let variance = self
            .gaps
            .iter()
            .map(|&g| (g as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let margin = self.config.deviations * variance.sqrt().max(self.config.min_std_dev);
        (mean + margin).ceil() as u64
    }

    /// Whether more than `timeout()` ticks have passed since the last
    /// heartbeat.
    pub fn suspects(&self, now: u64) -> bool {
        now.saturating_sub(self.last) > self.timeout()
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
        Self::default()
    }

    /// A store holding `snapshot` and nothing after it: its base LSN and last
    /// LSN are `snapshot.lsn`, its history the snapshot's, and its newest
    /// token `snapshot.token`.
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        Self {
            newest: snapshot.token,
            base: Base {
                lsn: snapshot.lsn,
                token: snapshot.token,
                data: snapshot.data,
            },
            entries: Vec::new(),
            history: snapshot.history,
        }
    }

    /// The newest fencing token this store has seen.
    pub fn newest_token(&self) -> Token {
        self.newest
    }

    /// The LSN of its last entry (the snapshot's LSN if no entry follows
    /// it; 0 for an empty store).
    pub fn last_lsn(&self) -> Lsn {
        self.entries.last().map_or(self.base.lsn, |e| e.lsn)
    }

    /// The token of its last entry (the snapshot's token if no entry
    /// follows it; 0 for an empty store).
    pub fn last_token(&self) -> Token {
        self.entries.last().map_or(self.base.token, |e| e.token)
    }

    /// The LSN of its snapshot: the entries up to it were folded in by
    /// [`Store::compact`] (0 if nothing was).
    pub fn base_lsn(&self) -> Lsn {
        self.base.lsn
    }

    /// The entries after the snapshot, in LSN order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Where each token's entries begin, in LSN order, over the whole log
    /// including the part folded into the snapshot; one [`EpochStart`] per
    /// run of entries with the same token.
    pub fn history(&self) -> &[EpochStart] {
        &self.history
    }

    /// The value of `key` as of the last LSN.
    pub fn get(&self, key: Key) -> Option<Value> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| e.value)
            .or_else(|| self.base.data.get(&key).copied())
    }

    /// Raises the newest token to `token` (a new primary's first act, and a
    /// standby's when it learns of a new primary).
    ///
    /// # Errors
    /// [`StoreError::Stale`] if `token` is older than the newest seen;
    /// nothing changes.
    pub fn fence(&mut self, token: Token) -> Result<(), StoreError> {
        if token < self.newest {
            return Err(StoreError::Stale {
                token,
                newest: self.newest,
            });
        }
        self.newest = token;
        Ok(())
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
        self.fence(token)?;
        let last = self.last_lsn();
        let new: Vec<Entry> = entries.iter().copied().filter(|e| e.lsn > last).collect();
        for (i, e) in new.iter().enumerate() {
            if e.lsn != last + 1 + i as Lsn {
                return Err(StoreError::Gap {
                    last,
                    got: new[0].lsn,
                });
            }
        }
        for e in &new {
            if self.history.last().is_none_or(|h| h.token != e.token) {
                self.history.push(EpochStart {
                    token: e.token,
                    first_lsn: e.lsn,
                });
            }
            self.entries.push(*e);
        }
        Ok(new.len())
    }

    /// Removes every entry after `lsn` (a rewind, as `pg_rewind` does to a
    /// deposed primary), and the history of what was removed. Nothing
    /// happens if `lsn` is at or beyond the last LSN.
    ///
    /// # Errors
    /// [`StoreError::Compacted`] if `lsn` is before the snapshot's LSN;
    /// nothing changes.
    pub fn truncate_after(&mut self, lsn: Lsn) -> Result<(), StoreError> {
        if lsn < self.base.lsn {
            return Err(StoreError::Compacted {
                base: self.base.lsn,
            });
        }
        self.entries.retain(|e| e.lsn <= lsn);
        self.history.retain(|h| h.first_lsn <= lsn);
        Ok(())
    }

    /// Folds the oldest entries into the snapshot so that at most `keep`
    /// entries remain after it (a checkpoint that recycles old WAL). The
    /// history is kept whole.
    pub fn compact(&mut self, keep: usize) {
        if self.entries.len() <= keep {
            return;
        }
        let fold = self.entries.len() - keep;
        for e in self.entries.drain(..fold) {
            self.base.data.insert(e.key, e.value);
            self.base.lsn = e.lsn;
            self.base.token = e.token;
        }
    }

    /// The entries after `lsn` (empty if `lsn` is at or beyond the last
    /// LSN), or `None` if some of them were folded into the snapshot
    /// (`lsn` is before the snapshot's LSN).
    pub fn entries_after(&self, lsn: Lsn) -> Option<&[Entry]> {
        if lsn < self.base.lsn {
            return None;
        }
        let skip = ((lsn - self.base.lsn) as usize).min(self.entries.len());
        Some(&self.entries[skip..])
    }

    /// The whole store as of its last LSN, for a full copy.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            lsn: self.last_lsn(),
            token: self.last_token(),
            data: self.data(),
            history: self.history.clone(),
        }
    }

    /// The store's contents as bytes, so that two copies can be compared
    /// byte for byte: the last LSN, then the last token, then every key and
    /// its value in ascending key order, each as 8 little-endian bytes. The
    /// log's layout (what was compacted) and the newest token are not part
    /// of it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let data = self.data();
        let mut out = Vec::with_capacity(16 + 16 * data.len());
        out.extend_from_slice(&self.last_lsn().to_le_bytes());
        out.extend_from_slice(&self.last_token().to_le_bytes());
        for (k, v) in &data {
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Every key's value as of the last LSN.
    fn data(&self) -> BTreeMap<Key, Value> {
        let mut data = self.base.data.clone();
        for e in &self.entries {
            data.insert(e.key, e.value);
        }
        data
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
        assert!(lease_ticks > 0, "lease_ticks must be positive");
        Self {
            lease_ticks,
            lease: None,
            last_token: 0,
        }
    }

    /// How long a lease lasts.
    pub fn lease_ticks(&self) -> u64 {
        self.lease_ticks
    }

    /// The live lease at `now`, if any.
    pub fn lease(&self, now: u64) -> Option<Lease> {
        self.lease.filter(|l| now < l.expires_at)
    }

    /// The last token issued (0 if none).
    pub fn last_token(&self) -> Token {
        self.last_token
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
        if let Some(live) = self.lease(now)
            && live.holder != node
        {
            return Err(live);
        }
        self.last_token += 1;
        let lease = Lease {
            holder: node,
            token: self.last_token,
            expires_at: now + self.lease_ticks,
        };
        self.lease = Some(lease);
        Ok(lease)
    }

    /// `node` renews its lease with `token` at `now`: if that is the live
    /// lease, it now expires `lease_ticks` from `now` (same token).
    ///
    /// # Errors
    /// The live lease, if any, when `node` with `token` does not hold it
    /// (an expired lease cannot be renewed: acquire a new one).
    pub fn renew(&mut self, node: NodeId, token: Token, now: u64) -> Result<Lease, Option<Lease>> {
        match self.lease(now) {
            Some(live) if live.holder == node && live.token == token => {
                let renewed = Lease {
                    expires_at: now + self.lease_ticks,
                    ..live
                };
                self.lease = Some(renewed);
                Ok(renewed)
            }
            other => Err(other),
        }
    }

    /// Answers a message from `from` at `now`: [`Message::Acquire`] and
    /// [`Message::Renew`] get [`Message::Granted`] (the lease's token) or
    /// [`Message::Refused`] (the live lease, if any), echoing the request's
    /// `sent_at`. Every other message gets no answer.
    pub fn step(&mut self, from: NodeId, msg: Message, now: u64) -> Option<Message> {
        let (result, sent_at) = match msg {
            Message::Acquire { sent_at } => (self.acquire(from, now).map_err(Some), sent_at),
            Message::Renew { token, sent_at } => (self.renew(from, token, now), sent_at),
            _ => return None,
        };
        Some(match result {
            Ok(lease) => Message::Granted {
                token: lease.token,
                sent_at,
            },
            Err(lease) => Message::Refused { lease, sent_at },
        })
    }
}

// ------------------------------------------------------------------------
// Rejoin planning.
// ------------------------------------------------------------------------

/// The token of the entry at `lsn` according to `history` (0 if none).
fn token_at(history: &[EpochStart], lsn: Lsn) -> Token {
    history
        .iter()
        .rev()
        .find(|h| h.first_lsn <= lsn)
        .map_or(0, |h| h.token)
}

/// The last LSN two logs share, from their histories and last LSNs: the
/// largest `n <= min(a_last, b_last)` such that at every LSN up to `n` both
/// histories give the same token.
///
/// That is enough to compare logs: a token has one writer, which writes
/// each LSN once, so two entries with the same LSN and the same token are
/// the same entry.
pub fn shared_prefix(a: &[EpochStart], a_last: Lsn, b: &[EpochStart], b_last: Lsn) -> Lsn {
    let limit = a_last.min(b_last);
    if limit == 0 {
        return 0;
    }
    let mut points: Vec<Lsn> = a
        .iter()
        .chain(b)
        .map(|h| h.first_lsn)
        .filter(|&l| (1..=limit).contains(&l))
        .collect();
    points.push(1);
    points.sort_unstable();
    points.dedup();
    points
        .into_iter()
        .find(|&p| token_at(a, p) != token_at(b, p))
        .map_or(limit, |p| p - 1)
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
    let after = shared_prefix(primary.history(), primary.last_lsn(), history, last);
    if after < primary.base_lsn() || after < base {
        RejoinPlan::FullCopy
    } else {
        RejoinPlan::CatchUp { after }
    }
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
        assert!(
            config.heartbeat_interval > 0,
            "heartbeat_interval must be positive"
        );
        assert!(
            config.renew_interval > 0 && config.renew_interval < config.lease_ticks,
            "renew_interval must be positive and below lease_ticks"
        );
        assert!(config.retry_ticks > 0, "retry_ticks must be positive");
        assert!(config.max_batch > 0, "max_batch must be positive");
        Self {
            detector: Detector::new(config.detector.clone(), now),
            config,
            store,
            role: Role::Standby,
            token: 0,
            lease_until: 0,
            lease_start: 0,
            last_renew: 0,
            last_heartbeat: 0,
            peer: None,
            pending: VecDeque::new(),
            following: None,
            synced: false,
            last_acquire: None,
            last_rejoin: 0,
            outbox: Vec::new(),
            acked: Vec::new(),
        }
    }

    /// This server's id.
    pub fn id(&self) -> NodeId {
        self.config.id
    }

    /// What it is doing.
    pub fn role(&self) -> Role {
        self.role
    }

    /// As primary, the token it holds; as a standby, the token of the
    /// primary it follows (0 if none).
    pub fn token(&self) -> Token {
        match self.role {
            Role::Primary => self.token,
            Role::Standby => self.following.map_or(0, |(_, t)| t),
        }
    }

    /// The primary it follows, as a standby.
    pub fn following(&self) -> Option<NodeId> {
        self.following.map(|(p, _)| p)
    }

    /// Whether, as a standby, its rejoin was answered: its log is a prefix
    /// of its primary's.
    pub fn is_synced(&self) -> bool {
        self.role == Role::Standby && self.synced
    }

    /// Whether, as primary, a standby is attached (writes wait for it).
    pub fn has_standby(&self) -> bool {
        self.role == Role::Primary && self.peer.is_some()
    }

    /// Its store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// As primary, the first tick at which its lease is no longer valid by
    /// its own reckoning.
    pub fn lease_until(&self) -> Option<u64> {
        (self.role == Role::Primary).then_some(self.lease_until)
    }

    /// Whether it is primary and its lease is valid at `now`.
    pub fn holds_lease(&self, now: u64) -> bool {
        self.role == Role::Primary && now < self.lease_until
    }

    /// Time passes: a primary steps down if its lease ran out, else renews
    /// and heartbeats when due; a standby asks for the lease or repeats its
    /// rejoin when due (see [`Server`]).
    pub fn tick(&mut self, now: u64) {
        match self.role {
            Role::Primary => {
                if now >= self.lease_until {
                    self.step_down(now);
                    return;
                }
                if now >= self.last_renew + self.config.renew_interval {
                    self.last_renew = now;
                    let msg = Message::Renew {
                        token: self.token,
                        sent_at: now,
                    };
                    self.outbox.push((self.config.lock, msg));
                }
                if now >= self.last_heartbeat + self.config.heartbeat_interval {
                    self.heartbeat(now);
                }
            }
            Role::Standby => {
                let suspect = self.following.is_none() || self.detector.suspects(now);
                let due = self
                    .last_acquire
                    .is_none_or(|t| now >= t + self.config.retry_ticks);
                if suspect && due {
                    self.last_acquire = Some(now);
                    self.outbox
                        .push((self.config.lock, Message::Acquire { sent_at: now }));
                }
                if self.following.is_some()
                    && !self.synced
                    && now >= self.last_rejoin + self.config.retry_ticks
                {
                    self.send_rejoin(now);
                }
            }
        }
    }

    /// A message from `from` arrived at `now` (see [`Server`] for what each
    /// does).
    pub fn step(&mut self, now: u64, from: NodeId, msg: Message) {
        match msg {
            Message::Granted { token, sent_at } => {
                if from != self.config.lock {
                    return;
                }
                let until = sent_at + self.config.lease_ticks;
                if token > self.store.newest_token() && now < until {
                    self.promote(token, sent_at, now);
                } else if self.role == Role::Primary && token == self.token {
                    self.lease_until = self.lease_until.max(until);
                }
            }
            Message::Refused { lease, sent_at } => {
                if from != self.config.lock {
                    return;
                }
                if self.role == Role::Primary {
                    if sent_at < self.lease_start {
                        return;
                    }
                    self.step_down(now);
                }
                if let Some(l) = lease
                    && l.holder != self.config.id
                    && l.token > self.token()
                    && l.token >= self.store.newest_token()
                {
                    self.follow(l.holder, l.token, now);
                }
            }
            Message::Append { token, entries } => {
                if token < self.store.newest_token() {
                    self.stale(from);
                    return;
                }
                if self.role == Role::Primary {
                    if token > self.token {
                        self.follow(from, token, now);
                    }
                    return;
                }
                if self.following != Some((from, token)) {
                    self.follow(from, token, now);
                }
                self.detector.heartbeat(now);
                if self.synced {
                    match self.store.append(token, &entries) {
                        Ok(_) | Err(StoreError::Gap { .. }) => {
                            self.store.compact(self.config.keep_log);
                            self.ack(from, token);
                        }
                        Err(_) => {}
                    }
                }
            }
            Message::Ack { token, lsn } => {
                if self.role != Role::Primary || token != self.token || from != self.config.peer {
                    return;
                }
                if let Some(acked) = self.peer.as_mut() {
                    *acked = (*acked).max(lsn);
                    self.commit();
                    self.compact();
                }
            }
            Message::Stale { newest } => {
                if self.role == Role::Primary && newest > self.token {
                    // Raising the fence cannot fail: newest is above ours.
                    let _ = self.store.fence(newest);
                    self.step_down(now);
                }
            }
            Message::Rejoin {
                history,
                last,
                base,
            } => {
                if self.role != Role::Primary || from != self.config.peer {
                    return;
                }
                let token = self.token;
                match plan_rejoin(&self.store, &history, last, base) {
                    RejoinPlan::CatchUp { after } => {
                        self.peer = Some(after);
                        self.outbox.push((from, Message::CatchUp { token, after }));
                    }
                    RejoinPlan::FullCopy => {
                        let snapshot = self.store.snapshot();
                        self.peer = Some(snapshot.lsn);
                        self.outbox
                            .push((from, Message::FullCopy { token, snapshot }));
                    }
                }
            }
            Message::CatchUp { token, after } => {
                if token < self.store.newest_token() {
                    self.stale(from);
                    return;
                }
                if self.following == Some((from, token))
                    && !self.synced
                    && self.store.truncate_after(after).is_ok()
                {
                    self.synced = true;
                    self.ack(from, token);
                }
            }
            Message::FullCopy { token, snapshot } => {
                if token < self.store.newest_token() {
                    self.stale(from);
                    return;
                }
                if self.following == Some((from, token)) && !self.synced {
                    self.store = Store::from_snapshot(snapshot);
                    // The copy's tokens are the primary's: at most `token`.
                    let _ = self.store.fence(token);
                    self.synced = true;
                    self.ack(from, token);
                }
            }
            Message::Acquire { .. } | Message::Renew { .. } => {}
        }
    }

    /// A client's write of `key = value` at `now`: appended to the store
    /// with this primary's token at the next LSN, returned; acknowledged
    /// through [`Ready::acked`] (see [`Server`]).
    ///
    /// # Errors
    /// [`NotPrimary`] unless this server holds a valid lease at `now`.
    pub fn write(&mut self, now: u64, key: Key, value: Value) -> Result<Lsn, NotPrimary> {
        if !self.holds_lease(now) {
            return Err(NotPrimary {
                primary: self.following(),
            });
        }
        let lsn = self.store.last_lsn() + 1;
        let entry = Entry {
            token: self.token,
            lsn,
            key,
            value,
        };
        if self.store.append(self.token, &[entry]).is_err() {
            // The store saw a newer token than ours: we are deposed.
            self.step_down(now);
            return Err(NotPrimary { primary: None });
        }
        self.compact();
        if self.peer.is_some() {
            self.pending.push_back(lsn);
        } else {
            self.acked.push(lsn);
        }
        Ok(lsn)
    }

    /// Drains what to send and what was acknowledged.
    pub fn ready(&mut self) -> Ready {
        Ready {
            messages: std::mem::take(&mut self.outbox),
            acked: std::mem::take(&mut self.acked),
        }
    }

    fn promote(&mut self, token: Token, sent_at: u64, now: u64) {
        // Cannot fail: the caller checked that token is above the newest.
        let _ = self.store.fence(token);
        self.role = Role::Primary;
        self.token = token;
        self.lease_until = sent_at + self.config.lease_ticks;
        self.lease_start = sent_at;
        self.last_renew = sent_at;
        self.peer = None;
        self.pending.clear();
        self.following = None;
        self.synced = false;
        self.heartbeat(now);
    }

    fn step_down(&mut self, now: u64) {
        self.role = Role::Standby;
        self.token = 0;
        self.peer = None;
        self.pending.clear();
        self.following = None;
        self.synced = false;
        self.detector = Detector::new(self.config.detector.clone(), now);
        self.last_acquire = None;
    }

    fn follow(&mut self, primary: NodeId, token: Token, now: u64) {
        if self.role == Role::Primary {
            self.step_down(now);
        }
        // Cannot fail: callers follow only tokens at least the newest.
        let _ = self.store.fence(token);
        self.following = Some((primary, token));
        self.synced = false;
        self.detector = Detector::new(self.config.detector.clone(), now);
        self.send_rejoin(now);
    }

    fn send_rejoin(&mut self, now: u64) {
        let Some((primary, _)) = self.following else {
            return;
        };
        self.last_rejoin = now;
        let msg = Message::Rejoin {
            history: self.store.history().to_vec(),
            last: self.store.last_lsn(),
            base: self.store.base_lsn(),
        };
        self.outbox.push((primary, msg));
    }

    fn heartbeat(&mut self, now: u64) {
        self.last_heartbeat = now;
        let entries = match self.peer {
            Some(acked) => self
                .store
                .entries_after(acked)
                .map(|e| e[..e.len().min(self.config.max_batch)].to_vec())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let msg = Message::Append {
            token: self.token,
            entries,
        };
        self.outbox.push((self.config.peer, msg));
    }

    fn ack(&mut self, to: NodeId, token: Token) {
        let lsn = self.store.last_lsn();
        self.outbox.push((to, Message::Ack { token, lsn }));
    }

    fn stale(&mut self, to: NodeId) {
        let newest = self.store.newest_token();
        self.outbox.push((to, Message::Stale { newest }));
    }

    fn commit(&mut self) {
        let Some(acked) = self.peer else { return };
        while self.pending.front().is_some_and(|&l| l <= acked) {
            if let Some(lsn) = self.pending.pop_front() {
                self.acked.push(lsn);
            }
        }
    }

    /// Compacts the primary's store, keeping what the standby still needs.
    fn compact(&mut self) {
        let keep = match self.peer {
            Some(acked) => self
                .config
                .keep_log
                .max((self.store.last_lsn().saturating_sub(acked)) as usize),
            None => self.config.keep_log,
        };
        self.store.compact(keep);
    }
}
