//! Linearizability: by brute force, and by the Wing–Gong search with Lowe's
//! memoisation (G. Lowe, "Testing for linearizability", 2017), split by key.

use std::collections::HashMap;

use crate::search::{Bits, Deepest, Memo, Search, Steps, slice_around};
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
    let ops: Vec<&Operation<S::Op, S::Ret>> =
        history.ops().iter().filter(|o| !o.is_fail()).collect();
    let mut placed = vec![false; ops.len()];
    let definite = ops.iter().filter(|o| !o.is_indefinite()).count();
    brute(spec, &ops, &mut placed, &spec.init(), definite)
}

fn brute<S: Spec>(
    spec: &S,
    ops: &[&Operation<S::Op, S::Ret>],
    placed: &mut [bool],
    state: &S::State,
    definite_left: usize,
) -> bool {
    if definite_left == 0 {
        return true;
    }
    for i in 0..ops.len() {
        if placed[i] {
            continue;
        }
        // Real time: an unplaced definite operation that completed before
        // this one was invoked has to come first.
        let held_back = ops.iter().zip(placed.iter()).any(|(o, &p)| {
            !p && !o.is_indefinite() && o.completed().is_some_and(|c| c < ops[i].invoked())
        });
        if held_back {
            continue;
        }
        let Some(next) = spec.step(state, ops[i].op(), ops[i].ret()) else {
            continue;
        };
        placed[i] = true;
        let left = definite_left - usize::from(!ops[i].is_indefinite());
        if brute(spec, ops, placed, &next, left) {
            return true;
        }
        placed[i] = false;
    }
    false
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
    let mut steps = 0;
    let mut unknown = None;
    for (key, members) in partitions(spec, history) {
        let ops: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| !history.ops()[i].is_fail())
            .collect();
        let mut counter = Steps::new(budget);
        let found = search(spec, history, &ops, &mut counter);
        steps += counter.taken;
        match found {
            Search::Found => {}
            Search::Stuck(deepest) => {
                let cex = counterexample(spec, history, key, &members, deepest);
                return Checked {
                    verdict: Verdict::Violation(Box::new(cex)),
                    steps,
                };
            }
            Search::OutOfSteps => {
                unknown.get_or_insert_with(|| {
                    format!(
                        "the search of key {key:?} ({} operations) used its budget of {budget} \
                         steps without deciding",
                        ops.len()
                    )
                });
            }
        }
    }
    let verdict = match unknown {
        Some(reason) => Verdict::Unknown { reason },
        None => Verdict::Ok,
    };
    Checked { verdict, steps }
}

/// The history's operations (indices) grouped by key, in order of each
/// key's first operation.
fn partitions<S: Spec>(spec: &S, history: &History<S::Op, S::Ret>) -> Vec<(S::Key, Vec<usize>)> {
    let mut groups: Vec<(S::Key, Vec<usize>)> = Vec::new();
    let mut index: HashMap<S::Key, usize> = HashMap::new();
    for (i, op) in history.ops().iter().enumerate() {
        let key = spec.key(op.op());
        let g = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(i);
    }
    groups
}

