//! What the stages share: an origin that counts its fetches and body bytes
//! (and can hold fetches open at a gate), a meter to put between two caches,
//! an origin made of a closure, clocks, a Zipf workload and a watchdog.

#![allow(dead_code)] // each stage uses part of it

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use cdn::{Edge, Origin, Request, Response};
use kit::clock::{Clock, ManualClock};
use kit::rng::Rng;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the origin holds for a path.
#[derive(Debug, Clone)]
pub struct Object {
    pub status: u16,
    pub body: Vec<u8>,
    /// Sent with every answer, 200 and 304 alike (Cache-Control, ETag, ...).
    pub headers: Vec<(String, String)>,
    /// The entity tag, if the origin validates this object.
    pub etag: Option<String>,
    /// If true, each fetch's body ends in `#n`, n counting this path's
    /// fetches from 1: every answer is different, as a personalised page is.
    pub numbered: bool,
}

/// The test's origin: a map of paths to objects that counts every fetch, the
/// conditional ones, the 304s and the body bytes it sends, and logs every
/// request it receives.
///
/// An honest origin: it answers `If-None-Match` with a 304 (no body, the
/// object's headers) when the tag matches the object's current ETag, and an
/// unknown path with a 404 that has no Cache-Control.
///
/// Fetches of a gated path block until `open_gate`, after reading the object
/// (a response already on its way: whatever is published meanwhile, this
/// fetch answers with what was there when it started).
#[derive(Default)]
pub struct StubOrigin {
    objects: Mutex<HashMap<String, Object>>,
    versions: Mutex<HashMap<String, u32>>,
    log: Mutex<Vec<Request>>,
    per_path: Mutex<HashMap<String, usize>>,
    fetches: AtomicUsize,
    conditional: AtomicUsize,
    not_modified: AtomicUsize,
    bytes: AtomicUsize,
    gated: Mutex<HashSet<String>>,
    open: Mutex<bool>,
    opened: Condvar,
    /// The next this-many fetches panic (after the gate).
    panics: AtomicUsize,
}

impl StubOrigin {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Publishes `body` at `path` with `Cache-Control: cache_control` and a
    /// new ETag (`"<path>-v<n>"`, n counting this path's publications).
    /// Returns the ETag.
    pub fn publish(&self, path: &str, body: &str, cache_control: &str) -> String {
        let n = {
            let mut versions = lock(&self.versions);
            let n = versions.entry(path.to_owned()).or_default();
            *n += 1;
            *n
        };
        let etag = format!("\"{path}-v{n}\"");
        self.put(
            path,
            Object {
                status: 200,
                body: body.as_bytes().to_vec(),
                headers: vec![
                    ("Cache-Control".into(), cache_control.into()),
                    ("ETag".into(), etag.clone()),
                ],
                etag: Some(etag.clone()),
                numbered: false,
            },
        );
        etag
    }

    /// Publishes `body` at `path` with `Cache-Control: cache_control` and no
    /// ETag: a cache can only refetch it in full.
    pub fn publish_without_etag(&self, path: &str, body: &str, cache_control: &str) {
        self.put(
            path,
            Object {
                status: 200,
                body: body.as_bytes().to_vec(),
                headers: vec![("Cache-Control".into(), cache_control.into())],
                etag: None,
                numbered: false,
            },
        );
    }

    /// Sets one more header on what `path` sends (the object must exist).
    pub fn add_header(&self, path: &str, name: &str, value: &str) {
        let mut objects = lock(&self.objects);
        let object = objects
            .get_mut(path)
            .expect("add_header on a published path");
        object
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        object.headers.push((name.into(), value.into()));
    }

    /// Replaces the Cache-Control of `path`, keeping its body and ETag (a
    /// policy change, not a new version).
    pub fn set_cache_control(&self, path: &str, cache_control: &str) {
        self.add_header(path, "Cache-Control", cache_control);
    }

