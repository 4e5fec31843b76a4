//! Sequential consistency (Lamport, 1979): one order that keeps each
//! client's program order, with no regard to real time between clients.

use crate::search::{Bits, Deepest, Memo, Search, Steps, slice_around};
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
    let ops: Vec<usize> = (0..history.len())
        .filter(|&i| !history.ops()[i].is_fail())
        .collect();
    let mut steps = Steps::new(budget);
    let found = search(spec, history, &ops, &mut steps);
    let verdict = match found {
        Search::Found => Verdict::Ok,
        Search::OutOfSteps => Verdict::Unknown {
            reason: format!(
                "the sequential-consistency search ({} operations) used its budget of \
                 {budget} steps without deciding",
                ops.len()
            ),
        },
        Search::Stuck(deepest) => {
            let all: Vec<usize> = (0..history.len()).collect();
            let stuck = &history.ops()[deepest.stuck];
            let slice = slice_around(history, &all, deepest.stuck);
            Verdict::Violation(Box::new(Counterexample {
                key: None,
                op: stuck.id(),
                label: spec.describe(stuck.op(), stuck.ret()),
                prefix: deepest
                    .prefix
                    .iter()
                    .map(|&i| history.ops()[i].id())
                    .collect(),
                state: deepest.state,
                timeline: timeline(spec, history, &slice, Some(stuck.id())),
            }))
        }
    };
    Checked {
        verdict,
        steps: steps.taken,
    }
}

/// One level of the depth-first search.
struct Frame<St> {
    state: St,
    candidates: Vec<usize>,
    tried: usize,
    /// The operation placed to get here (none at the root).
    placed: Option<usize>,
}

fn search<S: Spec>(
    spec: &S,
    history: &History<S::Op, S::Ret>,
    ops: &[usize],
    steps: &mut Steps,
) -> Search<S::State> {
    let n = ops.len();
    let op = |local: usize| &history.ops()[ops[local]];
    let indefinite: Vec<bool> = (0..n).map(|l| op(l).is_indefinite()).collect();
    let definite = indefinite.iter().filter(|&&i| !i).count();
    if definite == 0 {
        return Search::Found;
    }
    // Each client's operations in program order (local indices).
    let mut clients: Vec<(ClientId, Vec<usize>)> = Vec::new();
    for local in 0..n {
        let c = op(local).client();
        match clients.iter_mut().find(|(id, _)| *id == c) {
            Some((_, list)) => list.push(local),
            None => clients.push((c, vec![local])),
        }
    }
    // Who may go next: per client, its first unplaced definite operation
    // and the unplaced indefinite ones before it. Earliest invoked first:
    // the real-time order, the likeliest explanation, is tried first.
    let candidates = |placed: &Bits| -> Vec<usize> {
        let mut out = Vec::new();
        for (_, list) in &clients {
            for &local in list.iter().filter(|&&l| !placed.get(l)) {
                out.push(local);
                if !indefinite[local] {
                    break;
                }
            }
        }
        out.sort_unstable();
        out
    };
    let mut memo = Memo::new();
    let mut placed = Bits::new(n);
    let mut placed_definite = 0;
    let mut deepest: Option<Deepest<S::State>> = None;
    let mut stack = vec![Frame {
        state: spec.init(),
        candidates: candidates(&placed),
        tried: 0,
        placed: None,
    }];
    while let Some(top) = stack.last_mut() {
        let Some(&local) = top.candidates.get(top.tried) else {
            // A dead end: nothing fits, or everything led somewhere explored.
            if Deepest::improves(&deepest, placed_definite)
                && let Some(stuck) = top.candidates.iter().copied().find(|&c| !indefinite[c])
            {
                deepest = Some(Deepest {
                    prefix: stack
                        .iter()
                        .filter_map(|f| f.placed)
                        .map(|l| ops[l])
                        .collect(),
                    state: stack[stack.len() - 1].state.clone(),
                    stuck: ops[stuck],
                    definite: placed_definite,
                });
            }
            if let Some(l) = stack.pop().and_then(|f| f.placed) {
                placed.clear(l);
                placed_definite -= usize::from(!indefinite[l]);
            }
            continue;
        };
        top.tried += 1;
        let o = op(local);
        let Ok(next) = steps.step(spec, &top.state, o.op(), o.ret()) else {
            return Search::OutOfSteps;
        };
        let Some(after) = next.filter(|a| !(indefinite[local] && *a == top.state)) else {
            continue;
        };
        placed.set(local);
        if !memo.insert(&placed, &after) {
            placed.clear(local);
            continue;
        }
        if !indefinite[local] {
            placed_definite += 1;
            if placed_definite == definite {
                return Search::Found;
            }
        }
        stack.push(Frame {
            state: after,
            candidates: candidates(&placed),
            tried: 0,
            placed: Some(local),
        });
    }
    match deepest {
        Some(d) => Search::Stuck(d),
        // The root has a definite candidate, so its dead end was recorded.
        None => Search::Stuck(Deepest {
            prefix: Vec::new(),
            state: spec.init(),
            stuck: ops[0],
            definite: 0,
        }),
    }
}
