//! The fake web and the crawler under test.
//!
//! - [`Model`]: a web as data: pages (with the links each spells), redirects,
//!   `robots.txt` files, slow and held pages; [`generate`] makes a seeded one;
//!   [`Model::reference`] crawls it the way the crate documentation says, to
//!   give the exact found set and counts a crawl must report.
//! - [`FakeWeb`]: serves a model on 127.0.0.1, every virtual host on one
//!   port told apart by `Host`, and records each request with its arrival
//!   and end on the injected clock, so politeness can be checked exactly.
//! - [`VirtualSleeper`]: the crawler's sleeper in tests: it moves the manual
//!   clock forward to the deadline instead of waiting (virtual time that only
//!   moves forward).
//! - [`Crawler`]: the service in process on port 0 with a client, and
//!   [`Crawler::crawl`] to run one crawl to its end.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use kit::clock::{Clock, ManualClock};
use kit::rng::Rng;
use serde_json::json;
use service_kit::{Client, InProcess, Metrics, eventually};
use tokio::sync::watch;
use web_crawler::time::Sleep;
use web_crawler::{Config, Sleeper};

/// The `User-Agent` the crawler sends by default.
pub const AGENT: &str = "sdkata-crawler";

/// How long a held page waits for a second request to arrive before it
/// answers anyway. A bound on a crawler that fetches one page at a time, not
/// a wait: a pooled crawler releases it at once.
pub const HOLD_BOUND: Duration = Duration::from_millis(500);

/// How long a held page still waits once a second request is in flight, so
/// that a crawler without a bound on its requests in flight shows how many
/// it sends at once. A correct pool passes however short this is.
pub const LINGER: Duration = Duration::from_millis(20);

/// The seeds a seeded test runs over: `SDKATA_SEED=n` replays one.
pub fn seeds() -> Vec<u64> {
    match std::env::var("SDKATA_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => vec![seed],
        None => vec![7, 1_234, 98_765],
    }
}

// ---------------------------------------------------------------- virtual time

/// Sleeps by moving the manual clock forward to the deadline.
#[derive(Debug, Clone)]
pub struct VirtualSleeper(pub ManualClock);

impl Sleeper for VirtualSleeper {
    fn sleep_until(&self, deadline: Duration) -> Sleep<'_> {
        let now = self.0.monotonic();
        if deadline > now {
            self.0.advance(deadline - now);
        }
        Box::pin(std::future::ready(()))
    }
}

// ---------------------------------------------------------------- the model

/// One link as a page spells it, and the normalised URL it means (`None`
/// when it must not be followed: another scheme, a comment, unquoted...).
#[derive(Debug, Clone)]
pub struct Link {
    pub markup: String,
    pub target: Option<String>,
}

impl Link {
    /// `<a href="href">` meaning `target`.
    pub fn to(href: impl Into<String>, target: &str) -> Self {
        Link {
            markup: format!("<a href=\"{}\">link</a>", href.into()),
            target: Some(target.to_owned()),
        }
    }
}

/// What a URL of the fake web answers.
#[derive(Debug, Clone)]
pub enum Resource {
    /// 200 with an HTML body: the links, then `text`.
    Page { links: Vec<Link>, text: String },
    /// A redirect: `status`, `Location: location` meaning `target`.
    Redirect {
        status: u16,
        location: String,
        target: Option<String>,
    },
}

impl Resource {
    pub fn page(links: Vec<Link>) -> Self {
        Resource::Page {
            links,
            text: String::new(),
        }
    }

    /// The body a page serves.
    pub fn body(&self) -> Option<String> {
        match self {
            Resource::Page { links, text } => {
                let mut body = String::from("<!doctype html>\n<html><body>\n");
                for link in links {
                    body += &link.markup;
                    body.push('\n');
                }
                body += text;
                body += "\n</body></html>\n";
                Some(body)
            }
            Resource::Redirect { .. } => None,
        }
    }
}

/// One host's `robots.txt` and what it means for [`AGENT`].
#[derive(Debug, Clone, Default)]
pub struct RobotsFile {
    pub text: String,
    pub disallow: Vec<String>,
    pub crawl_delay: Option<Duration>,
}

