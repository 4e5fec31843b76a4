//! The sequential-consistency checker: a backtracking search over orders
//! that keep each client's program order, with the same memo and budget as
//! the linearizability search.

use super::report::{Report, op_ref, slice_around, stuck_note};
use super::search::{Bits, Deepest, Memo, Search};
use super::{ClientId, History, Model, Verdict, check_linearizable};

/// Whether `history` is sequentially consistent with respect to `model`
/// (Lamport): whether one order of its operations that keeps each client's
/// program order is explained by the model. Real time between clients is
/// ignored: a read may return a value that was overwritten long ago, as
/// long as some interleaving of the clients explains every result.
///
/// - Definite failures are left out.
/// - An indefinite operation may take effect anywhere after the client's
///   earlier operations, or never; it does not hold back the client's later
///   operations (a timed-out request may still arrive after them).
/// - Sequential consistency is not local: two keys that are each
///   sequentially consistent may not be together. So the search ignores
///   [`Model::partition`] and takes the whole history at once.
/// - A linearizable history is sequentially consistent, and the
///   linearizability search is far cheaper (it only interleaves operations
///   that overlap in time, per partition), so it runs first, with the same
///   budget. Only a history that is not linearizable pays for the search
///   over program orders, which is exponential in the number of clients:
///   expect [`Verdict::Unknown`] beyond a few hundred such operations.
pub fn check_sequential<M: Model>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    max_steps: u64,
) -> Verdict {
    if check_linearizable(model, history, max_steps).is_ok() {
        return Verdict::Ok;
    }
    let ops: Vec<usize> = (0..history.len())
        .filter(|&i| !history.ops()[i].is_fail())
        .collect();
    match search(model, history, &ops, max_steps) {
        Search::Found => Verdict::Ok,
        Search::OutOfSteps => Verdict::Unknown {
            steps: max_steps,
            reason: format!(
                "the sequential-consistency search ({} operations) exhausted its budget of \
                 {max_steps} steps",
                ops.len()
            ),
        },
        Search::Stuck(deepest) => {
            let stuck = &history.ops()[deepest.stuck];
            let members: Vec<usize> = (0..history.len()).collect();
            let slice = slice_around(history, &members, deepest.stuck);
            let why = format!(
                "no order that keeps every client's program order places it (of the next \
                 operations of all clients after the longest legal prefix, none fits; this \
                 is the earliest invoked): {}",
                stuck_note(model, &deepest.state, stuck)
            );
            Verdict::Violation(Box::new(
                Report::new(
                    "sequential-consistency",
                    None,
                    Some(op_ref(model, stuck)),
                    why,
                )
                .with_prefix(
                    deepest
                        .prefix
                        .iter()
                        .map(|&i| op_ref(model, &history.ops()[i]))
                        .collect(),
                    format!("{:?}", deepest.state),
                )
                .with_timeline(model, history, &slice, Some(deepest.stuck)),
            ))
        }
    }
}

/// One level of the depth-first search: the state reached, the operations
/// that may go next, and how many of them were tried.
struct Frame<S> {
    state: S,
    candidates: Vec<usize>,
    tried: usize,
    /// The operation placed to get here (none at the root).
    placed: Option<usize>,
}

