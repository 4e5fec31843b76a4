//! What the stages share: event makers, an offset store that counts its
//! commits, a handler that records into a `kit::history::Log` and crashes on
//! cue, a projection that remembers everything it was fed, and the outbox's
//! crashing database and broker.

#![allow(dead_code)] // each stage uses part of it

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use event_bus::{
    Bus, Consumer, Crashed, Event, EventId, Group, MemberId, OffsetStore, Orders, Projection,
    Record, Row, Store, Topic,
};
use kit::history::{Anomaly, ClientId, Log, LogOptions, Outcome};

/// Event `id` about key `k{key}`, with payload `e{id}`.
pub fn event(id: u64, key: u64) -> Event {
    Event::new(id, format!("k{key}"), format!("e{id}"))
}

/// Publishes events `first..first + n`, event `i` about key `k{i % keys}`.
pub fn publish_range(topic: &mut Topic, first: u64, n: u64, keys: u64) {
    for i in first..first + n {
        topic.publish(event(i, i % keys));
    }
}

/// A topic of `partitions` partitions holding events `0..n` over `keys` keys.
pub fn topic_with(partitions: u32, n: u64, keys: u64) -> Topic {
    let mut topic = Topic::new(partitions);
    publish_range(&mut topic, 0, n, keys);
    topic
}

/// Every anomaly on its own line, for an assertion message.
pub fn list(anomalies: &[Anomaly]) -> String {
    anomalies
        .iter()
        .map(|a| format!("\n  {a}"))
        .collect::<String>()
}

/// The anomalies of `log` under at-least-once (duplicates allowed).
pub fn at_least_once(log: &Log) -> Vec<Anomaly> {
    log.check(&LogOptions {
        allow_duplicates: true,
    })
}

/// A log in which every record of `topic` was sent and acknowledged.
pub fn log_of(topic: &Topic) -> Log {
    let mut log = Log::new();
    for p in 0..topic.partitions() {
        for r in topic.read(p, 0, usize::MAX) {
            log.sent(r.event.id.0, Outcome::Ok(()));
        }
    }
    log
}

// ---------------------------------------------------------------------------
// Offsets and handlers
// ---------------------------------------------------------------------------

/// The test's `__consumer_offsets`: a map that counts commits.
#[derive(Debug, Clone, Default)]
pub struct TestOffsets {
    pub map: BTreeMap<u32, u64>,
    pub commits: usize,
}

impl OffsetStore for TestOffsets {
    fn committed(&self, partition: u32) -> Option<u64> {
        self.map.get(&partition).copied()
    }

    fn commit(&mut self, partition: u32, offset: u64) {
        self.commits += 1;
        self.map.insert(partition, offset);
    }
}

/// A handler that logs each record it handles as `consumer`'s delivery, and
/// crashes (without logging) on the handle calls whose global numbers are in
/// `crash_on`.
pub struct Recorder<'a> {
    pub log: &'a mut Log,
    pub consumer: ClientId,
    pub calls: &'a mut usize,
    pub crash_on: &'a BTreeSet<usize>,
    pub handled: &'a mut Vec<Record>,
}

impl event_bus::Handler for Recorder<'_> {
    fn handle(&mut self, record: &Record) -> Result<(), Crashed> {
        let call = *self.calls;
        *self.calls += 1;
        if self.crash_on.contains(&call) {
            return Err(Crashed);
        }
        self.log.received_at(
            self.consumer,
            record.partition,
            record.offset,
            record.event.id.0,
        );
        self.handled.push(record.clone());
        Ok(())
    }
}

/// Assigns `partitions` to a fresh consumer (a restart) and declares in
/// `log` that `consumer` continues from each one's committed offset (or 0).
pub fn restart(
    partitions: &[u32],
    offsets: &TestOffsets,
    log: &mut Log,
    consumer: ClientId,
) -> Consumer {
    let mut c = Consumer::new();
    c.assign(partitions, offsets);
    for &p in partitions {
        log.rewind(consumer, p, offsets.committed(p).unwrap_or(0));
    }
    c
}

/// What one consumer run over a topic did.
pub struct Run {
    pub log: Log,
    pub offsets: TestOffsets,
    pub handled: Vec<Record>,
    pub crashes: usize,
}

/// One consumer owning every partition of `topic` runs `process` (batches
/// of `max` per partition) until a round handles nothing, crashing on the
/// handle calls in `crash_on` and restarting from the committed offsets
/// after each crash.
pub fn consume_with_crashes(topic: &Topic, max: usize, crash_on: &BTreeSet<usize>) -> Run {
    let partitions: Vec<u32> = (0..topic.partitions()).collect();
    let mut log = log_of(topic);
    let mut offsets = TestOffsets::default();
    let mut handled = Vec::new();
    let (mut calls, mut crashes) = (0, 0);
    let mut consumer = restart(&partitions, &offsets, &mut log, 0);
    for _round in 0..10_000 {
        let mut recorder = Recorder {
            log: &mut log,
            consumer: 0,
            calls: &mut calls,
            crash_on,
            handled: &mut handled,
        };
        match consumer.process(topic, &mut offsets, &mut recorder, max) {
            Ok(0) => {
                return Run {
                    log,
                    offsets,
                    handled,
                    crashes,
                };
            }
            Ok(_) => {}
            Err(Crashed) => {
                crashes += 1;
                consumer = restart(&partitions, &offsets, &mut log, 0);
            }
        }
    }
    panic!("the consumer never caught up with the topic in 10,000 rounds of process()")
}

