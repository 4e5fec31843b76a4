//! Stage 7 (the wrong design): purges and versioned URLs. A purge must reach
//! every edge *and* the shield: a purge that skips the shield lets the next
//! edge miss refill the old object from it. Purging by surrogate key removes
//! a group of objects at once; a purge also stops a fetch in flight from
//! storing what it fetched. A versioned URL is a new cache key: a deploy
//! needs no purge at all.

use std::sync::Arc;
use std::thread;

use cdn::{Cdn, Edge, Request};

use crate::common::{OpenOnDrop, StubOrigin, body, clock, secs, wait_until, watchdog, x_cache};

fn cdn(origin: &Arc<StubOrigin>, edges: usize) -> (kit::clock::ManualClock, Cdn<Arc<StubOrigin>>) {
    let (manual, shared) = clock();
    let latency = (0..edges)
        .map(|r| (0..edges).map(|e| if r == e { 5 } else { 80 }).collect())
        .collect();
    (manual, Cdn::new(Arc::clone(origin), shared, latency))
}

#[test]
fn a_purge_reaches_every_edge_and_the_shield() {
    let origin = StubOrigin::new();
    origin.publish("/index.html", "old", "max-age=3600");
    let (clock, cdn) = cdn(&origin, 3);
    for e in 0..3 {
        cdn.edge(e).get(&Request::get("/index.html"));
    }
    origin.publish("/index.html", "new", "max-age=3600");
    clock.advance(secs(1));
    assert_eq!(
        cdn.purge("/index.html"),
        4,
        "three edges and the shield each held a copy"
    );
    assert!(
        !cdn.shield().contains("/index.html"),
        "the purge must reach the shield too"
    );
    for e in 0..3 {
        assert!(
            !cdn.edge(e).contains("/index.html"),
            "edge {e} still holds the old copy"
        );
    }
    for e in 0..3 {
        let r = cdn.edge(e).get(&Request::get("/index.html"));
        assert_eq!(
            body(&r),
            "new",
            "edge {e} after the purge served the old page: a purge that clears the edges \
             but skips the shield lets every edge refill the old object from the shield, \
             for up to a whole max-age (an hour here)"
        );
    }
    assert_eq!(
        origin.fetches(),
        2,
        "after the purge, one origin fetch refills the shield for all three edges"
    );
}

#[test]
fn purging_what_is_not_cached_is_harmless() {
    let origin = StubOrigin::new();
    let (_clock, cdn) = cdn(&origin, 2);
    assert_eq!(cdn.purge("/never-seen"), 0);
    let edge = cdn.edge(0);
    assert!(!edge.purge("/never-seen"));
    origin.publish("/a", "A", "max-age=60");
    edge.get(&Request::get("/a"));
    assert!(
        edge.purge("/a"),
        "Edge::purge says whether a copy was stored"
    );
    assert!(!edge.purge("/a"));
}

#[test]
fn a_purge_by_surrogate_key_removes_the_tagged_objects_everywhere() {
    let origin = StubOrigin::new();
    for (path, tags) in [
        ("/p/42", "product-42 catalogue"),
        ("/p/42/photo.jpg", "product-42 images"),
        ("/p/7", "product-7 catalogue"),
        ("/p/420", "product-420"),
    ] {
        origin.publish(path, path, "max-age=3600");
        origin.add_header(path, "Surrogate-Key", tags);
    }
    let (_clock, cdn) = cdn(&origin, 2);
    for e in 0..2 {
        for path in ["/p/42", "/p/42/photo.jpg", "/p/7", "/p/420"] {
            cdn.edge(e).get(&Request::get(path));
        }
    }
    assert_eq!(
        cdn.purge_tag("product-42"),
        6,
        "two objects tagged product-42, in two edges and the shield: 6 copies"
    );
    for e in 0..2 {
        let edge = cdn.edge(e);
        assert!(!edge.contains("/p/42") && !edge.contains("/p/42/photo.jpg"));
        assert!(
            edge.contains("/p/7") && edge.contains("/p/420"),
            "tags match whole: product-42 does not purge product-420"
        );
    }
    assert!(!cdn.shield().contains("/p/42"));
    assert_eq!(
        cdn.purge_tag("catalogue"),
        3,
        "/p/7 in two edges and the shield"
    );
    assert_eq!(cdn.edge(0).purge_tag("nothing"), 0);
}

