//! Stage 2: CP. A read or write is a majority-quorum operation (ABD): query
//! every node, decide on the versions of a majority, write the winner back
//! (a read whose majority disagreed) or store the new version (a write),
//! answer once a majority holds it. A node whose failure detector says it
//! cannot reach a majority refuses at once with a definite `Unavailable`;
//! an operation that cannot finish times out as `Timeout` (indefinite).
//! Crafted single-node message tests first; then scenarios on the simulated
//! network: a minority never answers with a stale value, the majority side
//! stays available, and over seeded partition schedules with skewed clocks
//! and lossy links every history is linearizable (`kit::history`).

use crate::common;

use common::*;
use kit::sim::LinkConfig;

/// Delivers `msg` from `from`, returns what `n` asked for.
fn deliver(n: &mut Node, from: NodeId, msg: Message) -> Ready {
    n.step(from, msg);
    n.ready()
}

// ------------------------------------------------------------ the node

#[test]
fn a_new_node_holds_the_initial_version_and_trusts_its_peers() {
    let (n, _) = node(2, 5, Mode::Cp);
    assert_eq!(n.id(), 2);
    assert_eq!(n.mode(), Mode::Cp);
    assert_eq!(n.version(), Version::INITIAL);
    assert_eq!(
        n.hlc(),
        ts(0, 0, 2),
        "the HLC starts at (0, 0) with the node's id"
    );
    assert!(
        n.has_majority(),
        "a new node has heard from every peer at tick 0: it trusts them until they are silent \
         for suspect_ticks"
    );
}

#[test]
#[should_panic(expected = "node id 3 is not in 0..3")]
fn new_rejects_an_id_outside_the_cluster() {
    let _ = node(3, 3, Mode::Cp);
}

#[test]
#[should_panic(expected = "sync_ticks must be positive")]
fn new_rejects_zero_sync_ticks() {
    let _ = node_with(Config {
        sync_ticks: 0,
        ..Config::new(0, 3, Mode::Cp)
    });
}

#[test]
fn a_write_queries_every_peer_and_answers_nothing_yet() {
    let (mut n, _) = node(0, 3, Mode::Cp);
    n.write(1, 11);
    let ready = n.ready();
    assert!(
        ready.responses.is_empty(),
        "a CP write cannot be answered before a majority took part"
    );
    let op = query_op(&ready);
    assert_eq!(
        ready.messages,
        vec![(1, Message::Query { op }), (2, Message::Query { op })],
        "a CP operation starts with a Query to every other node, in id order"
    );
    assert_eq!(
        n.version(),
        Version::INITIAL,
        "nothing is stored before the query phase has a majority"
    );
}

#[test]
fn a_write_is_stamped_after_every_version_its_majority_reported() {
    let (mut n, _clock) = node(0, 3, Mode::Cp);
    n.write(1, 11);
    let op = query_op(&n.ready());
    // Node 1's version carries a stamp far ahead of node 0's wall clock.
    let ahead = ver(5, ts(START_MS + 60_000, 3, 1));
    let ready = deliver(&mut n, 1, Message::QueryReply { op, version: ahead });
    let stored = stores(&ready);
    assert_eq!(
        stored.iter().map(|s| s.0).collect::<Vec<_>>(),
        [1, 2],
        "with its own version and node 1's, node 0 has a majority of 3: it sends Store to every \
         other node. Sent: {ready:?}"
    );
    let (_, store_op, version) = stored[0];
    assert_eq!(store_op, op, "the Store carries the operation's id");
    assert!(stored.iter().all(|s| s.2 == version), "one version for all");
    assert_eq!(version.value, 11);
    assert!(
        version.stamp > ahead.stamp,
        "the new version ({version:?}) must be stamped after every version the query phase saw \
         ({ahead:?}): the reply's stamp went through the HLC, so hlc.now() is greater. A stamp \
         from the wall clock alone would lose to the older write."
    );
    assert_eq!(n.version(), version, "the coordinator stores its own write");
    assert!(
        ready.responses.is_empty(),
        "not acknowledged yet: only 1 of 3 holds it"
    );
    let ready = deliver(&mut n, 2, Message::StoreAck { op });
    assert_eq!(
        ready.responses,
        [Response {
            req: 1,
            reply: Reply::Written
        }],
        "the coordinator and node 2 hold it: a majority, acknowledged"
    );
    let ready = deliver(&mut n, 1, Message::StoreAck { op });
    assert!(ready.responses.is_empty(), "each request is answered once");
}

