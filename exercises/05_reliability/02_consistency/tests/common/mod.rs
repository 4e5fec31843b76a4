//! What the stages share: the textbook histories, a spec that counts its
//! steps, converters to the course's own checkers (`kit::history`, the
//! oracle of the differential tests), seeded generators of small random
//! histories and of histories from buggy replicated stores, and readers of
//! counterexamples and timelines.

#![allow(dead_code)] // each stage uses part of it

use std::cell::Cell;

use consistency::*;
use kit::history as oracle;
use kit::rng::Rng;

pub type CasHistory = History<CasOp, RegisterRet>;
pub type KvHistory = History<KvOp, KvRet>;

pub const CAS: CasRegister = CasRegister { init: 0 };

// ------------------------------------------------------------ building

/// Records `(client, op)` invoked and completed Ok with `ret` at once.
pub fn done<Op, Ret>(h: &mut History<Op, Ret>, client: ClientId, op: Op, ret: Ret) -> OpId {
    let id = h.invoke(client, op);
    h.ok(id, ret);
    id
}

pub fn w(v: u64) -> CasOp {
    CasOp::Write(v)
}

pub fn val(v: u64) -> RegisterRet {
    RegisterRet::Value(v)
}

pub const DONE: RegisterRet = RegisterRet::Done;

/// A textbook history of a compare-and-set register starting at 0.
pub struct Case {
    pub name: &'static str,
    pub history: CasHistory,
    pub linearizable: bool,
    /// Why the verdict is what it is, for the assertion message.
    pub why: &'static str,
}

/// The textbook histories of a register (initial value 0), each with its
/// verdict.
pub fn textbook() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut case = |name, linearizable, why, build: &dyn Fn(&mut CasHistory)| {
        let mut history = History::new();
        build(&mut history);
        cases.push(Case {
            name,
            history,
            linearizable,
            why,
        });
    };
    case("empty", true, "no operations need no order", &|_| {});
    case(
        "write then read",
        true,
        "a read after a completed write sees it",
        &|h| {
            done(h, 0, w(1), DONE);
            done(h, 1, CasOp::Read, val(1));
        },
    );
    case(
        "stale read",
        false,
        "the write completed before the read was invoked, so real time puts it first, and \
         the read must see 1; a checker that ignores real time accepts this",
        &|h| {
            done(h, 0, w(1), DONE);
            done(h, 1, CasOp::Read, val(0));
        },
    );
    case(
        "concurrent read sees the old value",
        true,
        "a read overlapping a write may be ordered before it",
        &|h| {
            let a = h.invoke(0, w(1));
            let r = h.invoke(1, CasOp::Read);
            h.ok(r, val(0));
            h.ok(a, DONE);
        },
    );
    case(
        "concurrent read sees the new value",
        true,
        "a read overlapping a write may be ordered after it",
        &|h| {
            let a = h.invoke(0, w(1));
            let r = h.invoke(1, CasOp::Read);
            h.ok(r, val(1));
            h.ok(a, DONE);
        },
    );
    case(
        "read from the future",
        false,
        "the read completed before the write of 1 was invoked, so it cannot see it",
        &|h| {
            done(h, 1, CasOp::Read, val(1));
            done(h, 0, w(1), DONE);
        },
    );
    case(
        "new-old inversion",
        false,
        "once a read returned the new value, a later read must not return the old one, even \
         while the write is still running",
        &|h| {
            let a = h.invoke(0, w(1));
            done(h, 1, CasOp::Read, val(1));
            done(h, 2, CasOp::Read, val(0));
            h.ok(a, DONE);
        },
    );
    case(
        "lost update",
        false,
        "two concurrent cas(0, _) cannot both swap: the second one finds the first one's value",
        &|h| {
            let a = h.invoke(0, CasOp::Cas { expect: 0, new: 1 });
            let b = h.invoke(1, CasOp::Cas { expect: 0, new: 2 });
            h.ok(a, RegisterRet::Swapped(true));
            h.ok(b, RegisterRet::Swapped(true));
        },
    );
    case(
        "cas race, one wins",
        true,
        "one concurrent cas swaps and the other sees its value",
        &|h| {
            let a = h.invoke(0, CasOp::Cas { expect: 0, new: 1 });
            let b = h.invoke(1, CasOp::Cas { expect: 0, new: 2 });
            h.ok(a, RegisterRet::Swapped(true));
            h.ok(b, RegisterRet::Swapped(false));
            done(h, 2, CasOp::Read, val(1));
        },
    );
    case(
        "crashed write seen later",
        true,
        "a write that timed out may have taken effect; a later read of its value proves it \
         did. A checker that treats Unknown as failed rejects this",
        &|h| {
            let a = h.invoke(0, w(1));
            h.unknown(a);
            done(h, 1, CasOp::Read, val(1));
        },
    );
    case(
        "crashed write never seen",
        true,
        "a write that timed out may never have taken effect",
        &|h| {
            let a = h.invoke(0, w(1));
            h.unknown(a);
            done(h, 1, CasOp::Read, val(0));
            done(h, 1, CasOp::Read, val(0));
        },
    );
    case(
        "crashed write lands after its timeout",
        true,
        "a timed-out request may still be in flight: the write can take effect after the \
         client saw Unknown, between the two reads. A checker that makes it take effect \
         before its Unknown completion rejects this",
        &|h| {
            let a = h.invoke(0, w(1));
            h.unknown(a);
            done(h, 1, CasOp::Read, val(0));
            done(h, 1, CasOp::Read, val(1));
        },
    );
    case(
        "write still running at the end",
        true,
        "an operation that never completed is indefinite: it may take effect",
        &|h| {
            h.invoke(0, w(1));
            done(h, 1, CasOp::Read, val(1));
        },
    );
    case(
        "failed write seen",
        false,
        "a write that failed certainly took no effect, so nobody can read its value",
        &|h| {
            let a = h.invoke(0, w(1));
            h.fail(a);
            done(h, 1, CasOp::Read, val(1));
        },
    );
    case(
        "crashed write seen, then undone",
        false,
        "the crashed write took effect (a read saw 1), and nothing wrote 0 again",
        &|h| {
            let a = h.invoke(0, w(1));
            h.unknown(a);
            done(h, 1, CasOp::Read, val(1));
            done(h, 1, CasOp::Read, val(0));
        },
    );
    cases
}

