//! Stage 6: the origin shield. Every edge fetches from one shield cache
//! instead of from the origin, so however many edges miss on an object, the
//! origin is asked about it once per lifetime. The `Age` the shield sends
//! keeps every edge's copy expiring when the shield's does, and an edge's
//! revalidation that the shield can answer from its own fresh copy never
//! reaches the origin.

use std::sync::{Arc, Barrier};
use std::thread;

use cdn::{Cdn, Edge, Request};

use crate::common::{
    Meter, OpenOnDrop, StubOrigin, age, body, clock, secs, wait_until, watchdog, x_cache,
};

/// A CDN of `edges` edges, region i nearest to edge i.
fn cdn(origin: &Arc<StubOrigin>, edges: usize) -> (kit::clock::ManualClock, Cdn<Arc<StubOrigin>>) {
    let (manual, shared) = clock();
    let latency = (0..edges)
        .map(|r| (0..edges).map(|e| if r == e { 5 } else { 80 }).collect())
        .collect();
    (manual, Cdn::new(Arc::clone(origin), shared, latency))
}

#[test]
fn four_edges_missing_on_one_object_make_one_origin_fetch() {
    let origin = StubOrigin::new();
    origin.publish("/video.mp4", "MP4", "max-age=60");
    let (_clock, cdn) = cdn(&origin, 4);
    for e in 0..4 {
        let r = cdn.edge(e).get(&Request::get("/video.mp4"));
        assert_eq!(
            (body(&r).as_str(), x_cache(&r)),
            ("MP4", "MISS"),
            "edge {e} was cold"
        );
    }
    assert_eq!(
        origin.fetches(),
        1,
        "four edges missed and the origin was asked {} times: each edge miss must go to \
         the shield, and only the shield's first miss to the origin",
        origin.fetches()
    );
    assert!(cdn.shield().contains("/video.mp4"));
    for e in 0..4 {
        assert!(
            cdn.edge(e).contains("/video.mp4"),
            "edge {e} keeps its own copy"
        );
    }
    assert_eq!(cdn.shield().len(), 1);
}

#[test]
fn an_edge_behind_the_shield_sees_the_shields_age() {
    let origin = StubOrigin::new();
    origin.publish("/a", "A", "max-age=60");
    let (clock, cdn) = cdn(&origin, 2);
    cdn.edge(0).get(&Request::get("/a"));
    clock.advance(secs(50));
    let first_at_edge_1 = cdn.edge(1).get(&Request::get("/a"));
    assert_eq!(x_cache(&first_at_edge_1), "MISS");
    assert_eq!(
        age(&first_at_edge_1),
        50,
        "the shield's copy is 50 s old, and it must say so in Age when it serves it"
    );
    clock.advance(secs(9));
    assert_eq!(x_cache(&cdn.edge(1).get(&Request::get("/a"))), "HIT");
    clock.advance(secs(1));
    let r = cdn.edge(1).get(&Request::get("/a"));
    assert_ne!(
        x_cache(&r),
        "HIT",
        "at 60 s the object is a lifetime old wherever it is stored: edge 1 fetched it at \
         50 s, but its copy must expire with the shield's (Age on arrival + time here), \
         not 60 s after edge 1 got it"
    );
    assert_eq!(origin.fetches(), 2, "and the shield asks the origin once");
}

#[test]
fn one_origin_fetch_per_object_per_lifetime_over_many_lifetimes() {
    let origin = StubOrigin::new();
    let payload = "v".repeat(1_000);
    origin.publish("/app.css", &payload, "max-age=60");
    let (clock, cdn) = cdn(&origin, 4);
    // Five lifetimes; in each, the four edges ask at 0, 10, 20 and 30 s.
    for lifetime in 0..5 {
        for e in 0..4 {
            let r = cdn.edge(e).get(&Request::get("/app.css"));
            assert_eq!(r.body.len(), 1_000);
            clock.advance(secs(10));
        }
        clock.advance(secs(20));
        assert_eq!(
            origin.fetches(),
            lifetime + 1,
            "lifetime {lifetime}: E edges plus a shield make one origin fetch per object \
             per lifetime, not one per edge"
        );
    }
    assert_eq!(
        (origin.conditional_fetches(), origin.not_modified()),
        (4, 4),
        "after the first fill, each lifetime is one 304 at the origin"
    );
    assert_eq!(
        origin.body_bytes(),
        1_000,
        "the body crossed from the origin once"
    );
}

#[test]
fn without_a_shield_every_edge_asks_the_origin() {
    // The same script as above, with the edges straight on the origin: the
    // arithmetic the shield saves.
    let origin = StubOrigin::new();
    origin.publish("/app.css", &"v".repeat(1_000), "max-age=60");
    let (clock, shared) = clock();
    let edges: Vec<_> = (0..4)
        .map(|_| Edge::new(Arc::clone(&origin), Arc::clone(&shared)))
        .collect();
    for _ in 0..5 {
        for edge in &edges {
            edge.get(&Request::get("/app.css"));
            clock.advance(secs(10));
        }
        clock.advance(secs(20));
    }
    assert_eq!(origin.fetches(), 20, "4 edges x 5 lifetimes");
    assert_eq!(origin.body_bytes(), 4_000, "each edge pulled the body once");
}

