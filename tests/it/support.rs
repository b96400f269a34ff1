//! Test support: a database per backend (SQLite demo shop in a temp dir, or a uniquely
//! named PostgreSQL/MariaDB database loaded with `fixtures/shop.sql`), the fake LLM, and
//! an agent wired to both over the real HTTP client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use dbqa_agent::DatabaseQueryAgent;
use dbqa_core::{AgentConfig, Database, Environment};
use dbqa_fake_llm::FakeLlm;
use sqlx::{AssertSqlSafe, Connection};

/// The backends every scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

/// A database made for one test, dropped afterwards.
pub struct TestDb {
    pub backend: Backend,
    pub db: Arc<dyn Database>,
    admin: String,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "dbqa_e2e_{secs}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn with_database(url: &str, name: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => format!("{}/{name}", &url[..after_scheme + i]),
        None => format!("{url}/{name}"),
    }
}

impl TestDb {
    /// `None` when the service is down (skipped, unless services are required).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("shop.db");
                dbqa_schema::demo::create_demo_database(&path).expect("demo database");
                let db = dbqa_schema::connect_url(&format!("sqlite://{}", path.display()))
                    .await
                    .expect("open demo database");
                Some(TestDb {
                    backend,
                    db,
                    admin: String::new(),
                    name,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres | Backend::MySql => {
                let (var, default, how) = if backend == Backend::Postgres {
                    (
                        "DBQA_TEST_POSTGRES_URL",
                        "postgres://postgres@127.0.0.1:5432/test",
                        "start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) or set DBQA_TEST_POSTGRES_URL",
                    )
                } else {
                    (
                        "DBQA_TEST_MYSQL_URL",
                        "mysql://root@127.0.0.1:3306/test",
                        "start MariaDB on 127.0.0.1:3306 (user root, empty password) or set DBQA_TEST_MYSQL_URL",
                    )
                };
                let admin = std::env::var(var)
                    .ok()
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| default.into());
                if let Err(e) = create(backend, &admin, &name).await {
                    let service = format!("{backend:?}");
                    return dbqa_core::testing::service_down(&service, &admin, &e, how);
                }
                let db = dbqa_schema::connect_url(&with_database(&admin, &name))
                    .await
                    .expect("connect to the test database");
                Some(TestDb {
                    backend,
                    db,
                    admin,
                    name,
                    _dir: None,
                })
            }
        }
    }
}

async fn create(backend: Backend, admin: &str, name: &str) -> Result<(), sqlx::Error> {
    let fixture = include_str!("fixtures/shop.sql");
    match backend {
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(admin).await?;
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut conn)
                .await?;
            let mut db = sqlx::PgConnection::connect(&with_database(admin, name)).await?;
            sqlx::raw_sql(fixture).execute(&mut db).await?;
            db.close().await
        }
        Backend::MySql => {
            let mut conn = sqlx::MySqlConnection::connect(admin).await?;
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
                .execute(&mut conn)
                .await?;
            let mut db = sqlx::MySqlConnection::connect(&with_database(admin, name)).await?;
            sqlx::raw_sql(fixture).execute(&mut db).await?;
            db.close().await
        }
        Backend::Sqlite => Ok(()),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.backend == Backend::Sqlite {
            return;
        }
        let (backend, admin, name) = (self.backend, self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime: clean up on a thread with its own.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let result: Result<(), sqlx::Error> = rt.block_on(async {
                if backend == Backend::Postgres {
                    let mut conn = sqlx::PgConnection::connect(&admin).await?;
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await?;
                    conn.close().await
                } else {
                    let mut conn = sqlx::MySqlConnection::connect(&admin).await?;
                    let sql = format!("DROP DATABASE IF EXISTS `{name}`");
                    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await?;
                    conn.close().await
                }
            });
            if let Err(e) = result {
                eprintln!("could not drop test database {name}: {e}");
            }
        });
        let _ = cleanup.join();
    }
}

/// A configuration for tests: memory cache and sessions, the fake LLM, no retries.
pub fn config(fake: &FakeLlm, extra: &[(&str, &str)]) -> AgentConfig {
    let base_url = fake.base_url();
    let mut vars: Vec<(&str, &str)> = vec![
        ("LLM_PROVIDER", "openai-compatible"),
        ("LLM_BASE_URL", base_url.as_str()),
        ("LLM_MAX_RETRIES", "0"),
        ("MODEL_STRATEGY", "fixed"),
        ("BALANCED_MODEL", "fake-model"),
        ("CACHE_BACKEND", "memory"),
        ("SESSION_BACKEND", "memory"),
    ];
    vars.extend_from_slice(extra);
    AgentConfig::from_environment(&Environment::from_maps(vars, Vec::<(&str, &str)>::new()))
        .expect("test config")
}

/// An agent on `db` talking to `fake` over HTTP, the LLM built from configuration.
pub async fn agent(db: &TestDb, fake: &FakeLlm, extra: &[(&str, &str)]) -> DatabaseQueryAgent {
    DatabaseQueryAgent::builder()
        .config(config(fake, extra))
        .database(Arc::clone(&db.db))
        .build()
        .await
        .expect("build agent")
}
