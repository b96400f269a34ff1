//! SQL Server on tiberius, pooled with bb8.
//!
//! SQL Server has no read-only transaction, so the walls here are:
//! 1. a statement check before sending ([`write_keyword`], on sqlparser's T-SQL
//!    tokenizer): any unquoted write or
//!    transaction-control keyword (`INSERT`, `UPDATE`, `DELETE`, `MERGE`, `INTO`,
//!    `CREATE`, `EXEC`, `COMMIT`, …) is refused with [`DatabaseError::ReadOnly`]; T-SQL
//!    reserves these words, so an unquoted occurrence is always the keyword;
//! 2. every query runs in a `READ COMMITTED` transaction that is always rolled back;
//! 3. the SQL guard, which runs before any connector.
//!
//! SQL Server has no per-statement timeout setting: the client-side deadline drops the
//! query and discards the connection (closing it makes the server abort the batch).
//! Tests need a server named by `DBQA_TEST_MSSQL_URL`.

mod catalog;
mod decode;

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use dbqa_core::{
    ColumnInfo, Database, DatabaseConfig, DatabaseError, Dialect, ExecuteOptions, NameRules,
    PoolStatus, Rows, Schema,
};
use futures::TryStreamExt;
use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::bounds::Budget;
use crate::pool::{self, PoolSettings};

type TdsClient = Client<Compat<TcpStream>>;

/// A pooled connection and whether it must be thrown away.
pub(crate) struct Conn {
    client: TdsClient,
    broken: bool,
}

/// Opens tiberius connections for bb8.
pub(crate) struct Manager {
    config: Config,
}

impl bb8::ManageConnection for Manager {
    type Connection = Conn;
    type Error = tiberius::error::Error;

    async fn connect(&self) -> Result<Conn, Self::Error> {
        let tcp = TcpStream::connect(self.config.get_addr()).await?;
        tcp.set_nodelay(true)?;
        let client = Client::connect(self.config.clone(), tcp.compat_write()).await?;
        Ok(Conn {
            client,
            broken: false,
        })
    }

    async fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        conn.client
            .simple_query("SELECT 1")
            .await?
            .into_results()
            .await?;
        Ok(())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken
    }
}

/// A SQL Server database behind a bb8 pool.
pub(crate) struct MsSqlDatabase {
    pool: bb8::Pool<Manager>,
    settings: PoolSettings,
    identity: String,
    database: String,
    schemas: Vec<String>,
    closed: AtomicBool,
}

/// The parts of an `mssql://user:password@host:port/database?encrypt=…` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlParts {
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) database: String,
    pub(crate) params: Vec<(String, String)>,
}

/// Parses an `mssql://` or `sqlserver://` URL; an ADO string (`server=…;`) after the
/// scheme is handed to tiberius as is by [`tiberius_config`].
pub(crate) fn parse_url(url: &str, identity: &str) -> Result<UrlParts, DatabaseError> {
    let invalid = |what: &str| DatabaseError::InvalidUrl {
        message: format!("{what} (url: {identity})"),
    };
    let rest = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or_else(|| invalid("expected mssql://user:password@host:port/database"))?;
    let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, database) = main.split_once('/').unwrap_or((main, ""));
    let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| invalid("invalid port"))?),
        None => (hostport, 1433),
    };
    if host.is_empty() {
        return Err(invalid("missing host"));
    }
    let params = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
        .collect();
    Ok(UrlParts {
        user: decode_percent(user),
        password: decode_percent(password),
        host: host.to_string(),
        port,
        database: decode_percent(database),
        params,
    })
}

