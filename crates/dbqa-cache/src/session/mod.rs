//! Durable conversation history: the [`SessionStore`] backends and their factory.

mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::sync::Arc;

use dbqa_core::{AgentConfig, Message, SessionInfo, SessionStore, StoreError};

pub use memory::MemorySessionStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::RedisSessionStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteSessionStore;

use crate::Result;

/// Builds the session store chosen by `SESSION_BACKEND`: SQLite at `SESSION_DB_PATH`
/// (the default), memory, or Redis at `REDIS_URL` under `CACHE_KEY_PREFIX` (with a 2 s
/// timeout per operation; session errors are returned, not hidden).
pub async fn session_store_from_config(config: &AgentConfig) -> Result<Arc<dyn SessionStore>> {
    crate::beside_sessions::open::<Sessions>(config).await
}

/// The session store on each backend.
struct Sessions;

impl crate::beside_sessions::BesideSessions for Sessions {
    type Store = dyn SessionStore;

    fn memory() -> Arc<Self::Store> {
        Arc::new(MemorySessionStore::new())
    }

    #[cfg(feature = "sqlite")]
    async fn sqlite(path: &std::path::Path) -> Result<Arc<Self::Store>> {
        Ok(Arc::new(SqliteSessionStore::open(path).await?))
    }

    #[cfg(feature = "redis")]
    fn redis(options: &crate::RedisOptions) -> Result<Arc<Self::Store>> {
        Ok(Arc::new(RedisSessionStore::new(options)?))
    }
}

/// Decodes a stored message.
#[allow(dead_code)] // unused when only the memory backend is compiled
fn decode_message(body: &str) -> Result<Message, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Decode {
        message: format!("a stored session message: {e}"),
    })
}

/// Most recently active first; ties by id so the order is stable.
fn sort_sessions(list: &mut [SessionInfo]) {
    list.sort_by(|a, b| {
        b.last_activity_ms
            .cmp(&a.last_activity_ms)
            .then_with(|| a.id.cmp(&b.id))
    });
}
