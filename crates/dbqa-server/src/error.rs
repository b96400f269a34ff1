//! The crate's error type and the JSON error body every failed request gets.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What can stop the server (or the MCP server) from starting or running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening address cannot be bound.
    #[error("cannot listen on {addr}: {source} (choose another --bind address)")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed after starting.
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    /// The MCP transport (stdin/stdout) failed.
    #[error("the MCP transport failed: {0}")]
    Transport(std::io::Error),
    /// A server setting is invalid.
    #[error("{name} is {value:?}; expected {expected}")]
    InvalidSetting {
        /// The variable or flag.
        name: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
}

/// `Result` with the server's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The body of every error response: `{"error": {"kind": …, "message": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong, for people (`message`) and programs (`kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable name: the agent's error kind (`input`, `prompt_injection`,
    /// `llm_unavailable`, …) or the server's (`unauthorized`, `payload_too_large`,
    /// `bad_request`, `request_timeout`, `not_found`).
    pub kind: String,
    /// A message safe to show a user (no secrets, no internals).
    pub message: String,
}

/// An error on its way to becoming an HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) kind: String,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind: kind.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                kind: self.kind.clone(),
                message: self.message.clone(),
            },
        }
    }
}

/// The HTTP status for an agent error: 400 for a refused question, 422 when no usable
/// SQL came of it, 502 for the LLM, 503 for the database or stores, 504 for time.
pub fn status_for(error: &dbqa_agent::Error) -> StatusCode {
    use dbqa_agent::Error as E;
    if error.is_user_error() {
        return StatusCode::BAD_REQUEST;
    }
    if error.is_llm_unavailable() {
        return StatusCode::BAD_GATEWAY;
    }
    if error.is_database_unavailable() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match error {
        E::ValidationFailed { .. } | E::ExecutionFailed { .. } | E::NoAnswer => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        E::Llm(_) => StatusCode::BAD_GATEWAY,
        E::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        E::Database(_) | E::SessionStore(_) | E::Closed => StatusCode::SERVICE_UNAVAILABLE,
        // Configuration problems are the operator's: say so without internals.
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl From<dbqa_agent::Error> for ApiError {
    fn from(error: dbqa_agent::Error) -> Self {
        let status = status_for(&error);
        if status.is_server_error() {
            tracing::warn!(kind = error.kind(), "request failed: {error}");
        }
        Self::new(status, error.kind(), error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
