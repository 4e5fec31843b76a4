//! Stage 3 (the wrong design): committed offsets and at-least-once.
//! A consumer crashes at every possible record of a run, restarts from the
//! committed offsets, and `kit::history`'s log rules read what it handled:
//! nothing `lost`, no `skip`, nothing `nonmonotonic` after a declared
//! rewind to the commit; duplicates allowed, but only what was handled since
//! the last commit. Committing before processing (at-most-once) loses the
//! rest of the batch a crash hits and fails here; so does resuming one past
//! the commit. Then a whole group, with members crashing and joining.

use std::collections::{BTreeMap, BTreeSet};

use event_bus::{Consumer, Crashed, Group, MemberId, OffsetStore, Record};
use kit::history::Log;
use kit::rng::Rng;

use crate::common::{
    Recorder, TestOffsets, at_least_once, consume_with_crashes, list, log_of, topic_with,
};

#[test]
fn process_handles_a_batch_in_order_then_commits_the_next_offsets() {
    let topic = topic_with(2, 20, 4);
    let mut offsets = TestOffsets::default();
    let mut c = Consumer::new();
    c.assign(&[0, 1], &offsets);
    let mut seen: Vec<(u32, u64)> = Vec::new();
    let mut handler = |r: &Record| {
        seen.push((r.partition, r.offset));
        Ok(())
    };
    let n = c
        .process(&topic, &mut offsets, &mut handler, 3)
        .expect("no crash");
    assert_eq!(n, 6, "3 from each of 2 partitions");
    assert_eq!(
        seen,
        [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)],
        "the handler gets the batch in poll order"
    );
    assert_eq!(
        offsets.committed(0),
        Some(3),
        "after handling offsets 0..3 the commit is 3, the next offset to read (committing 2, \
         the last one handled, redelivers it after every restart)"
    );
    assert_eq!(offsets.committed(1), Some(3));
}

#[test]
fn a_caught_up_consumer_handles_nothing_and_a_restart_redelivers_nothing() {
    let topic = topic_with(3, 30, 5);
    let run = consume_with_crashes(&topic, 4, &BTreeSet::new());
    assert_eq!(
        run.handled.len(),
        30,
        "without crashes every record is handled once"
    );
    for p in 0..3 {
        assert_eq!(
            run.offsets.committed(p),
            Some(topic.end_offset(p)),
            "a consumer that handled everything has committed the end of partition {p}"
        );
    }
    let mut c = Consumer::new();
    c.assign(&[0, 1, 2], &run.offsets);
    let mut offsets = run.offsets.clone();
    let mut handler = |r: &Record| -> Result<(), Crashed> {
        panic!("redelivered {r:?} after a clean finish: the commit was behind")
    };
    assert_eq!(c.process(&topic, &mut offsets, &mut handler, 10), Ok(0));
}

#[test]
fn a_crash_in_the_handler_commits_nothing() {
    let topic = topic_with(1, 10, 1);
    let mut offsets = TestOffsets::default();
    let mut c = Consumer::new();
    c.assign(&[0], &offsets);
    let mut calls = 0;
    let mut handler = |_: &Record| {
        calls += 1;
        if calls == 3 { Err(Crashed) } else { Ok(()) }
    };
    assert_eq!(
        c.process(&topic, &mut offsets, &mut handler, 5),
        Err(Crashed),
        "a crashed handler ends process with Err(Crashed)"
    );
    assert_eq!(calls, 3, "process stops at the crash");
    assert_eq!(
        offsets.committed(0),
        None,
        "nothing may be committed for a batch that was not fully handled: records 2..5 were \
         never handled, and a restart must read them"
    );
}

#[test]
fn a_restarted_consumer_resumes_at_its_commit() {
    let topic = topic_with(1, 10, 1);
    let mut offsets = TestOffsets::default();
    let mut c = Consumer::new();
    c.assign(&[0], &offsets);
    let mut ok = |_: &Record| Ok(());
    c.process(&topic, &mut offsets, &mut ok, 4)
        .expect("no crash");
    drop(c); // it crashed between batches
    let mut again = Consumer::new();
    again.assign(&[0], &offsets);
    let got = again.poll(&topic, 1);
    assert_eq!(
        got[0].offset, 4,
        "the new consumer starts at the committed offset"
    );
}

