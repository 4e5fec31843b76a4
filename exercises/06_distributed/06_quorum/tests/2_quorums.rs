//! Stage 2: quorums. A coordinator sends a write to the key's N replicas and
//! succeeds on W distinct acknowledgements; a read asks N and answers with
//! the reconciled replies of R distinct replicas. With R + W > N a read sees
//! every acknowledged write despite N - W failures; with R + W <= N it can
//! miss one (shown below). Silent replicas are replaced by fallbacks (a
//! sloppy quorum); a request that cannot reach its quorum fails by its deadline.

use crate::common;

use common::*;
use kit::sim::LinkConfig;

/// A key whose preference list on 5 nodes starts at node `start`.
fn key_starting_at(start: NodeId, nodes: usize) -> String {
    (0..)
        .map(|i| format!("key{i}"))
        .find(|k| ring_order(k, nodes)[0] == start)
        .expect("some key starts there")
}

fn node_with(id: NodeId, nodes: usize, n: usize, w: usize, r: usize) -> Node {
    let mut c = Config::new(id, nodes);
    (c.n, c.w, c.r) = (n, w, r);
    Node::new(c)
}

// ---------------------------------------------------------------- one node

#[test]
fn a_replica_stores_and_acknowledges() {
    let mut n = node_with(1, 5, 3, 2, 2);
    assert_eq!(n.id(), 1);
    let x = Versioned {
        version: {
            let mut v = Version::new();
            v.increment(1);
            v
        },
        value: val("x"),
    };
    n.step(
        0,
        Message::Put {
            req: 7,
            key: "k".into(),
            item: x.clone(),
            hint: None,
        },
    );
    assert_eq!(n.ready().messages, vec![(0, Message::PutAck { req: 7 })]);
    assert_eq!(n.local("k"), vec![x.clone()]);
    n.step(
        3,
        Message::Get {
            req: 9,
            key: "k".into(),
        },
    );
    assert_eq!(
        n.ready().messages,
        vec![(
            3,
            Message::GetReply {
                req: 9,
                siblings: vec![x]
            }
        )]
    );
    n.step(
        3,
        Message::Get {
            req: 10,
            key: "nothing".into(),
        },
    );
    assert_eq!(
        n.ready().messages,
        vec![(
            3,
            Message::GetReply {
                req: 10,
                siblings: vec![]
            }
        )]
    );
}

#[test]
fn a_write_goes_to_the_preference_list_and_needs_w_distinct_acks() {
    let key = key_starting_at(0, 5); // replicas 0, 1, 2
    // Coordinator 4 is not a replica: it asks all three.
    let mut n = node_with(4, 5, 3, 2, 2);
    let req = n.put(&key, val("v"), &Version::new(), 1);
    let r = n.ready();
    let mut to: Vec<NodeId> = r.messages.iter().map(|(t, _)| *t).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        [0, 1, 2],
        "a write is sent to the key's N replicas: {r:?}"
    );
    assert!(r.outcomes.is_empty());
    n.step(1, Message::PutAck { req });
    n.step(1, Message::PutAck { req });
    assert!(
        n.ready().outcomes.is_empty(),
        "two acknowledgements from the same replica (a duplicated message) are one replica, \
         not W = 2"
    );
    n.step(4, Message::PutAck { req });
    assert!(
        n.ready().outcomes.is_empty(),
        "node 4 was never asked: its ack does not count"
    );
    n.step(2, Message::PutAck { req });
    let mut expected = Version::new();
    expected.increment(1);
    assert_eq!(
        n.ready().outcomes,
        vec![Outcome::Put {
            req,
            result: Ok(expected)
        }],
        "W = 2 distinct replicas acknowledged: done, with the new version (context + 1 for \
         the client)"
    );
}

#[test]
fn a_coordinator_that_is_a_replica_counts_itself() {
    let key = key_starting_at(0, 5);
    let mut n = node_with(0, 5, 3, 1, 1);
    let req = n.put(&key, val("v"), &Version::new(), 1);
    let r = n.ready();
    assert_eq!(r.messages.len(), 2, "to the two other replicas only: {r:?}");
    assert!(
        matches!(r.outcomes[..], [Outcome::Put { req: q, result: Ok(_) }] if q == req),
        "with W = 1 its own stored copy is enough: {r:?}"
    );
    assert_eq!(values(&n.local(&key)), ["v"]);
}

