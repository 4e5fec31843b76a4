//! Stage 1: leader election. Terms, votes (one per term, only for an
//! up-to-date log), randomised election timeouts, heartbeats, stepping down.
//!
//! First single nodes fed hand-written messages (one rule of Figure 2 per
//! test), then whole clusters on the simulated network over fixed seeds.

use crate::common;

use common::*;
use std::collections::BTreeSet;

// ---------------------------------------------------------------- one node

#[test]
fn a_new_node_is_a_follower_of_term_zero() {
    let mut n = node(0, 3, 1, None);
    assert_eq!(n.role(), Role::Follower);
    assert_eq!(n.term(), 0);
    assert_eq!(n.voted_for(), None);
    assert_eq!(n.leader(), None);
    assert_eq!(n.commit_index(), 0);
    assert!(n.log().is_empty());
    let ready = n.ready();
    assert!(
        ready.messages.is_empty() && ready.committed.is_empty(),
        "a node that has not ticked has nothing to say: {ready:?}"
    );
}

#[test]
fn a_follower_stands_for_election_when_its_timer_runs_out() {
    for seed in 0..20 {
        let mut n = node(1, 3, seed, None);
        let t = ticks_until_candidate(&mut n, 4 * ELECTION);
        assert!(
            (ELECTION..2 * ELECTION).contains(&t),
            "seed {seed}: became candidate after {t} ticks; the timeout must be drawn from \
             {ELECTION}..{} (Config::election_ticks..2 * election_ticks)",
            2 * ELECTION
        );
        assert_eq!(n.term(), 1, "a candidate increments its term");
        assert_eq!(n.voted_for(), Some(1), "a candidate votes for itself");
        assert_eq!(n.leader(), None);
        let ready = n.ready();
        let persisted = ready.persist.as_ref().expect(
            "the new term and the self-vote must be persisted (Ready::persist) with the \
             RequestVotes that announce them",
        );
        assert_eq!((persisted.term, persisted.voted_for), (1, Some(1)));
        let mut asked: Vec<NodeId> = ready.messages.iter().map(|(to, _)| *to).collect();
        asked.sort_unstable();
        assert_eq!(
            asked,
            [0, 2],
            "RequestVote goes to every other member, once"
        );
        for (_, m) in &ready.messages {
            assert_eq!(
                *m,
                Message::RequestVote {
                    term: 1,
                    last_log_index: 0,
                    last_log_term: 0
                }
            );
        }
    }
}

#[test]
fn election_timeouts_are_randomised_per_node_and_per_election() {
    let firsts: BTreeSet<u64> = (0..20)
        .map(|seed| ticks_until_candidate(&mut node(0, 3, seed, None), 4 * ELECTION))
        .collect();
    assert!(
        firsts.len() >= 4,
        "20 nodes with different seeds timed out after only {firsts:?} ticks: with the same \
         timeout everywhere, nodes stand together, split the vote, and do it again forever. \
         Draw each timeout at random from the node's seed."
    );
    let mut n = node(0, 3, 7, None);
    let mut rounds = BTreeSet::new();
    for _ in 0..12 {
        rounds.insert(ticks_until_candidate_again(&mut n));
    }
    assert!(
        rounds.len() >= 3,
        "one node's successive election timeouts were {rounds:?}: draw a fresh random timeout \
         every time the timer is reset, or two nodes that collided once collide forever"
    );
}

fn ticks_until_candidate_again(n: &mut Raft) -> u64 {
    let term = n.term();
    for t in 1..=4 * ELECTION {
        n.tick();
        if n.term() > term {
            assert_eq!(n.role(), Role::Candidate);
            return t;
        }
    }
    panic!("a candidate that wins no votes must start a new election when its timer runs out");
}

#[test]
fn a_candidate_without_votes_starts_a_new_election() {
    let mut n = node(0, 3, 3, None);
    ticks_until_candidate(&mut n, 4 * ELECTION);
    let _ = n.ready();
    let t = ticks_until_candidate_again(&mut n);
    assert!(
        (ELECTION..2 * ELECTION).contains(&t),
        "re-election after {t} ticks"
    );
    assert_eq!((n.term(), n.voted_for()), (2, Some(0)));
    let ready = n.ready();
    assert_eq!(
        ready.messages.len(),
        2,
        "new RequestVotes for term 2: {ready:?}"
    );
    assert!(ready.messages.iter().all(|(_, m)| m.term() == 2));
}

