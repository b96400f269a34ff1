//! Configuration in three layers: explicit values > environment (process, then `.env`) > defaults.
//!
//! Variable names and defaults follow the original Python library's, so its users find
//! the settings they know (docs/CONFIGURATION.md lists every one).
//! Every reader names the variable in its error when a value is invalid.

mod agent;
mod cache;
mod database;
mod env;
mod kinds;
mod model;
mod safety;

pub use agent::AgentConfig;
pub use cache::CacheConfig;
pub use database::{DatabaseConfig, SslConfig};
pub use env::{Environment, parse_bool};
pub use kinds::{
    AnswerMode, CacheBackendKind, InjectionPolicy, ModelStrategy, ProviderKind, SessionBackendKind,
    ToolMode,
};
pub use model::{ModelConfig, ModelTier};
pub use safety::SafetyConfig;

#[cfg(test)]
mod tests;
