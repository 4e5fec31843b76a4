//! Stage 3: conflicts and repair. Concurrent writes become siblings, never
//! silently lost; a write with the merged context resolves them; read repair
//! brings stale replicas up to date; hinted handoff delivers writes to a
//! replica that was down; and under a lossy network with failures, every
//! acknowledged write survives and replicas converge.

use crate::common;

use common::*;
use kit::sim::LinkConfig;
use std::collections::BTreeMap;

fn key_starting_at(start: NodeId, nodes: usize) -> String {
    (0..)
        .map(|i| format!("key{i}"))
        .find(|k| ring_order(k, nodes)[0] == start)
        .expect("some key starts there")
}

#[test]
fn concurrent_writes_become_siblings_and_a_merged_write_resolves_them() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(1, 5);
        let mut c = Cluster::new(5, 3, 2, 2, seed);
        let base = c.write(0, &key, "base", &Version::new(), 1);
        // Two clients read "base" and write at the same time via different nodes.
        let a = c.put(1, &key, "alice", &base, 2);
        let b = c.put(3, &key, "bob", &base, 3);
        c.wait(1, a);
        c.wait(3, b);
        let got = c.read(4, &key);
        if values(&got) != ["alice", "bob"] {
            c.net.fail(&format!(
                "two writes from the same context are concurrent: a read must return both as \
                 siblings, got {:?}. Last-writer-wins (by timestamp or by a total order on \
                 versions) silently loses one of them.",
                values(&got)
            ));
        }
        // The client merges and writes back with the siblings' context.
        let ctx = context(&got);
        c.write(2, &key, "alice+bob", &ctx, 2);
        let got = c.read(0, &key);
        if values(&got) != ["alice+bob"] {
            c.net.fail(&format!(
                "a write with the merged context replaces both siblings: {:?}",
                values(&got)
            ));
        }
    });
}

#[test]
fn a_write_from_a_stale_context_does_not_erase_a_newer_one() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(0, 5);
        let mut c = Cluster::new(5, 3, 2, 2, seed);
        let v1 = c.write(0, &key, "v1", &Version::new(), 1);
        c.write(0, &key, "v2", &v1, 1);
        // Client 2 still has v1's context.
        c.write(2, &key, "late", &v1, 2);
        let got = c.read(1, &key);
        if values(&got) != ["late", "v2"] {
            c.net.fail(&format!(
                "v2 and 'late' are concurrent and both must survive: {:?}",
                values(&got)
            ));
        }
    });
}

#[test]
fn read_repair_updates_stale_replicas() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(0, 5); // replicas 0, 1, 2
        let mut c = Cluster::new(5, 3, 2, 2, seed);
        let v1 = c.write(0, &key, "v1", &Version::new(), 1);
        c.run(5);
        // Replica 2 misses v2 (cut off, and it is a write quorum of 2 without it).
        c.net.disconnect(2);
        c.write(0, &key, "v2", &v1, 1);
        c.run(Config::new(0, 5).deadline); // the write request (and its fallbacks) is over
        // The fallback holding 2's hint goes down: only read repair can help.
        for i in 0..5 {
            for (owner, _) in c.node(i).hints() {
                assert_eq!(owner, 2, "only replica 2 missed the write");
                c.fail(i);
            }
        }
        c.net.reconnect(2);
        assert_eq!(values(&c.node(2).local(&key)), ["v1"], "replica 2 is stale");
        let got = c.read(2, &key);
        assert_eq!(values(&got), ["v2"]);
        c.run(10);
        if values(&c.node(2).local(&key)) != ["v2"] {
            c.net.fail(&format!(
                "after a read that saw replica 2 answer v1 while others had v2, read repair \
                 must send v2 to replica 2; it still stores {:?}",
                values(&c.node(2).local(&key))
            ));
        }
    });
}

#[test]
fn a_late_reply_is_repaired_too() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(0, 5);
        let mut c = Cluster::new(5, 3, 2, 2, seed);
        let v1 = c.write(0, &key, "v1", &Version::new(), 1);
        c.run(5);
        c.net.disconnect(2);
        c.write(0, &key, "v2", &v1, 1);
        c.run(Config::new(0, 5).deadline);
        // The fallback holding 2's hint goes down: only read repair can help.
        for i in 0..5 {
            if !c.node(i).hints().is_empty() {
                c.fail(i);
            }
        }
        c.net.reconnect(2);
        // Replica 2 answers this read last (its link is slow): the read is
        // already answered by 0 and 1, but 2 is still repaired.
        c.net.set_link(
            2,
            4,
            LinkConfig {
                min_delay: 8,
                max_delay: 8,
                ..LinkConfig::reliable()
            },
        );
        c.read(4, &key);
        c.run(Config::new(0, 5).deadline);
        if values(&c.node(2).local(&key)) != ["v2"] {
            c.net.fail(&format!(
                "replica 2's stale reply arrived after the read finished; the coordinator must \
                 still repair it: {:?}",
                values(&c.node(2).local(&key))
            ));
        }
    });
}

