//! Stage 1: asynchronous log shipping. A leader numbers its writes with LSNs
//! and acknowledges them at once; every tick it ships what is new to each
//! follower in one Append; followers store entries strictly in LSN order,
//! acknowledge how far they are, and ignore what would leave a gap; the
//! leader probes followers it has not heard from and resends after
//! `retransmit_ticks` without progress. On a lossy network, and across a
//! follower's crash and restart, every follower ends with the leader's log.

use crate::common;

use common::*;
use kit::sim::LinkConfig;

// ------------------------------------------------------------ the leader

#[test]
fn a_new_node_is_unassigned_and_empty() {
    let n = node(2, 3, Mode::Async);
    assert_eq!(n.id(), 2);
    assert_eq!(n.role(), Role::Unassigned);
    assert_eq!(n.epoch(), 0);
    assert_eq!(n.last_lsn(), 0);
    assert_eq!(n.visible_lsn(), 0);
    assert_eq!(n.position(), Position { epoch: 0, lsn: 0 });
    assert!(n.log().is_empty());
    assert!(n.history().is_empty(), "an empty log has no epochs");
}

#[test]
fn config_new_has_the_stated_defaults() {
    assert_eq!(
        Config::new(1, 4, Mode::SemiSync),
        Config {
            id: 1,
            nodes: 4,
            mode: Mode::SemiSync,
            retransmit_ticks: 8,
            max_batch: 64,
        }
    );
}

#[test]
#[should_panic(expected = "node id 3 is not in 0..3")]
fn a_node_id_outside_the_cluster_panics() {
    Node::new(Config::new(3, 3, Mode::Async), Vec::new());
}

#[test]
#[should_panic(expected = "max_batch must be positive")]
fn a_zero_batch_panics() {
    let mut c = Config::new(0, 3, Mode::Async);
    c.max_batch = 0;
    Node::new(c, Vec::new());
}

#[test]
#[should_panic(expected = "retransmit_ticks must be positive")]
fn a_zero_retransmit_interval_panics() {
    let mut c = Config::new(0, 3, Mode::Async);
    c.retransmit_ticks = 0;
    Node::new(c, Vec::new());
}

#[test]
fn a_leader_numbers_writes_from_lsn_one_and_acknowledges_them_at_once() {
    let mut n = node(0, 3, Mode::Async);
    n.promote(1);
    assert_eq!(n.role(), Role::Leader);
    assert_eq!(n.epoch(), 1);
    let _ = n.ready();
    assert_eq!(n.write(5, 50), Ok(1), "the first write gets LSN 1");
    assert_eq!(n.write(6, 60), Ok(2));
    assert_eq!(n.write(5, 51), Ok(3));
    assert_eq!(
        n.log(),
        [entry(1, 1, 5, 50), entry(1, 2, 6, 60), entry(1, 3, 5, 51)],
        "each write appends Entry {{ epoch, lsn, key, value }} at the next LSN"
    );
    assert_eq!(n.last_lsn(), 3);
    assert_eq!(n.position(), Position { epoch: 1, lsn: 3 });
    assert_eq!(n.visible_lsn(), 3, "an async leader sees its whole log");
    let ready = n.ready();
    assert_eq!(
        ready.acked,
        [1, 2, 3],
        "asynchronous replication acknowledges a write as soon as it is in the leader's log"
    );
    assert_eq!(
        ready.persist.as_deref(),
        Some(n.log()),
        "the new entries must be persisted (Ready::persist is the whole log) before the \
         acknowledgements are reported"
    );
    assert!(
        ready.messages.is_empty(),
        "write() sends nothing: the next tick ships what is new, so that a burst of writes \
         travels in one Append"
    );
    let again = n.ready();
    assert!(
        again.acked.is_empty() && again.persist.is_none(),
        "ready() drains: nothing changed since the last one"
    );
}

