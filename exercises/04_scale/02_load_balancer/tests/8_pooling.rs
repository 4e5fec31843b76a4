//! Stage 8: connection reuse, counted. The balancer keeps its connections
//! to the backends open and reuses them: a backend gets a new connection
//! only when no idle one to it is open. Connections are counted at the
//! recording backends.

use hyper::StatusCode;
use tokio::task::JoinSet;

use crate::common::{Backend, Balancer, Behaviour, Client, run, within};

#[test]
fn thirty_requests_open_one_connection_per_backend() {
    run(async {
        let (a, b, c) = (
            Backend::ok("a").await,
            Backend::ok("b").await,
            Backend::ok("c").await,
        );
        let lb = Balancer::l7(&[&a, &b, &c], 0).await;
        let mut client = Client::connect(lb.addr).await;
        for _ in 0..30 {
            assert_eq!(client.get("/").await.status, StatusCode::OK);
        }
        assert_eq!([a.count(), b.count(), c.count()], [10, 10, 10]);
        assert_eq!(
            [a.connections(), b.connections(), c.connections()],
            [1, 1, 1],
            "30 requests one after another need one connection per backend, reused: a new \
             TCP connection per request costs a handshake each time and leaves a socket in \
             TIME_WAIT behind"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn client_connections_share_the_backend_connections() {
    run(async {
        let (a, b) = (Backend::ok("a").await, Backend::ok("b").await);
        let lb = Balancer::l7(&[&a, &b], 0).await;
        let mut clients = Vec::new();
        for _ in 0..5 {
            clients.push(Client::connect(lb.addr).await);
        }
        for _ in 0..4 {
            for client in &mut clients {
                assert_eq!(client.get("/").await.status, StatusCode::OK);
            }
        }
        assert_eq!(
            [a.connections(), b.connections()],
            [1, 1],
            "20 requests from 5 client connections, one at a time: the pool belongs to the \
             balancer, not to a client connection, so each backend still needs only one"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn concurrent_requests_open_no_more_connections_than_they_need() {
    run(async {
        let (a, b, c) = (
            Backend::ok("a").await,
            Backend::ok("b").await,
            Backend::ok("c").await,
        );
        let lb = Balancer::l7(&[&a, &b, &c], 0).await;
        let mut clients = Vec::new();
        for _ in 0..6 {
            clients.push(Client::connect(lb.addr).await);
        }
        for wave in 0..3 {
            // Six requests at once, one per client connection: two per
            // backend in flight together.
            let mut requests = JoinSet::new();
            for mut client in clients.drain(..) {
                requests.spawn(async move {
                    let reply = client.get("/").await;
                    (client, reply)
                });
            }
            while let Some(done) = within("a wave of requests", requests.join_next()).await {
                let (client, reply) = done.expect("a request task panicked");
                assert_eq!(reply.status, StatusCode::OK, "wave {wave}");
                clients.push(client);
            }
        }
        assert_eq!([a.count(), b.count(), c.count()], [6, 6, 6]);
        let connections = [a.connections(), b.connections(), c.connections()];
        assert!(
            connections.iter().all(|&n| n <= 2),
            "three waves of six concurrent requests, two per backend at a time, opened \
             {connections:?} backend connections: at most two each are needed, and later \
             waves must reuse them"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}

#[test]
fn a_connection_the_backend_closed_is_not_reused() {
    run(async {
        let a = Backend::start("a", Behaviour::Close).await;
        let b = Backend::ok("b").await;
        // No retries: a request sent on a dead connection would fail outright.
        let lb = Balancer::l7(&[&a, &b], 0).await;
        let mut client = Client::connect(lb.addr).await;
        for i in 0..6 {
            let reply = client.get("/").await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "request {i}: backend a closes its connection after every response \
                 (Connection: close); the balancer must not send a request on a closed \
                 connection but open a new one"
            );
        }
        assert_eq!([a.count(), b.count()], [3, 3]);
        assert_eq!(
            [a.connections(), b.connections()],
            [3, 1],
            "a: one connection per request (it closes them); b: one, reused"
        );
        lb.stop().await.expect("serve returns Ok");
    });
}
