//! Verified examples in the session file (`SESSION_DB_PATH`), table `verified_examples`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use dbqa_core::{ExampleStore, StoreError, VerifiedExample};
use rusqlite::{Connection, params};

use crate::Result;
use crate::error::backend_error;
use crate::sqlite::{open_connection, with_conn};

const BACKEND: &str = "sqlite";

/// Examples in a SQLite file: one row per (scope, id), the example as JSON.
#[derive(Clone)]
pub struct SqliteExampleStore {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteExampleStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteExampleStore").finish_non_exhaustive()
    }
}

fn db_error(e: rusqlite::Error) -> StoreError {
    backend_error(BACKEND, e)
}

impl SqliteExampleStore {
    /// Opens (or creates) the file at `path` and its examples table.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let conn = tokio::task::spawn_blocking(move || {
            let conn = open_connection(&path)?;
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS verified_examples (
                     scope TEXT NOT NULL,
                     id TEXT NOT NULL,
                     added_at_ms INTEGER NOT NULL,
                     body TEXT NOT NULL,
                     PRIMARY KEY (scope, id)
                 );",
            )
            .map_err(db_error)?;
            Ok::<_, StoreError>(conn)
        })
        .await
        .map_err(|e| backend_error(BACKEND, format!("blocking task failed: {e}")))??;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }
}

#[async_trait]
impl ExampleStore for SqliteExampleStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn put(&self, scope: &str, example: &VerifiedExample) -> Result<(), StoreError> {
        let body = serde_json::to_string(example)
            .map_err(|e| backend_error(BACKEND, format!("cannot encode an example: {e}")))?;
        let (scope, id, at) = (scope.to_string(), example.id.clone(), example.added_at_ms);
        with_conn(Arc::clone(&self.conn), move |conn| {
            conn.execute(
                "INSERT INTO verified_examples (scope, id, added_at_ms, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(scope, id) DO UPDATE SET added_at_ms = excluded.added_at_ms, body = excluded.body",
                params![scope, id, at, body],
            )
            .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn list(&self, scope: &str) -> Result<Vec<VerifiedExample>, StoreError> {
        let scope = scope.to_string();
        let bodies: Vec<String> = with_conn(Arc::clone(&self.conn), move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM verified_examples WHERE scope = ?1 ORDER BY added_at_ms, id",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![scope], |row| row.get(0))
                .map_err(db_error)?;
            rows.collect::<Result<Vec<String>, _>>().map_err(db_error)
        })
        .await?;
        bodies.iter().map(|b| super::decode_example(b)).collect()
    }

    async fn remove(&self, scope: &str, id: &str) -> Result<bool, StoreError> {
        let (scope, id) = (scope.to_string(), id.to_string());
        with_conn(Arc::clone(&self.conn), move |conn| {
            let removed = conn
                .execute(
                    "DELETE FROM verified_examples WHERE scope = ?1 AND id = ?2",
                    params![scope, id],
                )
                .map_err(db_error)?;
            Ok(removed > 0)
        })
        .await
    }
}
