//! An HTTP (layer 7) load balancer: it parses every request, so it can
//! balance each one, retry it elsewhere, and rewrite its headers.

use std::error::Error;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONNECTION, HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::policy::{Candidate, Policy, RoundRobin};

/// The body of every request and response the balancer sends: whole, in
/// memory. Buffering the request is what makes a retry possible (a streamed
/// body cannot be sent twice); nginx buffers both directions by default too.
pub type Body = Full<Bytes>;

type AnyError = Box<dyn Error + Send + Sync>;

/// Where and how the HTTP balancer forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// The backends, in round-robin order.
    pub backends: Vec<SocketAddr>,
    /// How many times a failed idempotent request may be tried again, each
    /// time on a backend it has not been tried on.
    pub retries: u32,
}

/// The headers RFC 9110 (section 7.6.1) says describe one connection, not
/// the message: a proxy must not forward them. `Trailer` is listed as
/// well, as Go's `httputil.ReverseProxy` does: it announces trailer fields of
/// a chunked body this proxy does not forward.
pub const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The header that carries the chain of client addresses.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Removes the hop-by-hop headers: every header named in a `Connection`
/// header (a comma-separated list, any case, on one line or several), then
/// those of [`HOP_BY_HOP`]. Everything else is left as it was.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .filter_map(|token| HeaderName::from_bytes(token.trim_ascii()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Appends `client` to `X-Forwarded-For`, leaving one line: the values the
/// request already had (one line or several, in order, joined by `", "`),
/// then `", "` and the client's IP address (no port). Without an earlier
/// value it is just the address.
pub fn append_forwarded_for(headers: &mut HeaderMap, client: IpAddr) {
    let mut chain: Vec<u8> = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        chain.extend_from_slice(value.as_bytes());
        chain.extend_from_slice(b", ");
    }
    chain.extend_from_slice(client.to_string().as_bytes());
    let value = HeaderValue::from_bytes(&chain)
        .expect("header values joined by \", \" and an IP address form a valid header value");
    headers.insert(X_FORWARDED_FOR, value);
}

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, forwarding
/// every request to one of `config.backends`.
///
/// For each request, on any client connection:
///
/// 1. The whole request body is read first (a retry must send it again).
/// 2. The hop-by-hop headers are removed ([`strip_hop_by_hop`]) and the
///    client's IP address is appended to `X-Forwarded-For`
///    ([`append_forwarded_for`]). Method, path and query, the other headers
///    (`Host` included) and the body go to the backend as they came.
/// 3. The backend is chosen round robin over `config.backends`, in their
///    order, the very first request to `backends[0]`: a [`RoundRobin`]
///    shared by every client connection and every retry, asked among the
///    backends not yet tried for this request. So each request of one
///    keep-alive connection goes to the next backend.
/// 4. An attempt *fails* if the backend cannot be connected to, if the
///    connection breaks before a whole response has arrived, or if the
///    response is 502, 503 or 504. Any other response (200, 404, 429, 500,
///    ...) is the backend's answer and is not retried.
/// 5. A failed request is tried again, on a backend not yet tried for it,
///    only if its method is idempotent (RFC 9110, section 9.2.2: GET, HEAD,
///    OPTIONS, TRACE, PUT, DELETE; [`hyper::Method::is_idempotent`]), at
///    most `config.retries` times. A POST or a PATCH is sent once, whatever
///    happens.
/// 6. The client gets the answer with its hop-by-hop headers removed; if
///    every attempt failed, the last attempt's 502, 503 or 504 response, or
///    `502 Bad Gateway` if the last attempt got no response.
/// 7. Connections to the backends are reused: a request takes an open idle
///    connection to its backend if there is one, and opens a new one only if
///    there is none. A connection becomes idle again once its response has
///    been read in full, unless the backend closed it (as one that answers
///    `Connection: close` does): a request is never sent on a closed
///    connection (`SendRequest::ready` tells).
///
/// Once `shutdown` completes it stops accepting, closes every client
/// connection it accepted (requests in flight are cut off) and returns
/// `Ok(())`. The returned future is `Send` (the tests run it with
/// `tokio::spawn`), so hold no `std::sync::MutexGuard` across an `.await`.
///
/// # Errors
/// `InvalidInput` at once if `config.backends` is empty: "a balancer needs
/// at least one backend".
pub async fn serve(
    listener: TcpListener,
    config: ProxyConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    if config.backends.is_empty() {
        return Err(no_backends());
    }
    let upstreams = Arc::new(Upstreams::new(config));
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                // A failed accept (a client that reset, too many open files)
                // ends one connection, not the balancer.
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let upstreams = Arc::clone(&upstreams);
                connections.spawn(serve_client(stream, peer, upstreams));
            }
            // Reap finished connections so the set does not grow forever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
    Ok(())
}

