// Given: waiting on the injected clock, so politeness is exact and tests never wait in real time.

//! A crawler waits between requests to a host. It must wait on the same
//! clock it reads ([`crate::Config::clock`]), or a test on injected time
//! could not check the gaps: so waiting is injected too, as a [`Sleeper`].
//! The tests give a sleeper that moves their manual clock forward instead of
//! waiting (virtual time); the binary uses [`ClockSleeper`].

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use kit::clock::Clock;

/// A future a [`Sleeper`] returns.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Waits until a time on the injected clock.
pub trait Sleeper: Send + Sync + Debug {
    /// Completes once the clock's [`Clock::monotonic`] reading is at least
    /// `deadline` (at once if it already is).
    fn sleep_until(&self, deadline: Duration) -> Sleep<'_>;
}

/// The production sleeper: waits in real time until `clock` reaches the
/// deadline, in steps of at most [`ClockSleeper::STEP`] (so it also follows
/// a clock that a test moves, such as [`service_kit::FileClock`]).
#[derive(Debug, Clone)]
pub struct ClockSleeper {
    clock: Arc<dyn Clock>,
}

impl ClockSleeper {
    /// The longest real wait before the clock is read again.
    pub const STEP: Duration = Duration::from_millis(10);

    /// A sleeper on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        ClockSleeper { clock }
    }
}

impl Sleeper for ClockSleeper {
    fn sleep_until(&self, deadline: Duration) -> Sleep<'_> {
        Box::pin(async move {
            loop {
                let now = self.clock.monotonic();
                if now >= deadline {
                    return;
                }
                tokio::time::sleep((deadline - now).min(Self::STEP)).await;
            }
        })
    }
}
