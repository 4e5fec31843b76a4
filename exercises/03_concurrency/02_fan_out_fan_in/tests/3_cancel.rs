//! Stage 3: the first error cancels the pipeline. The producer stops, the
//! workers stop, nothing leaks, and the error comes back.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use fan_out_fan_in::{Config, Order, Window, collect, run};

/// See stage 1: fail loudly instead of hanging.
fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "hung: {what} did not finish in 10 s; after an error every thread must be \
             able to leave: a producer blocked on a full channel or a window, a worker \
             blocked sending to a merger that has stopped reading"
        ),
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
}

#[test]
fn a_cancelled_window_admits_nothing_even_with_room() {
    let window = Window::new(4);
    window.cancel();
    assert!(
        window.is_cancelled(),
        "is_cancelled must be true once cancel was called"
    );
    assert!(
        !window.wait_for_room(0),
        "wait_for_room must return false once the run is cancelled, even with room: the \
         producer stops taking input"
    );
}

#[test]
fn a_cancellation_wakes_a_producer_waiting_for_room() {
    // A second line behind the loom model of stage 4, which tries the schedule
    // that loses the wake-up every time; here it happens only now and then.
    let window = Arc::new(Window::new(1));
    let waiter = Arc::clone(&window);
    let took = watchdog("a producer waiting when the run is cancelled", move || {
        let producer = thread::spawn(move || waiter.wait_for_room(1));
        window.cancel();
        producer.join().unwrap()
    });
    assert!(
        !took,
        "cancelled with no room: wait_for_room(1) must return false"
    );
}

#[test]
fn the_error_is_returned() {
    for order in [Order::Input, Order::Completion] {
        let out = watchdog("a failing pipeline", move || {
            collect(
                Config {
                    workers: 3,
                    buffer: 2,
                    order,
                },
                0..100u32,
                |x| {
                    if x == 42 {
                        Err(format!("item {x} is bad"))
                    } else {
                        Ok(x)
                    }
                },
            )
        });
        assert_eq!(out, Err("item 42 is bad".to_string()), "{order:?}");
    }
}

#[test]
fn an_error_stops_the_producer_and_the_workers_early() {
    for (workers, buffer) in [(1, 1), (2, 3), (4, 2)] {
        let config = Config {
            workers,
            buffer,
            order: Order::Input,
        };
        let bound = config.max_in_flight();
        let (pulled, calls, delivered, out) =
            watchdog("a pipeline whose first item fails", move || {
                let pulled = AtomicUsize::new(0);
                let calls = AtomicUsize::new(0);
                let mut delivered = 0;
                let input = (0..1_000_000u32).inspect(|_| {
                    pulled.fetch_add(1, Ordering::SeqCst);
                });
                let out = run(
                    config,
                    input,
                    |x| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        if x == 0 { Err("item 0 failed") } else { Ok(x) }
                    },
                    |_| delivered += 1,
                );
                (pulled.into_inner(), calls.into_inner(), delivered, out)
            });
        assert_eq!(out, Err("item 0 failed"));
        assert_eq!(
            delivered, 0,
            "in input order nothing can be delivered before the failed item 0"
        );
        // Item 0 is never delivered, so the window never moves: a producer that
        // stops at max_in_flight() undelivered items takes at most that many.
        assert!(
            pulled <= bound,
            "the producer took {pulled} of 1,000,000 items after item 0 failed (bound \
             {bound}): on the first error it must stop taking input"
        );
        assert!(
            calls <= bound,
            "f ran {calls} times; the workers must stop on the first error"
        );
    }
}

/// What the sink waits for in the next test: the worker thread has ended, or
/// it has started an item after the failed one.
#[derive(Default)]
struct AfterTheError {
    worker_exited: bool,
    started: Vec<u32>,
}

type Watch = Arc<(Mutex<AfterTheError>, Condvar)>;

/// Dropped when the worker thread that first touched it exits (a thread-local
/// destructor): how the test sees a worker end without any hook in `run`.
struct OnExit(Watch);

impl Drop for OnExit {
    fn drop(&mut self) {
        let (state, changed) = &*self.0;
        state.lock().unwrap().worker_exited = true;
        changed.notify_all();
    }
}

thread_local! {
    static ON_EXIT: RefCell<Option<OnExit>> = const { RefCell::new(None) };
}

#[test]
fn the_failing_worker_cancels_without_waiting_for_a_busy_merger() {
    // One worker, completion order. Item 0 reaches the sink, and the sink
    // (so the merger) stays busy until the worker has either ended or started
    // another item. Item 1 fails meanwhile: the merger cannot see that error
    // yet, so only a worker that cancels the run itself stops here; one that
    // waits for the merger to cancel goes on to item 2.
    let (out, started) = watchdog("a merger busy in the sink while item 1 fails", || {
        let watch: Watch = Arc::default();
        let in_f = Arc::clone(&watch);
        let out = run(
            Config {
                workers: 1,
                buffer: 1,
                order: Order::Completion,
            },
            0..1_000u32,
            move |x| {
                ON_EXIT.with(|slot| {
                    slot.borrow_mut()
                        .get_or_insert_with(|| OnExit(Arc::clone(&in_f)));
                });
                if x >= 2 {
                    let (state, changed) = &*in_f;
                    state.lock().unwrap().started.push(x);
                    changed.notify_all();
                }
                if x == 1 { Err(x) } else { Ok(x) }
            },
            |_| {
                let (state, changed) = &*watch;
                let mut seen = state.lock().unwrap();
                while !seen.worker_exited && seen.started.is_empty() {
                    seen = changed.wait(seen).unwrap();
                }
            },
        );
        let started = std::mem::take(&mut watch.0.lock().unwrap().started);
        (out, started)
    });
    assert_eq!(out, Err(1));
    assert!(
        started.is_empty(),
        "after item 1 failed, the only worker started item(s) {started:?} while the merger \
         was still busy in the sink: the worker that gets an Err must cancel the run itself \
         (Window::cancel) before taking another item; a cancellation made only when the \
         merger receives the error lets every worker run on until then"
    );
}

