//! Stage 3: stacks. The same decorators in a different order behave
//! differently, as the crate documents; each layer only sees the calls that
//! get past the layers outside it. Types defined only here join the stack.

use decorator::fetch::{Cache, Fetch, FetchError, Log, Logging, Retry};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// An origin with a script per URL (the last result repeats); unscripted URLs
/// answer `body of <url>`.
#[derive(Default)]
struct Origin {
    script: Mutex<HashMap<String, VecDeque<Result<String, FetchError>>>>,
    calls: AtomicUsize,
}

impl Origin {
    fn with(url: &str, results: Vec<Result<&str, FetchError>>) -> Self {
        let origin = Origin::default();
        let queue = results.into_iter().map(|r| r.map(str::to_owned)).collect();
        origin.script.lock().unwrap().insert(url.to_owned(), queue);
        origin
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// More calls than any test needs: a retry that never stops fails here with a
/// message instead of spinning until the stage's time limit.
const RUNAWAY_CALLS: usize = 1_000;

impl Fetch for Origin {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let calls = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(
            calls <= RUNAWAY_CALLS,
            "the origin was called {calls} times: a retry that never stops?"
        );
        let mut script = self.script.lock().unwrap();
        match script.get_mut(url) {
            Some(queue) if queue.len() > 1 => queue.pop_front().unwrap(),
            Some(queue) => queue.front().cloned().unwrap(),
            None => Ok(format!("body of {url}")),
        }
    }
}

/// A decorator the library has never heard of: counts calls through its layer.
struct Counting<F> {
    inner: F,
    calls: Arc<AtomicUsize>,
}

impl<F: Fetch> Counting<F> {
    fn new(inner: F) -> (Self, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        (
            Counting {
                inner,
                calls: calls.clone(),
            },
            calls,
        )
    }
}

impl<F: Fetch> Fetch for Counting<F> {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.fetch(url)
    }
}

fn busy() -> FetchError {
    FetchError::Transient("busy".into())
}

fn flaky() -> Origin {
    Origin::with("/a", vec![Err(busy()), Err(busy()), Ok("A")])
}

#[test]
fn logging_outside_retry_logs_each_call_once() {
    let log = Log::new();
    let origin = flaky();
    let client = Logging::new(Retry::new(&origin, 3), log.clone(), "outer");
    assert_eq!(client.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(
        log.lines(),
        ["[outer] /a -> ok (1 bytes)"],
        "Logging outside Retry sees one call and its final outcome"
    );
    assert_eq!(origin.calls(), 3);
}

#[test]
fn logging_inside_retry_logs_each_attempt() {
    let log = Log::new();
    let origin = flaky();
    let client = Retry::new(Logging::new(&origin, log.clone(), "inner"), 3);
    assert_eq!(client.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(
        log.lines(),
        [
            "[inner] /a -> error: transient: busy",
            "[inner] /a -> error: transient: busy",
            "[inner] /a -> ok (1 bytes)",
        ],
        "Logging inside Retry sees every attempt"
    );
}

#[test]
fn two_logging_layers_show_the_order_calls_return_in() {
    let log = Log::new();
    let origin = flaky();
    let client = Logging::new(
        Retry::new(Logging::new(&origin, log.clone(), "attempt"), 3),
        log.clone(),
        "call",
    );
    client.fetch("/a").unwrap();
    assert_eq!(
        log.lines(),
        [
            "[attempt] /a -> error: transient: busy",
            "[attempt] /a -> error: transient: busy",
            "[attempt] /a -> ok (1 bytes)",
            "[call] /a -> ok (1 bytes)",
        ],
        "a layer logs after its inner layers return, so inner lines come first"
    );
}

#[test]
fn cache_outside_logging_hides_hits_from_the_log() {
    let log = Log::new();
    let origin = Origin::default();
    let client = Cache::new(Logging::new(&origin, log.clone(), "origin"));
    for _ in 0..3 {
        assert_eq!(client.fetch("/a"), Ok("body of /a".to_owned()));
    }
    assert_eq!(
        log.lines(),
        ["[origin] /a -> ok (10 bytes)"],
        "only the miss reaches Logging"
    );
    assert_eq!(origin.calls(), 1);
}

#[test]
fn logging_outside_cache_logs_hits_too() {
    let log = Log::new();
    let origin = Origin::default();
    let client = Logging::new(Cache::new(&origin), log.clone(), "client");
    for _ in 0..3 {
        client.fetch("/a").unwrap();
    }
    assert_eq!(
        log.lines(),
        vec!["[client] /a -> ok (10 bytes)"; 3],
        "every call is logged"
    );
    assert_eq!(origin.calls(), 1, "but only the first reached the origin");
}

#[test]
fn call_counts_through_every_layer() {
    // top -> Cache -> mid -> Retry(3) -> bottom -> origin
    let origin = Origin::with("/a", vec![Err(busy()), Ok("A")]);
    let (bottom, bottom_calls) = Counting::new(&origin);
    let (mid, mid_calls) = Counting::new(Retry::new(bottom, 3));
    let cache = Cache::new(mid);
    let (top, top_calls) = Counting::new(&cache);
    let counts = || [&top_calls, &mid_calls, &bottom_calls].map(|c| c.load(Ordering::SeqCst));

    assert_eq!(top.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(
        counts(),
        [1, 1, 2],
        "a miss: one call through the cache, two attempts below Retry"
    );
    assert_eq!(top.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(counts(), [2, 1, 2], "a hit stops at the cache");
    cache.invalidate("/a");
    assert_eq!(top.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(
        counts(),
        [3, 2, 3],
        "after invalidate the call goes down again (the origin now succeeds)"
    );
    assert_eq!(origin.calls(), 3);
}

#[test]
fn retry_outside_cache_reaches_the_origin_on_every_failed_attempt() {
    let origin = Origin::with("/a", vec![Err(busy()), Err(busy()), Ok("A")]);
    let (counted, cache_calls) = Counting::new(Cache::new(&origin));
    let client = Retry::new(counted, 5);
    assert_eq!(client.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(cache_calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        origin.calls(),
        3,
        "errors are not cached, so each retry goes to the origin"
    );
    assert_eq!(client.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(origin.calls(), 3, "the success was cached");
}

#[test]
fn a_retry_limit_bounds_the_load_a_failing_origin_sees() {
    let origin = Origin::with("/down", vec![Err(busy())]);
    let client = Cache::new(Retry::new(&origin, 4));
    for _ in 0..5 {
        assert_eq!(client.fetch("/down"), Err(busy()));
    }
    assert_eq!(
        origin.calls(),
        20,
        "5 calls x 4 attempts: the limit holds per call"
    );
}

#[test]
fn a_stack_chosen_at_run_time() {
    let log = Log::new();
    let origin = Arc::new(flaky());
    let mut client: Box<dyn Fetch> = Box::new(origin.clone());
    for layer in ["retry", "log", "cache"] {
        client = match layer {
            "retry" => Box::new(Retry::new(client, 3)),
            "log" => Box::new(Logging::new(client, log.clone(), "rt")),
            "cache" => Box::new(Cache::new(client)),
            other => panic!("unknown layer {other}"),
        };
    }
    assert_eq!(client.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(client.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(log.lines(), ["[rt] /a -> ok (1 bytes)"]);
    assert_eq!(origin.calls(), 3);
}
