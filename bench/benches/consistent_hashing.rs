//! Ring lookup at 100 nodes × 160 vnodes: the lesson's `HashRing` (XXH3,
//! sorted Vec + partition_point) against the `hashring` crate (SipHash,
//! sorted Vec + binary search), which needs its vnodes added by hand.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const NODES: usize = 100;
const VNODES: u32 = 160;
const KEYS: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct VNode {
    node: u16,
    replica: u16,
}

fn lookups(c: &mut Criterion) {
    let mut ours = consistent_hashing::HashRing::new(VNODES);
    let mut theirs = hashring::HashRing::new();
    for n in 0..NODES {
        ours.add_node(&format!("node-{n}"));
        for v in 0..VNODES {
            theirs.add(VNode {
                node: n as u16,
                replica: v as u16,
            });
        }
    }
    assert_eq!(ours.vnode_count(), NODES * VNODES as usize);
    let mut rng = kit::rng::Rng::new(1);
    let keys: Vec<u64> = (0..KEYS).map(|_| rng.next_u64()).collect();

    let mut group = c.benchmark_group("ring_lookup_100x160");
    group.throughput(Throughput::Elements(KEYS as u64));
    group.bench_function(BenchmarkId::new("sdkata", "node_for"), |b| {
        b.iter(|| {
            for k in &keys {
                black_box(ours.node_for(k.to_le_bytes()));
            }
        })
    });
    group.bench_function(BenchmarkId::new("hashring", "get"), |b| {
        b.iter(|| {
            for k in &keys {
                black_box(theirs.get(k).map(|v| v.node));
            }
        })
    });
    group.bench_function(BenchmarkId::new("sdkata", "nodes_for_r3"), |b| {
        b.iter(|| {
            for k in &keys {
                black_box(ours.nodes_for(k.to_le_bytes(), 3));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