#[test]
fn a_read_needs_r_distinct_replies_and_reconciles_them() {
    let key = key_starting_at(0, 5);
    let mut n = node_with(4, 5, 3, 2, 2);
    let req = n.get(&key);
    assert_eq!(n.ready().messages.len(), 3);
    let mut v1 = Version::new();
    v1.increment(1);
    let mut v2 = v1.clone();
    v2.increment(1);
    let old = Versioned {
        version: v1,
        value: val("old"),
    };
    let new = Versioned {
        version: v2,
        value: val("new"),
    };
    n.step(
        0,
        Message::GetReply {
            req,
            siblings: vec![old.clone()],
        },
    );
    n.step(
        0,
        Message::GetReply {
            req,
            siblings: vec![old.clone()],
        },
    );
    assert!(
        n.ready().outcomes.is_empty(),
        "one replica, even if its reply came twice"
    );
    n.step(
        1,
        Message::GetReply {
            req,
            siblings: vec![new.clone()],
        },
    );
    let r = n.ready();
    assert!(
        r.outcomes.contains(&Outcome::Get {
            req,
            result: Ok(vec![new.clone()])
        }),
        "R = 2: the answer is the reconciled replies: 'new' supersedes 'old': {r:?}"
    );
    assert!(
        r.messages.contains(&(
            0,
            Message::Repair {
                key: key.clone(),
                siblings: vec![new]
            }
        )),
        "read repair: replica 0 answered with a stale version and gets the new one: {r:?}"
    );
}

#[test]
fn nothing_is_repaired_before_the_read_finishes() {
    // Replicas 0, 1, 2 answer old, new, and a sibling concurrent with new. A
    // coordinator that repaired as soon as the merge changed would send node 0
    // `[new]` after the second reply, then `[new, c]` after the third.
    let key = key_starting_at(0, 5);
    let mut n = node_with(4, 5, 3, 2, 3);
    let req = n.get(&key);
    let _ = n.ready();
    let version = |client: ClientId, times: usize| {
        let mut v = Version::new();
        for _ in 0..times {
            v.increment(client);
        }
        v
    };
    let replies = [
        (0, "old", version(1, 1)),
        (1, "new", version(1, 2)),
        (2, "c", version(2, 1)),
    ];
    let mut sent = Vec::new();
    let mut outcomes = Vec::new();
    for (from, value, version) in replies {
        let siblings = vec![Versioned {
            version,
            value: val(value),
        }];
        n.step(from, Message::GetReply { req, siblings });
        let r = n.ready();
        sent.extend(r.messages);
        outcomes.extend(r.outcomes);
    }
    let Some(Outcome::Get {
        result: Ok(answer), ..
    }) = outcomes.first()
    else {
        panic!("R = 3 replies: the read finishes: {outcomes:?}");
    };
    assert_eq!(values(answer), ["c", "new"], "{outcomes:?}");
    let repairs: Vec<_> = sent
        .iter()
        .filter_map(|(to, m)| match m {
            Message::Repair { siblings, .. } => Some((*to, siblings.clone())),
            _ => None,
        })
        .collect();
    let mut to: Vec<NodeId> = repairs.iter().map(|r| r.0).collect();
    to.sort();
    assert_eq!(
        to,
        [0, 1, 2],
        "each of the three replicas answered less than the result and gets one repair, \
         sent when the read finishes, not one per change of a partial merge: {repairs:?}"
    );
    for (node, siblings) in &repairs {
        assert_eq!(
            siblings, answer,
            "node {node} was repaired with a partial merge instead of the read's result"
        );
    }
}

#[test]
fn a_silent_replica_is_replaced_by_a_fallback_with_a_hint() {
    let key = key_starting_at(0, 5); // replicas 0, 1, 2; fallbacks 3, 4
    let mut n = node_with(0, 5, 3, 3, 2);
    let req = n.put(&key, val("v"), &Version::new(), 1);
    let _ = n.ready();
    n.step(1, Message::PutAck { req });
    let mut sent = Vec::new();
    for _ in 0..Config::new(0, 5).timeout {
        n.tick();
        sent.extend(n.ready().messages);
    }
    assert!(
        sent.iter()
            .any(|(to, m)| *to == 3 && matches!(m, Message::Put { hint: Some(2), .. })),
        "replica 2 did not answer within the timeout: the write goes to the first fallback \
         (node 3) with a hint naming node 2: {sent:?}"
    );
    n.step(3, Message::PutAck { req });
    assert!(
        matches!(n.ready().outcomes[..], [Outcome::Put { result: Ok(_), .. }]),
        "the fallback's ack counts towards W (a sloppy quorum)"
    );
}

