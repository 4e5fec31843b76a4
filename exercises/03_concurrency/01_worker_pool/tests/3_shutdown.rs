//! Stage 3: shutdown stops intake, drains the queue, joins every worker, and
//! never leaves anyone hanging: not idle workers, not blocked producers.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use worker_pool::{PoolClosed, TryExecuteError, WorkerPool};

/// See stage 1: fail loudly instead of hanging.
fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "hung: {what} did not finish in 10 s; a shutdown must wake every sleeper \
             (notify_all) and every sleeper must re-check the flag under the lock"
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

/// Counts worker threads that have exited: a value in a thread-local is
/// dropped when its thread ends.
struct ExitCounter(Arc<AtomicUsize>);

impl Drop for ExitCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static ON_EXIT: RefCell<Option<ExitCounter>> = const { RefCell::new(None) };
}

/// Runs one job on each of the pool's workers (they meet at a barrier, so no
/// worker can take two) that arranges for `exited` to count its thread's end.
fn track_worker_exits(pool: &WorkerPool, exited: &Arc<AtomicUsize>) {
    let barrier = Arc::new(Barrier::new(pool.workers() + 1));
    for _ in 0..pool.workers() {
        let (barrier, exited) = (Arc::clone(&barrier), Arc::clone(exited));
        pool.execute(move || {
            ON_EXIT.with(|slot| *slot.borrow_mut() = Some(ExitCounter(exited)));
            barrier.wait();
        })
        .unwrap();
    }
    barrier.wait();
}

#[test]
fn shutdown_of_an_idle_pool_returns() {
    for workers in [1, 2, 4, 8] {
        watchdog("shutting down an idle pool", move || {
            let pool = WorkerPool::new(workers, 4).unwrap();
            // Make sure every worker has started and gone idle-ish.
            let exited = Arc::new(AtomicUsize::new(0));
            track_worker_exits(&pool, &exited);
            pool.shutdown();
            assert_eq!(
                exited.load(Ordering::SeqCst),
                workers,
                "shutdown returned before all {workers} workers exited: it must join them"
            );
        });
    }
}

#[test]
fn shutdown_runs_every_queued_job_then_joins_every_worker() {
    let ran = Arc::new(AtomicUsize::new(0));
    let exited = Arc::new(AtomicUsize::new(0));
    let (r, e) = (Arc::clone(&ran), Arc::clone(&exited));
    watchdog("shutdown with a full queue", move || {
        let pool = WorkerPool::new(2, 100).unwrap();
        track_worker_exits(&pool, &e);
        let gate = Gate::new();
        for _ in 0..2 {
            let g = gate.clone();
            pool.execute(move || g.wait()).unwrap();
        }
        for _ in 0..100 {
            let r = Arc::clone(&r);
            pool.execute(move || {
                r.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        }
        gate.open();
        pool.shutdown();
        assert_eq!(
            r.load(Ordering::SeqCst),
            100,
            "shutdown must run every job already queued before it returns"
        );
        assert_eq!(
            e.load(Ordering::SeqCst),
            2,
            "shutdown must join every worker before it returns"
        );
    });
    assert_eq!(ran.load(Ordering::SeqCst), 100);
}

#[test]
fn dropping_the_pool_shuts_it_down() {
    let ran = Arc::new(AtomicUsize::new(0));
    let exited = Arc::new(AtomicUsize::new(0));
    let (r, e) = (Arc::clone(&ran), Arc::clone(&exited));
    watchdog("dropping a pool", move || {
        let pool = WorkerPool::new(3, 50).unwrap();
        track_worker_exits(&pool, &e);
        for _ in 0..50 {
            let r = Arc::clone(&r);
            pool.execute(move || {
                r.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        }
        drop(pool);
        assert_eq!(
            r.load(Ordering::SeqCst),
            50,
            "drop must drain the queue like shutdown"
        );
        assert_eq!(
            e.load(Ordering::SeqCst),
            3,
            "drop must join the workers like shutdown"
        );
    });
}

#[test]
fn shutdown_is_idempotent() {
    watchdog("shutting down twice, then dropping", || {
        let pool = WorkerPool::new(2, 4).unwrap();
        pool.execute(|| {}).unwrap();
        pool.shutdown();
        pool.shutdown();
        drop(pool);
    });
}

#[test]
fn concurrent_shutdowns_both_wait_for_the_workers() {
    let exited = Arc::new(AtomicUsize::new(0));
    let e = Arc::clone(&exited);
    watchdog("two threads shutting down at once", move || {
        let pool = Arc::new(WorkerPool::new(3, 8).unwrap());
        track_worker_exits(&pool, &e);
        let start = Arc::new(Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (pool, start, e) = (Arc::clone(&pool), Arc::clone(&start), Arc::clone(&e));
                thread::spawn(move || {
                    start.wait();
                    pool.shutdown();
                    assert_eq!(
                        e.load(Ordering::SeqCst),
                        3,
                        "a shutdown call returned while workers were still running"
                    );
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    });
}

#[test]
fn submitting_after_shutdown_is_an_error_not_a_hang() {
    let pool = WorkerPool::new(2, 1).unwrap();
    pool.shutdown();
    let ran = Arc::new(AtomicUsize::new(0));
    let (r1, r2, r3) = (Arc::clone(&ran), Arc::clone(&ran), Arc::clone(&ran));
    let pool = watchdog("submitting to a shut-down pool", move || {
        assert_eq!(
            pool.execute(move || {
                r1.fetch_add(1, Ordering::SeqCst);
            }),
            Err(PoolClosed),
            "execute after shutdown must return Err(PoolClosed)"
        );
        assert!(
            pool.submit(move || r2.fetch_add(1, Ordering::SeqCst))
                .is_err(),
            "submit after shutdown must return Err(PoolClosed)"
        );
        match pool.try_execute(move || {
            r3.fetch_add(1, Ordering::SeqCst);
        }) {
            Err(TryExecuteError::Closed(job)) => drop(job),
            other => {
                panic!("try_execute after shutdown must return Err(Closed(job)), got {other:?}")
            }
        }
        pool
    });
    drop(pool);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "no job may run after shutdown refused it"
    );
}

#[test]
fn shutdown_releases_a_producer_blocked_on_a_full_queue() {
    let pool = Arc::new(WorkerPool::new(1, 1).unwrap());
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
    pool.execute(|| {}).unwrap(); // the queue (capacity 1) is now full
    // This producer blocks: the worker is stuck and the queue is full.
    let producer = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || pool.execute(|| {}))
    };
    // Shutdown begins; its join waits for the stuck worker, so run it aside.
    let shutter = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || pool.shutdown())
    };
    // The gate stays shut until the producer has been answered: only the
    // shutdown itself can release it.
    let refused = watchdog(
        "a producer blocked in execute when shutdown began (shutdown must wake it)",
        move || producer.join().unwrap(),
    );
    assert_eq!(
        refused,
        Err(PoolClosed),
        "a producer blocked on a full queue when shutdown begins must be refused"
    );
    gate.open();
    watchdog("shutdown", move || shutter.join().unwrap());
}
