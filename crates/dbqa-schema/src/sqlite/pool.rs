//! A small pool of blocking rusqlite connections for use from async code.
//!
//! A semaphore bounds the connections in use; idle ones wait in a stack and are reused
//! (most recent first). Connections open lazily, up to the maximum, and stay open until
//! [`Pool::close`]. Work on a connection runs on tokio's blocking threads.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use dbqa_core::{DatabaseError, PoolStatus};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::conn::Conn;

/// Opens one connection.
pub(crate) type Opener = Box<dyn Fn() -> Result<Conn, DatabaseError> + Send + Sync>;

/// The pool.
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    idle: Mutex<Vec<Conn>>,
    permits: Arc<Semaphore>,
    open: AtomicU32,
    base_size: u32,
    max_size: u32,
    wait: Duration,
    closed: AtomicBool,
    opener: Opener,
}

impl Pool {
    /// A pool of at most `max_size` connections (at least one), of which `base_size` count
    /// as the base for the overflow statistic; callers wait `wait` for a free one.
    pub(crate) fn new(opener: Opener, base_size: u32, max_size: u32, wait: Duration) -> Self {
        let max_size = max_size.max(1);
        Self {
            inner: Arc::new(Inner {
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max_size as usize)),
                open: AtomicU32::new(0),
                base_size: base_size.clamp(1, max_size),
                max_size,
                wait,
                closed: AtomicBool::new(false),
                opener,
            }),
        }
    }

    /// Adds an already open connection (the first one, opened to validate the target).
    pub(crate) fn seed(&self, conn: Conn) {
        self.inner.open.fetch_add(1, Ordering::SeqCst);
        self.inner.push_idle(conn);
    }

    /// Waits for a free connection, opening a new one when none is idle.
    pub(crate) async fn acquire(&self) -> Result<Pooled, DatabaseError> {
        if self.inner.closed.load(Ordering::SeqCst) {
            return Err(DatabaseError::Closed);
        }
        let permit = match tokio::time::timeout(
            self.inner.wait,
            Arc::clone(&self.inner.permits).acquire_owned(),
        )
        .await
        {
            Ok(Ok(permit)) => permit,
            Ok(Err(_closed)) => return Err(DatabaseError::Closed),
            Err(_elapsed) => {
                return Err(DatabaseError::PoolExhausted {
                    waited: self.inner.wait,
                    max_size: self.inner.max_size,
                });
            }
        };
        let idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let inner = Arc::clone(&self.inner);
                let conn = tokio::task::spawn_blocking(move || (inner.opener)())
                    .await
                    .map_err(|e| DatabaseError::Connection {
                        target: String::from("sqlite"),
                        message: format!("opening a connection failed: {e}"),
                    })??;
                self.inner.open.fetch_add(1, Ordering::SeqCst);
                conn
            }
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: Arc::clone(&self.inner),
            _permit: permit,
        })
    }

    /// Occupancy now.
    pub(crate) fn status(&self) -> PoolStatus {
        let size = self.inner.open.load(Ordering::SeqCst);
        let idle = u32::try_from(
            self.inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len(),
        )
        .unwrap_or(u32::MAX);
        PoolStatus {
            size,
            idle,
            in_use: size.saturating_sub(idle),
            overflow: size.saturating_sub(self.inner.base_size),
            max_size: self.inner.max_size,
        }
    }

    /// Closes idle connections and refuses new work; connections in use close when
    /// their work ends.
    pub(crate) fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.permits.close();
        let idle: Vec<Conn> = std::mem::take(
            &mut *self
                .inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        self.inner
            .open
            .fetch_sub(u32::try_from(idle.len()).unwrap_or(0), Ordering::SeqCst);
        drop(idle);
    }
}

impl Inner {
    fn push_idle(&self, conn: Conn) {
        if self.closed.load(Ordering::SeqCst) {
            self.open.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

/// A connection on loan; it goes back to the pool when dropped.
pub(crate) struct Pooled {
    conn: Option<Conn>,
    pool: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    /// The connection.
    pub(crate) fn conn(&mut self) -> Result<&mut Conn, DatabaseError> {
        self.conn.as_mut().ok_or(DatabaseError::Closed)
    }

    /// Drops the connection instead of returning it (after it broke).
    pub(crate) fn discard(&mut self) {
        if self.conn.take().is_some() {
            self.pool.open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.push_idle(conn);
        }
    }
}