    pub fn put(&self, path: &str, object: Object) {
        lock(&self.objects).insert(path.to_owned(), object);
    }

    /// Makes fetches of `path` block until `open_gate`.
    pub fn gate(&self, path: &str) {
        *lock(&self.open) = false;
        lock(&self.gated).insert(path.to_owned());
    }

    pub fn open_gate(&self) {
        *lock(&self.open) = true;
        self.opened.notify_all();
    }

    /// The next `n` fetches panic (after passing the gate).
    pub fn panic_next(&self, n: usize) {
        self.panics.store(n, Ordering::SeqCst);
    }

    /// Fetches started, of every kind.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Fetches of `path` started.
    pub fn fetches_of(&self, path: &str) -> usize {
        lock(&self.per_path).get(path).copied().unwrap_or(0)
    }

    /// Fetches that carried If-None-Match.
    pub fn conditional_fetches(&self) -> usize {
        self.conditional.load(Ordering::SeqCst)
    }

    /// 304s sent.
    pub fn not_modified(&self) -> usize {
        self.not_modified.load(Ordering::SeqCst)
    }

    /// Body bytes sent, over all answers.
    pub fn body_bytes(&self) -> usize {
        self.bytes.load(Ordering::SeqCst)
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.log).clone()
    }

    /// The last request received.
    pub fn last_request(&self) -> Request {
        lock(&self.log)
            .last()
            .cloned()
            .expect("the origin received a request")
    }
}

/// The origin's own (simple, weak) If-None-Match comparison.
fn origin_matches(if_none_match: &str, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || strip(t) == strip(etag))
}

