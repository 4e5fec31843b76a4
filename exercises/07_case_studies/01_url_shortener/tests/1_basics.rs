//! Stage 1: create a link, follow it. `POST /shorten` answers 201 with the
//! code, `GET /{code}` answers 302 to the URL, an unknown code 404, and every
//! malformed request 400.

use std::collections::HashSet;

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn shorten_answers_201_and_the_code_redirects_to_the_url() {
    let s = Shortener::start().await;
    let mut rng = rng("basics");
    let mut codes = HashSet::new();
    for _ in 0..20 {
        let url = random_url(&mut rng);
        let exchange = shorten(&s.client, json!({ "url": url })).await;
        let code = created_code(&exchange);
        check_generated_code(&exchange, &code);
        let body = exchange.json();
        let expect = |field: &str, value: serde_json::Value| {
            if body[field] != value {
                exchange.fail(
                    "shorten: the 201 body is {code, short_url, url, created_at, expires_at}",
                    format!("`{field}`: expected {value}, received {}", body[field]),
                );
            }
        };
        expect(
            "short_url",
            json!(format!("http://{}/{code}", s.client.addr())),
        );
        expect("url", json!(url));
        expect("created_at", json!(T0));
        expect("expires_at", json!(null));
        assert!(
            codes.insert(code.clone()),
            "codes: {code} was handed out twice: a code must name one link"
        );
        let redirect = expect_redirect(
            &s.client,
            &code,
            &url,
            "redirect: GET /{code} answers 302 Found with Location: the URL",
        )
        .await;
        redirect.expect_header(
            "redirect: a link that never expires is cached for 300 s at most, privately",
            "cache-control",
            "private, max-age=300",
        );
    }
}

#[tokio::test]
async fn every_create_makes_a_new_link_even_for_the_same_url() {
    let s = Shortener::start().await;
    let url = random_url(&mut rng("same url"));
    let first = create(&s.client, &url).await;
    let second = create(&s.client, &url).await;
    assert_ne!(
        first, second,
        "shorten: two links to one URL are two links (each may expire and count clicks on its own)"
    );
    for code in [&first, &second] {
        expect_redirect(&s.client, code, &url, "redirect: both links work").await;
    }
}

#[tokio::test]
async fn unknown_codes_answer_404() {
    let s = Shortener::start().await;
    create(&s.client, "https://example.com/").await;
    let mut rng = rng("unknown");
    for _ in 0..20 {
        let code = random_word(&mut rng, 1, 11);
        let exchange = s.client.get(&format!("/{code}")).await;
        exchange.expect_status("redirect: a code no link has answers 404", 404);
        if exchange.json()["error"].as_str().is_none() {
            exchange.fail(
                "errors: a refusal's body is {\"error\": why}",
                "no `error` string",
            );
        }
    }
    s.client
        .get("/not.a-code~")
        .await
        .expect_status("redirect: a path that cannot be a code answers 404", 404);
}

#[tokio::test]
async fn malformed_urls_are_refused_with_400() {
    let s = Shortener::start().await;
    let too_long = format!("https://example.com/{}", "a".repeat(2049 - 20));
    assert_eq!(too_long.len(), 2049);
    for url in [
        "",
        "example.com/page",
        "ftp://example.com/file",
        "javascript:alert(1)",
        "mailto:someone@example.com",
        "http://",
        "https:///path",
        "https://exa mple.com/",
        "https://example.com/\tx",
        "https://example.com/\r\nSet-Cookie: a=b",
        "https://例え.jp/",
        too_long.as_str(),
    ] {
        let exchange = shorten(&s.client, json!({ "url": url })).await;
        exchange.expect_status(
            "validation: a URL that is not absolute http(s), printable ASCII, at most 2048 bytes, \
             with a host, answers 400 (a stored URL goes into a Location header)",
            400,
        );
        if exchange.json()["error"].as_str().is_none() {
            exchange.fail(
                "errors: a refusal's body is {\"error\": why}",
                "no `error` string",
            );
        }
    }
    let longest = format!("https://example.com/{}", "b".repeat(2048 - 20));
    for url in ["HTTPS://Example.COM/Path", "http://h", longest.as_str()] {
        let code = create(&s.client, url).await;
        expect_redirect(
            &s.client,
            &code,
            url,
            "validation: any-case scheme, a bare host and exactly 2048 bytes are valid",
        )
        .await;
    }
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_400() {
    let s = Shortener::start().await;
    for body in [
        "not json",
        "",
        "[]",
        "{}",
        r#"{"url": 5}"#,
        r#"{"url": null}"#,
        r#"{"alias": "abc"}"#,
    ] {
        s.client
            .request("POST", "/shorten")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect_status(
                "validation: a body that is not a JSON object with a string `url` answers 400",
                400,
            );
    }
    let exchange = s
        .client
        .request("POST", "/shorten")
        .body(r#"{"url": "https://example.com/no-content-type"}"#)
        .send()
        .await;
    created_code(&exchange);
}

#[tokio::test]
async fn metrics_reports_the_stated_counters() {
    let s = Shortener::start().await;
    let before = s.client.metrics().await;
    for name in [
        "store_reads",
        "store_writes",
        "log_fsyncs",
        "log_recovered",
        "log_torn_bytes",
        "cache_entries",
    ] {
        before.get(name);
    }
    create(&s.client, "https://example.com/one-record").await;
    let after = s.client.metrics().await;
    assert_eq!(
        after.since(&before, "store_writes"),
        1.0,
        "metrics: one create appends one record to the log (store_writes)"
    );
}
