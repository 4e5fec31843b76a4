//! The queue itself: tasks, their indexes, and every operation the routes
//! call. One [`Broker`] sits behind one lock; each operation validates,
//! logs a [`Record`] (fsync) and only then applies it, so memory never holds
//! a change the log does not, and replaying the log rebuilds memory exactly.
//!
//! The private helpers, a suggestion: `promote(now)` (due delayed tasks to
//! ready, run-out leases to expired), `check_lease` (current and live, else
//! 409), `commit(record)` (log, then apply) and `apply(record)` (the only
//! code that changes the queue; replay calls it too).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::Config;
use crate::backoff::backoff_ms;
use crate::error::Error;
use crate::metrics::Counters;
use crate::task::{Attempt, EnqueueRequest, Leased, Outcome, State, Task};
use crate::wal::{Record, Wal};

/// The queue: every task by id, and three indexes so that no operation
/// scans all tasks.
#[derive(Debug)]
pub struct Broker {
    config: Config,
    wal: Option<Wal>,
    tasks: BTreeMap<u64, Task>,
    keys: HashMap<String, u64>,
    /// Queued tasks whose `run_at` had not come when last looked: (run_at, id).
    delayed: BTreeSet<(u64, u64)>,
    /// Leasable tasks in lease order: (highest priority, earliest run_at, lowest id).
    ready: BTreeSet<(Reverse<u32>, u64, u64)>,
    /// Leased tasks by expiry: (expires_at, id).
    leased: BTreeSet<(u64, u64)>,
    dead: BTreeSet<u64>,
    next_id: u64,
    next_lease: u64,
    /// What `/metrics` reports.
    pub counters: Counters,
}

impl Broker {
    /// A broker on `config`: in memory without a data directory, else on the
    /// log in it, replayed.
    pub fn open(config: Config) -> std::io::Result<Broker> {
        todo!(
            "replay the log of config.data_dir (if any) through the same code that applies live changes"
        )
    }

    /// Enqueues a task, or finds the one enqueued earlier with the same
    /// idempotency key. Returns its id and whether it is new.
    pub fn enqueue(&mut self, request: EnqueueRequest) -> Result<(u64, bool), Error> {
        todo!("an existing idempotency key answers its id; else log an enqueue record and apply it")
    }

    /// Leases the first leasable task to `worker` for `visibility_ms`, or
    /// `None` when nothing is leasable now.
    pub fn lease(
        &mut self,
        worker: String,
        visibility_ms: Option<u64>,
    ) -> Result<Option<Leased>, Error> {
        todo!(
            "bring the indexes up to now, take the first ready task, log a lease record, apply it"
        )
    }

    /// Extends a current lease to now + `visibility_ms`; returns the new expiry.
    pub fn heartbeat(
        &mut self,
        id: u64,
        lease: u64,
        visibility_ms: Option<u64>,
    ) -> Result<u64, Error> {
        todo!("check the lease is current and live, log the new expiry")
    }

    /// Completes a task under its current lease.
    pub fn complete(&mut self, id: u64, lease: u64, result: Value) -> Result<(), Error> {
        todo!("check the lease is current and live, log the completion")
    }

    /// Records a failure under the current lease: the task is retried after
    /// its backoff, or dead-lettered once it has failed more than
    /// `max_retries` times. Returns the task as it is now.
    pub fn fail(&mut self, id: u64, lease: u64, error: String) -> Result<&Task, Error> {
        todo!(
            "check the lease, count the failure: retry after backoff_ms, or dead-letter after max_retries"
        )
    }

    /// The task with `id`, its state brought up to now.
    pub fn status(&mut self, id: u64) -> Result<&Task, Error> {
        todo!("the task, its state brought up to now (a run-out lease shows queued)")
    }

    /// The dead-letter queue, oldest id first.
    pub fn dead_letters(&self) -> Vec<&Task> {
        todo!("the dead tasks in id order")
    }

    /// `GET /metrics`.
    pub fn metrics(&mut self) -> String {
        todo!("self.counters.render(queued, leased) with the gauges up to now")
    }
}
