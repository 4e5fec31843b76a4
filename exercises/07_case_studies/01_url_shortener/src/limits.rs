//! Per-client rate limits: a token bucket, written as GCRA.
//!
//! A client may make `per_min` requests per minute, in bursts of up to
//! `per_min`. GCRA (the generic cell rate algorithm, from ATM networks; what
//! redis-cell and many API gateways use) keeps one number per client, the
//! theoretical arrival time `tat`: when the client's bucket would be full
//! again. Each request adds one interval `T = 60 s / per_min` to it; a
//! request that would push it more than `per_min × T` past now is refused,
//! and the excess is how long the client must wait. All integer
//! microseconds on the monotonic clock: no float rounding in `Retry-After`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit::clock::Clock;

/// How many clients are held before idle ones are swept.
const SWEEP_AT: usize = 10_000;

/// The rate limiter of every client.
#[derive(Debug)]
pub struct RateLimiter {
    /// Microseconds between requests at the sustained rate.
    interval_us: u64,
    /// How far past now a client's `tat` may run: the burst.
    window_us: u64,
    clock: Arc<dyn Clock>,
    clients: Mutex<HashMap<String, u64>>,
}

impl RateLimiter {
    /// `per_min` requests per minute per client (at least 1), in bursts of
    /// up to `per_min`.
    pub fn new(per_min: u32, clock: Arc<dyn Clock>) -> Self {
        todo!("interval = 60 s / per_min; burst = per_min")
    }

    /// Admits one request from `client`, or says in how many whole seconds
    /// (at least 1) it may try again. A refused request costs nothing.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        todo!(
            "GCRA: tat = max(tat, now) + interval; refuse (nothing stored) if that is more than the burst window past now, with the excess rounded up to whole seconds"
        )
    }
}

fn micros(d: Duration) -> u64 {
    todo!("whole microseconds")
}
