//! The SQLite connector on fixture files: schema, row limits, the read-only walls.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dbqa_core::{Database, DatabaseConfig, DatabaseError, ExecuteOptions, Value};

use super::SqliteDatabase;
use crate::Error;

const FIXTURE: &str = include_str!("../../tests/fixtures/schema_fixture.sql");

/// Writes the fixture database into a temp dir and returns (dir guard, file path).
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixture.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(FIXTURE).unwrap();
    (dir, path)
}

fn url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

async fn open(path: &Path) -> SqliteDatabase {
    SqliteDatabase::open_url(&url(path)).await.unwrap()
}

fn opts(max_rows: usize) -> ExecuteOptions {
    ExecuteOptions::read_only(Duration::from_secs(10), max_rows)
}

#[tokio::test]
async fn schema_of_fixture() {
    let (_dir, path) = fixture();
    let db = open(&path).await;
    let schema = db.extract_schema().await.unwrap();
    insta::assert_json_snapshot!(schema);
}

#[tokio::test]
async fn row_limit_sets_truncated() {
    let db = SqliteDatabase::open_url("sqlite::memory:").await.unwrap();
    let ten = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT x FROM c";
    // (limit, rows returned, truncated)
    for (limit, rows, truncated) in [(5, 5, true), (9, 9, true), (10, 10, false), (11, 10, false)] {
        let got = db.execute(ten, &opts(limit)).await.unwrap();
        assert_eq!(
            (got.len(), got.truncated),
            (rows, truncated),
            "limit {limit}"
        );
        assert_eq!(got.rows.last(), Some(&vec![Value::Int(rows as i64)]));
    }
    let none = db.execute(ten, &opts(0)).await.unwrap();
    assert!(none.is_empty() && none.truncated);
}

#[tokio::test]
async fn values_and_column_types() {
    let (_dir, path) = fixture();
    let db = open(&path).await;
    let rows = db
        .execute(
            "SELECT id, email, photo, manager_id, 2.5 AS ratio, 7 / 2 AS half \
             FROM staff ORDER BY id",
            &opts(10),
        )
        .await
        .unwrap();
    let types: Vec<(&str, &str)> = rows
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.type_name.as_str()))
        .collect();
    assert_eq!(
        types,
        [
            ("id", "INTEGER"),
            ("email", "TEXT"),
            ("photo", "BLOB"),
            ("manager_id", "INTEGER"),
            ("ratio", "REAL"),
            ("half", "INTEGER"),
        ]
    );
    assert_eq!(
        rows.rows[0],
        vec![
            Value::Int(1),
            Value::Text("ann@example.com".into()),
            Value::Bytes(vec![0xde, 0xad, 0xbe, 0xef]),
            Value::Null,
            Value::Float(2.5),
            Value::Int(3),
        ]
    );
    assert_eq!(rows.len(), 3);
}

#[tokio::test]
async fn long_query_times_out_and_connection_stays_usable() {
    let (_dir, path) = fixture();
    let mut config = DatabaseConfig::with_url(url(&path));
    config.pool_size = 1;
    config.max_overflow = 0;
    let db = SqliteDatabase::open(&config).await.unwrap();
    let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                   SELECT count(*) FROM c WHERE x < 1000000000";
    let options = ExecuteOptions::read_only(Duration::from_millis(200), 10);
    let err = db.execute(endless, &options).await.unwrap_err();
    assert_eq!(
        err,
        DatabaseError::Timeout {
            after: Duration::from_millis(200)
        }
    );
    // The single pooled connection answers the next query.
    let rows = db
        .execute("SELECT count(*) FROM stores", &opts(10))
        .await
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Int(2)]]);
    assert_eq!(db.pool_status().size, 1);
}

/// Every statement here must be refused with `ReadOnly` on a read-only connector, and
/// the data must be untouched afterwards.
const WRITES: &[&str] = &[
    "INSERT INTO stores (name, country, region_code) VALUES ('x', 'NL', 'NH')",
    "UPDATE stores SET name = 'y'",
    "DELETE FROM staff",
    "CREATE TABLE t (a INTEGER)",
    "CREATE TEMP TABLE t (a INTEGER)",
    "CREATE INDEX i ON stores (country)",
    "DROP TABLE shifts",
    "DROP VIEW store_staff",
    "ALTER TABLE stores ADD COLUMN z TEXT",
    "ATTACH DATABASE ':memory:' AS other",
    "DETACH DATABASE main",
    "PRAGMA query_only = OFF",
    "PRAGMA writable_schema = ON",
    "BEGIN IMMEDIATE",
    "VACUUM",
    "REINDEX",
    "ANALYZE",
    "REPLACE INTO regions VALUES ('NL', 'NH', 'x')",
    "WITH x AS (SELECT 1) INSERT INTO regions SELECT 'BE', 'BRU', 'Brussels' FROM x",
];

#[tokio::test]
async fn writes_fail_on_read_only_connector() {
    let (dir, path) = fixture();
    let db = open(&path).await;
    let vacuum_into = format!("VACUUM INTO '{}'", dir.path().join("copy.db").display());
    let mut statements: Vec<&str> = WRITES.to_vec();
    statements.push(&vacuum_into);
    for sql in statements {
        for read_only in [true, false] {
            let options = ExecuteOptions {
                read_only,
                ..opts(10)
            };
            match db.execute(sql, &options).await {
                Err(DatabaseError::ReadOnly { .. }) => {}
                other => panic!("{sql} (read_only={read_only}) gave {other:?}"),
            }
        }
    }
    assert!(
        !dir.path().join("copy.db").exists(),
        "VACUUM INTO wrote a file"
    );
    let counts = db
        .execute(
            "SELECT (SELECT count(*) FROM stores), (SELECT count(*) FROM staff), \
             (SELECT count(*) FROM regions), (SELECT count(*) FROM sqlite_master)",
            &opts(1),
        )
        .await
        .unwrap();
    assert_eq!(
        counts.rows,
        vec![vec![
            Value::Int(2),
            Value::Int(3),
            Value::Int(2),
            Value::Int(11)
        ]]
    );
    // Reading pragmas still works.
    let info = db
        .execute("PRAGMA table_info(stores)", &opts(100))
        .await
        .unwrap();
    assert_eq!(info.len(), 6);
}

