//! [`SafetyConfig`]: what may run and what reaches the model (`READ_ONLY`, table and
//! function lists, result bounds, privacy, prompt-injection screening).

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
    /// `BLOCKED_TABLES`: these tables may never be read, shown, sampled or described.
    pub blocked_tables: Vec<String>,
    /// `ALLOWED_FUNCTIONS`: functions accepted beyond the dialect's analyst functions.
    pub allowed_functions: Vec<String>,
    /// `QUERY_TIMEOUT` (30 s): per-query limit, enforced by the server and the client.
    pub query_timeout: Duration,
    /// `MAX_RESULT_ROWS` (10000): rows fetched at most; the guard rewrites `LIMIT` too.
    pub max_result_rows: usize,
    /// `MAX_RESULT_BYTES` (16 MiB): result size at most, counted while rows are fetched;
    /// longer cells are cut first.
    pub max_result_bytes: usize,
    /// `SEND_ROWS_TO_LLM` (true): when false, no row, sample or indexed value reaches
    /// the model; answers come from templates or the deterministic sentence.
    pub send_rows_to_llm: bool,
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
            allowed_functions: env.list("ALLOWED_FUNCTIONS"),
            query_timeout: env.seconds("QUERY_TIMEOUT", 30.0, 0.001, 86_400.0)?,
            max_result_rows: env.number("MAX_RESULT_ROWS", 10_000, 1, 100_000_000)?,
            max_result_bytes: env.number(
                "MAX_RESULT_BYTES",
                crate::DEFAULT_MAX_RESULT_BYTES,
                1024,
                1 << 40,
            )?,
            send_rows_to_llm: env.bool("SEND_ROWS_TO_LLM", true)?,
            max_question_length: env.number("MAX_QUESTION_LENGTH", 4_000, 1, 1_000_000)?,
            max_sql_length: env.number("MAX_SQL_LENGTH", 10_000, 1, 10_000_000)?,
            prompt_injection: env.parsed("PROMPT_INJECTION", InjectionPolicy::Refuse)?,
        })
    }
}
