//! Ask your SQL database questions in plain language and get correct, safe answers.
//!
//! `dbqa` is the one crate an application depends on. It re-exports the pieces of the
//! dbqa workspace under one name, with one cargo feature per backend:
//!
//! - the agent at the root: [`DatabaseQueryAgent`] (built with [`AgentBuilder`] or
//!   [`DatabaseQueryAgent::from_env`]), [`ChatSession`], [`QueryResponse`],
//!   [`AgentEvent`], [`QueryOptions`], [`Error`];
//! - configuration: [`AgentConfig`] and its parts, read from builder values over
//!   environment variables over a `.env` file over defaults (every variable is listed in
//!   `docs/CONFIGURATION.md`);
//! - the building blocks as modules: [`guard`] (the SQL guard, usable alone), [`schema`]
//!   (database connectors and the demo database), [`cache`] (cache and session stores),
//!   [`llm`] (LLM providers), [`agent`] and [`core`] (shared types and the backend traits).
//!
//! It owns nothing but these re-exports: no logic lives here.
//!
//! # Example
//!
//! An agent on the demo shop database, with an LLM written in a few lines (any
//! [`LlmProvider`] works: the ones in [`llm`] talk to OpenAI, Anthropic, Ollama and
//! OpenAI-compatible servers).
//!
//! ```
//! use std::sync::Arc;
//! use dbqa::{AgentConfig, DatabaseQueryAgent, SessionBackendKind};
//! use dbqa::core::{ChatRequest, ChatResponse, ChatStream, FinishReason, LlmError, LlmProvider, ToolCall};
//!
//! /// A stand-in for a real model: it always answers with the same tool call.
//! struct CountFrance;
//!
//! #[dbqa::async_trait]
//! impl LlmProvider for CountFrance {
//!     fn name(&self) -> &str {
//!         "count-france"
//!     }
//!     async fn chat(&self, _request: &ChatRequest) -> Result<ChatResponse, LlmError> {
//!         let arguments = r#"{"sql": "SELECT COUNT(*) AS n FROM customers WHERE country = 'France'",
//!                             "answer_template": "There are {n} customers in France."}"#;
//!         Ok(ChatResponse {
//!             tool_calls: vec![ToolCall { id: "1".into(), name: "run_sql".into(), arguments: arguments.into() }],
//!             finish_reason: FinishReason::ToolCalls,
//!             model: "count-france".into(),
//!             ..ChatResponse::default()
//!         })
//!     }
//!     async fn chat_stream(&self, _request: &ChatRequest) -> Result<ChatStream, LlmError> {
//!         Err(LlmError::NotConfigured { hint: "this example does not stream".into() })
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("shop.db");
//! dbqa::schema::demo::create_demo_database(&path)?;
//!
//! let mut config = AgentConfig::defaults(); // or AgentConfig::from_env()?
//! config.session_backend = SessionBackendKind::Memory;
//! let agent = DatabaseQueryAgent::builder()
//!     .config(config)
//!     .database_url(format!("sqlite://{}", path.display()))
//!     .llm(Arc::new(CountFrance))
//!     .build()
//!     .await?;
//!
//! let answer = agent.query("How many customers are in France?").await?;
//! let n = answer.rows[0][0].to_display_string();
//! assert_eq!(answer.natural_response, Some(format!("There are {n} customers in France.")));
//! assert_eq!(answer.llm_calls, 1);
//! assert!(answer.sql.unwrap().ends_with("LIMIT 10001")); // the guard's row limit (one more row tells a cut result)
//! # Ok(()) }
//! ```
//!
//! # Choosing backends in code
//!
//! Configuration picks backends by name (`CACHE_BACKEND`, `SESSION_BACKEND`,
//! `LLM_PROVIDER`); the builder also takes them ready-made, which wins over the
//! configuration. Building a provider or a Redis store opens no connection.
//!
//! ```
//! use std::sync::Arc;
//! use dbqa::cache::{MemoryCache, MemorySessionStore, RedisCache, RedisOptions};
//! use dbqa::core::SecretUrl;
//! use dbqa::llm::{OpenAiProvider, ProviderOptions};
//! use dbqa::{AgentConfig, DatabaseQueryAgent};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("shop.db");
//! # dbqa::schema::demo::create_demo_database(&path)?;
//! # let url = format!("sqlite://{}", path.display());
//! // A llama.cpp server (or vLLM, LM Studio) on this machine.
//! let llm = OpenAiProvider::named("llama.cpp", ProviderOptions::new("http://127.0.0.1:8080/v1"))?;
//!
//! // Redis for the caches, under a prefix of this deployment's own...
//! let redis = RedisOptions::new(SecretUrl::new("redis://127.0.0.1:6379")).with_key_prefix("shop-prod:");
//! let _shared_cache = RedisCache::new(&redis)?;
//! // ...or a bounded in-process cache: 10,000 entries, 64 MiB.
//! let cache = MemoryCache::new(10_000, 64 * 1024 * 1024);
//!
//! let agent = DatabaseQueryAgent::builder()
//!     .config(AgentConfig::defaults())
//!     .database_url(url)
//!     .llm(Arc::new(llm))
//!     .cache_store(Arc::new(cache))
//!     .session_store(Arc::new(MemorySessionStore::new()))
//!     .build()
//!     .await?;
//! assert_eq!(agent.schema().await?.tables.len(), 7); // 6 tables and a view
//! # Ok(()) }
//! ```
//!
//! More in `crates/dbqa/examples/`: `ask.rs`, `chat_session.rs`, `stream.rs`,
//! `guard_only.rs` and `axum_service.rs` (run one with
//! `cargo run -p dbqa --example ask -- "How many customers are in France?"`).
//!
//! # Features
//!
//! | Feature | Default | What it adds |
//! |---|---|---|
//! | `agent` | on (implied by every feature below) | the agent and the [`schema`], [`cache`], [`llm`] and [`agent`] modules |
//! | `sqlite` | on | SQLite databases and the demo database |
//! | `postgres` | on | PostgreSQL databases |
//! | `mysql` | on | MySQL and MariaDB databases |
//! | `mssql` | on | SQL Server databases |
//! | `sqlite-cache` | on | the SQLite cache and session stores (the default session store) |
//! | `redis` | on | the Redis cache and session stores |
//! | `openai` | on | OpenAI and OpenAI-compatible servers (vLLM, llama.cpp, LM Studio) |
//! | `anthropic` | on | Anthropic |
//! | `ollama` | on | Ollama |
//!
//! With `default-features = false` the crate is [`core`] and [`guard`] alone: no async
//! runtime, no driver, no HTTP client. A URL or backend whose feature is off fails with
//! an error naming the feature to enable.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// Shared types and the backend traits ([`Database`], [`LlmProvider`], [`CacheStore`],
/// [`SessionStore`]): the crate `dbqa-core`.
#[doc(inline)]
pub use dbqa_core as core;

