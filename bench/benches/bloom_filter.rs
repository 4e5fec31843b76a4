//! Bloom filters at n = 1M, p = 1 %: the lesson's `BloomFilter` (XXH3-128,
//! double hashing, Lemire reduction) against `fastbloom` (blocked, SipHash)
//! and `bloomfilter` (SipHash), insert and lookup, plus bits per item.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const N: u64 = 1_000_000;
const P: f64 = 0.01;
const BATCH: u64 = 4_096;

fn filters(c: &mut Criterion) {
    let mut ours = bloom_filter::BloomFilter::new(N, P);
    let mut fast = fastbloom::BloomFilter::with_false_pos(P)
        .seed(&42)
        .expected_items(N as usize);
    let mut jedi = bloomfilter::Bloom::new_for_fp_rate_with_seed(N as usize, P, &[7; 32]).unwrap();
    for i in 0..N {
        ours.insert(i.to_le_bytes());
        fast.insert(&i);
        jedi.set(&i);
    }
    println!(
        "bits per item: sdkata {:.2} (k = {}), fastbloom {:.2} (k = {}), bloomfilter {:.2} (k = {})",
        ours.bits() as f64 / N as f64,
        ours.hashes(),
        fast.num_bits() as f64 / N as f64,
        fast.num_hashes(),
        jedi.len() as f64 / N as f64,
        jedi.number_of_hash_functions(),
    );
    // Measured false-positive rates on 100k non-members, for the record.
    let probes = 100_000u64;
    let fp = |hit: &dyn Fn(u64) -> bool| {
        (N..N + probes).filter(|&i| hit(i)).count() as f64 / probes as f64 * 100.0
    };
    println!(
        "fp rate: sdkata {:.3}%, fastbloom {:.3}%, bloomfilter {:.3}%",
        fp(&|i| ours.contains(i.to_le_bytes())),
        fp(&|i| fast.contains(&i)),
        fp(&|i| jedi.check(&i)),
    );

    let mut group = c.benchmark_group("bloom_1M_1pct");
    group.throughput(Throughput::Elements(BATCH));
    // Lookups: half members, half non-members.
    let keys: Vec<u64> = (0..BATCH)
        .map(|i| if i % 2 == 0 { i * 97 % N } else { N + i })
        .collect();
    group.bench_function(BenchmarkId::new("contains", "sdkata"), |b| {
        b.iter(|| {
            keys.iter()
                .filter(|k| ours.contains(k.to_le_bytes()))
                .count()
        })
    });
    group.bench_function(BenchmarkId::new("contains", "fastbloom"), |b| {
        b.iter(|| keys.iter().filter(|k| fast.contains(*k)).count())
    });
    group.bench_function(BenchmarkId::new("contains", "bloomfilter"), |b| {
        b.iter(|| keys.iter().filter(|k| jedi.check(*k)).count())
    });
    let mut next = 0u64;
    group.bench_function(BenchmarkId::new("insert", "sdkata"), |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                next = next.wrapping_add(1);
                black_box(ours.insert(next.to_le_bytes()));
            }
        })
    });
    group.bench_function(BenchmarkId::new("insert", "fastbloom"), |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                next = next.wrapping_add(1);
                black_box(fast.insert(&next));
            }
        })
    });
    group.bench_function(BenchmarkId::new("insert", "bloomfilter"), |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                next = next.wrapping_add(1);
                jedi.set(&next);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, filters);
criterion_main!(benches);
