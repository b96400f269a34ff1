//! What the guard answers: [`Accepted`] or a [`Rejection`] listing every [`Violation`],
//! and [`Verdict`], the JSON shape of either.

use std::fmt;

use serde::Serialize;

/// What kind of statement was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatementKind {
    /// A plain query (`SELECT`, `WITH … SELECT`, set operations, `VALUES`).
    Query,
    /// `EXPLAIN` of a query, without `ANALYZE` (the query is not run).
    Explain,
    /// `INSERT` (only when the guard is not read-only).
    Insert,
    /// `UPDATE` (only when the guard is not read-only).
    Update,
    /// `DELETE` (only when the guard is not read-only).
    Delete,
    /// Any other statement (only when the guard is not read-only).
    Other,
}

impl StatementKind {
    /// The snake-case name (`query`, `explain`, `insert`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Query => "query",
            StatementKind::Explain => "explain",
            StatementKind::Insert => "insert",
            StatementKind::Update => "update",
            StatementKind::Delete => "delete",
            StatementKind::Other => "other",
        }
    }
}

/// A statement the guard accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The SQL to run: rendered from the validated syntax tree (never the original
    /// text, so comments and quirks are gone), with the row limit applied.
    pub sql: String,
    /// What kind of statement it is.
    pub kind: StatementKind,
    /// Every table the statement reads, normalised for the dialect (qualifiers kept,
    /// unquoted names lower-cased), in order of first appearance, without the
    /// statement's own CTE names.
    pub tables: Vec<String>,
    /// Things worth a second look that are not reasons to refuse.
    pub warnings: Vec<Warning>,
}

/// A statement the guard refused, with every reason found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Every violation, in the order found; never empty.
    pub violations: Vec<Violation>,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sql rejected: ")?;
        for (i, violation) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejection {}

impl Rejection {
    /// A rejection for a single violation.
    pub fn single(violation: Violation) -> Self {
        Self {
            violations: vec![violation],
        }
    }

    /// Whether any violation has this [`Violation::kind`].
    pub fn has(&self, kind: &str) -> bool {
        self.violations.iter().any(|v| v.kind() == kind)
    }
}

/// One reason to refuse a statement. Messages are written for the author of the SQL
/// (often an LLM) to act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// Nothing to run: the input is empty or only comments.
    #[error("empty statement: write one SQL query")]
    Empty,
    /// Longer than [`GuardConfig::max_length`](crate::GuardConfig::max_length); not parsed.
    #[error(
        "statement is {length} characters long, over the limit of {max}: write a shorter query"
    )]
    TooLong {
        /// The statement's length in characters.
        length: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The dialect's parser refused the text.
    #[error("sql does not parse: {message}")]
    Parse {
        /// The parser's message.
        message: String,
    },
    /// More than one statement; only one may run.
    #[error("{count} statements found: send exactly one statement")]
    MultipleStatements {
        /// How many statements the text holds.
        count: usize,
    },
    /// A construct that writes, locks, or changes session state in read-only mode.
    #[error("not read-only: {construct} is not allowed, only a plain query")]
    NotReadOnly {
        /// The construct, e.g. `DROP TABLE`, `SELECT ... INTO`, `FOR UPDATE`.
        construct: String,
    },
    /// A function outside the allowlist: only the dialect's analyst functions (and
    /// those added with `ALLOWED_FUNCTIONS`) may be called.
    #[error(
        "function `{name}` is not allowed: use the usual string, math, date, aggregate and window functions"
    )]
    ForbiddenFunction {
        /// The function's name as written (with its qualifier, if any).
        name: String,
    },
    /// A table in another database (MySQL `db.t`, SQL Server `db.schema.t`) that the
    /// allow list does not name.
    #[error("table `{table}` is in another database: only the connected database may be read")]
    OtherDatabase {
        /// The table, normalised.
        table: String,
    },
    /// A table outside the configured allow list.
    #[error("table `{table}` is not in the allowed tables")]
    TableNotAllowed {
        /// The table, normalised.
        table: String,
    },
    /// A table on the configured block list.
    #[error("table `{table}` is blocked")]
    TableBlocked {
        /// The table, normalised.
        table: String,
    },
    /// A system catalog, refused unless allowed.
    #[error("system catalog `{table}` may not be read: query the application's tables")]
    SystemCatalog {
        /// The catalog table or function, normalised.
        table: String,
    },
    /// Text the database could read differently from the guard: a reserved word used
    /// as a name, or a rendering that does not read back as the same statement
    /// (unusual quoting). Such a statement is never run.
    #[error(
        "sql is ambiguous: `{text}` could be read differently by the database: quote names plainly and avoid keywords as names"
    )]
    Ambiguous {
        /// The word or rendering in question.
        text: String,
    },
    /// A row limit the guard cannot bound to `max_rows` (not a constant, a percentage,
    /// or `WITH TIES`).
    #[error("row limit `{clause}` cannot be bounded to {max_rows} rows: use a constant row count")]
    UnboundedLimit {
        /// The offending clause as written.
        clause: String,
        /// The configured maximum.
        max_rows: u64,
    },
}