fn decode_percent(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The tiberius configuration: URL parts, then `SSL_*` (URL `encrypt=` /
/// `trustServerCertificate=` parameters win over `SSL_ENABLED`/`SSL_VERIFY`).
pub(crate) fn tiberius_config(parts: &UrlParts, config: &DatabaseConfig) -> Config {
    let mut c = Config::new();
    c.host(&parts.host);
    c.port(parts.port);
    if !parts.database.is_empty() {
        c.database(&parts.database);
    }
    c.application_name("dbqa");
    c.authentication(AuthMethod::sql_server(&parts.user, &parts.password));
    let param = |name: &str| {
        parts
            .params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let ssl = &config.ssl;
    let encrypt = match param("encrypt").as_deref() {
        Some("true" | "yes" | "strict" | "mandatory") => true,
        Some(_) => false,
        None => ssl.enabled,
    };
    c.encryption(if encrypt {
        EncryptionLevel::Required
    } else {
        EncryptionLevel::NotSupported
    });
    let trust = match param("trustservercertificate").as_deref() {
        Some(v) => v == "true" || v == "yes",
        None => !ssl.verify,
    };
    if trust {
        c.trust_cert();
    } else if let Some(ca) = &ssl.ca {
        c.trust_cert_ca(ca.display());
    }
    if let (Some(cert), Some(key)) = (&ssl.cert, &ssl.key) {
        c.client_certificate(cert, key);
    }
    c
}

impl MsSqlDatabase {
    /// Opens a pool to `config.url`, checking first that one connection can be made.
    pub(crate) async fn connect(config: &DatabaseConfig) -> Result<Self, DatabaseError> {
        let url = config
            .url
            .as_ref()
            .ok_or_else(|| DatabaseError::InvalidUrl {
                message: String::from("no database url is configured"),
            })?;
        let identity = url.redacted().to_string();
        let parts = parse_url(url.expose(), &identity)?;
        let settings = PoolSettings::from_config(config);
        let tds_config = tiberius_config(&parts, config);
        let probe_manager = Manager {
            config: tds_config.clone(),
        };
        let manager = Manager { config: tds_config };
        let pool = bb8::Pool::builder()
            .max_size(settings.max)
            .min_idle(Some(settings.base))
            .connection_timeout(settings.acquire_timeout)
            .max_lifetime(Some(settings.max_lifetime))
            .idle_timeout(Some(pool::OVERFLOW_IDLE.min(settings.max_lifetime)))
            .test_on_check_out(true)
            .build_unchecked(manager);
        let this = Self {
            pool,
            settings,
            identity,
            database: parts.database,
            schemas: config.schemas.clone(),
            closed: AtomicBool::new(false),
        };
        let probe = bb8::ManageConnection::connect(&probe_manager);
        match tokio::time::timeout(settings.acquire_timeout, probe).await {
            Ok(Ok(conn)) => {
                // The probe becomes the pool's first connection.
                if let Err(rejected) = this.pool.add(conn) {
                    drop(rejected);
                }
                Ok(this)
            }
            Ok(Err(e)) => Err(this.map_error(e, true, std::time::Duration::ZERO)),
            Err(_) => Err(DatabaseError::Connection {
                target: this.identity.clone(),
                message: format!("no answer within {:?}", settings.acquire_timeout),
            }),
        }
    }

    async fn acquire(&self) -> Result<bb8::PooledConnection<'_, Manager>, DatabaseError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(DatabaseError::Closed);
        }
        self.pool.get().await.map_err(|e| match e {
            bb8::RunError::User(e) => self.map_error(e, true, std::time::Duration::ZERO),
            bb8::RunError::TimedOut => self.settings.exhausted(),
        })
    }

    /// Maps a tiberius error; `connecting` says whether I/O errors mean "cannot reach".
    fn map_error(
        &self,
        error: tiberius::error::Error,
        connecting: bool,
        timeout: std::time::Duration,
    ) -> DatabaseError {
        map_error(error, connecting, &self.identity, &self.database, timeout)
    }
}

/// Maps a tiberius error to a typed [`DatabaseError`].
pub(crate) fn map_error(
    error: tiberius::error::Error,
    connecting: bool,
    target: &str,
    database: &str,
    timeout: std::time::Duration,
) -> DatabaseError {
    use tiberius::error::Error as E;
    match error {
        E::Server(token) => {
            let code = token.code();
            let message = token.message().to_string();
            match code {
                // Login failed.
                18456 | 18452 | 18486 | 18487 | 18488 => DatabaseError::Authentication {
                    target: target.to_string(),
                    message,
                },
                // Cannot open database.
                4060 | 911 => DatabaseError::UnknownDatabase {
                    target: target.to_string(),
                    name: database.to_string(),
                },
                // The transaction/connection was killed.
                596 | 6005 | 233 => DatabaseError::ConnectionLost { message },
                // Cancelled (attention) by the timeout.
                3617 => DatabaseError::Timeout { after: timeout },
                // Writes refused by a read-only database or intent.
                3906 | 3908 | 3909 => DatabaseError::ReadOnly { message },
                _ => DatabaseError::Query {
                    message,
                    code: Some(code.to_string()),
                },
            }
        }
        e @ (E::Io { .. } | E::Tls(_) | E::Routing { .. }) if connecting => {
            DatabaseError::Connection {
                target: target.to_string(),
                message: e.to_string(),
            }
        }
        e @ (E::Io { .. } | E::Protocol(_) | E::Tls(_)) => DatabaseError::ConnectionLost {
            message: e.to_string(),
        },
        e @ (E::Conversion(_) | E::Utf8 | E::Utf16 | E::Encoding(_)) => DatabaseError::Decode {
            message: e.to_string(),
        },
        other if connecting => DatabaseError::Connection {
            target: target.to_string(),
            message: other.to_string(),
        },
        other => DatabaseError::Query {
            message: other.to_string(),
            code: None,
        },
    }
}

/// Words that write or control transactions; T-SQL reserves them all.
const WRITE_KEYWORDS: &[&str] = &[
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE",
    "INTO",
    "CREATE",
    "ALTER",
    "DROP",
    "TRUNCATE",
    "EXEC",
    "EXECUTE",
    "GRANT",
    "REVOKE",
    "DENY",
    "COMMIT",
    "ROLLBACK",
    "SAVE",
    "BEGIN",
    "BULK",
    "BACKUP",
    "RESTORE",
    "DBCC",
    "KILL",
    "SHUTDOWN",
    "RECONFIGURE",
    "USE",
    "SET",
    "DECLARE",
    "OPENROWSET",
    "OPENDATASOURCE",
    "OPENQUERY",
    "WRITETEXT",
    "UPDATETEXT",
];

/// The first unquoted write or transaction-control keyword of a T-SQL batch, if any, read
/// with sqlparser's T-SQL tokenizer: string literals, quoted identifiers (`"…"`, `[…]`),
/// comments and member names after a dot are not keywords. A batch the tokenizer cannot
/// read is refused as if it wrote.
pub(crate) fn write_keyword(sql: &str) -> Option<String> {
    use sqlparser::dialect::MsSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&MsSqlDialect {}, sql).tokenize() else {
        return Some(String::from("(a batch the T-SQL tokenizer cannot read)"));
    };
    let mut after_dot = false;
    for token in tokens {
        match token {
            Token::Whitespace(_) => continue,
            Token::Period => {
                after_dot = true;
                continue;
            }
            Token::Word(word) if word.quote_style.is_none() && !after_dot => {
                let upper = word.value.to_ascii_uppercase();
                if WRITE_KEYWORDS.contains(&upper.as_str()) {
                    return Some(upper);
                }
            }
            _ => {}
        }
        after_dot = false;
    }
    None
}

