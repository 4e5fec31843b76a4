//! The lesson's HTTP balancer (`load_balancer::serve`) on loopback, against
//! a direct request to the backend it fronts: the latency it adds to one
//! request on a keep-alive connection, and the requests per second it
//! passes under a bounded load (8 client connections, each sending its next
//! request when the last reply arrives). One backend, so both sides have
//! the same server capacity; everything shares this machine's cores, the
//! balancer included. Compare the ratios, not the absolute times.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

const CONNECTIONS: usize = 8;
const PER_CONNECTION: u64 = 64;

/// A backend that answers every request with a small 200.
async fn backend() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|request: Request<Incoming>| async move {
                    let _ = request.into_body().collect().await;
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// The balancer in front of `backends`; stops when the sender is dropped.
async fn balancer(backends: Vec<SocketAddr>) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let config = load_balancer::ProxyConfig {
        backends,
        retries: 1,
    };
    tokio::spawn(load_balancer::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

async fn client(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    sender
}

async fn get(sender: &mut SendRequest<Full<Bytes>>) {
    sender.ready().await.expect("ready");
    let request = Request::get("/")
        .header("host", "bench")
        .body(Full::default())
        .expect("request");
    let response = sender.send_request(request).await.expect("a reply");
    assert!(response.status().is_success());
    let _ = response.into_body().collect().await.expect("body");
}

/// `n` requests one after another on one connection.
async fn sequential(sender: &mut SendRequest<Full<Bytes>>, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        get(sender).await;
    }
    start.elapsed()
}

/// `PER_CONNECTION` requests on each of `CONNECTIONS` connections at once.
async fn concurrent(senders: &mut Vec<SendRequest<Full<Bytes>>>) -> Duration {
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for mut sender in senders.drain(..) {
        set.spawn(async move {
            for _ in 0..PER_CONNECTION {
                get(&mut sender).await;
            }
            sender
        });
    }
    while let Some(done) = set.join_next().await {
        senders.push(done.expect("a client task"));
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let runtime: Runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (direct_addr, lb_addr, _stop) = runtime.block_on(async {
        let backend = backend().await;
        let (lb, stop) = balancer(vec![backend]).await;
        (backend, lb, stop)
    });

    let mut group = c.benchmark_group("loopback_http1");
    group.sample_size(30);
    group.throughput(Throughput::Elements(1));
    for (name, addr) in [("direct", direct_addr), ("via_balancer", lb_addr)] {
        let mut sender = runtime.block_on(client(addr));
        group.bench_function(BenchmarkId::new("one_request", name), |b| {
            b.iter_custom(|n| runtime.block_on(sequential(&mut sender, n)))
        });
    }
    group.throughput(Throughput::Elements(CONNECTIONS as u64 * PER_CONNECTION));
    for (name, addr) in [("direct", direct_addr), ("via_balancer", lb_addr)] {
        let mut senders = runtime.block_on(async {
            let mut senders = Vec::new();
            for _ in 0..CONNECTIONS {
                senders.push(client(addr).await);
            }
            senders
        });
        group.bench_function(BenchmarkId::new("8_connections_x_64", name), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| runtime.block_on(concurrent(&mut senders)))
                    .sum()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