#[test]
fn one_vote_per_term() {
    let mut n = node(0, 3, 1, None);
    let rv = Message::RequestVote {
        term: 1,
        last_log_index: 0,
        last_log_term: 0,
    };
    n.step(1, rv.clone());
    assert_eq!(n.term(), 1);
    assert_eq!(n.voted_for(), Some(1));
    let r = n.ready();
    assert_eq!(
        only_message(&r, "vote reply"),
        (
            1,
            Message::RequestVoteReply {
                term: 1,
                granted: true
            }
        )
    );
    n.step(
        2,
        Message::RequestVote {
            term: 1,
            last_log_index: 5,
            last_log_term: 1,
        },
    );
    let r = n.ready();
    assert_eq!(
        only_message(&r, "second candidate"),
        (
            2,
            Message::RequestVoteReply {
                term: 1,
                granted: false
            }
        ),
        "a node votes at most once per term, whatever the second candidate's log: two votes \
         in a term can make two leaders"
    );
    assert_eq!(n.voted_for(), Some(1));
    n.step(1, rv);
    let r = n.ready();
    assert_eq!(
        only_message(&r, "repeated request"),
        (
            1,
            Message::RequestVoteReply {
                term: 1,
                granted: true
            }
        ),
        "a repeated request from the candidate we voted for gets the vote again (its first \
         reply may have been lost)"
    );
}

#[test]
fn votes_only_for_a_log_at_least_as_up_to_date() {
    // Our log: terms [1, 1, 2], we are at term 2.
    let state = Persisted {
        term: 2,
        voted_for: None,
        log: log_of_terms(&[1, 1, 2]),
    };
    let cases = [
        // (candidate's last term, last index, granted?, why)
        (
            1,
            9,
            false,
            "a longer log whose last term is older is less up to date",
        ),
        (2, 2, false, "same last term but shorter is less up to date"),
        (2, 3, true, "same last term, same length: up to date"),
        (2, 4, true, "same last term, longer: more up to date"),
        (3, 1, true, "a newer last term wins whatever the length"),
    ];
    for (last_log_term, last_log_index, granted, why) in cases {
        let mut n = node(0, 3, 1, Some(state.clone()));
        n.step(
            1,
            Message::RequestVote {
                term: 3,
                last_log_index,
                last_log_term,
            },
        );
        let r = n.ready();
        assert_eq!(
            only_message(&r, "vote reply"),
            (1, Message::RequestVoteReply { term: 3, granted }),
            "candidate (last term {last_log_term}, last index {last_log_index}) against our \
             log of terms [1, 1, 2]: {why}. Without this check a leader can be elected that \
             lacks committed entries, and overwrite them."
        );
        assert_eq!(
            n.term(),
            3,
            "a higher term is adopted even when the vote is refused"
        );
        assert_eq!(n.voted_for(), granted.then_some(1));
    }
}

#[test]
fn stale_terms_are_rejected() {
    let state = Persisted {
        term: 5,
        voted_for: None,
        log: log_of_terms(&[1, 5]),
    };
    let mut n = node(0, 3, 1, Some(state));
    n.step(
        1,
        Message::RequestVote {
            term: 4,
            last_log_index: 9,
            last_log_term: 4,
        },
    );
    let r = n.ready();
    assert_eq!(
        only_message(&r, "stale RequestVote"),
        (
            1,
            Message::RequestVoteReply {
                term: 5,
                granted: false
            }
        ),
        "a RequestVote of an older term is refused, with our term so the candidate steps down"
    );
    assert_eq!(n.voted_for(), None);
    n.step(
        2,
        Message::AppendEntries {
            term: 4,
            prev_log_index: 2,
            prev_log_term: 5,
            entries: vec![entry(4, 99)],
            leader_commit: 2,
        },
    );
    let r = n.ready();
    let (to, reply) = only_message(&r, "stale AppendEntries");
    assert_eq!(to, 2);
    assert!(
        matches!(
            reply,
            Message::AppendEntriesReply {
                term: 5,
                success: false,
                ..
            }
        ),
        "an AppendEntries of an older term is refused with our term: {reply:?}"
    );
    assert_eq!(
        n.log(),
        &log_of_terms(&[1, 5])[..],
        "a stale leader must not touch the log"
    );
    assert_eq!(n.leader(), None, "a stale leader is not our leader");
    assert_eq!(n.commit_index(), 0);
}

