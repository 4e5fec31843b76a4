//! Fan-out/fan-in: one producer, `workers` threads applying a fallible
//! function, and a merger, joined by bounded channels.
//!
//! ```text
//! input ──► producer ──[jobs: buffer]──► worker × N ──[results: buffer]──► merger ──► sink
//!              ▲                                                               │
//!              └────────── window: at most max_in_flight() undelivered ───────┘
//! ```
//!
//! ```
//! # #[cfg(not(feature = "loom"))] // loom's primitives run only inside a model
//! # {
//! use fan_out_fan_in::{Config, Order, collect};
//!
//! let config = Config { workers: 4, buffer: 8, order: Order::Input };
//! let squares: Result<Vec<u64>, String> = collect(config, 1..=5u64, |x| Ok(x * x));
//! assert_eq!(squares, Ok(vec![1, 4, 9, 16, 25]));
//! # }
//! ```

pub mod sync;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use sync::{AtomicBool, Condvar, Mutex, MutexGuard, Ordering, PoisonError};

/// The workers' shared end of the job channel: std's mutex, not the shim's,
/// since loom models neither the channel nor the scoped threads around it.
type Jobs<T> = std::sync::Mutex<Receiver<(usize, T)>>;

/// The order in which results reach the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As soon as each one is ready: lowest latency, arbitrary order.
    Completion,
    /// In the order of the input, restored with sequence numbers; a slow
    /// item holds back the ones after it (head-of-line blocking).
    Input,
}

/// How to run a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Worker threads applying the function (at least 1).
    pub workers: usize,
    /// Capacity of each of the two channels (at least 1).
    pub buffer: usize,
    /// Completion or input order.
    pub order: Order,
}

impl Config {
    /// The most items that may be in flight at once: taken from the input
    /// but not yet handed to the sink. It is `workers + 2 * buffer`, what the
    /// two channels and the workers can hold; in [`Order::Input`] it also caps
    /// the results parked while they wait for an earlier, slower item.
    ///
    /// The bound is part of the contract, and it fixes the shape: one job
    /// channel and one result channel of `buffer` each. Go's other classic
    /// pipeline, a result channel per worker and a merger goroutine, holds
    /// more (each worker's channel, plus one item the merger holds) and
    /// exceeds it.
    pub fn max_in_flight(&self) -> usize {
        self.workers + 2 * self.buffer
    }
}

/// Runs `f` over `input` on `config.workers` threads and hands every result
/// to `sink` on the calling thread, in `config.order`.
///
/// The first `Err` that any worker produces cancels the pipeline, and that
/// worker cancels it itself ([`Window::cancel`]), without waiting for the
/// merger, which may still be busy in the sink: the producer stops taking
/// input, the workers stop starting new items, and once the merger receives
/// an `Err` nothing more reaches the sink and that error is returned (when
/// several items fail at once, whichever reaches the merger first). Every
/// thread has exited when this returns, and at most
/// [`Config::max_in_flight`] items are ever in flight, however long the
/// input.
///
/// # Panics
/// If `config.workers` is zero, with a message that contains "at least one
/// worker"; if `config.buffer` is zero, with one that contains "capacity of
/// at least one".
pub fn run<I, T, U, E, F, S>(config: Config, input: I, f: F, mut sink: S) -> Result<(), E>
where
    I: IntoIterator<Item = T>,
    I::IntoIter: Send,
    T: Send,
    U: Send,
    E: Send,
    F: Fn(T) -> Result<U, E> + Sync,
    S: FnMut(U),
{
    assert!(config.workers > 0, "a pipeline needs at least one worker");
    assert!(
        config.buffer > 0,
        "a pipeline's channels need a capacity of at least one"
    );
    // Turned into an iterator here: only the iterator needs to be Send.
    let input = input.into_iter();
    let window = Window::new(config.max_in_flight());
    let (job_tx, job_rx) = sync_channel::<(usize, T)>(config.buffer);
    // One receiver shared by all workers. Each worker holds a clone of the Arc,
    // so the receiver is dropped when the last worker exits, and a producer
    // blocked on a full channel then wakes with an error instead of hanging.
    let job_rx = Arc::new(std::sync::Mutex::new(job_rx));
    let (result_tx, result_rx) = sync_channel::<(usize, Result<U, E>)>(config.buffer);

    // Scoped threads: `f` and the items may borrow from the caller, and every
    // thread is joined before `scope` returns, whatever path we leave by.
    thread::scope(|s| {
        let window = &window;
        let f = &f;
        s.spawn(move || produce(input, &job_tx, window));
        for _ in 0..config.workers {
            let (job_rx, result_tx) = (Arc::clone(&job_rx), result_tx.clone());
            s.spawn(move || work(&job_rx, &result_tx, f, window));
        }
        drop(job_rx);
        // The merger's `for` ends when every worker has dropped its sender.
        drop(result_tx);
        merge(result_rx, config.order, &mut sink, window)
    })
}

