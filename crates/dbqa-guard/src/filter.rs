//! Business rules written into a query: a condition the user says always holds for a
//! table when a word of the business is used ("revenue leaves cancelled orders out":
//! `orders: status <> 'cancelled'`). Small models read such a rule in the prompt and
//! still leave it out of their SQL; the rule is not theirs to forget.
//!
//! A [`TableFilter`] is a table and a condition on its columns, written unqualified
//! (a subquery inside may read other tables). [`apply_filters`] adds it to every select
//! of the statement (subqueries, CTEs and set operations included) that reads the table
//! and does not already constrain the columns the condition names: to the `WHERE`, or
//! to the `ON` of a left join, whose unmatched rows a `WHERE` would drop. A column
//! counts as constrained when the select's `WHERE` or any `ON` writes it, qualified by
//! the table's alias or unqualified, other than in an equality of two columns (a join
//! key): "revenue of cancelled orders" keeps its own `status = 'cancelled'`. A rule
//! whose subquery reads one table (`order_items: order_id NOT IN (SELECT id FROM orders
//! WHERE status = 'cancelled')`) is left out of a select that constrains the columns the
//! subquery's `WHERE` reads on that table itself (`o.status = 'cancelled'`).
//!
//! What it gives goes through [`Guard::check`](crate::Guard::check) like any other SQL.

use std::ops::ControlFlow;

use dbqa_core::Dialect;
use sqlparser::ast::{
    BinaryOperator, Expr, Ident, InTarget, Join, JoinConstraint, JoinOperator, Query, Select,
    SetExpr, TableFactor, VisitMut, VisitorMut, visit_expressions,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use crate::syntax::table_qualifier;

/// A condition that always holds for the rows of one table (`orders`:
/// `status <> 'cancelled'`).
///
/// ```
/// use dbqa_guard::TableFilter;
///
/// let filter = TableFilter::new("orders", "status <> 'cancelled'")?;
/// assert_eq!(filter.table(), "orders");
/// assert_eq!(filter.columns(), ["status"]);
/// assert!(TableFilter::new("orders", "status <> ").is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFilter {
    table: String,
    condition: String,
    columns: Vec<String>,
    /// (table, column) that the `WHERE` of a one-table subquery of the condition reads.
    subquery_columns: Vec<(String, String)>,
}

impl TableFilter {
    /// A filter on `table`, whose columns `condition` writes unqualified. An error says
    /// why the condition is not one SQL expression on the table's columns.
    pub fn new(table: &str, condition: &str) -> Result<Self, String> {
        let table = table.trim();
        if table.is_empty() || table.contains(char::is_whitespace) {
            return Err(format!("`{table}` is not a table name"));
        }
        let expr = parse_condition(condition)
            .ok_or_else(|| format!("`{}` is not one SQL condition", condition.trim()))?;
        let columns = outer_columns(&expr);
        if columns.is_empty() {
            return Err(format!("`{}` names no column of {table}", condition.trim()));
        }
        Ok(Self {
            table: table.to_string(),
            condition: condition.trim().to_string(),
            columns,
            subquery_columns: subquery_columns(&expr),
        })
    }

    /// The table the condition is about.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The condition as written.
    pub fn condition(&self) -> &str {
        &self.condition
    }

    /// The table's columns the condition names (outside its subqueries).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }
}

/// A statement with business rules added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filtered {
    /// The statement rendered with the conditions.
    pub sql: String,
    /// Each condition as added, qualified (`o.status <> 'cancelled'`).
    pub added: Vec<String>,
}

