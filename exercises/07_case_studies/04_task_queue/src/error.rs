// Given: the broker's errors and the HTTP answer each one gets.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a broker operation was refused.
#[derive(Debug)]
pub enum Error {
    /// No task has this id: 404 `{"error": "no such task"}`.
    NotFound,
    /// The lease is not the task's current, unexpired lease (it expired, the
    /// task was leased again, or it is finished): 409 `{"error": "stale lease"}`.
    StaleLease,
    /// The write-ahead log could not be written: 500 `{"error": "storage: ..."}`.
    /// Nothing was acknowledged, and nothing changed in memory.
    Storage(std::io::Error),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Storage(e)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Error::NotFound => (StatusCode::NOT_FOUND, "no such task".to_owned()),
            Error::StaleLease => (StatusCode::CONFLICT, "stale lease".to_owned()),
            Error::Storage(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("storage: {e}")),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}
