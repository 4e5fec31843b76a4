//! Stage 1: sizing. m and k come from the expected item count and the target
//! false-positive rate, and the bits are packed 64 to a word.

use bloom_filter::{AtomicBloomFilter, BloomFilter, optimal_bits, optimal_hashes};

fn formula_m(n: u64, p: f64) -> u64 {
    (-(n as f64) * p.ln() / (std::f64::consts::LN_2 * std::f64::consts::LN_2)).ceil() as u64
}

#[test]
fn bits_follow_minus_n_ln_p_over_ln2_squared_rounded_up() {
    assert_eq!(
        optimal_bits(1_000_000, 0.01),
        9_585_059,
        "n = 1M, p = 1%: 9.59 bits per item"
    );
    assert_eq!(
        optimal_bits(1_000, 0.001),
        14_378,
        "n = 1000, p = 0.1%: 14.38 bits per item"
    );
    assert_eq!(
        optimal_bits(1, 0.5),
        2,
        "⌈1.44⌉ = 2: round up, never down (down misses the target)"
    );
    for (n, p) in [(10, 0.1), (12_345, 0.02), (77, 0.000_1), (5_000_000, 0.05)] {
        assert_eq!(
            optimal_bits(n, p),
            formula_m(n, p),
            "m for n = {n}, p = {p}"
        );
    }
}

#[test]
fn hashes_follow_m_over_n_ln2_rounded() {
    assert_eq!(optimal_hashes(9_585_059, 1_000_000), 7);
    assert_eq!(optimal_hashes(14_378, 1_000), 10);
    assert_eq!(optimal_hashes(2, 1), 1, "1.39 rounds to 1");
    assert_eq!(optimal_hashes(3, 1), 2, "2.08 rounds to 2");
    assert_eq!(optimal_hashes(13, 10), 1, "0.90 rounds to 1");
    assert_eq!(
        optimal_hashes(1, 100),
        1,
        "k is at least 1 even when m/n·ln 2 rounds to 0"
    );
    assert_eq!(optimal_hashes(1_000, 20), 35);
}

#[test]
fn a_lower_target_rate_uses_more_bits_and_more_hashes() {
    let loose = BloomFilter::new(10_000, 0.01);
    let tight = BloomFilter::new(10_000, 0.001);
    assert_eq!((loose.bits(), loose.hashes()), (95_851, 7));
    assert_eq!((tight.bits(), tight.hashes()), (143_776, 10));
    assert_ne!(
        loose.hashes(),
        tight.hashes(),
        "k must follow p: a fixed k (say 3) is far from optimal at p = 0.1%"
    );
}

#[test]
fn memory_is_ceil_m_over_64_words() {
    for bits in [1, 63, 64, 65, 128, 1_000, 95_851] {
        let f = BloomFilter::with_bits_and_hashes(bits, 3);
        assert_eq!(f.bits(), bits);
        assert_eq!(f.hashes(), 3);
        assert_eq!(
            f.words().len() as u64,
            bits.div_ceil(64),
            "{bits} bits need ⌈{bits}/64⌉ u64 words"
        );
        assert!(f.words().iter().all(|&w| w == 0), "a new filter is empty");
        assert_eq!(
            std::mem::size_of_val(f.words()) as u64,
            bits.div_ceil(64) * 8,
            "one bit per bit, not one byte"
        );
    }
    let f = BloomFilter::new(1_000_000, 0.01);
    assert_eq!(
        f.words().len(),
        149_767,
        "1M items at 1% fit in 1.2 MB; a Vec<bool> takes 9.6 MB"
    );
}

#[test]
fn the_shared_filter_is_sized_the_same_way() {
    let f = AtomicBloomFilter::new(10_000, 0.001);
    assert_eq!((f.bits(), f.hashes()), (143_776, 10));
    let g = AtomicBloomFilter::with_bits_and_hashes(100, 4);
    assert_eq!((g.bits(), g.hashes()), (100, 4));
    assert_eq!(g.to_filter(), BloomFilter::with_bits_and_hashes(100, 4));
}

#[test]
#[should_panic]
fn zero_expected_items_is_refused() {
    BloomFilter::new(0, 0.01);
}

#[test]
#[should_panic]
fn a_rate_of_one_is_refused() {
    BloomFilter::new(10, 1.0);
}

#[test]
#[should_panic]
fn a_rate_of_zero_is_refused() {
    optimal_bits(10, 0.0);
}

#[test]
#[should_panic]
fn zero_bits_is_refused() {
    BloomFilter::with_bits_and_hashes(0, 3);
}

#[test]
#[should_panic]
fn zero_hashes_is_refused() {
    AtomicBloomFilter::with_bits_and_hashes(64, 0);
}

#[test]
fn every_documented_bad_argument_is_refused() {
    // Each entry must panic on its own, not merely further down the line (a
    // filter built from m = 0 would panic anyway, whatever optimal_bits checked).
    let cases: [(&str, fn()); 12] = [
        ("optimal_bits(0, 0.01)", || {
            optimal_bits(0, 0.01);
        }),
        ("optimal_bits(10, 1.0)", || {
            optimal_bits(10, 1.0);
        }),
        ("optimal_bits(10, 1.5)", || {
            optimal_bits(10, 1.5);
        }),
        ("optimal_bits(10, -0.1)", || {
            optimal_bits(10, -0.1);
        }),
        ("optimal_hashes(100, 0)", || {
            optimal_hashes(100, 0);
        }),
        ("BloomFilter::new(10, 0.0)", || {
            BloomFilter::new(10, 0.0);
        }),
        ("BloomFilter::with_bits_and_hashes(64, 0)", || {
            BloomFilter::with_bits_and_hashes(64, 0);
        }),
        ("AtomicBloomFilter::new(0, 0.01)", || {
            AtomicBloomFilter::new(0, 0.01);
        }),
        ("AtomicBloomFilter::new(10, 1.0)", || {
            AtomicBloomFilter::new(10, 1.0);
        }),
        ("AtomicBloomFilter::new(10, 0.0)", || {
            AtomicBloomFilter::new(10, 0.0);
        }),
        ("AtomicBloomFilter::with_bits_and_hashes(0, 3)", || {
            AtomicBloomFilter::with_bits_and_hashes(0, 3);
        }),
        ("AtomicBloomFilter::with_bits_and_hashes(64, 0)", || {
            AtomicBloomFilter::with_bits_and_hashes(64, 0);
        }),
    ];
    for (call, f) in cases {
        assert!(
            std::panic::catch_unwind(f).is_err(),
            "{call} must panic: the docs refuse it (0 items, a rate outside (0, 1), 0 bits or \
             0 hashes), and a filter built from it would be empty, or full, or never say yes"
        );
    }
}
