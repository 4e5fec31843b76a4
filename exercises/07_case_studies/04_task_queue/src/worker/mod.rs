//! The worker: `concurrency` slots, each a loop of lease → run (with
//! heartbeats) → complete or fail, and a `GET /metrics` endpoint
//! ([`WorkerMetrics`]) on its own listener.
//!
//! Each slot, forever:
//! 1. `POST /lease` `{"worker": id, "visibility_ms": visibility_ms}`. A 204,
//!    or no answer, means: wait `poll` (real time) and ask again.
//! 2. Count `tasks_started` and run the task's kind ([`kinds::execute`]),
//!    heartbeating its lease every `heartbeat` (real time) meanwhile. The
//!    slots of one worker run their tasks at the same time.
//! 3. If a heartbeat answers 409, the lease is lost: drop the run
//!    at once (its result would be refused), count `tasks_abandoned`, and
//!    lease again; another worker has the task or will get it.
//! 4. Otherwise report: `POST /tasks/{id}/complete` `{"lease", "result"}`
//!    for a result, `POST /tasks/{id}/fail` `{"lease", "error"}` with the
//!    kind's error message for an error. A 200 counts `tasks_completed` or
//!    `tasks_failed`; a 409 counts `tasks_abandoned`.
//!
//! The worker decides nothing on time: lease expiry and backoff are the
//! broker's, on the broker's clock. Report only after the run has finished:
//! a worker that completes before it runs turns a crash into a lost task.

mod config;
pub mod kinds;
mod metrics;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use service_kit::Client;

pub use config::WorkerConfig;
pub use metrics::WorkerMetrics;

use crate::task::Leased;

/// How many times a completion or failure report is sent again when the
/// broker cannot be reached; after that the lease runs out and the task is
/// redelivered, which is what at-least-once promises anyway.
const REPORT_TRIES: u32 = 20;

/// Runs a worker: its slots lease and run tasks from `config.broker`, and
/// `GET /metrics` is served on `listener`, until `shutdown` completes.
pub async fn run_worker(
    listener: tokio::net::TcpListener,
    config: WorkerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    todo!(
        "spawn config.concurrency slots (lease, run with heartbeats, report), serve GET /metrics on listener until shutdown"
    )
}