/// A web as data. URLs are in normal form.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub resources: BTreeMap<String, Resource>,
    /// Host (`h0.test`) to its `robots.txt`; a host without one answers 404.
    pub robots: BTreeMap<String, RobotsFile>,
    /// URLs whose answer takes this long on the injected clock.
    pub slow: BTreeMap<String, Duration>,
    /// URLs whose answer waits until another request is in flight (at most
    /// [`HOLD_BOUND`] of real time).
    pub hold: BTreeSet<String>,
    /// Hosts the resolve map leaves out (links to them are never fetched).
    pub unresolved: BTreeSet<String>,
}

/// What a crawl of a model must find and count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    pub pages: BTreeMap<String, u32>,
    pub page_requests: u64,
    pub fetch_errors: u64,
    pub robots_fetches: u64,
    pub robots_disallowed: u64,
    pub redirects_followed: u64,
    pub urls_seen: u64,
    /// Distinct URLs admitted (new in the seen set).
    pub new_urls: u64,
    pub duplicate_bodies: u64,
    /// Every URL requested (page requests, not robots.txt).
    pub requested: BTreeSet<String>,
}

/// The host of a normalised URL (`http://h0.test/x` -> `h0.test`).
pub fn host_of(url: &str) -> &str {
    let rest = url
        .strip_prefix("http://")
        .expect("normalised URLs are http");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    &rest[..end]
}

/// The calendar trap's host: `http://cal.test/cal/{n}` exists for every
/// `n` and links to `n - 1` and `n + 1` (relative links), forever.
pub const CALENDAR: &str = "cal.test";

/// The endless redirect chain's host: `http://hop.test/hop/{n}` redirects to
/// `/hop/{n + 1}`, forever, cycling through 301, 302, 303, 307 and 308.
pub const HOPS: &str = "hop.test";

impl Model {
    /// What `url` answers: a stored resource, or a page of the calendar
    /// trap, or a hop of the endless redirect chain.
    pub fn resource(&self, url: &str) -> Option<Resource> {
        if let Some(resource) = self.resources.get(url) {
            return Some(resource.clone());
        }
        let number = |prefix: &str| url.strip_prefix(prefix).and_then(|n| n.parse::<i64>().ok());
        if let Some(n) = number(&format!("http://{CALENDAR}/cal/")) {
            let link = |m: i64| Link::to(m.to_string(), &format!("http://{CALENDAR}/cal/{m}"));
            return Some(Resource::Page {
                links: vec![link(n - 1), link(n + 1)],
                text: format!("<p>month {n}</p>"),
            });
        }
        if let Some(n) = number(&format!("http://{HOPS}/hop/")) {
            const STATUSES: [u16; 5] = [301, 302, 303, 307, 308];
            return Some(Resource::Redirect {
                status: STATUSES[n.rem_euclid(5) as usize],
                location: format!("/hop/{}", n + 1),
                target: Some(format!("http://{HOPS}/hop/{}", n + 1)),
            });
        }
        None
    }

    /// Every host the fake web serves.
    pub fn hosts(&self) -> BTreeSet<String> {
        let mut hosts: BTreeSet<String> = self
            .resources
            .keys()
            .map(|u| host_of(u).to_owned())
            .collect();
        hosts.extend(self.robots.keys().cloned());
        hosts.insert(CALENDAR.to_owned());
        hosts.insert(HOPS.to_owned());
        hosts.retain(|h| !self.unresolved.contains(h));
        hosts
    }

    /// The host's delay under a configured `delay`.
    pub fn delay_for(&self, host: &str, delay: Duration) -> Duration {
        self.robots
            .get(host)
            .and_then(|r| r.crawl_delay)
            .map_or(delay, |d| d.max(delay))
    }