/// Like [`run`], collecting the results into a `Vec` (in `config.order`).
pub fn collect<I, T, U, E, F>(config: Config, input: I, f: F) -> Result<Vec<U>, E>
where
    I: IntoIterator<Item = T>,
    I::IntoIter: Send,
    T: Send,
    U: Send,
    E: Send,
    F: Fn(T) -> Result<U, E> + Sync,
{
    let mut out = Vec::new();
    run(config, input, f, |u| out.push(u))?;
    Ok(out)
}

/// The producer's window and the pipeline's cancellation flag, shared by
/// every thread of one run.
///
/// Item number `seq` (counting from 0) may be taken from the input while
/// fewer than `size` items are undelivered: `seq - delivered < size`, where
/// `delivered` counts the results handed to the sink so far. [`run`] makes
/// one with `size = max_in_flight()`.
///
/// Built from [`sync`] only (never `std::sync` directly), so that loom can
/// try every interleaving of a producer going to sleep and a thread waking
/// it (stage 4). [`cancel`](Self::cancel) and
/// [`delivered_one`](Self::delivered_one) each change what the producer
/// waits for; a producer that has just found "no room, not cancelled" and is
/// about to wait must not miss either, or it sleeps for ever.
#[derive(Debug)]
pub struct Window {
    size: usize,
    /// Read without the lock on the workers' hot path.
    cancelled: AtomicBool,
    delivered: Mutex<usize>,
    changed: Condvar,
}

impl Window {
    /// A window of `size` items, nothing delivered, not cancelled.
    pub fn new(size: usize) -> Self {
        Self {
            size,
            cancelled: AtomicBool::new(false),
            delivered: Mutex::new(0),
            changed: Condvar::new(),
        }
    }

    /// True once [`cancel`](Self::cancel) has been called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Cancels the run: from now on [`is_cancelled`](Self::is_cancelled) is
    /// true and [`wait_for_room`](Self::wait_for_room) returns false, and a
    /// producer already waiting for room wakes up.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        // Take the lock before notifying: the producer checks the flag while
        // holding it, so it is either before its check (and will see the flag)
        // or already waiting (and gets this notification). No lost wake-up.
        let _guard = self.lock();
        self.changed.notify_all();
    }

    /// Counts one more result handed to the sink, and wakes a producer
    /// waiting for room.
    pub fn delivered_one(&self) {
        *self.lock() += 1;
        self.changed.notify_all();
    }

    /// Blocks until item `seq` may be taken from the input or the run is
    /// cancelled. True if it may be taken; false once cancelled, even if
    /// there is room.
    pub fn wait_for_room(&self, seq: usize) -> bool {
        let mut delivered = self.lock();
        while !self.is_cancelled() && seq - *delivered >= self.size {
            delivered = self
                .changed
                .wait(delivered)
                .unwrap_or_else(PoisonError::into_inner);
        }
        !self.is_cancelled()
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn produce<I: Iterator<Item = T>, T>(mut input: I, jobs: &SyncSender<(usize, T)>, window: &Window) {
    for seq in 0.. {
        // Check before pulling: an item taken from the input is in flight.
        if !window.wait_for_room(seq) {
            return;
        }
        let Some(item) = input.next() else { return };
        // Fails only once every worker has gone, i.e. after a cancellation.
        if jobs.send((seq, item)).is_err() {
            return;
        }
    }
}

fn work<T, U, E, F>(
    jobs: &Jobs<T>,
    results: &SyncSender<(usize, Result<U, E>)>,
    f: &F,
    window: &Window,
) where
    F: Fn(T) -> Result<U, E>,
{
    loop {
        if window.is_cancelled() {
            return;
        }
        // The lock is held only while receiving; the next worker in line
        // waits on the mutex, which is how one mpsc receiver is shared.
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok((seq, item)) = next else { return };
        // Re-check: we may have slept in `recv` through a cancellation.
        if window.is_cancelled() {
            return;
        }
        let result = f(item);
        if result.is_err() {
            // Cancel here, not in the merger: other workers stop starting new
            // items now, even if the merger is busy in the sink.
            window.cancel();
        }
        if results.send((seq, result)).is_err() {
            return;
        }
    }
}

fn merge<U, E, S: FnMut(U)>(
    results: Receiver<(usize, Result<U, E>)>,
    order: Order,
    sink: &mut S,
    window: &Window,
) -> Result<(), E> {
    // Results that arrived before an earlier item: parked until it comes.
    let mut parked = BTreeMap::new();
    let mut next = 0;
    for (seq, result) in results {
        // Returning drops `results`, so workers blocked on sending wake up.
        let value = result.inspect_err(|_| window.cancel())?;
        match order {
            Order::Completion => {
                sink(value);
                window.delivered_one();
            }
            Order::Input => {
                parked.insert(seq, value);
                while let Some(value) = parked.remove(&next) {
                    sink(value);
                    window.delivered_one();
                    next += 1;
                }
            }
        }
    }
    Ok(())
}
