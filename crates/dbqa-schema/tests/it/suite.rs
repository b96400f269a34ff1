//! The connector tests, written once over `Arc<dyn Database>`; every backend runs them
//! through [`crate::connector_suite!`]. The checks any connector must pass live in
//! `dbqa_schema::testing` (feature `testing`); these add snapshots and the checks that
//! need a server's administration.

use std::time::Duration;

use dbqa_core::{DatabaseError, ExecuteOptions, Rows, Schema};

use dbqa_schema::testing;

use crate::fixture::{Backend, Fixture, admin, with_database};

fn options(timeout_ms: u64, max_rows: usize) -> ExecuteOptions {
    ExecuteOptions::read_only(Duration::from_millis(timeout_ms), max_rows)
}

/// A query that runs for `secs` seconds on the backend.
fn sleep_sql(backend: Backend, secs: u32) -> String {
    match backend {
        Backend::Postgres => format!("SELECT pg_sleep({secs})"),
        Backend::MySql => format!("SELECT SLEEP({secs})"),
        // No sleep function: an endless recursive count.
        Backend::Sqlite => String::from(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        ),
    }
}

/// The schema as a snapshot: the random database name (MySQL's schema) made stable.
fn schema_snapshot(fx: &Fixture, schema: &Schema) -> serde_json::Value {
    let text = serde_json::to_string(schema).expect("schema to json");
    let text = text.replace(&fx.name, "<fixture>");
    serde_json::from_str(&text).expect("json")
}

fn typed_rows(rows: &Rows) -> Vec<Vec<String>> {
    rows.rows
        .iter()
        .map(|row| {
            rows.columns
                .iter()
                .zip(row)
                .map(|(c, v)| format!("{} = {v:?}", c.name))
                .collect()
        })
        .collect()
}

pub async fn schema_extraction(backend: Backend) {
    let Some(fx) = Fixture::new(backend).await else {
        return;
    };
    testing::schema_extraction(&fx.db).await;
    let schema = fx.db.extract_schema().await.expect("extract schema");
    insta::assert_json_snapshot!(
        format!("schema_{backend:?}").to_lowercase(),
        schema_snapshot(&fx, &schema)
    );
}

pub async fn types_round_trip(backend: Backend) {
    let Some(fx) = Fixture::new(backend).await else {
        return;
    };
    let rows = fx
        .db
        .execute(
            "SELECT * FROM type_samples ORDER BY id",
            &options(5000, 100),
        )
        .await
        .expect("select type samples");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.rows[1].iter().skip(1).all(|v| v.is_null()),
        "{:?}",
        rows.rows[1]
    );
    let json = serde_json::to_value(&rows).expect("rows serialise");
    insta::assert_yaml_snapshot!(
        format!("types_{backend:?}").to_lowercase(),
        (typed_rows(&rows), json)
    );
}

pub async fn row_limit(backend: Backend) {
    if let Some(fx) = Fixture::new(backend).await {
        testing::row_limit(&fx.db).await;
    }
}

pub async fn timeout(backend: Backend) {
    let Some(fx) = Fixture::new(backend).await else {
        return;
    };
    let err = fx
        .db
        .execute(&sleep_sql(backend, 10), &options(200, 10))
        .await
        .expect_err("must time out");
    assert_eq!(
        err,
        DatabaseError::Timeout {
            after: Duration::from_millis(200)
        }
    );
    // The pool is still usable.
    let rows = fx
        .db
        .execute("SELECT count(*) FROM customers", &options(5000, 10))
        .await
        .expect("query after timeout");
    assert_eq!(rows.rows[0][0].to_display_string(), "5");
}

pub async fn read_only(backend: Backend) {
    if let Some(fx) = Fixture::new(backend).await {
        testing::read_only(&fx.db).await;
    }
}

