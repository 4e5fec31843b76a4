//! Stage 2: a panicking job is contained. Its handle reports the message, its
//! worker lives on, and the pool keeps its full size.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Once};
use std::thread;
use std::time::Duration;

use worker_pool::{JobPanicked, WorkerPool};

/// See stage 1: fail loudly instead of hanging.
fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hung: {what} did not finish in 10 s; did a panicking job kill its worker?")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked (see above)"),
    }
}

/// The jobs below panic on purpose; keep their messages out of the test
/// output, but let every other panic (a failed assertion) print as usual.
fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned());
            let deliberate = match text {
                Some(text) => text.contains("deliberate"),
                None => payload.is::<u32>(),
            };
            if !deliberate {
                default(info);
            }
        }));
    });
}

#[test]
fn join_returns_the_panic_message_of_a_formatted_panic() {
    quiet_deliberate_panics();
    let pool = WorkerPool::new(2, 4).unwrap();
    let handle = pool
        .submit(|| -> u32 { panic!("deliberate failure number {}", 7) })
        .unwrap();
    let outcome = watchdog("joining a panicked job", move || handle.join());
    assert_eq!(
        outcome,
        Err(JobPanicked {
            message: "deliberate failure number 7".to_string()
        }),
        "join must give the panic message of a job that panicked (a String payload)"
    );
}

#[test]
fn join_returns_the_panic_message_of_a_literal_panic() {
    quiet_deliberate_panics();
    let pool = WorkerPool::new(1, 4).unwrap();
    let handle = pool
        .submit(|| -> u32 { panic!("deliberate literal") })
        .unwrap();
    let outcome = watchdog("joining a panicked job", move || handle.join());
    assert_eq!(
        outcome,
        Err(JobPanicked {
            message: "deliberate literal".to_string()
        }),
        "a panic!(\"literal\") carries a &'static str payload, not a String; handle both"
    );
}

#[test]
fn join_reports_a_panic_whose_payload_is_not_a_string() {
    quiet_deliberate_panics();
    let pool = WorkerPool::new(1, 4).unwrap();
    let handle = pool
        .submit(|| -> u32 { std::panic::panic_any(42u32) })
        .unwrap();
    let outcome = watchdog("joining a panicked job", move || handle.join());
    match outcome {
        Err(JobPanicked { message }) => assert!(
            !message.is_empty(),
            "a non-string panic still needs a message saying what happened"
        ),
        Ok(v) => panic!("the job panicked, but join returned Ok({v})"),
    }
}

#[test]
fn a_panic_in_one_job_does_not_affect_the_next() {
    quiet_deliberate_panics();
    let pool = WorkerPool::new(1, 8).unwrap();
    pool.execute(|| panic!("deliberate, from execute")).unwrap();
    let bad = pool
        .submit(|| -> u32 { panic!("deliberate, from submit") })
        .unwrap();
    let good = pool.submit(|| 5u32).unwrap();
    let (bad, good) = watchdog("jobs after a panic on a one-worker pool", move || {
        (bad.join(), good.join())
    });
    assert!(bad.is_err());
    assert_eq!(
        good,
        Ok(5),
        "the only worker ran a panicking job; it must survive and run the next one"
    );
}

#[test]
fn the_pool_keeps_its_size_after_many_panics() {
    quiet_deliberate_panics();
    for workers in [1, 3, 4] {
        let met = Arc::new(AtomicUsize::new(0));
        let m = Arc::clone(&met);
        watchdog(
            "a barrier of `workers` jobs after panics (a worker died with its job?)",
            move || {
                let pool = WorkerPool::new(workers, 64).unwrap();
                // More panics than workers: whichever worker runs them, a pool
                // that loses a thread per panic is left short-handed.
                for i in 0..workers * 3 {
                    pool.execute(move || panic!("deliberate panic {i}"))
                        .unwrap();
                }
                // Then `workers` jobs that can only finish if they run all at once.
                let barrier = Arc::new(Barrier::new(workers));
                for _ in 0..workers {
                    let (barrier, m) = (Arc::clone(&barrier), Arc::clone(&m));
                    pool.execute(move || {
                        barrier.wait();
                        m.fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                }
                pool.shutdown();
            },
        );
        assert_eq!(
            met.load(Ordering::SeqCst),
            workers,
            "after panics, all {workers} workers must still be there to run jobs side by side"
        );
    }
}

#[test]
fn handles_can_be_joined_from_other_threads_in_any_order() {
    let pool = WorkerPool::new(3, 16).unwrap();
    let handles: Vec<_> = (0..10u64)
        .map(|i| pool.submit(move || i + 100).unwrap())
        .collect();
    let joined = watchdog("joining handles on other threads", move || {
        let threads: Vec<_> = handles
            .into_iter()
            .rev()
            .map(|h| thread::spawn(move || h.join().unwrap()))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(joined, (100..110u64).rev().collect::<Vec<_>>());
}
