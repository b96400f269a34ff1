//! Faults degrade, never break: a store wrapper that turns failures into misses.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use dbqa_core::{CacheStats, CacheStore, StoreError};

/// Wraps a [`CacheStore`] so that no failure reaches the caller.
///
/// A failed `get` is a miss, a failed `set`, `delete` or `clear` is `Ok`; each failure
/// is counted in [`CacheStats::errors`] (a failed `get` also as a miss). The first
/// failure of an outage logs one warning; the first success afterwards logs that the
/// store is back. Reconnecting is the backend's job (the Redis pool opens new
/// connections on its own).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::sync::Arc;
/// use dbqa_cache::{FailSafe, MemoryCache};
/// use dbqa_core::CacheStore;
///
/// let store = FailSafe::new(Arc::new(MemoryCache::new(100, 1 << 20)));
/// assert_eq!(store.get("missing").await, Ok(None));
/// # });
/// ```
pub struct FailSafe {
    inner: Arc<dyn CacheStore>,
    down: AtomicBool,
    errors: AtomicU64,
    failed_gets: AtomicU64,
}

impl std::fmt::Debug for FailSafe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailSafe")
            .field("backend", &self.inner.backend())
            .field("down", &self.down.load(Ordering::Relaxed))
            .finish()
    }
}

impl FailSafe {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn CacheStore>) -> Self {
        Self {
            inner,
            down: AtomicBool::new(false),
            errors: AtomicU64::new(0),
            failed_gets: AtomicU64::new(0),
        }
    }

    /// Whether the last operation failed (the store is in an outage).
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    fn succeeded(&self) {
        // Only the first success after an outage swaps the flag (cheap load first).
        if self.down.load(Ordering::Relaxed) && self.down.swap(false, Ordering::Relaxed) {
            tracing::info!(backend = self.inner.backend(), "cache store is back");
        }
    }

    fn failed(&self, operation: &str, error: &StoreError) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                backend = self.inner.backend(),
                operation,
                %error,
                "cache store failed; serving without it until it answers again"
            );
        }
    }
}

#[async_trait]
impl CacheStore for FailSafe {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.inner.get(key).await {
            Ok(value) => {
                self.succeeded();
                Ok(value)
            }
            Err(error) => {
                self.failed("get", &error);
                self.failed_gets.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
        }
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        match self.inner.set(key, value, ttl).await {
            Ok(()) => self.succeeded(),
            Err(error) => self.failed("set", &error),
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.inner.delete(key).await {
            Ok(()) => self.succeeded(),
            Err(error) => self.failed("delete", &error),
        }
        Ok(())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        match self.inner.clear().await {
            Ok(()) => self.succeeded(),
            Err(error) => self.failed("clear", &error),
        }
        Ok(())
    }

    fn stats(&self) -> CacheStats {
        let inner = self.inner.stats();
        CacheStats {
            misses: inner.misses + self.failed_gets.load(Ordering::Relaxed),
            errors: inner.errors + self.errors.load(Ordering::Relaxed),
            ..inner
        }
    }
}