/// `sql` with each of `filters` added where a select reads its table without
/// constraining its columns (see the module doc); `None` when nothing was added or `sql`
/// is not one statement.
///
/// ```
/// use dbqa_guard::{Dialect, TableFilter, apply_filters};
///
/// let rule = TableFilter::new("orders", "status <> 'cancelled'")?;
/// let filtered = apply_filters(
///     "SELECT SUM(o.amount) FROM orders AS o WHERE o.order_date >= '2025-01-01'",
///     Dialect::Sqlite,
///     &[rule.clone()],
/// )
/// .expect("the rule is added");
/// assert_eq!(
///     filtered.sql,
///     "SELECT SUM(o.amount) FROM orders AS o WHERE o.order_date >= '2025-01-01' AND o.status <> 'cancelled'"
/// );
/// // A query that says which statuses it wants keeps its own condition.
/// let own = "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'";
/// assert_eq!(apply_filters(own, Dialect::Sqlite, &[rule]), None);
/// # Ok::<(), String>(())
/// ```
pub fn apply_filters(sql: &str, dialect: Dialect, filters: &[TableFilter]) -> Option<Filtered> {
    if filters.is_empty() {
        return None;
    }
    let mut statements = crate::guard::parse(sql, dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let conditions: Vec<(&TableFilter, Expr)> = filters
        .iter()
        .filter_map(|f| Some((f, parse_condition(&f.condition)?)))
        .collect();
    let mut adder = Adder {
        conditions: &conditions,
        added: Vec::new(),
    };
    let _ = statement.visit(&mut adder);
    if adder.added.is_empty() {
        return None;
    }
    Some(Filtered {
        sql: statement.to_string(),
        added: adder.added,
    })
}

/// The condition as one expression, or `None` when the text is not exactly one.
fn parse_condition(condition: &str) -> Option<Expr> {
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(condition).ok()?;
    let expr = parser.parse_expr().ok()?;
    (parser.peek_token().token == Token::EOF).then_some(expr)
}

/// The columns an expression names outside its subqueries, lower-cased, each once.
fn outer_columns(expr: &Expr) -> Vec<String> {
    let mut probe = expr.clone();
    let mut columns = Vec::new();
    let _ = probe.visit(&mut OuterColumns {
        depth: 0,
        on_column: &mut |column: &mut Expr| {
            if let Expr::Identifier(ident) = column {
                let name = ident.value.to_lowercase();
                if !columns.contains(&name) {
                    columns.push(name);
                }
            }
        },
    });
    columns
}

/// Calls `on_column` with each bare column (`Expr::Identifier`) outside subqueries.
struct OuterColumns<'a> {
    depth: usize,
    on_column: &'a mut dyn FnMut(&mut Expr),
}

impl VisitorMut for OuterColumns<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if self.depth == 0 && matches!(expr, Expr::Identifier(_)) {
            (self.on_column)(expr);
        }
        ControlFlow::Continue(())
    }
}

/// The columns the `WHERE` of each one-table subquery of `expr` reads, with that table.
fn subquery_columns(expr: &Expr) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let _ = visit_expressions(expr, |e| {
        let query = match e {
            Expr::Subquery(query)
            | Expr::Exists {
                subquery: query, ..
            } => query,
            Expr::In {
                target: InTarget::Subquery(query),
                ..
            } => query,
            _ => return ControlFlow::<()>::Continue(()),
        };
        let Some(select) = crate::syntax::query_select(query) else {
            return ControlFlow::Continue(());
        };
        let ([from], Some(selection)) = (select.from.as_slice(), &select.selection) else {
            return ControlFlow::Continue(());
        };
        let TableFactor::Table { name, .. } = &from.relation else {
            return ControlFlow::Continue(());
        };
        let Some(table) = name.0.last().and_then(|p| p.as_ident()) else {
            return ControlFlow::Continue(());
        };
        if from.joins.is_empty() {
            for column in outer_columns(selection) {
                out.push((table.value.to_lowercase(), column));
            }
        }
        ControlFlow::Continue(())
    });
    out
}

/// `condition` with its outer columns written as `qualifier.column`.
fn qualified(condition: &Expr, qualifier: &str) -> Expr {
    let mut out = condition.clone();
    let _ = out.visit(&mut OuterColumns {
        depth: 0,
        on_column: &mut |column: &mut Expr| {
            if let Expr::Identifier(ident) = column {
                *column = Expr::CompoundIdentifier(vec![Ident::new(qualifier), ident.clone()]);
            }
        },
    });
    out
}

/// Adds the conditions to each select of a statement.
struct Adder<'a> {
    conditions: &'a [(&'a TableFilter, Expr)],
    added: Vec<String>,
}

impl VisitorMut for Adder<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        self.set_expr(query.body.as_mut());
        ControlFlow::Continue(())
    }
}

/// Where a table's condition goes.
enum Place {
    Where,
    /// The `ON` of the join at (from item, join) index.
    On(usize, usize),
}

impl Adder<'_> {
    fn set_expr(&mut self, body: &mut SetExpr) {
        match body {
            SetExpr::Select(select) => self.select(select),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left);
                self.set_expr(right);
            }
            // A nested query is visited on its own.
            _ => {}
        }
    }

    fn select(&mut self, select: &mut Select) {
        for (filter, condition) in self.conditions {
            if constrains_subquery_columns(select, filter) {
                continue;
            }
            for (qualifier, place) in reads(select, &filter.table) {
                if constrains(select, &qualifier, &filter.columns) {
                    continue;
                }
                let added = qualified(condition, &qualifier);
                self.added.push(added.to_string());
                match place {
                    Place::Where => select.selection = Some(and(select.selection.take(), added)),
                    Place::On(from, join) => {
                        if let Some(on) = select
                            .from
                            .get_mut(from)
                            .and_then(|t| t.joins.get_mut(join))
                            .and_then(left_on_mut)
                        {
                            *on = and(Some(on.clone()), added);
                        }
                    }
                }
            }
        }
    }
}

