//! A reverse proxy: one public address in front of hidden backends, routed
//! by path prefix.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::header::CONTENT_LENGTH;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use crate::Body;
use crate::headers::{append_forwarded, scrub_backend, strip_hop_by_hop};
use crate::upstream::{Pool, accept_until, status};

/// Requests whose path starts with `prefix` (at a segment boundary) go to
/// `backend`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// A path prefix such as `/`, `/api` or `/static/`; it starts with `/`.
    pub prefix: String,
    /// The hidden backend that serves it.
    pub backend: SocketAddr,
}

impl Route {
    /// A route from `prefix` to `backend`.
    pub fn new(prefix: &str, backend: SocketAddr) -> Self {
        Self {
            prefix: prefix.to_owned(),
            backend,
        }
    }
}

/// Path-prefix routing: of the routes whose prefix matches a path, the
/// longest prefix wins.
///
/// A prefix matches a path if the path equals it, or starts with it and
/// either the prefix ends with `/` or the path's next character is `/`:
/// `/api` matches `/api` and `/api/users` but not `/apix`; `/static/`
/// matches `/static/a.css` but not `/static`; `/` matches every path.
/// Matching is on the path alone (no query), byte for byte (case matters).
///
/// ```
/// use proxy::{Route, Router};
///
/// let (web, api) = ("127.0.0.1:8000".parse().unwrap(), "127.0.0.1:8001".parse().unwrap());
/// let router = Router::new(vec![Route::new("/", web), Route::new("/api", api)]);
/// assert_eq!(router.route("/api/users").map(|r| r.backend), Some(api)); // the longer prefix
/// assert_eq!(router.route("/apix").map(|r| r.backend), Some(web)); // not at a boundary
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    /// Longest prefix first.
    routes: Vec<Route>,
}

impl Router {
    /// A router over `routes`, in any order; no routes is allowed (every
    /// path is then unrouted).
    ///
    /// # Panics
    /// If a prefix does not start with `/`: "a route prefix must start with
    /// '/'"; if two routes have the same prefix: "two routes have the same
    /// prefix".
    pub fn new(mut routes: Vec<Route>) -> Self {
        assert!(
            routes.iter().all(|r| r.prefix.starts_with('/')),
            "a route prefix must start with '/'"
        );
        routes.sort_by(|a, b| {
            b.prefix
                .len()
                .cmp(&a.prefix.len())
                .then(a.prefix.cmp(&b.prefix))
        });
        assert!(
            routes.windows(2).all(|w| w[0].prefix != w[1].prefix),
            "two routes have the same prefix"
        );
        Self { routes }
    }

    /// The route for `path` (a path without its query), if any matches.
    pub fn route(&self, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| prefix_matches(&r.prefix, path))
    }
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        None => false,
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'),
    }
}

/// What the reverse proxy routes, and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverseConfig {
    /// The routes, in any order (see [`Router`]).
    pub routes: Vec<Route>,
    /// The largest request body accepted, in bytes; exactly this many is
    /// accepted.
    pub max_body: usize,
    /// How long the whole exchange with a backend may take: connecting,
    /// sending the request and reading the whole response.
    pub upstream_timeout: Duration,
}

/// Serves HTTP/1.1 as a reverse proxy on `listener` until `shutdown`
/// completes. Clients see only this address; the backends stay hidden.
///
/// For each request, on any client connection:
///
/// 1. Its path is routed ([`Router::route`]); an unrouted path is answered
///    `404 Not Found` and no backend is contacted.
/// 2. A body longer than `config.max_body` bytes is answered
///    `413 Content Too Large` and no backend is contacted, whether the
///    length was declared (`Content-Length`) or found while reading a
///    chunked body.
/// 3. The hop-by-hop headers are removed ([`strip_hop_by_hop`]) and this
///    hop is appended to `X-Forwarded-For` and `X-Forwarded-Proto`
///    (the client's IP, `http`; [`append_forwarded`]). Method, path and
///    query (unchanged: the prefix is not cut off), `Host` and the other
///    headers, and the body go to the route's backend.
/// 4. The client gets the backend's status, body and headers, with the
///    hop-by-hop headers removed and then the backend's address scrubbed
///    ([`scrub_backend`]).
/// 5. If the backend refuses the connection or breaks it before a whole
///    response, the answer is `502 Bad Gateway`; if no whole response
///    arrived within `config.upstream_timeout`, `504 Gateway Timeout`. The
///    proxy's own answers (404, 413, 502, 504) have empty bodies and name
///    no backend.
/// 6. Connections to the backends are kept open and reused, by every
///    client connection: a request takes an idle open connection to its
///    backend if there is one and opens a new one only if there is none. A
///    connection is idle again once its whole response has been read,
///    unless the backend said `Connection: close` or closed it; one cut off
///    by the timeout is closed, never reused.
///
/// Once `shutdown` completes it stops accepting, closes every client
/// connection it accepted (requests in flight are cut off) and returns
/// `Ok(())`. The returned future is `Send`.
///
/// # Panics
/// As [`Router::new`], on bad routes.
///
/// # Errors
/// None so far: the `io::Result` is for errors of the listener to come.
pub async fn serve_reverse(
    listener: TcpListener,
    config: ReverseConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let proxy = Arc::new(Reverse {
        router: Router::new(config.routes),
        max_body: config.max_body,
        upstream_timeout: config.upstream_timeout,
        pool: Pool::default(),
    });
    accept_until(listener, shutdown, move |stream, peer| {
        serve_client(stream, peer, Arc::clone(&proxy))
    })
    .await
}

/// The proxy's state, shared by every client connection.
struct Reverse {
    router: Router,
    max_body: usize,
    upstream_timeout: Duration,
    pool: Pool,
}

/// One client connection: any number of requests, one after another.
async fn serve_client(stream: TcpStream, peer: SocketAddr, proxy: Arc<Reverse>) {
    let service = service_fn(move |request| {
        let proxy = Arc::clone(&proxy);
        async move { Ok::<_, Infallible>(proxy.handle(request, peer).await) }
    });
    // A client that goes away mid-request is its own business.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

impl Reverse {
    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let Some(backend) = self.router.route(request.uri().path()).map(|r| r.backend) else {
            return status(StatusCode::NOT_FOUND);
        };
        let (mut head, body) = request.into_parts();
        let declared = head
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let too_long = |n: u64| usize::try_from(n).map_or(true, |n| n > self.max_body);
        if declared.is_some_and(too_long) || too_long(body.size_hint().lower()) {
            return status(StatusCode::PAYLOAD_TOO_LARGE);
        }
        let body = match Limited::new(body, self.max_body).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.is::<http_body_util::LengthLimitError>() => {
                return status(StatusCode::PAYLOAD_TOO_LARGE);
            }
            Err(_) => return status(StatusCode::BAD_REQUEST),
        };
        strip_hop_by_hop(&mut head.headers);
        append_forwarded(&mut head.headers, peer.ip(), "http");
        // Origin form, whatever form the client used.
        let origin_form = head.uri.path_and_query().map_or("/", |p| p.as_str());
        let Ok(uri) = origin_form.parse::<Uri>() else {
            return status(StatusCode::BAD_REQUEST);
        };
        head.uri = uri;
        head.version = Version::HTTP_11;
        let request = Request::from_parts(head, Body::new(body));
        match self
            .pool
            .exchange(backend, request, self.upstream_timeout)
            .await
        {
            Ok(mut response) => {
                strip_hop_by_hop(response.headers_mut());
                scrub_backend(response.headers_mut(), backend);
                response
            }
            Err(failure) => failure.response(),
        }
    }
}
