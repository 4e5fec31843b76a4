//! CDN: edge caches, revalidation, an origin shield and purges.
//!
//! HTTP is modelled as three small types ([`Request`], [`Response`] and
//! [`Headers`], given), and every cache talks to what is behind it through the
//! [`Origin`] trait, so the tests put an origin that counts its fetches and
//! bytes behind your caches. Build, in this order (the stages follow it):
//!
//! - [`CacheControl::parse`]: the `Cache-Control` directives a shared cache
//!   needs, and which of them decide freshness ([`CacheControl::shared_lifetime`]:
//!   `s-maxage` wins over `max-age`) and storability.
//! - [`Edge`]: a shared cache. A fresh stored response is a hit; a stale one
//!   is revalidated with `If-None-Match` (a `304` carries no body);
//!   `stale-while-revalidate` serves it stale and queues a background
//!   revalidation; `private` and `no-store` responses are never stored.
//! - Request collapsing: an [`Edge`] is shared by threads, and however many
//!   requests miss on one path at once, one upstream fetch serves them all.
//! - The origin shield: an [`Edge`] is itself an [`Origin`], so edges can sit
//!   in front of one shield cache that sits in front of the origin.
//! - [`Cdn`]: edges plus a shield, with purges that reach every cache and
//!   [`Router`] for nearest-edge routing with failover.
//!
//! Time is seconds on an injected [`Clock`] (its monotonic reading): no
//! wall clock, no `Date` or `Expires` headers. Collapsing is tested with real
//! threads and an origin that holds its fetches open until every request is
//! either fetching or waiting ([`Edge::waiters`]); no sleeps. Read README.md
//! first. The private fields are a suggestion; the public API is fixed.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use cdn::{Edge, Origin, Request, Response};
//! use kit::clock::ManualClock;
//!
//! struct Hello;
//! impl Origin for Hello {
//!     fn fetch(&self, _: &Request) -> Response {
//!         Response::ok("hello").with_header("Cache-Control", "max-age=60")
//!     }
//! }
//!
//! let clock = ManualClock::new(0);
//! let edge = Edge::new(Hello, Arc::new(clock.clone()));
//! let first = edge.get(&Request::get("/"));
//! assert_eq!(first.header("X-Cache"), Some("MISS"));
//! clock.advance(Duration::from_secs(59));
//! let second = edge.get(&Request::get("/"));
//! assert_eq!(second.header("X-Cache"), Some("HIT"));
//! assert_eq!(second.header("Age"), Some("59"));
//! assert_eq!(second.body, b"hello");
//! ```

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use kit::clock::Clock;

// ---------------------------------------------------------------------------
// HTTP as small types
// ---------------------------------------------------------------------------

// Given: the header names this crate reads and writes.

/// Freshness and storability directives.
pub const CACHE_CONTROL: &str = "Cache-Control";
/// Seconds the response has already spent in caches (RFC 9111 §5.1).
pub const AGE: &str = "Age";
/// The validator of a response: an entity tag such as `"v1"` or `W/"v1"`.
pub const ETAG: &str = "ETag";
/// A conditional request: "send the body only if it is none of these tags".
pub const IF_NONE_MATCH: &str = "If-None-Match";
/// Space-separated tags for purging groups of responses (Fastly's name).
pub const SURROGATE_KEY: &str = "Surrogate-Key";
/// How an [`Edge`] answered: one of the [`CacheStatus`] texts.
pub const X_CACHE: &str = "X-Cache";

// Given: header fields with case-insensitive names.

/// Header fields: one value per name, names compared case-insensitively
/// (`etag` finds `ETag`), in the order they were first set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

impl Headers {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.fields[i].1.as_str())
    }

    /// True if `name` is set.
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Sets `name` to `value`, replacing any value it had (in place).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.position(name) {
            Some(i) => self.fields[i].1 = value,
            None => self.fields.push((name.to_owned(), value)),
        }
    }

    /// Removes `name`, returning its value if it was set.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.position(name).map(|i| self.fields.remove(i).1)
    }

    /// The fields, as `(name, value)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True if no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

// Given: a request is a path and headers (every request is a GET).

/// A GET request. The path includes the query string: `/app.js?v=2`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The path and query, exactly as the client sent them: the cache key.
    pub path: String,
    /// The request's header fields.
    pub headers: Headers,
}

impl Request {
    /// A GET of `path` with no headers.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            headers: Headers::new(),
        }
    }

    /// This request with `name` set to `value`.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// The value of header `name`, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }
}

// Given: a response is a status, headers and a body.

