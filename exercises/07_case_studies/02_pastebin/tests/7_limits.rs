//! Stage 7: a token bucket per client. Each `X-Client-Id` has `burst`
//! requests at once, refilled at `per_sec` a second on the injected clock;
//! past that, 429 with `Retry-After`. Clients do not share buckets; requests
//! without the header share the one `anonymous` bucket; /metrics and
//! /admin/sweep are not limited.

use std::time::Duration;

use pastebin::RateLimit;
use service_kit::Exchange;

use crate::common::{self, Pastebin, expect_error};

fn limited(burst: u32, per_sec: u32) -> impl FnOnce(&mut pastebin::Config) {
    move |config| config.rate = RateLimit { burst, per_sec }
}

async fn get_as(bin: &Pastebin, client_id: Option<&str>, path: &str) -> Exchange {
    let mut request = bin.client.request("GET", path);
    if let Some(id) = client_id {
        request = request.header("x-client-id", id);
    }
    request.send().await
}

#[tokio::test]
async fn earlier_stages_still_hold() {
    let bin = Pastebin::default().await;
    common::smoke(&bin.client).await;
}

#[tokio::test]
async fn past_the_burst_a_client_gets_429_until_a_token_refills() {
    let bin = Pastebin::start(limited(3, 1)).await;
    let path = "/pastes/0123456789abcdefABCDEF";
    for i in 0..3 {
        get_as(&bin, Some("alice"), path).await.expect_status(
            &format!(
                "limit: request {} of a burst of 3 is served (404: no such paste)",
                i + 1
            ),
            404,
        );
    }
    let refused = get_as(&bin, Some("alice"), path).await;
    expect_error(
        &refused,
        "limit: the 4th request of a burst of 3 answers 429 {\"error\": \"rate limited\"}",
        429,
        "rate limited",
    );
    refused.expect_header(
        "limit: a 429 says in Retry-After how many whole seconds until the next token (1 at 1 per second)",
        "retry-after",
        "1",
    );
    get_as(&bin, Some("bob"), path)
        .await
        .expect_status("limit: another X-Client-Id has its own bucket", 404);
    bin.advance(Duration::from_millis(999));
    get_as(&bin, Some("alice"), path).await.expect_status(
        "limit: 999 ms refill less than one token at 1 per second: still 429",
        429,
    );
    bin.advance(Duration::from_millis(1));
    get_as(&bin, Some("alice"), path)
        .await
        .expect_status("limit: after Retry-After the next request is served", 404);
    get_as(&bin, Some("alice"), path)
        .await
        .expect_status("limit: one token refilled is one request", 429);
    bin.advance(Duration::from_secs(3_600));
    for _ in 0..3 {
        get_as(&bin, Some("alice"), path)
            .await
            .expect_status("limit: an idle bucket refills to burst and no further", 404);
    }
    get_as(&bin, Some("alice"), path).await.expect_status(
        "limit: an hour idle still allows only burst requests at once",
        429,
    );
    assert_eq!(
        bin.client.metrics().await.get("rate_limited"),
        4.0,
        "limit: /metrics rate_limited counts 429 answers"
    );
    for _ in 0..10 {
        bin.client
            .request("POST", "/admin/sweep")
            .send()
            .await
            .expect_status("limit: /admin/sweep is not limited", 200);
    }
}

#[tokio::test]
async fn every_paste_route_is_limited_and_anonymous_clients_share_a_bucket() {
    let bin = Pastebin::start(limited(2, 1)).await;
    let exchange = bin
        .client
        .request("POST", "/pastes")
        .header("x-client-id", "carol")
        .body("one")
        .send()
        .await;
    let paste = common::created(&exchange, b"one", "text/plain; charset=utf-8");
    bin.client
        .request("DELETE", &format!("/pastes/{}", paste.token))
        .header("x-client-id", "carol")
        .send()
        .await
        .expect_status(
            "limit: a DELETE with the wrong token still spends a token (403)",
            403,
        );
    expect_error(
        &bin.client
            .request("POST", "/pastes")
            .header("x-client-id", "carol")
            .body("two")
            .send()
            .await,
        "limit: POST /pastes is limited",
        429,
        "rate limited",
    );
    let path = format!("/pastes/{}", paste.token);
    get_as(&bin, None, &path)
        .await
        .expect_status("limit: an anonymous request is served", 200);
    get_as(&bin, None, &path)
        .await
        .expect_status("limit: a second anonymous request is served", 200);
    get_as(&bin, None, &path)
        .await
        .expect_status("limit: requests without X-Client-Id share one bucket", 429);
    for _ in 0..5 {
        bin.client.metrics().await;
    }
}
