//! Connection URLs that never show their password.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A database or service URL that may hold a password.
///
/// `Debug` and `Display` print it with the password replaced by `***`; the full URL is
/// available only through [`SecretUrl::expose`], for the driver.
///
/// ```
/// use dbqa_core::SecretUrl;
/// let url = SecretUrl::new("postgres://app:hunter2@db:5432/shop");
/// assert_eq!(url.to_string(), "postgres://app:***@db:5432/shop");
/// assert!(!format!("{url:?}").contains("hunter2"));
/// assert_eq!(url.expose(), "postgres://app:hunter2@db:5432/shop");
/// ```
#[derive(Clone)]
pub struct SecretUrl {
    full: SecretString,
    redacted: String,
}

impl SecretUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        let full: String = url.into();
        let redacted = redact_url(&full);
        Self {
            full: SecretString::from(full),
            redacted,
        }
    }

    /// The URL with its password, for handing to a driver. Never log it.
    pub fn expose(&self) -> &str {
        self.full.expose_secret()
    }

    /// The URL with the password replaced by `***`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl PartialEq for SecretUrl {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({:?})", self.redacted)
    }
}

/// Replaces the password of a URL (`scheme://user:password@host`) and any
/// `password=`/`pwd=` query or ADO-style parameter with `***`.
///
/// ```
/// assert_eq!(
///     dbqa_core::redact_url("mysql://root:s3cret@localhost/db?password=x&ssl=true"),
///     "mysql://root:***@localhost/db?password=***&ssl=true"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    let mut out = match url.split_once("://") {
        Some((scheme, rest)) => {
            // The authority ends at the first '/', '?' or '#'; its userinfo at the last '@'.
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
                    None => url.to_string(),
                },
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    };
    for key in [
        "password=",
        "pwd=",
        "PASSWORD=",
        "Password=",
        "Pwd=",
        "PWD=",
    ] {
        out = redact_parameter(&out, key);
    }
    out
}

fn redact_parameter(text: &str, key: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(key) {
        let at_boundary = pos == 0 || matches!(rest.as_bytes()[pos - 1], b'?' | b'&' | b';');
        let (head, tail) = rest.split_at(pos + key.len());
        result.push_str(head);
        if at_boundary {
            let value_end = tail.find(['&', ';', '#']).unwrap_or(tail.len());
            result.push_str("***");
            rest = &tail[value_end..];
        } else {
            rest = tail;
        }
    }
    result.push_str(rest);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_form() {
        let cases = [
            ("postgres://u:p@h/db", "postgres://u:***@h/db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgres://u:p%40ss@h:5432", "postgres://u:***@h:5432"),
            ("sqlite://./demo.db", "sqlite://./demo.db"),
            ("sqlite::memory:", "sqlite::memory:"),
            (
                "mssql://sa:Pa55@h/db;password=x",
                "mssql://sa:***@h/db;password=***",
            ),
            (
                "redis://:topsecret@127.0.0.1:6379/0",
                "redis://:***@127.0.0.1:6379/0",
            ),
            (
                "mysql://h/db?user=a&password=b",
                "mysql://h/db?user=a&password=***",
            ),
            ("mysql://h/db?old_password=b", "mysql://h/db?old_password=b"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_url(input), expected, "{input}");
        }
    }

    #[test]
    fn debug_and_display_hide_the_password() {
        let url = SecretUrl::new("postgres://app:hunter2@db/shop");
        assert!(!format!("{url}").contains("hunter2"));
        assert!(!format!("{url:?}").contains("hunter2"));
        assert!(url.expose().contains("hunter2"));
    }
}