#[test]
fn in_completion_order_nothing_reaches_the_sink_after_the_error() {
    // Two workers. Item 1 is taken first and held; item 0 then fails, and
    // item 1 finishes only once the worker that failed item 0 has ended, so
    // its result comes after the error. Delivering it (a merger that notes
    // the error and drains the rest) breaks "nothing more reaches the sink".
    let (out, delivered) = watchdog("a result that finishes after the error", || {
        let watch: Watch = Arc::default();
        let in_f = Arc::clone(&watch);
        let mut delivered = Vec::new();
        let out = run(
            Config {
                workers: 2,
                buffer: 2,
                order: Order::Completion,
            },
            0..100u32,
            move |x| {
                let (state, changed) = &*in_f;
                match x {
                    0 => {
                        ON_EXIT.with(|slot| {
                            slot.borrow_mut()
                                .get_or_insert_with(|| OnExit(Arc::clone(&in_f)));
                        });
                        let mut seen = state.lock().unwrap();
                        while !seen.started.contains(&1) {
                            seen = changed.wait(seen).unwrap();
                        }
                        Err(x)
                    }
                    1 => {
                        let mut seen = state.lock().unwrap();
                        seen.started.push(1);
                        changed.notify_all();
                        while !seen.worker_exited {
                            seen = changed.wait(seen).unwrap();
                        }
                        Ok(x)
                    }
                    _ => Ok(x),
                }
            },
            |x| delivered.push(x),
        );
        (out, delivered)
    });
    assert_eq!(out, Err(0));
    assert!(
        delivered.is_empty(),
        "the sink received {delivered:?}, results that finished after item 0 failed: once \
         the merger sees an Err it returns it at once and delivers nothing more"
    );
}

#[test]
fn an_error_while_the_producer_waits_for_room_still_ends_the_run() {
    // Item 0 fails only after the window is full, so the producer is (or soon
    // will be) waiting for a delivery that will never come: cancellation must
    // wake it, not leave it asleep.
    let config = Config {
        workers: 3,
        buffer: 1,
        order: Order::Input,
    };
    let out = watchdog("cancelling a producer that waits for room", move || {
        let processed = Count::default();
        collect(config, 0..10_000usize, |x| {
            if x == 0 {
                processed.wait_until(config.max_in_flight() - 1);
                Err("late failure")
            } else {
                processed.add();
                Ok(x)
            }
        })
    });
    assert_eq!(out, Err("late failure"));
}

#[test]
fn an_error_with_a_full_result_channel_still_ends_the_run() {
    // Every worker is blocked sending a result when the merger stops reading:
    // they must be released (the merger dropping its receiver does it).
    for order in [Order::Input, Order::Completion] {
        let out = watchdog("workers blocked on a full result channel", move || {
            collect(
                Config {
                    workers: 4,
                    buffer: 1,
                    order,
                },
                0..5_000u32,
                |x| {
                    if x == 300 { Err(x) } else { Ok(x) }
                },
            )
        });
        assert_eq!(out, Err(300), "{order:?}");
    }
}

#[test]
fn only_a_prefix_reaches_the_sink_in_input_order() {
    let (out, seen) = watchdog("a failure in the middle", || {
        let mut seen = Vec::new();
        let out = run(
            Config {
                workers: 4,
                buffer: 2,
                order: Order::Input,
            },
            0..1_000u32,
            |x| if x == 37 { Err(x) } else { Ok(x) },
            |x| seen.push(x),
        );
        (out, seen)
    });
    assert_eq!(out, Err(37));
    assert!(
        seen.len() <= 37 && seen.iter().copied().eq(0..seen.len() as u32),
        "in input order the sink may see only items before the failed one, in order; saw {seen:?}"
    );
}

#[test]
fn nothing_runs_after_the_call_returns() {
    struct DropFlag<'a, I>(I, &'a AtomicBool);
    impl<I: Iterator> Iterator for DropFlag<'_, I> {
        type Item = I::Item;
        fn next(&mut self) -> Option<I::Item> {
            self.0.next()
        }
    }
    impl<I> Drop for DropFlag<'_, I> {
        fn drop(&mut self) {
            self.1.store(true, Ordering::SeqCst);
        }
    }
    for order in [Order::Input, Order::Completion] {
        let input_dropped = AtomicBool::new(false);
        let in_f = AtomicUsize::new(0);
        let out = collect(
            Config {
                workers: 4,
                buffer: 2,
                order,
            },
            DropFlag(0..100_000u32, &input_dropped),
            |x| {
                in_f.fetch_add(1, Ordering::SeqCst);
                let r = if x == 500 { Err(x) } else { Ok(x) };
                in_f.fetch_sub(1, Ordering::SeqCst);
                r
            },
        );
        assert_eq!(out, Err(500));
        assert!(
            input_dropped.load(Ordering::SeqCst),
            "the producer still held the input when the call returned: join every thread"
        );
        assert_eq!(
            in_f.load(Ordering::SeqCst),
            0,
            "a worker was still running f after the call returned"
        );
    }
}
