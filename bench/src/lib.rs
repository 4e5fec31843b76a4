//! Benchmarks live in `benches/`, and `examples/per_op.rs` times single
//! operations; this crate holds only the fixtures they share.

use std::time::Duration;

use kit::clock::Clock;
use kit::rng::Rng;

/// A clock that never moves, so that no time is spent reading it: the cost
/// measured is the code under test alone.
#[derive(Debug)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn unix_millis(&self) -> u64 {
        self.0
    }
    fn monotonic(&self) -> Duration {
        Duration::ZERO
    }
}

/// The keys `0..n` in a seeded shuffled order, so lookups do not walk memory
/// in insertion order.
pub fn shuffled_keys(n: u64) -> Vec<u64> {
    let mut keys: Vec<u64> = (0..n).collect();
    Rng::new(7).shuffle(&mut keys);
    keys
}
