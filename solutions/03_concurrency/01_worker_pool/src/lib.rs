//! A fixed-size pool of OS threads fed by a bounded job queue.
//!
//! The queue is a `Mutex<VecDeque>` with two condition variables: workers
//! wait on `job_ready` for work, producers wait on `space_free` for room.
//! Everything goes through [`sync`], so the same code is model-checked by loom
//! (`cargo test --features loom --test 4_loom`) and runs on real threads.
//!
//! ```
//! # #[cfg(not(feature = "loom"))] // loom's primitives run only inside a model
//! # {
//! use worker_pool::WorkerPool;
//!
//! let pool = WorkerPool::new(4, 16).unwrap();
//! let answer = pool.submit(|| 6 * 7).unwrap();
//! assert_eq!(answer.join(), Ok(42));
//! pool.shutdown(); // runs what is queued, then joins every worker
//! # }
//! ```

pub mod sync;

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};

use sync::{Arc, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering, thread};

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

/// The queue and the flag, guarded together by one mutex: a worker deciding
/// "queue empty and not shutting down, so I sleep" must see both in the same
/// critical section, or a shutdown can slip between the check and the wait.
struct State {
    jobs: VecDeque<Job>,
    shutting_down: bool,
    /// Workers asleep on `job_ready` (counted under this lock, so a producer
    /// reads it for free and skips the notify, a system call, when it is zero).
    idle_workers: usize,
    /// Producers asleep on `space_free`, for the same reason.
    blocked_producers: usize,
}

/// How many times an idle worker yields and looks at the queue again before it
/// sleeps on `job_ready`. With tiny jobs the next one usually arrives within a
/// few yields, and finding it then costs no sleep and no wake-up system call
/// (std's `mpsc`, crossbeam and Go's scheduler spin before parking too).
const SPINS: usize = 32;

/// Whether to spin at all: not under loom, so the model checks the real wait
/// path (and loom's yield would be a point to explore, not a pause).
const SPIN: bool = !cfg!(feature = "loom");

