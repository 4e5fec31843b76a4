//! Stage 7: per-client rate limits on the injected clock. A client (the
//! `x-client-id` header, else its IP address) may make `rate_limit_per_min`
//! requests a minute in bursts of as many; beyond that, 429 with
//! `Retry-After` in whole seconds. The bucket refills continuously (the
//! wrong design: a fixed window that refills all at once at its end), and a
//! refused request costs nothing.

use std::time::Duration;

use serde_json::json;

use crate::common::*;

async fn get_as(s: &Shortener, client: &str, path: &str) -> service_kit::Exchange {
    s.client
        .request("GET", path)
        .header("x-client-id", client)
        .send()
        .await
}

#[tokio::test]
async fn earlier_stages_still_pass() {
    smoke(&Shortener::start().await.client).await;
}

#[tokio::test]
async fn a_client_over_its_limit_gets_429_with_retry_after() {
    let mut rng = rng("limits");
    let per_min = [6_u32, 12, 20, 30, 60][rng.below(5) as usize];
    let s = Shortener::start_with(|c| c.rate_limit_per_min = per_min).await;
    let alice = format!("alice-{}", rng.next_u64());
    let code = created_code(
        &s.client
            .request("POST", "/shorten")
            .header("x-client-id", "setup")
            .json(&json!({ "url": "https://example.com/limited" }))
            .send()
            .await,
    );
    for i in 0..per_min {
        let path = if i % 3 == 0 {
            format!("/{code}/stats")
        } else {
            format!("/{code}")
        };
        let exchange = get_as(&s, &alice, &path).await;
        if exchange.status == 429 {
            exchange.fail(
                "rate limit: a client may make rate_limit_per_min requests in a burst",
                format!("refused request {} of {per_min}", i + 1),
            );
        }
    }
    let refused = s
        .client
        .request("POST", "/shorten")
        .header("x-client-id", &alice)
        .json(&json!({ "url": "https://example.com/one-too-many" }))
        .send()
        .await;
    refused.expect_status(
        "rate limit: one request past the burst answers 429 (every route but /metrics counts)",
        429,
    );
    refused.expect_header(
        "rate limit: Retry-After is the whole seconds until the next request is allowed: \
         60 / rate_limit_per_min when the bucket is just empty",
        "retry-after",
        &(60 / per_min).to_string(),
    );
    if refused.json()["error"].as_str().is_none() {
        refused.fail(
            "errors: a refusal's body is {\"error\": why}",
            "no `error` string",
        );
    }
    get_as(&s, "bob", &format!("/{code}"))
        .await
        .expect_status("rate limit: each client has its own limit", 302);
    for _ in 0..3 {
        s.client
            .request("GET", "/metrics")
            .header("x-client-id", &alice)
            .send()
            .await
            .expect_status("rate limit: /metrics is never limited", 200);
    }
}

#[tokio::test]
async fn the_bucket_refills_continuously_on_the_injected_clock() {
    let s = Shortener::start_with(|c| c.rate_limit_per_min = 6).await;
    let code = create(&s.client, "https://example.com/refill").await;
    let path = format!("/{code}");
    for _ in 0..6 {
        get_as(&s, "carol", &path)
            .await
            .expect_status("rate limit: the burst", 302);
    }
    let rule = "rate limit: 6 a minute is one every 10 s; Retry-After counts down on the clock, in whole seconds rounded up (5.5 s left: 6)";
    get_as(&s, "carol", &path)
        .await
        .expect_header(rule, "retry-after", "10");
    s.clock.advance(Duration::from_millis(4_500));
    get_as(&s, "carol", &path)
        .await
        .expect_status(rule, 429)
        .expect_header(rule, "retry-after", "6");
    s.clock.advance(Duration::from_millis(5_500));
    get_as(&s, "carol", &path).await.expect_status(
        "fixed window: 10 s after the bucket emptied, one request is allowed (a fixed \
         one-minute window would still refuse it)",
        302,
    );
    get_as(&s, "carol", &path)
        .await
        .expect_status(rule, 429)
        .expect_header(rule, "retry-after", "10");
    s.clock.advance(Duration::from_secs(120));
    for _ in 0..6 {
        get_as(&s, "carol", &path)
            .await
            .expect_status("rate limit: a full bucket again", 302);
    }
    get_as(&s, "carol", &path).await.expect_status(
        "rate limit: an idle client's bucket fills to the burst and no further",
        429,
    );
}

#[tokio::test]
async fn a_refused_request_costs_nothing() {
    let s = Shortener::start_with(|c| c.rate_limit_per_min = 6).await;
    let path = "/whatever-it-is";
    for _ in 0..6 {
        get_as(&s, "dave", path)
            .await
            .expect_status("rate limit: the burst (404s count)", 404);
    }
    for _ in 0..50 {
        get_as(&s, "dave", path)
            .await
            .expect_status("rate limit: over the limit", 429);
    }
    s.clock.advance(Duration::from_secs(10));
    get_as(&s, "dave", path).await.expect_status(
        "rate limit: refused requests take no tokens, so 10 s later one is allowed again \
         (else a client that retries too early is locked out for ever)",
        404,
    );
}

#[tokio::test]
async fn without_the_header_the_peer_address_is_the_client() {
    let s = Shortener::start_with(|c| c.rate_limit_per_min = 6).await;
    for _ in 0..6 {
        s.client
            .get("/nobody")
            .await
            .expect_status("rate limit: the burst", 404);
    }
    let other = service_kit::Client::new(s.client.addr());
    other.get("/nobody").await.expect_status(
        "rate limit: without x-client-id, every connection from 127.0.0.1 is one client",
        429,
    );
}