/// `n` writes of 1..=n, all concurrent, then (after all of them completed)
/// one read returning `read`. Linearizable when `read` is one of 1..=n.
/// A search that does not memoise tries up to n! orders of the writes.
pub fn concurrent_writes(n: u64, read: u64) -> CasHistory {
    let mut h = History::new();
    let ids: Vec<OpId> = (1..=n)
        .map(|v| h.invoke(v as ClientId, CasOp::Write(v)))
        .collect();
    for id in ids {
        h.ok(id, DONE);
    }
    done(&mut h, 0, CasOp::Read, val(read));
    h
}

// ------------------------------------------------------------ counting

/// A spec that counts every call of `step`: how much work a search did.
pub struct Counting<S> {
    pub inner: S,
    calls: Cell<u64>,
}

impl<S> Counting<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            calls: Cell::new(0),
        }
    }

    pub fn calls(&self) -> u64 {
        self.calls.get()
    }
}

impl<S: Spec> Spec for Counting<S> {
    type State = S::State;
    type Op = S::Op;
    type Ret = S::Ret;
    type Key = S::Key;

    fn init(&self) -> S::State {
        self.inner.init()
    }

    fn step(&self, state: &S::State, op: &S::Op, ret: Option<&S::Ret>) -> Option<S::State> {
        self.calls.set(self.calls.get() + 1);
        self.inner.step(state, op, ret)
    }

    fn key(&self, op: &S::Op) -> S::Key {
        self.inner.key(op)
    }

    fn describe(&self, op: &S::Op, ret: Option<&S::Ret>) -> String {
        self.inner.describe(op, ret)
    }
}

// ------------------------------------------------------------ the oracle

