//! SQL dialects dbqa speaks and how to recognise them from a URL.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The SQL dialect of a database connection.
///
/// Dialect differences are answered by capability methods (`supports_limit`,
/// `supports_top`, …) so callers never branch on the variant directly.
///
/// ```
/// use dbqa_core::Dialect;
/// assert_eq!(Dialect::from_url("postgres://u@h/db").unwrap(), Dialect::Postgres);
/// assert_eq!("mariadb".parse::<Dialect>().unwrap(), Dialect::MySql);
/// assert!(Dialect::MsSql.supports_top());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    #[serde(rename = "mysql")]
    MySql,
    /// Microsoft SQL Server.
    #[serde(rename = "mssql")]
    MsSql,
}

/// Every dialect, in a stable order (useful for tests that run across all of them).
pub const ALL_DIALECTS: [Dialect; 4] = [
    Dialect::Sqlite,
    Dialect::Postgres,
    Dialect::MySql,
    Dialect::MsSql,
];

/// A URL scheme or dialect name that dbqa does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown database kind `{0}`: expected sqlite, postgres, mysql/mariadb or mssql/sqlserver")]
pub struct UnknownDialect(pub String);

impl Dialect {
    /// Detects the dialect from a connection URL's scheme (`sqlite:`, `postgres://`,
    /// `postgresql://`, `mysql://`, `mariadb://`, `mssql://`, `sqlserver://`).
    /// Driver suffixes such as `postgresql+asyncpg://` are accepted.
    pub fn from_url(url: &str) -> Result<Self, UnknownDialect> {
        let scheme = url
            .split_once(':')
            .map(|(scheme, _)| scheme)
            .ok_or_else(|| UnknownDialect(String::from("(no scheme)")))?;
        let base = scheme.split('+').next().unwrap_or(scheme);
        base.parse()
    }

    /// The canonical lower-case name (`sqlite`, `postgres`, `mysql`, `mssql`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
            Dialect::MsSql => "mssql",
        }
    }

    /// A human name for prompts and messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL/MariaDB",
            Dialect::MsSql => "SQL Server (T-SQL)",
        }
    }

    /// Whether `LIMIT n` is the way to cap rows.
    pub fn supports_limit(self) -> bool {
        !matches!(self, Dialect::MsSql)
    }

    /// Whether `SELECT TOP n` is the way to cap rows.
    pub fn supports_top(self) -> bool {
        matches!(self, Dialect::MsSql)
    }

    /// Whether unquoted identifiers fold to lower case and quoted ones keep their case
    /// (PostgreSQL). Elsewhere names compare case-insensitively either way.
    pub fn quoted_identifiers_are_case_sensitive(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// Quotes an identifier the way this dialect does.
    pub fn quote_identifier(self, name: &str) -> String {
        match self {
            Dialect::MySql => format!("`{}`", name.replace('`', "``")),
            Dialect::MsSql => format!("[{}]", name.replace(']', "]]")),
            Dialect::Sqlite | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::MySql),
            "mssql" | "sqlserver" | "tsql" => Ok(Dialect::MsSql),
            other => Err(UnknownDialect(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_every_scheme() {
        let cases = [
            ("sqlite://demo.db", Dialect::Sqlite),
            ("sqlite::memory:", Dialect::Sqlite),
            ("postgres://u:p@h/db", Dialect::Postgres),
            ("postgresql+asyncpg://h/db", Dialect::Postgres),
            ("mysql://root@h/db", Dialect::MySql),
            ("mariadb://root@h/db", Dialect::MySql),
            ("mssql://sa@h/db", Dialect::MsSql),
            ("sqlserver://sa@h/db", Dialect::MsSql),
        ];
        for (url, dialect) in cases {
            assert_eq!(Dialect::from_url(url), Ok(dialect), "{url}");
        }
    }

    #[test]
    fn unknown_scheme_is_named_in_the_error() {
        let err = Dialect::from_url("oracle://h/db").unwrap_err();
        assert!(err.to_string().contains("`oracle`"), "{err}");
        assert!(Dialect::from_url("no-scheme-here").is_err());
    }

    #[test]
    fn quoting_escapes_the_quote_character() {
        assert_eq!(Dialect::Postgres.quote_identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::MySql.quote_identifier("a`b"), "`a``b`");
        assert_eq!(Dialect::MsSql.quote_identifier("a]b"), "[a]]b]");
    }
}

/// How a database server resolves and compares table names: what an unqualified name
/// means and whether case matters. Connectors read it from the server
/// ([`Database::name_rules`](crate::Database::name_rules)); the guard compares table
/// lists with it.
///
/// ```
/// use dbqa_core::{Dialect, NameRules};
/// let rules = NameRules::for_dialect(Dialect::Postgres);
/// assert_eq!(rules.default_schema.as_deref(), Some("public"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NameRules {
    /// The schema an unqualified table name resolves to: the first schema of the search
    /// path (PostgreSQL), the user's default schema (SQL Server), the current database
    /// (MySQL) or `main` (SQLite). `None` when unknown: then a qualified MySQL name counts
    /// as another database.
    pub default_schema: Option<String>,
    /// The current database, for three-part names (PostgreSQL, SQL Server).
    pub default_database: Option<String>,
    /// Whether two names that differ only in case are different tables: PostgreSQL for
    /// quoted names (unquoted ones fold to lower case), MySQL when
    /// `lower_case_table_names = 0`.
    pub case_sensitive: bool,
}

impl NameRules {
    /// What a server of `dialect` does when nothing more is known: `public`, `dbo`,
    /// `main`; case-sensitive PostgreSQL and MySQL (its default on Linux).
    pub fn for_dialect(dialect: Dialect) -> Self {
        let (schema, case_sensitive) = match dialect {
            Dialect::Postgres => (Some("public"), true),
            Dialect::MySql => (None, true),
            Dialect::Sqlite => (Some("main"), false),
            Dialect::MsSql => (Some("dbo"), false),
        };
        Self {
            default_schema: schema.map(str::to_string),
            default_database: None,
            case_sensitive,
        }
    }

    /// These rules with `schema` as the default schema.
    #[must_use]
    pub fn with_default_schema(mut self, schema: Option<String>) -> Self {
        self.default_schema = schema;
        self
    }

    /// These rules with `database` as the current database.
    #[must_use]
    pub fn with_default_database(mut self, database: Option<String>) -> Self {
        self.default_database = database;
        self
    }

    /// These rules with names compared case-sensitively or not.
    #[must_use]
    pub fn with_case_sensitive(mut self, case_sensitive: bool) -> Self {
        self.case_sensitive = case_sensitive;
        self
    }
}