/// The crash-free run handles `n` records; crash on each of them in turn.
#[test]
fn a_crash_at_any_record_loses_nothing() {
    let topic = topic_with(3, 45, 7);
    let max = 4;
    let total = consume_with_crashes(&topic, max, &BTreeSet::new())
        .handled
        .len();
    for crash in 0..total {
        let run = consume_with_crashes(&topic, max, &BTreeSet::from([crash]));
        let anomalies = at_least_once(&run.log);
        assert!(
            anomalies.is_empty(),
            "crash at handle call {crash}, restart from the committed offsets:{}\n(a \
             consumer that commits before it handles loses the rest of the batch the crash \
             hit: at-most-once)",
            list(&anomalies)
        );
        let redelivered = run.handled.len() - 45;
        assert!(
            redelivered < 3 * max,
            "crash at handle call {crash}: {redelivered} records handled twice; at-least-once \
             redelivers only what was handled since the last commit (under 3 partitions x \
             {max})"
        );
    }
}

#[test]
fn many_crashes_over_five_seeds_lose_nothing() {
    let topic = topic_with(4, 120, 13);
    for seed in 1..=5u64 {
        let mut rng = Rng::new(seed).stream("crashes");
        let crash_on: BTreeSet<usize> = (0..400).filter(|_| rng.chance(0.08)).collect();
        let run = consume_with_crashes(&topic, 3, &crash_on);
        let anomalies = at_least_once(&run.log);
        assert!(
            anomalies.is_empty(),
            "seed {seed}: {} crashes; the log of what was handled shows:{}",
            run.crashes,
            list(&anomalies)
        );
        assert!(
            run.crashes > 5,
            "seed {seed}: the schedule should crash often"
        );
    }
}

/// A group of consumers over one topic: members process in rounds, crash
/// mid-batch (and leave), and join; a partition that moves resumes at its
/// commit on its new owner. One log for the whole group.
#[test]
fn a_group_with_crashing_members_loses_nothing() {
    for seed in 1..=5u64 {
        let topic = topic_with(6, 300, 31);
        let mut rng = Rng::new(seed).stream("group");
        let mut log = log_of(&topic);
        let mut offsets = TestOffsets::default();
        let mut group = Group::new(6);
        let mut consumers: BTreeMap<MemberId, Consumer> = BTreeMap::new();
        let mut next_member = 0;
        let (mut calls, mut handled) = (0, Vec::new());
        let mut crash_on = BTreeSet::new();
        let rebalance = |group: &Group,
                         consumers: &mut BTreeMap<MemberId, Consumer>,
                         offsets: &TestOffsets,
                         log: &mut Log| {
            for (&m, c) in consumers.iter_mut() {
                let now = group.assignment(m);
                for &p in &now {
                    if c.position(p).is_none() {
                        log.rewind(m as usize, p, offsets.committed(p).unwrap_or(0));
                    }
                }
                c.assign(&now, offsets);
            }
        };
        for _ in 0..3 {
            group.join(next_member);
            consumers.insert(next_member, Consumer::new());
            next_member += 1;
        }
        rebalance(&group, &mut consumers, &offsets, &mut log);
        for round in 0..400 {
            if round % 7 == 3 && consumers.len() < 5 {
                group.join(next_member);
                consumers.insert(next_member, Consumer::new());
                next_member += 1;
                rebalance(&group, &mut consumers, &offsets, &mut log);
            }
            if rng.chance(0.3) {
                crash_on.insert(calls + rng.below(6) as usize);
            }
            let mut progress = 0;
            let mut crashed = Vec::new();
            for (&m, c) in consumers.iter_mut() {
                let mut recorder = Recorder {
                    log: &mut log,
                    consumer: m as usize,
                    calls: &mut calls,
                    crash_on: &crash_on,
                    handled: &mut handled,
                };
                match c.process(&topic, &mut offsets, &mut recorder, 2) {
                    Ok(n) => progress += n,
                    Err(Crashed) => crashed.push(m),
                }
            }
            for m in &crashed {
                consumers.remove(m);
                group.leave(*m);
            }
            if consumers.is_empty() {
                group.join(next_member);
                consumers.insert(next_member, Consumer::new());
                next_member += 1;
            }
            if !crashed.is_empty() {
                rebalance(&group, &mut consumers, &offsets, &mut log);
            }
            if progress == 0 && crashed.is_empty() {
                break;
            }
        }
        let anomalies = at_least_once(&log);
        assert!(
            anomalies.is_empty(),
            "seed {seed}: members joined and crashed ({} members over the run); what the \
             group handled shows:{}",
            next_member,
            list(&anomalies)
        );
        let distinct: BTreeSet<u64> = handled.iter().map(|r| r.event.id.0).collect();
        assert_eq!(distinct.len(), 300, "seed {seed}: every record handled");
    }
}
