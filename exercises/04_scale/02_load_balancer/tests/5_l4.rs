//! Stage 5: a TCP (layer 4) balancer on 127.0.0.1. One backend per client
//! connection, round robin; bytes copied both ways, unchanged; a clean
//! shutdown.

use std::io::ErrorKind;

use hyper::Method;
use load_balancer::serve_tcp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{self, Backend, Balancer, Client, run, within};

#[test]
fn each_connection_goes_to_the_next_backend_and_stays_there() {
    run(async {
        let (a, b, c) = (
            Backend::ok("a").await,
            Backend::ok("b").await,
            Backend::ok("c").await,
        );
        let lb = Balancer::l4(&[&a, &b, &c]).await;
        let mut order = Vec::new();
        for conn in 0..4 {
            let mut client = Client::connect(lb.addr).await;
            let first = client.get("/").await.backend().to_owned();
            for i in 1..3 {
                let again = client.get("/").await;
                assert_eq!(
                    again.backend(),
                    first,
                    "connection {conn}, request {i}: a TCP balancer chooses once per connection; \
                     every request on it reaches the same backend"
                );
            }
            order.push(first);
        }
        assert_eq!(
            order,
            ["a", "b", "c", "a"],
            "connections go round robin, the first to the first backend"
        );
        assert_eq!(
            [a.connections(), b.connections(), c.connections()],
            [2, 1, 1],
            "one backend connection per client connection"
        );
        assert_eq!([a.count(), b.count(), c.count()], [6, 3, 3]);
        lb.stop()
            .await
            .expect("serve_tcp returns Ok after shutdown");
    });
}

#[test]
fn bytes_pass_through_unchanged() {
    run(async {
        let a = Backend::ok("a").await;
        let lb = Balancer::l4(&[&a]).await;
        let reply = common::raw(
            lb.addr,
            "POST /orders?id=7 HTTP/1.1\r\nHost: lb.test\r\nX-Forwarded-For: 203.0.113.7\r\n\
             Keep-Alive: timeout=5\r\nConnection: close, keep-alive\r\nContent-Length: 5\r\n\r\nhello",
        )
        .await;
        assert!(
            reply.starts_with("HTTP/1.1 200 OK\r\n") && reply.ends_with("backend a"),
            "the backend's reply comes back as it was sent: {reply:?}"
        );
        let seen = &a.seen()[0];
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            ("POST", "/orders?id=7")
        );
        assert_eq!(seen.body, "hello");
        assert_eq!(
            seen.header_lines("x-forwarded-for"),
            ["203.0.113.7"],
            "a TCP balancer never reads the request, so it cannot add X-Forwarded-For: the \
             bytes must arrive exactly as the client sent them"
        );
        assert_eq!(
            seen.header_lines("keep-alive"),
            ["timeout=5"],
            "nor remove any header"
        );
        lb.stop().await.expect("serve_tcp returns Ok");
    });
}

#[test]
fn a_backend_that_cannot_be_reached_closes_the_client_connection() {
    run(async {
        let dead = common::refused().await;
        let b = Backend::ok("b").await;
        let lb = Balancer::start(common::Kind::L4, vec![dead, b.addr]).await;
        let mut stream = TcpStream::connect(lb.addr).await.expect("connect");
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: lb.test\r\n\r\n")
            .await
            .expect("write");
        let mut buf = Vec::new();
        match within(
            "the balancer to close the connection",
            stream.read_to_end(&mut buf),
        )
        .await
        {
            Ok(_) => assert!(
                buf.is_empty(),
                "nothing can answer: the first backend refuses connections, got {buf:?}"
            ),
            Err(e) => assert!(
                matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe),
                "the connection should be closed, got {e}"
            ),
        }
        let mut client = Client::connect(lb.addr).await;
        assert_eq!(
            client.get("/").await.backend(),
            "b",
            "the next connection goes to the next backend"
        );
        lb.stop().await.expect("serve_tcp returns Ok");
    });
}

#[test]
fn shutdown_stops_accepting_and_closes_open_connections() {
    run(async {
        let a = Backend::ok("a").await;
        let lb = Balancer::l4(&[&a]).await;
        let mut client = Client::connect(lb.addr).await;
        assert_eq!(client.get("/").await.backend(), "a");
        lb.stop()
            .await
            .expect("serve_tcp returns Ok(()) once its shutdown future completes");
        let after = within(
            "a request on a connection the balancer should have closed",
            client.try_send(Method::GET, "/", &[], ""),
        )
        .await;
        assert!(
            after.is_err(),
            "after shutdown the client's open connection must be closed, yet a request on it \
             was answered: {after:?}"
        );
    });
}

#[test]
fn no_backends_is_an_error() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let err = within(
            "serve_tcp with no backends to return",
            serve_tcp(listener, Vec::new(), std::future::pending()),
        )
        .await
        .expect_err("a balancer with no backends must refuse to start");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.to_string(), "a balancer needs at least one backend");
    });
}
