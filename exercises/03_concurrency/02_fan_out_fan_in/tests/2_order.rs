//! Stage 2: results in input order or in completion order, and a bounded
//! number of items in flight whichever you choose.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::Duration;

use fan_out_fan_in::{Config, Order, Window, run};

/// See stage 1: fail loudly instead of hanging.
fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hung: {what} did not finish in 10 s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked (see above)"),
    }
}

/// A counter that threads can wait on until it reaches a value.
#[derive(Default)]
struct Count {
    n: Mutex<usize>,
    cv: Condvar,
}

impl Count {
    fn add(&self) {
        *self.n.lock().unwrap() += 1;
        self.cv.notify_all();
    }
    fn wait_until(&self, at_least: usize) {
        let mut n = self.n.lock().unwrap();
        while *n < at_least {
            n = self.cv.wait(n).unwrap();
        }
    }
    fn get(&self) -> usize {
        *self.n.lock().unwrap()
    }
}

#[test]
fn a_window_admits_an_item_while_fewer_than_size_are_undelivered() {
    // Only calls that must not block: seq - delivered < size each time.
    let window = Window::new(2);
    assert!(!window.is_cancelled(), "a new window is not cancelled");
    assert!(window.wait_for_room(0), "nothing taken yet: item 0 fits");
    assert!(
        window.wait_for_room(1),
        "one undelivered item: item 1 fits in 2"
    );
    window.delivered_one();
    assert!(
        window.wait_for_room(2),
        "after one delivery two items are undelivered at most: item 2 fits"
    );
    window.delivered_one();
    window.delivered_one();
    assert!(window.wait_for_room(4), "three delivered: item 4 fits in 2");
}

#[test]
fn a_delivery_wakes_a_producer_waiting_for_room() {
    let window = std::sync::Arc::new(Window::new(1));
    let waiter = std::sync::Arc::clone(&window);
    let took = watchdog("a producer waiting for a delivery", move || {
        let producer = thread::spawn(move || waiter.wait_for_room(1));
        window.delivered_one();
        producer.join().unwrap()
    });
    assert!(
        took,
        "a delivery made room for item 1: wait_for_room(1) must return true"
    );
}

#[test]
fn input_order_survives_items_finishing_out_of_order() {
    for workers in [2, 4] {
        let out = watchdog("a slow first item in input order", move || {
            let done_after_first = Count::default();
            let config = Config {
                workers,
                buffer: 2,
                order: Order::Input,
            };
            let mut out = Vec::new();
            run(
                config,
                0..50u32,
                |x| {
                    if x == 0 {
                        // Item 0 finishes only after item 1 has: the merger
                        // must hold item 1 back until item 0 arrives.
                        done_after_first.wait_until(1);
                    } else {
                        done_after_first.add();
                    }
                    Ok::<_, ()>(x * 10)
                },
                |y| out.push(y),
            )
            .unwrap();
            out
        });
        assert_eq!(
            out,
            (0..50u32).map(|x| x * 10).collect::<Vec<_>>(),
            "Order::Input must restore input order with sequence numbers, even when \
             later items finish first ({workers} workers)"
        );
    }
}

#[test]
fn completion_order_does_not_wait_for_a_slow_item() {
    let first = watchdog(
        "a slow item that waits for the sink (completion order must not buffer)",
        || {
            let delivered = Count::default();
            let config = Config {
                workers: 2,
                buffer: 2,
                order: Order::Completion,
            };
            let mut out = Vec::new();
            run(
                config,
                0..20u32,
                |x| {
                    if x == 0 {
                        // Item 0 finishes only once the sink has seen another
                        // result: a pipeline that sorts, or waits for item 0
                        // first, deadlocks here.
                        delivered.wait_until(1);
                    }
                    Ok::<_, ()>(x)
                },
                |y| {
                    out.push(y);
                    delivered.add();
                },
            )
            .unwrap();
            out
        },
    );
    assert_ne!(
        first[0], 0,
        "completion order delivers results as they are ready"
    );
    let mut sorted = first.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..20).collect::<Vec<_>>());
}

/// Runs a pipeline of `n` items whose first item is stuck until `others`
/// items have been processed, and returns the largest number of items ever
/// taken from the input but not yet delivered to the sink.
fn peak_in_flight(config: Config, n: usize, others: usize) -> usize {
    let pulled = AtomicUsize::new(0);
    let delivered = AtomicUsize::new(0);
    let peak = AtomicUsize::new(0);
    let processed = Count::default();
    let input = (0..n).inspect(|_| {
        let now = pulled.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now - delivered.load(Ordering::SeqCst), Ordering::SeqCst);
    });
    run(
        config,
        input,
        |x| {
            if x == 0 {
                processed.wait_until(others);
            } else {
                processed.add();
            }
            Ok::<_, ()>(x)
        },
        |_| {
            delivered.fetch_add(1, Ordering::SeqCst);
        },
    )
    .unwrap();
    assert_eq!(delivered.load(Ordering::SeqCst), n);
    assert_eq!(processed.get(), n - 1);
    peak.load(Ordering::SeqCst)
}

#[test]
fn in_flight_items_are_bounded_while_a_slow_item_holds_back_the_rest() {
    for (workers, buffer) in [(2, 1), (3, 2), (4, 4)] {
        let config = Config {
            workers,
            buffer,
            order: Order::Input,
        };
        let bound = config.max_in_flight();
        // Item 0 waits until every other item the window allows has been
        // processed: bound - 1 of them. Later results must be parked, and the
        // producer must stop taking input until item 0 is delivered.
        let peak = watchdog("a slow first item in input order", move || {
            peak_in_flight(config, 3_000, bound - 1)
        });
        assert!(
            peak <= bound,
            "{peak} items were in flight (taken from the input, not yet delivered) but \
             max_in_flight() is {bound}: in input order, results parked behind a slow item \
             count too, so the producer must stop taking input (a window), or memory grows \
             with the input"
        );
    }
}

#[test]
fn in_flight_items_are_bounded_in_completion_order_with_a_slow_sink() {
    let config = Config {
        workers: 3,
        buffer: 2,
        order: Order::Completion,
    };
    let bound = config.max_in_flight();
    let peak = watchdog("a slow sink in completion order", move || {
        let pulled = AtomicUsize::new(0);
        let delivered = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let input = (0..3_000u32).inspect(|_| {
            let now = pulled.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now - delivered.load(Ordering::SeqCst), Ordering::SeqCst);
        });
        run(config, input, Ok::<u32, ()>, |x| {
            // A sink slower than the workers: only the bounded channels keep
            // the producer from racing ahead.
            std::hint::black_box((0..200u32).fold(x, u32::wrapping_add));
            delivered.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        peak.load(Ordering::SeqCst)
    });
    assert!(
        peak <= bound,
        "{peak} items in flight but max_in_flight() is {bound} (workers + 2 * buffer): \
         the design is one bounded job channel and one bounded result channel \
         (sync_channel(buffer) each), so a slow consumer pushes back on the producer. An \
         unbounded channel grows without limit; a channel per worker holds more than the \
         bound allows"
    );
}
