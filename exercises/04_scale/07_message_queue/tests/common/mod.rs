//! What the stages share: a queue on a manual clock, a model queue to compare
//! against, and a seeded simulation of producers and crashing consumers.

#![allow(dead_code)] // each stage uses part of it

use std::collections::HashMap;
use std::time::Duration;

use kit::clock::ManualClock;
use kit::history::{Log, Outcome};
use kit::rng::Rng;
use message_queue::{DedupWindow, MessageId, Queue, QueueConfig, Received, SendOptions};

pub type TestQueue = Queue<u64, ManualClock>;

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A queue config with a visibility timeout of `visibility` seconds.
pub fn config(visibility: u64, capacity: usize, max_receives: Option<u32>) -> QueueConfig {
    QueueConfig {
        visibility_timeout: secs(visibility),
        capacity,
        max_receives,
    }
}

/// A queue on a manual clock whose monotonic time starts at 0; keep the
/// clock to move time.
pub fn queue(config: QueueConfig) -> (TestQueue, ManualClock) {
    let clock = ManualClock::new(1_700_000_000_000);
    (Queue::new(config, clock.clone()), clock)
}

/// Options for a message of `group`, sent with no delay.
pub fn in_group(group: &str) -> SendOptions {
    SendOptions {
        delay: Duration::ZERO,
        group: Some(group.to_string()),
    }
}

/// Options for an ungrouped message delayed by `delay`.
pub fn delayed(delay: Duration) -> SendOptions {
    SendOptions { delay, group: None }
}

/// The bodies of a receive, in order.
pub fn bodies(got: &[Received<u64>]) -> Vec<u64> {
    got.iter().map(|r| r.body).collect()
}

/// Sends `body` and expects it to be stored.
pub fn send(queue: &mut TestQueue, body: u64) -> MessageId {
    queue
        .send(body)
        .unwrap_or_else(|e| panic!("send({body}) into a queue with room failed: {e:?}"))
}

// ---------------------------------------------------------------------------
// The model: every rule of the stub, in the most obvious O(n) form
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct ModelMsg {
    id: u64,
    body: u64,
    group: Option<u8>,
    visible_at: Duration,
    count: u32,
    /// (nonce, received at) of the latest receive.
    receipt: Option<(u64, Duration)>,
}

/// The queue as the stub's doc comments describe it: a list in the order
/// messages entered, scanned from the front.
#[derive(Debug, Clone)]
pub struct ModelQueue {
    config: QueueConfig,
    pub now: Duration,
    msgs: Vec<ModelMsg>,
    dead: Vec<ModelMsg>,
    next_id: u64,
    next_nonce: u64,
}

/// A delivery as the model predicts it: id, body, receive count, and the
/// model's handle (id, nonce).
pub type ModelDelivery = (u64, u64, u32, (u64, u64));

impl ModelQueue {
    pub fn new(config: QueueConfig) -> Self {
        Self {
            config,
            now: Duration::ZERO,
            msgs: Vec::new(),
            dead: Vec::new(),
            next_id: 0,
            next_nonce: 0,
        }
    }

    pub fn send(&mut self, body: u64, group: Option<u8>, delay: Duration) -> Result<u64, ()> {
        if self.msgs.len() >= self.config.capacity {
            return Err(());
        }
        let id = self.next_id;
        self.next_id += 1;
        self.msgs.push(ModelMsg {
            id,
            body,
            group,
            visible_at: self.now + delay,
            count: 0,
            receipt: None,
        });
        Ok(id)
    }

