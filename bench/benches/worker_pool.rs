//! 100k tiny jobs through the lesson's pool, a minimal std::sync::mpsc pool,
//! and the `threadpool` crate, each with 4 workers. Measures the cost of the
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
struct MpscPool {
    tx: Option<mpsc::Sender<Box<dyn FnOnce() + Send>>>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl MpscPool {
    fn new(n: usize) -> Self {
        let (tx, rx) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
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
        self.tx.as_ref().unwrap().send(Box::new(job)).unwrap();
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
