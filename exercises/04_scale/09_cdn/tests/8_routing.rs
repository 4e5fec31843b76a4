//! Stage 8: nearest-edge routing. A region goes to the edge that is up with
//! the lowest latency (ties to the lower id); when it goes down, to the next
//! one. A failover costs an edge miss, not an origin fetch: the new edge is
//! cold, but the shield is not.

use std::sync::Arc;

use cdn::{Cdn, Request, Router};
use proptest::prelude::*;

use crate::common::{StubOrigin, body, clock, x_cache};

/// Three regions, four edges (milliseconds).
fn table() -> Vec<Vec<u32>> {
    vec![
        vec![5, 40, 90, 40],   // Europe: edge 0, then 1 and 3 tie
        vec![80, 8, 60, 120],  // America
        vec![150, 70, 12, 70], // Asia
    ]
}

#[test]
fn each_region_goes_to_its_nearest_edge() {
    let router = Router::new(table());
    assert_eq!((router.regions(), router.edges()), (3, 4));
    assert_eq!(router.route(0), Some(0));
    assert_eq!(router.route(1), Some(1));
    assert_eq!(router.route(2), Some(2));
    assert_eq!(
        router.ranked(0),
        [0, 1, 3, 2],
        "by latency, ties to the lower id"
    );
    assert_eq!(router.ranked(2), [2, 1, 3, 0]);
}

#[test]
fn a_down_edge_fails_over_to_the_next_nearest() {
    let mut router = Router::new(table());
    router.set_down(0, true);
    assert!(router.is_down(0));
    assert_eq!(
        router.route(0),
        Some(1),
        "edge 0 is down: Europe goes to the next nearest, edge 1 (40 ms, tied with edge 3, \
         which has the higher id)"
    );
    assert_eq!(router.ranked(0), [1, 3, 2]);
    router.set_down(1, true);
    assert_eq!(router.route(0), Some(3));
    assert_eq!(router.route(1), Some(2), "America: 1 down, then 2 (60 ms)");
    router.set_down(0, false);
    assert!(!router.is_down(0));
    assert_eq!(
        router.route(0),
        Some(0),
        "an edge that is up again takes its region back"
    );
}

#[test]
fn with_every_edge_down_there_is_no_route() {
    let mut router = Router::new(table());
    for e in 0..4 {
        router.set_down(e, true);
    }
    for region in 0..3 {
        assert_eq!(router.route(region), None);
        assert!(router.ranked(region).is_empty());
    }
}

#[test]
#[should_panic(expected = "a latency table needs a region and an edge")]
fn a_table_without_regions_panics() {
    Router::new(vec![]);
}

#[test]
#[should_panic(expected = "a latency table needs a region and an edge")]
fn a_table_without_edges_panics() {
    Router::new(vec![vec![]]);
}

#[test]
#[should_panic(expected = "every region needs one latency per edge")]
fn a_ragged_table_panics() {
    Router::new(vec![vec![1, 2], vec![3]]);
}

#[test]
#[should_panic(expected = "no such region")]
fn routing_an_unknown_region_panics() {
    Router::new(table()).route(3);
}

#[test]
#[should_panic(expected = "no such region")]
fn ranking_an_unknown_region_panics() {
    Router::new(table()).ranked(3);
}

#[test]
#[should_panic(expected = "no such edge")]
fn marking_an_unknown_edge_panics() {
    Router::new(table()).set_down(4, true);
}

#[test]
#[should_panic(expected = "no such edge")]
fn asking_about_an_unknown_edge_panics() {
    Router::new(table()).is_down(4);
}

#[test]
fn the_cdn_serves_each_region_from_its_nearest_edge() {
    let origin = StubOrigin::new();
    origin.publish("/", "home", "max-age=60");
    let (_clock, shared) = clock();
    let cdn = Cdn::new(Arc::clone(&origin), shared, table());
    assert_eq!(cdn.router().edges(), 4);
    for (region, edge) in [(0, 0), (1, 1), (2, 2), (0, 0)] {
        let served = cdn.get(region, &Request::get("/")).expect("edges are up");
        assert_eq!(
            served.edge, edge,
            "region {region} is served by edge {edge}"
        );
        assert_eq!(body(&served.response), "home");
    }
    assert!(cdn.edge(0).contains("/") && !cdn.edge(3).contains("/"));
    assert_eq!(origin.fetches(), 1);
}

#[test]
fn a_failover_costs_an_edge_miss_not_an_origin_fetch() {
    let origin = StubOrigin::new();
    origin.publish("/", "home", "max-age=60");
    let (_clock, shared) = clock();
    let mut cdn = Cdn::new(Arc::clone(&origin), shared, table());
    cdn.get(0, &Request::get("/"));
    cdn.router_mut().set_down(0, true);
    let served = cdn.get(0, &Request::get("/")).expect("three edges are up");
    assert_eq!(served.edge, 1, "Europe fails over to edge 1");
    assert_eq!(
        x_cache(&served.response),
        "MISS",
        "edge 1 had not seen / before"
    );
    assert_eq!(
        origin.fetches(),
        1,
        "the failover edge filled from the shield: the origin is not asked again"
    );
    for e in 0..4 {
        cdn.router_mut().set_down(e, true);
    }
    assert!(
        cdn.get(0, &Request::get("/")).is_none(),
        "every edge down: no answer"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(98),
        failure_persistence: None,
        cases: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn routing_matches_a_sort_by_latency_then_id(
        (rows, edges) in (1usize..4, 1usize..6).prop_flat_map(|(r, e)| {
            (proptest::collection::vec(proptest::collection::vec(0u32..5, e), r), Just(e))
        }),
        down in proptest::collection::vec(any::<bool>(), 6),
    ) {
        let mut router = Router::new(rows.clone());
        for (e, &d) in down.iter().enumerate().take(edges) {
            router.set_down(e, d);
        }
        for (region, row) in rows.iter().enumerate() {
            let mut want: Vec<usize> = (0..edges).filter(|&e| !down[e]).collect();
            want.sort_by_key(|&e| (row[e], e));
            prop_assert_eq!(router.ranked(region), want.clone());
            prop_assert_eq!(
                router.route(region),
                want.first().copied(),
                "region {}: the nearest edge that is up, ties to the lower id", region
            );
        }
    }
}

#[test]
#[should_panic(expected = "every region needs one latency per edge")]
fn a_cdn_over_a_ragged_table_panics() {
    let (_clock, shared) = clock();
    Cdn::new(StubOrigin::new(), shared, vec![vec![1, 2], vec![3]]);
}

#[test]
#[should_panic(expected = "no such region")]
fn a_cdn_request_from_an_unknown_region_panics() {
    let (_clock, shared) = clock();
    Cdn::new(StubOrigin::new(), shared, table()).get(3, &Request::get("/"));
}

#[test]
#[should_panic(expected = "no such edge")]
fn a_cdn_has_no_edge_past_its_last() {
    let (_clock, shared) = clock();
    let cdn = Cdn::new(StubOrigin::new(), shared, table());
    cdn.edge(4);
}

#[test]
fn every_edge_of_a_cdn_fetches_from_its_shield() {
    let (_clock, shared) = clock();
    let origin = StubOrigin::new();
    let cdn = Cdn::new(Arc::clone(&origin), shared, table());
    for e in 0..4 {
        assert!(
            std::ptr::eq(&**cdn.edge(e).upstream(), cdn.shield()),
            "edge {e}'s upstream is the shield"
        );
    }
    assert!(
        Arc::ptr_eq(cdn.shield().upstream(), &origin),
        "the shield's is the origin"
    );
}