#[async_trait]
impl Database for MsSqlDatabase {
    fn dialect(&self) -> Dialect {
        Dialect::MsSql
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    /// The URL's database and the first configured schema (default `dbo`); names compare
    /// without case, as SQL Server's default collations do.
    fn name_rules(&self) -> NameRules {
        let rules = NameRules::for_dialect(Dialect::MsSql)
            .with_default_database(Some(self.database.clone()).filter(|d| !d.is_empty()));
        match self.schemas.first() {
            Some(schema) => rules.with_default_schema(Some(schema.clone())),
            None => rules,
        }
    }

    async fn ping(&self) -> Result<(), DatabaseError> {
        let mut conn = self.acquire().await?;
        let result = async {
            conn.client
                .simple_query("SELECT 1")
                .await?
                .into_results()
                .await
        }
        .await;
        result.map(|_| ()).map_err(|e| {
            conn.broken = true;
            self.map_error(e, false, std::time::Duration::ZERO)
        })
    }

    async fn extract_schema(&self) -> Result<Schema, DatabaseError> {
        let mut conn = self.acquire().await?;
        let schemas = if self.schemas.is_empty() {
            String::from("dbo")
        } else {
            self.schemas.join(",")
        };
        let result = catalog::extract(&mut conn.client, &schemas).await;
        result.map_err(|e| {
            let mapped = self.map_error(e, false, std::time::Duration::ZERO);
            if pool::poisons_connection(&mapped) {
                conn.broken = true;
            }
            mapped
        })
    }

    async fn execute(&self, sql: &str, options: &ExecuteOptions) -> Result<Rows, DatabaseError> {
        if let Some(word) = write_keyword(sql).filter(|_| options.read_only) {
            return Err(DatabaseError::ReadOnly {
                message: format!("`{word}` is refused on a read-only connection"),
            });
        }
        let mut conn = self.acquire().await?;
        let deadline = pool::client_deadline(options.timeout);
        let run = run_in_transaction(&mut conn.client, sql, options);
        let outcome = match tokio::time::timeout(deadline, run).await {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(e)) => Err(self.map_error(e, false, options.timeout)),
            Err(_) => Err(DatabaseError::Timeout {
                after: options.timeout,
            }),
        };
        match &outcome {
            Ok(_) => {}
            Err(e) if pool::poisons_connection(e) => conn.broken = true,
            Err(_) => {
                let rollback = async {
                    conn.client
                        .simple_query("IF @@TRANCOUNT > 0 ROLLBACK")
                        .await?
                        .into_results()
                        .await
                };
                if rollback.await.is_err() {
                    conn.broken = true;
                }
            }
        }
        outcome
    }

