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

/// The buckets of every client.
#[derive(Debug)]
pub struct Limiter {
    rate: RateLimit,
    clock: Arc<dyn Clock>,
    // TODO: per client, its tokens (in thousandths) and when they were counted.
}

impl Limiter {
    /// Buckets of `rate.burst` tokens, refilled at `rate.per_sec`.
    pub fn new(rate: RateLimit, clock: Arc<dyn Clock>) -> Self {
        todo!()
    }

    /// The client a request comes from.
    pub fn client_of(headers: &HeaderMap) -> String {
        todo!("the X-Client-Id header, or ANONYMOUS")
    }

    /// Takes a token from `client`'s bucket, or says in how many whole
    /// seconds (at least 1) the next token will be there.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        todo!(
            "refill by elapsed monotonic ms × per_sec milli-tokens, capped at burst × 1000; take 1000"
        )
    }
}