/// Replays `h`'s events in time order into a history of the oracle.
fn replay<A, B, RA, RB: Clone>(
    h: &History<A, RA>,
    op: impl Fn(&A) -> B,
    ret: impl Fn(&RA) -> RB,
) -> oracle::History<B, RB> {
    let mut events: Vec<(u64, usize, bool)> = Vec::new();
    for (i, o) in h.ops().iter().enumerate() {
        events.push((o.invoked(), i, true));
        if let Some(t) = o.completed() {
            events.push((t, i, false));
        }
    }
    events.sort_unstable();
    let mut out = oracle::History::new();
    let mut ids = vec![None; h.len()];
    for (_, i, invoke) in events {
        let o = &h.ops()[i];
        if invoke {
            ids[i] = Some(out.invoke(o.client(), op(o.op())));
            continue;
        }
        let id = ids[i].expect("invoked before completed");
        match o.outcome() {
            Some(Outcome::Ok(r)) => out.ok(id, ret(r)),
            Some(Outcome::Fail) => out.fail(id),
            _ => out.unknown(id),
        }
    }
    out
}

pub type OracleCas = oracle::History<oracle::RegisterOp<u64>, oracle::RegisterRet<u64>>;
pub type OracleKv = oracle::History<oracle::KvOp<u64, u64>, oracle::KvRet<u64>>;

pub fn to_oracle_cas(h: &CasHistory) -> OracleCas {
    replay(
        h,
        |op| match *op {
            CasOp::Read => oracle::RegisterOp::Read,
            CasOp::Write(v) => oracle::RegisterOp::Write(v),
            CasOp::Cas { expect, new } => oracle::RegisterOp::Cas { expect, new },
        },
        |ret| match *ret {
            RegisterRet::Value(v) => oracle::RegisterRet::Value(v),
            RegisterRet::Done => oracle::RegisterRet::Done,
            RegisterRet::Swapped(b) => oracle::RegisterRet::Swapped(b),
        },
    )
}

pub fn to_oracle_kv(h: &KvHistory) -> OracleKv {
    replay(
        h,
        |op| match *op {
            KvOp::Get(k) => oracle::KvOp::Get(k),
            KvOp::Put(k, v) => oracle::KvOp::Put(k, v),
            KvOp::Delete(k) => oracle::KvOp::Delete(k),
        },
        |ret| match *ret {
            KvRet::Value(v) => oracle::KvRet::Value(v),
            KvRet::Done => oracle::KvRet::Done,
        },
    )
}

/// The oracle's generated key-value history, as a history of this crate.
pub fn from_oracle_kv(h: &OracleKv) -> KvHistory {
    let mut events: Vec<(u64, usize, bool)> = Vec::new();
    for (i, o) in h.ops().iter().enumerate() {
        events.push((o.invoked(), i, true));
        if let Some(t) = o.completed() {
            events.push((t, i, false));
        }
    }
    events.sort_unstable();
    let mut out = History::new();
    let mut ids = vec![None; h.len()];
    for (_, i, invoke) in events {
        let o = &h.ops()[i];
        if invoke {
            let op = match *o.op() {
                oracle::KvOp::Get(k) => KvOp::Get(k),
                oracle::KvOp::Put(k, v) => KvOp::Put(k, v),
                oracle::KvOp::Delete(k) => KvOp::Delete(k),
            };
            ids[i] = Some(out.invoke(o.client(), op));
            continue;
        }
        let id = ids[i].expect("invoked before completed");
        match o.outcome() {
            Some(oracle::Outcome::Ok(oracle::KvRet::Value(v))) => out.ok(id, KvRet::Value(*v)),
            Some(oracle::Outcome::Ok(oracle::KvRet::Done)) => out.ok(id, KvRet::Done),
            Some(oracle::Outcome::Fail) => out.fail(id),
            _ => out.unknown(id),
        }
    }
    out
}

/// A correct store's history from the oracle's generator.
pub fn oracle_kv(seed: u64, ops: usize, keys: u64, clients: usize, stale_reads: f64) -> KvHistory {
    from_oracle_kv(&oracle::kv_history(&oracle::KvWorkload {
        seed,
        ops,
        keys,
        clients,
        indefinite: 0.03,
        failures: 0.02,
        stale_reads,
        deletes: 0.0,
    }))
}

/// The oracle's linearizability verdict: `Some(true)` linearizable,
/// `Some(false)` not, `None` undecided; with the number of definite
/// operations in its longest good prefix when not.
pub fn oracle_linearizable_cas(h: &CasHistory, budget: u64) -> (Option<bool>, usize) {
    let o = to_oracle_cas(h);
    verdict_of(
        &oracle::check_linearizable(&oracle::Register::new(0), &o, budget),
        &o,
    )
}

