//! `robots.txt`, the subset this crawler obeys: which paths it may fetch from
//! a host, and how long it must wait between requests there.

use std::time::Duration;

/// The rules of one host's `robots.txt` for one user agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Robots {
    disallow: Vec<String>,
    crawl_delay: Option<Duration>,
}

impl Robots {
    /// No rules: every path allowed, no crawl delay (a host without a
    /// `robots.txt`, or whose `robots.txt` does not answer 200).
    pub fn allow_all() -> Self {
        Robots::default()
    }

    /// The rules in `text` for `agent` (see the crate documentation,
    /// "robots.txt"): the groups that name `agent` (any case) if there are
    /// any, else the `*` groups; their `Disallow` prefixes and `Crawl-delay`.
    pub fn parse(text: &str, agent: &str) -> Self {
        // TODO: split into groups (consecutive User-agent lines open one),
        // then keep the rules of the groups that apply.
        todo!("parse robots.txt for one agent")
    }

    /// Whether `target` (path and query, as `/a/b?c`) may be fetched: no
    /// `Disallow` value is a prefix of it.
    pub fn allows(&self, target: &str) -> bool {
        todo!("no Disallow prefix matches")
    }

    /// The `Crawl-delay`, if the chosen groups give one.
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }
}