#[test]
fn writes_anywhere_else_are_refused_with_the_leader_to_try() {
    let mut f = follower(1, 3, Mode::Async);
    assert_eq!(f.role(), Role::Follower(0));
    assert_eq!(f.epoch(), 1);
    let err = f.write(1, 1).expect_err("a follower takes no writes");
    assert_eq!(err, NotLeader { leader: Some(0) });
    assert_eq!(err.to_string(), "not the leader; try node 0");
    let mut u = node(2, 3, Mode::Async);
    let err = u
        .write(1, 1)
        .expect_err("an unassigned node takes no writes");
    assert_eq!(err, NotLeader { leader: None });
    assert_eq!(err.to_string(), "not the leader; no leader known");
    assert!(
        f.log().is_empty() && u.log().is_empty(),
        "nothing was appended"
    );
}

#[test]
fn each_tick_ships_what_is_new_in_one_append_per_follower() {
    let mut n = leader(3, Mode::Async);
    n.write(1, 10).unwrap();
    n.write(2, 20).unwrap();
    n.write(3, 30).unwrap();
    let _ = n.ready();
    n.tick();
    let ready = n.ready();
    let expected = Message::Append {
        epoch: 1,
        entries: n.log().to_vec(),
    };
    assert_eq!(
        ready.messages,
        vec![(1, expected.clone()), (2, expected)],
        "one Append per follower, in follower id order, carrying every entry written since \
         the last tick"
    );
    n.write(4, 40).unwrap();
    n.tick();
    let ready = n.ready();
    assert_eq!(
        shipped(&to(&ready, 1)),
        [vec![4]],
        "the next tick ships only what is new since the last Append, not the whole log"
    );
    assert_eq!(shipped(&to(&ready, 2)), [vec![4]]);
}

#[test]
fn a_leader_with_nothing_new_stays_silent() {
    let mut n = leader(3, Mode::Async);
    for _ in 0..20 {
        n.tick();
        assert!(
            n.ready().messages.is_empty(),
            "a leader whose followers have acknowledged everything sends nothing: no heartbeats"
        );
    }
    n.write(1, 10).unwrap();
    n.tick();
    let _ = n.ready();
    n.step(1, Message::Ack { epoch: 1, lsn: 1 });
    n.step(2, Message::Ack { epoch: 1, lsn: 1 });
    for _ in 0..20 {
        n.tick();
        assert!(
            n.ready().messages.is_empty(),
            "every follower acknowledged LSN 1: nothing to resend"
        );
    }
}

#[test]
fn max_batch_caps_an_append_and_the_rest_follows_on_later_ticks() {
    let mut c = Config::new(0, 2, Mode::Async);
    c.max_batch = 2;
    let mut n = Node::new(c, Vec::new());
    n.promote(1);
    n.step(1, Message::Ack { epoch: 1, lsn: 0 });
    for k in 1..=5 {
        n.write(k, k).unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        n.tick();
        got.extend(shipped(&to(&n.ready(), 1)));
    }
    assert_eq!(
        got,
        [vec![1, 2], vec![3, 4], vec![5]],
        "at most max_batch entries per Append; one Append per follower per tick"
    );
}

#[test]
fn unknown_followers_are_probed_and_shipping_starts_at_their_first_ack() {
    let mut n = node(0, 3, Mode::Async);
    n.promote(1);
    n.write(1, 10).unwrap();
    n.write(2, 20).unwrap();
    let _ = n.ready();
    n.tick();
    let probe = Message::Append {
        epoch: 1,
        entries: Vec::new(),
    };
    assert_eq!(
        n.ready().messages,
        vec![(1, probe.clone()), (2, probe.clone())],
        "on the first tick after promotion, a leader that has heard from nobody sends each \
         follower an empty Append (a probe), and no entries: it does not know where they are"
    );
    let rt = Config::new(0, 3, Mode::Async).retransmit_ticks;
    for t in 1..rt {
        n.tick();
        assert!(
            n.ready().messages.is_empty(),
            "tick {t} after the probe: the next probe is due after retransmit_ticks = {rt}"
        );
    }
    // Follower 1 answers: it already holds LSN 1.
    n.step(1, Message::Ack { epoch: 1, lsn: 1 });
    n.tick();
    let ready = n.ready();
    assert_eq!(
        shipped(&to(&ready, 1)),
        [vec![2]],
        "a follower's first Ack says where it is: shipping resumes right after its LSN"
    );
    assert_eq!(
        to(&ready, 2),
        [probe],
        "follower 2 is still silent: probed again retransmit_ticks = {rt} ticks after the first"
    );
}

