//! Stage 3: semi-synchronous replication. The leader acknowledges a write
//! only once a follower has acknowledged it, and shows readers only what a
//! follower holds (MySQL's AFTER_SYNC). Then the leader crash of stage 2
//! loses nothing, over many seeds and a lossy network; and a deposed leader
//! that keeps running (split brain) can acknowledge nothing, because the
//! followers of the new epoch ignore it, where an async one acknowledges
//! writes that are then lost.

use crate::common;

use common::*;
use kit::sim::LinkConfig;

fn start(epoch: Epoch, first_lsn: Lsn) -> EpochStart {
    EpochStart { epoch, first_lsn }
}

#[test]
fn semi_sync_acknowledges_once_one_follower_has_the_write() {
    let mut n = leader(3, Mode::SemiSync);
    assert_eq!(n.write(1, 10), Ok(1));
    let ready = n.ready();
    assert!(
        ready.acked.is_empty(),
        "semi-sync: a write in the leader's log alone is not acknowledged (it would be lost \
         with the leader)"
    );
    assert!(
        ready.persist.is_some(),
        "but it is persisted like any write"
    );
    assert_eq!(n.visible_lsn(), 0);
    n.tick();
    let _ = n.ready();
    n.step(1, Message::Ack { epoch: 1, lsn: 1 });
    assert_eq!(
        n.ready().acked,
        [1],
        "one follower's Ack for LSN 1 is enough to acknowledge it"
    );
    assert_eq!(n.visible_lsn(), 1);
    n.write(2, 20).unwrap();
    n.write(3, 30).unwrap();
    n.tick();
    let _ = n.ready();
    n.step(2, Message::Ack { epoch: 1, lsn: 3 });
    assert_eq!(
        n.ready().acked,
        [2, 3],
        "any follower will do: follower 2 acknowledging up to LSN 3 acknowledges writes 2 and 3"
    );
    n.step(1, Message::Ack { epoch: 1, lsn: 3 });
    assert!(
        n.ready().acked.is_empty(),
        "a second follower's Ack acknowledges nothing again: each write once"
    );
}

#[test]
fn semi_sync_waits_while_no_follower_answers() {
    let mut n = leader(3, Mode::SemiSync);
    n.write(1, 10).unwrap();
    let mut acked = Vec::new();
    for _ in 0..100 {
        n.tick();
        acked.extend(n.ready().acked);
    }
    assert!(
        acked.is_empty(),
        "with no follower acknowledging, a semi-sync write stays unacknowledged (this lesson \
         never falls back to async)"
    );
    n.step(1, Message::Ack { epoch: 1, lsn: 0 });
    assert!(
        n.ready().acked.is_empty(),
        "an Ack for LSN 0 covers no write"
    );
}

#[test]
fn async_mode_does_not_wait_for_followers() {
    let mut n = leader(3, Mode::Async);
    n.write(1, 10).unwrap();
    assert_eq!(n.ready().acked, [1]);
}

#[test]
fn a_semi_sync_leader_shows_readers_only_what_a_follower_holds() {
    let mut n = leader(3, Mode::SemiSync);
    n.write(1, 10).unwrap();
    n.read(1, 1, 0);
    assert_eq!(
        n.ready().reads,
        [ReadReply {
            id: 1,
            key: 1,
            value: None,
            lsn: 0
        }],
        "the write at LSN 1 is only in the leader's log: a reader that saw it could see it \
         vanish in a failover (the phantom read of MySQL's AFTER_COMMIT). Reads see the visible \
         LSN: the highest a follower acknowledged."
    );
    n.read(2, 1, 1);
    assert!(
        n.ready().reads.is_empty(),
        "a read that must see LSN 1 waits on the leader too"
    );
    n.tick();
    n.step(2, Message::Ack { epoch: 1, lsn: 1 });
    let ready = n.ready();
    assert_eq!(ready.acked, [1]);
    assert_eq!(
        ready.reads,
        [ReadReply {
            id: 2,
            key: 1,
            value: Some(10),
            lsn: 1
        }],
        "once a follower holds LSN 1, the waiting read is answered"
    );
}

#[test]
fn an_async_leader_shows_readers_its_whole_log() {
    let mut n = leader(3, Mode::Async);
    n.write(1, 10).unwrap();
    n.read(1, 1, 0);
    assert_eq!(
        n.ready().reads,
        [ReadReply {
            id: 1,
            key: 1,
            value: Some(10),
            lsn: 1
        }]
    );
}

#[test]
fn a_promoted_semi_sync_leader_sees_the_log_it_had() {
    let mut n = Node::new(Config::new(1, 3, Mode::SemiSync), log_of_epochs(&[1, 1, 1]));
    n.promote(2);
    assert_eq!(
        n.visible_lsn(),
        3,
        "entries a node had when promoted were visible before: they stay visible"
    );
    n.write(9, 90).unwrap();
    assert_eq!(n.visible_lsn(), 3, "its own new write waits for a follower");
    n.step(0, Message::Ack { epoch: 2, lsn: 2 });
    assert_eq!(
        n.visible_lsn(),
        3,
        "a follower at LSN 2 does not move visibility below what the leader had"
    );
    assert!(n.ready().acked.is_empty());
    n.step(2, Message::Ack { epoch: 2, lsn: 4 });
    assert_eq!(n.visible_lsn(), 4);
    assert_eq!(
        n.ready().acked,
        [4],
        "only the leader's own writes are acknowledged, not the entries it inherited"
    );
}

