//! A TCP (layer 4) load balancer: it never looks inside the bytes, so it
//! can only choose a backend per connection.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::proxy::no_backends;

/// Serves TCP on `listener` until `shutdown` completes: each accepted
/// connection goes to the next backend in turn (the first connection to
/// `backends[0]`), and bytes are copied both ways, unchanged, until either
/// side closes. If that backend cannot be reached, the client's connection
/// is closed. On shutdown it stops accepting, closes every connection it
/// accepted, and returns `Ok(())`. The returned future is `Send`.
///
/// # Errors
/// `InvalidInput` at once if `backends` is empty: "a balancer needs at
/// least one backend".
pub async fn serve_tcp(
    listener: TcpListener,
    backends: Vec<SocketAddr>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    // TODO
    todo!(
        "refuse no backends; accept until shutdown, each connection to the next backend; then close them all"
    )
}

/// Copies one client connection to and from its backend.
async fn pipe(mut client: TcpStream, backend: SocketAddr) {
    // TODO
    todo!("connect to the backend and copy both ways until either side closes")
}
