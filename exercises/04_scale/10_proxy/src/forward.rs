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
    // TODO
    todo!("accept until shutdown; serve each client connection with upgrades")
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
        // TODO
        todo!("await the upgrade, then copy both ways until both sides close")
    }
}

/// One client connection: requests one after another, and at most one
/// tunnel, which ends it as HTTP.
async fn serve_client(stream: TcpStream, proxy: Arc<Forward>) {
    // TODO
    todo!("serve HTTP/1.1 with upgrades; afterwards run the tunnel the connection agreed to")
}

impl Forward {
    async fn handle(
        &self,
        request: Request<Incoming>,
        tunnels: &mpsc::UnboundedSender<Tunnel>,
    ) -> Response<Body> {
        // TODO
        todo!("CONNECT opens a tunnel, anything else is forwarded")
    }

    async fn connect(
        &self,
        mut request: Request<Incoming>,
        tunnels: &mpsc::UnboundedSender<Tunnel>,
    ) -> Response<Body> {
        // TODO
        todo!(
            "host:port or 400; ACL (403); connect within the timeout (502/504); then 200 and hand over the tunnel"
        )
    }

    async fn forward(&self, request: Request<Incoming>) -> Response<Body> {
        // TODO
        todo!(
            "absolute-form http URI or 400; ACL; strip; Host; origin form; exchange through the pool"
        )
    }

    /// The first resolved address of `host:port` the ACL allows, or the
    /// answer to give instead (403 if none is allowed, 502 if none
    /// resolved).
    async fn destination(&self, host: &str, port: u16) -> Result<SocketAddr, Response<Body>> {
        // TODO
        todo!("resolve, check every address with the ACL, the first allowed one; 403 or 502")
    }
}

/// Host, port and `Host` value of an absolute-form `http` URI.
fn http_target(uri: &Uri) -> Option<(String, u16, String)> {
    // TODO
    todo!("host, port (80 by default) and Host value of an http:// URI")
}
