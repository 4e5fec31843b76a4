//! A forward proxy: the client names the target, the proxy decides whether
//! it may go there, and goes on the client's behalf without saying who
//! asked.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HOST, HeaderValue};
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::Body;
use crate::acl::{Acl, Action};
use crate::headers::{strip_hop_by_hop, strip_identifying};
use crate::upstream::{Failure, Pool, accept_until, status};

/// How the forward proxy decides and waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardConfig {
    /// Which destinations may be reached.
    pub acl: Acl,
    /// How long the whole exchange with a target may take: connecting,
    /// sending the request and reading the whole response (for `CONNECT`:
    /// connecting only, a tunnel has no end in view).
    pub upstream_timeout: Duration,
}

/// Serves HTTP/1.1 as a forward proxy on `listener` until `shutdown`
/// completes.
///
/// A request names its target in its URI:
///
/// - **Absolute form** (`GET http://host:port/path?query HTTP/1.1`): the
///   scheme must be `http` and the port defaults to 80. The target gets
///   the request in origin form (`GET /path?query`, `/` without a path),
///   with `Host` set to the URI's `host[:port]` as written (whatever `Host`
///   the client sent), the same method, body and other headers, except
///   that the hop-by-hop headers ([`strip_hop_by_hop`], which takes
///   `Proxy-Authorization` with it) and the identifying ones
///   ([`strip_identifying`]) are removed. The proxy adds no
///   `X-Forwarded-For`, `Forwarded` or `Via`: it is anonymising. The
///   client gets the target's status, headers (hop-by-hop ones removed)
///   and body.
/// - **`CONNECT host:port`**: a tunnel. Once connected to the target the
///   proxy answers `200 OK` and from then on copies bytes both ways,
///   unchanged, until both sides have closed; a side that closes its
///   writing half has that passed on to the other side.
/// - Anything else (origin form `GET /path`, another scheme such as
///   `https://` without `CONNECT`, `CONNECT` without a port) is answered
///   `400 Bad Request`.
///
/// Before connecting, the proxy resolves the host and checks every address
/// it resolved to with `config.acl` ([`Acl::check`] with the host as
/// written). If none is allowed it answers `403 Forbidden` and contacts
/// nothing. If the target refuses or breaks the connection before a whole
/// response, it answers `502 Bad Gateway`; after `config.upstream_timeout`
/// without a whole response, `504 Gateway Timeout`. (Connect to an address
/// you checked, not to the name: a second lookup may answer with an
/// address the ACL never saw, which is how DNS rebinding gets past a
/// filter. The tests cannot make a name resolve two ways, so this one is
/// on trust.) The proxy's own answers (400, 403,
/// 502, 504) have empty bodies.
///
/// Connections to targets are kept open and reused, as in the reverse
/// proxy ([`crate::serve_reverse`]).
///
/// Once `shutdown` completes it stops accepting, closes every client
/// connection it accepted, tunnels included, and returns `Ok(())`. The
/// returned future is `Send`.
///
/// # Errors
/// None so far: the `io::Result` is for errors of the listener to come.
pub async fn serve_forward(
    listener: TcpListener,
    config: ForwardConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let proxy = Arc::new(Forward {
        config,
        pool: Pool::default(),
    });
    accept_until(listener, shutdown, move |stream, _peer| {
        serve_client(stream, Arc::clone(&proxy))
    })
    .await
}

/// The proxy's state, shared by every client connection.
struct Forward {
    config: ForwardConfig,
    pool: Pool,
}

/// A tunnel agreed to: the client's connection once hyper hands it over,
/// and the connection to the target.
struct Tunnel {
    client: OnUpgrade,
    target: TcpStream,
}

impl Tunnel {
    async fn run(mut self) {
        let Ok(client) = self.client.await else {
            return;
        };
        let mut client = TokioIo::new(client);
        // Copies both ways and passes each side's end of writing on.
        let _ = tokio::io::copy_bidirectional(&mut client, &mut self.target).await;
    }
}

