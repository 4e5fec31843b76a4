// Given: the broker's settings, from the command line or built by a test.

use std::path::PathBuf;
use std::sync::Arc;

use kit::clock::{Clock, SystemClock};
use service_kit::{FileClock, ServiceArgs};

/// Everything the broker is given: its clock, where it keeps its log, and
/// its limits. Build one with [`Config::new`] in a test, or
/// [`Config::from_args`] in the binary.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where every time the broker decides on comes from: delays, lease
    /// expiry, backoff. `--clock-file` gives a [`FileClock`]; otherwise the
    /// system clock.
    pub clock: Arc<dyn Clock>,
    /// `--data-dir`: where the write-ahead log lives. `None` keeps the queue
    /// in memory only (the in-process stages); the binary requires it.
    pub data_dir: Option<PathBuf>,
    /// `--seed` (default 0): the seed of the backoff jitter.
    pub seed: u64,
    /// `--backoff-base-ms` (default 1000): the backoff before the first retry.
    pub backoff_base_ms: u64,
    /// `--backoff-max-ms` (default 60000): the cap on any backoff.
    pub backoff_max_ms: u64,
    /// `--max-retries` (default 3): a task's retries when its enqueue does not say.
    pub max_retries: u32,
    /// `--visibility-ms` (default 30000): a lease's length when the lease
    /// request does not say.
    pub visibility_ms: u64,
}

impl Config {
    /// The defaults above, in memory, on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Config {
            clock,
            data_dir: None,
            seed: 0,
            backoff_base_ms: 1_000,
            backoff_max_ms: 60_000,
            max_retries: 3,
            visibility_ms: 30_000,
        }
    }

    /// The binary's configuration: `--data-dir` is required, `--clock-file`
    /// optional, and every setting above by its flag.
    pub fn from_args(args: &ServiceArgs) -> Result<Config, String> {
        let clock: Arc<dyn Clock> = match &args.clock_file {
            Some(path) => Arc::new(FileClock::open(path)?),
            None => Arc::new(SystemClock::new()),
        };
        let defaults = Config::new(Arc::clone(&clock));
        Ok(Config {
            clock,
            data_dir: Some(args.require_data_dir()?),
            seed: args.setting("seed", defaults.seed)?,
            backoff_base_ms: args.setting("backoff-base-ms", defaults.backoff_base_ms)?,
            backoff_max_ms: args.setting("backoff-max-ms", defaults.backoff_max_ms)?,
            max_retries: args.setting("max-retries", defaults.max_retries)?,
            visibility_ms: args.setting("visibility-ms", defaults.visibility_ms)?,
        })
    }
}
