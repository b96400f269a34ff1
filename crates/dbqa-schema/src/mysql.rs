//! MySQL and MariaDB on sqlx: a pool sized by `DB_POOL_*`, TLS from `SSL_*` (or
//! `ssl-mode=`), every query in `START TRANSACTION READ ONLY … ROLLBACK` with a
//! server-side statement timeout (MariaDB `max_statement_time`, MySQL
//! `max_execution_time`; the flavour is detected once) and a client-side deadline, rows
//! streamed up to the limit, and the schema read from `information_schema` with four bulk
//! queries.

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
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPool, MySqlSslMode};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, Row, SqlSafeStr, Statement};

use crate::bounds::Budget;
use crate::pool::{self, Phase, PoolSettings, SqlxCodes, SqlxContext};

const CODES: SqlxCodes = SqlxCodes {
    // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    read_only: &["1792"],
    // MariaDB ER_STATEMENT_TIMEOUT, MySQL ER_QUERY_TIMEOUT, ER_QUERY_INTERRUPTED
    timeout: &["1969", "3024", "1317"],
    // ER_CONNECTION_KILLED (MariaDB), ER_SERVER_SHUTDOWN, client-side lost connection codes
    killed: &["1927", "1053", "2006", "2013"],
    // ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR is an authorisation failure too
    auth: &["1045", "1044", "1698"],
    unknown_database: &["1049"],
    too_many: &["1040", "1203"],
    code_of: error_number,
};

/// MySQL's error number (`1064`), which says more than its SQLSTATE.
fn error_number(error: &dyn sqlx::error::DatabaseError) -> Option<String> {
    error
        .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(|e| e.number().to_string())
        .or_else(|| pool::sqlstate(error))
}

/// Which server the connector talks to, for the timeout statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    MariaDb,
    MySql,
}

impl Flavour {
    /// The session setting that bounds each statement's run time.
    fn timeout_statement(self, timeout: Duration) -> String {
        let ms = pool::timeout_millis(timeout);
        match self {
            // Seconds, with fractions.
            Flavour::MariaDb => format!(
                "SET SESSION max_statement_time = {}.{:03}",
                ms / 1000,
                ms % 1000
            ),
            // Milliseconds; applies to read-only SELECTs, which is all this connector runs
            // by default.
            Flavour::MySql => format!("SET SESSION max_execution_time = {ms}"),
        }
    }
}

/// A MySQL or MariaDB database behind a connection pool.
///
/// Queries run inside `START TRANSACTION READ ONLY … ROLLBACK` (or a plain transaction
/// that commits when [`ExecuteOptions::read_only`] is false): a write that reaches the
/// connector fails with [`DatabaseError::ReadOnly`] (error 1792). DDL such as `CREATE`
/// commits implicitly in MySQL, so it cannot be stopped by a transaction: those statements
/// are refused before they are sent (see [`is_ddl`]).
pub(crate) struct MySqlDatabase {
    pool: MySqlPool,
    settings: PoolSettings,
    identity: String,
    database: String,
    flavour: Flavour,
    schemas: Vec<String>,
    /// Read from the server at connect: the current database, `lower_case_table_names`.
    names: NameRules,
}

