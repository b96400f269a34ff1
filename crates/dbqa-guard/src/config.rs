//! What the guard enforces: [`GuardConfig`] and its chainable setters.

use dbqa_core::{Database, Dialect, NameRules, SafetyConfig};

/// The default longest statement the guard will look at, in characters.
pub const DEFAULT_MAX_LENGTH: usize = 10_000;

/// What a [`Guard`](crate::Guard) enforces.
///
/// Build one with [`GuardConfig::new`] and the chainable setters; every field is public
/// so a caller holding settings from elsewhere may also fill it directly.
///
/// ```
/// use dbqa_core::Dialect;
/// use dbqa_guard::GuardConfig;
///
/// let config = GuardConfig::new(Dialect::Postgres)
///     .blocked_tables(["salaries"])
///     .max_rows(Some(1_000));
/// assert!(config.read_only);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// How the SQL is parsed, how names compare and how the row limit is written.
    pub dialect: Dialect,
    /// Only one plain query may run (default `true`). When `false`, writes and DDL are
    /// accepted, but table lists, system catalogs and the function denylist still apply.
    pub read_only: bool,
    /// When not empty, only these tables may be read. `schema.table` allows that table
    /// only; an unqualified entry allows the table in the default schema (or MySQL
    /// database) only; names compare the server's way ([`name_rules`](Self::name_rules)).
    pub allowed_tables: Vec<String>,
    /// These tables may never be read. Names compare without case; an unqualified entry
    /// blocks the name in every schema.
    pub blocked_tables: Vec<String>,
    /// Functions accepted beyond the dialect's analyst functions (`ALLOWED_FUNCTIONS`;
    /// a qualified entry such as `dbo.fiscal_year` allows that qualified call).
    pub allowed_functions: Vec<String>,
    /// How the server resolves and compares table names (default schema, case).
    pub name_rules: NameRules,
    /// Whether system catalogs (`information_schema`, `pg_catalog`, `sqlite_master`,
    /// `mysql.*`, `sys.*`, …) may be read (default `false`).
    pub allow_system_catalogs: bool,
    /// The most rows an accepted query may return; the SQL is rewritten to enforce it.
    pub max_rows: Option<u64>,
    /// Longer statements are rejected without being parsed (default 10,000 characters).
    pub max_length: usize,
}

impl GuardConfig {
    /// Read-only defaults for `dialect`: no table lists, no system catalogs, no row
    /// limit, statements up to 10,000 characters.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            read_only: true,
            allowed_tables: Vec::new(),
            blocked_tables: Vec::new(),
            allowed_functions: Vec::new(),
            name_rules: NameRules::for_dialect(dialect),
            allow_system_catalogs: false,
            max_rows: None,
            max_length: DEFAULT_MAX_LENGTH,
        }
    }

    /// What dbqa's safety settings ask of the guard for `dialect`: `READ_ONLY`,
    /// `ALLOWED_TABLES`, `BLOCKED_TABLES`, `ALLOWED_FUNCTIONS`, `MAX_RESULT_ROWS` (plus
    /// one: the row that tells a cut result) and `MAX_SQL_LENGTH`. Set the server's
    /// [`name_rules`](Self::name_rules) as well.
    ///
    /// ```
    /// use dbqa_core::{AgentConfig, Dialect};
    /// use dbqa_guard::{Guard, GuardConfig};
    ///
    /// let mut safety = AgentConfig::defaults().safety;
    /// safety.blocked_tables = vec!["salaries".into()];
    /// let guard = Guard::new(GuardConfig::from_safety(Dialect::Postgres, &safety));
    /// assert!(guard.check("SELECT * FROM salaries").is_err());
    /// assert_eq!(guard.check("SELECT name FROM staff")?.sql, "SELECT name FROM staff LIMIT 10001");
    /// # Ok::<(), dbqa_guard::Rejection>(())
    /// ```
    pub fn from_safety(dialect: Dialect, safety: &SafetyConfig) -> Self {
        Self::new(dialect)
            .read_only(safety.read_only)
            .allowed_tables(safety.allowed_tables.iter().cloned())
            .blocked_tables(safety.blocked_tables.iter().cloned())
            .allowed_functions(safety.allowed_functions.iter().cloned())
            // One row more than is fetched, so that a result cut at the limit can be
            // told from one that fits it exactly (the connector reads `max_rows + 1`).
            .max_rows(Some(safety.max_result_rows as u64 + 1))
            .max_length(safety.max_sql_length)
    }

    /// What dbqa's safety settings ask of the guard for `database`: its dialect and the
    /// name rules it read from the server ([`Database::name_rules`]) with
    /// [`from_safety`](Self::from_safety). Asks the database nothing over the network.
    pub fn for_database(database: &dyn Database, safety: &SafetyConfig) -> Self {
        Self::from_safety(database.dialect(), safety).name_rules(database.name_rules())
    }

    /// Sets whether only plain queries are accepted.
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Sets the tables that may be read (empty: any table that is not blocked).
    #[must_use]
    pub fn allowed_tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_tables = tables.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the tables that may never be read.
    #[must_use]
    pub fn blocked_tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.blocked_tables = tables.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the functions accepted beyond the dialect's analyst functions.
    #[must_use]
    pub fn allowed_functions<I, S>(mut self, functions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_functions = functions.into_iter().map(Into::into).collect();
        self
    }

    /// Sets how the server resolves and compares table names.
    #[must_use]
    pub fn name_rules(mut self, rules: NameRules) -> Self {
        self.name_rules = rules;
        self
    }

    /// Sets whether system catalogs may be read.
    #[must_use]
    pub fn allow_system_catalogs(mut self, allow: bool) -> Self {
        self.allow_system_catalogs = allow;
        self
    }

    /// Sets the most rows an accepted query may return (`None`: no limit).
    #[must_use]
    pub fn max_rows(mut self, max_rows: Option<u64>) -> Self {
        self.max_rows = max_rows;
        self
    }

    /// Sets the longest statement accepted, in characters.
    #[must_use]
    pub fn max_length(mut self, max_length: usize) -> Self {
        self.max_length = max_length;
        self
    }
}
