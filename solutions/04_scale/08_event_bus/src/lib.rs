//! Event bus: a partitioned log with consumer groups, committed offsets,
//! replayable projections, bounded fan-out and the transactional outbox.
//!
//! Build, in this order (the stages follow it):
//! - [`Topic`]: a log split into partitions, each an append-only sequence
//!   numbered by offset from 0. [`Topic::publish`] routes by key, so every
//!   event of one key lands in one partition, in publish order.
//! - [`Group`]: the coordinator of a consumer group. Every partition belongs
//!   to exactly one member; a join or a leave rebalances, moving as few
//!   partitions as balance allows. [`Consumer`] reads only the partitions it
//!   is assigned.
//! - Committed offsets: a [`Consumer`] processes a batch and only then
//!   commits to an [`OffsetStore`] (Kafka's `__consumer_offsets`), so a
//!   consumer that crashes and restarts resumes at its last commit and loses
//!   nothing (at-least-once: it may see a record twice).
//! - [`Projector`]: a read model built from the log, that stores the offsets
//!   it has applied beside its state. It ignores redelivered records, and a
//!   [`Checkpoint`] resumed and caught up equals the live projection.
//! - [`Fanout`]: one bounded queue per subscriber, with an [`Overflow`]
//!   policy, so a slow subscriber never holds up a fast one.
//! - [`Orders`]: the transactional outbox. A row and its event are written
//!   in one database transaction, and a relay publishes the outbox later;
//!   whatever step a crash hits, the committed rows and the published events
//!   never diverge.
//!
//! Nothing here does I/O, owns a thread or reads a clock: the tests drive
//! every step, and their [`OffsetStore`], [`Handler`], [`Store`] and [`Bus`]
//! count calls and crash on cue. Read README.md first. The private fields
//! and helpers are a suggestion; the public API is fixed.
//!
//! ```
//! use event_bus::{Event, Topic};
//!
//! let mut topic = Topic::new(4);
//! let a = topic.publish(Event::new(1, "cart-7", "added book"));
//! let b = topic.publish(Event::new(2, "cart-7", "added pen"));
//! assert_eq!(a.partition, b.partition); // one key, one partition...
//! assert_eq!(b.offset, a.offset + 1); // ...in publish order
//! let records = topic.read(a.partition, 0, 10);
//! assert_eq!(records[1].event.payload, "added pen");
//! ```

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use kit::hash::hash64;

// ---------------------------------------------------------------------------
// Stage 1: events, records and the partitioned topic
// ---------------------------------------------------------------------------

/// An event's identity: unique per event, and the same on every copy of it
/// (a redelivery, a re-publish after a crash), so a consumer can dedupe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub u64);

/// Something that happened: an id, the key it is about (an order, a cart, a
/// user) and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// Unique per event.
    pub id: EventId,
    /// What the event is about; it decides the partition.
    pub key: String,
    /// What happened.
    pub payload: String,
}

impl Event {
    /// An event with id `id`.
    pub fn new(id: u64, key: impl Into<String>, payload: impl Into<String>) -> Self {
        Self {
            id: EventId(id),
            key: key.into(),
            payload: payload.into(),
        }
    }
}

/// Where a record sits in a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// The partition, `0..partitions`.
    pub partition: u32,
    /// The offset inside it, from 0.
    pub offset: u64,
}

/// An event as stored in a topic: where it is, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The partition it was appended to.
    pub partition: u32,
    /// Its offset there.
    pub offset: u64,
    /// The event.
    pub event: Event,
}

/// The partition of `key` in a topic of `partitions` partitions:
/// `kit::hash::hash64(key.as_bytes()) % partitions`.
///
/// A stable hash, so a key maps to the same partition on every producer, on
/// every machine and after every restart (Kafka's default partitioner does
/// the same with murmur2). Panics with "a topic needs at least one
/// partition" if `partitions` is 0.
pub fn partition_for(key: &str, partitions: u32) -> u32 {
    assert!(partitions > 0, "a topic needs at least one partition");
    let p = hash64(key.as_bytes()) % u64::from(partitions);
    u32::try_from(p).expect("a remainder of a u32 fits in a u32")
}

