//! `cargo xtask bench schema [--tables N] [--runs N] [--url URL]`: creates a PostgreSQL
//! database with N tables (default 1,000) of 20 columns each, with foreign keys, indexes
//! and comments, times cold schema extractions (a fresh connector each run) and drops the
//! database. The bar is under one second for 1,000 tables.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut tables = 1000usize;
    let mut runs = 5usize;
    let mut url = std::env::var("DBQA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.into());
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--tables" => tables = it.next().context("--tables needs a number")?.parse()?,
            "--runs" => runs = it.next().context("--runs needs a number")?.parse()?,
            "--url" => url = it.next().context("--url needs a url")?.clone(),
            other => bail!("unknown argument `{other}` (use --tables N, --runs N, --url URL)"),
        }
    }
    tokio::runtime::Runtime::new()?.block_on(bench(&url, tables, runs.max(1)))
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[start..].find('/') {
        Some(i) => &base[..start + i],
        None => base,
    };
    if query.is_empty() {
        format!("{root}/{name}")
    } else {
        format!("{root}/{name}?{query}")
    }
}

/// DDL for `n` tables: each has 20 columns, a primary key, a foreign key to the previous
/// table, two indexes and comments.
fn ddl(n: usize) -> String {
    let mut sql = String::new();
    for i in 0..n {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id integer PRIMARY KEY, parent_id integer{fk}, \
             name text NOT NULL, code varchar(20) DEFAULT 'x', amount numeric(12,2), \
             ratio double precision, active boolean DEFAULT true, created date, \
             updated timestamptz DEFAULT now(), note text, qty integer, ref uuid, \
             doc jsonb, tags text[], c14 bigint, c15 smallint, c16 real, c17 text, \
             c18 time, c19 bytea);\n\
             CREATE INDEX t{i}_parent_idx ON t{i} (parent_id);\n\
             CREATE UNIQUE INDEX t{i}_code_idx ON t{i} (code, name);\n\
             COMMENT ON TABLE t{i} IS 'table number {i}';\n\
             COMMENT ON COLUMN t{i}.name IS 'display name';\n",
            fk = if i == 0 {
                String::new()
            } else {
                format!(" REFERENCES t{} (id)", i - 1)
            },
        ));
    }
    sql
}

async fn bench(admin_url: &str, tables: usize, runs: usize) -> Result<()> {
    let name = format!("dbqa_bench_schema_{}", std::process::id());
    let mut admin = PgConnection::connect(admin_url).await.with_context(|| {
        format!(
            "connect to {} (is PostgreSQL running?)",
            dbqa_core::redact_url(admin_url)
        )
    })?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await?;
    let result = measure(admin_url, &name, tables, runs).await;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    result
}

async fn measure(admin_url: &str, name: &str, tables: usize, runs: usize) -> Result<()> {
    let url = with_database(admin_url, name);
    let started = Instant::now();
    let mut conn = PgConnection::connect(&url).await?;
    sqlx::raw_sql(AssertSqlSafe(ddl(tables)))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    println!(
        "created {tables} tables x 20 columns in {:.1?}",
        started.elapsed()
    );

    let mut extract = Vec::new();
    let mut total = Vec::new();
    for run in 0..runs {
        let t0 = Instant::now();
        let mut config = dbqa_core::DatabaseConfig::with_url(url.clone());
        config.pool_size = 1;
        config.max_overflow = 0;
        let db = dbqa_schema::connect(&config).await?;
        let t1 = Instant::now();
        let schema = db.extract_schema().await?;
        let done = Instant::now();
        db.close().await;
        let columns: usize = schema.tables.iter().map(|t| t.columns.len()).sum();
        let fks: usize = schema.tables.iter().map(|t| t.foreign_keys.len()).sum();
        let indexes: usize = schema.tables.iter().map(|t| t.indexes.len()).sum();
        if schema.tables.len() != tables {
            bail!(
                "extracted {} tables, expected {tables}",
                schema.tables.len()
            );
        }
        println!(
            "run {run}: extract {:.1?} (connect + extract {:.1?}): {} tables, {columns} columns, {fks} foreign keys, {indexes} indexes",
            done - t1,
            done - t0,
            schema.tables.len()
        );
        extract.push(done - t1);
        total.push(done - t0);
    }
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        (v[0], v[v.len() / 2])
    };
    let (min, median) = stats(&mut extract);
    let (tmin, tmedian) = stats(&mut total);
    println!(
        "cold schema extraction of {tables} tables: min {min:.1?}, median {median:.1?} \
         (with connect: min {tmin:.1?}, median {tmedian:.1?}); target < 1 s"
    );
    Ok(())
}
