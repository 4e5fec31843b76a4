//! URL shortener: a real service, from requirements to running code.
//!
//! Read README.md first: it walks the interview. This crate is the service:
//! an axum router over a Bitcask-style store (an append-only log on disk,
//! an index in memory), a hot-code cache, per-client rate limits and click
//! counting off the request path. The modules, in the order the stages need
//! them: `validate`, `routes`, `store` (stages 1-3), `log` (4), `codes` (5),
//! `cache` (6), `limits` (7), `clicks` (8). `config`, `metrics` and `errors`
//! are given. The private items are a suggestion; the HTTP API below, the
//! `/metrics` names and the log format (in `log`) are the contract.
//!
//! # The API
//!
//! Every refusal has the body `{"error": "<why>"}` (any text).
//!
//! `POST /shorten` with a JSON body (whatever its `Content-Type`):
//! `{"url": "...", "alias": "..." (optional), "ttl_secs": N (optional, or null)}`.
//! - `201 Created`, body `{"code": C, "short_url": "http://<Host header>/C",
//!   "url": U, "created_at": MS, "expires_at": MS or null}` (Unix
//!   milliseconds on the injected clock's wall time, `expires_at =
//!   created_at + ttl_secs × 1000`). Every create is a new link: the same
//!   URL twice gets two codes. The 201 is sent once the link's record is
//!   acknowledged by the log (see `--fsync` in `Config`).
//! - `400` when the body is not a JSON object with a string `url`; when the
//!   URL is not absolute `http://` or `https://` (scheme in any case) with a
//!   non-empty host, is longer than 2048 bytes, or has a byte that is not
//!   printable ASCII (a space, a control character, anything non-ASCII: it
//!   goes into a `Location` header, so it must come percent-encoded); when
//!   `ttl_secs` is not an integer from 1 to 315360000 (ten years); when the
//!   alias is not 3 to 32 characters of `[A-Za-z0-9_-]`, or is a reserved
//!   word, compared ignoring case: `shorten`, `metrics`, `stats`, `health`,
//!   `api`, `admin`, `static`, `login`, `www`.
//! - `409 Conflict` when the alias is taken, by any link, even an expired
//!   one: a short link, once given out, never leads anywhere new. Of many
//!   concurrent creates of one alias exactly one wins.
//!
//! Codes: an alias is its own code (case-sensitive). A generated code is 1
//! to 11 characters of `[0-9A-Za-z]`, and no two links ever share a code:
//! not under 10,000 concurrent creates, not on a clock that stands still or
//! steps back, not after kill -9 and a restart. Base62 Snowflake-style IDs
//! (`codes`) or hash-plus-probe: the tests pin only this contract.
//!
//! `GET /{code}`:
//! - `302 Found` with `Location: <url>` and `Cache-Control: private,
//!   max-age=N`, where N is 300 for a link that never expires, and
//!   `min(300, whole seconds left until expires_at, rounded down)` for one
//!   that does: no browser may keep a redirect longer than its link lives.
//! - `404` for a code no acknowledged link has; it costs no store read.
//! - `410 Gone` from the instant `expires_at` is reached on the wall clock
//!   (`Clock::unix_millis`), and for ever after.
//!
//! `GET /{code}/stats`: `200` with `{"code", "url", "clicks", "created_at",
//! "expires_at"}`, expired links included; `404` for an unknown code.
//! `clicks` counts the `302` answers of that code (not 404, 410 or 429); it
//! is exact once the service has been quiet for a moment.
//!
//! `GET /metrics`: one `name value` per line, never rate limited:
//! - `store_reads`: link records read back from the log to answer requests.
//! - `store_writes`: records appended to the log.
//! - `log_fsyncs`: fsync calls on the log.
//! - `log_recovered`: valid records read from the log at start.
//! - `log_torn_bytes`: bytes cut off the end of the log at start.
//! - `cache_entries`: links the hot-code cache holds now.
//!
//! # Rules with numbers
//! - Cache: at most `Config::cache_entries` links (0: no cache, every GET
//!   is a store read), least recently used evicted first and only when
//!   full; 1,000 GETs of one code, even 64 at a time on a cold cache, cost
//!   at most 1 store read. A cached link still expires on time.
//! - Rate limit: each client (its `x-client-id` header, or without one its
//!   IP address) may make `Config::rate_limit_per_min` requests a minute,
//!   in bursts of as many, to every route but `/metrics`. The allowance
//!   refills continuously, one request every `60 / rate_limit_per_min`
//!   seconds, up to the burst. Past it: `429` with `Retry-After: S`, the
//!   whole seconds (rounded up, at least 1) until a request would be
//!   allowed. A refused request uses up nothing.
//! - Clicks: a redirect never waits for the disk; counts reach the log in
//!   batches, at most one store write per 100 redirects, and whatever is
//!   counted is written before `run` returns after a clean shutdown, and
//!   read back at start. A kill -9 may lose the last batch (analytics);
//!   it never loses a link.

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code, unused_imports, unused_mut)]

mod cache;
mod clicks;
mod codes;
mod config;
mod errors;
mod limits;
mod log;
mod metrics;
mod routes;
mod store;
mod validate;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

pub use config::{Config, DEFAULT_CACHE_ENTRIES, DEFAULT_RATE_LIMIT_PER_MIN, Fsync};

/// Recovers the log in `config.data_dir` (creating both if missing), then
/// serves the API on `listener` until `shutdown` completes; pending clicks
/// are written before it returns.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    todo!(
        "recover the store, start the click task, serve routes::router(state) with ConnectInfo until shutdown, then stop the click task"
    )
}