/// A topic: `partitions` append-only logs.
///
/// Offsets in a partition are dense: the first record is at 0, the next at
/// 1, and so on; nothing is ever removed or reordered. Order is kept inside
/// a partition only, which is why events that must stay in order share a
/// key.
#[derive(Debug, Clone)]
pub struct Topic {
    partitions: Vec<Vec<Event>>,
}

impl Topic {
    /// An empty topic of `partitions` partitions. Panics with "a topic needs
    /// at least one partition" if `partitions` is 0.
    pub fn new(partitions: u32) -> Self {
        assert!(partitions > 0, "a topic needs at least one partition");
        Self {
            partitions: (0..partitions).map(|_| Vec::new()).collect(),
        }
    }

    /// The number of partitions.
    pub fn partitions(&self) -> u32 {
        u32::try_from(self.partitions.len()).expect("created from a u32")
    }

    /// The partition [`publish`](Self::publish) puts `key` in: [`partition_for`].
    pub fn partition_for(&self, key: &str) -> u32 {
        partition_for(key, self.partitions())
    }

    /// Appends `event` to the partition of its key and returns where it went:
    /// the next offset of that partition.
    pub fn publish(&mut self, event: Event) -> Position {
        let partition = self.partition_for(&event.key);
        let log = &mut self.partitions[partition as usize];
        log.push(event);
        Position {
            partition,
            offset: log.len() as u64 - 1,
        }
    }

    /// The offset the next record of `partition` will get (the number of
    /// records in it). Panics with "no partition {partition}" if it does not
    /// exist.
    pub fn end_offset(&self, partition: u32) -> u64 {
        self.log(partition).len() as u64
    }

    /// The number of records in all partitions.
    pub fn len(&self) -> u64 {
        self.partitions.iter().map(|p| p.len() as u64).sum()
    }

    /// True if no record was ever published.
    pub fn is_empty(&self) -> bool {
        self.partitions.iter().all(Vec::is_empty)
    }

    /// Up to `max` records of `partition`, in offset order, starting at
    /// offset `from`; none if `from` is at or past the end. Panics with "no
    /// partition {partition}" if it does not exist.
    pub fn read(&self, partition: u32, from: u64, max: usize) -> Vec<Record> {
        let log = self.log(partition);
        let start = usize::try_from(from).unwrap_or(usize::MAX).min(log.len());
        let end = start.saturating_add(max).min(log.len());
        log[start..end]
            .iter()
            .zip(from..)
            .map(|(event, offset)| Record {
                partition,
                offset,
                event: event.clone(),
            })
            .collect()
    }

    fn log(&self, partition: u32) -> &[Event] {
        self.partitions
            .get(partition as usize)
            .unwrap_or_else(|| panic!("no partition {partition}"))
    }
}

// ---------------------------------------------------------------------------
// Stage 2: consumer groups
// ---------------------------------------------------------------------------

/// A member of a consumer group.
pub type MemberId = u32;

/// One partition changing hands in a rebalance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Move {
    /// The partition.
    pub partition: u32,
    /// Who had it (`None`: nobody, as before the first member joined).
    pub from: Option<MemberId>,
    /// Who has it now (`None`: nobody, after the last member left).
    pub to: Option<MemberId>,
}

/// The coordinator of one consumer group over a topic of `partitions`
/// partitions: who is in the group, and which member owns which partition.
///
/// The rules, after every [`join`](Self::join) and [`leave`](Self::leave):
/// - With at least one member, every partition has exactly one owner, a
///   member; with none, no partition has an owner.
/// - Balanced: every member owns ⌊P/M⌋ or ⌈P/M⌉ of the P partitions (with
///   more members than partitions, the extra members own none).
/// - Sticky: a rebalance moves as few partitions as those two rules allow.
///   A partition keeps its owner unless it must move: its owner left, or its
///   owner holds more than its share. (Revoking everything and dealing the
///   partitions out again, as Kafka's eager protocol did, moves most of them
///   on every join.)
#[derive(Debug, Clone)]
pub struct Group {
    /// `owners[p]`: the member that owns partition `p`.
    owners: Vec<Option<MemberId>>,
    members: BTreeSet<MemberId>,
    generation: u64,
}

impl Group {
    /// A group with no members, for a topic of `partitions` partitions, at
    /// generation 0.
    pub fn new(partitions: u32) -> Self {
        Self {
            owners: vec![None; partitions as usize],
            members: BTreeSet::new(),
            generation: 0,
        }
    }

