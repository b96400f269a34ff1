//! PostgreSQL on sqlx: a pool sized by `DB_POOL_*`, TLS from `SSL_*` (or `sslmode=`),
//! every query in a `READ ONLY` transaction with `SET LOCAL statement_timeout` and a
//! client-side deadline, rows streamed up to the limit, and the schema read with four
//! bulk catalog queries.

mod catalog;
mod decode;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use dbqa_core::{
    Database, DatabaseConfig, DatabaseError, Dialect, ExecuteOptions, NameRules, PoolStatus, Rows,
    Schema,
};
use futures::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgSslMode};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, Row, SqlSafeStr, Statement};

use crate::bounds::Budget;
use crate::pool::{self, Phase, PoolSettings, SqlxCodes, SqlxContext};

const CODES: SqlxCodes = SqlxCodes {
    read_only: &["25006"],
    timeout: &["57014"],
    killed: &["57P01", "57P02", "57P03"],
    auth: &["28P01", "28000"],
    unknown_database: &["3D000"],
    too_many: &["53300"],
    code_of: pool::sqlstate,
};

/// A PostgreSQL database behind a connection pool.
///
/// Queries run inside `BEGIN READ ONLY … ROLLBACK` (or `BEGIN … COMMIT` when
/// [`ExecuteOptions::read_only`] is false), so a write that reaches the connector fails
/// with [`DatabaseError::ReadOnly`] (SQLSTATE 25006).
pub(crate) struct PostgresDatabase {
    pool: PgPool,
    settings: PoolSettings,
    identity: String,
    database: String,
    schemas: Vec<String>,
    /// Read from the server at connect: the search path's first schema, the database.
    names: NameRules,
}

impl PostgresDatabase {
    /// Opens a pool to `config.url`, checking first that one connection can be made so that
    /// a bad address, password or database name fails here with a typed error.
    pub(crate) async fn connect(config: &DatabaseConfig) -> Result<Self, DatabaseError> {
        let url = config
            .url
            .as_ref()
            .ok_or_else(|| DatabaseError::InvalidUrl {
                message: String::from("no database url is configured"),
            })?;
        let identity = url.redacted().to_string();
        let settings = PoolSettings::from_config(config);
        let options = connect_options(url.expose(), config, &identity)?;
        let database = options
            .get_database()
            .unwrap_or(options.get_username())
            .to_string();
        let this = Self {
            pool: pool::sqlx_pool_options(&settings).connect_lazy_with(options.clone()),
            settings,
            identity,
            database,
            schemas: config.schemas.clone(),
            names: NameRules::for_dialect(Dialect::Postgres),
        };
        let probe = async {
            let mut conn = options.connect().await?;
            let names: (Option<String>, String) =
                sqlx::query_as("SELECT current_schema()::text, current_database()::text")
                    .fetch_one(&mut conn)
                    .await?;
            let _ = conn.close().await;
            Ok::<_, sqlx::Error>(names)
        };
        match tokio::time::timeout(settings.acquire_timeout, probe).await {
            Ok(Ok((schema, database))) => {
                let mut this = this;
                this.names = NameRules::for_dialect(Dialect::Postgres)
                    .with_default_schema(schema.or(this.names.default_schema.clone()))
                    .with_default_database(Some(database));
                Ok(this)
            }
            Ok(Err(e)) => Err(this.context(Duration::ZERO).map(e, Phase::Connect)),
            Err(_) => Err(DatabaseError::Connection {
                target: this.identity.clone(),
                message: format!("no answer within {:?}", settings.acquire_timeout),
            }),
        }
    }

    fn context(&self, timeout: Duration) -> SqlxContext<'_> {
        SqlxContext {
            target: &self.identity,
            database: &self.database,
            codes: &CODES,
            pool: &self.settings,
            timeout,
        }
    }

    async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, DatabaseError> {
        self.pool
            .acquire()
            .await
            .map_err(|e| self.context(Duration::ZERO).map(e, Phase::Query))
    }
}

