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

/// The broker's routes.
pub fn router(broker: Broker) -> Router {
    todo!(
        "one route per endpoint of the API in lib.rs, the Broker behind an Arc<Mutex<_>> as state"
    )
}
