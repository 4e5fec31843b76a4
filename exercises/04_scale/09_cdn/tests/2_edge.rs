//! Stage 2 (the wrong designs): an edge cache in front of a counting origin.
//! A fresh copy is a hit with no fetch (an edge that forwards everything
//! fails), freshness ends at exactly arrival + lifetime counted from the
//! `Age` it arrived with, `s-maxage` beats `max-age` in both directions (an
//! edge that reads max-age fails), and `private`, `no-store`, responses
//! without a lifetime and non-200s are never stored (an edge that caches
//! them serves one user's page to the next).

use std::sync::Arc;

use cdn::{CacheStatus, Edge, Request};
use kit::clock::Clock;

use crate::common::{NS, Object, StubOrigin, age, body, edge_over, secs, x_cache};

#[test]
fn a_second_request_within_the_lifetime_is_a_hit_without_a_fetch() {
    let origin = StubOrigin::new();
    origin.publish("/logo.png", "PNG", "max-age=60");
    let (clock, edge) = edge_over(&origin);
    let first = edge.get(&Request::get("/logo.png"));
    assert_eq!(first.status, 200);
    assert_eq!(body(&first), "PNG");
    assert_eq!(x_cache(&first), "MISS");
    assert_eq!(age(&first), 0);
    assert!(edge.contains("/logo.png"));
    assert_eq!(edge.len(), 1);
    assert!(!edge.is_empty());
    clock.advance(secs(30));
    for _ in 0..5 {
        let hit = edge.get(&Request::get("/logo.png"));
        assert_eq!(body(&hit), "PNG");
        assert_eq!(x_cache(&hit), "HIT");
        assert_eq!(
            age(&hit),
            30,
            "a hit says how old the copy is, in whole seconds"
        );
        assert_eq!(
            hit.header("Cache-Control"),
            Some("max-age=60"),
            "a hit carries the stored headers"
        );
    }
    assert_eq!(
        origin.fetches(),
        1,
        "six requests inside max-age made {} origin fetches: an edge that forwards every \
         request is a proxy, not a cache, and the origin carries the whole load",
        origin.fetches()
    );
}

#[test]
fn freshness_ends_at_exactly_arrival_plus_lifetime() {
    let origin = StubOrigin::new();
    origin.publish_without_etag("/a", "A", "max-age=60");
    let (clock, edge) = edge_over(&origin);
    clock.advance(secs(7)); // copies are timed from their arrival, not from zero
    edge.get(&Request::get("/a"));
    clock.advance(secs(60) - NS);
    let last_hit = edge.get(&Request::get("/a"));
    assert_eq!(
        x_cache(&last_hit),
        "HIT",
        "one nanosecond before arrival + max-age the copy is still fresh"
    );
    assert_eq!(age(&last_hit), 59, "ages are whole seconds, rounded down");
    assert_eq!(origin.fetches(), 1);
    clock.advance(NS);
    let refetched = edge.get(&Request::get("/a"));
    assert_eq!(
        origin.fetches(),
        2,
        "at exactly arrival + max-age the copy is stale (fresh means age < lifetime) and \
         must not be served as a hit"
    );
    assert_eq!(
        x_cache(&refetched),
        "MISS",
        "no ETag: a stale copy is refetched in full"
    );
    assert_eq!(age(&refetched), 0);
}

#[test]
fn time_is_the_monotonic_clock_not_the_wall() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=60");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    clock.set_unix_millis(clock.unix_millis() + 3_600_000);
    assert_eq!(
        x_cache(&edge.get(&Request::get("/a"))),
        "HIT",
        "a wall clock stepped forward an hour (NTP) must not expire copies: freshness is \
         measured on the monotonic clock"
    );
}

#[test]
fn a_longer_s_maxage_keeps_the_copy_past_max_age() {
    let origin = StubOrigin::new();
    origin.publish("/page", "P", "max-age=10, s-maxage=60");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/page"));
    clock.advance(secs(30));
    let r = edge.get(&Request::get("/page"));
    assert_eq!(
        (x_cache(&r), origin.fetches()),
        ("HIT", 1),
        "`max-age=10, s-maxage=60` at age 30: a shared cache uses s-maxage (60 s), so this \
         is a hit; an edge that reads max-age goes back to the origin six times as often"
    );
    clock.advance(secs(30));
    edge.get(&Request::get("/page"));
    assert_eq!(
        origin.fetches(),
        2,
        "at age 60 the s-maxage lifetime is over"
    );
}

