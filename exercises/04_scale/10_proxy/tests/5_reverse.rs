//! Stage 5: the reverse proxy routes. Pure longest-prefix routing at
//! segment boundaries first, then over real sockets: each path to its
//! hidden backend, unchanged; unrouted paths and oversized bodies stopped
//! at the proxy.

use std::net::SocketAddr;

use hyper::{Method, StatusCode};
use proxy::{Route, Router};

use crate::common::{Backend, Behaviour, Client, PATIENT, Proxy, raw, run, status_of, within};

fn at(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn router(routes: &[(&str, u16)]) -> Router {
    Router::new(
        routes
            .iter()
            .map(|(p, port)| Route::new(p, at(*port)))
            .collect(),
    )
}

fn port_for(router: &Router, path: &str) -> Option<u16> {
    router.route(path).map(|r| r.backend.port())
}

#[test]
fn the_longest_matching_prefix_wins_in_any_order() {
    let routes = [("/", 1), ("/api", 2), ("/api/v2", 3), ("/static/", 4)];
    for order in [routes, [routes[3], routes[1], routes[2], routes[0]]] {
        let r = router(&order);
        assert_eq!(port_for(&r, "/"), Some(1));
        assert_eq!(port_for(&r, "/index.html"), Some(1));
        assert_eq!(port_for(&r, "/api"), Some(2));
        assert_eq!(port_for(&r, "/api/users/7"), Some(2));
        assert_eq!(
            port_for(&r, "/api/v2/users"),
            Some(3),
            "/api/v2 and /api both match /api/v2/users; the longer, more specific one wins, \
             whatever the order the routes were given in"
        );
        assert_eq!(port_for(&r, "/static/app.css"), Some(4));
    }
    let only = router(&[("/api", 2)]);
    assert_eq!(
        only.route("/api/x").map(|r| r.prefix.as_str()),
        Some("/api"),
        "route returns the matching Route itself"
    );
}

#[test]
fn a_prefix_matches_only_at_a_segment_boundary() {
    let r = router(&[("/api", 2), ("/static/", 4)]);
    assert_eq!(
        port_for(&r, "/apix"),
        None,
        "/api must not match /apix: a bare string prefix would send /apiary or /api-internal \
         to the API backend"
    );
    assert_eq!(port_for(&r, "/api/"), Some(2));
    assert_eq!(port_for(&r, "/static/a.css"), Some(4));
    assert_eq!(
        port_for(&r, "/static"),
        None,
        "/static/ (with its slash) matches /static/... only"
    );
    assert_eq!(
        port_for(&r, "/API/x"),
        None,
        "paths are compared byte for byte"
    );
    assert_eq!(port_for(&r, "/"), None);
    assert_eq!(
        port_for(&router(&[]), "/anything"),
        None,
        "no routes route nothing"
    );
}

#[test]
#[should_panic(expected = "a route prefix must start with '/'")]
fn a_prefix_without_a_leading_slash_is_refused() {
    let _ = Router::new(vec![Route::new("api", at(1))]);
}

#[test]
#[should_panic(expected = "two routes have the same prefix")]
fn two_routes_with_one_prefix_are_refused() {
    let _ = Router::new(vec![Route::new("/api", at(1)), Route::new("/api", at(2))]);
}

#[test]
fn each_path_reaches_its_backend_unchanged() {
    run(async {
        let (web, api, v2) = (
            Backend::ok("web").await,
            Backend::ok("api").await,
            Backend::ok("v2").await,
        );
        let proxy =
            Proxy::reverse(&[("/", web.addr), ("/api", api.addr), ("/api/v2", v2.addr)]).await;
        let mut client = Client::connect(proxy.addr).await;
        for (path, expected) in [
            ("/", "web"),
            ("/api/users?page=2", "api"),
            ("/api/v2/users/7", "v2"),
            ("/apix", "web"),
            ("/api", "api"),
            ("/api?debug=1", "api"),
        ] {
            let reply = client.get(path).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}");
            assert_eq!(
                reply.backend(),
                expected,
                "{path} goes to the {expected} backend"
            );
        }
        let reply = client
            .send(
                Method::PUT,
                "/api/items/3?v=1",
                &[("x-app", "1")],
                "{\"n\":3}",
            )
            .await;
        assert_eq!(reply.backend(), "api");
        let seen = api.seen();
        assert_eq!(
            seen.iter().map(|s| s.target.as_str()).collect::<Vec<_>>(),
            [
                "/api/users?page=2",
                "/api",
                "/api?debug=1",
                "/api/items/3?v=1"
            ],
            "path and query reach the backend unchanged, the prefix not cut off; the query is \
             not part of the path that is routed"
        );
        let last = seen.last().unwrap();
        assert_eq!(last.method, Method::PUT);
        assert_eq!(last.body, "{\"n\":3}");
        assert_eq!(last.header_lines("x-app"), ["1"]);
        assert_eq!(
            last.header_lines("host"),
            ["shop.test"],
            "the reverse proxy keeps the client's Host: the backend serves the public site"
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn an_unrouted_path_is_404_and_no_backend_is_asked() {
    run(async {
        let api = Backend::ok("api").await;
        let proxy = Proxy::reverse(&[("/api", api.addr)]).await;
        let mut client = Client::connect(proxy.addr).await;
        for path in ["/", "/admin", "/apix"] {
            let reply = client.get(path).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{path} matches no route: 404 Not Found from the proxy itself"
            );
            assert!(
                reply.body.is_empty(),
                "the proxy's own answers have empty bodies"
            );
        }
        assert_eq!(
            api.connections(),
            0,
            "an unrouted request must not reach any backend"
        );
        assert_eq!(client.get("/api/ok").await.status, StatusCode::OK);
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn a_body_over_the_limit_is_413_and_never_reaches_the_backend() {
    run(async {
        let api = Backend::ok("api").await;
        let proxy = Proxy::reverse_with(&[("/", api.addr)], 16, PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let exactly = "x".repeat(16);
        let reply = client.send(Method::POST, "/upload", &[], &exactly).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "a body of exactly max_body bytes is accepted"
        );
        assert_eq!(api.only().body, exactly);
        let mut client = Client::connect(proxy.addr).await;
        let reply = client
            .send(Method::POST, "/upload", &[], &"x".repeat(17))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "one byte over max_body is 413 Content Too Large: the proxy protects the backends \
             from bodies they would have to read and refuse"
        );
        assert!(
            reply.body.is_empty(),
            "the proxy's own answers have empty bodies"
        );
        let chunked = raw(
            proxy.addr,
            "POST /upload HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n\
             a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
        )
        .await;
        assert_eq!(
            status_of(&chunked),
            413,
            "a chunked body declares no length: the limit is enforced while reading it (20 \
             bytes in two chunks of 10). Got {chunked:?}"
        );
        assert_eq!(
            api.count(),
            1,
            "neither oversized request may reach the backend, not even in part"
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn shutdown_cuts_off_requests_in_flight_and_returns() {
    run(async {
        let silent = Backend::start("silent", Behaviour::Silent).await;
        let proxy = Proxy::reverse(&[("/", silent.addr)]).await;
        let addr = proxy.addr;
        let request = tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            client
                .try_send(Method::GET, "/", &[], "")
                .await
                .map(|r| r.status)
        });
        // The request is in flight once the backend has it.
        within("the request to reach the backend", async {
            while silent.count() == 0 {
                tokio::task::yield_now().await;
            }
        })
        .await;
        proxy.stop().await.expect("serve_reverse returns Ok");
        let outcome = within(
            "the client to see its connection closed by the shutdown",
            request,
        )
        .await
        .expect("the client task panicked");
        assert!(
            outcome.is_err(),
            "after shutdown a request in flight is cut off (its connection closed), not left \
             waiting; got {outcome:?}"
        );
    });
}
