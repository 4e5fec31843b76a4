// Given: a minimal HTTP/1.1 GET client (one request per connection), so the crawler needs no HTTP crate.

//! One `GET` over a fresh connection: `Connection: close`, the answer read
//! whole (`Content-Length`, chunked, or up to end of stream), bounded in time
//! and size. A crawler opens few connections per host (politeness allows one
//! request at a time), so connection reuse is not worth its complexity here.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one fetch may take (connect, send, read) before it is an error.
/// Real time, not the injected clock: it bounds a broken server, it is not a
/// rule the tests check.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer read; a longer one is an error (a crawler must bound
/// what one page can cost it).
pub const MAX_RESPONSE_BYTES: usize = 4 << 20;

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200 or 301.
    pub status: u16,
    /// The `Location` header, if the answer has one.
    pub location: Option<String>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

/// `GET target` from the server at `addr`, sending `Host: host` and
/// `User-Agent: user_agent`. `target` is the path and query (`/a?b=1`).
pub async fn get(
    addr: SocketAddr,
    host: &str,
    target: &str,
    user_agent: &str,
) -> Result<Response, String> {
    tokio::time::timeout(FETCH_TIMEOUT, exchange(addr, host, target, user_agent))
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", FETCH_TIMEOUT.as_secs())))
}

async fn exchange(
    addr: SocketAddr,
    host: &str,
    target: &str,
    user_agent: &str,
) -> Result<Response, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("read from {addr}: {e}"))?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
        if raw.len() > MAX_RESPONSE_BYTES {
            return Err(format!("answer larger than {MAX_RESPONSE_BYTES} bytes"));
        }
        if let Some(done) = complete(&raw) {
            return done;
        }
    }
    complete(&raw).unwrap_or_else(|| parse(&raw, true))
}

/// The parsed answer once `raw` holds all of it, `None` while more is due.
fn complete(raw: &[u8]) -> Option<Result<Response, String>> {
    let head_end = find(raw, b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let body = &raw[head_end + 4..];
    if header(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        return dechunk(body).map(|b| b.and_then(|body| response(&head, body)));
    }
    let length = header(&head, "content-length")?.parse::<usize>().ok()?;
    (body.len() >= length).then(|| response(&head, body[..length].to_vec()))
}

/// The answer at end of stream: whatever body arrived (no length, no chunks).
fn parse(raw: &[u8], at_end: bool) -> Result<Response, String> {
    let head_end = find(raw, b"\r\n\r\n").ok_or("the answer ended inside its headers")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    if at_end
        && (header(&head, "content-length").is_some()
            || header(&head, "transfer-encoding").is_some())
    {
        return Err("the answer ended before its body did".to_owned());
    }
    response(&head, raw[head_end + 4..].to_vec())
}

fn response(head: &str, body: Vec<u8>) -> Result<Response, String> {
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    Ok(Response {
        status,
        location: header(head, "location").map(str::to_owned),
        body,
    })
}

fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A chunked body decoded, `None` while the last chunk has not arrived.
fn dechunk(mut body: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(body, b"\r\n")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            return Some(Err(format!("bad chunk size {size_text:?}")));
        };
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(Ok(out));
        }
        if body.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
