//! Stage 5: counted efficiency. On a fault-free network whose links deliver
//! in order (as the TCP connection of a real replication stream does), the
//! leader sends each follower at most one Append per tick, ships every entry
//! to every follower exactly once, and sends nothing when idle: replication
//! messages per write are at most followers × (1 + ε), with ε = 0.05, and a
//! burst of writes in one tick shares its Appends. Counted from every
//! message the harness hands the simulated network.

use crate::common;

use common::*;

/// The slack on every budget below.
const EPSILON: f64 = 0.05;

/// `nodes` nodes on in-order links; `writes` writes, `per_tick` of them in
/// each tick; then the cluster converges. Returns what the wire carried
/// after start-up.
fn fault_free(mode: Mode, nodes: usize, writes: u64, per_tick: u64, seed: u64) -> (Wire, Cluster) {
    let mut c = Cluster::new(nodes, mode, seed);
    c.net.set_links(in_order());
    c.run(3);
    c.wire = Wire::default();
    let mut k = 0;
    while k < writes {
        for _ in 0..per_tick.min(writes - k) {
            let v = c.fresh_value();
            c.write(k % 16, v);
            k += 1;
        }
        c.tick();
    }
    c.converge();
    c.run(20);
    (c.wire.clone(), c)
}

fn per_write(count: u64, writes: u64) -> f64 {
    count as f64 / writes as f64
}

#[test]
fn replication_costs_one_append_per_follower_per_write() {
    run_seeds(&SEEDS, |seed| {
        for mode in [Mode::Async, Mode::SemiSync] {
            let (nodes, writes) = (4, 200);
            let followers = (nodes - 1) as f64;
            let (wire, c) = fault_free(mode, nodes, writes, 1, seed);
            let budget = followers * (1.0 + EPSILON);
            let appends = per_write(wire.total_appends(), writes);
            if appends > budget {
                c.net.fail(&format!(
                    "{mode:?}, one write per tick, fault-free: {appends:.2} Appends per write, \
                     budget {budget:.2} (= {followers} followers × (1 + {EPSILON})). Ship once \
                     per tick what is new; do not resend before retransmit_ticks, do not \
                     heartbeat. Counted: {wire:?}"
                ));
            }
            let entries = per_write(wire.total_entries(), writes);
            if entries > budget {
                c.net.fail(&format!(
                    "{mode:?}: {entries:.2} entries shipped per write, budget {budget:.2}: each \
                     entry goes to each follower once (ship from what was sent, not from what \
                     was acknowledged, and never the whole log). Counted: {wire:?}"
                ));
            }
            let acks = per_write(wire.acks, writes);
            if acks > budget {
                c.net.fail(&format!(
                    "{mode:?}: {acks:.2} Acks per write, budget {budget:.2}: a follower answers \
                     each Append once. Counted: {wire:?}"
                ));
            }
            assert_eq!(
                c.acks.iter().filter(|a| a.1 == 1).count() as u64,
                writes,
                "{mode:?}: every write acknowledged once"
            );
        }
    });
}

#[test]
fn a_burst_of_writes_shares_its_appends() {
    run_seeds(&SEEDS, |seed| {
        let (nodes, writes, burst) = (3, 240, 6);
        let followers = (nodes - 1) as f64;
        let (wire, c) = fault_free(Mode::SemiSync, nodes, writes, burst, seed);
        let budget = followers * (1.0 + EPSILON) / burst as f64;
        let appends = per_write(wire.total_appends(), writes);
        if appends > budget {
            c.net.fail(&format!(
                "{burst} writes per tick: {appends:.3} Appends per write, budget {budget:.3} \
                 (= {followers} × (1 + {EPSILON}) / {burst}). The writes of one tick travel \
                 to each follower in one Append, not one Append per write. Counted: {wire:?}"
            ));
        }
        assert!(
            wire.max_batch_seen as u64 >= burst,
            "an Append carries a whole burst: largest seen {}",
            wire.max_batch_seen
        );
    });
}

#[test]
fn nothing_is_resent_and_no_follower_gets_two_appends_in_a_tick() {
    run_seeds(&SEEDS, |seed| {
        let (wire, c) = fault_free(Mode::Async, 4, 150, 3, seed);
        if wire.resent > 0 {
            c.net.fail(&format!(
                "{} entries were shipped twice to the same follower on a fault-free network: \
                 with in-order links every Ack comes within 2 ticks, well before \
                 retransmit_ticks = 8, so nothing should be resent. Counted: {wire:?}",
                wire.resent
            ));
        }
        if wire.max_appends_per_tick > 1 {
            c.net.fail(&format!(
                "a follower got {} Appends in one tick: at most one per follower per tick",
                wire.max_appends_per_tick
            ));
        }
        assert_eq!(
            wire.probes, 0,
            "followers said where they were when they started following: no probes needed"
        );
    });
}

#[test]
fn an_idle_cluster_sends_nothing() {
    run_seeds(&SEEDS, |seed| {
        let (_, mut c) = fault_free(Mode::SemiSync, 4, 30, 2, seed);
        let sent = c.net.stats().sent;
        c.run(200);
        let idle = c.net.stats().sent - sent;
        assert_eq!(
            idle, 0,
            "200 idle ticks after every follower acknowledged everything: {idle} messages. \
             Failure detection is the coordinator's job here; the replication stream carries \
             data only."
        );
    });
}

#[test]
fn catch_up_after_a_long_outage_is_batched() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(3, Mode::Async, seed);
        c.net.set_links(in_order());
        c.crash(2);
        for k in 0..500 {
            let v = c.fresh_value();
            c.write(k % 16, v);
            if k % 10 == 0 {
                c.tick();
            }
        }
        c.run(20);
        let before = c.wire.appends.get(&(0, 2)).copied().unwrap_or(0);
        c.restart(2);
        c.converge();
        let appends = c.wire.appends.get(&(0, 2)).copied().unwrap_or(0) - before;
        let max_batch = Config::new(0, 3, Mode::Async).max_batch as u64;
        let needed = 500u64.div_ceil(max_batch);
        assert!(
            appends <= needed + 2,
            "a follower back after missing 500 entries needs about {needed} Appends of max_batch \
             = {max_batch}; it got {appends}"
        );
        assert!(
            c.wire.max_batch_seen as u64 <= max_batch,
            "an Append carried {} entries, more than max_batch = {max_batch}",
            c.wire.max_batch_seen
        );
    });
}
