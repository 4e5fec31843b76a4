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
        todo!("the injected clock's unix_millis")
    }

    fn limit(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        todo!(
            "Limiter::check on the client of these headers; Err -> count it and ApiError::RateLimited"
        )
    }
}

/// The routes over `app`.
pub fn router(app: Arc<App>) -> Router {
    todo!(
        "POST /pastes, GET and DELETE /pastes/{{token}}, POST /admin/sweep, GET /metrics, with_state(app)"
    )
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
    todo!(
        "limit, ttl, Content-Length, then read frames into an Upload, 413 as soon as it passes max_bytes; seal; store.create; 201"
    )
}

async fn read(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    todo!(
        "limit, is_token, store.read, the gate, the range, then a FileBody response with its headers"
    )
}

async fn delete(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    todo!("limit, is_token, X-Delete-Token, store.delete, 204")
}

async fn sweep(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    todo!("store.sweep, then {{\"swept\": n}}")
}

async fn metrics(State(app): State<Arc<App>>) -> String {
    todo!("render the counters")
}
