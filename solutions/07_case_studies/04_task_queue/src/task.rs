// Given: the task types the routes answer; complete, do not change.

//! A task and what the broker remembers about each attempt at it; the JSON
//! the routes answer is these types, serialised as they are.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a task is in its life.
///
/// ```text
///            lease                complete
///  queued ──────────▶ leased ──────────────▶ done
///    ▲  ▲               │ │
///    │  └── expired ────┘ │ fail (failures <= max_retries: back off)
///    └────────────────────┘
///                         └─ fail (failures > max_retries) ──▶ dead
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting: leasable once `run_at` has come.
    Queued,
    /// A worker holds a lease on it.
    Leased,
    /// Completed; `result` holds the answer.
    Done,
    /// Failed more than `max_retries` times: in the dead-letter queue.
    Dead,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its lease is current: the worker is on it.
    Running,
    /// The worker completed it.
    Completed,
    /// The worker reported it failed.
    Failed,
    /// Its lease ran out before the worker completed or failed it.
    Expired,
}

/// One lease of a task: who held it, when, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1 for the first lease, 2 for the next...
    pub attempt: u32,
    /// The lease id, the fencing token: unique across all tasks, and larger
    /// for every lease granted later, also after a restart.
    pub lease: u64,
    /// The worker id given in the lease request.
    pub worker: String,
    /// Broker time (Unix ms) when the lease was granted.
    pub leased_at: u64,
    /// Broker time (Unix ms) when the lease runs out, moved by heartbeats;
    /// for an ended attempt, the last expiry it had.
    pub expires_at: u64,
    /// How it ended, or `running`.
    pub outcome: Outcome,
}

/// Everything the broker knows about a task: `GET /tasks/{id}` answers this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Its id: 1, 2, 3... in enqueue order, never reused (also after a restart).
    pub id: u64,
    /// What to run: a name the workers know.
    pub kind: String,
    /// The task's input, any JSON.
    pub payload: Value,
    /// Higher runs first.
    pub priority: u32,
    /// How many failures are retried; the failure after that dead-letters it.
    pub max_retries: u32,
    /// The idempotency key it was enqueued with, if any.
    pub idempotency_key: Option<String>,
    /// Where it is now.
    pub state: State,
    /// When it may next be leased (Unix ms): enqueue time + delay, the retry
    /// time after a failure, or the expiry of the lease that ran out.
    pub run_at: u64,
    /// Failures reported so far.
    pub failures: u32,
    /// The completing worker's result (`null` until `done`).
    pub result: Value,
    /// The last failure's error (`null` if none).
    pub error: Option<String>,
    /// Every lease so far, oldest first.
    pub attempts: Vec<Attempt>,
}

/// `POST /tasks`: what to enqueue. Only `kind` is required.
#[derive(Debug, Clone, Deserialize)]
pub struct EnqueueRequest {
    /// A task kind.
    pub kind: String,
    /// Its input (default `null`).
    #[serde(default)]
    pub payload: Value,
    /// Default 0; higher runs first.
    #[serde(default)]
    pub priority: u32,
    /// Not leasable until this much broker time has passed (default 0).
    #[serde(default)]
    pub delay_ms: u64,
    /// Default: the broker's `--max-retries`.
    pub max_retries: Option<u32>,
    /// A second enqueue with the same key is the first one.
    pub idempotency_key: Option<String>,
}

/// `POST /lease`: who asks, and for how long.
#[derive(Debug, Clone, Deserialize)]
pub struct LeaseRequest {
    /// The worker's id, recorded in the attempt.
    pub worker: String,
    /// The lease length (default: the broker's `--visibility-ms`).
    pub visibility_ms: Option<u64>,
}

/// The answer to a granted lease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leased {
    /// The task's id.
    pub id: u64,
    /// Its kind.
    pub kind: String,
    /// Its payload.
    pub payload: Value,
    /// Which attempt this is (1 the first time).
    pub attempt: u32,
    /// The lease id to heartbeat, complete or fail with.
    pub lease: u64,
    /// When the lease runs out unless heartbeated (Unix ms, broker time).
    pub expires_at: u64,
}

/// `POST /tasks/{id}/heartbeat`.
#[derive(Debug, Clone, Deserialize)]
pub struct HeartbeatRequest {
    /// The lease being extended.
    pub lease: u64,
    /// The new expiry is now + this (default: the broker's `--visibility-ms`).
    pub visibility_ms: Option<u64>,
}

/// `POST /tasks/{id}/complete`.
#[derive(Debug, Clone, Deserialize)]
pub struct CompleteRequest {
    /// The lease the work was done under.
    pub lease: u64,
    /// The answer (default `null`).
    #[serde(default)]
    pub result: Value,
}

/// `POST /tasks/{id}/fail`.
#[derive(Debug, Clone, Deserialize)]
pub struct FailRequest {
    /// The lease the attempt ran under.
    pub lease: u64,
    /// What went wrong.
    #[serde(default)]
    pub error: String,
}
