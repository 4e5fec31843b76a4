//! Stage 4: convergence. Every node pushes its version to every other node
//! every `sync_ticks` ticks (anti-entropy), in both modes. After a partition
//! heals and a quiet period of two sync intervals, every AP replica holds
//! the same version, the one with the greatest stamp; on lossy links they
//! converge within a budget. The harness then reports which acknowledged
//! writes the register lost (concurrent writes that last-writer-wins threw
//! away) and checks that none of them causally followed the winner. The
//! wrong design: replicas that push only when they write never converge
//! once the partition heals.

use crate::common;

use common::*;
use kit::sim::LinkConfig;

#[test]
fn every_node_syncs_every_sync_ticks_in_both_modes() {
    for mode in [Mode::Ap, Mode::Cp] {
        let (mut n, _) = node(1, 3, mode);
        let v = ver(4, ts(START_MS, 0, 0));
        n.step(0, Message::Sync { version: v });
        let _ = n.ready();
        for t in 1..=15 {
            n.tick();
            let ready = n.ready();
            if t % 5 == 0 {
                assert_eq!(
                    ready.messages,
                    vec![
                        (0, Message::Sync { version: v }),
                        (2, Message::Sync { version: v })
                    ],
                    "{mode:?}, tick {t}: every sync_ticks (5) ticks the node pushes its version \
                     to every other node (anti-entropy; also the failure detector's heartbeat)"
                );
            } else {
                assert!(
                    ready.messages.is_empty(),
                    "{mode:?}, tick {t}: nothing between sync ticks, got {ready:?}"
                );
            }
        }
    }
}

#[test]
fn a_node_that_missed_a_write_gets_it_after_the_heal() {
    let mut c = Cluster::new(3, Mode::Ap, 1);
    c.partition(&[&[0, 1], &[2]]);
    let (_, v) = c.write(0);
    c.run(30);
    assert_ne!(c.node(2).version().value, v, "node 2 is cut off");
    c.heal();
    let quiet = 2 * c.config(0).sync_ticks;
    c.run(quiet);
    if !c.converged() {
        c.net.fail(&format!(
            "{quiet} quiet ticks after the heal the replicas still differ: {:?}. The write's \
             own push was lost in the partition; only a periodic exchange (anti-entropy) \
             repairs a replica that missed it.",
            c.versions()
        ));
    }
    assert_eq!(c.node(2).version().value, v);
}

fn report(seed: u64, c: &Cluster) -> Losses {
    let losses = c.losses();
    eprintln!(
        "seed {seed}: winner {}, {} acknowledged writes lost to concurrent ones{}",
        losses.winner,
        losses.lost.len(),
        if losses.lost.is_empty() {
            String::new()
        } else {
            format!(": {:?}", losses.lost)
        }
    );
    losses
}

#[test]
fn after_a_heal_and_a_quiet_period_every_replica_converges() {
    let mut total_lost = 0;
    run_seeds(&SEEDS, |seed| {
        let skews = skews(5, seed, 300);
        let mut c = Cluster::with(5, seed, &skews, |cfg| cfg.mode = Mode::Ap);
        random_run(&mut c, seed, 300, 0.8, true);
        let best = c
            .versions()
            .into_iter()
            .max_by_key(|v| v.stamp)
            .expect("nodes");
        let quiet = 2 * c.config(0).sync_ticks;
        c.run(quiet);
        if !c.converged() {
            c.net.fail(&format!(
                "{quiet} quiet ticks after the heal (two sync intervals) the replicas differ: \
                 {:?}. Every node pushes its version to every other one each sync_ticks, so \
                 one round is enough on reliable links.",
                c.versions()
            ));
        }
        assert_eq!(
            c.node(0).version(),
            best,
            "they converge on the version with the greatest stamp any replica held"
        );
        let losses = report(seed, &c);
        if !losses.causally_later.is_empty() {
            c.net.fail(&format!(
                "writes {:?} were acknowledged but dropped by their own node at once: stamped \
                 no greater than the version it held, which they causally follow. HLC stamps \
                 order every write after everything its node has received.",
                losses.causally_later
            ));
        }
        total_lost += losses.lost.len();
    });
    assert!(
        total_lost > 0,
        "writes on both sides of a partition are concurrent, and last-writer-wins keeps one: \
         some acknowledged writes must be reported lost (the price of AP with LWW)"
    );
}

#[test]
fn lossy_links_converge_within_a_budget() {
    run_seeds(&SEEDS, |seed| {
        let skews = skews(5, seed, 300);
        let mut c = Cluster::with(5, seed, &skews, |cfg| cfg.mode = Mode::Ap);
        c.net.set_links(LinkConfig::unreliable());
        random_run(&mut c, seed, 300, 0.8, true);
        c.converge(
            200,
            "with 10% loss a push can be lost, but anti-entropy repeats every sync_ticks",
        );
        let losses = report(seed, &c);
        assert!(
            losses.causally_later.is_empty(),
            "no causally later write may be dropped: {losses:?}"
        );
    });
}

#[test]
fn cp_replicas_converge_too() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(5, Mode::Cp, seed);
        random_run(&mut c, seed, 200, 0.6, true);
        c.run(40);
        c.converge(
            20,
            "CP replicas that missed a Store (a minority, a timed-out operation) catch up by \
             the same anti-entropy",
        );
        c.assert_linearizable("and the history stays linearizable");
    });
}
