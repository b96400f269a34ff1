//! Per-backend fixtures: a uniquely named database loaded with the logical fixture schema
//! (`dbqa_schema::testing::fixture_sql`), a connector on it from `dbqa_schema::connect`, and cleanup
//! when the fixture is dropped (also when a test fails), plus removal of leftovers older
//! than an hour from interrupted runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dbqa_core::{Database, DatabaseConfig};

/// The backends the shared suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, from a temporary file.
    Sqlite,
    /// PostgreSQL on loopback (or `DBQA_TEST_POSTGRES_URL`).
    Postgres,
    /// MariaDB/MySQL on loopback (or `DBQA_TEST_MYSQL_URL`).
    MySql,
}

/// A database created for one test.
pub struct Fixture {
    pub backend: Backend,
    /// The URL of the fixture database.
    pub url: String,
    /// The fixture database's name.
    pub name: String,
    /// A connector on it with the default settings.
    pub db: Arc<dyn Database>,
    admin_url: String,
    _dir: Option<tempfile::TempDir>,
}

const PREFIX: &str = "dbqa_test_";

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{PREFIX}{secs}_{}_{n}", std::process::id())
}

/// Whether a leftover fixture database is older than an hour (by the time in its name).
fn is_stale(name: &str) -> bool {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.split('_').next())
        .and_then(|secs| secs.parse::<u64>().ok())
        .is_some_and(|created| now.saturating_sub(created) > 3600)
}

fn service_url(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// Replaces the database part of a server URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Skips (or, with `DBQA_TEST_REQUIRE_SERVICES=1`, fails) when a service is unreachable.
fn unreachable(backend: Backend, url: &str, error: &dyn std::fmt::Display) -> Option<Fixture> {
    let how = match backend {
        Backend::Postgres => {
            "start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) or set DBQA_TEST_POSTGRES_URL"
        }
        Backend::MySql => {
            "start MariaDB on 127.0.0.1:3306 (user root, empty password) or set DBQA_TEST_MYSQL_URL"
        }
        Backend::Sqlite => "sqlite needs no service",
    };
    dbqa_core::testing::service_down(&format!("{backend:?}"), url, error, how)
}

impl Fixture {
    /// Creates the fixture database; `None` when the service is down and skipping is allowed.
    pub async fn new(backend: Backend) -> Option<Fixture> {
        Self::with_config(backend, |_| {}).await
    }

    /// Like [`Fixture::new`], with the connector's configuration adjusted.
    pub async fn with_config(
        backend: Backend,
        adjust: impl FnOnce(&mut DatabaseConfig),
    ) -> Option<Fixture> {
        let name = unique_name();
        let (url, admin_url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("fixture.db");
                sqlite_load(&path);
                (
                    format!("sqlite://{}", path.display()),
                    String::new(),
                    Some(dir),
                )
            }
            Backend::Postgres => {
                let admin = service_url(
                    "DBQA_TEST_POSTGRES_URL",
                    "postgres://postgres@127.0.0.1:5432/test",
                );
                if let Err(e) = admin::create(backend, &admin, &name).await {
                    return unreachable(backend, &admin, &e);
                }
                (with_database(&admin, &name), admin, None)
            }
            Backend::MySql => {
                let admin = service_url("DBQA_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
                if let Err(e) = admin::create(backend, &admin, &name).await {
                    return unreachable(backend, &admin, &e);
                }
                (with_database(&admin, &name), admin, None)
            }
        };
        let mut config = DatabaseConfig::with_url(url.clone());
        config.pool_size = 2;
        config.max_overflow = 2;
        config.pool_timeout = Duration::from_secs(10);
        adjust(&mut config);
        let db = dbqa_schema::connect(&config)
            .await
            .unwrap_or_else(|e| panic!("connect to fixture {url}: {e}"));
        Some(Fixture {
            backend,
            url,
            name,
            db,
            admin_url,
            _dir: dir,
        })
    }

    /// The admin URL of the server (empty for SQLite).
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if self.backend == Backend::Sqlite {
            return;
        }
        let (backend, admin, name) = (self.backend, self.admin_url.clone(), self.name.clone());
        // Drop may run inside the test's runtime: clean up on a thread with its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let result = runtime
                .map_err(sqlx::Error::Io)
                .and_then(|rt| rt.block_on(admin::drop_database(backend, &admin, &name)));
            if let Err(e) = result {
                eprintln!("could not drop fixture database {name}: {e}");
            }
        });
        let _ = cleanup.join();
    }
}

