//! Header rules shared by both proxies: what stops at a hop, what a hop
//! adds, what identifies the client, and what would give a backend away.

use std::net::{IpAddr, SocketAddr};

use hyper::Uri;
use hyper::header::{CONNECTION, CONTENT_LOCATION, HeaderMap, HeaderName, HeaderValue, LOCATION};

/// The headers RFC 9110 (section 7.6.1) says describe one connection, not
/// the message, so a proxy must not forward them; `Trailer` is listed as
/// well (as Go's `httputil.ReverseProxy` does), because it announces
/// trailer fields of a chunked body that is not forwarded as such. Besides
/// these, every header whose name starts with [`PROXY_PREFIX`] is
/// hop-by-hop (`Proxy-Authorization`, `Proxy-Authenticate`,
/// `Proxy-Connection`, ...), and so is every header a `Connection` header
/// names.
pub const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Every header whose (lower-case) name starts with this is hop-by-hop:
/// credentials and options for the proxy itself, never for the next hop.
pub const PROXY_PREFIX: &str = "proxy-";

/// The chain of client addresses, one per proxy that handled the request.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The chain of protocols the request arrived with, one per proxy, in
/// step with [`X_FORWARDED_FOR`].
pub const X_FORWARDED_PROTO: &str = "x-forwarded-proto";

/// Headers that identify the client or the proxies in front of it. The
/// forward proxy is an anonymising one (Squid's `forwarded_for delete` and
/// `via off`): it removes all of these and adds none of them.
pub const IDENTIFYING: [&str; 7] = [
    "forwarded",
    "from",
    "via",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Removes every hop-by-hop header: first every header named in a
/// `Connection` header (a comma-separated list, any case, with or without
/// spaces, on one line or several), then those of [`HOP_BY_HOP`], then
/// every header whose name starts with [`PROXY_PREFIX`]. Everything else is
/// left as it was, every line of it.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // TODO
    todo!("remove every header named in Connection, then HOP_BY_HOP, then every proxy-* header")
}

/// Appends this hop to both chains, leaving one line of each:
/// `X-Forwarded-For` gets `client`'s IP address (no port, no brackets) and
/// `X-Forwarded-Proto` gets `proto`. The values a chain already had (one
/// line or several, in order) come first, joined by `", "`; without any it
/// is just the new value. An earlier value is never replaced or reordered.
pub fn append_forwarded(headers: &mut HeaderMap, client: IpAddr, proto: &str) {
    // TODO
    todo!("append the client IP to X-Forwarded-For and proto to X-Forwarded-Proto, one line each")
}

fn append_to_chain(headers: &mut HeaderMap, name: &'static str, value: &str) {
    // TODO
    todo!("join the earlier lines with \", \", add the value, insert one line")
}

/// Removes every header of [`IDENTIFYING`]. `Proxy-Authorization` goes with
/// the hop-by-hop headers ([`strip_hop_by_hop`]); end-to-end headers the
/// target needs (`Cookie`, `Authorization`, `User-Agent`, ...) stay.
pub fn strip_identifying(headers: &mut HeaderMap) {
    // TODO
    todo!("remove every header of IDENTIFYING")
}

/// Makes a backend's response headers safe to show the client: nothing in
/// them may name `backend`, a hidden address.
///
/// 1. A `Location` or `Content-Location` that is an absolute URI whose
///    authority is the backend's address (`ip:port`, as `backend`
///    displays; the scheme in any case) is rewritten to its path and query
///    alone, a relative reference to the same resource on the public
///    address (`http://127.0.0.1:5001/login?next=%2F` becomes
///    `/login?next=%2F`; without a path it becomes `/`). Any other value
///    (relative, or naming another host or port) is kept.
/// 2. Then every remaining header line whose value contains the backend's
///    address (ASCII case ignored) is removed, that line only: other lines
///    of the same header stay. An occurrence counts if it is not part of a
///    longer address: not preceded by a digit or a `.`, not followed by a
///    digit (`127.0.0.1:50010` does not name `127.0.0.1:5001`).
pub fn scrub_backend(headers: &mut HeaderMap, backend: SocketAddr) {
    // TODO
    todo!(
        "rewrite Location/Content-Location on the backend to relative, then drop every line naming the backend"
    )
}

/// `value` as a path and query if it is an absolute URI on `authority`.
fn rewrite_to_relative(value: HeaderValue, authority: &str) -> HeaderValue {
    // TODO
    todo!("an absolute URI on the backend becomes its path and query; anything else is kept")
}

/// True if `value` contains `authority` (lower case) as a whole address:
/// not preceded by a digit or a dot, not followed by a digit.
fn names_backend(value: &HeaderValue, authority: &str) -> bool {
    // TODO
    todo!("does the value contain the address, not inside a longer one?")
}