/// A response: status code, header fields and body bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code: 200, 304, 404, ...
    pub status: u16,
    /// The response's header fields.
    pub headers: Headers,
    /// The body; empty for a `304 Not Modified`.
    pub body: Vec<u8>,
}

impl Response {
    /// A response of `status` with no headers and no body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// A `200 OK` carrying `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self {
            body: body.into(),
            ..Self::new(200)
        }
    }

    /// This response with `name` set to `value`.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// The value of header `name`, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }
}

// Given: what sits behind a cache.

/// Whatever answers a cache's misses: the origin server, or another cache
/// (an [`Edge`] is an `Origin`, which is how a shield tier is built). Tests
/// supply one that counts every fetch and every body byte it sends, so "a hit
/// makes no fetch" and "a revalidation moves no body" are exact assertions.
pub trait Origin: Send + Sync {
    /// Answers `request`.
    fn fetch(&self, request: &Request) -> Response;
}

impl<T: Origin + ?Sized> Origin for &T {
    fn fetch(&self, request: &Request) -> Response {
        (**self).fetch(request)
    }
}

impl<T: Origin + ?Sized> Origin for Arc<T> {
    fn fetch(&self, request: &Request) -> Response {
        (**self).fetch(request)
    }
}

impl<T: Origin + ?Sized> Origin for Box<T> {
    fn fetch(&self, request: &Request) -> Response {
        (**self).fetch(request)
    }
}

/// Locks ignoring poison: no critical section in this crate can panic half
/// way through an update (upstream fetches run outside every lock).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------
// Stage 1: Cache-Control
// ---------------------------------------------------------------------------

/// The largest number of seconds a directive holds: RFC 9111 §1.2.2 says a
/// larger delta-seconds value is taken as 2^31.
pub const MAX_DELTA_SECONDS: u64 = 1 << 31;

/// The directives of a `Cache-Control` header that a shared cache acts on.
///
/// The grammar subset [`parse`](Self::parse) accepts (after RFC 9111 §5.2):
///
/// ```text
/// cache-control = element *( "," element )      ; empty elements are skipped
/// element       = OWS [ name [ OWS "=" OWS value ] ] OWS
/// name          = 1*tchar                       ; case-insensitive
/// value         = token / quoted-string         ; "\x" in a quoted-string is x
/// OWS           = *( SP / HTAB )
/// tchar         = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*"
///               / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
/// ```
///
/// - A comma inside a quoted-string does not end the element
///   (`private="a, b", max-age=5` is two directives). A quote that never
///   closes runs to the end of the header.
/// - A name that is not one of the known directives below (a misspelling,
///   or one with characters outside `tchar`) is ignored.
/// - Known directives: `public`, `private`, `no-store`, `no-cache`,
///   `must-revalidate`, `proxy-revalidate` (flags: set if present, whatever
///   their value, so `private="Set-Cookie"` is `private`), and `max-age`,
///   `s-maxage`, `stale-while-revalidate` (seconds). Others are ignored.
/// - Seconds are `1*DIGIT`, bare or quoted (`max-age="60"` is 60). A missing
///   or malformed value (`max-age`, `max-age=`, `max-age=-1`, `max-age=5s`)
///   is 0: stale at once, the safe reading. A value above
///   [`MAX_DELTA_SECONDS`] is [`MAX_DELTA_SECONDS`].
/// - A directive given twice keeps its first value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheControl {
    /// `public`: parsed; it changes nothing here (it lets shared caches store
    /// responses to requests with `Authorization`, which is not modelled).
    pub public: bool,
    /// `private`: for one user only; a shared cache must not store it.
    pub private: bool,
    /// `no-store`: no cache may store it.
    pub no_store: bool,
    /// `no-cache`: may be stored, but must be revalidated before every use.
    pub no_cache: bool,
    /// `must-revalidate`: once stale, never served without revalidating.
    pub must_revalidate: bool,
    /// `proxy-revalidate`: `must-revalidate` for shared caches only.
    pub proxy_revalidate: bool,
    /// `max-age=N`: fresh for N seconds, for every cache.
    pub max_age: Option<u64>,
    /// `s-maxage=N`: fresh for N seconds in shared caches (a CDN), overriding
    /// `max-age` there.
    pub s_maxage: Option<u64>,
    /// `stale-while-revalidate=N` (RFC 5861): for N seconds after going
    /// stale, serve the stale copy at once and revalidate in the background.
    pub stale_while_revalidate: Option<u64>,
}

