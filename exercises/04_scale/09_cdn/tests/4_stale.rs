//! Stage 4: stale-while-revalidate (RFC 5861). Inside the window after a
//! copy goes stale, the client gets the stale copy at once (`STALE`, no
//! origin fetch on its time) and the edge queues one background
//! revalidation, which `run_background` performs. Past the window, or when
//! the response said `no-cache`, `must-revalidate` or `proxy-revalidate`,
//! the request revalidates before it is answered.

use std::sync::Arc;
use std::thread;

use cdn::{Edge, Request};

use crate::common::{
    NS, OpenOnDrop, StubOrigin, age, body, clock, edge_over, secs, wait_until, watchdog, x_cache,
};

const SWR: &str = "max-age=10, stale-while-revalidate=30";

#[test]
fn inside_the_window_the_stale_copy_is_served_at_once() {
    let origin = StubOrigin::new();
    let etag = origin.publish("/news", "N", SWR);
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/news"));
    clock.advance(secs(10));
    let r = edge.get(&Request::get("/news"));
    assert_eq!(
        (x_cache(&r), body(&r).as_str(), origin.fetches()),
        ("STALE", "N", 1),
        "stale-while-revalidate=30 at age 10: serve the stale copy without making the \
         client wait for the origin"
    );
    assert_eq!(age(&r), 10, "the Age of a stale response is its true age");
    assert_eq!(edge.run_background(), 1, "one revalidation was queued");
    assert_eq!(
        origin.last_request().header("If-None-Match"),
        Some(etag.as_str()),
        "the background revalidation is conditional"
    );
    assert_eq!(origin.not_modified(), 1);
    let r = edge.get(&Request::get("/news"));
    assert_eq!(
        (x_cache(&r), age(&r)),
        ("HIT", 0),
        "after the background 304 the copy is fresh again"
    );
    assert_eq!(edge.run_background(), 0, "nothing is left queued");
}

#[test]
fn the_window_ends_at_lifetime_plus_stale_while_revalidate() {
    let origin = StubOrigin::new();
    origin.publish("/news", "N", SWR);
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/news"));
    clock.advance(secs(40) - NS);
    assert_eq!(
        x_cache(&edge.get(&Request::get("/news"))),
        "STALE",
        "age 39.999 s < 10 + 30: still inside the window"
    );
    clock.advance(NS);
    let r = edge.get(&Request::get("/news"));
    assert_eq!(
        (x_cache(&r), origin.fetches()),
        ("REVALIDATED", 2),
        "at age 40 the window is over: the request itself must revalidate before it is \
         answered"
    );
    assert_eq!(
        edge.run_background(),
        0,
        "the queued revalidation finds the copy fresh again and makes no fetch"
    );
    assert_eq!(origin.fetches(), 2);
}

#[test]
fn many_stale_requests_queue_one_revalidation() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", SWR);
    origin.publish("/b", "B", SWR);
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    edge.get(&Request::get("/b"));
    clock.advance(secs(15));
    edge.get(&Request::get("/b"));
    for _ in 0..5 {
        assert_eq!(x_cache(&edge.get(&Request::get("/a"))), "STALE");
    }
    assert_eq!(
        origin.fetches(),
        2,
        "serving stale makes no fetch in the foreground"
    );
    assert_eq!(
        edge.run_background(),
        2,
        "five stale requests for /a and one for /b queue one revalidation each, not six"
    );
    let order: Vec<String> = origin.requests()[2..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        order,
        ["/a", "/b"],
        "queued revalidations run in path order"
    );
    assert_eq!(origin.fetches_of("/a"), 2);
    assert_eq!(origin.fetches_of("/b"), 2);
}

#[test]
fn a_background_revalidation_stores_a_changed_object() {
    let origin = StubOrigin::new();
    origin.publish("/price", "10", SWR);
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/price"));
    clock.advance(secs(20));
    origin.publish("/price", "12", SWR);
    assert_eq!(
        body(&edge.get(&Request::get("/price"))),
        "10",
        "stale, at once"
    );
    assert_eq!(edge.run_background(), 1);
    let r = edge.get(&Request::get("/price"));
    assert_eq!((x_cache(&r), body(&r).as_str()), ("HIT", "12"));
}

