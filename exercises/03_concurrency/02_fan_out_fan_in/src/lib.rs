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
//! bounded channels and `std::thread::scope` for the threads.
//!
//! ```
//! use fan_out_fan_in::{Config, Order, collect};
//!
//! let config = Config { workers: 4, buffer: 8, order: Order::Input };
//! let squares: Result<Vec<u64>, String> = collect(config, 1..=5u64, |x| Ok(x * x));
//! assert_eq!(squares, Ok(vec![1, 4, 9, 16, 25]));
//! ```

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;

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
/// The first `Err` that any worker produces cancels the pipeline: the
/// producer stops taking input, the workers stop starting new items, nothing
/// more reaches the sink, and that error is returned. Every thread has exited
/// when this returns, and at most [`Config::max_in_flight`] items are ever in
/// flight, however long the input.
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
    // TODO: check the config; two sync_channels; inside thread::scope spawn a
    // producer and `config.workers` workers; merge on this thread.
    todo!("build the pipeline: producer, workers, merger")
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
