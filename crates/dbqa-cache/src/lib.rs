//! Cache and session stores for dbqa.
//!
//! It owns:
//! - the [`CacheStore`] backends, one file each: [`MemoryCache`] (moka, bounded by
//!   entries and bytes, TTL per entry), [`SqliteCache`] (a file that survives restarts)
//!   and [`RedisCache`] (shared between processes, native expiry, a key prefix per
//!   deployment), and [`cache_from_config`] that picks one from `CACHE_BACKEND`;
//! - [`FailSafe`], which makes every cache fault a miss: a cache that is down means no
//!   cache, not no answers;
//! - the three levels in [`Caches`] (schema, LLM response, query result, each with its
//!   TTL), typed values in a versioned envelope, and per-level statistics;
//! - every cache key, built in [`keys`];
//! - the [`SessionStore`](dbqa_core::SessionStore) backends in [`session`]
//!   ([`SqliteSessionStore`] by default, [`MemorySessionStore`], [`RedisSessionStore`])
//!   and [`session_store_from_config`].
//!
//! It must not know about the agent, any LLM, any SQL database other than its own
//! SQLite files, or HTTP: callers hand it keys and serialisable values.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use dbqa_cache::{Caches, keys};
//! use dbqa_core::AgentConfig;
//!
//! let config = AgentConfig::defaults().cache; // CACHE_BACKEND=memory by default
//! let caches = Caches::from_config(&config).await?;
//! let key = keys::llm_key("How many orders?", "schema-fp", "session-fp", "gpt-4o-mini");
//! assert_eq!(caches.llm().get::<String>(&key).await, None);
//! caches.llm().set(&key, "SELECT COUNT(*) FROM orders").await;
//! assert_eq!(caches.llm().get::<String>(&key).await.as_deref(), Some("SELECT COUNT(*) FROM orders"));
//! # Ok::<(), dbqa_cache::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Features
//!
//! | Feature  | Default | Provides |
//! |----------|---------|----------|
//! | (none)   | always  | [`MemoryCache`], [`MemorySessionStore`], [`Caches`], [`keys`], [`FailSafe`] |
//! | `sqlite` | yes     | [`SqliteCache`], [`SqliteSessionStore`] (rusqlite, bundled SQLite) |
//! | `redis`  | yes     | [`RedisCache`], [`RedisSessionStore`], [`RedisOptions`] (deadpool-redis) |
//! | `openapi` | no     | `utoipa::ToSchema` for [`CachesStats`] (dbqa-server's OpenAPI document) |
//!
//! Asking the factories for a backend that is not compiled in is
//! [`Error::FeatureDisabled`].
#![cfg_attr(docsrs, feature(doc_cfg))]

mod beside_sessions;
mod error;
pub mod examples;
mod failsafe;
pub mod keys;
mod levels;
mod memory;
#[cfg(feature = "redis")]
mod redis;
pub mod session;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

use std::sync::Arc;

use dbqa_core::{CacheBackendKind, CacheConfig, CacheStore};

pub use error::{Error, Result};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use examples::RedisExampleStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use examples::SqliteExampleStore;
pub use examples::{MemoryExampleStore, example_store_from_config};
pub use failsafe::FailSafe;
pub use levels::{Caches, CachesStats, ENVELOPE_VERSION, Level, LevelCache};
pub use memory::MemoryCache;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::{RedisCache, RedisOptions};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use session::RedisSessionStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use session::SqliteSessionStore;
pub use session::{MemorySessionStore, session_store_from_config};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteCache;

/// Builds the store chosen by `CACHE_BACKEND`, wrapped in [`FailSafe`] so its faults
/// are misses. Redis connects lazily: a server that is down now is not an error here.
///
/// Fails when the SQLite file cannot be opened, the Redis URL is malformed, or the
/// backend is not compiled in.
pub async fn cache_from_config(config: &CacheConfig) -> Result<Arc<dyn CacheStore>> {
    let store: Arc<dyn CacheStore> = match config.backend {
        CacheBackendKind::Memory => {
            Arc::new(MemoryCache::new(config.max_entries, config.max_bytes))
        }
        #[cfg(feature = "sqlite")]
        CacheBackendKind::Sqlite => Arc::new(SqliteCache::open(&config.sqlite_path).await?),
        #[cfg(not(feature = "sqlite"))]
        CacheBackendKind::Sqlite => {
            return Err(Error::FeatureDisabled {
                backend: "sqlite",
                feature: "sqlite",
            });
        }
        #[cfg(feature = "redis")]
        CacheBackendKind::Redis => Arc::new(RedisCache::new(&RedisOptions::from_config(config))?),
        #[cfg(not(feature = "redis"))]
        CacheBackendKind::Redis => {
            return Err(Error::FeatureDisabled {
                backend: "redis",
                feature: "redis",
            });
        }
    };
    Ok(Arc::new(FailSafe::new(store)))
}
