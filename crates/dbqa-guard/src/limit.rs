//! The row limit: rewrite the top-level query so it never returns more than `max` rows.
//!
//! `LIMIT` dialects (SQLite, PostgreSQL, MySQL) get `LIMIT max` or a lowered `LIMIT` /
//! `FETCH FIRST`; SQL Server gets `TOP (max)` on a plain select, `OFFSET … FETCH` when
//! there is an `ORDER BY`, or an outer `SELECT TOP` around a set operation. The limit is
//! attached to the whole query, so set operations and `ORDER BY` keep their meaning; a
//! smaller existing limit stays as it is.

use dbqa_core::Dialect;
use sqlparser::ast::{
    Expr, Fetch, LimitClause, Offset, OffsetRows, Query, SetExpr, Statement, TableFactor, Top,
    TopQuantity, UnaryOperator, Value,
};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::Parser;

use crate::verdict::Violation;

/// What a limit expression amounts to.
enum Bound {
    /// A constant row count.
    Rows(u64),
    /// No bound at all (`NULL`, a negative count in SQLite).
    None,
    /// Something the guard cannot evaluate.
    Unknown,
}

fn bound(expr: &Expr) -> Bound {
    match expr {
        Expr::Nested(inner) => bound(inner),
        Expr::Value(v) => match &v.value {
            Value::Number(text, _) => match text.parse::<u64>() {
                Ok(n) => Bound::Rows(n),
                Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                    Bound::Rows(u64::MAX)
                }
                Err(_) => Bound::Unknown,
            },
            Value::Null => Bound::None,
            _ => Bound::Unknown,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } if matches!(bound(expr), Bound::Rows(_)) => Bound::None,
        _ => Bound::Unknown,
    }
}

fn number(n: u64) -> Expr {
    Expr::value(Value::Number(n.to_string(), false))
}

/// Lowers `expr` to `max` if needed. `Ok(true)` when it changed.
fn clamp(expr: &mut Expr, max: u64, clause: impl FnOnce() -> String) -> Result<bool, Violation> {
    match bound(expr) {
        Bound::Rows(n) if n <= max => Ok(false),
        Bound::Rows(_) | Bound::None => {
            *expr = number(max);
            Ok(true)
        }
        Bound::Unknown => Err(Violation::UnboundedLimit {
            clause: clause(),
            max_rows: max,
        }),
    }
}

fn clamp_fetch(fetch: &mut Fetch, max: u64) -> Result<bool, Violation> {
    if fetch.with_ties || fetch.percent {
        return Err(Violation::UnboundedLimit {
            clause: fetch.to_string(),
            max_rows: max,
        });
    }
    let clause = fetch.to_string();
    match &mut fetch.quantity {
        Some(quantity) => clamp(quantity, max, || clause),
        // `FETCH FIRST ROW ONLY` is one row.
        None => Ok(false),
    }
}

/// Clamps an existing `LIMIT` clause; `Ok(None)` when there is no row count in it.
fn clamp_limit_clause(limit: &mut LimitClause, max: u64) -> Result<bool, Violation> {
    let clause = limit.to_string().trim().to_string();
    match limit {
        LimitClause::LimitOffset { limit: None, .. } => {
            if let LimitClause::LimitOffset { limit, .. } = limit {
                *limit = Some(number(max));
            }
            Ok(true)
        }
        LimitClause::LimitOffset {
            limit: Some(expr), ..
        }
        | LimitClause::OffsetCommaLimit { limit: expr, .. } => clamp(expr, max, || clause),
    }
}

/// Applies the row limit to the top-level query. `Ok(true)` when the SQL changed.
pub(crate) fn apply(query: &mut Query, max: u64, dialect: Dialect) -> Result<bool, Violation> {
    if let Some(fetch) = &mut query.fetch {
        return clamp_fetch(fetch, max);
    }
    if dialect.supports_limit() {
        return match &mut query.limit_clause {
            Some(limit) => clamp_limit_clause(limit, max),
            None => {
                query.limit_clause = Some(LimitClause::LimitOffset {
                    limit: Some(number(max)),
                    offset: None,
                    limit_by: Vec::new(),
                });
                Ok(true)
            }
        };
    }
    apply_top(query, max)
}

/// SQL Server: `TOP`, `OFFSET … FETCH`, or an outer `SELECT TOP … FROM (…)`.
fn apply_top(query: &mut Query, max: u64) -> Result<bool, Violation> {
    let fetch = || Fetch {
        with_ties: false,
        percent: false,
        quantity: Some(number(max)),
    };
    match &mut query.limit_clause {
        // `ORDER BY … OFFSET n ROWS` without FETCH: add one.
        Some(LimitClause::LimitOffset {
            limit: None,
            offset: Some(_),
            ..
        }) => {
            query.fetch = Some(fetch());
            return Ok(true);
        }
        // `LIMIT` is not T-SQL and the server will refuse it, but bound it all the same.
        Some(limit) => return clamp_limit_clause(limit, max),
        None => {}
    }
    if let SetExpr::Select(select) = query.body.as_mut() {
        return match &mut select.top {
            Some(top) => clamp_top(top, max),
            None => {
                select.top = Some(Top {
                    with_ties: false,
                    percent: false,
                    quantity: Some(TopQuantity::Constant(max)),
                });
                select.top_before_distinct = false;
                Ok(true)
            }
        };
    }
    if query.order_by.is_some() {
        query.limit_clause = Some(LimitClause::LimitOffset {
            limit: None,
            offset: Some(Offset {
                value: number(0),
                rows: OffsetRows::Rows,
            }),
            limit_by: Vec::new(),
        });
        query.fetch = Some(fetch());
        return Ok(true);
    }
    wrap_in_top(query, max)
}

fn clamp_top(top: &mut Top, max: u64) -> Result<bool, Violation> {
    if top.with_ties || top.percent {
        return Err(Violation::UnboundedLimit {
            clause: top.to_string(),
            max_rows: max,
        });
    }
    let clause = top.to_string();
    match &mut top.quantity {
        Some(TopQuantity::Constant(n)) if *n <= max => Ok(false),
        Some(TopQuantity::Constant(n)) => {
            *n = max;
            Ok(true)
        }
        Some(TopQuantity::Expr(expr)) => clamp(expr, max, || clause),
        None => {
            top.quantity = Some(TopQuantity::Constant(max));
            Ok(true)
        }
    }
}

/// `SELECT TOP (max) * FROM (<query>) AS dbqa_limited`, with the CTEs moved outside
/// (T-SQL allows `WITH` only at the start of a statement).
fn wrap_in_top(query: &mut Query, max: u64) -> Result<bool, Violation> {
    let template = format!("SELECT TOP {max} * FROM (SELECT 1 AS x) AS dbqa_limited");
    let unbounded = || Violation::UnboundedLimit {
        clause: "set operation".to_string(),
        max_rows: max,
    };
    let mut statements = Parser::parse_sql(&MsSqlDialect {}, &template).map_err(|_| unbounded())?;
    let Some(Statement::Query(mut outer)) = statements.pop() else {
        return Err(unbounded());
    };
    let with = query.with.take();
    {
        let SetExpr::Select(select) = outer.body.as_mut() else {
            return Err(unbounded());
        };
        let Some(from) = select.from.first_mut() else {
            return Err(unbounded());
        };
        let TableFactor::Derived { subquery, .. } = &mut from.relation else {
            return Err(unbounded());
        };
        std::mem::swap(subquery.as_mut(), query);
    }
    outer.with = with;
    std::mem::swap(query, outer.as_mut());
    Ok(true)
}
