//! The agent's error type: messages safe to show a user (no secrets, no stack traces),
//! and whether the LLM or the database could not be reached.

use dbqa_core::{ConfigError, DatabaseError, LlmError, StoreError};

/// Everything that can go wrong answering a question.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The question is empty.
    #[error("the question is empty: ask something about the data")]
    EmptyQuestion,
    /// The question is longer than `MAX_QUESTION_LENGTH`.
    #[error("the question is {length} characters long; the limit is {max} (MAX_QUESTION_LENGTH)")]
    QuestionTooLong {
        /// Its length in characters.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// The question looks like prompt injection and the policy is `refuse`.
    #[error(
        "question refused: it {reason} (set PROMPT_INJECTION=warn to answer such questions with a warning)"
    )]
    PromptInjection {
        /// What it tried.
        reason: String,
    },
    /// Every SQL the model wrote was refused by the guard.
    #[error(
        "the generated SQL was refused after {attempts} attempt(s): {message}{}",
        said(reply)
    )]
    ValidationFailed {
        /// SQL attempts made.
        attempts: u32,
        /// The guard's last verdict.
        message: String,
        /// What the model replied instead of more SQL, if it did.
        reply: Option<String>,
    },
    /// Every SQL the model wrote failed in the database.
    #[error(
        "the generated SQL failed after {attempts} attempt(s): {message}{}",
        said(reply)
    )]
    ExecutionFailed {
        /// SQL attempts made.
        attempts: u32,
        /// The database's last error.
        message: String,
        /// What the model replied instead of more SQL, if it did.
        reply: Option<String>,
    },
    /// The model stopped without SQL or an answer.
    #[error("the model gave no SQL and no answer; try rephrasing the question")]
    NoAnswer,
    /// SQL a person wrote ([`DatabaseQueryAgent::run_sql`](crate::DatabaseQueryAgent::run_sql))
    /// was refused by the guard.
    #[error("the SQL was refused: {message}")]
    SqlRefused {
        /// The guard's verdict.
        message: String,
    },
    /// SQL a person wrote failed in the database.
    #[error("the SQL failed: {message}")]
    SqlFailed {
        /// The database's error.
        message: String,
    },
    /// The LLM could not be reached or refused to work (connection, auth, rate limit,
    /// server errors, timeouts).
    #[error("the LLM is unavailable: {0}")]
    LlmUnavailable(LlmError),
    /// The LLM answered in a way that cannot be used.
    #[error("the LLM failed: {0}")]
    Llm(LlmError),
    /// The database could not be reached.
    #[error("the database is unavailable: {0}")]
    DatabaseUnavailable(DatabaseError),
    /// The database failed outside a query the model wrote (schema extraction).
    #[error("database error: {0}")]
    Database(DatabaseError),
    /// A query ran out of time.
    #[error("the query timed out: {0}")]
    Timeout(DatabaseError),
    /// The session store failed.
    #[error("the session store failed: {0}")]
    SessionStore(StoreError),
    /// Configuration is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The agent cannot be built as asked.
    #[error("cannot build the agent: {0}")]
    Build(String),
    /// The agent was closed.
    #[error("the agent is closed")]
    Closed,
}

/// The model's closing reply, for an error message.
fn said(reply: &Option<String>) -> String {
    match reply {
        Some(text) => format!(" (the model then replied: {})", text.trim()),
        None => String::new(),
    }
}

/// `Result` with the agent's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A short stable name for statistics and logs (`validation`, `execution`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::EmptyQuestion | Error::QuestionTooLong { .. } => "input",
            Error::PromptInjection { .. } => "prompt_injection",
            Error::ValidationFailed { .. } | Error::SqlRefused { .. } => "validation",
            Error::ExecutionFailed { .. } | Error::SqlFailed { .. } => "execution",
            Error::NoAnswer => "no_answer",
            Error::LlmUnavailable(_) => "llm_unavailable",
            Error::Llm(_) => "llm",
            Error::DatabaseUnavailable(_) => "database_unavailable",
            Error::Database(_) => "database",
            Error::Timeout(_) => "timeout",
            Error::SessionStore(_) => "session_store",
            Error::Config(_) => "config",
            Error::Build(_) => "build",
            Error::Closed => "closed",
        }
    }

    /// The LLM could not be reached (the CLI exits with 3, the server answers 502/503).
    pub fn is_llm_unavailable(&self) -> bool {
        matches!(self, Error::LlmUnavailable(_))
    }

    /// The database could not be reached.
    pub fn is_database_unavailable(&self) -> bool {
        matches!(self, Error::DatabaseUnavailable(_))
    }

    /// The question or SQL itself was refused (bad input, injection, SQL the guard or the
    /// database refused): the user must change it.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::EmptyQuestion
                | Error::QuestionTooLong { .. }
                | Error::PromptInjection { .. }
                | Error::SqlRefused { .. }
                | Error::SqlFailed { .. }
        )
    }

    /// Whether asking again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::LlmUnavailable(e) | Error::Llm(e) => e.is_retryable(),
            Error::DatabaseUnavailable(e) | Error::Database(e) | Error::Timeout(e) => {
                e.is_retryable()
            }
            Error::SessionStore(e) => e.is_retryable(),
            _ => false,
        }
    }
}

impl From<LlmError> for Error {
    fn from(error: LlmError) -> Self {
        match error {
            LlmError::InvalidResponse { .. } | LlmError::BadRequest { .. } => Error::Llm(error),
            other => Error::LlmUnavailable(other),
        }
    }
}

impl From<DatabaseError> for Error {
    fn from(error: DatabaseError) -> Self {
        if error.is_unreachable() {
            Error::DatabaseUnavailable(error)
        } else if matches!(error, DatabaseError::Timeout { .. }) {
            Error::Timeout(error)
        } else {
            Error::Database(error)
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        Error::SessionStore(error)
    }
}
