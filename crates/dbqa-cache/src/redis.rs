//! The Redis cache: shareable between processes, native expiry, a key prefix per
//! deployment.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use dbqa_core::{CacheConfig, CacheStats, CacheStore, SecretUrl, StoreError};
use deadpool_redis::redis::{self, RedisError};
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};

use crate::error::{Error, Result, backend_error, unavailable};

const BACKEND: &str = "redis";

/// How to reach Redis and how long to wait for it.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// The server (`REDIS_URL`); its password never reaches a log or an error.
    pub url: SecretUrl,
    /// Prepended to every key (`CACHE_KEY_PREFIX`, default `dbqa:`), so deployments can
    /// share one server. Cache keys live under `{prefix}cache:`, sessions under
    /// `{prefix}session:`.
    pub key_prefix: String,
    /// Connections in the pool.
    pub pool_size: usize,
    /// The longest any operation may take, including waiting for, opening or checking a
    /// connection; past it the operation fails (and a cache treats it as a miss).
    pub timeout: Duration,
}

impl RedisOptions {
    /// Options for `url` with the default prefix `dbqa:`, 16 connections and a 500 ms
    /// timeout.
    pub fn new(url: SecretUrl) -> Self {
        Self {
            url,
            key_prefix: "dbqa:".to_string(),
            pool_size: 16,
            timeout: Duration::from_millis(500),
        }
    }

    /// `REDIS_URL` and `CACHE_KEY_PREFIX` from the configuration, defaults otherwise.
    pub fn from_config(config: &CacheConfig) -> Self {
        Self {
            key_prefix: config.key_prefix.clone(),
            ..Self::new(config.redis_url.clone())
        }
    }

    /// Sets the key prefix.
    pub fn with_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Sets the per-operation timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A connection pool with a deadline on every operation, shared by the cache and the
/// session store.
#[derive(Clone)]
pub(crate) struct RedisClient {
    pool: Pool,
    timeout: Duration,
    target: String,
}

impl RedisClient {
    /// Builds the pool; it connects lazily, so a server that is down now is not an error.
    pub(crate) fn new(options: &RedisOptions) -> Result<Self> {
        let mut config = Config::from_url(options.url.expose());
        let mut pool = PoolConfig::new(options.pool_size.max(1));
        pool.timeouts = Timeouts {
            wait: Some(options.timeout),
            create: Some(options.timeout),
            recycle: Some(options.timeout),
        };
        config.pool = Some(pool);
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|_| Error::InvalidConfig {
                setting: "REDIS_URL",
                reason: format!(
                    "`{}` is not a Redis URL (expected redis://[:password@]host:port[/db])",
                    options.url.redacted()
                ),
            })?;
        Ok(Self {
            pool,
            timeout: options.timeout,
            target: options.url.redacted().to_string(),
        })
    }

    /// Runs `f` on a pooled connection, failing with [`StoreError::Unavailable`] when no
    /// answer comes within the timeout.
    pub(crate) async fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(deadpool_redis::Connection) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let work = async {
            let conn = self.pool.get().await.map_err(|e| {
                unavailable(
                    BACKEND,
                    format!("cannot get a connection to {}: {e}", self.target),
                )
            })?;
            f(conn).await.map_err(|e| self.map_error(&e))
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(unavailable(
                BACKEND,
                format!("{} did not answer within {:?}", self.target, self.timeout),
            )),
        }
    }

    fn map_error(&self, e: &RedisError) -> StoreError {
        if e.is_io_error()
            || e.is_connection_refusal()
            || e.is_timeout()
            || e.is_connection_dropped()
        {
            unavailable(BACKEND, format!("{}: {e}", self.target))
        } else {
            backend_error(BACKEND, format!("{}: {e}", self.target))
        }
    }
}

/// Escapes the glob characters of `text` for `SCAN MATCH`.
pub(crate) fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Deletes every key matching `pattern` with `SCAN` (never `KEYS` or `FLUSHDB`).
pub(crate) async fn delete_matching(
    client: &RedisClient,
    pattern: String,
) -> Result<(), StoreError> {
    let mut cursor: u64 = 0;
    loop {
        let pattern = pattern.clone();
        let (next, keys): (u64, Vec<String>) = client
            .run(|mut conn| async move {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        if !keys.is_empty() {
            client
                .run(|mut conn| async move {
                    redis::cmd("UNLINK")
                        .arg(keys)
                        .query_async::<()>(&mut conn)
                        .await
                })
                .await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A cache on a Redis server. Values expire by Redis itself (`SET … EX`/`PX`).
///
/// Errors are returned as they happen; [`FailSafe`](crate::FailSafe) (which
/// [`cache_from_config`](crate::cache_from_config) always adds) turns them into misses.
pub struct RedisCache {
    client: RedisClient,
    namespace: String,
    counters: Counters,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCache")
            .field("target", &self.client.target)
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl RedisCache {
    /// A cache on the server in `options`; connects lazily.
    pub fn new(options: &RedisOptions) -> Result<Self> {
        Ok(Self {
            client: RedisClient::new(options)?,
            namespace: format!("{}cache:", options.key_prefix),
            counters: Counters::default(),
        })
    }

    /// The prefix of every key this cache writes.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.namespace)
    }
}

#[async_trait]
impl CacheStore for RedisCache {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.key(key);
        let value: Option<Vec<u8>> = self
            .client
            .run(|mut conn| async move { redis::cmd("GET").arg(key).query_async(&mut conn).await })
            .await?;
        let counter = if value.is_some() {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(value)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        if ttl.is_zero() {
            return self.delete(key).await;
        }
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value);
        if ttl.subsec_nanos() == 0 {
            cmd.arg("EX").arg(ttl.as_secs());
        } else {
            cmd.arg("PX")
                .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1));
        }
        self.client
            .run(|mut conn| async move { cmd.query_async::<()>(&mut conn).await })
            .await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let key = self.key(key);
        self.client
            .run(|mut conn| async move {
                redis::cmd("DEL")
                    .arg(key)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }

    async fn clear(&self) -> Result<(), StoreError> {
        delete_matching(&self.client, format!("{}*", escape_glob(&self.namespace))).await
    }

    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            ..CacheStats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_are_escaped() {
        let cases = [("dbqa:", "dbqa:"), ("a*b?[c]\\", "a\\*b\\?\\[c\\]\\\\")];
        for (input, expected) in cases {
            assert_eq!(escape_glob(input), expected, "{input}");
        }
    }

    #[test]
    fn bad_url_is_a_config_error_without_the_password() {
        let options = RedisOptions::new(SecretUrl::new("http://user:hunter2@host"));
        let error = RedisCache::new(&options)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(error.contains("REDIS_URL"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }
}
