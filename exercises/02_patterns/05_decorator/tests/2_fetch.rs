//! Stage 2: each fetch decorator on its own, over an origin defined here.

use decorator::fetch::{Cache, Fetch, FetchError, Log, Logging, Retry};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

/// An origin server with a script per URL: each call takes the next scripted
/// result; the last one repeats. Unscripted URLs answer `body of <url>`.
#[derive(Default)]
struct Origin {
    script: Mutex<HashMap<String, VecDeque<Result<String, FetchError>>>>,
    calls: Mutex<Vec<String>>,
}

impl Origin {
    fn new() -> Self {
        Self::default()
    }
    fn script(self, url: &str, results: Vec<Result<&str, FetchError>>) -> Self {
        let queue = results.into_iter().map(|r| r.map(str::to_owned)).collect();
        self.script.lock().unwrap().insert(url.to_owned(), queue);
        self
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn calls_to(&self, url: &str) -> usize {
        self.calls().iter().filter(|u| *u == url).count()
    }
}

/// More calls to one URL than any test needs: a retry that never stops fails
/// here with a message instead of spinning until the stage's time limit.
const RUNAWAY_CALLS: usize = 1_000;

impl Fetch for Origin {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let mut calls = self.calls.lock().unwrap();
        calls.push(url.to_owned());
        let to_url = calls.iter().filter(|u| *u == url).count();
        drop(calls);
        assert!(
            to_url <= RUNAWAY_CALLS,
            "the origin was called {to_url} times for {url}: a retry that never stops?"
        );
        let mut script = self.script.lock().unwrap();
        match script.get_mut(url) {
            Some(queue) if queue.len() > 1 => queue.pop_front().unwrap(),
            Some(queue) => queue.front().cloned().unwrap(),
            None => Ok(format!("body of {url}")),
        }
    }
}

fn busy(n: u32) -> FetchError {
    FetchError::Transient(format!("busy {n}"))
}

#[test]
fn fetch_errors_know_whether_to_retry_and_say_what_happened() {
    assert!(busy(1).is_retryable());
    assert!(!FetchError::NotFound.is_retryable());
    assert_eq!(FetchError::NotFound.to_string(), "not found");
    assert_eq!(busy(7).to_string(), "transient: busy 7");
}

#[test]
fn a_log_is_shared_by_its_clones() {
    let log = Log::new();
    let other = log.clone();
    assert!(log.lines().is_empty());
    other.push("one");
    log.push(String::from("two"));
    assert_eq!(log.lines(), ["one", "two"]);
    assert_eq!(other.lines(), log.lines());
}

#[test]
fn logging_writes_one_line_per_call_and_passes_results_through() {
    let log = Log::new();
    let origin = Origin::new().script("/gone", vec![Err(FetchError::NotFound)]);
    let client = Logging::new(origin, log.clone(), "api");
    assert_eq!(client.fetch("/a"), Ok("body of /a".to_owned()));
    assert_eq!(client.fetch("/gone"), Err(FetchError::NotFound));
    assert_eq!(
        log.lines(),
        [
            "[api] /a -> ok (10 bytes)",
            "[api] /gone -> error: not found"
        ],
        "format: `[label] url -> ok (N bytes)` or `[label] url -> error: <error>`"
    );
}

#[test]
fn logging_counts_bytes_not_characters() {
    let log = Log::new();
    let origin = Origin::new().script("/é", vec![Ok("héllo")]);
    Logging::new(origin, log.clone(), "x").fetch("/é").unwrap();
    assert_eq!(log.lines(), ["[x] /é -> ok (6 bytes)"]);
}

#[test]
fn retry_tries_again_after_transient_errors() {
    let origin = Origin::new().script("/a", vec![Err(busy(1)), Err(busy(2)), Ok("A")]);
    let client = Retry::new(origin, 3);
    assert_eq!(client.fetch("/a"), Ok("A".to_owned()));
    // Reach the origin through the decorator's public behaviour only: count calls.
    let origin = Origin::new().script("/a", vec![Err(busy(1)), Err(busy(2)), Ok("A")]);
    let client = Retry::new(&origin, 3);
    client.fetch("/a").unwrap();
    assert_eq!(
        origin.calls_to("/a"),
        3,
        "two failures and a success: three attempts"
    );
}