#[test]
fn a_late_reply_that_knows_more_repairs_the_earlier_ones() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(0, 5); // replicas 0, 1, 2
        let mut c = Cluster::new(5, 3, 1, 2, seed);
        let v1 = c.write(0, &key, "v1", &Version::new(), 1);
        c.run(5);
        // Replica 2, cut off, takes a write alone (W = 1): only it has v2.
        c.net.disconnect(2);
        c.write(2, &key, "v2", &v1, 1);
        c.run(Config::new(0, 5).deadline);
        c.net.reconnect(2);
        // Replica 2's reply reaches the coordinator last: the read is
        // answered from 0 and 1 (v1; R + W = N allows that), then 2's reply
        // shows that 0 and 1 are stale.
        c.net.set_link(
            2,
            4,
            LinkConfig {
                min_delay: 8,
                max_delay: 8,
                ..LinkConfig::reliable()
            },
        );
        c.read(4, &key);
        c.run(Config::new(0, 5).deadline);
        for r in [0, 1] {
            if values(&c.node(r).local(&key)) != ["v2"] {
                c.net.fail(&format!(
                    "a late reply brought v2, newer than what replicas 0 and 1 answered: the \
                     coordinator must repair them too; replica {r} stores {:?}",
                    values(&c.node(r).local(&key))
                ));
            }
        }
    });
}

#[test]
fn only_replicas_are_repaired() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(0, 5); // replicas 0, 1, 2; first fallback 3
        let mut c = Cluster::new(5, 3, 2, 3, seed);
        c.write(0, &key, "v", &Version::new(), 1);
        c.run(Config::new(0, 5).deadline);
        // Replica 2 fails after the write: no hints anywhere. A read needs
        // R = 3, so fallback 3 is asked and answers with nothing.
        c.fail(2);
        let got = c.read(0, &key);
        assert_eq!(values(&got), ["v"]);
        c.run(10);
        if !c.node(3).local(&key).is_empty() {
            c.net.fail(
                "fallback 3 answered a read for replica 2 and was then sent a read repair: it \
                 now stores the key as if it were a replica. Repair only the key's preference \
                 list.",
            );
        }
    });
}

#[test]
fn hinted_handoff_delivers_writes_when_the_replica_returns() {
    run_seeds(&SEEDS, |seed| {
        let key = key_starting_at(0, 5); // replicas 0, 1, 2; fallbacks 3, 4
        let mut c = Cluster::new(5, 3, 2, 2, seed);
        c.fail(2);
        c.write(0, &key, "v", &Version::new(), 1);
        c.run(Config::new(0, 5).timeout * 2);
        if c.node(3).hints() != vec![(2, key.clone())] {
            c.net.fail(&format!(
                "replica 2 is down: the coordinator must send its copy to the first fallback \
                 (node 3) with a hint, even after W acks; node 3 holds {:?}",
                c.node(3).hints()
            ));
        }
        // While 2 is down, handoffs fail and the hint stays.
        c.run(Config::new(0, 5).handoff_every * 3);
        assert_eq!(
            c.node(3).hints(),
            vec![(2, key.clone())],
            "an unacknowledged hint is kept"
        );
        c.recover(2);
        c.run(Config::new(0, 5).handoff_every * 3);
        if values(&c.node(2).local(&key)) != ["v"] {
            c.net.fail(&format!(
                "replica 2 is back: the hint must be handed off; it stores {:?}",
                values(&c.node(2).local(&key))
            ));
        }
        if !c.node(3).hints().is_empty() {
            c.net
                .fail("the fallback must drop a hint once the owner acknowledged it");
        }
    });
}