/// Parses the URL (keeping `sslmode=` and friends) and applies `SSL_*` on top.
fn connect_options(
    url: &str,
    config: &DatabaseConfig,
    identity: &str,
) -> Result<PgConnectOptions, DatabaseError> {
    let mut options = PgConnectOptions::from_str(url).map_err(|e| DatabaseError::InvalidUrl {
        message: format!("{e} (url: {identity})"),
    })?;
    options = options
        .application_name("dbqa")
        .log_statements(tracing::log::LevelFilter::Debug);
    let ssl = &config.ssl;
    let url_sets_mode = url.contains("sslmode=") || url.contains("ssl-mode=");
    if ssl.enabled && !url_sets_mode {
        options = options.ssl_mode(match (ssl.verify, ssl.ca.is_some()) {
            (true, _) => PgSslMode::VerifyFull,
            (false, true) => PgSslMode::VerifyCa,
            (false, false) => PgSslMode::Require,
        });
    }
    if let Some(ca) = &ssl.ca {
        options = options.ssl_root_cert(ca);
    }
    if let Some(cert) = &ssl.cert {
        options = options.ssl_client_cert(cert);
    }
    if let Some(key) = &ssl.key {
        options = options.ssl_client_key(key);
    }
    Ok(options)
}

#[async_trait]
impl Database for PostgresDatabase {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    fn name_rules(&self) -> NameRules {
        self.names.clone()
    }

    async fn ping(&self) -> Result<(), DatabaseError> {
        let mut conn = self.acquire().await?;
        conn.ping()
            .await
            .map_err(|e| self.context(Duration::ZERO).map(e, Phase::Query))
    }

    async fn extract_schema(&self) -> Result<Schema, DatabaseError> {
        let mut conn = self.acquire().await?;
        let result = catalog::extract(&mut conn, &self.schemas).await;
        result.map_err(|e| {
            let mapped = self.context(Duration::ZERO).map(e, Phase::Query);
            if pool::poisons_connection(&mapped) {
                conn.close_on_drop();
            }
            mapped
        })
    }

    async fn execute(&self, sql: &str, options: &ExecuteOptions) -> Result<Rows, DatabaseError> {
        let mut conn = self.acquire().await?;
        let context = self.context(options.timeout);
        let deadline = pool::client_deadline(options.timeout);
        let run = run_in_transaction(&mut conn, sql, options);
        let outcome = match tokio::time::timeout(deadline, run).await {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(e)) => Err(context.map(e, Phase::Query)),
            Err(_) => Err(DatabaseError::Timeout {
                after: options.timeout,
            }),
        };
        match &outcome {
            Ok(_) => {}
            Err(e) if pool::poisons_connection(e) => conn.close_on_drop(),
            Err(_) => {
                // The transaction failed: end it so the connection goes back clean.
                if conn.execute("ROLLBACK").await.is_err() {
                    conn.close_on_drop();
                }
            }
        }
        outcome
    }

    fn pool_status(&self) -> PoolStatus {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        self.settings.status(self.pool.size(), idle)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// `BEGIN [READ ONLY]`, the timeout, the query (streamed, at most `max_rows + 1` read),
/// then `ROLLBACK` (or `COMMIT` for read-write).
async fn run_in_transaction(
    conn: &mut PgConnection,
    sql: &str,
    options: &ExecuteOptions,
) -> Result<Rows, sqlx::Error> {
    let begin = if options.read_only {
        "BEGIN READ ONLY"
    } else {
        "BEGIN"
    };
    let timeout = format!(
        "SET LOCAL statement_timeout = {}",
        pool::timeout_millis(options.timeout)
    );
    conn.execute(sqlx::raw_sql(AssertSqlSafe(format!("{begin}; {timeout}"))))
        .await?;
    let bounded = match options.read_only && is_query(sql) {
        true => bounded_sql(conn, sql).await?,
        false => None,
    };
    let rows = match bounded {
        Some((bounded, columns)) => {
            let mut rows = fetch_limited(conn, &bounded, options).await?;
            // The result as the query describes it, not as the cut projection does.
            rows.columns = columns;
            rows
        }
        None => fetch_limited(conn, sql, options).await?,
    };
    let end = if options.read_only {
        "ROLLBACK"
    } else {
        "COMMIT"
    };
    conn.execute(end).await?;
    Ok(rows)
}

/// Result types that can hold a text cell too long to read whole (`char(n)` and `name`
/// are bounded, and a cast would drop `char(n)`'s padding).
const LONG_TYPES: &[&str] = &["TEXT", "VARCHAR", "XML", "UNKNOWN", "CITEXT"];

/// Whether `sql` is a query that can run as a subquery (what the guard renders:
/// `SELECT`, `WITH`, `VALUES`, `TABLE`, or a parenthesised set operation); `EXPLAIN` and
/// anything else run as they are.
fn is_query(sql: &str) -> bool {
    let head: String = sql
        .trim_start()
        .chars()
        .take(6)
        .collect::<String>()
        .to_ascii_uppercase();
    ["SELECT", "WITH", "VALUES", "TABLE", "("]
        .iter()
        .any(|k| head.starts_with(k))
}

/// The query with long text and byte cells cut by the server, when its result has such
/// columns: the driver reads a whole row into memory before dbqa sees a cell, so a 100 MB
/// value would cost several times that. Each long column is cut to one character (or
/// byte) more than the cell cap, so the connector can still tell it was cut. `None` when
/// no column needs it. Only the projection changes; the query runs as a subquery, in the
/// same order.
async fn bounded_sql(
    conn: &mut PgConnection,
    sql: &str,
) -> Result<Option<(String, Vec<dbqa_core::ColumnInfo>)>, sqlx::Error> {
    use sqlx::{Column, TypeInfo};
    let statement = conn.prepare(AssertSqlSafe(sql).into_sql_str()).await?;
    let columns = statement.columns();
    let keep = crate::bounds::CELL_CAP + 1;
    let mut needed = false;
    let mut items = Vec::with_capacity(columns.len());
    let mut aliases = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        let alias = format!("c{i}");
        let name = Dialect::Postgres.quote_identifier(column.name());
        let type_name = column.type_info().name().to_ascii_uppercase();
        let item = if LONG_TYPES.contains(&type_name.as_str()) {
            needed = true;
            format!("left({alias}::text, {keep}) AS {name}")
        } else if type_name == "BYTEA" {
            needed = true;
            format!("substring({alias} from 1 for {keep}) AS {name}")
        } else {
            format!("{alias} AS {name}")
        };
        items.push(item);
        aliases.push(alias);
    }
    if !needed {
        return Ok(None);
    }
    let bounded = format!(
        "SELECT {} FROM (\n{sql}\n) AS dbqa_bounded({})",
        items.join(", "),
        aliases.join(", ")
    );
    Ok(Some((bounded, pool::column_infos(columns))))
}

