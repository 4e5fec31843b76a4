//! Stage 5: traps. A calendar with a page for every month forever, an
//! endless redirect chain and a redirect loop: depth, the page budget and the
//! redirect cap must each end the crawl where the documentation says.

use std::collections::BTreeSet;

use kit::clock::ManualClock;

use crate::common::{
    self, CALENDAR, Crawler, FakeWeb, HOPS, Link, Model, Resource, assert_found, assert_no_refetch,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_stages_still_hold() {
    common::smoke(4).await;
}

fn calendar_seed(month: i64) -> String {
    format!("http://{CALENDAR}/cal/{month}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_trap_ends_at_max_depth() {
    let model = Model::default();
    let clock = ManualClock::new(1_000_000);
    let web = FakeWeb::start(model.clone(), &clock).await;
    let crawler = Crawler::start(common::config(&web, &clock)).await;
    let seed = calendar_seed(24_317);
    let found = crawler.crawl(&[&seed], 6, None).await;
    assert_found(
        "traps: the calendar's months are found out to max_depth links away, and no further",
        0,
        &found.pages,
        &model.reference(&[&seed], 6, 5).pages,
    );
    assert_eq!(
        found.pages.len(),
        13,
        "traps: 6 months either way and the seed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_budget_ends_a_crawl() {
    let clock = ManualClock::new(1_000_000);
    let web = FakeWeb::start(Model::default(), &clock).await;
    let crawler = Crawler::start(common::config(&web, &clock)).await;
    let seed = calendar_seed(900);
    let found = crawler.crawl(&[&seed], 10_000, Some(40)).await;
    let pages = web.page_hits().len();
    assert_eq!(
        pages, 40,
        "traps: with max_pages 40 a crawl makes exactly 40 page requests into an endless \
         calendar, then is done"
    );
    assert_eq!(found.pages.len(), 40, "traps: each of the 40 was a page");
    let m = crawler.metrics().await;
    assert_eq!(
        m.get("page_requests"),
        40.0,
        "metrics: page_requests counts the budget's requests"
    );
    assert_no_refetch("traps: the budget ends the crawl, not dedupe", &web);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_up_to_the_cap() {
    let url = |path: &str| format!("http://r.test{path}");
    let mut model = Model::default();
    let redirect = |status: u16, location: &str, target: &str| Resource::Redirect {
        status,
        location: location.to_owned(),
        target: Some(target.to_owned()),
    };
    model.resources.insert(
        url("/"),
        Resource::page(vec![
            Link::to(
                format!("http://{HOPS}/hop/1"),
                &format!("http://{HOPS}/hop/1"),
            ),
            Link::to("/loop/a", &url("/loop/a")),
            Link::to("/moved", &url("/moved")),
            Link::to("/again", &url("/again")),
            Link::to("/gone", &url("/gone")),
        ]),
    );
    model
        .resources
        .insert(url("/loop/a"), redirect(302, "b", &url("/loop/b")));
    model
        .resources
        .insert(url("/loop/b"), redirect(307, "/loop/a", &url("/loop/a")));
    model.resources.insert(
        url("/moved"),
        redirect(
            301,
            "HTTP://H1.test:80/landing#top",
            "http://h1.test/landing",
        ),
    );
    model.resources.insert(
        "http://h1.test/landing".to_owned(),
        Resource::page(vec![Link::to("/after", "http://h1.test/after")]),
    );
    model
        .resources
        .insert("http://h1.test/after".to_owned(), Resource::page(vec![]));
    model
        .resources
        .insert(url("/again"), redirect(308, "/", &url("/")));

    let clock = ManualClock::new(1_000_000);
    let web = FakeWeb::start(model.clone(), &clock).await;
    let mut config = common::config(&web, &clock);
    config.max_redirects = 3;
    let crawler = Crawler::start(config).await;
    let found = crawler.crawl(&[&url("/")], 2, None).await;
    let expected = model.reference(&[&url("/")], 2, 3);
    assert_found(
        "redirects: a redirect is not a page; its target is, at the redirecting link's depth",
        0,
        &found.pages,
        &expected.pages,
    );
    let hops: BTreeSet<String> = web
        .page_hits()
        .iter()
        .filter(|h| h.host == HOPS)
        .map(|h| h.target.clone())
        .collect();
    let allowed: BTreeSet<String> = (1..=4).map(|n| format!("/hop/{n}")).collect();
    assert_eq!(
        hops, allowed,
        "redirects: with max_redirects 3, an endless chain is followed for exactly 3 \
         redirects (/hop/1 and its 3 targets; 301, 302, 303, 307 and 308 all redirect)"
    );
    assert_no_refetch(
        "redirects: a loop ends at the seen set, and a redirect to a page already found \
         does not fetch it again",
        &web,
    );
    let m = crawler.metrics().await;
    assert_eq!(
        m.get("redirects_followed"),
        expected.redirects_followed as f64,
        "metrics: redirects_followed counts the redirects whose target went to the seen set"
    );
    assert_eq!(
        m.get("fetch_errors"),
        expected.fetch_errors as f64,
        "metrics: the 404 is a fetch error"
    );
}
