//! Session guarantees (Terry et al., "Session guarantees for weakly
//! consistent replicated data", 1994) for histories of registers; the
//! definitions are on [`Guarantee`].

use std::collections::HashMap;

use super::report::{Report, op_ref};
use super::search::Bits;
use super::{Access, ClientId, History, Registers, Verdict};

/// A session guarantee for [`check_session`] (Terry et al., "Session
/// guarantees for weakly consistent replicated data", 1994).
///
/// What a history cannot tell is the order in which the store applied the
/// writes. With unique written values, though, every read names the write
/// it saw, and part of the order is certain: a write is newer than
/// everything its own session had seen (read, or written and acknowledged)
/// on that key before issuing it, since a write is a reaction to what its
/// client knew; and the initial value is older than every write. The
/// closure of those edges is the *known-older* relation of a key, and the
/// guarantees are checked against it, per key, per client (a client is a
/// session):
///
/// - **read-your-writes**: a read never returns a value known older than
///   the client's own last acknowledged write to that key.
/// - **monotonic-reads**: a read never returns a value known older than one
///   the client already read, nor, once the client read another value, a
///   value it read before (flip-flopping between two values is stale in one
///   direction or the other, whatever order the store picked).
/// - **monotonic-writes**: no client sees two writes of one session in the
///   reverse of their program order: after reading a client's later write,
///   it never reads an earlier one that was acknowledged before the later
///   one was issued.
///
/// The rules overlap by nature: reading client A's second write and then
/// its first breaks monotonic writes, or monotonic reads (a stale replica);
/// the history cannot say which, so both checks report it. Indefinite
/// writes may have been applied late and impose no order; reads of values
/// nobody wrote are left to the linearizability checker. Linearizable
/// histories keep all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guarantee {
    /// A client sees its own acknowledged writes.
    ReadYourWrites,
    /// A client never sees the value go back to an older one.
    MonotonicReads,
    /// Every client sees a session's writes in the order it made them.
    MonotonicWrites,
}

impl Guarantee {
    /// The rule's name in reports: `read-your-writes`, `monotonic-reads` or
    /// `monotonic-writes`.
    pub fn rule(self) -> &'static str {
        match self {
            Guarantee::ReadYourWrites => "read-your-writes",
            Guarantee::MonotonicReads => "monotonic-reads",
            Guarantee::MonotonicWrites => "monotonic-writes",
        }
    }
}

/// Whether every client of `history` kept `guarantee`, as [`Guarantee`]
/// defines it. Failed operations are left out; the report is about the
/// earliest offending read.
///
/// Needs unique values: no two writes to one key (failed ones aside) may
/// write the same value, nor the key's initial value, so that each read
/// maps to the write that produced it. Otherwise the verdict is
/// [`Verdict::Unknown`]. (A [`super::KvMap`] delete writes the initial
/// "absent" again, so histories with deletes are not supported.)
pub fn check_session<M: Registers>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    guarantee: Guarantee,
) -> Verdict {
    let keys = match Keys::build(model, history) {
        Ok(keys) => keys,
        Err(reason) => return Verdict::Unknown { steps: 0, reason },
    };
    let first = keys
        .keys
        .iter()
        .filter_map(|key| match guarantee {
            Guarantee::ReadYourWrites => key.read_your_writes(),
            Guarantee::MonotonicReads => key.monotonic_reads(),
            Guarantee::MonotonicWrites => key.monotonic_writes(),
        })
        .min_by_key(|v| history.ops()[v.read].invoked());
    let Some(v) = first else {
        return Verdict::Ok;
    };
    let read = &history.ops()[v.read];
    let evidence = op_ref(model, &history.ops()[v.evidence]);
    let source = match v.source {
        Some(w) => format!("written by {}", op_ref(model, &history.ops()[w])),
        None if v.initial => "the initial value".to_string(),
        None => "a value no operation wrote".to_string(),
    };
    let why = match guarantee {
        Guarantee::ReadYourWrites => format!(
            "the value it returns ({source}) is older than the client's own write {evidence}, \
             acknowledged before this read"
        ),
        Guarantee::MonotonicReads => format!(
            "the value it returns ({source}) is older than what the client already read at \
             {evidence}"
        ),
        Guarantee::MonotonicWrites => format!(
            "the value it returns ({source}) was written before a later write of the same \
             session, which this client already read at {evidence}"
        ),
    };
    let mut slice = vec![v.read, v.evidence];
    slice.extend(v.source);
    slice.extend(v.also);
    slice.sort_unstable();
    slice.dedup();
    Verdict::Violation(Box::new(
        Report::new(
            guarantee.rule(),
            model.partition(read.op()),
            Some(op_ref(model, read)),
            why,
        )
        .with_timeline(model, history, &slice, Some(v.read)),
    ))
}

