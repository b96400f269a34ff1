//! A repair for an aggregate of an aggregate (`AVG(COUNT(x))`), which every database
//! refuses: small models write "the average number of products in an order" as
//! `SELECT AVG(COUNT(product_id)) FROM order_items GROUP BY order_id`, and keep writing
//! it when told to use a subquery. The two steps it means are written out: the inner
//! aggregate per group in a derived table, the outer one over its rows
//! (`SELECT AVG(per_group.value_1) FROM (SELECT COUNT(product_id) AS value_1 FROM
//! order_items GROUP BY order_id) AS per_group`). What it gives goes through
//! [`Guard::check`](crate::Guard::check) like any other SQL.
//!
//! Only a query of one select whose every result column is one aggregate (`AVG`, `SUM`,
//! `MIN`, `MAX`, `COUNT`) of one aggregate changes, without `DISTINCT`, `ORDER BY`,
//! window or filter clauses on the outer call. The groups are the query's `GROUP BY`.
//! A query without one ("how many products are in an order, on average" as
//! `AVG(COUNT(product_id)) FROM order_items`) is grouped by the one foreign key of its
//! one table to a table the question names (`order_id -> orders`), leaving out the
//! columns the inner aggregate reads; the caller says which tables the question names,
//! since the statement cannot.

use dbqa_core::Schema;
use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, Select,
    SelectItem, Statement, TableFactor, visit_expressions,
};

use crate::syntax::{select_of, table_qualifier};

/// A statement whose nested aggregate is now computed in two steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unnested {
    /// The statement rendered after the repair.
    pub sql: String,
    /// The grouping added along a foreign key (`i.order_id`), when the statement had
    /// none.
    pub grouped_by: Option<String>,
}

/// The aggregates whose nesting this repair understands.
const AGGREGATES: [&str; 5] = ["avg", "sum", "min", "max", "count"];

/// The name of the derived table the inner aggregates are read from.
const PER_GROUP: &str = "per_group";

/// `sql` with each aggregate of an aggregate computed over a derived table of the inner
/// aggregate per group: the statement's `GROUP BY`, else the one foreign key of its one
/// table to a table of `named_tables` (the tables the question names). `None` when the
/// statement is not such a query or no group is certain.
///
/// ```
/// use dbqa_core::{Column, Dialect, ForeignKey, Schema, Table};
/// use dbqa_guard::unnest_aggregates;
///
/// let column = |name: &str| Column::new(name, "integer");
/// let mut items = Table::new("order_items", vec![column("order_id"), column("product_id")]);
/// items.foreign_keys.push(ForeignKey::new(["order_id"], "orders", ["id"]));
/// items.foreign_keys.push(ForeignKey::new(["product_id"], "products", ["id"]));
/// let schema = Schema::new(Dialect::Sqlite, vec![items]);
///
/// let fixed = unnest_aggregates(
///     "SELECT AVG(COUNT(product_id)) AS n FROM order_items GROUP BY order_id",
///     &schema,
///     &[],
/// )
/// .expect("unnested");
/// assert_eq!(
///     fixed.sql,
///     "SELECT AVG(per_group.value_1) AS n FROM (SELECT COUNT(product_id) AS value_1 FROM order_items GROUP BY order_id) AS per_group"
/// );
/// // "How many different products are in an order, on average?"
/// let grouped = unnest_aggregates(
///     "SELECT AVG(COUNT(DISTINCT product_id)) FROM order_items",
///     &schema,
///     &["orders", "products"],
/// )
/// .expect("unnested");
/// assert_eq!(grouped.grouped_by.as_deref(), Some("order_items.order_id"));
/// ```
pub fn unnest_aggregates(sql: &str, schema: &Schema, named_tables: &[&str]) -> Option<Unnested> {
    let dialect = schema.dialect;
    let statements = crate::guard::parse(sql, dialect).ok()?;
    let [statement] = statements.as_slice() else {
        return None;
    };
    let Statement::Query(query) = statement else {
        return None;
    };
    if query.order_by.is_some() || query.fetch.is_some() {
        return None;
    }
    let select = select_of(statement)?;
    if select.distinct.is_some() || select.top.is_some() || select.into.is_some() {
        return None;
    }
    let (projection, outer_items) = split_projection(&select.projection)?;
    let mut inner = select.clone();
    inner.projection = projection;
    let grouped_by = match &inner.group_by {
        GroupByExpr::Expressions(exprs, modifiers) if !exprs.is_empty() => {
            if !modifiers.is_empty() {
                return None;
            }
            None
        }
        GroupByExpr::Expressions(_, _) => {
            let per = group_along_a_key(select, schema, named_tables)?;
            inner.group_by = GroupByExpr::Expressions(vec![column_expr(&per)], Vec::new());
            Some(per)
        }
        GroupByExpr::All(_) => return None,
    };
    let sql = format!(
        "SELECT {} FROM ({inner}) AS {PER_GROUP}",
        outer_items.join(", ")
    );
    // What is returned must parse as one statement again.
    crate::guard::parse(&sql, dialect).ok()?;
    Some(Unnested { sql, grouped_by })
}

