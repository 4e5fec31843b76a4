//! Sequential consistency (Lamport, 1979): one order that keeps each
//! client's program order, with no regard to real time between clients.

use std::collections::HashSet;

use crate::{Checked, ClientId, Counterexample, History, Spec, Verdict, timeline};

/// Whether `history` is sequentially consistent with respect to `spec`:
/// whether some sequence of its operations is legal for `spec` and keeps
/// each client's program order. Real time between clients is ignored: a
/// read may return a value overwritten long ago, as long as some
/// interleaving of the clients explains every result.
///
/// - Failed operations are left out; every definite `Ok` one is placed.
/// - An indefinite operation may be placed anywhere after its client's
///   earlier definite operations, or left out. It does not hold back its
///   client's later operations (a timed-out request may still arrive after
///   them).
/// - Sequential consistency is not local (two keys can each be
///   sequentially consistent and not together), so keys are ignored: the
///   whole history is one search, from [`Spec::init`].
/// - The search never explores the same (placed set, state) twice, and
///   makes at most `budget` calls of [`Spec::step`]; undecided by then, the
///   verdict is [`Verdict::Unknown`]. [`Checked::steps`] counts the calls.
/// - Counterexample: `key` is `None`; `prefix` a sequence that is legal and
///   keeps program order (each client's definite operations in it form a
///   prefix of that client's definite operations, in order), with the most
///   definite operations; `state` the state after it; `op` the earliest
///   invoked of the clients' next definite operations after it; `label`
///   its description; `timeline` as for
///   [`check_linearizable`](crate::check_linearizable), over all operations.
pub fn check_sequential<S: Spec>(
    spec: &S,
    history: &History<S::Op, S::Ret>,
    budget: u64,
) -> Checked<S::Key, S::State> {
    // TODO: a depth-first search over program orders: at each node, each
    // client's next definite operation and its unplaced indefinite ones
    // before it; the same memo and step counter as check_linearizable.
    todo!("sequential consistency, within the budget")
}