/// A group's partition table, read through `owner`.
pub fn owners(group: &Group) -> Vec<Option<MemberId>> {
    (0..group.partitions()).map(|p| group.owner(p)).collect()
}

// ---------------------------------------------------------------------------
// Projections
// ---------------------------------------------------------------------------

/// A projection that remembers, per key, the ids of the events applied in
/// order, and per partition every (offset, id) it was given: order,
/// duplicates and gaps all show. (Nothing in it depends on the order of
/// different partitions, which is not defined.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyHistory {
    pub per_key: BTreeMap<String, Vec<u64>>,
    pub applied: BTreeMap<u32, Vec<(u64, u64)>>,
}

impl Projection for KeyHistory {
    fn apply(&mut self, record: &Record) {
        self.per_key
            .entry(record.event.key.clone())
            .or_default()
            .push(record.event.id.0);
        self.applied
            .entry(record.partition)
            .or_default()
            .push((record.offset, record.event.id.0));
    }
}

impl KeyHistory {
    /// The same projection, built the obvious way from the whole topic.
    pub fn of(topic: &Topic) -> Self {
        let mut h = Self::default();
        for p in 0..topic.partitions() {
            for r in topic.read(p, 0, usize::MAX) {
                h.apply(&r);
            }
        }
        h
    }

    /// What it applied, as a log (as consumer 0) over the records of `topic`.
    pub fn log(&self, topic: &Topic) -> Log {
        let mut log = log_of(topic);
        for (&p, applied) in &self.applied {
            for &(o, id) in applied {
                log.received_at(0, p, o, id);
            }
        }
        log
    }
}

// ---------------------------------------------------------------------------
// The outbox: a database and a broker that crash at a chosen step
// ---------------------------------------------------------------------------

/// When a crash hits a step: before its effect, or after it (the effect
/// stays, the caller still sees `Err(Crashed)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum When {
    Before,
    After,
}

/// Everything durable: the table, the outbox, what the broker holds, and
/// the crash schedule with a trace of the steps.
#[derive(Debug, Default)]
pub struct World {
    pub rows: BTreeMap<u64, Row>,
    pub outbox: Vec<Event>,
    pub published: Vec<Event>,
    pub commits: usize,
    pub pendings: usize,
    pub marks: usize,
    pub publishes: usize,
    /// Step number -> crash.
    pub crashes: BTreeMap<usize, When>,
    pub steps: usize,
    pub trace: Vec<String>,
}

impl World {
    fn step(&mut self, what: String) -> Option<When> {
        assert!(
            self.steps < 100_000,
            "100,000 database and broker calls for a few dozen orders: the relay never finds \
             the outbox empty (does it mark what it published?)"
        );
        let crash = self.crashes.remove(&self.steps);
        let mark = match crash {
            None => String::new(),
            Some(When::Before) => " <- crash before".to_string(),
            Some(When::After) => " <- crash after".to_string(),
        };
        self.trace.push(format!("{:>3} {what}{mark}", self.steps));
        self.steps += 1;
        crash
    }
}

pub type Shared = Rc<RefCell<World>>;

/// The test's database over the shared world.
#[derive(Debug, Clone)]
pub struct TestDb(pub Shared);

/// The test's broker over the shared world.
#[derive(Debug, Clone)]
pub struct TestBus(pub Shared);

fn ids(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.id.0).collect()
}

impl Store for TestDb {
    fn commit(&mut self, rows: Vec<Row>, outbox: Vec<Event>) -> Result<(), Crashed> {
        let mut w = self.0.borrow_mut();
        w.commits += 1;
        let row_ids: Vec<u64> = rows.iter().map(|r| r.id).collect();
        let crash = w.step(format!("commit rows {row_ids:?} outbox {:?}", ids(&outbox)));
        if crash == Some(When::Before) {
            return Err(Crashed);
        }
        for row in rows {
            assert!(
                !w.rows.contains_key(&row.id),
                "row {} inserted twice: a primary key is unique",
                row.id
            );
            w.rows.insert(row.id, row);
        }
        w.outbox.extend(outbox);
        if crash == Some(When::After) {
            return Err(Crashed);
        }
        Ok(())
    }

    fn pending(&mut self, limit: usize) -> Result<Vec<Event>, Crashed> {
        let mut w = self.0.borrow_mut();
        w.pendings += 1;
        if w.step(format!("pending {limit}")).is_some() {
            return Err(Crashed);
        }
        Ok(w.outbox.iter().take(limit).cloned().collect())
    }

