//! The second half of [`requalify_columns`](crate::requalify_columns): a join whose table
//! the query read only through columns that turned out to belong to another table. When
//! a small model writes `t2.created_at` for a column of `t1`, it joined `t2` to reach that
//! column; once the column moves, the join only multiplies or filters rows the question
//! never asked about, and it is dropped.
//!
//! Only plain joins (`JOIN`, `INNER JOIN`, `LEFT JOIN`) of the top-level `FROM` are
//! dropped, never its first table, and only when the moves took the last reference to
//! the joined table outside its own `ON`. A statement that selects `*` or `t.*`, names a
//! column without a qualifier that the joined table has, groups or aggregates keeps all
//! its joins: a count over a join counts the joined rows, which may be what was asked.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, GroupByExpr, Join, SelectItem, Statement, visit_expressions};

use crate::requalify::Relation;
use crate::syntax::{count_qualified, on_of, select_of, table_qualifier};

/// A join of the top-level `FROM` that could be dropped: its qualifier and how often the
/// statement names that qualifier outside the join's own `ON`.
pub(crate) struct JoinUse {
    qualifier: String,
    outside_on: usize,
}

/// The plain joins of `statement`'s top-level `FROM` with how often each is read outside
/// its `ON`; empty when the statement is not one plain `SELECT`, selects `*` or `t.*`,
/// groups or aggregates.
pub(crate) fn join_uses(statement: &Statement) -> Vec<JoinUse> {
    let Some(select) = select_of(statement) else {
        return Vec::new();
    };
    let wildcard = select.projection.iter().any(|item| {
        matches!(
            item,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
        )
    });
    let grouped = !matches!(&select.group_by, GroupByExpr::Expressions(keys, _) if keys.is_empty())
        || select.having.is_some();
    if wildcard || grouped || aggregates(statement) {
        return Vec::new();
    }
    select
        .from
        .iter()
        .flat_map(|item| &item.joins)
        .filter_map(|join| {
            let qualifier = plain_join_qualifier(join)?;
            let total = count_qualified(statement, &qualifier);
            let own = on_of(join).map_or(0, |on| count_qualified(on, &qualifier));
            Some(JoinUse {
                outside_on: total.saturating_sub(own),
                qualifier,
            })
        })
        .collect()
}

/// Drops from `statement` each join of `before` (its uses before the columns moved) that
/// was read outside its `ON` then and is not now, unless an unqualified column of the
/// statement is one its table has. Returns the joins dropped, as written.
pub(crate) fn drop_orphaned_joins(
    statement: &mut Statement,
    before: &[JoinUse],
    relations: &[Relation],
) -> Vec<String> {
    let after = join_uses(statement);
    let bare = bare_columns(statement);
    let orphaned: Vec<String> = before
        .iter()
        .filter(|was| was.outside_on > 0)
        .filter(|was| {
            after
                .iter()
                .any(|now| now.qualifier == was.qualifier && now.outside_on == 0)
        })
        .filter(|was| {
            relations
                .iter()
                .filter(|r| r.qualifier.value.eq_ignore_ascii_case(&was.qualifier))
                .all(|r| !bare.iter().any(|column| r.has(column)))
        })
        .map(|was| was.qualifier.clone())
        .collect();
    let Some(select) = crate::syntax::select_of_mut(statement) else {
        return Vec::new();
    };
    let mut dropped = Vec::new();
    for item in &mut select.from {
        item.joins.retain(|join| {
            let orphan = plain_join_qualifier(join)
                .is_some_and(|q| orphaned.iter().any(|o| o.eq_ignore_ascii_case(&q)));
            if orphan {
                dropped.push(join.to_string().trim().to_string());
            }
            !orphan
        });
    }
    dropped
}

/// The qualifier of a plain join of a table (`JOIN orders AS o ON …`: `o`).
fn plain_join_qualifier(join: &Join) -> Option<String> {
    on_of(join)?;
    table_qualifier(&join.relation)
}

/// Aggregates, whose results depend on how many rows a join gives.
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "total",
    "group_concat",
    "string_agg",
    "array_agg",
    "listagg",
];

/// Whether `statement` calls an aggregate anywhere.
fn aggregates(statement: &Statement) -> bool {
    let mut found = false;
    let _ = visit_expressions(statement, |expr| {
        if let Expr::Function(function) = expr
            && let Some(name) = function.name.0.last().and_then(|part| part.as_ident())
            && AGGREGATES
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&name.value))
        {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// The names of the columns `statement` writes without a qualifier.
fn bare_columns(statement: &Statement) -> Vec<String> {
    let mut names = Vec::new();
    let _ = visit_expressions(statement, |expr| {
        if let Expr::Identifier(ident) = expr {
            names.push(ident.value.clone());
        }
        ControlFlow::<()>::Continue(())
    });
    names
}