struct Shared {
    state: Mutex<State>,
    /// A copy of `state.jobs.len()`, written under the lock, read without it
    /// by spinning workers so that looking at an empty queue takes no lock.
    len_hint: AtomicUsize,
    capacity: usize,
    /// Signalled when a job is queued, and (to everyone) at shutdown.
    job_ready: Condvar,
    /// Signalled when a job leaves the queue, and (to everyone) at shutdown.
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
    /// Taken (emptied) by the first shutdown; held while joining, so a second
    /// concurrent `shutdown` returns only once the workers are gone.
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
        if workers == 0 {
            return Err(BuildError::ZeroWorkers);
        }
        if queue_capacity == 0 {
            return Err(BuildError::ZeroCapacity);
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::with_capacity(queue_capacity),
                shutting_down: false,
                idle_workers: 0,
                blocked_producers: 0,
            }),
            len_hint: AtomicUsize::new(0),
            capacity: queue_capacity,
            job_ready: Condvar::new(),
            space_free: Condvar::new(),
        });
        let pool = Self {
            shared,
            workers: Mutex::new(Vec::with_capacity(workers)),
            size: workers,
        };
        for i in 0..workers {
            let shared = Arc::clone(&pool.shared);
            let handle = thread::Builder::new()
                .name(format!("worker-pool-{i}"))
                .spawn(move || work(&shared))
                // Dropping `pool` here shuts down the workers already started.
                .map_err(BuildError::Spawn)?;
            lock(&pool.workers).push(handle);
        }
        Ok(pool)
    }

    /// The number of worker threads, fixed for the pool's life.
    pub fn workers(&self) -> usize {
        self.size
    }

    /// The most jobs that can wait in the queue.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// Jobs waiting in the queue now (not counting those running).
    pub fn queued(&self) -> usize {
        lock(&self.shared.state).jobs.len()
    }

    /// Queues `job`, blocking while the queue is full.
    ///
    /// Returns `Err(PoolClosed)` if the pool is shutting down, including when
    /// shutdown begins while this call is blocked waiting for room.
    pub fn execute<F>(&self, job: F) -> Result<(), PoolClosed>
    where
        F: FnOnce() + Send + 'static,
    {
        // Allocate before taking the lock: keep the critical section short.
        let job: Job = Box::new(job);
        let mut state = lock(&self.shared.state);
        let mut spins = 0;
        // `while`, not `if`: another producer may take the slot we were woken for.
        while state.jobs.len() >= self.shared.capacity && !state.shutting_down {
            if SPIN && spins < SPINS {
                // Spin before parking, as the workers do (see `SPINS`).
                drop(state);
                while spins < SPINS
                    && self.shared.len_hint.load(Ordering::Relaxed) >= self.shared.capacity
                {
                    spins += 1;
                    thread_yield();
                }
                spins += 1;
                state = lock(&self.shared.state);
                continue;
            }
            state.blocked_producers += 1;
            state = wait(&self.shared.space_free, state);
            state.blocked_producers -= 1;
        }
        if state.shutting_down {
            return Err(PoolClosed);
        }
        state.jobs.push_back(job);
        self.shared
            .len_hint
            .store(state.jobs.len(), Ordering::Relaxed);
        let wake = state.idle_workers > 0;
        drop(state);
        // One job, one waiting worker: notify_one is enough here, and nothing
        // at all if no worker sleeps (a spinning or busy one will find the job).
        if wake {
            self.shared.job_ready.notify_one();
        }
        Ok(())
    }

    /// Queues `job` if there is room now; never blocks.
    pub fn try_execute<F>(&self, job: F) -> Result<(), TryExecuteError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        let mut state = lock(&self.shared.state);
        if state.shutting_down {
            return Err(TryExecuteError::Closed(job));
        }
        if state.jobs.len() >= self.shared.capacity {
            return Err(TryExecuteError::Full(job));
        }
        state.jobs.push_back(Box::new(job));
        self.shared
            .len_hint
            .store(state.jobs.len(), Ordering::Relaxed);
        let wake = state.idle_workers > 0;
        drop(state);
        if wake {
            self.shared.job_ready.notify_one();
        }
        Ok(())
    }

    /// Queues `f` like [`execute`](Self::execute) and returns a handle to its
    /// result: the value it returns, or its panic message.
    pub fn submit<T, F>(&self, f: F) -> Result<JobHandle<T>, PoolClosed>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = Arc::new(Slot {
            result: Mutex::new(None),
            filled: Condvar::new(),
        });
        let filler = Arc::clone(&slot);
        self.execute(move || {
            let outcome = panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| JobPanicked {
                message: panic_message(payload.as_ref()),
            });
            *lock(&filler.result) = Some(outcome);
            filler.filled.notify_all();
        })?;
        Ok(JobHandle { slot })
    }

    /// Stops intake, lets the workers finish every queued job, and joins them.
    ///
    /// Idempotent; a second call (even a concurrent one) returns once the
    /// workers are gone. Producers blocked in `execute` get `Err(PoolClosed)`.
    /// Do not call it from inside a job: a worker cannot join itself.
    pub fn shutdown(&self) {
        // Set the flag under the lock, so no worker can be between checking it
        // and going to sleep when it changes.
        lock(&self.shared.state).shutting_down = true;
        // notify_all, not notify_one: every idle worker must wake to see the
        // flag and exit, and every blocked producer must wake to be refused.
        self.shared.job_ready.notify_all();
        self.shared.space_free.notify_all();
        let mut workers = lock(&self.workers);
        for handle in workers.drain(..) {
            // Jobs' panics are caught inside the worker, so this only fails if
            // the pool itself has a bug; there is nothing useful to do with it
            // here, and panicking in `drop` would abort.
            let _ = handle.join();
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The body of every worker thread.
fn work(shared: &Shared) {
    loop {
        let (job, wake_producer) = {
            let mut state = lock(&shared.state);
            let mut spins = 0;
            // Re-check after every wake-up (the `while` of the classic pattern):
            // another worker may have taken the job we were woken for.
            loop {
                if let Some(job) = state.jobs.pop_front() {
                    shared.len_hint.store(state.jobs.len(), Ordering::Relaxed);
                    break (job, state.blocked_producers > 0);
                }
                // Queue drained and no more coming: this worker is done.
                if state.shutting_down {
                    return;
                }
                if SPIN && spins < SPINS {
                    // Spin before parking: let go of the lock, give the
                    // producer the core, and take the lock again only once
                    // a job is in sight (or the spin is over).
                    drop(state);
                    while spins < SPINS && shared.len_hint.load(Ordering::Relaxed) == 0 {
                        spins += 1;
                        thread_yield();
                    }
                    spins += 1;
                    state = lock(&shared.state);
                    continue;
                }
                state.idle_workers += 1;
                state = wait(&shared.job_ready, state);
                state.idle_workers -= 1;
            }
        }; // Lock released here: a job never runs while holding the queue.
        if wake_producer {
            shared.space_free.notify_one();
        }
        // A panicking job must not take its worker down with it. The panic hook
        // has already printed the message; `submit` jobs also report it to
        // their handle. The job is consumed, so nothing half-updated survives.
        let _ = panic::catch_unwind(AssertUnwindSafe(job));
    }
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
        let mut result = lock(&self.slot.result);
        loop {
            if let Some(outcome) = result.take() {
                return outcome;
            }
            result = wait(&self.slot.filled, result);
        }
    }
}

/// Gives up the core for a moment while spinning; only called when `SPIN`
/// holds, so never under loom.
fn thread_yield() {
    std::thread::yield_now();
}

/// Locks `mutex`, ignoring poison: no job ever runs while one of our locks is
/// held, so a panic can never leave the guarded state half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar
        .wait(guard)
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The text of a panic, whether it was raised with a literal or a format string.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<a panic payload that is not a string>".to_owned()
    }
}