impl CacheControl {
    /// Parses a `Cache-Control` value by the grammar and rules above. Never
    /// panics: whatever cannot be read is skipped or taken as 0 seconds.
    pub fn parse(value: &str) -> Self {
        let mut cc = Self::default();
        for element in split_list(value) {
            let Some((name, value)) = directive(element) else {
                continue;
            };
            match name.to_ascii_lowercase().as_str() {
                "public" => cc.public = true,
                "private" => cc.private = true,
                "no-store" => cc.no_store = true,
                "no-cache" => cc.no_cache = true,
                "must-revalidate" => cc.must_revalidate = true,
                "proxy-revalidate" => cc.proxy_revalidate = true,
                "max-age" => {
                    cc.max_age
                        .get_or_insert_with(|| delta_seconds(value.as_deref()));
                }
                "s-maxage" => {
                    cc.s_maxage
                        .get_or_insert_with(|| delta_seconds(value.as_deref()));
                }
                "stale-while-revalidate" => {
                    cc.stale_while_revalidate
                        .get_or_insert_with(|| delta_seconds(value.as_deref()));
                }
                _ => {}
            }
        }
        cc
    }

    /// The `Cache-Control` of `headers`: parsed if present, all directives
    /// absent otherwise.
    pub fn of(headers: &Headers) -> Self {
        headers
            .get(CACHE_CONTROL)
            .map(Self::parse)
            .unwrap_or_default()
    }

    /// How long a shared cache may treat the response as fresh, in seconds:
    /// `s-maxage` if present (even when it is shorter than `max-age`), else
    /// `max-age`, else `None` (no heuristic freshness here).
    pub fn shared_lifetime(&self) -> Option<u64> {
        self.s_maxage.or(self.max_age)
    }

    /// True if a shared cache may store the response: neither `no-store` nor
    /// `private`, and either a lifetime ([`shared_lifetime`](Self::shared_lifetime))
    /// or `no-cache` (stored, revalidated on every use). The status code is
    /// the cache's business, not this method's.
    pub fn shared_storable(&self) -> bool {
        !self.no_store && !self.private && (self.shared_lifetime().is_some() || self.no_cache)
    }
}

/// The elements of a comma-separated list, commas inside quoted-strings
/// (with `\` escapes) not counting.
fn split_list(value: &str) -> Vec<&str> {
    let mut elements = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted {
            match c {
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
        } else if c == '"' {
            quoted = true;
        } else if c == ',' {
            elements.push(&value[start..i]);
            start = i + 1;
        }
    }
    elements.push(&value[start..]);
    elements
}

fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// One element as `(name, value)`: `None` if it has no name (a name that
/// is not a token can match no known directive, so it needs no check). The value is unquoted if it is a well-formed quoted-string, and
/// left as written otherwise (a malformed value then fails as a number).
fn directive(element: &str) -> Option<(&str, Option<String>)> {
    let element = trim_ows(element);
    let (name, value) = match element.split_once('=') {
        Some((name, value)) => (trim_ows(name), Some(trim_ows(value))),
        None => (element, None),
    };
    if name.is_empty() {
        return None;
    }
    Some((
        name,
        value.map(|v| unquote(v).unwrap_or_else(|| v.to_owned())),
    ))
}

/// The content of `s` if all of it is one quoted-string.
fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().is_empty().then_some(out),
            c => out.push(c),
        }
    }
    None
}

/// Seconds from a directive's value: `1*DIGIT`, capped; anything else is 0.
fn delta_seconds(value: Option<&str>) -> u64 {
    match value {
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => v
            .parse::<u64>()
            .map_or(MAX_DELTA_SECONDS, |n| n.min(MAX_DELTA_SECONDS)),
        _ => 0,
    }
}

// ---------------------------------------------------------------------------
// Entity tags (stage 3)
// ---------------------------------------------------------------------------

/// True if an `If-None-Match` value matches the entity tag `etag`, by the
/// weak comparison of RFC 9110 §13.1.2: `*` matches any tag; otherwise the
/// value is a comma-separated list of tags (commas inside a quoted tag do
/// not split it), and a tag matches if it equals `etag` once a leading `W/`
/// is dropped from both (`W/"v1"` matches `"v1"`; `"v1"` does not match
/// `"v2"`). Surrounding whitespace is ignored; empty list elements match
/// nothing.
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    fn opaque(tag: &str) -> &str {
        let tag = trim_ows(tag);
        tag.strip_prefix("W/").unwrap_or(tag)
    }
    let etag = opaque(etag);
    split_list(if_none_match).into_iter().any(|candidate| {
        let candidate = trim_ows(candidate);
        candidate == "*" || (!candidate.is_empty() && opaque(candidate) == etag)
    })
}

// ---------------------------------------------------------------------------
// Stage 2 on: the edge cache
// ---------------------------------------------------------------------------

