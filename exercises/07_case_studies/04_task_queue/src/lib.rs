//! Distributed task queue: a broker with leases, retries and a write-ahead
//! log, and worker processes that run its tasks at least once.
//!
//! Two binaries: `task_queue` (the broker: [`run`] serves the API below) and
//! `worker` (its loop is [`worker::run_worker`]). Read README.md first. The
//! modules, in the order the stages need them:
//! - [`task`]: the task, its attempts, and the JSON of every request and answer.
//! - [`broker`]: the queue: [`broker::Broker`]'s operations, each
//!   validated, logged, then applied.
//! - [`backoff`]: the retry delay: exponential, capped, with seeded jitter.
//! - [`wal`]: the write-ahead log in `DATA_DIR/wal.jsonl`, and its recovery.
//! - [`worker`]: lease, run with heartbeats, complete or fail; the task
//!   kinds are given in [`worker::kinds`].
//!
//! Given (complete, do not change): the [`Config`], [`error::Error`] and its
//! statuses, [`metrics::Counters`], [`worker::WorkerConfig`], [`worker::WorkerMetrics`],
//! [`worker::kinds`], and both `main`s. The private items are a suggestion;
//! the public API and the HTTP API are fixed.
//!
//! # Time
//! Every time the broker decides on is `config.clock.unix_millis()` (the
//! injected clock: a manual clock in tests, `--clock-file` for the binary):
//! a delay's `run_at`, a lease's `expires_at`, a retry's backoff. Nothing
//! reads the wall clock. A lease is live while `now < expires_at`; at
//! `expires_at` it has run out.
//!
//! # The HTTP API
//! Bodies are JSON; an error answer is `{"error": "..."}` (see
//! [`error::Error`]: 404 `no such task` for an unknown id on every
//! `/tasks/{id}` route, 409 `stale lease`).
//!
//! - `POST /tasks` `{"kind", "payload"?, "priority"?, "delay_ms"?,
//!   "max_retries"?, "idempotency_key"?}` ([`task::EnqueueRequest`]) →
//!   201 `{"id": N}`. Ids are 1, 2, 3... in enqueue order, never reused.
//!   The task is leasable from `run_at` = now + `delay_ms`. A second enqueue
//!   with a key already used answers 200 `{"id": first id}` and changes
//!   nothing (whatever its other fields say), also after a restart.
//! - `POST /lease` `{"worker", "visibility_ms"?}` → 200
//!   ([`task::Leased`]) `{"id", "kind", "payload", "attempt", "lease",
//!   "expires_at"}` with `expires_at` = now + `visibility_ms` (default
//!   `--visibility-ms`), or 204 when no task is leasable. Leasable: queued
//!   with `run_at <= now`, or leased under a lease that has run out (that
//!   attempt ends `expired`; an expiry is not a failure). Order: highest
//!   `priority`, then earliest `run_at`, then lowest id. Each task goes to
//!   one lease at a time, however many requests race. Lease ids are unique,
//!   and larger for every later lease, across restarts too: they are the
//!   fencing tokens.
//! - `POST /tasks/{id}/heartbeat` `{"lease", "visibility_ms"?}` → 200
//!   `{"expires_at": now + visibility_ms}`.
//! - `POST /tasks/{id}/complete` `{"lease", "result"?}` → 200
//!   `{"state":"done"}`; the task is done with that result and never
//!   leased again.
//! - `POST /tasks/{id}/fail` `{"lease", "error"?}` → 200 `{"state":
//!   "queued", "run_at": now + backoff}` while the task has failed at most
//!   `max_retries` times (this failure included), else `{"state": "dead",
//!   "run_at": ...}` and it is in the dead-letter queue, never leased again.
//!   The backoff is [`backoff::backoff_ms`] with `--seed`,
//!   `--backoff-base-ms` and `--backoff-max-ms`.
//! - Heartbeat, complete and fail need the task's current, live lease:
//!   under any other lease (expired, superseded, finished, never granted)
//!   they answer 409 `{"error":"stale lease"}` and change nothing.
//! - `GET /tasks/{id}` → 200, the [`task::Task`]: `{"id", "kind",
//!   "payload", "priority", "max_retries", "idempotency_key", "state",
//!   "run_at", "failures", "result", "error", "attempts": [{"attempt",
//!   "lease", "worker", "leased_at", "expires_at", "outcome"}]}`. A task
//!   whose lease ran out shows `queued`, with `run_at` = that expiry.
//! - `GET /dead-letter` → 200 `{"tasks": [{"id", "kind", "failures",
//!   "error"}]}`, lowest id first.
//! - `GET /metrics` → `name value` lines ([`metrics::Counters`]):
//!   `tasks_enqueued`, `leases_granted`, `leases_expired`,
//!   `tasks_completed`, `tasks_failed`, `tasks_dead`, `stale_refused`,
//!   `wal_fsyncs`, and the gauges `tasks_queued`, `tasks_leased`.
//!
//! # Durability
//! With a data directory every change (enqueue, lease, heartbeat, complete,
//! fail) is one record in `DATA_DIR/wal.jsonl` ([`wal`]), written and
//! fsynced (counted in `wal_fsyncs`) before it is applied and answered; a
//! request that changes nothing (a 204, a duplicate key, a 409) writes
//! nothing. At start the log is replayed: after `kill -9` every task is as
//! it was acknowledged, leases included (same lease id, same expiry). A torn
//! last record is dropped and cut off the file.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use kit::clock::ManualClock;
//!
//! let config = task_queue::Config::new(Arc::new(ManualClock::new(0)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! task_queue::run(listener, config, std::future::pending()).await
//! # }
//! ```

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports)]

pub mod backoff;
pub mod broker;
mod config;
pub mod error;
pub mod metrics;
mod routes;
pub mod task;
pub mod wal;
pub mod worker;

use std::future::Future;

pub use config::Config;

/// Serves the broker's HTTP API on `listener` until `shutdown` completes.
///
/// With a data directory, the write-ahead log in it is replayed first; an
/// error reading it (other than a torn last record) is returned, and the
/// broker does not start on a queue it could not rebuild.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    todo!("open the Broker (replaying the log), then axum::serve its router with graceful shutdown")
}
