//! SQLite connector (being written).

use dbqa_core::{Database, DatabaseConfig, DatabaseError, Dialect, ExecuteOptions, Rows, Schema};

/// A SQLite database file (or `:memory:`) opened read-only by default.
#[derive(Debug)]
pub struct SqliteDatabase {
    identity: String,
}

impl SqliteDatabase {
    /// Opens the database `config.url` points at.
    pub async fn open(config: &DatabaseConfig) -> crate::Result<Self> {
        let url = config.url.as_ref().ok_or(crate::Error::MissingUrl)?;
        Ok(Self {
            identity: url.redacted().to_string(),
        })
    }
}

#[async_trait::async_trait]
impl Database for SqliteDatabase {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
    fn identity(&self) -> &str {
        &self.identity
    }
    async fn ping(&self) -> Result<(), DatabaseError> {
        Err(DatabaseError::Closed)
    }
    async fn extract_schema(&self) -> Result<Schema, DatabaseError> {
        Err(DatabaseError::Closed)
    }
    async fn execute(&self, _sql: &str, _options: &ExecuteOptions) -> Result<Rows, DatabaseError> {
        Err(DatabaseError::Closed)
    }
}
