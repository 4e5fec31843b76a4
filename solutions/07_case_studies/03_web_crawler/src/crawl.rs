//! The crawl engine: breadth-first by levels, a worker pool bounded over all
//! hosts, one request at a time per host with the delay between them, and a
//! checkpoint after every completed page.
//!
//! ```text
//!   level d (Vec<Item>) ──by host──▶ per-host queues ──▶ dispatcher ──▶ ≤ workers visits
//!        ▲                               (one busy flag and next_allowed per host)
//!        │ level d+1 = links of level d, through the seen set
//! ```
//!
//! Why levels: a URL's depth is its shortest distance from a seed, whatever
//! order the answers come back in. Finishing level d before starting d+1
//! makes that true by construction; a free-running frontier can meet a page
//! first by a long path, stop at the depth limit there, and lose what lies
//! behind it.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kit::hash::hash128;
use serde::{Deserialize, Serialize};
use tokio::task::{AbortHandle, JoinSet};

use crate::bloom::{Seen, SeenSet};
use crate::checkpoint;
use crate::config::Config;
use crate::fetch;
use crate::links::extract_links;
use crate::metrics::Counters;
use crate::robots::Robots;
use crate::url::Url;

/// What `POST /crawls` asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CrawlRequest {
    pub seeds: Vec<String>,
    pub max_depth: u32,
    pub max_pages: u64,
}

/// A URL waiting in the frontier, with the redirects that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Item {
    pub url: String,
    pub hops: u32,
}

/// Everything a crawl needs to go on after a restart: the checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CrawlState {
    pub id: u64,
    pub request: CrawlRequest,
    pub done: bool,
    /// The level being crawled.
    pub depth: u32,
    /// This level's URLs not yet completed (queued or in flight).
    pub level: Vec<Item>,
    /// The next level, as found so far.
    pub next: Vec<Item>,
    /// Every admitted URL, to rebuild the seen set.
    pub seen: Vec<String>,
    /// The found set: URL to depth.
    pub pages: BTreeMap<String, u32>,
    /// Hashes of the bodies whose links were extracted.
    pub fingerprints: BTreeSet<String>,
    /// Page requests made (the budget).
    pub page_requests: u64,
}

/// What `GET /crawls/{id}` shows: published only after it is checkpointed.
#[derive(Debug, Clone, Default)]
pub(crate) struct View {
    pub done: bool,
    pub pages: BTreeMap<String, u32>,
}

/// The service's state, shared by the routes and the crawls.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: Config,
    pub counters: Counters,
    pub crawls: Mutex<BTreeMap<u64, Arc<Mutex<View>>>>,
    pub next_id: Mutex<u64>,
    pub tasks: Mutex<Vec<AbortHandle>>,
}

impl Shared {
    pub fn new(config: Config) -> Self {
        Shared {
            config,
            counters: Counters::default(),
            crawls: Mutex::default(),
            next_id: Mutex::new(1),
            tasks: Mutex::default(),
        }
    }

    /// Runs `crawler` as a task that ends with the service.
    pub fn spawn(self: &Arc<Self>, crawler: Crawler) {
        lock(&self.crawls).insert(crawler.state.id, Arc::clone(&crawler.view));
        let task = tokio::spawn(crawler.run());
        lock(&self.tasks).push(task.abort_handle());
    }

    /// Stops every crawl (the service is going away).
    pub fn abort_all(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }
}

/// A poisoned lock only means another task panicked mid-update of plain
/// data; the data is still the best we have.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

struct Host {
    addr: Option<SocketAddr>,
    queue: VecDeque<Item>,
    busy: bool,
    /// No request to this host before this monotonic time.
    next_allowed: Duration,
    robots: Option<Arc<Robots>>,
}

/// How one visit to a host went.
struct Visit {
    /// The host's rules, if this visit fetched them.
    robots: Option<Arc<Robots>>,
    next_allowed: Duration,
    outcome: Outcome,
}

enum Outcome {
    Disallowed,
    Failed,
    Answer(fetch::Response),
}

/// One crawl, driven by [`Crawler::run`].
pub(crate) struct Crawler {
    shared: Arc<Shared>,
    state: CrawlState,
    seen: SeenSet,
    hosts: HashMap<String, Host>,
    view: Arc<Mutex<View>>,
    /// Page requests in flight, counted against the budget.
    reserved: u64,
}

impl Crawler {
    /// A new crawl from its (normalised) seeds, at depth 0.
    pub fn start(shared: Arc<Shared>, id: u64, request: CrawlRequest, seeds: &[Url]) -> Self {
        let state = CrawlState {
            id,
            request,
            done: false,
            depth: 0,
            level: Vec::new(),
            next: Vec::new(),
            seen: Vec::new(),
            pages: BTreeMap::new(),
            fingerprints: BTreeSet::new(),
            page_requests: 0,
        };
        let mut crawler = Self::with_state(shared, state);
        for seed in seeds {
            if crawler.admit(seed) {
                crawler.state.level.push(Item {
                    url: seed.to_string(),
                    hops: 0,
                });
            }
        }
        crawler
    }

