//! The HTTP API: axum handlers over the store, the cache, the limiter and
//! the click counter.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kit::clock::Clock;
use serde::Deserialize;
use serde_json::json;

use crate::cache::Cache;
use crate::clicks::Clicks;
use crate::errors::ApiError;
use crate::limits::RateLimiter;
use crate::metrics::Metrics;
use crate::store::{CreateError, Link, Lookup, Store};
use crate::validate;

/// The header that names the client for rate limiting.
pub const CLIENT_HEADER: &str = "x-client-id";

/// The longest a redirect may be cached, in seconds.
pub const MAX_AGE_SECS: u64 = 300;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub cache: Arc<Cache>,
    pub limiter: Arc<RateLimiter>,
    pub clicks: Clicks,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
}

/// The routes.
pub fn router(state: AppState) -> Router {
    todo!("POST /shorten, GET /metrics, GET /{{code}}, GET /{{code}}/stats")
}

#[derive(Debug, Deserialize)]
struct ShortenRequest {
    url: String,
    alias: Option<String>,
    ttl_secs: Option<u64>,
}

async fn shorten(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    todo!(
        "limit, parse the body (any error is a 400), validate, create, answer 201 with the JSON body"
    )
}

async fn redirect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    todo!(
        "limit, find the live link (404, 410), count the click, answer 302 with Location and Cache-Control"
    )
}

async fn stats(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    todo!("limit, look the link up (expired ones too), answer its stats")
}

async fn metrics(State(state): State<AppState>) -> String {
    todo!("render the counters with the cache's size")
}

impl AppState {
    /// Admits the request or refuses it with 429. The client is the
    /// `x-client-id` header, or the peer's IP address without one.
    fn limit(&self, headers: &HeaderMap, peer: SocketAddr) -> Result<(), ApiError> {
        todo!("the client is x-client-id or the peer IP; 429 with Retry-After when refused")
    }

    /// The link of `code` if it exists and has not expired. The keydir
    /// decides both, in memory, before the cache is asked: the cache holds
    /// only what never changes.
    async fn live_link(&self, code: &str) -> Result<Arc<Link>, ApiError> {
        todo!("Unknown -> 404, expired -> 410, else the link through the cache")
    }

    async fn load(
        &self,
        code: &str,
        location: crate::log::Location,
    ) -> Result<Arc<Link>, ApiError> {
        todo!("the link through the cache, loading it from the store on a miss")
    }
}