pub fn oracle_linearizable_kv(h: &KvHistory, budget: u64) -> (Option<bool>, usize) {
    let o = to_oracle_kv(h);
    verdict_of(
        &oracle::check_linearizable(&oracle::KvMap::new(), &o, budget),
        &o,
    )
}

pub fn oracle_sequential_kv(h: &KvHistory, budget: u64) -> Option<bool> {
    let o = to_oracle_kv(h);
    verdict_of(
        &oracle::check_sequential(&oracle::KvMap::new(), &o, budget),
        &o,
    )
    .0
}

pub fn oracle_sequential_cas(h: &CasHistory, budget: u64) -> Option<bool> {
    let o = to_oracle_cas(h);
    verdict_of(
        &oracle::check_sequential(&oracle::Register::new(0), &o, budget),
        &o,
    )
    .0
}

fn verdict_of<Op, Ret>(v: &oracle::Verdict, h: &oracle::History<Op, Ret>) -> (Option<bool>, usize) {
    match v {
        oracle::Verdict::Ok => (Some(true), 0),
        oracle::Verdict::Violation(report) => {
            let definite = report
                .prefix
                .iter()
                .filter(|r| !h.ops()[r.id.index()].is_indefinite())
                .count();
            (Some(false), definite)
        }
        oracle::Verdict::Unknown { .. } => (None, 0),
    }
}

/// The oracle's session verdict: `Some(Some(read))` a violation at that
/// read (an index), `Some(None)` kept, `None` undecided.
pub fn oracle_session(h: &KvHistory, g: Guarantee) -> Option<Option<usize>> {
    let o = to_oracle_kv(h);
    let g = match g {
        Guarantee::ReadYourWrites => oracle::Guarantee::ReadYourWrites,
        Guarantee::MonotonicReads => oracle::Guarantee::MonotonicReads,
        Guarantee::MonotonicWrites => oracle::Guarantee::MonotonicWrites,
    };
    match oracle::check_session(&oracle::KvMap::new(), &o, g) {
        oracle::Verdict::Ok => Some(None),
        oracle::Verdict::Violation(report) => Some(report.op.as_ref().map(|r| r.id.index())),
        oracle::Verdict::Unknown { .. } => None,
    }
}

/// This crate's verdict in the oracle's terms.
pub fn decided<K, St>(v: &Verdict<K, St>) -> Option<bool> {
    match v {
        Verdict::Ok => Some(true),
        Verdict::Violation(_) => Some(false),
        Verdict::Unknown { .. } => None,
    }
}

// ------------------------------------------------------------ generators

/// A small random history of a compare-and-set register: `clients`
/// clients, `ops` operations on values 0..=3, run against a real register
/// that applies each operation at a random moment of its interval; then
/// some outcomes turn indefinite, some fail, and, with probability
/// `corrupt` each, a return value is replaced by a random one (most
/// corrupted histories are not linearizable).
pub fn random_cas(seed: u64, clients: usize, ops: usize, corrupt: f64, cas: bool) -> CasHistory {
    let mut rng = Rng::new(seed).stream("random_cas");
    let mut h = History::new();
    let mut value = 0u64;
    // Per client: (id, op, applied return value).
    let mut open: Vec<Option<(OpId, CasOp, Option<RegisterRet>)>> = vec![None; clients];
    let mut invoked = 0;
    while invoked < ops || open.iter().any(Option::is_some) {
        let c = rng.below(clients as u64) as usize;
        match open[c].take() {
            None if invoked < ops => {
                let op = match rng.below(if cas { 3 } else { 2 }) {
                    0 => CasOp::Read,
                    1 => CasOp::Write(rng.range(1..4)),
                    _ => CasOp::Cas {
                        expect: rng.below(4),
                        new: rng.range(1..4),
                    },
                };
                invoked += 1;
                open[c] = Some((h.invoke(c, op), op, None));
            }
            None => {}
            Some((id, op, None)) => {
                if rng.chance(0.06) {
                    h.fail(id);
                } else if rng.chance(0.08) {
                    h.unknown(id); // never applied, or later (below)
                } else {
                    let ret = match op {
                        CasOp::Read => RegisterRet::Value(value),
                        CasOp::Write(v) => {
                            value = v;
                            DONE
                        }
                        CasOp::Cas { expect, new } => {
                            let swap = value == expect;
                            if swap {
                                value = new;
                            }
                            RegisterRet::Swapped(swap)
                        }
                    };
                    open[c] = Some((id, op, Some(ret)));
                }
            }
            Some((id, op, Some(ret))) => {
                if rng.chance(0.08) {
                    h.unknown(id); // applied, reply lost
                } else if rng.chance(corrupt) {
                    let wrong = match op {
                        CasOp::Read => RegisterRet::Value(rng.below(4)),
                        CasOp::Write(_) => DONE,
                        CasOp::Cas { .. } => RegisterRet::Swapped(rng.chance(0.5)),
                    };
                    h.ok(id, wrong);
                } else {
                    h.ok(id, ret);
                }
            }
        }
    }
    h
}

