// Given: the service's settings, from flags or built by a test.

use std::path::PathBuf;
use std::sync::Arc;

use kit::clock::{Clock, SystemClock};
use service_kit::{FileClock, ServiceArgs};

use crate::gate::Gate;

/// The largest paste body accepted when `--max-bytes` is not given: 1 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 20;

/// Everything the service is given from outside: time, disk, limits, and
/// the test's hook.
#[derive(Debug, Clone)]
pub struct Config {
    /// The injected clock: expiry uses [`Clock::unix_millis`], the rate
    /// limiter [`Clock::monotonic`]. A `ManualClock` in process, a
    /// [`FileClock`] with `--clock-file`, the system clock otherwise.
    pub clock: Arc<dyn Clock>,
    /// `--data-dir`: the SQLite file `pastebin.db`, the blob files under
    /// `blobs/`, the uploads in progress under `tmp/`.
    pub data_dir: PathBuf,
    /// `--max-bytes`: the largest paste body, in bytes (default
    /// [`DEFAULT_MAX_BYTES`]).
    pub max_bytes: u64,
    /// `--rate-burst` and `--rate-per-sec`: the per-client token bucket.
    pub rate: RateLimit,
    /// A test's gate on the read path (see [`Gate`]); `None` in production.
    pub before_body: Option<Arc<Gate>>,
}

/// A token bucket per client: `burst` requests at once, refilled at
/// `per_sec` requests per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The bucket's capacity, and how full a new client's bucket starts.
    pub burst: u32,
    /// Tokens added per second of [`Clock::monotonic`] time.
    pub per_sec: u32,
}

impl Default for RateLimit {
    /// 100 requests at once, 10 a second after that.
    fn default() -> Self {
        RateLimit {
            burst: 100,
            per_sec: 10,
        }
    }
}

impl Config {
    /// Defaults for everything but the data directory and the clock.
    pub fn new(data_dir: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Config {
            clock,
            data_dir: data_dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            rate: RateLimit::default(),
            before_body: None,
        }
    }

    /// From the binary's flags: `--data-dir` (required), `--clock-file`,
    /// `--max-bytes`, `--rate-burst`, `--rate-per-sec`.
    pub fn from_args(args: &ServiceArgs) -> Result<Config, String> {
        let clock: Arc<dyn Clock> = match &args.clock_file {
            Some(path) => Arc::new(FileClock::open(path)?),
            None => Arc::new(SystemClock::new()),
        };
        let defaults = RateLimit::default();
        let rate = RateLimit {
            burst: args.setting("rate-burst", defaults.burst)?,
            per_sec: args.setting("rate-per-sec", defaults.per_sec)?,
        };
        if rate.burst == 0 || rate.per_sec == 0 {
            return Err("--rate-burst and --rate-per-sec must be at least 1".to_owned());
        }
        let max_bytes = args.setting("max-bytes", DEFAULT_MAX_BYTES)?;
        if max_bytes == 0 {
            return Err("--max-bytes must be at least 1".to_owned());
        }
        Ok(Config {
            clock,
            data_dir: args.require_data_dir()?,
            max_bytes,
            rate,
            before_body: None,
        })
    }
}
