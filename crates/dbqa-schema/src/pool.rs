//! What the server connectors (PostgreSQL, MySQL/MariaDB, SQL Server) share: pool sizing
//! from `DB_POOL_*`, pool statistics, the client-side deadline, and the mapping of sqlx
//! errors to [`DatabaseError`].

use std::time::Duration;

use dbqa_core::{DatabaseConfig, DatabaseError, PoolStatus, redact_urls_in};

/// Idle connections above the base size are closed after this long, so a pool that grew
/// into its overflow under load shrinks back.
pub(crate) const OVERFLOW_IDLE: Duration = Duration::from_secs(60);

/// The client-side deadline is the server-side timeout plus this grace, so that the
/// server normally cancels first and the connection stays clean.
const CLIENT_GRACE: Duration = Duration::from_millis(250);

/// Pool sizing resolved from a [`DatabaseConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolSettings {
    /// Connections kept open (`DB_POOL_SIZE`).
    pub(crate) base: u32,
    /// The most connections opened (`DB_POOL_SIZE` + `DB_MAX_OVERFLOW`).
    pub(crate) max: u32,
    /// Wait for a free connection (`DB_POOL_TIMEOUT`).
    pub(crate) acquire_timeout: Duration,
    /// Maximum connection lifetime (`DB_POOL_RECYCLE`).
    pub(crate) max_lifetime: Duration,
}

impl PoolSettings {
    /// The settings of `config`; at least one connection.
    pub(crate) fn from_config(config: &DatabaseConfig) -> Self {
        let max = config.max_connections().max(1);
        Self {
            base: config.pool_size.clamp(1, max),
            max,
            acquire_timeout: config.pool_timeout,
            max_lifetime: config.pool_recycle,
        }
    }

    /// Pool occupancy from the number of open and idle connections.
    pub(crate) fn status(&self, size: u32, idle: u32) -> PoolStatus {
        PoolStatus {
            size,
            idle: idle.min(size),
            in_use: size.saturating_sub(idle),
            overflow: size.saturating_sub(self.base),
            max_size: self.max,
        }
    }

    /// The typed error for a pool that had no free connection in time.
    pub(crate) fn exhausted(&self) -> DatabaseError {
        DatabaseError::PoolExhausted {
            waited: self.acquire_timeout,
            max_size: self.max,
        }
    }
}

/// The client-side deadline for a query whose server-side timeout is `timeout`.
pub(crate) fn client_deadline(timeout: Duration) -> Duration {
    timeout.saturating_add(CLIENT_GRACE)
}

/// Whole milliseconds of a timeout, at least 1 (0 means "no limit" to the servers).
pub(crate) fn timeout_millis(timeout: Duration) -> u128 {
    timeout.as_millis().max(1)
}

/// How a backend names its error codes: which codes mean what.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) struct SqlxCodes {
    /// Codes of a write refused by a read-only transaction.
    pub(crate) read_only: &'static [&'static str],
    /// Codes of a statement cancelled by the server-side timeout.
    pub(crate) timeout: &'static [&'static str],
    /// Codes of a connection killed by the server or an administrator.
    pub(crate) killed: &'static [&'static str],
    /// Codes of refused credentials.
    pub(crate) auth: &'static [&'static str],
    /// Codes of a missing database.
    pub(crate) unknown_database: &'static [&'static str],
    /// Codes of a server that refuses more connections.
    pub(crate) too_many: &'static [&'static str],
    /// The code matched against these sets and reported in [`DatabaseError::Query`]
    /// (SQLSTATE for PostgreSQL, the error number for MySQL).
    pub(crate) code_of: fn(&dyn sqlx::error::DatabaseError) -> Option<String>,
}

/// The SQLSTATE of a database error.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn sqlstate(error: &dyn sqlx::error::DatabaseError) -> Option<String> {
    error.code().map(|c| c.into_owned())
}

/// Where an sqlx error happened: opening a connection, or running a query on one.
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Opening the connection (errors are about reaching the server).
    Connect,
    /// Running a query (I/O errors mean the connection was lost).
    Query,
}

