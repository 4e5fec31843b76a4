//! A service's `run` inside the test process, on a port-0 listener.
//!
//! ```ignore
//! let service = InProcess::start(|listener, shutdown| {
//!     url_shortener::run(listener, config, shutdown)
//! })
//! .await;
//! let client = service.client();
//! // ...
//! service.stop().await; // or drop it: the task is aborted
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Client;

/// How long `run` may take to return after its shutdown future completes.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The shutdown future handed to `run`: completes when the test stops the
/// service (or drops it).
#[derive(Debug)]
pub struct Shutdown(oneshot::Receiver<()>);

impl Future for Shutdown {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

/// A service running as a task of the test's runtime.
#[derive(Debug)]
pub struct InProcess<T> {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<T>>,
}

impl<T: Send + 'static> InProcess<T> {
    /// Binds 127.0.0.1:0 and spawns `run(listener, shutdown)`.
    pub async fn start<F, Fut>(run: F) -> Self
    where
        F: FnOnce(TcpListener, Shutdown) -> Fut,
        Fut: Future<Output = T> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port on 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(listener, Shutdown(stopped)));
        InProcess {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client of it.
    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }

    /// Completes the shutdown future and waits for `run` to return.
    ///
    /// # Panics
    /// If `run` panicked, or did not return within [`STOP_TIMEOUT`].
    pub async fn stop(mut self) -> T {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take().expect("a running service has its task");
        match tokio::time::timeout(STOP_TIMEOUT, task).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => panic!("the service's run() failed: {e}"),
            Err(_) => panic!(
                "run() did not return within {} s of its shutdown future completing",
                STOP_TIMEOUT.as_secs()
            ),
        }
    }
}

impl<T> Drop for InProcess<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
