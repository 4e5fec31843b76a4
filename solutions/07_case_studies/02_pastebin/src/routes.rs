//! The HTTP API: one handler per route, each a few steps over the store.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;

use crate::config::Config;
use crate::error::ApiError;
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::range::{self, Ranged};
use crate::store::{NewPaste, Store};
use crate::stream::FileBody;
use crate::tokens;

/// The content type stored when a create does not send one.
pub const DEFAULT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// The header that carries a paste's delete token.
pub const DELETE_TOKEN_HEADER: &str = "x-delete-token";

/// What every handler shares.
#[derive(Debug)]
pub struct App {
    /// The settings.
    pub config: Config,
    /// Rows and blob files.
    pub store: Store,
    /// The counters.
    pub metrics: Arc<Metrics>,
    /// The per-client buckets.
    pub limiter: Limiter,
}

impl App {
    fn now(&self) -> u64 {
        self.config.clock.unix_millis()
    }

    fn limit(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        self.limiter
            .check(&Limiter::client_of(headers))
            .map_err(|retry_after_secs| {
                Metrics::bump(&self.metrics.rate_limited);
                ApiError::RateLimited { retry_after_secs }
            })
    }
}

/// The routes over `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/pastes", post(create))
        .route("/pastes/{token}", get(read).delete(delete))
        .route("/admin/sweep", post(sweep))
        .route("/metrics", get(metrics))
        .with_state(app)
}

/// The query of a create.
#[derive(Debug, Deserialize)]
pub struct CreateParams {
    /// Seconds until it expires.
    pub ttl: Option<u64>,
    /// Burn after the first read.
    #[serde(default)]
    pub burn: bool,
}

async fn create(
    State(app): State<Arc<App>>,
    Query(params): Query<CreateParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    app.limit(&headers)?;
    let now = app.now();
    let expires_at = match params.ttl {
        Some(0) => return Err(ApiError::BadTtl),
        Some(secs) => Some(now.saturating_add(secs.saturating_mul(1000))),
        None => None,
    };
    let max = app.config.max_bytes;
    // A declared length over the limit is refused before one byte is read.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max) {
        return Err(ApiError::TooLarge);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(DEFAULT_CONTENT_TYPE)
        .to_owned();

    // The limit applies while reading: a chunked body that never ends is
    // refused as soon as it passes `max`, never buffered.
    let mut upload = app.store.blobs().upload().await?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::Internal(format!("request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if upload.len() + data.len() as u64 > max {
                return Err(ApiError::TooLarge);
            }
            upload.write(&data).await?;
        }
    }
    if upload.is_empty() {
        return Err(ApiError::Empty);
    }
    let sealed = upload.seal().await?;
    let size = sealed.len;
    let new = NewPaste {
        content_type,
        expires_at,
        burn: params.burn,
    };
    let created = app.store.create(sealed, new, now).await?;
    Metrics::bump(&app.metrics.pastes_created);
    let location = format!("/pastes/{}", created.token);
    let body = json!({
        "token": created.token,
        "delete_token": created.delete_token,
        "size": size,
        "expires_at": expires_at,
        "burn": params.burn,
    });
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(body),
    )
        .into_response())
}

async fn read(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.limit(&headers)?;
    if !tokens::is_token(&token) {
        return Err(ApiError::NotFound);
    }
    let found = app.store.read(token, app.now()).await?;
    if let Some(gate) = &app.config.before_body {
        gate.pass().await;
    }
    let size = found.size;
    // The one read of a burn-after-read paste gets all of it.
    let ranged = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(range) if !found.burned => range::parse(range, size),
        _ => Ranged::Whole,
    };
    let (status, start, end) = match ranged {
        Ranged::Whole => (StatusCode::OK, 0, size - 1),
        Ranged::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        Ranged::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable { size }),
    };
    let len = end - start + 1;
    let body = FileBody::new(found.file, start, len, Arc::clone(&app.metrics));
    let mut response = Response::new(Body::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&found.content_type)
        .map_err(|e| ApiError::Internal(format!("stored content type: {e}")))?;
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{end}/{size}");
        headers.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&range).expect("digits are a valid header value"),
        );
    }
    Ok(response)
}

async fn delete(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    app.limit(&headers)?;
    if !tokens::is_token(&token) {
        return Err(ApiError::NotFound);
    }
    let secret = headers
        .get(DELETE_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    app.store.delete(token, secret).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sweep(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let swept = app.store.sweep(app.now()).await?;
    Ok(axum::Json(json!({ "swept": swept })).into_response())
}

async fn metrics(State(app): State<Arc<App>>) -> String {
    app.metrics.render()
}
