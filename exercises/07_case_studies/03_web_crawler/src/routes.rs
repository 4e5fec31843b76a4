//! The HTTP control API (see the crate documentation, "HTTP API").

use std::sync::Arc;

use axum::Router;

use crate::crawl::Shared;

/// The page budget when `POST /crawls` names none.
pub const DEFAULT_MAX_PAGES: u64 = 10_000;

/// `POST /crawls`, `GET /crawls/{id}` and `GET /metrics` (the counters are
/// rendered by [`crate::metrics::Counters::render`]).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    // TODO: take the POST body as bytes and parse it yourself: axum's Json
    // extractor answers 415 or 422 where the contract says 400.
    todo!("the routes")
}
