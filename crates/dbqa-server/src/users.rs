//! Who is asking: bearer tokens mapped to user names (`DBQA_API_TOKENS`, or the single
//! `DBQA_API_TOKEN` as user `default`), kept as SHA-256 digests and compared in constant
//! time. Sessions belong to the user who made them: a user's session ids are stored
//! under `<user>/`, so no user can list, read, append to or delete another's.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{Error, Result};

/// The user of the single `DBQA_API_TOKEN`.
pub const DEFAULT_USER: &str = "default";

/// A known token's digest and its user.
#[derive(Clone)]
struct Entry {
    digest: [u8; 32],
    user: String,
}

/// The users the server knows, by token.
#[derive(Clone, Default)]
pub struct Users {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.entries.iter().map(|e| e.user.as_str()).collect();
        f.debug_struct("Users").field("users", &names).finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether a user name may be used in session keys: letters, digits, `.`, `_`, `-`.
fn valid_user(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Users {
    /// Nobody: the API is open (loopback use).
    pub fn none() -> Self {
        Self::default()
    }

    /// One token for user [`DEFAULT_USER`].
    pub fn single(token: &SecretString) -> Self {
        Self {
            entries: vec![Entry {
                digest: digest(token.expose_secret()),
                user: DEFAULT_USER.to_string(),
            }],
        }
    }

    /// Parses a tokens file: one `token user` per line (blank lines and `#` comments
    /// skipped). Tokens must be at least 16 characters; user names letters, digits, `.`,
    /// `_` and `-`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let invalid = |message: &str| Error::File {
                name: "DBQA_API_TOKENS",
                message: format!("line {}: {message} (expected `token user`)", i + 1),
            };
            let mut words = line.split_whitespace();
            let (Some(token), Some(user), None) = (words.next(), words.next(), words.next()) else {
                return Err(invalid("two words expected"));
            };
            if token.len() < 16 {
                return Err(invalid("the token is shorter than 16 characters"));
            }
            if !valid_user(user) {
                return Err(invalid(
                    "the user name may hold only letters, digits, `.`, `_` and `-`",
                ));
            }
            let digest = digest(token);
            if entries.iter().any(|e: &Entry| e.digest == digest) {
                return Err(invalid("the token is given twice"));
            }
            entries.push(Entry {
                digest,
                user: user.to_string(),
            });
        }
        if entries.is_empty() {
            return Err(Error::File {
                name: "DBQA_API_TOKENS",
                message: String::from("the file holds no token"),
            });
        }
        Ok(Self { entries })
    }

    /// Reads a tokens file ([`parse`](Self::parse)).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::File {
            name: "DBQA_API_TOKENS",
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        Self::parse(&text)
    }

    /// Whether tokens are required.
    pub fn required(&self) -> bool {
        !self.entries.is_empty()
    }

    /// The user a presented token belongs to. Every entry is compared, each in constant
    /// time, so timing says nothing about which token (or how much of one) matched.
    pub fn user_of(&self, token: &str) -> Option<&str> {
        let presented = digest(token);
        let mut found = None;
        for entry in &self.entries {
            if bool::from(entry.digest.ct_eq(&presented)) {
                found = Some(entry.user.as_str());
            }
        }
        found
    }
}

/// The user a request is made as (`None` when the API is open).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct User(pub(crate) Option<String>);

impl User {
    /// The session id as stored: `<user>/<id>` for a known user, the id itself otherwise.
    pub(crate) fn session(&self, id: &str) -> String {
        match &self.0 {
            Some(user) => format!("{user}/{id}"),
            None => id.to_string(),
        }
    }

    /// A stored session id as this user sees it, if it is theirs.
    pub(crate) fn own<'a>(&self, stored: &'a str) -> Option<&'a str> {
        match &self.0 {
            Some(user) => stored
                .strip_prefix(user.as_str())
                .and_then(|rest| rest.strip_prefix('/')),
            // An open API shows the sessions of no user.
            None => (!stored.contains('/')).then_some(stored),
        }
    }

    /// The name for the audit log.
    pub(crate) fn name(&self) -> &str {
        self.0.as_deref().unwrap_or("anonymous")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_map_to_users() {
        let users =
            Users::parse("# team\nalice-token-0123456789 alice\n\nbob-token-0123456789ab bob\n")
                .expect("tokens");
        assert_eq!(users.user_of("alice-token-0123456789"), Some("alice"));
        assert_eq!(users.user_of("bob-token-0123456789ab"), Some("bob"));
        assert_eq!(users.user_of("alice-token-012345678"), None);
        assert_eq!(users.user_of(""), None);
        assert!(!format!("{users:?}").contains("token"));
    }

    #[test]
    fn bad_files_name_the_line() {
        for (text, message) in [
            ("short alice\n", "line 1: the token is shorter"),
            ("x-0123456789abcdefgh al/ice\n", "line 1: the user name"),
            (
                "x-0123456789abcdefgh a\nx-0123456789abcdefgh b\n",
                "line 2: the token is given twice",
            ),
            ("# nothing\n", "no token"),
        ] {
            let error = Users::parse(text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(message), "{text:?}: {error}");
        }
    }

    #[test]
    fn sessions_are_owned() {
        let alice = User(Some("alice".into()));
        let bob = User(Some("bob".into()));
        assert_eq!(alice.session("s1"), "alice/s1");
        assert_eq!(alice.own("alice/s1"), Some("s1"));
        assert_eq!(bob.own("alice/s1"), None);
        assert_eq!(User::default().own("alice/s1"), None);
        assert_eq!(User::default().own("s1"), Some("s1"));
    }
}
