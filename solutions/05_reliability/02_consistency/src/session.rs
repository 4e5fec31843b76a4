//! Session guarantees (Terry et al., "Session guarantees for weakly
//! consistent replicated data", 1994) for key-value histories.

use std::collections::HashMap;
use std::fmt;

use crate::{ClientId, History, KvOp, KvRet, OpId};

/// A session guarantee (Terry et al., 1994), checked by [`check_session`].
/// A client is a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guarantee {
    /// A client sees its own acknowledged writes.
    ReadYourWrites,
    /// A client never sees a key go back to an older value.
    MonotonicReads,
    /// Every client sees one session's writes in the order it made them.
    MonotonicWrites,
}

/// A broken session guarantee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionViolation {
    /// The rule broken.
    pub guarantee: Guarantee,
    /// The key.
    pub key: u64,
    /// The offending read: the earliest invoked read that breaks the rule.
    pub read: OpId,
    /// The operation that makes `read` wrong (see [`check_session`]).
    pub evidence: OpId,
}

impl fmt::Display for SessionViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} broken on key {} by read {} (because of {})",
            self.guarantee, self.key, self.read, self.evidence
        )
    }
}

/// [`check_session`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionVerdict {
    /// Every client kept the guarantee.
    Ok,
    /// One did not.
    Violation(SessionViolation),
    /// The history does not meet the precondition (unique values). Never a
    /// pass.
    Unknown {
        /// Why, in a sentence.
        reason: String,
    },
}

/// Whether every client of the key-value `history` kept `guarantee`.
///
/// A history cannot tell in which order the store applied the writes, but
/// with unique values every read names the write it saw, and part of the
/// order is certain. Per key, leaving failed operations out:
///
/// - A *read* is a get that completed `Ok`, of the value it returned
///   (`None`, absent, is the key's initial value). Indefinite gets are
///   ignored. A *write* is a put that did not fail, of its value.
/// - Precondition: no two writes of a key write the same value, and a write
///   never writes the initial value (so a delete, which does, is not
///   supported). Else the verdict is [`SessionVerdict::Unknown`].
/// - What a client *has seen* of a key at a point of its program: the values
///   of its earlier reads, and of its earlier writes that completed `Ok`.
/// - *Known older*: the initial value is known older than every other
///   value; a value the writer of `v` had seen (of that key) when it invoked
///   the write of `v` is known older than `v` (a write reacts to what its
///   client knew); and the relation is transitive.
///
/// The rules, each about a read of a value `v` by a client `c`:
///
/// - **ReadYourWrites**: broken if `c` made an earlier write of that key
///   that completed `Ok` and `v` is known older than the latest such
///   write's value. Evidence: that write.
/// - **MonotonicReads**: broken if `c` made an earlier read of that key
///   after which `v` is ruled out: a read of a value `u` other than `v`
///   with `v` known older than `u`, or a read of a value other than `v`
///   right after a read of `v` (flip-flopping back to `v` is stale in one
///   direction or the other, whatever the store's order). Evidence: the
///   earliest such read.
/// - **MonotonicWrites**: broken if `v` was written by client `d`'s write
///   that completed `Ok`, and `c` earlier read the value of a later write of
///   `d` to that key (later in `d`'s program order; that write may be
///   indefinite). Evidence: `c`'s first read of the latest of `d`'s writes
///   it had read before.
///
/// The violation reported is the one whose read was invoked first.
/// Linearizable histories keep all three guarantees.
pub fn check_session(history: &History<KvOp, KvRet>, guarantee: Guarantee) -> SessionVerdict {
    let keys = match Keys::build(history) {
        Ok(keys) => keys,
        Err(reason) => return SessionVerdict::Unknown { reason },
    };
    let first = keys
        .keys
        .iter()
        .filter_map(|(key, data)| {
            let found = match guarantee {
                Guarantee::ReadYourWrites => data.read_your_writes(),
                Guarantee::MonotonicReads => data.monotonic_reads(),
                Guarantee::MonotonicWrites => data.monotonic_writes(),
            };
            found.map(|(read, evidence)| (read, evidence, *key))
        })
        .min_by_key(|&(read, _, _)| read);
    match first {
        None => SessionVerdict::Ok,
        Some((read, evidence, key)) => SessionVerdict::Violation(SessionViolation {
            guarantee,
            key,
            read,
            evidence,
        }),
    }
}

/// A value of a key: node 0 is the initial value.
type Node = usize;

/// Who wrote a value, and how much of its client's `seen` list it had seen.
struct Writer {
    client: ClientId,
    seen_before: usize,
    acked: bool,
    /// Its position among its client's writes of this key.
    seq: usize,
}

enum Event {
    Read { op: OpId, node: Node },
    Write { op: OpId, node: Node, acked: bool },
}

/// One key: its values, who wrote each, and each client's events.
#[derive(Default)]
struct Key {
    writers: Vec<Option<Writer>>,
    /// Per client: the values it has seen, in program order.
    seen: HashMap<ClientId, Vec<Node>>,
    /// Per client, in order of first appearance: its events.
    events: Vec<(ClientId, Vec<Event>)>,
}

struct Keys {
    keys: Vec<(u64, Key)>,
}

