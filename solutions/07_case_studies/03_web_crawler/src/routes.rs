//! The HTTP control API (see the crate documentation, "HTTP API").

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::crawl::{CrawlRequest, Crawler, Shared, lock};
use crate::url::Url;

/// The page budget when `POST /crawls` names none.
pub const DEFAULT_MAX_PAGES: u64 = 10_000;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/crawls", post(create))
        .route("/crawls/{id}", get(status))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

fn error(status: StatusCode, why: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": why.into() }))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    seeds: Vec<String>,
    max_depth: u32,
    #[serde(default = "default_max_pages")]
    max_pages: u64,
}

fn default_max_pages() -> u64 {
    DEFAULT_MAX_PAGES
}

async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let body: CreateBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "expected {{\"seeds\": [\"http://...\"], \"max_depth\": n, \"max_pages\": n}}: {e}"
                ),
            );
        }
    };
    if body.seeds.is_empty() {
        return error(StatusCode::BAD_REQUEST, "seeds: give at least one URL");
    }
    if body.max_pages == 0 {
        return error(StatusCode::BAD_REQUEST, "max_pages: at least 1");
    }
    let mut seeds = Vec::with_capacity(body.seeds.len());
    for seed in &body.seeds {
        match Url::parse(seed) {
            Some(url) => seeds.push(url),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("seed {seed:?} is not an absolute http URL"),
                );
            }
        }
    }
    let id = {
        let mut next = lock(&shared.next_id);
        *next += 1;
        *next - 1
    };
    let request = CrawlRequest {
        seeds: body.seeds,
        max_depth: body.max_depth,
        max_pages: body.max_pages,
    };
    let crawler = Crawler::start(Arc::clone(&shared), id, request, &seeds);
    // Acknowledged only once it would survive a crash.
    if let Err(e) = crawler.save().await {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot checkpoint: {e}"),
        );
    }
    shared.spawn(crawler);
    (StatusCode::CREATED, axum::Json(json!({ "id": id }))).into_response()
}

async fn status(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let view = id
        .parse::<u64>()
        .ok()
        .and_then(|n| lock(&shared.crawls).get(&n).cloned());
    let Some(view) = view else {
        return error(StatusCode::NOT_FOUND, format!("no crawl {id}"));
    };
    let view = lock(&view).clone();
    let pages: Vec<_> = view
        .pages
        .iter()
        .map(|(url, depth)| json!({ "url": url, "depth": depth }))
        .collect();
    let state = if view.done { "done" } else { "running" };
    axum::Json(
        json!({ "id": id.parse::<u64>().unwrap_or_default(), "state": state, "pages": pages }),
    )
    .into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> String {
    shared.counters.render()
}
