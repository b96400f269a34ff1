//! The backend `SESSION_BACKEND` names, for every store kept beside the sessions
//! (conversation history, verified examples): one choice, so they live and last together.

use std::sync::Arc;

use dbqa_core::{AgentConfig, SessionBackendKind};

#[allow(unused_imports)] // used only by some feature sets
use crate::Error;
use crate::Result;

/// How one kind of store opens on each session backend.
pub(crate) trait BesideSessions {
    /// The store as the rest of dbqa sees it (`dyn SessionStore`, `dyn ExampleStore`).
    type Store: ?Sized;
    /// In this process's memory.
    fn memory() -> Arc<Self::Store>;
    /// In the SQLite file at `SESSION_DB_PATH`.
    #[cfg(feature = "sqlite")]
    async fn sqlite(path: &std::path::Path) -> Result<Arc<Self::Store>>;
    /// In Redis under `CACHE_KEY_PREFIX`.
    #[cfg(feature = "redis")]
    fn redis(options: &crate::RedisOptions) -> Result<Arc<Self::Store>>;
}

/// Opens `S` on the backend `config` chooses; a backend not compiled in is
/// [`Error::FeatureDisabled`].
pub(crate) async fn open<S: BesideSessions>(config: &AgentConfig) -> Result<Arc<S::Store>> {
    match config.session_backend {
        SessionBackendKind::Memory => Ok(S::memory()),
        #[cfg(feature = "sqlite")]
        SessionBackendKind::Sqlite => S::sqlite(&config.session_db_path).await,
        #[cfg(not(feature = "sqlite"))]
        SessionBackendKind::Sqlite => Err(Error::FeatureDisabled {
            backend: "sqlite",
            feature: "sqlite",
        }),
        #[cfg(feature = "redis")]
        SessionBackendKind::Redis => {
            // History is not optional like a cache: wait longer before giving up.
            let options = crate::RedisOptions::from_config(&config.cache)
                .with_timeout(std::time::Duration::from_secs(2));
            S::redis(&options)
        }
        #[cfg(not(feature = "redis"))]
        SessionBackendKind::Redis => Err(Error::FeatureDisabled {
            backend: "redis",
            feature: "redis",
        }),
    }
}
