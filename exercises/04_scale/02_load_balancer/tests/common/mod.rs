//! Test servers for the network stages: backends on 127.0.0.1, port 0, that
//! record every request that reaches them; a keep-alive HTTP client; a raw
//! TCP client; and the balancers started with a shutdown handle.
//!
//! Nothing here sleeps. Every listener is bound before its task is spawned,
//! so a server is ready when its constructor returns; every task is aborted
//! when its handle is dropped (and the whole runtime is dropped when the
//! test ends, pass or fail); every test runs under a deadline.

#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// How long any one test may take before it fails as hung.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Runs a test's body on a fresh single-threaded runtime, failing it if it
/// takes longer than [`DEADLINE`] (a balancer that never answers must fail
/// the test, not freeze the run). Dropping the runtime at the end stops every
/// server and connection the test started.
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
                 the balancer never answers, a connection never closed, a serve() that does \
                 not return after shutdown)"
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
    /// Path and query.
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Which of this backend's connections carried it, counting from 0.
    pub connection: usize,
}

impl Seen {
    /// Every value of header `name`, one per line received.
    pub fn header_lines(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }
}

/// What a backend answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200, body `backend NAME`, header `x-backend: NAME`.
    Ok,
    /// This status, same body and header.
    Status(u16),
    /// 200 with hop-by-hop headers the balancer must not pass on:
    /// `Connection: x-backend-secret`, `X-Backend-Secret`, `Keep-Alive`,
    /// `Proxy-Connection`, `Trailer`, `Upgrade`.
    HopByHop,
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
        let task = spawn(accept_loop(listener, name, behaviour, Arc::clone(&record)));
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
        connections.spawn(async move {
            if behaviour == Behaviour::Reset {
                reset(stream, connection, record).await;
            } else {
                answer(stream, name, behaviour, connection, record).await;
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn answer(
    stream: TcpStream,
    name: &'static str,
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
                path: head
                    .uri
                    .path_and_query()
                    .map_or("/".into(), |p| p.to_string()),
                headers: head.headers,
                body,
                connection,
            });
            let mut response = Response::new(Full::new(Bytes::from(format!("backend {name}"))));
            response
                .headers_mut()
                .insert("x-backend", HeaderValue::from_static(name));
            match behaviour {
                Behaviour::Status(code) => {
                    *response.status_mut() = StatusCode::from_u16(code).expect("a status code");
                }
                Behaviour::HopByHop => {
                    let h = response.headers_mut();
                    h.insert("connection", HeaderValue::from_static("x-backend-secret"));
                    h.insert("x-backend-secret", HeaderValue::from_static("1"));
                    h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
                    h.insert("proxy-connection", HeaderValue::from_static("keep-alive"));
                    h.insert("trailer", HeaderValue::from_static("x-checksum"));
                    h.insert("upgrade", HeaderValue::from_static("h2c"));
                }
                Behaviour::Ok | Behaviour::Close | Behaviour::Reset => {}
            }
            Ok::<_, hyper::Error>(response)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(behaviour != Behaviour::Close)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Reads one request head, records it, and drops the connection unanswered.
async fn reset(mut stream: TcpStream, connection: usize, record: Arc<Mutex<Record>>) {
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
    let path = words.next().unwrap_or("/").to_string();
    record.lock().unwrap().seen.push(Seen {
        method,
        path,
        headers: HeaderMap::new(),
        body: Bytes::new(),
        connection,
    });
}

/// An address on 127.0.0.1 where nothing listens: connecting is refused.
pub async fn refused() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address")
    // Dropped here: the port is closed again.
}

/// Which balancer to start.
pub enum Kind {
    /// `load_balancer::serve` with this many retries.
    L7 { retries: u32 },
    /// `load_balancer::serve_tcp`.
    L4,
}

/// A balancer under test, serving on 127.0.0.1.
pub struct Balancer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<io::Result<()>>>,
    _task: Task,
}

impl Balancer {
    /// The HTTP balancer in front of `backends`, with `retries`.
    pub async fn l7(backends: &[&Backend], retries: u32) -> Balancer {
        let addrs = backends.iter().map(|b| b.addr).collect();
        Balancer::start(Kind::L7 { retries }, addrs).await
    }

    /// The TCP pass-through in front of `backends`.
    pub async fn l4(backends: &[&Backend]) -> Balancer {
        let addrs = backends.iter().map(|b| b.addr).collect();
        Balancer::start(Kind::L4, addrs).await
    }

    /// Binds port 0 and spawns the balancer; ready when this returns.
    pub async fn start(kind: Kind, backends: Vec<SocketAddr>) -> Balancer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the balancer");
        let addr = listener.local_addr().expect("balancer address");
        let (stop, stopped) = oneshot::channel::<()>();
        let (finished, done) = oneshot::channel();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = spawn(async move {
            let result = match kind {
                Kind::L7 { retries } => {
                    let config = load_balancer::ProxyConfig { backends, retries };
                    load_balancer::serve(listener, config, shutdown).await
                }
                Kind::L4 => load_balancer::serve_tcp(listener, backends, shutdown).await,
            };
            let _ = finished.send(result);
        });
        Balancer {
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
            "serve() to return after its shutdown future completed",
            done,
        )
        .await
        .expect("serve() panicked or was dropped before returning")
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
}

/// An HTTP/1.1 client on one keep-alive connection.
pub struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    _connection: Task,
}

impl Client {
    /// Opens one TCP connection to `addr`.
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = within("connecting to the balancer", TcpStream::connect(addr))
            .await
            .expect("connect to the balancer");
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

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], "").await
    }

    /// Sends one request on this connection and reads the whole reply.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.try_send(method, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{path}: the balancer did not answer: {e}"))
    }

    /// Like [`Client::send`], but a broken connection is an `Err`.
    pub async fn try_send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Reply, hyper::Error> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "lb.test");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .expect("a valid request");
        within("the client's connection to be ready", self.sender.ready()).await?;
        let response = within(
            "a reply from the balancer",
            self.sender.send_request(request),
        )
        .await?;
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
/// balancer closes it (send `Connection: close`). For requests a typed
/// client would not send as written (repeated headers, odd framing).
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
        "the balancer to answer and close the connection (Connection: close)",
        stream.read_to_end(&mut reply),
    )
    .await
    .expect("read the reply");
    String::from_utf8_lossy(&reply).into_owned()
}