#[test]
fn acks_of_an_older_epoch_acknowledge_nothing() {
    let mut n = Node::new(Config::new(1, 3, Mode::SemiSync), log_of_epochs(&[1, 1]));
    n.promote(2);
    n.step(0, Message::Ack { epoch: 2, lsn: 2 });
    n.write(5, 50).unwrap();
    n.tick();
    let _ = n.ready();
    n.step(0, Message::Ack { epoch: 1, lsn: 3 });
    assert!(
        n.ready().acked.is_empty() && n.visible_lsn() == 2,
        "an Ack of epoch 1 is about the old leader's log, not this one's LSN 3"
    );
}

#[test]
fn a_deposed_leader_never_acknowledges_its_pending_writes() {
    let mut n = leader(3, Mode::SemiSync);
    n.write(1, 10).unwrap();
    n.tick();
    let _ = n.ready();
    n.follow(2, 2, &[start(2, 1)]);
    n.step(1, Message::Ack { epoch: 1, lsn: 1 });
    n.step(1, Message::Ack { epoch: 2, lsn: 1 });
    // The new leader ships its own LSN 1: a different write.
    n.step(
        2,
        Message::Append {
            epoch: 2,
            entries: vec![entry(2, 1, 7, 70)],
        },
    );
    let ready = n.ready();
    assert_eq!(n.log(), [entry(2, 1, 7, 70)]);
    assert!(
        ready.acked.is_empty(),
        "once it follows another leader, its unacknowledged write is gone (the new leader's \
         epoch 2 starts at LSN 1, which now holds another write): it must never be \
         acknowledged, whatever reaches LSN 1 later. Got {:?}",
        ready.acked
    );
}

// ---------------------------------------------------------- the scenarios

#[test]
fn semi_sync_loses_no_acknowledged_write_when_the_leader_crashes() {
    run_seeds(&SEEDS, |seed| {
        for links in [LinkConfig::reliable(), LinkConfig::unreliable()] {
            let lost = lost_writes_after_failover(Mode::SemiSync, seed, links);
            assert!(
                lost.is_empty(),
                "semi-sync, one failure (the leader), links {links:?}: {} acknowledged writes \
                 lost, first {:?}. A write acknowledged only after a follower holds it survives \
                 the leader's crash, if the most up-to-date follower is promoted.",
                lost.len(),
                lost.first()
            );
        }
    });
}

/// Split brain: the coordinator decides node 0 is dead (a long pause, a
/// flaky health check) and fails over, but node 0 keeps running and its
/// clients keep writing to it. Returns how many of those writes node 0
/// acknowledged, and how many of them survive once node 0 is told to follow.
fn split_brain(mode: Mode, seed: u64) -> (usize, usize) {
    let mut c = Cluster::new(3, mode, seed);
    write_for(&mut c, 20);
    c.run(10);
    let new = c.failover(&[1, 2]);
    let before = c.acks.len();
    let mut written = Vec::new();
    for k in 0..20 {
        let v = c.fresh_value();
        let lsn = c
            .write_on(0, k, v)
            .unwrap_or_else(|e| panic!("node 0 still believes it leads: {e}"));
        written.push(entry(1, lsn, k, v));
        let v = c.fresh_value();
        c.write(k, v);
        c.tick();
    }
    c.run(20);
    let acked_by_old: Vec<Entry> = c.acks[before..]
        .iter()
        .filter(|&&(n, _, _)| n == 0)
        .map(|&(_, _, lsn)| {
            written
                .iter()
                .find(|e| e.lsn == lsn)
                .copied()
                .expect("own write")
        })
        .collect();
    c.rejoin(0);
    c.converge();
    let log = c.node(new).expect("up").log();
    let survived = acked_by_old.iter().filter(|e| log.contains(e)).count();
    (acked_by_old.len(), survived)
}

#[test]
fn split_brain_a_deposed_semi_sync_leader_acknowledges_nothing() {
    run_seeds(&SEEDS, |seed| {
        let (acked, _) = split_brain(Mode::SemiSync, seed);
        assert_eq!(
            acked, 0,
            "after the failover, node 0 still leads epoch 1 in its own mind, but the followers \
             follow epoch 2 and ignore its Appends: no follower Ack, so semi-sync acknowledges \
             none of its {acked} writes (epochs fence the old leader)"
        );
        let (acked, survived) = split_brain(Mode::Async, seed);
        assert!(
            acked > 0 && survived == 0,
            "the async contrast: the deposed leader acknowledged {acked} writes, and {survived} \
             survived its return (expected: some acknowledged, none survive)"
        );
    });
}
