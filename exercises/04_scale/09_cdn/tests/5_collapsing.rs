//! Stage 5 (the wrong design): request collapsing. N requests miss on one
//! path at once; the edge must make one origin fetch and answer all N from
//! it. An edge that lets every miss through makes N fetches, which is how a
//! popular object expiring (or a purge) becomes a stampede on the origin.
//!
//! Real threads, checked deterministically: the origin holds the fetches of
//! a gated path open, and the test opens the gate only once every request
//! is either fetching (counted at the origin) or waiting (`Edge::waiters`),
//! so every request really did arrive while the fetch was in flight. No
//! sleeps; every test runs under a watchdog.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::thread;

use cdn::{Edge, Request, Response};

use crate::common::{
    Object, OpenOnDrop, StubOrigin, body, clock, secs, wait_until, watchdog, x_cache,
};

type SharedEdge = Arc<Edge<Arc<StubOrigin>>>;

fn edge(origin: &Arc<StubOrigin>) -> (kit::clock::ManualClock, SharedEdge) {
    let (manual, shared) = clock();
    (manual, Arc::new(Edge::new(Arc::clone(origin), shared)))
}

/// `n` threads, released together, each sending `request_of(i)`.
fn burst(
    edge: &SharedEdge,
    n: usize,
    request_of: impl Fn(usize) -> Request,
) -> Vec<thread::JoinHandle<Response>> {
    let barrier = Arc::new(Barrier::new(n));
    (0..n)
        .map(|i| {
            let (edge, barrier, request) = (Arc::clone(edge), Arc::clone(&barrier), request_of(i));
            thread::spawn(move || {
                barrier.wait();
                edge.get(&request)
            })
        })
        .collect()
}

/// Waits until `n` requests for `path` are fetching or waiting.
fn all_arrived(origin: &StubOrigin, edge: &SharedEdge, path: &str, n: usize) {
    wait_until(
        || origin.fetches_of(path) + edge.waiters() == n,
        || {
            format!(
                "after 5 s, {} fetches of {path} had started and {} requests were waiting, \
                 out of {n}: each request that must go upstream either fetches or waits for \
                 the fetch in flight (counted by `waiters`). If the fetch holds the edge's \
                 lock, the others queue on the lock instead, and every other path waits too",
                origin.fetches_of(path),
                edge.waiters()
            )
        },
    );
}

#[test]
fn sixteen_concurrent_misses_make_one_origin_fetch() {
    watchdog(20, "16 concurrent misses on one path", || {
        let origin = StubOrigin::new();
        origin.publish("/hot", "HOT", "max-age=60");
        origin.gate("/hot");
        let _open = OpenOnDrop(Arc::clone(&origin));
        let (_clock, edge) = edge(&origin);
        let threads = burst(&edge, 16, |_| Request::get("/hot"));
        all_arrived(&origin, &edge, "/hot", 16);
        let fetches_before_release = origin.fetches();
        origin.open_gate();
        for t in threads {
            let r = t.join().expect("a request panicked");
            assert_eq!((r.status, body(&r).as_str()), (200, "HOT"));
            assert_eq!(
                x_cache(&r),
                "MISS",
                "collapsed requests carry the leader's X-Cache"
            );
        }
        assert_eq!(
            fetches_before_release, 1,
            "16 concurrent misses made {fetches_before_release} origin fetches: without \
             collapsing, every miss goes to the origin, and one popular object expiring \
             sends the whole burst there. The first fetches; the rest wait for it"
        );
        assert_eq!(origin.fetches(), 1);
        assert_eq!(edge.waiters(), 0, "nobody is left waiting");
        assert_eq!(x_cache(&edge.get(&Request::get("/hot"))), "HIT");
    });
}

#[test]
fn concurrent_stale_requests_make_one_revalidation() {
    watchdog(20, "8 concurrent requests for a stale copy", || {
        let origin = StubOrigin::new();
        origin.publish("/hot", "HOT", "max-age=60");
        let (clock, edge) = edge(&origin);
        edge.get(&Request::get("/hot"));
        clock.advance(secs(60));
        origin.gate("/hot");
        let _open = OpenOnDrop(Arc::clone(&origin));
        let threads = burst(&edge, 8, |_| Request::get("/hot"));
        all_arrived(&origin, &edge, "/hot", 9); // the fill, then 8 arrivals
        origin.open_gate();
        for t in threads {
            let r = t.join().expect("a request panicked");
            assert_eq!((body(&r).as_str(), x_cache(&r)), ("HOT", "REVALIDATED"));
        }
        assert_eq!(
            (origin.fetches(), origin.conditional_fetches()),
            (2, 1),
            "the fill, then one conditional fetch for the 8 requests that found the copy \
             stale together"
        );
    });
}

