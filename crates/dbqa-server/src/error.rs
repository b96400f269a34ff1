//! The crate's error type, the typed error kinds, and the JSON error body every failed
//! request gets.

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
    /// A file the server reads at start (tokens, audit log) cannot be used.
    #[error("{name}: {message}")]
    File {
        /// The variable naming the file.
        name: &'static str,
        /// What is wrong.
        message: String,
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
    /// A stable name for the kind of error.
    pub kind: ErrorKind,
    /// A message safe to show a user (no secrets, no internals).
    pub message: String,
}

/// Every kind of error the API answers with: the agent's (`input`, `validation`, …) and
/// the server's own (`unauthorized`, `bad_request`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The question is empty or too long.
    Input,
    /// The question looks like prompt injection.
    PromptInjection,
    /// Every SQL was refused by the guard.
    Validation,
    /// Every SQL failed in the database.
    Execution,
    /// The model gave no SQL and no answer.
    NoAnswer,
    /// The LLM cannot be reached.
    LlmUnavailable,
    /// The LLM answered unusably.
    Llm,
    /// The database cannot be reached.
    DatabaseUnavailable,
    /// The database failed.
    Database,
    /// A query ran out of time.
    Timeout,
    /// The session store failed.
    SessionStore,
    /// The server is not configured as it should be.
    Config,
    /// The agent was closed.
    Closed,
    /// No or a wrong bearer token.
    Unauthorized,
    /// The `Host` header names no address this server answers for.
    ForbiddenHost,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// The request is malformed.
    BadRequest,
    /// The request took longer than allowed.
    RequestTimeout,
    /// No such route.
    NotFound,
    /// No such session (for this user).
    SessionNotFound,
    /// The server is shutting down.
    ShuttingDown,
}

impl ErrorKind {
    /// The kind of an agent error.
    fn of(error: &dbqa_agent::Error) -> Self {
        match error.kind() {
            "input" => Self::Input,
            "prompt_injection" => Self::PromptInjection,
            "validation" => Self::Validation,
            "execution" => Self::Execution,
            "no_answer" => Self::NoAnswer,
            "llm_unavailable" => Self::LlmUnavailable,
            "llm" => Self::Llm,
            "database_unavailable" => Self::DatabaseUnavailable,
            "database" => Self::Database,
            "timeout" => Self::Timeout,
            "session_store" => Self::SessionStore,
            "closed" => Self::Closed,
            _ => Self::Config,
        }
    }

    /// The kind's wire name (`bad_request`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::PromptInjection => "prompt_injection",
            Self::Validation => "validation",
            Self::Execution => "execution",
            Self::NoAnswer => "no_answer",
            Self::LlmUnavailable => "llm_unavailable",
            Self::Llm => "llm",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::Database => "database",
            Self::Timeout => "timeout",
            Self::SessionStore => "session_store",
            Self::Config => "config",
            Self::Closed => "closed",
            Self::Unauthorized => "unauthorized",
            Self::ForbiddenHost => "forbidden_host",
            Self::PayloadTooLarge => "payload_too_large",
            Self::BadRequest => "bad_request",
            Self::RequestTimeout => "request_timeout",
            Self::NotFound => "not_found",
            Self::SessionNotFound => "session_not_found",
            Self::ShuttingDown => "shutting_down",
        }
    }
}

/// An error on its way to becoming an HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
        }
    }

    /// A 400 with `message`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorKind::BadRequest, message)
    }

    pub(crate) fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                kind: self.kind,
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
        Self::new(status, ErrorKind::of(&error), error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
