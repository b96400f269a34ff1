//! [`Guard`]: parse, walk, apply the policy, rewrite the row limit, render.

use dbqa_core::{Dialect, Schema, Table};
use sqlparser::ast::{Expr, Statement, Value};
use sqlparser::dialect::{MsSqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::config::GuardConfig;
use crate::functions::FunctionPolicy;
use crate::names::{BlockedName, Resolved, Resolver, TableRef, parse_configured, stored};
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
    functions: FunctionPolicy,
    resolver: Resolver,
    /// Allowed names, resolved the server's way.
    allowed: Vec<Resolved>,
    blocked: Vec<BlockedName>,
}

/// The parsed statements, or why there are none.
pub(crate) fn parse(sql: &str, dialect: Dialect) -> Result<Vec<Statement>, Rejection> {
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
        let resolver = Resolver::new(config.dialect, config.name_rules.clone());
        let allowed = config
            .allowed_tables
            .iter()
            .map(|t| resolver.resolve(&parse_configured(t)))
            .filter(|r| !r.name.is_empty())
            .collect();
        let blocked = config
            .blocked_tables
            .iter()
            .filter_map(|t| BlockedName::new(t))
            .collect();
        Self {
            functions: FunctionPolicy::new(config.dialect, &config.allowed_functions),
            resolver,
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
        let mut walk = Walk::new(config.dialect, config.read_only, Some(&self.functions));
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

    fn check_tables(&self, walk: &Walk<'_>, violations: &mut Vec<Violation>) {
        let catalogs = catalogs(self.config.dialect);
        for table in &walk.tables {
            let is_catalog = catalogs.contains(&table.qualifiers, &table.lower);
            if is_catalog && !self.config.allow_system_catalogs {
                violations.push(Violation::SystemCatalog {
                    table: table.display.clone(),
                });
            }
            if let Some(violation) = self.table_violation(table, is_catalog) {
                violations.push(violation);
            }
        }
    }

    /// Why the lists refuse `table`, if they do.
    fn table_violation(&self, table: &TableRef, is_catalog: bool) -> Option<Violation> {
        let display = || table.display.clone();
        let default_schema = self.config.name_rules.default_schema.as_deref();
        if self
            .blocked
            .iter()
            .any(|b| b.matches(&table.parts, default_schema))
        {
            return Some(Violation::TableBlocked { table: display() });
        }
        if is_catalog {
            return None;
        }
        let resolved = self.resolver.resolve(&table.parts);
        let listed = self.allowed.contains(&resolved);
        if !self.allowed.is_empty() && !listed {
            return Some(Violation::TableNotAllowed { table: display() });
        }
        if !listed && self.resolver.is_other_database(&resolved) {
            return Some(Violation::OtherDatabase { table: display() });
        }
        None
    }

    /// Whether a table as the database stores it (its schema and exact name, as in
    /// [`Schema`]) may be read: what may be shown, sampled, indexed or described.
    ///
    /// ```
    /// use dbqa_core::Dialect;
    /// use dbqa_guard::{Guard, GuardConfig};
    /// let guard = Guard::new(GuardConfig::new(Dialect::Postgres).allowed_tables(["public.orders"]));
    /// assert!(guard.allows_stored_table(Some("public"), "orders"));
    /// assert!(!guard.allows_stored_table(Some("hr"), "orders"));
    /// ```
    pub fn allows_stored_table(&self, schema: Option<&str>, name: &str) -> bool {
        let parts = stored(schema, name);
        let display = match schema {
            Some(s) => format!("{s}.{name}"),
            None => name.to_string(),
        };
        let table = TableRef {
            display,
            qualifiers: schema.iter().map(|s| s.to_lowercase()).collect(),
            lower: name.to_lowercase(),
            parts,
        };
        let is_catalog = catalogs(self.config.dialect).contains(&table.qualifiers, &table.lower);
        !is_catalog && self.table_violation(&table, false).is_none()
    }

    /// What of `schema` this guard lets be seen, and the guard to check SQL with from then
    /// on. Tables the lists refuse are left out, with the foreign keys pointing at them;
    /// so is every view whose definition reads a blocked table or view (or cannot be
    /// read, when a block list is set), and the returned guard blocks those views too.
    pub fn visible(&self, schema: &Schema) -> (Schema, Guard) {
        let mut hidden: Vec<&Table> = schema
            .tables
            .iter()
            .filter(|t| !self.allows_stored_table(t.schema.as_deref(), &t.name))
            .collect();
        let mut blocked = self.config.blocked_tables.clone();
        // Views over views: repeat until no more views are hidden.
        loop {
            let before = hidden.len();
            let guard = Guard::new(self.config.clone().blocked_tables(blocked.clone()));
            for view in schema.tables.iter().filter(|t| t.definition.is_some()) {
                if hidden.iter().any(|h| std::ptr::eq(*h, view)) {
                    continue;
                }
                if !guard.view_is_visible(view) {
                    blocked.push(view.qualified_name());
                    hidden.push(view);
                }
            }
            if hidden.len() == before {
                break;
            }
        }
        let is_hidden = |schema_name: Option<&str>, name: &str| {
            hidden.iter().any(|h| {
                h.name.eq_ignore_ascii_case(name)
                    && (schema_name.is_none()
                        || h.schema.as_deref().map(str::to_lowercase)
                            == schema_name.map(str::to_lowercase))
            })
        };
        let tables = schema
            .tables
            .iter()
            .filter(|t| !hidden.iter().any(|h| std::ptr::eq(*h, *t)))
            .map(|t| {
                let mut t = t.clone();
                t.foreign_keys
                    .retain(|fk| !is_hidden(fk.referenced_schema.as_deref(), &fk.referenced_table));
                t
            })
            .collect();
        let visible = Schema {
            dialect: schema.dialect,
            tables,
        };
        let guard = Guard::new(self.config.clone().blocked_tables(blocked));
        (visible, guard)
    }

    /// A view may be seen unless its definition reads a blocked table (or view). An
    /// unreadable definition hides it only when a block list is set; an allow list
    /// decides about the view itself, not about what it reads.
    fn view_is_visible(&self, view: &Table) -> bool {
        let Some(definition) = &view.definition else {
            return true;
        };
        let Ok(statements) = parse(definition, self.config.dialect) else {
            return self.blocked.is_empty();
        };
        let mut walk = Walk::new(self.config.dialect, false, None);
        for statement in &statements {
            // SQLite and SQL Server report the whole `CREATE VIEW … AS SELECT …`: only
            // its query reads tables (the view's own name is not one of them).
            match statement {
                Statement::CreateView(view) => walk.query(&view.query),
                other => walk.statement(other),
            }
        }
        let default_schema = self.config.name_rules.default_schema.as_deref();
        !walk.tables.iter().any(|read| {
            self.blocked
                .iter()
                .any(|b| b.matches(&read.parts, default_schema))
        })
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
    let mut walk = Walk::new(dialect, false, None);
    for statement in &statements {
        walk.statement(statement);
    }
    Ok(walk.tables.into_iter().map(|t| t.display).collect())
}