#[test]
fn each_collapsed_request_gets_its_own_conditional_answer() {
    watchdog(20, "a burst with and without If-None-Match", || {
        let origin = StubOrigin::new();
        let etag = origin.publish("/a", "AAAA", "max-age=60");
        origin.gate("/a");
        let _open = OpenOnDrop(Arc::clone(&origin));
        let (_clock, edge) = edge(&origin);
        let threads = burst(&edge, 6, |i| {
            let request = Request::get("/a");
            if i % 2 == 0 {
                request.with_header("If-None-Match", &etag)
            } else {
                request
            }
        });
        all_arrived(&origin, &edge, "/a", 6);
        origin.open_gate();
        let statuses: Vec<u16> = threads
            .into_iter()
            .map(|t| t.join().expect("a request panicked").status)
            .collect();
        assert_eq!(
            statuses,
            [304, 200, 304, 200, 304, 200],
            "waiters are answered from the shared copy by their own If-None-Match"
        );
        assert_eq!(origin.fetches(), 1);
    });
}

#[test]
fn a_private_response_is_never_handed_to_a_waiting_request() {
    watchdog(20, "a burst on a private path", || {
        let origin = StubOrigin::new();
        origin.put(
            "/account",
            Object {
                status: 200,
                body: b"account page".to_vec(),
                headers: vec![("Cache-Control".into(), "private, max-age=60".into())],
                etag: None,
                numbered: true,
            },
        );
        origin.gate("/account");
        let _open = OpenOnDrop(Arc::clone(&origin));
        let (_clock, edge) = edge(&origin);
        let threads = burst(&edge, 6, |_| Request::get("/account"));
        all_arrived(&origin, &edge, "/account", 6);
        origin.open_gate();
        let bodies: HashSet<String> = threads
            .into_iter()
            .map(|t| {
                let r = t.join().expect("a request panicked");
                assert_eq!(x_cache(&r), "PASS");
                body(&r)
            })
            .collect();
        assert_eq!(
            bodies.len(),
            6,
            "six requests for a private page got {} different answers: a collapsed waiter \
             was handed another client's private response. Collapsing may share only what \
             may be stored; when the answer is private, each waiter must fetch its own",
            bodies.len()
        );
        assert_eq!(origin.fetches(), 6);
        assert_eq!(edge.waiters(), 0);
    });
}

#[test]
fn a_slow_fetch_does_not_block_other_paths() {
    let origin = StubOrigin::new();
    origin.publish("/slow", "S", "max-age=60");
    origin.publish("/cached", "C", "max-age=60");
    origin.publish("/other", "O", "max-age=60");
    let (_clock, edge) = edge(&origin);
    edge.get(&Request::get("/cached"));
    origin.gate("/slow");
    let _open = OpenOnDrop(Arc::clone(&origin));
    let slow = {
        let edge = Arc::clone(&edge);
        thread::spawn(move || edge.get(&Request::get("/slow")))
    };
    let (o, e) = (Arc::clone(&origin), Arc::clone(&edge));
    watchdog(
        5,
        "a hit and a miss while another path is fetching",
        move || {
            wait_until(
                || o.fetches_of("/slow") == 1,
                || "the fetch of /slow never started".to_owned(),
            );
            assert_eq!(
                x_cache(&e.get(&Request::get("/cached"))),
                "HIT",
                "a hit must not wait for another path's fetch: the fetch runs without the lock"
            );
            assert_eq!(
                body(&e.get(&Request::get("/other"))),
                "O",
                "a miss fetches alongside"
            );
        },
    );
    origin.open_gate();
    assert_eq!(body(&slow.join().expect("the slow request panicked")), "S");
}

#[test]
fn a_fetch_that_panics_does_not_strand_its_waiters() {
    watchdog(20, "waiters of a fetch that panicked", || {
        let origin = StubOrigin::new();
        origin.publish("/a", "A", "max-age=60");
        origin.gate("/a");
        origin.panic_next(1);
        let _open = OpenOnDrop(Arc::clone(&origin));
        let (_clock, edge) = edge(&origin);
        let threads = burst(&edge, 5, |_| Request::get("/a"));
        all_arrived(&origin, &edge, "/a", 5);
        origin.open_gate();
        let results: Vec<_> = threads.into_iter().map(|t| t.join()).collect();
        assert_eq!(
            results.iter().filter(|r| r.is_err()).count(),
            1,
            "the fetch's panic goes to the request that ran it, and to it alone"
        );
        for r in results.into_iter().flatten() {
            assert_eq!(body(&r), "A", "the waiters start over and get the object");
        }
        assert_eq!(
            origin.fetches(),
            2,
            "the failed fetch, then exactly one more for the 4 that were waiting"
        );
        assert_eq!(edge.waiters(), 0);
    });
}
