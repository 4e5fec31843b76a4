//! Stage 3: persistence. Term, vote and log reach `Ready::persist` in the
//! same `ready` as the messages that depend on them (the harness writes them
//! to disk before sending); a node restarts from what it persisted; nothing
//! committed is ever lost, across restarts of followers, the leader, and
//! everyone at once, and in the Figure 8 scenario.

use crate::common;

use common::*;

// ---------------------------------------------------------------- one node

#[test]
fn a_vote_is_persisted_in_the_same_ready_as_the_reply() {
    let mut n = node(0, 3, 1, None);
    n.step(
        2,
        Message::RequestVote {
            term: 4,
            last_log_index: 0,
            last_log_term: 0,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.persist,
        Some(Persisted {
            term: 4,
            voted_for: Some(2),
            log: vec![]
        }),
        "the vote and its term must be in Ready::persist together with the reply that grants \
         it: a node that forgets its vote in a crash can vote again in the same term and \
         elect a second leader"
    );
    assert_eq!(
        r.messages,
        vec![(
            2,
            Message::RequestVoteReply {
                term: 4,
                granted: true
            }
        )]
    );

    // The term already on disk, only the vote new.
    let mut n = node(0, 3, 1, None);
    n.step(
        1,
        Message::RequestVoteReply {
            term: 6,
            granted: false,
        },
    );
    assert_eq!(n.ready().persist.map(|p| p.term), Some(6));
    n.step(
        2,
        Message::RequestVote {
            term: 6,
            last_log_index: 0,
            last_log_term: 0,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.persist,
        Some(Persisted {
            term: 6,
            voted_for: Some(2),
            log: vec![]
        }),
        "a vote in a term already persisted is a change too: it must be persisted with its reply"
    );
}

#[test]
fn a_new_term_is_persisted_even_without_a_vote() {
    let mut n = node(
        0,
        3,
        1,
        Some(Persisted {
            term: 2,
            voted_for: Some(0),
            log: log_of_terms(&[2]),
        }),
    );
    n.step(
        1,
        Message::RequestVote {
            term: 3,
            last_log_index: 0,
            last_log_term: 0,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.persist,
        Some(Persisted {
            term: 3,
            voted_for: None,
            log: log_of_terms(&[2])
        }),
        "term 3 (and the cleared vote) must be persisted: after a restart the node must not \
         fall back to term 2, where it voted for itself"
    );
}

#[test]
fn appended_entries_are_persisted_before_the_success_reply() {
    let mut n = node(1, 3, 1, None);
    let heartbeat = Message::AppendEntries {
        term: 1,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: vec![],
        leader_commit: 0,
    };
    n.step(0, heartbeat);
    assert!(n.ready().persist.is_some(), "term 1 is new: persist it");
    n.step(
        0,
        Message::AppendEntries {
            term: 1,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![entry(1, 1), entry(1, 2)],
            leader_commit: 0,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.persist.map(|p| p.log),
        Some(vec![entry(1, 1), entry(1, 2)]),
        "the new entries must be persisted with the reply that acknowledges them: the leader \
         counts this follower towards a majority, so the entries must survive its crash"
    );
    assert!(matches!(
        r.messages[..],
        [(
            0,
            Message::AppendEntriesReply {
                success: true,
                match_index: 2,
                ..
            }
        )]
    ));

    // A truncation is a change too.
    n.step(
        0,
        Message::AppendEntries {
            term: 2,
            prev_log_index: 1,
            prev_log_term: 1,
            entries: vec![entry(2, 9)],
            leader_commit: 0,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.persist,
        Some(Persisted {
            term: 2,
            voted_for: None,
            log: vec![entry(1, 1), entry(2, 9)]
        })
    );
}

#[test]
fn an_unchanged_state_is_not_written_again() {
    let mut n = node(1, 3, 1, None);
    let hb = Message::AppendEntries {
        term: 1,
        prev_log_index: 0,
        prev_log_term: 0,
        entries: vec![entry(1, 1)],
        leader_commit: 0,
    };
    n.step(0, hb.clone());
    assert!(n.ready().persist.is_some());
    n.step(0, hb);
    n.step(
        0,
        Message::AppendEntries {
            term: 1,
            prev_log_index: 1,
            prev_log_term: 1,
            entries: vec![],
            leader_commit: 1,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.persist, None,
        "a duplicate append and a heartbeat change nothing durable (the commit index is \
         volatile): asking for a write (an fsync) on every heartbeat caps a real system's \
         throughput"
    );
    assert_eq!(r.committed, vec![(1, entry(1, 1))]);
}

#[test]
fn a_restarted_node_keeps_its_term_vote_and_log_and_nothing_else() {
    let state = Persisted {
        term: 5,
        voted_for: Some(1),
        log: log_of_terms(&[1, 3, 5]),
    };
    let mut n = node(0, 3, 1, Some(state.clone()));
    assert_eq!(
        (n.term(), n.voted_for(), n.log()),
        (5, Some(1), &state.log[..])
    );
    assert_eq!(
        n.role(),
        Role::Follower,
        "every node restarts as a follower"
    );
    assert_eq!(
        n.commit_index(),
        0,
        "the commit index is volatile: relearned from the leader"
    );
    assert_eq!(n.leader(), None);

    n.step(
        2,
        Message::RequestVote {
            term: 5,
            last_log_index: 9,
            last_log_term: 5,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.messages,
        vec![(
            2,
            Message::RequestVoteReply {
                term: 5,
                granted: false
            }
        )],
        "the restored vote for node 1 in term 5 still holds: no second vote in term 5"
    );
    n.step(
        1,
        Message::RequestVote {
            term: 5,
            last_log_index: 3,
            last_log_term: 5,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.messages,
        vec![(
            1,
            Message::RequestVoteReply {
                term: 5,
                granted: true
            }
        )]
    );

    let mut n = node(0, 3, 1, Some(state));
    ticks_until_candidate(&mut n, 4 * ELECTION);
    assert_eq!(
        n.term(),
        6,
        "the next election after a restart is in the persisted term + 1"
    );
}

#[test]
fn a_restarted_node_applies_its_committed_entries_again_from_the_start() {
    let state = Persisted {
        term: 1,
        voted_for: None,
        log: log_of_terms(&[1, 1, 1]),
    };
    let mut n = node(1, 3, 1, Some(state));
    assert!(
        n.ready().committed.is_empty(),
        "nothing is known to be committed at restart"
    );
    n.step(
        0,
        Message::AppendEntries {
            term: 1,
            prev_log_index: 3,
            prev_log_term: 1,
            entries: vec![],
            leader_commit: 2,
        },
    );
    let r = n.ready();
    assert_eq!(
        r.committed,
        vec![(1, entry(1, 1)), (2, entry(1, 2))],
        "the state machine is rebuilt by applying the committed entries again from index 1"
    );
}

// ---------------------------------------------------------- whole clusters

#[test]
fn committed_entries_survive_restarts_of_followers_the_leader_and_everyone() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(3, seed);
        c.one(11, 3, true);

        // Everyone crashes and restarts.
        for i in 0..3 {
            c.crash(i);
        }
        for i in 0..3 {
            c.restart(i);
        }
        c.one(12, 3, true);

        // The leader restarts.
        let leader1 = c.wait_leader();
        c.restart(leader1);
        c.one(13, 3, true);

        // The leader crashes; the others go on; it comes back.
        let leader2 = c.wait_leader();
        c.crash(leader2);
        c.one(14, 2, true);
        c.restart(leader2);
        c.wait_committed(4, 3, 20 * ELECTION);

        // A follower crashes; the others go on; it comes back.
        let leader3 = c.wait_leader();
        let f = (leader3 + 1) % 3;
        c.crash(f);
        c.one(15, 2, true);
        c.restart(f);
        c.one(16, 3, true);
        for k in 11..=16 {
            if c.committed_index_of(&cmd(k)).is_none() {
                c.net
                    .fail(&format!("seed {seed}: committed command {k} is gone"));
            }
        }
    });
}

#[test]
fn more_persistence_with_five_nodes() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(5, seed);
        let mut index = 1;
        for _ in 0..4 {
            c.one(10 + index, 5, true);
            index += 1;
            let leader1 = c.wait_leader();
            c.crash((leader1 + 1) % 5);
            c.crash((leader1 + 2) % 5);
            c.one(10 + index, 3, true);
            index += 1;
            c.crash(leader1);
            c.crash((leader1 + 3) % 5);
            c.crash((leader1 + 4) % 5);
            c.restart((leader1 + 1) % 5);
            c.restart((leader1 + 2) % 5);
            c.run(2 * ELECTION);
            c.restart((leader1 + 3) % 5);
            c.one(10 + index, 3, true);
            index += 1;
            c.restart(leader1);
            c.restart((leader1 + 4) % 5);
        }
        c.one(1000, 5, true);
    });
}

#[test]
fn a_partitioned_leader_and_a_crashed_follower() {
    // MIT's TestPersist3: the leader and one follower are cut off; the
    // follower crashes, the leader... the entries both had must survive.
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(3, seed);
        c.one(101, 3, true);
        let leader = c.wait_leader();
        c.disconnect((leader + 2) % 3);
        c.one(102, 2, true);
        c.crash(leader % 3);
        c.crash((leader + 1) % 3);
        c.connect((leader + 2) % 3);
        c.restart(leader % 3);
        c.one(103, 2, true);
        c.restart((leader + 1) % 3);
        c.one(104, 3, true);
    });
}

