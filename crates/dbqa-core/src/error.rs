//! The error kinds of the backend traits and of configuration.
//!
//! Every variant carries what a user needs to act on it and never a secret: database
//! targets are URLs with the password removed, API keys never appear.

use std::time::Duration;

/// An error from a [`Database`](crate::Database) backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// The URL could not be understood.
    #[error("invalid database url: {message}")]
    InvalidUrl {
        /// What is wrong (never includes the password).
        message: String,
    },
    /// The backend for this URL is not compiled in.
    #[error("{dialect} support is not compiled in: enable the `{feature}` feature")]
    FeatureDisabled {
        /// The dialect asked for.
        dialect: String,
        /// The cargo feature that provides it.
        feature: String,
    },
    /// The server could not be reached.
    #[error("cannot connect to {target}: {message}")]
    Connection {
        /// The redacted URL or address.
        target: String,
        /// The driver's message.
        message: String,
    },
    /// The server refused the credentials.
    #[error("authentication failed for {target}: {message}")]
    Authentication {
        /// The redacted URL.
        target: String,
        /// The driver's message.
        message: String,
    },
    /// The database named in the URL does not exist.
    #[error("database `{name}` does not exist on {target}")]
    UnknownDatabase {
        /// The redacted URL.
        target: String,
        /// The missing database.
        name: String,
    },
    /// No pooled connection became free in time.
    #[error(
        "no database connection became free within {waited:?} (pool of {max_size} connections is exhausted)"
    )]
    PoolExhausted {
        /// How long the caller waited.
        waited: Duration,
        /// The pool's maximum size.
        max_size: u32,
    },
    /// The query ran longer than allowed and was cancelled.
    #[error("query timed out after {after:?} and was cancelled")]
    Timeout {
        /// The limit that was passed.
        after: Duration,
    },
    /// A write reached a read-only connection or transaction.
    #[error("write refused: the connection is read-only ({message})")]
    ReadOnly {
        /// The database's message.
        message: String,
    },
    /// The database rejected or failed the query.
    #[error("query failed: {message}{}", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default())]
    Query {
        /// The database's message.
        message: String,
        /// The database's error code (SQLSTATE or vendor code), when it gives one.
        code: Option<String>,
    },
    /// The connection broke while in use (e.g. the server terminated it).
    #[error("database connection lost: {message}")]
    ConnectionLost {
        /// The driver's message.
        message: String,
    },
    /// A value could not be read from a result.
    #[error("cannot read a result value: {message}")]
    Decode {
        /// What failed.
        message: String,
    },
    /// The connector was closed.
    #[error("the database connector is closed")]
    Closed,
}

impl DatabaseError {
    /// Whether trying again later may succeed (network trouble, pool pressure, a lost
    /// connection), as opposed to errors that will repeat (bad SQL, bad credentials).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            DatabaseError::Connection { .. }
                | DatabaseError::PoolExhausted { .. }
                | DatabaseError::ConnectionLost { .. }
                | DatabaseError::Timeout { .. }
        )
    }

    /// Whether the database could not be reached at all (as opposed to a query failing).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            DatabaseError::Connection { .. }
                | DatabaseError::Authentication { .. }
                | DatabaseError::UnknownDatabase { .. }
                | DatabaseError::PoolExhausted { .. }
                | DatabaseError::Closed
        )
    }
}

/// An error from an [`LlmProvider`](crate::LlmProvider).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// No provider or key is configured.
    #[error("no LLM is configured: {hint}")]
    NotConfigured {
        /// How to configure one.
        hint: String,
    },
    /// The provider refused the API key.
    #[error("{provider} refused the API key (HTTP {status}): {message}")]
    Authentication {
        /// Provider name.
        provider: String,
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// The provider asked us to slow down, and retries ran out.
    #[error("{provider} rate limit hit (HTTP 429) after {attempts} attempt(s){}", retry_after.map(|d| format!("; it asked to wait {d:?}")).unwrap_or_default())]
    RateLimited {
        /// Provider name.
        provider: String,
        /// How often the request was tried.
        attempts: u32,
        /// The wait the provider asked for, if it said.
        retry_after: Option<Duration>,
    },
    /// The provider failed (5xx), and retries ran out.
    #[error("{provider} server error (HTTP {status}) after {attempts} attempt(s): {message}")]
    Server {
        /// Provider name.
        provider: String,
        /// HTTP status.
        status: u16,
        /// How often the request was tried.
        attempts: u32,
        /// The provider's message.
        message: String,
    },
    /// The provider rejected the request as invalid (4xx other than auth and 429).
    #[error("{provider} rejected the request (HTTP {status}): {message}")]
    BadRequest {
        /// Provider name.
        provider: String,
        /// HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// No answer within the request timeout.
    #[error("{provider} did not answer within {after:?}")]
    Timeout {
        /// Provider name.
        provider: String,
        /// The timeout.
        after: Duration,
    },
    /// The provider could not be reached, and retries ran out.
    #[error("cannot reach {provider} at {endpoint}: {message}")]
    Connection {
        /// Provider name.
        provider: String,
        /// The base URL.
        endpoint: String,
        /// What failed.
        message: String,
    },
    /// The answer could not be understood (malformed JSON, missing fields).
    #[error("{provider} sent a response dbqa cannot read: {message}")]
    InvalidResponse {
        /// Provider name.
        provider: String,
        /// What was wrong.
        message: String,
    },
    /// A streamed answer broke off before its end.
    #[error("{provider} stream broke off before the answer ended: {message}")]
    StreamInterrupted {
        /// Provider name.
        provider: String,
        /// What happened.
        message: String,
    },
}

impl LlmError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LlmError::RateLimited { .. }
                | LlmError::Server { .. }
                | LlmError::Timeout { .. }
                | LlmError::Connection { .. }
                | LlmError::StreamInterrupted { .. }
        )
    }
}

/// An error from a [`CacheStore`](crate::CacheStore) or [`SessionStore`](crate::SessionStore).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend could not be reached (Redis down, file locked).
    #[error("{backend} store unavailable: {message}")]
    Unavailable {
        /// Backend name (`memory`, `sqlite`, `redis`).
        backend: String,
        /// What failed.
        message: String,
    },
    /// The backend failed an operation.
    #[error("{backend} store failed: {message}")]
    Backend {
        /// Backend name.
        backend: String,
        /// What failed.
        message: String,
    },
    /// A stored value could not be decoded.
    #[error("stored value cannot be decoded: {message}")]
    Decode {
        /// What was wrong.
        message: String,
    },
}

impl StoreError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}

/// An invalid or missing configuration value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting has a value that cannot be used.
    #[error("invalid value `{value}` for {variable}: {reason}")]
    Invalid {
        /// The environment variable (or setting) name.
        variable: String,
        /// The value given (`(redacted)` for secrets).
        value: String,
        /// What was expected.
        reason: String,
    },
    /// A required setting is missing.
    #[error("{variable} is not set: {hint}")]
    Missing {
        /// The environment variable name.
        variable: String,
        /// How to set it.
        hint: String,
    },
    /// The `.env` file exists but cannot be read.
    #[error("cannot read {path}: {message}")]
    DotEnv {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
}
