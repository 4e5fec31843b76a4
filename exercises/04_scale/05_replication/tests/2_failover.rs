//! Stage 2: failover. The coordinator promotes the most up-to-date node
//! (highest epoch of its last entry, then highest LSN, then lowest id) into a
//! new epoch; the others follow it and cut off any suffix of their log the
//! new leader never had, found from the leader's epoch history. And the
//! wrong design shown, not just told: with asynchronous replication, a
//! leader crash loses writes that clients were told had succeeded.

use crate::common;

use common::*;
use kit::sim::LinkConfig;

fn pos(epoch: Epoch, lsn: Lsn) -> Position {
    Position { epoch, lsn }
}

fn start(epoch: Epoch, first_lsn: Lsn) -> EpochStart {
    EpochStart { epoch, first_lsn }
}

// ------------------------------------------------------ choosing a leader

#[test]
fn choose_leader_picks_the_highest_lsn() {
    assert_eq!(
        choose_leader(&[(1, pos(1, 7)), (2, pos(1, 9)), (3, pos(1, 8))]),
        Some(2),
        "the follower with the most of the log loses the fewest writes"
    );
    assert_eq!(choose_leader(&[(4, pos(0, 0))]), Some(4));
    assert_eq!(choose_leader(&[]), None, "no candidates, no leader");
}

#[test]
fn choose_leader_compares_the_epoch_of_the_last_entry_first() {
    assert_eq!(
        choose_leader(&[(1, pos(1, 12)), (2, pos(2, 9))]),
        Some(2),
        "node 1's LSNs 10..12 are from epoch 1, which the leader of epoch 2 never had: node 2 \
         holds epoch 2's writes (perhaps acknowledged), node 1 a dead branch. Compare the epoch \
         of the last entry first, then the LSN."
    );
}

#[test]
fn choose_leader_breaks_ties_by_the_lowest_id() {
    assert_eq!(
        choose_leader(&[(3, pos(2, 5)), (1, pos(2, 5)), (2, pos(2, 4))]),
        Some(1),
        "equal positions: the lowest id wins, whatever the order of the candidates"
    );
    assert_eq!(choose_leader(&[(2, pos(1, 1)), (0, pos(1, 1))]), Some(0));
}

// ------------------------------------------------------------- history

#[test]
fn history_lists_where_each_epoch_starts() {
    let n = Node::new(
        Config::new(1, 3, Mode::Async),
        log_of_epochs(&[1, 1, 2, 2, 2, 4]),
    );
    assert_eq!(
        n.history(),
        [start(1, 1), start(2, 3), start(4, 6)],
        "each epoch of the log, with the LSN of its first entry"
    );
    let mut n = n;
    n.promote(5);
    assert_eq!(
        n.history(),
        [start(1, 1), start(2, 3), start(4, 6), start(5, 7)],
        "a leader with no entry of its own epoch yet lists it last, from last_lsn() + 1"
    );
    n.write(9, 9).unwrap();
    assert_eq!(
        n.history(),
        [start(1, 1), start(2, 3), start(4, 6), start(5, 7)],
        "once it has entries of its epoch, they start at the same LSN"
    );
    let mut fresh = node(0, 3, Mode::Async);
    fresh.promote(1);
    assert_eq!(fresh.history(), [start(1, 1)]);
}

#[test]
fn a_promoted_follower_continues_the_log_in_its_new_epoch() {
    let mut n = follower(1, 3, Mode::Async);
    n.step(
        0,
        Message::Append {
            epoch: 1,
            entries: log_of_epochs(&[1, 1, 1]),
        },
    );
    n.promote(2);
    assert_eq!(n.role(), Role::Leader);
    assert_eq!(n.epoch(), 2);
    assert_eq!(n.write(7, 70), Ok(4), "LSNs continue after the last entry");
    assert_eq!(
        n.log()[3],
        entry(2, 4, 7, 70),
        "new entries carry the new epoch"
    );
    assert_eq!(n.position(), pos(2, 4));
}