/// Each place the select reads `table`: its qualifier and where a condition on it goes.
/// Right and full joins, whose rows a condition could not simply narrow, are left alone.
fn reads(select: &Select, table: &str) -> Vec<(String, Place)> {
    let mut out = Vec::new();
    for (i, from) in select.from.iter().enumerate() {
        if let Some(q) = qualifier_of(&from.relation, table) {
            out.push((q, Place::Where));
        }
        for (j, join) in from.joins.iter().enumerate() {
            let Some(q) = qualifier_of(&join.relation, table) else {
                continue;
            };
            match &join.join_operator {
                JoinOperator::Left(JoinConstraint::On(_))
                | JoinOperator::LeftOuter(JoinConstraint::On(_)) => out.push((q, Place::On(i, j))),
                JoinOperator::Join(_)
                | JoinOperator::Inner(_)
                | JoinOperator::CrossJoin(_)
                | JoinOperator::StraightJoin(_) => out.push((q, Place::Where)),
                _ => {}
            }
        }
    }
    out
}

/// The qualifier `factor` is read with when it is `table`.
fn qualifier_of(factor: &TableFactor, table: &str) -> Option<String> {
    let TableFactor::Table { name, .. } = factor else {
        return None;
    };
    let last = name.0.last()?.as_ident()?;
    if !last.value.eq_ignore_ascii_case(table) {
        return None;
    }
    table_qualifier(factor)
}

/// The `ON` of a left join.
fn left_on_mut(join: &mut Join) -> Option<&mut Expr> {
    match &mut join.join_operator {
        JoinOperator::Left(JoinConstraint::On(on))
        | JoinOperator::LeftOuter(JoinConstraint::On(on)) => Some(on),
        _ => None,
    }
}

/// Whether the select's `WHERE` or an `ON` already writes one of `columns` of the table
/// read as `qualifier`, a join key aside.
fn constrains(select: &Select, qualifier: &str, columns: &[String]) -> bool {
    let ons = select
        .from
        .iter()
        .flat_map(|t| t.joins.iter())
        .filter_map(crate::syntax::on_of);
    select
        .selection
        .iter()
        .chain(ons)
        .any(|expr| writes(expr, qualifier, columns))
}

/// Whether the select constrains, on a table it reads itself, a column that a one-table
/// subquery of the rule reads in its `WHERE`.
fn constrains_subquery_columns(select: &Select, filter: &TableFilter) -> bool {
    filter.subquery_columns.iter().any(|(table, column)| {
        reads(select, table)
            .iter()
            .any(|(qualifier, _)| constrains(select, qualifier, std::slice::from_ref(column)))
    })
}

fn writes(expr: &Expr, qualifier: &str, columns: &[String]) -> bool {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } if is_column(left) && is_column(right) => false,
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And | BinaryOperator::Or,
            right,
        } => writes(left, qualifier, columns) || writes(right, qualifier, columns),
        Expr::Nested(inner) => writes(inner, qualifier, columns),
        other => names_column(other, qualifier, columns),
    }
}