pub async fn errors(backend: Backend) {
    let Some(fx) = Fixture::new(backend).await else {
        return;
    };
    testing::query_errors(&fx.db).await;
    if backend != Backend::Sqlite {
        match fx.db.execute("SELEC nonsense", &options(5000, 10)).await {
            Err(DatabaseError::Query { code, message }) => {
                assert!(code.is_some(), "server errors carry a code: {message}")
            }
            other => panic!("bad sql gave {other:?}"),
        }
    }
    if backend == Backend::Sqlite {
        let missing = "sqlite:///nonexistent/dir/missing.db";
        assert!(dbqa_schema::connect_url(missing).await.is_err());
        return;
    }
    let url = fx.url.clone();
    let connect_err = |url: String| async move {
        match dbqa_schema::connect_url(&url).await {
            Ok(_) => panic!("{} connected", dbqa_core::redact_url(&url)),
            Err(e) => dbqa_core::DatabaseError::from(e),
        }
    };
    // Unknown database.
    let err = connect_err(with_database(&url, "dbqa_no_such_database")).await;
    assert!(
        matches!(&err, DatabaseError::UnknownDatabase { name, .. } if name == "dbqa_no_such_database"),
        "{err:?}"
    );
    // Bad credentials (PostgreSQL runs with trust auth here, so an unknown role).
    let bad_auth = match backend {
        Backend::Postgres => url.replacen("://postgres@", "://dbqa_no_such_role:secret@", 1),
        _ => url.replacen("://root@", "://root:wrong-secret@", 1),
    };
    let err = connect_err(bad_auth).await;
    assert!(
        matches!(err, DatabaseError::Authentication { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        !text.contains("wrong-secret") && !text.contains(":secret@"),
        "{text}"
    );
    // Nothing listens on port 1.
    let closed = match backend {
        Backend::Postgres => "postgres://postgres:pw@127.0.0.1:1/test",
        _ => "mysql://root:pw@127.0.0.1:1/test",
    };
    let err = connect_err(closed.to_string()).await;
    assert!(matches!(err, DatabaseError::Connection { .. }), "{err:?}");
    assert!(!err.to_string().contains(":pw@"), "{err}");
}

pub async fn pool_exhaustion(backend: Backend) {
    if backend == Backend::Sqlite {
        return;
    }
    let Some(fx) = Fixture::with_config(backend, |c| {
        c.pool_size = 1;
        c.max_overflow = 0;
        c.pool_timeout = Duration::from_millis(300);
    })
    .await
    else {
        return;
    };
    let db = fx.db.clone();
    let sql = sleep_sql(backend, 2);
    let long = tokio::spawn(async move { db.execute(&sql, &options(10_000, 10)).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = fx.db.pool_status();
    assert_eq!((status.max_size, status.in_use), (1, 1), "{status:?}");
    match fx.db.execute("SELECT 1", &options(5000, 10)).await {
        Err(DatabaseError::PoolExhausted { max_size: 1, .. }) => {}
        other => panic!("second acquire gave {other:?}"),
    }
    long.await.expect("join").expect("long query finishes");
    fx.db
        .execute("SELECT 1", &options(5000, 10))
        .await
        .expect("pool free again");
}

pub async fn killed_connection(backend: Backend) {
    if backend == Backend::Sqlite {
        return;
    }
    let Some(fx) = Fixture::new(backend).await else {
        return;
    };
    let db = fx.db.clone();
    let sql = sleep_sql(backend, 5);
    let running = tokio::spawn(async move { db.execute(&sql, &options(20_000, 10)).await });
    let prefix = sleep_sql(backend, 5);
    let killed = admin::kill_query(backend, fx.admin_url(), &fx.name, &prefix)
        .await
        .expect("admin connection");
    assert!(killed, "the running query was not found");
    match running.await.expect("join") {
        Err(DatabaseError::ConnectionLost { .. }) => {}
        other => panic!("killed query gave {other:?}"),
    }
    let rows = fx
        .db
        .execute("SELECT count(*) FROM customers", &options(5000, 10))
        .await
        .expect("next query on a fresh connection");
    assert_eq!(rows.rows[0][0].to_display_string(), "5");
}

pub async fn pool_status_and_close(backend: Backend) {
    let Some(fx) = Fixture::new(backend).await else {
        return;
    };
    fx.db.ping().await.expect("ping");
    if backend != Backend::Sqlite {
        let status = fx.db.pool_status();
        assert_eq!(status.max_size, 4, "{status:?}");
        assert!(status.size <= status.max_size);
    }
    fx.db.close().await;
    match fx.db.execute("SELECT 1", &options(5000, 10)).await {
        Err(DatabaseError::Closed) => {}
        other => panic!("query after close gave {other:?}"),
    }
}

pub async fn decimals_read_as_written(backend: Backend) {
    if let Some(fx) = Fixture::new(backend).await {
        testing::decimals_read_as_written(&fx.db).await;
    }
}