// ------------------------------------------------------------ truncation

#[test]
fn follow_keeps_a_log_that_is_a_prefix_of_the_leaders() {
    let log = log_of_epochs(&[1, 1, 1, 2]);
    let mut n = Node::new(Config::new(2, 3, Mode::Async), log.clone());
    n.follow(0, 3, &[start(1, 1), start(2, 4), start(3, 9)]);
    let ready = n.ready();
    assert_eq!(
        n.log(),
        log,
        "every entry's epoch matches the leader's history: keep all"
    );
    assert!(ready.persist.is_none(), "nothing changed on disk");
    assert_eq!(ready.messages, vec![(0, Message::Ack { epoch: 3, lsn: 4 })]);
}

#[test]
fn follow_cuts_off_the_suffix_the_new_leader_never_had() {
    // The old leader of epoch 1 wrote LSNs 1..=5; the new leader had 1..=3
    // when it was promoted into epoch 2.
    let mut old = Node::new(
        Config::new(0, 3, Mode::Async),
        log_of_epochs(&[1, 1, 1, 1, 1]),
    );
    old.follow(1, 2, &[start(1, 1), start(2, 4)]);
    let ready = old.ready();
    assert_eq!(
        old.log(),
        &log_of_epochs(&[1, 1, 1])[..],
        "LSNs 4 and 5 belong to epoch 2 in the new leader's log, but are epoch-1 entries \
         here: writes the new leader never had. Remove them, or the logs diverge forever."
    );
    assert_eq!(old.visible_lsn(), 3);
    assert_eq!(
        ready.persist.as_deref(),
        Some(old.log()),
        "the cut log is persisted"
    );
    assert_eq!(
        ready.messages,
        vec![(1, Message::Ack { epoch: 2, lsn: 3 })],
        "the hello carries the LSN after the cut"
    );
}

#[test]
fn follow_finds_a_divergence_that_spans_epochs() {
    // This node kept epoch 1 up to LSN 2, then took LSNs 3..=5 from the
    // leader of epoch 2, whose branch was lost. The leader of epoch 3 has
    // epoch 1 up to LSN 4, then its own entries from LSN 5.
    let mut n = Node::new(
        Config::new(2, 4, Mode::Async),
        log_of_epochs(&[1, 1, 2, 2, 2]),
    );
    n.follow(0, 3, &[start(1, 1), start(3, 5)]);
    assert_eq!(
        n.log(),
        &log_of_epochs(&[1, 1])[..],
        "LSN 3 is epoch 1 in the leader's log but epoch 2 here: cut from the first LSN whose \
         epoch differs, not from where the leader's epoch begins (comparing only the last \
         epoch would keep the dead epoch-2 entries at LSNs 3 and 4)"
    );
}

#[test]
fn follow_empties_a_log_of_a_branch_the_leader_never_saw() {
    let mut n = Node::new(Config::new(1, 3, Mode::Async), log_of_epochs(&[2, 2]));
    n.follow(0, 3, &[start(1, 1), start(3, 2)]);
    assert!(
        n.log().is_empty(),
        "LSN 1 is epoch 1 at the leader, epoch 2 here: nothing is shared"
    );
}

#[test]
fn a_follower_ignores_the_deposed_leaders_appends() {
    let mut f = follower(1, 3, Mode::Async);
    f.follow(2, 2, &[start(2, 1)]);
    let _ = f.ready();
    f.step(
        0,
        Message::Append {
            epoch: 1,
            entries: log_of_epochs(&[1]),
        },
    );
    let ready = f.ready();
    assert!(
        f.log().is_empty() && ready.messages.is_empty(),
        "the follower now follows node 2 in epoch 2: an Append of epoch 1 comes from a deposed \
         leader, and storing it would let two leaders write one log (split brain)"
    );
}

