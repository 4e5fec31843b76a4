//! 100k tiny jobs through the lesson's pool, a minimal std::sync::mpsc pool,
//! the same pool on a bounded `sync_channel` (the lesson's contract), and the
//! `threadpool` crate, each with 4 workers. Measures the cost of the
//! queue hand-off (lock, push, notify, pop), not of the jobs.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const JOBS: u64 = 100_000;
const WORKERS: usize = 4;

/// The textbook pool: one mpsc channel, the receiver shared behind a mutex.
/// With `Some(capacity)` the channel is a bounded `sync_channel`: `send`
/// blocks while `capacity` jobs wait, like the lesson's `execute`.
struct MpscPool<S> {
    tx: Option<S>,
    workers: Vec<thread::JoinHandle<()>>,
}

type BoxedJob = Box<dyn FnOnce() + Send>;

trait Send1 {
    fn send1(&self, job: BoxedJob);
}
impl Send1 for mpsc::Sender<BoxedJob> {
    fn send1(&self, job: BoxedJob) {
        self.send(job).unwrap();
    }
}
impl Send1 for mpsc::SyncSender<BoxedJob> {
    fn send1(&self, job: BoxedJob) {
        self.send(job).unwrap();
    }
}

impl MpscPool<mpsc::Sender<BoxedJob>> {
    fn new(n: usize) -> Self {
        let (tx, rx) = mpsc::channel::<BoxedJob>();
        Self::with(tx, rx, n)
    }
}

impl MpscPool<mpsc::SyncSender<BoxedJob>> {
    fn bounded(n: usize, capacity: usize) -> Self {
        let (tx, rx) = mpsc::sync_channel::<BoxedJob>(capacity);
        Self::with(tx, rx, n)
    }
}

impl<S: Send1> MpscPool<S> {
    fn with(tx: S, rx: mpsc::Receiver<BoxedJob>, n: usize) -> Self {
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..n)
            .map(|_| {
                let rx = Arc::clone(&rx);
                thread::spawn(move || {
                    loop {
                        let job = rx.lock().unwrap().recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        Self {
            tx: Some(tx),
            workers,
        }
    }
    fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.tx.as_ref().unwrap().send1(Box::new(job));
    }
    fn join(mut self) {
        drop(self.tx.take());
        for w in self.workers.drain(..) {
            w.join().unwrap();
        }
    }
}

fn tiny_job(counter: &Arc<AtomicU64>) -> impl FnOnce() + Send + 'static {
    let counter = Arc::clone(counter);
    move || {
        counter.fetch_add(black_box(1), Ordering::Relaxed);
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("100k_tiny_jobs");
    group.throughput(Throughput::Elements(JOBS));
    group.sample_size(20);
    group.bench_function("sdkata_worker_pool_q1024", |b| {
        b.iter(|| {
            let counter = Arc::new(AtomicU64::new(0));
            let pool = worker_pool::WorkerPool::new(WORKERS, 1024).unwrap();
            for _ in 0..JOBS {
                pool.execute(tiny_job(&counter)).unwrap();
            }
            pool.shutdown();
            assert_eq!(counter.load(Ordering::Relaxed), JOBS);
        });
    });
    group.bench_function("std_mpsc_pool_unbounded", |b| {
        b.iter(|| {
            let counter = Arc::new(AtomicU64::new(0));
            let pool = MpscPool::new(WORKERS);
            for _ in 0..JOBS {
                pool.execute(tiny_job(&counter));
            }
            pool.join();
            assert_eq!(counter.load(Ordering::Relaxed), JOBS);
        });
    });
    group.bench_function("std_sync_channel_pool_q1024", |b| {
        b.iter(|| {
            let counter = Arc::new(AtomicU64::new(0));
            let pool = MpscPool::bounded(WORKERS, 1024);
            for _ in 0..JOBS {
                pool.execute(tiny_job(&counter));
            }
            pool.join();
            assert_eq!(counter.load(Ordering::Relaxed), JOBS);
        });
    });
    group.bench_function("threadpool_crate_unbounded", |b| {
        b.iter(|| {
            let counter = Arc::new(AtomicU64::new(0));
            let pool = threadpool::ThreadPool::new(WORKERS);
            for _ in 0..JOBS {
                pool.execute(tiny_job(&counter));
            }
            pool.join();
            assert_eq!(counter.load(Ordering::Relaxed), JOBS);
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