    /// The number of partitions.
    pub fn partitions(&self) -> u32 {
        u32::try_from(self.owners.len()).expect("created from a u32")
    }

    /// The members, in ascending order.
    pub fn members(&self) -> Vec<MemberId> {
        self.members.iter().copied().collect()
    }

    /// How many times the membership changed: each join of a new member and
    /// each leave of a present one adds 1; a no-op does not.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The owner of `partition`, if any (`None` also for a partition that
    /// does not exist).
    pub fn owner(&self, partition: u32) -> Option<MemberId> {
        self.owners.get(partition as usize).copied().flatten()
    }

    /// The partitions `member` owns, in ascending order (none for a
    /// stranger).
    pub fn assignment(&self, member: MemberId) -> Vec<u32> {
        (0..self.partitions())
            .filter(|&p| self.owner(p) == Some(member))
            .collect()
    }

    /// Adds `member` and rebalances. Returns every partition that changed
    /// hands, in ascending partition order; nothing if `member` was already
    /// in the group.
    pub fn join(&mut self, member: MemberId) -> Vec<Move> {
        if !self.members.insert(member) {
            return Vec::new();
        }
        self.generation += 1;
        self.rebalance()
    }

    /// Removes `member` and rebalances: its partitions go to the others.
    /// Returns every partition that changed hands, in ascending partition
    /// order; nothing if `member` was not in the group.
    pub fn leave(&mut self, member: MemberId) -> Vec<Move> {
        if !self.members.remove(&member) {
            return Vec::new();
        }
        self.generation += 1;
        self.rebalance()
    }

    /// The sticky assignment: keep every partition where it is unless its
    /// owner is gone or holds more than its target, and hand the freed
    /// partitions to the members below theirs.
    fn rebalance(&mut self) -> Vec<Move> {
        let before = self.owners.clone();
        let members = self.members();
        if members.is_empty() {
            self.owners.fill(None);
            return diff(&before, &self.owners);
        }
        let mut owned: BTreeMap<MemberId, Vec<u32>> =
            members.iter().map(|&m| (m, Vec::new())).collect();
        let mut free = Vec::new();
        for (p, owner) in (0..self.partitions()).zip(&self.owners) {
            match owner.and_then(|o| owned.get_mut(&o)) {
                Some(list) => list.push(p),
                None => free.push(p),
            }
        }
        // Of the P % M members that may hold one extra, pick those that hold
        // the most already: that keeps the most partitions in place.
        let (share, extra) = (
            self.owners.len() / members.len(),
            self.owners.len() % members.len(),
        );
        let mut by_load = members.clone();
        by_load.sort_by_key(|m| (Reverse(owned[m].len()), *m));
        let target: BTreeMap<MemberId, usize> = by_load
            .iter()
            .enumerate()
            .map(|(i, &m)| (m, share + usize::from(i < extra)))
            .collect();
        for (m, list) in &mut owned {
            while list.len() > target[m] {
                free.push(list.pop().expect("longer than its target"));
            }
        }
        free.sort_unstable();
        let mut free = free.into_iter();
        for (m, list) in &mut owned {
            while list.len() < target[m] {
                let p = free.next().expect("the surplus equals the deficit");
                list.push(p);
                self.owners[p as usize] = Some(*m);
            }
        }
        diff(&before, &self.owners)
    }
}

