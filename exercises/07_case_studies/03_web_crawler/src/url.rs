//! URLs in one spelling: a crawler that keeps two spellings of a page fetches
//! it twice, and a web of relative links spells every page many ways.

use std::fmt;

/// An absolute `http` URL in normal form (see the crate documentation,
/// "URL normalisation"): lower-case host, no default port, no dot segments,
/// no fragment, a path that starts with `/`, the query byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Url {
    host: String,
    port: u16,
    /// The path and, if any, `?` and the query.
    target: String,
}

impl Url {
    /// Parses an absolute `http://` URL (scheme in any case, surrounding
    /// whitespace ignored, an empty port meaning 80) into normal form; `None` for another scheme, a relative reference, user info
    /// (`user@host`), an empty or invalid host (letters, digits, `-` and `.`
    /// only) or a bad port.
    pub fn parse(text: &str) -> Option<Url> {
        // TODO: trim, check the scheme, split host[:port] from the path at
        // the first `/` or `?`, drop the fragment, remove dot segments
        // (RFC 3986 §5.2.4), lower-case the host, default the port to 80.
        todo!("parse an absolute http URL into normal form")
    }

    /// Resolves `href` (as found in a page at `self`) into normal form:
    /// absolute (`http://...`), network-path (`//host/p`), absolute-path
    /// (`/p`), relative-path (`p`, `../p`), query-only (`?q`) or
    /// fragment-only (`#f`, the page itself) references, as RFC 3986 §5.2
    /// resolves them; surrounding whitespace is ignored. `None` where the result is not an `http` URL
    /// (`mailto:`, `https:`, `javascript:`...).
    pub fn join(&self, href: &str) -> Option<Url> {
        // TODO: a relative path is merged with the base path up to and
        // including its last `/`, then dot segments are removed.
        todo!("resolve a link against its page")
    }

    /// The host, in lower case.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (80 when the URL names none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, always with the port: the key of [`crate::Config::resolve`]
    /// and the unit of politeness.
    pub fn authority(&self) -> String {
        todo!("host:port")
    }

    /// The `Host` header value: the host, with `:port` only when it is not 80.
    pub fn host_header(&self) -> String {
        todo!("the Host header")
    }

    /// The request target: the path and, if any, `?query`.
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl fmt::Display for Url {
    /// `http://` + [`Url::host_header`] + [`Url::target`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("write the URL in normal form")
    }
}
