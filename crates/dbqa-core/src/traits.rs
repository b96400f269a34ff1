//! The small contracts backends implement. Conveniences live with their callers.

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use futures_core::Stream;
use serde::{Deserialize, Serialize};

use crate::{
    ChatRequest, ChatResponse, DatabaseError, Dialect, LlmError, Message, NameRules, Rows, Schema,
    StoreError, StreamEvent,
};

/// How to run one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// Cancel the query when it runs longer than this.
    pub timeout: Duration,
    /// Fetch at most this many rows; `Rows::truncated` says whether more existed.
    pub max_rows: usize,
    /// Stop fetching once the rows hold this many bytes, and cut longer cells before
    /// copying them (`MAX_RESULT_BYTES`); `Rows::truncated` says so.
    pub max_bytes: usize,
    /// Run inside a read-only transaction (the default and strongly advised).
    pub read_only: bool,
}

/// The default of [`ExecuteOptions::max_bytes`]: 16 MiB.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 16 << 20;

impl ExecuteOptions {
    /// Read-only execution with the given timeout and row limit, and at most
    /// [`DEFAULT_MAX_RESULT_BYTES`].
    pub fn read_only(timeout: Duration, max_rows: usize) -> Self {
        Self {
            timeout,
            max_rows,
            max_bytes: DEFAULT_MAX_RESULT_BYTES,
            read_only: true,
        }
    }

    /// What the safety settings ask for: `QUERY_TIMEOUT`, `MAX_RESULT_ROWS`,
    /// `MAX_RESULT_BYTES` and `READ_ONLY`.
    pub fn from_safety(safety: &crate::SafetyConfig) -> Self {
        Self {
            timeout: safety.query_timeout,
            max_rows: safety.max_result_rows,
            max_bytes: safety.max_result_bytes,
            read_only: safety.read_only,
        }
    }

    /// These options with another byte bound.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }
}

/// Connection pool occupancy, for statistics.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PoolStatus {
    /// Connections open now.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Connections in use.
    pub in_use: u32,
    /// Connections open beyond the configured base size (`DB_POOL_SIZE`).
    pub overflow: u32,
    /// The most connections the pool will open (size + overflow).
    pub max_size: u32,
}

/// A database dbqa can describe and query.
///
/// Implementations live in `dbqa-schema`, one per dialect.
#[async_trait]
pub trait Database: Send + Sync {
    /// The SQL dialect spoken.
    fn dialect(&self) -> Dialect;

    /// A stable identity for the database without credentials (the redacted URL),
    /// used in cache keys and messages.
    fn identity(&self) -> &str;

    /// How this server resolves and compares table names (read from it at connect
    /// where it can be: the search path, the current database, `lower_case_table_names`).
    fn name_rules(&self) -> NameRules {
        NameRules::for_dialect(self.dialect())
    }

    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), DatabaseError>;

    /// Reads the full structure: tables, views, columns, keys, indexes, comments.
    async fn extract_schema(&self) -> Result<Schema, DatabaseError>;

    /// Runs one query and returns at most `options.max_rows` rows.
    async fn execute(&self, sql: &str, options: &ExecuteOptions) -> Result<Rows, DatabaseError>;

    /// Pool occupancy; backends without a pool report zeros.
    fn pool_status(&self) -> PoolStatus {
        PoolStatus::default()
    }

    /// Closes every connection; later calls fail with [`DatabaseError::Closed`].
    async fn close(&self) {}
}

/// A stream of chat events.
pub type ChatStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, LlmError>> + Send>>;

/// A chat model behind some API. Implementations live in `dbqa-llm`.
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// The provider's name (`openai`, `anthropic`, `ollama`, …).
    fn name(&self) -> &str;

    /// Sends a request and waits for the whole answer.
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError>;

    /// Sends a request and streams the answer as it is written.
    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError>;

    /// The models the server says it serves (an OpenAI-compatible `GET /models`), so that
    /// a server with one model is asked for it by name when none is configured. Empty
    /// when the provider cannot tell.
    async fn served_models(&self) -> Result<Vec<String>, LlmError> {
        Ok(Vec::new())
    }
}

/// Counters of a cache store.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CacheStats {
    /// Lookups that found a value.
    pub hits: u64,
    /// Lookups that found nothing (or an expired or undecodable value).
    pub misses: u64,
    /// Entries held now, where the backend can tell cheaply.
    pub entries: u64,
    /// Entries evicted for space.
    pub evictions: u64,
    /// Operations that failed and were treated as misses.
    pub errors: u64,
}

/// A key-value store with per-entry expiry. Implementations live in `dbqa-cache`.
#[async_trait]
pub trait CacheStore: Send + Sync {
    /// The backend's name (`memory`, `sqlite`, `redis`).
    fn backend(&self) -> &'static str;

    /// Reads a live value.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes a value that expires after `ttl`.
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError>;

    /// Removes a value.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// Removes every value this store owns (only its own key prefix on a shared server).
    async fn clear(&self) -> Result<(), StoreError>;

    /// Current counters.
    fn stats(&self) -> CacheStats;
}

/// A chat session's summary.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session id.
    pub id: String,
    /// Messages held.
    pub message_count: u64,
    /// Last append, in milliseconds since the Unix epoch.
    pub last_activity_ms: i64,
}

/// Durable conversation history. Implementations live in `dbqa-cache`.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The backend's name.
    fn backend(&self) -> &'static str;

    /// Appends a message to a session, creating the session if needed.
    async fn append(&self, session_id: &str, message: &Message) -> Result<(), StoreError>;

    /// A session's messages, oldest first; empty for an unknown session.
    async fn load(&self, session_id: &str) -> Result<Vec<Message>, StoreError>;

    /// Removes a session's messages but keeps the session listed.
    async fn clear(&self, session_id: &str) -> Result<(), StoreError>;

    /// Removes a session entirely.
    async fn delete(&self, session_id: &str) -> Result<(), StoreError>;

    /// Every session, most recently active first.
    async fn list(&self) -> Result<Vec<SessionInfo>, StoreError>;
}

/// A question with the SQL a person confirmed answers it, on one database: shown to the
/// model as an example for similar questions, and reused without a model for the same
/// question.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedExample {
    /// Stable per question on its database (the same question confirmed again replaces
    /// its SQL).
    pub id: String,
    /// The question as asked.
    pub question: String,
    /// The SQL that answers it.
    pub sql: String,
    /// When it was confirmed, in milliseconds since the Unix epoch.
    pub added_at_ms: i64,
}

/// Where verified examples are kept, per database (`scope` is the database's
/// [`Database::identity`]). Implementations live in `dbqa-cache`, on the session
/// store's backends.
#[async_trait]
pub trait ExampleStore: Send + Sync {
    /// The backend's name.
    fn backend(&self) -> &'static str;

    /// Adds an example, replacing the one with the same id.
    async fn put(&self, scope: &str, example: &VerifiedExample) -> Result<(), StoreError>;

    /// Every example of `scope`, oldest first.
    async fn list(&self, scope: &str) -> Result<Vec<VerifiedExample>, StoreError>;

    /// Removes an example; `false` when there was none with that id.
    async fn remove(&self, scope: &str, id: &str) -> Result<bool, StoreError>;
}
