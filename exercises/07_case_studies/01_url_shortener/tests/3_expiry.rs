//! Stage 3: expiry on the injected clock, and what a cached redirect may
//! promise. A link with `ttl_secs` answers 302 until `created_at + ttl`,
//! then 410 Gone; its `Cache-Control: private, max-age=N` never lets a
//! browser keep it past that instant (the wrong design: a 301, or a long
//! max-age, cached by the browser after the link has died).

use std::time::Duration;

use serde_json::json;

use crate::common::*;

/// `max-age` from a `Cache-Control: private, max-age=N` header.
fn max_age(exchange: &service_kit::Exchange) -> u64 {
    let value = exchange.header("cache-control").unwrap_or_else(|| {
        exchange.fail(
            "caching: every redirect says how long it may be cached",
            "no Cache-Control header",
        )
    });
    value
        .strip_prefix("private, max-age=")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            exchange.fail(
                "caching: the header is exactly `private, max-age=N`",
                format!("received {value:?}"),
            )
        })
}

#[tokio::test]
async fn a_link_answers_302_until_its_expiry_then_410() {
    let s = Shortener::start().await;
    smoke(&s.client).await;
    let mut rng = rng("expiry");
    for _ in 0..5 {
        let url = random_url(&mut rng);
        let ttl = rng.range(1..86_401);
        let created_at = s.clock_now();
        let exchange = shorten(&s.client, json!({ "url": url, "ttl_secs": ttl })).await;
        let code = created_code(&exchange);
        let expires_at = created_at + ttl * 1_000;
        if exchange.json()["expires_at"] != json!(expires_at) {
            exchange.fail(
                "expiry: expires_at is created_at + ttl_secs × 1000 (Unix ms)",
                format!("expected {expires_at}"),
            );
        }
        s.clock.set_unix_millis(expires_at - 1);
        expect_redirect(
            &s.client,
            &code,
            &url,
            "expiry: a link lives until 1 ms before its expiry",
        )
        .await;
        s.clock.set_unix_millis(expires_at);
        let gone = s.client.get(&format!("/{code}")).await;
        gone.expect_status("expiry: at its expiry instant a link answers 410 Gone", 410);
        if gone.json()["error"].as_str().is_none() {
            gone.fail(
                "errors: a refusal's body is {\"error\": why}",
                "no `error` string",
            );
        }
        s.clock.advance(Duration::from_secs(3600));
        s.client
            .get(&format!("/{code}"))
            .await
            .expect_status("expiry: an expired link stays 410, never 404", 410);
    }
}

#[tokio::test]
async fn expiry_follows_the_wall_clock() {
    let s = Shortener::start().await;
    let code = created_code(
        &shorten(
            &s.client,
            json!({ "url": "https://example.com/wall", "ttl_secs": 60 }),
        )
        .await,
    );
    // The wall clock jumps (as after a restart, or an NTP step); the
    // monotonic clock does not move.
    s.clock.set_unix_millis(T0 + 60_000);
    s.client.get(&format!("/{code}")).await.expect_status(
        "expiry: expires_at is a wall-clock instant (it is stored, and must mean the same \
         after a restart): it passes when unix_millis passes it",
        410,
    );
}

#[tokio::test]
async fn a_cached_redirect_never_outlives_its_link() {
    let s = Shortener::start().await;
    let url = random_url(&mut rng("max-age"));
    let code = created_code(&shorten(&s.client, json!({ "url": url, "ttl_secs": 100 })).await);
    let rule = "302 cached forever: a redirect is 302 Found (a 301 is cached by browsers with \
                no end), with max-age = min(300, whole seconds left)";
    let first = expect_redirect(&s.client, &code, &url, rule).await;
    assert_eq!(
        max_age(&first),
        100,
        "caching: 100 s left, max-age=100\n{}",
        first.transcript(rule, "")
    );
    for (advance_ms, left) in [(40_500, 59), (59_000, 0)] {
        s.clock.advance(Duration::from_millis(advance_ms));
        let later = expect_redirect(&s.client, &code, &url, rule).await;
        let age = max_age(&later);
        if age != left {
            later.fail(
                rule,
                format!(
                    "{left} whole seconds are left, so max-age={left}; received {age}: a \
                         browser would keep the redirect after the link expired"
                ),
            );
        }
    }
    let long = created_code(&shorten(&s.client, json!({ "url": url, "ttl_secs": 100_000 })).await);
    let exchange = expect_redirect(&s.client, &long, &url, rule).await;
    exchange.expect_header(
        "caching: max-age is at most 300 even for a link with a long life",
        "cache-control",
        "private, max-age=300",
    );
}

#[tokio::test]
async fn ttl_out_of_range_is_refused_with_400() {
    let s = Shortener::start().await;
    for ttl in [
        json!(0),
        json!(315_360_001_u64),
        json!(-5),
        json!(1.5),
        json!("10"),
    ] {
        shorten(
            &s.client,
            json!({ "url": "https://example.com/", "ttl_secs": ttl }),
        )
        .await
        .expect_status(
            "validation: ttl_secs is an integer from 1 to 315360000 (ten years); else 400",
            400,
        );
    }
    let exchange = shorten(
        &s.client,
        json!({ "url": "https://example.com/", "ttl_secs": 315_360_000_u64 }),
    )
    .await;
    created_code(&exchange);
    if exchange.json()["expires_at"] != json!(T0 + 315_360_000_000) {
        exchange.fail(
            "expiry: ten years is accepted, to the millisecond",
            "wrong expires_at",
        );
    }
    let exchange = shorten(
        &s.client,
        json!({ "url": "https://example.com/", "ttl_secs": null }),
    )
    .await;
    created_code(&exchange);
    if exchange.json()["expires_at"] != json!(null) {
        exchange.fail(
            "expiry: ttl_secs null means never",
            "expires_at is not null",
        );
    }
}

#[tokio::test]
async fn an_expired_alias_stays_taken() {
    let s = Shortener::start().await;
    let alias = random_word(&mut rng("expired alias"), 5, 12);
    created_code(
        &shorten(
            &s.client,
            json!({ "url": "https://example.com/a", "alias": alias, "ttl_secs": 1 }),
        )
        .await,
    );
    s.clock.advance(Duration::from_secs(1));
    s.client
        .get(&format!("/{alias}"))
        .await
        .expect_status("expiry: 410 after 1 s", 410);
    shorten(
        &s.client,
        json!({ "url": "https://example.com/b", "alias": alias }),
    )
    .await
    .expect_status(
        "aliases: an expired alias stays taken (409): a reader who saved the short link \
             must never be sent somewhere new",
        409,
    );
}

trait Now {
    fn clock_now(&self) -> u64;
}

impl Now for Shortener {
    fn clock_now(&self) -> u64 {
        kit::clock::Clock::unix_millis(&self.clock)
    }
}
