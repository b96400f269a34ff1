//! Sessions in a SQLite file (the default): durable across restarts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use dbqa_core::{Message, SessionInfo, SessionStore, StoreError};
use rusqlite::{Connection, params};

use crate::Result;
use crate::error::{backend_error, now_ms};
use crate::sqlite::{open_connection, with_conn};

const BACKEND: &str = "sqlite";

/// Sessions in a SQLite file (`SESSION_BACKEND=sqlite`, `SESSION_DB_PATH`).
///
/// Tables `sessions` (id, last activity) and `messages` (an autoincrement id gives the
/// order); each append is one transaction. Calls run on tokio's blocking pool.
#[derive(Clone)]
pub struct SqliteSessionStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSessionStore")
            .field("path", &self.path)
            .finish()
    }
}

fn db_error(e: rusqlite::Error) -> StoreError {
    backend_error(BACKEND, e)
}

impl SqliteSessionStore {
    /// Opens (or creates) the session file at `path`.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let open_path = path.clone();
        let conn = tokio::task::spawn_blocking(move || {
            let conn = open_connection(&open_path)?;
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS sessions (
                     id TEXT PRIMARY KEY NOT NULL,
                     created_at_ms INTEGER NOT NULL,
                     last_activity_ms INTEGER NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS messages (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     session_id TEXT NOT NULL,
                     body TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session_id, id);
                 CREATE INDEX IF NOT EXISTS sessions_by_activity ON sessions(last_activity_ms);",
            )
            .map_err(db_error)?;
            Ok::<_, StoreError>(conn)
        })
        .await
        .map_err(|e| backend_error(BACKEND, format!("blocking task failed: {e}")))??;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// The session file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn append(&self, session_id: &str, message: &Message) -> Result<(), StoreError> {
        let id = session_id.to_string();
        let body = serde_json::to_string(message)
            .map_err(|e| backend_error(BACKEND, format!("cannot encode a message: {e}")))?;
        with_conn(Arc::clone(&self.conn), move |conn| {
            let now = now_ms();
            let tx = conn.transaction().map_err(db_error)?;
            tx.prepare_cached(
                "INSERT INTO sessions (id, created_at_ms, last_activity_ms) VALUES (?1, ?2, ?2)
                 ON CONFLICT(id) DO UPDATE SET
                     last_activity_ms = max(last_activity_ms, excluded.last_activity_ms)",
            )
            .and_then(|mut stmt| stmt.execute(params![id, now]))
            .map_err(db_error)?;
            tx.prepare_cached("INSERT INTO messages (session_id, body) VALUES (?1, ?2)")
                .and_then(|mut stmt| stmt.execute(params![id, body]))
                .map_err(db_error)?;
            tx.commit().map_err(db_error)
        })
        .await
    }

    async fn load(&self, session_id: &str) -> Result<Vec<Message>, StoreError> {
        let id = session_id.to_string();
        let bodies: Vec<String> = with_conn(Arc::clone(&self.conn), move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT body FROM messages WHERE session_id = ?1 ORDER BY id")
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![id], |row| row.get(0))
                .map_err(db_error)?;
            rows.collect::<Result<Vec<String>, _>>().map_err(db_error)
        })
        .await?;
        bodies.iter().map(|b| super::decode_message(b)).collect()
    }

    async fn clear(&self, session_id: &str) -> Result<(), StoreError> {
        let id = session_id.to_string();
        with_conn(Arc::clone(&self.conn), move |conn| {
            conn.execute("DELETE FROM messages WHERE session_id = ?1", params![id])
                .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn delete(&self, session_id: &str) -> Result<(), StoreError> {
        let id = session_id.to_string();
        with_conn(Arc::clone(&self.conn), move |conn| {
            let tx = conn.transaction().map_err(db_error)?;
            tx.execute("DELETE FROM messages WHERE session_id = ?1", params![id])
                .map_err(db_error)?;
            tx.execute("DELETE FROM sessions WHERE id = ?1", params![id])
                .map_err(db_error)?;
            tx.commit().map_err(db_error)
        })
        .await
    }

    async fn list(&self) -> Result<Vec<SessionInfo>, StoreError> {
        let mut list = with_conn(Arc::clone(&self.conn), |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT s.id, s.last_activity_ms,
                            (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id)
                     FROM sessions s",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map([], |row| {
                    Ok(SessionInfo {
                        id: row.get(0)?,
                        last_activity_ms: row.get(1)?,
                        message_count: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                    })
                })
                .map_err(db_error)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_error)
        })
        .await?;
        super::sort_sessions(&mut list);
        Ok(list)
    }
}