/// How an [`Edge`] answered a request, sent to the client in the `X-Cache`
/// header (the texts are [`as_str`](Self::as_str)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheStatus {
    /// `HIT`: a fresh stored response; no upstream fetch.
    Hit,
    /// `MISS`: fetched upstream (nothing stored, or a stale copy that could
    /// not be revalidated, or revalidation answered with a new body) and stored.
    Miss,
    /// `STALE`: a stale stored response served within its
    /// `stale-while-revalidate` window; a background revalidation is queued.
    Stale,
    /// `REVALIDATED`: a stale stored response that upstream confirmed with a
    /// `304`; it is fresh again.
    Revalidated,
    /// `PASS`: upstream's response handed on without storing it (not a 200,
    /// or not storable by [`CacheControl::shared_storable`]).
    Pass,
}

impl CacheStatus {
    /// `"HIT"`, `"MISS"`, `"STALE"`, `"REVALIDATED"` or `"PASS"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "HIT",
            Self::Miss => "MISS",
            Self::Stale => "STALE",
            Self::Revalidated => "REVALIDATED",
            Self::Pass => "PASS",
        }
    }
}

/// A shared HTTP cache (RFC 9111) in front of `upstream`: a CDN edge, or with
/// edges in front of it, the origin shield.
///
/// **Storing.** A response is stored under the request's full path (query
/// included: `/a?v=1` and `/a?v=2` are two keys) if its status is 200 and
/// [`CacheControl::shared_storable`] says so. Any other response is handed
/// on with `X-Cache: PASS` and removes what was stored for the path. There
/// is no capacity limit. The `Cache-Control` on requests is ignored, as most
/// CDNs do by default.
///
/// **Age and freshness**, in whole seconds, rounded down: a response's age
/// is the `Age` header it arrived with (0 if absent or not a number) plus the
/// time since it arrived. It is fresh while `age < lifetime`, the lifetime
/// being [`CacheControl::shared_lifetime`] (`s-maxage` over `max-age`), or 0
/// under `no-cache`. So a response with `max-age=60` and no `Age` is fresh
/// until one nanosecond before 60 s and stale at exactly 60 s; one that
/// arrives from a shield with `Age: 50` is stale 10 s later.
///
/// **Answering.** Every response served from a stored copy carries the
/// stored headers with `Age` set to its current age and `X-Cache` set (see
/// [`CacheStatus`]); if the client's `If-None-Match` matches the stored
/// `ETag` by [`etag_matches`], the answer is a `304` with those headers and
/// no body. For a request it must send upstream, the edge forwards the
/// client's headers without its `If-None-Match` (the edge validates its own
/// copy, not the client's): a fresh fill is unconditional, and a stale copy
/// with an `ETag` is revalidated with `If-None-Match: <stored ETag>`.
///
/// **Revalidation.** A `304` answer refreshes the stored copy: every header
/// of the `304` replaces the stored one of that name (the stored `Age` is
/// dropped first), the body stays, and the copy counts as newly arrived. A
/// stale copy without an `ETag` is refetched in full. A 200 replaces it.
///
/// **Stale-while-revalidate.** A stale copy whose age is below lifetime +
/// `stale-while-revalidate` is served at once (`STALE`) and its path queued,
/// once, for [`run_background`](Self::run_background) — unless the response
/// said `no-cache`, `must-revalidate` or `proxy-revalidate`, which forbid
/// serving it stale. Past that window the request revalidates before it is
/// answered.
///
/// **Collapsing.** Concurrent requests that must go upstream for the same
/// path make one fetch: the first fetches, without holding any lock (other
/// paths are served meanwhile), and the rest wait ([`waiters`](Self::waiters))
/// and are answered from its stored result, each by its own `If-None-Match`,
/// with the leader's `X-Cache`. If the result was not stored (`PASS`) or the
/// fetch panicked, the waiters each go upstream for themselves: a private
/// response is never handed to another client.
///
/// **Purging.** [`purge`](Self::purge) removes a path's copy and detaches
/// any fetch of it in flight, whose result then goes to the requests waiting
/// for it but is not stored. [`purge_tag`](Self::purge_tag) removes the
/// stored copies whose `Surrogate-Key` lists the tag.
pub struct Edge<O> {
    upstream: O,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    waiters: AtomicUsize,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// One fetch in flight per path; `Arc::ptr_eq` tells a leader whether a
    /// purge has detached its flight.
    flights: HashMap<String, Arc<Flight>>,
    /// Paths queued by stale-while-revalidate, with the request that queued
    /// each (its headers go upstream with the revalidation).
    pending: BTreeMap<String, Request>,
}

