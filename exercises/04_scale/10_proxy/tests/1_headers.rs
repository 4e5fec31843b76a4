//! Stage 1: the header rules, as pure functions. What stops at every hop
//! (hop-by-hop headers), what a hop adds (`X-Forwarded-For`,
//! `X-Forwarded-Proto`, appended), what an anonymising forward proxy
//! removes, and what a reverse proxy does to response headers that would
//! name a hidden backend.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proxy::{
    HOP_BY_HOP, IDENTIFYING, PROXY_PREFIX, X_FORWARDED_FOR, X_FORWARDED_PROTO, append_forwarded,
    scrub_backend, strip_hop_by_hop, strip_identifying,
};

use crate::common::{headers, lines};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn names(map: &hyper::HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = map.keys().map(|k| k.as_str().to_owned()).collect();
    names.sort();
    names
}

#[test]
fn the_fixed_hop_by_hop_list_has_six_names() {
    let mut listed = HOP_BY_HOP.to_vec();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            "connection",
            "keep-alive",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade"
        ]
    );
    assert_eq!(PROXY_PREFIX, "proxy-");
    assert_eq!(X_FORWARDED_FOR, "x-forwarded-for");
    assert_eq!(X_FORWARDED_PROTO, "x-forwarded-proto");
}

#[test]
fn hop_by_hop_headers_are_stripped_and_the_rest_kept() {
    let mut map = headers(&[
        ("connection", "keep-alive"),
        ("keep-alive", "timeout=5"),
        ("te", "trailers"),
        ("trailer", "x-checksum"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "websocket"),
        ("x-kept", "1"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]);
    strip_hop_by_hop(&mut map);
    assert_eq!(
        names(&map),
        ["set-cookie", "x-kept"],
        "the RFC 9110 hop-by-hop headers describe one connection and must stop at the proxy; \
         the end-to-end ones stay"
    );
    assert_eq!(
        lines(&map, "set-cookie"),
        ["a=1", "b=2"],
        "every line of a kept header stays, in order"
    );
}

#[test]
fn every_proxy_header_is_hop_by_hop() {
    let mut map = headers(&[
        ("proxy-authorization", "Basic dXNlcjpwYXNz"),
        ("proxy-authenticate", "Basic realm=\"proxy\""),
        ("proxy-connection", "keep-alive"),
        ("proxy-x-anything", "1"),
        ("proxyish", "kept"),
        ("x-proxy-id", "kept"),
    ]);
    strip_hop_by_hop(&mut map);
    assert_eq!(
        names(&map),
        ["proxyish", "x-proxy-id"],
        "a header whose name starts with `proxy-` is meant for the proxy (its credentials, its \
         options): forwarding Proxy-Authorization hands the client's proxy password to the \
         next server. Only the prefix `proxy-` counts"
    );
}

#[test]
fn headers_named_in_connection_are_stripped_whatever_their_spelling() {
    let mut map = headers(&[
        ("connection", "X-Secret, keep-alive"),
        ("connection", "x-other ,x-third"),
        ("x-secret", "s3cr3t"),
        ("x-other", "1"),
        ("x-third", "3"),
        ("x-kept", "kept"),
    ]);
    strip_hop_by_hop(&mut map);
    assert_eq!(
        names(&map),
        ["x-kept"],
        "a header listed in Connection (any case, spaces around commas, on any of several \
         Connection lines) belongs to this hop only: forwarding it leaks what the sender \
         meant for the proxy alone"
    );
    let mut map = headers(&[("connection", "x-absent, close"), ("x-kept", "1")]);
    strip_hop_by_hop(&mut map);
    assert_eq!(
        names(&map),
        ["x-kept"],
        "naming an absent header is harmless"
    );
}

#[test]
fn forwarded_chains_start_with_this_hop() {
    let mut map = headers(&[("x-kept", "1")]);
    append_forwarded(&mut map, LOCALHOST, "http");
    assert_eq!(lines(&map, X_FORWARDED_FOR), ["127.0.0.1"]);
    assert_eq!(lines(&map, X_FORWARDED_PROTO), ["http"]);
    assert_eq!(lines(&map, "x-kept"), ["1"], "other headers are left alone");
    let mut map = hyper::HeaderMap::new();
    append_forwarded(&mut map, IpAddr::V6(Ipv6Addr::LOCALHOST), "https");
    assert_eq!(
        lines(&map, X_FORWARDED_FOR),
        ["::1"],
        "the IP address alone: no port, no brackets"
    );
    assert_eq!(lines(&map, X_FORWARDED_PROTO), ["https"]);
}

#[test]
fn forwarded_chains_are_appended_to_and_never_replaced() {
    let mut map = headers(&[
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-proto", "https"),
    ]);
    append_forwarded(&mut map, LOCALHOST, "http");
    assert_eq!(
        lines(&map, X_FORWARDED_FOR),
        ["203.0.113.7, 127.0.0.1"],
        "this hop's client is appended to the chain the request brought: replacing it loses \
         the real client behind an earlier proxy (every request would seem to come from the \
         proxy in front)"
    );
    assert_eq!(
        lines(&map, X_FORWARDED_PROTO),
        ["https, http"],
        "X-Forwarded-Proto is a chain in step with X-Forwarded-For: the earlier hop's https \
         must survive"
    );
    let mut map = headers(&[
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-for", "198.51.100.2, 192.0.2.1"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-proto", "http"),
    ]);
    append_forwarded(&mut map, LOCALHOST, "http");
    assert_eq!(
        lines(&map, X_FORWARDED_FOR),
        ["203.0.113.7, 198.51.100.2, 192.0.2.1, 127.0.0.1"],
        "several lines are one list: join them in order, then append, on one line"
    );
    assert_eq!(lines(&map, X_FORWARDED_PROTO), ["https, http, http"]);
}

