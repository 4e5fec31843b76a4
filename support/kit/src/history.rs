//! Histories of concurrent operations, and checkers that say whether a
//! history is linearizable, sequentially consistent, or keeps a session
//! guarantee, plus anomaly rules for queues and logs.
//!
//! Why: a distributed store that "looks right" on a few reads can still be
//! wrong under concurrency, and the bugs (a stale read after a failover, a
//! lost update in a compare-and-set race, a timed-out write that lands
//! later) only show up as an impossible *combination* of results. A test
//! records what its clients did, then asks a checker whether some legal
//! order of those operations explains every result. The answer is a
//! [`Verdict`]; a violation comes with a [`Report`] that names the rule, the
//! operation that cannot be placed, and a timeline of the clients around it.
//!
//! - **Recording.** A [`History`] is a sequence of events: a client *invokes*
//!   an operation and later *completes* it with an [`Outcome`]: `Ok(ret)`,
//!   `Fail` (it certainly did not take effect: the server said no), or
//!   `Unknown` (it may or may not have taken effect: a timeout, a crash). An
//!   operation still outstanding when the history ends is indefinite too.
//!   Time is logical: every event gets the next position, so "A completed
//!   before B was invoked" is exact. A [`Recorder`] is a history behind a
//!   mutex, for clients on real threads.
//! - **Models.** A [`Model`] is the sequential specification of the object:
//!   what each operation does to the state and returns. [`Register`] (read,
//!   write, compare-and-set) and [`KvMap`] (get, put, delete) are built in.
//! - **Checkers.** [`check_linearizable`] (Wing & Gong's search with Lowe's
//!   memoisation, the algorithm of the Go tool porcupine, split per key for
//!   models that declare keys), [`check_sequential`] (program order only),
//!   [`check_session`] (read-your-writes, monotonic reads, monotonic writes)
//!   and [`Log`] (lost, duplicate, skipped and out-of-order messages).
//!
//! Indefinite operations are the crux of testing under faults. A write that
//! timed out may have been applied before the timeout, after it (a delayed
//! message), or never; the checkers let it take effect at any point after its
//! invocation, up to the end of the history, or not at all. A definite
//! failure is dropped: it took no effect, so a later read of its value is a
//! violation.
//!
//! Searches are exponential in the worst case, so the linearizability and
//! sequential checkers take a step budget; running out gives
//! [`Verdict::Unknown`], which is never a pass.
//!
//! ```
//! use kit::history::{History, Register, RegisterOp, RegisterRet, Verdict, check_linearizable};
//!
//! let mut history = History::new();
//! let write = history.invoke(0, RegisterOp::Write(1));
//! history.ok(write, RegisterRet::Done);
//! // The write completed, then another client reads the old value: stale.
//! let read = history.invoke(1, RegisterOp::Read);
//! history.ok(read, RegisterRet::Value(0));
//!
//! let verdict = check_linearizable(&Register::new(0), &history, 10_000);
//! let Verdict::Violation(report) = verdict else { panic!("{verdict}") };
//! assert_eq!(report.op.as_ref().map(|op| op.id), Some(read));
//! assert!(report.to_string().contains("read->0"));
//! ```
//!
//! Recording from real threads: invoke *before* sending the request and
//! complete *after* the reply arrives. The recorded interval then contains
//! the real one, which can only make the checker more lenient, never report
//! a violation that did not happen.

mod generate;
mod linearizable;
mod log;
mod model;
mod report;
mod search;
mod sequential;
mod session;

use std::collections::HashMap;
use std::fmt::{self, Debug};
use std::sync::{Mutex, MutexGuard, PoisonError};

pub use generate::{KvWorkload, kv_history};
pub use linearizable::check_linearizable;
pub use log::{Anomaly, Log, LogOptions, RecordId};
pub use model::{Access, KvMap, KvOp, KvRet, Model, Register, RegisterOp, RegisterRet, Registers};
pub use report::{OpRef, Report};
pub use sequential::check_sequential;
pub use session::{Guarantee, check_session};

/// A client (a process, a session): the unit of program order. A client
/// has at most one operation outstanding at a time.
pub type ClientId = usize;

