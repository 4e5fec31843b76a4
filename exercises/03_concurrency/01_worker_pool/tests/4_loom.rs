//! Stage 4: loom tries every interleaving of the pool's threads (up to a
//! preemption bound) and fails on any lost job, double run, deadlock or lost
//! wake-up. Run it with
//!
//!     cargo test -p worker_pool --features loom --test 4_loom
//!
//! Each model is tiny on purpose: 2 workers, 2-3 jobs. Loom explores every
//! order of lock, wait and notify, so a bug that needs one rare schedule on
//! real hardware shows up here every time.
//! A failure that says "deadlock" means every thread was asleep: typically a
//! notify that never came (notify_one where notify_all was needed, a flag set
//! without the lock) or a job that waited for another that could not start.
//! Loom then unwinds through the pool's `Drop`, which touches loom again, so
//! the run may end with "panic in a destructor during cleanup ... aborting":
//! read the first panic message, it is the one that explains the failure, and
//! run one model at a time by adding its name to the command.

use loom::model::Builder;
use worker_pool::WorkerPool;
use worker_pool::sync::{Arc, AtomicUsize, Condvar, Mutex, Ordering, thread};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(f);
}

#[test]
fn every_job_runs_exactly_once_through_a_queue_of_one() {
    model(|| {
        let pool = WorkerPool::new(2, 1).unwrap();
        let runs: Arc<[AtomicUsize; 2]> = Arc::new(Default::default());
        for i in 0..2 {
            let runs = Arc::clone(&runs);
            pool.execute(move || {
                runs[i].fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
            assert!(
                pool.queued() <= 1,
                "the queue holds {} jobs but its capacity is 1: execute must block when full",
                pool.queued()
            );
        }
        pool.shutdown();
        for (i, r) in runs.iter().enumerate() {
            let n = r.load(Ordering::SeqCst);
            assert_eq!(
                n, 1,
                "job {i} ran {n} times by the time shutdown returned; every accepted job \
                 must run exactly once before shutdown returns"
            );
        }
    });
}

#[test]
fn two_producers_never_overfill_the_queue() {
    // A producer woken because a slot freed up must check again (`while`, not
    // `if`): the other producer may have taken that slot in the meantime.
    model(|| {
        let pool = Arc::new(WorkerPool::new(1, 1).unwrap());
        let runs = Arc::new(AtomicUsize::new(0));
        let execute_one = |pool: &WorkerPool, runs: &Arc<AtomicUsize>| {
            let runs = Arc::clone(runs);
            pool.execute(move || {
                runs.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
            let queued = pool.queued();
            assert!(
                queued <= 1,
                "the queue holds {queued} jobs but its capacity is 1: a producer pushed \
                 without re-checking for room after it woke up"
            );
        };
        let producer = {
            let (pool, runs) = (Arc::clone(&pool), Arc::clone(&runs));
            thread::spawn(move || execute_one(&pool, &runs))
        };
        execute_one(&pool, &runs);
        execute_one(&pool, &runs);
        producer.join().unwrap();
        pool.shutdown();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "every accepted job must run"
        );
    });
}

#[test]
fn an_idle_pool_shuts_down() {
    // Both workers may be asleep on the condvar when the flag is set: one
    // notify_one wakes only one of them, and the join waits forever.
    model(|| {
        let pool = WorkerPool::new(2, 2).unwrap();
        pool.shutdown();
    });
}

#[test]
fn shutdown_racing_execute_either_runs_the_job_or_refuses_it() {
    model(|| {
        let pool = Arc::new(WorkerPool::new(1, 1).unwrap());
        let runs = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (pool, runs) = (Arc::clone(&pool), Arc::clone(&runs));
            thread::spawn(move || {
                pool.execute(move || {
                    runs.fetch_add(1, Ordering::SeqCst);
                })
            })
        };
        pool.shutdown();
        let accepted = producer.join().unwrap();
        let n = runs.load(Ordering::SeqCst);
        match accepted {
            Ok(()) => assert_eq!(
                n, 1,
                "execute returned Ok while shutdown ran, so the job must run exactly once \
                 (ran {n} times): a job accepted after the workers left is lost"
            ),
            Err(_) => assert_eq!(n, 0, "execute refused the job, yet it ran {n} times"),
        }
    });
}

/// Two jobs that can finish only if they run at the same time.
#[derive(Clone, Default)]
struct Meeting(Arc<(Mutex<usize>, Condvar)>);

impl Meeting {
    fn arrive_and_wait_for(&self, expected: usize) {
        let (arrived, cv) = &*self.0;
        let mut arrived = arrived.lock().unwrap();
        *arrived += 1;
        cv.notify_all();
        while *arrived < expected {
            arrived = cv.wait(arrived).unwrap();
        }
    }
}

#[test]
fn two_jobs_run_side_by_side_on_two_workers() {
    // Fails (deadlock) if a worker sleeps while a job is queued, if a worker
    // gives up after a wake-up another worker stole (`if` instead of `while`),
    // or if a worker holds the queue lock while it runs a job.
    model(|| {
        let pool = WorkerPool::new(2, 2).unwrap();
        let meeting = Meeting::default();
        for _ in 0..2 {
            let meeting = meeting.clone();
            pool.execute(move || meeting.arrive_and_wait_for(2))
                .unwrap();
        }
        pool.shutdown();
        assert_eq!(*meeting.0.0.lock().unwrap(), 2);
    });
}

#[test]
fn try_execute_wakes_an_idle_worker() {
    // The caller waits for its job to finish before shutting down, so the job
    // must run without shutdown's wake-up: a try_execute that queues without
    // waking a sleeping worker leaves both asleep ("deadlock").
    model(|| {
        let pool = WorkerPool::new(1, 1).unwrap();
        let meeting = Meeting::default();
        let job = meeting.clone();
        assert!(
            pool.try_execute(move || job.arrive_and_wait_for(1)).is_ok(),
            "an empty queue of one has room"
        );
        meeting.arrive_and_wait_for(2);
        pool.shutdown();
    });
}

#[test]
fn submit_hands_back_each_value() {
    // `submit` queues like `execute`: it too blocks on a full queue. A submit
    // that pushes without waiting for room leaves two jobs in a queue of one.
    model(|| {
        let pool = WorkerPool::new(1, 1).unwrap();
        let a = pool.submit(|| 1u32).unwrap();
        assert!(
            pool.queued() <= 1,
            "submit overfilled a queue of capacity 1"
        );
        let b = pool.submit(|| 2u32).unwrap();
        assert!(
            pool.queued() <= 1,
            "the queue holds {} jobs but its capacity is 1: submit must block when the \
             queue is full, like execute",
            pool.queued()
        );
        assert_eq!(b.join(), Ok(2));
        assert_eq!(a.join(), Ok(1));
    });
}

#[test]
fn shutdown_wakes_every_blocked_producer() {
    // Three producers may all be blocked on a full queue of one when
    // shutdown begins, and the one job queued frees only one slot: a
    // shutdown that wakes a single producer (notify_one) leaves another
    // asleep forever ("deadlock"). Each must wake, and either queue its job
    // or return PoolClosed. (No counters here: every atomic operation
    // multiplies the interleavings, and five threads are already many.)
    model(|| {
        let pool = Arc::new(WorkerPool::new(1, 1).unwrap());
        pool.execute(|| {}).unwrap();
        let producers: Vec<_> = (0..3)
            .map(|_| {
                let pool = Arc::clone(&pool);
                thread::spawn(move || {
                    let _ = pool.execute(|| {});
                })
            })
            .collect();
        pool.shutdown();
        for p in producers {
            p.join().unwrap();
        }
    });
}
