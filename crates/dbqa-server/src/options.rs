//! [`ServeOptions`]: where to listen and the limits every request runs under.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dbqa_core::Database;
use secrecy::SecretString;

use crate::audit::AuditLog;
use crate::users::Users;
use crate::{Error, Result};

/// How `dbqa serve` listens and what it allows.
///
/// The defaults suit one machine: loopback only, no token, 64 KiB bodies, 120 s per
/// request, 64 requests in flight, no CORS.
#[derive(Clone)]
pub struct ServeOptions {
    /// Address to listen on (`127.0.0.1:8080`).
    pub bind: SocketAddr,
    /// `DBQA_API_TOKEN`: when set, every `/api` route needs `Authorization: Bearer <token>`
    /// (the user `default`).
    pub api_token: Option<SecretString>,
    /// `DBQA_API_TOKENS`: a file of `token user` lines, read at start; each user sees only
    /// their own sessions. Wins over `DBQA_API_TOKEN`.
    pub api_tokens_file: Option<PathBuf>,
    /// `DBQA_ALLOWED_HOSTS`: `Host` names served besides the bind address and `localhost`
    /// when no token is set (comma separated).
    pub allowed_hosts: Vec<String>,
    /// `DBQA_HEADER_TIMEOUT` (10 s): a connection that has not sent its request head by
    /// then is closed.
    pub header_timeout: Duration,
    /// `DBQA_BODY_TIMEOUT` (30 s): a request body that stalls longer is cut off.
    pub body_timeout: Duration,
    /// `DBQA_AUDIT_LOG`: a file to append one JSON line per question or SQL to (`-` for
    /// standard output).
    pub audit_log: Option<String>,
    /// `DBQA_MAX_BODY_BYTES` (65536): larger request bodies get HTTP 413.
    pub max_body_bytes: usize,
    /// `DBQA_REQUEST_TIMEOUT` (120 s): a request (or a stream) running longer is ended
    /// with HTTP 504 (or an `error` event of kind `request_timeout`).
    pub request_timeout: Duration,
    /// `DBQA_MAX_CONCURRENT_REQUESTS` (64): `/api` requests served at once; more wait.
    pub max_concurrent_requests: usize,
    /// `DBQA_CORS_ORIGINS`: origins allowed to call the API from a browser (comma
    /// separated; `*` for any). Empty (the default) sends no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// The database `/readyz` pings. Without it, `/readyz` checks that the schema loads
    /// (which reaches the database only the first time).
    pub database: Option<Arc<dyn Database>>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("bind", &self.bind)
            .field("api_token", &self.api_token.as_ref().map(|_| "[redacted]"))
            .field("api_tokens_file", &self.api_tokens_file)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("audit_log", &self.audit_log)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("cors_origins", &self.cors_origins)
            .field("database", &self.database.as_ref().map(|d| d.identity()))
            .finish()
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            api_token: None,
            api_tokens_file: None,
            allowed_hosts: Vec::new(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            audit_log: None,
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(120),
            max_concurrent_requests: 64,
            cors_origins: Vec::new(),
            database: None,
        }
    }
}

impl ServeOptions {
    /// The defaults overridden by `DBQA_API_TOKEN`, `DBQA_MAX_BODY_BYTES`,
    /// `DBQA_REQUEST_TIMEOUT` (seconds), `DBQA_MAX_CONCURRENT_REQUESTS` and
    /// `DBQA_CORS_ORIGINS` from the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any lookup (for tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut options = Self::default();
        if let Some(token) = get("DBQA_API_TOKEN") {
            options.api_token = Some(SecretString::from(token.trim().to_string()));
        }
        if let Some(path) = get("DBQA_API_TOKENS") {
            options.api_tokens_file = Some(PathBuf::from(path.trim()));
        }
        if let Some(v) = get("DBQA_ALLOWED_HOSTS") {
            options.allowed_hosts = list(&v);
        }
        if let Some(v) = get("DBQA_HEADER_TIMEOUT") {
            options.header_timeout =
                Duration::from_secs(positive("DBQA_HEADER_TIMEOUT", &v)? as u64);
        }
        if let Some(v) = get("DBQA_BODY_TIMEOUT") {
            options.body_timeout = Duration::from_secs(positive("DBQA_BODY_TIMEOUT", &v)? as u64);
        }
        if let Some(v) = get("DBQA_AUDIT_LOG") {
            options.audit_log = Some(v.trim().to_string());
        }
        if let Some(v) = get("DBQA_MAX_BODY_BYTES") {
            options.max_body_bytes = positive("DBQA_MAX_BODY_BYTES", &v)?;
        }
        if let Some(v) = get("DBQA_REQUEST_TIMEOUT") {
            options.request_timeout =
                Duration::from_secs(positive("DBQA_REQUEST_TIMEOUT", &v)? as u64);
        }
        if let Some(v) = get("DBQA_MAX_CONCURRENT_REQUESTS") {
            options.max_concurrent_requests = positive("DBQA_MAX_CONCURRENT_REQUESTS", &v)?;
        }
        if let Some(v) = get("DBQA_CORS_ORIGINS") {
            options.cors_origins = list(&v);
        }
        Ok(options)
    }

    /// The users these options name: the tokens file, else the single token, else none.
    pub fn users(&self) -> Result<Users> {
        match (&self.api_tokens_file, &self.api_token) {
            (Some(path), _) => Users::load(path),
            (None, Some(token)) => Ok(Users::single(token)),
            (None, None) => Ok(Users::none()),
        }
    }

    /// The audit log these options name.
    pub fn audit(&self) -> Result<Option<AuditLog>> {
        self.audit_log.as_deref().map(AuditLog::open).transpose()
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn positive(name: &'static str, value: &str) -> Result<usize> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::InvalidSetting {
            name,
            value: value.to_string(),
            expected: "a positive whole number",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(vars: &[(&str, &str)]) -> Result<ServeOptions> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ServeOptions::from_lookup(|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn environment_overrides_defaults() {
        let options = check(&[
            ("DBQA_API_TOKEN", "s3cret"),
            ("DBQA_MAX_BODY_BYTES", "1024"),
            ("DBQA_REQUEST_TIMEOUT", "5"),
            ("DBQA_MAX_CONCURRENT_REQUESTS", "3"),
            ("DBQA_CORS_ORIGINS", "http://a.test, http://b.test"),
        ])
        .unwrap();
        assert!(options.api_token.is_some());
        assert_eq!(options.max_body_bytes, 1024);
        assert_eq!(options.request_timeout, Duration::from_secs(5));
        assert_eq!(options.max_concurrent_requests, 3);
        assert_eq!(options.cors_origins, ["http://a.test", "http://b.test"]);
        assert!(!format!("{options:?}").contains("s3cret"));
    }

    #[test]
    fn defaults_without_environment() {
        let options = check(&[]).unwrap();
        assert!(options.api_token.is_none());
        assert!(options.cors_origins.is_empty());
        assert_eq!(options.bind.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn invalid_numbers_name_the_variable() {
        let err = check(&[("DBQA_MAX_BODY_BYTES", "lots")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DBQA_MAX_BODY_BYTES is \"lots\"; expected a positive whole number"
        );
        assert!(check(&[("DBQA_REQUEST_TIMEOUT", "0")]).is_err());
    }
}
