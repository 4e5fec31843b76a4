//! The HTTP API: each route parses its request, runs one [`Broker`]
//! operation under the lock, and answers JSON.
//!
//! The operations run on tokio's blocking pool: each may fsync the log, and
//! an fsync must not stall the runtime's threads (and with them every other
//! connection).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::broker::Broker;
use crate::error::Error;
use crate::task::{CompleteRequest, EnqueueRequest, FailRequest, HeartbeatRequest, LeaseRequest};

type Shared = Arc<Mutex<Broker>>;

/// The broker's routes.
pub fn router(broker: Broker) -> Router {
    Router::new()
        .route("/tasks", post(enqueue))
        .route("/tasks/{id}", get(status))
        .route("/tasks/{id}/heartbeat", post(heartbeat))
        .route("/tasks/{id}/complete", post(complete))
        .route("/tasks/{id}/fail", post(fail))
        .route("/lease", post(lease))
        .route("/dead-letter", get(dead_letter))
        .route("/metrics", get(metrics))
        .with_state(Arc::new(Mutex::new(broker)))
}

/// Runs `op` on the broker, off the async threads.
async fn with_broker<T: Send + 'static>(
    broker: Shared,
    op: impl FnOnce(&mut Broker) -> T + Send + 'static,
) -> T {
    tokio::task::spawn_blocking(move || op(&mut lock(&broker)))
        .await
        .unwrap_or_else(|panicked| std::panic::resume_unwind(panicked.into_panic()))
}

fn lock(broker: &Mutex<Broker>) -> MutexGuard<'_, Broker> {
    // A panic under the lock happens before a record is applied or after it
    // is applied whole (apply itself does not fail), so the state is sound.
    broker.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn enqueue(State(broker): State<Shared>, Json(request): Json<EnqueueRequest>) -> Response {
    match with_broker(broker, move |b| b.enqueue(request)).await {
        Ok((id, true)) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
        Ok((id, false)) => (StatusCode::OK, Json(json!({ "id": id }))).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn lease(State(broker): State<Shared>, Json(request): Json<LeaseRequest>) -> Response {
    match with_broker(broker, move |b| {
        b.lease(request.worker, request.visibility_ms)
    })
    .await
    {
        Ok(Some(leased)) => Json(leased).into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn heartbeat(
    State(broker): State<Shared>,
    Path(id): Path<u64>,
    Json(request): Json<HeartbeatRequest>,
) -> Result<Response, Error> {
    let expires_at = with_broker(broker, move |b| {
        b.heartbeat(id, request.lease, request.visibility_ms)
    })
    .await?;
    Ok(Json(json!({ "expires_at": expires_at })).into_response())
}

async fn complete(
    State(broker): State<Shared>,
    Path(id): Path<u64>,
    Json(request): Json<CompleteRequest>,
) -> Result<Response, Error> {
    with_broker(broker, move |b| {
        b.complete(id, request.lease, request.result)
    })
    .await?;
    Ok(Json(json!({ "state": "done" })).into_response())
}

async fn fail(
    State(broker): State<Shared>,
    Path(id): Path<u64>,
    Json(request): Json<FailRequest>,
) -> Result<Response, Error> {
    let answer = with_broker(broker, move |b| {
        b.fail(id, request.lease, request.error)
            .map(|task| json!({ "state": task.state, "run_at": task.run_at }))
    })
    .await?;
    Ok(Json(answer).into_response())
}

async fn status(State(broker): State<Shared>, Path(id): Path<u64>) -> Result<Response, Error> {
    let task = with_broker(broker, move |b| b.status(id).cloned()).await?;
    Ok(Json(task).into_response())
}

async fn dead_letter(State(broker): State<Shared>) -> Response {
    let tasks = with_broker(broker, |b| {
        b.dead_letters()
            .into_iter()
            .map(
                |t| json!({ "id": t.id, "kind": t.kind, "failures": t.failures, "error": t.error }),
            )
            .collect::<Vec<_>>()
    })
    .await;
    Json(json!({ "tasks": tasks })).into_response()
}

async fn metrics(State(broker): State<Shared>) -> String {
    with_broker(broker, Broker::metrics).await
}