    /// The crawl the crate documentation describes, level by level: the
    /// found set and every count (no page budget).
    pub fn reference(&self, seeds: &[&str], max_depth: u32, max_redirects: u32) -> Expected {
        let mut out = Expected::default();
        let mut seen = HashSet::new();
        let mut bodies = HashSet::new();
        let mut contacted = HashSet::new();
        let mut admit = |url: &str, out: &mut Expected| {
            out.urls_seen += 1;
            let new = seen.insert(url.to_owned());
            out.new_urls += u64::from(new);
            new
        };
        let mut level: Vec<(String, u32)> = Vec::new();
        for seed in seeds {
            if admit(seed, &mut out) {
                level.push(((*seed).to_owned(), 0));
            }
        }
        let mut depth = 0;
        loop {
            let mut next = Vec::new();
            let mut i = 0;
            while i < level.len() {
                let (url, hops) = level[i].clone();
                i += 1;
                let host = host_of(&url).to_owned();
                if self.unresolved.contains(&host) {
                    continue;
                }
                if contacted.insert(host.clone()) {
                    out.robots_fetches += 1;
                }
                let target = &url["http://".len() + host.len()..];
                if let Some(robots) = self.robots.get(&host)
                    && robots
                        .disallow
                        .iter()
                        .any(|p| target.starts_with(p.as_str()))
                {
                    out.robots_disallowed += 1;
                    continue;
                }
                out.page_requests += 1;
                out.requested.insert(url.clone());
                match self.resource(&url) {
                    None => out.fetch_errors += 1,
                    Some(Resource::Redirect { target, .. }) => {
                        if hops < max_redirects
                            && let Some(target) = &target
                        {
                            out.redirects_followed += 1;
                            if admit(target, &mut out) {
                                level.push((target.clone(), hops + 1));
                            }
                        }
                    }
                    Some(ref page @ Resource::Page { ref links, .. }) => {
                        out.pages.insert(url.clone(), depth);
                        if !bodies.insert(page.body().expect("a page has a body")) {
                            out.duplicate_bodies += 1;
                            continue;
                        }
                        if depth >= max_depth {
                            continue;
                        }
                        for link in links {
                            if let Some(target) = &link.target
                                && admit(target, &mut out)
                            {
                                next.push((target.clone(), 0));
                            }
                        }
                    }
                }
            }
            if next.is_empty() {
                return out;
            }
            depth += 1;
            level = next;
        }
    }
}

/// A page path: a directory of 1-3 segments and a random name, so relative
/// links need `..` and a hard-coded answer cannot match.
fn random_path(rng: &mut Rng) -> String {
    const DIRS: [&str; 4] = ["a", "b/c", "d/e/f", "g"];
    let dir = rng.choose(&DIRS).expect("DIRS is not empty");
    format!("/{dir}/{:08x}", rng.next_u32())
}

/// How [`generate`] spells links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// Absolute canonical URLs and absolute paths on the same host.
    Plain,
    /// Every spelling the normalisation rules cover, and links that must not
    /// be followed (`https:`, `mailto:`, comments, unquoted values).
    Mangled,
}

/// Spells a link from the page `from` to `to` (both normalised).
fn spell(rng: &mut Rng, from: &str, to: &str, spelling: Spelling) -> String {
    let (from_host, to_host) = (host_of(from), host_of(to));
    let to_path = &to["http://".len() + to_host.len()..];
    let choices = if spelling == Spelling::Plain { 2 } else { 8 };
    match rng.below(choices) {
        0 => to.to_owned(),
        1 if from_host == to_host => to_path.to_owned(),
        1 => to.to_owned(),
        2 => format!("HTTP://{}{to_path}", to_host.to_ascii_uppercase()),
        3 => format!("http://{to_host}:80{to_path}"),
        4 => format!("{to}#frag{}", rng.below(1_000)),
        5 => {
            // A dot segment spliced in at a random `/`.
            let slashes: Vec<usize> = to_path.match_indices('/').map(|(i, _)| i).collect();
            let at = *rng.choose(&slashes).expect("a path has a slash");
            let detour = if rng.chance(0.5) { "/." } else { "/zz/.." };
            format!(
                "http://{to_host}{}{detour}{}",
                &to_path[..at],
                &to_path[at..]
            )
        }
        6 => format!("//{to_host}{to_path}"),
        _ if from_host == to_host => {
            // A relative path from the source's directory.
            let from_path = &from["http://".len() + from_host.len()..];
            let ups = from_path.matches('/').count() - 1;
            format!("{}{}", "../".repeat(ups), &to_path[1..])
        }
        _ => to.to_owned(),
    }
}

