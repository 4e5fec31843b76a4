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
    if backends.is_empty() {
        return Err(no_backends());
    }
    let mut next = 0;
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                let backend = backends[next];
                next = (next + 1) % backends.len();
                connections.spawn(pipe(client, backend));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
    Ok(())
}

/// Copies one client connection to and from its backend.
async fn pipe(mut client: TcpStream, backend: SocketAddr) {
    // Either failure just closes the client's connection (dropped here).
    if let Ok(mut upstream) = TcpStream::connect(backend).await {
        let _ = client.set_nodelay(true);
        let _ = upstream.set_nodelay(true);
        let _ = copy_bidirectional(&mut client, &mut upstream).await;
    }
}
