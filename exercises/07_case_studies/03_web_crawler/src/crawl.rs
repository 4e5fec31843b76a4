//! The crawl engine (a suggestion: everything here is private, change it at
//! will). Breadth first by levels, a worker pool bounded over all hosts, one
//! request at a time per host with the delay between them, and a checkpoint
//! after every completed request.
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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::bloom::SeenSet;
use crate::config::Config;
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
    /// This level's URLs not yet completed (queued or in flight): after a
    /// crash, the ones in flight are fetched again.
    pub level: Vec<Item>,
    /// The next level, as found so far.
    pub next: Vec<Item>,
    /// Every admitted URL, to rebuild the seen set.
    pub seen: Vec<String>,
    /// The found set: URL to depth.
    pub pages: BTreeMap<String, u32>,
    /// Hashes of the bodies already had.
    pub fingerprints: BTreeSet<String>,
    /// Page requests made (the budget).
    pub page_requests: u64,
}

/// The service's state, shared by the routes and the crawls: the config,
/// the counters, each crawl's view for `GET /crawls/{id}`, the next id.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: Config,
    pub counters: Counters,
    // TODO: the crawls' views, the next id, the crawl tasks (to stop them).
}

/// Per host: where to connect (from the resolve map), its queue, whether a
/// request is in flight, the earliest time of the next one, its robots.txt.
struct Host {
    addr: Option<SocketAddr>,
    queue: VecDeque<Item>,
    busy: bool,
    next_allowed: Duration,
    robots: Option<Arc<Robots>>,
}

/// One crawl.
pub(crate) struct Crawler {
    shared: Arc<Shared>,
    state: CrawlState,
    seen: SeenSet,
    hosts: HashMap<String, Host>,
}

impl Crawler {
    /// Crawls level by level until the frontier is empty, the depth limit
    /// is reached or the page budget is spent; checkpoints after every
    /// completed request, then shows the new state to `GET /crawls/{id}`.
    pub async fn run(self) {
        // TODO: per level: queue the items by host; while fewer than
        // `workers` visits run, start one on the idle host with work whose
        // next_allowed is soonest; a visit sleeps until next_allowed (on
        // config.sleeper), fetches robots.txt first if the host has none
        // yet, then the page, and reports the clock after the answer.
        todo!("crawl")
    }
}