#[test]
fn a_shorter_s_maxage_overrides_max_age() {
    let origin = StubOrigin::new();
    origin.publish_without_etag("/price", "10 EUR", "max-age=600, s-maxage=10");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/price"));
    clock.advance(secs(9));
    assert_eq!(x_cache(&edge.get(&Request::get("/price"))), "HIT");
    clock.advance(secs(1));
    let r = edge.get(&Request::get("/price"));
    assert_eq!(
        (x_cache(&r), origin.fetches()),
        ("MISS", 2),
        "`max-age=600, s-maxage=10` at age 10: the copy is stale for a shared cache even \
         though browsers may keep it ten minutes; s-maxage wins when shorter too"
    );
}

#[test]
fn s_maxage_zero_is_stored_but_never_fresh() {
    let origin = StubOrigin::new();
    origin.publish_without_etag("/now", "N", "s-maxage=0, max-age=3600");
    let (_clock, edge) = edge_over(&origin);
    for i in 1..=3 {
        let r = edge.get(&Request::get("/now"));
        assert_eq!(x_cache(&r), "MISS");
        assert_eq!(
            origin.fetches(),
            i,
            "s-maxage=0: every request goes to the origin"
        );
    }
    assert!(
        edge.contains("/now"),
        "a lifetime of 0 is still a lifetime: storable"
    );
}

#[test]
fn private_and_no_store_responses_are_never_stored() {
    for cache_control in [
        "private",
        "private, max-age=600",
        "Private, s-maxage=600",
        "private=\"Set-Cookie\", s-maxage=600",
        "no-store",
        "no-store, max-age=600",
        "public, no-store, s-maxage=600",
    ] {
        let origin = StubOrigin::new();
        origin.publish("/account", "alice's page", cache_control);
        let (clock, edge) = edge_over(&origin);
        for i in 1..=3 {
            let r = edge.get(&Request::get("/account"));
            assert_eq!(
                body(&r),
                "alice's page",
                "a pass hands on the origin's response"
            );
            assert_eq!(x_cache(&r), "PASS");
            assert_eq!(
                origin.fetches(),
                i,
                "`Cache-Control: {cache_control}`: request {i} must reach the origin. A \
                 shared cache that stores a private or no-store response serves one user's \
                 page to every user behind it (the classic CDN data leak)"
            );
            clock.advance(secs(1));
        }
        assert!(
            !edge.contains("/account"),
            "`{cache_control}`: nothing stored"
        );
        assert!(edge.is_empty());
    }
}

