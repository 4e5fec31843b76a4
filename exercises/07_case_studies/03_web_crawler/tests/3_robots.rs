//! Stage 3: robots.txt. Fetched once per host before any page of it, parsed
//! in the stated subset (agent groups, `*`, Disallow prefixes, Crawl-delay),
//! and obeyed: a disallowed URL is never requested.

use std::collections::BTreeSet;
use std::time::Duration;

use kit::clock::ManualClock;
use web_crawler::Robots;

use crate::common::{
    self, AGENT, Crawler, FakeWeb, RobotsFile, Spelling, assert_found, assert_no_refetch, generate,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_stages_still_hold() {
    common::smoke(2).await;
}

#[test]
fn robots_txt_is_parsed_in_the_stated_subset() {
    let text = "\
# a comment line
Disallow: /before-any-group
User-agent: *
Disallow: /private   # trailing comment
disallow: /tmp/
Crawl-delay: 4

User-agent: Other-Bot
User-agent: SDKATA-CRAWLER
DISALLOW: /only-us
Disallow:
crawl-DELAY: 1.5
Sitemap: http://h0.test/sitemap.xml
";
    let ours = Robots::parse(text, AGENT);
    assert!(
        !ours.allows("/only-us/page"),
        "robots: the group naming our agent (any case, among several User-agent lines) applies"
    );
    assert!(
        ours.allows("/private"),
        "robots: when a group names our agent, the `*` group does not apply"
    );
    assert!(
        ours.allows("/"),
        "robots: an empty Disallow forbids nothing"
    );
    assert!(
        ours.allows("/before-any-group"),
        "robots: a rule before any User-agent line belongs to no group"
    );
    assert_eq!(
        ours.crawl_delay(),
        Some(Duration::from_millis(1_500)),
        "robots: Crawl-delay is in seconds, decimals allowed (field names in any case)"
    );

    let anyone = Robots::parse(text, "curious-bot");
    assert!(
        !anyone.allows("/private"),
        "robots: `*` applies to an unnamed agent (and a `#` comment after a value is not \
         part of it)"
    );
    assert!(
        !anyone.allows("/private/x?y=1") && !anyone.allows("/privateer"),
        "robots: Disallow is a prefix of the path and query (so /private forbids /privateer)"
    );
    assert!(
        !anyone.allows("/tmp/a") && anyone.allows("/tmp"),
        "robots: field names in any case; /tmp/ does not forbid /tmp"
    );
    assert!(
        anyone.allows("/public"),
        "robots: what no prefix matches is allowed"
    );
    assert_eq!(anyone.crawl_delay(), Some(Duration::from_secs(4)));

    let empty = Robots::parse("", AGENT);
    assert!(empty.allows("/anything") && empty.crawl_delay().is_none());
    assert_eq!(Robots::allow_all(), empty, "robots: no rules is allow_all");
}

fn robots_for_the_web() -> Vec<(&'static str, RobotsFile)> {
    vec![
        (
            "h0.test",
            RobotsFile {
                text: "User-agent: *\nDisallow: /a/\n".to_owned(),
                disallow: vec!["/a/".to_owned()],
                crawl_delay: None,
            },
        ),
        (
            "h1.test",
            RobotsFile {
                text:
                    "User-agent: other\nDisallow: /\n\nUser-agent: Sdkata-Crawler\nDisallow: /g/\n\
                       Disallow: /b/c\n\nUser-agent: *\nDisallow: /d/\n"
                        .to_owned(),
                disallow: vec!["/g/".to_owned(), "/b/c".to_owned()],
                crawl_delay: None,
            },
        ),
        (
            "h2.test",
            RobotsFile {
                text: "# everything allowed\nUser-agent: *\nDisallow:\n".to_owned(),
                disallow: vec![],
                crawl_delay: None,
            },
        ),
        // h3.test has no robots.txt: its 404 allows everything.
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disallowed_pages_are_never_requested() {
    for seed in common::seeds() {
        let mut model = generate(seed, 4, 12, 4, Spelling::Mangled);
        for (host, robots) in robots_for_the_web() {
            model.robots.insert(host.to_owned(), robots);
        }
        let clock = ManualClock::new(1_000_000);
        let web = FakeWeb::start(model.clone(), &clock).await;
        let crawler = Crawler::start(common::config(&web, &clock)).await;
        let found = crawler.crawl(&["http://h0.test/"], 4, None).await;
        let expected = model.reference(&["http://h0.test/"], 4, 5);
        assert_found(
            "robots: the found set leaves out every page robots.txt forbids",
            seed,
            &found.pages,
            &expected.pages,
        );
        let requested: BTreeSet<String> = web.page_hits().iter().map(|h| h.url()).collect();
        assert_eq!(
            requested, expected.requested,
            "robots: a disallowed URL is never requested (seed {seed})"
        );
        assert_no_refetch(
            "robots: robots.txt is fetched once per host and crawl",
            &web,
        );
        let mut hosts_seen = BTreeSet::new();
        for hit in web.hits() {
            if hosts_seen.insert(hit.host.clone()) {
                assert!(
                    hit.is_robots(),
                    "robots: the first request to {} must be /robots.txt, was {}",
                    hit.host,
                    hit.target
                );
            }
            assert_eq!(
                hit.user_agent, AGENT,
                "robots: every request carries User-Agent: {AGENT} (Config::user_agent)"
            );
        }
        let m = crawler.metrics().await;
        assert_eq!(
            m.get("robots_fetches"),
            expected.robots_fetches as f64,
            "metrics: robots_fetches is one per host contacted (seed {seed})"
        );
        assert_eq!(
            m.get("robots_disallowed"),
            expected.robots_disallowed as f64,
            "metrics: robots_disallowed counts the URLs robots.txt kept us from (seed {seed})"
        );
        assert_eq!(
            m.get("page_requests"),
            expected.page_requests as f64,
            "metrics: page_requests counts page requests, not robots.txt (seed {seed})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_agent_is_the_configured_one() {
    let mut model = generate(77, 2, 6, 3, Spelling::Plain);
    model.robots.insert(
        "h1.test".to_owned(),
        RobotsFile {
            text: "User-agent: *\nDisallow: /\n\nUser-agent: night-owl\nDisallow: /g/\n".to_owned(),
            disallow: vec!["/g/".to_owned()],
            crawl_delay: None,
        },
    );
    let clock = ManualClock::new(1_000_000);
    let web = FakeWeb::start(model.clone(), &clock).await;
    let mut config = common::config(&web, &clock);
    config.user_agent = "night-owl".to_owned();
    let crawler = Crawler::start(config).await;
    let found = crawler.crawl(&["http://h0.test/"], 3, None).await;
    assert_found(
        "robots: the group for Config::user_agent applies (here: night-owl)",
        77,
        &found.pages,
        &model.reference(&["http://h0.test/"], 3, 5).pages,
    );
    assert!(
        web.hits().iter().all(|h| h.user_agent == "night-owl"),
        "robots: User-Agent is Config::user_agent"
    );
}