/// A broken guarantee: the offending read, the operation that makes it
/// wrong, the write of the value it read (if any: else whether it was the
/// initial value), and one more operation worth drawing.
struct Violation {
    read: usize,
    evidence: usize,
    source: Option<usize>,
    initial: bool,
    also: Option<usize>,
}

/// Who wrote a value, and what its session had seen when it did.
struct Writer {
    op: usize,
    client: ClientId,
    /// How much of the client's `seen` list preceded the write.
    before: usize,
    /// Acknowledged, so it was applied before the client's next operation.
    definite: bool,
    /// Its position among the client's writes to this key.
    seq: usize,
}

/// One client's use of a key: what it did, in program order.
enum Step {
    Read { op: usize, node: usize },
    Write { node: usize, definite: bool },
}

/// One key's values (node 0 is the initial value) and its clients' steps.
#[derive(Default)]
struct Key {
    writers: Vec<Option<Writer>>,
    /// Per client: the values it saw, in program order.
    seen: HashMap<ClientId, Vec<usize>>,
    /// Per client, in order of first appearance: its steps.
    steps: Vec<(ClientId, Vec<Step>)>,
}

struct Keys {
    keys: Vec<Key>,
}

impl Keys {
    fn build<M: Registers>(model: &M, history: &History<M::Op, M::Ret>) -> Result<Self, String> {
        let mut keys: Vec<Key> = Vec::new();
        // Per key: its position in `keys`, and each value's node.
        type Nodes<V> = HashMap<V, usize>;
        let mut index: HashMap<M::Key, (usize, Nodes<M::Value>)> = HashMap::new();
        for (i, op) in history.ops().iter().enumerate() {
            if op.is_fail() {
                continue;
            }
            let access = model.access(op.op(), op.ret());
            let (key, read, wrote) = match access {
                Access::Read { key, value } => (key, Some(value), None),
                Access::Write { key, value } => (key, None, Some(value)),
                Access::Update { key, read, wrote } => (key, Some(read), Some(wrote)),
                Access::Other => continue,
            };
            let initial = model.initial(&key);
            let (k, values) = index.entry(key).or_insert_with(|| {
                keys.push(Key {
                    writers: vec![None],
                    ..Key::default()
                });
                (keys.len() - 1, HashMap::from([(initial.clone(), 0)]))
            });
            let kd = &mut keys[*k];
            let client = op.client();
            let s = match kd.steps.iter().position(|(c, _)| *c == client) {
                Some(s) => s,
                None => {
                    kd.steps.push((client, Vec::new()));
                    kd.steps.len() - 1
                }
            };
            if let Some(value) = read {
                let node = *values.entry(value).or_insert_with(|| {
                    kd.writers.push(None); // a value nobody wrote
                    kd.writers.len() - 1
                });
                kd.seen.entry(client).or_default().push(node);
                kd.steps[s].1.push(Step::Read { op: i, node });
            }
            if let Some(value) = wrote {
                let duplicate = match values.get(&value) {
                    Some(&0) => true,
                    Some(&node) => kd.writers[node].is_some(),
                    None => false,
                };
                if duplicate {
                    let at = match model.partition(op.op()) {
                        Some(key) => format!("key {key}"),
                        None => "the register".to_string(),
                    };
                    return Err(format!(
                        "check_session needs unique written values, so that each read maps to \
                         the write that produced it, but {} ({}) writes a value that {at} \
                         already had (written before, or the initial value; a delete writes \
                         the initial value again)",
                        op_ref(model, op),
                        op.id()
                    ));
                }
                let seen = kd.seen.entry(client).or_default();
                let seq = kd.steps[s]
                    .1
                    .iter()
                    .filter(|step| matches!(step, Step::Write { .. }))
                    .count();
                let writer = Writer {
                    op: i,
                    client,
                    before: seen.len(),
                    definite: !op.is_indefinite(),
                    seq,
                };
                let definite = writer.definite;
                let node = match values.get(&value) {
                    Some(&node) => {
                        // Read before it was written: keep the node.
                        kd.writers[node] = Some(writer);
                        node
                    }
                    None => {
                        kd.writers.push(Some(writer));
                        values.insert(value, kd.writers.len() - 1);
                        kd.writers.len() - 1
                    }
                };
                if definite {
                    seen.push(node);
                }
                kd.steps[s].1.push(Step::Write { node, definite });
            }
        }
        Ok(Self { keys })
    }
}