/// The partitions whose owner differs between two tables.
fn diff(before: &[Option<MemberId>], after: &[Option<MemberId>]) -> Vec<Move> {
    (0u32..)
        .zip(before.iter().zip(after))
        .filter(|(_, (from, to))| from != to)
        .map(|(partition, (&from, &to))| Move {
            partition,
            from,
            to,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Stage 3: consumers and committed offsets
// ---------------------------------------------------------------------------

/// A crash: the process died at this step. Whatever called the step is gone;
/// only what reached durable storage survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crashed;

impl fmt::Display for Crashed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("crashed")
    }
}

impl std::error::Error for Crashed {}

/// How far one consumer group has committed, per partition: Kafka keeps
/// this in its internal `__consumer_offsets` topic. It outlives every
/// consumer. A committed offset is the offset of the next record to read.
pub trait OffsetStore {
    /// The committed offset of `partition`, or `None` if none was committed.
    fn committed(&self, partition: u32) -> Option<u64>;

    /// Makes `offset` the committed offset of `partition`.
    fn commit(&mut self, partition: u32, offset: u64);
}

/// What a consumer does with each record: update a table, send an email,
/// fold it into a projection. `Err(Crashed)` means the process died while
/// handling it.
pub trait Handler {
    /// Handles one record.
    fn handle(&mut self, record: &Record) -> Result<(), Crashed>;
}

// Given: a closure is a handler.
impl<F: FnMut(&Record) -> Result<(), Crashed>> Handler for F {
    fn handle(&mut self, record: &Record) -> Result<(), Crashed> {
        self(record)
    }
}

/// One member's reader: a position (the next offset to read) per assigned
/// partition, held in memory and committed to an [`OffsetStore`].
///
/// Delivery is at-least-once: [`process`](Self::process) commits only after
/// the handler has handled the whole batch, so a crash at any point leaves
/// the committed offsets at or before the first unhandled record. A consumer
/// that crashed is gone: the caller drops it, and a new one assigned the
/// same partitions resumes at the committed offsets (re-reading what was
/// handled since the last commit, losing nothing).
#[derive(Debug, Clone, Default)]
pub struct Consumer {
    positions: BTreeMap<u32, u64>,
}

impl Consumer {
    /// A consumer with no partitions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `partitions` this consumer's partitions (after a rebalance).
    ///
    /// A partition it already had keeps its in-memory position; a new one
    /// starts at its committed offset in `offsets`, or at 0 if none was
    /// committed; a partition not in the list is dropped, and never read
    /// again unless assigned again. Duplicates in the list count once.
    pub fn assign(&mut self, partitions: &[u32], offsets: &impl OffsetStore) {
        let mut positions = BTreeMap::new();
        for &p in partitions {
            let at = self
                .positions
                .get(&p)
                .copied()
                .or_else(|| offsets.committed(p))
                .unwrap_or(0);
            positions.insert(p, at);
        }
        self.positions = positions;
    }

    /// The assigned partitions, in ascending order.
    pub fn assigned(&self) -> Vec<u32> {
        self.positions.keys().copied().collect()
    }

    /// The next offset this consumer reads in `partition`, if assigned.
    pub fn position(&self, partition: u32) -> Option<u64> {
        self.positions.get(&partition).copied()
    }

    /// Reads the next records: up to `max_per_partition` from each assigned
    /// partition (a per-partition limit, so no busy partition starves the
    /// others), partitions in ascending order, each in offset order. Moves
    /// the positions past what it returns; commits nothing.
    pub fn poll(&mut self, topic: &Topic, max_per_partition: usize) -> Vec<Record> {
        let mut out = Vec::new();
        for (&p, at) in &mut self.positions {
            let records = topic.read(p, *at, max_per_partition);
            *at += records.len() as u64;
            out.extend(records);
        }
        out
    }

    /// Commits the position of every assigned partition to `offsets`.
    pub fn commit(&self, offsets: &mut impl OffsetStore) {
        for (&p, &at) in &self.positions {
            offsets.commit(p, at);
        }
    }

    /// One round of the consumer loop: [`poll`](Self::poll), hand every
    /// record to `handler` in order, then [`commit`](Self::commit), and
    /// return how many records were handled.
    ///
    /// If the handler crashes, stops at once and returns `Err(Crashed)`
    /// without committing. Committing before handling would be
    /// at-most-once: a crash in the batch would lose the rest of it.
    pub fn process(
        &mut self,
        topic: &Topic,
        offsets: &mut impl OffsetStore,
        handler: &mut impl Handler,
        max_per_partition: usize,
    ) -> Result<usize, Crashed> {
        let records = self.poll(topic, max_per_partition);
        for record in &records {
            handler.handle(record)?;
        }
        self.commit(offsets);
        Ok(records.len())
    }
}

// ---------------------------------------------------------------------------
// Stage 4: projections and replay
// ---------------------------------------------------------------------------

/// A read model folded from events (CQRS's query side): account balances,
/// an order's status, a search index.
pub trait Projection {
    /// Folds one record into the state.
    fn apply(&mut self, record: &Record);
}

/// A projection's state together with the offsets it has applied: the next
/// offset to apply, per partition (a partition absent from the map is at
/// 0). Saving both together is what makes a restore exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint<P> {
    /// The projection's state.
    pub state: P,
    /// The next offset to apply, per partition.
    pub positions: BTreeMap<u32, u64>,
}

