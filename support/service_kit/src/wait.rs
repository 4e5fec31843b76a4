//! Waiting for an event the test cannot be told about directly.
//!
//! A test never sleeps for a fixed time and then looks: that is slow when the
//! event comes early and flaky when it comes late. It asks again and again
//! until the answer comes, and gives up only after a bound that a healthy
//! service never comes near.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long [`eventually`] asks before it fails the test.
pub const EVENTUALLY_BOUND: Duration = Duration::from_secs(10);

/// Calls `check` until it returns `Some`, with a short pause between calls,
/// and returns that value.
///
/// # Panics
/// After [`EVENTUALLY_BOUND`] with no answer: "waited 10 s for {what}".
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < EVENTUALLY_BOUND,
            "waited {} s for {what}",
            EVENTUALLY_BOUND.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn returns_the_first_answer() {
        let calls = AtomicU32::new(0);
        let value = eventually("the third call", || async {
            (calls.fetch_add(1, Ordering::Relaxed) == 2).then_some("done")
        })
        .await;
        assert_eq!(value, "done");
        assert_eq!(calls.load(Ordering::Relaxed), 3);
    }
}