impl Key {
    /// Every value known older than `node`.
    fn older(&self, node: usize) -> Bits {
        let mut out = Bits::new(self.writers.len());
        if node != 0 {
            out.set(0);
        }
        // Each client's `before` lists are prefixes of one list, so one
        // walk per client covers all of its writes.
        let mut expanded: HashMap<ClientId, usize> = HashMap::new();
        let mut stack = vec![node];
        while let Some(x) = stack.pop() {
            let Some(w) = &self.writers[x] else { continue };
            let done = expanded.entry(w.client).or_insert(0);
            if *done >= w.before {
                continue;
            }
            for &y in &self.seen[&w.client][*done..w.before] {
                if !out.get(y) {
                    out.set(y);
                    stack.push(y);
                }
            }
            *done = w.before;
        }
        out
    }

    fn source(&self, node: usize) -> Option<usize> {
        self.writers[node].as_ref().map(|w| w.op)
    }

    fn read_your_writes(&self) -> Option<Violation> {
        let mut older: HashMap<usize, Bits> = HashMap::new();
        let mut found: Option<Violation> = None;
        for (_, steps) in &self.steps {
            let mut last_write: Option<usize> = None;
            for step in steps {
                match *step {
                    Step::Write { node, definite } => {
                        if definite {
                            last_write = Some(node);
                        }
                    }
                    Step::Read { op, node } => {
                        let Some(w) = last_write else { continue };
                        let stale = older.entry(w).or_insert_with(|| self.older(w)).get(node);
                        if stale {
                            found = earliest(
                                found,
                                Violation {
                                    read: op,
                                    evidence: self.source(w).unwrap_or(op),
                                    source: self.source(node),
                                    initial: node == 0,
                                    also: None,
                                },
                            );
                            break;
                        }
                    }
                }
            }
        }
        found
    }

    fn monotonic_reads(&self) -> Option<Violation> {
        let mut older: HashMap<usize, Bits> = HashMap::new();
        let mut found: Option<Violation> = None;
        for (_, steps) in &self.steps {
            // Values this client must not read again, each with the read
            // that ruled it out.
            let mut ruled_out: HashMap<usize, usize> = HashMap::new();
            let mut last: Option<usize> = None;
            for step in steps {
                let Step::Read { op, node } = *step else {
                    continue;
                };
                if let Some(&evidence) = ruled_out.get(&node) {
                    found = earliest(
                        found,
                        Violation {
                            read: op,
                            evidence,
                            source: self.source(node),
                            initial: node == 0,
                            also: self.read_source(evidence),
                        },
                    );
                    break;
                }
                let bits = older.entry(node).or_insert_with(|| self.older(node));
                for y in (0..self.writers.len()).filter(|&y| y != node && bits.get(y)) {
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

    fn monotonic_writes(&self) -> Option<Violation> {
        let mut found: Option<Violation> = None;
        for (_, steps) in &self.steps {
            // Per writing client: the latest of its writes this client read.
            let mut latest: HashMap<ClientId, (usize, usize)> = HashMap::new();
            for step in steps {
                let Step::Read { op, node } = *step else {
                    continue;
                };
                let Some(w) = &self.writers[node] else {
                    continue;
                };
                match latest.get(&w.client) {
                    Some(&(seq, evidence)) if seq > w.seq && w.definite => {
                        found = earliest(
                            found,
                            Violation {
                                read: op,
                                evidence,
                                source: Some(w.op),
                                initial: false,
                                also: self.read_source(evidence),
                            },
                        );
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

    /// The write whose value the read `op` returned.
    fn read_source(&self, op: usize) -> Option<usize> {
        self.steps
            .iter()
            .flat_map(|(_, s)| s)
            .find_map(|step| match *step {
                Step::Read { op: o, node } if o == op => self.source(node),
                _ => None,
            })
    }
}

/// Of two violations, the one whose read came first (op indices are in
/// invocation order).
fn earliest(found: Option<Violation>, v: Violation) -> Option<Violation> {
    match found {
        Some(f) if f.read <= v.read => Some(f),
        _ => Some(v),
    }
}