/// Streams the rows of one statement (extended protocol: a second statement is refused
/// by the server), stopping after `max_rows + 1` or at `max_bytes`.
async fn fetch_limited(
    conn: &mut PgConnection,
    sql: &str,
    options: &ExecuteOptions,
) -> Result<Rows, sqlx::Error> {
    let max_rows = options.max_rows;
    let mut budget = Budget::new(options.max_bytes);
    let mut out = Rows::default();
    let mut described = false;
    {
        // A named (cached, LRU-bounded) statement: with an unnamed one, sqlx's lookup of
        // a custom type's OID (enums) mid-query replaces it and the query fails.
        let mut stream = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *conn);
        while let Some(row) = stream.try_next().await? {
            if !described {
                out.columns = pool::column_infos(row.columns());
                described = true;
            }
            if out.rows.len() == max_rows {
                out.truncated = true;
                break;
            }
            let cells = decode::row(&row, &mut budget);
            if !budget.admit(&cells) {
                break;
            }
            out.rows.push(cells);
        }
    }
    budget.finish(&mut out);
    if !described {
        // No rows: ask the server for the result's shape.
        let statement = conn.prepare(AssertSqlSafe(sql).into_sql_str()).await?;
        out.columns = pool::column_infos(statement.columns());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_settings_map_to_driver_modes() {
        let check = |url: &str, enabled: bool, verify: bool, expect: PgSslMode| {
            let mut config = DatabaseConfig::with_url(url);
            config.ssl.enabled = enabled;
            config.ssl.verify = verify;
            let options = connect_options(url, &config, "x").unwrap();
            assert_eq!(
                format!("{:?}", options.get_ssl_mode()),
                format!("{expect:?}"),
                "{url}"
            );
        };
        check("postgres://u@h/db", false, true, PgSslMode::Prefer);
        check("postgres://u@h/db", true, true, PgSslMode::VerifyFull);
        check("postgres://u@h/db", true, false, PgSslMode::Require);
        check(
            "postgres://u@h/db?sslmode=disable",
            true,
            true,
            PgSslMode::Disable,
        );
    }

    #[test]
    fn bad_urls_are_typed_and_redacted() {
        let url = "postgres://u:hunter2@h:notaport/db";
        let config = DatabaseConfig::with_url(url);
        match connect_options(url, &config, &dbqa_core::redact_url(url)) {
            Err(DatabaseError::InvalidUrl { message }) => {
                assert!(!message.contains("hunter2"), "{message}")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}