/// A projection that knows how far it is in each partition.
///
/// It applies a record only if its offset is exactly the partition's
/// position, then moves the position past it; a record below the position
/// was applied already (a redelivery) and is ignored, which makes the
/// projection exactly-once on top of an at-least-once consumer. A record
/// above the position would mean records were skipped, and panics with
/// "gap in partition {partition}".
#[derive(Debug, Clone)]
pub struct Projector<P> {
    state: P,
    positions: BTreeMap<u32, u64>,
}

impl<P: Projection> Projector<P> {
    /// A projector at the start of every partition, from `state` (usually
    /// empty).
    pub fn new(state: P) -> Self {
        Self {
            state,
            positions: BTreeMap::new(),
        }
    }

    /// A projector that continues from `checkpoint`: its state, at its
    /// positions.
    pub fn resume(checkpoint: Checkpoint<P>) -> Self {
        Self {
            state: checkpoint.state,
            positions: checkpoint.positions,
        }
    }

    /// The state.
    pub fn state(&self) -> &P {
        &self.state
    }

    /// The next offset to apply in `partition` (0 if nothing was applied).
    pub fn position(&self, partition: u32) -> u64 {
        self.positions.get(&partition).copied().unwrap_or(0)
    }

    /// Applies `record` if it is the next one of its partition and returns
    /// true; returns false, changing nothing, if it was applied before. See
    /// the type's docs for a gap.
    pub fn apply(&mut self, record: &Record) -> bool {
        let at = self.positions.entry(record.partition).or_insert(0);
        if record.offset < *at {
            return false;
        }
        assert!(
            record.offset == *at,
            "gap in partition {}: at offset {}, given {}",
            record.partition,
            at,
            record.offset
        );
        self.state.apply(record);
        *at += 1;
        true
    }

    /// Applies everything in `topic` past the positions, every partition to
    /// its end; returns how many records it applied.
    pub fn catch_up(&mut self, topic: &Topic) -> usize {
        const BATCH: usize = 256;
        let mut applied = 0;
        for p in 0..topic.partitions() {
            loop {
                let records = topic.read(p, self.position(p), BATCH);
                if records.is_empty() {
                    break;
                }
                for record in &records {
                    applied += usize::from(self.apply(record));
                }
            }
        }
        applied
    }

    /// The state and positions now.
    pub fn checkpoint(&self) -> Checkpoint<P>
    where
        P: Clone,
    {
        Checkpoint {
            state: self.state.clone(),
            positions: self.positions.clone(),
        }
    }
}

/// A projector is a handler: a consumer can feed it.
impl<P: Projection> Handler for Projector<P> {
    fn handle(&mut self, record: &Record) -> Result<(), Crashed> {
        self.apply(record);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Stage 5: fan-out with bounded per-subscriber queues
// ---------------------------------------------------------------------------

/// What a subscriber's full queue does with one more event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Overflow {
    /// The event waits in the fan-out's log until the subscriber makes room:
    /// nothing is lost, the subscriber lags, and the log grows by its lag.
    /// The publisher and the other subscribers do not wait.
    Block,
    /// The oldest queued event is dropped to make room: the subscriber keeps
    /// the newest (a live dashboard, a price ticker).
    DropOldest,
    /// The new event goes to the subscriber's dead-letter list instead: the
    /// queue keeps the oldest, nothing is lost, and the overflow is there to
    /// inspect or replay.
    DeadLetter,
}

/// A subscriber of a [`Fanout`]: `0, 1, 2, ...` in order of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriberId(pub usize);

/// Publish once, deliver to every subscriber, each through a bounded queue
/// of its own (the in-process event bus; a RabbitMQ fanout exchange with a
/// queue per subscriber).
///
/// Every subscriber receives every event published after it subscribed, in
/// publish order, minus what its policy drops or dead-letters. A subscriber
/// that does not poll fills only its own queue: [`publish`](Self::publish)
/// never waits for it, and every other subscriber keeps receiving. An
/// unknown [`SubscriberId`] panics with "unknown subscriber".
#[derive(Debug, Clone, Default)]
pub struct Fanout {
    /// Events some [`Overflow::Block`] subscriber has not queued yet; the
    /// first is at sequence number `base`.
    log: VecDeque<Event>,
    base: u64,
    subscribers: Vec<Subscriber>,
}

#[derive(Debug, Clone)]
struct Subscriber {
    policy: Overflow,
    capacity: usize,
    queue: VecDeque<Event>,
    /// The sequence number of the next event to queue (Block only; the
    /// others are always at the end).
    next: u64,
    dropped: u64,
    dead: Vec<Event>,
}

impl Fanout {
    /// A fan-out with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subscriber with a queue of `capacity` events and the policy
    /// `policy`; it receives the events published from now on. Panics with
    /// "a queue holds at least one event" if `capacity` is 0.
    pub fn subscribe(&mut self, capacity: usize, policy: Overflow) -> SubscriberId {
        assert!(capacity > 0, "a queue holds at least one event");
        self.subscribers.push(Subscriber {
            policy,
            capacity,
            queue: VecDeque::with_capacity(capacity),
            next: self.end(),
            dropped: 0,
            dead: Vec::new(),
        });
        SubscriberId(self.subscribers.len() - 1)
    }

