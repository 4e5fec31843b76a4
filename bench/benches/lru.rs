//! The lesson's `LruCache` (a HashMap of slot indices and a doubly linked
//! list threaded through a Vec, no unsafe) against the `lru` crate (raw
//! pointers to heap-allocated nodes). Both use std's `RandomState` (SipHash),
//! so the comparison is of the structures, not the hashers; `lru` with its
//! default hasher (hashbrown's foldhash) is measured too, for reference.
//!
//! - `get_hit`: 10 000 entries, lookups of present keys in a shuffled order.
//! - `put_evict`: a full cache of 10 000, every put a new key that evicts.

use std::collections::hash_map::RandomState;
use std::hint::black_box;
use std::num::NonZeroUsize;

use caching::LruCache;
use criterion::{Criterion, criterion_group, criterion_main};
use sdkata_bench::shuffled_keys;

const SIZE: u64 = 10_000;

fn cap() -> NonZeroUsize {
    NonZeroUsize::new(SIZE as usize).expect("non-zero")
}

fn get_hit(c: &mut Criterion) {
    let keys = shuffled_keys(SIZE);
    let mut group = c.benchmark_group("lru_get_hit");

    let mut ours = LruCache::new(SIZE as usize);
    for k in 0..SIZE {
        ours.put(k, k);
    }
    let mut i = 0;
    group.bench_function("sdkata_lru", |b| {
        b.iter(|| {
            i += 1;
            if i == keys.len() {
                i = 0;
            }
            black_box(ours.get(black_box(&keys[i])).copied())
        })
    });

    let mut theirs = lru::LruCache::with_hasher(cap(), RandomState::new());
    for k in 0..SIZE {
        theirs.put(k, k);
    }
    let mut i = 0;
    group.bench_function("lru_crate_siphash", |b| {
        b.iter(|| {
            i += 1;
            if i == keys.len() {
                i = 0;
            }
            black_box(theirs.get(black_box(&keys[i])).copied())
        })
    });

    let mut theirs = lru::LruCache::new(cap());
    for k in 0..SIZE {
        theirs.put(k, k);
    }
    let mut i = 0;
    group.bench_function("lru_crate_default_hasher", |b| {
        b.iter(|| {
            i += 1;
            if i == keys.len() {
                i = 0;
            }
            black_box(theirs.get(black_box(&keys[i])).copied())
        })
    });
    group.finish();
}

fn put_evict(c: &mut Criterion) {
    let mut group = c.benchmark_group("lru_put_evict");

    let mut ours = LruCache::new(SIZE as usize);
    for k in 0..SIZE {
        ours.put(k, k);
    }
    let mut next = SIZE;
    group.bench_function("sdkata_lru", |b| {
        b.iter(|| {
            next += 1;
            black_box(ours.put(black_box(next), next))
        })
    });

    let mut theirs = lru::LruCache::with_hasher(cap(), RandomState::new());
    for k in 0..SIZE {
        theirs.put(k, k);
    }
    let mut next = SIZE;
    group.bench_function("lru_crate_siphash", |b| {
        b.iter(|| {
            next += 1;
            black_box(theirs.push(black_box(next), next))
        })
    });

    let mut theirs = lru::LruCache::new(cap());
    for k in 0..SIZE {
        theirs.put(k, k);
    }
    let mut next = SIZE;
    group.bench_function("lru_crate_default_hasher", |b| {
        b.iter(|| {
            next += 1;
            black_box(theirs.push(black_box(next), next))
        })
    });
    group.finish();
}

criterion_group!(benches, get_hit, put_evict);
criterion_main!(benches);
