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
        let per_min = u64::from(per_min.max(1));
        let interval_us = (60_000_000 / per_min).max(1);
        RateLimiter {
            interval_us,
            window_us: interval_us * per_min,
            clock,
            clients: Mutex::default(),
        }
    }

    /// Admits one request from `client`, or says in how many whole seconds
    /// (at least 1) it may try again. A refused request costs nothing.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        // Read under the lock: a `now` read before it can be older than a
        // `tat` another request just stored, and would refuse a request
        // that is on time.
        let now = micros(self.clock.monotonic());
        let tat = clients.get(client).copied().unwrap_or(0).max(now);
        let next = tat + self.interval_us;
        if next - now > self.window_us {
            let wait_us = next - now - self.window_us;
            return Err(wait_us.div_ceil(1_000_000).max(1));
        }
        if clients.len() >= SWEEP_AT && !clients.contains_key(client) {
            // A client whose bucket is full again is the same as a client
            // never seen: forget it, so memory follows the active clients.
            clients.retain(|_, tat| *tat > now);
        }
        clients.insert(client.to_owned(), next);
        Ok(())
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::clock::ManualClock;

    #[test]
    fn bursts_then_one_per_interval() {
        let clock = ManualClock::new(0);
        let limiter = RateLimiter::new(6, Arc::new(clock.clone()));
        for _ in 0..6 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
        assert_eq!(limiter.check("a"), Err(10));
        assert_eq!(limiter.check("b"), Ok(()));
        clock.advance_millis(4_000);
        assert_eq!(limiter.check("a"), Err(6));
        clock.advance_millis(6_000);
        assert_eq!(limiter.check("a"), Ok(()));
        assert_eq!(limiter.check("a"), Err(10));
    }

    #[test]
    fn once_many_clients_are_held_a_new_one_sweeps_the_full_buckets() {
        let clock = ManualClock::new(0);
        let limiter = RateLimiter::new(60, Arc::new(clock.clone()));
        for i in 0..SWEEP_AT {
            assert_eq!(limiter.check(&format!("c{i}")), Ok(()));
        }
        for _ in 0..4 {
            assert_eq!(limiter.check("c0"), Ok(()));
        }
        // One second on, every bucket but c0's is full again (tat == now).
        clock.advance_millis(1_000);
        assert_eq!(limiter.check("c1"), Ok(()), "a known client sweeps nothing");
        assert_eq!(limiter.clients.lock().unwrap().len(), SWEEP_AT);
        assert_eq!(limiter.check("new"), Ok(()));
        let mut held: Vec<String> = limiter.clients.lock().unwrap().keys().cloned().collect();
        held.sort();
        assert_eq!(
            held,
            ["c0", "c1", "new"],
            "c0 and c1 still owe time; the rest are forgotten"
        );
    }
}
