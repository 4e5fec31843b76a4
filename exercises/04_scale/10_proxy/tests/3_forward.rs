//! Stage 3: the forward proxy over real sockets. The client names the
//! target in an absolute-form URI; the proxy checks it against its ACL,
//! sends the request on in origin form with the target's `Host`, and
//! strips what would identify the client. A denied target is never
//! contacted.

use std::net::SocketAddr;

use hyper::{Method, StatusCode};
use proxy::{Acl, Action, Dest};

use crate::common::{Backend, Behaviour, Client, PATIENT, Proxy, raw, refused, run, status_of};

fn allow_only(addrs: &[SocketAddr]) -> Acl {
    addrs
        .iter()
        .fold(Acl::new(Action::Deny), |acl, a| acl.allow(Dest::Addr(*a)))
}

#[test]
fn the_request_goes_to_the_named_target_in_origin_form() {
    run(async {
        let target = Backend::ok("target").await;
        let proxy = Proxy::forward(allow_only(&[target.addr]), PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let url = format!("http://{}/a/b?c=1&d=%20", target.addr);
        let reply = client
            .send(Method::POST, &url, &[("x-app", "42")], "order=7")
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, "backend target");
        assert_eq!(
            reply.backend(),
            "target",
            "the target's headers reach the client"
        );
        let seen = target.only();
        assert_eq!(
            seen.target, "/a/b?c=1&d=%20",
            "a server expects origin form (path and query); the absolute form is for proxies \
             (RFC 9112, 3.2)"
        );
        assert_eq!(seen.method, Method::POST);
        assert_eq!(seen.body, "order=7");
        assert_eq!(seen.header_lines("x-app"), ["42"]);
        assert_eq!(
            seen.header_lines("host"),
            [target.addr.to_string()],
            "Host is the URI's authority, whatever Host the client sent (RFC 9112, 3.2.2): the \
             client sent `Host: shop.test`"
        );
        let mut other = Client::connect(proxy.addr).await;
        let bare = format!("http://{}", target.addr);
        assert_eq!(other.get(&bare).await.status, StatusCode::OK);
        assert_eq!(
            target.seen()[1].target,
            "/",
            "a URI without a path asks for /"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn the_target_learns_nothing_about_the_client() {
    run(async {
        let target = Backend::ok("target").await;
        let proxy = Proxy::forward(allow_only(&[target.addr]), PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let url = format!("http://{}/page", target.addr);
        let sent = [
            ("proxy-authorization", "Basic YWxpY2U6czNjcjN0"),
            ("proxy-connection", "keep-alive"),
            ("x-forwarded-for", "10.1.2.3"),
            ("x-real-ip", "10.1.2.3"),
            ("forwarded", "for=10.1.2.3"),
            ("via", "1.1 corp-gateway"),
            ("from", "alice@corp.example"),
            ("connection", "x-debug"),
            ("x-debug", "internal"),
            ("cookie", "session=abc"),
            ("user-agent", "test/1.0"),
        ];
        assert_eq!(
            client.send(Method::GET, &url, &sent, "").await.status,
            StatusCode::OK
        );
        let seen = target.only();
        for gone in [
            "proxy-authorization",
            "proxy-connection",
            "x-forwarded-for",
            "x-real-ip",
            "forwarded",
            "via",
            "from",
            "x-debug",
        ] {
            assert!(
                seen.header_lines(gone).is_empty(),
                "the target received `{gone}`: an anonymising forward proxy strips the \
                 client's identity, its proxy credentials and the hop-by-hop headers. Got {:?}",
                seen.headers
            );
        }
        assert_eq!(seen.header_lines("cookie"), ["session=abc"]);
        assert_eq!(seen.header_lines("user-agent"), ["test/1.0"]);
        assert!(
            seen.header_lines("x-forwarded-for").is_empty() && seen.header_lines("via").is_empty(),
            "the forward proxy adds no X-Forwarded-For and no Via: either would tell the target \
             who asked"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn the_targets_hop_by_hop_headers_stop_at_the_proxy() {
    run(async {
        let target = Backend::start(
            "target",
            Behaviour::Reply(
                200,
                &[
                    ("connection", "x-backend-secret"),
                    ("x-backend-secret", "1"),
                    ("keep-alive", "timeout=5"),
                    ("proxy-authenticate", "Basic realm=\"target\""),
                    ("upgrade", "h2c"),
                    ("x-kept", "yes"),
                ],
            ),
        )
        .await;
        let proxy = Proxy::forward(allow_only(&[target.addr]), PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get(&format!("http://{}/", target.addr)).await;
        assert_eq!(reply.status, StatusCode::OK);
        for gone in [
            "x-backend-secret",
            "keep-alive",
            "proxy-authenticate",
            "upgrade",
        ] {
            assert!(
                reply.headers.get(gone).is_none(),
                "the client received the target's hop-by-hop `{gone}`: {:?}",
                reply.headers
            );
        }
        assert_eq!(reply.headers["x-kept"], "yes");
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn a_denied_target_gets_403_and_is_never_contacted() {
    run(async {
        let allowed = Backend::ok("allowed").await;
        let denied = Backend::ok("denied").await;
        let proxy = Proxy::forward(allow_only(&[allowed.addr]), PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get(&format!("http://{}/admin", denied.addr)).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "a destination the ACL does not allow is answered 403 Forbidden"
        );
        assert!(
            reply.body.is_empty(),
            "the proxy's own answers have empty bodies"
        );
        assert_eq!(
            denied.connections(),
            0,
            "the ACL is checked before connecting: a denied target must not even see a TCP \
             connection (a port scan through the proxy would otherwise still work)"
        );
        let reply = client.get(&format!("http://{}/ok", allowed.addr)).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "the same connection goes on working"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn writing_the_address_another_way_does_not_get_past_the_acl() {
    run(async {
        let target = Backend::ok("loopback").await;
        let acl = Acl::new(Action::Allow).deny(Dest::Net {
            addr: "127.0.0.0".parse().unwrap(),
            prefix: 8,
        });
        let proxy = Proxy::forward(acl, PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        for url in [
            format!("http://{}/", target.addr),
            format!("http://[::ffff:127.0.0.1]:{}/", target.addr.port()),
        ] {
            let reply = client.get(&url).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{url}: the ACL is checked on the address the host resolves to, IPv4-mapped \
                 addresses as IPv4, so no spelling of 127.0.0.1 reaches loopback"
            );
        }
        assert_eq!(target.connections(), 0);
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn the_port_defaults_to_80() {
    run(async {
        let acl = Acl::new(Action::Allow).deny(Dest::Addr("127.0.0.1:80".parse().unwrap()));
        let proxy = Proxy::forward(acl, PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("http://127.0.0.1/x").await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "http://127.0.0.1/x is port 80, which this ACL denies"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn a_request_that_names_no_http_target_is_a_bad_request() {
    run(async {
        let target = Backend::ok("target").await;
        let proxy = Proxy::forward(Acl::new(Action::Allow), PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("/just/a/path").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "origin form names no target: a forward proxy cannot guess one (and must not \
             take the Host header's word for it)"
        );
        assert!(
            reply.body.is_empty(),
            "the proxy's own answers have empty bodies"
        );
        let reply = raw(
            proxy.addr,
            &format!(
                "GET https://{}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                target.addr
            ),
        )
        .await;
        assert_eq!(
            status_of(&reply),
            400,
            "an https:// URI without CONNECT is not served: the proxy speaks plain HTTP to \
             targets. Got {reply:?}"
        );
        assert_eq!(target.connections(), 0);
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn a_refused_target_is_a_bad_gateway() {
    run(async {
        let gone = refused().await;
        let proxy = Proxy::forward(Acl::new(Action::Allow), PATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get(&format!("http://{gone}/")).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_GATEWAY,
            "a target that refuses the connection is answered 502 Bad Gateway"
        );
        assert!(reply.body.is_empty());
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}
