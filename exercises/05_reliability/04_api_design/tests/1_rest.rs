//! Stage 1: resource routes, status codes, idempotent PUT, ETag and If-Match.

use api_design::{ItemInput, ItemsApi, Method, Request};

use crate::common::{body, delete, get, post, put, seed};

#[test]
fn post_creates_with_201_location_etag_and_json() {
    let mut api = ItemsApi::new();
    let r = post(&mut api, &body("Lamp", 7, -250, 3));
    assert_eq!(r.status, 201, "a POST that creates answers 201 Created");
    assert_eq!(
        r.header("location"),
        Some("/items/1"),
        "201 carries Location: the URL of the new resource (ids start at 1)"
    );
    let tag = r.header("ETag").expect("201 carries the new item's ETag");
    assert!(
        tag.len() >= 3 && tag.starts_with('"') && tag.ends_with('"'),
        "an ETag is a quoted string, got {tag}"
    );
    assert_eq!(
        r.body_str(),
        r#"{"id":1,"name":"Lamp","owner":7,"price_cents":-250,"stock":3}"#,
        "201 returns the item as JSON"
    );
    let second = post(&mut api, &body("Desk", 8, 9900, 1));
    assert_eq!(
        second.header("Location"),
        Some("/items/2"),
        "ids go 1, 2, 3, ..."
    );
}

#[test]
fn get_returns_200_and_404() {
    let mut api = ItemsApi::new();
    seed(&mut api, 2);
    let r = get(&mut api, "/items/2");
    assert_eq!(r.status, 200);
    assert!(
        r.header("etag").is_some(),
        "GET carries the ETag a later If-Match uses"
    );
    assert_eq!(
        r.body_str(),
        r#"{"id":2,"name":"item-2","owner":2,"price_cents":200,"stock":1}"#
    );
    for path in [
        "/items/3",
        "/items/0",
        "/items/abc",
        "/items/",
        "/items/1/x",
        "/nope",
    ] {
        assert_eq!(
            get(&mut api, path).status,
            404,
            "GET {path} names no resource: 404"
        );
    }
}

#[test]
fn bad_bodies_are_400_and_create_nothing() {
    let mut api = ItemsApi::new();
    for bad in [
        "",
        "name=a&owner=1&price_cents=2", // missing stock
        "name=a&owner=1&price_cents=2&stock=3&color=red", // unknown key
        "name=a&owner=1&price_cents=2&stock=3&stock=4", // duplicate
        "name=a&owner=-1&price_cents=2&stock=3", // owner is u64
        "name=a&owner=1&price_cents=x&stock=3",
        "name=a&owner=1&price_cents=2&stock=99999999999", // not an i32
        "name&owner=1&price_cents=2&stock=3",             // no '='
    ] {
        assert_eq!(
            post(&mut api, bad).status,
            400,
            "POST body {bad:?} must be 400"
        );
    }
    let not_utf8 = Request::new(Method::Post, "/items").with_body(vec![0xff, b'=', 0xfe]);
    assert_eq!(
        api.handle(&not_utf8).status,
        400,
        "a body that is not UTF-8 is 400"
    );
    assert_eq!(
        post(&mut api, &body("ok", 1, 2, 3)).header("Location"),
        Some("/items/1"),
        "a rejected POST must not use up an id or create anything"
    );
}

#[test]
fn item_input_parse_rules() {
    let parsed = ItemInput::parse(b"stock=-4&price_cents=-9&name=a=b c&owner=18446744073709551615");
    assert_eq!(
        parsed,
        Some(ItemInput {
            name: "a=b c".into(),
            owner: u64::MAX,
            price_cents: -9,
            stock: -4
        }),
        "keys in any order; the value is everything after the first '='"
    );
    assert_eq!(
        ItemInput::parse(b"name=&owner=0&price_cents=0&stock=0").map(|i| i.name),
        Some(String::new()),
        "an empty name is allowed"
    );
}

#[test]
fn wrong_method_is_405_with_allow() {
    let mut api = ItemsApi::new();
    seed(&mut api, 1);
    for (method, path, allow) in [
        (Method::Delete, "/items", "GET, POST"),
        (Method::Put, "/items", "GET, POST"),
        (Method::Patch, "/items", "GET, POST"),
        (Method::Post, "/items/1", "GET, PUT, DELETE"),
        (Method::Patch, "/items/1", "GET, PUT, DELETE"),
    ] {
        let r = api.handle(&Request::new(method, path));
        assert_eq!(
            r.status, 405,
            "{method:?} {path}: the path exists, the method does not: 405"
        );
        assert_eq!(
            r.header("Allow"),
            Some(allow),
            "405 must list the path's methods in Allow"
        );
    }
}

#[test]
fn delete_is_204_then_404() {
    let mut api = ItemsApi::new();
    seed(&mut api, 2);
    let r = delete(&mut api, "/items/1");
    assert_eq!(r.status, 204, "DELETE answers 204 No Content");
    assert!(r.body.is_empty(), "204 has no body");
    assert_eq!(
        get(&mut api, "/items/1").status,
        404,
        "a deleted item is gone"
    );
    assert_eq!(
        delete(&mut api, "/items/1").status,
        404,
        "deleting it again: 404, state unchanged"
    );
    assert_eq!(
        get(&mut api, "/items/2").status,
        200,
        "DELETE removes only its own item"
    );
    assert_eq!(
        post(&mut api, &body("n", 1, 1, 1)).header("Location"),
        Some("/items/3"),
        "ids are never reused, even after a delete"
    );
}

