// Given: the worker's settings, from the command line or built by a test.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use service_kit::ServiceArgs;

/// What a worker process is told.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// `--broker` (required): the broker's address, `127.0.0.1:PORT`.
    pub broker: SocketAddr,
    /// `--data-dir` (required): where the task kinds read and write their
    /// files (see [`crate::worker::kinds`]).
    pub data_dir: PathBuf,
    /// `--id` (default `worker-PID`): the name the worker leases under.
    pub id: String,
    /// `--concurrency` (default 1): how many tasks it runs at once.
    pub concurrency: usize,
    /// `--visibility-ms` (default 30000): the lease length it asks for, in
    /// the broker's (injected) time.
    pub visibility_ms: u64,
    /// `--heartbeat-ms` (default 50): real time between heartbeats of a
    /// running task.
    pub heartbeat: Duration,
    /// `--poll-ms` (default 5): real time to wait after the broker had no
    /// task (204) or could not be reached, before asking again.
    pub poll: Duration,
}

impl WorkerConfig {
    /// The defaults above for a broker and a directory.
    pub fn new(broker: SocketAddr, data_dir: PathBuf) -> Self {
        WorkerConfig {
            broker,
            data_dir,
            id: format!("worker-{}", std::process::id()),
            concurrency: 1,
            visibility_ms: 30_000,
            heartbeat: Duration::from_millis(50),
            poll: Duration::from_millis(5),
        }
    }

    /// The worker binary's configuration.
    pub fn from_args(args: &ServiceArgs) -> Result<WorkerConfig, String> {
        let broker = args
            .settings
            .get("broker")
            .ok_or("--broker is required: the broker's address, 127.0.0.1:PORT")?;
        let broker = broker
            .parse()
            .map_err(|e| format!("--broker {broker}: {e}"))?;
        let defaults = WorkerConfig::new(broker, args.require_data_dir()?);
        let concurrency = args.setting("concurrency", defaults.concurrency)?;
        if concurrency == 0 {
            return Err("--concurrency 0: a worker runs at least one task".to_owned());
        }
        Ok(WorkerConfig {
            id: args.setting("id", defaults.id.clone())?,
            concurrency,
            visibility_ms: args.setting("visibility-ms", defaults.visibility_ms)?,
            heartbeat: Duration::from_millis(args.setting("heartbeat-ms", 50)?),
            poll: Duration::from_millis(args.setting("poll-ms", 5)?),
            ..defaults
        })
    }
}
