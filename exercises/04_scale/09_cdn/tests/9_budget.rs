//! Stage 9 (counted efficiency): origin fetches and origin body bytes on a
//! Zipf workload, five seeds. 200 objects (max-age=300, each with an ETag,
//! 1 % of requests republish one), 4,000 requests from three regions, the
//! clock stepping 0 or 1 s between requests (about 2,000 s in all). Caching is deterministic, so
//! the budget is exact: the CDN must make exactly the origin fetches, the
//! body bytes and the edge hits that a model of the rules predicts — no
//! extra fetch, no body where a 304 would do, no missed hit. The same
//! workload on edges without a shield shows what the shield saves.

use std::collections::HashMap;
use std::sync::Arc;

use cdn::{Cdn, Edge, Request};
use kit::rng::Rng;

use crate::common::{StubOrigin, Zipf, clock, secs, x_cache};

const OBJECTS: usize = 200;
const REQUESTS: usize = 4_000;
const REGIONS: usize = 3;
const LIFETIME: u64 = 300;
const SEEDS: std::ops::RangeInclusive<u64> = 1..=5;

#[derive(Debug, Clone, Copy)]
enum Step {
    /// Advance the clock this many seconds, then a request from `region`.
    Get {
        wait: u64,
        region: usize,
        object: usize,
    },
    /// The origin publishes a new version of `object`.
    Publish { object: usize },
}

fn workload(seed: u64) -> Vec<Step> {
    let zipf = Zipf::new(OBJECTS, 1.0);
    let mut rng = Rng::new(seed).stream("cdn-budget");
    let mut steps = Vec::new();
    for _ in 0..REQUESTS {
        if rng.chance(0.01) {
            steps.push(Step::Publish {
                object: zipf.sample(&mut rng),
            });
        }
        steps.push(Step::Get {
            wait: rng.below(2),
            region: rng.below(REGIONS as u64) as usize,
            object: zipf.sample(&mut rng),
        });
    }
    steps
}

fn path(object: usize) -> String {
    format!("/o/{object}")
}

/// Object i is 100 + i bytes; version v's body starts with v.
fn body_of(object: usize, version: u32) -> String {
    let mut body = format!("{version}:");
    body.push_str(&"b".repeat(100 + object - body.len()));
    body
}

fn publish(origin: &StubOrigin, object: usize, version: u32) {
    origin.publish(
        &path(object),
        &body_of(object, version),
        &format!("max-age={LIFETIME}"),
    );
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    origin_fetches: usize,
    origin_bytes: usize,
    edge_hits: usize,
    /// The version each request was served, in order.
    served: Vec<u32>,
}

/// The rules, as arithmetic. `shield`: edges behind one shield (an edge's
/// copy expires with the shield copy it came from, by Age); otherwise each
/// edge on the origin.
fn model(steps: &[Step], shield: bool) -> Counts {
    let mut counts = Counts::default();
    let mut now = 0;
    let mut version = vec![1u32; OBJECTS];
    // The copy the origin last sent: (arrival, version), per fetching cache.
    let mut origin_side: HashMap<(usize, usize), (u64, u32)> = HashMap::new();
    // Edge copies: (expiry, version), per (edge, object).
    let mut edge_copy: HashMap<(usize, usize), (u64, u32)> = HashMap::new();
    for step in steps {
        match *step {
            Step::Publish { object } => version[object] += 1,
            Step::Get {
                wait,
                region,
                object,
            } => {
                now += wait;
                let edge = region;
                if let Some(&(expiry, v)) = edge_copy.get(&(edge, object))
                    && expiry > now
                {
                    counts.edge_hits += 1;
                    counts.served.push(v);
                    continue;
                }
                // The cache that talks to the origin: the shield, or the edge.
                let fetcher = if shield { usize::MAX } else { edge };
                let (arrival, v) = match origin_side.get(&(fetcher, object)) {
                    Some(&(arrival, v)) if arrival + LIFETIME > now => (arrival, v),
                    stored => {
                        counts.origin_fetches += 1;
                        if stored.is_none_or(|&(_, v)| v != version[object]) {
                            counts.origin_bytes += 100 + object;
                        }
                        origin_side.insert((fetcher, object), (now, version[object]));
                        (now, version[object])
                    }
                };
                edge_copy.insert((edge, object), (arrival + LIFETIME, v));
                counts.served.push(v);
            }
        }
    }
    counts
}

