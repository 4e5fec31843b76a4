//! Stage 3: union. Two compatible filters OR together into the filter of both
//! sets (how Cassandra merges per-SSTable filters or a crawler merges shards).

use bloom_filter::BloomFilter;
use proptest::prelude::*;

#[test]
fn union_equals_inserting_both_sets() {
    let mut a = BloomFilter::new(1_000, 0.01);
    let mut b = BloomFilter::new(1_000, 0.01);
    let mut both = BloomFilter::new(1_000, 0.01);
    for i in 0..300u32 {
        a.insert(format!("a{i}"));
        both.insert(format!("a{i}"));
    }
    for i in 0..300u32 {
        b.insert(format!("b{i}"));
        both.insert(format!("b{i}"));
    }
    a.union(&b).expect("same m and k: compatible");
    assert_eq!(
        a, both,
        "a ∪ b must be bit-for-bit the filter that saw both sets"
    );
    assert!((0..300u32).all(|i| a.contains(format!("b{i}"))));
}

#[test]
fn union_with_an_empty_filter_changes_nothing() {
    let mut a = BloomFilter::new(500, 0.05);
    for i in 0..100u32 {
        a.insert(i.to_le_bytes());
    }
    let before = a.clone();
    a.union(&BloomFilter::new(500, 0.05)).unwrap();
    assert_eq!(a, before);
    let mut empty = BloomFilter::new(500, 0.05);
    empty.union(&before).unwrap();
    assert_eq!(empty, before, "empty ∪ a = a");
}

#[test]
fn incompatible_filters_are_refused_and_left_unchanged() {
    let mut a = BloomFilter::with_bits_and_hashes(1_000, 7);
    a.insert("x");
    let before = a.clone();
    let other_m = BloomFilter::with_bits_and_hashes(1_024, 7);
    let other_k = BloomFilter::with_bits_and_hashes(1_000, 6);
    assert!(a.is_compatible(&BloomFilter::with_bits_and_hashes(1_000, 7)));
    assert!(!a.is_compatible(&other_m) && !a.is_compatible(&other_k));
    let err = a
        .union(&other_m)
        .expect_err("different m: the same item sets different bits");
    assert_eq!((err.ours, err.theirs), ((1_000, 7), (1_024, 7)));
    assert!(!err.to_string().is_empty());
    let err = a
        .union(&other_k)
        .expect_err("different k: the same item sets a different number of bits");
    assert_eq!((err.ours, err.theirs), ((1_000, 7), (1_000, 6)));
    assert_eq!(a, before, "a refused union must not touch the filter");
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(213),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn union_is_the_filter_of_the_union(
        xs in proptest::collection::vec(any::<u32>(), 0..100),
        ys in proptest::collection::vec(any::<u32>(), 0..100),
        bits in 1u64..2_000,
        hashes in 1u32..8,
    ) {
        let build = |items: &[&[u32]]| {
            let mut f = BloomFilter::with_bits_and_hashes(bits, hashes);
            for set in items {
                for x in *set {
                    f.insert(x.to_le_bytes());
                }
            }
            f
        };
        let mut a = build(&[&xs]);
        a.union(&build(&[&ys])).unwrap();
        prop_assert_eq!(a, build(&[&xs, &ys]));
    }
}
