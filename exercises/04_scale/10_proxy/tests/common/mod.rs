//! Test servers for the network stages: backends on 127.0.0.1, port 0, that
//! record every request that reaches them and count the connections they
//! accept; a raw TCP echo server for tunnels; a keep-alive HTTP client; and
//! the two proxies started with a shutdown handle.
//!
//! Nothing here sleeps. Every listener is bound before its task is spawned,
//! so a server is ready when its constructor returns; every task is aborted
//! when its handle is dropped (and the whole runtime is dropped when the
//! test ends, pass or fail, which closes every socket); every test runs
//! under a deadline. A backend that must time out never answers at all, so
//! the 504 is the only possible outcome, not the winner of a race.

#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use proxy::{Acl, ForwardConfig, ReverseConfig, Route};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// How long any one test may take before it fails as hung.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The upstream timeout of proxies in tests where nothing should time out:
/// long enough never to fire on a loaded machine.
pub const PATIENT: Duration = Duration::from_secs(5);

/// The upstream timeout where a backend never answers: the 504 is certain
/// (the backend stays silent until the test ends); this only sets how long
/// the test waits for it.
pub const IMPATIENT: Duration = Duration::from_millis(100);

/// Runs a test's body on a fresh single-threaded runtime, failing it if it
/// takes longer than [`DEADLINE`] (a proxy that never answers must fail the
/// test, not freeze the run). Dropping the runtime at the end stops every
/// server and connection the test started, pass or fail.
pub fn run<F: Future>(test: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        tokio::time::timeout(DEADLINE, test)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the test did not finish in {DEADLINE:?}: something waits forever (a request \
                     the proxy never answers, an upstream timeout that does not fire, a tunnel \
                     that never closes, a serve function that does not return after shutdown)"
                )
            })
    })
}

/// Awaits `what`, failing loudly if it takes more than a few seconds.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), future)
        .await
        .unwrap_or_else(|_| panic!("timed out after 5 s: {what}"))
}

/// A spawned task that is aborted when this handle is dropped.
pub struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn spawn(future: impl Future<Output = ()> + Send + 'static) -> Task {
    Task(tokio::spawn(future))
}

/// One request as a backend received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    /// The request target exactly as it came on the request line
    /// (origin form `/a?b`, or absolute form `http://host/a?b`).
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Which of this backend's connections carried it, counting from 0.
    pub connection: usize,
}

impl Seen {
    /// Every value of header `name`, one per line received.
    pub fn header_lines(&self, name: &str) -> Vec<String> {
        lines(&self.headers, name)
    }
}

/// Every value of header `name` in `map`, one per line.
pub fn lines(map: &HeaderMap, name: &str) -> Vec<String> {
    map.get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// A header map from pairs, repeated names kept as separate lines.
pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            HeaderValue::from_str(value).expect("a header value"),
        );
    }
    map
}

/// What a backend answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200, body `backend NAME`, header `x-backend: NAME`.
    Ok,
    /// This status and these extra headers (repeated names are separate
    /// lines), body `backend NAME`, header `x-backend: NAME`. `{addr}` in a
    /// value is replaced by the backend's own address (`127.0.0.1:PORT`).
    Reply(u16, &'static [(&'static str, &'static str)]),
    /// Reads the request head, records it, and never answers, holding the
    /// connection open until the test ends.
    Silent,
    /// Answers the first connection's first request like [`Behaviour::Silent`]
    /// and every later connection like [`Behaviour::Ok`].
    SilentOnce,
    /// Records the request, sends a response head announcing 100 bytes and
    /// 10 of them, then never sends the rest.
    HalfBody,
    /// Reads the request head, records it, and closes the connection
    /// without answering (a crash in the middle of a request).
    Reset,
    /// 200, then closes the connection (`Connection: close`): no keep-alive.
    Close,
}

#[derive(Debug, Default)]
struct Record {
    seen: Vec<Seen>,
    connections: usize,
}

/// A backend on 127.0.0.1 that records every request reaching it.
pub struct Backend {
    pub name: &'static str,
    pub addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    _task: Task,
}

