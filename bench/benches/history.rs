//! `kit::history`: checking a 2,000-operation, 10-key key-value history from
//! a correct simulated store (8 clients with overlapping operations, about
//! 4% indefinite, 1% refused; seed 1) for linearizability, per key, and for the
//! three session guarantees; finding the violation in the same workload
//! with 5% stale reads; and the same 2,000 operations on one key, where
//! partitioning cannot help.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kit::history::{
    Guarantee, KvMap, KvWorkload, Verdict, check_linearizable, check_sequential, check_session,
    kv_history,
};
use std::hint::black_box;
use std::time::Instant;

const STEPS: u64 = 10_000_000;

fn checkers(c: &mut Criterion) {
    let model = KvMap::new();
    let correct = kv_history(&KvWorkload::default());
    let stale = kv_history(&KvWorkload {
        stale_reads: 0.05,
        ..KvWorkload::default()
    });
    let one_key = kv_history(&KvWorkload {
        keys: 1,
        ..KvWorkload::default()
    });
    let indefinite = correct.ops().iter().filter(|o| o.is_indefinite()).count();
    let failed = correct.ops().iter().filter(|o| o.is_fail()).count();
    println!(
        "history: {} operations, {indefinite} indefinite, {failed} failed",
        correct.len()
    );
    // One plain timed run of each, printed, before criterion's statistics.
    for (name, history, expect_ok) in [
        ("10 keys, correct", &correct, true),
        ("10 keys, 5% stale reads", &stale, false),
        ("1 key, correct", &one_key, true),
    ] {
        let start = Instant::now();
        let verdict = check_linearizable(&model, history, STEPS);
        let took = start.elapsed();
        assert_eq!(verdict.is_ok(), expect_ok, "{verdict}");
        assert!(!matches!(verdict, Verdict::Unknown { .. }), "{verdict}");
        println!("check_linearizable, {name}: {took:?}");
    }

    let mut group = c.benchmark_group("history_kv_2000_ops");
    group.throughput(Throughput::Elements(correct.len() as u64));
    group.bench_function("generate", |b| {
        b.iter(|| kv_history(black_box(&KvWorkload::default())))
    });
    group.bench_function("linearizable_10_keys", |b| {
        b.iter(|| check_linearizable(&model, black_box(&correct), STEPS))
    });
    group.bench_function("violation_10_keys_stale_reads", |b| {
        b.iter(|| check_linearizable(&model, black_box(&stale), STEPS))
    });
    group.bench_function("linearizable_1_key", |b| {
        b.iter(|| check_linearizable(&model, black_box(&one_key), STEPS))
    });
    group.bench_function("sequential_10_keys", |b| {
        b.iter(|| check_sequential(&model, black_box(&correct), STEPS))
    });
    group.bench_function("sessions_10_keys", |b| {
        b.iter(|| {
            for g in [
                Guarantee::ReadYourWrites,
                Guarantee::MonotonicReads,
                Guarantee::MonotonicWrites,
            ] {
                black_box(check_session(&model, &correct, g));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, checkers);
criterion_main!(benches);