#[test]
fn a_silent_fallback_is_replaced_with_the_hint_of_the_replica_it_stood_in_for() {
    let key = key_starting_at(0, 5); // replicas 0, 1, 2; fallbacks 3, 4
    let timeout = Config::new(0, 5).timeout;
    let mut n = node_with(0, 5, 3, 3, 2);
    let _req = n.put(&key, val("v"), &Version::new(), 1);
    let _ = n.ready();
    // Nobody answers: after one timeout 1 and 2 are replaced by 3 and 4;
    // after another, 3 and 4 have no fallback left to be replaced by.
    let mut puts = Vec::new();
    for _ in 0..2 * timeout {
        n.tick();
        for (to, m) in n.ready().messages {
            if let Message::Put { hint, .. } = m {
                puts.push((to, hint));
            }
        }
    }
    assert_eq!(
        puts,
        [(3, Some(1)), (4, Some(2))],
        "each silent replica is replaced once, by the next node never asked, with a hint \
         naming that replica; a fallback is never asked twice nor named in a hint"
    );

    // Six nodes: when fallback 3 (standing in for 2) is silent too, its
    // replacement carries the hint for 2, the owner, never for 3.
    let key = key_starting_at(0, 6); // replicas 0, 1, 2; fallbacks 3, 4, 5
    let mut n = node_with(0, 6, 3, 3, 2);
    let req = n.put(&key, val("v"), &Version::new(), 1);
    let _ = n.ready();
    n.step(1, Message::PutAck { req });
    let mut puts = Vec::new();
    for _ in 0..2 * timeout {
        n.tick();
        for (to, m) in n.ready().messages {
            if let Message::Put { hint, .. } = m {
                puts.push((to, hint));
            }
        }
    }
    assert_eq!(
        puts,
        [(3, Some(2)), (4, Some(2))],
        "fallback 3 held the write for replica 2 and did not answer: node 4 takes over that \
         hint for 2 (the owner the write must reach), not a hint for 3"
    );
}

#[test]
fn a_finished_write_still_goes_on_to_n_copies() {
    let key = key_starting_at(0, 5); // replicas 0, 1, 2; fallbacks 3, 4
    let mut n = node_with(0, 5, 3, 2, 2);
    let req = n.put(&key, val("v"), &Version::new(), 1);
    let _ = n.ready();
    n.step(1, Message::PutAck { req }); // with its own copy: W = 2 reached
    assert!(matches!(
        n.ready().outcomes[..],
        [Outcome::Put { result: Ok(_), .. }]
    ));
    let mut sent = Vec::new();
    for _ in 0..Config::new(0, 5).timeout {
        n.tick();
        sent.extend(n.ready().messages);
    }
    assert!(
        sent.iter()
            .any(|(to, m)| *to == 3 && matches!(m, Message::Put { hint: Some(2), .. })),
        "the write was acknowledged by W = 2, but replica 2 stayed silent: it still goes to a \
         fallback with a hint, so that N copies exist (W is when the client hears back, not \
         how many copies are made): {sent:?}"
    );
}

#[test]
fn a_request_without_its_quorum_fails_by_the_deadline() {
    let mut n = node_with(0, 3, 3, 2, 2);
    let req = n.put("k", val("v"), &Version::new(), 1);
    let deadline = Config::new(0, 3).deadline;
    let mut outcomes = Vec::new();
    for _ in 0..deadline {
        n.tick();
        outcomes.extend(n.ready().outcomes);
    }
    assert_eq!(
        outcomes,
        vec![Outcome::Put {
            req,
            result: Err(Unavailable {
                answered: 1,
                needed: 2
            })
        }],
        "only the coordinator's own replica stored it and no fallback exists on 3 nodes: the \
         write must fail (not hang, not succeed) by the deadline"
    );
    let text = Unavailable {
        answered: 1,
        needed: 2,
    }
    .to_string();
    assert!(
        text.contains('1') && text.contains('2'),
        "the error says how many: {text:?}"
    );
}

// ---------------------------------------------------------- whole clusters

fn subsets(items: &[NodeId], k: usize) -> Vec<Vec<NodeId>> {
    if k == 0 {
        return vec![vec![]];
    }
    if items.len() < k {
        return vec![];
    }
    let mut with: Vec<Vec<NodeId>> = subsets(&items[1..], k - 1)
        .into_iter()
        .map(|mut s| {
            s.insert(0, items[0]);
            s
        })
        .collect();
    with.extend(subsets(&items[1..], k));
    with
}

