// Given: every refusal the service makes, and the status and JSON it answers with.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request the service refuses, or a failure of its own. The body is
/// `{"error": "<the message below>"}`.
#[derive(Debug)]
pub enum ApiError {
    /// 400 `empty paste`.
    Empty,
    /// 400 `ttl must be at least 1 second`.
    BadTtl,
    /// 404 `paste not found`: no such token, deleted, burned or swept.
    NotFound,
    /// 410 `paste expired`: past its expiry, not yet swept.
    Expired,
    /// 403 `wrong delete token`.
    WrongDeleteToken,
    /// 413 `paste too large`.
    TooLarge,
    /// 416 `range not satisfiable`, with `Content-Range: bytes */SIZE`.
    RangeNotSatisfiable { size: u64 },
    /// 429 `rate limited`, with `Retry-After: SECONDS`.
    RateLimited { retry_after_secs: u64 },
    /// 500 `internal error`; the cause goes to stderr, not to the client.
    Internal(String),
}

impl ApiError {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Empty | ApiError::BadTtl => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Expired => StatusCode::GONE,
            ApiError::WrongDeleteToken => StatusCode::FORBIDDEN,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` message.
    pub fn message(&self) -> &'static str {
        match self {
            ApiError::Empty => "empty paste",
            ApiError::BadTtl => "ttl must be at least 1 second",
            ApiError::NotFound => "paste not found",
            ApiError::Expired => "paste expired",
            ApiError::WrongDeleteToken => "wrong delete token",
            ApiError::TooLarge => "paste too large",
            ApiError::RangeNotSatisfiable { .. } => "range not satisfiable",
            ApiError::RateLimited { .. } => "rate limited",
            ApiError::Internal(_) => "internal error",
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::Internal(format!("io: {e}"))
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Internal(format!("sqlite: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            eprintln!("pastebin: {cause}");
        }
        let mut response =
            (self.status(), Json(json!({ "error": self.message() }))).into_response();
        let extra = match self {
            ApiError::RangeNotSatisfiable { size } => {
                Some((header::CONTENT_RANGE, format!("bytes */{size}")))
            }
            ApiError::RateLimited { retry_after_secs } => {
                Some((header::RETRY_AFTER, retry_after_secs.to_string()))
            }
            _ => None,
        };
        if let Some((name, value)) = extra {
            let value = HeaderValue::from_str(&value).expect("digits are a valid header value");
            response.headers_mut().insert(name, value);
        }
        response
    }
}