    pub fn receive(&mut self, max: usize) -> Vec<ModelDelivery> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.msgs.len() && out.len() < max {
            let m = &self.msgs[i];
            let first_of_group = m.group.is_none()
                || !self.msgs[..i]
                    .iter()
                    .any(|earlier| earlier.group == m.group);
            if m.visible_at > self.now || !first_of_group {
                i += 1;
                continue;
            }
            if self.config.max_receives.is_some_and(|max| m.count >= max) {
                let m = self.msgs.remove(i);
                self.dead.push(m);
                continue; // the next message is now at i
            }
            let nonce = self.next_nonce;
            self.next_nonce += 1;
            let m = &mut self.msgs[i];
            m.count += 1;
            m.receipt = Some((nonce, self.now));
            m.visible_at = self.now + self.config.visibility_timeout;
            out.push((m.id, m.body, m.count, (m.id, nonce)));
            i += 1;
        }
        out
    }

    fn valid(&self, handle: (u64, u64)) -> Option<usize> {
        self.msgs
            .iter()
            .position(|m| m.id == handle.0 && m.receipt.map(|r| r.0) == Some(handle.1))
    }

    pub fn delete(&mut self, handle: (u64, u64)) -> Result<(), ()> {
        let i = self.valid(handle).ok_or(())?;
        self.msgs.remove(i);
        Ok(())
    }

    pub fn change_visibility(&mut self, handle: (u64, u64), timeout: Duration) -> Result<(), ()> {
        let i = self.valid(handle).ok_or(())?;
        self.msgs[i].visible_at = self.now + timeout;
        Ok(())
    }

    pub fn redrive(&mut self) -> usize {
        let room = self.config.capacity.saturating_sub(self.msgs.len());
        let n = room.min(self.dead.len());
        for mut m in self.dead.drain(..n) {
            m.count = 0;
            m.receipt = None;
            m.visible_at = self.now;
            self.msgs.push(m);
        }
        n
    }

    pub fn len(&self) -> usize {
        self.msgs.len()
    }

    pub fn in_flight(&self) -> usize {
        self.msgs
            .iter()
            .filter(|m| m.receipt.is_some() && m.visible_at > self.now)
            .count()
    }

    /// (id, receive count) of each dead letter, in order.
    pub fn dead_letters(&self) -> Vec<(u64, u32)> {
        self.dead.iter().map(|m| (m.id, m.count)).collect()
    }
}

// ---------------------------------------------------------------------------
// The simulation: a producer, crashing consumers, and a database of effects
// ---------------------------------------------------------------------------

/// The visibility timeout of the simulation, in ticks of one second.
pub const SIM_VISIBILITY: u64 = 4;
/// The queue's capacity in the simulation: small, so the producer meets
/// back-pressure.
pub const SIM_CAPACITY: usize = 12;
/// Consumers in the simulation.
pub const SIM_CONSUMERS: usize = 3;
/// Send attempts by the producer (0, 1 or 2 a tick, one on average).
pub const SIM_SENDS: u64 = 240;
/// Message groups in the grouped simulation.
pub const SIM_GROUPS: u64 = 4;
/// The dedup window the consumers' database is given: the number of ids it
/// must remember. Over the seeds, a run needs at most 24 (stage 7 measures
/// it); see README.md ("How big a window?").
pub const SIM_WINDOW: usize = 32;
/// The seeds every simulation runs over.
pub const SEEDS: std::ops::RangeInclusive<u64> = 1..=5;

/// What the consumer does with one delivery (drawn from the seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Crashes at once: never applies, never deletes.
    CrashBeforeApply,
    /// Applies the effect, then crashes before deleting.
    CrashAfterApply,
    /// Works past the visibility timeout without a heartbeat, then applies
    /// and deletes (the delete fails if the message was received again).
    Slow,
    /// Works for two visibility timeouts, calling `change_visibility` every
    /// tick, then applies and deletes.
    Heartbeat,
    /// Applies and deletes at once.
    Normal,
}

#[derive(Debug)]
enum State {
    Idle,
    Down {
        until: u64,
    },
    Busy {
        msg: Received<u64>,
        finish_at: u64,
        heartbeat: bool,
    },
}

/// Everything a simulation run recorded.
#[derive(Debug, Default)]
pub struct SimReport {
    pub seed: u64,
    /// Every send (Ok or refused) and every delivery.
    pub deliveries: Log,
    /// Every send (Ok or refused) and every applied effect.
    pub effects: Log,
    /// Deliveries per message.
    pub receives: HashMap<MessageId, u32>,
    /// Crashes of a consumer holding a message, per message.
    pub crashes: HashMap<MessageId, u32>,
    /// Deliveries whose consumer overran the visibility timeout without a
    /// heartbeat, per message.
    pub timeouts: HashMap<MessageId, u32>,
    /// Deliveries to consumers that heartbeat.
    pub heartbeats: u32,
    /// Deliveries of a message to one consumer while a heartbeating consumer
    /// still held it.
    pub stolen_from_heartbeat: Vec<String>,
    /// Operations that must have succeeded but did not.
    pub errors: Vec<String>,
    pub sent_ok: u64,
    pub refused: u64,
    /// The most ids the dedup window held at once.
    pub window_max_len: usize,
    /// The smallest window that would have caught every duplicate of this
    /// run (measured by the test's own bookkeeping).
    pub window_needed: usize,
    /// Whether the queue drained (every message deleted) before the end.
    pub drained: bool,
    pub ticks: u64,
}