#[test]
fn a_response_without_a_lifetime_is_passed() {
    for cache_control in ["public", "must-revalidate", "stale-while-revalidate=60"] {
        let origin = StubOrigin::new();
        origin.publish("/x", "X", cache_control);
        let (_clock, edge) = edge_over(&origin);
        edge.get(&Request::get("/x"));
        let r = edge.get(&Request::get("/x"));
        assert_eq!(
            (x_cache(&r), origin.fetches()),
            ("PASS", 2),
            "`{cache_control}` gives no lifetime: without heuristic freshness the edge must \
             not store it"
        );
    }
    let origin = StubOrigin::new();
    origin.put(
        "/bare",
        Object {
            status: 200,
            body: b"B".to_vec(),
            headers: vec![],
            etag: None,
            numbered: false,
        },
    );
    let (_clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/bare"));
    edge.get(&Request::get("/bare"));
    assert_eq!(origin.fetches(), 2, "no Cache-Control at all: not stored");
}

#[test]
fn only_200_responses_are_stored() {
    let origin = StubOrigin::new();
    origin.put(
        "/gone",
        Object {
            status: 410,
            body: b"gone".to_vec(),
            headers: vec![("Cache-Control".into(), "max-age=600".into())],
            etag: None,
            numbered: false,
        },
    );
    let (_clock, edge) = edge_over(&origin);
    for _ in 0..2 {
        let r = edge.get(&Request::get("/gone"));
        assert_eq!((r.status, x_cache(&r)), (410, "PASS"));
        let r = edge.get(&Request::get("/missing"));
        assert_eq!((r.status, x_cache(&r)), (404, "PASS"));
    }
    assert_eq!(
        origin.fetches(),
        4,
        "a 410 or 404 is handed on, never stored here"
    );
    assert!(edge.is_empty());
}

#[test]
fn a_response_that_may_not_be_stored_removes_the_old_copy() {
    let origin = StubOrigin::new();
    origin.publish_without_etag("/profile", "public", "max-age=10");
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/profile"));
    assert!(edge.contains("/profile"));
    clock.advance(secs(10));
    origin.publish_without_etag("/profile", "personal", "private");
    let r = edge.get(&Request::get("/profile"));
    assert_eq!((x_cache(&r), body(&r).as_str()), ("PASS", "personal"));
    assert!(
        !edge.contains("/profile"),
        "the origin now says private: the stale public copy must go, not linger"
    );
    clock.advance(secs(1));
    origin.publish_without_etag("/profile", "public again", "max-age=10");
    assert_eq!(x_cache(&edge.get(&Request::get("/profile"))), "MISS");
}

#[test]
fn no_cache_is_stored_but_goes_upstream_every_time() {
    let origin = StubOrigin::new();
    origin.publish_without_etag("/feed", "F", "no-cache, max-age=600");
    let (_clock, edge) = edge_over(&origin);
    for i in 1..=3 {
        edge.get(&Request::get("/feed"));
        assert_eq!(
            origin.fetches(),
            i,
            "no-cache: the copy may be stored but never used without asking upstream, \
             whatever max-age says"
        );
    }
    assert!(
        edge.contains("/feed"),
        "no-cache is not no-store: it is stored"
    );
}

#[test]
fn the_cache_key_is_the_full_path_with_its_query() {
    let origin = StubOrigin::new();
    origin.publish("/app.js?v=1", "one", "max-age=600");
    origin.publish("/app.js?v=2", "two", "max-age=600");
    origin.publish("/app.js", "bare", "max-age=600");
    let (_clock, edge) = edge_over(&origin);
    for (path, want) in [
        ("/app.js?v=1", "one"),
        ("/app.js?v=2", "two"),
        ("/app.js", "bare"),
    ] {
        assert_eq!(
            body(&edge.get(&Request::get(path))),
            want,
            "{path}: the query string is part of the key"
        );
    }
    assert_eq!(origin.fetches(), 3);
    for (path, want) in [
        ("/app.js?v=1", "one"),
        ("/app.js?v=2", "two"),
        ("/app.js", "bare"),
    ] {
        let r = edge.get(&Request::get(path));
        assert_eq!((x_cache(&r), body(&r).as_str()), ("HIT", want));
    }
    assert_eq!(edge.len(), 3);
}

#[test]
fn the_age_a_response_arrives_with_counts() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=60");
    origin.add_header("/a", "Age", "50");
    let (clock, edge) = edge_over(&origin);
    let miss = edge.get(&Request::get("/a"));
    assert_eq!(
        age(&miss),
        50,
        "a response that spent 50 s in caches upstream is 50 s old on arrival"
    );
    clock.advance(secs(9));
    let hit = edge.get(&Request::get("/a"));
    assert_eq!((x_cache(&hit), age(&hit)), ("HIT", 59));
    clock.advance(secs(1));
    edge.get(&Request::get("/a"));
    assert_eq!(
        origin.fetches(),
        2,
        "Age 50 on arrival + 10 s here = 60 = max-age: stale. An edge that times the copy \
         from its own arrival alone keeps it 50 s too long"
    );
}