#[test]
fn acknowledged_writes_survive_and_replicas_converge_under_faults() {
    run_seeds(&SEEDS, |seed| {
        let nodes = 5;
        let keys = ["a", "b", "c"];
        let mut c = Cluster::new(nodes, 3, 2, 2, seed);
        c.links(LinkConfig::unreliable());
        let mut rng = kit::rng::Rng::new(seed).stream("workload");
        // Each client writes a key with the version of its last acknowledged
        // write to it (its context), one write at a time per key.
        let mut context: BTreeMap<(ClientId, &str), Version> = BTreeMap::new();
        let mut in_flight: BTreeMap<(ClientId, &str), (NodeId, RequestId)> = BTreeMap::new();
        let mut acked: Vec<(String, Version)> = Vec::new();
        for step in 0..200u64 {
            let finished: Vec<(ClientId, &str)> = in_flight
                .iter()
                .filter(|(_, (coord, req))| c.outcome(*coord, *req).is_some())
                .map(|(k, _)| *k)
                .collect();
            for k in finished {
                let (coord, req) = in_flight.remove(&k).expect("listed");
                if let Some(Outcome::Put { result: Ok(v), .. }) = c.outcome(coord, req) {
                    acked.push((k.1.to_string(), v.clone()));
                    context.insert(k, v.clone());
                }
            }
            let coord = rng.below(nodes as u64) as NodeId;
            let client = rng.below(4);
            let key = keys[rng.below(3) as usize];
            if !c.is_down(coord) {
                if rng.chance(0.5) {
                    if let std::collections::btree_map::Entry::Vacant(slot) =
                        in_flight.entry((client, key))
                    {
                        let ctx = context.get(&(client, key)).cloned().unwrap_or_default();
                        let req = c.put(coord, key, &format!("w{step}"), &ctx, client);
                        slot.insert((coord, req));
                    }
                } else {
                    c.get(coord, key);
                }
            }
            if rng.chance(0.05) {
                let victim = rng.below(nodes as u64) as NodeId;
                if c.is_down(victim) {
                    c.recover(victim);
                } else if (0..nodes).all(|i| !c.is_down(i)) {
                    c.fail(victim);
                }
            }
            let wait = rng.range(1..4);
            c.run(wait);
        }
        for i in 0..nodes {
            if c.is_down(i) {
                c.recover(i);
            }
        }
        c.links(LinkConfig::reliable());
        c.run(200);
        for ((_, key), (coord, req)) in in_flight {
            if let Some(Outcome::Put { result: Ok(v), .. }) = c.outcome(coord, req) {
                acked.push((key.to_string(), v.clone()));
            }
        }
        assert!(!acked.is_empty());
        for key in keys {
            let answers: Vec<Vec<String>> = (0..nodes).map(|i| values(&c.read(i, key))).collect();
            if answers.windows(2).any(|w| w[0] != w[1]) {
                c.net.fail(&format!(
                    "reads of {key} via different nodes disagree: {answers:?}"
                ));
            }
            let got = c.read(0, key);
            for (k, v) in &acked {
                if k == key && !got.iter().any(|s| s.version.descends(v)) {
                    c.net.fail(&format!(
                        "an acknowledged write to {key} (version {v:?}) is lost: nothing read \
                         descends from it ({got:?})"
                    ));
                }
            }
            // After read repair and handoff, every replica holds the same siblings.
            let replicas = preference_list(key, nodes, 3);
            c.run(20);
            let stored: Vec<Vec<String>> = replicas
                .iter()
                .map(|&r| values(&c.node(r).local(key)))
                .collect();
            if stored.windows(2).any(|w| w[0] != w[1]) {
                c.net
                    .fail(&format!("replicas of {key} did not converge: {stored:?}"));
            }
        }
    });
}

#[test]
fn a_handoff_ack_drops_only_the_hints_it_covers() {
    let key = key_starting_at(0, 5); // replicas 0, 1, 2; node 3 is a fallback
    let mut n = Node::new(Config::new(3, 5));
    let mut v1 = Version::new();
    v1.increment(7);
    let first = Versioned {
        version: v1.clone(),
        value: val("first"),
    };
    let put = |req, item: &Versioned| Message::Put {
        req,
        key: key.clone(),
        item: item.clone(),
        hint: Some(2),
    };
    n.step(0, put(1, &first));
    assert_eq!(n.hints(), [(2, key.clone())]);
    // The owner stores `first` and acknowledges it; meanwhile a newer write
    // for the same key arrived as a hint too.
    let mut v2 = v1;
    v2.increment(7);
    let second = Versioned {
        version: v2,
        value: val("second"),
    };
    n.step(0, put(2, &second));
    n.step(
        2,
        Message::HandoffAck {
            key: key.clone(),
            siblings: vec![first],
        },
    );
    assert_eq!(
        n.hints(),
        [(2, key.clone())],
        "the ack confirmed only the first write: the newer hint must stay until it is handed \
         off and acknowledged itself, or that write never reaches its replica"
    );
    n.step(
        2,
        Message::HandoffAck {
            key: key.clone(),
            siblings: vec![second],
        },
    );
    assert!(
        n.hints().is_empty(),
        "an ack covering every version held drops the hint"
    );
}
