//! [`CacheConfig`]: the cache levels, their lifetimes and backend (`CACHE_*`, `REDIS_URL`).

use std::path::PathBuf;
use std::time::Duration;

use super::kinds::CacheBackendKind;
use crate::{ConfigError, Environment, SecretUrl};

/// The three cache levels and where they live.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    /// `CACHE_ENABLED` (true).
    pub enabled: bool,
    /// `CACHE_BACKEND` (memory).
    pub backend: CacheBackendKind,
    /// `CACHE_SCHEMA_TTL` (3600 s).
    pub schema_ttl: Duration,
    /// `CACHE_QUERY_TTL` (300 s): query results.
    pub query_ttl: Duration,
    /// `CACHE_LLM_TTL` (3600 s): LLM responses.
    pub llm_ttl: Duration,
    /// `REDIS_URL` (redis://127.0.0.1:6379): for the Redis cache and session backends.
    pub redis_url: SecretUrl,
    /// `CACHE_KEY_PREFIX` (`dbqa:`): lets several deployments share one Redis.
    pub key_prefix: String,
    /// `CACHE_DB_PATH` (`./dbqa-cache.db`): the SQLite cache file.
    pub sqlite_path: PathBuf,
    /// `CACHE_MAX_ENTRIES` (10000): memory backend entry bound.
    pub max_entries: u64,
    /// `CACHE_MAX_BYTES` (67108864): memory backend size bound.
    pub max_bytes: u64,
}

impl CacheConfig {
    /// Environment over defaults.
    pub fn from_env(env: &Environment) -> Result<Self, ConfigError> {
        Ok(Self {
            enabled: env.bool("CACHE_ENABLED", true)?,
            backend: env.parsed("CACHE_BACKEND", CacheBackendKind::Memory)?,
            schema_ttl: env.seconds("CACHE_SCHEMA_TTL", 3600.0, 0.0, 31_536_000.0)?,
            query_ttl: env.seconds("CACHE_QUERY_TTL", 300.0, 0.0, 31_536_000.0)?,
            llm_ttl: env.seconds("CACHE_LLM_TTL", 3600.0, 0.0, 31_536_000.0)?,
            redis_url: SecretUrl::new(env.get("REDIS_URL").unwrap_or("redis://127.0.0.1:6379")),
            key_prefix: env.get("CACHE_KEY_PREFIX").unwrap_or("dbqa:").to_string(),
            sqlite_path: env.path("CACHE_DB_PATH", "./dbqa-cache.db"),
            max_entries: env.number("CACHE_MAX_ENTRIES", 10_000, 1, u64::MAX)?,
            max_bytes: env.number("CACHE_MAX_BYTES", 64 * 1024 * 1024, 1024, u64::MAX)?,
        })
    }
}
