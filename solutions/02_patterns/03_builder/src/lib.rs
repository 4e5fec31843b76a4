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
        ServerConfigBuilder::new()
    }

    /// The host name or address to bind.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port, never 0.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request timeout, never zero.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The connection limit, never 0.
    pub fn max_connections(&self) -> u32 {
        self.max_connections
    }

    /// Whether TLS is on.
    pub fn tls_enabled(&self) -> bool {
        self.tls_cert.is_some()
    }

    /// The certificate path: `Some` exactly when TLS is on.
    pub fn tls_cert(&self) -> Option<&Path> {
        self.tls_cert.as_deref()
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
        match self {
            ConfigError::InvalidHost(host) => write!(f, "invalid host {host:?}"),
            ConfigError::InvalidPort(port) => write!(f, "invalid port {port}: must be 1-65535"),
            ConfigError::ZeroTimeout => f.write_str("the timeout must be greater than zero"),
            ConfigError::ZeroConnections => {
                f.write_str("the connection limit must be greater than zero")
            }
            ConfigError::TlsWithoutCertificate => {
                f.write_str("TLS is enabled but no certificate path was given")
            }
        }
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
        ServerConfigBuilder {
            host: NoHost,
            port: DEFAULT_PORT,
            timeout: DEFAULT_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls: false,
            cert_path: None,
        }
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
        // Moving every other field across is what changing the type parameter costs.
        ServerConfigBuilder {
            host: HasHost(host.into()),
            port: self.port,
            timeout: self.timeout,
            max_connections: self.max_connections,
            tls: self.tls,
            cert_path: self.cert_path,
        }
    }

    /// Sets the TCP port. Validated by `build` (0 is refused).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the request timeout. Validated by `build` (zero is refused).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connection limit. Validated by `build` (0 is refused).
    pub fn max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// Turns TLS on or off. On requires a certificate path at `build` time.
    pub fn tls(mut self, enabled: bool) -> Self {
        self.tls = enabled;
        self
    }

    /// Sets the certificate path. Used only when TLS is on; with TLS off the
    /// built config has no certificate.
    pub fn cert_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.cert_path = Some(path.into());
        self
    }
}

fn valid_host(host: &str) -> bool {
    !host.is_empty() && host.len() <= MAX_HOST_LEN && !host.chars().any(char::is_whitespace)
}

impl ServerConfigBuilder<HasHost> {
    /// Validates everything and returns the immutable config.
    ///
    /// # Errors
    /// The first [`ConfigError`], checked in the order host, port, timeout,
    /// connections, TLS.
    pub fn build(self) -> Result<ServerConfig, ConfigError> {
        let HasHost(host) = self.host;
        if !valid_host(&host) {
            return Err(ConfigError::InvalidHost(host));
        }
        if self.port == 0 {
            return Err(ConfigError::InvalidPort(self.port));
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        if self.max_connections == 0 {
            return Err(ConfigError::ZeroConnections);
        }
        let tls_cert = if self.tls {
            // An empty path is as good as none: the server would fail at start-up.
            match self.cert_path {
                Some(path) if !path.as_os_str().is_empty() => Some(path),
                _ => return Err(ConfigError::TlsWithoutCertificate),
            }
        } else {
            None
        };
        Ok(ServerConfig {
            host,
            port: self.port,
            timeout: self.timeout,
            max_connections: self.max_connections,
            tls_cert,
        })
    }
}
