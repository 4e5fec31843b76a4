//! Stage 7: a bounded worker pool. Held pages answer only once another
//! request is in flight (and a moment more), so a crawler that fetches one
//! page at a time is seen; the fake web counts requests in flight, so one
//! that spawns a task per URL is seen too.

use std::time::Duration;

use kit::clock::ManualClock;

use crate::common::{self, Crawler, FakeWeb, Link, Model, Resource, assert_found};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_stages_still_hold() {
    common::smoke(6).await;
}

/// A seed on h0.test linking to the index of 6 hosts, each linking to 2
/// pages of its own; every page but the seed is held.
fn wide_web() -> Model {
    let mut model = Model::default();
    let mut seed_links = Vec::new();
    for h in 1..=6 {
        let index = format!("http://h{h}.test/");
        seed_links.push(Link::to(index.clone(), &index));
        let pages: Vec<String> = (0..2).map(|p| format!("http://h{h}.test/p{p}")).collect();
        let links = pages.iter().map(|p| Link::to(p.clone(), p)).collect();
        model.resources.insert(index.clone(), Resource::page(links));
        model.hold.insert(index);
        for page in pages {
            model.resources.insert(
                page.clone(),
                Resource::Page {
                    links: vec![],
                    text: page.clone(),
                },
            );
            model.hold.insert(page);
        }
    }
    model
        .resources
        .insert("http://h0.test/".to_owned(), Resource::page(seed_links));
    model
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_are_fetched_in_parallel_within_the_pool() {
    for workers in [2, 3] {
        let model = wide_web();
        let clock = ManualClock::new(1_000_000);
        let web = FakeWeb::start(model.clone(), &clock).await;
        let mut config = common::config(&web, &clock);
        config.workers = workers;
        config.delay = Duration::from_secs(1);
        let crawler = Crawler::start(config).await;
        let found = crawler.crawl(&["http://h0.test/"], 2, None).await;
        assert_found(
            "pool: a pooled crawl finds the same pages",
            0,
            &found.pages,
            &model.reference(&["http://h0.test/"], 2, 5).pages,
        );
        let most = web.max_in_flight();
        assert!(
            most >= 2,
            "pool: with {workers} workers and 7 hosts, requests to at least 2 hosts must be \
             in flight at once; at most {most} ever were (one page at a time is not a pool)"
        );
        assert!(
            most <= workers,
            "pool: at most Config::workers = {workers} requests in flight over all hosts; \
             {most} were (a task per URL is not a bounded pool)"
        );
        let violations = web.politeness_violations(|_| Duration::from_secs(1));
        assert!(
            violations.is_empty(),
            "pool: the pool stays polite (one request per host, the delay between); \
             violations:\n{violations:#?}"
        );
    }
}