impl Origin for StubOrigin {
    fn fetch(&self, request: &Request) -> Response {
        lock(&self.log).push(request.clone());
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let n = {
            let mut per_path = lock(&self.per_path);
            let n = per_path.entry(request.path.clone()).or_default();
            *n += 1;
            *n
        };
        let if_none_match = request.header("If-None-Match").map(str::to_owned);
        if if_none_match.is_some() {
            self.conditional.fetch_add(1, Ordering::SeqCst);
        }
        let object = lock(&self.objects).get(&request.path).cloned();
        if lock(&self.gated).contains(&request.path) {
            let mut open = lock(&self.open);
            while !*open {
                open = self
                    .opened
                    .wait(open)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
        let panic_now = self
            .panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if panic_now {
            panic!("the origin fell over (a fetch that panics, on purpose)");
        }
        let Some(object) = object else {
            let response = Response::new(404);
            let body = b"not found".to_vec();
            self.bytes.fetch_add(body.len(), Ordering::SeqCst);
            return Response { body, ..response };
        };
        let mut response = Response::new(object.status);
        for (name, value) in &object.headers {
            response.headers.set(name, value.clone());
        }
        let unchanged = match (&if_none_match, &object.etag) {
            (Some(inm), Some(etag)) => origin_matches(inm, etag),
            _ => false,
        };
        if unchanged && object.status == 200 {
            self.not_modified.fetch_add(1, Ordering::SeqCst);
            response.status = 304;
            return response;
        }
        let mut body = object.body.clone();
        if object.numbered {
            body.extend_from_slice(format!("#{n}").as_bytes());
        }
        self.bytes.fetch_add(body.len(), Ordering::SeqCst);
        response.body = body;
        response
    }
}

/// Opens the origin's gate when dropped, so that a failing test never leaves
/// its threads blocked in a fetch.
pub struct OpenOnDrop(pub Arc<StubOrigin>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open_gate();
    }
}

/// Sits between a cache and what it fetches from, and counts: fetches,
/// conditional ones, 304s received, body bytes received; and logs the
/// requests and the responses.
pub struct Meter<O> {
    inner: O,
    fetches: AtomicUsize,
    conditional: AtomicUsize,
    not_modified: AtomicUsize,
    bytes: AtomicUsize,
    log: Mutex<Vec<(Request, Response)>>,
}

impl<O> Meter<O> {
    pub fn new(inner: O) -> Arc<Self> {
        Arc::new(Self {
            inner,
            fetches: AtomicUsize::new(0),
            conditional: AtomicUsize::new(0),
            not_modified: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        })
    }
    pub fn inner(&self) -> &O {
        &self.inner
    }
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
    pub fn conditional_fetches(&self) -> usize {
        self.conditional.load(Ordering::SeqCst)
    }
    pub fn not_modified(&self) -> usize {
        self.not_modified.load(Ordering::SeqCst)
    }
    pub fn body_bytes(&self) -> usize {
        self.bytes.load(Ordering::SeqCst)
    }
    pub fn log(&self) -> Vec<(Request, Response)> {
        lock(&self.log).clone()
    }
}

impl<O: Origin> Origin for Meter<O> {
    fn fetch(&self, request: &Request) -> Response {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if request.header("If-None-Match").is_some() {
            self.conditional.fetch_add(1, Ordering::SeqCst);
        }
        let response = self.inner.fetch(request);
        if response.status == 304 {
            self.not_modified.fetch_add(1, Ordering::SeqCst);
        }
        self.bytes.fetch_add(response.body.len(), Ordering::SeqCst);
        lock(&self.log).push((request.clone(), response.clone()));
        response
    }
}

type Answer = Box<dyn FnMut(&Request) -> Response + Send>;

/// An origin made of a closure, for answers the stub does not give; it
/// counts its calls.
pub struct FnOrigin {
    answer: Mutex<Answer>,
    calls: AtomicUsize,
}

impl FnOrigin {
    pub fn new(answer: impl FnMut(&Request) -> Response + Send + 'static) -> Arc<Self> {
        Arc::new(Self {
            answer: Mutex::new(Box::new(answer)),
            calls: AtomicUsize::new(0),
        })
    }
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Origin for FnOrigin {
    fn fetch(&self, request: &Request) -> Response {
        self.calls.fetch_add(1, Ordering::SeqCst);
        (lock(&self.answer))(request)
    }
}

/// A manual clock (monotonic time zero), and the same clock as the caches
/// take it.
pub fn clock() -> (ManualClock, Arc<dyn Clock>) {
    let clock = ManualClock::new(1_700_000_000_000);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    (clock, shared)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub const NS: Duration = Duration::from_nanos(1);

/// An edge straight in front of `origin`, with its clock.
pub fn edge_over(origin: &Arc<StubOrigin>) -> (ManualClock, Edge<Arc<StubOrigin>>) {
    let (manual, shared) = clock();
    (manual, Edge::new(Arc::clone(origin), shared))
}

/// The X-Cache of a response ("" if absent).
pub fn x_cache(response: &Response) -> &str {
    response.header("X-Cache").unwrap_or("")
}

/// The Age of a response, as a number.
pub fn age(response: &Response) -> u64 {
    response
        .header("Age")
        .unwrap_or_else(|| panic!("a response served from a cache carries Age: {response:?}"))
        .parse()
        .expect("Age is a whole number of seconds")
}

pub fn body(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// Zipf's law over `0..n`: `i` is drawn with probability proportional to
/// `1 / (i + 1)^s`.
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let weights: Vec<f64> = (1..=n).map(|i| 1.0 / (i as f64).powf(s)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cdf = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        Self { cdf }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit_f64();
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

/// Runs `f` on its own thread and fails the test if it takes longer than
/// `secs` seconds: a deadlock must fail with a message, not freeze the run.
pub fn watchdog<T: Send + 'static>(
    secs: u64,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hung: {what} did not finish in {secs} s")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked (see above)"),
    }
}

/// Spins (yielding) until `ready()`; fails after 5 s with `explain()`.
pub fn wait_until(ready: impl Fn() -> bool, explain: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ready() {
        assert!(Instant::now() < deadline, "{}", explain());
        thread::yield_now();
    }
}
