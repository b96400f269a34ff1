//! The connector suite (feature `testing`), for anyone writing a [`Database`]: the checks
//! dbqa's own SQLite, PostgreSQL, MySQL and SQL Server connectors pass, written against
//! `Arc<dyn Database>` alone. Load [`fixture_sql`] for your dialect into a fresh database,
//! connect your connector to it read-only, and run [`run_connector_suite`] (or each check
//! on its own). The model is object_store's integration suite.
//!
//! ```no_run
//! # async fn run(db: std::sync::Arc<dyn dbqa_core::Database>) {
//! // `db` points at a database loaded with `fixture_sql(db.dialect())`.
//! dbqa_schema::testing::run_connector_suite(db).await;
//! # }
//! ```
//!
//! Each check panics with a message when the connector misbehaves: they are assertions
//! for tests. Checks that need a server's administration (timeouts, pools, killed
//! connections) stay in dbqa-schema's own tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use dbqa_core::{Database, DatabaseError, Dialect, ExecuteOptions};

/// The fixture for a dialect: tables `customers` (5 rows), `orders`, `order_items`
/// (composite key), `shipments` (composite foreign key) and the view `customer_totals`
/// (the SQLite, PostgreSQL and MySQL fixtures also hold `type_samples`).
pub fn fixture_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => include_str!("testing/fixtures/sqlite.sql"),
        Dialect::Postgres => include_str!("testing/fixtures/postgres.sql"),
        Dialect::MySql => include_str!("testing/fixtures/mysql.sql"),
        Dialect::MsSql => include_str!("testing/fixtures/mssql.sql"),
    }
}

fn options(max_rows: usize) -> ExecuteOptions {
    ExecuteOptions::read_only(Duration::from_secs(5), max_rows)
}

/// Every check of the suite, in order.
pub async fn run_connector_suite(db: Arc<dyn Database>) {
    schema_extraction(&db).await;
    row_limit(&db).await;
    read_only(&db).await;
    query_errors(&db).await;
    decimals_read_as_written(&db).await;
}

/// Suite check: tables and the view, the composite primary and foreign keys.
pub async fn schema_extraction(db: &Arc<dyn Database>) {
    let schema = db.extract_schema().await.expect("extract schema");
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    for expected in [
        "customers",
        "orders",
        "order_items",
        "shipments",
        "customer_totals",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let shipments = schema.table("shipments").expect("shipments");
    let fk = shipments.foreign_keys.first().expect("composite fk");
    assert_eq!(fk.columns, ["order_id", "line_no"]);
    assert_eq!(fk.referenced_columns, ["order_id", "line_no"]);
    let items = schema.table("order_items").expect("order_items");
    assert_eq!(
        items.primary_key.as_ref().map(|pk| pk.columns.clone()),
        Some(vec!["order_id".to_string(), "line_no".to_string()])
    );
}

/// Suite check: `max_rows` rows at most, `truncated` exactly when more existed, columns
/// known without rows.
pub async fn row_limit(db: &Arc<dyn Database>) {
    let sql = "SELECT id, name FROM customers ORDER BY id";
    for (max_rows, len, truncated) in [(3, 3, true), (5, 5, false), (10, 5, false), (0, 0, true)] {
        let rows = db.execute(sql, &options(max_rows)).await.expect("select");
        assert_eq!(
            (rows.len(), rows.truncated),
            (len, truncated),
            "max_rows {max_rows}"
        );
        assert_eq!(rows.column_names(), ["id", "name"]);
    }
    let empty = db
        .execute("SELECT id, name FROM customers WHERE id < 0", &options(10))
        .await
        .expect("empty select");
    assert!(empty.is_empty() && !empty.truncated);
    assert_eq!(
        empty.column_names(),
        ["id", "name"],
        "columns known without rows"
    );
}

/// Suite check: writes and DDL fail with [`DatabaseError::ReadOnly`] and change nothing.
pub async fn read_only(db: &Arc<dyn Database>) {
    for sql in [
        "INSERT INTO customers (id, name) VALUES (99, 'Mallory')",
        "UPDATE customers SET name = 'x'",
        "DELETE FROM customers",
        "CREATE TABLE intruder (a int)",
    ] {
        match db.execute(sql, &options(10)).await {
            Err(DatabaseError::ReadOnly { .. }) => {}
            other => panic!("`{sql}` gave {other:?}, want ReadOnly"),
        }
    }
    let rows = db
        .execute("SELECT count(*) FROM customers", &options(10))
        .await
        .expect("count");
    assert_eq!(
        rows.rows[0][0].to_display_string(),
        "5",
        "nothing was written"
    );
}

/// Suite check: bad SQL and a missing table are [`DatabaseError::Query`] with a message.
pub async fn query_errors(db: &Arc<dyn Database>) {
    for sql in ["SELEC nonsense", "SELECT * FROM no_such_table"] {
        match db.execute(sql, &options(10)).await {
            Err(DatabaseError::Query { message, .. }) => assert!(!message.is_empty(), "{sql}"),
            other => panic!("`{sql}` gave {other:?}, want a query error"),
        }
    }
}

/// Suite check: an average reads `34.5` (no padding zeros), a sum of decimals `4`.
pub async fn decimals_read_as_written(db: &Arc<dyn Database>) {
    let sql = "SELECT AVG(v) AS a, SUM(w) AS s FROM (SELECT 34.0 AS v, 1.50 AS w UNION ALL SELECT 35.0, 2.50) t";
    let rows = db.execute(sql, &options(10)).await.expect("average");
    let shown: Vec<String> = rows.rows[0].iter().map(|v| v.to_display_string()).collect();
    assert_eq!(shown, ["34.5", "4"], "{:?}", rows.rows[0]);
}