/// A stored response and what its freshness depends on.
#[derive(Debug, Clone)]
struct Entry {
    response: Response,
    control: CacheControl,
    /// Monotonic time of arrival.
    arrived: Duration,
    /// The `Age` it arrived with, in seconds.
    age_on_arrival: u64,
    /// Its `Surrogate-Key` tags.
    tags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    Fresh,
    /// Stale, inside the stale-while-revalidate window.
    ServeStale,
    Stale,
}

impl Entry {
    fn new(response: Response, now: Duration) -> Self {
        let age_on_arrival = response
            .header(AGE)
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or(0);
        let tags = response
            .header(SURROGATE_KEY)
            .map(|keys| keys.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        Self {
            control: CacheControl::of(&response.headers),
            response,
            arrived: now,
            age_on_arrival,
            tags,
        }
    }

    fn age(&self, now: Duration) -> u64 {
        self.age_on_arrival
            .saturating_add(now.saturating_sub(self.arrived).as_secs())
    }

    fn freshness(&self, now: Duration) -> Freshness {
        let cc = &self.control;
        let age = self.age(now);
        let lifetime = if cc.no_cache {
            0
        } else {
            cc.shared_lifetime().unwrap_or(0)
        };
        if age < lifetime {
            return Freshness::Fresh;
        }
        let may_serve_stale = !(cc.no_cache || cc.must_revalidate || cc.proxy_revalidate);
        match cc.stale_while_revalidate {
            Some(window) if may_serve_stale && age < lifetime.saturating_add(window) => {
                Freshness::ServeStale
            }
            _ => Freshness::Stale,
        }
    }

    fn etag(&self) -> Option<&str> {
        self.response.header(ETAG)
    }

    /// The answer to `request` from this copy: a 304 if its If-None-Match
    /// matches, with Age and X-Cache set.
    fn serve(&self, request: &Request, status: CacheStatus, now: Duration) -> Response {
        let not_modified = request
            .header(IF_NONE_MATCH)
            .is_some_and(|inm| etag_matches(inm, self.etag().unwrap_or("")));
        let mut response = if not_modified {
            Response {
                status: 304,
                headers: self.response.headers.clone(),
                body: Vec::new(),
            }
        } else {
            self.response.clone()
        };
        response.headers.set(AGE, self.age(now).to_string());
        response.headers.set(X_CACHE, status.as_str());
        response
    }
}

/// One upstream fetch in progress; its waiters sleep on `done`.
#[derive(Debug, Default)]
struct Flight {
    outcome: Mutex<Outcome>,
    done: Condvar,
}

#[derive(Debug, Default)]
enum Outcome {
    #[default]
    Fetching,
    /// The fetched copy, to answer every waiter from.
    Shared(Box<Entry>, CacheStatus),
    /// Nothing to share (passed, panicked, or a 304 for a purged copy): each
    /// waiter starts over.
    Retry,
}

impl Flight {
    fn finish(&self, outcome: Outcome) {
        *lock(&self.outcome) = outcome;
        self.done.notify_all();
    }

    /// Waits for the fetch: the shared copy, or `None` to start over.
    fn wait(&self) -> Option<(Entry, CacheStatus)> {
        let mut outcome = lock(&self.outcome);
        loop {
            match &*outcome {
                Outcome::Fetching => {
                    outcome = self
                        .done
                        .wait(outcome)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Outcome::Shared(entry, status) => return Some(((**entry).clone(), *status)),
                Outcome::Retry => return None,
            }
        }
    }
}

/// What a request that cannot be answered from the store does next.
enum Role {
    /// Fetch, revalidating the stored copy's ETag if there is one.
    Lead(Arc<Flight>, Option<String>),
    /// Wait for the fetch in flight.
    Follow(Arc<Flight>),
}

/// Armed while a leader fetches: if the fetch unwinds, it detaches the
/// flight and wakes the waiters so that they start over.
struct Abandon<'a> {
    state: &'a Mutex<State>,
    path: &'a str,
    flight: &'a Arc<Flight>,
    armed: bool,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        {
            let mut state = lock(self.state);
            if state
                .flights
                .get(self.path)
                .is_some_and(|f| Arc::ptr_eq(f, self.flight))
            {
                state.flights.remove(self.path);
            }
        }
        self.flight.finish(Outcome::Retry);
    }
}

impl<O: Origin> Edge<O> {
    /// An empty cache in front of `upstream`, reading time from `clock`.
    pub fn new(upstream: O, clock: Arc<dyn Clock>) -> Self {
        Self {
            upstream,
            clock,
            state: Mutex::new(State::default()),
            waiters: AtomicUsize::new(0),
        }
    }

    /// What this cache fetches from.
    pub fn upstream(&self) -> &O {
        &self.upstream
    }

