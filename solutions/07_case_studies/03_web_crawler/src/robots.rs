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
        #[derive(Default)]
        struct Group {
            agents: Vec<String>,
            rules: Robots,
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let Some((field, value)) = line.split_once(':') else {
                continue;
            };
            let (field, value) = (field.trim().to_ascii_lowercase(), value.trim());
            if field == "user-agent" {
                if !in_agents {
                    groups.push(Group::default());
                    in_agents = true;
                }
                if let Some(group) = groups.last_mut() {
                    group.agents.push(value.to_ascii_lowercase());
                }
                continue;
            }
            in_agents = false;
            // A rule before any User-agent line belongs to no group.
            let Some(group) = groups.last_mut() else {
                continue;
            };
            match field.as_str() {
                "disallow" if !value.is_empty() => group.rules.disallow.push(value.to_owned()),
                "crawl-delay" => {
                    if let Ok(seconds) = value.parse::<f64>()
                        && seconds.is_finite()
                        && seconds >= 0.0
                    {
                        group.rules.crawl_delay = Some(Duration::from_secs_f64(seconds));
                    }
                }
                _ => {}
            }
        }
        let agent = agent.to_ascii_lowercase();
        let named: Vec<&Group> = groups
            .iter()
            .filter(|g| g.agents.contains(&agent))
            .collect();
        let chosen = if named.is_empty() {
            groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == "*"))
                .collect()
        } else {
            named
        };
        let mut robots = Robots::allow_all();
        for group in chosen {
            robots.disallow.extend(group.rules.disallow.iter().cloned());
            robots.crawl_delay = robots.crawl_delay.max(group.rules.crawl_delay);
        }
        robots
    }

    /// Whether `target` (path and query, as `/a/b?c`) may be fetched: no
    /// `Disallow` value is a prefix of it.
    pub fn allows(&self, target: &str) -> bool {
        !self
            .disallow
            .iter()
            .any(|prefix| target.starts_with(prefix))
    }

    /// The `Crawl-delay`, if the chosen groups give one.
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }
}