/// Links a page has that must not be followed.
fn decoys(rng: &mut Rng, host: &str) -> Vec<Link> {
    let n = rng.next_u32();
    let decoy = |markup: String| Link {
        markup,
        target: None,
    };
    vec![
        decoy(format!("<a href=\"https://{host}/secure/{n:x}\">tls</a>")),
        decoy(format!("<a href=\"mailto:web@{host}\">mail</a>")),
        decoy(format!("<!-- <a href=\"/commented/{n:x}\">old</a> -->")),
        decoy(format!("<a href=/unquoted/{n:x}>bare</a>")),
        decoy(format!("<link href=\"/style/{n:x}.css\">")),
    ]
}

/// A seeded web: `hosts` hosts `h0.test`... each with an index page `/` and
/// `pages` more, each page linking to `links` random pages. The seed is
/// `http://h0.test/`.
pub fn generate(seed: u64, hosts: usize, pages: usize, links: usize, spelling: Spelling) -> Model {
    let mut rng = Rng::new(seed).stream("web");
    let mut urls = Vec::new();
    for h in 0..hosts {
        urls.push(format!("http://h{h}.test/"));
        for _ in 0..pages {
            urls.push(format!("http://h{h}.test{}", random_path(&mut rng)));
        }
    }
    let mut model = Model::default();
    for from in &urls {
        let mut page_links = Vec::new();
        for _ in 0..links {
            let to = rng.choose(&urls).expect("urls is not empty").clone();
            let href = spell(&mut rng, from, &to, spelling);
            page_links.push(Link::to(href, &to));
        }
        if spelling == Spelling::Mangled && rng.chance(0.3) {
            let decoys = decoys(&mut rng, host_of(from));
            page_links.push(rng.choose(&decoys).expect("decoys").clone());
        }
        model.resources.insert(
            from.clone(),
            Resource::Page {
                links: page_links,
                // Distinct bodies: fingerprints are a later stage's business.
                text: format!("<p>{from}</p>"),
            },
        );
    }
    model
}

// ---------------------------------------------------------------- the fake web

/// One request the fake web received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The `Host` header, in lower case, `:80` removed.
    pub host: String,
    /// The request target as sent.
    pub target: String,
    pub user_agent: String,
    /// On the injected clock's monotonic time.
    pub arrival: Duration,
    /// When the answer left; `None` if it never did.
    pub end: Option<Duration>,
}

impl Hit {
    pub fn url(&self) -> String {
        format!("http://{}{}", self.host, self.target)
    }

    pub fn is_robots(&self) -> bool {
        self.target == "/robots.txt"
    }
}

#[derive(Debug)]
struct WebState {
    model: Mutex<Model>,
    clock: ManualClock,
    hits: Mutex<Vec<Hit>>,
    in_flight: watch::Sender<usize>,
    per_host: Mutex<HashMap<String, usize>>,
    max_in_flight: AtomicUsize,
    overlaps: Mutex<Vec<String>>,
    /// Page requests answered before the gate holds the rest (crash tests).
    gate: watch::Sender<Option<usize>>,
    held: AtomicUsize,
    page_requests: AtomicUsize,
}