impl MySqlDatabase {
    /// Opens a pool to `config.url`, checking first that one connection can be made (and
    /// learning whether the server is MariaDB or MySQL).
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
        let database = options.get_database().unwrap_or_default().to_string();
        let mut this = Self {
            pool: pool::sqlx_pool_options(&settings).connect_lazy_with(options.clone()),
            settings,
            identity,
            database,
            flavour: Flavour::MySql,
            schemas: config.schemas.clone(),
            names: NameRules::for_dialect(Dialect::MySql),
        };
        let probe = async {
            let mut conn = options.connect().await?;
            let server: (String, Option<String>, i64) = sqlx::query_as(
                "SELECT CAST(VERSION() AS CHAR), CAST(DATABASE() AS CHAR), \
                 CAST(@@lower_case_table_names AS SIGNED)",
            )
            .fetch_one(&mut conn)
            .await?;
            let _ = conn.close().await;
            Ok::<_, sqlx::Error>(server)
        };
        match tokio::time::timeout(settings.acquire_timeout, probe).await {
            Ok(Ok((version, database, lower_case_table_names))) => {
                if version.to_ascii_lowercase().contains("mariadb") {
                    this.flavour = Flavour::MariaDb;
                }
                // 0: names are stored and compared as given; 1 and 2: compared without case.
                this.names = NameRules::for_dialect(Dialect::MySql)
                    .with_default_schema(database)
                    .with_case_sensitive(lower_case_table_names == 0);
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

    async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::MySql>, DatabaseError> {
        self.pool
            .acquire()
            .await
            .map_err(|e| self.context(Duration::ZERO).map(e, Phase::Query))
    }
}

/// Parses the URL (keeping `ssl-mode=` and friends) and applies `SSL_*` on top.
fn connect_options(
    url: &str,
    config: &DatabaseConfig,
    identity: &str,
) -> Result<MySqlConnectOptions, DatabaseError> {
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_string(),
    };
    let mut options =
        MySqlConnectOptions::from_str(&url).map_err(|e| DatabaseError::InvalidUrl {
            message: format!("{e} (url: {identity})"),
        })?;
    options = options.log_statements(tracing::log::LevelFilter::Debug);
    let ssl = &config.ssl;
    let url_sets_mode = url.contains("ssl-mode=") || url.contains("sslmode=");
    if ssl.enabled && !url_sets_mode {
        options = options.ssl_mode(match (ssl.verify, ssl.ca.is_some()) {
            (true, _) => MySqlSslMode::VerifyIdentity,
            (false, true) => MySqlSslMode::VerifyCa,
            (false, false) => MySqlSslMode::Required,
        });
    }
    if let Some(ca) = &ssl.ca {
        options = options.ssl_ca(ca);
    }
    if let Some(cert) = &ssl.cert {
        options = options.ssl_client_cert(cert);
    }
    if let Some(key) = &ssl.key {
        options = options.ssl_client_key(key);
    }
    Ok(options)
}

/// Whether a statement is DDL or another statement that commits implicitly in MySQL and
/// so would escape the read-only transaction.
pub(crate) fn is_ddl(sql: &str) -> bool {
    let Some(rest) = skip_comments(sql) else {
        // A version comment (`/*! … */`) is executed by MySQL: refuse it.
        return true;
    };
    let first = rest
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "CREATE"
            | "ALTER"
            | "DROP"
            | "RENAME"
            | "TRUNCATE"
            | "GRANT"
            | "REVOKE"
            | "LOCK"
            | "UNLOCK"
            | "INSTALL"
            | "UNINSTALL"
            | "FLUSH"
            | "OPTIMIZE"
            | "ANALYZE"
            | "REPAIR"
            | "LOAD"
            | "COMMIT"
            | "ROLLBACK"
            | "BEGIN"
            | "START"
            | "SET"
            | "KILL"
            | "SHUTDOWN"
            | "RESET"
            | "PURGE"
            | "CHANGE"
            | "HANDLER"
            | "XA"
            | "SAVEPOINT"
            | "RELEASE"
            | "PREPARE"
            | "EXECUTE"
            | "DEALLOCATE"
            | "CALL"
            | "DO"
    )
}

/// The statement after leading whitespace, parentheses and comments; `None` when a
/// MySQL executable comment (`/*!`) comes first.
fn skip_comments(sql: &str) -> Option<&str> {
    let mut rest = sql;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
        if rest.starts_with("/*!") || rest.starts_with("/*+") {
            return None;
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map(|(_, tail)| tail).unwrap_or("");
        } else if rest.starts_with("--") || rest.starts_with('#') {
            rest = rest.split_once('\n').map(|(_, tail)| tail).unwrap_or("");
        } else {
            return Some(rest);
        }
    }
}

