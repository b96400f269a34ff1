//! Small reads of a parsed statement that the repairs share: its one `SELECT`, the
//! qualifier a table is read with, a join's `ON`, and how often a qualifier is written.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Join, JoinConstraint, JoinOperator, Query, Select, SetExpr, Statement, TableFactor,
    Visit, visit_expressions,
};

/// The statement's `SELECT` when it is a query of one select: no CTE, no set operation.
pub(crate) fn select_of(statement: &Statement) -> Option<&Select> {
    let Statement::Query(query) = statement else {
        return None;
    };
    query_select(query)
}

/// The query's `SELECT` when it is one select: no CTE, no set operation.
pub(crate) fn query_select(query: &Query) -> Option<&Select> {
    if query.with.is_some() {
        return None;
    }
    match query.body.as_ref() {
        SetExpr::Select(select) => Some(select),
        _ => None,
    }
}

/// [`select_of`], to be changed.
pub(crate) fn select_of_mut(statement: &mut Statement) -> Option<&mut Select> {
    let Statement::Query(query) = statement else {
        return None;
    };
    let Query {
        body, with: None, ..
    } = query.as_mut()
    else {
        return None;
    };
    let SetExpr::Select(select) = body.as_mut() else {
        return None;
    };
    Some(select.as_mut())
}

/// The qualifier a table of a `FROM` is read with: its alias, else its name
/// (`orders AS o`: `o`); `None` for a derived table or a table function.
pub(crate) fn table_qualifier(factor: &TableFactor) -> Option<String> {
    let TableFactor::Table {
        name,
        alias,
        args: None,
        ..
    } = factor
    else {
        return None;
    };
    match alias {
        Some(alias) => Some(alias.name.value.clone()),
        None => Some(name.0.last()?.as_ident()?.value.clone()),
    }
}

/// The `ON` condition of a plain join.
pub(crate) fn on_of(join: &Join) -> Option<&Expr> {
    match &join.join_operator {
        JoinOperator::Join(JoinConstraint::On(on))
        | JoinOperator::Inner(JoinConstraint::On(on))
        | JoinOperator::Left(JoinConstraint::On(on))
        | JoinOperator::LeftOuter(JoinConstraint::On(on)) => Some(on),
        _ => None,
    }
}

/// [`on_of`], to be changed.
pub(crate) fn on_of_mut(join: &mut Join) -> Option<&mut Expr> {
    match &mut join.join_operator {
        JoinOperator::Join(JoinConstraint::On(on))
        | JoinOperator::Inner(JoinConstraint::On(on))
        | JoinOperator::Left(JoinConstraint::On(on))
        | JoinOperator::LeftOuter(JoinConstraint::On(on)) => Some(on),
        _ => None,
    }
}

/// How often `node` writes a column qualified by `qualifier`.
pub(crate) fn count_qualified<V: Visit>(node: &V, qualifier: &str) -> usize {
    let mut count = 0;
    let _ = visit_expressions(node, |expr| {
        if let Expr::CompoundIdentifier(idents) = expr
            && let [q, _] = idents.as_slice()
            && q.value.eq_ignore_ascii_case(qualifier)
        {
            count += 1;
        }
        ControlFlow::<()>::Continue(())
    });
    count
}