#[test]
fn a_new_version_is_a_new_key_and_needs_no_purge() {
    let origin = StubOrigin::new();
    origin.publish("/app.js?v=1", "console.log(1)", "max-age=31536000");
    let (clock, cdn) = cdn(&origin, 2);
    for e in 0..2 {
        cdn.edge(e).get(&Request::get("/app.js?v=1"));
    }
    // Deploy: the HTML now points at v=2. Nothing is purged.
    origin.publish("/app.js?v=2", "console.log(2)", "max-age=31536000");
    clock.advance(secs(5));
    for e in 0..2 {
        let r = cdn.edge(e).get(&Request::get("/app.js?v=2"));
        assert_eq!(
            body(&r),
            "console.log(2)",
            "edge {e}: /app.js?v=2 served {:?}. A versioned URL is a new cache key; an \
             edge that drops the query string from its key serves the old version for a \
             year",
            body(&r)
        );
    }
    assert_eq!(
        origin.fetches_of("/app.js?v=2"),
        1,
        "one fetch for the new version"
    );
    for e in 0..2 {
        let r = cdn.edge(e).get(&Request::get("/app.js?v=1"));
        assert_eq!(
            (x_cache(&r), body(&r).as_str()),
            ("HIT", "console.log(1)"),
            "pages still pointing at v=1 keep working from cache"
        );
    }
}

#[test]
fn a_purge_stops_a_fetch_in_flight_from_storing() {
    watchdog(20, "a purge during a fetch", || {
        let origin = StubOrigin::new();
        origin.publish("/p", "before", "max-age=3600");
        origin.gate("/p");
        let _open = OpenOnDrop(Arc::clone(&origin));
        let (_clock, shared) = clock();
        let edge = Arc::new(Edge::new(Arc::clone(&origin), shared));
        let early = {
            let edge = Arc::clone(&edge);
            thread::spawn(move || edge.get(&Request::get("/p")))
        };
        wait_until(
            || origin.fetches_of("/p") == 1,
            || "the fetch of /p never started".to_owned(),
        );
        // The fetch has read "before" and is on its way. The content changes
        // and is purged.
        origin.publish("/p", "after", "max-age=3600");
        assert!(!edge.purge("/p"), "nothing was stored yet");
        origin.open_gate();
        assert_eq!(
            body(&early.join().expect("the early request panicked")),
            "before",
            "the request that started the fetch gets its answer"
        );
        let r = edge.get(&Request::get("/p"));
        assert_eq!(
            body(&r),
            "after",
            "a fetch that was in flight when /p was purged stored what it fetched: the \
             purge is undone by a response from before it. The edge must not store the \
             result of a fetch that a purge detached"
        );
        assert_eq!(origin.fetches_of("/p"), 2);
    });
}

#[test]
fn a_purge_cancels_a_queued_background_revalidation() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=10, stale-while-revalidate=60");
    let (clock, cdn) = cdn(&origin, 1);
    cdn.edge(0).get(&Request::get("/a"));
    clock.advance(secs(10));
    assert_eq!(x_cache(&cdn.edge(0).get(&Request::get("/a"))), "STALE");
    cdn.purge("/a");
    assert_eq!(
        cdn.run_background(),
        0,
        "the purged copy has nothing to revalidate"
    );
    assert_eq!(origin.fetches(), 1);
}

#[test]
fn background_revalidation_runs_the_shield_first() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=10, stale-while-revalidate=60");
    let (clock, cdn) = cdn(&origin, 2);
    cdn.edge(0).get(&Request::get("/a"));
    clock.advance(secs(10));
    // Edge 1 is cold: its miss reaches the shield, whose copy is stale but
    // servable, so the shield answers stale and queues a revalidation.
    let cold = cdn.edge(1).get(&Request::get("/a"));
    assert_eq!(body(&cold), "A");
    // Edge 0's copy is stale too: it answers stale and queues its own.
    assert_eq!(x_cache(&cdn.edge(0).get(&Request::get("/a"))), "STALE");
    assert_eq!(origin.fetches(), 1);
    assert_eq!(
        cdn.run_background(),
        2,
        "the shield's revalidation, then edge 0's"
    );
    assert_eq!(
        origin.not_modified(),
        1,
        "the shield revalidated with the origin"
    );
    assert_eq!(
        x_cache(&cdn.edge(0).get(&Request::get("/a"))),
        "HIT",
        "the shield ran first, so edge 0 revalidated against its refreshed copy; run the \
         edges first and edge 0 gets the shield's stale copy back and stays stale"
    );
}
