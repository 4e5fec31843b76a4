// Given: the crawler's settings and everything injected into it, and how the binary's flags set them.

//! [`Config`]: what a test or the binary hands to [`crate::run`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kit::clock::{Clock, SystemClock};
use service_kit::{FileClock, ServiceArgs};

use crate::time::{ClockSleeper, Sleeper};

/// The crawler's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where time comes from: politeness gaps are measured on its
    /// [`Clock::monotonic`] reading.
    pub clock: Arc<dyn Clock>,
    /// How the crawler waits for a time on `clock`.
    pub sleeper: Arc<dyn Sleeper>,
    /// Where crawls are checkpointed; `None` keeps them in memory only.
    pub data_dir: Option<PathBuf>,
    /// The only hosts the crawler may fetch from, as curl's `--resolve`:
    /// `"host:port"` (the host in lower case) to the address to connect to.
    /// A URL whose host and port are not here is never fetched.
    pub resolve: BTreeMap<String, SocketAddr>,
    /// Sent as `User-Agent`, and the name looked for in `robots.txt`.
    pub user_agent: String,
    /// The least time between the end of one answer from a host and the
    /// next request to it (raised per host by its `Crawl-delay`).
    pub delay: Duration,
    /// The most requests in flight at once, over all hosts.
    pub workers: usize,
    /// The most redirects followed from one link.
    pub max_redirects: u32,
    /// The size of each crawl's Bloom filter, in bits.
    pub bloom_bits: usize,
    /// How many hash functions that Bloom filter uses.
    pub bloom_hashes: u32,
}

impl Config {
    /// The default `User-Agent`.
    pub const USER_AGENT: &str = "sdkata-crawler";

    /// Defaults around an injected clock and sleeper: no data directory, no
    /// hosts, a 1 s delay, 8 workers, 5 redirects, a 2^20-bit Bloom filter
    /// with 7 hashes.
    pub fn new(clock: Arc<dyn Clock>, sleeper: Arc<dyn Sleeper>) -> Self {
        Config {
            clock,
            sleeper,
            data_dir: None,
            resolve: BTreeMap::new(),
            user_agent: Self::USER_AGENT.to_owned(),
            delay: Duration::from_secs(1),
            workers: 8,
            max_redirects: 5,
            bloom_bits: 1 << 20,
            bloom_hashes: 7,
        }
    }

    /// The binary's configuration: `--data-dir`, `--clock-file` (else the
    /// system clock), and the settings `--resolve host:port=ip:port,...`,
    /// `--user-agent`, `--delay-ms`, `--workers`, `--max-redirects`,
    /// `--bloom-bits`, `--bloom-hashes`.
    pub fn from_args(args: &ServiceArgs) -> Result<Config, String> {
        let clock: Arc<dyn Clock> = match &args.clock_file {
            Some(path) => Arc::new(FileClock::open(path)?),
            None => Arc::new(SystemClock::new()),
        };
        let sleeper = Arc::new(ClockSleeper::new(Arc::clone(&clock)));
        let mut config = Config::new(clock, sleeper);
        config.data_dir = args.data_dir.clone();
        config.resolve = parse_resolve(&args.setting("resolve", String::new())?)?;
        config.user_agent = args.setting("user-agent", config.user_agent)?;
        config.delay = Duration::from_millis(args.setting("delay-ms", 1_000_u64)?);
        config.workers = args.setting("workers", config.workers)?;
        config.max_redirects = args.setting("max-redirects", config.max_redirects)?;
        config.bloom_bits = args.setting("bloom-bits", config.bloom_bits)?;
        config.bloom_hashes = args.setting("bloom-hashes", config.bloom_hashes)?;
        if config.workers == 0 || config.bloom_bits == 0 || config.bloom_hashes == 0 {
            return Err("--workers, --bloom-bits and --bloom-hashes must be at least 1".to_owned());
        }
        Ok(config)
    }
}

/// `a.test:80=127.0.0.1:4000,b.test:80=127.0.0.1:4001` as a resolve map.
fn parse_resolve(text: &str) -> Result<BTreeMap<String, SocketAddr>, String> {
    let mut map = BTreeMap::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, addr) = entry
            .split_once('=')
            .ok_or_else(|| format!("--resolve {entry}: expected host:port=ip:port"))?;
        let addr = addr
            .parse()
            .map_err(|e| format!("--resolve {entry}: {e}"))?;
        map.insert(name.to_ascii_lowercase(), addr);
    }
    Ok(map)
}
