//! Stage 2: a POST made safe to retry with an Idempotency-Key.

use api_design::{ItemsApi, Method, Request, Response};

use crate::common::{body, delete, get, post, put};

fn keyed(api: &mut ItemsApi, key: &str, body: &str) -> Response {
    api.handle(
        &Request::new(Method::Post, "/items")
            .with_header("Idempotency-Key", key)
            .with_body(body),
    )
}

#[test]
fn without_a_key_every_post_creates() {
    let mut api = ItemsApi::new();
    let b = body("Lamp", 1, 100, 1);
    assert_eq!(post(&mut api, &b).header("Location"), Some("/items/1"));
    assert_eq!(
        post(&mut api, &b).header("Location"),
        Some("/items/2"),
        "without a key two POSTs are two creations (that is why clients need keys)"
    );
}

#[test]
fn a_retried_post_creates_nothing_and_replays_the_first_response() {
    let mut api = ItemsApi::new();
    let b = body("Lamp", 1, 100, 1);
    let first = keyed(&mut api, "k-1", &b);
    assert_eq!(first.status, 201);
    // The client timed out before reading `first` and retries, twice.
    for _ in 0..2 {
        let retry = keyed(&mut api, "k-1", &b);
        assert_eq!(
            retry, first,
            "a retry with the same key and body gets the first \
            response back, byte for byte, and must not create a duplicate"
        );
    }
    assert_eq!(
        get(&mut api, "/items/2").status,
        404,
        "the retries created no second item"
    );
    let other = keyed(&mut api, "k-2", &b);
    assert_eq!(
        other.header("Location"),
        Some("/items/2"),
        "a new key is a new request"
    );
    assert_eq!(post(&mut api, &b).header("Location"), Some("/items/3"));
}

#[test]
fn the_same_key_with_another_body_is_422() {
    let mut api = ItemsApi::new();
    keyed(&mut api, "k", &body("Lamp", 1, 100, 1));
    let r = keyed(&mut api, "k", &body("Lamp", 1, 999, 1));
    assert_eq!(
        r.status, 422,
        "a key reused for a different request is a client bug: 422"
    );
    assert_eq!(
        get(&mut api, "/items/2").status,
        404,
        "the 422 created nothing"
    );
    assert!(
        get(&mut api, "/items/1")
            .body_str()
            .contains("\"price_cents\":100"),
        "and changed nothing"
    );
}

#[test]
fn the_replay_is_the_stored_response_even_after_changes() {
    let mut api = ItemsApi::new();
    let b = body("Lamp", 1, 100, 1);
    let first = keyed(&mut api, "k", &b);
    put(&mut api, "/items/1", &body("Renamed", 1, 100, 1));
    assert_eq!(
        keyed(&mut api, "k", &b),
        first,
        "the replay is the stored first response, not a fresh read of the item"
    );
    delete(&mut api, "/items/1");
    assert_eq!(
        keyed(&mut api, "k", &b),
        first,
        "even after a delete the retry replays and creates nothing"
    );
    assert_eq!(
        get(&mut api, "/items/1").status,
        404,
        "the replay must not resurrect the item"
    );
    assert_eq!(
        get(&mut api, "/items/2").status,
        404,
        "nor create a new one"
    );
}

#[test]
fn an_error_response_is_stored_too() {
    let mut api = ItemsApi::new();
    let first = keyed(&mut api, "k", "garbage");
    assert_eq!(first.status, 400);
    assert_eq!(
        keyed(&mut api, "k", "garbage").status,
        400,
        "the same bad request replays its 400"
    );
    assert_eq!(
        keyed(&mut api, "k", &body("ok", 1, 1, 1)).status,
        422,
        "the key is taken by the first request, whatever its status: another body is 422"
    );
    assert_eq!(get(&mut api, "/items/1").status, 404);
}

#[test]
fn the_header_name_is_case_insensitive() {
    let mut api = ItemsApi::new();
    let b = body("Lamp", 1, 100, 1);
    let first = keyed(&mut api, "k", &b);
    let r = api.handle(
        &Request::new(Method::Post, "/items")
            .with_header("idempotency-key", "k")
            .with_body(b),
    );
    assert_eq!(r, first, "HTTP header names are case-insensitive");
}