    /// Offers `event` to every subscriber, each by its own queue and policy.
    /// Never waits and never fails.
    pub fn publish(&mut self, event: Event) {
        self.log.push_back(event.clone());
        let end = self.end();
        for i in 0..self.subscribers.len() {
            let policy = self.subscribers[i].policy;
            match policy {
                Overflow::Block => self.pump(i),
                Overflow::DropOldest => {
                    let sub = &mut self.subscribers[i];
                    if sub.queue.len() == sub.capacity {
                        sub.queue.pop_front();
                        sub.dropped += 1;
                    }
                    sub.queue.push_back(event.clone());
                    sub.next = end;
                }
                Overflow::DeadLetter => {
                    let sub = &mut self.subscribers[i];
                    if sub.queue.len() == sub.capacity {
                        sub.dead.push(event.clone());
                    } else {
                        sub.queue.push_back(event.clone());
                    }
                    sub.next = end;
                }
            }
        }
        self.trim();
    }

    /// Takes up to `max` events from the front of `subscriber`'s queue, in
    /// publish order. A [`Overflow::Block`] subscriber's queue is then
    /// refilled from the events waiting for it.
    pub fn poll(&mut self, subscriber: SubscriberId, max: usize) -> Vec<Event> {
        let i = self.index(subscriber);
        let queue = &mut self.subscribers[i].queue;
        let taken = queue.drain(..max.min(queue.len())).collect();
        if self.subscribers[i].policy == Overflow::Block {
            self.pump(i);
            self.trim();
        }
        taken
    }

    /// The events in `subscriber`'s queue (at most its capacity).
    pub fn queued(&self, subscriber: SubscriberId) -> usize {
        self.subscribers[self.index(subscriber)].queue.len()
    }

    /// The events published for `subscriber` that are not in its queue yet
    /// (waiting in the log: [`Overflow::Block`] only; 0 for the others).
    pub fn lag(&self, subscriber: SubscriberId) -> u64 {
        self.end() - self.subscribers[self.index(subscriber)].next
    }

    /// How many events [`Overflow::DropOldest`] dropped from `subscriber`'s
    /// queue.
    pub fn dropped(&self, subscriber: SubscriberId) -> u64 {
        self.subscribers[self.index(subscriber)].dropped
    }

    /// The events [`Overflow::DeadLetter`] set aside for `subscriber`, in
    /// publish order.
    pub fn dead_letters(&self, subscriber: SubscriberId) -> &[Event] {
        &self.subscribers[self.index(subscriber)].dead
    }

    /// How many events the fan-out holds outside the queues: exactly the
    /// largest lag of any subscriber. Events every subscriber has queued,
    /// dropped or dead-lettered are freed; with no [`Overflow::Block`]
    /// subscriber lagging, this is 0.
    pub fn retained(&self) -> usize {
        self.log.len()
    }

    fn end(&self) -> u64 {
        self.base + self.log.len() as u64
    }

    fn index(&self, subscriber: SubscriberId) -> usize {
        assert!(
            subscriber.0 < self.subscribers.len(),
            "unknown subscriber {}",
            subscriber.0
        );
        subscriber.0
    }