/// One client connection: requests one after another, and at most one
/// tunnel, which ends it as HTTP.
async fn serve_client(stream: TcpStream, proxy: Arc<Forward>) {
    let (tunnels, mut agreed) = mpsc::unbounded_channel();
    let service = service_fn(move |request| {
        let proxy = Arc::clone(&proxy);
        let tunnels = tunnels.clone();
        async move { Ok::<_, Infallible>(proxy.handle(request, &tunnels).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
    // The connection (and the service with its sender) is gone; a tunnel it
    // agreed to runs here, in this task, so that shutdown closes it too.
    while let Some(tunnel) = agreed.recv().await {
        Tunnel::run(tunnel).await;
    }
}

impl Forward {
    async fn handle(
        &self,
        request: Request<Incoming>,
        tunnels: &mpsc::UnboundedSender<Tunnel>,
    ) -> Response<Body> {
        if request.method() == Method::CONNECT {
            self.connect(request, tunnels).await
        } else {
            self.forward(request).await
        }
    }

    async fn connect(
        &self,
        mut request: Request<Incoming>,
        tunnels: &mpsc::UnboundedSender<Tunnel>,
    ) -> Response<Body> {
        let Some((host, port)) = request
            .uri()
            .authority()
            .and_then(|a| Some((a.host().to_owned(), a.port_u16()?)))
        else {
            return status(StatusCode::BAD_REQUEST);
        };
        let addr = match self.destination(&host, port).await {
            Ok(addr) => addr,
            Err(response) => return response,
        };
        let connected =
            tokio::time::timeout(self.config.upstream_timeout, TcpStream::connect(addr)).await;
        let target = match connected {
            Err(_) => return Failure::Timeout.response(),
            Ok(Err(_)) => return Failure::Unreachable.response(),
            Ok(Ok(target)) => target,
        };
        let _ = target.set_nodelay(true);
        let client = hyper::upgrade::on(&mut request);
        // The receiver lives as long as the connection task, which is
        // running this very request.
        let _ = tunnels.send(Tunnel { client, target });
        status(StatusCode::OK)
    }

    async fn forward(&self, request: Request<Incoming>) -> Response<Body> {
        let (mut head, body) = request.into_parts();
        let Some((host, port, authority)) = http_target(&head.uri) else {
            return status(StatusCode::BAD_REQUEST);
        };
        let addr = match self.destination(&host, port).await {
            Ok(addr) => addr,
            Err(response) => return response,
        };
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return status(StatusCode::BAD_REQUEST);
        };
        strip_hop_by_hop(&mut head.headers);
        strip_identifying(&mut head.headers);
        let Ok(host_header) = HeaderValue::from_str(&authority) else {
            return status(StatusCode::BAD_REQUEST);
        };
        head.headers.insert(HOST, host_header);
        let origin_form = head.uri.path_and_query().map_or("/", |p| p.as_str());
        let Ok(uri) = origin_form.parse::<Uri>() else {
            return status(StatusCode::BAD_REQUEST);
        };
        head.uri = uri;
        head.version = Version::HTTP_11;
        let request = Request::from_parts(head, Body::new(body));
        match self
            .pool
            .exchange(addr, request, self.config.upstream_timeout)
            .await
        {
            Ok(mut response) => {
                strip_hop_by_hop(response.headers_mut());
                response
            }
            Err(failure) => failure.response(),
        }
    }

    /// The first resolved address of `host:port` the ACL allows, or the
    /// answer to give instead (403 if none is allowed, 502 if none
    /// resolved).
    async fn destination(&self, host: &str, port: u16) -> Result<SocketAddr, Response<Body>> {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let Ok(resolved) = tokio::net::lookup_host((bare, port)).await else {
            return Err(status(StatusCode::BAD_GATEWAY));
        };
        let mut any = false;
        for addr in resolved {
            any = true;
            if self.config.acl.check(host, addr) == Action::Allow {
                return Ok(addr);
            }
        }
        Err(status(if any {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::BAD_GATEWAY
        }))
    }
}

/// Host, port and `Host` value of an absolute-form `http` URI.
fn http_target(uri: &Uri) -> Option<(String, u16, String)> {
    if uri.scheme_str() != Some("http") {
        return None;
    }
    let authority = uri.authority()?;
    let host = authority.host().to_owned();
    let port = authority.port_u16().unwrap_or(80);
    let written = match authority.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    Some((host, port, written))
}
