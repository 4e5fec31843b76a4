//! A small seeded PRNG with independent named streams.
//!
//! Why not `rand`? Its `StdRng` may change algorithm between versions, and a
//! recorded failing seed must replay the same run a year later. This is
//! xoshiro256** (Blackman and Vigna), seeded through SplitMix64: fast, with a
//! 2^256 period, and fixed here forever.
//!
//! Streams: a simulation draws for many purposes (network delays, the workload,
//! each node's timeouts). Giving each purpose its own stream, derived from the
//! seed and a name, means one extra draw in one place does not reshuffle every
//! other decision of the run.
//!
//! ```
//! use kit::rng::Rng;
//!
//! let root = Rng::new(7);
//! let mut network = root.stream("network");
//! let mut workload = root.stream("workload");
//! let delay = network.below(10);
//! assert!(delay < 10);
//! // Same seed, same name: the same sequence, whatever else was drawn.
//! let _ = workload.next_u64();
//! assert_eq!(Rng::new(7).stream("network").below(10), delay);
//! ```

use crate::hash::hash64_with_seed;

/// A deterministic pseudo-random generator. Not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng {
    seed: u64,
    state: [u64; 4],
}

impl Rng {
    /// A generator whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let state = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { seed, state }
    }

    /// The seed this generator was made from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// An independent generator for the purpose `name`, derived from this
    /// generator's seed (not from its current position), so it is the same
    /// however many numbers were drawn here before.
    pub fn stream(&self, name: &str) -> Rng {
        Rng::new(hash64_with_seed(name.as_bytes(), self.seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// The next 32 random bits (the high half of [`Rng::next_u64`], the better half).
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A uniform number in `0..n`, without modulo bias (Lemire's method).
    ///
    /// # Panics
    /// If `n` is zero.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0): the range is empty");
        let threshold = n.wrapping_neg() % n;
        loop {
            let wide = u128::from(self.next_u64()) * u128::from(n);
            if (wide as u64) >= threshold {
                return (wide >> 64) as u64;
            }
        }
    }

    /// A uniform number in `range` (half-open).
    ///
    /// # Panics
    /// If the range is empty.
    pub fn range(&mut self, range: std::ops::Range<u64>) -> u64 {
        assert!(range.start < range.end, "Rng::range: empty range {range:?}");
        range.start + self.below(range.end - range.start)
    }

    /// A uniform float in `[0, 1)` with 53 bits of precision.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit_f64() < p
    }

    /// A uniformly chosen element, or `None` for an empty slice.
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let i = self.below(items.len() as u64) as usize;
        Some(&items[i])
    }

    /// Shuffles `items` uniformly in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// Fills `bytes` with random bytes.
    pub fn fill_bytes(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{prop_assert, proptest};

    #[test]
    fn output_is_pinned_forever() {
        // A replayed seed must give the same run in every future release.
        let mut rng = Rng::new(0);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                0x99EC_5F36_CB75_F2B4,
                0xBF6E_1F78_4956_452A,
                0x1A5F_849D_4933_E6E0
            ]
        );
    }

    #[test]
    fn streams_are_independent_of_draws_elsewhere() {
        let root = Rng::new(99);
        let mut a = root.stream("a");
        let expected: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();

        let mut root2 = Rng::new(99);
        for _ in 0..100 {
            root2.next_u64();
        }
        let mut a2 = root2.stream("a");
        let replay: Vec<u64> = (0..5).map(|_| a2.next_u64()).collect();
        assert_eq!(expected, replay);
        assert_ne!(root.stream("b").next_u64(), expected[0]);
        assert_ne!(Rng::new(100).stream("a").next_u64(), expected[0]);
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = Rng::new(1);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..=10_500).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn chance_extremes() {
        let mut rng = Rng::new(3);
        assert!((0..1000).all(|_| !rng.chance(0.0)));
        assert!((0..1000).all(|_| rng.chance(1.0)));
        let hits = (0..10_000).filter(|_| rng.chance(0.25)).count();
        assert!((2_300..=2_700).contains(&hits), "{hits}");
    }

    #[test]
    fn shuffle_is_a_permutation_and_choose_handles_empty() {
        let mut rng = Rng::new(5);
        let mut v: Vec<u32> = (0..100).collect();
        rng.shuffle(&mut v);
        assert_ne!(v, (0..100).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..100).collect::<Vec<_>>());
        assert_eq!(rng.choose::<u8>(&[]), None);
        assert_eq!(rng.choose(&[7]), Some(&7));
    }

    #[test]
    fn fill_bytes_covers_ragged_tails() {
        let mut rng = Rng::new(8);
        let mut buf = [0u8; 13];
        rng.fill_bytes(&mut buf);
        assert!(buf[8..].iter().any(|&b| b != 0));
    }

    #[test]
    #[should_panic(expected = "empty")]
    fn below_zero_panics() {
        Rng::new(0).below(0);
    }

    proptest! {
        #[test]
        fn range_stays_in_bounds(seed: u64, start in 0u64..1_000, len in 1u64..1_000) {
            let mut rng = Rng::new(seed);
            for _ in 0..20 {
                let x = rng.range(start..start + len);
                prop_assert!((start..start + len).contains(&x));
            }
            let f = rng.unit_f64();
            prop_assert!((0.0..1.0).contains(&f));
        }
    }
}
