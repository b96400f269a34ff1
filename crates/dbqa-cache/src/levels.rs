//! The three cache levels (schema, LLM response, query result) over one store, with
//! typed values in a versioned envelope and counters per level.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dbqa_core::{CacheConfig, CacheStats, CacheStore};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Result;

/// The envelope format. Bump it when the envelope or a cached type changes shape: old
/// values then read as misses, never as garbage.
pub const ENVELOPE_VERSION: u32 = 1;

/// A cache level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Extracted schemas (`CACHE_SCHEMA_TTL`, 1 h).
    Schema,
    /// LLM responses (`CACHE_LLM_TTL`, 1 h).
    Llm,
    /// Query results (`CACHE_QUERY_TTL`, 5 min).
    Query,
}

impl Level {
    /// The level's name, which is also its key namespace.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Schema => "schema",
            Level::Llm => "llm",
            Level::Query => "query",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T: ?Sized> {
    v: u32,
    level: Level,
    data: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeHeader {
    v: u32,
    level: Level,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    data: T,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
}

/// One level: typed get/set with the level's TTL. Never fails: an unavailable store
/// or an undecodable value is a miss, and counted.
pub struct LevelCache {
    level: Level,
    store: Option<Arc<dyn CacheStore>>,
    ttl: Duration,
    counters: Counters,
}

impl fmt::Debug for LevelCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LevelCache")
            .field("level", &self.level)
            .field("enabled", &self.store.is_some())
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl LevelCache {
    fn new(level: Level, store: Option<Arc<dyn CacheStore>>, ttl: Duration) -> Self {
        Self {
            level,
            store,
            ttl,
            counters: Counters::default(),
        }
    }

    /// Which level this is.
    pub fn level(&self) -> Level {
        self.level
    }

    /// How long values live; zero means nothing is stored.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Reads a value; `None` on a miss, a store failure, a version mismatch or a value
    /// that does not decode as `T`.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let Some(store) = &self.store else {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let bytes = match store.get(key).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            Err(error) => {
                tracing::debug!(level = %self.level, %error, "cache read failed");
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        match decode::<T>(self.level, &bytes) {
            Some(value) => {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                Some(value)
            }
            None => {
                tracing::debug!(level = %self.level, key, "cached value has another format; treated as a miss");
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                // Drop the stale value so it is not decoded again; a failure is harmless.
                let _ = store.delete(key).await;
                None
            }
        }
    }

    /// Writes a value for the level's TTL. Failures are counted, never returned.
    pub async fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T) {
        let Some(store) = &self.store else { return };
        if self.ttl.is_zero() {
            return;
        }
        let envelope = EnvelopeOut {
            v: ENVELOPE_VERSION,
            level: self.level,
            data: value,
        };
        let bytes = match serde_json::to_vec(&envelope) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::debug!(level = %self.level, %error, "value cannot be serialised for the cache");
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        if let Err(error) = store.set(key, &bytes, self.ttl).await {
            tracing::debug!(level = %self.level, %error, "cache write failed");
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Removes a value. Failures are counted, never returned.
    pub async fn delete(&self, key: &str) {
        let Some(store) = &self.store else { return };
        if store.delete(key).await.is_err() {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// This level's counters (`entries` and `evictions` are kept per store, see
    /// [`CachesStats::store`]).
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
            ..CacheStats::default()
        }
    }
}

fn decode<T: DeserializeOwned>(level: Level, bytes: &[u8]) -> Option<T> {
    let header: EnvelopeHeader = serde_json::from_slice(bytes).ok()?;
    if header.v != ENVELOPE_VERSION || header.level != level {
        return None;
    }
    serde_json::from_slice::<EnvelopeIn<T>>(bytes)
        .ok()
        .map(|e| e.data)
}

/// Counters of all levels and of the store beneath them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CachesStats {
    /// Whether caching is on (`CACHE_ENABLED`).
    pub enabled: bool,
    /// The store's backend (`memory`, `sqlite`, `redis`), or `none` when disabled.
    pub backend: String,
    /// Schema level.
    pub schema: CacheStats,
    /// LLM-response level.
    pub llm: CacheStats,
    /// Query-result level.
    pub query: CacheStats,
    /// The shared store: entries held, evictions, and its own errors.
    pub store: CacheStats,
}

/// The three cache levels over one store.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use dbqa_cache::{Caches, keys};
/// use dbqa_core::{AgentConfig, CacheBackendKind};
///
/// let mut config = AgentConfig::defaults().cache;
/// config.backend = CacheBackendKind::Memory;
/// let caches = Caches::from_config(&config).await.unwrap();
/// let key = keys::query_key("sqlite://shop.db", "SELECT 1");
/// caches.query().set(&key, &vec![1, 2, 3]).await;
/// assert_eq!(caches.query().get::<Vec<i32>>(&key).await, Some(vec![1, 2, 3]));
/// assert_eq!(caches.stats().query.hits, 1);
/// # });
/// ```
pub struct Caches {
    store: Option<Arc<dyn CacheStore>>,
    schema: LevelCache,
    llm: LevelCache,
    query: LevelCache,
}

impl fmt::Debug for Caches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caches")
            .field("backend", &self.store.as_ref().map(|s| s.backend()))
            .field("schema", &self.schema)
            .field("llm", &self.llm)
            .field("query", &self.query)
            .finish()
    }
}