    /// Moves waiting events into Block subscriber `i`'s queue while it has
    /// room.
    fn pump(&mut self, i: usize) {
        let sub = &mut self.subscribers[i];
        while sub.queue.len() < sub.capacity && sub.next < self.base + self.log.len() as u64 {
            let at = usize::try_from(sub.next - self.base).expect("the log is in memory");
            sub.queue.push_back(self.log[at].clone());
            sub.next += 1;
        }
    }

    /// Frees the events every subscriber is past.
    fn trim(&mut self) {
        let low = self
            .subscribers
            .iter()
            .map(|s| s.next)
            .min()
            .unwrap_or_else(|| self.end());
        while self.base < low {
            self.log.pop_front();
            self.base += 1;
        }
    }
}

// ---------------------------------------------------------------------------
// Stage 6: the transactional outbox
// ---------------------------------------------------------------------------

/// A row of the orders table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The order's id (its event has the same id).
    pub id: u64,
    /// The customer.
    pub key: String,
    /// What was ordered.
    pub payload: String,
}

/// The service's database: a table of rows and an outbox table of events to
/// publish, both changed in one transaction. Every call is a step a crash
/// can hit; a crash before a call's effect leaves no trace of it, one after
/// its effect leaves the effect, and either way the call returns
/// `Err(Crashed)`.
pub trait Store {
    /// One transaction: inserts `rows` into the table and appends `outbox`
    /// to the outbox, all or nothing.
    fn commit(&mut self, rows: Vec<Row>, outbox: Vec<Event>) -> Result<(), Crashed>;

    /// Up to `limit` outbox events, oldest first.
    fn pending(&mut self, limit: usize) -> Result<Vec<Event>, Crashed>;

    /// Removes the events with these ids from the outbox (they are published).
    fn mark_published(&mut self, ids: &[EventId]) -> Result<(), Crashed>;
}

/// The message broker the relay publishes to. A crash before the publish
/// loses it; one after it leaves the event published although the caller
/// saw `Err(Crashed)`.
pub trait Bus {
    /// Publishes one event.
    fn publish(&mut self, event: &Event) -> Result<(), Crashed>;
}

/// An order service with a transactional outbox.
///
/// [`place`](Self::place) writes the order's row and its event in ONE
/// [`Store::commit`] and publishes nothing: writing the database and then
/// publishing (a dual write) leaves a row without its event when the
/// process dies in between. [`relay`](Self::relay) later publishes the
/// outbox in order and only then marks the events published, so a crash
/// anywhere at worst publishes an event twice (at-least-once; consumers
/// dedupe by [`EventId`]) and never loses one.
///
/// The service keeps no state of its own that matters: after a crash the
/// caller makes a new one over the same store and bus, and the relay picks
/// up exactly what is still in the outbox.
#[derive(Debug)]
pub struct Orders<S, B> {
    store: S,
    bus: B,
}

impl<S: Store, B: Bus> Orders<S, B> {
    /// A service over `store` and `bus`.
    pub fn new(store: S, bus: B) -> Self {
        Self { store, bus }
    }

    /// Places order `id` for customer `key`: one commit of the row
    /// `Row { id, key, payload }` and the event `Event::new(id, key,
    /// payload)` to the outbox. No publish.
    pub fn place(&mut self, id: u64, key: &str, payload: &str) -> Result<(), Crashed> {
        let row = Row {
            id,
            key: key.to_string(),
            payload: payload.to_string(),
        };
        self.store
            .commit(vec![row], vec![Event::new(id, key, payload)])
    }

    /// Relays one batch: takes up to `batch` outbox events
    /// ([`Store::pending`]), publishes each in outbox order, then marks the
    /// published ones. Returns how many it published. Panics with "a batch
    /// holds at least one event" if `batch` is 0.
    pub fn relay_once(&mut self, batch: usize) -> Result<usize, Crashed> {
        assert!(batch > 0, "a batch holds at least one event");
        let events = self.store.pending(batch)?;
        for event in &events {
            self.bus.publish(event)?;
        }
        if !events.is_empty() {
            let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
            self.store.mark_published(&ids)?;
        }
        Ok(events.len())
    }

    /// Relays batch after batch until a batch comes back empty; returns how
    /// many events it published in all. Panics like
    /// [`relay_once`](Self::relay_once) if `batch` is 0.
    pub fn relay(&mut self, batch: usize) -> Result<usize, Crashed> {
        let mut total = 0;
        loop {
            match self.relay_once(batch)? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }
}