    /// Answers `request` by the rules above: from the store when it may,
    /// otherwise with at most one upstream fetch per path at a time.
    pub fn get(&self, request: &Request) -> Response {
        let path = request.path.as_str();
        loop {
            let role = {
                let mut state = lock(&self.state);
                let now = self.clock.monotonic();
                if let Some(entry) = state.entries.get(path) {
                    match entry.freshness(now) {
                        Freshness::Fresh => return entry.serve(request, CacheStatus::Hit, now),
                        Freshness::ServeStale => {
                            let response = entry.serve(request, CacheStatus::Stale, now);
                            state
                                .pending
                                .entry(path.to_owned())
                                .or_insert_with(|| request.clone());
                            return response;
                        }
                        Freshness::Stale => {}
                    }
                }
                match state.flights.get(path) {
                    Some(flight) => {
                        // Counted under the lock, before the leader can finish.
                        self.waiters.fetch_add(1, Ordering::SeqCst);
                        Role::Follow(Arc::clone(flight))
                    }
                    None => {
                        let etag = state
                            .entries
                            .get(path)
                            .and_then(Entry::etag)
                            .map(str::to_owned);
                        let flight = Arc::new(Flight::default());
                        state.flights.insert(path.to_owned(), Arc::clone(&flight));
                        Role::Lead(flight, etag)
                    }
                }
            };
            match role {
                Role::Lead(flight, etag) => {
                    if let Some(response) = self.lead(request, &flight, etag.as_deref()) {
                        return response;
                    }
                }
                Role::Follow(flight) => {
                    let shared = flight.wait();
                    self.waiters.fetch_sub(1, Ordering::SeqCst);
                    if let Some((entry, status)) = shared {
                        return entry.serve(request, status, self.clock.monotonic());
                    }
                }
            }
        }
    }

    /// Fetches upstream for `request` as the leader of `flight`, stores what
    /// may be stored and hands it to the waiters. `None`: start over.
    fn lead(
        &self,
        request: &Request,
        flight: &Arc<Flight>,
        etag: Option<&str>,
    ) -> Option<Response> {
        let path = request.path.as_str();
        let mut abandon = Abandon {
            state: &self.state,
            path,
            flight,
            armed: true,
        };
        let mut upstream_request = request.clone();
        upstream_request.headers.remove(IF_NONE_MATCH);
        if let Some(etag) = etag {
            upstream_request.headers.set(IF_NONE_MATCH, etag);
        }
        let response = self.upstream.fetch(&upstream_request);

        let (answer, outcome) = {
            let mut state = lock(&self.state);
            let now = self.clock.monotonic();
            // A purge while we fetched detached our flight: answer, but do
            // not store what may predate the purge.
            let current = state
                .flights
                .get(path)
                .is_some_and(|f| Arc::ptr_eq(f, flight));
            if current {
                state.flights.remove(path);
            }
            if response.status == 304 && etag.is_some() {
                match state.entries.get(path).filter(|_| current) {
                    Some(stored) => {
                        let mut merged = stored.response.clone();
                        merged.headers.remove(AGE);
                        for (name, value) in response.headers.iter() {
                            merged.headers.set(name, value);
                        }
                        admit(
                            &mut state,
                            current,
                            request,
                            merged,
                            CacheStatus::Revalidated,
                            now,
                        )
                    }
                    // The copy it confirms is gone: fetch again, in full.
                    None => (None, Outcome::Retry),
                }
            } else {
                admit(
                    &mut state,
                    current,
                    request,
                    response,
                    CacheStatus::Miss,
                    now,
                )
            }
        };
        abandon.armed = false;
        flight.finish(outcome);
        answer
    }

    /// Runs the revalidations that stale-while-revalidate queued, each path
    /// once, in path order, skipping a path whose copy is gone or fresh again
    /// or that is being fetched already. Returns the number of upstream
    /// fetches made.
    pub fn run_background(&self) -> usize {
        let pending = mem::take(&mut lock(&self.state).pending);
        let mut fetches = 0;
        for (path, request) in pending {
            let lead = {
                let mut state = lock(&self.state);
                let now = self.clock.monotonic();
                match state.entries.get(&path) {
                    Some(entry)
                        if entry.freshness(now) != Freshness::Fresh
                            && !state.flights.contains_key(&path) =>
                    {
                        let etag = entry.etag().map(str::to_owned);
                        let flight = Arc::new(Flight::default());
                        state.flights.insert(path.clone(), Arc::clone(&flight));
                        Some((flight, etag))
                    }
                    _ => None,
                }
            };
            if let Some((flight, etag)) = lead {
                self.lead(&request, &flight, etag.as_deref());
                fetches += 1;
            }
        }
        fetches
    }

