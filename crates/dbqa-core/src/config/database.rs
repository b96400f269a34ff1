//! [`DatabaseConfig`]: where the database is and how its pool behaves (`DATABASE_URL`,
//! `DB_*`, `SSL_*`).

use std::path::PathBuf;
use std::time::Duration;

use crate::{ConfigError, Environment, SecretUrl};

/// How to reach the database and size its connection pool.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: `sqlite://path`, `postgres://…`, `mysql://…`, `mssql://…`.
    pub url: Option<SecretUrl>,
    /// `DB_POOL_SIZE` (10): connections kept open.
    pub pool_size: u32,
    /// `DB_MAX_OVERFLOW` (20): extra connections opened under load, closed when idle.
    pub max_overflow: u32,
    /// `DB_POOL_TIMEOUT` (30 s): wait for a free connection before failing.
    pub pool_timeout: Duration,
    /// `DB_POOL_RECYCLE` (3600 s): maximum lifetime of a connection.
    pub pool_recycle: Duration,
    /// `DB_SCHEMAS`: comma-separated schemas to describe (default: the dialect's usual one).
    pub schemas: Vec<String>,
    /// TLS settings (`SSL_*`).
    pub ssl: SslConfig,
}

/// TLS settings for server databases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SslConfig {
    /// `SSL_ENABLED` (false): require TLS (URL parameters such as `sslmode=` still apply).
    pub enabled: bool,
    /// `SSL_CA`: a CA certificate file to trust.
    pub ca: Option<PathBuf>,
    /// `SSL_CERT`: a client certificate file.
    pub cert: Option<PathBuf>,
    /// `SSL_KEY`: the client certificate's key file.
    pub key: Option<PathBuf>,
    /// `SSL_VERIFY` (true): verify the server's certificate and host name.
    pub verify: bool,
}

impl DatabaseConfig {
    /// Environment over defaults.
    pub fn from_env(env: &Environment) -> Result<Self, ConfigError> {
        Ok(Self {
            url: env.secret_url("DATABASE_URL"),
            pool_size: env.number("DB_POOL_SIZE", 10, 1, 10_000)?,
            max_overflow: env.number("DB_MAX_OVERFLOW", 20, 0, 10_000)?,
            pool_timeout: env.seconds("DB_POOL_TIMEOUT", 30.0, 0.001, 86_400.0)?,
            pool_recycle: env.seconds("DB_POOL_RECYCLE", 3600.0, 1.0, 31_536_000.0)?,
            schemas: env.list("DB_SCHEMAS"),
            ssl: SslConfig {
                enabled: env.bool("SSL_ENABLED", false)?,
                ca: env.get("SSL_CA").map(PathBuf::from),
                cert: env.get("SSL_CERT").map(PathBuf::from),
                key: env.get("SSL_KEY").map(PathBuf::from),
                verify: env.bool("SSL_VERIFY", true)?,
            },
        })
    }

    /// The defaults alone, with the given URL.
    pub fn with_url(url: impl Into<String>) -> Self {
        let mut config = Self::from_env(&Environment::empty()).unwrap_or_else(|_| unreachable!());
        config.url = Some(SecretUrl::new(url));
        config
    }

    /// The most connections the pool may hold: size plus overflow.
    pub fn max_connections(&self) -> u32 {
        self.pool_size.saturating_add(self.max_overflow)
    }
}
