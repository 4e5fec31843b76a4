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
    let metrics = Arc::new(WorkerMetrics::default());
    let config = Arc::new(config);
    let mut slots = tokio::task::JoinSet::new();
    for _ in 0..config.concurrency {
        slots.spawn(slot(Arc::clone(&config), Arc::clone(&metrics)));
    }
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = Arc::clone(&metrics);
            async move { metrics.render() }
        }),
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    slots.shutdown().await;
    served
}

/// One slot: lease, run, report, forever. An empty queue or an unreachable
/// broker means waiting `poll` (real time) and asking again.
async fn slot(config: Arc<WorkerConfig>, metrics: Arc<WorkerMetrics>) {
    let client = Client::new(config.broker);
    loop {
        let request = json!({ "worker": config.id, "visibility_ms": config.visibility_ms });
        let leased = match client
            .request("POST", "/lease")
            .json(&request)
            .try_send()
            .await
        {
            Ok(answer) if answer.status == 200 => {
                serde_json::from_slice::<Leased>(&answer.body).ok()
            }
            _ => None,
        };
        match leased {
            Some(task) => run_one(&client, &config, &metrics, task).await,
            None => tokio::time::sleep(config.poll).await,
        }
    }
}

/// Runs one leased task while heartbeating its lease, then reports. If the
/// lease is lost meanwhile, the run is dropped: its result would be refused.
async fn run_one(client: &Client, config: &WorkerConfig, metrics: &WorkerMetrics, task: Leased) {
    metrics.started.fetch_add(1, Ordering::Relaxed);
    let outcome = tokio::select! {
        outcome = kinds::execute(task.id, &task.kind, &task.payload, &config.data_dir) => outcome,
        () = heartbeat_until_lost(client, config, &task) => {
            metrics.abandoned.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let (route, body) = match &outcome {
        Ok(result) => ("complete", json!({ "lease": task.lease, "result": result })),
        Err(error) => ("fail", json!({ "lease": task.lease, "error": error })),
    };
    let path = format!("/tasks/{}/{route}", task.id);
    match report(client, config, &path, &body).await {
        Some(200) if outcome.is_ok() => metrics.completed.fetch_add(1, Ordering::Relaxed),
        Some(200) => metrics.failed.fetch_add(1, Ordering::Relaxed),
        _ => metrics.abandoned.fetch_add(1, Ordering::Relaxed),
    };
}

/// Heartbeats every `config.heartbeat`; returns only when the broker says
/// the lease is no longer ours (409 or 404).
async fn heartbeat_until_lost(client: &Client, config: &WorkerConfig, task: &Leased) {
    let path = format!("/tasks/{}/heartbeat", task.id);
    let body = json!({ "lease": task.lease, "visibility_ms": config.visibility_ms });
    loop {
        tokio::time::sleep(config.heartbeat).await;
        if let Ok(answer) = client.request("POST", &path).json(&body).try_send().await
            && matches!(answer.status, 404 | 409)
        {
            return;
        }
    }
}

/// Sends a report until the broker answers; its status, or `None` if it
/// never did.
async fn report(client: &Client, config: &WorkerConfig, path: &str, body: &Value) -> Option<u16> {
    for _ in 0..REPORT_TRIES {
        if let Ok(answer) = client.request("POST", path).json(body).try_send().await {
            return Some(answer.status);
        }
        tokio::time::sleep(config.poll).await;
    }
    None
}
