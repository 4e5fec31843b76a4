//! N operations of one subject in a plain loop, for measurements from outside
//! the process: instruction counts under valgrind (run N and 2N; the
//! difference over N is the cost of one operation, set-up cancelled out) and
//! whole-process times of two subjects side by side (`/usr/bin/time`).
//!
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --example per_op -- SUBJECT N`
//! with SUBJECT one of the names in `SUBJECTS`.

use std::collections::hash_map::RandomState;
use std::hint::black_box;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use caching::LruCache;
use governor::{Quota, RateLimiter as Governor};
use kit::clock::SystemClock;
use rate_limiter::{RateLimiter, TokenBucket};
use sdkata_bench::{FixedClock, shuffled_keys};
use snowflake::Generator;

const SUBJECTS: &[&str] = &[
    "lru_hit",
    "lru_crate_hit",
    "lru_put_evict",
    "lru_crate_put_evict",
    "token_bucket",
    "governor",
    "governor_std_clock",
    "snowflake",
    "cas_floor",
];

/// Entries in the caches, as in `benches/lru.rs`.
const SIZE: u64 = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (subject, n) = match args.as_slice() {
        [subject, n] => (subject.as_str(), n.parse::<u64>().expect("N: a count")),
        _ => panic!("usage: per_op SUBJECT N, SUBJECT one of {SUBJECTS:?}"),
    };
    match subject {
        "lru_hit" => lru_hit(n),
        "lru_crate_hit" => lru_crate_hit(n),
        "lru_put_evict" => lru_put_evict(n),
        "lru_crate_put_evict" => lru_crate_put_evict(n),
        "token_bucket" => token_bucket(n),
        "governor" => governor(n),
        "governor_std_clock" => governor_std_clock(n),
        "snowflake" => snowflake(n),
        "cas_floor" => cas_floor(n),
        other => panic!("unknown subject {other:?}, expected one of {SUBJECTS:?}"),
    }
}

fn lru_crate() -> lru::LruCache<u64, u64, RandomState> {
    let cap = NonZeroUsize::new(SIZE as usize).expect("non-zero");
    let mut cache = lru::LruCache::with_hasher(cap, RandomState::new());
    for k in 0..SIZE {
        cache.put(k, k);
    }
    cache
}

fn ours() -> LruCache<u64, u64> {
    let mut cache = LruCache::new(SIZE as usize);
    for k in 0..SIZE {
        cache.put(k, k);
    }
    cache
}

fn lru_hit(n: u64) {
    let (keys, mut cache) = (shuffled_keys(SIZE), ours());
    for i in 0..n {
        black_box(cache.get(black_box(&keys[(i % SIZE) as usize])).copied());
    }
}

fn lru_crate_hit(n: u64) {
    let (keys, mut cache) = (shuffled_keys(SIZE), lru_crate());
    for i in 0..n {
        black_box(cache.get(black_box(&keys[(i % SIZE) as usize])).copied());
    }
}

fn lru_put_evict(n: u64) {
    let mut cache = ours();
    for k in SIZE..SIZE + n {
        black_box(cache.put(black_box(k), k));
    }
}

fn lru_crate_put_evict(n: u64) {
    let mut cache = lru_crate();
    for k in SIZE..SIZE + n {
        black_box(cache.push(black_box(k), k));
    }
}

/// Large and fast to refill, so every call is admitted, as in `benches/rate_limiter.rs`.
fn token_bucket(n: u64) {
    let bucket = TokenBucket::new(
        1_000_000_000,
        1_000_000_000,
        Duration::from_secs(1),
        SystemClock::new(),
    );
    for _ in 0..n {
        black_box(bucket.try_acquire(black_box(1)));
    }
}

fn governor(n: u64) {
    let quota = Quota::per_second(NonZeroU32::new(1_000_000_000).expect("non-zero"));
    let limiter = Governor::direct(quota);
    for _ in 0..n {
        black_box(limiter.check().is_ok());
    }
}

/// governor on std's `Instant`, the clock the lesson's bucket reads through
/// kit, so that the two algorithms are compared on the same clock.
fn governor_std_clock(n: u64) {
    let quota = Quota::per_second(NonZeroU32::new(1_000_000_000).expect("non-zero"));
    let limiter = Governor::direct_with_clock(quota, governor::clock::MonotonicClock);
    for _ in 0..n {
        black_box(limiter.check().is_ok());
    }
}

/// IDs on a clock that never moves: a fresh generator every 4096 IDs, before
/// the millisecond's sequence runs out, as in `benches/snowflake.rs`.
fn snowflake(n: u64) {
    let mut left = n;
    while left > 0 {
        let batch = left.min(4_096);
        let generator = Generator::new(1, FixedClock(1_700_000_000_000)).expect("valid");
        for _ in 0..batch {
            black_box(generator.try_next_id().expect("within the sequence"));
        }
        left -= batch;
    }
}

/// The floor under any lock-free ID generator: one load and one successful
/// compare-exchange per ID on an uncontended atomic.
fn cas_floor(n: u64) {
    let last = AtomicU64::new(0);
    for _ in 0..n {
        let seen = last.load(Ordering::Acquire);
        let claimed =
            last.compare_exchange_weak(seen, seen + 1, Ordering::AcqRel, Ordering::Acquire);
        black_box(claimed.is_ok());
    }
}