#[test]
fn a_higher_term_turns_any_role_into_a_follower() {
    // A candidate hearing of a higher term in a vote reply.
    let mut n = node(0, 3, 2, None);
    ticks_until_candidate(&mut n, 4 * ELECTION);
    n.step(
        1,
        Message::RequestVoteReply {
            term: 7,
            granted: false,
        },
    );
    assert_eq!(
        (n.role(), n.term(), n.voted_for()),
        (Role::Follower, 7, None)
    );

    // A leader hearing of a higher term in an append reply.
    let mut n = node(0, 3, 2, None);
    make_leader(&mut n);
    n.step(
        2,
        Message::AppendEntriesReply {
            term: 9,
            success: false,
            match_index: 0,
            conflict_index: 0,
            conflict_term: None,
        },
    );
    assert_eq!(
        (n.role(), n.term(), n.voted_for(), n.leader()),
        (Role::Follower, 9, None, None),
        "a leader that learns of a higher term steps down at once (Figure 2, all servers)"
    );

    // A leader receiving a higher-term RequestVote.
    let mut n = node(0, 3, 2, None);
    make_leader(&mut n);
    let term = n.term();
    n.step(
        1,
        Message::RequestVote {
            term: term + 1,
            last_log_index: 9,
            last_log_term: term,
        },
    );
    assert_eq!(n.role(), Role::Follower);
    assert_eq!((n.term(), n.voted_for()), (term + 1, Some(1)));
}

#[test]
fn a_candidate_steps_down_on_an_append_entries_of_its_own_term() {
    let mut n = node(0, 3, 4, None);
    ticks_until_candidate(&mut n, 4 * ELECTION);
    let _ = n.ready();
    n.step(
        2,
        Message::AppendEntries {
            term: 1,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![],
            leader_commit: 0,
        },
    );
    assert_eq!(
        n.role(),
        Role::Follower,
        "node 2 won term 1 (it sends AppendEntries): a candidate of the same term must become \
         its follower"
    );
    assert_eq!((n.term(), n.leader(), n.voted_for()), (1, Some(2), Some(0)));
    let r = n.ready();
    assert!(
        matches!(
            only_message(&r, "reply").1,
            Message::AppendEntriesReply {
                term: 1,
                success: true,
                ..
            }
        ),
        "and accept the append: {r:?}"
    );
}

#[test]
fn a_candidate_needs_votes_from_a_majority_of_distinct_nodes() {
    let mut n = node(0, 5, 6, None);
    ticks_until_candidate(&mut n, 4 * ELECTION);
    let _ = n.ready();
    n.step(
        1,
        Message::RequestVoteReply {
            term: 1,
            granted: true,
        },
    );
    n.step(
        1,
        Message::RequestVoteReply {
            term: 1,
            granted: true,
        },
    );
    n.step(
        2,
        Message::RequestVoteReply {
            term: 1,
            granted: false,
        },
    );
    n.step(
        3,
        Message::RequestVoteReply {
            term: 1,
            granted: false,
        },
    );
    assert_eq!(
        n.role(),
        Role::Candidate,
        "2 votes of 5 (itself and node 1, whose reply arrived twice) are not a majority; \
         count voters, not replies"
    );
    n.step(
        4,
        Message::RequestVoteReply {
            term: 1,
            granted: true,
        },
    );
    assert_eq!(n.role(), Role::Leader, "3 votes of 5 are a majority");
    assert_eq!(n.leader(), Some(0));
}

#[test]
fn a_new_leader_appends_a_no_op_and_announces_itself_at_once() {
    let mut n = node(0, 3, 8, None);
    let r = make_leader(&mut n);
    let term = n.term();
    assert_eq!(
        n.log(),
        &[Entry {
            term,
            command: None
        }][..],
        "a new leader appends a no-op entry of its term: it can only commit entries of its own \
         term, and the no-op commits everything before it without waiting for a client"
    );
    for peer in [1, 2] {
        let msgs = to(&r, peer);
        assert!(
            msgs.iter()
                .any(|m| matches!(m, Message::AppendEntries { term: t, .. } if *t == term)),
            "a new leader sends AppendEntries to every follower at once, before any follower \
             times out; to {peer}: {msgs:?}"
        );
    }
}

