//! Linearizability: by brute force, and by the Wing–Gong search with Lowe's
//! memoisation (G. Lowe, "Testing for linearizability", 2017), split by key.

use std::collections::{HashMap, HashSet};

use crate::{Checked, Counterexample, History, Operation, Spec, Verdict, timeline};

/// Whether `history` is linearizable with respect to `spec`, decided from
/// the definition by trying every order (exponential: for histories of up
/// to about 8 operations).
///
/// Linearizable: some sequence of the operations is legal for `spec` (each
/// [`Spec::step`] accepts the operation's return value) and respects real
/// time: if A completed before B was invoked, A comes first.
///
/// - Failed operations ([`crate::Outcome::Fail`]) took no effect: leave
///   them out.
/// - Indefinite operations (completed `Unknown`, or never completed) may be
///   placed anywhere after their invocation, even after their `Unknown`
///   completion (a delayed request), or left out (it never arrived). They
///   are stepped with `ret: None` and never hold back another operation.
/// - Every definite `Ok` operation must be placed.
/// - Keys ([`Spec::key`]) are ignored: the whole history is one search.
pub fn check_brute_force<S: Spec>(spec: &S, history: &History<S::Op, S::Ret>) -> bool {
    // TODO: try every next operation that real time allows and the spec
    // accepts, recursively; succeed once every definite operation is placed.
    todo!("linearizability by trying every order")
}

/// Whether `history` is linearizable with respect to `spec` (the definition
/// is on [`check_brute_force`]), by the Wing–Gong search with Lowe's
/// memoisation, checking each key apart.
///
/// - **Keys.** Linearizability is local (Herlihy and Wing): a history is
///   linearizable if and only if each key's sub-history is. So the
///   operations are split by [`Spec::key`] and each key is searched alone,
///   from [`Spec::init`], in the order of the keys' first operations.
/// - **Memo.** The search never explores the same (set of placed
///   operations, state) twice.
/// - **Budget.** `budget` bounds the calls of [`Spec::step`] *per key*:
///   once a key's search has made `budget` calls without deciding, that key
///   is undecided. [`Checked::steps`] is the number of calls made, over
///   every key (each call counts, whatever it returns).
/// - **Verdict.** A violation in any key wins: the verdict is the
///   counterexample of the first key, in that order, that has one. Else an
///   undecided key makes it [`Verdict::Unknown`]. Else [`Verdict::Ok`].
/// - **Counterexample.** `key` is the key; `prefix` a good prefix of that
///   key's operations with the most definite operations (a good prefix is
///   a sequence that is legal for `spec` and respects real time as far as it
///   goes: every definite operation that completed before one of its
///   operations was invoked is in it, earlier); `state` the state after it;
///   `op` the definite operation of that key, not in `prefix`, that
///   completed first (it cannot be placed next: placing it would give a
///   longer good prefix); `label` its [`Spec::describe`]; `timeline` the
///   [`timeline`] of `op`, every operation of the key (failed ones too)
///   whose interval overlaps `op`'s, and the 3 operations of the key that
///   completed last before `op` was invoked, with `op` as the focus.
pub fn check_linearizable<S: Spec>(
    spec: &S,
    history: &History<S::Op, S::Ret>,
    budget: u64,
) -> Checked<S::Key, S::State> {
    // TODO: split by key; per key, the entry list (calls and returns in time
    // order, indefinite returns at the end), a stack of placed calls, the
    // memo, the step counter; then the counterexample of the deepest dead end.
    todo!("the Wing–Gong/Lowe search, per key, within the budget")
}
