//! Stage 3 (the wrong design): revalidation. A stale copy with an ETag is
//! not refetched: the edge asks `If-None-Match: <its ETag>`, the origin
//! answers `304 Not Modified` without a body, and the copy is fresh again
//! with the 304's headers. Counted at the origin: the fetch happens (it is a
//! request), but no body byte moves. An edge that refetches the full body
//! fails. The edge also answers its clients' own conditional requests.

use cdn::{Request, Response, etag_matches};

use crate::common::{FnOrigin, StubOrigin, age, body, clock, edge_over, secs, x_cache};

#[test]
fn entity_tags_match_by_weak_comparison() {
    for (inm, etag, want) in [
        ("\"v1\"", "\"v1\"", true),
        ("\"v1\"", "\"v2\"", false),
        ("W/\"v1\"", "\"v1\"", true),
        ("\"v1\"", "W/\"v1\"", true),
        ("W/\"v1\"", "W/\"v1\"", true),
        ("\"a\", \"b\", \"v1\"", "\"v1\"", true),
        ("\"a\",\"b\"", "\"v1\"", false),
        ("*", "\"anything\"", true),
        (" \"v1\" ", "\"v1\"", true),
        ("\"v1\"", " \"v1\"", true),
        ("\"a,b\"", "\"a,b\"", true),
        ("\"a,b\"", "\"a\"", false),
        ("", "\"v1\"", false),
        (",,", "\"v1\"", false),
        ("\"V1\"", "\"v1\"", false),
        ("v1", "\"v1\"", false),
    ] {
        assert_eq!(
            etag_matches(inm, etag),
            want,
            "If-None-Match `{inm}` against ETag `{etag}`: weak comparison drops `W/` from \
             both, `*` matches anything, lists are split at commas outside quotes, and the \
             opaque tags compare exactly (case and quotes included)"
        );
    }
}

#[test]
fn a_stale_copy_is_revalidated_with_if_none_match_and_a_304_moves_no_body() {
    let origin = StubOrigin::new();
    let body_text = "x".repeat(10_000);
    let etag = origin.publish("/big.js", &body_text, "max-age=60");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/big.js"));
    assert_eq!(origin.body_bytes(), 10_000);
    clock.advance(secs(60));
    let r = edge.get(&Request::get("/big.js"));
    let sent = origin.last_request();
    assert_eq!(
        sent.header("If-None-Match"),
        Some(etag.as_str()),
        "a stale copy with an ETag must be revalidated with If-None-Match: <stored ETag>"
    );
    assert_eq!(
        origin.fetches(),
        2,
        "a revalidation is a request to the origin"
    );
    assert_eq!(origin.not_modified(), 1);
    assert_eq!(
        origin.body_bytes(),
        10_000,
        "revalidating an unchanged 10 kB object moved {} more body bytes: the edge asked \
         for the whole body again instead of asking whether it changed. With If-None-Match \
         the origin answers 304 and the body stays where it is",
        origin.body_bytes() - 10_000
    );
    assert_eq!(
        r.status, 200,
        "the client asked unconditionally: it gets the full body"
    );
    assert_eq!(r.body.len(), 10_000, "from the stored copy");
    assert_eq!(x_cache(&r), "REVALIDATED");
    assert_eq!(age(&r), 0, "a 304 makes the copy new again");
}

#[test]
fn after_a_304_the_copy_is_fresh_for_a_whole_lifetime() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=60");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    clock.advance(secs(61));
    edge.get(&Request::get("/a")); // revalidated at 61
    clock.advance(secs(59));
    let r = edge.get(&Request::get("/a"));
    assert_eq!(
        (x_cache(&r), age(&r), origin.fetches()),
        ("HIT", 59, 2),
        "revalidated at 61 s, the copy is fresh until 121 s: the 304 restarts its age"
    );
    clock.advance(secs(1));
    edge.get(&Request::get("/a"));
    assert_eq!(origin.not_modified(), 2);
}

#[test]
fn the_304s_headers_replace_the_stored_ones() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=60");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    clock.advance(secs(60));
    origin.set_cache_control("/a", "max-age=5");
    origin.add_header("/a", "X-Build", "42");
    let r = edge.get(&Request::get("/a"));
    assert_eq!(x_cache(&r), "REVALIDATED");
    assert_eq!(r.header("Cache-Control"), Some("max-age=5"));
    assert_eq!(
        r.header("X-Build"),
        Some("42"),
        "headers the 304 adds are stored too"
    );
    assert_eq!(body(&r), "A");
    clock.advance(secs(5));
    edge.get(&Request::get("/a"));
    assert_eq!(
        origin.fetches(),
        3,
        "the 304 said max-age=5: the refreshed copy is fresh for 5 s, not the old 60"
    );
}

#[test]
fn a_changed_object_comes_back_as_a_200_with_its_new_etag() {
    let origin = StubOrigin::new();
    origin.publish("/a", "old", "max-age=60");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    clock.advance(secs(60));
    let new_etag = origin.publish("/a", "new", "max-age=60");
    let r = edge.get(&Request::get("/a"));
    assert_eq!((body(&r).as_str(), x_cache(&r)), ("new", "MISS"));
    assert_eq!(r.header("ETag"), Some(new_etag.as_str()));
    clock.advance(secs(60));
    edge.get(&Request::get("/a"));
    assert_eq!(
        origin.last_request().header("If-None-Match"),
        Some(new_etag.as_str()),
        "the next revalidation sends the ETag of the copy now stored"
    );
    assert_eq!(origin.not_modified(), 1);
}

