//! Anomaly rules for message queues and partitioned logs; the rules are
//! described on [`Log`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use super::{ClientId, Outcome};

/// A record's identity: unique per record sent.
pub type RecordId = u64;

/// What [`Log::check`] tolerates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Do not report `duplicate` (at-least-once delivery).
    pub allow_duplicates: bool,
}

/// A broken rule of a queue or log; `Display` names the rule first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// An acknowledged record that no consumer received.
    Lost {
        /// The record.
        id: RecordId,
    },
    /// A record received more than once.
    Duplicate {
        /// The record.
        id: RecordId,
        /// Who received it, once per delivery, in order.
        consumers: Vec<ClientId>,
    },
    /// A consumer jumped over offsets it never read.
    Skip {
        /// The consumer.
        consumer: ClientId,
        /// The partition.
        partition: u32,
        /// The offset it should have read next.
        expected: u64,
        /// The offset it read.
        got: u64,
        /// How many offsets in `expected..got` it never read.
        unread: u64,
    },
    /// A consumer's offsets went backwards.
    Nonmonotonic {
        /// The consumer.
        consumer: ClientId,
        /// The partition.
        partition: u32,
        /// The offset it read last, or the position of its declared rewind.
        previous: u64,
        /// Whether `previous` is a rewind's position.
        rewound: bool,
        /// The smaller offset it read next.
        got: u64,
    },
    /// A received record that was never sent, or whose send failed.
    Unexpected {
        /// The record.
        id: RecordId,
        /// Who received it (first).
        consumer: ClientId,
    },
}

impl Anomaly {
    /// The rule's name: `lost`, `duplicate`, `skip`, `nonmonotonic` or
    /// `unexpected`.
    pub fn rule(&self) -> &'static str {
        match self {
            Anomaly::Lost { .. } => "lost",
            Anomaly::Duplicate { .. } => "duplicate",
            Anomaly::Skip { .. } => "skip",
            Anomaly::Nonmonotonic { .. } => "nonmonotonic",
            Anomaly::Unexpected { .. } => "unexpected",
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.rule())?;
        match self {
            Anomaly::Lost { id } => write!(
                f,
                "record {id} was acknowledged, but no consumer received it"
            ),
            Anomaly::Duplicate { id, consumers } => write!(
                f,
                "record {id} was received {} times (by consumers {consumers:?})",
                consumers.len()
            ),
            Anomaly::Skip {
                consumer,
                partition,
                expected,
                got,
                unread,
            } => write!(
                f,
                "consumer {consumer} read offset {got} of partition {partition} when \
                 {expected} was next, and never read {unread} of the {} offsets in between",
                got.saturating_sub(*expected)
            ),
            Anomaly::Nonmonotonic {
                consumer,
                partition,
                previous,
                rewound,
                got,
            } => write!(
                f,
                "consumer {consumer} read offset {got} of partition {partition} after {} \
                 {previous} (going back needs a declared rewind)",
                if *rewound {
                    "rewinding to"
                } else {
                    "reading offset"
                }
            ),
            Anomaly::Unexpected { id, consumer } => write!(
                f,
                "consumer {consumer} received record {id}, which was never sent or whose \
                 send definitely failed"
            ),
        }
    }
}

#[derive(Debug, Clone)]
enum Event {
    Received {
        consumer: ClientId,
        id: RecordId,
        at: Option<(u32, u64)>,
    },
    Rewind {
        consumer: ClientId,
        partition: u32,
        to: u64,
    },
}

/// What producers sent and consumers received, for the anomaly rules of
/// queues and logs.
///
/// A queue or a log is not checked against a model: what matters is whether
/// every acknowledged message got through, once, in order. A [`Log`] records
/// what producers sent (with the outcome of each send) and what consumers
/// received (in each consumer's order, with the partition and offset for a
/// log), and [`Log::check`] lists the [`Anomaly`]s by rule:
///
/// - `lost`: an acknowledged record no consumer received by the end. (Check
///   after the consumers drained everything they should.)
/// - `duplicate`: a record received more than once. One [`Log`] is one
///   consumer group, which should process each record once as a whole; give
///   independent readers a log each. At-least-once delivery allows
///   duplicates: [`LogOptions::allow_duplicates`].
/// - `skip`: a consumer read offset `n`, then `n + k` (`k > 1`) in the same
///   partition without ever reading some of the offsets in between. Offsets
///   are dense, as in a log that numbers its records 0, 1, 2, ...
/// - `nonmonotonic`: a consumer's offsets in a partition went backwards.
///   Re-reading the last offset is not going backwards (it is a duplicate).
/// - `unexpected`: a consumer received a record that was never sent, or
///   whose send definitely failed (the queue's phantom write).
///
/// A consumer that legitimately moves (it restarts from a committed offset,
/// seeks, or is handed a partition again after a rebalance) declares it with
/// [`Log::rewind`]; its next read there is then checked against that
/// position instead.
///
/// ```
/// use kit::history::{Anomaly, Log, LogOptions, Outcome};
///
/// let mut log = Log::new();
/// log.sent(1, Outcome::Ok(()));
/// log.sent(2, Outcome::Ok(()));
/// log.sent(3, Outcome::Unknown); // may or may not have been stored
/// log.received_at(0, 0, 0, 1); // consumer 0 read record 1 at offset 0
/// assert_eq!(log.check(&LogOptions::default()), [Anomaly::Lost { id: 2 }]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Log {
    sent: Vec<(RecordId, Outcome<()>)>,
    events: Vec<Event>,
}