#[test]
fn a_leader_heartbeats_every_heartbeat_interval_not_every_tick() {
    let mut n = node(0, 3, 9, None);
    make_leader(&mut n);
    let ticks = 10 * HEARTBEAT;
    let mut per_peer = [0u64; 3];
    for _ in 0..ticks {
        n.tick();
        for (to, m) in n.ready().messages {
            assert!(
                matches!(m, Message::AppendEntries { .. }),
                "leader sent {m:?}"
            );
            per_peer[to] += 1;
        }
    }
    for peer in [1, 2] {
        assert!(
            (ticks / HEARTBEAT - 1..=ticks / HEARTBEAT + 1).contains(&per_peer[peer]),
            "over {ticks} idle ticks the leader sent {} AppendEntries to node {peer}; with \
             heartbeat_ticks = {HEARTBEAT} that should be about {}. Heartbeating every tick \
             floods the network; too rarely and followers start elections.",
            per_peer[peer],
            ticks / HEARTBEAT
        );
    }
    assert_eq!(n.role(), Role::Leader, "a leader never times out by itself");
}

#[test]
fn granting_a_vote_or_hearing_the_leader_resets_the_election_timer() {
    for seed in 0..20 {
        let mut n = node(0, 3, seed, None);
        for _ in 0..ELECTION - 1 {
            n.tick();
        }
        n.step(
            1,
            Message::RequestVote {
                term: 1,
                last_log_index: 0,
                last_log_term: 0,
            },
        );
        for _ in 0..ELECTION - 1 {
            n.tick();
        }
        assert_eq!(
            n.role(),
            Role::Follower,
            "seed {seed}: {} ticks after granting a vote the node stood for election; granting \
             a vote must restart the election timer",
            ELECTION - 1
        );
        n.step(
            1,
            Message::AppendEntries {
                term: 1,
                prev_log_index: 0,
                prev_log_term: 0,
                entries: vec![],
                leader_commit: 0,
            },
        );
        for _ in 0..ELECTION - 1 {
            n.tick();
        }
        assert_eq!(
            n.role(),
            Role::Follower,
            "seed {seed}: an AppendEntries from the current leader must restart the election timer"
        );
        assert_eq!(n.leader(), Some(1));
    }
}

#[test]
fn a_refused_vote_does_not_restart_the_election_timer() {
    let state = Persisted {
        term: 1,
        voted_for: None,
        log: log_of_terms(&[1, 1]),
    };
    for seed in 0..20 {
        let mut n = node(0, 3, seed, Some(state.clone()));
        for _ in 0..ELECTION - 1 {
            n.tick();
        }
        // A candidate with a stale log: it cannot win our vote.
        n.step(
            1,
            Message::RequestVote {
                term: 5,
                last_log_index: 1,
                last_log_term: 1,
            },
        );
        assert_eq!((n.term(), n.voted_for()), (5, None));
        for _ in 0..ELECTION {
            n.tick();
        }
        assert_eq!(
            n.role(),
            Role::Candidate,
            "seed {seed}: {} ticks without hearing a leader or granting a vote, the node must \
             have stood for election. Figure 2 restarts the timer only on an AppendEntries from \
             the current leader or a granted vote: a stale candidate that cannot win must not \
             keep the up-to-date nodes from standing.",
            2 * ELECTION - 1
        );
    }
}

#[test]
fn a_cluster_of_one_elects_itself() {
    let mut n = node(0, 1, 1, None);
    ticks_until_candidate_or_leader(&mut n);
    assert_eq!(
        n.role(),
        Role::Leader,
        "with one member, its own vote is a majority"
    );
    assert_eq!(n.term(), 1);
}

fn ticks_until_candidate_or_leader(n: &mut Raft) {
    for _ in 0..4 * ELECTION {
        n.tick();
        if n.role() != Role::Follower {
            return;
        }
    }
    panic!("no election after {} ticks", 4 * ELECTION);
}

