//! Stage 1: the pool runs every job exactly once, with at most `workers` jobs
//! at a time, and a full queue pushes back on producers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use worker_pool::{BuildError, TryExecuteError, WorkerPool};

/// Runs `f` on its own thread and fails the test if it takes longer than a
/// few seconds: a hang in a pool is a lost wake-up or a deadlock, and a test
/// must say so rather than run forever.
fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "hung: {what} did not finish in 10 s; look for a lost wake-up \
             (a worker or producer sleeping while it has something to do) or a deadlock"
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked (see above)"),
    }
}

/// A latch a test opens once: jobs that call `wait` block until then.
#[derive(Clone)]
struct Gate(Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>);

impl Gate {
    fn new() -> Self {
        Self(Arc::default())
    }
    fn wait(&self) {
        let (open, cv) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = cv.wait(open).unwrap();
        }
    }
    fn open(&self) {
        let (open, cv) = &*self.0;
        *open.lock().unwrap() = true;
        cv.notify_all();
    }
    /// Opens the gate when dropped, so a failed assertion does not leave a
    /// job stuck and the pool's shutdown hanging.
    fn open_on_drop(&self) -> OpenOnDrop {
        OpenOnDrop(self.clone())
    }
}

struct OpenOnDrop(Gate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

#[test]
fn new_rejects_zero_workers_and_zero_capacity() {
    assert!(
        matches!(WorkerPool::new(0, 4), Err(BuildError::ZeroWorkers)),
        "a pool with no workers would accept jobs and never run them"
    );
    assert!(
        matches!(WorkerPool::new(2, 0), Err(BuildError::ZeroCapacity)),
        "a queue of capacity 0 can never accept a job"
    );
}

#[test]
fn errors_explain_themselves() {
    use worker_pool::{JobPanicked, PoolClosed};
    assert!(BuildError::ZeroWorkers.to_string().contains("worker"));
    assert!(BuildError::ZeroCapacity.to_string().contains("capacity"));
    assert!(PoolClosed.to_string().contains("shut down"));
    let panicked = JobPanicked {
        message: "boom".into(),
    };
    assert!(panicked.to_string().contains("boom"));
    assert_eq!(format!("{:?}", TryExecuteError::Full(|| ())), "Full(..)");
    assert_eq!(
        format!("{:?}", TryExecuteError::Closed(|| ())),
        "Closed(..)"
    );
    assert!(TryExecuteError::Full(7).into_job() == 7 && TryExecuteError::Closed(8).into_job() == 8);
    let pool = WorkerPool::new(2, 5).unwrap();
    let handle = pool.submit(|| 1).unwrap();
    assert_eq!(format!("{handle:?}"), "JobHandle(..)");
    assert_eq!(handle.join(), Ok(1));
    let debug = format!("{pool:?}");
    assert!(
        debug.contains("workers: 2") && debug.contains("capacity: 5"),
        "Debug shows the pool's shape: {debug}"
    );
}

#[test]
fn reports_its_size_capacity_and_queue() {
    let pool = WorkerPool::new(3, 7).unwrap();
    assert_eq!(pool.workers(), 3);
    assert_eq!(pool.capacity(), 7);
    assert_eq!(pool.queued(), 0, "a new pool has nothing queued");
}

#[test]
fn execute_runs_the_job_on_another_thread() {
    let pool = WorkerPool::new(2, 4).unwrap();
    let (tx, rx) = mpsc::channel();
    pool.execute(move || tx.send(thread::current().id()).unwrap())
        .unwrap();
    let ran_on = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the job never ran");
    assert_ne!(
        ran_on,
        thread::current().id(),
        "jobs run on worker threads, not the caller's"
    );
}

#[test]
fn submit_returns_the_value_of_the_job() {
    let pool = WorkerPool::new(2, 4).unwrap();
    let handles: Vec<_> = (0..20u64)
        .map(|i| pool.submit(move || i * i).unwrap())
        .collect();
    let values: Vec<u64> = watchdog("joining submitted jobs", move || {
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(values, (0..20u64).map(|i| i * i).collect::<Vec<_>>());
}

#[test]
fn every_job_runs_exactly_once() {
    const JOBS: usize = 10_000;
    for (workers, capacity) in [(1, 1), (2, 3), (3, 64), (8, 1_000)] {
        let runs: Arc<Vec<AtomicUsize>> =
            Arc::new((0..JOBS).map(|_| AtomicUsize::new(0)).collect());
        let counts = Arc::clone(&runs);
        watchdog("10k jobs and shutdown", move || {
            let pool = WorkerPool::new(workers, capacity).unwrap();
            for i in 0..JOBS {
                let counts = Arc::clone(&counts);
                pool.execute(move || {
                    counts[i].fetch_add(1, Ordering::Relaxed);
                })
                .unwrap();
            }
            pool.shutdown();
        });
        for (i, r) in runs.iter().enumerate() {
            let n = r.load(Ordering::Relaxed);
            assert_eq!(
                n, 1,
                "with {workers} workers and capacity {capacity}, job {i} ran {n} times; \
                 every accepted job must run exactly once (0 = lost, 2 = popped twice)"
            );
        }
    }
}

#[test]
fn one_worker_runs_jobs_in_submission_order() {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&order);
    watchdog("FIFO jobs", move || {
        let pool = WorkerPool::new(1, 8).unwrap();
        for i in 0..100 {
            let seen = Arc::clone(&seen);
            pool.execute(move || seen.lock().unwrap().push(i)).unwrap();
        }
    });
    assert_eq!(
        *order.lock().unwrap(),
        (0..100).collect::<Vec<_>>(),
        "the queue is FIFO: a stack (LIFO) lets old jobs starve under load"
    );
}

#[test]
fn running_jobs_reach_the_worker_count_and_never_exceed_it() {
    for workers in [1, 2, 4, 6] {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (r, p) = (Arc::clone(&running), Arc::clone(&peak));
        watchdog(
            "jobs meeting at a barrier (the pool must run `workers` jobs at once)",
            move || {
                let pool = WorkerPool::new(workers, 256).unwrap();
                // Round 1: `workers` jobs wait for each other. They can only all
                // arrive if the pool really runs `workers` jobs side by side.
                let barrier = Arc::new(Barrier::new(workers));
                for _ in 0..workers {
                    let (barrier, r, p) = (Arc::clone(&barrier), Arc::clone(&r), Arc::clone(&p));
                    pool.execute(move || {
                        let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                        p.fetch_max(now, Ordering::SeqCst);
                        barrier.wait();
                        r.fetch_sub(1, Ordering::SeqCst);
                    })
                    .unwrap();
                }
                // Round 2: many short jobs; count how many overlap.
                for _ in 0..2_000 {
                    let (r, p) = (Arc::clone(&r), Arc::clone(&p));
                    pool.execute(move || {
                        let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                        p.fetch_max(now, Ordering::SeqCst);
                        std::hint::black_box((0..50).sum::<u64>());
                        r.fetch_sub(1, Ordering::SeqCst);
                    })
                    .unwrap();
                }
            },
        );
        let peak = peak.load(Ordering::SeqCst);
        assert_eq!(
            peak, workers,
            "at most {workers} jobs may run at once (one per worker), and the barrier round \
             needs all {workers}; saw a peak of {peak}"
        );
    }
}

#[test]
fn try_execute_hands_the_job_back_when_the_queue_is_full() {
    let pool = WorkerPool::new(1, 2).unwrap();
    let gate = Gate::new();
    let _unstick = gate.open_on_drop();
    let (started_tx, started_rx) = mpsc::channel();
    let g = gate.clone();
    pool.execute(move || {
        started_tx.send(()).unwrap();
        g.wait();
    })
    .unwrap();
    // The only worker is now busy, so the queue fills up.
    started_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the first job never started");
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..2 {
        let ran = Arc::clone(&ran);
        assert!(
            pool.try_execute(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .is_ok(),
            "try_execute must accept a job while the queue has room"
        );
    }
    assert_eq!(pool.queued(), 2);
    let r = Arc::clone(&ran);
    let refused = pool.try_execute(move || {
        r.fetch_add(100, Ordering::SeqCst);
    });
    let job = match refused {
        Err(TryExecuteError::Full(job)) => job,
        other => panic!(
            "the queue holds 2 of 2, so try_execute must return Err(Full(job)), got {other:?}"
        ),
    };
    assert_eq!(pool.queued(), 2, "a refused job must not be queued anyway");
    job(); // the very job we gave it comes back, and we may run it ourselves
    assert_eq!(ran.load(Ordering::SeqCst), 100);
    gate.open();
    watchdog("shutdown after try_execute", move || pool.shutdown());
    assert_eq!(ran.load(Ordering::SeqCst), 102, "both accepted jobs ran");
}

#[test]
fn execute_blocks_while_the_queue_is_full_and_resumes_when_it_drains() {
    const CAPACITY: usize = 2;
    let pool = Arc::new(WorkerPool::new(1, CAPACITY).unwrap());
    let gate = Gate::new();
    let _unstick = gate.open_on_drop();
    let (started_tx, started_rx) = mpsc::channel();
    let g = gate.clone();
    pool.execute(move || {
        started_tx.send(()).unwrap();
        g.wait();
    })
    .unwrap();
    started_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the first job never started");
    let ran = Arc::new(AtomicUsize::new(0));
    // A producer pushes 20 jobs through a queue of 2 while the only worker is
    // stuck: it must block (not drop jobs, not grow the queue, not fail).
    let producer = {
        let (pool, ran) = (Arc::clone(&pool), Arc::clone(&ran));
        thread::spawn(move || {
            for _ in 0..20 {
                let ran = Arc::clone(&ran);
                pool.execute(move || {
                    ran.fetch_add(1, Ordering::SeqCst);
                })
                .expect("execute must wait for room, not fail, while the pool is open");
                let queued = pool.queued();
                assert!(
                    queued <= CAPACITY,
                    "the queue holds {queued} jobs but its capacity is {CAPACITY}: execute \
                     must block when the queue is full (back-pressure), not grow it"
                );
            }
        })
    };
    gate.open();
    watchdog("a producer blocked on a full queue", move || {
        producer.join()
    })
    .expect("the producer failed");
    let p = Arc::clone(&pool);
    watchdog("shutdown", move || p.shutdown());
    assert_eq!(
        ran.load(Ordering::SeqCst),
        20,
        "every job pushed through the full queue ran"
    );
}
