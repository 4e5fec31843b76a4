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
        // TODO
        todo!("a Route from prefix to backend")
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
        // TODO
        todo!("check the prefixes (panics as documented); sort longest first")
    }

    /// The route for `path` (a path without its query), if any matches.
    pub fn route(&self, path: &str) -> Option<&Route> {
        // TODO
        todo!("the first (longest) prefix that matches at a segment boundary")
    }
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    // TODO
    todo!("equal, or a prefix ending in / or followed by /")
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
    // TODO
    todo!("build the Router and the pool; accept until shutdown")
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
    // TODO
    todo!("serve HTTP/1.1 on the stream, each request through Reverse::handle")
}

impl Reverse {
    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        // TODO
        todo!(
            "route (404), limit the body (413), fix the headers, exchange (502/504), scrub the response"
        )
    }
}