#[async_trait]
impl Database for MySqlDatabase {
    fn dialect(&self) -> Dialect {
        Dialect::MySql
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
        if options.read_only && is_ddl(sql) {
            return Err(DatabaseError::ReadOnly {
                message: String::from(
                    "statements that commit implicitly (DDL, transaction control, SET, …) are refused on a read-only connection",
                ),
            });
        }
        let mut conn = self.acquire().await?;
        let context = self.context(options.timeout);
        let deadline = pool::client_deadline(options.timeout);
        let run = run_in_transaction(&mut conn, sql, options, self.flavour);
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

/// The timeout, `START TRANSACTION [READ ONLY]`, the query (streamed, at most
/// `max_rows + 1` read), then `ROLLBACK` (or `COMMIT` for read-write).
async fn run_in_transaction(
    conn: &mut MySqlConnection,
    sql: &str,
    options: &ExecuteOptions,
    flavour: Flavour,
) -> Result<Rows, sqlx::Error> {
    let begin = if options.read_only {
        "START TRANSACTION READ ONLY"
    } else {
        "START TRANSACTION"
    };
    let setup = format!("{}; {begin}", flavour.timeout_statement(options.timeout));
    conn.execute(sqlx::raw_sql(AssertSqlSafe(setup))).await?;
    let rows = fetch_limited(conn, sql, options).await?;
    let end = if options.read_only {
        "ROLLBACK"
    } else {
        "COMMIT"
    };
    conn.execute(end).await?;
    Ok(rows)
}

/// Streams the rows of one prepared statement (a second statement is refused by the
/// server), stopping after `max_rows + 1` or at `max_bytes`.
async fn fetch_limited(
    conn: &mut MySqlConnection,
    sql: &str,
    options: &ExecuteOptions,
) -> Result<Rows, sqlx::Error> {
    let max_rows = options.max_rows;
    let mut budget = Budget::new(options.max_bytes);
    let mut out = Rows::default();
    let mut described = false;
    {
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
        let statement = conn.prepare(AssertSqlSafe(sql).into_sql_str()).await?;
        out.columns = pool::column_infos(statement.columns());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_is_recognised() {
        let check = |sql: &str, expect: bool| assert_eq!(is_ddl(sql), expect, "{sql}");
        check("CREATE TABLE t (a int)", true);
        check("  drop table t", true);
        check("commit", true);
        check("SELECT * FROM created", false);
        check("(SELECT 1)", false);
        check("WITH x AS (SELECT 1) SELECT * FROM x", false);
        check("INSERT INTO t VALUES (1)", false);
        check("/* hi */ -- x\n# y\n CREATE TABLE t (a int)", true);
        check("/*!50000 CREATE TABLE t (a int) */", true);
        check("/* a */ SELECT 1", false);
    }

    #[test]
    fn timeouts_follow_the_flavour() {
        let t = Duration::from_millis(1500);
        assert_eq!(
            Flavour::MariaDb.timeout_statement(t),
            "SET SESSION max_statement_time = 1.500"
        );
        assert_eq!(
            Flavour::MySql.timeout_statement(t),
            "SET SESSION max_execution_time = 1500"
        );
    }

    #[test]
    fn ssl_settings_map_to_driver_modes() {
        let check = |url: &str, enabled: bool, verify: bool, expect: MySqlSslMode| {
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
        check("mysql://root@h/db", false, true, MySqlSslMode::Preferred);
        check(
            "mariadb://root@h/db",
            true,
            true,
            MySqlSslMode::VerifyIdentity,
        );
        check("mysql://root@h/db", true, false, MySqlSslMode::Required);
        check(
            "mysql://root@h/db?ssl-mode=disabled",
            true,
            true,
            MySqlSslMode::Disabled,
        );
    }
}