/// The bug a [`replicated`] store has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bug {
    /// None: reads and writes at the leader.
    Correct,
    /// Reads go to a random replica, followers lag behind the leader.
    StaleFollowerReads,
    /// The leader acknowledges before replicating, then crashes; a lagging
    /// follower takes over and the unreplicated writes are lost.
    AsyncReplicationLoss,
    /// A partition splits the clients; each half has a leader of its own.
    SplitBrain,
}

pub const BUGS: [Bug; 4] = [
    Bug::Correct,
    Bug::StaleFollowerReads,
    Bug::AsyncReplicationLoss,
    Bug::SplitBrain,
];

/// A key-value history of `clients` clients against a store of three
/// replicas with `bug`: puts of unique values and gets on `keys` keys,
/// about 6% of operations timing out (applied or not), 2% refused.
pub fn replicated(seed: u64, bug: Bug, ops: usize, keys: u64, clients: usize) -> KvHistory {
    use std::collections::BTreeMap;
    let mut rng = Rng::new(seed).stream("replicated");
    let mut h = History::new();
    let mut replicas: Vec<BTreeMap<u64, u64>> = vec![BTreeMap::new(); 3];
    // The leader's log of puts, and how far each replica has applied it.
    let mut log: Vec<(u64, u64)> = Vec::new();
    let mut applied = [0usize; 3];
    let mut leader = 0usize;
    // Split brain: from `split_at` invocations on, clients of odd ids use
    // replica 2 as a leader of their own.
    let split_at = ops / 3 + rng.below((ops / 3).max(1) as u64) as usize;
    let crash_at = ops / 4 + rng.below((ops / 2).max(1) as u64) as usize;
    let mut crashed = false;
    let mut next_value = 1u64;
    let mut open: Vec<Option<(OpId, KvOp, Option<KvRet>)>> = vec![None; clients];
    let mut invoked = 0;
    while invoked < ops || open.iter().any(Option::is_some) {
        // Replication: followers apply the leader's log with a lag.
        let split = bug == Bug::SplitBrain && invoked >= split_at;
        for r in 0..3 {
            if split && r == 2 {
                continue; // cut off from the leader
            }
            if r != leader && applied[r] < log.len() && rng.chance(0.08) {
                let (k, v) = log[applied[r]];
                replicas[r].insert(k, v);
                applied[r] += 1;
            }
        }
        if bug == Bug::AsyncReplicationLoss && !crashed && invoked >= crash_at {
            // Replica 1 takes over with what it has; the rest of the log,
            // acknowledged or not, is gone. The others roll back to it.
            crashed = true;
            leader = 1;
            log.truncate(applied[1]);
            applied[2] = applied[2].min(log.len());
            replicas[2] = log[..applied[2]].iter().copied().collect();
            replicas[0] = replicas[1].clone();
            applied[0] = log.len();
        }
        let c = rng.below(clients as u64) as usize;
        match open[c].take() {
            None if invoked < ops => {
                let key = rng.below(keys);
                let op = if rng.chance(0.5) {
                    KvOp::Get(key)
                } else {
                    next_value += 1;
                    KvOp::Put(key, next_value - 1)
                };
                invoked += 1;
                open[c] = Some((h.invoke(c, op), op, None));
            }
            None => {}
            Some((id, op, None)) => {
                if rng.chance(0.02) {
                    h.fail(id);
                } else if rng.chance(0.03) {
                    h.unknown(id); // the request was lost
                } else {
                    let ret = match op {
                        KvOp::Get(k) => {
                            let r = match bug {
                                Bug::StaleFollowerReads => rng.below(3) as usize,
                                _ if split && c % 2 == 1 => 2,
                                _ => leader,
                            };
                            KvRet::Value(replicas[r].get(&k).copied())
                        }
                        KvOp::Put(k, v) => {
                            if split && c % 2 == 1 {
                                replicas[2].insert(k, v);
                            } else {
                                replicas[leader].insert(k, v);
                                log.push((k, v));
                                applied[leader] = log.len();
                            }
                            KvRet::Done
                        }
                        KvOp::Delete(_) => unreachable!("no deletes generated"),
                    };
                    open[c] = Some((id, op, Some(ret)));
                }
            }
            Some((id, _, Some(ret))) => {
                if rng.chance(0.03) {
                    h.unknown(id); // applied, the reply was lost
                } else {
                    h.ok(id, ret);
                }
            }
        }
    }
    h
}