#[test]
fn duplicate_replies_count_once() {
    let (mut n, _) = node(0, 5, Mode::Cp);
    n.write(7, 70);
    let op = query_op(&n.ready());
    let reply = Message::QueryReply {
        op,
        version: Version::INITIAL,
    };
    let ready = deliver(&mut n, 1, reply.clone());
    assert!(stores(&ready).is_empty());
    let ready = deliver(&mut n, 1, reply.clone());
    assert!(
        stores(&ready).is_empty(),
        "node 1's reply arrived twice (the network duplicates): it is still 2 of 5, not a \
         majority. Count replies per node."
    );
    let ready = deliver(&mut n, 3, reply);
    assert_eq!(stores(&ready).len(), 4, "3 of 5: the store phase starts");
    let op = stores(&ready)[0].1;
    deliver(&mut n, 2, Message::StoreAck { op });
    let ready = deliver(&mut n, 2, Message::StoreAck { op });
    assert!(
        ready.responses.is_empty(),
        "two StoreAcks from node 2 are one: 2 of 5"
    );
    let ready = deliver(&mut n, 4, Message::StoreAck { op });
    assert_eq!(ready.responses.len(), 1, "3 of 5 hold it: written");
}

#[test]
fn a_read_whose_majority_agrees_answers_in_one_round_trip() {
    let (mut n, _) = node(0, 3, Mode::Cp);
    n.read(4);
    let op = query_op(&n.ready());
    let ready = deliver(
        &mut n,
        2,
        Message::QueryReply {
            op,
            version: Version::INITIAL,
        },
    );
    assert_eq!(
        ready.responses,
        [Response {
            req: 4,
            reply: Reply::Value(0)
        }],
        "its own version and node 2's have the same stamp: that value is on a majority already"
    );
    assert!(
        stores(&ready).is_empty(),
        "no write-back when the majority agrees"
    );
}

#[test]
fn a_read_whose_majority_disagrees_writes_the_winner_back_first() {
    let (mut n, _) = node(0, 3, Mode::Cp);
    n.read(4);
    let op = query_op(&n.ready());
    let newer = ver(9, ts(START_MS - 5, 0, 2));
    let ready = deliver(&mut n, 2, Message::QueryReply { op, version: newer });
    assert!(
        ready.responses.is_empty(),
        "node 2 has a newer version than node 0: answering 9 now could let a later read see 0 \
         from a majority that never got 9 (a new-old inversion). Write it back first."
    );
    let stored = stores(&ready);
    assert_eq!(
        stored,
        [(1, op, newer), (2, op, newer)],
        "the read stores the winning version (the greatest stamp) on every other node"
    );
    assert_eq!(n.version(), newer, "and keeps it itself");
    let ready = deliver(&mut n, 1, Message::StoreAck { op });
    assert_eq!(
        ready.responses,
        [Response {
            req: 4,
            reply: Reply::Value(9)
        }],
        "once a majority holds it, the read answers its value"
    );
}

#[test]
fn a_read_writes_back_its_own_version_when_it_is_the_newest() {
    let (mut n, _) = node(1, 3, Mode::Cp);
    let mine = ver(3, ts(START_MS, 0, 0));
    n.step(0, Message::Sync { version: mine });
    let _ = n.ready();
    n.read(5);
    let op = query_op(&n.ready());
    let ready = deliver(
        &mut n,
        2,
        Message::QueryReply {
            op,
            version: Version::INITIAL,
        },
    );
    assert_eq!(
        stores(&ready),
        [(0, op, mine), (2, op, mine)],
        "node 2 does not have 3 yet: the read writes it back"
    );
}

