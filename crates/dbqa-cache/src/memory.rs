//! The in-process cache: a moka future cache bounded by entries and bytes, with a TTL
//! per entry.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dbqa_core::{CacheStats, CacheStore, StoreError};
use moka::Expiry;
use moka::future::Cache;
use moka::notification::RemovalCause;

/// A value with the TTL it was written with.
#[derive(Clone)]
struct Entry {
    value: Arc<[u8]>,
    ttl: Duration,
}

/// Each entry lives for the TTL given when it was last written.
struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, value: &Entry, _at: Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Entry,
        _at: Instant,
        _remaining: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

/// An in-process cache, lost on exit; always compiled in.
///
/// Bounded both by entry count and by bytes: every entry weighs at least
/// `max_bytes / max_entries`, so neither bound can be passed. Entries evicted for
/// space are counted in [`CacheStats::evictions`].
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::Duration;
/// use dbqa_cache::MemoryCache;
/// use dbqa_core::CacheStore;
///
/// let cache = MemoryCache::new(1_000, 1 << 20);
/// cache.set("k", b"v", Duration::from_secs(60)).await.unwrap();
/// assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
/// # });
/// ```
pub struct MemoryCache {
    cache: Cache<String, Entry>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("entries", &self.cache.entry_count())
            .field("weighted_size", &self.cache.weighted_size())
            .finish()
    }
}

impl MemoryCache {
    /// A cache holding at most `max_entries` entries and about `max_bytes` bytes of values
    /// (keys count too). Zero bounds are raised to one.
    pub fn new(max_entries: u64, max_bytes: u64) -> Self {
        let max_entries = max_entries.max(1);
        let max_bytes = max_bytes.max(1);
        let floor = u32::try_from(max_bytes.div_ceil(max_entries)).unwrap_or(u32::MAX);
        let counters = Arc::new(Counters::default());
        let listener_counters = Arc::clone(&counters);
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(move |key: &String, entry: &Entry| {
                let bytes = key.len().saturating_add(entry.value.len());
                u32::try_from(bytes).unwrap_or(u32::MAX).max(floor)
            })
            .expire_after(PerEntryTtl)
            .eviction_listener(move |_key, _value, cause| {
                if cause == RemovalCause::Size {
                    listener_counters.evictions.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        Self { cache, counters }
    }
}

#[async_trait]
impl CacheStore for MemoryCache {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.cache.get(key).await {
            Some(entry) => {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                Ok(Some(entry.value.to_vec()))
            }
            None => {
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
        }
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        if ttl.is_zero() {
            self.cache.invalidate(key).await;
            return Ok(());
        }
        let entry = Entry {
            value: Arc::from(value),
            ttl,
        };
        self.cache.insert(key.to_string(), entry).await;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.cache.invalidate(key).await;
        Ok(())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        self.cache.invalidate_all();
        self.cache.run_pending_tasks().await;
        Ok(())
    }

    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            entries: self.cache.entry_count(),
            evictions: self.counters.evictions.load(Ordering::Relaxed),
            errors: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entry_bound_holds_with_tiny_values() {
        let cache = MemoryCache::new(10, 1 << 20);
        for i in 0..200 {
            cache
                .set(&format!("k{i}"), b"x", Duration::from_secs(60))
                .await
                .unwrap();
        }
        cache.cache.run_pending_tasks().await;
        let stats = cache.stats();
        assert!(stats.entries <= 10, "{stats:?}");
        assert!(stats.evictions > 0, "{stats:?}");
    }

    #[tokio::test]
    async fn byte_bound_holds_with_big_values() {
        let cache = MemoryCache::new(1_000, 10_000);
        let value = vec![7u8; 1_000];
        for i in 0..100 {
            cache
                .set(&format!("k{i}"), &value, Duration::from_secs(60))
                .await
                .unwrap();
        }
        cache.cache.run_pending_tasks().await;
        assert!(cache.cache.weighted_size() <= 10_000);
        assert!(cache.stats().entries <= 10, "{:?}", cache.stats());
    }
}