    /// A crawl from its checkpoint; what was in flight is queued again.
    pub fn resume(shared: Arc<Shared>, state: CrawlState) -> Self {
        let mut crawler = Self::with_state(shared, state);
        for url in &crawler.state.seen {
            crawler.seen.insert(url);
        }
        crawler.publish();
        crawler
    }

    fn with_state(shared: Arc<Shared>, state: CrawlState) -> Self {
        let config = &shared.config;
        let seen = SeenSet::new(config.bloom_bits, config.bloom_hashes);
        Crawler {
            shared,
            state,
            seen,
            hosts: HashMap::new(),
            view: Arc::default(),
            reserved: 0,
        }
    }

    pub fn id(&self) -> u64 {
        self.state.id
    }

    pub fn is_done(&self) -> bool {
        self.state.done
    }

    /// What `GET /crawls/{id}` shows of it.
    pub fn view(&self) -> Arc<Mutex<View>> {
        Arc::clone(&self.view)
    }

    /// Checkpoints the state (if there is a data directory), then shows it.
    pub async fn save(&self) -> std::io::Result<()> {
        if let Some(dir) = &self.shared.config.data_dir {
            checkpoint::save(dir, &self.state).await?;
        }
        self.publish();
        Ok(())
    }

    fn publish(&self) {
        *lock(&self.view) = View {
            done: self.state.done,
            pages: self.state.pages.clone(),
        };
    }

    async fn save_or_log(&self) {
        if let Err(e) = self.save().await {
            // The crawl goes on; a restart would redo the pages since the
            // last good checkpoint.
            eprintln!("web_crawler: checkpoint of crawl {}: {e}", self.state.id);
        }
    }

    /// Crawls level by level until the frontier is empty, the depth limit
    /// is reached or the page budget is spent.
    pub async fn run(mut self) {
        while !self.state.done {
            self.run_level().await;
            let spent = self.state.page_requests >= self.state.request.max_pages;
            if spent
                || self.state.next.is_empty()
                || self.state.depth >= self.state.request.max_depth
            {
                self.state.done = true;
            } else {
                self.state.depth += 1;
                self.state.level = std::mem::take(&mut self.state.next);
            }
            self.save_or_log().await;
        }
    }

    async fn run_level(&mut self) {
        for item in self.state.level.clone() {
            self.enqueue(item);
        }
        let workers = self.shared.config.workers.max(1);
        let mut visits = JoinSet::new();
        loop {
            while visits.len() < workers
                && self.state.page_requests + self.reserved < self.state.request.max_pages
            {
                let Some(authority) = self.ready_host() else {
                    break;
                };
                let host = self
                    .hosts
                    .get_mut(&authority)
                    .expect("ready_host names a host");
                let item = host.queue.pop_front().expect("a ready host has a queue");
                let url = Url::parse(&item.url).expect("admitted URLs are in normal form");
                let Some(addr) = host.addr else {
                    // Not in the resolve map: never fetched.
                    self.remove_from_level(&item);
                    continue;
                };
                if let Some(robots) = &host.robots
                    && !robots.allows(url.target())
                {
                    Counters::bump(&self.shared.counters.robots_disallowed);
                    self.remove_from_level(&item);
                    continue;
                }
                host.busy = true;
                self.reserved += 1;
                let visit = visit(
                    Arc::clone(&self.shared),
                    addr,
                    url,
                    host.next_allowed,
                    host.robots.clone(),
                );
                visits.spawn(async move { (authority, item, visit.await) });
            }
            let Some(joined) = visits.join_next().await else {
                return;
            };
            self.reserved -= 1;
            match joined {
                Ok((authority, item, visit)) => self.complete(&authority, &item, visit).await,
                // A visit only ends this way if the runtime is shutting down.
                Err(e) => eprintln!("web_crawler: a visit failed: {e}"),
            }
        }
    }

    /// The idle host with work whose next request is allowed soonest.
    fn ready_host(&self) -> Option<String> {
        self.hosts
            .iter()
            .filter(|(_, h)| !h.busy && !h.queue.is_empty())
            .min_by(|(a, x), (b, y)| (x.next_allowed, a).cmp(&(y.next_allowed, b)))
            .map(|(authority, _)| authority.clone())
    }

    fn enqueue(&mut self, item: Item) {
        let url = Url::parse(&item.url).expect("admitted URLs are in normal form");
        let authority = url.authority();
        let addr = self.shared.config.resolve.get(&authority).copied();
        self.hosts
            .entry(authority)
            .or_insert_with(|| Host {
                addr,
                queue: VecDeque::new(),
                busy: false,
                next_allowed: Duration::ZERO,
                robots: None,
            })
            .queue
            .push_back(item);
    }

    fn remove_from_level(&mut self, item: &Item) {
        if let Some(i) = self.state.level.iter().position(|i| i == item) {
            self.state.level.swap_remove(i);
        }
    }