#[test]
fn retry_stops_at_the_limit_and_returns_the_last_error() {
    let origin = Origin::new().script(
        "/a",
        vec![Err(busy(1)), Err(busy(2)), Err(busy(3)), Ok("too late")],
    );
    let client = Retry::new(&origin, 3);
    assert_eq!(
        client.fetch("/a"),
        Err(busy(3)),
        "after max_attempts failures, return the last error"
    );
    assert_eq!(
        origin.calls_to("/a"),
        3,
        "max_attempts counts every call, the first included: 3 means 3 calls, not 4"
    );
}

#[test]
fn retry_does_not_repeat_permanent_errors() {
    let origin = Origin::new().script("/a", vec![Err(FetchError::NotFound), Ok("never")]);
    let client = Retry::new(&origin, 5);
    assert_eq!(client.fetch("/a"), Err(FetchError::NotFound));
    assert_eq!(
        origin.calls_to("/a"),
        1,
        "NotFound will not change: retrying only adds load"
    );

    let origin = Origin::new().script(
        "/b",
        vec![Err(busy(1)), Err(FetchError::NotFound), Ok("never")],
    );
    let client = Retry::new(&origin, 5);
    assert_eq!(client.fetch("/b"), Err(FetchError::NotFound));
    assert_eq!(origin.calls_to("/b"), 2);
}

#[test]
fn retry_with_one_or_zero_attempts_calls_once() {
    for max in [0, 1] {
        let origin = Origin::new().script("/a", vec![Err(busy(1)), Ok("A")]);
        let client = Retry::new(&origin, max);
        assert_eq!(client.fetch("/a"), Err(busy(1)), "max_attempts = {max}");
        assert_eq!(
            origin.calls_to("/a"),
            1,
            "max_attempts = {max} still makes one attempt"
        );
    }
}

#[test]
fn retry_starts_counting_afresh_for_every_fetch() {
    let origin = Origin::new().script("/a", vec![Err(busy(1)), Ok("A"), Err(busy(2)), Ok("B")]);
    let client = Retry::new(&origin, 2);
    assert_eq!(client.fetch("/a"), Ok("A".to_owned()));
    assert_eq!(
        client.fetch("/a"),
        Ok("B".to_owned()),
        "each fetch gets max_attempts attempts"
    );
    assert_eq!(origin.calls_to("/a"), 4);
}

#[test]
fn cache_answers_repeats_without_calling_the_origin() {
    let origin = Origin::new();
    let cache = Cache::new(&origin);
    assert!(cache.is_empty());
    assert_eq!(cache.fetch("/a"), Ok("body of /a".to_owned()));
    assert_eq!(cache.fetch("/a"), Ok("body of /a".to_owned()));
    assert_eq!(cache.fetch("/b"), Ok("body of /b".to_owned()));
    assert_eq!(cache.fetch("/a"), Ok("body of /a".to_owned()));
    assert_eq!(
        origin.calls(),
        ["/a", "/b"],
        "one origin call per distinct URL"
    );
    assert_eq!(cache.len(), 2);
    assert!(!cache.is_empty());
}

#[test]
fn cache_never_stores_errors() {
    let origin = Origin::new()
        .script("/flaky", vec![Err(busy(1)), Ok("F")])
        .script("/new", vec![Err(FetchError::NotFound), Ok("N")]);
    let cache = Cache::new(&origin);
    assert_eq!(cache.fetch("/flaky"), Err(busy(1)));
    assert_eq!(
        cache.fetch("/flaky"),
        Ok("F".to_owned()),
        "a cached error would keep failing after the origin recovered"
    );
    assert_eq!(cache.fetch("/new"), Err(FetchError::NotFound));
    assert_eq!(
        cache.fetch("/new"),
        Ok("N".to_owned()),
        "a page may appear later"
    );
    assert_eq!(cache.fetch("/flaky"), Ok("F".to_owned()));
    assert_eq!(origin.calls_to("/flaky"), 2);
    assert_eq!(cache.len(), 2, "only the two successes are cached");
}

