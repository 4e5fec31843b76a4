//! Stage 7: retries. A failed idempotent request is tried again on another
//! backend, never on one it already failed on, at most `1 + retries` times;
//! a POST is sent once, whatever happens. Attempts are counted at the
//! recording backends.

use hyper::{Method, StatusCode};

use crate::common::{self, Backend, Balancer, Behaviour, Client, run};

#[test]
fn a_get_that_got_no_answer_is_retried_on_another_backend() {
    run(async {
        let a = Backend::start("a", Behaviour::Reset).await;
        let b = Backend::ok("b").await;
        let lb = Balancer::l7(&[&a, &b], 1).await;
        let mut client = Client::connect(lb.addr).await;
        let reply = client.get("/report").await;
        assert_eq!(
            (reply.status, reply.backend()),
            (StatusCode::OK, "b"),
            "backend a read the GET and closed the connection without answering; a GET is \
             idempotent, so the balancer must try it on b"
        );
        assert_eq!(
            (a.count(), b.count()),
            (1, 1),
            "one attempt on each: a failed, b answered"
        );
        assert_eq!(b.seen()[0].path, "/report");
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn every_idempotent_method_is_retried() {
    run(async {
        let a = Backend::start("a", Behaviour::Reset).await;
        let b = Backend::ok("b").await;
        let lb = Balancer::l7(&[&a, &b], 1).await;
        let mut client = Client::connect(lb.addr).await;
        let methods = [
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::TRACE,
            Method::PUT,
            Method::DELETE,
        ];
        for (i, method) in methods.iter().enumerate() {
            let body = if *method == Method::PUT { "v=2" } else { "" };
            let reply = client.send(method.clone(), "/item", &[], body).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{method} is idempotent (RFC 9110, 9.2.2): sending it twice has the effect of \
                 sending it once, so it is retried on another backend"
            );
            // Round robin starts each request where the last one ended: at a.
            assert_eq!(
                (a.count(), b.count()),
                (i + 1, i + 1),
                "{method}: a failed, b answered"
            );
            let retried = b.seen().pop().expect("b saw it");
            assert_eq!(
                (&retried.method, retried.body.as_ref()),
                (method, body.as_bytes()),
                "the retry is the same request, body and all (keep the body to send it again)"
            );
        }
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn a_post_is_never_retried() {
    run(async {
        let a = Backend::start("a", Behaviour::Reset).await;
        let b = Backend::ok("b").await;
        let lb = Balancer::l7(&[&a, &b], 3).await;
        let mut client = Client::connect(lb.addr).await;
        let reply = client.send(Method::POST, "/pay", &[], "amount=10").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_GATEWAY,
            "backend a took the POST and vanished without answering: it may have charged the \
             card. A POST is not idempotent; sending it to b could charge twice. The client \
             gets 502 Bad Gateway instead"
        );
        assert_eq!(
            (a.count(), b.count()),
            (1, 0),
            "the POST reached a once and b never"
        );
        let reply = client.send(Method::PATCH, "/cart", &[], "+1").await;
        assert_eq!(
            (reply.status, b.count()),
            (StatusCode::OK, 1),
            "round robin sent this PATCH to b first, which answered"
        );
        let reply = client.send(Method::PATCH, "/cart", &[], "+1").await;
        assert_eq!(
            (reply.status, a.count(), b.count()),
            (StatusCode::BAD_GATEWAY, 2, 1),
            "PATCH is not idempotent either: sent once, to a, which failed"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn a_post_answered_503_is_not_retried_either() {
    run(async {
        let a = Backend::start("a", Behaviour::Status(503)).await;
        let b = Backend::ok("b").await;
        let lb = Balancer::l7(&[&a, &b], 3).await;
        let mut client = Client::connect(lb.addr).await;
        let reply = client.send(Method::POST, "/pay", &[], "amount=10").await;
        assert_eq!(
            (reply.status, reply.backend()),
            (StatusCode::SERVICE_UNAVAILABLE, "a"),
            "the POST failed with 503 at a and is not retried: the client gets a's answer"
        );
        assert_eq!(b.count(), 0, "b must never see the POST");
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn gateway_errors_are_retried_but_other_answers_are_not() {
    run(async {
        for code in [502, 503, 504] {
            let a = Backend::start("a", Behaviour::Status(code)).await;
            let b = Backend::ok("b").await;
            let lb = Balancer::l7(&[&a, &b], 1).await;
            let mut client = Client::connect(lb.addr).await;
            let reply = client.get("/").await;
            assert_eq!(
                (reply.status, reply.backend()),
                (StatusCode::OK, "b"),
                "a GET answered {code} (a backend that cannot serve it now) is retried elsewhere"
            );
            lb.stop().await.expect("serve returns Ok");
        }
        for code in [500, 404, 429] {
            let a = Backend::start("a", Behaviour::Status(code)).await;
            let b = Backend::ok("b").await;
            let lb = Balancer::l7(&[&a, &b], 1).await;
            let mut client = Client::connect(lb.addr).await;
            let reply = client.get("/").await;
            assert_eq!(
                (reply.status.as_u16(), reply.backend()),
                (code, "a"),
                "a {code} is the backend's answer to the request, not a failure to serve it: \
                 it goes to the client and is not retried"
            );
            assert_eq!(b.count(), 0, "{code}: not retried");
            lb.stop().await.expect("serve returns Ok");
        }
    });
}

#[test]
fn a_refused_connection_counts_as_an_attempt() {
    run(async {
        let dead = common::refused().await;
        let b = Backend::ok("b").await;
        let lb = Balancer::start(common::Kind::L7 { retries: 1 }, vec![dead, b.addr]).await;
        let mut client = Client::connect(lb.addr).await;
        assert_eq!(
            client.get("/").await.backend(),
            "b",
            "the first backend refused the connection; the GET is tried on the next"
        );
        lb.stop().await.expect("serve returns Ok");

        let lb = Balancer::start(common::Kind::L7 { retries: 0 }, vec![dead, b.addr]).await;
        let mut client = Client::connect(lb.addr).await;
        assert_eq!(
            client.get("/").await.status,
            StatusCode::BAD_GATEWAY,
            "with retries = 0 a request gets one attempt: the refused connection, then 502"
        );
        assert_eq!(b.count(), 1, "only the first balancer's retry reached b");
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn attempts_are_at_most_one_plus_retries_and_never_repeat_a_backend() {
    run(async {
        for retries in [0, 1, 2, 5] {
            let a = Backend::start("a", Behaviour::Status(503)).await;
            let b = Backend::start("b", Behaviour::Status(503)).await;
            let c = Backend::start("c", Behaviour::Status(503)).await;
            let lb = Balancer::l7(&[&a, &b, &c], retries).await;
            let mut client = Client::connect(lb.addr).await;
            let reply = client.get("/").await;
            let counts = [a.count(), b.count(), c.count()];
            let attempts: usize = counts.iter().sum();
            let expected = (1 + retries as usize).min(3);
            assert_eq!(
                attempts, expected,
                "retries = {retries}: {attempts} attempts reached the backends {counts:?}; \
                 there must be 1 + retries, but no more than there are backends"
            );
            assert!(
                counts.iter().all(|&n| n <= 1),
                "retries = {retries}: a backend got the same request twice {counts:?}: each \
                 retry goes to a backend not yet tried"
            );
            assert_eq!(
                reply.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "every attempt answered 503: the client gets the last answer"
            );
            let last = ["a", "b", "c"][expected - 1];
            assert_eq!(
                reply.backend(),
                last,
                "the last attempt's answer, from {last}"
            );
            lb.stop().await.expect("serve returns Ok");
        }
    });
}

#[test]
fn when_no_attempt_gets_an_answer_the_client_gets_502() {
    run(async {
        let a = Backend::start("a", Behaviour::Reset).await;
        let b = Backend::start("b", Behaviour::Reset).await;
        let lb = Balancer::l7(&[&a, &b], 4).await;
        let mut client = Client::connect(lb.addr).await;
        let reply = client.get("/").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_GATEWAY,
            "no backend answered: 502 Bad Gateway"
        );
        assert_eq!((a.count(), b.count()), (1, 1));
        assert_eq!(
            client.get("/").await.status,
            StatusCode::BAD_GATEWAY,
            "the client's connection survives a failed request"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}