impl Caches {
    /// The levels over `store` with the TTLs of `config` (its `enabled` flag is not
    /// consulted here; see [`Caches::from_config`]).
    pub fn new(store: Arc<dyn CacheStore>, config: &CacheConfig) -> Self {
        Self::build(
            Some(store),
            config.schema_ttl,
            config.llm_ttl,
            config.query_ttl,
        )
    }

    /// Caches that always miss and never touch a store (`CACHE_ENABLED=false`).
    pub fn disabled() -> Self {
        Self::build(None, Duration::ZERO, Duration::ZERO, Duration::ZERO)
    }

    /// Builds the configured store (wrapped in [`FailSafe`](crate::FailSafe)) and the
    /// levels over it, or [`Caches::disabled`] when `CACHE_ENABLED=false`.
    pub async fn from_config(config: &CacheConfig) -> Result<Self> {
        if !config.enabled {
            return Ok(Self::disabled());
        }
        Ok(Self::new(crate::cache_from_config(config).await?, config))
    }

    fn build(
        store: Option<Arc<dyn CacheStore>>,
        schema: Duration,
        llm: Duration,
        query: Duration,
    ) -> Self {
        Self {
            schema: LevelCache::new(Level::Schema, store.clone(), schema),
            llm: LevelCache::new(Level::Llm, store.clone(), llm),
            query: LevelCache::new(Level::Query, store.clone(), query),
            store,
        }
    }

    /// Whether a store is behind the levels.
    pub fn is_enabled(&self) -> bool {
        self.store.is_some()
    }

    /// The schema level.
    pub fn schema(&self) -> &LevelCache {
        &self.schema
    }

    /// The LLM-response level.
    pub fn llm(&self) -> &LevelCache {
        &self.llm
    }

    /// The query-result level.
    pub fn query(&self) -> &LevelCache {
        &self.query
    }

    /// A level by name.
    pub fn level(&self, level: Level) -> &LevelCache {
        match level {
            Level::Schema => &self.schema,
            Level::Llm => &self.llm,
            Level::Query => &self.query,
        }
    }

    /// The store beneath, when enabled.
    pub fn store(&self) -> Option<&Arc<dyn CacheStore>> {
        self.store.as_ref()
    }

    /// Empties the store (only this deployment's keys on a shared Redis). Failures
    /// are logged by the store, never returned.
    pub async fn clear(&self) {
        if let Some(store) = &self.store {
            let _ = store.clear().await;
        }
    }

    /// Counters of every level and of the store.
    pub fn stats(&self) -> CachesStats {
        CachesStats {
            enabled: self.is_enabled(),
            backend: self
                .store
                .as_ref()
                .map_or("none", |s| s.backend())
                .to_string(),
            schema: self.schema.stats(),
            llm: self.llm.stats(),
            query: self.query.stats(),
            store: self.store.as_ref().map(|s| s.stats()).unwrap_or_default(),
        }
    }
}