    /// Removes the stored copy of `path` (and its queued revalidation) and
    /// detaches any fetch of it in flight. Returns whether a copy was stored.
    pub fn purge(&self, path: &str) -> bool {
        let mut state = lock(&self.state);
        state.flights.remove(path);
        state.pending.remove(path);
        state.entries.remove(path).is_some()
    }

    /// Removes every stored copy whose `Surrogate-Key` header (tags separated
    /// by whitespace) lists `tag`. Returns how many were removed.
    pub fn purge_tag(&self, tag: &str) -> usize {
        let mut state = lock(&self.state);
        let before = state.entries.len();
        state
            .entries
            .retain(|_, e| !e.tags.iter().any(|t| t == tag));
        before - state.entries.len()
    }

    /// True if a copy of `path` is stored, fresh or stale.
    pub fn contains(&self, path: &str) -> bool {
        lock(&self.state).entries.contains_key(path)
    }

    /// The number of stored copies.
    pub fn len(&self) -> usize {
        lock(&self.state).entries.len()
    }

    /// True if nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests now waiting for another request's upstream fetch of the same
    /// path (a test waits for this before letting the fetch finish).
    pub fn waiters(&self) -> usize {
        self.waiters.load(Ordering::SeqCst)
    }
}

/// Stores `response` if it may be stored, and says what the leader returns
/// and what its waiters get.
fn admit(
    state: &mut State,
    current: bool,
    request: &Request,
    mut response: Response,
    status: CacheStatus,
    now: Duration,
) -> (Option<Response>, Outcome) {
    let path = request.path.as_str();
    if response.status == 200 && CacheControl::of(&response.headers).shared_storable() {
        let entry = Entry::new(response, now);
        let answer = entry.serve(request, status, now);
        if current {
            state.entries.insert(path.to_owned(), entry.clone());
        }
        (Some(answer), Outcome::Shared(Box::new(entry), status))
    } else {
        if current {
            state.entries.remove(path);
            state.pending.remove(path);
        }
        response.headers.set(X_CACHE, CacheStatus::Pass.as_str());
        (Some(response), Outcome::Retry)
    }
}

/// A shield is an edge's origin: its misses are the shield's requests.
impl<O: Origin> Origin for Edge<O> {
    fn fetch(&self, request: &Request) -> Response {
        self.get(request)
    }
}

// ---------------------------------------------------------------------------
// Stage 8: routing
// ---------------------------------------------------------------------------

/// Nearest-edge routing from a latency table, with failover.
///
/// `latency[region][edge]` is the round-trip time in milliseconds from
/// clients in `region` to `edge`, as anycast or a latency-based DNS would
/// measure it. A region is routed to the edge that is up with the lowest
/// latency, ties going to the lower edge id; when that edge is down, to the
/// next one in that order.
#[derive(Debug, Clone)]
pub struct Router {
    latency: Vec<Vec<u32>>,
    down: Vec<bool>,
}

impl Router {
    /// A router over `latency` with every edge up.
    ///
    /// # Panics
    /// With "a latency table needs a region and an edge" if `latency` has no
    /// row or its first row is empty, and with "every region needs one
    /// latency per edge" if the rows differ in length.
    pub fn new(latency: Vec<Vec<u32>>) -> Self {
        let edges = latency.first().map_or(0, Vec::len);
        assert!(edges > 0, "a latency table needs a region and an edge");
        assert!(
            latency.iter().all(|row| row.len() == edges),
            "every region needs one latency per edge"
        );
        Self {
            latency,
            down: vec![false; edges],
        }
    }

    /// The number of regions (rows).
    pub fn regions(&self) -> usize {
        self.latency.len()
    }

    /// The number of edges (columns).
    pub fn edges(&self) -> usize {
        self.down.len()
    }

    /// Marks `edge` down (`true`) or up again (`false`).
    ///
    /// # Panics
    /// With "no such edge" if `edge >= self.edges()`.
    pub fn set_down(&mut self, edge: usize, down: bool) {
        assert!(edge < self.edges(), "no such edge");
        self.down[edge] = down;
    }

    /// True if `edge` is marked down.
    ///
    /// # Panics
    /// With "no such edge" if `edge >= self.edges()`.
    pub fn is_down(&self, edge: usize) -> bool {
        assert!(edge < self.edges(), "no such edge");
        self.down[edge]
    }

