//! The SQLite cache: one file that survives restarts.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use dbqa_core::{CacheStats, CacheStore, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, backend_error, now_ms, unavailable};

const BACKEND: &str = "sqlite";

/// Purge expired rows after this many writes.
const PURGE_EVERY_WRITES: u64 = 256;

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    writes: AtomicU64,
    /// Rows counted at open and at each periodic purge (approximate in between).
    entries: AtomicU64,
}

struct Inner {
    conn: Mutex<Connection>,
    counters: Counters,
    path: PathBuf,
}

/// A cache in a SQLite file (WAL mode), shared by restarts of the same process.
///
/// Expired rows are removed lazily when read and in bulk every few hundred writes.
/// Every SQLite call runs on tokio's blocking pool.
///
/// ```no_run
/// # async fn demo() -> dbqa_cache::Result<()> {
/// use dbqa_cache::SqliteCache;
/// let cache = SqliteCache::open("./dbqa-cache.db").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteCache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteCache")
            .field("path", &self.inner.path)
            .finish()
    }
}

/// Opens `path` with the pragmas the cache and session stores share.
pub(crate) fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            unavailable(BACKEND, format!("cannot create {}: {e}", parent.display()))
        })?;
    }
    let conn = Connection::open(path)
        .map_err(|e| unavailable(BACKEND, format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| backend_error(BACKEND, e))?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| backend_error(BACKEND, e))?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| backend_error(BACKEND, e))?;
    Ok(conn)
}

/// Runs `f` on the blocking pool with the connection locked.
pub(crate) async fn with_conn<T, F>(conn: Arc<Mutex<Connection>>, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut guard = conn
            .lock()
            .map_err(|_| backend_error(BACKEND, "connection lock poisoned by a panic"))?;
        f(&mut guard)
    })
    .await
    .map_err(|e| backend_error(BACKEND, format!("blocking task failed: {e}")))?
}

impl SqliteCache {
    /// Opens (or creates) the cache file at `path`.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let open_path = path.clone();
        let (conn, entries) = tokio::task::spawn_blocking(move || {
            let conn = open_connection(&open_path)?;
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS cache (
                     key TEXT PRIMARY KEY NOT NULL,
                     value BLOB NOT NULL,
                     expires_at_ms INTEGER NOT NULL
                 ) WITHOUT ROWID;
                 CREATE INDEX IF NOT EXISTS cache_expiry ON cache(expires_at_ms);",
            )
            .map_err(|e| backend_error(BACKEND, e))?;
            let entries = purge(&conn)?;
            Ok::<_, StoreError>((conn, entries))
        })
        .await
        .map_err(|e| backend_error(BACKEND, format!("blocking task failed: {e}")))??;
        let counters = Counters::default();
        counters.entries.store(entries, Ordering::Relaxed);
        Ok(Self {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                counters,
                path,
            }),
        })
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Counters) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let guard = inner
                .conn
                .lock()
                .map_err(|_| backend_error(BACKEND, "connection lock poisoned by a panic"))?;
            f(&guard, &inner.counters)
        })
        .await
        .map_err(|e| backend_error(BACKEND, format!("blocking task failed: {e}")))?
    }
}

/// Deletes expired rows and returns the number left.
fn purge(conn: &Connection) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM cache WHERE expires_at_ms <= ?1",
        params![now_ms()],
    )
    .map_err(|e| backend_error(BACKEND, e))?;
    let count: i64 = conn
        .query_row("SELECT COUNT(*) FROM cache", [], |row| row.get(0))
        .map_err(|e| backend_error(BACKEND, e))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

#[async_trait]
impl CacheStore for SqliteCache {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = key.to_string();
        self.run(move |conn, counters| {
            let row: Option<(Vec<u8>, i64)> = conn
                .prepare_cached("SELECT value, expires_at_ms FROM cache WHERE key = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row(params![key], |row| Ok((row.get(0)?, row.get(1)?)))
                        .optional()
                })
                .map_err(|e| backend_error(BACKEND, e))?;
            match row {
                Some((value, expires)) if expires > now_ms() => {
                    counters.hits.fetch_add(1, Ordering::Relaxed);
                    Ok(Some(value))
                }
                Some(_) => {
                    // Lazy purge: an expired row is removed when it is found.
                    conn.prepare_cached("DELETE FROM cache WHERE key = ?1 AND expires_at_ms <= ?2")
                        .and_then(|mut stmt| stmt.execute(params![key, now_ms()]))
                        .map_err(|e| backend_error(BACKEND, e))?;
                    counters.misses.fetch_add(1, Ordering::Relaxed);
                    Ok(None)
                }
                None => {
                    counters.misses.fetch_add(1, Ordering::Relaxed);
                    Ok(None)
                }
            }
        })
        .await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let key = key.to_string();
        let value = value.to_vec();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        self.run(move |conn, counters| {
            if ttl_ms == 0 {
                conn.prepare_cached("DELETE FROM cache WHERE key = ?1")
                    .and_then(|mut stmt| stmt.execute(params![key]))
                    .map_err(|e| backend_error(BACKEND, e))?;
                return Ok(());
            }
            let expires = now_ms().saturating_add(ttl_ms);
            let existed = conn
                .prepare_cached("SELECT 1 FROM cache WHERE key = ?1")
                .and_then(|mut stmt| stmt.exists(params![key]))
                .map_err(|e| backend_error(BACKEND, e))?;
            conn.prepare_cached(
                "INSERT INTO cache (key, value, expires_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value,
                                                expires_at_ms = excluded.expires_at_ms",
            )
            .and_then(|mut stmt| stmt.execute(params![key, value, expires]))
            .map_err(|e| backend_error(BACKEND, e))?;
            let writes = counters.writes.fetch_add(1, Ordering::Relaxed) + 1;
            if writes % PURGE_EVERY_WRITES == 0 {
                counters.entries.store(purge(conn)?, Ordering::Relaxed);
            } else if !existed {
                counters.entries.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_string();
        self.run(move |conn, counters| {
            let removed = conn
                .prepare_cached("DELETE FROM cache WHERE key = ?1")
                .and_then(|mut stmt| stmt.execute(params![key]))
                .map_err(|e| backend_error(BACKEND, e))?;
            if removed > 0 {
                let _ = counters
                    .entries
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                        Some(n.saturating_sub(1))
                    });
            }
            Ok(())
        })
        .await
    }

    async fn clear(&self) -> Result<(), StoreError> {
        self.run(|conn, counters| {
            conn.execute("DELETE FROM cache", [])
                .map_err(|e| backend_error(BACKEND, e))?;
            counters.entries.store(0, Ordering::Relaxed);
            Ok(())
        })
        .await
    }

    fn stats(&self) -> CacheStats {
        let c = &self.inner.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            entries: c.entries.load(Ordering::Relaxed),
            evictions: 0,
            errors: 0,
        }
    }
}