fn is_column(expr: &Expr) -> bool {
    matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// Whether `expr` names one of `columns`, bare or qualified by `qualifier`.
fn names_column(expr: &Expr, qualifier: &str, columns: &[String]) -> bool {
    let is_one = |ident: &Ident| columns.iter().any(|c| ident.value.eq_ignore_ascii_case(c));
    visit_expressions(expr, |e| {
        let hit = match e {
            Expr::Identifier(ident) => is_one(ident),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [.., q, column] => q.value.eq_ignore_ascii_case(qualifier) && is_one(column),
                _ => false,
            },
            _ => false,
        };
        if hit {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// `existing AND added`, keeping an `OR` on either side whole.
fn and(existing: Option<Expr>, added: Expr) -> Expr {
    let grouped = |e: Expr| match e {
        Expr::BinaryOp {
            op: BinaryOperator::Or,
            ..
        } => Expr::Nested(Box::new(e)),
        other => other,
    };
    match existing {
        None => added,
        Some(existing) => Expr::BinaryOp {
            left: Box::new(grouped(existing)),
            op: BinaryOperator::And,
            right: Box::new(grouped(added)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(table: &str, condition: &str) -> TableFilter {
        TableFilter::new(table, condition).expect("a valid rule")
    }

    fn not_cancelled() -> Vec<TableFilter> {
        vec![
            rule("orders", "status <> 'cancelled'"),
            rule(
                "order_items",
                "order_id NOT IN (SELECT id FROM orders WHERE status = 'cancelled')",
            ),
        ]
    }

    /// (SQL as written, SQL with the rules, or `None` when it must stay as it is).
    const CASES: &[(&str, Option<&str>)] = &[
        // No WHERE yet.
        (
            "SELECT SUM(amount) FROM orders",
            Some("SELECT SUM(amount) FROM orders WHERE orders.status <> 'cancelled'"),
        ),
        // An alias, and an OR kept whole.
        (
            "SELECT COUNT(*) FROM orders AS o WHERE o.region = 'N' OR o.region = 'S'",
            Some(
                "SELECT COUNT(*) FROM orders AS o WHERE (o.region = 'N' OR o.region = 'S') AND o.status <> 'cancelled'",
            ),
        ),
        // Both tables of a join: the join key does not count as a constraint, and once
        // the `orders` rule is in, the `order_items` one, which says the same through
        // `orders.status`, is not needed.
        (
            "SELECT SUM(i.qty) FROM orders AS o JOIN order_items AS i ON i.order_id = o.id",
            Some(
                "SELECT SUM(i.qty) FROM orders AS o JOIN order_items AS i ON i.order_id = o.id WHERE o.status <> 'cancelled'",
            ),
        ),
        // Items without their orders get the subquery.
        (
            "SELECT SUM(i.qty) FROM order_items AS i JOIN products AS p ON p.id = i.product_id",
            Some(
                "SELECT SUM(i.qty) FROM order_items AS i JOIN products AS p ON p.id = i.product_id WHERE i.order_id NOT IN (SELECT id FROM orders WHERE status = 'cancelled')",
            ),
        ),
        // A left join gets it in its ON, so that customers without orders stay.
        (
            "SELECT c.name, SUM(o.amount) FROM customers AS c LEFT JOIN orders AS o ON o.customer_id = c.id GROUP BY c.name",
            Some(
                "SELECT c.name, SUM(o.amount) FROM customers AS c LEFT JOIN orders AS o ON o.customer_id = c.id AND o.status <> 'cancelled' GROUP BY c.name",
            ),
        ),
        // A subquery is a select of its own.
        (
            "SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders)",
            Some(
                "SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE orders.status <> 'cancelled')",
            ),
        ),
        // The query already says which statuses it wants, bare or qualified.
        (
            "SELECT COUNT(*) FROM orders WHERE status = 'cancelled'",
            None,
        ),
        (
            "SELECT COUNT(*) FROM orders AS o WHERE o.status IN ('shipped', 'pending')",
            None,
        ),
        // Tables the rules do not name.
        ("SELECT name FROM customers", None),
        // The revenue of cancelled orders: the query picks the statuses on `orders`, so
        // the `order_items` rule, whose subquery reads `orders.status`, stays out too.
        (
            "SELECT SUM(i.qty) FROM orders AS o JOIN order_items AS i ON i.order_id = o.id WHERE o.status = 'cancelled'",
            None,
        ),
    ];

    #[test]
    fn rules_go_where_the_table_is_read_unconstrained() {
        for (written, expected) in CASES {
            let got = apply_filters(written, Dialect::Sqlite, &not_cancelled());
            assert_eq!(got.map(|f| f.sql).as_deref(), *expected, "{written}");
        }
    }

    #[test]
    fn every_added_condition_is_reported_qualified() {
        let got = apply_filters(
            "SELECT SUM(i.qty) FROM orders AS o JOIN order_items AS i ON i.order_id = o.id \
             WHERE i.order_id IN (SELECT i2.order_id FROM order_items AS i2 WHERE i2.qty > 1)",
            Dialect::Postgres,
            &not_cancelled(),
        )
        .expect("added");
        assert_eq!(
            got.added,
            [
                "o.status <> 'cancelled'",
                "i2.order_id NOT IN (SELECT id FROM orders WHERE status = 'cancelled')"
            ]
        );
    }

    #[test]
    fn a_rule_must_be_one_condition_on_named_columns() {
        assert!(TableFilter::new("orders", "status = 'x'; DROP TABLE orders").is_err());
        assert!(TableFilter::new("orders", "1 = 1").is_err());
        assert!(TableFilter::new("my orders", "status = 'x'").is_err());
        assert!(TableFilter::new("orders", "").is_err());
        assert_eq!(
            rule("orders", "status <> 'cancelled' AND amount > 0").columns(),
            ["status", "amount"]
        );
        let items = rule(
            "order_items",
            "order_id NOT IN (SELECT id FROM orders WHERE status = 'cancelled')",
        );
        assert_eq!(items.columns(), ["order_id"]);
        assert_eq!(
            items.subquery_columns,
            [(String::from("orders"), String::from("status"))]
        );
    }

    #[test]
    fn unparsable_sql_and_several_statements_are_left_alone() {
        let rules = not_cancelled();
        assert_eq!(
            apply_filters("SELEC nothing", Dialect::Sqlite, &rules),
            None
        );
        assert_eq!(
            apply_filters(
                "SELECT 1 FROM orders; SELECT 2 FROM orders",
                Dialect::Sqlite,
                &rules
            ),
            None
        );
        assert_eq!(
            apply_filters("SELECT 1 FROM orders", Dialect::Sqlite, &[]),
            None
        );
    }
}
