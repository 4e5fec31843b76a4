//! Pastebin: text pastes behind unguessable links, stored once per distinct
//! body, expiring, burning after one read, and streamed in ranges.
//!
//! Read README.md first. The service is [`run`] on a listener with a
//! [`Config`]; the binary (`src/main.rs`, given) builds the config from its
//! flags. What is given and complete: [`config`], [`gate`], [`metrics`],
//! [`error`] (every refusal's status and message) and [`schema`] (the
//! tables, indexes and pragmas). What you write: [`tokens`], [`blobs`],
//! [`store`], [`limits`], [`range`], [`stream`], [`routes`], and [`run`].
//! The modules are a suggestion; the HTTP API below, the data directory's
//! layout, the schema, [`store::EXPIRED_QUERY`] and the metrics are fixed.
//!
//! # The API
//!
//! Errors answer `{"error": MESSAGE}` with the status and message of
//! [`error::ApiError`].
//!
//! - `POST /pastes[?ttl=SECONDS][&burn=true]`, the raw body as the paste.
//!   `201 Created`, `Location: /pastes/TOKEN`, and
//!   `{"token": T, "delete_token": D, "size": BYTES, "expires_at": UNIX_MS | null, "burn": BOOL}`.
//!   The request's `Content-Type` is stored and served back on every read
//!   (`text/plain; charset=utf-8` when absent). `expires_at` is the
//!   creation time on the injected clock plus `ttl` seconds. Refusals: an
//!   empty body, 400 `empty paste`; `ttl=0`, 400 `ttl must be at least 1
//!   second`; a body over [`Config::max_bytes`], 413 `paste too large`:
//!   a `Content-Length` over the limit before any byte is read, and a body
//!   without one (chunked) as soon as what has arrived passes the limit,
//!   never after buffering it all. A refused upload leaves no file behind.
//! - `GET /pastes/{token}`: `200` with the body, its stored `Content-Type`,
//!   `Content-Length` and `Accept-Ranges: bytes`. No such paste (never
//!   created, deleted, burned, swept, or not a token at all): 404 `paste
//!   not found`. Past its expiry (`now >= expires_at`) and not yet swept:
//!   410 `paste expired` — the read does not delete it, so it stays 410
//!   until the sweeper runs, then 404. A `Range: bytes=...` header of one
//!   range is answered `206 Partial Content` with
//!   `Content-Range: bytes START-END/SIZE` (see [`range::parse`] for the
//!   forms); a range that selects no byte, 416 `range not satisfiable` with
//!   `Content-Range: bytes */SIZE`; any other Range header is ignored (200).
//!   The body is streamed from its file in chunks of at most 64 KiB.
//! - A paste created with `burn=true` is deleted by its first read, which
//!   gets the whole body (200, a Range header ignored); every later or
//!   concurrent losing read is 404. Of any number of concurrent readers
//!   exactly one wins: the claim is one atomic SQL statement. When a test
//!   installs [`Config::before_body`], every read passes that [`Gate`]
//!   after the metadata step has granted it the body (for a burn paste:
//!   after claiming it) and before the body's first byte is read.
//! - `DELETE /pastes/{token}` with `X-Delete-Token: D`: `204 No Content`.
//!   A missing or wrong delete token (including the read token): 403
//!   `wrong delete token`, and the paste stays. No such paste: 404 `paste
//!   not found`.
//! - `POST /admin/sweep`: deletes every paste whose expiry has come and
//!   every blob file no paste references any more; `200 {"swept": N}`, N the
//!   pastes deleted. It finds them with [`store::EXPIRED_QUERY`].
//! - `GET /metrics`: the [`metrics::Metrics`] counters, `name value` a line.
//!
//! The `/pastes` routes are rate limited per client (the `X-Client-Id`
//! header; requests without it share the bucket `anonymous`), a token
//! bucket of [`RateLimit::burst`] refilled at [`RateLimit::per_sec`] on the
//! injected monotonic clock; each request, whatever its answer, takes one
//! token. Out of tokens: 429 `rate limited` with `Retry-After: SECONDS`,
//! the whole seconds (at least 1) until the next token. `/admin/sweep` and
//! `/metrics` are not limited.
//!
//! # The data directory
//!
//! - `pastebin.db`: SQLite, the schema of [`schema::SCHEMA`], opened with
//!   [`schema::open`]; tests read it (counts, `EXPLAIN QUERY PLAN`).
//! - `blobs/NAME`: one file per distinct body, shared by every paste with
//!   those bytes (100 identical pastes: 1 file), named by `blobs.id`; its
//!   `refs` is the number of pastes naming it, and the file is deleted with
//!   the last of them. Bytes that merely hash alike are never shared.
//! - `tmp/`: uploads in progress.
//!
//! Write order of a create: the body is written under `tmp/` and fsynced;
//! renamed into `blobs/` (the directory fsynced); then the rows are
//! committed; then the 201. Of a delete (or burn, or sweep): the rows are
//! committed, then the file is removed. A crash between steps leaves at
//! worst a file no row names. Before serving, [`run`] runs the consistency
//! check: it removes everything under `tmp/`, every paste whose blob file
//! is missing or of the wrong size (with its blob row), recounts `refs`,
//! drops blob rows no paste names, and removes every file under `blobs/`
//! that no row names; it reports what it did in the `repaired_*` metrics.

pub mod blobs;
pub mod config;
pub mod error;
pub mod gate;
pub mod limits;
pub mod metrics;
pub mod range;
pub mod routes;
pub mod schema;
pub mod store;
pub mod stream;
pub mod tokens;

use std::future::Future;
use std::sync::Arc;

pub use config::{Config, RateLimit};
pub use gate::Gate;

use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::routes::App;
use crate::store::Store;

/// Serves the pastebin on `listener` until `shutdown` completes, as the
/// crate documentation describes.
///
/// Before the first request it opens the data directory (creating it and
/// its subdirectories if needed) and runs the consistency check
/// ([`store::Store::open`]); an error there is returned, not served around.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = Arc::new(Metrics::default());
    let data_dir = config.data_dir.clone();
    let opened = {
        let metrics = Arc::clone(&metrics);
        tokio::task::spawn_blocking(move || Store::open(&data_dir, metrics)).await
    };
    let store = match opened {
        Ok(Ok((store, _repairs))) => store,
        Ok(Err(e)) => {
            return Err(std::io::Error::other(format!(
                "opening the data directory: {e:?}"
            )));
        }
        Err(e) => return Err(std::io::Error::other(e)),
    };
    let app = Arc::new(App {
        limiter: Limiter::new(config.rate, Arc::clone(&config.clock)),
        config,
        store,
        metrics,
    });
    axum::serve(listener, routes::router(app))
        .with_graceful_shutdown(shutdown)
        .await
}
