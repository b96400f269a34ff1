//! Verified examples ([`ExampleStore`]): questions with SQL a person confirmed, per
//! database, kept on the session store's backend (`SESSION_BACKEND`) so they last as
//! long as the conversations do.

mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::sync::Arc;

use dbqa_core::{AgentConfig, ExampleStore, StoreError, VerifiedExample};

pub use memory::MemoryExampleStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::RedisExampleStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteExampleStore;

use crate::Result;

/// The example store beside the session store `SESSION_BACKEND` chooses: SQLite in the
/// same file (`SESSION_DB_PATH`), memory, or Redis under `CACHE_KEY_PREFIX`.
pub async fn example_store_from_config(config: &AgentConfig) -> Result<Arc<dyn ExampleStore>> {
    crate::beside_sessions::open::<Examples>(config).await
}

/// The example store on each backend.
struct Examples;

impl crate::beside_sessions::BesideSessions for Examples {
    type Store = dyn ExampleStore;

    fn memory() -> Arc<Self::Store> {
        Arc::new(MemoryExampleStore::new())
    }

    #[cfg(feature = "sqlite")]
    async fn sqlite(path: &std::path::Path) -> Result<Arc<Self::Store>> {
        Ok(Arc::new(SqliteExampleStore::open(path).await?))
    }

    #[cfg(feature = "redis")]
    fn redis(options: &crate::RedisOptions) -> Result<Arc<Self::Store>> {
        Ok(Arc::new(RedisExampleStore::new(options)?))
    }
}

/// Decodes a stored example.
#[allow(dead_code)] // unused when only the memory backend is compiled
fn decode_example(body: &str) -> Result<VerifiedExample, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Decode {
        message: format!("a stored verified example: {e}"),
    })
}

/// Oldest first; ties by id so the order is stable.
fn sort_examples(list: &mut [VerifiedExample]) {
    list.sort_by(|a, b| {
        a.added_at_ms
            .cmp(&b.added_at_ms)
            .then_with(|| a.id.cmp(&b.id))
    });
}