#[test]
fn with_r_plus_w_above_n_a_read_sees_the_last_acknowledged_write_despite_n_minus_w_failures() {
    for (nodes, n, w, r) in [(5, 3, 2, 2), (7, 5, 3, 3), (5, 3, 3, 1), (5, 3, 1, 3)] {
        run_seeds(&SEEDS[..4], |seed| {
            let key = key_starting_at(seed as usize % nodes, nodes);
            let replicas = preference_list(&key, nodes, n);
            for failed in subsets(&replicas, n - w) {
                let mut c = Cluster::new(nodes, n, w, r, seed);
                let v1 = c.write(0, &key, "v1", &Version::new(), 1);
                for &f in &failed {
                    c.fail(f);
                }
                let up: Vec<NodeId> = (0..nodes).filter(|&i| !c.is_down(i)).collect();
                let writer = up[seed as usize % up.len()];
                let reader = up[(seed as usize + 1) % up.len()];
                c.write(writer, &key, "v2", &v1, 1);
                let got = c.read(reader, &key);
                if values(&got) != ["v2"] {
                    c.net.fail(&format!(
                        "N={n} W={w} R={r}, replicas {replicas:?}, failed {failed:?}: read via \
                         {reader} after an acknowledged write of v2 via {writer} returned \
                         {:?}. With R + W > N every read quorum overlaps every write quorum.",
                        values(&got)
                    ));
                }
            }
        });
    }
}

#[test]
fn a_read_waits_for_r_replies_even_when_its_own_copy_is_stale() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(0, 5); // replicas 0, 1, 2
        let mut c = Cluster::new(5, 3, 2, 2, seed);
        let v1 = c.write(0, &key, "v1", &Version::new(), 1);
        // Node 0's messages to replica 2 are slow: the write completes on 0 and 1.
        c.net.set_link(
            0,
            2,
            LinkConfig {
                min_delay: 60,
                max_delay: 60,
                ..LinkConfig::reliable()
            },
        );
        c.write(0, &key, "v2", &v1, 1);
        // Replica 2 coordinates a read: its own copy is stale.
        let got = c.read(2, &key);
        if values(&got) != ["v2"] {
            c.net.fail(&format!(
                "read via replica 2 returned {:?}: it must wait for R = 2 replies, not answer \
                 from its own (stale) copy",
                values(&got)
            ));
        }
    });
}

#[test]
fn with_r_plus_w_at_most_n_a_read_can_miss_an_acknowledged_write() {
    // The anomaly, on a fixed schedule: N = 3, W = 1, R = 1.
    let key = key_starting_at(0, 3);
    let mut c = Cluster::new(3, 3, 1, 1, 1);
    let v1 = c.write(0, &key, "v1", &Version::new(), 1);
    c.run(5); // every replica has v1
    let req = c.put(0, &key, "v2", &v1, 1);
    assert!(
        matches!(c.outcome(0, req), Some(Outcome::Put { result: Ok(_), .. })),
        "W = 1: the coordinator's own replica acknowledges at once"
    );
    let read = c.get(2, &key);
    let stale = match c.outcome(2, read) {
        Some(Outcome::Get { result: Ok(s), .. }) => values(s),
        other => panic!("R = 1: replica 2 answers at once from its own copy, got {other:?}"),
    };
    assert_eq!(
        stale,
        ["v1"],
        "the write quorum {{0}} and the read quorum {{2}} do not overlap: the read misses an \
         acknowledged write. This is the price of R + W <= N (fast, available, stale)."
    );
}

#[test]
fn a_sloppy_quorum_accepts_writes_while_a_replica_is_down() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(0, 5);
        let mut c = Cluster::new(5, 3, 3, 1, seed);
        c.fail(2);
        c.write(0, &key, "v", &Version::new(), 1);
        let holders: Vec<NodeId> = (0..5).filter(|&i| !c.node(i).hints().is_empty()).collect();
        if holders != [3] {
            c.net.fail(&format!(
                "W = 3 with replica 2 down: the write must go to the first fallback (node 3), \
                 which keeps it as a hint for node 2; hints are held by {holders:?}"
            ));
        }
        assert_eq!(c.node(3).hints(), vec![(2, key.clone())]);
        assert!(
            c.node(3).local(&key).is_empty(),
            "a hint is not the fallback's own data"
        );
    });
}

#[test]
fn writes_fail_cleanly_when_too_few_nodes_are_up() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(3, 3, 2, 2, seed);
        c.fail(1);
        c.fail(2);
        let req = c.put(0, "k", "v", &Version::new(), 1);
        match c.wait(0, req) {
            Outcome::Put {
                result:
                    Err(Unavailable {
                        answered: 1,
                        needed: 2,
                    }),
                ..
            } => {}
            other => c.net.fail(&format!(
                "expected Unavailable {{ answered: 1, needed: 2 }}, got {other:?}"
            )),
        }
        let req = c.get(0, "k");
        match c.wait(0, req) {
            Outcome::Get { result: Err(_), .. } => {}
            other => c.net.fail(&format!(
                "a read without R replicas must fail, got {other:?}"
            )),
        }
    });
}
