// Given: the service's settings, from the command line or built by a test.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use kit::clock::{Clock, SystemClock};
use service_kit::{FileClock, ServiceArgs};

/// How many links the hot-code cache holds when `--cache-entries` is not given.
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;

/// Requests per minute per client when `--rate-limit` is not given.
pub const DEFAULT_RATE_LIMIT_PER_MIN: u32 = 600;

/// When an appended log record is forced to disk (`--fsync always|batch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Every acknowledged link has been fsync'd: it survives a power cut.
    /// Concurrent creates may share one fsync (group commit).
    Always,
    /// Records are written to the OS at once and fsync'd at most 100 ms
    /// later: an acknowledged link survives a crash of the process (kill -9),
    /// but the last 100 ms of links may be lost if the machine loses power.
    Batch,
}

impl FromStr for Fsync {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "always" => Ok(Fsync::Always),
            "batch" => Ok(Fsync::Batch),
            _ => Err(format!("`{text}` is not a policy: use always or batch")),
        }
    }
}

/// Everything the service is given rather than choosing itself.
#[derive(Debug, Clone)]
pub struct Config {
    /// The time: expiry on the wall clock (`unix_millis`), rate limits on the
    /// monotonic clock. Tests inject a `ManualClock` or, for a child process,
    /// a `FileClock`.
    pub clock: Arc<dyn Clock>,
    /// Where the log lives (`DATA_DIR/links.log`); created if missing.
    pub data_dir: PathBuf,
    /// `--fsync`: when appended records are forced to disk.
    pub fsync: Fsync,
    /// `--cache-entries`: the most links the hot-code cache holds (0: no cache).
    pub cache_entries: usize,
    /// `--rate-limit`: requests per minute each client may make, in bursts of
    /// up to this many. At least 1.
    pub rate_limit_per_min: u32,
}

impl Config {
    /// The defaults: `fsync` always, [`DEFAULT_CACHE_ENTRIES`],
    /// [`DEFAULT_RATE_LIMIT_PER_MIN`], on `clock`, keeping data in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> Config {
        Config {
            clock,
            data_dir: data_dir.into(),
            fsync: Fsync::Always,
            cache_entries: DEFAULT_CACHE_ENTRIES,
            rate_limit_per_min: DEFAULT_RATE_LIMIT_PER_MIN,
        }
    }

    /// The binary's flags: `--data-dir` (required), `--clock-file` (else the
    /// system clock), `--fsync`, `--cache-entries`, `--rate-limit`.
    pub fn from_args(args: &ServiceArgs) -> Result<Config, String> {
        let clock: Arc<dyn Clock> = match &args.clock_file {
            Some(path) => Arc::new(FileClock::open(path)?),
            None => Arc::new(SystemClock::new()),
        };
        let mut config = Config::new(args.require_data_dir()?, clock);
        config.fsync = args.setting("fsync", config.fsync)?;
        config.cache_entries = args.setting("cache-entries", config.cache_entries)?;
        config.rate_limit_per_min = args.setting("rate-limit", config.rate_limit_per_min)?;
        if config.rate_limit_per_min == 0 {
            return Err("--rate-limit 0: allow at least 1 request per minute".to_owned());
        }
        if let Some(unknown) = args
            .settings
            .keys()
            .find(|k| !["fsync", "cache-entries", "rate-limit"].contains(&k.as_str()))
        {
            return Err(format!("--{unknown} is not a setting of url_shortener"));
        }
        Ok(config)
    }
}
