//! Stage 4: chaos. Lossy, duplicating and reordering networks, crashes,
//! partitions (one-way ones too) and churn, all at once; the harness checks election safety,
//! leader append-only, log matching, leader completeness and state-machine
//! safety after every tick, and at the end the cluster must still agree.

use crate::common;

use common::*;
use kit::sim::LinkConfig;

#[test]
fn agreement_on_an_unreliable_network() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(5, seed);
        c.links(LinkConfig::unreliable());
        for iter in 1..20 {
            // A few proposals at once, then one that must get through.
            if let Some(l) = (0..5).find(|&i| c.node(i).is_some_and(|r| r.role() == Role::Leader)) {
                for j in 0..3 {
                    let _ = c.propose(l, cmd(100 * iter + j));
                }
            }
            c.one(100 * iter + 50, 1, true);
        }
        c.links(LinkConfig::reliable());
        c.one(100, 5, true);
    });
}

#[test]
fn figure_8_on_an_unreliable_reordering_network() {
    run_seeds(&SEEDS, |seed| {
        let n = 5;
        let mut c = Cluster::new(n, seed);
        c.links(LinkConfig {
            long_delay: 0.1,
            long_delay_max: 40,
            ..LinkConfig::unreliable()
        });
        let command = c.workload.below(10_000);
        c.one(command, 1, true);
        let mut connected = n;
        for iter in 0..250 {
            if iter == 200 {
                c.links(LinkConfig::long_reordering());
            }
            let leader = (0..n).find(|&i| {
                c.is_connected(i) && c.node(i).is_some_and(|r| r.role() == Role::Leader)
            });
            if let Some(l) = leader
                && c.workload.chance(0.5)
            {
                let command = c.workload.below(1_000_000);
                let _ = c.propose(l, cmd(command));
            }
            let wait = if c.workload.chance(0.1) {
                c.workload.range(0..ELECTION * 5)
            } else {
                c.workload.range(0..ELECTION / 3 + 1)
            };
            c.run(wait);
            if let Some(l) = leader
                && c.workload.chance(0.5)
            {
                c.disconnect(l);
                connected -= 1;
            }
            if connected < 3 {
                let cut: Vec<NodeId> = (0..n).filter(|&i| !c.is_connected(i)).collect();
                let &s = c.workload.choose(&cut).expect("a node is cut off");
                c.connect(s);
                connected += 1;
            }
        }
        c.heal();
        c.links(LinkConfig::reliable());
        let command = c.workload.below(10_000) + 2_000_000;
        c.one(command, n, true);
    });
}

/// Crashes, restarts, disconnections and reconnections at random while
/// commands keep coming; afterwards every node must agree and progress.
fn churn(seed: u64, links: LinkConfig) {
    let n = 5;
    let mut c = Cluster::new(n, seed);
    c.links(links);
    let mut next_command = 1;
    for _ in 0..30 {
        for _ in 0..6 {
            if let Some(l) = (0..n).find(|&i| c.node(i).is_some_and(|r| r.role() == Role::Leader)) {
                let _ = c.propose(l, cmd(next_command));
                next_command += 1;
            }
            let wait = c.workload.range(1..4);
            c.run(wait);
        }
        let victim = c.workload.below(n as u64) as NodeId;
        match c.workload.below(4) {
            0 => c.crash(victim),
            1 => c.restart(victim),
            2 => c.disconnect(victim),
            _ => c.connect(victim),
        }
        // Keep a majority up often enough for progress to be possible.
        if (0..n).filter(|&i| c.is_connected(i)).count() < 3 && c.workload.chance(0.7) {
            for i in 0..n {
                if !c.is_up(i) {
                    c.restart(i);
                }
                c.connect(i);
            }
        }
    }
    let during = c.committed().len();
    for i in 0..n {
        if !c.is_up(i) {
            c.restart(i);
        }
    }
    c.heal();
    c.links(LinkConfig::reliable());
    c.one(u64::MAX, n, true);
    if during < 5 {
        c.net.fail(&format!(
            "seed {seed}: only {during} entries committed during the churn: the cluster should \
             make progress whenever a majority is up and connected"
        ));
    }
}

#[test]
fn reliable_churn() {
    run_seeds(&SEEDS, |seed| churn(seed, LinkConfig::reliable()));
}

#[test]
fn unreliable_churn() {
    run_seeds(&SEEDS, |seed| churn(seed, LinkConfig::unreliable()));
}

