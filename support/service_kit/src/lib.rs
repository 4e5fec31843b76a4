//! What the case-study services share, on both sides of the socket.
//!
//! The service side (used by each lesson's binary):
//! - [`args`]: the flags every service binary takes (`--addr`, `--data-dir`,
//!   `--clock-file`, and its own `--name value` settings), and
//!   [`args::announce`], the one readiness line `listening on 127.0.0.1:PORT`.
//! - [`clock`]: [`clock::FileClock`], a [`kit::clock::Clock`] that a test in
//!   another process sets by writing a file, so even a child process runs on
//!   injected time.
//!
//! The test side:
//! - [`process`]: [`process::Service`], a child process started from its
//!   binary, ready when it prints its readiness line (never after a sleep),
//!   killed with SIGKILL and restarted on the same data directory, and
//!   always killed when the test ends, pass or fail.
//! - [`in_process`]: the library's `run` on a port-0 listener inside the test.
//! - [`client`]: an HTTP/1.1 client over keep-alive connections whose every
//!   answer is an [`client::Exchange`]: the request and the response together.
//! - [`transcript`]: how an [`client::Exchange`] fails: the rule's name, the
//!   `curl` line that reproduces the request, expected against received with a
//!   caret at the first difference, and the seed.
//! - [`metrics`]: the `/metrics` text format, parsed for counted efficiency.
//! - [`wait`]: [`eventually`], for an event the test can only observe.

pub mod args;
pub mod client;
pub mod clock;
pub mod in_process;
pub mod metrics;
pub mod process;
pub mod transcript;
pub mod wait;

pub use args::{ServiceArgs, announce};
pub use client::{Client, Exchange};
pub use clock::{ClockFile, FileClock};
pub use in_process::InProcess;
pub use metrics::Metrics;
pub use process::Service;
pub use wait::eventually;

/// Temporary data directories, removed however a test ends.
pub use tempfile;
