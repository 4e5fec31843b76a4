// Given: the recorded history the checkers read. Complete; use it, do not change it.

//! A history of concurrent operations: each client *invokes* an operation and
//! later *completes* it with an [`Outcome`], or never does.
//!
//! Time is logical: every event (an invocation or a completion) takes the
//! next position of one counter, so "A completed before B was invoked" is the
//! exact comparison `a.completed() < Some(b.invoked())`. Ids count up from 0
//! in invocation order, so `ops()[id.index()]` is the operation `id`, and one
//! client's operations are in its program order.
//!
//! ```
//! use consistency::history::{History, Outcome};
//! use consistency::{RegisterOp, RegisterRet};
//!
//! let mut h = History::new();
//! let w = h.invoke(0, RegisterOp::Write(1)); // time 0
//! let r = h.invoke(1, RegisterOp::Read); //     time 1: concurrent with w
//! h.ok(w, RegisterRet::Done); //                time 2
//! h.unknown(r); //                              time 3: a timeout
//! assert_eq!(h.ops()[w.index()].completed(), Some(2));
//! assert!(h.ops()[r.index()].is_indefinite());
//! assert_eq!(h.ops()[r.index()].outcome(), Some(&Outcome::Unknown));
//! ```

use std::collections::HashMap;
use std::fmt;

/// A client (a process, a session): the unit of program order. A client
/// has at most one operation outstanding at a time.
pub type ClientId = usize;

/// An operation's handle in its [`History`]. Ids count up from 0 in
/// invocation order.
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
    completion: Option<(u64, Outcome<Ret>)>,
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

    /// The logical time of the invocation.
    pub fn invoked(&self) -> u64 {
        self.invoked
    }

    /// The logical time of the completion, `None` if it never completed.
    pub fn completed(&self) -> Option<u64> {
        self.completion.as_ref().map(|(at, _)| *at)
    }

    /// How it ended, `None` if it never completed (the checkers treat that
    /// as [`Outcome::Unknown`]).
    pub fn outcome(&self) -> Option<&Outcome<Ret>> {
        self.completion.as_ref().map(|(_, outcome)| outcome)
    }

    /// The return value, if it completed `Ok`.
    pub fn ret(&self) -> Option<&Ret> {
        match self.outcome() {
            Some(Outcome::Ok(ret)) => Some(ret),
            _ => None,
        }
    }

    /// Whether it certainly did not take effect: completed `Fail`.
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
/// are bugs in the harness, not in the code under test, so they panic.
#[derive(Debug, Clone)]
pub struct History<Op, Ret> {
    ops: Vec<Operation<Op, Ret>>,
    outstanding: HashMap<ClientId, OpId>,
    clock: u64,
}

impl<Op, Ret> Default for History<Op, Ret> {
    fn default() -> Self {
        Self {
            ops: Vec::new(),
            outstanding: HashMap::new(),
            clock: 0,
        }
    }
}

impl<Op, Ret> History<Op, Ret> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `client` invokes `op`, at the next logical time.
    ///
    /// # Panics
    /// If `client` still has an operation outstanding.
    #[track_caller]
    pub fn invoke(&mut self, client: ClientId, op: Op) -> OpId {
        if let Some(&open) = self.outstanding.get(&client) {
            panic!(
                "history: client {client} invoked an operation while its operation {open} is \
                 still outstanding (complete it first, as Unknown if it timed out)"
            );
        }
        let id = OpId(self.ops.len());
        self.ops.push(Operation {
            id,
            client,
            op,
            invoked: self.clock,
            completion: None,
        });
        self.clock += 1;
        self.outstanding.insert(client, id);
        id
    }

    /// Records how operation `id` ended, at the next logical time.
    ///
    /// # Panics
    /// If `id` is not an operation of this history, or already completed.
    #[track_caller]
    pub fn complete(&mut self, id: OpId, outcome: Outcome<Ret>) {
        let Some(op) = self.ops.get_mut(id.0) else {
            panic!("history: complete({id}): no such operation");
        };
        if op.completion.is_some() {
            panic!("history: complete({id}): already complete");
        }
        op.completion = Some((self.clock, outcome));
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
}
