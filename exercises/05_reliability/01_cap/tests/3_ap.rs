//! Stage 3: AP. Every request is answered at once from the local copy,
//! partition or not; a write is stamped by the HLC, kept, and pushed to
//! every other node; a pushed version replaces the held one only if its
//! stamp is greater. Over seeded partition schedules availability is
//! exactly 1.0 (every request answered Ok, in the tick it was made), and the
//! two sides of a partition diverge: each reads its own writes. An AP node
//! that refuses without a majority fails here.

use crate::common;

use common::*;
use kit::sim::LinkConfig;

#[test]
fn an_ap_read_answers_the_local_value_at_once() {
    let (mut n, _) = node(1, 3, Mode::Ap);
    n.read(1);
    let ready = n.ready();
    assert_eq!(
        ready.responses,
        [Response {
            req: 1,
            reply: Reply::Value(0)
        }],
        "AP answers from its own copy, in the same call"
    );
    assert!(ready.messages.is_empty(), "a local read sends nothing");
}

#[test]
fn an_ap_write_is_stamped_kept_answered_and_pushed() {
    let (mut n, clock) = node(1, 3, Mode::Ap);
    clock.advance_millis(7);
    n.write(1, 11);
    let ready = n.ready();
    assert_eq!(
        ready.responses,
        [Response {
            req: 1,
            reply: Reply::Written
        }],
        "AP acknowledges a write at once"
    );
    let v = ver(11, ts(START_MS + 7, 0, 1));
    assert_eq!(
        n.version(),
        v,
        "the write is stamped by the HLC at the wall clock's reading, with the node's id"
    );
    assert_eq!(
        ready.messages,
        vec![
            (0, Message::Sync { version: v }),
            (2, Message::Sync { version: v })
        ],
        "and pushed to every other node at once, in id order"
    );
    n.write(2, 12);
    assert_eq!(
        n.version(),
        ver(12, ts(START_MS + 7, 1, 1)),
        "a second write in the same millisecond: the logical counter orders it after the first"
    );
}

#[test]
fn a_pushed_version_replaces_the_local_one_only_if_it_is_newer() {
    let (mut n, _) = node(0, 3, Mode::Ap);
    let newer = ver(5, ts(START_MS + 40, 0, 2));
    n.step(2, Message::Sync { version: newer });
    assert_eq!(n.version(), newer, "a greater stamp wins");
    let older = ver(6, ts(START_MS + 30, 9, 1));
    n.step(1, Message::Sync { version: older });
    assert_eq!(
        n.version(),
        newer,
        "an older stamp loses: last-writer-wins by stamp, not by arrival order"
    );
    let tie = ver(7, ts(START_MS + 40, 0, 1));
    n.step(1, Message::Sync { version: tie });
    assert_eq!(
        n.version(),
        newer,
        "equal physical and logical parts: the higher node id wins (2 over 1)"
    );
    assert!(
        n.ready().messages.is_empty(),
        "a Sync is not answered (every node pushes its own periodically)"
    );
}

#[test]
fn a_write_after_seeing_a_newer_version_is_stamped_after_it() {
    let (mut n, _) = node(0, 3, Mode::Ap);
    let ahead = ver(5, ts(START_MS + 5_000, 2, 2));
    n.step(2, Message::Sync { version: ahead });
    assert!(
        n.hlc() > ahead.stamp,
        "a received stamp goes through the HLC: {:?}",
        n.hlc()
    );
    n.write(1, 11);
    assert_eq!(
        n.version().value,
        11,
        "the write follows the version it saw (node 2's clock is 5 s ahead, but the HLC carried \
         its stamp): it must win over it"
    );
    assert!(n.version().stamp > ahead.stamp);
}

#[test]
fn an_isolated_ap_node_still_answers_everything() {
    let (mut n, _) = node(0, 5, Mode::Ap);
    for _ in 0..40 {
        n.tick();
    }
    assert!(
        !n.has_majority(),
        "silent for 40 ticks: its failure detector suspects everyone"
    );
    let _ = n.ready();
    n.write(1, 3);
    n.read(2);
    assert_eq!(
        n.ready().responses,
        [
            Response {
                req: 1,
                reply: Reply::Written
            },
            Response {
                req: 2,
                reply: Reply::Value(3)
            }
        ],
        "AP ignores the failure detector: available means every request to a live node gets a \
         (non-error) answer, majority or not"
    );
}

// ----------------------------------------------------------- scenarios

#[test]
fn the_sides_of_a_partition_diverge_and_each_reads_its_own_writes() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(5, Mode::Ap, seed);
        c.partition(&[&[0, 1], &[2, 3, 4]]);
        c.run(5);
        let (_, a) = c.write(0);
        let (_, b) = c.write(3);
        c.run(10);
        for i in 0..5 {
            let req = c.read(i);
            let want = if i < 2 { a } else { b };
            let got = c.reply(req);
            if got != Reply::Value(want) {
                c.net.fail(&format!(
                    "node {i} read {got:?} in the partition, expected {want}: each side of an \
                     AP partition sees its own side's writes (the two copies diverge), and \
                     every node answers"
                ));
            }
        }
        assert_ne!(
            c.node(0).version(),
            c.node(4).version(),
            "the copies must differ while partitioned: that is the price of availability"
        );
    });
}

#[test]
fn availability_is_exactly_one_under_seeded_partitions() {
    run_seeds(&SEEDS, |seed| {
        let skews = skews(5, seed, 300);
        let mut c = Cluster::with(5, seed, &skews, |cfg| cfg.mode = Mode::Ap);
        c.net.set_links(LinkConfig::unreliable());
        random_run(&mut c, seed, 400, 0.8, true);
        let asked = c.answers.len() + c.unanswered();
        let ok = c
            .answers
            .iter()
            .filter(|a| a.is_ok() && a.latency() == 0)
            .count();
        let availability = ok as f64 / asked as f64;
        if ok != asked {
            let bad = c.answers.iter().find(|a| !a.is_ok() || a.latency() > 0);
            c.net.fail(&format!(
                "availability {availability:.3} ({ok} of {asked} requests answered Ok in the \
                 tick they were made), first bad {bad:?}: an AP register answers every request \
                 at once, whatever the partition"
            ));
        }
        assert!(asked > 200, "the workload made {asked} requests");
    });
}
