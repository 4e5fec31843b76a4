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
    Router::new()
        .route("/shorten", post(shorten))
        .route("/metrics", get(metrics))
        .route("/{code}", get(redirect))
        .route("/{code}/stats", get(stats))
        .with_state(state)
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
    state.limit(&headers, peer)?;
    // Parsed by hand rather than with axum's `Json`, which answers 415 or
    // 422 for some bad bodies: every malformed request here is a 400.
    let request: ShortenRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"url\": ..., \"alias\"?: ..., \"ttl_secs\"?: ...}}: {e}"
        ))
    })?;
    validate::url(&request.url)?;
    if let Some(ttl) = request.ttl_secs {
        validate::ttl_secs(ttl)?;
    }
    if let Some(alias) = &request.alias {
        validate::alias(alias)?;
    }
    let link = state
        .store
        .create(&request.url, request.alias.as_deref(), request.ttl_secs)
        .await
        .map_err(|e| match e {
            CreateError::Taken => ApiError::Conflict("alias: taken".to_owned()),
            CreateError::Io(e) => ApiError::Internal(format!("the log: {e}")),
        })?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let body = json!({
        "code": link.code,
        "short_url": format!("http://{host}/{}", link.code),
        "url": link.url,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
    });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn redirect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.limit(&headers, peer)?;
    let link = state.live_link(&code).await?;
    state.clicks.record(&code);
    // Never longer than the link lives, and never long: a browser that
    // cached a redirect does not ask again, so it could outlive an expiry
    // and its clicks would go uncounted.
    let max_age = match link.expires_at {
        None => MAX_AGE_SECS,
        Some(at) => MAX_AGE_SECS.min(at.saturating_sub(state.clock.unix_millis()) / 1_000),
    };
    let location = HeaderValue::try_from(link.url.as_str())
        .map_err(|e| ApiError::Internal(format!("a stored URL is not a header value: {e}")))?;
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::try_from(format!("private, max-age={max_age}")).expect("ASCII"),
    );
    Ok(response)
}

async fn stats(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.limit(&headers, peer)?;
    let link = match state.store.lookup(&code) {
        Lookup::Unknown => return Err(ApiError::NotFound),
        // An expired link still has its history.
        Lookup::Found { location, .. } => state.load(&code, location).await?,
    };
    let body = json!({
        "code": link.code,
        "url": link.url,
        "clicks": state.store.clicks(&code),
        "created_at": link.created_at,
        "expires_at": link.expires_at,
    });
    Ok(axum::Json(body).into_response())
}

async fn metrics(State(state): State<AppState>) -> String {
    state.metrics.render(state.cache.len())
}

impl AppState {
    /// Admits the request or refuses it with 429. The client is the
    /// `x-client-id` header, or the peer's IP address without one.
    fn limit(&self, headers: &HeaderMap, peer: SocketAddr) -> Result<(), ApiError> {
        let client = headers
            .get(CLIENT_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map_or_else(|| peer.ip().to_string(), str::to_owned);
        self.limiter
            .check(&client)
            .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })
    }

    /// The link of `code` if it exists and has not expired. The keydir
    /// decides both, in memory, before the cache is asked: the cache holds
    /// only what never changes.
    async fn live_link(&self, code: &str) -> Result<Arc<Link>, ApiError> {
        match self.store.lookup(code) {
            Lookup::Unknown => Err(ApiError::NotFound),
            Lookup::Found { expired: true, .. } => Err(ApiError::Gone),
            Lookup::Found { location, .. } => self.load(code, location).await,
        }
    }

    async fn load(
        &self,
        code: &str,
        location: crate::log::Location,
    ) -> Result<Arc<Link>, ApiError> {
        self.cache
            .get_or_load(code, || self.store.read(location))
            .await
            .map_err(|e| ApiError::Internal(format!("the log: {e}")))
    }
}
