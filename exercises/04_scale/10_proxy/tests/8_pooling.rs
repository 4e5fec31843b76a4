//! Stage 8: connection reuse, counted. Both proxies keep their connections
//! to the servers behind them open and reuse them, across client
//! connections: a server gets a new connection only when no idle one to it
//! is open. Connections are counted at the recording backends.

use hyper::StatusCode;
use proxy::{Acl, Action};
use tokio::task::JoinSet;

use crate::common::{Backend, Behaviour, Client, PATIENT, Proxy, run, within};

#[test]
fn sequential_requests_reuse_one_upstream_connection() {
    run(async {
        let app = Backend::ok("app").await;
        let proxy = Proxy::reverse(&[("/", app.addr)]).await;
        let mut client = Client::connect(proxy.addr).await;
        for i in 0..20 {
            assert_eq!(
                client.get(&format!("/item/{i}")).await.status,
                StatusCode::OK
            );
        }
        assert_eq!(app.count(), 20);
        assert_eq!(
            app.connections(),
            1,
            "20 requests one after another need one upstream connection, kept alive and \
             reused: a new TCP connection per request costs a handshake each time and leaves \
             a socket in TIME_WAIT behind"
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn client_connections_share_the_pool() {
    run(async {
        let (web, api) = (Backend::ok("web").await, Backend::ok("api").await);
        let proxy = Proxy::reverse(&[("/", web.addr), ("/api", api.addr)]).await;
        let mut clients = Vec::new();
        for _ in 0..5 {
            clients.push(Client::connect(proxy.addr).await);
        }
        for _ in 0..3 {
            for client in &mut clients {
                assert_eq!(client.get("/").await.backend(), "web");
                assert_eq!(client.get("/api/x").await.backend(), "api");
            }
        }
        assert_eq!([web.count(), api.count()], [15, 15]);
        assert_eq!(
            [web.connections(), api.connections()],
            [1, 1],
            "30 requests from 5 client connections, one at a time: the pool belongs to the \
             proxy, not to a client connection, and is kept per backend"
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn concurrent_requests_open_no_more_connections_than_they_need() {
    run(async {
        let app = Backend::ok("app").await;
        let proxy = Proxy::reverse(&[("/", app.addr)]).await;
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(Client::connect(proxy.addr).await);
        }
        for wave in 0..4 {
            // Three requests at once, one per client connection.
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
        assert_eq!(app.count(), 12);
        assert!(
            app.connections() <= 3,
            "four waves of three concurrent requests opened {} upstream connections: at most \
             three are ever needed at once, and later waves must reuse them",
            app.connections()
        );
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn a_connection_the_backend_closed_is_not_reused() {
    run(async {
        let closing = Backend::start("closing", Behaviour::Close).await;
        let proxy = Proxy::reverse(&[("/", closing.addr)]).await;
        let mut client = Client::connect(proxy.addr).await;
        for i in 0..4 {
            assert_eq!(
                client.get("/").await.status,
                StatusCode::OK,
                "request {i}: the backend closes its connection after every response \
                 (Connection: close); the proxy must open a new one, not send on a closed one"
            );
        }
        assert_eq!(closing.connections(), 4);
        proxy.stop().await.expect("serve_reverse returns Ok");
    });
}

#[test]
fn the_forward_proxy_reuses_its_target_connections() {
    run(async {
        let target = Backend::ok("target").await;
        let proxy = Proxy::forward(Acl::new(Action::Allow), PATIENT).await;
        let mut first = Client::connect(proxy.addr).await;
        let mut second = Client::connect(proxy.addr).await;
        let url = format!("http://{}/", target.addr);
        for _ in 0..5 {
            assert_eq!(first.get(&url).await.status, StatusCode::OK);
            assert_eq!(second.get(&url).await.status, StatusCode::OK);
        }
        assert_eq!(target.count(), 10);
        assert_eq!(
            target.connections(),
            1,
            "10 requests to one target, from two client connections, one at a time: one \
             connection to the target, reused"
        );
        proxy.stop().await.expect("serve_forward returns Ok");
    });
}
