//! Stage 3: why load-aware policies exist. A discrete-time simulation of
//! backends with queues and requests of mixed cost, over five fixed seeds:
//! round robin and uniform random let queues pile up behind slow requests;
//! least connections and the power of two choices must keep the longest
//! queue at most half as long. Then balls into bins: the power of two
//! choices against one random choice.

use std::collections::VecDeque;

use kit::rng::Rng;
use load_balancer::{Candidate, LeastConnections, Policy, PowerOfTwo, RoundRobin};

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// The design the load-aware policies must beat: one uniform random choice.
struct UniformRandom(Rng);

impl Policy for UniformRandom {
    fn pick(&mut self, candidates: &[Candidate], _key: &[u8]) -> Option<usize> {
        self.0.choose(candidates).map(|c| c.id)
    }
}

/// 8 backends, each working off 1 unit of cost per tick, first come first
/// served. Each tick up to 4 requests arrive (each with probability p); 90%
/// cost 1 unit, 10% cost 20 (a report next to a page view), so the mean cost
/// is 2.9 and the fleet runs at 85% of its capacity. Every request is
/// placed by `policy`, which sees each backend's queue length as its
/// `in_flight`. Returns the longest queue any backend ever had.
fn longest_queue(policy: &mut dyn Policy, seed: u64) -> usize {
    const BACKENDS: usize = 8;
    const TICKS: u32 = 3_000;
    const SLOTS: u32 = 4;
    let lambda = 0.85 * BACKENDS as f64 / 2.9;
    let p = lambda / f64::from(SLOTS);
    let mut workload = Rng::new(seed).stream("workload");
    let mut queues: Vec<VecDeque<u32>> = vec![VecDeque::new(); BACKENDS];
    let mut longest = 0;
    for _ in 0..TICKS {
        for _ in 0..SLOTS {
            if !workload.chance(p) {
                continue;
            }
            let cost = if workload.chance(0.1) { 20 } else { 1 };
            let candidates: Vec<Candidate> = queues
                .iter()
                .enumerate()
                .map(|(id, q)| Candidate {
                    id,
                    weight: 1,
                    in_flight: q.len() as u32,
                })
                .collect();
            let id = policy
                .pick(&candidates, b"")
                .expect("a backend for every request");
            queues[id].push_back(cost);
            longest = longest.max(queues[id].len());
        }
        for q in &mut queues {
            if let Some(front) = q.front_mut() {
                *front -= 1;
                if *front == 0 {
                    q.pop_front();
                }
            }
        }
    }
    longest
}

#[test]
fn load_aware_policies_keep_queues_short_under_mixed_request_cost() {
    let mut table = String::from("seed: round robin, random, least connections, p2c\n");
    let mut failures = Vec::new();
    for seed in SEEDS {
        let rr = longest_queue(&mut RoundRobin::new(), seed);
        let random = longest_queue(&mut UniformRandom(Rng::new(seed).stream("random")), seed);
        let lc = longest_queue(&mut LeastConnections::new(), seed);
        let p2c = longest_queue(&mut PowerOfTwo::new(Rng::new(seed).stream("p2c")), seed);
        table.push_str(&format!("  {seed}: {rr}, {random}, {lc}, {p2c}\n"));
        let naive = rr.min(random);
        if 2 * lc > naive {
            failures.push(format!("seed {seed}: least connections {lc} vs {naive}"));
        }
        if 2 * p2c > naive {
            failures.push(format!("seed {seed}: power of two {p2c} vs {naive}"));
        }
    }
    assert!(
        failures.is_empty(),
        "with requests of mixed cost, least connections and the power of two choices must keep \
         the longest queue at most half that of the better of round robin and uniform random, \
         on every seed: requests must avoid backends stuck behind slow work. Failed: {failures:?}\n\
         longest queue per policy:\n{table}"
    );
}

#[test]
fn two_choices_beat_one_when_requests_never_finish() {
    // 1000 requests onto 1000 backends, none finishing. One random choice
    // gives a maximum load near ln n / ln ln n (about 5 to 7 here); two
    // choices give ln ln n / ln 2 + O(1) (3 or 4).
    const N: usize = 1_000;
    for seed in SEEDS {
        let max_load = |policy: &mut dyn Policy| {
            let mut candidates: Vec<Candidate> = (0..N).map(Candidate::new).collect();
            for _ in 0..N {
                let id = policy.pick(&candidates, b"").expect("a backend");
                candidates[id].in_flight += 1;
            }
            candidates.iter().map(|c| c.in_flight).max().unwrap_or(0)
        };
        let one = max_load(&mut UniformRandom(Rng::new(seed).stream("random")));
        let two = max_load(&mut PowerOfTwo::new(Rng::new(seed).stream("p2c")));
        assert!(
            two <= 4 && two < one,
            "seed {seed}: 1000 requests on 1000 backends: the power of two choices reached a \
             maximum load of {two}, one random choice {one}; two choices must stay at 4 or \
             below and beat one"
        );
    }
}
