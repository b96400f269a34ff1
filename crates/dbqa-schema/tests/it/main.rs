//! The shared connector suite: one set of tests (`suite.rs`) that every connector runs
//! against itself on a freshly created fixture database (`fixture.rs`).
//!
//! PostgreSQL and MariaDB must be running on loopback (addresses overridable by
//! `DBQA_TEST_POSTGRES_URL` / `DBQA_TEST_MYSQL_URL`); when one is down its tests are
//! skipped with a line saying so, or fail with `DBQA_TEST_REQUIRE_SERVICES=1`. SQL Server tests run only when `DBQA_TEST_MSSQL_URL` is set.

#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used
)]

mod fixture;
mod mssql;
mod suite;

/// Declares every suite test for one backend.
#[macro_export]
macro_rules! connector_suite {
    ($module:ident, $backend:expr) => {
        mod $module {
            use $crate::fixture::Backend;
            use $crate::suite;

            const BACKEND: Backend = $backend;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn schema_extraction() {
                suite::schema_extraction(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn types_round_trip() {
                suite::types_round_trip(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn decimals_read_as_written() {
                suite::decimals_read_as_written(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn row_limit() {
                suite::row_limit(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn timeout() {
                suite::timeout(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn read_only() {
                suite::read_only(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn errors() {
                suite::errors(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn pool_exhaustion() {
                suite::pool_exhaustion(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn killed_connection() {
                suite::killed_connection(BACKEND).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn pool_status_and_close() {
                suite::pool_status_and_close(BACKEND).await;
            }
        }
    };
}

connector_suite!(sqlite, Backend::Sqlite);
connector_suite!(postgres, Backend::Postgres);
connector_suite!(mysql, Backend::MySql);