impl Violation {
    /// A stable snake-case name for the kind of violation (`not_read_only`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Violation::Empty => "empty",
            Violation::TooLong { .. } => "too_long",
            Violation::Parse { .. } => "parse",
            Violation::MultipleStatements { .. } => "multiple_statements",
            Violation::NotReadOnly { .. } => "not_read_only",
            Violation::ForbiddenFunction { .. } => "forbidden_function",
            Violation::OtherDatabase { .. } => "other_database",
            Violation::TableNotAllowed { .. } => "table_not_allowed",
            Violation::TableBlocked { .. } => "table_blocked",
            Violation::SystemCatalog { .. } => "system_catalog",
            Violation::UnboundedLimit { .. } => "unbounded_limit",
            Violation::Ambiguous { .. } => "ambiguous",
        }
    }
}

/// Something worth a second look that does not stop the statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Warning {
    /// `SELECT *` (or `t.*`): the columns depend on the schema, and may be many.
    #[error("select * returns every column: name the columns you need")]
    SelectStar,
    /// A join with no `ON`/`USING`, or several tables in `FROM` with no `WHERE`.
    #[error("join with `{table}` has no condition: every row pairs with every row")]
    JoinWithoutCondition {
        /// The table (or alias) joined without a condition.
        table: String,
    },
    /// The guard added or lowered the row limit.
    #[error("row limit of {max_rows} applied")]
    RowLimitApplied {
        /// The limit now in the SQL.
        max_rows: u64,
    },
}

impl Warning {
    /// A stable snake-case name for the kind of warning (`select_star`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Warning::SelectStar => "select_star",
            Warning::JoinWithoutCondition { .. } => "join_without_condition",
            Warning::RowLimitApplied { .. } => "row_limit_applied",
        }
    }
}

/// A kind and a message: how violations and warnings appear in a [`Verdict`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The snake-case kind.
    pub kind: &'static str,
    /// The human message.
    pub message: String,
}

/// Whether a statement was accepted or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The statement may run.
    Accepted,
    /// The statement must not run.
    Rejected,
}

/// The serialisable form of a check, as `dbqa check --json` prints it:
/// `{"verdict":"accepted"|"rejected","sql":…,"tables":[…],"warnings":[…],"violations":[{"kind":…,"message":…}]}`.
///
/// ```
/// use dbqa_core::Dialect;
/// use dbqa_guard::{Guard, GuardConfig, Verdict};
///
/// let guard = Guard::new(GuardConfig::new(Dialect::Sqlite));
/// let verdict = Verdict::from(&guard.check("DELETE FROM t"));
/// assert_eq!(verdict.violations[0].kind, "not_read_only");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `accepted` or `rejected`.
    pub verdict: Outcome,
    /// The SQL to run (`null` when rejected).
    pub sql: Option<String>,
    /// The tables read (empty when rejected).
    pub tables: Vec<String>,
    /// Warnings (empty when rejected).
    pub warnings: Vec<Finding>,
    /// Violations (empty when accepted).
    pub violations: Vec<Finding>,
}

impl From<&Result<Accepted, Rejection>> for Verdict {
    fn from(result: &Result<Accepted, Rejection>) -> Self {
        match result {
            Ok(accepted) => Verdict {
                verdict: Outcome::Accepted,
                sql: Some(accepted.sql.clone()),
                tables: accepted.tables.clone(),
                warnings: accepted
                    .warnings
                    .iter()
                    .map(|w| Finding {
                        kind: w.kind(),
                        message: w.to_string(),
                    })
                    .collect(),
                violations: Vec::new(),
            },
            Err(rejection) => Verdict {
                verdict: Outcome::Rejected,
                sql: None,
                tables: Vec::new(),
                warnings: Vec::new(),
                violations: rejection
                    .violations
                    .iter()
                    .map(|v| Finding {
                        kind: v.kind(),
                        message: v.to_string(),
                    })
                    .collect(),
            },
        }
    }
}