impl Keys {
    fn build(history: &History<KvOp, KvRet>) -> Result<Self, String> {
        let mut keys: Vec<(u64, Key)> = Vec::new();
        let mut index: HashMap<u64, (usize, HashMap<Option<u64>, Node>)> = HashMap::new();
        for op in history.ops().iter().filter(|o| !o.is_fail()) {
            let (k, read, wrote) = match (*op.op(), op.ret()) {
                (KvOp::Get(k), Some(&KvRet::Value(v))) => (k, Some(v), None),
                (KvOp::Get(_), _) => continue,
                (KvOp::Put(k, v), _) => (k, None, Some(Some(v))),
                (KvOp::Delete(k), _) => (k, None, Some(None)),
            };
            let (slot, values) = index.entry(k).or_insert_with(|| {
                keys.push((
                    k,
                    Key {
                        writers: vec![None],
                        ..Key::default()
                    },
                ));
                (keys.len() - 1, HashMap::from([(None, 0)]))
            });
            let key = &mut keys[*slot].1;
            let client = op.client();
            let e = match key.events.iter().position(|(c, _)| *c == client) {
                Some(e) => e,
                None => {
                    key.events.push((client, Vec::new()));
                    key.events.len() - 1
                }
            };
            if let Some(value) = read {
                let node = *values.entry(value).or_insert_with(|| {
                    key.writers.push(None); // nobody wrote it (yet)
                    key.writers.len() - 1
                });
                key.seen.entry(client).or_default().push(node);
                key.events[e].1.push(Event::Read { op: op.id(), node });
            }
            if let Some(value) = wrote {
                let duplicate = match values.get(&value) {
                    Some(&0) => true,
                    Some(&node) => key.writers[node].is_some(),
                    None => false,
                };
                if duplicate {
                    return Err(format!(
                        "the session checks need unique written values per key, but {} ({:?}) \
                         writes a value key {k} already had (written before, or the initial \
                         value, which a delete writes)",
                        op.id(),
                        op.op()
                    ));
                }
                let seq = key.events[e]
                    .1
                    .iter()
                    .filter(|ev| matches!(ev, Event::Write { .. }))
                    .count();
                let seen = key.seen.entry(client).or_default();
                let acked = !op.is_indefinite();
                let writer = Writer {
                    client,
                    seen_before: seen.len(),
                    acked,
                    seq,
                };
                let node = match values.get(&value) {
                    Some(&node) => node, // read before it was written
                    None => {
                        key.writers.push(None);
                        values.insert(value, key.writers.len() - 1);
                        key.writers.len() - 1
                    }
                };
                key.writers[node] = Some(writer);
                if acked {
                    seen.push(node);
                }
                key.events[e].1.push(Event::Write {
                    op: op.id(),
                    node,
                    acked,
                });
            }
        }
        Ok(Self { keys })
    }
}

impl Key {
    /// Every value known older than `node`, as a membership vector.
    fn older(&self, node: Node) -> Vec<bool> {
        let mut out = vec![false; self.writers.len()];
        if node != 0 {
            out[0] = true;
        }
        let mut stack = vec![node];
        while let Some(x) = stack.pop() {
            let Some(w) = &self.writers[x] else { continue };
            for &y in &self.seen[&w.client][..w.seen_before] {
                if !out[y] {
                    out[y] = true;
                    stack.push(y);
                }
            }
        }
        out
    }

    fn read_your_writes(&self) -> Option<(OpId, OpId)> {
        let mut older: HashMap<Node, Vec<bool>> = HashMap::new();
        let mut found: Option<(OpId, OpId)> = None;
        for (_, events) in &self.events {
            let mut last_write: Option<(Node, OpId)> = None;
            for event in events {
                match *event {
                    Event::Write { op, node, acked } => {
                        if acked {
                            last_write = Some((node, op));
                        }
                    }
                    Event::Read { op, node } => {
                        let Some((w, write)) = last_write else {
                            continue;
                        };
                        if older.entry(w).or_insert_with(|| self.older(w))[node] {
                            found = earliest(found, (op, write));
                            break;
                        }
                    }
                }
            }
        }
        found
    }

    fn monotonic_reads(&self) -> Option<(OpId, OpId)> {
        let mut older: HashMap<Node, Vec<bool>> = HashMap::new();
        let mut found: Option<(OpId, OpId)> = None;
        for (_, events) in &self.events {
            // Values this client must not read again, each with the read
            // that ruled it out.
            let mut ruled_out: HashMap<Node, OpId> = HashMap::new();
            let mut last: Option<Node> = None;
            for event in events {
                let Event::Read { op, node } = *event else {
                    continue;
                };
                if let Some(&evidence) = ruled_out.get(&node) {
                    found = earliest(found, (op, evidence));
                    break;
                }
                let bits = older.entry(node).or_insert_with(|| self.older(node));
                for (y, _) in bits.iter().enumerate().filter(|&(y, &b)| b && y != node) {
                    ruled_out.entry(y).or_insert(op);
                }
                if let Some(prev) = last.filter(|&prev| prev != node) {
                    ruled_out.entry(prev).or_insert(op);
                }
                last = Some(node);
            }
        }
        found
    }

    fn monotonic_writes(&self) -> Option<(OpId, OpId)> {
        let mut found: Option<(OpId, OpId)> = None;
        for (_, events) in &self.events {
            // Per writing client: the latest of its writes read, and the
            // first read of it.
            let mut latest: HashMap<ClientId, (usize, OpId)> = HashMap::new();
            for event in events {
                let Event::Read { op, node } = *event else {
                    continue;
                };
                let Some(w) = &self.writers[node] else {
                    continue;
                };
                match latest.get(&w.client) {
                    Some(&(seq, evidence)) if seq > w.seq && w.acked => {
                        found = earliest(found, (op, evidence));
                        break;
                    }
                    Some(&(seq, _)) if seq >= w.seq => {}
                    _ => {
                        latest.insert(w.client, (w.seq, op));
                    }
                }
            }
        }
        found
    }
}

/// Of two violations, the one whose read was invoked first (ids are in
/// invocation order).
fn earliest(found: Option<(OpId, OpId)>, v: (OpId, OpId)) -> Option<(OpId, OpId)> {
    match found {
        Some(f) if f.0 <= v.0 => Some(f),
        _ => Some(v),
    }
}