    /// The edges that are up, in the order `region` prefers them: by latency,
    /// then by id. The first is where [`route`](Self::route) sends it; the
    /// rest are its failover order.
    ///
    /// # Panics
    /// With "no such region" if `region >= self.regions()`.
    pub fn ranked(&self, region: usize) -> Vec<usize> {
        assert!(region < self.regions(), "no such region");
        let row = &self.latency[region];
        let mut edges: Vec<usize> = (0..self.edges()).filter(|&e| !self.down[e]).collect();
        edges.sort_by_key(|&e| (row[e], e));
        edges
    }

    /// The edge `region` is sent to: the nearest one up, or `None` if every
    /// edge is down.
    ///
    /// # Panics
    /// With "no such region" if `region >= self.regions()`.
    pub fn route(&self, region: usize) -> Option<usize> {
        assert!(region < self.regions(), "no such region");
        let row = &self.latency[region];
        (0..self.edges())
            .filter(|&e| !self.down[e])
            .min_by_key(|&e| (row[e], e))
    }
}

// ---------------------------------------------------------------------------
// Stages 6-9: the network
// ---------------------------------------------------------------------------

/// An edge of a [`Cdn`]: it fetches from the shield.
pub type EdgeCache<O> = Edge<Arc<Edge<O>>>;

/// What [`Cdn::get`] answers: which edge served, and its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The edge the router chose.
    pub edge: usize,
    /// That edge's response.
    pub response: Response,
}

/// A CDN: one edge per column of a latency table, all in front of one shield
/// cache (an [`Edge`] over the origin), so that however many edges miss on a
/// path, the origin is asked about it at most once per lifetime.
///
/// ```text
/// region 0 ─┐          ┌─ edge 0 ─┐
/// region 1 ─┼─ router ─┼─ edge 1 ─┼─ shield ── origin
/// region 2 ─┘          └─ edge 2 ─┘
/// ```
pub struct Cdn<O> {
    shield: Arc<Edge<O>>,
    edges: Vec<EdgeCache<O>>,
    router: Router,
}

impl<O: Origin> Cdn<O> {
    /// A CDN in front of `origin`, with as many edges as `latency` has
    /// columns, all caches reading `clock`.
    ///
    /// # Panics
    /// As [`Router::new`].
    pub fn new(origin: O, clock: Arc<dyn Clock>, latency: Vec<Vec<u32>>) -> Self {
        let router = Router::new(latency);
        let shield = Arc::new(Edge::new(origin, Arc::clone(&clock)));
        let edges = (0..router.edges())
            .map(|_| Edge::new(Arc::clone(&shield), Arc::clone(&clock)))
            .collect();
        Self {
            shield,
            edges,
            router,
        }
    }

    /// Answers a client in `region` from the edge the router picks, or `None`
    /// if every edge is down.
    ///
    /// # Panics
    /// As [`Router::route`].
    pub fn get(&self, region: usize, request: &Request) -> Option<Served> {
        let edge = self.router.route(region)?;
        Some(Served {
            edge,
            response: self.edges[edge].get(request),
        })
    }

    /// Purges `path` from the shield and from every edge. Returns how many
    /// of these caches held a copy.
    pub fn purge(&self, path: &str) -> usize {
        // Shield first: an edge purged before the shield could refill from
        // the shield's old copy in between.
        let shield = usize::from(self.shield.purge(path));
        shield + self.edges.iter().filter(|e| e.purge(path)).count()
    }

    /// Purges every copy tagged `tag` from the shield and every edge.
    /// Returns how many copies were removed in all.
    pub fn purge_tag(&self, tag: &str) -> usize {
        let shield = self.shield.purge_tag(tag);
        shield + self.edges.iter().map(|e| e.purge_tag(tag)).sum::<usize>()
    }

    /// Runs the queued background revalidations: the shield's first, then
    /// each edge's in id order, so that an edge revalidating in the same
    /// round finds the shield's copy already refreshed. (The shield's
    /// stale-while-revalidate applies to its edges too: an edge that
    /// revalidates against a stale but servable shield copy gets that stale
    /// copy back, with its true `Age`.) Returns the upstream fetches made (an
    /// edge's fetch from the shield counts as one).
    pub fn run_background(&self) -> usize {
        let shield = self.shield.run_background();
        shield + self.edges.iter().map(Edge::run_background).sum::<usize>()
    }

    /// Edge `id`.
    ///
    /// # Panics
    /// With "no such edge" if `id` is not below the number of edges.
    pub fn edge(&self, id: usize) -> &EdgeCache<O> {
        self.edges.get(id).expect("no such edge")
    }

    /// The shield.
    pub fn shield(&self) -> &Edge<O> {
        &self.shield
    }

    /// The router.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The router, to mark edges down or up.
    pub fn router_mut(&mut self) -> &mut Router {
        &mut self.router
    }
}