/// An operation's handle in its [`History`], returned by
/// [`History::invoke`]. Ids count up from 0 in invocation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(usize);

impl OpId {
    /// The position of the operation in [`History::ops`].
    pub fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How an operation ended, as its client saw it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome<R> {
    /// It took effect and returned this.
    Ok(R),
    /// It certainly did not take effect (the server refused it).
    Fail,
    /// It may or may not have taken effect, then or later (a timeout, a
    /// crash, a lost reply).
    Unknown,
}

/// One recorded operation: who invoked what, when, and how it ended.
#[derive(Debug, Clone)]
pub struct Operation<Op, Ret> {
    id: OpId,
    client: ClientId,
    op: Op,
    invoked: u64,
    invoked_tick: Option<u64>,
    completion: Option<Completion<Ret>>,
}

#[derive(Debug, Clone)]
struct Completion<Ret> {
    at: u64,
    tick: Option<u64>,
    outcome: Outcome<Ret>,
}

impl<Op, Ret> Operation<Op, Ret> {
    /// Its handle.
    pub fn id(&self) -> OpId {
        self.id
    }

    /// The client that invoked it.
    pub fn client(&self) -> ClientId {
        self.client
    }

    /// What was invoked.
    pub fn op(&self) -> &Op {
        &self.op
    }

    /// The logical time (event position) of the invocation.
    pub fn invoked(&self) -> u64 {
        self.invoked
    }

    /// The logical time of the completion, `None` if it never completed.
    pub fn completed(&self) -> Option<u64> {
        self.completion.as_ref().map(|c| c.at)
    }

    /// How it ended, `None` if it never completed (which checkers treat as
    /// [`Outcome::Unknown`]).
    pub fn outcome(&self) -> Option<&Outcome<Ret>> {
        self.completion.as_ref().map(|c| &c.outcome)
    }

    /// The ticks of [`History::set_tick`] at invocation and completion, for
    /// display.
    pub fn ticks(&self) -> (Option<u64>, Option<u64>) {
        (
            self.invoked_tick,
            self.completion.as_ref().and_then(|c| c.tick),
        )
    }

    /// The return value, if it completed `Ok`.
    pub fn ret(&self) -> Option<&Ret> {
        match self.outcome() {
            Some(Outcome::Ok(ret)) => Some(ret),
            _ => None,
        }
    }

    /// Whether it certainly did not take effect.
    pub fn is_fail(&self) -> bool {
        matches!(self.outcome(), Some(Outcome::Fail))
    }

