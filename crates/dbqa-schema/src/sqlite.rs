//! The SQLite connector, on rusqlite (bundled SQLite).
//!
//! - URLs: `sqlite://relative.db`, `sqlite:///abs.db`, `sqlite:file.db`, `sqlite::memory:`
//!   and `sqlite://:memory:`; `?mode=ro` (default), `rw`, `rwc` (creates the file).
//! - **Read-only by default.** A write runs only when the connector was opened writable
//!   (`mode=rw`/`rwc` in the URL) *and* the execution asks for it
//!   (`ExecuteOptions::read_only == false`). Everything else that would write fails with
//!   `DatabaseError::ReadOnly`, even when sent here directly (see `conn.rs` for the walls).
//!   A read-only connector never creates a missing file: that is [`Error::FileNotFound`].
//! - **Pool**: `DB_POOL_SIZE + DB_MAX_OVERFLOW` connections at most, capped at
//!   16; callers wait `DB_POOL_TIMEOUT` for one, then get
//!   `DatabaseError::PoolExhausted`. An in-memory database is one connection (each SQLite
//!   connection would otherwise see its own empty database).
//! - **Deadline**: a statement still running when the timeout passes is interrupted
//!   (`sqlite3_interrupt`) and the caller gets `DatabaseError::Timeout`; the connection
//!   stays in the pool, usable.
//! - **Values**: INTEGER → `Value::Int`, REAL → `Float`, TEXT → `Text`, BLOB → `Bytes`,
//!   NULL → `Null`; column type names are the declared types, else the first row's
//!   storage class, else empty.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use dbqa_core::{
    Database, DatabaseConfig, DatabaseError, Dialect, ExecuteOptions, PoolStatus, Rows, Schema,
};
use rusqlite::InterruptHandle;

use crate::{Error, Result};

mod conn;
mod pool;
mod schema;
mod url;

#[cfg(test)]
mod tests;

use conn::Conn;
use pool::Pool;
use url::SqliteTarget;

/// The most connections a SQLite connector opens, whatever the pool settings: SQLite
/// serialises writers and readers gain little beyond the core count.
pub(crate) const MAX_CONNECTIONS: u32 = 16;

/// A SQLite database file (or `:memory:`) behind the [`Database`] trait.
pub struct SqliteDatabase {
    identity: String,
    target: SqliteTarget,
    pool: Pool,
}

impl std::fmt::Debug for SqliteDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDatabase")
            .field("identity", &self.identity)
            .field("writable", &self.target.writable)
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl SqliteDatabase {
    /// Opens the database `config.url` points at (a `sqlite:` URL), sizing the pool from
    /// `config`. The first connection opens now, so a missing or corrupt file fails here.
    pub async fn open(config: &DatabaseConfig) -> Result<Self> {
        let url = config.url.as_ref().ok_or(Error::MissingUrl)?;
        let target = SqliteTarget::parse(url.expose())?;
        if let Some(path) = &target.path
            && !target.create
            && !path.exists()
        {
            return Err(Error::FileNotFound { path: path.clone() });
        }
        let (base, max) = match target.path {
            None => (1, 1),
            Some(_) => (
                config.pool_size.clamp(1, MAX_CONNECTIONS),
                config.max_connections().clamp(1, MAX_CONNECTIONS),
            ),
        };
        let path: Option<PathBuf> = target.path.clone();
        let (writable, create) = (target.writable, target.create);
        let opener: pool::Opener = Box::new(move || Conn::open(path.as_deref(), writable, create));
        let pool = Pool::new(opener, base, max, config.pool_timeout);
        // Open the first connection now to surface errors early (and, for `:memory:`, to
        // hold the database for the connector's lifetime).
        let (first_path, first) = (target.path.clone(), (target.writable, target.create));
        let conn = tokio::task::spawn_blocking(move || {
            Conn::open(first_path.as_deref(), first.0, first.1)
        })
        .await
        .map_err(|e| DatabaseError::Connection {
            target: url.redacted().to_string(),
            message: e.to_string(),
        })??;
        pool.seed(conn);
        Ok(Self {
            identity: url.redacted().to_string(),
            target,
            pool,
        })
    }

    /// Opens a `sqlite:` URL with the default pool settings.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::open(&DatabaseConfig::with_url(url)).await
    }

    /// Whether writes are possible at all (the URL said `mode=rw` or `mode=rwc`).
    pub fn is_writable(&self) -> bool {
        self.target.writable
    }
}

/// Interrupts the running statement if the waiting future is dropped (the caller gave up).
struct InterruptOnDrop {
    handle: InterruptHandle,
    armed: Arc<AtomicBool>,
}

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        if self.armed.load(Ordering::SeqCst) {
            self.handle.interrupt();
        }
    }
}

#[async_trait]
impl Database for SqliteDatabase {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    async fn ping(&self) -> std::result::Result<(), DatabaseError> {
        let options = ExecuteOptions::read_only(Duration::from_secs(5), 1);
        self.execute("SELECT 1", &options).await.map(drop)
    }

    async fn extract_schema(&self) -> std::result::Result<Schema, DatabaseError> {
        let mut pooled = self.pool.acquire().await?;
        tokio::task::spawn_blocking(move || {
            let conn = pooled.conn()?;
            schema::extract(conn.raw())
        })
        .await
        .map_err(|e| DatabaseError::ConnectionLost {
            message: format!("schema extraction stopped: {e}"),
        })?
    }

    async fn execute(
        &self,
        sql: &str,
        options: &ExecuteOptions,
    ) -> std::result::Result<Rows, DatabaseError> {
        let mut pooled = self.pool.acquire().await?;
        let handle = pooled.conn()?.interrupt_handle();
        let armed = Arc::new(AtomicBool::new(true));
        let guard = InterruptOnDrop {
            handle,
            armed: Arc::clone(&armed),
        };
        let sql = sql.to_string();
        let (max_rows, allow_writes) = (options.max_rows, !options.read_only);
        let max_bytes = options.max_bytes;
        // The blocking task hands the connection back with the result, so it returns to
        // the pool only after an interrupt (if any) can no longer reach another query.
        let mut task = tokio::task::spawn_blocking(move || {
            let result = match pooled.conn() {
                Ok(conn) => conn.run(&sql, max_rows, max_bytes, allow_writes),
                Err(e) => return (pooled, Err(e)),
            };
            armed.store(false, Ordering::SeqCst);
            (pooled, Ok(result))
        });
        let mut timed_out = None;
        let joined = match tokio::time::timeout(options.timeout, &mut task).await {
            Ok(joined) => joined,
            Err(_elapsed) => {
                timed_out = Some(options.timeout);
                guard.handle.interrupt();
                task.await
            }
        };
        drop(guard);
        let (mut pooled, result) = joined.map_err(|e| DatabaseError::ConnectionLost {
            message: format!("query stopped: {e}"),
        })?;
        let outcome = match result {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(run_error)) => Err(run_error.into_database_error(timed_out)),
            Err(e) => Err(e),
        };
        if matches!(outcome, Err(DatabaseError::ConnectionLost { .. })) {
            pooled.discard();
        }
        outcome
    }

    fn pool_status(&self) -> PoolStatus {
        self.pool.status()
    }

    async fn close(&self) {
        self.pool.close();
    }
}
