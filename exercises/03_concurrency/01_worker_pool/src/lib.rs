//! A fixed-size pool of OS threads fed by a bounded job queue.
//!
//! Build the queue from a `Mutex<VecDeque>` and two condition variables:
//! workers wait on `job_ready` for work, producers wait on `space_free` for
//! room. Use only the types in [`sync`] (never `std::sync` directly), so the
//! same code is model-checked by loom
//! (`cargo test -p worker_pool --features loom --test 4_loom`) and runs on real
//! threads. Read README.md first.
//!
//! ```
//! use worker_pool::WorkerPool;
//!
//! let pool = WorkerPool::new(4, 16).unwrap();
//! let answer = pool.submit(|| 6 * 7).unwrap();
//! assert_eq!(answer.join(), Ok(42));
//! pool.shutdown(); // runs what is queued, then joins every worker
//! ```

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

pub mod sync;

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::io;

use sync::{Arc, Condvar, Mutex, thread};

/// A unit of work: runs once, on whichever worker takes it.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Why [`WorkerPool::new`] refused to build a pool.
#[derive(Debug)]
pub enum BuildError {
    /// A pool of zero workers would accept jobs and never run them.
    ZeroWorkers,
    /// A queue of capacity zero could never accept a job.
    ZeroCapacity,
    /// The operating system would not start a worker thread.
    Spawn(io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroWorkers => f.write_str("a worker pool needs at least one worker"),
            Self::ZeroCapacity => {
                f.write_str("a worker pool needs a queue capacity of at least one")
            }
            Self::Spawn(e) => write!(f, "could not start a worker thread: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// The pool is shutting down (or has shut down) and accepts no more jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolClosed;

impl fmt::Display for PoolClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the worker pool is shut down")
    }
}

impl std::error::Error for PoolClosed {}

/// Why [`WorkerPool::try_execute`] did not take a job; either way the job
/// comes back to the caller, who may run it, retry later or drop it.
#[derive(PartialEq, Eq)]
pub enum TryExecuteError<F> {
    /// The queue is at capacity: back off, shed load, or call `execute`.
    Full(F),
    /// The pool is shutting down.
    Closed(F),
}

impl<F> TryExecuteError<F> {
    /// The job that was not accepted.
    pub fn into_job(self) -> F {
        match self {
            Self::Full(job) | Self::Closed(job) => job,
        }
    }
}

impl<F> fmt::Debug for TryExecuteError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Closures are not Debug; name the variant only.
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

/// A submitted job panicked; `message` is its panic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPanicked {
    /// The panic payload if it was a string, or a placeholder if it was not.
    pub message: String,
}

impl fmt::Display for JobPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job panicked: {}", self.message)
    }
}

impl std::error::Error for JobPanicked {}

/// The queue and the shutdown flag, guarded together by one mutex.
///
/// A suggested shape; change the private types as you like.
struct State {
    jobs: VecDeque<Job>,
    shutting_down: bool,
}

/// What the pool handle and every worker share.
struct Shared {
    state: Mutex<State>,
    capacity: usize,
    /// Workers wait here for a job (or for shutdown).
    job_ready: Condvar,
    /// Producers wait here for room in the queue (or for shutdown).
    space_free: Condvar,
}

/// A fixed number of worker threads running jobs from a bounded FIFO queue.
///
/// - [`execute`](Self::execute) blocks while the queue is full (back-pressure);
///   [`try_execute`](Self::try_execute) hands the job back instead.
/// - [`submit`](Self::submit) returns a [`JobHandle`] for the job's value.
/// - A panicking job is caught: its worker lives on and the pool keeps its size.
/// - [`shutdown`](Self::shutdown) (also run on drop) refuses new jobs, runs
///   every job already queued and joins every worker.
///
/// The pool is `Sync`: share it between producers with an `Arc`.
pub struct WorkerPool {
    shared: Arc<Shared>,
    workers: Mutex<Vec<thread::JoinHandle<()>>>,
    size: usize,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("workers", &self.size)
            .field("capacity", &self.shared.capacity)
            .field("queued", &self.queued())
            .finish()
    }
}

impl WorkerPool {
    /// Starts `workers` threads sharing a queue of at most `queue_capacity`
    /// waiting jobs. Both must be at least one.
    pub fn new(workers: usize, queue_capacity: usize) -> Result<Self, BuildError> {
        // TODO: validate, build the shared state, spawn the workers
        // (`thread::Builder::new().name(..).spawn(..)` from crate::sync).
        todo!("validate the arguments and start the worker threads")
    }

    /// The number of worker threads, fixed for the pool's life.
    pub fn workers(&self) -> usize {
        todo!("return the number of workers")
    }

    /// The most jobs that can wait in the queue.
    pub fn capacity(&self) -> usize {
        todo!("return the queue capacity")
    }

    /// Jobs waiting in the queue now (not counting those running).
    pub fn queued(&self) -> usize {
        todo!("return the number of queued jobs")
    }

    /// Queues `job`, blocking while the queue is full.
    ///
    /// Returns `Err(PoolClosed)` if the pool is shutting down, including when
    /// shutdown begins while this call is blocked waiting for room.
    pub fn execute<F>(&self, job: F) -> Result<(), PoolClosed>
    where
        F: FnOnce() + Send + 'static,
    {
        todo!("wait for room (or shutdown), queue the job, wake a worker")
    }

    /// Queues `job` if there is room now; never blocks.
    pub fn try_execute<F>(&self, job: F) -> Result<(), TryExecuteError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        todo!("queue the job if there is room, or hand it back")
    }

    /// Queues `f` like [`execute`](Self::execute) and returns a handle to its
    /// result: the value it returns, or its panic message.
    pub fn submit<T, F>(&self, f: F) -> Result<JobHandle<T>, PoolClosed>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        todo!("wrap f in a job that catches its panic and fills a slot the handle waits on")
    }

    /// Stops intake, lets the workers finish every queued job, and joins them.
    ///
    /// Idempotent; a second call (even a concurrent one) returns once the
    /// workers are gone. Producers blocked in `execute` get `Err(PoolClosed)`.
    /// Do not call it from inside a job: a worker cannot join itself.
    pub fn shutdown(&self) {
        todo!("set the flag under the lock, wake everyone, join the workers")
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        // TODO: shut down (the pool must not leak running threads).
    }
}

/// The body of every worker thread: take a job, run it without holding the
/// lock, survive its panic; exit once shutting down and the queue is empty.
fn work(shared: &Shared) {
    todo!("loop: wait for a job or shutdown, run the job outside the lock")
}

/// Where a submitted job leaves its outcome for the [`JobHandle`].
struct Slot<T> {
    result: Mutex<Option<Result<T, JobPanicked>>>,
    filled: Condvar,
}

/// The pending result of a job given to [`WorkerPool::submit`].
pub struct JobHandle<T> {
    slot: Arc<Slot<T>>,
}

impl<T> fmt::Debug for JobHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JobHandle(..)")
    }
}

impl<T> JobHandle<T> {
    /// Blocks until the job has run; returns its value, or its panic message.
    pub fn join(self) -> Result<T, JobPanicked> {
        todo!("wait until the job has filled the slot, then take the outcome")
    }
}

/// The text of a panic, whether it was raised with a literal (`&str` payload)
/// or a format string (`String` payload); a placeholder for anything else.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    todo!("downcast the payload to &str or String")
}
