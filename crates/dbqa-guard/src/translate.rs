//! A repair for date functions carried over from another dialect: small models write
//! MySQL's `YEAR(order_date) = 2025` for SQLite, whose year is
//! `CAST(strftime('%Y', order_date) AS INTEGER)`. The call is rewritten into the
//! dialect's exact equivalent before the query is checked, so the question costs no
//! correction turn (in which a small model often breaks the rest of the query). What it
//! gives goes through [`Guard::check`](crate::Guard::check) like any other SQL.
//!
//! Only calls of plain arguments with an equivalent of the same value and type are
//! rewritten (a year, month or day as an integer; today's date; `IFNULL` as `COALESCE`;
//! SQLite's `strftime` with a plain format as MySQL's `DATE_FORMAT` or PostgreSQL's
//! `to_char`),
//! and never a function the user allowed by that name (`ALLOWED_FUNCTIONS`), which may be
//! their own.

use std::ops::ControlFlow;

use dbqa_core::Dialect;
use sqlparser::ast::{
    DateTimeField, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, SelectItem,
    SetExpr, Statement, Value, visit_expressions_mut,
};

/// A statement whose foreign functions now have the dialect's spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The statement rendered after the rewrite.
    pub sql: String,
    /// Each call rewritten: as written and as it became
    /// (`YEAR(order_date)`, `CAST(strftime('%Y', order_date) AS INTEGER)`).
    pub changes: Vec<(String, String)>,
}

/// The dialect's spelling of a function it lacks, `{}` standing for the one argument.
fn equivalent(dialect: Dialect, name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let found = match (dialect, lower.as_str()) {
        (Dialect::Sqlite, "year") => "CAST(strftime('%Y', {}) AS INTEGER)",
        (Dialect::Sqlite, "month") => "CAST(strftime('%m', {}) AS INTEGER)",
        (Dialect::Sqlite, "day" | "dayofmonth") => "CAST(strftime('%d', {}) AS INTEGER)",
        (Dialect::Postgres, "year") => "CAST(EXTRACT(YEAR FROM {}) AS INTEGER)",
        (Dialect::Postgres, "month") => "CAST(EXTRACT(MONTH FROM {}) AS INTEGER)",
        (Dialect::Postgres, "day" | "dayofmonth") => "CAST(EXTRACT(DAY FROM {}) AS INTEGER)",
        _ => return None,
    };
    Some(found)
}

/// The dialect's spelling of a call without arguments, or of two, that it lacks.
fn equivalent_of_arity(dialect: Dialect, name: &str, arity: usize) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let found = match (dialect, lower.as_str(), arity) {
        (Dialect::Sqlite | Dialect::Postgres, "curdate", 0) => "CURRENT_DATE",
        (Dialect::Sqlite, "now", 0) => "CURRENT_TIMESTAMP",
        (Dialect::Postgres, "ifnull", 2) => "COALESCE({}, {})",
        (_, _, 1) => return equivalent(dialect, name),
        _ => return None,
    };
    Some(found)
}

