//! Stage 4 (the wrong design): politeness on injected time. The fake web
//! records when every request arrives and when its answer ends, per host, on
//! the clock the crawler is given; a crawler that does not keep one request
//! per host at a time, and the host's delay from the end of one answer to
//! the next request, is listed violation by violation.

use std::time::Duration;

use kit::clock::ManualClock;

use crate::common::{self, Crawler, FakeWeb, RobotsFile, Spelling, assert_found, generate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_stages_still_hold() {
    common::smoke(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_a_host_never_overlap_or_come_too_soon() {
    for seed in common::seeds() {
        let mut model = generate(seed, 3, 10, 4, Spelling::Mangled);
        model.robots.insert(
            "h2.test".to_owned(),
            RobotsFile {
                text: "User-agent: *\nCrawl-delay: 2.5\n".to_owned(),
                disallow: vec![],
                crawl_delay: Some(Duration::from_millis(2_500)),
            },
        );
        model.robots.insert(
            "h1.test".to_owned(),
            RobotsFile {
                // Shorter than the configured delay: the configured one wins.
                text: "User-agent: *\nCrawl-delay: 0.2\n".to_owned(),
                disallow: vec![],
                crawl_delay: Some(Duration::from_millis(200)),
            },
        );
        let clock = ManualClock::new(1_000_000);
        let web = FakeWeb::start(model.clone(), &clock).await;
        let mut config = common::config(&web, &clock);
        config.delay = Duration::from_millis(1_000);
        let crawler = Crawler::start(config).await;
        let found = crawler.crawl(&["http://h0.test/"], 3, None).await;
        assert_found(
            "politeness: a polite crawl finds the same pages",
            seed,
            &found.pages,
            &model.reference(&["http://h0.test/"], 3, 5).pages,
        );
        let delay = Duration::from_millis(1_000);
        let violations = web.politeness_violations(|h| model.delay_for(h, delay));
        assert!(
            violations.is_empty(),
            "politeness: one request per host at a time, and at least the host's delay (the \
             larger of Config::delay, 1 s, and its Crawl-delay: 2.5 s on h2.test) between the \
             end of one answer and the next request, robots.txt included (seed {seed}); \
             violations:\n{violations:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delay_runs_from_the_end_of_a_slow_answer() {
    let mut model = generate(31, 2, 8, 3, Spelling::Plain);
    // Every page takes 3 s to serve, three times the delay: a crawler that
    // spaces request *starts* by the delay sends the next one at once.
    for url in model.resources.keys().cloned().collect::<Vec<_>>() {
        model.slow.insert(url, Duration::from_secs(3));
    }
    let clock = ManualClock::new(1_000_000);
    let web = FakeWeb::start(model.clone(), &clock).await;
    let mut config = common::config(&web, &clock);
    config.delay = Duration::from_secs(1);
    let crawler = Crawler::start(config).await;
    let found = crawler.crawl(&["http://h0.test/"], 3, None).await;
    assert_found(
        "politeness: slow pages are still found",
        31,
        &found.pages,
        &model.reference(&["http://h0.test/"], 3, 5).pages,
    );
    let violations = web.politeness_violations(|_| Duration::from_secs(1));
    assert!(
        violations.is_empty(),
        "politeness: the delay counts from the end of the answer (read the clock after the \
         whole answer is in), not from the start of the request; violations:\n{violations:#?}"
    );
}
