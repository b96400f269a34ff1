//! The shared vocabulary of dbqa: everything the other crates agree on, and nothing that
//! does I/O.
//!
//! It owns:
//! - [`Dialect`], the SQL dialects and their capabilities;
//! - the schema types ([`Schema`], [`Table`], [`Column`], [`PrimaryKey`], [`ForeignKey`], [`Index`]);
//! - the result types ([`Rows`], [`ColumnInfo`], [`Value`]);
//! - the LLM conversation types ([`Message`], [`ToolCall`], [`ToolSpec`], [`ChatRequest`], [`ChatResponse`], [`Usage`]);
//! - the backend traits ([`Database`], [`LlmProvider`], [`CacheStore`], [`SessionStore`]) and their error kinds;
//! - configuration ([`AgentConfig`] and its parts) resolved from explicit values, the
//!   environment, a `.env` file and defaults;
//! - [`SecretUrl`], so credentials never reach a log line.
//!
//! It must not know about any driver, HTTP client, cache engine or the agent: a backend
//! author depends on this crate alone.
//!
//! # Features
//!
//! | Feature | Default | What it adds |
//! |---|---|---|
//! | `openapi` | off | `utoipa::ToSchema` for the types that travel over HTTP (messages, usage, schema, sessions, cache and pool counters), for dbqa-server's OpenAPI document |
//!
//! ```
//! use dbqa_core::{AgentConfig, Dialect, Environment};
//!
//! let env = Environment::from_maps([("DATABASE_URL", "sqlite://shop.db")], Vec::<(&str, &str)>::new());
//! let config = AgentConfig::from_environment(&env)?;
//! let url = config.database.url.as_ref().expect("set above");
//! assert_eq!(Dialect::from_url(url.expose())?, Dialect::Sqlite);
//! assert_eq!(config.safety.max_result_rows, 10_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod dialect;
mod error;
mod hash;
mod message;
mod redact;
mod rows;
mod schema;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod traits;

pub use config::{
    AgentConfig, AnswerMode, CacheBackendKind, CacheConfig, DatabaseConfig, Environment,
    InjectionPolicy, ModelConfig, ModelStrategy, ModelTier, ProviderKind, SafetyConfig,
    SessionBackendKind, SslConfig, ToolMode, parse_bool,
};
pub use dialect::{ALL_DIALECTS, Dialect, NameRules, UnknownDialect};
pub use error::{ConfigError, DatabaseError, LlmError, StoreError};
pub use hash::stable_hash;
pub use message::{
    ChatRequest, ChatResponse, FinishReason, Message, ResponseFormat, Role, StreamEvent, ToolCall,
    ToolChoice, ToolSpec, Usage,
};
pub use redact::{SecretUrl, redact_url, redact_urls_in};
pub use rows::{ColumnInfo, Rows, Value};
pub use schema::{Column, ForeignKey, Index, PrimaryKey, Schema, Table, TableKind};
pub use traits::{
    CacheStats, CacheStore, ChatStream, DEFAULT_MAX_RESULT_BYTES, Database, ExampleStore,
    ExecuteOptions, LlmProvider, PoolStatus, SessionInfo, SessionStore, VerifiedExample,
};

/// Re-exported so backends and users name the same secret type.
pub use secrecy::{ExposeSecret, SecretString};