#[test]
fn a_replica_answers_queries_and_stores_only_winning_versions() {
    let (mut n, _) = node(2, 3, Mode::Cp);
    let ready = deliver(&mut n, 0, Message::Query { op: 41 });
    assert_eq!(
        ready.messages,
        [(
            0,
            Message::QueryReply {
                op: 41,
                version: Version::INITIAL
            }
        )],
        "a Query is answered with the held version and the same op"
    );
    let v1 = ver(1, ts(START_MS + 100, 0, 0));
    let ready = deliver(
        &mut n,
        0,
        Message::Store {
            op: 42,
            version: v1,
        },
    );
    assert_eq!(ready.messages, [(0, Message::StoreAck { op: 42 })]);
    assert_eq!(
        n.version(),
        v1,
        "a Store of a greater stamp replaces the version"
    );
    assert!(
        n.hlc() >= ts(START_MS + 100, 1, 2),
        "the stamp went through the HLC: {:?}",
        n.hlc()
    );
    let old = ver(2, ts(START_MS + 50, 0, 1));
    let ready = deliver(
        &mut n,
        1,
        Message::Store {
            op: 7,
            version: old,
        },
    );
    assert_eq!(
        ready.messages,
        [(1, Message::StoreAck { op: 7 })],
        "a Store of an older version is acknowledged (the node holds something newer)"
    );
    assert_eq!(n.version(), v1, "but does not replace the newer version");
    let ready = deliver(&mut n, 1, Message::Query { op: 8 });
    assert_eq!(
        ready.messages,
        [(1, Message::QueryReply { op: 8, version: v1 })]
    );
}

#[test]
fn a_node_that_cannot_hear_a_majority_refuses_at_once() {
    let (mut n, _) = node(0, 3, Mode::Cp);
    for t in 1..=12 {
        n.tick();
        assert!(
            n.has_majority(),
            "tick {t}: peers last heard at tick 0 are live while now - 0 <= suspect_ticks (12)"
        );
    }
    n.tick();
    assert!(
        !n.has_majority(),
        "tick 13: both peers silent for more than suspect_ticks: no majority"
    );
    let _ = n.ready();
    n.read(1);
    n.write(2, 22);
    let ready = n.ready();
    assert_eq!(
        ready.responses,
        [
            Response {
                req: 1,
                reply: Reply::Unavailable
            },
            Response {
                req: 2,
                reply: Reply::Unavailable
            }
        ],
        "without a majority, CP refuses at once: a definite failure the client can act on, \
         instead of an answer from its own copy (which may be stale)"
    );
    assert!(
        ready.messages.is_empty(),
        "a refused request sends nothing (that is what makes the refusal definite)"
    );
    assert_eq!(n.version(), Version::INITIAL, "and changes nothing");
    n.step(
        2,
        Message::Sync {
            version: Version::INITIAL,
        },
    );
    assert!(
        n.has_majority(),
        "any message from node 2 makes it live again: 2 of 3"
    );
    n.read(3);
    let ready = n.ready();
    assert_eq!(
        receivers(&ready),
        [1, 2],
        "with a majority again, a read starts a query phase: {ready:?}"
    );
    query_op(&ready);
}

#[test]
fn an_operation_that_cannot_finish_times_out_and_late_replies_are_ignored() {
    let (mut n, _) = node(0, 3, Mode::Cp);
    n.write(1, 11);
    let op = query_op(&n.ready());
    for t in 1..20 {
        n.tick();
        assert!(
            n.ready().responses.is_empty(),
            "tick {t}: the write started at tick 0 is still within timeout_ticks (20)"
        );
    }
    n.tick();
    assert_eq!(
        n.ready().responses,
        [Response {
            req: 1,
            reply: Reply::Timeout
        }],
        "timeout_ticks after it started, an unfinished operation is answered Timeout: the \
         client learns that it may or may not have taken effect"
    );
    let ready = deliver(
        &mut n,
        1,
        Message::QueryReply {
            op,
            version: Version::INITIAL,
        },
    );
    assert!(
        stores(&ready).is_empty() && ready.responses.is_empty(),
        "a reply to an operation that timed out is ignored: {ready:?}"
    );
}

