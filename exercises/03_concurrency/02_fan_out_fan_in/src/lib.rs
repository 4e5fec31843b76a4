//! Fan-out/fan-in: one producer, `workers` threads applying a fallible
//! function, and a merger, joined by bounded channels.
//!
//! ```text
//! input ──► producer ──[jobs: buffer]──► worker × N ──[results: buffer]──► merger ──► sink
//!              ▲                                                               │
//!              └────────── window: at most max_in_flight() undelivered ───────┘
//! ```
//!
//! Read README.md first. Use `std::sync::mpsc::sync_channel` for the two
//! bounded channels and `std::thread::scope` for the threads. The producer
//! waits for room on a [`Window`], which also carries the cancellation; build
//! it from [`sync`] only, so that loom can model-check it
//! (`cargo test -p fan_out_fan_in --features loom --test 4_loom`).
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

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports)]

pub mod sync;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use sync::{AtomicBool, Condvar, Mutex, MutexGuard, Ordering, PoisonError};

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
        todo!("workers + 2 * buffer")
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
pub fn run<I, T, U, E, F, S>(config: Config, input: I, f: F, sink: S) -> Result<(), E>
where
    I: IntoIterator<Item = T>,
    I::IntoIter: Send,
    T: Send,
    U: Send,
    E: Send,
    F: Fn(T) -> Result<U, E> + Sync,
    S: FnMut(U),
{
    // TODO: check the config; a Window of max_in_flight(); two sync_channels
    // (the workers share the job receiver through an Arc<std::sync::Mutex<_>>);
    // inside thread::scope spawn a producer and `config.workers` workers;
    // merge on this thread.
    todo!("build the pipeline: producer, workers, merger")
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
    /// Set once; workers read it without the lock before every item.
    cancelled: AtomicBool,
    delivered: Mutex<usize>,
    changed: Condvar,
}

impl Window {
    /// A window of `size` items, nothing delivered, not cancelled.
    pub fn new(size: usize) -> Self {
        todo!("a window of size, nothing delivered, not cancelled")
    }

    /// True once [`cancel`](Self::cancel) has been called.
    pub fn is_cancelled(&self) -> bool {
        todo!("read the flag")
    }

    /// Cancels the run: from now on [`is_cancelled`](Self::is_cancelled) is
    /// true and [`wait_for_room`](Self::wait_for_room) returns false, and a
    /// producer already waiting for room wakes up.
    pub fn cancel(&self) {
        todo!("set the flag, then notify the waiting producer without letting it miss the wake-up")
    }

    /// Counts one more result handed to the sink, and wakes a producer
    /// waiting for room.
    pub fn delivered_one(&self) {
        todo!("count one delivery under the lock and notify")
    }

    /// Blocks until item `seq` may be taken from the input or the run is
    /// cancelled. True if it may be taken; false once cancelled, even if
    /// there is room.
    pub fn wait_for_room(&self, seq: usize) -> bool {
        todo!("wait while not cancelled and seq - delivered >= size; true unless cancelled")
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        todo!("lock the count, ignoring poison")
    }
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
    todo!("call run with a sink that pushes into a Vec")
}
