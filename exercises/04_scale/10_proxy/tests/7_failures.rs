//! Stage 7: when the backend fails. A refused or broken connection is
//! `502 Bad Gateway`; no whole response within the upstream timeout is
//! `504 Gateway Timeout`. The timeouts are driven by backends that never
//! answer (until the test ends), so the 504 is certain, not the winner of a
//! race; the proxies run with a 100 ms upstream timeout.

use hyper::StatusCode;
use proxy::{Acl, Action};

use crate::common::{Backend, Behaviour, Client, IMPATIENT, Proxy, refused, run};

#[test]
fn a_refused_connection_is_502_and_other_routes_still_work() {
    run(async {
        let gone = refused().await;
        let web = Backend::ok("web").await;
        let proxy = Proxy::reverse(&[("/", web.addr), ("/gone", gone)]).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("/gone/x").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_GATEWAY,
            "a backend that refuses the connection is answered 502 Bad Gateway"
        );
        assert!(reply.body.is_empty());
        assert_eq!(
            client.get("/").await.status,
            StatusCode::OK,
            "one dead backend must not break the client's connection or the other routes"
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn a_connection_broken_before_the_response_is_502() {
    run(async {
        let crashing = Backend::start("crashing", Behaviour::Reset).await;
        let proxy = Proxy::reverse(&[("/", crashing.addr)]).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("/").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_GATEWAY,
            "the backend read the request and closed the connection without an answer: 502"
        );
        assert_eq!(crashing.count(), 1);
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn a_backend_that_never_answers_is_504() {
    run(async {
        let silent = Backend::start("silent", Behaviour::Silent).await;
        let web = Backend::ok("web").await;
        let proxy =
            Proxy::reverse_with(&[("/", web.addr), ("/slow", silent.addr)], 1024, IMPATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("/slow").await;
        assert_eq!(
            reply.status,
            StatusCode::GATEWAY_TIMEOUT,
            "no response within upstream_timeout is 504 Gateway Timeout; without a timeout the \
             client (and a proxy connection) waits forever on a hung backend"
        );
        assert!(reply.body.is_empty());
        assert_eq!(silent.count(), 1, "the request did reach the backend");
        assert_eq!(
            client.get("/").await.status,
            StatusCode::OK,
            "the client's connection goes on working after a 504"
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn the_timeout_covers_the_whole_response_not_just_its_head() {
    run(async {
        let half = Backend::start("half", Behaviour::HalfBody).await;
        let proxy = Proxy::reverse_with(&[("/", half.addr)], 1024, IMPATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get("/").await;
        assert_eq!(
            reply.status,
            StatusCode::GATEWAY_TIMEOUT,
            "the backend sent its head and 10 of 100 bytes, then stalled: the timeout bounds \
             the whole exchange, so this is 504, not a 200 that never ends"
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn a_timed_out_connection_is_never_reused() {
    run(async {
        let flaky = Backend::start("flaky", Behaviour::SilentOnce).await;
        let proxy = Proxy::reverse_with(&[("/", flaky.addr)], 1024, IMPATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        assert_eq!(client.get("/").await.status, StatusCode::GATEWAY_TIMEOUT);
        let reply = client.get("/").await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "the next request must get a fresh connection: the timed-out one still has a \
             response owed on it, and a request sent there would wait behind it (or get the \
             stale answer)"
        );
        assert_eq!(
            flaky.connections(),
            2,
            "one connection cut off by the timeout, one new"
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn the_forward_proxy_times_out_too() {
    run(async {
        let silent = Backend::start("silent", Behaviour::Silent).await;
        let proxy = Proxy::forward(Acl::new(Action::Allow), IMPATIENT).await;
        let mut client = Client::connect(proxy.addr).await;
        let reply = client.get(&format!("http://{}/", silent.addr)).await;
        assert_eq!(
            reply.status,
            StatusCode::GATEWAY_TIMEOUT,
            "a target that never answers is 504 from the forward proxy as well"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}