    /// Whether it may or may not have taken effect: completed `Unknown`, or
    /// never completed.
    pub fn is_indefinite(&self) -> bool {
        matches!(self.outcome(), None | Some(Outcome::Unknown))
    }
}

/// A recorded history: operations of concurrent clients in logical time.
///
/// Recording mistakes (a second invocation while the client's previous
/// operation is outstanding, completing twice, an id from another history)
/// are bugs in the test harness, not in the code under test, so they panic
/// at the call site with a message saying what went wrong.
#[derive(Debug, Clone)]
pub struct History<Op, Ret> {
    ops: Vec<Operation<Op, Ret>>,
    outstanding: HashMap<ClientId, OpId>,
    clock: u64,
    tick: Option<u64>,
}

impl<Op, Ret> Default for History<Op, Ret> {
    fn default() -> Self {
        Self {
            ops: Vec::new(),
            outstanding: HashMap::new(),
            clock: 0,
            tick: None,
        }
    }
}

impl<Op, Ret> History<Op, Ret> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stamps the events recorded from now on with `tick` (e.g. a simulated
    /// network's [`crate::sim::Network::now`]). Only for display: the order
    /// of events, not the ticks, is what the checkers use.
    pub fn set_tick(&mut self, tick: u64) {
        self.tick = Some(tick);
    }

    /// Records that `client` invokes `op`, at the next logical time.
    ///
    /// # Panics
    /// If `client` still has an operation outstanding (a client is
    /// sequential: give a concurrent request or a retry its own client id).
    #[track_caller]
    pub fn invoke(&mut self, client: ClientId, op: Op) -> OpId {
        if let Some(&open) = self.outstanding.get(&client) {
            panic!(
                "history: client {client} invoked an operation while its operation {open} is \
                 still outstanding (a client has one operation at a time: complete it, as \
                 Unknown if it timed out, or give the concurrent request its own client id)"
            );
        }
        let id = OpId(self.ops.len());
        self.ops.push(Operation {
            id,
            client,
            op,
            invoked: self.clock,
            invoked_tick: self.tick,
            completion: None,
        });
        self.clock += 1;
        self.outstanding.insert(client, id);
        id
    }

    /// Records how operation `id` ended, at the next logical time. After an
    /// `Unknown` the client may invoke again; the indefinite operation may
    /// still take effect later.
    ///
    /// # Panics
    /// If `id` is not an operation of this history, or already completed.
    #[track_caller]
    pub fn complete(&mut self, id: OpId, outcome: Outcome<Ret>) {
        let Some(op) = self.ops.get_mut(id.0) else {
            panic!(
                "history: complete({id}): no such operation (this history has {} operations)",
                self.ops.len()
            );
        };
        if op.completion.is_some() {
            panic!(
                "history: complete({id}): operation {id} of client {} is already complete",
                op.client
            );
        }
        op.completion = Some(Completion {
            at: self.clock,
            tick: self.tick,
            outcome,
        });
        self.clock += 1;
        self.outstanding.remove(&op.client);
    }

    /// [`History::complete`] with [`Outcome::Ok`].
    #[track_caller]
    pub fn ok(&mut self, id: OpId, ret: Ret) {
        self.complete(id, Outcome::Ok(ret));
    }

    /// [`History::complete`] with [`Outcome::Fail`].
    #[track_caller]
    pub fn fail(&mut self, id: OpId) {
        self.complete(id, Outcome::Fail);
    }

    /// [`History::complete`] with [`Outcome::Unknown`].
    #[track_caller]
    pub fn unknown(&mut self, id: OpId) {
        self.complete(id, Outcome::Unknown);
    }

    /// Every operation, in invocation order (`ops()[id.index()]` is `id`).
    pub fn ops(&self) -> &[Operation<Op, Ret>] {
        &self.ops
    }

    /// The operation `id`, if it belongs to this history.
    pub fn get(&self, id: OpId) -> Option<&Operation<Op, Ret>> {
        self.ops.get(id.0)
    }

    /// The number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The operation `client` has outstanding, if any.
    pub fn outstanding(&self, client: ClientId) -> Option<OpId> {
        self.outstanding.get(&client).copied()
    }
}

/// A [`History`] that clients on real threads record into concurrently.
///
/// The mutex serialises the events, and the history's event counter is the
/// shared logical clock. Share it by reference in `std::thread::scope` or in
/// an `Arc`; [`Recorder::into_history`] gives the history to check. The same
/// mistakes as [`History`]'s panic the same way (the recorder stays usable
/// for the other threads).
#[derive(Debug)]
pub struct Recorder<Op, Ret> {
    history: Mutex<History<Op, Ret>>,
}

impl<Op, Ret> Default for Recorder<Op, Ret> {
    fn default() -> Self {
        Self {
            history: Mutex::new(History::new()),
        }
    }
}

impl<Op, Ret> Recorder<Op, Ret> {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, History<Op, Ret>> {
        // A recording panic happens before the history is changed, so a
        // poisoned history is still consistent.
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`History::invoke`]: call it before the request is sent.
    #[track_caller]
    pub fn invoke(&self, client: ClientId, op: Op) -> OpId {
        self.lock().invoke(client, op)
    }

    /// [`History::complete`]: call it after the reply arrived.
    #[track_caller]
    pub fn complete(&self, id: OpId, outcome: Outcome<Ret>) {
        self.lock().complete(id, outcome);
    }

    /// [`Recorder::complete`] with [`Outcome::Ok`].
    #[track_caller]
    pub fn ok(&self, id: OpId, ret: Ret) {
        self.complete(id, Outcome::Ok(ret));
    }

