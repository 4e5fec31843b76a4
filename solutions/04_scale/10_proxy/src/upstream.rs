//! What both proxies share: the accept loop with its shutdown, and the
//! pool of keep-alive connections to the servers behind them.

use std::collections::HashMap;
use std::error::Error;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONNECTION, HeaderMap};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::Body;

type AnyError = Box<dyn Error + Send + Sync>;

/// Accepts on `listener` until `shutdown` completes, running `handle` for
/// each connection in a task of its own; then closes every connection it
/// accepted (their tasks are aborted) and returns `Ok(())`.
pub(crate) async fn accept_until<F, Fut>(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    mut handle: F,
) -> io::Result<()>
where
    F: FnMut(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                // A failed accept (a client that reset, too many open files)
                // ends one connection, not the proxy.
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                connections.spawn(handle(stream, peer));
            }
            // Reap finished connections so the set does not grow forever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
    Ok(())
}

/// Why an exchange with an upstream server produced no response.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No whole response within the timeout: `504 Gateway Timeout`.
    Timeout,
    /// Refused, reset, or broken before a whole response: `502 Bad Gateway`.
    Unreachable,
}

impl Failure {
    /// The empty response the client gets instead: no body, so no error
    /// text that could name the upstream address.
    pub(crate) fn response(&self) -> Response<Body> {
        status(match self {
            Failure::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Failure::Unreachable => StatusCode::BAD_GATEWAY,
        })
    }
}

/// An empty response with this status.
pub(crate) fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = code;
    response
}

/// Idle keep-alive connections by upstream address, shared by every client
/// connection of one proxy.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<HashMap<SocketAddr, Vec<SendRequest<Body>>>>,
}

impl Pool {
    /// Sends `request` to `addr` and reads the whole response, over an idle
    /// connection if there is one, all within `timeout`. A connection goes
    /// back to the pool only after its whole response was read and unless
    /// the server said `Connection: close`; one cut off by the timeout is
    /// dropped (closed), never reused.
    pub(crate) async fn exchange(
        &self,
        addr: SocketAddr,
        request: Request<Body>,
        timeout: Duration,
    ) -> Result<Response<Body>, Failure> {
        match tokio::time::timeout(timeout, self.exchange_now(addr, request)).await {
            Err(_) => Err(Failure::Timeout),
            Ok(Err(_)) => Err(Failure::Unreachable),
            Ok(Ok(response)) => Ok(response),
        }
    }

    async fn exchange_now(
        &self,
        addr: SocketAddr,
        request: Request<Body>,
    ) -> Result<Response<Body>, AnyError> {
        let mut sender = match self.checkout(addr).await {
            Some(sender) => sender,
            None => connect(addr).await?,
        };
        let response = sender.send_request(request).await?;
        let (head, body) = response.into_parts();
        // Reading the whole body frees the connection for the next request.
        let body = body.collect().await?.to_bytes();
        if !closes_connection(&head.headers) {
            lock(&self.idle).entry(addr).or_default().push(sender);
        }
        Ok(Response::from_parts(head, Body::new(body)))
    }

    /// An idle connection to `addr` that is still open, if any; closed ones
    /// are dropped on the way.
    async fn checkout(&self, addr: SocketAddr) -> Option<SendRequest<Body>> {
        loop {
            let mut sender = lock(&self.idle).get_mut(&addr)?.pop()?;
            // Fails at once if the server closed it while it sat idle.
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }
}

/// A new HTTP/1.1 connection to `addr`, its driver spawned.
async fn connect(addr: SocketAddr) -> Result<SendRequest<Body>, AnyError> {
    let stream = TcpStream::connect(addr).await?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // Ends when the server closes the connection or the last handle to it
    // (in the pool or in a request) is dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// True if the message says its connection closes after it.
fn closes_connection(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"))
}

/// Locks, ignoring poison: no critical section here can leave the pool
/// half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