    fn mark_published(&mut self, ids: &[EventId]) -> Result<(), Crashed> {
        let mut w = self.0.borrow_mut();
        w.marks += 1;
        let list: Vec<u64> = ids.iter().map(|i| i.0).collect();
        let crash = w.step(format!("mark published {list:?}"));
        if crash == Some(When::Before) {
            return Err(Crashed);
        }
        w.outbox.retain(|e| !ids.contains(&e.id));
        if crash == Some(When::After) {
            return Err(Crashed);
        }
        Ok(())
    }
}

impl Bus for TestBus {
    fn publish(&mut self, event: &Event) -> Result<(), Crashed> {
        let mut w = self.0.borrow_mut();
        w.publishes += 1;
        let crash = w.step(format!("publish {}", event.id.0));
        if crash == Some(When::Before) {
            return Err(Crashed);
        }
        w.published.push(event.clone());
        if crash == Some(When::After) {
            return Err(Crashed);
        }
        Ok(())
    }
}

/// An order workload: order `i` (id `i`) for customer `c{i % customers}`.
pub fn orders(n: u64, customers: u64) -> Vec<(u64, String)> {
    (0..n).map(|i| (i, format!("c{}", i % customers))).collect()
}

pub fn payload(id: u64) -> String {
    format!("order {id}")
}

/// The end of an outbox run.
pub struct OutboxRun {
    pub world: World,
    /// How many times the service crashed (and was restarted).
    pub crashes: usize,
}

/// Places every order (a crashed `place` is not retried: the client gave
/// up), relays after every `relay_every` orders, and at the end relays until
/// a relay completes, restarting the service after every crash.
pub fn run_outbox(
    orders: &[(u64, String)],
    relay_every: usize,
    batch: usize,
    crash_at: &[(usize, When)],
) -> OutboxRun {
    let world: Shared = Rc::new(RefCell::new(World {
        crashes: crash_at.iter().copied().collect(),
        ..World::default()
    }));
    let service = || Orders::new(TestDb(Rc::clone(&world)), TestBus(Rc::clone(&world)));
    let mut svc = service();
    let mut crashes = 0;
    for (i, (id, key)) in orders.iter().enumerate() {
        if svc.place(*id, key, &payload(*id)).is_err() {
            crashes += 1;
            svc = service();
        }
        if (i + 1) % relay_every == 0 && svc.relay(batch).is_err() {
            crashes += 1;
            svc = service();
        }
    }
    // Recovery: the schedule is finite, so some relay completes.
    for _ in 0..=crash_at.len() {
        match svc.relay(batch) {
            Ok(_) => break,
            Err(Crashed) => {
                crashes += 1;
                svc = service();
            }
        }
    }
    drop(svc);
    let world = Rc::try_unwrap(world)
        .expect("the service was dropped")
        .into_inner();
    OutboxRun { world, crashes }
}

/// Every way the rows and the published events disagree after a run, each
/// as a sentence; empty if they agree.
pub fn outbox_violations(orders: &[(u64, String)], run: &OutboxRun) -> Vec<String> {
    let w = &run.world;
    let mut out = Vec::new();
    // The log rules: a committed row is an acknowledged send, an order that
    // never reached the table a failed one; the broker's events are the
    // deliveries, duplicates allowed (at-least-once).
    let mut log = Log::new();
    for (id, _) in orders {
        let outcome = if w.rows.contains_key(id) {
            Outcome::Ok(())
        } else {
            Outcome::Fail
        };
        log.sent(*id, outcome);
    }
    for e in &w.published {
        log.received(0, e.id.0);
    }
    for a in at_least_once(&log) {
        out.push(match a {
            Anomaly::Lost { id } => {
                format!("{a} (row {id} is committed, its event was never published)")
            }
            Anomaly::Unexpected { id, .. } => {
                format!("{a} (event {id} was published, its row was never committed)")
            }
            other => other.to_string(),
        });
    }
    for e in &w.published {
        if let Some(row) = w.rows.get(&e.id.0)
            && (row.key != e.key || row.payload != e.payload)
        {
            out.push(format!(
                "event {} says ({}, {}) but its row says ({}, {})",
                e.id.0, e.key, e.payload, row.key, row.payload
            ));
        }
    }
    if !w.outbox.is_empty() {
        out.push(format!(
            "the outbox still holds {:?} after a completed relay",
            ids(&w.outbox)
        ));
    }
    // Dedupe by id, as a consumer would: per customer, the events must come
    // in the order the orders were placed.
    let mut seen = BTreeSet::new();
    let mut per_key: HashMap<&str, Vec<u64>> = HashMap::new();
    for e in &w.published {
        if seen.insert(e.id) {
            per_key.entry(&e.key).or_default().push(e.id.0);
        }
    }
    for (key, got) in per_key {
        if got.windows(2).any(|w| w[0] > w[1]) {
            out.push(format!(
                "customer {key}'s events were first published in the order {got:?}, not the \
                 order they were placed"
            ));
        }
    }
    out
}

/// The steps of a run, for a failure message.
pub fn trace(run: &OutboxRun) -> String {
    run.world.trace.join("\n")
}
