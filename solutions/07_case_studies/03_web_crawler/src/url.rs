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
        let text = text.trim();
        let (scheme, rest) = text.split_once(':')?;
        if !scheme.eq_ignore_ascii_case("http") {
            return None;
        }
        network_path(rest.strip_prefix("//")?)
    }

    /// Resolves `href` (as found in a page at `self`) into normal form:
    /// absolute (`http://...`), network-path (`//host/p`), absolute-path
    /// (`/p`), relative-path (`p`, `../p`), query-only (`?q`) or
    /// fragment-only (`#f`, the page itself) references, as RFC 3986 §5.2
    /// resolves them; surrounding whitespace is ignored. `None` where the result is not an `http` URL
    /// (`mailto:`, `https:`, `javascript:`...).
    pub fn join(&self, href: &str) -> Option<Url> {
        let href = href.trim();
        if has_scheme(href) {
            return Url::parse(href);
        }
        if let Some(rest) = href.strip_prefix("//") {
            return network_path(rest);
        }
        let href = href.split('#').next().unwrap_or_default();
        let (path, query) = split_query(href);
        let (base_path, base_query) = split_query(&self.target);
        let target = if path.is_empty() {
            // Only a query (or nothing): the base path, the new query if any.
            let query = query.or(base_query);
            with_query(base_path.to_owned(), query)
        } else if path.starts_with('/') {
            with_query(remove_dot_segments(path), query)
        } else {
            let directory = &base_path[..=base_path.rfind('/').unwrap_or(0)];
            with_query(remove_dot_segments(&format!("{directory}{path}")), query)
        };
        Some(Url {
            host: self.host.clone(),
            port: self.port,
            target,
        })
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
        format!("{}:{}", self.host, self.port)
    }

    /// The `Host` header value: the host, with `:port` only when it is not 80.
    pub fn host_header(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            self.authority()
        }
    }

    /// The request target: the path and, if any, `?query`.
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl fmt::Display for Url {
    /// `http://` + [`Url::host_header`] + [`Url::target`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.target)
    }
}

/// `host[:port][/path][?query][#fragment]`, after the `//`.
fn network_path(rest: &str) -> Option<Url> {
    let rest = rest.split('#').next().unwrap_or_default();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(end);
    if authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, "")) => (host, 80),
        Some((host, port)) => (host, port.parse().ok()?),
        None => (authority, 80),
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    if host.is_empty() || !host.chars().all(valid) {
        return None;
    }
    let (path, query) = split_query(target);
    let path = if path.is_empty() {
        "/".to_owned()
    } else {
        remove_dot_segments(path)
    };
    Some(Url {
        host: host.to_ascii_lowercase(),
        port,
        target: with_query(path, query),
    })
}

/// Whether `href` starts with a scheme (`letter *(letter / digit / + - .) :`).
fn has_scheme(href: &str) -> bool {
    let Some((scheme, _)) = href.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

fn split_query(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

fn with_query(path: String, query: Option<&str>) -> String {
    match query {
        Some(query) => format!("{path}?{query}"),
        None => path,
    }
}

/// RFC 3986 §5.2.4 for a path that starts with `/`: `.` segments go, `..`
/// removes the segment before it (never above the root), and a path that
/// ended in a dot segment keeps its trailing `/`.
fn remove_dot_segments(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {}
            ".." => {
                out.pop();
            }
            other => {
                out.push(other);
                continue;
            }
        }
        if last {
            out.push("");
        }
    }
    format!("/{}", out.join("/"))
}
