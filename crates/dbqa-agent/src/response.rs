//! What a question returns: the typed response, per-call options and streamed events.

use dbqa_core::{AnswerMode, Usage, Value};
use serde::{Deserialize, Serialize};

/// Which cache level answered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CacheLevel {
    /// Nothing cached: the question was worked out afresh.
    #[default]
    None,
    /// The LLM-response cache: no LLM call, no SQL run.
    Llm,
    /// The query-result cache: the LLM wrote the SQL, its result came from the cache.
    Query,
}

/// Time spent per stage, in milliseconds.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Timings {
    /// Loading the schema (cache or database).
    pub schema_ms: f64,
    /// Waiting for the LLM (all calls).
    pub llm_ms: f64,
    /// Validating SQL.
    pub guard_ms: f64,
    /// Running SQL (all attempts).
    pub execute_ms: f64,
    /// The whole question.
    pub total_ms: f64,
}

/// The answer to a question.
///
/// Built by the agent only (`#[non_exhaustive]`: fields may be added); read its fields.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct QueryResponse {
    /// The question as asked.
    pub question: String,
    /// The SQL that ran (as rewritten by the guard), unless not requested or none was needed.
    pub sql: Option<String>,
    /// The tables the SQL reads, as the guard resolved them.
    pub tables: Vec<String>,
    /// Result column names.
    pub columns: Vec<String>,
    /// Result rows (empty when rows were not requested).
    pub rows: Vec<Vec<Value>>,
    /// Rows the query returned (also when `rows` was not requested).
    pub row_count: usize,
    /// True when the result was cut at the row limit.
    pub truncated: bool,
    /// A chart of the result as a Vega-Lite spec with the data inline, when one fits (a
    /// category or date column with numbers; see [`crate::chart`]) and rows were requested.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub chart: Option<serde_json::Value>,
    /// The answer in plain language, unless answer mode `none`.
    pub natural_response: Option<String>,
    /// Which cache level answered.
    pub cached: CacheLevel,
    /// The id of the verified example whose SQL answered, re-run with no LLM call.
    pub verified_example: Option<String>,
    /// The model that wrote the SQL or answer (`None` when no LLM was involved).
    pub model: Option<String>,
    /// Tokens used by this question's LLM calls.
    pub usage: Usage,
    /// LLM calls made for this question (0 on an LLM-cache hit or casual reply).
    pub llm_calls: u32,
    /// Time per stage.
    pub timings: Timings,
    /// The chat session, when asked within one.
    pub session_id: Option<String>,
    /// Things the user should know (prompt-injection warning, guard rewrites, fallbacks).
    pub warnings: Vec<String>,
}

/// Per-question options; the defaults return everything and follow the configuration.
///
/// ```
/// use dbqa_agent::QueryOptions;
/// use dbqa_core::AnswerMode;
/// let options = QueryOptions::in_session("alice")
///     .answer_mode(AnswerMode::None)
///     .use_cache(false);
/// assert_eq!(options.session_id.as_deref(), Some("alice"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueryOptions {
    /// Include the SQL in the response.
    pub return_sql: bool,
    /// Include the rows in the response.
    pub return_rows: bool,
    /// Override the configured answer mode (`AnswerMode::None`: no answer in words).
    pub answer_mode: Option<AnswerMode>,
    /// Ask within this chat session: its history is used and extended.
    pub session_id: Option<String>,
    /// Read and write the LLM and query-result caches.
    pub use_cache: bool,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            return_sql: true,
            return_rows: true,
            answer_mode: None,
            session_id: None,
            use_cache: true,
        }
    }
}

impl QueryOptions {
    /// The defaults within a session.
    pub fn in_session(id: impl Into<String>) -> Self {
        Self::default().session(id)
    }

    /// Asks within this chat session.
    #[must_use]
    pub fn session(mut self, id: impl Into<String>) -> Self {
        self.session_id = Some(id.into());
        self
    }

    /// Whether the response carries the SQL.
    #[must_use]
    pub fn return_sql(mut self, yes: bool) -> Self {
        self.return_sql = yes;
        self
    }

    /// Whether the response carries the rows.
    #[must_use]
    pub fn return_rows(mut self, yes: bool) -> Self {
        self.return_rows = yes;
        self
    }

    /// How the answer is written, over the configured `ANSWER_MODE`.
    #[must_use]
    pub fn answer_mode(mut self, mode: AnswerMode) -> Self {
        self.answer_mode = Some(mode);
        self
    }

    /// Whether the LLM and query-result caches are read and written.
    #[must_use]
    pub fn use_cache(mut self, yes: bool) -> Self {
        self.use_cache = yes;
        self
    }
}

/// One step of a streamed answer, in this order: `Status`…, `Sql`, `Rows`, `Token`…,
/// `Done` (a cache hit or casual reply yields `Done` at once, after one `Status`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentEvent {
    /// What the agent is doing (`loading schema`, `writing SQL`, `running SQL`, …).
    Status {
        /// A short description.
        message: String,
    },
    /// The SQL about to run (after the guard's rewrite).
    Sql {
        /// The statement.
        sql: String,
    },
    /// The result rows.
    Rows {
        /// Column names.
        columns: Vec<String>,
        /// The rows (empty when rows were not requested).
        rows: Vec<Vec<Value>>,
        /// Rows returned.
        row_count: usize,
        /// Whether the result was cut at the row limit.
        truncated: bool,
    },
    /// A piece of the natural-language answer.
    Token {
        /// The text.
        text: String,
    },
    /// The complete response; the last event.
    Done {
        /// The response.
        response: Box<QueryResponse>,
    },
}

impl AgentEvent {
    /// The event's name, as its `type` tag and as the SSE event name: `status`, `sql`,
    /// `rows`, `token` or `done`.
    pub fn name(&self) -> &'static str {
        match self {
            AgentEvent::Status { .. } => "status",
            AgentEvent::Sql { .. } => "sql",
            AgentEvent::Rows { .. } => "rows",
            AgentEvent::Token { .. } => "token",
            AgentEvent::Done { .. } => "done",
        }
    }
}