#[test]
fn messages_from_non_members_are_ignored() {
    let mut n = node(0, 3, 1, None);
    n.step(
        7,
        Message::RequestVote {
            term: 3,
            last_log_index: 0,
            last_log_term: 0,
        },
    );
    assert_eq!(
        (n.term(), n.voted_for()),
        (0, None),
        "node 7 is not in the cluster"
    );
    assert!(n.ready().messages.is_empty());
}

// ---------------------------------------------------------- whole clusters

#[test]
fn initial_election_and_stable_terms_without_faults() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(3, seed);
        let leader = c.wait_leader();
        let term = c.check_terms();
        assert!(term >= 1, "the leader's term is at least 1");
        // Without faults, nothing should change: no node may time out while
        // the leader heartbeats.
        c.run(40 * ELECTION);
        let term2 = c.check_terms();
        if term2 != term || c.leader_in(&[0, 1, 2]) != Some(leader) {
            c.net.fail(&format!(
                "seed {seed}: with no failures the term moved from {term} to {term2} (leader \
                 {leader} -> {:?}). Heartbeats must reach followers well within their election \
                 timeout, and each must reset the follower's timer.",
                c.leader_in(&[0, 1, 2])
            ));
        }
    });
}

#[test]
fn re_election_after_the_leader_is_cut_off() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(3, seed);
        let leader1 = c.wait_leader();

        // The leader is cut off: the other two elect a new one.
        c.disconnect(leader1);
        let leader2 = c.wait_leader();
        assert_ne!(leader2, leader1);

        // The old leader returns: it must step down, leaving one leader.
        c.connect(leader1);
        let leader3 = c.wait_leader();
        c.run(4 * ELECTION);
        let leaders: Vec<NodeId> = (0..3)
            .filter(|&i| c.node(i).is_some_and(|n| n.role() == Role::Leader))
            .collect();
        if leaders.len() != 1 {
            c.net.fail(&format!(
                "seed {seed}: after the old leader {leader1} rejoined there are leaders \
                 {leaders:?}: the old leader must step down on seeing the higher term"
            ));
        }
        let _ = leader3;

        // No majority, no leader.
        let leader = c.wait_leader();
        c.disconnect(leader);
        c.disconnect((leader + 1) % 3);
        let alone = (leader + 2) % 3;
        c.check_no_leader_in(&[alone], 6 * ELECTION);

        // A majority again: a leader.
        c.connect((leader + 1) % 3);
        c.wait_leader_in(&[alone, (leader + 1) % 3]);
        c.connect(leader);
        c.wait_leader();
    });
}

#[test]
fn many_elections_on_seven_nodes() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(7, seed);
        c.wait_leader();
        for _ in 0..8 {
            // Cut three random nodes off: the other four are still a majority.
            let mut all: Vec<NodeId> = (0..7).collect();
            c.workload.shuffle(&mut all);
            for &i in &all[..3] {
                c.disconnect(i);
            }
            c.wait_leader();
            for &i in &all[..3] {
                c.connect(i);
            }
        }
        c.wait_leader();
    });
}

#[test]
fn election_costs_few_messages_and_idle_heartbeats_are_bounded() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(3, seed);
        c.wait_leader();
        let election = c.messages();
        if election > 40 {
            c.net.fail(&format!(
                "seed {seed}: {election} messages to elect the first leader of 3 nodes; a \
                 clean election needs 4 (2 RequestVotes, 2 replies), a few split votes a few \
                 dozen. Too many elections, or messages sent on every tick?"
            ));
        }
        c.run(ELECTION);
        let before = c.messages();
        let ticks = 30 * ELECTION;
        c.run(ticks);
        let idle = c.messages() - before;
        // Each heartbeat is one AppendEntries and one reply per follower.
        let expected = 2 * 2 * ticks / HEARTBEAT;
        if idle > expected + expected / 5 {
            c.net.fail(&format!(
                "seed {seed}: {idle} messages in {ticks} idle ticks; heartbeats every \
                 {HEARTBEAT} ticks to 2 followers, with replies, need about {expected}"
            ));
        }
        if idle < expected / 2 {
            c.net.fail(&format!(
                "seed {seed}: only {idle} messages in {ticks} idle ticks: is the leader sending \
                 a heartbeat every {HEARTBEAT} ticks?"
            ));
        }
    });
}