/// The fake web on 127.0.0.1: every host of a [`Model`] on one port.
#[derive(Debug)]
pub struct FakeWeb {
    addr: SocketAddr,
    state: Arc<WebState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeWeb {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Undoes the in-flight counts however a request ends (even when a crawler
/// killed mid-request drops the connection).
struct InFlight {
    state: Arc<WebState>,
    host: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(n) = self
            .state
            .per_host
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&self.host)
        {
            *n -= 1;
        }
        self.state.in_flight.send_modify(|n| *n -= 1);
    }
}

impl FakeWeb {
    /// Serves `model`, with times read from `clock`.
    pub async fn start(model: Model, clock: &ManualClock) -> FakeWeb {
        let state = Arc::new(WebState {
            model: Mutex::new(model),
            clock: clock.clone(),
            hits: Mutex::default(),
            in_flight: watch::Sender::new(0),
            per_host: Mutex::default(),
            max_in_flight: AtomicUsize::new(0),
            overlaps: Mutex::default(),
            gate: watch::Sender::new(None),
            held: AtomicUsize::new(0),
            page_requests: AtomicUsize::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake web on 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeWeb { addr, state, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The resolve map: every host of the model (but the unresolved ones).
    pub fn resolve(&self) -> BTreeMap<String, SocketAddr> {
        self.model()
            .hosts()
            .into_iter()
            .map(|h| (format!("{h}:80"), self.addr))
            .collect()
    }

    pub fn model(&self) -> Model {
        lock(&self.state.model).clone()
    }

    /// Every request so far, in arrival order.
    pub fn hits(&self) -> Vec<Hit> {
        lock(&self.state.hits).clone()
    }

    /// Page requests (not `robots.txt`), in arrival order.
    pub fn page_hits(&self) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| !h.is_robots()).collect()
    }

    /// The most requests that were in flight at once, over all hosts.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// From now on, answer `n` more page requests, then hold the rest until
    /// [`FakeWeb::open`].
    pub fn hold_after(&self, n: usize) {
        let base = self.state.page_requests.load(Ordering::SeqCst);
        self.state.gate.send_replace(Some(base + n));
    }

    /// Releases the gate.
    pub fn open(&self) {
        self.state.gate.send_replace(None);
    }

    /// Page requests waiting at the gate.
    pub fn held(&self) -> usize {
        self.state.held.load(Ordering::SeqCst)
    }

    /// Every breach of politeness: a request that arrived while another to
    /// its host was in flight, or sooner than `delay_for(host)` after the end
    /// of the previous answer from that host.
    pub fn politeness_violations(&self, delay_for: impl Fn(&str) -> Duration) -> Vec<String> {
        let mut violations = lock(&self.state.overlaps).clone();
        let mut by_host: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
        for hit in self.hits() {
            by_host.entry(hit.host.clone()).or_default().push(hit);
        }
        for (host, hits) in by_host {
            let delay = delay_for(&host);
            for pair in hits.windows(2) {
                let (before, after) = (&pair[0], &pair[1]);
                let Some(end) = before.end else { continue };
                if after.arrival < end {
                    violations.push(format!(
                        "{host}: {} arrived at {:?}, before {} had been answered ({:?})",
                        after.target, after.arrival, before.target, end
                    ));
                } else if after.arrival - end < delay {
                    violations.push(format!(
                        "{host}: {} arrived {:?} after the answer to {} ended; the delay is {delay:?}",
                        after.target,
                        after.arrival - end,
                        before.target
                    ));
                }
            }
        }
        violations
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

async fn serve(
    axum::extract::State(state): axum::extract::State<Arc<WebState>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let raw_host = header("host").to_ascii_lowercase();
    let host = raw_host.strip_suffix(":80").unwrap_or(&raw_host).to_owned();
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let arrival = state.clock.monotonic();
    let index = {
        let mut per_host = lock(&state.per_host);
        let n = per_host.entry(host.clone()).or_default();
        *n += 1;
        if *n > 1 {
            lock(&state.overlaps).push(format!(
                "{host}: {target} arrived at {arrival:?} with another request to {host} in flight"
            ));
        }
        let mut hits = lock(&state.hits);
        hits.push(Hit {
            host: host.clone(),
            target: target.clone(),
            user_agent: header("user-agent"),
            arrival,
            end: None,
        });
        hits.len() - 1
    };
    state.in_flight.send_modify(|n| *n += 1);
    state
        .max_in_flight
        .fetch_max(*state.in_flight.borrow(), Ordering::SeqCst);
    let _in_flight = InFlight {
        state: Arc::clone(&state),
        host: host.clone(),
    };

    let url = format!("http://{host}{target}");
    let (robots, held, slow, resource) = {
        let model = lock(&state.model);
        (
            model.robots.get(&host).map(|r| r.text.clone()),
            model.hold.contains(&url),
            model.slow.get(&url).copied(),
            model.resource(&url),
        )
    };
    let response = if target == "/robots.txt" {
        match robots {
            Some(text) => text.into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    } else {
        let number = state.page_requests.fetch_add(1, Ordering::SeqCst);
        if held {
            let mut in_flight = state.in_flight.subscribe();
            if tokio::time::timeout(HOLD_BOUND, in_flight.wait_for(|n| *n >= 2))
                .await
                .is_ok()
            {
                tokio::time::sleep(LINGER).await;
            }
        }
        let mut gate = state.gate.subscribe();
        if gate.borrow().is_some_and(|limit| number >= limit) {
            state.held.fetch_add(1, Ordering::SeqCst);
            let _ = gate
                .wait_for(|limit| limit.is_none_or(|l| number < l))
                .await;
            state.held.fetch_sub(1, Ordering::SeqCst);
        }
        if let Some(slow) = slow {
            state.clock.advance(slow);
        }
        match resource {
            Some(page @ Resource::Page { .. }) => (
                [("content-type", "text/html")],
                page.body().expect("a page has a body"),
            )
                .into_response(),
            Some(Resource::Redirect {
                status, location, ..
            }) => (
                StatusCode::from_u16(status).expect("a redirect status"),
                [("location", location)],
            )
                .into_response(),
            None => (StatusCode::NOT_FOUND, "no such page").into_response(),
        }
    };
    lock(&state.hits)[index].end = Some(state.clock.monotonic());
    response
}

// ---------------------------------------------------------------- the crawler

/// A configuration on `clock` (virtual time) for `web`: no delay, 4 workers.
pub fn config(web: &FakeWeb, clock: &ManualClock) -> Config {
    let mut config = Config::new(
        Arc::new(clock.clone()),
        Arc::new(VirtualSleeper(clock.clone())),
    );
    config.resolve = web.resolve();
    config.delay = Duration::ZERO;
    config.workers = 4;
    config
}

/// The crawler service in process.
pub struct Crawler {
    pub service: InProcess<std::io::Result<()>>,
    pub client: Client,
}

/// What one crawl found.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: u64,
    pub pages: BTreeMap<String, u32>,
}

impl Crawler {
    pub async fn start(config: Config) -> Crawler {
        let service = InProcess::start(|listener, shutdown| async move {
            web_crawler::run(listener, config, shutdown).await
        })
        .await;
        let client = service.client();
        Crawler { service, client }
    }

    /// Starts a crawl: `201` and its id.
    pub async fn begin(&self, seeds: &[&str], max_depth: u32, max_pages: Option<u64>) -> u64 {
        let mut body = json!({ "seeds": seeds, "max_depth": max_depth });
        if let Some(max_pages) = max_pages {
            body["max_pages"] = json!(max_pages);
        }
        let created = self.client.post_json("/crawls", &body).await;
        created.expect_status("api: POST /crawls starts a crawl with 201 Created", 201);
        created.json()["id"].as_u64().unwrap_or_else(|| {
            created.fail(
                "api: POST /crawls answers {\"id\": n}",
                "no integer `id` in the body",
            )
        })
    }

    /// `GET /crawls/{id}`: done or not, and the pages.
    pub async fn status(&self, id: u64) -> (bool, BTreeMap<String, u32>) {
        status_of(&self.client, id).await
    }

    /// Waits for crawl `id` to be done; its pages.
    pub async fn finish(&self, id: u64) -> Found {
        finish(&self.client, id).await
    }

    /// Runs one crawl to its end.
    pub async fn crawl(&self, seeds: &[&str], max_depth: u32, max_pages: Option<u64>) -> Found {
        let id = self.begin(seeds, max_depth, max_pages).await;
        self.finish(id).await
    }

    pub async fn metrics(&self) -> Metrics {
        self.client.metrics().await
    }
}

/// `GET /crawls/{id}` on `client`: done or not, and the pages.
pub async fn status_of(client: &Client, id: u64) -> (bool, BTreeMap<String, u32>) {
    let answer = client.get(&format!("/crawls/{id}")).await;
    answer.expect_status("api: GET /crawls/{id} of a crawl answers 200", 200);
    let body = answer.json();
    let state = body["state"].as_str().unwrap_or_default().to_owned();
    if state != "running" && state != "done" {
        answer.fail(
            "api: a crawl's state is \"running\" or \"done\"",
            format!("state is {:?}", body["state"]),
        );
    }
    let mut pages = BTreeMap::new();
    for page in body["pages"].as_array().into_iter().flatten() {
        let (Some(url), Some(depth)) = (page["url"].as_str(), page["depth"].as_u64()) else {
            answer.fail(
                "api: pages are [{\"url\": ..., \"depth\": n}]",
                format!("a page reads {page}"),
            );
        };
        pages.insert(url.to_owned(), u32::try_from(depth).expect("a small depth"));
    }
    (state == "done", pages)
}

/// Waits for crawl `id` on `client` to be done; its pages.
pub async fn finish(client: &Client, id: u64) -> Found {
    let pages = eventually(&format!("crawl {id} to be done"), || async {
        let (done, pages) = status_of(client, id).await;
        done.then_some(pages)
    })
    .await;
    Found { id, pages }
}

/// Fails unless `found` is exactly `expected`, listing the difference.
pub fn assert_found(
    rule: &str,
    seed: u64,
    found: &BTreeMap<String, u32>,
    expected: &BTreeMap<String, u32>,
) {
    if found == expected {
        return;
    }
    let mut why = String::new();
    for (url, depth) in expected {
        match found.get(url) {
            None => why += &format!("  missing  {url} (depth {depth})\n"),
            Some(d) if d != depth => why += &format!("  depth    {url}: {d}, expected {depth}\n"),
            Some(_) => {}
        }
    }
    for (url, depth) in found {
        if !expected.contains_key(url) {
            why += &format!("  extra    {url} (depth {depth})\n");
        }
    }
    panic!(
        "rule `{rule}` (seed {seed}: replay with SDKATA_SEED={seed})\n  found {} pages, expected {}:\n{why}",
        found.len(),
        expected.len()
    );
}

/// Fails if any URL was requested twice.
pub fn assert_no_refetch(rule: &str, web: &FakeWeb) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for hit in web.hits() {
        *counts.entry(hit.url()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "rule `{rule}`: a crawl requests each URL (and each host's robots.txt) once; \
         requested more than once: {twice:?}"
    );
}

/// The smoke check later stages start with: a seeded web of `stage`'s
/// features so far, crawled to depth 3, must give exactly the reference.
pub async fn smoke(stage: u32) {
    let seed = 4_242;
    let spelling = if stage >= 2 {
        Spelling::Mangled
    } else {
        Spelling::Plain
    };
    let mut model = generate(seed, 3, 8, 3, spelling);
    if stage >= 3 {
        model.robots.insert(
            "h1.test".to_owned(),
            RobotsFile {
                text: "User-agent: *\nDisallow: /b/\n".to_owned(),
                disallow: vec!["/b/".to_owned()],
                crawl_delay: None,
            },
        );
    }
    let clock = ManualClock::new(1_000_000);
    let web = FakeWeb::start(model.clone(), &clock).await;
    let mut config = config(&web, &clock);
    if stage >= 4 {
        config.delay = Duration::from_millis(500);
    }
    let delay = config.delay;
    let crawler = Crawler::start(config).await;
    let found = crawler.crawl(&["http://h0.test/"], 3, None).await;
    let expected = model.reference(&["http://h0.test/"], 3, 5);
    assert_found(
        "smoke: the earlier stages still hold (the found set of a small seeded crawl)",
        seed,
        &found.pages,
        &expected.pages,
    );
    assert_no_refetch("smoke: the earlier stages still hold (no refetch)", &web);
    if stage >= 4 {
        let violations = web.politeness_violations(|h| model.delay_for(h, delay));
        assert!(
            violations.is_empty(),
            "rule `smoke: politeness still holds`: {violations:#?}"
        );
    }
}
