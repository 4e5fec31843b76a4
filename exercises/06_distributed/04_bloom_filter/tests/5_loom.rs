//! Stage 5: loom tries every interleaving of two threads inserting into one
//! shared filter (up to a preemption bound). Run it with
//!
//!     cargo test -p bloom_filter --features loom --test 5_loom
//!
//! The filters are one word of 64 bits with one hash, so the two threads'
//! bits always share a word. A load-then-store insert lets one thread write
//! back a word read before the other's bit was set, and the filter forgets
//! an item (a false negative, the one error a Bloom filter may never make);
//! a "contains, then set" insert lets both threads report a new item as new
//! or as old. A stress test of real threads sees these only when the
//! scheduler switches in the gap; loom tries that schedule every time.

use bloom_filter::sync::{Arc, thread};
use bloom_filter::{AtomicBloomFilter, BloomFilter};
use loom::model::Builder;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// Two items whose single bits differ in a one-word filter with one hash.
fn two_items_one_word() -> (String, String, Vec<u64>) {
    let bit = |item: &str| {
        let mut f = BloomFilter::with_bits_and_hashes(64, 1);
        f.insert(item);
        f.words()[0]
    };
    let first = "item-0".to_string();
    let second = (1..)
        .map(|i| format!("item-{i}"))
        .find(|item| bit(item) != bit(&first))
        .expect("some item hashes to another bit");
    let both = vec![bit(&first) | bit(&second)];
    (first, second, both)
}

#[test]
fn concurrent_inserts_into_one_word_lose_no_bit() {
    let (first, second, both) = two_items_one_word();
    model(move || {
        let filter = Arc::new(AtomicBloomFilter::with_bits_and_hashes(64, 1));
        let other = {
            let filter = Arc::clone(&filter);
            let second = second.clone();
            thread::spawn(move || filter.insert(&second))
        };
        filter.insert(&first);
        other.join().unwrap();
        assert!(
            filter.contains(&first) && filter.contains(&second),
            "two items inserted at once into one word: after both inserts returned, one of \
             them is missing in some interleaving (a false negative). Set each bit with \
             fetch_or: a load then a store writes back a word that lacks the other thread's bit"
        );
        assert_eq!(filter.to_filter().words(), &both[..]);
    });
}

#[test]
fn of_two_inserts_of_one_new_item_exactly_one_finds_it_new() {
    model(|| {
        let filter = Arc::new(AtomicBloomFilter::with_bits_and_hashes(64, 1));
        let other = {
            let filter = Arc::clone(&filter);
            thread::spawn(move || filter.insert("item"))
        };
        let mine = filter.insert("item");
        let theirs = other.join().unwrap();
        assert!(
            mine ^ theirs,
            "two threads inserted one new item (one bit) at once and {} said it was already \
             present: insert returns whether its bit was set when this call set it, which \
             fetch_or's old value tells exactly one of them. Checking contains() first and \
             setting after is check-then-act: both see the bit clear, or both see it set",
            if mine { "both" } else { "neither" }
        );
    });
}