impl Backend {
    /// A backend that answers 200.
    pub async fn ok(name: &'static str) -> Backend {
        Backend::start(name, Behaviour::Ok).await
    }

    /// Binds port 0 and serves; ready when this returns.
    pub async fn start(name: &'static str, behaviour: Behaviour) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a backend");
        let addr = listener.local_addr().expect("backend address");
        let record = Arc::new(Mutex::new(Record::default()));
        let task = spawn(accept_loop(
            listener,
            name,
            addr,
            behaviour,
            Arc::clone(&record),
        ));
        Backend {
            name,
            addr,
            record,
            _task: task,
        }
    }

    /// Every request received so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.record.lock().unwrap().seen.clone()
    }

    /// The only request received so far; fails if there were none or more.
    pub fn only(&self) -> Seen {
        let seen = self.seen();
        assert_eq!(
            seen.len(),
            1,
            "backend {} should have received exactly one request, got {seen:#?}",
            self.name
        );
        seen.into_iter().next().unwrap()
    }

    /// How many requests it received.
    pub fn count(&self) -> usize {
        self.record.lock().unwrap().seen.len()
    }

    /// How many TCP connections it accepted.
    pub fn connections(&self) -> usize {
        self.record.lock().unwrap().connections
    }
}

async fn accept_loop(
    listener: TcpListener,
    name: &'static str,
    addr: SocketAddr,
    behaviour: Behaviour,
    record: Arc<Mutex<Record>>,
) {
    // Dropping this set (when the task is aborted) closes every connection.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let connection = {
            let mut r = record.lock().unwrap();
            r.connections += 1;
            r.connections - 1
        };
        let record = Arc::clone(&record);
        let behaviour = match behaviour {
            Behaviour::SilentOnce if connection == 0 => Behaviour::Silent,
            Behaviour::SilentOnce => Behaviour::Ok,
            other => other,
        };
        connections.spawn(async move {
            match behaviour {
                Behaviour::Reset | Behaviour::Silent | Behaviour::HalfBody => {
                    raw_backend(stream, behaviour, connection, record).await;
                }
                _ => answer(stream, name, addr, behaviour, connection, record).await,
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn answer(
    stream: TcpStream,
    name: &'static str,
    addr: SocketAddr,
    behaviour: Behaviour,
    connection: usize,
    record: Arc<Mutex<Record>>,
) {
    let service = service_fn(move |request: Request<Incoming>| {
        let record = Arc::clone(&record);
        async move {
            let (head, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            record.lock().unwrap().seen.push(Seen {
                method: head.method,
                target: head.uri.to_string(),
                headers: head.headers,
                body,
                connection,
            });
            let mut response = Response::new(Full::new(Bytes::from(format!("backend {name}"))));
            response
                .headers_mut()
                .insert("x-backend", HeaderValue::from_static(name));
            if let Behaviour::Reply(code, extra) = behaviour {
                *response.status_mut() = StatusCode::from_u16(code).expect("a status code");
                for (header, value) in extra {
                    let value = value.replace("{addr}", &addr.to_string());
                    response.headers_mut().append(
                        HeaderName::from_bytes(header.as_bytes()).expect("a header name"),
                        HeaderValue::from_str(&value).expect("a header value"),
                    );
                }
            }
            Ok::<_, hyper::Error>(response)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(behaviour != Behaviour::Close)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Reads one request head, records it, then resets, stays silent, or sends
/// half a response, as `behaviour` says.
async fn raw_backend(
    mut stream: TcpStream,
    behaviour: Behaviour,
    connection: usize,
    record: Arc<Mutex<Record>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.split_whitespace();
    let method = words
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(Method::GET);
    let target = words.next().unwrap_or("/").to_string();
    record.lock().unwrap().seen.push(Seen {
        method,
        target,
        headers: HeaderMap::new(),
        body: Bytes::new(),
        connection,
    });
    match behaviour {
        Behaviour::Silent => std::future::pending::<()>().await,
        Behaviour::HalfBody => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
                .await;
            std::future::pending::<()>().await;
        }
        _ => {} // Reset: dropped here, unanswered.
    }
}

/// An address on 127.0.0.1 where nothing listens: connecting is refused.
pub async fn refused() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address")
    // Dropped here: the port is closed again.
}

/// A raw TCP server on 127.0.0.1 that echoes every byte back and closes
/// its side once the client has closed its writing half.
pub struct Echo {
    pub addr: SocketAddr,
    state: Arc<Mutex<EchoRecord>>,
    _task: Task,
}

#[derive(Debug, Default)]
struct EchoRecord {
    connections: usize,
    received: Vec<u8>,
    closed_by_peer: usize,
}

impl Echo {
    /// Binds port 0 and serves; ready when this returns.
    pub async fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the echo server");
        let addr = listener.local_addr().expect("echo address");
        let state = Arc::new(Mutex::new(EchoRecord::default()));
        let shared = Arc::clone(&state);
        let task = spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                shared.lock().unwrap().connections += 1;
                let state = Arc::clone(&shared);
                connections.spawn(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) => {
                                state.lock().unwrap().closed_by_peer += 1;
                                let _ = stream.shutdown().await;
                                return;
                            }
                            Err(_) => return,
                            Ok(n) => {
                                state.lock().unwrap().received.extend_from_slice(&buf[..n]);
                                if stream.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Echo {
            addr,
            state,
            _task: task,
        }
    }

    /// How many TCP connections it accepted.
    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// Every byte it received, over all connections, in order.
    pub fn received(&self) -> Vec<u8> {
        self.state.lock().unwrap().received.clone()
    }

    /// How many connections it saw closed (end of stream) by the other side.
    pub fn closed_by_peer(&self) -> usize {
        self.state.lock().unwrap().closed_by_peer
    }
}

/// A proxy under test, serving on 127.0.0.1.
pub struct Proxy {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<io::Result<()>>>,
    _task: Task,
}

impl Proxy {
    /// `serve_forward` with this ACL and upstream timeout.
    pub async fn forward(acl: Acl, upstream_timeout: Duration) -> Proxy {
        let config = ForwardConfig {
            acl,
            upstream_timeout,
        };
        Proxy::start(move |listener, shutdown| async move {
            proxy::serve_forward(listener, config, shutdown).await
        })
        .await
    }

    /// `serve_reverse` with these routes, a 1 KiB body limit and a patient
    /// upstream timeout.
    pub async fn reverse(routes: &[(&str, SocketAddr)]) -> Proxy {
        Proxy::reverse_with(routes, 1024, PATIENT).await
    }

    /// `serve_reverse` with these routes and limits.
    pub async fn reverse_with(
        routes: &[(&str, SocketAddr)],
        max_body: usize,
        upstream_timeout: Duration,
    ) -> Proxy {
        let config = ReverseConfig {
            routes: routes.iter().map(|(p, a)| Route::new(p, *a)).collect(),
            max_body,
            upstream_timeout,
        };
        Proxy::start(move |listener, shutdown| async move {
            proxy::serve_reverse(listener, config, shutdown).await
        })
        .await
    }

    /// Binds port 0 and spawns `serve`; ready when this returns.
    async fn start<S, F>(serve: S) -> Proxy
    where
        S: FnOnce(TcpListener, futures_shutdown::Shutdown) -> F + Send + 'static,
        F: Future<Output = io::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (stop, stopped) = oneshot::channel::<()>();
        let (finished, done) = oneshot::channel();
        let task = spawn(async move {
            let result = serve(listener, futures_shutdown::Shutdown(stopped)).await;
            let _ = finished.send(result);
        });
        Proxy {
            addr,
            shutdown: Some(stop),
            done: Some(done),
            _task: task,
        }
    }

    /// Completes the shutdown future and waits (bounded) for serve to return.
    pub async fn stop(mut self) -> io::Result<()> {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        let done = self.done.take().expect("stopped once");
        within(
            "the serve function to return after its shutdown future completed",
            done,
        )
        .await
        .expect("the serve function panicked or was dropped before returning")
    }
}

mod futures_shutdown {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::sync::oneshot;

    /// The shutdown future handed to a serve function: completes when the
    /// test calls `Proxy::stop` (or drops the proxy).
    pub struct Shutdown(pub oneshot::Receiver<()>);

    impl Future for Shutdown {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.0).poll(cx).map(|_| ())
        }
    }
}

/// A reply as the client received it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The backend that answered, from its `x-backend` header.
    pub fn backend(&self) -> &str {
        self.headers
            .get("x-backend")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no x-backend header in the reply: {self:?}"))
    }

    /// Fails if the status line, a header or the body names `addr`.
    pub fn assert_names_no(&self, addr: SocketAddr, why: &str) {
        let needle = addr.to_string();
        for (name, value) in &self.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(
                !value.contains(&needle),
                "the reply's header `{name}: {value}` names the hidden backend {needle}: {why}"
            );
        }
        assert!(
            !self.body.contains(&needle),
            "the reply's body {:?} names the hidden backend {needle}: {why}",
            self.body
        );
    }
}

/// An HTTP/1.1 client on one keep-alive connection.
pub struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    _connection: Task,
}

