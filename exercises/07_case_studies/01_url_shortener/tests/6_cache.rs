//! Stage 6: the hot-code cache, counted through `/metrics`. 1,000 GETs of
//! one code, 64 at a time on a cold cache, cost at most 1 store read (and 20
//! cold codes hit by 64 GETs each, at most 20: single-flight); an
//! unknown code costs none; the cache holds at most `cache_entries` links;
//! and a cached link still expires on time with a shrinking max-age.

use std::time::Duration;

use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_gets_of_one_hot_code_cost_one_store_read() {
    let s = Shortener::start().await;
    smoke(&s.client).await;
    let url = random_url(&mut rng("hot"));
    let code = create(&s.client, &url).await;
    // Open 64 connections first, so the 64 first GETs of the cold code
    // arrive together rather than one connection set-up apart.
    bounded(64, 64, |_| {
        let client = s.client.clone();
        async move { client.get("/metrics").await }
    })
    .await;
    let before = metric(&s.client, "store_reads").await;
    let path = format!("/{code}");
    let answers = bounded(1_000, 64, |_| {
        let client = s.client.clone();
        let path = path.clone();
        async move { client.get(&path).await }
    })
    .await;
    for answer in &answers {
        answer.expect_status("cache: every GET of a live link redirects", 302);
        answer.expect_header("cache: a cached link is the same link", "location", &url);
    }
    let reads = metric(&s.client, "store_reads").await - before;
    assert!(
        reads <= 1,
        "cache: 1,000 GETs of one code (64 at once, cache cold) cost at most 1 store read, \
         not {reads}: cache the link, and make concurrent misses on one code wait for one read \
         (single-flight) instead of each reading"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_misses_on_a_cold_code_makes_one_read() {
    let s = Shortener::start().await;
    let mut rng = rng("stampede");
    let mut links = Vec::new();
    for _ in 0..20 {
        let url = random_url(&mut rng);
        links.push((create(&s.client, &url).await, url));
    }
    bounded(64, 64, |_| {
        let client = s.client.clone();
        async move { client.get("/metrics").await }
    })
    .await;
    let before = metric(&s.client, "store_reads").await;
    // Twenty cold codes, each hit by 64 GETs at once: a design that reads
    // on every miss may get lucky once, not twenty times.
    for (code, url) in &links {
        let path = format!("/{code}");
        for answer in bounded(64, 64, |_| {
            let client = s.client.clone();
            let path = path.clone();
            async move { client.get(&path).await }
        })
        .await
        {
            answer.expect_header("cache: every GET redirects", "location", url);
        }
    }
    let reads = metric(&s.client, "store_reads").await - before;
    assert!(
        reads <= 20,
        "stampede: 20 cold codes, each hit by 64 concurrent GETs, made {reads} store reads, not \
         at most 20: misses on one code that arrive together must share one read \
         (single-flight), or a link going viral sends its whole first wave to the store"
    );
}

#[tokio::test]
async fn unknown_codes_cost_no_store_read() {
    let s = Shortener::start().await;
    create(&s.client, "https://example.com/").await;
    let before = metric(&s.client, "store_reads").await;
    let mut rng = rng("misses");
    for _ in 0..100 {
        let code = random_word(&mut rng, 6, 11);
        s.client
            .get(&format!("/{code}"))
            .await
            .expect_status("cache: unknown is 404", 404);
    }
    assert_eq!(
        metric(&s.client, "store_reads").await - before,
        0,
        "cache: the in-memory index knows every code, so an unknown code is 404 without \
         reading the log (else anyone can make the store do work for free)"
    );
}

#[tokio::test]
async fn the_cache_holds_at_most_cache_entries_links() {
    let s = Shortener::start_with(|c| c.cache_entries = 16).await;
    let mut rng = rng("bounded");
    let mut links = Vec::new();
    for _ in 0..100 {
        let url = random_url(&mut rng);
        links.push((create(&s.client, &url).await, url));
    }
    let before = metric(&s.client, "store_reads").await;
    for (code, url) in &links {
        expect_redirect(&s.client, code, url, "cache: every link redirects").await;
        let held = metric(&s.client, "cache_entries").await;
        assert!(
            held <= 16,
            "cache: with cache_entries = 16 the cache holds at most 16 links, it holds {held}: \
             an unbounded cache grows with every code ever read"
        );
    }
    assert!(
        metric(&s.client, "store_reads").await - before <= 100,
        "cache: 100 distinct codes read once each cost at most 100 store reads"
    );
    let (hot, hot_url) = &links[rng.below(100) as usize];
    let before = metric(&s.client, "store_reads").await;
    for _ in 0..100 {
        expect_redirect(&s.client, hot, hot_url, "cache: the hot code redirects").await;
    }
    assert!(
        metric(&s.client, "store_reads").await - before <= 1,
        "cache: a full cache still caches: 100 GETs of one code, at most 1 store read"
    );
}

#[tokio::test]
async fn cache_entries_zero_caches_nothing() {
    let s = Shortener::start_with(|c| c.cache_entries = 0).await;
    let code = create(&s.client, "https://example.com/uncached").await;
    let before = metric(&s.client, "store_reads").await;
    for _ in 0..10 {
        expect_redirect(
            &s.client,
            &code,
            "https://example.com/uncached",
            "cache: redirects",
        )
        .await;
    }
    assert_eq!(
        metric(&s.client, "store_reads").await - before,
        10,
        "cache: cache_entries = 0 means no cache: every GET is a store read (this is the \
         baseline the cache is measured against)"
    );
    assert_eq!(
        metric(&s.client, "cache_entries").await,
        0,
        "cache: nothing held"
    );
}

#[tokio::test]
async fn a_cached_link_still_expires_on_time() {
    let s = Shortener::start().await;
    let url = random_url(&mut rng("cached expiry"));
    let code = created_code(&shorten(&s.client, json!({ "url": url, "ttl_secs": 100 })).await);
    for _ in 0..10 {
        expect_redirect(&s.client, &code, &url, "cache: warm it").await;
    }
    s.clock.advance(Duration::from_secs(30));
    expect_redirect(&s.client, &code, &url, "cache: still live")
        .await
        .expect_header(
            "cache: a cached link's max-age is computed now (70 s left), not when it was cached",
            "cache-control",
            "private, max-age=70",
        );
    s.clock.advance(Duration::from_secs(70));
    s.client.get(&format!("/{code}")).await.expect_status(
        "cache: a link in the cache expires on time: 410 at its expiry, whatever the cache holds",
        410,
    );
}

#[tokio::test]
async fn the_least_recently_used_link_is_evicted_and_only_when_full() {
    let s = Shortener::start_with(|c| c.cache_entries = 2).await;
    let mut rng = rng("lru");
    let mut links = Vec::new();
    for _ in 0..3 {
        let url = random_url(&mut rng);
        links.push((create(&s.client, &url).await, url));
    }
    let get = |i: usize| {
        let (code, url) = &links[i];
        expect_redirect(&s.client, code, url, "cache: every link redirects")
    };
    get(0).await;
    get(1).await;
    assert_eq!(
        metric(&s.client, "cache_entries").await,
        2,
        "cache: two links read with room for two are both held: a cache evicts only when full"
    );
    get(0).await; // 0 is now the most recently used
    get(2).await; // full: evicts 1, the least recently used
    assert_eq!(
        metric(&s.client, "cache_entries").await,
        2,
        "cache: a full cache of two still holds two"
    );
    let before = metric(&s.client, "store_reads").await;
    get(0).await;
    get(2).await;
    assert_eq!(
        metric(&s.client, "store_reads").await - before,
        0,
        "cache: the two most recently used links stay cached; the least recently used one \
         is the one evicted"
    );
    get(1).await;
    assert_eq!(
        metric(&s.client, "store_reads").await - before,
        1,
        "cache: the evicted link is read from the store again"
    );
}
