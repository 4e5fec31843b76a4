//! Snowflake: the intrinsic cost of one ID (a clock that never moves, so no
//! time is spent in the clock; a fresh generator every 4096 IDs, before the
//! millisecond's sequence runs out), and IDs per second on the system clock
//! against the format's ceiling of 4096 per millisecond.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kit::clock::SystemClock;
use sdkata_bench::FixedClock;
use snowflake::Generator;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn per_id(c: &mut Criterion) {
    let mut group = c.benchmark_group("snowflake");
    group.throughput(Throughput::Elements(4_096));
    group.bench_function("try_next_id_fixed_clock_x4096", |b| {
        b.iter_batched_ref(
            || Generator::new(1, FixedClock(1_700_000_000_000)).unwrap(),
            |g| {
                for _ in 0..4_096 {
                    black_box(g.try_next_id().unwrap());
                }
            },
            BatchSize::SmallInput,
        )
    });
    // 40960 IDs = at least 10 ms of sequence space on the real clock.
    group.throughput(Throughput::Elements(40_960));
    let g = Generator::new(1, SystemClock::new()).unwrap();
    group.bench_function("next_id_system_clock_x40960", |b| {
        b.iter(|| {
            for _ in 0..40_960 {
                black_box(g.next_id().unwrap());
            }
        })
    });
    group.finish();

    // A plain one-second run too, printed as IDs/s and as a share of the ceiling.
    let g = Generator::new(2, SystemClock::new()).unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        for _ in 0..4_096 {
            black_box(g.next_id().unwrap());
        }
        n += 4_096;
    }
    let per_sec = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "snowflake system clock: {:.3} M IDs/s = {:.1}% of the 4.096 M/s ceiling",
        per_sec / 1e6,
        per_sec / 4_096_000.0 * 100.0
    );
}

criterion_group!(benches, per_id);
criterion_main!(benches);