#[tokio::test]
async fn writable_connector_writes_only_when_asked() {
    let (_dir, path) = fixture();
    let db = SqliteDatabase::open_url(&format!("{}?mode=rw", url(&path)))
        .await
        .unwrap();
    assert!(db.is_writable());
    let insert = "INSERT INTO regions VALUES ('BE', 'BRU', 'Brussels')";
    let err = db.execute(insert, &opts(10)).await.unwrap_err();
    assert!(matches!(err, DatabaseError::ReadOnly { .. }), "{err:?}");
    let write = ExecuteOptions {
        read_only: false,
        ..opts(10)
    };
    db.execute(insert, &write).await.unwrap();
    // The walls are back up for the next read-only execution on the same connection.
    let err = db
        .execute("DELETE FROM regions WHERE country = 'BE'", &opts(10))
        .await
        .unwrap_err();
    assert!(matches!(err, DatabaseError::ReadOnly { .. }), "{err:?}");
    let rows = db
        .execute("SELECT count(*) FROM regions", &opts(10))
        .await
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Int(3)]]);
}

#[tokio::test]
async fn open_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    match SqliteDatabase::open_url(&url(&missing)).await {
        Err(Error::FileNotFound { path }) => assert_eq!(path, missing),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!missing.exists(), "a read-only open created the file");

    match SqliteDatabase::open_url("sqlite://x.db?mode=bogus").await {
        Err(Error::Database(DatabaseError::InvalidUrl { message })) => {
            assert!(message.contains("bogus"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }

    let not_a_db = dir.path().join("notes.db");
    std::fs::write(
        &not_a_db,
        "this is not a database, just text that is long enough",
    )
    .unwrap();
    match SqliteDatabase::open_url(&url(&not_a_db)).await {
        Err(Error::Database(DatabaseError::Connection { message, .. })) => {
            assert!(message.contains("not a database"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }

    // `mode=rwc` creates the file.
    let created = dir.path().join("new.db");
    SqliteDatabase::open_url(&format!("{}?mode=rwc", url(&created)))
        .await
        .unwrap();
    assert!(created.exists());
}

#[tokio::test]
async fn query_errors_carry_message_and_code() {
    let db = SqliteDatabase::open_url("sqlite::memory:").await.unwrap();
    for (sql, expect) in [
        ("SELECT * FROM nope", "no such table: nope"),
        ("SELEC 1", "near \"SELEC\": syntax error"),
    ] {
        match db.execute(sql, &opts(1)).await {
            Err(DatabaseError::Query { message, code }) => {
                assert_eq!(message, expect);
                assert_eq!(code.as_deref(), Some("1"));
            }
            other => panic!("{sql}: unexpected {other:?}"),
        }
    }
    match db.execute("SELECT 1; SELECT 2", &opts(1)).await {
        Err(DatabaseError::Query {
            message,
            code: None,
        }) => {
            assert!(message.contains("Multiple statements"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_queries_share_the_pool() {
    let (_dir, path) = fixture();
    let mut config = DatabaseConfig::with_url(url(&path));
    config.pool_size = 2;
    config.max_overflow = 2;
    let db = Arc::new(SqliteDatabase::open(&config).await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..64_i64 {
        let db = Arc::clone(&db);
        tasks.push(tokio::spawn(async move {
            let sql = format!("SELECT {i} + count(*) FROM staff");
            db.execute(&sql, &opts(1)).await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let rows = task.await.unwrap().unwrap();
        assert_eq!(rows.rows, vec![vec![Value::Int(i as i64 + 3)]]);
    }
    let status = db.pool_status();
    assert!(status.size <= 4 && status.size >= 1, "{status:?}");
    assert_eq!(status.in_use, 0);
    assert_eq!(status.max_size, 4);
}

#[tokio::test]
async fn busy_pool_gives_pool_exhausted_and_close_refuses_work() {
    let (_dir, path) = fixture();
    let mut config = DatabaseConfig::with_url(url(&path));
    config.pool_size = 1;
    config.max_overflow = 0;
    config.pool_timeout = Duration::from_millis(50);
    let db = SqliteDatabase::open(&config).await.unwrap();
    let held = db.pool.acquire().await.unwrap();
    let err = db.execute("SELECT 1", &opts(1)).await.unwrap_err();
    assert_eq!(
        err,
        DatabaseError::PoolExhausted {
            waited: Duration::from_millis(50),
            max_size: 1
        }
    );
    drop(held);
    db.ping().await.unwrap();
    db.close().await;
    assert_eq!(db.ping().await.unwrap_err(), DatabaseError::Closed);
}

#[tokio::test]
async fn factory_opens_sqlite_urls() {
    let (_dir, path) = fixture();
    for form in [url(&path), format!("sqlite:{}", path.display())] {
        let db = crate::connect_url(&form).await.unwrap();
        assert_eq!(db.dialect(), dbqa_core::Dialect::Sqlite);
        assert_eq!(db.identity(), form);
        assert_eq!(db.extract_schema().await.unwrap().tables.len(), 5);
    }
    let memory = crate::connect_url("sqlite://:memory:").await.unwrap();
    memory.ping().await.unwrap();
}