    fn pool_status(&self) -> PoolStatus {
        let state = self.pool.state();
        self.settings
            .status(state.connections, state.idle_connections)
    }

    async fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}

/// `BEGIN TRANSACTION` at `READ COMMITTED`, the query (at most `max_rows + 1` rows read),
/// then `ROLLBACK` (or `COMMIT` for read-write).
async fn run_in_transaction(
    client: &mut TdsClient,
    sql: &str,
    options: &ExecuteOptions,
) -> Result<Rows, tiberius::error::Error> {
    client
        .simple_query(
            "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SET XACT_ABORT ON; BEGIN TRANSACTION",
        )
        .await?
        .into_results()
        .await?;
    let mut out = Rows::default();
    let mut budget = Budget::new(options.max_bytes);
    {
        let mut stream = client.simple_query(sql).await?;
        if let Some(columns) = stream.columns().await? {
            out.columns = columns
                .iter()
                .map(|c| ColumnInfo {
                    name: c.name().to_string(),
                    type_name: decode::type_name(c.column_type()).to_string(),
                })
                .collect();
        }
        let mut rows = stream.into_row_stream();
        while let Some(row) = rows.try_next().await? {
            if out.rows.len() == options.max_rows {
                out.truncated = true;
                break;
            }
            let cells: Vec<_> = row
                .cells()
                .map(|(_, data)| budget.value(decode::cell(data)))
                .collect();
            if !budget.admit(&cells) {
                break;
            }
            out.rows.push(cells);
        }
        // Dropping the stream before its end leaves unread results on the wire; tiberius
        // drains them on the next request.
    }
    let end = if options.read_only {
        "IF @@TRANCOUNT > 0 ROLLBACK"
    } else {
        "IF @@TRANCOUNT > 0 COMMIT"
    };
    client.simple_query(end).await?.into_results().await?;
    budget.finish(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_keep_parameters() {
        let parts = parse_url(
            "mssql://sa:p%40ss@db.local:1444/shop?encrypt=true&trustServerCertificate=true",
            "x",
        )
        .unwrap();
        assert_eq!(
            (
                parts.user.as_str(),
                parts.password.as_str(),
                parts.host.as_str(),
                parts.port,
                parts.database.as_str()
            ),
            ("sa", "p@ss", "db.local", 1444, "shop")
        );
        assert_eq!(parts.params.len(), 2);
        let default_port = parse_url("sqlserver://sa@h/db", "x").unwrap();
        assert_eq!(default_port.port, 1433);
        assert!(matches!(
            parse_url("mssql://sa:secret@h:nope/db", "mssql://sa:***@h:nope/db"),
            Err(DatabaseError::InvalidUrl { message }) if !message.contains("secret")
        ));
        let config = DatabaseConfig::with_url("mssql://sa@h/db");
        assert_eq!(tiberius_config(&parts, &config).get_addr(), "db.local:1444");
    }

    #[test]
    fn writes_are_found_outside_quotes() {
        let check = |sql: &str, expect: Option<&str>| {
            assert_eq!(write_keyword(sql).as_deref(), expect, "{sql}");
        };
        check("SELECT TOP 5 name FROM dbo.customers", None);
        check(
            "SELECT 'insert into x' AS [delete], \"update\" FROM t -- drop\n",
            None,
        );
        check("SELECT 1 /* commit */", None);
        check("SELECT 1; DELETE FROM t", Some("DELETE"));
        check("SELECT 1 COMMIT", Some("COMMIT"));
        check("select * into backup from t", Some("INTO"));
        check("WITH x AS (SELECT 1 AS a) SELECT a FROM x", None);
        check("exec xp_cmdshell 'dir'", Some("EXEC"));
        check("SELECT t.[update] FROM t", None);
    }
}