#[test]
fn invalidate_forgets_one_url() {
    let origin = Origin::new().script("/a", vec![Ok("v1"), Ok("v2")]);
    let cache = Cache::new(&origin);
    assert_eq!(cache.fetch("/a"), Ok("v1".to_owned()));
    cache.fetch("/b").unwrap();
    cache.invalidate("/a");
    cache.invalidate("/never-cached");
    assert_eq!(cache.len(), 1);
    assert_eq!(
        cache.fetch("/a"),
        Ok("v2".to_owned()),
        "after invalidate the origin is asked again"
    );
    assert_eq!(cache.fetch("/b"), Ok("body of /b".to_owned()));
    assert_eq!(origin.calls(), ["/a", "/b", "/a"]);
}

/// An origin whose `/slow` does not answer until `/fast` has been served
/// (or 3 s have passed, so a wrong design fails instead of hanging).
#[derive(Default)]
struct Gate {
    /// (slow started, fast served)
    state: Mutex<(bool, bool)>,
    changed: Condvar,
}

impl Gate {
    /// Blocks until `/slow` is inside the origin (bounded).
    fn wait_for_slow(&self) {
        let guard = self.state.lock().unwrap();
        let _unused = self
            .changed
            .wait_timeout_while(guard, Duration::from_secs(3), |s| !s.0)
            .unwrap();
    }
}

impl Fetch for Gate {
    fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let mut state = self.state.lock().unwrap();
        if url == "/fast" {
            state.1 = true;
            self.changed.notify_all();
            return Ok("fast".into());
        }
        state.0 = true;
        self.changed.notify_all();
        let (state, _) = self
            .changed
            .wait_timeout_while(state, Duration::from_secs(3), |s| !s.1)
            .unwrap();
        Ok(if state.1 {
            "slow, after fast"
        } else {
            "slow, alone"
        }
        .into())
    }
}

#[test]
fn cache_does_not_hold_its_lock_while_the_origin_works() {
    let gate = Arc::new(Gate::default());
    let cache = Arc::new(Cache::new(gate.clone()));
    let slow = {
        let cache = cache.clone();
        thread::spawn(move || cache.fetch("/slow"))
    };
    // While /slow is inside the origin, /fast must go through: a cache that locks
    // its map around the origin call makes every URL wait for the slowest.
    gate.wait_for_slow();
    let fast = cache.fetch("/fast");
    assert_eq!(fast, Ok("fast".to_owned()));
    assert_eq!(
        slow.join().unwrap(),
        Ok("slow, after fast".to_owned()),
        "a fetch of /fast could not run while /slow was being fetched: the cache held \
         its lock across the call to the wrapped service"
    );
    assert_eq!(cache.len(), 2);
}

#[test]
fn fetch_is_implemented_for_boxes_references_and_arcs() {
    let boxed: Box<dyn Fetch> = Box::new(Origin::new());
    assert_eq!(boxed.fetch("/x"), Ok("body of /x".to_owned()));
    let shared: Arc<dyn Fetch + Send + Sync> = Arc::new(Origin::new());
    assert_eq!(
        Retry::new(shared.clone(), 2).fetch("/y"),
        Ok("body of /y".to_owned())
    );
    let origin = Origin::new();
    let by_ref = Cache::new(&origin);
    by_ref.fetch("/z").unwrap();
    assert_eq!(origin.calls(), ["/z"]);
    let wrapped = Logging::new(boxed, Log::new(), "b");
    assert_eq!(wrapped.fetch("/w"), Ok("body of /w".to_owned()));
}
