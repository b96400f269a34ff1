//! One pass over a parsed statement: every table it reads (with CTE scoping), every
//! construct that is not read-only, every function outside the allowlist, and the
//! warnings.

use std::ops::ControlFlow;

use dbqa_core::Dialect;
use sqlparser::ast::{
    Expr, Ident, JoinConstraint, JoinOperator, LimitClause, ObjectName, ObjectNamePart, Query,
    Select, SelectItem, SetExpr, Statement, TableFactor, Visit, Visitor,
};

use crate::functions::FunctionPolicy;
use crate::names::{TableRef, normalise_ident};
use crate::verdict::{Violation, Warning};

/// The CTE names one query defines, and how many of them are in scope right now.
struct Scope {
    /// (normalised name, address of the CTE body).
    ctes: Vec<(String, *const Query)>,
    /// The first `visible` CTEs are in scope.
    visible: usize,
    /// Whether every CTE sees every other (`WITH RECURSIVE`).
    recursive: bool,
}

/// What one walk found.
pub(crate) struct Walk<'a> {
    dialect: Dialect,
    /// The functions that may be called; `None` when only the tables are wanted.
    functions: Option<&'a FunctionPolicy>,
    read_only: bool,
    scopes: Vec<Scope>,
    statement_depth: usize,
    /// The next relation visited is a table-valued function's name, not a table.
    next_relation_is_function: bool,
    /// The next statement is the body of an `EXPLAIN` (reported by the caller).
    explaining: bool,
    pub(crate) tables: Vec<TableRef>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) warnings: Vec<Warning>,
}

/// Whether a CTE may refer to itself without `RECURSIVE` (SQLite and SQL Server treat a
/// self-reference as recursion; PostgreSQL and MySQL read the real table).
fn self_reference_is_recursion(dialect: Dialect) -> bool {
    matches!(dialect, Dialect::Sqlite | Dialect::MsSql)
}