#[test]
fn a_timed_out_store_phase_still_answers_once() {
    let (mut n, _) = node(0, 3, Mode::Cp);
    n.write(1, 11);
    let op = query_op(&n.ready());
    deliver(
        &mut n,
        1,
        Message::QueryReply {
            op,
            version: Version::INITIAL,
        },
    );
    let mut replies = Vec::new();
    for _ in 0..30 {
        n.tick();
        replies.extend(n.ready().responses);
    }
    assert_eq!(
        replies,
        [Response {
            req: 1,
            reply: Reply::Timeout
        }],
        "no StoreAck came: Timeout, once. (The version may already be on other nodes, which is \
         why a timeout is indefinite.)"
    );
    let ready = deliver(&mut n, 2, Message::StoreAck { op });
    assert!(ready.responses.is_empty(), "a late StoreAck is ignored");
}

#[test]
fn replies_count_only_towards_the_phase_they_answer() {
    let (mut n, _) = node(0, 3, Mode::Cp);
    n.write(1, 11);
    let op = query_op(&n.ready());
    let ready = deliver(&mut n, 1, Message::StoreAck { op });
    assert!(
        ready.responses.is_empty() && stores(&ready).is_empty(),
        "a StoreAck while the operation is still querying counts for nothing"
    );
    deliver(
        &mut n,
        2,
        Message::QueryReply {
            op,
            version: Version::INITIAL,
        },
    );
    let ready = deliver(
        &mut n,
        1,
        Message::QueryReply {
            op,
            version: Version::INITIAL,
        },
    );
    assert!(
        ready.responses.is_empty(),
        "a QueryReply during the store phase acknowledges nothing"
    );
    let ready = deliver(&mut n, 1, Message::StoreAck { op });
    assert_eq!(ready.responses.len(), 1);
}

#[test]
fn concurrent_operations_on_one_node_are_kept_apart() {
    let (mut n, _) = node(0, 3, Mode::Cp);
    n.read(1);
    let a = query_op(&n.ready());
    n.read(2);
    let b = query_op(&n.ready());
    assert_ne!(a, b, "each operation has its own id");
    let ready = deliver(
        &mut n,
        1,
        Message::QueryReply {
            op: b,
            version: Version::INITIAL,
        },
    );
    assert_eq!(
        ready.responses,
        [Response {
            req: 2,
            reply: Reply::Value(0)
        }],
        "the reply for the second operation answers the second request"
    );
}

#[test]
fn a_single_node_is_its_own_majority() {
    let (mut n, _) = node(0, 1, Mode::Cp);
    n.write(1, 5);
    n.read(2);
    let ready = n.ready();
    assert_eq!(
        ready.responses,
        [
            Response {
                req: 1,
                reply: Reply::Written
            },
            Response {
                req: 2,
                reply: Reply::Value(5)
            }
        ],
        "with one node, the node alone is a majority: answered at once"
    );
    assert!(ready.messages.is_empty());
}

// ----------------------------------------------------------- scenarios