#[test]
fn an_anonymising_proxy_strips_what_identifies_the_client() {
    let mut listed = IDENTIFYING.to_vec();
    listed.sort_unstable();
    assert_eq!(
        listed,
        [
            "forwarded",
            "from",
            "via",
            "x-forwarded-for",
            "x-forwarded-host",
            "x-forwarded-proto",
            "x-real-ip"
        ]
    );
    let mut map = headers(&[
        ("forwarded", "for=192.0.2.60;proto=http"),
        ("from", "alice@example.com"),
        ("via", "1.1 corp-proxy"),
        ("x-forwarded-for", "10.1.2.3"),
        ("x-forwarded-host", "intranet.corp"),
        ("x-forwarded-proto", "https"),
        ("x-real-ip", "10.1.2.3"),
        ("cookie", "session=abc"),
        ("authorization", "Bearer t"),
        ("user-agent", "test/1.0"),
    ]);
    strip_identifying(&mut map);
    assert_eq!(
        names(&map),
        ["authorization", "cookie", "user-agent"],
        "the identifying headers (client addresses, earlier proxies, the user's e-mail) go; \
         the end-to-end headers the target needs to answer stay"
    );
}

fn backend() -> SocketAddr {
    "127.0.0.1:5001".parse().unwrap()
}

#[test]
fn a_location_on_the_backend_becomes_relative() {
    let cases = [
        (
            "http://127.0.0.1:5001/login?next=%2Fcart",
            "/login?next=%2Fcart",
        ),
        ("HTTP://127.0.0.1:5001/a/b", "/a/b"),
        ("http://127.0.0.1:5001", "/"),
        ("https://127.0.0.1:5001/secure", "/secure"),
    ];
    for (location, expected) in cases {
        let mut map = headers(&[("location", location), ("content-location", location)]);
        scrub_backend(&mut map, backend());
        assert_eq!(
            lines(&map, "location"),
            [expected],
            "Location {location}: a redirect to the backend's own address would send the \
             client straight to a server it must not see (and cannot reach); the path and \
             query alone keep it on the public address"
        );
        assert_eq!(
            lines(&map, "content-location"),
            [expected],
            "Content-Location {location} is rewritten the same way"
        );
    }
}

#[test]
fn other_locations_are_kept() {
    for location in [
        "/relative?x=1",
        "https://login.example.com/?app=shop",
        "http://127.0.0.1:5002/another-port",
        "http://127.0.0.10:5001/another-host",
    ] {
        let mut map = headers(&[("location", location)]);
        scrub_backend(&mut map, backend());
        assert_eq!(
            lines(&map, "location"),
            [location],
            "Location {location} does not name the backend (exactly 127.0.0.1:5001): keep it"
        );
    }
}

#[test]
fn header_lines_naming_the_backend_are_removed() {
    let mut map = headers(&[
        ("x-upstream", "127.0.0.1:5001"),
        ("x-served-by", "app-7 at 127.0.0.1:5001 (pid 42)"),
        ("set-cookie", "a=1"),
        ("set-cookie", "debug=127.0.0.1:5001"),
        ("set-cookie", "b=2"),
        (
            "location",
            "https://login.example.com/?back=http://127.0.0.1:5001/x",
        ),
        ("x-kept", "127.0.0.1:50010 is another port"),
        ("x-kept-too", "also 10.127.0.0.1:5001"),
        ("content-type", "text/plain"),
    ]);
    scrub_backend(&mut map, backend());
    assert_eq!(
        lines(&map, "set-cookie"),
        ["a=1", "b=2"],
        "only the line that names the backend goes; the other lines of the same header stay"
    );
    assert!(
        map.get("x-upstream").is_none() && map.get("x-served-by").is_none(),
        "a header whose value contains the backend's address tells every client where the \
         hidden server is: remove it. Left: {map:?}"
    );
    assert!(
        map.get("location").is_none(),
        "a Location that still names the backend after the rewrite (here in its query) is \
         removed like any other header"
    );
    assert_eq!(lines(&map, "content-type"), ["text/plain"]);
    assert_eq!(
        lines(&map, "x-kept"),
        ["127.0.0.1:50010 is another port"],
        "127.0.0.1:50010 is another port, not the backend's: an occurrence followed by a \
         digit does not count"
    );
    assert_eq!(
        lines(&map, "x-kept-too"),
        ["also 10.127.0.0.1:5001"],
        "preceded by a digit or a dot, 127.0.0.1:5001 is part of another address"
    );
}