/// Context for mapping an sqlx error.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) struct SqlxContext<'a> {
    /// The redacted URL.
    pub(crate) target: &'a str,
    /// The database named in the URL.
    pub(crate) database: &'a str,
    /// The backend's codes.
    pub(crate) codes: &'a SqlxCodes,
    /// Pool sizing, for the exhausted error.
    pub(crate) pool: &'a PoolSettings,
    /// The query timeout, for the timeout error.
    pub(crate) timeout: Duration,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl SqlxContext<'_> {
    /// Maps an sqlx error to a typed [`DatabaseError`]; never includes the password.
    pub(crate) fn map(&self, error: sqlx::Error, phase: Phase) -> DatabaseError {
        let codes = self.codes;
        match error {
            sqlx::Error::Database(db) => {
                let code = (codes.code_of)(db.as_ref()).unwrap_or_default();
                let message = db.message().to_string();
                let is = |set: &[&str]| set.contains(&code.as_str());
                if is(codes.read_only) {
                    DatabaseError::ReadOnly { message }
                } else if is(codes.timeout) {
                    DatabaseError::Timeout {
                        after: self.timeout,
                    }
                } else if is(codes.killed) {
                    DatabaseError::ConnectionLost { message }
                } else if is(codes.auth) {
                    DatabaseError::Authentication {
                        target: self.target.to_string(),
                        message,
                    }
                } else if is(codes.unknown_database) {
                    DatabaseError::UnknownDatabase {
                        target: self.target.to_string(),
                        name: self.database.to_string(),
                    }
                } else if is(codes.too_many) {
                    DatabaseError::Connection {
                        target: self.target.to_string(),
                        message,
                    }
                } else {
                    DatabaseError::Query {
                        message,
                        code: (!code.is_empty()).then_some(code),
                    }
                }
            }
            sqlx::Error::PoolTimedOut => self.pool.exhausted(),
            sqlx::Error::PoolClosed => DatabaseError::Closed,
            sqlx::Error::Io(e) if phase == Phase::Connect => DatabaseError::Connection {
                target: self.target.to_string(),
                message: redact_urls_in(&e.to_string()),
            },
            sqlx::Error::Tls(e) if phase == Phase::Connect => DatabaseError::Connection {
                target: self.target.to_string(),
                message: format!("tls: {}", redact_urls_in(&e.to_string())),
            },
            sqlx::Error::Configuration(e) => DatabaseError::InvalidUrl {
                message: format!("{} (url: {})", redact_urls_in(&e.to_string()), self.target),
            },
            e @ (sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_)) => {
                DatabaseError::ConnectionLost {
                    message: redact_urls_in(&e.to_string()),
                }
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => DatabaseError::Decode {
                message: redact_urls_in(&error.to_string()),
            },
            other if phase == Phase::Connect => DatabaseError::Connection {
                target: self.target.to_string(),
                message: redact_urls_in(&other.to_string()),
            },
            other => DatabaseError::Query {
                message: redact_urls_in(&other.to_string()),
                code: None,
            },
        }
    }
}

/// Whether an error means the connection that produced it must not be reused.
pub(crate) fn poisons_connection(error: &DatabaseError) -> bool {
    matches!(
        error,
        DatabaseError::ConnectionLost { .. } | DatabaseError::Timeout { .. }
    )
}

/// The sqlx pool options for `settings`: base connections kept, overflow closed when
/// idle, a health check before reuse.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn sqlx_pool_options<DB: sqlx::Database>(
    settings: &PoolSettings,
) -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::<DB>::new()
        .min_connections(settings.base)
        .max_connections(settings.max)
        .acquire_timeout(settings.acquire_timeout)
        .max_lifetime(settings.max_lifetime)
        .idle_timeout(OVERFLOW_IDLE.min(settings.max_lifetime))
        .test_before_acquire(true)
}

/// Result column names and type names, as the agent and the user see them.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) fn column_infos<C: sqlx::Column>(columns: &[C]) -> Vec<dbqa_core::ColumnInfo> {
    use sqlx::TypeInfo;
    columns
        .iter()
        .map(|c| dbqa_core::ColumnInfo {
            name: c.name().to_string(),
            type_name: c.type_info().name().to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_follow_the_config() {
        let mut config = DatabaseConfig::with_url("postgres://u@h/db");
        config.pool_size = 2;
        config.max_overflow = 3;
        let settings = PoolSettings::from_config(&config);
        assert_eq!((settings.base, settings.max), (2, 5));
        assert_eq!(
            settings.status(4, 1),
            PoolStatus {
                size: 4,
                idle: 1,
                in_use: 3,
                overflow: 2,
                max_size: 5
            }
        );
        assert_eq!(timeout_millis(Duration::from_micros(10)), 1);
        assert!(client_deadline(Duration::from_secs(1)) > Duration::from_secs(1));
    }
}
