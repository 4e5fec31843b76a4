//! Stage 1: the API, link extraction, and a breadth-first crawl whose found
//! set is exactly the reference set: every page within `max_depth` links of
//! the seed, each at its shortest distance.

use kit::clock::ManualClock;
use serde_json::json;
use web_crawler::extract_links;

use crate::common::{
    self, Crawler, FakeWeb, Link, Model, Resource, Spelling, assert_found, generate,
};

#[test]
fn links_come_from_the_href_of_a_tags_only() {
    let html = r#"<html><body>
        <a href="http://h1.test/abs">one</a>
        <A HREF='/single'>two</A>
        <a class="x" href = "rel/path" id="y">three</a>
        <a
           href="/multi?a=1&amp;b=2">four</a>
        <a href="">five</a>
        <a name="anchor">no href</a>
        <a href=/unquoted>bare</a>
        <!-- <a href="/in-a-comment">old</a> -->
        <link href="/style.css"><area href="/map"><abbr href="/abbr">x</abbr>
        <a title="t" href="/abs">again</a>
    </body></html>"#;
    assert_eq!(
        extract_links(html),
        [
            "http://h1.test/abs",
            "/single",
            "rel/path",
            "/multi?a=1&b=2",
            "",
            "/abs"
        ],
        "links: the href of every <a> tag in document order, duplicates kept, names in any \
         case, double or single quotes, &amp; decoded; no link from an <a> without href, an \
         unquoted value, a comment, or another tag (<link>, <area>, <abbr>)"
    );
    assert!(
        extract_links("").is_empty(),
        "links: an empty page has none"
    );
    assert!(
        extract_links("<p>no links <b>here</b></p><!-- <a href=\"/x\">").is_empty(),
        "links: an unterminated comment hides the rest of the page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_starts_and_reports_crawls() {
    let clock = ManualClock::new(1_000_000);
    let mut model = Model::default();
    model.resources.insert(
        "http://h0.test/".to_owned(),
        Resource::page(vec![Link::to("/next", "http://h0.test/next")]),
    );
    model
        .resources
        .insert("http://h0.test/next".to_owned(), Resource::page(vec![]));
    let web = FakeWeb::start(model, &clock).await;
    let crawler = Crawler::start(common::config(&web, &clock)).await;
    let client = &crawler.client;

    let bad_bodies = [
        ("not JSON", "seeds please".to_owned()),
        ("no seeds", json!({ "max_depth": 1 }).to_string()),
        (
            "no max_depth",
            json!({ "seeds": ["http://h0.test/"] }).to_string(),
        ),
        (
            "empty seeds",
            json!({ "seeds": [], "max_depth": 1 }).to_string(),
        ),
        (
            "an ftp seed",
            json!({ "seeds": ["ftp://h0.test/"], "max_depth": 1 }).to_string(),
        ),
        (
            "a relative seed",
            json!({ "seeds": ["/index"], "max_depth": 1 }).to_string(),
        ),
        (
            "max_pages 0",
            json!({ "seeds": ["http://h0.test/"], "max_depth": 1, "max_pages": 0 }).to_string(),
        ),
        (
            "an unknown field",
            json!({ "seeds": ["http://h0.test/"], "max_depth": 1, "speed": 9 }).to_string(),
        ),
        (
            "a negative depth",
            json!({ "seeds": ["http://h0.test/"], "max_depth": -1 }).to_string(),
        ),
    ];
    for (what, body) in bad_bodies {
        let answer = client
            .request("POST", "/crawls")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let rule = format!("api: POST /crawls with {what} answers 400 with {{\"error\": ...}}");
        answer.expect_status(&rule, 400);
        if !answer.json()["error"].is_string() {
            answer.fail(&rule, "no string `error` in the body");
        }
    }

    let first = crawler.begin(&["http://h0.test/"], 1, None).await;
    assert_eq!(first, 1, "api: crawl ids are integers from 1");
    let found = crawler.finish(first).await;
    let expected: Vec<(String, u32)> = vec![
        ("http://h0.test/".to_owned(), 0),
        ("http://h0.test/next".to_owned(), 1),
    ];
    assert_eq!(
        found.pages.into_iter().collect::<Vec<_>>(),
        expected,
        "api: GET /crawls/{{id}} lists the pages found, sorted by URL, with their depths"
    );
    let second = crawler.begin(&["http://h0.test/next"], 0, Some(5)).await;
    assert_eq!(second, 2, "api: each crawl gets the next id");
    let answer = client.get("/crawls/2").await;
    answer.expect_status("api: GET /crawls/{id} answers 200", 200);
    if answer.json()["id"] != json!(2) {
        answer.fail("api: the status names its crawl's id", "`id` is not 2");
    }
    crawler.finish(second).await;

    for unknown in ["/crawls/99", "/crawls/zero"] {
        let answer = client.get(unknown).await;
        answer.expect_status("api: an unknown crawl answers 404", 404);
        if !answer.json()["error"].is_string() {
            answer.fail("api: a 404 says why in {\"error\": ...}", "no `error`");
        }
    }
    let metrics = crawler.metrics().await;
    assert_eq!(
        metrics.get("pages_fetched"),
        3.0,
        "metrics: pages_fetched counts every 200 answer over all crawls (2 + 1)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bfs_finds_exactly_the_reference_set() {
    for seed in common::seeds() {
        let model = generate(seed, 3, 12, 3, Spelling::Plain);
        let clock = ManualClock::new(1_000_000);
        let web = FakeWeb::start(model.clone(), &clock).await;
        let crawler = Crawler::start(common::config(&web, &clock)).await;
        let mut pages = 0;
        for depth in [0, 1, 2, 4] {
            let found = crawler.crawl(&["http://h0.test/"], depth, None).await;
            let expected = model.reference(&["http://h0.test/"], depth, 5);
            assert_found(
                &format!(
                    "bfs: a crawl to depth {depth} finds exactly the pages within {depth} links"
                ),
                seed,
                &found.pages,
                &expected.pages,
            );
            pages += expected.pages.len();
        }
        let metrics = crawler.metrics().await;
        assert_eq!(
            metrics.get("pages_fetched"),
            pages as f64,
            "metrics: pages_fetched counts the 200 answers of every crawl (seed {seed})"
        );
    }
}

/// s links a, b, w, x. a -> c -> d and b -> d; w -> z and x -> y -> z;
/// d -> e -> f and z -> q -> r. To depth 3 the reference finds e and q (d
/// and z are at depth 2). A depth-first crawler that follows links in page
/// order meets d first at depth 3 via a and c, stops there and never finds
/// e; one that pops a stack (last link first) does the same to q via x, y.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_is_the_shortest_distance_from_the_seed() {
    let clock = ManualClock::new(1_000_000);
    let url = |name: &str| format!("http://h0.test/{name}");
    let mut model = Model::default();
    let graph = [
        ("s", vec!["a", "b", "w", "x"]),
        ("a", vec!["c"]),
        ("c", vec!["d"]),
        ("b", vec!["d"]),
        ("d", vec!["e"]),
        ("e", vec!["f"]),
        ("w", vec!["z"]),
        ("x", vec!["y"]),
        ("y", vec!["z"]),
        ("z", vec!["q"]),
        ("q", vec!["r"]),
        ("f", vec![]),
        ("r", vec![]),
    ];
    for (from, to) in graph {
        let links = to.iter().map(|t| Link::to(*t, &url(t))).collect();
        model.resources.insert(url(from), Resource::page(links));
    }
    let web = FakeWeb::start(model.clone(), &clock).await;
    let crawler = Crawler::start(common::config(&web, &clock)).await;
    let found = crawler.crawl(&[&url("s")], 3, None).await;
    assert_found(
        "bfs: a page's depth is its shortest distance from the seed (a depth-first crawler \
         reaches d or z by its long path first, stops there at the depth limit, and never \
         finds e or q)",
        0,
        &found.pages,
        &model.reference(&[&url("s")], 3, 5).pages,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_unknown_hosts_are_not_pages() {
    let clock = ManualClock::new(1_000_000);
    let mut model = Model::default();
    model.resources.insert(
        "http://h0.test/".to_owned(),
        Resource::page(vec![
            Link::to("/missing", "http://h0.test/missing"),
            Link::to("http://elsewhere.test/", "http://elsewhere.test/"),
            Link::to("http://h1.test/", "http://h1.test/"),
        ]),
    );
    model
        .resources
        .insert("http://h1.test/".to_owned(), Resource::page(vec![]));
    model.unresolved.insert("elsewhere.test".to_owned());
    let web = FakeWeb::start(model.clone(), &clock).await;
    let crawler = Crawler::start(common::config(&web, &clock)).await;
    let found = crawler.crawl(&["http://h0.test/"], 2, None).await;
    let expected = model.reference(&["http://h0.test/"], 2, 5);
    assert_found(
        "bfs: a 404 is not a page, and a host outside the resolve map is never fetched",
        0,
        &found.pages,
        &expected.pages,
    );
    let metrics = crawler.metrics().await;
    assert_eq!(
        metrics.get("fetch_errors"),
        1.0,
        "metrics: fetch_errors counts the page request that answered 404"
    );
    common::assert_no_refetch("bfs: a page that answered 404 is not retried", &web);
    assert!(
        web.hits().iter().all(|h| h.host != "elsewhere.test"),
        "bfs: a host that is not in the resolve map is never asked for anything"
    );
}
