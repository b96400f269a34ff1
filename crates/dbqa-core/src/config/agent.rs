//! [`AgentConfig`]: everything the agent needs, the other configuration pieces included.

use std::path::PathBuf;

use super::kinds::{AnswerMode, SessionBackendKind};
use super::{CacheConfig, DatabaseConfig, ModelConfig, SafetyConfig};
use crate::{ConfigError, Environment};

/// Everything the agent needs, resolved in three layers: explicit values (set fields or
/// builder methods after resolving) over environment variables over a `.env` file over
/// defaults.
///
/// ```
/// use dbqa_core::{AgentConfig, Environment};
/// let env = Environment::from_maps([("MAX_TABLES_IN_CONTEXT", "8")], Vec::<(&str, &str)>::new());
/// let mut config = AgentConfig::from_environment(&env).unwrap();
/// assert_eq!(config.max_tables_in_context, 8);   // environment over default
/// assert!(config.safety.read_only);                // default
/// config.safety.read_only = false;                 // explicit over everything
/// ```
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Database settings.
    pub database: DatabaseConfig,
    /// LLM settings.
    pub model: ModelConfig,
    /// Cache settings.
    pub cache: CacheConfig,
    /// Safety settings.
    pub safety: SafetyConfig,
    /// `LAZY_SCHEMA_LOADING` (true): put only the relevant tables in the prompt.
    pub lazy_schema_loading: bool,
    /// `MAX_TABLES_IN_CONTEXT` (8): tables described in full in the prompt when the
    /// schema is over the budget.
    pub max_tables_in_context: usize,
    /// `SCHEMA_TOKEN_BUDGET` (3000): a schema whose rendering fits this many tokens goes
    /// into the prompt whole; a larger one is cut to the relevant tables (columns first).
    pub schema_token_budget: usize,
    /// `SCHEMA_GLOSSARY`: a file of business terms (`term = table[.column] : description`)
    /// that steer table selection and are explained in the prompt.
    pub schema_glossary: Option<PathBuf>,
    /// `ENABLE_STREAMING` (false): stream answers by default where the interface can.
    pub enable_streaming: bool,
    /// `WARMUP_ON_INIT` (false): load the schema when the agent is built.
    pub warmup_on_init: bool,
    /// `SESSION_BACKEND` (sqlite).
    pub session_backend: SessionBackendKind,
    /// `SESSION_DB_PATH` (`./sessions.db`).
    pub session_db_path: PathBuf,
    /// `MAX_RETRIES` (2): corrections after a rejected or failing SQL.
    pub max_retries: u32,
    /// `ANSWER_MODE` (template).
    pub answer_mode: AnswerMode,
    /// `EXAMPLES_FILE`: a JSON file of verified examples (`[{"question": …, "sql": …}]`)
    /// used beside the ones confirmed in the session store.
    pub examples_file: Option<PathBuf>,
    /// `EXAMPLES_IN_PROMPT` (3): the most similar verified examples shown to the model
    /// (0: none).
    pub examples_in_prompt: usize,
    /// `REUSE_VERIFIED_EXAMPLES` (true): a question that says the same as a verified one
    /// is answered by re-running its SQL, with no LLM call.
    pub reuse_verified_examples: bool,
}

impl AgentConfig {
    /// Reads the process environment and `./.env` over defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_environment(&Environment::from_process()?)
    }

    /// Reads the given environment over defaults.
    pub fn from_environment(env: &Environment) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseConfig::from_env(env)?,
            model: ModelConfig::from_env(env)?,
            cache: CacheConfig::from_env(env)?,
            safety: SafetyConfig::from_env(env)?,
            lazy_schema_loading: env.bool("LAZY_SCHEMA_LOADING", true)?,
            max_tables_in_context: env.number("MAX_TABLES_IN_CONTEXT", 8, 1, 10_000)?,
            schema_token_budget: env.number("SCHEMA_TOKEN_BUDGET", 3000, 100, 1_000_000)?,
            schema_glossary: env.string("SCHEMA_GLOSSARY").map(PathBuf::from),
            enable_streaming: env.bool("ENABLE_STREAMING", false)?,
            warmup_on_init: env.bool("WARMUP_ON_INIT", false)?,
            session_backend: env.parsed("SESSION_BACKEND", SessionBackendKind::Sqlite)?,
            session_db_path: env.path("SESSION_DB_PATH", "./sessions.db"),
            max_retries: env.number("MAX_RETRIES", 2, 0, 20)?,
            answer_mode: env.parsed("ANSWER_MODE", AnswerMode::Template)?,
            examples_file: env.string("EXAMPLES_FILE").map(PathBuf::from),
            examples_in_prompt: env.number("EXAMPLES_IN_PROMPT", 3, 0, 50)?,
            reuse_verified_examples: env.bool("REUSE_VERIFIED_EXAMPLES", true)?,
        })
    }

    /// Defaults only, ignoring the environment.
    pub fn defaults() -> Self {
        // Defaults are constants that always validate.
        Self::from_environment(&Environment::empty()).unwrap_or_else(|_| unreachable!())
    }
}
