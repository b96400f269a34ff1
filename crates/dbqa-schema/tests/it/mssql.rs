//! SQL Server runs only against a server named by `DBQA_TEST_MSSQL_URL` (none can be
//! installed on the development machine); without it the tests say they did not run.

use std::time::Duration;

use dbqa_core::{DatabaseError, Dialect, ExecuteOptions};

fn url() -> Option<String> {
    match std::env::var("DBQA_TEST_MSSQL_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "NOT RUN: SQL Server tests need DBQA_TEST_MSSQL_URL (e.g. mssql://sa:pw@127.0.0.1:1433/master)"
            );
            None
        }
    }
}

#[tokio::test]
async fn mssql_queries_and_schema() {
    let Some(url) = url() else { return };
    let db = dbqa_schema::connect_url(&url).await.expect("connect");
    assert_eq!(db.dialect(), Dialect::MsSql);
    let options = ExecuteOptions::read_only(Duration::from_secs(5), 2);
    let rows = db
        .execute(
            "SELECT CAST(1 AS int) AS one, N'x' AS t, CAST(2.50 AS decimal(5,2)) AS d UNION ALL SELECT 2, N'y', 3 UNION ALL SELECT 3, N'z', 4",
            &options,
        )
        .await
        .expect("select");
    assert_eq!((rows.len(), rows.truncated), (2, true));
    assert_eq!(rows.column_names(), ["one", "t", "d"]);
    db.extract_schema().await.expect("schema");
    let err = db
        .execute(
            "WAITFOR DELAY '00:00:10'",
            &ExecuteOptions::read_only(Duration::from_millis(200), 1),
        )
        .await
        .expect_err("timeout");
    assert!(matches!(err, DatabaseError::Timeout { .. }), "{err:?}");
    db.execute("SELECT 1", &options)
        .await
        .expect("usable after timeout");
}

/// The shared connector suite on SQL Server. `DBQA_TEST_MSSQL_URL` must name a scratch
/// database the test may write to: the fixture is loaded (with a read-write execution),
/// the suite runs read-only, and the fixture's objects are dropped again.
#[tokio::test]
async fn mssql_passes_the_connector_suite() {
    let Some(url) = url() else { return };
    let db = dbqa_schema::connect_url(&url).await.expect("connect");
    let write = ExecuteOptions {
        read_only: false,
        ..ExecuteOptions::read_only(Duration::from_secs(30), 1)
    };
    let drop_fixture = "DROP VIEW IF EXISTS customer_totals; DROP TABLE IF EXISTS shipments, order_items, orders, customers;";
    db.execute(drop_fixture, &write)
        .await
        .expect("clear leftovers");
    db.execute(dbqa_schema::testing::fixture_sql(Dialect::MsSql), &write)
        .await
        .expect("load the fixture");
    let suite = tokio::spawn(dbqa_schema::testing::run_connector_suite(db.clone()));
    let outcome = suite.await;
    db.execute(drop_fixture, &write)
        .await
        .expect("drop the fixture");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
