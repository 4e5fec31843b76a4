//! The cost of one `try_acquire` on an uncontended token bucket: the lesson's
//! (Mutex + integer token-nanoseconds, time from kit's SystemClock) against
//! `governor` (GCRA in one atomic, quanta/monotonic clock). The bucket is
//! large and refills fast, so every call is admitted (the common path).

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use governor::{Quota, RateLimiter as Governor};
use kit::clock::SystemClock;
use rate_limiter::{RateLimiter, TokenBucket};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("token_bucket_try_acquire");
    let ours = TokenBucket::new(
        1_000_000_000,
        1_000_000_000,
        Duration::from_secs(1),
        SystemClock::new(),
    );
    group.bench_function("sdkata_token_bucket", |b| {
        b.iter(|| black_box(ours.try_acquire(black_box(1))))
    });
    let quota = Quota::per_second(NonZeroU32::new(1_000_000_000).unwrap());
    let theirs = Governor::direct(quota);
    group.bench_function("governor_direct", |b| {
        b.iter(|| black_box(theirs.check().is_ok()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