/// Runs `steps` through `get(region, request)`.
fn run(
    steps: &[Step],
    origin: &StubOrigin,
    clock: &kit::clock::ManualClock,
    get: impl Fn(usize, &Request) -> cdn::Response,
) -> Counts {
    let mut version = vec![1u32; OBJECTS];
    for object in 0..OBJECTS {
        publish(origin, object, 1);
    }
    let (mut edge_hits, mut served) = (0, Vec::new());
    for step in steps {
        match *step {
            Step::Publish { object } => {
                version[object] += 1;
                publish(origin, object, version[object]);
            }
            Step::Get {
                wait,
                region,
                object,
            } => {
                clock.advance(secs(wait));
                let r = get(region, &Request::get(path(object)));
                let text = String::from_utf8_lossy(&r.body);
                let v: u32 = text
                    .split_once(':')
                    .and_then(|(v, _)| v.parse().ok())
                    .unwrap_or_else(|| panic!("object {object}: not a body of it: {r:?}"));
                assert_eq!(
                    r.body,
                    body_of(object, v).into_bytes(),
                    "object {object}: a damaged body"
                );
                served.push(v);
                if x_cache(&r) == "HIT" {
                    edge_hits += 1;
                }
            }
        }
    }
    Counts {
        origin_fetches: origin.fetches(),
        origin_bytes: origin.body_bytes(),
        edge_hits,
        served,
    }
}

fn with_shield(steps: &[Step]) -> Counts {
    let origin = StubOrigin::new();
    let (manual, shared) = clock();
    let latency = (0..REGIONS)
        .map(|r| (0..REGIONS).map(|e| if r == e { 5 } else { 90 }).collect())
        .collect();
    let cdn = Cdn::new(Arc::clone(&origin), shared, latency);
    run(steps, &origin, &manual, |region, request| {
        let served = cdn.get(region, request).expect("every edge is up");
        assert_eq!(served.edge, region);
        served.response
    })
}

fn without_shield(steps: &[Step]) -> Counts {
    let origin = StubOrigin::new();
    let (manual, shared) = clock();
    let edges: Vec<_> = (0..REGIONS)
        .map(|_| Edge::new(Arc::clone(&origin), Arc::clone(&shared)))
        .collect();
    run(steps, &origin, &manual, |region, request| {
        edges[region].get(request)
    })
}

#[test]
fn a_shielded_cdn_makes_exactly_the_fetches_and_bytes_the_rules_allow() {
    for seed in SEEDS {
        let steps = workload(seed);
        let got = with_shield(&steps);
        let want = model(&steps, true);
        assert_eq!(
            got.origin_fetches, want.origin_fetches,
            "seed {seed}: {} origin fetches for {REQUESTS} requests; the rules allow exactly \
             {}: one per object whenever the shield's copy is missing or a lifetime old. \
             More means an edge went past the shield or a fresh copy was refetched; fewer \
             means a stale copy was served as fresh",
            got.origin_fetches, want.origin_fetches
        );
        assert_eq!(
            got.origin_bytes, want.origin_bytes,
            "seed {seed}: {} body bytes from the origin, expected {}: a stale copy whose \
             object did not change must come back as a 304 (If-None-Match), with no body",
            got.origin_bytes, want.origin_bytes
        );
        if let Some(i) = (0..got.served.len()).find(|&i| got.served.get(i) != want.served.get(i)) {
            panic!(
                "seed {seed}: request {i} was served version {} where the rules give version \
                 {:?}: a copy was kept past its lifetime, or dropped before it",
                got.served[i],
                want.served.get(i)
            );
        }
        assert_eq!(
            got.edge_hits, want.edge_hits,
            "seed {seed}: {} edge hits, expected {}: an edge copy is fresh until the shield \
             copy it came from expires (Age on arrival), no longer and no sooner",
            got.edge_hits, want.edge_hits
        );
    }
}

#[test]
fn edges_without_a_shield_make_exactly_what_their_model_says() {
    for seed in SEEDS {
        let steps = workload(seed);
        assert_eq!(
            without_shield(&steps),
            model(&steps, false),
            "seed {seed}: three edges straight on the origin, each revalidating its own copy"
        );
    }
}

#[test]
fn the_shield_saves_origin_fetches_and_bytes() {
    for seed in SEEDS {
        let steps = workload(seed);
        let shielded = with_shield(&steps);
        let direct = without_shield(&steps);
        assert!(
            shielded.origin_fetches * 10 <= direct.origin_fetches * 7,
            "seed {seed}: with a shield {} origin fetches, without {}: the shield must cut \
             them by at least 30 % on this workload (about 42 % with three edges)",
            shielded.origin_fetches,
            direct.origin_fetches
        );
        assert!(
            shielded.origin_bytes * 2 <= direct.origin_bytes,
            "seed {seed}: with a shield {} origin body bytes, without {}: the shield pulls \
             each version once for all edges, so at least half the bytes must go (about 60 %)",
            shielded.origin_bytes,
            direct.origin_bytes
        );
        let hit_ratio = shielded.edge_hits as f64 / REQUESTS as f64;
        assert!(
            (0.55..0.75).contains(&hit_ratio),
            "seed {seed}: edge hit ratio {hit_ratio:.3}; this workload gives about 0.63"
        );
    }
}
