//! Stage 4: `CONNECT` tunnels. The forward proxy connects to `host:port`,
//! answers 200, and from then on copies bytes both ways without reading
//! them (this is how HTTPS goes through a forward proxy: TLS end to end,
//! the proxy sees only the destination). The target here is a raw TCP echo
//! server on 127.0.0.1.

use hyper::StatusCode;
use proxy::{Acl, Action, Dest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{
    Backend, Client, Echo, PATIENT, Proxy, connect_tunnel, refused, run, status_of, within,
};

#[test]
fn connect_answers_200_then_carries_bytes_both_ways_unchanged() {
    run(async {
        let echo = Echo::start().await;
        let acl = Acl::new(Action::Deny).allow(Dest::Addr(echo.addr));
        let proxy = Proxy::forward(acl, PATIENT).await;
        let (mut tunnel, head) = connect_tunnel(proxy.addr, &echo.addr.to_string()).await;
        assert_eq!(
            status_of(&head),
            200,
            "CONNECT to an allowed target is answered 200 once the proxy is connected. Got {head:?}"
        );
        // Every byte value, twice over, in three writes: a tunnel carries
        // bytes, not HTTP, and must not change or buffer them up.
        let payload: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for chunk in payload.chunks(200) {
            tunnel
                .write_all(chunk)
                .await
                .expect("write into the tunnel");
            let mut back = vec![0u8; chunk.len()];
            within(
                "the echo to come back through the tunnel",
                tunnel.read_exact(&mut back),
            )
            .await
            .expect("read from the tunnel");
            assert_eq!(
                back, chunk,
                "the bytes that came back through the tunnel differ from those sent"
            );
        }
        assert_eq!(
            echo.received(),
            payload,
            "the target must receive exactly the client's bytes: nothing of the CONNECT request, \
             no added headers, nothing lost"
        );
        assert_eq!(echo.connections(), 1);
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn a_tunnel_passes_each_sides_close_on() {
    run(async {
        let echo = Echo::start().await;
        let acl = Acl::new(Action::Deny).allow(Dest::Addr(echo.addr));
        let proxy = Proxy::forward(acl, PATIENT).await;
        let (mut tunnel, head) = connect_tunnel(proxy.addr, &echo.addr.to_string()).await;
        assert_eq!(status_of(&head), 200);
        tunnel.write_all(b"last words").await.expect("write");
        tunnel
            .shutdown()
            .await
            .expect("close the client's writing half");
        let mut rest = Vec::new();
        within(
            "the tunnel to pass the client's close to the target and the target's close back \
             (half-close both ways)",
            tunnel.read_to_end(&mut rest),
        )
        .await
        .expect("read to the end");
        assert_eq!(
            rest, b"last words",
            "bytes in flight when the client closed its half still arrive"
        );
        assert_eq!(
            echo.closed_by_peer(),
            1,
            "the target saw the client's end of stream"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn a_denied_connect_gets_403_and_the_target_sees_nothing() {
    run(async {
        let echo = Echo::start().await;
        let other = Echo::start().await;
        let acl = Acl::new(Action::Deny).allow(Dest::Addr(other.addr));
        let proxy = Proxy::forward(acl, PATIENT).await;
        let (_tunnel, head) = connect_tunnel(proxy.addr, &echo.addr.to_string()).await;
        assert_eq!(
            status_of(&head),
            403,
            "CONNECT to a destination the ACL denies is answered 403: an open CONNECT lets \
             anyone reach any port behind the proxy (SMTP relays, Redis, the cloud metadata \
             service). Got {head:?}"
        );
        assert_eq!(
            echo.connections(),
            0,
            "a denied CONNECT must not open a connection to the target at all"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn connect_to_a_refused_port_is_a_bad_gateway() {
    run(async {
        let gone = refused().await;
        let proxy = Proxy::forward(Acl::new(Action::Allow), PATIENT).await;
        let (_tunnel, head) = connect_tunnel(proxy.addr, &gone.to_string()).await;
        assert_eq!(
            status_of(&head),
            502,
            "the proxy answers 200 only once it is connected; a refused connection is 502. Got \
             {head:?}"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn connect_without_a_port_is_a_bad_request() {
    run(async {
        let proxy = Proxy::forward(Acl::new(Action::Allow), PATIENT).await;
        let (_tunnel, head) = connect_tunnel(proxy.addr, "127.0.0.1").await;
        assert_eq!(
            status_of(&head),
            400,
            "CONNECT needs host:port (RFC 9110, 9.3.6). Got {head:?}"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}

#[test]
fn shutdown_closes_open_tunnels() {
    run(async {
        let echo = Echo::start().await;
        let backend = Backend::ok("b").await;
        let proxy = Proxy::forward(Acl::new(Action::Allow), PATIENT).await;
        let (mut tunnel, head) = connect_tunnel(proxy.addr, &echo.addr.to_string()).await;
        assert_eq!(status_of(&head), 200);
        let mut client = Client::connect(proxy.addr).await;
        let url = format!("http://{}/", backend.addr);
        assert_eq!(client.get(&url).await.status, StatusCode::OK);
        proxy.stop().await.expect("serve_forward returns Ok");
        let mut rest = Vec::new();
        // End of stream or a reset: either way the tunnel is closed.
        let _ = within(
            "an open tunnel to be closed when the proxy shuts down",
            tunnel.read_to_end(&mut rest),
        )
        .await;
        assert!(rest.is_empty(), "nothing was sent, so nothing comes back");
        assert!(
            client
                .try_send(hyper::Method::GET, &url, &[], "")
                .await
                .is_err(),
            "a client connection must be closed by shutdown too"
        );
    });
}