/// The select's result columns split in two: the inner aggregates, named `value_N`, for
/// the derived table; the outer ones over `per_group.value_N`, with their aliases, for
/// the query around it. `None` unless every column is an aggregate of an aggregate.
fn split_projection(projection: &[SelectItem]) -> Option<(Vec<SelectItem>, Vec<String>)> {
    let mut inner = Vec::with_capacity(projection.len());
    let mut outer_items = Vec::with_capacity(projection.len());
    for (index, item) in projection.iter().enumerate() {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(expr) => (expr, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias)),
            _ => return None,
        };
        let (outer, nested) = nested_aggregate(expr)?;
        let value = Ident::new(format!("value_{}", index + 1));
        inner.push(SelectItem::ExprWithAlias {
            expr: nested.clone(),
            alias: value.clone(),
        });
        let mut outer = outer.clone();
        set_only_argument(
            &mut outer,
            Expr::CompoundIdentifier(vec![Ident::new(PER_GROUP), value]),
        );
        let outer = Expr::Function(outer);
        outer_items.push(match alias {
            Some(alias) => format!("{outer} AS {alias}"),
            None => outer.to_string(),
        });
    }
    Some((inner, outer_items))
}

/// `expr` as an aggregate call whose one argument is another aggregate call: both.
fn nested_aggregate(expr: &Expr) -> Option<(&Function, &Expr)> {
    let Expr::Function(outer) = expr else {
        return None;
    };
    if !plain_aggregate(outer) {
        return None;
    }
    let FunctionArguments::List(list) = &outer.args else {
        return None;
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return None;
    }
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(argument))] = list.args.as_slice() else {
        return None;
    };
    match argument {
        Expr::Function(inner) if is_aggregate(inner) && inner.over.is_none() => {
            Some((outer, argument))
        }
        _ => None,
    }
}

/// An aggregate call with nothing beside its arguments (no window, filter or ordering).
fn plain_aggregate(function: &Function) -> bool {
    is_aggregate(function)
        && function.over.is_none()
        && function.filter.is_none()
        && function.within_group.is_empty()
        && function.null_treatment.is_none()
}

fn is_aggregate(function: &Function) -> bool {
    let [name] = function.name.0.as_slice() else {
        return false;
    };
    name.as_ident().is_some_and(|ident| {
        AGGREGATES
            .iter()
            .any(|a| ident.value.eq_ignore_ascii_case(a))
    })
}

/// Replaces the one argument of `function` (checked by [`nested_aggregate`]).
fn set_only_argument(function: &mut Function, expr: Expr) {
    if let FunctionArguments::List(list) = &mut function.args {
        list.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(expr))];
    }
}

