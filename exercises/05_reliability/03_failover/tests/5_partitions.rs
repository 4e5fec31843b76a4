//! Stage 5: seeded fault schedules. Over fixed seeds, the pair runs
//! through a random schedule of partitions (a server cut off from the lock
//! service, from its peer, or both; the lock service alone; one-way cuts),
//! GC pauses, and crashes with restarts, on lossy links that duplicate and
//! delay, while writes keep coming. The harness checks as it runs that
//! there is never more than one primary, that tokens only grow and each
//! has one holder, that no store accepts an older token, and that every
//! entry was written by its token's holder: no two writers are ever
//! accepted in one epoch. At the end, after a heal, the pair converges to
//! byte-identical stores that keep every write acknowledged with a standby
//! attached.

use crate::common::*;

use kit::rng::Rng;
use kit::sim::LinkConfig;

/// 5% loss, 5% duplicates, 1-3 ticks, and one message in fifty delayed up
/// to 20 ticks.
fn lossy() -> LinkConfig {
    LinkConfig {
        drop: 0.05,
        duplicate: 0.05,
        min_delay: 1,
        max_delay: 3,
        long_delay: 0.02,
        long_delay_max: 20,
    }
}

/// What one schedule did, for the statistics over seeds.
#[derive(Debug, Default)]
struct Outcome {
    promotions: usize,
    stale: u64,
    acked: usize,
}

fn run_schedule(seed: u64) -> Outcome {
    let mut c = Cluster::new(seed);
    c.converge();
    c.net.set_links(lossy());
    let mut rng = Rng::new(seed).stream("schedule");
    let mut key: Key = 0;
    for _phase in 0..14 {
        let x = if rng.chance(0.5) { 1 } else { 2 };
        let y = other(x);
        let mut paused = None;
        let mut crashed = None;
        c.net.heal();
        match rng.below(9) {
            0 => {}
            1 => c.net.partition(&[&[x], &[LOCK, y]]),
            2 => c.net.partition(&[&[LOCK], &[x, y]]),
            3 => c.net.partition(&[&[LOCK, x], &[y]]),
            4 => {
                c.net.set_reachable(x, y, false);
                c.net.set_reachable(y, x, false);
            }
            5 => c.net.set_reachable(x, LOCK, false),
            6 => c.net.set_reachable(LOCK, x, false),
            7 => {
                c.pause(x);
                paused = Some(x);
            }
            _ => {
                c.crash(x);
                crashed = Some(x);
            }
        }
        c.net.note(format!("phase {_phase}"));
        let len = rng.range(30..90);
        for t in 0..len {
            if rng.chance(0.6) {
                key += 1;
                c.write_on_primary(key);
            }
            if t % 7 == 0 {
                for i in SERVERS {
                    if c.is_up(i) && !c.is_paused(i) && !c.server(i).holds_lease(c.now()) {
                        key += 1;
                        assert!(
                            c.write(i, key).is_err(),
                            "node {i} holds no lease and must refuse writes"
                        );
                    }
                }
            }
            c.tick();
        }
        if let Some(i) = paused {
            c.resume(i);
        }
        if let Some(i) = crashed {
            c.restart(i);
        }
    }
    c.net.heal();
    c.net.set_links(LinkConfig::reliable());
    c.converge();
    c.check_stores();
    let p = c.primary().expect("converged");
    for v in &c.acked_with_standby {
        let w = c.writes[v];
        if c.get(p, w.key) != Some(*v) {
            c.net.fail(&format!(
                "write {v} (key {}, token {}, LSN {}) was acknowledged by node {} with a standby \
                 attached, yet the converged store does not have it: a synchronous write is on \
                 both servers before it is acknowledged, so no failover may lose it",
                w.key, w.token, w.lsn, w.node
            ));
        }
    }
    let promotions: Vec<Token> = c.promotions.iter().map(|p| p.2).collect();
    assert!(
        promotions.windows(2).all(|w| w[0] < w[1]),
        "each promotion has a newer token than the one before: {promotions:?}"
    );
    Outcome {
        promotions: c.promotions.len(),
        stale: c.wire.stale,
        acked: c.acked.len(),
    }
}

#[test]
fn no_two_writers_in_one_epoch_under_seeded_faults() {
    let mut outcomes = Vec::new();
    run_seeds(&SEEDS, |seed| outcomes.push(run_schedule(seed)));
    let promotions: usize = outcomes.iter().map(|o| o.promotions).sum();
    let acked: usize = outcomes.iter().map(|o| o.acked).sum();
    let stale: u64 = outcomes.iter().map(|o| o.stale).sum();
    eprintln!("fault schedules: {outcomes:?}");
    assert!(
        promotions >= 2 * outcomes.len(),
        "the schedules must exercise failover: {promotions} promotions over {} seeds \
         ({outcomes:?})",
        outcomes.len()
    );
    assert!(
        stale > 0,
        "the schedules must exercise fencing: no store ever answered Stale ({outcomes:?})"
    );
    assert!(
        acked >= 100 * outcomes.len(),
        "the pair must stay available for most of the run: {acked} writes acknowledged over \
         {} seeds ({outcomes:?})",
        outcomes.len()
    );
}

#[test]
fn a_paused_primary_is_fenced_under_load() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        c.converge();
        c.net.set_links(lossy());
        let mut key = 0;
        for round in 0..3 {
            let old = c.primary().expect("a primary");
            let new = other(old);
            for _ in 0..5 {
                key += 1;
                c.write_on_primary(key);
                c.tick();
            }
            c.pause(old);
            c.run_until(300, "the standby takes over", |c| {
                c.server(new).holds_lease(c.now())
            });
            for _ in 0..20 {
                key += 1;
                c.write_on_primary(key);
                c.tick();
            }
            c.resume(old);
            c.net.note(format!("round {round} done"));
            c.run(10);
            c.net.set_links(LinkConfig::reliable());
            c.converge();
            c.net.set_links(lossy());
        }
        c.check_stores();
        assert_eq!(
            c.grants.keys().copied().collect::<Vec<_>>(),
            (1..=c.grants.len() as Token).collect::<Vec<_>>(),
            "tokens 1, 2, 3, ...: one per grant"
        );
    });
}
