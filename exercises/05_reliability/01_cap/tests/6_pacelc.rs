//! Stage 6: PACELC, counted. Else (no partition), the choice is latency
//! against consistency: on links that take exactly one tick, an AP read or
//! write is answered in 0 ticks with no round trip, a CP read of a quiet
//! register in exactly one round trip (2 ticks, Query and QueryReply, no
//! write-back), a CP write in two (4 ticks). Messages are counted too: a
//! quiet CP read sends at most 2 (n - 1), a CP write at most 4 (n - 1), an AP
//! read none. And a majority is enough: two slow replicas out of five must
//! not slow a CP read or write down.

use crate::common;

use common::*;
use kit::sim::LinkConfig;

/// What one request cost: (latency in ticks, quorum messages, Syncs).
fn cost(c: &mut Cluster, request: impl FnOnce(&mut Cluster) -> RequestId) -> (u64, u64, u64) {
    let before = c.counts;
    let req = request(c);
    c.wait(req, 40);
    let a = c.answer_to(req).expect("answered").clone();
    assert!(a.is_ok(), "no partition, no loss: {a:?}");
    let after = c.counts;
    (
        a.latency(),
        after.quorum() - before.quorum(),
        after.sync - before.sync,
    )
}

/// A quiet 5-node cluster in `mode` on one-tick links, its register written
/// once and replicated everywhere. Periodic Syncs are turned off (very long
/// interval) so that only the request's own messages are counted.
fn quiet(mode: Mode, seed: u64) -> Cluster {
    let mut c = Cluster::with(5, seed, &[0; 5], |cfg| {
        cfg.mode = mode;
        cfg.sync_ticks = 1_000_000;
        cfg.suspect_ticks = 1_000_000;
    });
    c.net.set_links(in_order());
    let (w, _) = c.write(0);
    c.wait(w, 40);
    c.run(10);
    assert!(c.converged(), "the write reached every replica");
    c
}

#[test]
fn a_consistent_read_costs_one_round_trip_and_a_local_read_none() {
    run_seeds(&SEEDS, |seed| {
        let mut cp = quiet(Mode::Cp, seed);
        let (latency, msgs, _) = cost(&mut cp, |c| c.read(2));
        let n = 5u64;
        if latency != 2 {
            cp.net.fail(&format!(
                "a CP read of a quiet register took {latency} ticks on one-tick links: expected \
                 exactly one round trip (2 ticks). When the majority's versions agree the value \
                 is already on a majority, so no write-back round trip is needed; and the \
                 answer cannot come sooner than a majority's reply."
            ));
        }
        if msgs > 2 * (n - 1) {
            cp.net.fail(&format!(
                "a quiet CP read sent {msgs} messages; budget 2 (n - 1) = {}: a Query and a \
                 QueryReply per other node, no Store",
                2 * (n - 1)
            ));
        }
        let (latency, msgs, _) = cost(&mut cp, |c| c.write(3).0);
        assert_eq!(
            latency, 4,
            "a CP write takes two round trips (query, then store): 4 ticks"
        );
        assert!(
            msgs <= 4 * (n - 1),
            "a CP write sent {msgs} messages; budget 4 (n - 1) = {}",
            4 * (n - 1)
        );

        let mut ap = quiet(Mode::Ap, seed);
        let (latency, msgs, _) = cost(&mut ap, |c| c.read(2));
        assert_eq!(
            (latency, msgs),
            (0, 0),
            "an AP read is local: 0 ticks, no messages"
        );
        let (latency, msgs, syncs) = cost(&mut ap, |c| c.write(3).0);
        assert_eq!(
            (latency, msgs, syncs),
            (0, 0, n - 1),
            "an AP write is answered at once and pushed once to each other node"
        );
        eprintln!(
            "seed {seed}: PACELC, no partition, 5 nodes, one-tick links: CP read 2 ticks, CP \
             write 4 ticks, AP read and write 0 ticks"
        );
    });
}

#[test]
fn a_majority_is_enough_two_slow_replicas_do_not_slow_a_quorum() {
    run_seeds(&SEEDS, |seed| {
        let mut c = quiet(Mode::Cp, seed);
        let slow = LinkConfig {
            min_delay: 10,
            max_delay: 10,
            ..LinkConfig::reliable()
        };
        for far in [3, 4] {
            c.net.set_link(0, far, slow);
            c.net.set_link(far, 0, slow);
        }
        let (read, _, _) = cost(&mut c, |c| c.read(0));
        let (write, _, _) = cost(&mut c, |c| c.write(0).0);
        if read != 2 || write != 4 {
            c.net.fail(&format!(
                "node 0's links to nodes 3 and 4 take 10 ticks each way; nodes 0, 1, 2 are a \
                 majority on one-tick links. Read took {read} ticks (expected 2), write {write} \
                 (expected 4): decide on the first majority of replies, never wait for all."
            ));
        }
    });
}

#[test]
fn consistent_reads_cost_a_round_trip_on_seeded_delays() {
    run_seeds(&SEEDS, |seed| {
        let mut cp = Cluster::new(5, Mode::Cp, seed);
        let mut ap = Cluster::new(5, Mode::Ap, seed);
        let mut rng = kit::rng::Rng::new(seed).stream("pacelc");
        for _ in 0..60 {
            let i = rng.below(5) as NodeId;
            let write = rng.chance(0.3);
            for c in [&mut cp, &mut ap] {
                if write {
                    c.write(i);
                } else {
                    c.read(i);
                }
            }
            cp.run(3);
            ap.run(3);
        }
        cp.run(30);
        let reads = |c: &Cluster| -> Vec<u64> {
            c.answers
                .iter()
                .filter(|a| a.ask == Ask::Read)
                .map(Answer::latency)
                .collect()
        };
        let (cp_reads, ap_reads) = (reads(&cp), reads(&ap));
        let cp_min = cp_reads.iter().min().copied().unwrap_or(0);
        let cp_mean = cp_reads.iter().sum::<u64>() as f64 / cp_reads.len() as f64;
        assert!(
            ap_reads.iter().all(|&l| l == 0),
            "every AP read is answered at once: {ap_reads:?}"
        );
        assert!(
            cp_min >= 2 && cp_mean <= 6.0,
            "CP reads on 1-2 tick links: at least one round trip (2 ticks), and on average at \
             most {:.1} ticks (a round trip, sometimes a write-back); got min {cp_min}, mean \
             {cp_mean:.2}",
            6.0
        );
        cp.assert_linearizable("the CP runs are linearizable");
    });
}