#[test]
fn put_replaces_and_is_idempotent() {
    let mut api = ItemsApi::new();
    seed(&mut api, 1);
    let before = get(&mut api, "/items/1").header("ETag").map(str::to_owned);
    let new = body("Lamp v2", 9, 1234, -2);
    let first = put(&mut api, "/items/1", &new);
    assert_eq!(first.status, 200, "a PUT that replaces answers 200");
    assert_eq!(
        first.body_str(),
        r#"{"id":1,"name":"Lamp v2","owner":9,"price_cents":1234,"stock":-2}"#
    );
    let tag1 = first.header("ETag").map(str::to_owned);
    assert_ne!(tag1, before, "changed content must change the ETag");
    let again = put(&mut api, "/items/1", &new);
    assert_eq!(
        again, first,
        "PUT is idempotent: repeating it gives the same response, \
        ETag included (an identical PUT must not bump the version)"
    );
    assert_eq!(
        get(&mut api, "/items/1").header("ETag").map(str::to_owned),
        tag1
    );
    let back = put(&mut api, "/items/1", &body("item-1", 1, 100, 1));
    assert_ne!(
        back.header("ETag").map(str::to_owned),
        before,
        "changing back to old content is a new version: the ETag must not repeat an old one"
    );
    assert_eq!(
        put(&mut api, "/items/7", &new).status,
        404,
        "PUT does not create here: 404"
    );
    assert_eq!(
        put(&mut api, "/items/1", "garbage").status,
        400,
        "a PUT body that does not parse: 400"
    );
}

#[test]
fn a_put_that_changes_any_one_field_is_a_new_version() {
    let mut api = ItemsApi::new();
    seed(&mut api, 1); // item-1, owner 1, 100 cents, stock 1
    let mut tag = get(&mut api, "/items/1").header("ETag").map(str::to_owned);
    for (what, content, json) in [
        (
            "the name",
            body("renamed", 1, 100, 1),
            r#"{"id":1,"name":"renamed","owner":1,"price_cents":100,"stock":1}"#,
        ),
        (
            "the owner",
            body("renamed", 2, 100, 1),
            r#"{"id":1,"name":"renamed","owner":2,"price_cents":100,"stock":1}"#,
        ),
        (
            "the price",
            body("renamed", 2, 200, 1),
            r#"{"id":1,"name":"renamed","owner":2,"price_cents":200,"stock":1}"#,
        ),
        (
            "the stock",
            body("renamed", 2, 200, 5),
            r#"{"id":1,"name":"renamed","owner":2,"price_cents":200,"stock":5}"#,
        ),
    ] {
        let r = put(&mut api, "/items/1", &content);
        assert_eq!(
            r.body_str(),
            json,
            "a PUT that changes only {what} replaces it"
        );
        let new_tag = r.header("ETag").map(str::to_owned);
        assert_ne!(
            new_tag, tag,
            "a PUT that changes only {what} is a new version"
        );
        tag = new_tag;
    }
}

#[test]
fn if_match_stops_a_lost_update() {
    let mut api = ItemsApi::new();
    seed(&mut api, 1);
    // Two clients read the same version...
    let alice = get(&mut api, "/items/1")
        .header("ETag")
        .expect("ETag")
        .to_owned();
    let bob = alice.clone();
    // ...Alice writes first, conditionally on what she read...
    let a = api.handle(
        &Request::new(Method::Put, "/items/1")
            .with_header("If-Match", &alice)
            .with_body(body("alice", 1, 100, 5)),
    );
    assert_eq!(
        a.status, 200,
        "If-Match equal to the current ETag: the PUT goes through"
    );
    // ...and Bob, still holding the old ETag, must not overwrite her.
    let b = api.handle(
        &Request::new(Method::Put, "/items/1")
            .with_header("if-match", &bob)
            .with_body(body("bob", 1, 100, 9)),
    );
    assert_eq!(
        b.status, 412,
        "a stale If-Match is 412 Precondition Failed: otherwise \
        Bob silently overwrites Alice's update (a lost update)"
    );
    assert!(
        get(&mut api, "/items/1").body_str().contains("\"alice\""),
        "after a 412 the item is unchanged"
    );
    let stale_bad_body = api.handle(
        &Request::new(Method::Put, "/items/1")
            .with_header("If-Match", &bob)
            .with_body("garbage"),
    );
    assert_eq!(
        stale_bad_body.status, 412,
        "the precondition is checked before the body"
    );
    // Bob re-reads and retries: now it works.
    let fresh = get(&mut api, "/items/1")
        .header("ETag")
        .expect("ETag")
        .to_owned();
    let retry = api.handle(
        &Request::new(Method::Put, "/items/1")
            .with_header("If-Match", &fresh)
            .with_body(body("bob", 1, 100, 9)),
    );
    assert_eq!(
        retry.status, 200,
        "with the fresh ETag Bob's PUT goes through"
    );
}

#[test]
fn if_none_match_revalidates_with_304() {
    let mut api = ItemsApi::new();
    seed(&mut api, 1);
    let tag = get(&mut api, "/items/1")
        .header("ETag")
        .expect("ETag")
        .to_owned();
    let r = api.handle(&Request::new(Method::Get, "/items/1").with_header("If-None-Match", &tag));
    assert_eq!(
        r.status, 304,
        "a GET whose If-None-Match is the current ETag is 304 Not Modified"
    );
    assert!(
        r.body.is_empty(),
        "304 carries no body: that is the bytes a cache saves"
    );
    assert_eq!(r.header("ETag"), Some(tag.as_str()), "304 repeats the ETag");
    put(&mut api, "/items/1", &body("changed", 1, 1, 1));
    let r = api.handle(&Request::new(Method::Get, "/items/1").with_header("If-None-Match", &tag));
    assert_eq!(
        r.status, 200,
        "after a change the old ETag no longer matches: a full 200"
    );
    assert!(r.body_str().contains("changed"));
}