#[test]
fn acks_of_other_epochs_are_ignored() {
    let mut n = node(0, 2, Mode::Async);
    n.promote(3);
    n.write(1, 10).unwrap();
    let _ = n.ready();
    n.step(1, Message::Ack { epoch: 2, lsn: 0 });
    n.tick();
    assert_eq!(
        shipped(&to(&n.ready(), 1)),
        [Vec::<Lsn>::new()],
        "an Ack of epoch 2 is from a follower of an older leader: the leader of epoch 3 \
         still does not know follower 1 and only probes it"
    );
}

#[test]
fn the_leader_resends_after_retransmit_ticks_without_progress() {
    let rt = Config::new(0, 2, Mode::Async).retransmit_ticks;
    let mut n = leader(2, Mode::Async);
    n.write(1, 10).unwrap();
    n.write(2, 20).unwrap();
    n.tick();
    assert_eq!(shipped(&to(&n.ready(), 1)), [vec![1, 2]]);
    for t in 1..rt {
        n.tick();
        assert!(
            n.ready().messages.is_empty(),
            "{t} ticks after shipping, no Ack yet: too early to resend (retransmit_ticks = {rt}); \
             resending every tick floods a slow follower"
        );
    }
    n.tick();
    assert_eq!(
        shipped(&to(&n.ready(), 1)),
        [vec![1, 2]],
        "retransmit_ticks = {rt} ticks without an Ack: resend everything after the last Ack (0)"
    );
    for t in 1..rt {
        n.tick();
        assert!(
            n.ready().messages.is_empty(),
            "{t} ticks after the resend: the timer restarted at the resend"
        );
    }
    n.tick();
    assert_eq!(
        shipped(&to(&n.ready(), 1)),
        [vec![1, 2]],
        "still no Ack, retransmit_ticks after the resend: resend again"
    );
    // Progress: the follower acknowledges LSN 1; LSN 2 is still missing.
    n.step(1, Message::Ack { epoch: 1, lsn: 1 });
    for t in 1..rt {
        n.tick();
        assert!(
            n.ready().messages.is_empty(),
            "the Ack advanced {t} ticks ago: the retransmit timer restarted"
        );
    }
    n.tick();
    assert_eq!(
        shipped(&to(&n.ready(), 1)),
        [vec![2]],
        "after retransmit_ticks without progress, resend from the last Ack + 1, not from the start"
    );
}

#[test]
fn a_stale_ack_does_not_move_a_follower_back() {
    let rt = Config::new(0, 2, Mode::Async).retransmit_ticks;
    let mut n = leader(2, Mode::Async);
    for k in 1..=4 {
        n.write(k, k).unwrap();
    }
    n.tick();
    let _ = n.ready();
    n.step(1, Message::Ack { epoch: 1, lsn: 3 });
    n.step(1, Message::Ack { epoch: 1, lsn: 1 }); // an old Ack, reordered
    n.tick();
    assert_eq!(
        shipped(&to(&n.ready(), 1)),
        Vec::<Vec<u64>>::new(),
        "LSN 4 is in flight and not yet due for a retransmit: a late Ack for LSN 1 must not \
         make the leader ship anything again"
    );
    for _ in 1..rt {
        n.tick();
    }
    assert_eq!(
        shipped(&to(&n.ready(), 1)),
        [vec![4]],
        "the follower acknowledged LSN 3; a late Ack for LSN 1 must not make the leader \
         resend 2 and 3"
    );
}

