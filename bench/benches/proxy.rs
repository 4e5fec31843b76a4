//! The lesson's proxies on loopback, against a direct request to the
//! backend behind them: the latency each adds to one request on a
//! keep-alive connection (`serve_reverse` routing `/`, `serve_forward` with
//! an absolute-form URI and an allow-all ACL), and the requests per second
//! the reverse proxy passes under a bounded load (8 client connections,
//! each sending its next request when the last reply arrives). One backend,
//! so every side has the same server capacity; everything shares this
//! machine's cores, the proxies included. Compare the ratios, not the
//! absolute times.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use proxy::{Acl, Action, ForwardConfig, ReverseConfig, Route};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

const CONNECTIONS: usize = 8;
const PER_CONNECTION: u64 = 64;
const TIMEOUT: Duration = Duration::from_secs(10);

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

/// Spawns `serve` on a fresh loopback listener; it stops when the sender
/// is dropped.
async fn spawn_proxy<F, Fut>(serve: F) -> (SocketAddr, oneshot::Sender<()>)
where
    F: FnOnce(TcpListener, oneshot::Receiver<()>) -> Fut,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, stopped));
    (addr, stop)
}

async fn reverse(backend: SocketAddr) -> (SocketAddr, oneshot::Sender<()>) {
    spawn_proxy(move |listener, stopped| {
        let config = ReverseConfig {
            routes: vec![Route::new("/", backend)],
            max_body: 1 << 20,
            upstream_timeout: TIMEOUT,
        };
        proxy::serve_reverse(listener, config, async move {
            let _ = stopped.await;
        })
    })
    .await
}

async fn forward() -> (SocketAddr, oneshot::Sender<()>) {
    spawn_proxy(|listener, stopped| {
        let config = ForwardConfig {
            acl: Acl::new(Action::Allow),
            upstream_timeout: TIMEOUT,
        };
        proxy::serve_forward(listener, config, async move {
            let _ = stopped.await;
        })
    })
    .await
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

async fn get(sender: &mut SendRequest<Full<Bytes>>, target: &str) {
    sender.ready().await.expect("ready");
    let request = Request::get(target)
        .header("host", "bench")
        .body(Full::default())
        .expect("request");
    let response = sender.send_request(request).await.expect("a reply");
    assert!(response.status().is_success(), "{}", response.status());
    let _ = response.into_body().collect().await.expect("body");
}

/// `n` requests one after another on one connection.
async fn sequential(sender: &mut SendRequest<Full<Bytes>>, target: &str, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        get(sender, target).await;
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
                get(&mut sender, "/").await;
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
    let (direct_addr, reverse_addr, forward_addr, _stops) = runtime.block_on(async {
        let backend = backend().await;
        let (rev, stop_reverse) = reverse(backend).await;
        let (fwd, stop_forward) = forward().await;
        (backend, rev, fwd, (stop_reverse, stop_forward))
    });
    let absolute = format!("http://{direct_addr}/");

    let mut group = c.benchmark_group("proxy_loopback_http1");
    group.sample_size(30);
    group.throughput(Throughput::Elements(1));
    for (name, addr, target) in [
        ("direct", direct_addr, "/"),
        ("via_reverse", reverse_addr, "/"),
        ("via_forward", forward_addr, absolute.as_str()),
    ] {
        let mut sender = runtime.block_on(client(addr));
        group.bench_function(BenchmarkId::new("one_request", name), |b| {
            b.iter_custom(|n| runtime.block_on(sequential(&mut sender, target, n)))
        });
    }
    group.throughput(Throughput::Elements(CONNECTIONS as u64 * PER_CONNECTION));
    for (name, addr) in [("direct", direct_addr), ("via_reverse", reverse_addr)] {
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