/// `sql` with each call of a date function `dialect` lacks rewritten into its exact
/// equivalent there; `None` when nothing changed or `sql` is not one statement.
/// `allowed` holds the functions the user allowed (`ALLOWED_FUNCTIONS`): those stay.
///
/// ```
/// use dbqa_core::Dialect;
/// use dbqa_guard::translate_functions;
///
/// let fixed = translate_functions(
///     "SELECT COUNT(*) FROM orders WHERE YEAR(order_date) = 2025",
///     Dialect::Sqlite,
///     &[],
/// )
/// .expect("translated");
/// assert_eq!(
///     fixed.sql,
///     "SELECT COUNT(*) FROM orders WHERE CAST(strftime('%Y', order_date) AS INTEGER) = 2025"
/// );
/// ```
pub fn translate_functions(sql: &str, dialect: Dialect, allowed: &[String]) -> Option<Translated> {
    let mut statements = crate::guard::parse(sql, dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let mut changes = Vec::new();
    let _ = visit_expressions_mut(statement, |expr| {
        if let Some(replacement) = replacement(expr, dialect, allowed) {
            changes.push((expr.to_string(), replacement.to_string()));
            *expr = replacement;
        }
        ControlFlow::<()>::Continue(())
    });
    (!changes.is_empty()).then(|| Translated {
        sql: statement.to_string(),
        changes,
    })
}

/// What `expr` becomes in `dialect`, when it is a call to rewrite.
fn replacement(expr: &Expr, dialect: Dialect, allowed: &[String]) -> Option<Expr> {
    match expr {
        Expr::Function(function) => {
            let name = unqualified_name(function)?;
            if allowed.iter().any(|a| a.eq_ignore_ascii_case(name)) {
                return None;
            }
            let args = plain_arguments(function)?;
            if name.eq_ignore_ascii_case("strftime") {
                return strftime_equivalent(dialect, &args);
            }
            let template = equivalent_of_arity(dialect, name, args.len())?;
            fill(template, &args, dialect)
        }
        Expr::Extract { field, expr, .. } if dialect == Dialect::Sqlite => {
            let part = match field {
                DateTimeField::Year => "year",
                DateTimeField::Month => "month",
                DateTimeField::Day => "day",
                _ => return None,
            };
            fill(equivalent(dialect, part)?, &[expr.as_ref()], dialect)
        }
        _ => None,
    }
}

/// SQLite's `strftime(format, x)` as MySQL's `DATE_FORMAT` or PostgreSQL's `to_char`,
/// when the format is a literal of years, months, days, hours, minutes and seconds
/// between plain separators (both give the same text then).
fn strftime_equivalent(dialect: Dialect, args: &[&Expr]) -> Option<Expr> {
    let [Expr::Value(format), value] = args else {
        return None;
    };
    let Value::SingleQuotedString(format) = &format.value else {
        return None;
    };
    let (function, fields): (&str, [&str; 6]) = match dialect {
        Dialect::MySql => (
            "DATE_FORMAT({}, '{f}')",
            ["%Y", "%m", "%d", "%H", "%i", "%S"],
        ),
        Dialect::Postgres => (
            "to_char({}, '{f}')",
            ["YYYY", "MM", "DD", "HH24", "MI", "SS"],
        ),
        Dialect::Sqlite | Dialect::MsSql => return None,
    };
    let mut converted = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => {
                let at = "YmdHMS".find(chars.next()?)?;
                converted.push_str(fields[at]);
            }
            '-' | ' ' | ':' | '/' => converted.push(c),
            _ => return None,
        }
    }
    fill(&function.replace("{f}", &converted), &[value], dialect)
}

/// A call's name when it is one plain part (`year`, not `dbo.year`).
fn unqualified_name(function: &Function) -> Option<&str> {
    let [part] = function.name.0.as_slice() else {
        return None;
    };
    part.as_ident().map(|ident| ident.value.as_str())
}

/// A call's arguments when they are plain expressions: no `DISTINCT`, no clauses, no
/// `FILTER`, `OVER` or `WITHIN GROUP`.
fn plain_arguments(function: &Function) -> Option<Vec<&Expr>> {
    if function.filter.is_some()
        || function.over.is_some()
        || !function.within_group.is_empty()
        || !matches!(function.parameters, FunctionArguments::None)
    {
        return None;
    }
    match &function.args {
        FunctionArguments::None => Some(Vec::new()),
        FunctionArguments::List(list)
            if list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
        {
            list.args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Some(expr),
                    _ => None,
                })
                .collect()
        }
        FunctionArguments::List(_) | FunctionArguments::Subquery(_) => None,
    }
}

/// `template` with its `{}` filled with `args` in order, parsed as the dialect reads it.
fn fill(template: &str, args: &[&Expr], dialect: Dialect) -> Option<Expr> {
    let mut text = template.to_string();
    for arg in args {
        // The argument is parenthesised so that its operators bind inside the call.
        text = text.replacen("{}", &format!("({arg})"), 1);
    }
    let mut parsed = crate::guard::parse(&format!("SELECT {text}"), dialect).ok()?;
    let Some(Statement::Query(query)) = parsed.pop() else {
        return None;
    };
    let SetExpr::Select(mut select) = *query.body else {
        return None;
    };
    match select.projection.pop()? {
        SelectItem::UnnamedExpr(expr) => Some(strip_parentheses(expr)),
        _ => None,
    }
}