#[test]
fn the_shield_answers_an_edges_revalidation_from_its_own_fresh_copy() {
    let origin = StubOrigin::new();
    let etag = origin.publish("/a", "0123456789", "max-age=60");
    let (clock, shared) = clock();
    let shield = Arc::new(Edge::new(Arc::clone(&origin), Arc::clone(&shared)));
    let meter_a = Meter::new(Arc::clone(&shield));
    let meter_b = Meter::new(Arc::clone(&shield));
    let edge_a = Edge::new(Arc::clone(&meter_a), Arc::clone(&shared));
    let edge_b = Edge::new(Arc::clone(&meter_b), Arc::clone(&shared));
    edge_a.get(&Request::get("/a"));
    edge_b.get(&Request::get("/a"));
    clock.advance(secs(60));
    // Edge a revalidates first: through the shield to the origin.
    assert_eq!(x_cache(&edge_a.get(&Request::get("/a"))), "REVALIDATED");
    assert_eq!(origin.not_modified(), 1);
    clock.advance(secs(1));
    // Edge b's copy is stale too; the shield's was refreshed a second ago.
    let r = edge_b.get(&Request::get("/a"));
    assert_eq!(
        (x_cache(&r), body(&r).as_str()),
        ("REVALIDATED", "0123456789")
    );
    let (request, response) = meter_b.log().pop().expect("edge b asked the shield");
    assert_eq!(
        request.header("If-None-Match"),
        Some(etag.as_str()),
        "edge b revalidates at the shield with its ETag"
    );
    assert_eq!(
        (response.status, response.body.len()),
        (304, 0),
        "the shield's copy is fresh and matches: it answers 304 itself, with no body"
    );
    assert_eq!(
        x_cache(&response),
        "HIT",
        "the shield answered from its copy"
    );
    assert_eq!(age(&response), 1);
    assert_eq!(
        origin.fetches(),
        2,
        "edge b's revalidation stopped at the shield: the origin saw the fill and one 304"
    );
    assert_eq!(
        meter_b.body_bytes(),
        10,
        "edge b pulled the body from the shield once"
    );
    clock.advance(secs(58));
    assert_eq!(
        x_cache(&edge_b.get(&Request::get("/a"))),
        "HIT",
        "edge b's refreshed copy arrived 1 s old (Age from the 304): fresh until 60 s"
    );
    clock.advance(secs(1));
    assert_ne!(x_cache(&edge_b.get(&Request::get("/a"))), "HIT");
}

#[test]
fn the_shield_collapses_concurrent_misses_from_many_edges() {
    watchdog(20, "4 edges missing at once behind a shield", || {
        let origin = StubOrigin::new();
        origin.publish("/hot", "HOT", "max-age=60");
        origin.gate("/hot");
        let _open = OpenOnDrop(Arc::clone(&origin));
        let (_clock, cdn) = cdn(&origin, 4);
        let cdn = Arc::new(cdn);
        let barrier = Arc::new(Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|e| {
                let (cdn, barrier) = (Arc::clone(&cdn), Arc::clone(&barrier));
                thread::spawn(move || {
                    barrier.wait();
                    cdn.edge(e).get(&Request::get("/hot"))
                })
            })
            .collect();
        wait_until(
            || origin.fetches() + cdn.shield().waiters() == 4,
            || {
                format!(
                    "{} origin fetches and {} requests waiting at the shield, of 4: the \
                     shield must collapse its edges' misses as an edge collapses its clients'",
                    origin.fetches(),
                    cdn.shield().waiters()
                )
            },
        );
        origin.open_gate();
        for t in threads {
            assert_eq!(body(&t.join().expect("an edge panicked")), "HOT");
        }
        assert_eq!(origin.fetches(), 1);
    });
}

#[test]
fn private_responses_pass_through_both_tiers() {
    let origin = StubOrigin::new();
    origin.publish("/cart", "cart", "private, max-age=60");
    let (_clock, cdn) = cdn(&origin, 2);
    for e in [0, 1, 0, 1] {
        let r = cdn
            .edge(e)
            .get(&Request::get("/cart").with_header("Cookie", "id=7"));
        assert_eq!(x_cache(&r), "PASS");
    }
    assert_eq!(
        origin.fetches(),
        4,
        "neither tier may store a private response"
    );
    assert_eq!(
        origin.last_request().header("Cookie"),
        Some("id=7"),
        "the client's headers cross both tiers"
    );
    assert!(cdn.shield().is_empty());
}
