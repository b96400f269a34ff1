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
/// The password is found without trusting the URL to be well formed: everything between
/// `://` and the *last* `@` is the user-info, so a password holding `/`, `?`, `#` or `@`
/// unencoded is hidden whole. Query parameters are then read with the `url` crate.
///
/// ```
/// assert_eq!(
///     dbqa_core::redact_url("mysql://root:s3cret@localhost/db?password=x&ssl=true"),
///     "mysql://root:***@localhost/db?password=***&ssl=true"
/// );
/// assert_eq!(dbqa_core::redact_url("postgres://u:hun/ter2@host/db"), "postgres://u:***@host/db");
/// ```
pub fn redact_url(url: &str) -> String {
    let out = match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
                None => url.to_string(),
            },
            None => url.to_string(),
        },
        None => url.to_string(),
    };
    let out = redact_query(&out).unwrap_or(out);
    redact_parameters(out)
}

/// Every URL's password inside `text` (a driver's or an HTTP client's error message)
/// replaced with `***`, and every `password=`-like parameter. As in [`redact_url`], the
/// password runs to the last `@` (here: of its line), so no character it holds can end it
/// early; at worst a little more than the password is hidden.
///
/// ```
/// assert_eq!(
///     dbqa_core::redact_urls_in("error sending request for url (http://u:p@w@host/v1/chat)"),
///     "error sending request for url (http://u:***@host/v1/chat)"
/// );
/// ```
pub fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let line = &after[..after.find('\n').unwrap_or(after.len())];
        let user_end = line.find(|c: char| c == ':' || c == '@' || c == '/' || c.is_whitespace());
        let password_end = line.rfind('@');
        out.push_str(&rest[..at + 3]);
        match (user_end, password_end) {
            (Some(colon), Some(last_at)) if line[colon..].starts_with(':') && last_at > colon => {
                out.push_str(&line[..colon]);
                out.push_str(":***@");
                rest = &after[last_at + 1..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    redact_parameters(out)
}

/// The spellings of password parameters in ADO-style `Password=…;` strings, which are no
/// URLs and so are read by hand.
const PASSWORD_PARAMETERS: [&str; 6] = [
    "password=",
    "pwd=",
    "PASSWORD=",
    "Password=",
    "Pwd=",
    "PWD=",
];

/// `text` with every [`PASSWORD_PARAMETERS`] value replaced.
fn redact_parameters(mut text: String) -> String {
    for key in PASSWORD_PARAMETERS {
        text = redact_parameter(&text, key);
    }
    text
}

/// The URL with every password-like query parameter's value replaced, when it parses
/// and has one.
fn redact_query(text: &str) -> Option<String> {
    let mut parsed = url::Url::parse(text).ok()?;
    let secret = |key: &str| {
        let key = key.to_ascii_lowercase();
        [
            "password",
            "pwd",
            "pass",
            "secret",
            "token",
            "api_key",
            "apikey",
            "sslpassword",
        ]
        .contains(&key.as_str())
    };
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !pairs.iter().any(|(k, _)| secret(k)) {
        return None;
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let value = if secret(k) { "***" } else { v.as_str() };
            format!("{k}={value}")
        })
        .collect();
    parsed.set_query(Some(&query.join("&")));
    Some(parsed.to_string().replace("%2A%2A%2A", "***"))
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

    proptest::proptest! {
        /// Whatever characters a password holds (`/`, `?`, `#`, `@`, `:`, `%`, spaces,
        /// non-ASCII), no printed form of the URL shows it.
        #[test]
        fn no_password_survives(password in "[ -~é€]{1,24}", user in "[a-z]{1,8}") {
            let password = format!("PW{password}QZ");
            for url in [
                format!("postgres://{user}:{password}@db.example:5432/shop?sslmode=disable"),
                format!("mysql://{user}:{password}@127.0.0.1/shop"),
                format!("redis://:{password}@127.0.0.1:6379/0"),
                format!("http://{user}:{password}@llm.local:8080/v1"),
            ] {
                let secret = SecretUrl::new(url.clone());
                for printed in [
                    redact_url(&url),
                    secret.to_string(),
                    format!("{secret:?}"),
                    redact_urls_in(&format!("error sending request for url ({url}/chat)")),
                ] {
                    proptest::prop_assert!(!printed.contains(&password), "{printed}");
                }
            }
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