#[test]
fn without_an_etag_the_background_refetches_in_full() {
    let origin = StubOrigin::new();
    origin.publish_without_etag("/a", "AAAA", SWR);
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    clock.advance(secs(10));
    edge.get(&Request::get("/a"));
    assert_eq!(edge.run_background(), 1);
    assert_eq!(origin.last_request().header("If-None-Match"), None);
    assert_eq!(origin.body_bytes(), 8);
}

#[test]
fn revalidation_directives_forbid_serving_stale() {
    for cache_control in [
        "max-age=10, stale-while-revalidate=30, must-revalidate",
        "max-age=10, stale-while-revalidate=30, proxy-revalidate",
        "no-cache, max-age=10, stale-while-revalidate=30",
    ] {
        let origin = StubOrigin::new();
        origin.publish("/a", "A", cache_control);
        let (clock, edge) = edge_over(&origin);
        edge.get(&Request::get("/a"));
        clock.advance(secs(10));
        let r = edge.get(&Request::get("/a"));
        assert_eq!(
            (x_cache(&r), origin.fetches()),
            ("REVALIDATED", 2),
            "`{cache_control}`: the origin forbade using a stale copy without revalidating, \
             so stale-while-revalidate does not apply"
        );
        assert_eq!(
            edge.run_background(),
            0,
            "`{cache_control}`: nothing queued"
        );
    }
}

#[test]
fn the_background_request_carries_the_clients_headers_and_the_edges_etag() {
    let origin = StubOrigin::new();
    let etag = origin.publish("/a", "A", SWR);
    let (clock, edge) = edge_over(&origin);
    edge.get(&Request::get("/a"));
    clock.advance(secs(10));
    edge.get(
        &Request::get("/a")
            .with_header("Accept-Language", "fr")
            .with_header("If-None-Match", "\"client\""),
    );
    edge.run_background();
    let sent = origin.last_request();
    assert_eq!(sent.path, "/a");
    assert_eq!(
        sent.header("Accept-Language"),
        Some("fr"),
        "the queued revalidation is sent with the headers of the request that queued it"
    );
    assert_eq!(sent.header("If-None-Match"), Some(etag.as_str()));
}

#[test]
fn with_nothing_queued_run_background_does_nothing() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", SWR);
    let (clock, edge) = edge_over(&origin);
    assert_eq!(edge.run_background(), 0);
    edge.get(&Request::get("/a"));
    clock.advance(secs(5));
    edge.get(&Request::get("/a"));
    assert_eq!(edge.run_background(), 0, "a hit queues nothing");
    assert_eq!(origin.fetches(), 1);
}

#[test]
fn run_background_skips_a_path_being_fetched() {
    watchdog(
        20,
        "run_background while a revalidation is in flight",
        || {
            let origin = StubOrigin::new();
            origin.publish("/a", "A", SWR);
            let (clock, shared) = clock();
            let edge = Arc::new(Edge::new(Arc::clone(&origin), shared));
            edge.get(&Request::get("/a"));
            clock.advance(secs(10));
            assert_eq!(x_cache(&edge.get(&Request::get("/a"))), "STALE"); // queued
            clock.advance(secs(30)); // past the window: the next request revalidates
            origin.gate("/a");
            let _open = OpenOnDrop(Arc::clone(&origin));
            let foreground = {
                let edge = Arc::clone(&edge);
                thread::spawn(move || edge.get(&Request::get("/a")))
            };
            wait_until(
                || origin.fetches_of("/a") == 2,
                || "the foreground revalidation never started".to_owned(),
            );
            assert_eq!(
                edge.run_background(),
                0,
                "/a is being fetched already: the queued revalidation is skipped, not sent \
             as a second fetch (nor left waiting for the first)"
            );
            origin.open_gate();
            let r = foreground.join().expect("the foreground request panicked");
            assert_eq!(x_cache(&r), "REVALIDATED");
            assert_eq!(origin.fetches(), 2);
        },
    );
}