/// The SQL guard, usable alone: the crate `dbqa-guard`.
#[doc(inline)]
pub use dbqa_guard as guard;

/// The agent: the crate `dbqa-agent`.
#[cfg(feature = "agent")]
#[cfg_attr(docsrs, doc(cfg(feature = "agent")))]
#[doc(inline)]
pub use dbqa_agent as agent;

/// Database connectors, schema extraction and the demo database: the crate `dbqa-schema`.
#[cfg(feature = "agent")]
#[cfg_attr(docsrs, doc(cfg(feature = "agent")))]
#[doc(inline)]
pub use dbqa_schema as schema;

/// Cache and session stores: the crate `dbqa-cache`.
#[cfg(feature = "agent")]
#[cfg_attr(docsrs, doc(cfg(feature = "agent")))]
#[doc(inline)]
pub use dbqa_cache as cache;

/// LLM providers, tool modes and model routing: the crate `dbqa-llm`.
#[cfg(feature = "agent")]
#[cfg_attr(docsrs, doc(cfg(feature = "agent")))]
#[doc(inline)]
pub use dbqa_llm as llm;

#[cfg(feature = "agent")]
#[cfg_attr(docsrs, doc(cfg(feature = "agent")))]
#[doc(inline)]
pub use dbqa_agent::{
    AgentBuilder, AgentEvent, CacheLevel, ChatSession, DatabaseQueryAgent, Error, QueryOptions,
    QueryResponse, Result, SchemaInfo, Stats, Timings,
};

/// The attribute for implementing the async backend traits ([`LlmProvider`],
/// [`Database`], [`CacheStore`], [`SessionStore`]) without depending on `async-trait`.
#[cfg(feature = "agent")]
#[cfg_attr(docsrs, doc(cfg(feature = "agent")))]
pub use async_trait::async_trait;

#[doc(inline)]
pub use dbqa_core::{
    AgentConfig, AnswerMode, CacheBackendKind, CacheConfig, CacheStore, Database, DatabaseConfig,
    Dialect, Environment, InjectionPolicy, LlmProvider, ModelConfig, ModelStrategy, ProviderKind,
    SafetyConfig, SessionBackendKind, SessionStore, SslConfig, ToolMode, Value,
};

#[doc(inline)]
pub use dbqa_guard::{Guard, GuardConfig, Rejection, Violation};
