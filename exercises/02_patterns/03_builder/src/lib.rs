//! Builder, the Rust way: a server configuration assembled step by step,
//! validated once, and immutable afterwards.
//!
//! ```
//! use builder::ServerConfig;
//! use std::time::Duration;
//!
//! let config = ServerConfig::builder()
//!     .host("api.example.com")
//!     .port(8443)
//!     .tls(true)
//!     .cert_path("/etc/tls/api.pem")
//!     .timeout(Duration::from_secs(5))
//!     .build()?;
//! assert_eq!(config.port(), 8443);
//! assert_eq!(config.max_connections(), builder::DEFAULT_MAX_CONNECTIONS);
//! # Ok::<(), builder::ConfigError>(())
//! ```
//!
//! The host has no sensible default, so it is required — and the compiler
//! enforces it: `build` exists only once `host` has been called (a typestate).
//!
//! ```compile_fail,E0599
//! use builder::ServerConfig;
//! // error[E0599]: no method named `build` found for `ServerConfigBuilder<NoHost>`
//! let config = ServerConfig::builder().port(8080).build();
//! ```
//!
//! The built value is immutable: its fields are private and it has no setters.
//!
//! ```compile_fail,E0616
//! use builder::ServerConfig;
//! let mut config = ServerConfig::builder().host("localhost").build().unwrap();
//! config.port = 9090; // error[E0616]: field `port` of struct `ServerConfig` is private
//! ```

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Port used when [`ServerConfigBuilder::port`] is not called.
pub const DEFAULT_PORT: u16 = 8080;
/// Request timeout used when [`ServerConfigBuilder::timeout`] is not called.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connection limit used when [`ServerConfigBuilder::max_connections`] is not called.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 1024;
/// Longest host name accepted, in bytes (the DNS limit).
pub const MAX_HOST_LEN: usize = 253;

/// A validated server configuration. Only [`ServerConfigBuilder::build`]
/// makes one, so every `ServerConfig` that exists is valid; it has getters
/// and no setters, so it stays valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    host: String,
    port: u16,
    timeout: Duration,
    max_connections: u32,
    // `Some` exactly when TLS is on: the type cannot express "TLS without a cert".
    tls_cert: Option<PathBuf>,
}

impl ServerConfig {
    /// A builder with every default set and no host yet.
    pub fn builder() -> ServerConfigBuilder<NoHost> {
        todo!()
    }

    /// The host name or address to bind.
    pub fn host(&self) -> &str {
        todo!()
    }

    /// The TCP port, never 0.
    pub fn port(&self) -> u16 {
        todo!()
    }

    /// The request timeout, never zero.
    pub fn timeout(&self) -> Duration {
        todo!()
    }

    /// The connection limit, never 0.
    pub fn max_connections(&self) -> u32 {
        todo!()
    }

    /// Whether TLS is on.
    pub fn tls_enabled(&self) -> bool {
        todo!()
    }

    /// The certificate path: `Some` exactly when TLS is on.
    pub fn tls_cert(&self) -> Option<&Path> {
        todo!()
    }
}

/// Why a configuration did not build. [`ServerConfigBuilder::build`] reports
/// the first problem in this order: host, port, timeout, connections, TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The host is empty, contains whitespace, or is longer than [`MAX_HOST_LEN`].
    InvalidHost(String),
    /// Port 0 means "any port" to the OS; a server config must name one.
    InvalidPort(u16),
    /// A zero timeout would fail every request.
    ZeroTimeout,
    /// A zero connection limit would refuse every client.
    ZeroConnections,
    /// TLS is on but no (non-empty) certificate path was given.
    TlsWithoutCertificate,
}

impl fmt::Display for ConfigError {
    /// A message of its own per variant; `InvalidHost`'s names the host and
    /// `InvalidPort`'s the port.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("one message per variant")
    }
}

impl Error for ConfigError {}

/// Typestate marker: the host has not been set yet, so `build` is unavailable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoHost;

/// Typestate marker: the host has been set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HasHost(String);

/// Collects settings for a [`ServerConfig`]. Setters take and return the
/// builder by value so calls chain; calling a setter twice keeps the last
/// value. The type parameter records whether the required host is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfigBuilder<H> {
    host: H,
    port: u16,
    timeout: Duration,
    max_connections: u32,
    tls: bool,
    cert_path: Option<PathBuf>,
}

impl ServerConfigBuilder<NoHost> {
    /// Every default set: port [`DEFAULT_PORT`], timeout [`DEFAULT_TIMEOUT`],
    /// [`DEFAULT_MAX_CONNECTIONS`] connections, TLS off, no certificate, no host.
    pub fn new() -> Self {
        todo!("the documented defaults, no host")
    }
}

impl Default for ServerConfigBuilder<NoHost> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H> ServerConfigBuilder<H> {
    /// Sets the host (required). Available in either state, so it can also
    /// replace an earlier host; the result is always a builder that can `build`.
    pub fn host(self, host: impl Into<String>) -> ServerConfigBuilder<HasHost> {
        todo!("move every field into a builder whose host is HasHost")
    }

    /// Sets the TCP port. Validated by `build` (0 is refused).
    pub fn port(self, port: u16) -> Self {
        todo!()
    }

    /// Sets the request timeout. Validated by `build` (zero is refused).
    pub fn timeout(self, timeout: Duration) -> Self {
        todo!()
    }

    /// Sets the connection limit. Validated by `build` (0 is refused).
    pub fn max_connections(self, max_connections: u32) -> Self {
        todo!()
    }

    /// Turns TLS on or off. On requires a certificate path at `build` time.
    pub fn tls(self, enabled: bool) -> Self {
        todo!()
    }

    /// Sets the certificate path. Used only when TLS is on; with TLS off the
    /// built config has no certificate.
    pub fn cert_path(self, path: impl Into<PathBuf>) -> Self {
        todo!()
    }
}

impl ServerConfigBuilder<HasHost> {
    /// Validates everything and returns the immutable config.
    ///
    /// # Errors
    /// The first [`ConfigError`], checked in the order host, port, timeout,
    /// connections, TLS.
    pub fn build(self) -> Result<ServerConfig, ConfigError> {
        todo!("validate in the documented order, then assemble the ServerConfig")
    }
}
