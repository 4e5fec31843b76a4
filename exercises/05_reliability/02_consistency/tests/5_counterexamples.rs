//! Stage 5: counterexamples a person can read. A violation names the first
//! operation that cannot be placed, the longest good prefix and the state
//! there, and draws the clients around it as a timeline that keeps real
//! time. Checked exactly on textbook cases, and by their defining
//! properties (a good prefix, as long as any, and a stuck operation that is
//! illegal after it) on a few hundred random violations.

use consistency::*;

use crate::common::{
    self, Bar, CAS, CasHistory, DONE, check_good_prefix, done, expected_slice, key_ops,
    max_good_prefix, parse_timeline, textbook, val, w,
};

fn violation(h: &CasHistory) -> Box<Counterexample<(), u64>> {
    match check_linearizable(&CAS, h, 1_000_000).verdict {
        Verdict::Violation(cex) => cex,
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn a_stale_read_is_stuck_after_the_write() {
    let mut h = History::new();
    let write = done(&mut h, 0, w(1), DONE);
    let read = done(&mut h, 1, CasOp::Read, val(0));
    let cex = violation(&h);
    assert_eq!(
        cex.op, read,
        "the read of 0 is the operation that cannot be placed"
    );
    assert_eq!(cex.prefix, [write], "the write is the longest good prefix");
    assert_eq!(cex.state, 1, "after the write the register holds 1");
    assert_eq!(
        cex.label, "read->0",
        "the label is Spec::describe of the stuck op"
    );
    assert_eq!(cex.key, Some(()), "a register's one key");
}

#[test]
fn a_lost_update_is_stuck_at_the_second_cas() {
    let mut h = History::new();
    let a = h.invoke(0, CasOp::Cas { expect: 0, new: 1 });
    let b = h.invoke(1, CasOp::Cas { expect: 0, new: 2 });
    h.ok(a, RegisterRet::Swapped(true));
    h.ok(b, RegisterRet::Swapped(true));
    let cex = violation(&h);
    assert_eq!(cex.prefix.len(), 1, "one of the two cas fits: {cex:?}");
    assert_eq!(
        cex.op, b,
        "the stuck operation is the unplaced definite one that completed first: with a \
         placed, b (completed after it) is stuck"
    );
    assert_eq!(cex.prefix, [a]);
    assert_eq!(cex.state, 1);
}

/// Checks a linearizability counterexample against its definition.
fn check_counterexample(h: &CasHistory, cex: &Counterexample<(), u64>, name: &str) {
    let ops = key_ops(&CAS, h, &());
    let state = match check_good_prefix(&CAS, h, &ops, &cex.prefix) {
        Ok(state) => state,
        Err(why) => panic!(
            "{name}: the prefix {:?} is not a good prefix: {why}",
            cex.prefix
        ),
    };
    assert_eq!(
        cex.state, state,
        "{name}: `state` is the state after the prefix"
    );
    let definite = |ids: &[OpId]| {
        ids.iter()
            .filter(|id| !h.ops()[id.index()].is_indefinite())
            .count()
    };
    let best = max_good_prefix(&CAS, h, &ops);
    assert_eq!(
        definite(&cex.prefix),
        best,
        "{name}: the longest good prefix has {best} definite operations, this one {}",
        definite(&cex.prefix)
    );
    let stuck = &h.ops()[cex.op.index()];
    assert!(
        !stuck.is_fail() && !stuck.is_indefinite() && !cex.prefix.contains(&cex.op),
        "{name}: the stuck operation is definite and not in the prefix"
    );
    let first = ops
        .iter()
        .map(|&i| &h.ops()[i])
        .filter(|o| !o.is_fail() && !o.is_indefinite() && !cex.prefix.contains(&o.id()))
        .min_by_key(|o| o.completed())
        .map(|o| o.id());
    assert_eq!(
        Some(cex.op),
        first,
        "{name}: the stuck operation is the definite one outside the prefix that completed \
         first"
    );
    assert_eq!(
        CAS.step(&cex.state, stuck.op(), stuck.ret()),
        None,
        "{name}: the stuck operation is illegal after the prefix"
    );
    assert_eq!(cex.label, CAS.describe(stuck.op(), stuck.ret()));
    let slice = expected_slice(h, &ops, cex.op);
    assert_eq!(
        cex.timeline,
        timeline(&CAS, h, &slice, Some(cex.op)),
        "{name}: the timeline draws {slice:?}: the stuck operation, those overlapping it, and \
         the 3 that completed last before it"
    );
}

#[test]
fn textbook_counterexamples_meet_their_definition() {
    for case in textbook().into_iter().filter(|c| !c.linearizable) {
        let cex = violation(&case.history);
        check_counterexample(&case.history, &cex, case.name);
    }
}

#[test]
fn random_counterexamples_meet_their_definition() {
    let mut checked = 0;
    for seed in 0..400 {
        let h = common::random_cas(seed, 3, 7, 0.3, true);
        if let Verdict::Violation(cex) = check_linearizable(&CAS, &h, 1_000_000).verdict {
            check_counterexample(&h, &cex, &format!("seed {seed}"));
            checked += 1;
        }
    }
    assert!(
        checked > 100,
        "only {checked} violations among 400 histories"
    );
}

/// The bars of `text`, or a panic that shows the drawing.
fn bars(text: &str) -> Vec<Bar> {
    parse_timeline(text).unwrap_or_else(|why| panic!("{why}\n{text}"))
}

/// Checks the drawing of `ids` of `h` against the timeline rules.
fn check_drawing<S: Spec>(spec: &S, h: &History<S::Op, S::Ret>, ids: &[OpId], focus: Option<OpId>) {
    let text = timeline(spec, h, ids, focus);
    let drawn = bars(&text);
    assert_eq!(
        drawn.len(),
        ids.len(),
        "one bar per operation drawn:\n{text}"
    );
    // A client's operations are sequential: its bars, left to right, are
    // its operations in invocation order.
    let mut by_op = Vec::new();
    let mut sorted: Vec<OpId> = ids.to_vec();
    sorted.sort();
    for &id in &sorted {
        let o = &h.ops()[id.index()];
        let nth = sorted
            .iter()
            .filter(|x| h.ops()[x.index()].client() == o.client() && **x < id)
            .count();
        let mut mine: Vec<&Bar> = drawn.iter().filter(|b| b.client == o.client()).collect();
        mine.sort_by_key(|b| b.start);
        let label = spec.describe(o.op(), o.ret());
        let bar = mine
            .get(nth)
            .filter(|b| b.label == label)
            .unwrap_or_else(|| {
                panic!(
                    "client {}'s bar {} should be {label:?} (bars left to right in invocation \
                     order):\n{text}",
                    o.client(),
                    nth + 1
                )
            });
        let mark = if o.is_fail() {
            'x'
        } else if o.is_indefinite() {
            '?'
        } else {
            '|'
        };
        assert_eq!(
            bar.mark, mark,
            "{label}: the end mark says how it ended:\n{text}"
        );
        let fill = if Some(id) == focus { '=' } else { '-' };
        assert_eq!(bar.fill, fill, "{label}: `=` for the focus only:\n{text}");
        by_op.push((o, (*bar).clone()));
    }
    let right = drawn.iter().map(|b| b.end).max().unwrap_or(0);
    for (a, ba) in &by_op {
        if a.completed().is_none() {
            assert_eq!(
                ba.end, right,
                "an operation that never completed reaches the right edge:\n{text}"
            );
        }
        for (b, bb) in &by_op {
            if a.id() == b.id() {
                continue;
            }
            let a_end = a.completed().unwrap_or(u64::MAX);
            let b_end = b.completed().unwrap_or(u64::MAX);
            if a_end < b.invoked() {
                assert!(
                    ba.end < bb.start,
                    "{:?} completed before {:?} was invoked, so its bar ends left of the \
                     other's start:\n{text}",
                    ba.label,
                    bb.label
                );
            } else if a.invoked() < b_end && b.invoked() < a_end {
                assert!(
                    ba.start < bb.end && bb.start < ba.end,
                    "{:?} and {:?} overlap in time, so their bars overlap:\n{text}",
                    ba.label,
                    bb.label
                );
            }
            if a.client() == b.client() && ba.end < bb.start {
                assert!(
                    bb.start > ba.end + 1,
                    "two bars of one client never touch:\n{text}"
                );
            }
        }
    }
}

#[test]
fn a_timeline_draws_each_kind_of_bar() {
    let mut h = History::new();
    let a = done(&mut h, 0, w(1), DONE);
    let r = h.invoke(1, CasOp::Read);
    let b = h.invoke(0, w(2));
    h.ok(r, val(0));
    h.fail(b);
    let c = h.invoke(2, w(3));
    h.unknown(c);
    let d = h.invoke(0, w(4)); // never completes
    check_drawing(&CAS, &h, &[a, r, b, c, d], Some(r));
    check_drawing(&CAS, &h, &[a, b, d], None);
    assert_eq!(
        timeline(&CAS, &h, &[], None),
        "",
        "nothing to draw draws nothing"
    );
    let text = timeline(&CAS, &h, &[a, r], Some(r));
    assert_eq!(
        text.lines().count(),
        2,
        "one line per client drawn:\n{text}"
    );
    assert!(text.ends_with('\n'), "lines end with a newline:\n{text:?}");
}

#[test]
fn a_timeline_pads_client_ids_to_the_widest() {
    let mut h = History::new();
    let a = done(&mut h, 7, w(1), DONE);
    let b = done(&mut h, 12, CasOp::Read, val(1));
    let text = timeline(&CAS, &h, &[b, a], None);
    assert!(
        text.starts_with("client 7   |"),
        "`client 7`, padded to the width of `12`, then two spaces:\n{text}"
    );
    check_drawing(&CAS, &h, &[a, b], None);
}

#[test]
fn random_timelines_keep_real_time() {
    for seed in 0..100 {
        let h = common::random_cas(seed, 4, 10, 0.1, true);
        let ids: Vec<OpId> = h.ops().iter().map(|o| o.id()).collect();
        let focus = ids.get(seed as usize % ids.len()).copied();
        check_drawing(&CAS, &h, &ids, focus);
        let kv = common::replicated(seed, common::Bug::Correct, 12, 3, 4);
        let ids: Vec<OpId> = kv.ops().iter().map(|o| o.id()).collect();
        check_drawing(&KvMap, &kv, &ids, None);
    }
}

#[test]
fn the_counterexample_draws_its_neighbourhood() {
    // Six sequential writes, then a concurrent pair and a stale read.
    let mut h = History::new();
    let writes: Vec<OpId> = (1..=6).map(|v| done(&mut h, 0, w(v), DONE)).collect();
    let open = h.invoke(2, w(9));
    let read = h.invoke(1, CasOp::Read);
    let refused = h.invoke(3, w(8));
    h.fail(refused);
    h.ok(read, val(2));
    h.ok(open, DONE);
    let cex = violation(&h);
    assert_eq!(cex.op, read);
    let expected = [writes[3], writes[4], writes[5], open, read, refused];
    let mut sorted = expected;
    sorted.sort();
    assert_eq!(
        cex.timeline,
        timeline(&CAS, &h, &sorted, Some(read)),
        "the timeline draws the stuck read, every operation overlapping it (the refused one \
         too), and the 3 that completed last before it was invoked"
    );
}

#[test]
fn the_report_reads_as_a_story() {
    let mut h = History::new();
    done(&mut h, 0, w(1), DONE);
    let read = done(&mut h, 1, CasOp::Read, val(0));
    let cex = violation(&h);
    let text = cex.to_string();
    assert!(
        text.contains("read->0") && text.contains(&read.to_string()),
        "the report names the stuck operation and its id:\n{text}"
    );
    assert!(
        text.contains('1'),
        "the report shows the state there:\n{text}"
    );
    for line in cex.timeline.lines() {
        assert!(
            text.contains(line),
            "the report includes the timeline:\n{text}"
        );
    }
    // The state appears in `{:?}` form, e.g. a map's.
    let mut kv = History::new();
    done(&mut kv, 0, KvOp::Put(4, 44), KvRet::Done);
    done(&mut kv, 1, KvOp::Get(4), KvRet::Value(None));
    let Verdict::Violation(cex) = check_linearizable(&KvMap, &kv, 1_000).verdict else {
        panic!("a stale get");
    };
    let text = cex.to_string();
    assert!(
        text.contains("{4: 44}"),
        "the state in {{:?}} form:\n{text}"
    );
    assert!(text.contains("get(4)->none"), "{text}");
}