/// Figure 8 of the Raft paper, step by step, on five nodes (named as in the
/// paper; a leader's no-op plays the role of the paper's client entries):
///
/// (a) S1 leads and gets entry X to S2 only. (b) S5 wins a later term with
/// S3 and S4, and is cut off at once with its no-op at X's index. (c) S1 or S2
/// wins again and sends X, one entry per message, to S3: X is now on a
/// majority, but it is of an old term, while the leader's own no-op is on two
/// nodes only. A leader that counts replicas of old-term entries commits X
/// here. (d) S1 and S2 crash; S5 returns and wins with S3 and S4 (its last
/// term is higher), and overwrites X. Had X been committed, it was applied
/// and now lost.
#[test]
fn figure_8_step_by_step() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::with_config(5, seed, |config| config.max_entries_per_message = 1);
        c.one(1, 5, true);
        let s1 = c.wait_leader();
        let s2 = (s1 + 1) % 5;
        let rest: Vec<NodeId> = (0..5).filter(|&i| i != s1 && i != s2).collect();

        // (a)
        c.partition(&[&[s1, s2], &rest]);
        let (x, _) = c.propose(s1, cmd(2)).expect("s1 leads");
        c.run_until("S2 to store X", 10 * ELECTION, |c| c.last_index(s2) >= x);

        // (b) Stop the clock the tick S5 wins, before its no-op spreads.
        c.run_until("a leader among S3, S4, S5", ELECTION_BUDGET, |c| {
            c.leader_in(&rest).is_some()
        });
        let s5 = c.leader_in(&rest).expect("just checked");
        let (s3, s4) = match rest
            .iter()
            .copied()
            .filter(|&i| i != s5)
            .collect::<Vec<_>>()[..]
        {
            [a, b] => (a, b),
            _ => unreachable!(),
        };
        c.partition(&[&[s1, s2, s3, s4], &[s5]]);

        // (c) S1 or S2 leads a later term and gets X to S3 or S4; then its
        // messages to them are cut, while their acknowledgements still arrive.
        let leader = c.wait_leader_in(&[s1, s2, s3, s4]);
        assert!(
            leader == s1 || leader == s2,
            "only S1 and S2 hold X: only they can win"
        );
        c.run_until("S3 or S4 to store X", 10 * ELECTION, |c| {
            c.last_index(s3) >= x || c.last_index(s4) >= x
        });
        for f in [s3, s4] {
            c.net.set_reachable(leader, f, false);
        }
        c.run(3);

        // (d)
        c.crash(s1);
        c.crash(s2);
        c.heal();
        c.wait_leader_in(&[s3, s4, s5]);
        c.one(3, 3, true);
        c.restart(s1);
        c.restart(s2);
        c.one(4, 5, true);
    });
}