#[test]
fn a_deposed_leader_forgets_its_followers_and_writes() {
    let mut n = leader(3, Mode::Async);
    n.write(1, 10).unwrap();
    let _ = n.ready();
    n.follow(1, 2, &[start(1, 1), start(2, 2)]);
    assert_eq!(n.role(), Role::Follower(1));
    assert_eq!(n.epoch(), 2);
    let _ = n.ready();
    for _ in 0..30 {
        n.tick();
    }
    assert!(
        n.ready().messages.is_empty(),
        "a leader told to follow is a follower: it ships nothing any more"
    );
    assert_eq!(
        n.write(2, 20),
        Err(NotLeader { leader: Some(1) }),
        "and refuses writes, naming its new leader"
    );
}

// ---------------------------------------------------------- the scenarios

#[test]
fn async_failover_loses_acknowledged_writes() {
    // The demonstration: count what asynchronous replication loses.
    let mut total = 0;
    let mut seeds_losing = 0;
    let mut report = Vec::new();
    for seed in kit::sim::seeds(&SEEDS) {
        let lost = lost_writes_after_failover(Mode::Async, seed, LinkConfig::reliable());
        report.push(format!("seed {seed}: {} lost", lost.len()));
        total += lost.len();
        seeds_losing += usize::from(!lost.is_empty());
    }
    eprintln!(
        "asynchronous replication, leader crash, failover: {total} acknowledged writes lost \
         ({})",
        report.join(", ")
    );
    assert!(
        total > 0,
        "an async leader acknowledges a write as soon as it is in its own log, so a crash \
         before the next shipment loses writes the clients were told had succeeded; this \
         scenario must show some ({})",
        report.join(", ")
    );
    assert!(
        seeds_losing * 2 >= kit::sim::seeds(&SEEDS).len(),
        "the crash comes while the leader writes every tick: most seeds lose something ({})",
        report.join(", ")
    );
}

#[test]
fn failover_promotes_the_most_up_to_date_and_everyone_converges() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(4, Mode::Async, seed);
        c.net.set_links(LinkConfig::unreliable());
        // Follower 3 lags far behind.
        c.net.set_link(
            0,
            3,
            LinkConfig {
                min_delay: 5,
                max_delay: 15,
                ..LinkConfig::unreliable()
            },
        );
        write_for(&mut c, 50 + seed % 10);
        c.crash(0);
        let before: Vec<(NodeId, Vec<Entry>)> = (1..4)
            .map(|i| (i, c.node(i).expect("up").log().to_vec()))
            .collect();
        let best = before.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
        let new = c.failover(&[1, 2, 3]);
        let new_len = before
            .iter()
            .find(|(i, _)| *i == new)
            .map_or(0, |(_, l)| l.len());
        assert_eq!(
            new_len, best,
            "the new leader must be a follower with the most of the log ({best} entries), \
             not one with {new_len}: anything only the best follower had would be lost"
        );
        write_for(&mut c, 30);
        c.converge();
        let log = c.leader_node().log().to_vec();
        for (i, old) in &before {
            if !log.starts_with(old) {
                c.net.fail(&format!(
                    "follower {i} held {} entries of epoch 1 at the failover, and the new leader \
                     (node {new}) held at least as many: none of them may be lost, yet the \
                     final log does not start with them",
                    old.len()
                ));
            }
        }
        c.restart(0);
        c.converge();
    });
}

#[test]
fn two_failovers_in_a_row_converge() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(4, Mode::Async, seed);
        c.net.set_links(LinkConfig::unreliable());
        write_for(&mut c, 30);
        c.crash(0);
        let second = c.failover(&[1, 2, 3]);
        write_for(&mut c, 20);
        c.crash(second);
        let others: Vec<NodeId> = (1..4).filter(|&i| i != second).collect();
        c.failover(&others);
        write_for(&mut c, 20);
        c.restart(0);
        c.restart(second);
        c.converge();
    });
}