/// The error `serve` and `serve_tcp` return when given no backends.
pub(crate) fn no_backends() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "a balancer needs at least one backend",
    )
}

/// One client connection: any number of requests, one after another.
async fn serve_client(stream: TcpStream, peer: SocketAddr, upstreams: Arc<Upstreams>) {
    let service = service_fn(move |request| {
        let upstreams = Arc::clone(&upstreams);
        async move { Ok::<_, std::convert::Infallible>(upstreams.forward(request, peer).await) }
    });
    // A client that goes away mid-request is its own business.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Locks, ignoring poison: no critical section here can leave its data
/// half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An empty response with this status.
fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = code;
    response
}

/// Answers that mean "this backend could not serve it", worth another try.
fn is_gateway_error(code: StatusCode) -> bool {
    matches!(
        code,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    )
}

/// True if the message says its connection closes after it.
fn closes_connection(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"))
}

/// The backends, the round robin over them, and the idle connections kept
/// open to each.
struct Upstreams {
    backends: Vec<SocketAddr>,
    retries: u32,
    policy: Mutex<RoundRobin>,
    /// Idle connections by backend id, ready for the next request.
    idle: Mutex<Vec<Vec<SendRequest<Body>>>>,
}

impl Upstreams {
    fn new(config: ProxyConfig) -> Self {
        let idle = config.backends.iter().map(|_| Vec::new()).collect();
        Self {
            backends: config.backends,
            retries: config.retries,
            policy: Mutex::new(RoundRobin::new()),
            idle: Mutex::new(idle),
        }
    }

    /// The next backend in turn among those not yet tried.
    fn pick(&self, tried: &[usize]) -> Option<usize> {
        let candidates: Vec<Candidate> = (0..self.backends.len())
            .filter(|id| !tried.contains(id))
            .map(Candidate::new)
            .collect();
        lock(&self.policy).pick(&candidates, &[])
    }

    async fn forward(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let (mut head, body) = request.into_parts();
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return status(StatusCode::BAD_REQUEST);
        };
        strip_hop_by_hop(&mut head.headers);
        append_forwarded_for(&mut head.headers, peer.ip());
        head.version = Version::HTTP_11;
        let attempts = if head.method.is_idempotent() {
            1 + self.retries
        } else {
            1
        };
        let mut tried = Vec::new();
        let mut last = None;
        for _ in 0..attempts {
            let Some(id) = self.pick(&tried) else { break };
            tried.push(id);
            let request = Request::from_parts(head.clone(), Body::new(body.clone()));
            match self.send(id, request).await {
                Ok(response) if is_gateway_error(response.status()) => last = Some(response),
                Ok(response) => return response,
                Err(_) => last = None,
            }
        }
        last.unwrap_or_else(|| status(StatusCode::BAD_GATEWAY))
    }

    /// One attempt on backend `id`, over an idle connection if there is one.
    async fn send(&self, id: usize, request: Request<Body>) -> Result<Response<Body>, AnyError> {
        let mut sender = match self.checkout(id).await {
            Some(sender) => sender,
            None => self.connect(id).await?,
        };
        let response = sender.send_request(request).await?;
        let (mut head, body) = response.into_parts();
        // Reading the whole body frees the connection for the next request.
        let body = body.collect().await?.to_bytes();
        if !closes_connection(&head.headers) {
            lock(&self.idle)[id].push(sender);
        }
        strip_hop_by_hop(&mut head.headers);
        Ok(Response::from_parts(head, Body::new(body)))
    }

    /// An idle connection to `id` that is still open, if any; closed ones
    /// are dropped on the way.
    async fn checkout(&self, id: usize) -> Option<SendRequest<Body>> {
        loop {
            let mut sender = lock(&self.idle)[id].pop()?;
            // Resolves once the connection is ready for a request, or fails
            // if the backend closed it while it sat in the pool.
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn connect(&self, id: usize) -> Result<SendRequest<Body>, AnyError> {
        let stream = TcpStream::connect(self.backends[id]).await?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        // Drives the connection; it ends when the backend closes it or when
        // the last handle to it (in the pool or in a request) is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}
