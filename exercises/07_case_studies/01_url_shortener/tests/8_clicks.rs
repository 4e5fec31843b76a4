//! Stage 8: click counting off the request path. `GET /{code}/stats` is
//! exact once the service has been quiet for a moment (the test polls with
//! `service_kit::eventually`); only redirects count; the counts reach the
//! log in batches (at most one store write per 100 redirects: the wrong
//! design writes a record per GET), and a clean restart keeps them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_are_exact_once_the_service_is_quiet() {
    let s = Shortener::start().await;
    smoke(&s.client).await;
    let mut rng = rng("clicks");
    let mut links = Vec::new();
    for _ in 0..3 {
        let url = random_url(&mut rng);
        links.push((create(&s.client, &url).await, url));
    }
    let picks: Vec<usize> = (0..rng.range(200..400))
        .map(|_| rng.below(3) as usize)
        .collect();
    let mut expected: BTreeMap<usize, u64> = BTreeMap::new();
    for &p in &picks {
        *expected.entry(p).or_default() += 1;
    }
    let answers = bounded(picks.len(), 32, |i| {
        let client = s.client.clone();
        let path = format!("/{}", links[picks[i]].0);
        async move { client.get(&path).await }
    })
    .await;
    for answer in &answers {
        answer.expect_status("clicks: every redirect answers 302", 302);
    }
    for (i, (code, url)) in links.iter().enumerate() {
        let clicks = expected.get(&i).copied().unwrap_or(0);
        let stats = eventually_clicks(&s.client, code, clicks).await;
        let want = json!({
            "code": code, "url": url, "clicks": clicks,
            "created_at": T0, "expires_at": null,
        });
        assert_eq!(
            stats, want,
            "clicks: the stats body is {{code, url, clicks, created_at, expires_at}}"
        );
    }
}

#[tokio::test]
async fn only_redirects_count() {
    let s = Shortener::start_with(|c| c.rate_limit_per_min = 20).await;
    let code = created_code(
        &shorten(
            &s.client,
            json!({ "url": "https://example.com/short-lived", "ttl_secs": 60 }),
        )
        .await,
    );
    let path = format!("/{code}");
    for _ in 0..10 {
        s.client
            .request("GET", &path)
            .header("x-client-id", "a")
            .send()
            .await
            .expect_status("clicks: a redirect", 302);
    }
    let mut counted_b = 0;
    for _ in 0..30 {
        let answer = s
            .client
            .request("GET", &path)
            .header("x-client-id", "b")
            .send()
            .await;
        match answer.status {
            302 => counted_b += 1,
            429 => {}
            _ => answer.fail(
                "clicks: b's requests redirect or are refused",
                "neither 302 nor 429",
            ),
        }
    }
    assert_eq!(
        counted_b, 20,
        "rate limit: b's burst of 20 gets through, the other 10 are refused"
    );
    s.clock.advance(Duration::from_secs(60));
    for _ in 0..5 {
        s.client
            .request("GET", &path)
            .header("x-client-id", "c")
            .send()
            .await
            .expect_status("clicks: expired", 410);
    }
    s.client
        .get("/unknown-code-x")
        .await
        .expect_status("clicks: unknown", 404);
    let stats = eventually_clicks(&s.client, &code, 10 + counted_b).await;
    assert_eq!(
        stats["expires_at"],
        json!(T0 + 60_000),
        "clicks: an expired link's stats still answer 200, with its expiry"
    );
    s.client
        .get("/unknown-code-x/stats")
        .await
        .expect_status("clicks: the stats of an unknown code answer 404", 404);
}

#[tokio::test]
async fn counting_writes_at_most_one_record_per_100_redirects() {
    let s = Shortener::start().await;
    let url = "https://example.com/counted";
    let code = create(&s.client, url).await;
    let before = metric(&s.client, "store_writes").await;
    for _ in 0..1_000 {
        expect_redirect(&s.client, &code, url, "clicks: a redirect").await;
    }
    eventually_clicks(&s.client, &code, 1_000).await;
    let writes = metric(&s.client, "store_writes").await - before;
    assert!(
        writes <= 10,
        "clicks: 1,000 redirects made {writes} store writes; at most one per 100 redirects: \
         a log append (and perhaps an fsync) per GET puts the disk on every redirect's path. \
         Count in memory and write the counts in batches from a background task"
    );
}

#[tokio::test]
async fn counts_survive_a_clean_restart() {
    let s = Shortener::start().await;
    let mut rng = rng("restart clicks");
    let url = random_url(&mut rng);
    let code = create(&s.client, &url).await;
    let n = rng.range(100..200);
    for _ in 0..n {
        expect_redirect(&s.client, &code, &url, "clicks: a redirect").await;
    }
    eventually_clicks(&s.client, &code, n).await;
    let s = s.restart(|_| {}).await;
    let stats = s.client.get(&format!("/{code}/stats")).await;
    stats.expect_status("clicks: stats after a restart", 200);
    if stats.json()["clicks"] != json!(n) {
        stats.fail(
            "clicks: on a clean shutdown (run's shutdown future completes) the counted clicks \
             are written before run returns, and read back at start",
            format!("expected {n} clicks"),
        );
    }
}
