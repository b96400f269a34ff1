use std::time::Duration;

use super::kinds::InjectionPolicy;
use crate::{ConfigError, Environment};

/// What the agent may run and how questions are screened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyConfig {
    /// `READ_ONLY` (true): only plain queries, inside read-only transactions.
    pub read_only: bool,
    /// `ALLOWED_TABLES`: when set, only these tables may be read.
    pub allowed_tables: Vec<String>,
    /// `BLOCKED_TABLES`: these tables may never be read.
    pub blocked_tables: Vec<String>,
    /// `QUERY_TIMEOUT` (30 s): per-query limit, enforced by the server and the client.
    pub query_timeout: Duration,
    /// `MAX_RESULT_ROWS` (10000): rows fetched at most; the guard rewrites `LIMIT` too.
    pub max_result_rows: usize,
    /// `MAX_QUESTION_LENGTH` (4000 characters).
    pub max_question_length: usize,
    /// `MAX_SQL_LENGTH` (10000 characters): longer generated SQL is rejected.
    pub max_sql_length: usize,
    /// `PROMPT_INJECTION` (refuse): refuse, warn or off.
    pub prompt_injection: InjectionPolicy,
}

impl SafetyConfig {
    /// Environment over defaults.
    pub fn from_env(env: &Environment) -> Result<Self, ConfigError> {
        Ok(Self {
            read_only: env.bool("READ_ONLY", true)?,
            allowed_tables: env.list("ALLOWED_TABLES"),
            blocked_tables: env.list("BLOCKED_TABLES"),
            query_timeout: env.seconds("QUERY_TIMEOUT", 30.0, 0.001, 86_400.0)?,
            max_result_rows: env.number("MAX_RESULT_ROWS", 10_000, 1, 100_000_000)?,
            max_question_length: env.number("MAX_QUESTION_LENGTH", 4_000, 1, 1_000_000)?,
            max_sql_length: env.number("MAX_SQL_LENGTH", 10_000, 1, 10_000_000)?,
            prompt_injection: env.parsed("PROMPT_INJECTION", InjectionPolicy::Refuse)?,
        })
    }
}