#[test]
fn a_minority_never_answers_with_a_stale_value() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(5, Mode::Cp, seed);
        let (w, old) = c.write(0);
        assert_eq!(c.wait(w, 30), Reply::Written);
        c.run(10);
        c.partition(&[&[0, 1, 2], &[3, 4]]);
        let (w, new) = c.write(1);
        assert_eq!(
            c.wait(w, 30),
            Reply::Written,
            "nodes 0, 1, 2 are a majority of 5: the write succeeds on their side"
        );
        let mut reads = Vec::new();
        for t in 0..40 {
            for i in [3, 4] {
                reads.push((t, c.read(i)));
            }
            c.tick();
        }
        c.run(30);
        for (t, req) in reads {
            let a = c
                .answer_to(req)
                .cloned()
                .unwrap_or_else(|| c.net.fail(&format!("minority read {req} never answered")));
            if let Reply::Value(v) = a.reply {
                c.net.fail(&format!(
                    "node {} answered a read {t} ticks into the partition with {v} (the \
                     majority side wrote {new} over {old}): a node without a majority must not \
                     answer from its own copy. CP means Unavailable or Timeout, never stale.",
                    a.node
                ));
            }
            if t >= SETTLE && (a.reply != Reply::Unavailable || a.latency() != 0) {
                c.net.fail(&format!(
                    "node {} got a read {t} ticks into the partition, long after its failure \
                     detector should suspect nodes 0, 1, 2 (silent for more than suspect_ticks): \
                     answered {:?} after {} ticks. Expected Unavailable at once: a definite \
                     refusal, not a wait for the timeout.",
                    a.node,
                    a.reply,
                    a.latency()
                ));
            }
        }
        c.heal();
        c.run(SETTLE);
        let r = c.read(4);
        assert_eq!(
            c.wait(r, 30),
            Reply::Value(new),
            "after the heal node 4 reaches a majority again and reads the majority's write"
        );
        c.assert_linearizable("a partitioned CP register must stay linearizable");
    });
}

#[test]
fn the_majority_side_stays_available() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(5, Mode::Cp, seed);
        c.partition(&[&[0, 1, 2], &[3, 4]]);
        c.run(SETTLE);
        for round in 0..10 {
            for i in [0, 1, 2] {
                let req = if round % 2 == 0 {
                    c.write(i).0
                } else {
                    c.read(i)
                };
                let reply = c.wait(req, 30);
                let a = c.answer_to(req).expect("answered").clone();
                if !a.is_ok() || a.latency() > 8 {
                    c.net.fail(&format!(
                        "node {i} is on the majority side (0, 1, 2 of 5) and got {reply:?} after \
                         {} ticks: a majority quorum needs only its own side, so CP stays \
                         available there, within two round trips (8 ticks here). Waiting for \
                         every node would make any single failure an outage.",
                        a.latency()
                    ));
                }
            }
        }
        c.assert_linearizable("the majority side's history must be linearizable");
    });
}

#[test]
fn seeded_partitions_keep_every_history_linearizable() {
    run_seeds(&SEEDS, |seed| {
        for lossy in [false, true] {
            let skews = skews(5, seed, 300);
            let mut c = Cluster::with(5, seed, &skews, |cfg| cfg.mode = Mode::Cp);
            if lossy {
                c.net.set_links(LinkConfig::unreliable());
            }
            random_run(&mut c, seed, 400, 0.6, true);
            c.run(40);
            if c.unanswered() > 0 {
                c.net.fail(&format!(
                    "{} requests were never answered: every CP request gets a reply, at the \
                     latest Timeout after timeout_ticks",
                    c.unanswered()
                ));
            }
            c.assert_linearizable(&format!(
                "CP under seeded partitions, clock skews {skews:?}, lossy links {lossy}: the \
                 history must be linearizable (Unavailable recorded as a definite failure, \
                 Timeout as unknown)"
            ));
            let refused = c.answers.iter().filter(|a| !a.is_ok()).count();
            assert!(
                refused > 0,
                "seed {seed}: the schedule split the network for most of the run, yet every \
                 request succeeded: a CP register must refuse on a side without a majority"
            );
            if lossy {
                continue;
            }
            for a in &c.answers {
                if !(a.same_partition && a.settled) {
                    continue;
                }
                if a.in_majority && !a.is_ok() {
                    c.net.fail(&format!(
                        "request {} on node {} was answered {:?}, though its side of a settled \
                         partition held a majority and the links lose nothing: the majority \
                         side stays available",
                        a.req, a.node, a.reply
                    ));
                }
                if !a.in_majority && (a.reply != Reply::Unavailable || a.latency() != 0) {
                    c.net.fail(&format!(
                        "request {} on node {} was answered {:?} after {} ticks, on a side of a \
                         settled partition without a majority: expected Unavailable at once",
                        a.req,
                        a.node,
                        a.reply,
                        a.latency()
                    ));
                }
            }
        }
    });
}
