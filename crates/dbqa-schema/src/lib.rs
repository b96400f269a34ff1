//! Database connectors for dbqa: open a database from its URL, describe its structure and
//! run read-only queries with a deadline and a row limit.
//!
//! It owns:
//! - [`connect`] / [`connect_url`], the factory that picks a connector from the URL scheme
//!   and hands back an `Arc<dyn Database>`;
//! - one connector per backend, each in its own file and behind its own cargo feature
//!   (SQLite on rusqlite; PostgreSQL and MySQL/MariaDB on sqlx; SQL Server on tiberius);
//! - schema extraction with a few bulk catalog queries per database;
//! - the deterministic demo shop database ([`demo`], SQLite).
//!
//! It must not know about SQL validation (that is `dbqa-guard`, which runs before a query
//! reaches a connector), the LLM, caches or the agent. Connectors are the *second* wall:
//! they execute read-only even when the guard let a write through.
//!
//! ```no_run
//! # async fn run() -> dbqa_schema::Result<()> {
//! use std::time::Duration;
//! use dbqa_core::ExecuteOptions;
//!
//! let db = dbqa_schema::connect_url("sqlite://target/demo/shop.db").await?;
//! let schema = db.extract_schema().await?;
//! println!("{} tables", schema.tables.len());
//! let rows = db
//!     .execute("SELECT name FROM customers", &ExecuteOptions::read_only(Duration::from_secs(5), 10))
//!     .await?;
//! assert!(rows.len() <= 10);
//! # Ok(())
//! # }
//! ```
//!
//! | Feature    | Default | Backend                                         |
//! |------------|---------|-------------------------------------------------|
//! | `sqlite`   | yes     | SQLite files and `:memory:` (rusqlite, bundled) and the demo database |
//! | `postgres` | yes     | PostgreSQL (`postgres://`, `postgresql://`; sqlx) |
//! | `mysql`    | yes     | MySQL and MariaDB (`mysql://`, `mariadb://`; sqlx) |
//! | `mssql`    | yes     | SQL Server (`mssql://`, `sqlserver://`; tiberius) |
//!
//! A URL whose connector is compiled out gives [`dbqa_core::DatabaseError::FeatureDisabled`]
//! naming the feature to enable.
//!
//! Writes: every connector executes read-only unless `ExecuteOptions::read_only` is false.
//! SQLite additionally needs the connector opened writable (`?mode=rw` or `?mode=rwc` in the
//! URL); a plain `sqlite://file.db` URL is read-only at the file level and never creates a
//! missing file.

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::sync::Arc;

use dbqa_core::{Database, DatabaseConfig, DatabaseError, Dialect};

#[cfg(any(
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "mssql"
))]
mod bounds;
mod error;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "mssql"))]
mod pool;

#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub mod demo;
#[cfg(feature = "mssql")]
mod mssql;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use error::{Error, Result};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteDatabase;

/// Opens the database `config.url` points at. The URL scheme decides the connector;
/// pool size and timeouts come from the rest of `config`.
///
/// Errors: [`Error::MissingUrl`] without a URL, [`DatabaseError::InvalidUrl`] for an
/// unknown scheme, [`DatabaseError::FeatureDisabled`] when the connector is compiled out,
/// and the connector's own errors (unreachable server, missing file, …).
pub async fn connect(config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    let url = config.url.as_ref().ok_or(Error::MissingUrl)?;
    let dialect = Dialect::from_url(url.expose()).map_err(|e| DatabaseError::InvalidUrl {
        message: format!("{e} (url: {})", url.redacted()),
    })?;
    match dialect {
        Dialect::Sqlite => open_sqlite(config).await,
        Dialect::Postgres => open_postgres(config).await,
        Dialect::MySql => open_mysql(config).await,
        Dialect::MsSql => open_mssql(config).await,
    }
}

/// Opens the database a URL points at, with the default pool settings.
pub async fn connect_url(url: &str) -> Result<Arc<dyn Database>> {
    connect(&DatabaseConfig::with_url(url)).await
}

/// The error for a URL whose connector is compiled out.
#[allow(dead_code)] // unused when every feature is on
fn feature_disabled(dialect: Dialect, feature: &str) -> Error {
    Error::Database(DatabaseError::FeatureDisabled {
        dialect: dialect.display_name().to_string(),
        feature: feature.to_string(),
    })
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    Ok(Arc::new(SqliteDatabase::open(config).await?))
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(_config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    Err(feature_disabled(Dialect::Sqlite, "sqlite"))
}

#[cfg(feature = "postgres")]
async fn open_postgres(config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    Ok(Arc::new(postgres::PostgresDatabase::connect(config).await?))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(_config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    Err(feature_disabled(Dialect::Postgres, "postgres"))
}

#[cfg(feature = "mysql")]
async fn open_mysql(config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    Ok(Arc::new(mysql::MySqlDatabase::connect(config).await?))
}

#[cfg(not(feature = "mysql"))]
async fn open_mysql(_config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    Err(feature_disabled(Dialect::MySql, "mysql"))
}

#[cfg(feature = "mssql")]
async fn open_mssql(config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    Ok(Arc::new(mssql::MsSqlDatabase::connect(config).await?))
}

#[cfg(not(feature = "mssql"))]
async fn open_mssql(_config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    Err(feature_disabled(Dialect::MsSql, "mssql"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn factory_errors_are_typed() {
        let mut config = DatabaseConfig::with_url("sqlite://x.db");
        config.url = None;
        assert!(matches!(connect(&config).await, Err(Error::MissingUrl)));
        match connect_url("oracle://scott:tiger@db/orcl").await {
            Err(Error::Database(DatabaseError::InvalidUrl { message })) => {
                assert!(message.contains("oracle"), "{message}");
                assert!(!message.contains("tiger"), "password leaked: {message}");
            }
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("oracle url opened"),
        }
    }

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn compiled_out_connector_names_its_feature() {
        match connect_url("postgres://u:secret@localhost/db").await {
            Err(Error::Database(DatabaseError::FeatureDisabled { feature, .. })) => {
                assert_eq!(feature, "postgres");
            }
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("postgres opened without the feature"),
        }
    }
}
