//! What the two searches share: a bitset of placed operations, the memo of
//! explored (placed set, state) pairs, a step counter with a budget, and the
//! record of the deepest dead end.

use std::collections::HashSet;
use std::hash::Hash;

use crate::{History, OpId, Spec};

/// A fixed-size set of operation indices (local to one search).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Bits(Box<[u64]>);

impl Bits {
    pub(crate) fn new(n: usize) -> Self {
        Self(vec![0; n.div_ceil(64)].into_boxed_slice())
    }

    pub(crate) fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub(crate) fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }

    pub(crate) fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

/// Lowe's memo: every (placed set, state) node already explored. Two
/// orders that placed the same operations and reached the same state have
/// the same futures, so the second one is cut off at once.
pub(crate) struct Memo<St> {
    seen: HashSet<(Bits, St)>,
}

impl<St: Clone + Eq + Hash> Memo<St> {
    pub(crate) fn new() -> Self {
        Self {
            seen: HashSet::new(),
        }
    }

    /// Records the node; `false` if it was explored before.
    pub(crate) fn insert(&mut self, placed: &Bits, state: &St) -> bool {
        // Look up first: most visits in a hard search are repeats, and a
        // repeat should not pay for cloning the key.
        let key = (placed.clone(), state.clone());
        if self.seen.contains(&key) {
            return false;
        }
        self.seen.insert(key)
    }
}

/// Counts [`Spec::step`] calls against a budget.
pub(crate) struct Steps {
    pub(crate) taken: u64,
    budget: u64,
}

/// The budget ran out.
pub(crate) struct OutOfSteps;

impl Steps {
    pub(crate) fn new(budget: u64) -> Self {
        Self { taken: 0, budget }
    }

    /// One call of `spec.step`, if the budget allows it.
    pub(crate) fn step<S: Spec>(
        &mut self,
        spec: &S,
        state: &S::State,
        op: &S::Op,
        ret: Option<&S::Ret>,
    ) -> Result<Option<S::State>, OutOfSteps> {
        if self.taken >= self.budget {
            return Err(OutOfSteps);
        }
        self.taken += 1;
        Ok(spec.step(state, op, ret))
    }
}

/// The deepest dead end of a failed search: the good prefix with the most
/// definite operations (history indices, in order), the state after it, and
/// the definite operation that could not be placed next.
pub(crate) struct Deepest<St> {
    pub(crate) prefix: Vec<usize>,
    pub(crate) state: St,
    pub(crate) stuck: usize,
    pub(crate) definite: usize,
}

impl<St> Deepest<St> {
    /// Whether a dead end with `definite` definite operations placed beats
    /// `best`.
    pub(crate) fn improves(best: &Option<Self>, definite: usize) -> bool {
        best.as_ref().is_none_or(|d| definite > d.definite)
    }
}

/// How one search ended.
pub(crate) enum Search<St> {
    Found,
    Stuck(Deepest<St>),
    OutOfSteps,
}

/// The end of an operation's interval: its completion, or the end of time
/// if it never completed.
pub(crate) fn end<Op, Ret>(op: &crate::Operation<Op, Ret>) -> u64 {
    op.completed().unwrap_or(u64::MAX)
}

/// The operations of `members` (history indices) worth drawing around
/// `focus`: `focus`, every member whose interval overlaps it, and the
/// [`CONTEXT`] members that completed last before `focus` was invoked.
pub(crate) fn slice_around<Op, Ret>(
    history: &History<Op, Ret>,
    members: &[usize],
    focus: usize,
) -> Vec<OpId> {
    let ops = history.ops();
    let f = &ops[focus];
    let mut slice: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| ops[i].invoked() < end(f) && end(&ops[i]) > f.invoked())
        .collect();
    let mut before: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| end(&ops[i]) < f.invoked())
        .collect();
    before.sort_by_key(|&i| std::cmp::Reverse(end(&ops[i])));
    slice.extend(before.into_iter().take(CONTEXT));
    slice.push(focus);
    slice.sort_unstable();
    slice.dedup();
    slice.into_iter().map(|i| ops[i].id()).collect()
}

/// How many operations completed before the stuck one a counterexample's
/// timeline shows.
pub(crate) const CONTEXT: usize = 3;
