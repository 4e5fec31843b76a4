//! Proxies: a forward proxy with an allow list and `CONNECT` tunnels, and a
//! reverse proxy with path routing, limits and a connection pool.
//!
//! Both are HTTP/1.1 servers on tokio and hyper, and both forward requests
//! to other servers; what differs is who chose those servers and whom the
//! proxy protects.
//!
//! - [`headers`]: the rules both apply: [`strip_hop_by_hop`] (RFC 9110's
//!   connection headers, every `Proxy-*` header, whatever `Connection`
//!   names), [`append_forwarded`] (`X-Forwarded-For` and
//!   `X-Forwarded-Proto`, appended, never replaced), [`strip_identifying`]
//!   (what an anonymising forward proxy removes) and [`scrub_backend`]
//!   (what a reverse proxy does to response headers that would name a
//!   hidden backend).
//! - [`acl`]: [`Acl`], ordered allow and deny rules over destinations
//!   ([`Dest`]: domains, networks, exact addresses), first match wins.
//! - [`forward`]: [`serve_forward`], the client names the target
//!   (absolute-form URI or `CONNECT host:port`), the ACL decides, the
//!   proxy forwards anonymously or opens a tunnel.
//! - [`reverse`]: [`serve_reverse`], one public address, [`Router`]
//!   longest-prefix routing to hidden backends, a body limit (413), an
//!   upstream timeout (504), refused backends (502), and a keep-alive pool
//!   shared by every client connection.
//!
//! Read README.md first. The private items are a suggestion; the public API
//! is fixed.
//!
//! ```
//! use hyper::header::HeaderMap;
//! use proxy::{X_FORWARDED_FOR, append_forwarded};
//! use std::net::Ipv4Addr;
//!
//! let mut headers = HeaderMap::new();
//! headers.insert(X_FORWARDED_FOR, "203.0.113.7".parse().unwrap());
//! append_forwarded(&mut headers, Ipv4Addr::LOCALHOST.into(), "http");
//! assert_eq!(headers[X_FORWARDED_FOR], "203.0.113.7, 127.0.0.1"); // appended, not replaced
//! ```

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports, unused_mut)]

pub mod acl;
pub mod forward;
pub mod headers;
pub mod reverse;
mod upstream;

use http_body_util::Full;
use hyper::body::Bytes;

pub use acl::{Acl, Action, Dest};
pub use forward::{ForwardConfig, serve_forward};
pub use headers::{
    HOP_BY_HOP, IDENTIFYING, PROXY_PREFIX, X_FORWARDED_FOR, X_FORWARDED_PROTO, append_forwarded,
    scrub_backend, strip_hop_by_hop, strip_identifying,
};
pub use reverse::{ReverseConfig, Route, Router, serve_reverse};

/// The body of every request and response the proxies send: whole, in
/// memory. Buffering is what lets the reverse proxy enforce its body limit
/// before a backend sees a byte, and answer 502 or 504 instead of half a
/// response.
pub type Body = Full<Bytes>;