impl Client {
    /// Opens one TCP connection to `addr`.
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = within("connecting to the proxy", TcpStream::connect(addr))
            .await
            .expect("connect to the proxy");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP handshake");
        let task = spawn(async move {
            let _ = connection.await;
        });
        Client {
            sender,
            _connection: task,
        }
    }

    /// `GET target`.
    pub async fn get(&mut self, target: &str) -> Reply {
        self.send(Method::GET, target, &[], "").await
    }

    /// Sends one request on this connection and reads the whole reply. The
    /// request target is written as given (`/path` or `http://host/path`);
    /// `Host: shop.test` is sent unless `headers` has a `host`.
    pub async fn send(
        &mut self,
        method: Method,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.try_send(method, target, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{target}: the proxy did not answer: {e}"))
    }

    /// Like [`Client::send`], but a broken connection is an `Err`.
    pub async fn try_send(
        &mut self,
        method: Method,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Reply, hyper::Error> {
        let mut request = Request::builder().method(method).uri(target);
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            request = request.header("host", "shop.test");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("a valid request");
        within("the client's connection to be ready", self.sender.ready()).await?;
        let response = within("a reply from the proxy", self.sender.send_request(request)).await?;
        let (head, body) = response.into_parts();
        let body = within("the reply's body", body.collect()).await?.to_bytes();
        Ok(Reply {
            status: head.status,
            headers: head.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// Writes `request` as raw bytes on a new connection and reads until the
/// proxy closes it (send `Connection: close`). For requests a typed client
/// would not send as written (odd framing, chunked bodies).
pub async fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = within("connecting", TcpStream::connect(addr))
        .await
        .expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write the request");
    let mut reply = Vec::new();
    within(
        "the proxy to answer and close the connection (Connection: close)",
        stream.read_to_end(&mut reply),
    )
    .await
    .expect("read the reply");
    String::from_utf8_lossy(&reply).into_owned()
}

/// Sends `CONNECT authority` on a new connection and reads the response
/// head (up to the blank line, not a byte more). Returns the stream, ready
/// for tunnelled bytes, and the head as text.
pub async fn connect_tunnel(proxy: SocketAddr, authority: &str) -> (TcpStream, String) {
    let mut stream = within("connecting to the proxy", TcpStream::connect(proxy))
        .await
        .expect("connect to the proxy");
    let request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write CONNECT");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = within("the proxy's answer to CONNECT", stream.read(&mut byte))
            .await
            .expect("read the CONNECT answer");
        if n == 0 {
            break;
        }
        head.push(byte[0]);
    }
    (stream, String::from_utf8_lossy(&head).into_owned())
}

/// The status code of a raw response head such as `HTTP/1.1 200 OK`.
pub fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"))
}
