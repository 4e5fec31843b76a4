//! Stage 4: one filter shared by many threads without a lock. Each bit is set
//! with an atomic fetch_or; a load-then-store would let two threads overwrite
//! each other's bits in the same word, and the filter would forget items.

use bloom_filter::{AtomicBloomFilter, BloomFilter};
use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

const THREADS: u32 = 8;

/// Runs `f` on a helper thread and fails, instead of hanging, after 20 s.
fn with_watchdog(f: impl FnOnce() + Send + 'static) {
    let (done, wait) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    match wait.recv_timeout(Duration::from_secs(20)) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("concurrent inserts did not finish in 20 s"),
    }
}

#[test]
fn the_shared_filter_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<AtomicBloomFilter>();
    let f = AtomicBloomFilter::new(100, 0.01);
    assert!(!f.insert("a"));
    assert!(f.insert("a"));
    assert!(f.contains("a") && !f.contains("b"));
}

#[test]
fn the_shared_insert_reports_already_present_like_the_plain_one() {
    // One thread, a crowded filter: the shared filter's answer is the plain
    // filter's, item by item, and so are its bits.
    let shared = AtomicBloomFilter::with_bits_and_hashes(64, 3);
    let mut plain = BloomFilter::with_bits_and_hashes(64, 3);
    for i in 0..60u32 {
        let item = format!("item-{i}");
        let was_present = plain.contains(&item);
        assert_eq!(
            shared.contains(&item),
            was_present,
            "contains({item:?}) before inserting it"
        );
        assert_eq!(
            shared.insert(&item),
            was_present,
            "insert({item:?}) must return true exactly when all its bits were already set"
        );
        plain.insert(&item);
    }
    assert_eq!(
        shared.to_filter(),
        plain,
        "the same items set the same bits"
    );
}

#[test]
fn eight_threads_lose_no_bits_in_crowded_filters() {
    with_watchdog(|| {
        // 1,000 rounds; in each, 8 threads released together by a barrier set
        // 1,600 bits in one fresh 4,096-bit filter (64 words), so they fight
        // over the same words, and the filter ends only about a third full:
        // a bit lost to a racing load-then-store stays visible.
        const ROUNDS: u32 = 1_000;
        const PER_THREAD: u32 = 100;
        let item =
            |round: u32, t: u32, i: u32| ((round * THREADS + t) * PER_THREAD + i).to_le_bytes();
        let filters: Vec<AtomicBloomFilter> = (0..ROUNDS)
            .map(|_| AtomicBloomFilter::with_bits_and_hashes(4_096, 2))
            .collect();
        let round_start = Barrier::new(THREADS as usize);
        // Counted, not asserted, in the threads: a panicking thread would
        // leave the others waiting at the barrier forever.
        let missing_after_insert = AtomicU32::new(0);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (filters, round_start, missing_after_insert) =
                    (&filters, &round_start, &missing_after_insert);
                s.spawn(move || {
                    for (round, filter) in (0..).zip(filters) {
                        round_start.wait();
                        for i in 0..PER_THREAD {
                            filter.insert(item(round, t, i));
                            if !filter.contains(item(round, t, i)) {
                                missing_after_insert.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                });
            }
        });
        let missing = missing_after_insert.into_inner();
        assert_eq!(
            missing, 0,
            "{missing} items were missing right after their own insert: another thread's \
             load-then-store wrote back a word without their bit (use fetch_or)"
        );
        let mut lost_rounds = 0;
        for (round, shared) in (0..).zip(&filters) {
            let mut sequential = BloomFilter::with_bits_and_hashes(4_096, 2);
            for t in 0..THREADS {
                for i in 0..PER_THREAD {
                    sequential.insert(item(round, t, i));
                }
            }
            if shared.to_filter() != sequential {
                lost_rounds += 1;
            }
        }
        assert_eq!(
            lost_rounds, 0,
            "in {lost_rounds} of {ROUNDS} rounds the shared filter ended with fewer bits than inserting \
             the same items one by one: concurrent inserts lost bits (a load then a store is not \
             atomic; use fetch_or), and a lost bit is a false negative"
        );
    });
}

#[test]
fn every_item_from_every_thread_is_found() {
    with_watchdog(|| {
        let per_thread = 5_000u32;
        let shared = AtomicBloomFilter::new(u64::from(THREADS * per_thread), 0.01);
        let start = Barrier::new(THREADS as usize);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (shared, start) = (&shared, &start);
                s.spawn(move || {
                    start.wait();
                    for i in 0..per_thread {
                        let item = format!("t{t}-{i}");
                        shared.insert(&item);
                        assert!(
                            shared.contains(&item),
                            "an insert must be visible to the thread that made it"
                        );
                    }
                });
            }
        });
        for t in 0..THREADS {
            for i in 0..per_thread {
                assert!(
                    shared.contains(format!("t{t}-{i}")),
                    "item t{t}-{i} was lost: a false negative"
                );
            }
        }
        let snapshot = shared.to_filter();
        assert!((0..100u32).all(|i| snapshot.contains(format!("t3-{i}"))));
    });
}