    async fn complete(&mut self, authority: &str, item: &Item, visit: Visit) {
        if let Some(host) = self.hosts.get_mut(authority) {
            host.busy = false;
            host.next_allowed = visit.next_allowed;
            if visit.robots.is_some() {
                host.robots = visit.robots;
            }
        }
        self.remove_from_level(item);
        let counters = &self.shared.counters;
        let url = Url::parse(&item.url).expect("admitted URLs are in normal form");
        match visit.outcome {
            Outcome::Disallowed => Counters::bump(&counters.robots_disallowed),
            Outcome::Failed => {
                self.state.page_requests += 1;
                Counters::bump(&counters.fetch_errors);
            }
            Outcome::Answer(answer) => {
                self.state.page_requests += 1;
                match (answer.status, answer.location) {
                    (200, _) => self.page(&url, &answer.body),
                    (301 | 302 | 303 | 307 | 308, Some(location)) => {
                        self.redirect(&url, item.hops, &location);
                    }
                    _ => Counters::bump(&counters.fetch_errors),
                }
            }
        }
        self.save_or_log().await;
    }

    fn page(&mut self, url: &Url, body: &[u8]) {
        let depth = self.state.depth;
        self.state.pages.insert(url.to_string(), depth);
        Counters::bump(&self.shared.counters.pages_fetched);
        // The same bytes under another URL have the same links (this
        // lesson's mirrors link absolutely): extracting them again would
        // only cost seen-set lookups.
        if !self
            .state
            .fingerprints
            .insert(format!("{:032x}", hash128(body)))
        {
            Counters::bump(&self.shared.counters.duplicate_bodies);
            return;
        }
        if depth >= self.state.request.max_depth {
            return;
        }
        for href in extract_links(&String::from_utf8_lossy(body)) {
            if let Some(link) = url.join(&href)
                && self.admit(&link)
            {
                self.state.next.push(Item {
                    url: link.to_string(),
                    hops: 0,
                });
            }
        }
    }

    /// A redirect's target joins this level (it stands for the same link,
    /// so it has the same depth), one hop further from the link.
    fn redirect(&mut self, url: &Url, hops: u32, location: &str) {
        if hops >= self.shared.config.max_redirects {
            return;
        }
        let Some(target) = url.join(location) else {
            return;
        };
        Counters::bump(&self.shared.counters.redirects_followed);
        if self.admit(&target) {
            let item = Item {
                url: target.to_string(),
                hops: hops + 1,
            };
            self.state.level.push(item.clone());
            self.enqueue(item);
        }
    }

    /// Puts `url` in the seen set; whether it was new.
    fn admit(&mut self, url: &Url) -> bool {
        let counters = &self.shared.counters;
        let text = url.to_string();
        Counters::bump(&counters.urls_seen);
        let new = match self.seen.insert(&text) {
            Seen::BloomNew => {
                Counters::bump(&counters.bloom_negatives);
                true
            }
            Seen::FalsePositive => {
                Counters::bump(&counters.exact_lookups);
                Counters::bump(&counters.bloom_false_positives);
                true
            }
            Seen::Duplicate => {
                Counters::bump(&counters.exact_lookups);
                false
            }
        };
        if new {
            self.state.seen.push(text);
        }
        new
    }
}

/// One turn at a host: its `robots.txt` first if it is not known yet, then
/// the page if the rules allow it; each request no earlier than the host's
/// next allowed time, which the visit moves to the end of its last answer
/// plus the host's delay.
async fn visit(
    shared: Arc<Shared>,
    addr: SocketAddr,
    url: Url,
    mut next_allowed: Duration,
    known: Option<Arc<Robots>>,
) -> Visit {
    let config = &shared.config;
    let host = url.host_header();
    let mut fetched_robots = None;
    let robots = match known {
        Some(robots) => robots,
        None => {
            config.sleeper.sleep_until(next_allowed).await;
            Counters::bump(&shared.counters.robots_fetches);
            let rules = match fetch::get(addr, &host, "/robots.txt", &config.user_agent).await {
                Ok(answer) if answer.status == 200 => {
                    Robots::parse(&String::from_utf8_lossy(&answer.body), &config.user_agent)
                }
                _ => Robots::allow_all(),
            };
            let rules = Arc::new(rules);
            next_allowed = config.clock.monotonic() + delay(config, &rules);
            fetched_robots = Some(Arc::clone(&rules));
            rules
        }
    };
    if !robots.allows(url.target()) {
        return Visit {
            robots: fetched_robots,
            next_allowed,
            outcome: Outcome::Disallowed,
        };
    }
    config.sleeper.sleep_until(next_allowed).await;
    Counters::bump(&shared.counters.page_requests);
    let answer = fetch::get(addr, &host, url.target(), &config.user_agent).await;
    // Measured after the whole answer is in: the gap runs from the end of
    // one answer to the start of the next request, however slow the page.
    let next_allowed = config.clock.monotonic() + delay(config, &robots);
    Visit {
        robots: fetched_robots,
        next_allowed,
        outcome: answer.map_or(Outcome::Failed, Outcome::Answer),
    }
}

/// The host's delay: the configured one, or its `Crawl-delay` if longer.
fn delay(config: &Config, robots: &Robots) -> Duration {
    robots
        .crawl_delay()
        .map_or(config.delay, |d| d.max(config.delay))
}