#[test]
fn an_ack_that_repeats_itself_means_a_gap_and_shipping_restarts_at_once() {
    let mut n = leader(2, Mode::Async);
    n.write(1, 10).unwrap();
    n.tick();
    n.write(2, 20).unwrap();
    n.tick();
    assert_eq!(shipped(&to(&n.ready(), 1)), [vec![1], vec![2]]);
    // The Append with LSN 1 was lost; the one with LSN 2 hit a gap.
    n.step(1, Message::Ack { epoch: 1, lsn: 0 });
    n.tick();
    assert_eq!(
        shipped(&to(&n.ready(), 1)),
        [vec![1, 2]],
        "the follower acknowledged LSN 0 again while LSNs 1 and 2 were shipped: it stored \
         nothing, so the leader ships from LSN 1 on its next tick, without waiting for the \
         retransmit timer"
    );
    n.step(1, Message::Ack { epoch: 1, lsn: 2 });
    n.tick();
    assert!(n.ready().messages.is_empty(), "all acknowledged");
    n.step(1, Message::Ack { epoch: 1, lsn: 2 });
    n.tick();
    assert!(
        n.ready().messages.is_empty(),
        "a repeated Ack with nothing unacknowledged asks for nothing"
    );
}

// ---------------------------------------------------------- the follower

#[test]
fn follow_says_hello_with_the_followers_last_lsn() {
    let mut f = Node::new(Config::new(1, 3, Mode::Async), log_of_epochs(&[1, 1, 1]));
    assert_eq!(f.role(), Role::Unassigned);
    assert_eq!(
        f.last_lsn(),
        3,
        "a node restored from its disk keeps its log"
    );
    assert_eq!(f.visible_lsn(), 3);
    f.follow(
        2,
        1,
        &[EpochStart {
            epoch: 1,
            first_lsn: 1,
        }],
    );
    assert_eq!(f.role(), Role::Follower(2));
    assert_eq!(f.epoch(), 1);
    assert_eq!(
        f.ready().messages,
        vec![(2, Message::Ack { epoch: 1, lsn: 3 })],
        "a node that starts following tells its leader where it is, so shipping starts there"
    );
}

#[test]
fn a_follower_stores_in_lsn_order_and_acknowledges_how_far_it_is() {
    let mut f = follower(1, 3, Mode::Async);
    let log = log_of_epochs(&[1, 1, 1, 1]);
    f.step(
        0,
        Message::Append {
            epoch: 1,
            entries: log[..2].to_vec(),
        },
    );
    let ready = f.ready();
    assert_eq!(f.log(), &log[..2]);
    assert_eq!(f.visible_lsn(), 2, "stored entries are visible at once");
    assert_eq!(
        ready.persist.as_deref(),
        Some(&log[..2]),
        "the follower persists before its Ack leaves"
    );
    assert_eq!(ready.messages, vec![(0, Message::Ack { epoch: 1, lsn: 2 })]);

    // LSN 4 without 3: a gap. Store nothing, say where you are.
    f.step(
        0,
        Message::Append {
            epoch: 1,
            entries: log[3..].to_vec(),
        },
    );
    let ready = f.ready();
    assert_eq!(
        f.last_lsn(),
        2,
        "an Append that would leave a gap (LSN 4 after 2) is not stored: a follower applies \
         the log strictly in order"
    );
    assert!(ready.persist.is_none());
    assert_eq!(ready.messages, vec![(0, Message::Ack { epoch: 1, lsn: 2 })]);

    // 2..=4 overlaps what it has: store 3 and 4.
    f.step(
        0,
        Message::Append {
            epoch: 1,
            entries: log[1..].to_vec(),
        },
    );
    assert_eq!(
        f.log(),
        &log[..],
        "entries beyond the last LSN are stored, duplicates skipped"
    );
    assert_eq!(
        f.ready().messages,
        vec![(0, Message::Ack { epoch: 1, lsn: 4 })]
    );

    // A duplicate and a probe: nothing to store, one Ack each.
    f.step(
        0,
        Message::Append {
            epoch: 1,
            entries: log[..1].to_vec(),
        },
    );
    f.step(
        0,
        Message::Append {
            epoch: 1,
            entries: Vec::new(),
        },
    );
    let ready = f.ready();
    assert!(ready.persist.is_none(), "nothing new to persist");
    assert_eq!(
        ready.messages,
        vec![
            (0, Message::Ack { epoch: 1, lsn: 4 }),
            (0, Message::Ack { epoch: 1, lsn: 4 })
        ],
        "every Append of the follower's epoch gets exactly one Ack with its last LSN"
    );
}

