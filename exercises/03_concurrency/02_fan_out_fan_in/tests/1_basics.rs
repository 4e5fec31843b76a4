//! Stage 1: the pipeline computes what a sequential map computes, on several
//! threads at once.

use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use fan_out_fan_in::{Config, Order, collect, run};
use proptest::prelude::*;

/// Runs `f` on its own thread and fails the test if it takes longer than a
/// few seconds: a hang in a pipeline is a deadlock, and must say so.
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

fn config(workers: usize, buffer: usize, order: Order) -> Config {
    Config {
        workers,
        buffer,
        order,
    }
}

#[test]
fn empty_input_gives_empty_output_and_never_calls_f() {
    let calls = AtomicUsize::new(0);
    for order in [Order::Input, Order::Completion] {
        let out: Result<Vec<u32>, ()> = collect(config(3, 2, order), Vec::<u32>::new(), |x| {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(x)
        });
        assert_eq!(out, Ok(vec![]), "no input, no output ({order:?})");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn one_item_one_result() {
    let out: Result<Vec<String>, ()> = collect(config(4, 1, Order::Input), ["hello"], |s| {
        Ok(s.to_uppercase())
    });
    assert_eq!(out, Ok(vec!["HELLO".to_string()]));
}

#[test]
fn max_in_flight_is_what_the_channels_and_workers_hold() {
    assert_eq!(config(1, 1, Order::Input).max_in_flight(), 3);
    assert_eq!(config(4, 8, Order::Completion).max_in_flight(), 20);
}

#[test]
#[should_panic(expected = "at least one worker")]
fn zero_workers_is_a_bug() {
    let _ = collect(config(0, 4, Order::Input), [1], Ok::<i32, ()>);
}

#[test]
#[should_panic(expected = "capacity of at least one")]
fn zero_buffer_is_a_bug() {
    let _ = collect(config(2, 0, Order::Input), [1], Ok::<i32, ()>);
}

#[test]
fn completion_order_returns_every_result_once() {
    for workers in [1, 2, 3, 8] {
        let out: Vec<u64> = collect(config(workers, 4, Order::Completion), 0..2_000u64, |x| {
            Ok::<_, ()>(x * 2)
        })
        .unwrap();
        assert_eq!(
            out.len(),
            2_000,
            "{workers} workers: one result per input item"
        );
        let distinct: HashSet<u64> = out.iter().copied().collect();
        assert_eq!(
            distinct,
            (0..2_000u64).map(|x| x * 2).collect(),
            "{workers} workers: each result exactly once, none lost or duplicated"
        );
    }
}

#[test]
fn f_and_items_may_borrow_from_the_caller() {
    // No 'static bounds: the pipeline must use scoped threads, which also
    // guarantees every thread is joined before `run` returns.
    let words = ["alpha".to_string(), "beta".to_string(), "gamma".to_string()];
    let suffix = String::from("!");
    let out: Result<Vec<String>, ()> =
        collect(config(2, 1, Order::Input), words.iter(), |w: &String| {
            Ok(format!("{w}{suffix}"))
        });
    assert_eq!(out.unwrap(), ["alpha!", "beta!", "gamma!"]);
}

#[test]
fn the_sink_runs_on_the_calling_thread() {
    // An Rc is not Send: the sink may use it only because it never leaves
    // the caller's thread, where the merger runs.
    let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
    let caller = thread::current().id();
    let s = Rc::clone(&seen);
    run(config(3, 2, Order::Input), 0..10, Ok::<i32, ()>, move |x| {
        assert_eq!(
            thread::current().id(),
            caller,
            "the sink must be called on the caller's thread"
        );
        s.borrow_mut().push(x);
    })
    .unwrap();
    assert_eq!(*seen.borrow(), (0..10).collect::<Vec<_>>());
}

#[test]
fn workers_really_run_side_by_side() {
    for workers in [2, 4] {
        watchdog(
            "items meeting at a barrier (fan-out must be parallel)",
            move || {
                let barrier = Barrier::new(workers);
                let out = collect(config(workers, 1, Order::Input), 0..workers, |x| {
                    barrier.wait();
                    Ok::<_, ()>(x)
                });
                assert_eq!(out, Ok((0..workers).collect::<Vec<_>>()));
            },
        );
    }
}

fn sequential(input: &[u16], fail_mod: Option<u16>) -> Result<Vec<u32>, u16> {
    input.iter().map(|&x| f(x, fail_mod)).collect()
}

fn f(x: u16, fail_mod: Option<u16>) -> Result<u32, u16> {
    match fail_mod {
        Some(m) if x.is_multiple_of(m) => Err(x),
        _ => Ok(u32::from(x) * 3 + 1),
    }
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 96,
        rng_seed: proptest::test_runner::RngSeed::Fixed(204),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn output_matches_a_sequential_map(
        input in proptest::collection::vec(0u16..1_000, 0..120),
        workers in 1usize..=8,
        buffer in 1usize..=4,
        fail_mod in proptest::option::weighted(0.3, 20u16..400),
        in_order in any::<bool>(),
    ) {
        let order = if in_order { Order::Input } else { Order::Completion };
        let expected = sequential(&input, fail_mod);
        let got = collect(config(workers, buffer, order), input.clone(), |x| f(x, fail_mod));
        match (expected, got) {
            (Ok(expected), Ok(got)) if in_order => prop_assert_eq!(
                got, expected, "input order: the output must equal the sequential map"
            ),
            (Ok(mut expected), Ok(mut got)) => {
                expected.sort_unstable();
                got.sort_unstable();
                prop_assert_eq!(got, expected, "completion order: same results, any order");
            }
            (Err(_), Err(e)) => prop_assert!(
                input.contains(&e) && f(e, fail_mod).is_err(),
                "the error returned ({}) must be one that f produced for an input item", e
            ),
            (expected, got) => prop_assert!(
                false,
                "sequential map gave {:?} but the pipeline gave {:?}", expected.map(|v| v.len()), got.map(|v| v.len())
            ),
        }
    }
}