impl SimReport {
    pub fn total_crashes(&self) -> u32 {
        self.crashes.values().sum()
    }
    pub fn total_timeouts(&self) -> u32 {
        self.timeouts.values().sum()
    }
    pub fn redeliveries(&self) -> u32 {
        self.receives.values().map(|n| n - 1).sum()
    }
}

/// The consumers' database: the effects and the dedup window, updated in one
/// transaction (the window lives with the effects, not in a consumer).
struct Db {
    window: DedupWindow,
    /// The test's own exact bookkeeping, to measure the window a run needs.
    first_applied: HashMap<MessageId, usize>,
    distinct: usize,
    needed: usize,
    max_len: usize,
}

impl Db {
    /// Applies `msg`'s effect once; records it in `effects` when applied.
    fn apply(
        &mut self,
        consumer: usize,
        msg: &Received<u64>,
        place: Option<(u32, u64)>,
        effects: &mut Log,
    ) {
        match self.first_applied.get(&msg.id) {
            None => {
                self.first_applied.insert(msg.id, self.distinct);
                self.distinct += 1;
                self.needed = self.needed.max(1);
            }
            Some(&first) => {
                // Ids first applied after this one: a FIFO window must be
                // bigger than that to still remember it.
                self.needed = self.needed.max(self.distinct - first);
            }
        }
        if self.window.insert(msg.id) {
            match place {
                Some((group, offset)) => effects.received_at(0, group, offset, msg.body),
                None => effects.received(consumer, msg.body),
            }
        }
        self.max_len = self.max_len.max(self.window.len());
    }
}