/// The scenario of Figure 8 of the Raft paper, randomised: leaders crash
/// right after appending, while their entries are on some followers only;
/// new leaders of later terms must neither lose committed entries nor
/// commit an old-term entry that a later leader could overwrite.
#[test]
fn figure_8() {
    run_seeds(&SEEDS, |seed| {
        let n = 5;
        let mut c = Cluster::new(n, seed);
        let command = c.workload.below(10_000);
        c.one(command, 1, true);
        let mut up = n;
        for iter in 0..120 {
            let leader = (0..n).find(|&i| c.node(i).is_some_and(|r| r.role() == Role::Leader));
            if let Some(l) = leader {
                let command = c.workload.below(1_000_000);
                let _ = c.propose(l, cmd(command));
            }
            let wait = if c.workload.chance(0.1) {
                c.workload.range(0..ELECTION * 5)
            } else {
                c.workload.range(0..ELECTION / 2 + 1)
            };
            c.run(wait);
            if let Some(l) = leader
                && c.is_up(l)
                && c.workload.chance(0.5)
            {
                c.crash(l);
                up -= 1;
            }
            if up < 3 {
                let down: Vec<NodeId> = (0..n).filter(|&i| !c.is_up(i)).collect();
                let &s = c.workload.choose(&down).expect("a node is down");
                c.restart(s);
                up += 1;
            }
            let _ = iter;
        }
        for i in 0..n {
            if !c.is_up(i) {
                c.restart(i);
            }
        }
        let command = c.workload.below(10_000) + 2_000_000;
        c.one(command, n, true);
    });
}