    /// [`Recorder::complete`] with [`Outcome::Fail`].
    #[track_caller]
    pub fn fail(&self, id: OpId) {
        self.complete(id, Outcome::Fail);
    }

    /// [`Recorder::complete`] with [`Outcome::Unknown`].
    #[track_caller]
    pub fn unknown(&self, id: OpId) {
        self.complete(id, Outcome::Unknown);
    }

    /// A copy of what was recorded so far.
    pub fn snapshot(&self) -> History<Op, Ret>
    where
        Op: Clone,
        Ret: Clone,
    {
        self.lock().clone()
    }

    /// The recorded history.
    pub fn into_history(self) -> History<Op, Ret> {
        self.history
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A checker's answer.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// The history satisfies the property.
    Ok,
    /// It does not; the report says where and why.
    Violation(Box<Report>),
    /// The checker could not decide: the search ran out of its step budget,
    /// or the history does not meet the checker's precondition (e.g. unique
    /// written values). Never a pass.
    Unknown {
        /// Steps spent before giving up (0 for a precondition).
        steps: u64,
        /// Why it could not decide.
        reason: String,
    },
}

impl Verdict {
    /// Whether the history satisfies the property (`Unknown` is not).
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok)
    }

    /// The violation's report, if this is one.
    pub fn violation(&self) -> Option<&Report> {
        match self {
            Verdict::Violation(report) => Some(report),
            _ => None,
        }
    }

    /// Panics with the report unless the verdict is `Ok`.
    #[track_caller]
    pub fn assert_ok(&self) {
        if !self.is_ok() {
            panic!("{self}");
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Ok => write!(f, "ok"),
            Verdict::Violation(report) => write!(f, "{report}"),
            Verdict::Unknown { steps, reason } => {
                write!(f, "unknown (not a pass): {reason} (after {steps} steps)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_take_consecutive_logical_times_and_ticks_are_stamped() {
        let mut h: History<&str, u8> = History::new();
        let a = h.invoke(0, "a");
        h.set_tick(7);
        let b = h.invoke(1, "b");
        h.ok(b, 1);
        h.unknown(a);
        let (oa, ob) = (&h.ops()[0], &h.ops()[1]);
        assert_eq!((oa.invoked(), oa.completed()), (0, Some(3)));
        assert_eq!((ob.invoked(), ob.completed()), (1, Some(2)));
        assert_eq!(oa.ticks(), (None, Some(7)));
        assert_eq!(ob.ticks(), (Some(7), Some(7)));
        assert!(oa.is_indefinite() && !ob.is_indefinite() && !ob.is_fail());
        assert_eq!(ob.ret(), Some(&1));
        assert_eq!(h.get(b).map(Operation::client), Some(1));
        assert_eq!(a.to_string(), "#0");
    }

    #[test]
    fn a_client_may_invoke_again_after_an_unknown_but_not_while_outstanding() {
        let mut h: History<u8, u8> = History::new();
        let a = h.invoke(0, 1);
        assert_eq!(h.outstanding(0), Some(a));
        h.unknown(a);
        assert_eq!(h.outstanding(0), None);
        let b = h.invoke(0, 2);
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.invoke(0, 3)))
            .expect_err("a second outstanding operation must panic");
        let text = err.downcast_ref::<String>().map_or("", String::as_str);
        assert!(text.contains("client 0") && text.contains("#1"), "{text}");
        assert_eq!(h.len(), 2, "the rejected invocation is not recorded");
        h.fail(b);
        assert!(h.ops()[1].is_fail());
    }

    #[test]
    #[should_panic(expected = "already complete")]
    fn completing_twice_panics() {
        let mut h: History<u8, u8> = History::new();
        let a = h.invoke(0, 1);
        h.ok(a, 1);
        h.ok(a, 1);
    }

    #[test]
    #[should_panic(expected = "no such operation")]
    fn completing_a_foreign_id_panics() {
        let mut other: History<u8, u8> = History::new();
        let id = other.invoke(0, 1);
        History::<u8, u8>::new().ok(id, 1);
    }
}
