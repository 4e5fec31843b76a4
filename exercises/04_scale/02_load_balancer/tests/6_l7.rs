//! Stage 6: an HTTP (layer 7) balancer on 127.0.0.1. Every request of a
//! keep-alive connection is balanced on its own (where the TCP balancer
//! pins the connection), `X-Forwarded-For` is appended to and never
//! replaced, and hop-by-hop headers stop at the balancer, both ways.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use load_balancer::{
    HOP_BY_HOP, ProxyConfig, X_FORWARDED_FOR, append_forwarded_for, serve, strip_hop_by_hop,
};
use tokio::net::TcpListener;

use crate::common::{self, Backend, Balancer, Behaviour, Client, run, within};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            HeaderValue::from_str(value).expect("a header value"),
        );
    }
    map
}

fn lines(map: &HeaderMap, name: &str) -> Vec<String> {
    map.get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

#[test]
fn forwarded_for_starts_the_chain_with_the_client() {
    let mut map = HeaderMap::new();
    append_forwarded_for(&mut map, LOCALHOST);
    assert_eq!(lines(&map, X_FORWARDED_FOR), ["127.0.0.1"]);
    let mut map = HeaderMap::new();
    append_forwarded_for(&mut map, IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_eq!(
        lines(&map, "x-forwarded-for"),
        ["::1"],
        "the IP address alone: no port, no brackets"
    );
}

#[test]
fn forwarded_for_appends_and_never_replaces() {
    let mut map = headers(&[("x-forwarded-for", "203.0.113.7"), ("x-kept", "1")]);
    append_forwarded_for(&mut map, LOCALHOST);
    assert_eq!(
        lines(&map, "x-forwarded-for"),
        ["203.0.113.7, 127.0.0.1"],
        "the client's address is appended to the chain the request brought: replacing it \
         would lose the real client behind an earlier proxy"
    );
    assert_eq!(lines(&map, "x-kept"), ["1"], "other headers are left alone");
    let mut map = headers(&[
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-for", "198.51.100.2, 192.0.2.1"),
    ]);
    append_forwarded_for(&mut map, LOCALHOST);
    assert_eq!(
        lines(&map, "x-forwarded-for"),
        ["203.0.113.7, 198.51.100.2, 192.0.2.1, 127.0.0.1"],
        "several X-Forwarded-For lines are one list: join them in order, then append, on one line"
    );
}

#[test]
fn hop_by_hop_headers_are_stripped_and_the_rest_kept() {
    let mut map = headers(&[
        ("connection", "keep-alive, X-Secret"),
        ("connection", "x-other"),
        ("x-secret", "s3cr3t"),
        ("x-other", "1"),
        ("keep-alive", "timeout=5"),
        ("proxy-connection", "keep-alive"),
        ("te", "trailers"),
        ("trailer", "x-checksum"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "h2c"),
        ("x-kept", "yes"),
        ("content-type", "text/plain"),
    ]);
    strip_hop_by_hop(&mut map);
    let mut left: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
    left.sort_unstable();
    assert_eq!(
        left,
        ["content-type", "x-kept"],
        "every header named by Connection (any case, on any Connection line) and the fixed \
         hop-by-hop list {HOP_BY_HOP:?} must go; end-to-end headers stay"
    );
    let mut only_end_to_end = headers(&[("x-kept", "yes"), ("x-kept", "twice")]);
    strip_hop_by_hop(&mut only_end_to_end);
    assert_eq!(lines(&only_end_to_end, "x-kept"), ["yes", "twice"]);
}

#[test]
fn each_request_on_a_keep_alive_connection_goes_to_the_next_backend() {
    run(async {
        let (a, b, c) = (
            Backend::ok("a").await,
            Backend::ok("b").await,
            Backend::ok("c").await,
        );
        let lb = Balancer::l7(&[&a, &b, &c], 0).await;
        let mut client = Client::connect(lb.addr).await;
        let mut order = Vec::new();
        for _ in 0..7 {
            let reply = client.get("/").await;
            assert_eq!(reply.status, StatusCode::OK);
            order.push(reply.backend().to_owned());
        }
        assert_eq!(
            order,
            ["a", "b", "c", "a", "b", "c", "a"],
            "an HTTP balancer reads every request, so it balances each one, round robin from \
             the first backend, even on one client connection"
        );
        assert_eq!(
            [a.count(), b.count(), c.count()],
            [3, 2, 2],
            "each request reaches exactly one backend"
        );
        lb.stop().await.expect("serve returns Ok after shutdown");
    });
}

#[test]
fn l4_pins_a_keep_alive_connection_where_l7_spreads_it() {
    run(async {
        let (a, b, c) = (
            Backend::ok("a").await,
            Backend::ok("b").await,
            Backend::ok("c").await,
        );
        let l4 = Balancer::l4(&[&a, &b, &c]).await;
        let l7 = Balancer::l7(&[&a, &b, &c], 0).await;
        let mut via_l4 = Vec::new();
        let mut via_l7 = Vec::new();
        let mut client = Client::connect(l4.addr).await;
        for _ in 0..6 {
            via_l4.push(client.get("/").await.backend().to_owned());
        }
        let mut client = Client::connect(l7.addr).await;
        for _ in 0..6 {
            via_l7.push(client.get("/").await.backend().to_owned());
        }
        assert_eq!(
            via_l4, ["a"; 6],
            "L4: one connection, one backend, for all its requests"
        );
        assert_eq!(
            via_l7,
            ["a", "b", "c", "a", "b", "c"],
            "L7: the same six requests on one connection spread over all three"
        );
        l4.stop().await.expect("serve_tcp returns Ok");
        l7.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn method_path_body_and_reply_pass_through() {
    run(async {
        let a = Backend::start("a", Behaviour::Status(404)).await;
        let lb = Balancer::l7(&[&a], 0).await;
        let mut client = Client::connect(lb.addr).await;
        let reply = client
            .send(
                Method::PUT,
                "/orders/7?dry=1",
                &[
                    ("content-type", "application/json"),
                    ("x-request-id", "r-1"),
                ],
                "{\"qty\":2}",
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "the backend's status reaches the client as it is (a 404 is an answer, not a failure)"
        );
        assert_eq!(reply.body, "backend a");
        assert_eq!(reply.backend(), "a", "end-to-end response headers are kept");
        let seen = &a.seen()[0];
        assert_eq!(seen.method, Method::PUT);
        assert_eq!(seen.path, "/orders/7?dry=1");
        assert_eq!(seen.body, "{\"qty\":2}");
        assert_eq!(seen.header_lines("content-type"), ["application/json"]);
        assert_eq!(seen.header_lines("x-request-id"), ["r-1"]);
        assert_eq!(
            seen.header_lines("host"),
            ["lb.test"],
            "the client's Host is forwarded"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn the_backend_sees_who_the_client_is() {
    run(async {
        let a = Backend::ok("a").await;
        let lb = Balancer::l7(&[&a], 0).await;
        let mut client = Client::connect(lb.addr).await;
        client.get("/").await;
        assert_eq!(
            a.seen()[0].header_lines("x-forwarded-for"),
            ["127.0.0.1"],
            "the backend sees the balancer's address as its peer; X-Forwarded-For tells it the \
             client's"
        );
        let reply = common::raw(
            lb.addr,
            "GET / HTTP/1.1\r\nHost: lb.test\r\nX-Forwarded-For: 203.0.113.7\r\n\
             X-Forwarded-For: 198.51.100.2\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply:?}");
        assert_eq!(
            a.seen()[1].header_lines("x-forwarded-for"),
            ["203.0.113.7, 198.51.100.2, 127.0.0.1"],
            "the chain the request brought, then the client that connected to the balancer"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn hop_by_hop_request_headers_stop_at_the_balancer() {
    run(async {
        let a = Backend::ok("a").await;
        let lb = Balancer::l7(&[&a], 0).await;
        let reply = common::raw(
            lb.addr,
            "POST /upload HTTP/1.1\r\nHost: lb.test\r\n\
             Connection: close, X-Secret\r\nConnection: x-other\r\nX-Secret: s3cr3t\r\n\
             X-Other: 1\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n\
             TE: trailers\r\nTrailer: X-Checksum\r\nUpgrade: h2c\r\nX-Kept: yes\r\n\
             Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
        .await;
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply:?}");
        let seen = &a.seen()[0];
        for name in [
            "connection",
            "x-secret",
            "x-other",
            "keep-alive",
            "proxy-connection",
            "te",
            "trailer",
            "upgrade",
            "transfer-encoding",
        ] {
            assert_eq!(
                seen.header_lines(name),
                [] as [&str; 0],
                "{name}: hop-by-hop headers (the fixed list, and every header the client's \
                 Connection names) describe the client's connection, not the request; \
                 forwarding them leaks them (X-Secret) or breaks the framing \
                 (Transfer-Encoding) of the balancer's own connection to the backend"
            );
        }
        assert_eq!(seen.header_lines("x-kept"), ["yes"]);
        assert_eq!(
            seen.body, "hello world",
            "the chunked body arrives whole, framed afresh"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn hop_by_hop_response_headers_stop_at_the_balancer() {
    run(async {
        let a = Backend::start("a", Behaviour::HopByHop).await;
        let lb = Balancer::l7(&[&a], 0).await;
        let mut client = Client::connect(lb.addr).await;
        let reply = client.get("/").await;
        assert_eq!(reply.status, StatusCode::OK);
        for name in [
            "x-backend-secret",
            "keep-alive",
            "proxy-connection",
            "trailer",
            "upgrade",
        ] {
            assert!(
                !reply.headers.contains_key(name),
                "{name}: the backend's hop-by-hop headers must not reach the client (the \
                 balancer strips them from responses too): {:?}",
                reply.headers
            );
        }
        assert_eq!(reply.backend(), "a", "end-to-end headers are kept");
        assert_eq!(
            client.get("/again").await.status,
            StatusCode::OK,
            "and the client's connection stays usable"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn shutdown_stops_accepting_and_closes_open_connections() {
    run(async {
        let a = Backend::ok("a").await;
        let lb = Balancer::l7(&[&a], 0).await;
        let mut client = Client::connect(lb.addr).await;
        assert_eq!(client.get("/").await.backend(), "a");
        lb.stop()
            .await
            .expect("serve returns Ok(()) once its shutdown future completes");
        let after = within(
            "a request on a connection the balancer should have closed",
            client.try_send(Method::GET, "/", &[], ""),
        )
        .await;
        assert!(
            after.is_err(),
            "after shutdown the client's keep-alive connection must be closed, yet a request \
             on it was answered: {after:?}"
        );
    });
}

#[test]
fn no_backends_is_an_error() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let config = ProxyConfig {
            backends: Vec::new(),
            retries: 1,
        };
        let err = within(
            "serve with no backends to return",
            serve(listener, config, std::future::pending()),
        )
        .await
        .expect_err("a balancer with no backends must refuse to start");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.to_string(), "a balancer needs at least one backend");
    });
}