impl<'a> Walk<'a> {
    pub(crate) fn new(
        dialect: Dialect,
        read_only: bool,
        functions: Option<&'a FunctionPolicy>,
    ) -> Self {
        Self {
            dialect,
            functions,
            read_only,
            scopes: Vec::new(),
            statement_depth: 0,
            next_relation_is_function: false,
            explaining: false,
            tables: Vec::new(),
            violations: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Walks one statement.
    pub(crate) fn statement(&mut self, statement: &Statement) {
        let _ = statement.visit(self);
    }

    /// Walks one query (a view's body).
    pub(crate) fn query(&mut self, query: &Query) {
        let _ = query.visit(self);
    }

    pub(crate) fn violation(&mut self, violation: Violation) {
        if !self.violations.contains(&violation) {
            self.violations.push(violation);
        }
    }

    fn warning(&mut self, warning: Warning) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    fn is_cte(&self, name: &ObjectName) -> bool {
        let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() else {
            return false;
        };
        let wanted = normalise_ident(ident, self.dialect);
        self.scopes.iter().rev().any(|scope| {
            scope.ctes[..scope.visible.min(scope.ctes.len())]
                .iter()
                .any(|(cte, _)| *cte == wanted)
        })
    }

    fn table(&mut self, table: TableRef) {
        if !self.tables.iter().any(|t| t.display == table.display) {
            self.tables.push(table);
        }
    }

    /// Refuses a function outside the allowlist.
    fn function(&mut self, name: &ObjectName) {
        let Some(policy) = self.functions else {
            return;
        };
        if !policy.allows(name) {
            self.violation(Violation::ForbiddenFunction {
                name: name.to_string(),
            });
        }
    }

    /// `TABLE t` bodies and data-modifying set-expression bodies.
    fn set_expr(&mut self, body: &SetExpr) {
        match body {
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left);
                self.set_expr(right);
            }
            SetExpr::Table(table) => {
                if let Some(name) = &table.table_name {
                    let mut parts: Vec<Ident> = table.schema_name.iter().cloned().collect();
                    parts.push(name.clone());
                    let name = ObjectName::from(parts);
                    // The body sees every CTE of its own query (the top scope).
                    if let Some(top) = self.scopes.last_mut() {
                        let saved = std::mem::replace(&mut top.visible, top.ctes.len());
                        let _ = self.pre_visit_relation(&name);
                        if let Some(top) = self.scopes.last_mut() {
                            top.visible = saved;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The construct a statement is, for messages: `DROP TABLE`, `INSERT`, `COMMIT`, ….
pub(crate) fn construct(statement: &Statement) -> String {
    /// Second words worth naming (`DROP TABLE`, `LOCK TABLES`, `SHOW DATABASES`).
    const OBJECTS: &[&str] = &[
        "TABLE",
        "TABLES",
        "VIEW",
        "INDEX",
        "DATABASE",
        "DATABASES",
        "SCHEMA",
        "FUNCTION",
        "PROCEDURE",
        "TRIGGER",
        "SEQUENCE",
        "ROLE",
        "USER",
        "EXTENSION",
        "TYPE",
        "MATERIALIZED",
        "TEMPORARY",
        "TEMP",
        "TRANSACTION",
        "COLUMNS",
        "VARIABLES",
    ];
    let rendered = statement.to_string();
    let mut words = rendered.split_whitespace();
    let first = words.next().unwrap_or("statement").to_ascii_uppercase();
    match words.next().map(str::to_ascii_uppercase) {
        Some(second) if OBJECTS.contains(&second.as_str()) => format!("{first} {second}"),
        _ => first,
    }
}

impl Visitor for Walk<'_> {
    type Break = ();

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        let explained = std::mem::take(&mut self.explaining);
        if matches!(statement, Statement::Explain { .. }) {
            self.explaining = true;
        }
        if self.statement_depth > 0
            && self.read_only
            && !explained
            && !matches!(statement, Statement::Query(_))
        {
            self.violation(Violation::NotReadOnly {
                construct: format!("{} inside a query", construct(statement)),
            });
        }
        self.statement_depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_statement(&mut self, _statement: &Statement) -> ControlFlow<()> {
        self.statement_depth = self.statement_depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        let address: *const Query = query;
        // Entering the body of CTE `i` of the enclosing WITH: earlier CTEs are in scope,
        // and this one too if the WITH is recursive.
        if let Some(scope) = self.scopes.last_mut()
            && let Some(i) = scope.ctes.iter().position(|(_, body)| *body == address)
        {
            scope.visible = if scope.recursive {
                scope.ctes.len()
            } else if self_reference_is_recursion(self.dialect) {
                i + 1
            } else {
                i
            };
        }
        let scope = match &query.with {
            Some(with) => Scope {
                ctes: with
                    .cte_tables
                    .iter()
                    .map(|cte| {
                        let body: *const Query = &*cte.query;
                        (normalise_ident(&cte.alias.name, self.dialect), body)
                    })
                    .collect(),
                visible: 0,
                recursive: with.recursive,
            },
            None => Scope {
                ctes: Vec::new(),
                visible: 0,
                recursive: false,
            },
        };
        self.scopes.push(scope);
        if self.read_only {
            for lock in &query.locks {
                self.violation(Violation::NotReadOnly {
                    construct: format!("FOR {}", lock.lock_type),
                });
            }
        }
        if !self.dialect.supports_limit()
            && matches!(
                &query.limit_clause,
                Some(LimitClause::OffsetCommaLimit { .. })
                    | Some(LimitClause::LimitOffset { limit: Some(_), .. })
            )
        {
            self.violation(Violation::Parse {
                message: format!(
                    "LIMIT is not {} syntax: use TOP or OFFSET ... FETCH",
                    self.dialect.display_name()
                ),
            });
        }
        self.set_expr(&query.body);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.scopes.pop();
        let address: *const Query = query;
        if let Some(scope) = self.scopes.last_mut()
            && scope.ctes.iter().any(|(_, body)| *body == address)
        {
            scope.visible = scope.ctes.len();
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        if select.top.is_some() && !self.dialect.supports_top() {
            self.violation(Violation::Parse {
                message: format!(
                    "TOP is SQL Server syntax: use LIMIT in {}",
                    self.dialect.display_name()
                ),
            });
        }
        if self.read_only && select.into.is_some() {
            self.violation(Violation::NotReadOnly {
                construct: "SELECT ... INTO".to_string(),
            });
        }
        if select.projection.iter().any(|item| {
            matches!(
                item,
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
            )
        }) {
            self.warning(Warning::SelectStar);
        }
        for from in &select.from {
            for join in &from.joins {
                let unconditioned = match &join.join_operator {
                    JoinOperator::Join(c)
                    | JoinOperator::Inner(c)
                    | JoinOperator::Left(c)
                    | JoinOperator::LeftOuter(c)
                    | JoinOperator::Right(c)
                    | JoinOperator::RightOuter(c)
                    | JoinOperator::FullOuter(c)
                    | JoinOperator::StraightJoin(c) => matches!(c, JoinConstraint::None),
                    _ => false,
                };
                if unconditioned {
                    self.warning(Warning::JoinWithoutCondition {
                        table: relation_label(&join.relation),
                    });
                }
            }
        }
        if select.selection.is_none()
            && let Some(second) = select.from.get(1)
        {
            self.warning(Warning::JoinWithoutCondition {
                table: relation_label(&second.relation),
            });
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => {
                self.function(name);
                self.next_relation_is_function = true;
            }
            TableFactor::Function { name, .. } => self.function(name),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        if std::mem::take(&mut self.next_relation_is_function) || self.is_cte(relation) {
            return ControlFlow::Continue(());
        }
        if let Some(table) = TableRef::new(relation, self.dialect) {
            let dual = table.qualifiers.is_empty()
                && table.lower == "dual"
                && matches!(self.dialect, Dialect::MySql);
            if !dual {
                self.table(table);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_ident(&mut self, ident: &Ident) -> ControlFlow<()> {
        if ident.quote_style.is_none() && is_reserved_word(&ident.value) {
            self.violation(Violation::Ambiguous {
                text: ident.value.clone(),
            });
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let Expr::Function(function) = expr {
            self.function(&function.name);
        }
        ControlFlow::Continue(())
    }
}

/// Words that are reserved in every dialect: the parser sometimes takes one as a name
/// (`SELECT not`), and then the rendering reads differently once a limit is added.
const RESERVED_WORDS: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CREATE",
    "DELETE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "FETCH",
    "FOR",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "JOIN",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "SELECT",
    "SET",
    "TABLE",
    "THEN",
    "TOP",
    "UNION",
    "UPDATE",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
];

pub(crate) fn is_reserved_word(word: &str) -> bool {
    word.len() <= 9 && RESERVED_WORDS.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// A short label for a joined relation: its alias, else its name.
fn relation_label(factor: &TableFactor) -> String {
    match factor {
        TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } => {
            a.name.value.clone()
        }
        TableFactor::Table { name, .. } => name.to_string(),
        TableFactor::Derived { .. } => "subquery".to_string(),
        other => other.to_string(),
    }
}