fn sqlite_load(path: &std::path::Path) {
    let sql = dbqa_schema::testing::fixture_sql(dbqa_core::Dialect::Sqlite);
    let conn = rusqlite::Connection::open(path).expect("create sqlite fixture");
    conn.execute_batch(sql).expect("load sqlite fixture");
}

/// The fixture SQL of a server backend.
fn fixture_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => dbqa_schema::testing::fixture_sql(dbqa_core::Dialect::Postgres),
        Backend::MySql => dbqa_schema::testing::fixture_sql(dbqa_core::Dialect::MySql),
        Backend::Sqlite => dbqa_schema::testing::fixture_sql(dbqa_core::Dialect::Sqlite),
    }
}

/// Administrative connections (creating, dropping, killing), straight through sqlx.
pub mod admin {
    use super::*;
    use sqlx::{AssertSqlSafe, Connection, Row};

    /// Creates and loads the fixture database, removing stale leftovers first.
    pub async fn create(backend: Backend, admin: &str, name: &str) -> Result<(), sqlx::Error> {
        match backend {
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(admin).await?;
                let stale: Vec<String> = sqlx::query_scalar(
                    "SELECT datname::text FROM pg_database WHERE datname LIKE 'dbqa\\_test\\_%'",
                )
                .fetch_all(&mut conn)
                .await?;
                for old in stale.iter().filter(|n| is_stale(n)) {
                    let sql = format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)");
                    let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
                }
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await?;
                let mut db = sqlx::PgConnection::connect(&with_database(admin, name)).await?;
                sqlx::raw_sql(fixture_sql(backend)).execute(&mut db).await?;
                db.close().await
            }
            Backend::MySql => {
                let mut conn = sqlx::MySqlConnection::connect(admin).await?;
                let stale: Vec<String> = sqlx::query_scalar(
                    "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbqa\\_test\\_%'",
                )
                .fetch_all(&mut conn)
                .await?;
                for old in stale.iter().filter(|n| is_stale(n)) {
                    let sql = format!("DROP DATABASE IF EXISTS `{old}`");
                    let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
                }
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
                    .execute(&mut conn)
                    .await?;
                let mut db = sqlx::MySqlConnection::connect(&with_database(admin, name)).await?;
                sqlx::raw_sql(fixture_sql(backend)).execute(&mut db).await?;
                db.close().await
            }
            Backend::Sqlite => Ok(()),
        }
    }

    /// Drops the fixture database, disconnecting anyone still on it.
    pub async fn drop_database(
        backend: Backend,
        admin: &str,
        name: &str,
    ) -> Result<(), sqlx::Error> {
        match backend {
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(admin).await?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await?;
                conn.close().await
            }
            Backend::MySql => {
                let mut conn = sqlx::MySqlConnection::connect(admin).await?;
                let sql = format!("DROP DATABASE IF EXISTS `{name}`");
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await?;
                conn.close().await
            }
            Backend::Sqlite => Ok(()),
        }
    }

    /// Waits until a query whose text starts with `prefix` runs on database `name`, then
    /// kills its connection from another session. Returns whether one was killed.
    pub async fn kill_query(
        backend: Backend,
        admin: &str,
        name: &str,
        prefix: &str,
    ) -> Result<bool, sqlx::Error> {
        for _ in 0..100 {
            let killed = match backend {
                Backend::Postgres => {
                    let mut conn = sqlx::PgConnection::connect(admin).await?;
                    let row = sqlx::query(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                         WHERE datname = $1 AND query LIKE $2 AND pid <> pg_backend_pid()",
                    )
                    .bind(name)
                    .bind(format!("{prefix}%"))
                    .fetch_one(&mut conn)
                    .await?;
                    row.try_get::<i64, _>(0)? > 0
                }
                Backend::MySql => {
                    let mut conn = sqlx::MySqlConnection::connect(admin).await?;
                    let ids: Vec<u64> = sqlx::query_scalar(
                        "SELECT CAST(ID AS UNSIGNED) FROM information_schema.PROCESSLIST
                         WHERE DB = ? AND INFO LIKE ? AND ID <> CONNECTION_ID()",
                    )
                    .bind(name)
                    .bind(format!("{prefix}%"))
                    .fetch_all(&mut conn)
                    .await?;
                    for id in &ids {
                        sqlx::raw_sql(AssertSqlSafe(format!("KILL {id}")))
                            .execute(&mut conn)
                            .await?;
                    }
                    !ids.is_empty()
                }
                Backend::Sqlite => false,
            };
            if killed {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(false)
    }
}