#[test]
fn vote_replies_of_an_older_term_are_dropped() {
    // Five nodes: node 0 needs its own vote and two more.
    let restored = Persisted {
        term: 3,
        voted_for: None,
        log: Vec::new(),
    };
    let mut n = node(0, 5, 7, Some(restored));
    ticks_until_candidate(&mut n, 4 * ELECTION);
    assert_eq!(n.term(), 4);
    let _ = n.ready();
    for voter in 1..5 {
        n.step(
            voter,
            Message::RequestVoteReply {
                term: 3,
                granted: true,
            },
        );
    }
    assert_eq!(
        (n.role(), n.term()),
        (Role::Candidate, 4),
        "four votes granted in term 3 arrived during the election of term 4: a reply of an \
         older term is stale (Figure 2: drop it). Counting it elects a leader that no majority \
         chose in this term, and a term can get two leaders."
    );
    let r = n.ready();
    assert!(
        r.messages.is_empty(),
        "a stale reply is dropped, not answered: {:?}",
        r.messages
    );
    for voter in [1, 2] {
        n.step(
            voter,
            Message::RequestVoteReply {
                term: 4,
                granted: true,
            },
        );
    }
    assert_eq!(
        n.role(),
        Role::Leader,
        "two votes of term 4 and its own make a majority of five"
    );
}

#[test]
fn a_vote_lasts_for_the_whole_term() {
    let up_to_date = |term| Message::RequestVote {
        term,
        last_log_index: 0,
        last_log_term: 0,
    };
    let mut n = node(0, 5, 8, None);
    n.step(1, up_to_date(3));
    assert_eq!(n.voted_for(), Some(1));
    // Node 2 won term 3 with the votes of others, and now leads it.
    n.step(
        2,
        Message::AppendEntries {
            term: 3,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![],
            leader_commit: 0,
        },
    );
    assert_eq!(n.leader(), Some(2));
    let _ = n.ready();
    for candidate in [3, 4] {
        n.step(candidate, up_to_date(3));
        let r = n.ready();
        assert_eq!(
            only_message(&r, "second candidate of term 3"),
            (
                candidate,
                Message::RequestVoteReply {
                    term: 3,
                    granted: false
                }
            ),
            "the vote of term 3 went to node 1 and lasts for the whole term, whatever the node \
             hears later in it: a node that forgets its vote once it knows the leader votes \
             twice in one term, and two leaders can be elected in it"
        );
        assert_eq!(n.voted_for(), Some(1), "the vote is kept (and persisted)");
    }

    // A candidate that steps down to follow a leader of its own term keeps
    // its vote for itself.
    let mut c = node(0, 5, 9, None);
    ticks_until_candidate(&mut c, 4 * ELECTION);
    let term = c.term();
    c.step(
        2,
        Message::AppendEntries {
            term,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![],
            leader_commit: 0,
        },
    );
    assert_eq!(c.role(), Role::Follower);
    let _ = c.ready();
    c.step(3, up_to_date(term));
    let r = c.ready();
    assert_eq!(
        only_message(&r, "a candidate of the term we stood in"),
        (
            3,
            Message::RequestVoteReply {
                term,
                granted: false
            }
        ),
        "the node voted for itself in term {term}: stepping down does not free that vote"
    );
    assert_eq!(c.voted_for(), Some(0));
}

#[test]
fn a_stale_leader_does_not_restart_the_election_timer() {
    let state = Persisted {
        term: 5,
        voted_for: None,
        log: log_of_terms(&[1, 5]),
    };
    for seed in 0..20 {
        let mut n = node(0, 3, seed, Some(state.clone()));
        for _ in 0..ELECTION - 1 {
            n.tick();
        }
        // A deposed leader of term 4 that has not heard of term 5 yet.
        n.step(
            2,
            Message::AppendEntries {
                term: 4,
                prev_log_index: 2,
                prev_log_term: 5,
                entries: vec![],
                leader_commit: 2,
            },
        );
        for _ in 0..ELECTION {
            n.tick();
        }
        assert_eq!(
            n.role(),
            Role::Candidate,
            "seed {seed}: {} ticks without hearing the leader of term 5, the node must have \
             stood for election. An AppendEntries of an older term is refused and restarts \
             nothing: a deposed leader that keeps sending (it can send but no longer hear) \
             would otherwise hold back every election.",
            2 * ELECTION - 1
        );
    }
}
