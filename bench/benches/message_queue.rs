//! The lesson's `Queue` (visibility timeouts, receipts, an ordered ready set
//! and a timer set) against the queue a user would write first for an
//! in-process work queue: a `VecDeque` that removes a message on receive,
//! and `std::sync::mpsc` (send / try_recv on one thread). Both baselines are
//! at-most-once: they do no bookkeeping for a message after handing it out,
//! so the ratio is the price of at-least-once delivery (hiding, a receipt, a
//! delete), not of a different algorithm.
//!
//! One iteration is one message's whole life in a queue holding 1 000
//! messages: send one, receive one, delete it (the baselines: push, pop).
//! The clock is a `ManualClock` that never moves, so nothing is redelivered:
//! pure bookkeeping. `grouped` puts every message in one of 16 groups.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::mpsc;

use criterion::{Criterion, criterion_group, criterion_main};
use kit::clock::ManualClock;
use message_queue::{Queue, QueueConfig, SendOptions};

const BACKLOG: u64 = 1_000;
const GROUPS: u64 = 16;

fn config() -> QueueConfig {
    QueueConfig {
        capacity: 100_000,
        ..QueueConfig::default()
    }
}

fn cycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("message_queue_send_receive_delete");

    let mut ours = Queue::new(config(), ManualClock::new(0));
    for i in 0..BACKLOG {
        ours.send(i).expect("room");
    }
    let mut next = BACKLOG;
    group.bench_function("sdkata_queue", |b| {
        b.iter(|| {
            next += 1;
            ours.send(black_box(next)).expect("room");
            let got = ours.receive(1);
            ours.delete(&got[0].receipt).expect("latest receipt");
            black_box(got[0].body)
        })
    });

    let mut grouped = Queue::new(config(), ManualClock::new(0));
    let options = |i: u64| SendOptions {
        group: Some(format!("g{}", i % GROUPS)),
        ..SendOptions::default()
    };
    let names: Vec<SendOptions> = (0..GROUPS).map(options).collect();
    for i in 0..BACKLOG {
        grouped
            .send_with(i, names[(i % GROUPS) as usize].clone())
            .expect("room");
    }
    let mut next = BACKLOG;
    group.bench_function("sdkata_queue_grouped", |b| {
        b.iter(|| {
            next += 1;
            grouped
                .send_with(black_box(next), names[(next % GROUPS) as usize].clone())
                .expect("room");
            let got = grouped.receive(1);
            grouped.delete(&got[0].receipt).expect("latest receipt");
            black_box(got[0].body)
        })
    });

    let mut deque: VecDeque<(u64, u64)> = (0..BACKLOG).map(|i| (i, i)).collect();
    let mut next = BACKLOG;
    group.bench_function("vecdeque_remove_on_receive", |b| {
        b.iter(|| {
            next += 1;
            deque.push_back((next, black_box(next)));
            black_box(deque.pop_front().expect("backlog").1)
        })
    });

    let (tx, rx) = mpsc::channel::<u64>();
    for i in 0..BACKLOG {
        tx.send(i).expect("receiver alive");
    }
    let mut next = BACKLOG;
    group.bench_function("std_mpsc_remove_on_receive", |b| {
        b.iter(|| {
            next += 1;
            tx.send(black_box(next)).expect("receiver alive");
            black_box(rx.try_recv().expect("backlog"))
        })
    });
    group.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