fn search<M: Model>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    ops: &[usize],
    max_steps: u64,
) -> Search<M::State> {
    let n = ops.len();
    let op = |local: usize| &history.ops()[ops[local]];
    // Each client's operations in program order (local indices).
    let mut clients: Vec<(ClientId, Vec<usize>)> = Vec::new();
    for local in 0..n {
        let c = op(local).client();
        match clients.iter_mut().find(|(id, _)| *id == c) {
            Some((_, list)) => list.push(local),
            None => clients.push((c, vec![local])),
        }
    }
    let mut indefinite = Bits::new(n);
    let mut definite = 0;
    for local in 0..n {
        if op(local).is_indefinite() {
            indefinite.set(local);
        } else {
            definite += 1;
        }
    }
    if definite == 0 {
        return Search::Found;
    }
    // Who may go next: each client's first unplaced definite operation, and
    // its unplaced indefinite ones before that. Earliest invoked first, so
    // a real-time order, the likeliest explanation, is tried first.
    let candidates = |placed: &Bits| -> Vec<usize> {
        let mut out = Vec::new();
        for (_, list) in &clients {
            for &local in list {
                if placed.get(local) {
                    continue;
                }
                out.push(local);
                if !indefinite.get(local) {
                    break;
                }
            }
        }
        out.sort_unstable();
        out
    };

    // A definite operation that fits now and leaves the state as it is (a
    // read of the current value) can go first in any order that completes
    // this prefix: it changes no other operation's result and only releases
    // its own client's later ones. So it is the only move worth trying.
    let forced = |state: &M::State, candidates: Vec<usize>| -> Vec<usize> {
        let free = candidates.iter().copied().find(|&c| {
            let o = op(c);
            if indefinite.get(c) {
                return false;
            }
            let (after, ret) = model.step(state, o.op());
            after == *state && o.ret().is_none_or(|observed| *observed == ret)
        });
        match free {
            Some(c) => vec![c],
            None => candidates,
        }
    };
    let mut memo = Memo::new(indefinite.clone());
    let mut placed = Bits::new(n);
    let mut placed_definite = 0;
    let mut deepest: Option<Deepest<M::State>> = None;
    let init = model.init();
    let mut stack = vec![Frame {
        candidates: forced(&init, candidates(&placed)),
        state: init,
        tried: 0,
        placed: None,
    }];
    let mut steps = 0u64;
    while let Some(top) = stack.last_mut() {
        let Some(&local) = top.candidates.get(top.tried) else {
            // Dead end: every candidate was illegal or led nowhere new.
            let depth = stack.len() - 1;
            if Deepest::improves(&deepest, placed_definite, depth) {
                let top = &stack[depth];
                let first_definite = top
                    .candidates
                    .iter()
                    .copied()
                    .find(|&c| !indefinite.get(c))
                    .or(top.candidates.first().copied());
                if let Some(stuck) = first_definite {
                    deepest = Some(Deepest {
                        prefix: stack
                            .iter()
                            .filter_map(|f| f.placed)
                            .map(|l| ops[l])
                            .collect(),
                        state: top.state.clone(),
                        stuck: ops[stuck],
                        definite: placed_definite,
                    });
                }
            }
            let done = stack.pop();
            if let Some(l) = done.and_then(|f| f.placed) {
                placed.clear(l);
                if !indefinite.get(l) {
                    placed_definite -= 1;
                }
            }
            continue;
        };
        top.tried += 1;
        steps += 1;
        if steps > max_steps {
            return Search::OutOfSteps;
        }
        let o = op(local);
        let (after, ret) = model.step(&top.state, o.op());
        let legal = o.ret().is_none_or(|observed| *observed == ret);
        let pointless = indefinite.get(local) && after == top.state;
        if !legal || pointless {
            continue;
        }
        placed.set(local);
        if !memo.insert(&placed, &after) {
            placed.clear(local);
            continue;
        }
        if !indefinite.get(local) {
            placed_definite += 1;
            if placed_definite == definite {
                return Search::Found;
            }
        }
        let next = forced(&after, candidates(&placed));
        stack.push(Frame {
            state: after,
            candidates: next,
            tried: 0,
            placed: Some(local),
        });
    }
    match deepest {
        Some(deepest) => Search::Stuck(deepest),
        // Unreachable: the root has a definite candidate, so its dead end
        // records one. Report the first operation rather than panic.
        None => Search::Stuck(Deepest {
            prefix: Vec::new(),
            state: model.init(),
            stuck: ops[0],
            definite: 0,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{KvMap, KvWorkload, kv_history};
    use super::*;

    #[test]
    fn the_search_alone_finds_an_order_for_linearizable_histories() {
        // check_sequential answers these by the linearizability fast path;
        // this exercises the program-order search on them too.
        for seed in 0..20 {
            let h = kv_history(&KvWorkload {
                seed,
                ops: 40,
                keys: 3,
                clients: 4,
                ..KvWorkload::default()
            });
            check_linearizable(&KvMap::new(), &h, 100_000).assert_ok();
            let ops: Vec<usize> = (0..h.len()).filter(|&i| !h.ops()[i].is_fail()).collect();
            assert!(
                matches!(search(&KvMap::new(), &h, &ops, 1_000_000), Search::Found),
                "seed {seed}"
            );
        }
    }
}
