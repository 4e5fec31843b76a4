//! The linearizability checker: Wing and Gong's search with Lowe's
//! memoisation (G. Lowe, "Testing for linearizability", 2017), the
//! algorithm of porcupine.
//!
//! The history becomes a list of call and return entries in time order. The
//! search walks it from the front: at a call it tries to linearize that
//! operation now (the model accepts its return value and the memo has not
//! seen the resulting (linearized set, state)), and if so removes the
//! operation's two entries and starts over from the front. Reaching a return
//! entry means that operation had to be linearized already: backtrack, undo
//! the last choice, and try the next call after it. Every operation whose
//! call precedes the first remaining return is a candidate, which is exactly
//! the real-time order.
//!
//! Indefinite operations get their return entry at the end of time, after
//! every definite one, so they may be linearized anywhere after their call.
//! Reaching the first of those means every definite operation is placed;
//! the indefinite ones left over never took effect, and the history is
//! linearizable.

use super::report::{Report, op_ref, slice_around, stuck_note};
use super::search::{Bits, Deepest, Memo, Search, partitions};
use super::{History, Model, Verdict};

/// Whether `history` is linearizable with respect to `model`: whether its
/// operations can be put in one order that respects real time (if A
/// completed before B was invoked, A comes first) and that the model
/// explains, each operation taking effect at one instant between its
/// invocation and its completion.
///
/// - Definite failures ([`super::Outcome::Fail`]) took no effect and are
///   left out.
/// - Indefinite operations may take effect at any point after their
///   invocation, even after they completed `Unknown` (a delayed message), or
///   never.
/// - Partitions ([`Model::partition`]) are checked independently, each with
///   its own budget of `max_steps` search steps; a partition that exceeds it
///   makes the verdict [`Verdict::Unknown`], unless another one has a
///   definite violation, which wins.
pub fn check_linearizable<M: Model>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    max_steps: u64,
) -> Verdict {
    let mut unknown = None;
    for (key, members) in partitions(model, history) {
        let ops: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| !history.ops()[i].is_fail())
            .collect();
        match search(model, history, &ops, max_steps) {
            Search::Found => {}
            Search::Stuck(deepest) => {
                return Verdict::Violation(Box::new(report(
                    model, history, key, &members, deepest,
                )));
            }
            Search::OutOfSteps => {
                unknown.get_or_insert_with(|| Verdict::Unknown {
                    steps: max_steps,
                    reason: match &key {
                        Some(key) => format!(
                            "the linearizability search of key {key} ({} operations) \
                             exhausted its budget of {max_steps} steps",
                            ops.len()
                        ),
                        None => format!(
                            "the linearizability search ({} operations) exhausted its \
                             budget of {max_steps} steps",
                            ops.len()
                        ),
                    },
                });
            }
        }
    }
    unknown.unwrap_or(Verdict::Ok)
}

/// The search over one partition: `ops` are history indices, none failed.
fn search<M: Model>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    ops: &[usize],
    max_steps: u64,
) -> Search<M::State> {
    let n = ops.len();
    let op = |local: usize| &history.ops()[ops[local]];
    // Entries 0..n are calls, n..2n returns, 2n is the list's head sentinel.
    let head = 2 * n;
    let time = |entry: usize| -> u64 {
        if entry < n {
            op(entry).invoked()
        } else if op(entry - n).is_indefinite() {
            u64::MAX
        } else {
            op(entry - n).completed().unwrap_or(u64::MAX)
        }
    };
    let mut order: Vec<usize> = (0..head).collect();
    order.sort_by_key(|&e| (time(e), e));
    let mut next = vec![head; head + 1];
    let mut prev = vec![head; head + 1];
    let mut last = head;
    for &e in &order {
        next[last] = e;
        prev[e] = last;
        last = e;
    }
    next[last] = head;
    prev[head] = last;

    let mut indefinite = Bits::new(n);
    for local in 0..n {
        if op(local).is_indefinite() {
            indefinite.set(local);
        }
    }
    let mut memo = Memo::new(indefinite.clone());
    let mut placed = Bits::new(n);
    let mut state = model.init();
    // The linearized calls, each with the state before it.
    let mut stack: Vec<(usize, M::State)> = Vec::new();
    let mut placed_definite = 0;
    let mut deepest: Option<Deepest<M::State>> = None;
    let mut steps = 0u64;
    let mut entry = next[head];
    loop {
        if entry == head {
            return Search::Found;
        }
        steps += 1;
        if steps > max_steps {
            return Search::OutOfSteps;
        }
        if entry < n {
            let o = op(entry);
            let (after, ret) = model.step(&state, o.op());
            let legal = o.ret().is_none_or(|observed| *observed == ret);
            // An optional operation that changes nothing is better left out.
            let pointless = indefinite.get(entry) && after == state;
            if legal && !pointless {
                placed.set(entry);
                if memo.insert(&placed, &after) {
                    if !indefinite.get(entry) {
                        placed_definite += 1;
                    }
                    stack.push((entry, std::mem::replace(&mut state, after)));
                    lift(&mut next, &mut prev, entry, entry + n);
                    entry = next[head];
                    continue;
                }
                placed.clear(entry);
            }
            entry = next[entry];
        } else {
            let local = entry - n;
            if indefinite.get(local) {
                // Every definite operation is placed; the rest never happened.
                return Search::Found;
            }
            if Deepest::improves(&deepest, placed_definite, stack.len()) {
                deepest = Some(Deepest {
                    prefix: stack.iter().map(|&(call, _)| ops[call]).collect(),
                    state: state.clone(),
                    stuck: ops[local],
                    definite: placed_definite,
                });
            }
            let Some((call, before)) = stack.pop() else {
                return Search::Stuck(deepest.unwrap_or_else(|| Deepest {
                    prefix: Vec::new(),
                    state,
                    stuck: ops[local],
                    definite: 0,
                }));
            };
            state = before;
            placed.clear(call);
            if !indefinite.get(call) {
                placed_definite -= 1;
            }
            unlift(&mut next, &mut prev, call, call + n);
            entry = next[call];
        }
    }
}

/// Removes a call entry and its return entry from the list (dancing links:
/// the removed entries keep their neighbours, so `unlift` can put them back).
fn lift(next: &mut [usize], prev: &mut [usize], call: usize, ret: usize) {
    for e in [call, ret] {
        next[prev[e]] = next[e];
        prev[next[e]] = prev[e];
    }
}

/// Undoes [`lift`]; lifts are undone in reverse order.
fn unlift(next: &mut [usize], prev: &mut [usize], call: usize, ret: usize) {
    for e in [ret, call] {
        next[prev[e]] = e;
        prev[next[e]] = e;
    }
}

fn report<M: Model>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    key: Option<String>,
    members: &[usize],
    deepest: Deepest<M::State>,
) -> Report {
    let stuck = &history.ops()[deepest.stuck];
    let why = format!(
        "no order consistent with real time places it: {}",
        stuck_note(model, &deepest.state, stuck)
    );
    let slice = slice_around(history, members, deepest.stuck);
    Report::new("linearizability", key, Some(op_ref(model, stuck)), why)
        .with_prefix(
            deepest
                .prefix
                .iter()
                .map(|&i| op_ref(model, &history.ops()[i]))
                .collect(),
            format!("{:?}", deepest.state),
        )
        .with_timeline(model, history, &slice, Some(deepest.stuck))
}