/// The one foreign-key column of the select's one table that references a table of
/// `named_tables` and that no aggregate of the select reads, qualified as the select
/// reads the table (`i.order_id`).
fn group_along_a_key(select: &Select, schema: &Schema, named_tables: &[&str]) -> Option<String> {
    let [from] = select.from.as_slice() else {
        return None;
    };
    if !from.joins.is_empty() {
        return None;
    }
    let TableFactor::Table { name, .. } = &from.relation else {
        return None;
    };
    let table = schema.table(&name.0.last()?.as_ident()?.value)?;
    let qualifier = table_qualifier(&from.relation)?;
    let read = columns_read(select);
    let named = |t: &str| named_tables.iter().any(|n| n.eq_ignore_ascii_case(t));
    let mut keys = table.foreign_keys.iter().filter(|fk| {
        let [column] = fk.columns.as_slice() else {
            return false;
        };
        named(&fk.referenced_table) && !read.iter().any(|r| r.eq_ignore_ascii_case(column))
    });
    let key = keys.next()?;
    if keys.next().is_some() {
        return None;
    }
    Some(format!("{qualifier}.{}", key.columns.first()?))
}

/// The names of the columns the select's result reads (its aggregates' arguments).
fn columns_read(select: &Select) -> Vec<String> {
    let mut read = Vec::new();
    let _ = visit_expressions(&select.projection, |expr| {
        match expr {
            Expr::Identifier(ident) => read.push(ident.value.clone()),
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    read.push(last.value.clone());
                }
            }
            _ => {}
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    read
}

/// `order_id` or `oi.order_id` as an expression.
fn column_expr(name: &str) -> Expr {
    let parts: Vec<Ident> = name.split('.').map(Ident::new).collect();
    match parts.as_slice() {
        [single] => Expr::Identifier(single.clone()),
        _ => Expr::CompoundIdentifier(parts),
    }
}

#[cfg(test)]
mod tests {
    use dbqa_core::Dialect;

    use super::*;
    use crate::testutil::table;

    fn shop() -> Schema {
        Schema::new(
            Dialect::Sqlite,
            vec![
                table("customers", "integer", &["id", "name"], &[]),
                table(
                    "employees",
                    "integer",
                    &["id", "manager_id"],
                    &[("manager_id", "employees", "id")],
                ),
                table(
                    "orders",
                    "integer",
                    &["id", "customer_id", "employee_id", "total", "status"],
                    &[
                        ("customer_id", "customers", "id"),
                        ("employee_id", "employees", "id"),
                    ],
                ),
                table(
                    "order_items",
                    "integer",
                    &["order_id", "product_id", "quantity"],
                    &[
                        ("order_id", "orders", "id"),
                        ("product_id", "products", "id"),
                    ],
                ),
                table("products", "integer", &["id", "name"], &[]),
            ],
        )
    }

    fn check(sql: &str, named: &[&str], expect: Option<&str>) {
        let got = unnest_aggregates(sql, &shop(), named).map(|u| u.sql);
        assert_eq!(got.as_deref(), expect, "{sql}");
    }

    #[test]
    fn an_aggregate_of_an_aggregate_becomes_two_steps() {
        check(
            "SELECT AVG(COUNT(*)) FROM orders GROUP BY customer_id",
            &[],
            Some(
                "SELECT AVG(per_group.value_1) FROM (SELECT COUNT(*) AS value_1 FROM orders GROUP BY customer_id) AS per_group",
            ),
        );
        check(
            "SELECT MAX(SUM(o.total)) AS best, MIN(SUM(o.total)) AS worst FROM orders AS o WHERE o.status <> 'cancelled' GROUP BY o.customer_id HAVING COUNT(*) > 1",
            &[],
            Some(
                "SELECT MAX(per_group.value_1) AS best, MIN(per_group.value_2) AS worst FROM (SELECT SUM(o.total) AS value_1, SUM(o.total) AS value_2 FROM orders AS o WHERE o.status <> 'cancelled' GROUP BY o.customer_id HAVING COUNT(*) > 1) AS per_group",
            ),
        );
    }

    #[test]
    fn without_a_grouping_the_key_to_the_named_table_groups() {
        // "On average, how many different products are in an order?": the products are
        // what is counted, so the group is the order.
        check(
            "SELECT AVG(COUNT(DISTINCT i.product_id)) FROM order_items AS i",
            &["orders", "products"],
            Some(
                "SELECT AVG(per_group.value_1) FROM (SELECT COUNT(DISTINCT i.product_id) AS value_1 FROM order_items AS i GROUP BY i.order_id) AS per_group",
            ),
        );
        // "the average number of orders a customer places"
        check(
            "SELECT AVG(COUNT(*)) FROM orders",
            &["orders", "customers"],
            Some(
                "SELECT AVG(per_group.value_1) FROM (SELECT COUNT(*) AS value_1 FROM orders GROUP BY orders.customer_id) AS per_group",
            ),
        );
        // A self-reference counts like any key: "employees per manager" names employees.
        check(
            "SELECT MAX(COUNT(id)) FROM employees",
            &["employees"],
            Some(
                "SELECT MAX(per_group.value_1) FROM (SELECT COUNT(id) AS value_1 FROM employees GROUP BY employees.manager_id) AS per_group",
            ),
        );
    }

    #[test]
    fn what_it_cannot_read_for_certain_is_left_alone() {
        // No grouping and no named table a key leads to, or two: what a group is
        // cannot be told.
        check("SELECT AVG(COUNT(*)) FROM orders", &[], None);
        check("SELECT AVG(COUNT(*)) FROM orders", &["products"], None);
        check(
            "SELECT AVG(COUNT(*)) FROM orders",
            &["customers", "employees"],
            None,
        );
        // The only key to a named table is the column counted.
        check(
            "SELECT AVG(COUNT(product_id)) FROM order_items",
            &["products"],
            None,
        );
        // A join: which table's key would group?
        check(
            "SELECT AVG(COUNT(*)) FROM orders JOIN customers ON customers.id = orders.customer_id",
            &["customers"],
            None,
        );
        // Nothing nested.
        check(
            "SELECT AVG(total) FROM orders GROUP BY customer_id",
            &[],
            None,
        );
        check("SELECT COUNT(*) FROM orders", &["customers"], None);
        // A column beside the nested aggregate: which group's value would it be?
        check(
            "SELECT customer_id, AVG(COUNT(*)) FROM orders GROUP BY customer_id",
            &[],
            None,
        );
        // An expression around the aggregate, an ordering, DISTINCT, a window.
        check(
            "SELECT 1 + AVG(COUNT(*)) FROM orders GROUP BY customer_id",
            &[],
            None,
        );
        check(
            "SELECT AVG(COUNT(*)) AS n FROM orders GROUP BY customer_id ORDER BY n",
            &[],
            None,
        );
        check(
            "SELECT DISTINCT AVG(COUNT(*)) FROM orders GROUP BY customer_id",
            &[],
            None,
        );
        check(
            "SELECT AVG(DISTINCT COUNT(*)) FROM orders GROUP BY customer_id",
            &[],
            None,
        );
        check(
            "SELECT AVG(COUNT(*)) OVER () FROM orders GROUP BY customer_id",
            &[],
            None,
        );
        // Not an aggregate this repair knows, and not one statement of one select.
        check(
            "SELECT GROUP_CONCAT(COUNT(*)) FROM orders GROUP BY customer_id",
            &[],
            None,
        );
        check(
            "SELECT AVG(COUNT(*)) FROM orders GROUP BY id UNION SELECT 1",
            &[],
            None,
        );
        check(
            "WITH t AS (SELECT 1 AS x) SELECT AVG(COUNT(x)) FROM t GROUP BY x",
            &[],
            None,
        );
        check("DELETE FROM orders", &["customers"], None);
        check(
            "SELECT AVG(COUNT(*)) FROM orders; SELECT 1",
            &["customers"],
            None,
        );
    }
}