// ------------------------------------------------------------ reading results

/// Why a counterexample's prefix is not a good prefix of `ops` (history
/// indices of one key), or `None` if it is: legal for the spec, and every
/// definite operation of `ops` that completed before one of the prefix's
/// operations was invoked is earlier in the prefix. Returns the state after
/// it as well.
pub fn check_good_prefix<S: Spec>(
    spec: &S,
    h: &History<S::Op, S::Ret>,
    ops: &[usize],
    prefix: &[OpId],
) -> Result<S::State, String> {
    let mut state = spec.init();
    for (n, id) in prefix.iter().enumerate() {
        let Some(o) = h.get(*id) else {
            return Err(format!("{id} is not an operation of the history"));
        };
        if !ops.contains(&id.index()) {
            return Err(format!("{id} is not an operation of the key checked"));
        }
        if o.is_fail() {
            return Err(format!("{id} failed, so it took no effect"));
        }
        if prefix[..n].contains(id) {
            return Err(format!("{id} appears twice"));
        }
        for &j in ops {
            let before = &h.ops()[j];
            let must_precede = !before.is_fail()
                && !before.is_indefinite()
                && before.completed().is_some_and(|t| t < o.invoked());
            if must_precede && !prefix[..n].contains(&before.id()) {
                return Err(format!(
                    "{id} is placed before {}, which completed before {id} was invoked",
                    before.id()
                ));
            }
        }
        state = spec
            .step(&state, o.op(), o.ret())
            .ok_or_else(|| format!("{id} is illegal at its place in the prefix"))?;
    }
    Ok(state)
}

/// The most definite operations any good prefix of `ops` (history indices,
/// some key's) has: found by trying every prefix. For small histories.
pub fn max_good_prefix<S: Spec>(spec: &S, h: &History<S::Op, S::Ret>, ops: &[usize]) -> usize {
    fn go<S: Spec>(
        spec: &S,
        h: &History<S::Op, S::Ret>,
        ops: &[usize],
        placed: &mut Vec<bool>,
        state: &S::State,
        definite: usize,
    ) -> usize {
        let mut best = definite;
        for (n, &i) in ops.iter().enumerate() {
            let o = &h.ops()[i];
            if placed[n] || o.is_fail() {
                continue;
            }
            let blocked = ops.iter().enumerate().any(|(m, &j)| {
                let b = &h.ops()[j];
                !placed[m]
                    && !b.is_fail()
                    && !b.is_indefinite()
                    && b.completed().is_some_and(|t| t < o.invoked())
            });
            if blocked {
                continue;
            }
            if let Some(next) = spec.step(state, o.op(), o.ret()) {
                placed[n] = true;
                let d = definite + usize::from(!o.is_indefinite());
                best = best.max(go(spec, h, ops, placed, &next, d));
                placed[n] = false;
            }
        }
        best
    }
    let mut placed = vec![false; ops.len()];
    go(spec, h, ops, &mut placed, &spec.init(), 0)
}