#[test]
fn a_follower_ignores_other_epochs_acks_and_ticks() {
    let mut f = follower(1, 3, Mode::Async);
    f.step(
        0,
        Message::Append {
            epoch: 2,
            entries: log_of_epochs(&[2]),
        },
    );
    f.step(2, Message::Ack { epoch: 1, lsn: 5 });
    for _ in 0..20 {
        f.tick();
    }
    let ready = f.ready();
    assert!(
        f.log().is_empty() && ready.messages.is_empty() && ready.persist.is_none(),
        "a follower of epoch 1 takes Appends of epoch 1 only, ignores Acks, and does nothing on \
         a tick: got {ready:?}"
    );
}

#[test]
fn an_unassigned_node_ignores_everything() {
    let mut u = node(1, 3, Mode::Async);
    u.step(
        0,
        Message::Append {
            epoch: 0,
            entries: log_of_epochs(&[0]),
        },
    );
    u.step(
        0,
        Message::Append {
            epoch: 1,
            entries: log_of_epochs(&[1]),
        },
    );
    u.step(0, Message::Ack { epoch: 0, lsn: 0 });
    u.tick();
    let ready = u.ready();
    assert!(
        u.log().is_empty() && ready.messages.is_empty(),
        "a node restored from disk waits for promote() or follow() before it takes anything"
    );
}

// ---------------------------------------------------------- the cluster

#[test]
fn followers_converge_on_the_leaders_log_over_a_lossy_network() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(4, Mode::Async, seed);
        c.net.set_links(LinkConfig::unreliable());
        for k in 0..150 {
            let v = c.fresh_value();
            c.write(k % 7, v);
            c.tick();
        }
        c.converge();
        assert_eq!(c.leader_node().last_lsn(), 150);
        assert_eq!(
            c.acks.len(),
            150,
            "every write acknowledged (async: at once)"
        );
    });
}

#[test]
fn followers_converge_under_long_reordering() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(3, Mode::Async, seed);
        c.net.set_links(LinkConfig::long_reordering());
        for k in 0..100 {
            let v = c.fresh_value();
            c.write(k % 5, v);
            if k % 3 == 0 {
                c.tick();
            }
        }
        c.converge();
    });
}

#[test]
fn a_restarted_follower_catches_up_from_its_disk() {
    run_seeds(&SEEDS, |seed| {
        for lossy in [false, true] {
            let mut c = Cluster::new(3, Mode::Async, seed);
            c.net.set_links(if lossy {
                LinkConfig::unreliable()
            } else {
                in_order()
            });
            for k in 0..60 {
                let v = c.fresh_value();
                c.write(k % 5, v);
                c.tick();
            }
            c.crash(2);
            for k in 0..120 {
                let v = c.fresh_value();
                c.write(k % 5, v);
                c.tick();
            }
            let on_disk = c.disk(2).len() as u64;
            assert!(
                on_disk > 0,
                "the follower persisted what it stored before the crash"
            );
            let before = c.wire.entries.get(&(0, 2)).copied().unwrap_or(0);
            c.restart(2);
            c.converge();
            if lossy {
                continue;
            }
            let after = c.wire.entries.get(&(0, 2)).copied().unwrap_or(0);
            let missing = c.leader_node().last_lsn() - on_disk;
            let allowed = missing + 64;
            if after - before > allowed {
                c.net.fail(&format!(
                    "the restarted follower had {on_disk} entries on disk and missed {missing}, \
                     but the leader shipped it {} entries to catch up (allowed {allowed}): \
                     catch-up resumes after the LSN in the follower's hello, it does not resend \
                     the whole log",
                    after - before
                ));
            }
        }
    });
}