/// The search over one key's operations (`ops`: history indices, none
/// failed).
///
/// The operations become a list of call and return entries in time order.
/// The search walks it from the front: at a call it tries to place that
/// operation now (the spec accepts its return value and the memo has not
/// seen the node), and if so removes the operation's two entries and starts
/// again from the front. Reaching a return entry means that operation had
/// to be placed already: undo the last choice and try the next call after
/// it. The calls before the first remaining return are exactly the
/// operations real time allows next.
///
/// Indefinite operations get their return entry at the end of time, after
/// every definite one. Reaching the first of those means every definite
/// operation is placed: the rest never took effect, and the search is done.
fn search<S: Spec>(
    spec: &S,
    history: &History<S::Op, S::Ret>,
    ops: &[usize],
    steps: &mut Steps,
) -> Search<S::State> {
    let n = ops.len();
    let op = |local: usize| &history.ops()[ops[local]];
    // Entries 0..n are calls, n..2n returns, 2n is the list's head.
    let head = 2 * n;
    let time = |entry: usize| -> (u64, usize) {
        let t = if entry < n {
            op(entry).invoked()
        } else if op(entry - n).is_indefinite() {
            u64::MAX
        } else {
            op(entry - n).completed().unwrap_or(u64::MAX)
        };
        (t, entry)
    };
    let mut order: Vec<usize> = (0..head).collect();
    order.sort_by_key(|&e| time(e));
    let mut list = Links::new(head, &order);

    let indefinite: Vec<bool> = (0..n).map(|l| op(l).is_indefinite()).collect();
    let mut memo = Memo::new();
    let mut placed = Bits::new(n);
    let mut state = spec.init();
    // The placed calls, each with the state before it.
    let mut stack: Vec<(usize, S::State)> = Vec::new();
    let mut definite = 0;
    let mut deepest: Option<Deepest<S::State>> = None;
    let mut entry = list.next[head];
    loop {
        if entry == head {
            return Search::Found;
        }
        if entry < n {
            let o = op(entry);
            let Ok(next) = steps.step(spec, &state, o.op(), o.ret()) else {
                return Search::OutOfSteps;
            };
            // An indefinite operation that changes nothing is better left
            // out: placing it adds nothing a later placement could not.
            if let Some(after) = next.filter(|a| !(indefinite[entry] && *a == state)) {
                placed.set(entry);
                if memo.insert(&placed, &after) {
                    definite += usize::from(!indefinite[entry]);
                    stack.push((entry, std::mem::replace(&mut state, after)));
                    list.lift(entry, entry + n);
                    entry = list.next[head];
                    continue;
                }
                placed.clear(entry);
            }
            entry = list.next[entry];
        } else {
            let local = entry - n;
            if indefinite[local] {
                return Search::Found;
            }
            if Deepest::improves(&deepest, definite) {
                deepest = Some(Deepest {
                    prefix: stack.iter().map(|&(call, _)| ops[call]).collect(),
                    state: state.clone(),
                    stuck: ops[local],
                    definite,
                });
            }
            let Some((call, before)) = stack.pop() else {
                // The root's dead end: `deepest` was set just above.
                return Search::Stuck(deepest.unwrap_or(Deepest {
                    prefix: Vec::new(),
                    state,
                    stuck: ops[local],
                    definite,
                }));
            };
            state = before;
            placed.clear(call);
            definite -= usize::from(!indefinite[call]);
            list.unlift(call, call + n);
            entry = list.next[call];
        }
    }
}

/// A doubly linked list of entries in arrays (dancing links): a removed
/// entry keeps its neighbours, so it can be put back in O(1).
struct Links {
    next: Vec<usize>,
    prev: Vec<usize>,
}

impl Links {
    fn new(head: usize, order: &[usize]) -> Self {
        let mut next = vec![head; head + 1];
        let mut prev = vec![head; head + 1];
        let mut last = head;
        for &e in order {
            next[last] = e;
            prev[e] = last;
            last = e;
        }
        next[last] = head;
        prev[head] = last;
        Self { next, prev }
    }

    fn lift(&mut self, call: usize, ret: usize) {
        for e in [call, ret] {
            let (p, n) = (self.prev[e], self.next[e]);
            self.next[p] = n;
            self.prev[n] = p;
        }
    }

    /// Undoes [`Links::lift`]; lifts are undone in reverse order.
    fn unlift(&mut self, call: usize, ret: usize) {
        for e in [ret, call] {
            let (p, n) = (self.prev[e], self.next[e]);
            self.next[p] = e;
            self.prev[n] = e;
        }
    }
}

fn counterexample<S: Spec>(
    spec: &S,
    history: &History<S::Op, S::Ret>,
    key: S::Key,
    members: &[usize],
    deepest: Deepest<S::State>,
) -> Counterexample<S::Key, S::State> {
    let ops = history.ops();
    let stuck = &ops[deepest.stuck];
    let slice = slice_around(history, members, deepest.stuck);
    Counterexample {
        key: Some(key),
        op: stuck.id(),
        label: spec.describe(stuck.op(), stuck.ret()),
        prefix: deepest.prefix.iter().map(|&i| ops[i].id()).collect(),
        state: deepest.state,
        timeline: timeline(spec, history, &slice, Some(stuck.id())),
    }
}