#[test]
fn shifting_partitions_with_long_reordering() {
    run_seeds(&SEEDS, |seed| {
        let n = 5;
        let mut c = Cluster::new(n, seed);
        c.links(LinkConfig::long_reordering());
        let mut command = 1;
        for _ in 0..15 {
            let mut all: Vec<NodeId> = (0..n).collect();
            c.workload.shuffle(&mut all);
            let split = c.workload.range(1..3) as usize;
            let (minority, majority) = all.split_at(split);
            c.partition(&[minority, majority]);
            for _ in 0..6 {
                for &i in minority.iter().chain(majority) {
                    if c.node(i).is_some_and(|r| r.role() == Role::Leader) {
                        let _ = c.propose(i, cmd(command));
                        command += 1;
                    }
                }
                let wait = c.workload.range(1..8);
                c.run(wait);
            }
            let wait = c.workload.range(0..3 * ELECTION);
            c.run(wait);
        }
        c.heal();
        c.links(LinkConfig::reliable());
        c.one(u64::MAX - 1, n, true);
    });
}

#[test]
fn a_deposed_leader_that_can_send_but_not_hear_holds_back_nothing() {
    run_seeds(&SEEDS, |seed| {
        let n = 5;
        let mut c = Cluster::new(n, seed);
        c.links(LinkConfig::reliable());
        let old = c.wait_leader();
        c.disconnect(old);
        let rest: Vec<NodeId> = (0..n).filter(|&i| i != old).collect();
        let new = c.wait_leader_in(&rest);
        // The old leader comes back able to send to everyone but hear no
        // one: it never learns of the new term, stays leader of its old one
        // and keeps sending heartbeats.
        for &i in &rest {
            c.set_reachable(i, old, false);
        }
        c.connect(old);
        c.run(2 * ELECTION);
        // The new leader dies; three nodes remain that hear each other.
        c.disconnect(new);
        let three: Vec<NodeId> = rest.iter().copied().filter(|&i| i != new).collect();
        let next = c.wait_leader_in(&three);
        let command = c.workload.below(1_000_000);
        c.one(command, 3, true);
        assert_ne!(next, old);
        c.heal();
        c.one(command + 1_000_000, n, true);
    });
}

#[test]
fn one_way_links_at_random() {
    run_seeds(&SEEDS, |seed| {
        let n = 5;
        let mut c = Cluster::new(n, seed);
        c.links(LinkConfig::unreliable());
        let mut command = 1;
        for _ in 0..12 {
            // Cut a few directed links at random; the reverse direction stays.
            c.heal();
            for _ in 0..c.workload.range(1..5) {
                let from = c.workload.below(n as u64) as NodeId;
                let to = c.workload.below(n as u64) as NodeId;
                c.set_reachable(from, to, false);
            }
            for _ in 0..5 {
                if let Some(l) =
                    (0..n).find(|&i| c.node(i).is_some_and(|r| r.role() == Role::Leader))
                {
                    let _ = c.propose(l, cmd(command));
                    command += 1;
                }
                let wait = c.workload.range(1..2 * ELECTION);
                c.run(wait);
            }
        }
        c.heal();
        c.links(LinkConfig::reliable());
        c.one(u64::MAX - 3, n, true);
    });
}

#[test]
fn chaos_network_with_crashes() {
    run_seeds(&SEEDS, |seed| {
        let n = 5;
        let mut c = Cluster::new(n, seed);
        c.links(LinkConfig::chaos());
        for step in 0..60 {
            if let Some(l) = (0..n).find(|&i| c.node(i).is_some_and(|r| r.role() == Role::Leader)) {
                let _ = c.propose(l, cmd(step));
            }
            let wait = c.workload.range(1..10);
            c.run(wait);
            if c.workload.chance(0.2) {
                let victim = c.workload.below(n as u64) as NodeId;
                c.restart(victim);
            }
        }
        c.links(LinkConfig::reliable());
        c.one(u64::MAX - 2, n, true);
    });
}

#[test]
fn the_same_seed_replays_the_same_run() {
    let trace = |seed| {
        let mut c = Cluster::new(5, seed);
        c.links(LinkConfig::chaos());
        for step in 0..30 {
            if let Some(l) = (0..5).find(|&i| c.node(i).is_some_and(|r| r.role() == Role::Leader)) {
                let _ = c.propose(l, cmd(step));
            }
            c.run(5);
        }
        let terms: Vec<Term> = (0..5).map(|i| c.node(i).map_or(0, |r| r.term())).collect();
        (c.committed().to_vec(), c.messages(), terms)
    };
    for seed in [1, 2, 3] {
        assert_eq!(
            trace(seed),
            trace(seed),
            "seed {seed} gave two different runs: all randomness must come from Config::seed, \
             and no HashMap iteration order or clock may decide what the node does, or a \
             failing seed cannot be replayed"
        );
    }
}