/// One bar of a drawn timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub client: ClientId,
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub fill: char,
    pub mark: char,
}

/// Reads a timeline back into bars (columns are character positions in the
/// line), checking the line form on the way: `client ID`, the ids padded to
/// the widest, two spaces, then the bars, the earliest one at that column.
pub fn parse_timeline(text: &str) -> Result<Vec<Bar>, String> {
    let mut bars = Vec::new();
    let mut widest = 0;
    let mut clients = Vec::new();
    for line in text.lines() {
        if line.ends_with(' ') {
            return Err(format!("line {line:?} has trailing spaces"));
        }
        let rest = line
            .strip_prefix("client ")
            .ok_or_else(|| format!("line {line:?} does not start with `client `"))?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let client: ClientId = digits
            .parse()
            .map_err(|_| format!("line {line:?} has no client id"))?;
        widest = widest.max(digits.len());
        clients.push(client);
        let chars: Vec<char> = line.chars().collect();
        let mut i = "client ".len() + digits.len();
        while i < chars.len() {
            match chars[i] {
                ' ' => i += 1,
                '|' => {
                    let start = i;
                    let mut j = i + 1;
                    // The bar ends at the first end mark after a filler.
                    while j < chars.len()
                        && !(matches!(chars[j], '|' | '?' | 'x')
                            && matches!(chars[j - 1], '-' | '='))
                    {
                        j += 1;
                    }
                    if j >= chars.len() {
                        return Err(format!("a bar in line {line:?} has no end mark"));
                    }
                    let inner: String = chars[start + 1..j].iter().collect();
                    let fill = chars[start + 1];
                    if !matches!(fill, '-' | '=') || !inner.ends_with(fill) {
                        return Err(format!(
                            "bar {inner:?} in line {line:?} needs filler (- or =) on both sides \
                             of its label"
                        ));
                    }
                    bars.push(Bar {
                        client,
                        start,
                        end: j,
                        label: inner.trim_matches(fill).to_string(),
                        fill,
                        mark: chars[j],
                    });
                    i = j + 1;
                }
                other => {
                    return Err(format!(
                        "unexpected {other:?} at column {i} of line {line:?} (outside a bar)"
                    ));
                }
            }
        }
    }
    if !clients.windows(2).all(|w| w[0] < w[1]) {
        return Err(format!(
            "lines are not one per client in increasing order: {clients:?}"
        ));
    }
    let origin = "client ".len() + widest + 2;
    let first = bars.iter().map(|b| b.start).min();
    if first.is_some_and(|f| f != origin) {
        return Err(format!(
            "the earliest bar starts at column {first:?}, not at {origin} (`client `, the id \
             padded to the widest, two spaces)"
        ));
    }
    Ok(bars)
}

/// What a counterexample's timeline draws: `focus`, every operation of
/// `members` (history indices) whose interval overlaps it, and the 3 of
/// `members` that completed last before it was invoked; in id order.
pub fn expected_slice<Op, Ret>(h: &History<Op, Ret>, members: &[usize], focus: OpId) -> Vec<OpId> {
    let end = |o: &Operation<Op, Ret>| o.completed().unwrap_or(u64::MAX);
    let f = &h.ops()[focus.index()];
    let mut out: Vec<OpId> = members
        .iter()
        .map(|&i| &h.ops()[i])
        .filter(|o| o.invoked() < end(f) && end(o) > f.invoked())
        .map(|o| o.id())
        .collect();
    let mut before: Vec<&Operation<Op, Ret>> = members
        .iter()
        .map(|&i| &h.ops()[i])
        .filter(|o| end(o) < f.invoked())
        .collect();
    before.sort_by_key(|o| std::cmp::Reverse(end(o)));
    out.extend(before.iter().take(3).map(|o| o.id()));
    out.push(focus);
    out.sort();
    out.dedup();
    out
}

/// The history indices of `key`'s operations.
pub fn key_ops<S: Spec>(spec: &S, h: &History<S::Op, S::Ret>, key: &S::Key) -> Vec<usize> {
    (0..h.len())
        .filter(|&i| spec.key(h.ops()[i].op()) == *key)
        .collect()
}
