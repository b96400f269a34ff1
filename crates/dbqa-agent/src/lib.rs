//! The dbqa agent: questions in plain language to SQL to answers.
//!
//! It owns:
//! - [`DatabaseQueryAgent`] (built with [`AgentBuilder`] or [`DatabaseQueryAgent::from_env`])
//!   and [`ChatSession`]: `query`, `query_with`, `query_stream`, sessions, `schema`,
//!   `schema_info`, `stats`, `close`;
//! - the query path of DESIGN.md §3: input screening ([`detect_casual`],
//!   [`detect_injection`]), the LLM-response cache keyed with the session context,
//!   relevant-table selection ([`select_tables`]), compact schema rendering
//!   ([`render_schema`]), prompts ([`system_prompt`], [`tools`]), the tool loop with the
//!   guard and self-correction (`run_sql`, `describe_tables`), execution through the
//!   query-result cache, answers from templates ([`fill_template`]) or a second (streamed)
//!   LLM call, session history and statistics ([`Stats`]);
//! - the typed [`QueryResponse`], [`AgentEvent`] and [`Error`].
//!
//! It must not know about HTTP, the command line or any particular driver, cache engine
//! or LLM API: it orchestrates `dbqa-schema`, `dbqa-guard`, `dbqa-cache` and `dbqa-llm`
//! through the `dbqa-core` traits. Nothing read from the database reaches the model
//! except between `<data>` markers, and no SQL runs without passing the guard.
//!
//! ```no_run
//! # async fn run() -> dbqa_agent::Result<()> {
//! use dbqa_agent::DatabaseQueryAgent;
//! use futures::StreamExt;
//!
//! let agent = DatabaseQueryAgent::from_env().await?; // DATABASE_URL, OPENAI_API_KEY, …
//! let answer = agent.query("How many customers are in France?").await?;
//! println!("{:?} ({} LLM call(s))", answer.natural_response, answer.llm_calls);
//!
//! let chat = agent.create_session("alice");
//! chat.ask("How many orders shipped in 2025?").await?;
//! let mut events = std::pin::pin!(chat.ask_stream("and in 2024?"));
//! while let Some(event) = events.next().await {
//!     println!("{:?}", event?);
//! }
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! | Feature | Default | What it adds |
//! |---|---|---|
//! | `sqlite`, `postgres`, `mysql`, `mssql` | on | the database connectors of `dbqa-schema` |
//! | `sqlite-cache`, `redis` | on | the SQLite and Redis cache and session stores of `dbqa-cache` |
//! | `openai`, `anthropic`, `ollama` | on | the LLM providers of `dbqa-llm` |
//! | `openapi` | off | `utoipa::ToSchema` for the response, schema and statistics types (dbqa-server's OpenAPI document) |
mod agent;
mod builder;
mod error;
mod llm;
mod prompt;
mod relevance;
mod render;
mod response;
mod run;
mod samples;
mod screen;
mod session;
mod stats;
mod template;
#[cfg(test)]
mod testutil;

pub use agent::{DatabaseQueryAgent, Relationship, SchemaInfo};
pub use builder::AgentBuilder;
pub use error::{Error, Result};
pub use prompt::{
    PromptContext, answer_request, missing_column_hint, rows_as_data, sql_error_message,
    sql_result_message, system_prompt, tools,
};
pub use relevance::{ScoredTable, Selection, select_tables};
pub use render::{SampleValues, render_schema, render_table};
pub use response::{AgentEvent, CacheLevel, QueryOptions, QueryResponse, Timings};
pub use screen::{Casual, InjectionKind, InjectionSignal, detect_casual, detect_injection};
pub use session::ChatSession;
pub use stats::{LatencySummary, RESERVOIR, Stage, Stats, StatsRecorder};
pub use template::{TemplateError, fill_template};