#[test]
fn without_an_etag_a_stale_copy_is_refetched_in_full() {
    let origin = StubOrigin::new();
    origin.publish_without_etag("/a", "AAAA", "max-age=60");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    clock.advance(secs(60));
    let r = edge.get(&Request::get("/a"));
    assert_eq!(
        origin.last_request().header("If-None-Match"),
        None,
        "no stored ETag: nothing to put in If-None-Match"
    );
    assert_eq!((x_cache(&r), origin.body_bytes()), ("MISS", 8));
}

#[test]
fn no_cache_revalidates_every_use_and_moves_the_body_once() {
    let origin = StubOrigin::new();
    origin.publish("/feed", "0123456789", "no-cache");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/feed"));
    for i in 1..=4 {
        clock.advance(secs(1));
        let r = edge.get(&Request::get("/feed"));
        assert_eq!(x_cache(&r), "REVALIDATED");
        assert_eq!(body(&r), "0123456789");
        assert_eq!(origin.not_modified(), i);
    }
    assert_eq!(
        origin.body_bytes(),
        10,
        "no-cache with an ETag: every use asks the origin, and every answer is a 304"
    );
}

#[test]
fn a_revalidation_answered_private_removes_the_copy() {
    let origin = StubOrigin::new();
    origin.publish("/me", "anonymous", "max-age=10");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/me"));
    clock.advance(secs(10));
    origin.publish("/me", "bob", "private, max-age=10");
    let r = edge.get(&Request::get("/me"));
    assert_eq!((x_cache(&r), body(&r).as_str()), ("PASS", "bob"));
    assert!(!edge.contains("/me"));
}

#[test]
fn a_304_without_age_resets_the_age_it_arrived_with() {
    // A parent cache: its 200 says the copy is already 30 s old; its 304 says
    // nothing about age.
    let upstream = FnOrigin::new(|request: &Request| {
        if request.header("If-None-Match") == Some("\"p1\"") {
            Response::new(304)
                .with_header("ETag", "\"p1\"")
                .with_header("Cache-Control", "max-age=60")
        } else {
            Response::ok("P")
                .with_header("ETag", "\"p1\"")
                .with_header("Cache-Control", "max-age=60")
                .with_header("Age", "30")
        }
    });
    let (clock, shared) = clock();
    let edge = cdn::Edge::new(std::sync::Arc::clone(&upstream), shared);
    let first = edge.get(&Request::get("/p"));
    assert_eq!((age(&first), body(&first).as_str()), (30, "P"));
    clock.advance(secs(30));
    assert_eq!(x_cache(&edge.get(&Request::get("/p"))), "REVALIDATED");
    let r = edge.get(&Request::get("/p"));
    assert_eq!(
        (x_cache(&r), age(&r)),
        ("HIT", 0),
        "the stored Age (30) belongs to the old arrival: drop it before taking the 304's \
         headers, or the refreshed copy is born 30 s old"
    );
    clock.advance(secs(59));
    assert_eq!(x_cache(&edge.get(&Request::get("/p"))), "HIT");
    assert_eq!(upstream.calls(), 2);
}

#[test]
fn the_edge_answers_a_clients_conditional_request_with_a_304() {
    let origin = StubOrigin::new();
    let etag = origin.publish("/a", "AAAA", "max-age=60");
    let (_clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    for inm in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"x\", {etag}"),
        "*".to_owned(),
    ] {
        let r = edge.get(&Request::get("/a").with_header("If-None-Match", &inm));
        assert_eq!(
            (r.status, r.body.len()),
            (304, 0),
            "If-None-Match `{inm}` matches the stored ETag {etag}: answer 304 with no body"
        );
        assert_eq!(
            r.header("ETag"),
            Some(etag.as_str()),
            "a 304 carries the ETag"
        );
        assert_eq!(x_cache(&r), "HIT");
        assert!(r.header("Age").is_some());
    }
    let r = edge.get(&Request::get("/a").with_header("If-None-Match", "\"other\""));
    assert_eq!((r.status, body(&r).as_str()), (200, "AAAA"));
    assert_eq!(
        origin.fetches(),
        1,
        "all of these were answered by the edge"
    );
}

#[test]
fn a_clients_validator_never_reaches_the_origin_on_revalidation() {
    let origin = StubOrigin::new();
    let etag = origin.publish("/a", "A", "max-age=60");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    clock.advance(secs(60));
    let r = edge.get(&Request::get("/a").with_header("If-None-Match", "\"client-tag\""));
    assert_eq!(
        origin.last_request().header("If-None-Match"),
        Some(etag.as_str()),
        "the edge revalidates its own copy with its own ETag, not with the client's"
    );
    assert_eq!(
        r.status, 200,
        "the client's tag matches nothing: it gets the body"
    );
}
