//! Per-client rate limiting: a token bucket per client identity, refilled
//! on the injected monotonic clock, in integer milli-tokens so that the
//! edges are exact.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::HeaderMap;
use kit::clock::Clock;

use crate::config::RateLimit;

/// The request header that names the client. Requests without it share one
/// bucket, [`ANONYMOUS`].
pub const CLIENT_HEADER: &str = "x-client-id";

/// The identity of requests that carry no [`CLIENT_HEADER`].
pub const ANONYMOUS: &str = "anonymous";

/// Above this many tracked clients, full buckets are forgotten (a full
/// bucket and no bucket behave the same), so memory follows the active
/// clients, not every client ever seen.
const TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    milli_tokens: u64,
    at_ms: u64,
}

/// The buckets of every client.
#[derive(Debug)]
pub struct Limiter {
    rate: RateLimit,
    clock: Arc<dyn Clock>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// Buckets of `rate.burst` tokens, refilled at `rate.per_sec`.
    pub fn new(rate: RateLimit, clock: Arc<dyn Clock>) -> Self {
        Limiter {
            rate,
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The client a request comes from.
    pub fn client_of(headers: &HeaderMap) -> String {
        headers
            .get(CLIENT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| ANONYMOUS.to_owned(), str::to_owned)
    }

    /// Takes a token from `client`'s bucket, or says in how many whole
    /// seconds (at least 1) the next token will be there.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        let now_ms = u64::try_from(self.clock.monotonic().as_millis()).unwrap_or(u64::MAX);
        let capacity = u64::from(self.rate.burst) * 1000;
        let per_sec = u64::from(self.rate.per_sec).max(1);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= TRACKED {
            buckets.retain(|_, b| {
                b.milli_tokens + now_ms.saturating_sub(b.at_ms) * per_sec < capacity
            });
        }
        let bucket = buckets.entry(client.to_owned()).or_insert(Bucket {
            milli_tokens: capacity,
            at_ms: now_ms,
        });
        // per_sec tokens a second is per_sec milli-tokens a millisecond.
        let refill = now_ms.saturating_sub(bucket.at_ms).saturating_mul(per_sec);
        bucket.milli_tokens = bucket.milli_tokens.saturating_add(refill).min(capacity);
        bucket.at_ms = now_ms;
        if bucket.milli_tokens >= 1000 {
            bucket.milli_tokens -= 1000;
            return Ok(());
        }
        let wait_ms = (1000 - bucket.milli_tokens).div_ceil(per_sec);
        Err(wait_ms.div_ceil(1000).max(1))
    }
}