/// Where a consumer is in a partition.
enum Cursor {
    /// It last read this offset.
    Read(u64),
    /// It declared it continues from this offset.
    Rewound(u64),
}

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// A producer sent record `id` and was told `outcome`: `Ok(())` when the
    /// send was acknowledged (the record must not be lost), `Fail` when it
    /// certainly was not stored (it must never be received), `Unknown`
    /// otherwise (either is fine).
    pub fn sent(&mut self, id: RecordId, outcome: Outcome<()>) {
        self.sent.push((id, outcome));
    }

    /// `consumer` received record `id` from a queue (no offsets: only the
    /// `lost`, `duplicate` and `unexpected` rules apply).
    pub fn received(&mut self, consumer: ClientId, id: RecordId) {
        self.events.push(Event::Received {
            consumer,
            id,
            at: None,
        });
    }

    /// `consumer` read record `id` at `offset` of `partition`, its next read
    /// in program order.
    pub fn received_at(&mut self, consumer: ClientId, partition: u32, offset: u64, id: RecordId) {
        self.events.push(Event::Received {
            consumer,
            id,
            at: Some((partition, offset)),
        });
    }

    /// `consumer` continues in `partition` from offset `to` (a restart from
    /// a committed offset, a seek, a rebalance): its next read there should
    /// be `to`.
    pub fn rewind(&mut self, consumer: ClientId, partition: u32, to: u64) {
        self.events.push(Event::Rewind {
            consumer,
            partition,
            to,
        });
    }

    /// Every anomaly, in the order the events that show them were recorded
    /// (lost records last, in the order they were sent).
    pub fn check(&self, options: &LogOptions) -> Vec<Anomaly> {
        let acked: HashSet<RecordId> = self
            .sent
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Ok(())))
            .map(|&(id, _)| id)
            .collect();
        let maybe: HashSet<RecordId> = self
            .sent
            .iter()
            .filter(|(_, o)| !matches!(o, Outcome::Fail))
            .map(|&(id, _)| id)
            .collect();
        let mut out = Vec::new();
        // Per record, its receivers; for a duplicate, where its report goes.
        let mut receivers: HashMap<RecordId, (Vec<ClientId>, Option<usize>)> = HashMap::new();
        let mut cursors: HashMap<(ClientId, u32), Cursor> = HashMap::new();
        let mut read: HashMap<(ClientId, u32), BTreeSet<u64>> = HashMap::new();
        for event in &self.events {
            let (consumer, id, at) = match *event {
                Event::Rewind {
                    consumer,
                    partition,
                    to,
                } => {
                    cursors.insert((consumer, partition), Cursor::Rewound(to));
                    continue;
                }
                Event::Received { consumer, id, at } => (consumer, id, at),
            };
            let (who, slot) = receivers.entry(id).or_default();
            who.push(consumer);
            if who.len() == 1 && !maybe.contains(&id) {
                out.push(Anomaly::Unexpected { id, consumer });
            }
            if who.len() == 2 && !options.allow_duplicates {
                *slot = Some(out.len());
                out.push(Anomaly::Duplicate {
                    id,
                    consumers: Vec::new(),
                });
            }
            let Some((partition, offset)) = at else {
                continue;
            };
            let seen = read.entry((consumer, partition)).or_default();
            let (previous, rewound, expected) = match cursors.get(&(consumer, partition)) {
                None => (offset, false, offset),
                Some(&Cursor::Read(last)) => (last, false, last.saturating_add(1)),
                Some(&Cursor::Rewound(to)) => (to, true, to),
            };
            if offset < previous {
                out.push(Anomaly::Nonmonotonic {
                    consumer,
                    partition,
                    previous,
                    rewound,
                    got: offset,
                });
            } else if offset > expected {
                let unread = (offset - expected) - seen.range(expected..offset).count() as u64;
                if unread > 0 {
                    out.push(Anomaly::Skip {
                        consumer,
                        partition,
                        expected,
                        got: offset,
                        unread,
                    });
                }
            }
            seen.insert(offset);
            cursors.insert((consumer, partition), Cursor::Read(offset));
        }
        for (who, slot) in receivers.values() {
            if let Some(Anomaly::Duplicate { consumers, .. }) = slot.and_then(|i| out.get_mut(i)) {
                consumers.clone_from(who);
            }
        }
        let mut reported = HashSet::new();
        for &(id, _) in &self.sent {
            if acked.contains(&id) && !receivers.contains_key(&id) && reported.insert(id) {
                out.push(Anomaly::Lost { id });
            }
        }
        out
    }

    /// Panics with every anomaly unless there is none.
    #[track_caller]
    pub fn assert_ok(&self, options: &LogOptions) {
        let anomalies = self.check(options);
        if !anomalies.is_empty() {
            let list: Vec<String> = anomalies.iter().map(|a| format!("  {a}")).collect();
            panic!("{} log anomalies:\n{}", anomalies.len(), list.join("\n"));
        }
    }
}