/// `expr` with the parentheses [`fill`] put around a plain argument removed again.
fn strip_parentheses(mut expr: Expr) -> Expr {
    let _ = visit_expressions_mut(&mut expr, |e| {
        if let Expr::Nested(inner) = e
            && matches!(
                inner.as_ref(),
                Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Value(_)
            )
        {
            *e = inner.as_ref().clone();
        }
        ControlFlow::<()>::Continue(())
    });
    expr
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translated(sql: &str, dialect: Dialect) -> Option<String> {
        translate_functions(sql, dialect, &[]).map(|t| t.sql)
    }

    #[test]
    fn date_parts_become_the_dialects_own() {
        let cases = [
            (
                Dialect::Sqlite,
                "SELECT MONTH(o.order_date), COUNT(*) FROM orders AS o WHERE YEAR(o.order_date) = 2024 GROUP BY 1",
                "SELECT CAST(strftime('%m', o.order_date) AS INTEGER), COUNT(*) FROM orders AS o WHERE CAST(strftime('%Y', o.order_date) AS INTEGER) = 2024 GROUP BY 1",
            ),
            (
                Dialect::Sqlite,
                "SELECT COUNT(*) FROM orders WHERE EXTRACT(YEAR FROM order_date) = 2024",
                "SELECT COUNT(*) FROM orders WHERE CAST(strftime('%Y', order_date) AS INTEGER) = 2024",
            ),
            (
                Dialect::Sqlite,
                "SELECT DAY(date(created_at, '+1 day')) FROM customers",
                "SELECT CAST(strftime('%d', (date(created_at, '+1 day'))) AS INTEGER) FROM customers",
            ),
            (
                Dialect::Sqlite,
                "SELECT * FROM orders WHERE order_date < CURDATE()",
                "SELECT * FROM orders WHERE order_date < CURRENT_DATE",
            ),
            (
                Dialect::Postgres,
                "SELECT YEAR(hired_on), IFNULL(title, 'none') FROM employees",
                "SELECT CAST(EXTRACT(YEAR FROM hired_on) AS INTEGER), COALESCE(title, 'none') FROM employees",
            ),
            (
                Dialect::MySql,
                "SELECT strftime('%Y-%m', o.order_date) AS month FROM orders AS o WHERE strftime('%Y', o.order_date) = '2024'",
                "SELECT DATE_FORMAT(o.order_date, '%Y-%m') AS month FROM orders AS o WHERE DATE_FORMAT(o.order_date, '%Y') = '2024'",
            ),
            (
                Dialect::Postgres,
                "SELECT strftime('%Y-%m-%d %H:%M', created_at) FROM events",
                "SELECT to_char(created_at, 'YYYY-MM-DD HH24:MI') FROM events",
            ),
        ];
        for (dialect, sql, expected) in cases {
            assert_eq!(translated(sql, dialect).as_deref(), Some(expected), "{sql}");
        }
    }

    #[test]
    fn what_the_dialect_has_or_the_user_allowed_stays() {
        let unchanged = [
            // MariaDB and SQL Server have YEAR(); PostgreSQL has EXTRACT.
            (Dialect::MySql, "SELECT YEAR(d) FROM t"),
            (Dialect::MsSql, "SELECT YEAR(d) FROM t"),
            (Dialect::Postgres, "SELECT EXTRACT(YEAR FROM d) FROM t"),
            // Not one plain argument, or a qualified name: not the function it resembles.
            (Dialect::Sqlite, "SELECT YEAR(d, 1) FROM t"),
            (Dialect::Sqlite, "SELECT YEAR(DISTINCT d) FROM t"),
            (Dialect::Sqlite, "SELECT main.year(d) FROM t"),
            (Dialect::Sqlite, "SELECT EXTRACT(HOUR FROM d) FROM t"),
            (Dialect::Sqlite, "SELECT strftime('%Y', d) FROM t"),
            // A format with a field or a letter the other dialect reads differently.
            (Dialect::MySql, "SELECT strftime('%W', d) FROM t"),
            (Dialect::Postgres, "SELECT strftime('Q%m', d) FROM t"),
            (
                Dialect::MySql,
                "SELECT strftime('%Y', d, 'localtime') FROM t",
            ),
            (Dialect::Sqlite, "SELECT 1; SELECT YEAR(d) FROM t"),
        ];
        for (dialect, sql) in unchanged {
            assert_eq!(translated(sql, dialect), None, "{sql}");
        }
        let own = translate_functions("SELECT year(d) FROM t", Dialect::Sqlite, &["YEAR".into()]);
        assert_eq!(own, None);
    }

    #[test]
    fn each_change_is_reported() {
        let fixed =
            translate_functions("SELECT YEAR(d) FROM t", Dialect::Sqlite, &[]).expect("translated");
        assert_eq!(
            fixed.changes,
            [(
                "YEAR(d)".to_string(),
                "CAST(strftime('%Y', d) AS INTEGER)".to_string()
            )]
        );
    }
}
