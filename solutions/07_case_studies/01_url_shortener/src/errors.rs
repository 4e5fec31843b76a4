// Given: how a refused request answers: a status, and a JSON body {"error": why}.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A request the service refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request can never succeed as sent.
    BadRequest(String),
    /// 404: no link has this code.
    NotFound,
    /// 410: the link has expired.
    Gone,
    /// 409: the alias is taken.
    Conflict(String),
    /// 429 with `Retry-After: secs`.
    TooManyRequests {
        /// Whole seconds until the client may try again (at least 1).
        retry_after_secs: u64,
    },
    /// 500: the log could not be written or read.
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, why) = match &self {
            ApiError::BadRequest(why) => (StatusCode::BAD_REQUEST, why.clone()),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "no link has this code".to_owned()),
            ApiError::Gone => (StatusCode::GONE, "this link has expired".to_owned()),
            ApiError::Conflict(why) => (StatusCode::CONFLICT, why.clone()),
            ApiError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests: slow down".to_owned(),
            ),
            ApiError::Internal(why) => (StatusCode::INTERNAL_SERVER_ERROR, why.clone()),
        };
        let mut response = (status, Json(serde_json::json!({ "error": why }))).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}