/// Runs the simulation for `seed`: a producer sends 0, 1 or 2 messages a
/// tick (refused sends are dropped and recorded as definite failures), three
/// consumers take one message a tick each, and each delivery meets a fate
/// drawn from the seed (crash before or after applying, overrun the
/// visibility timeout, heartbeat through a long job, or plain success).
/// With `grouped`, every message goes to one of four groups, and both logs
/// record (group, offset within the group) so the checker sees group order.
pub fn simulate(seed: u64, grouped: bool, window: usize) -> SimReport {
    let (mut queue, clock) = queue(config(SIM_VISIBILITY, SIM_CAPACITY, None));
    let root = Rng::new(seed);
    let mut producer = root.stream("producer");
    let mut fates = root.stream("fates");
    let mut db = Db {
        window: DedupWindow::new(window),
        first_applied: HashMap::new(),
        distinct: 0,
        needed: 0,
        max_len: 0,
    };
    let mut report = SimReport {
        seed,
        ..SimReport::default()
    };
    // Per message: its body and, when grouped, its (group, offset).
    let mut place: HashMap<MessageId, Option<(u32, u64)>> = HashMap::new();
    let mut next_offset: HashMap<u32, u64> = HashMap::new();
    let mut consumers: Vec<State> = (0..SIM_CONSUMERS).map(|_| State::Idle).collect();
    let mut attempts = 0;
    let mut tick = 0;
    while tick < 5_000 {
        tick += 1;
        clock.advance(secs(1));
        for _ in 0..producer.below(3) {
            if attempts == SIM_SENDS {
                break;
            }
            let body = attempts;
            attempts += 1;
            let group = grouped.then(|| producer.below(SIM_GROUPS) as u32);
            let options = SendOptions {
                delay: Duration::ZERO,
                group: group.map(|g| format!("g{g}")),
            };
            match queue.send_with(body, options) {
                Ok(id) => {
                    report.deliveries.sent(body, Outcome::Ok(()));
                    report.effects.sent(body, Outcome::Ok(()));
                    report.sent_ok += 1;
                    let at = group.map(|g| {
                        let offset = next_offset.entry(g).or_insert(0);
                        *offset += 1;
                        (g, *offset - 1)
                    });
                    place.insert(id, at);
                }
                Err(_) => {
                    report.deliveries.sent(body, Outcome::Fail);
                    report.effects.sent(body, Outcome::Fail);
                    report.refused += 1;
                }
            }
        }
        for c in 0..SIM_CONSUMERS {
            if let State::Down { until } = consumers[c]
                && tick >= until
            {
                consumers[c] = State::Idle;
            }
            match &consumers[c] {
                State::Down { .. } => {}
                State::Busy {
                    msg,
                    finish_at,
                    heartbeat,
                } => {
                    let (msg, finish_at, heartbeat) = (msg.clone(), *finish_at, *heartbeat);
                    if tick < finish_at {
                        if heartbeat
                            && let Err(e) =
                                queue.change_visibility(&msg.receipt, secs(SIM_VISIBILITY))
                        {
                            report.errors.push(format!(
                                "tick {tick}: consumer {c}'s heartbeat on {:?} with its latest \
                                 receipt failed: {e:?} (did another consumer's stale receipt \
                                 delete the message under it?)",
                                msg.id
                            ));
                        }
                        continue;
                    }
                    db.apply(c, &msg, place[&msg.id], &mut report.effects);
                    let deleted = queue.delete(&msg.receipt);
                    if heartbeat && let Err(e) = deleted {
                        report.errors.push(format!(
                            "tick {tick}: consumer {c} heartbeat through its job, yet deleting \
                             {:?} with its latest receipt failed: {e:?}",
                            msg.id
                        ));
                    }
                    consumers[c] = State::Idle;
                }
                State::Idle => {
                    let Some(msg) = queue.receive(1).pop() else {
                        continue;
                    };
                    let Some(&at) = place.get(&msg.id) else {
                        report.errors.push(format!(
                            "tick {tick}: received {:?}, which no send returned",
                            msg.id
                        ));
                        continue;
                    };
                    match at {
                        Some((group, offset)) => {
                            report.deliveries.received_at(0, group, offset, msg.body)
                        }
                        None => report.deliveries.received(c, msg.body),
                    }
                    *report.receives.entry(msg.id).or_insert(0) += 1;
                    for (other, state) in consumers.iter().enumerate() {
                        if let State::Busy {
                            msg: held,
                            heartbeat: true,
                            ..
                        } = state
                            && held.id == msg.id
                        {
                            report.stolen_from_heartbeat.push(format!(
                                "tick {tick}: {:?} was delivered to consumer {c} while consumer \
                                 {other} held it and heartbeat every tick",
                                msg.id
                            ));
                        }
                    }
                    let fate = match fates.below(100) {
                        0..10 => Fate::CrashBeforeApply,
                        10..20 => Fate::CrashAfterApply,
                        20..30 => Fate::Slow,
                        30..38 => Fate::Heartbeat,
                        _ => Fate::Normal,
                    };
                    match fate {
                        Fate::CrashBeforeApply | Fate::CrashAfterApply => {
                            if fate == Fate::CrashAfterApply {
                                db.apply(c, &msg, at, &mut report.effects);
                            }
                            *report.crashes.entry(msg.id).or_insert(0) += 1;
                            consumers[c] = State::Down {
                                until: tick + 1 + fates.below(3),
                            };
                        }
                        Fate::Slow => {
                            *report.timeouts.entry(msg.id).or_insert(0) += 1;
                            consumers[c] = State::Busy {
                                msg,
                                finish_at: tick + SIM_VISIBILITY + 1 + fates.below(2),
                                heartbeat: false,
                            };
                        }
                        Fate::Heartbeat => {
                            report.heartbeats += 1;
                            consumers[c] = State::Busy {
                                msg,
                                finish_at: tick + 2 * SIM_VISIBILITY + 1,
                                heartbeat: true,
                            };
                        }
                        Fate::Normal => {
                            db.apply(c, &msg, at, &mut report.effects);
                            if let Err(e) = queue.delete(&msg.receipt) {
                                report.errors.push(format!(
                                    "tick {tick}: consumer {c} deleted {:?} with the receipt it \
                                     got this very tick, and the queue said {e:?}",
                                    msg.id
                                ));
                            }
                        }
                    }
                }
            }
        }
        let all_idle = consumers
            .iter()
            .all(|s| matches!(s, State::Idle | State::Down { .. }));
        if attempts == SIM_SENDS && queue.is_empty() && all_idle {
            report.drained = true;
            break;
        }
    }
    report.ticks = tick;
    report.window_max_len = db.max_len;
    report.window_needed = db.needed;
    report
}
