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
        let (wal, records) = match &config.data_dir {
            Some(dir) => {
                let (wal, records) = Wal::open(dir)?;
                (Some(wal), records)
            }
            None => (None, Vec::new()),
        };
        let mut broker = Broker {
            config,
            wal: None,
            tasks: BTreeMap::new(),
            keys: HashMap::new(),
            delayed: BTreeSet::new(),
            ready: BTreeSet::new(),
            leased: BTreeSet::new(),
            dead: BTreeSet::new(),
            next_id: 1,
            next_lease: 1,
            counters: Counters::default(),
        };
        for record in records {
            broker.apply(record);
        }
        broker.wal = wal;
        Ok(broker)
    }

    fn now(&self) -> u64 {
        self.config.clock.unix_millis()
    }

    /// Enqueues a task, or finds the one enqueued earlier with the same
    /// idempotency key. Returns its id and whether it is new.
    pub fn enqueue(&mut self, request: EnqueueRequest) -> Result<(u64, bool), Error> {
        if let Some(&id) = request
            .idempotency_key
            .as_ref()
            .and_then(|key| self.keys.get(key))
        {
            return Ok((id, false));
        }
        let id = self.next_id;
        let run_at = self.now().saturating_add(request.delay_ms);
        self.commit(Record::Enqueue {
            id,
            kind: request.kind,
            payload: request.payload,
            priority: request.priority,
            max_retries: request.max_retries.unwrap_or(self.config.max_retries),
            idempotency_key: request.idempotency_key,
            run_at,
        })?;
        self.counters.enqueued += 1;
        Ok((id, true))
    }

    /// Leases the first leasable task to `worker` for `visibility_ms`, or
    /// `None` when nothing is leasable now.
    pub fn lease(
        &mut self,
        worker: String,
        visibility_ms: Option<u64>,
    ) -> Result<Option<Leased>, Error> {
        let now = self.now();
        self.promote(now);
        let Some(&(_, _, id)) = self.ready.first() else {
            return Ok(None);
        };
        let lease = self.next_lease;
        let expires_at = now.saturating_add(visibility_ms.unwrap_or(self.config.visibility_ms));
        // Not removed from `ready` here: `apply` does it, after the log
        // write succeeded, so a failed write leaves the task leasable.
        self.commit(Record::Lease {
            id,
            lease,
            worker,
            at: now,
            expires_at,
        })?;
        self.counters.leases_granted += 1;
        let task = &self.tasks[&id];
        Ok(Some(Leased {
            id,
            kind: task.kind.clone(),
            payload: task.payload.clone(),
            attempt: task.attempts.len() as u32,
            lease,
            expires_at,
        }))
    }

    /// Extends a current lease to now + `visibility_ms`; returns the new expiry.
    pub fn heartbeat(
        &mut self,
        id: u64,
        lease: u64,
        visibility_ms: Option<u64>,
    ) -> Result<u64, Error> {
        let now = self.now();
        self.check_lease(now, id, lease)?;
        let expires_at = now.saturating_add(visibility_ms.unwrap_or(self.config.visibility_ms));
        self.commit(Record::Heartbeat {
            id,
            lease,
            expires_at,
        })?;
        Ok(expires_at)
    }

    /// Completes a task under its current lease.
    pub fn complete(&mut self, id: u64, lease: u64, result: Value) -> Result<(), Error> {
        let now = self.now();
        self.check_lease(now, id, lease)?;
        self.commit(Record::Complete { id, lease, result })?;
        self.counters.completed += 1;
        Ok(())
    }

    /// Records a failure under the current lease: the task is retried after
    /// its backoff, or dead-lettered once it has failed more than
    /// `max_retries` times. Returns the task as it is now.
    pub fn fail(&mut self, id: u64, lease: u64, error: String) -> Result<&Task, Error> {
        let now = self.now();
        self.check_lease(now, id, lease)?;
        let task = &self.tasks[&id];
        let failures = task.failures + 1;
        let run_at = (failures <= task.max_retries).then(|| {
            let config = &self.config;
            let delay = backoff_ms(
                config.seed,
                id,
                failures,
                config.backoff_base_ms,
                config.backoff_max_ms,
            );
            now.saturating_add(delay)
        });
        self.commit(Record::Fail {
            id,
            lease,
            error,
            run_at,
        })?;
        self.counters.failed += 1;
        if run_at.is_none() {
            self.counters.dead += 1;
        }
        Ok(&self.tasks[&id])
    }

    /// The task with `id`, its state brought up to now.
    pub fn status(&mut self, id: u64) -> Result<&Task, Error> {
        let now = self.now();
        self.promote(now);
        self.tasks.get(&id).ok_or(Error::NotFound)
    }

    /// The dead-letter queue, oldest id first.
    pub fn dead_letters(&self) -> Vec<&Task> {
        self.dead.iter().map(|id| &self.tasks[id]).collect()
    }

    /// `GET /metrics`.
    pub fn metrics(&mut self) -> String {
        let now = self.now();
        self.promote(now);
        let queued = self.delayed.len() + self.ready.len();
        self.counters.render(queued, self.leased.len())
    }

    /// Ok when `lease` is task `id`'s current lease and has not run out.
    fn check_lease(&mut self, now: u64, id: u64, lease: u64) -> Result<(), Error> {
        self.promote(now);
        let task = self.tasks.get(&id).ok_or(Error::NotFound)?;
        let current =
            task.state == State::Leased && task.attempts.last().is_some_and(|a| a.lease == lease);
        if current {
            Ok(())
        } else {
            self.counters.stale_refused += 1;
            Err(Error::StaleLease)
        }
    }

    /// Brings the indexes up to `now`: delayed tasks whose time has come
    /// become ready, and leases that have run out (`expires_at <= now`) end
    /// as `expired`, their tasks ready again from their expiry. Nothing is
    /// logged: replaying the log and promoting gives the same result.
    fn promote(&mut self, now: u64) {
        while let Some(&(run_at, id)) = self.delayed.first() {
            if run_at > now {
                break;
            }
            self.delayed.pop_first();
            let priority = self.tasks[&id].priority;
            self.ready.insert((Reverse(priority), run_at, id));
        }
        while let Some(&(expires_at, id)) = self.leased.first() {
            if expires_at > now {
                break;
            }
            self.leased.pop_first();
            self.expire(id);
            self.counters.leases_expired += 1;
        }
    }

    /// Ends task `id`'s current lease as expired and makes it ready again.
    fn expire(&mut self, id: u64) {
        let task = self.tasks.get_mut(&id).expect("a leased task exists");
        let attempt = task
            .attempts
            .last_mut()
            .expect("a leased task has an attempt");
        attempt.outcome = Outcome::Expired;
        task.state = State::Queued;
        task.run_at = attempt.expires_at;
        self.ready.insert((Reverse(task.priority), task.run_at, id));
    }

    /// Logs `record` (when there is a log), then applies it.
    fn commit(&mut self, record: Record) -> Result<(), Error> {
        if let Some(wal) = &mut self.wal {
            wal.append(&record)?;
            self.counters.wal_fsyncs += 1;
        }
        self.apply(record);
        Ok(())
    }

    /// Applies a record that was validated when it was written. The only
    /// place the queue changes, so that live operations and replay agree.
    fn apply(&mut self, record: Record) {
        match record {
            Record::Enqueue {
                id,
                kind,
                payload,
                priority,
                max_retries,
                idempotency_key,
                run_at,
            } => {
                if let Some(key) = &idempotency_key {
                    self.keys.insert(key.clone(), id);
                }
                self.tasks.insert(
                    id,
                    Task {
                        id,
                        kind,
                        payload,
                        priority,
                        max_retries,
                        idempotency_key,
                        state: State::Queued,
                        run_at,
                        failures: 0,
                        result: Value::Null,
                        error: None,
                        attempts: Vec::new(),
                    },
                );
                self.delayed.insert((run_at, id));
                self.next_id = self.next_id.max(id + 1);
            }
            Record::Lease {
                id,
                lease,
                worker,
                at,
                expires_at,
            } => {
                // In replay the previous lease may still look current: it
                // had expired when this one was granted.
                if self.tasks[&id].state == State::Leased {
                    let old = self.tasks[&id].attempts.last().expect("leased").expires_at;
                    self.leased.remove(&(old, id));
                    self.expire(id);
                }
                let task = self
                    .tasks
                    .get_mut(&id)
                    .expect("a logged lease names a task");
                self.delayed.remove(&(task.run_at, id));
                self.ready
                    .remove(&(Reverse(task.priority), task.run_at, id));
                task.state = State::Leased;
                task.attempts.push(Attempt {
                    attempt: task.attempts.len() as u32 + 1,
                    lease,
                    worker,
                    leased_at: at,
                    expires_at,
                    outcome: Outcome::Running,
                });
                self.leased.insert((expires_at, id));
                self.next_lease = self.next_lease.max(lease + 1);
            }
            Record::Heartbeat { id, expires_at, .. } => {
                let attempt = self.current_attempt(id);
                let old = std::mem::replace(&mut attempt.expires_at, expires_at);
                self.leased.remove(&(old, id));
                self.leased.insert((expires_at, id));
            }
            Record::Complete { id, result, .. } => {
                let attempt = self.current_attempt(id);
                attempt.outcome = Outcome::Completed;
                let expires_at = attempt.expires_at;
                self.leased.remove(&(expires_at, id));
                let task = self.tasks.get_mut(&id).expect("checked by current_attempt");
                task.state = State::Done;
                task.result = result;
            }
            Record::Fail {
                id, error, run_at, ..
            } => {
                let attempt = self.current_attempt(id);
                attempt.outcome = Outcome::Failed;
                let expires_at = attempt.expires_at;
                self.leased.remove(&(expires_at, id));
                let task = self.tasks.get_mut(&id).expect("checked by current_attempt");
                task.failures += 1;
                task.error = Some(error);
                match run_at {
                    Some(run_at) => {
                        task.state = State::Queued;
                        task.run_at = run_at;
                        self.delayed.insert((run_at, id));
                    }
                    None => {
                        task.state = State::Dead;
                        self.dead.insert(id);
                    }
                }
            }
        }
    }

    fn current_attempt(&mut self, id: u64) -> &mut Attempt {
        self.tasks
            .get_mut(&id)
            .and_then(|task| task.attempts.last_mut())
            .expect("a logged heartbeat, completion or failure names a leased task")
    }
}
