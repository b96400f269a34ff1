//! The dbqa agent: questions in plain language to SQL to answers.
//!
//! It owns:
//! - [`DatabaseQueryAgent`] (built with [`AgentBuilder`]) and [`ChatSession`]: `query`,
//!   `query_with`, `query_stream`, sessions, `schema`, `schema_info`, `stats`, `close`;
//! - the query path, one `Turn` per question through its stages: screening
//!   ([`screen`]), history, the LLM-response cache keyed with the session context, the
//!   schema context (relevant tables by [`selection`], rendered by [`render`], prompts of
//!   [`prompt`]), the tool loop with the guard and self-correction (`run_sql`,
//!   `describe_tables`), execution through the query-result cache, the answer (a
//!   [`template`] filled locally or a second, streamed LLM call), session history and
//!   statistics ([`Stats`]);
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
pub mod chart;
pub mod context;
mod correction;
mod coverage;
mod edited_sql;
mod error;
pub mod examples;
mod execute;
pub mod glossary;
mod lexicon;
mod llm;
pub mod prompt;
mod relative_time;
pub mod render;
mod response;
pub mod screen;
pub mod selection;
pub mod sentence;
mod session;
mod state;
mod stats;
pub mod template;
#[cfg(test)]
mod testutil;
mod tool_loop;
mod turn;
pub mod values;
mod verified;
mod written;

pub use agent::{DatabaseQueryAgent, Relationship, SchemaInfo};
pub use builder::AgentBuilder;
pub use error::{Error, Result};
pub use response::{AgentEvent, CacheLevel, QueryOptions, QueryResponse, Timings};
pub use session::ChatSession;
pub use stats::{LatencySummary, Stage, Stats};

use screen::{detect_casual, detect_injection};
use template::fill_template;
