//! Stage 6: the wrong designs. A reverse proxy that copies requests and
//! responses through as they are "works" in a demo and fails here: it
//! leaks the hidden backend's address in redirects and headers, loses the
//! real client by replacing `X-Forwarded-For`, and forwards headers the
//! sender meant for one hop only.

use hyper::{Method, StatusCode};

use crate::common::{Backend, Behaviour, Client, IMPATIENT, Proxy, refused, run};

#[test]
fn a_redirect_to_the_backend_is_rewritten_to_the_public_address() {
    run(async {
        let app = Backend::start(
            "app",
            Behaviour::Reply(
                302,
                &[
                    ("location", "http://{addr}/login?next=%2Fcart"),
                    ("content-location", "http://{addr}/cart"),
                ],
            ),
        )
        .await;
        let proxy = Proxy::reverse(&[("/", app.addr)]).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("/cart").await;
        assert_eq!(reply.status, StatusCode::FOUND);
        assert_eq!(
            reply.headers["location"], "/login?next=%2Fcart",
            "the backend redirected to its own address (it knows no other); the client must \
             be sent to the same path on the public address, never to the hidden backend"
        );
        assert_eq!(reply.headers["content-location"], "/cart");
        reply.assert_names_no(app.addr, "the backend must stay hidden");
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn headers_that_name_the_backend_do_not_reach_the_client() {
    run(async {
        let app = Backend::start(
            "app",
            Behaviour::Reply(
                200,
                &[
                    ("x-upstream", "{addr}"),
                    ("x-served-by", "worker-3@{addr}"),
                    ("set-cookie", "session=s1; Path=/"),
                    ("set-cookie", "route={addr}; Path=/"),
                    ("x-kept", "yes"),
                ],
            ),
        )
        .await;
        let proxy = Proxy::reverse(&[("/", app.addr)]).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("/").await;
        assert_eq!(reply.status, StatusCode::OK);
        reply.assert_names_no(
            app.addr,
            "every response header line that names the backend's address is removed: an \
             attacker who learns it can aim at the backend directly and skip the proxy's \
             limits and access rules",
        );
        assert_eq!(
            crate::common::lines(&reply.headers, "set-cookie"),
            ["session=s1; Path=/"],
            "only the line naming the backend goes; the other Set-Cookie line stays"
        );
        assert_eq!(reply.headers["x-kept"], "yes");
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn the_proxys_own_errors_name_no_backend() {
    run(async {
        let gone = refused().await;
        let silent = Backend::start("silent", Behaviour::Silent).await;
        let proxy =
            Proxy::reverse_with(&[("/gone", gone), ("/slow", silent.addr)], 1024, IMPATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("/gone").await;
        assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
        reply.assert_names_no(
            gone,
            "a 502 whose body says `connection refused by 127.0.0.1:PORT` tells the world \
             where the backend is: the proxy's own answers have empty bodies",
        );
        let reply = client.get("/slow").await;
        assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
        reply.assert_names_no(silent.addr, "the same for a 504");
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn forwarded_chains_are_appended_to_at_every_hop() {
    run(async {
        let app = Backend::ok("app").await;
        // Two reverse proxies in a row: edge -> inner -> app.
        let inner = Proxy::reverse(&[("/", app.addr)]).await;
        let edge = Proxy::reverse(&[("/", inner.addr)]).await;
        let mut client = Client::connect(edge.addr).await;
        let reply = client
            .send(
                Method::GET,
                "/",
                &[
                    ("x-forwarded-for", "203.0.113.7"),
                    ("x-forwarded-proto", "https"),
                ],
                "",
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let seen = app.only();
        assert_eq!(
            seen.header_lines("x-forwarded-for"),
            ["203.0.113.7, 127.0.0.1, 127.0.0.1"],
            "each proxy appends the address it got the request from: the real client \
             (203.0.113.7, added by a CDN in front), then the client of the edge, then the \
             edge as the inner proxy's client. A proxy that replaces the header leaves only \
             the last hop, and every request seems to come from the proxy"
        );
        assert_eq!(
            seen.header_lines("x-forwarded-proto"),
            ["https, http, http"],
            "X-Forwarded-Proto is appended the same way"
        );
        edge.stop().await.expect("serve_reverse returns Ok");
        inner.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn headers_named_in_connection_stop_at_the_proxy_both_ways() {
    run(async {
        let app = Backend::start(
            "app",
            Behaviour::Reply(
                200,
                &[
                    ("connection", "x-backend-secret, keep-alive"),
                    ("x-backend-secret", "db-password-hint"),
                    ("keep-alive", "timeout=5"),
                    ("trailer", "x-checksum"),
                    ("upgrade", "h2c"),
                    ("proxy-authenticate", "Basic realm=\"app\""),
                ],
            ),
        )
        .await;
        let proxy = Proxy::reverse(&[("/", app.addr)]).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client
            .send(
                Method::GET,
                "/",
                &[
                    ("connection", "x-session-debug, x-other"),
                    ("x-session-debug", "verbose"),
                    ("x-other", "1"),
                    ("te", "trailers"),
                    ("proxy-authorization", "Basic YWxpY2U6czNjcjN0"),
                    ("x-kept", "1"),
                ],
                "",
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let seen = app.only();
        for gone in ["x-session-debug", "x-other", "te", "proxy-authorization"] {
            assert!(
                seen.header_lines(gone).is_empty(),
                "the backend received `{gone}`: headers named in Connection, and the fixed \
                 hop-by-hop ones, are for the proxy only. Got {:?}",
                seen.headers
            );
        }
        assert_eq!(seen.header_lines("x-kept"), ["1"]);
        for gone in [
            "x-backend-secret",
            "keep-alive",
            "trailer",
            "upgrade",
            "proxy-authenticate",
        ] {
            assert!(
                reply.headers.get(gone).is_none(),
                "the client received the backend's hop-by-hop `{gone}`: {:?}",
                reply.headers
            );
        }
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}
