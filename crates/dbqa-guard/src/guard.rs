//! [`Guard`]: parse, walk, apply the policy, rewrite the row limit, render.

use dbqa_core::Dialect;
use sqlparser::ast::{Expr, Statement, Value};
use sqlparser::dialect::{MsSqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::config::GuardConfig;
use crate::names::configured_name;
use crate::rules::catalogs;
use crate::verdict::{Accepted, Rejection, StatementKind, Violation, Warning};
use crate::walk::{Walk, construct};

/// Validates SQL against a [`GuardConfig`]. Cheap to share: checking takes `&self`.
///
/// ```
/// use dbqa_core::Dialect;
/// use dbqa_guard::{Guard, GuardConfig};
///
/// let guard = Guard::new(GuardConfig::new(Dialect::Sqlite).max_rows(Some(100)));
/// let accepted = guard.check("select name from users -- hi")?;
/// assert_eq!(accepted.sql, "SELECT name FROM users LIMIT 100");
/// assert_eq!(accepted.tables, ["users"]);
///
/// let rejected = guard.check("COMMIT; DROP TABLE users").unwrap_err();
/// assert_eq!(rejected.violations[0].kind(), "multiple_statements");
/// # Ok::<(), dbqa_guard::Rejection>(())
/// ```
#[derive(Debug, Clone)]
pub struct Guard {
    config: GuardConfig,
    /// Allowed names, normalised the dialect's way.
    allowed: Vec<String>,
    /// Blocked names, lower case.
    blocked: Vec<String>,
}

/// The parsed statements, or why there are none.
fn parse(sql: &str, dialect: Dialect) -> Result<Vec<Statement>, Rejection> {
    if sql.trim().is_empty() {
        return Err(Rejection::single(Violation::Empty));
    }
    let parsed = match dialect {
        Dialect::Sqlite => Parser::parse_sql(&SQLiteDialect {}, sql),
        Dialect::Postgres => Parser::parse_sql(&PostgreSqlDialect {}, sql),
        Dialect::MySql => Parser::parse_sql(&MySqlDialect {}, sql),
        Dialect::MsSql => Parser::parse_sql(&MsSqlDialect {}, sql),
    };
    match parsed {
        Ok(statements) if statements.is_empty() => Err(Rejection::single(Violation::Empty)),
        Ok(statements) => Ok(statements),
        Err(error) => Err(Rejection::single(Violation::Parse {
            message: error.to_string(),
        })),
    }
}

/// Whether a rendering holds anything whose quoting or escaping could make it read back
/// differently: quote or bracket characters inside quoted text (rendered doubled),
/// backslashes, dollar quotes, comment markers, or any non-ASCII or control character.
/// Also a dot that is neither a qualifier (`t1.col`, `t."Col"`, `t.*`) nor a decimal point
/// (`1.5`): MySQL reads `T.2.Episode` as a name and a number, which renders to text that
/// parses differently. Without these every token is a plain word, number,
/// operator or simply quoted text.
fn needs_round_trip(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    bytes.iter().any(|&b| {
        matches!(b, b'[' | b']' | b'`' | b'\\' | b'$' | b'#' | b'{' | b'}')
            || !(b == b' ' || b.is_ascii_graphic())
    }) || ["''", "\"\"", "--", "/*", "*/"]
        .iter()
        .any(|m| sql.contains(m))
        || bytes
            .windows(3)
            .any(|w| w[1] == b'.' && !plain_dot(w[0], w[2]))
}

/// A dot between a name and a name (`t1.col`, `t."Col"`, `t.*`) or two digits (`1.5`).
fn plain_dot(before: u8, after: u8) -> bool {
    let name_end = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'"';
    let name_start = |b: u8| b.is_ascii_alphabetic() || b == b'_' || b == b'"' || b == b'*';
    (name_end(before) && name_start(after)) || (before.is_ascii_digit() && after.is_ascii_digit())
}

/// The statement as SQL text. Sized from the input up front: a rendering is about as
/// long as what was parsed, and growing the string step by step showed in profiles.
fn render(statement: &Statement, input_len: usize) -> String {
    use std::fmt::Write as _;
    let mut sql = String::with_capacity(input_len + input_len / 4 + 16);
    // Writing to a String cannot fail.
    let _ = write!(sql, "{statement}");
    sql
}

/// The kind of a top-level statement and, in read-only mode, why it may not run.
fn classify(statement: &Statement, read_only: bool) -> (StatementKind, Option<Violation>) {
    let kind = match statement {
        Statement::Query(_) => return (StatementKind::Query, None),
        Statement::Explain {
            analyze,
            options,
            statement: inner,
            ..
        } => {
            let analyze = *analyze
                || options.iter().flatten().any(|option| {
                    option.name.value.eq_ignore_ascii_case("analyze")
                        && !matches!(
                            &option.arg,
                            Some(Expr::Value(v)) if matches!(v.value, Value::Boolean(false))
                        )
                });
            let violation = if !read_only {
                None
            } else if analyze {
                Some("EXPLAIN ANALYZE".to_string())
            } else if !matches!(inner.as_ref(), Statement::Query(_)) {
                Some(format!("EXPLAIN {}", construct(inner)))
            } else {
                None
            };
            let violation = violation.map(|construct| Violation::NotReadOnly { construct });
            return (StatementKind::Explain, violation);
        }
        Statement::Insert(_) => StatementKind::Insert,
        Statement::Update(_) => StatementKind::Update,
        Statement::Delete(_) => StatementKind::Delete,
        _ => StatementKind::Other,
    };
    let violation = read_only.then(|| Violation::NotReadOnly {
        construct: construct(statement),
    });
    (kind, violation)
}

impl Guard {
    /// A guard enforcing `config`.
    pub fn new(config: GuardConfig) -> Self {
        let allowed = config
            .allowed_tables
            .iter()
            .map(|t| configured_name(t, config.dialect).0)
            .collect();
        let blocked = config
            .blocked_tables
            .iter()
            .map(|t| configured_name(t, config.dialect).1)
            .collect();
        Self {
            config,
            allowed,
            blocked,
        }
    }

    /// What this guard enforces.
    pub fn config(&self) -> &GuardConfig {
        &self.config
    }

    /// Checks one statement: the SQL to run, or every reason it may not.
    pub fn check(&self, sql: &str) -> Result<Accepted, Rejection> {
        let config = &self.config;
        if sql.len() > config.max_length {
            let length = sql.chars().count();
            if length > config.max_length {
                return Err(Rejection::single(Violation::TooLong {
                    length,
                    max: config.max_length,
                }));
            }
        }
        let mut statements = parse(sql, config.dialect)?;
        let mut violations = Vec::new();
        if statements.len() > 1 {
            violations.push(Violation::MultipleStatements {
                count: statements.len(),
            });
        }
        let mut walk = Walk::new(config.dialect, config.read_only);
        let mut kind = StatementKind::Query;
        for statement in &statements {
            let (statement_kind, violation) = classify(statement, config.read_only);
            kind = statement_kind;
            walk.violations.extend(violation);
            walk.statement(statement);
        }
        violations.append(&mut walk.violations);
        self.check_tables(&walk, &mut violations);

        let mut warnings = std::mem::take(&mut walk.warnings);
        if violations.is_empty()
            && let (Some(max), [Statement::Query(query)]) =
                (config.max_rows, statements.as_mut_slice())
        {
            match crate::limit::apply(query, max, config.dialect) {
                Ok(true) => warnings.push(Warning::RowLimitApplied { max_rows: max }),
                Ok(false) => {}
                Err(violation) => violations.push(violation),
            }
        }
        if !violations.is_empty() {
            let mut unique: Vec<Violation> = Vec::with_capacity(violations.len());
            for violation in violations {
                if !unique.contains(&violation) {
                    unique.push(violation);
                }
            }
            return Err(Rejection { violations: unique });
        }
        let sql = match statements.as_slice() {
            [statement] => render(statement, sql.len()),
            _ => return Err(Rejection::single(Violation::Empty)),
        };
        // What runs is the rendering, so it must read back as the statement checked:
        // a rendering quirk (an unescaped quote, a keyword used as a name) could
        // otherwise turn text the parser saw as a name into SQL the database runs.
        // Only quoted text can hide such a quirk, so plain renderings skip the re-parse.
        if needs_round_trip(&sql) {
            let round_trip = parse(&sql, config.dialect);
            if !matches!(round_trip.as_deref(), Ok([again]) if again.to_string() == sql) {
                return Err(Rejection::single(Violation::Ambiguous { text: sql }));
            }
        }
        Ok(Accepted {
            sql,
            kind,
            tables: walk.tables.into_iter().map(|t| t.display).collect(),
            warnings,
        })
    }

    fn check_tables(&self, walk: &Walk, violations: &mut Vec<Violation>) {
        let catalogs = catalogs(self.config.dialect);
        for table in &walk.tables {
            let is_catalog = catalogs.contains(&table.qualifiers, &table.lower);
            if is_catalog && !self.config.allow_system_catalogs {
                violations.push(Violation::SystemCatalog {
                    table: table.display.clone(),
                });
            }
            if self.blocked.contains(&table.lower) {
                violations.push(Violation::TableBlocked {
                    table: table.display.clone(),
                });
            } else if !self.allowed.is_empty() && !is_catalog && !self.allowed.contains(&table.name)
            {
                violations.push(Violation::TableNotAllowed {
                    table: table.display.clone(),
                });
            }
        }
    }
}

/// Every table a statement reads, as [`Accepted::tables`] reports them, without applying
/// any policy: for evaluating table linking, or for tools that only need the names.
///
/// Several statements are allowed; the tables of all of them are returned.
///
/// ```
/// use dbqa_core::Dialect;
/// let tables = dbqa_guard::referenced_tables(
///     "WITH recent AS (SELECT * FROM orders) SELECT * FROM recent JOIN Customers c ON true",
///     Dialect::Sqlite,
/// )?;
/// assert_eq!(tables, ["orders", "customers"]);
/// # Ok::<(), dbqa_guard::Rejection>(())
/// ```
pub fn referenced_tables(sql: &str, dialect: Dialect) -> Result<Vec<String>, Rejection> {
    let statements = parse(sql, dialect)?;
    let mut walk = Walk::new(dialect, false);
    for statement in &statements {
        walk.statement(statement);
    }
    Ok(walk.tables.into_iter().map(|t| t.display).collect())
}