#[test]
fn a_response_older_than_its_lifetime_is_stale_on_arrival() {
    let origin = StubOrigin::new();
    origin.publish_without_etag("/old", "O", "max-age=60");
    origin.add_header("/old", "Age", "100");
    let (_clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/old"));
    edge.get(&Request::get("/old"));
    assert_eq!(
        origin.fetches(),
        2,
        "Age 100 > max-age 60: never fresh here"
    );

    let origin = StubOrigin::new();
    origin.publish_without_etag("/odd", "O", "max-age=60");
    origin.add_header("/odd", "Age", "soon");
    let (_clock, edge) = edge_over(&origin);
    let r = edge.get(&Request::get("/odd"));
    assert_eq!(age(&r), 0, "an Age that is not a number counts as 0");
    assert_eq!(x_cache(&edge.get(&Request::get("/odd"))), "HIT");
}

#[test]
fn a_miss_forwards_the_clients_headers_but_not_its_if_none_match() {
    let origin = StubOrigin::new();
    let etag = origin.publish("/a", "A", "max-age=60");
    let (_clock, edge) = edge_over(&origin);
    let r = edge.get(
        &Request::get("/a")
            .with_header("Cookie", "session=1")
            .with_header("If-None-Match", &etag),
    );
    let sent = origin.last_request();
    assert_eq!(sent.path, "/a");
    assert_eq!(
        sent.header("Cookie"),
        Some("session=1"),
        "client headers go upstream"
    );
    assert!(sent.headers.contains("cookie"));
    assert!(!sent.headers.contains("if-none-match"));
    assert_eq!(sent.headers.len(), 1, "only the Cookie: {:?}", sent.headers);
    assert_eq!(
        sent.header("If-None-Match"),
        None,
        "the client's If-None-Match validates the client's copy, not the edge's: an edge \
         that forwards it on a miss gets a 304 with no body and has nothing to store"
    );
    assert_eq!(origin.body_bytes(), 1);
    assert_eq!(
        (r.status, r.body.len()),
        (304, 0),
        "the edge, now holding the object, answers the client's conditional itself"
    );
}

#[test]
fn paths_are_independent() {
    let origin = StubOrigin::new();
    origin.publish("/short", "S", "max-age=10");
    origin.publish("/long", "L", "max-age=100");
    let (clock, edge): (_, Edge<Arc<StubOrigin>>) = edge_over(&origin);
    edge.get(&Request::get("/short"));
    edge.get(&Request::get("/long"));
    clock.advance(secs(50));
    edge.get(&Request::get("/short"));
    let long = edge.get(&Request::get("/long"));
    assert_eq!(x_cache(&long), "HIT");
    assert_eq!(origin.fetches_of("/short"), 2);
    assert_eq!(origin.fetches_of("/long"), 1);
}

#[test]
fn the_request_cache_control_is_ignored() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=60");
    let (_clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    for value in ["no-cache", "max-age=0", "no-store"] {
        let r = edge.get(&Request::get("/a").with_header("Cache-Control", value));
        assert_eq!(
            x_cache(&r),
            "HIT",
            "a client's `Cache-Control: {value}` is ignored, as CDNs do by default: \
             otherwise any client could force origin fetches at will"
        );
    }
    assert_eq!(origin.fetches(), 1);
}

#[test]
fn cache_status_texts() {
    assert_eq!(
        [
            CacheStatus::Hit,
            CacheStatus::Miss,
            CacheStatus::Stale,
            CacheStatus::Revalidated,
            CacheStatus::Pass,
        ]
        .map(CacheStatus::as_str),
        ["HIT", "MISS", "STALE", "REVALIDATED", "PASS"]
    );
}

#[test]
fn an_edge_works_over_any_kind_of_origin_handle() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=60");
    let (_clock, shared) = crate::common::clock();
    let by_ref = Edge::new(&*origin, std::sync::Arc::clone(&shared));
    let boxed: Box<dyn cdn::Origin> = Box::new(std::sync::Arc::clone(&origin));
    let by_box = Edge::new(boxed, shared);
    assert_eq!(body(&by_ref.get(&Request::get("/a"))), "A");
    assert_eq!(body(&by_box.get(&Request::get("/a"))), "A");
    assert_eq!(origin.fetches(), 2, "two edges, one miss each");
    let sent = origin.last_request();
    assert!(
        sent.headers.is_empty() && sent.headers.iter().count() == sent.headers.len(),
        "a request without headers goes upstream without headers: {sent:?}"
    );
    assert!(by_ref.get(&Request::get("/a")).headers.contains("Age"));
    assert!(!by_box.is_empty() && !by_box.get(&Request::get("/a")).headers.is_empty());
}
