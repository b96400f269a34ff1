//! A repair for a membership subquery that reads a column its one table lacks
//! (`WHERE id NOT IN (SELECT customer_id FROM order_items)`, where `customer_id` is a
//! column of `orders`): when the database said the column does not exist, the table that
//! has it is joined inside the subquery along the foreign key between the two
//! (`JOIN orders ON orders.id = order_items.order_id`), and the column is read from it.
//! [`join_missing_column`](crate::join_missing_column) joins at the top level only, so a
//! subquery's column was left to the model, which small models repeat unchanged.
//!
//! Only subqueries of `IN`, `NOT IN` and `EXISTS` are repaired: they test membership, so
//! the rows an inner join repeats or drops along a one-to-many key change nothing a
//! match could. The subquery must read one table of known columns, with no join, and
//! exactly one table linked to it by a single-column foreign key (either way) must have
//! the column. Nothing is done when several subqueries qualify, or when the joined
//! table's name is already a qualifier of the statement (a correlated outer column
//! would then bind to the new join). What it gives goes through
//! [`Guard::check`](crate::Guard::check) like any other SQL.

use std::ops::ControlFlow;

use dbqa_core::{Schema, Table};
use sqlparser::ast::{
    Expr, Ident, InTarget, Query, Select, SetExpr, Statement, Visit, visit_expressions,
    visit_expressions_mut,
};

use crate::LookupJoined;
use crate::lookup::{ident, parse_join, table_of};

/// `sql` with the table that has `column` joined inside the one membership subquery that
/// reads `column` from a table lacking it; `None` when no such join is certain.
///
/// ```
/// use dbqa_core::{Column, Dialect, ForeignKey, PrimaryKey, Schema, Table};
/// use dbqa_guard::join_missing_column_in_subquery;
///
/// let column = |name: &str| Column::new(name, "integer");
/// let mut customers = Table::new("customers", vec![column("id")]);
/// customers.primary_key = Some(PrimaryKey { name: None, columns: vec!["id".into()] });
/// let mut orders = Table::new("orders", vec![column("id"), column("customer_id")]);
/// orders.primary_key = Some(PrimaryKey { name: None, columns: vec!["id".into()] });
/// orders.foreign_keys.push(ForeignKey::new(["customer_id"], "customers", ["id"]));
/// let mut items = Table::new("order_items", vec![column("order_id"), column("quantity")]);
/// items.foreign_keys.push(ForeignKey::new(["order_id"], "orders", ["id"]));
/// let schema = Schema::new(Dialect::Sqlite, vec![customers, orders, items]);
///
/// let fixed = join_missing_column_in_subquery(
///     "SELECT COUNT(*) FROM customers WHERE id NOT IN (SELECT customer_id FROM order_items)",
///     &schema,
///     "customer_id",
/// )
/// .expect("joined");
/// assert_eq!(
///     fixed.sql,
///     "SELECT COUNT(*) FROM customers WHERE id NOT IN (SELECT orders.customer_id FROM order_items JOIN orders ON orders.id = order_items.order_id)"
/// );
/// ```
pub fn join_missing_column_in_subquery(
    sql: &str,
    schema: &Schema,
    column: &str,
) -> Option<LookupJoined> {
    let mut statements = crate::guard::parse(sql, schema.dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let qualifiers = all_qualifiers(statement);
    let mut plans = Vec::new();
    let _ = visit_expressions(&*statement, |expr| {
        if let Some(query) = membership_subquery(expr)
            && let Some(plan) = plan_join(query, schema, column)
        {
            plans.push(plan);
        }
        ControlFlow::<()>::Continue(())
    });
    let [plan] = <[Plan; 1]>::try_from(plans).ok()?;
    if qualifiers
        .iter()
        .any(|q| q.eq_ignore_ascii_case(&plan.holder.name))
    {
        return None;
    }
    let joined = ident(&plan.holder.name, schema.dialect);
    let join_sql = format!(
        "JOIN {t} ON {t}.{to} = {q}.{from}",
        t = joined,
        to = ident(&plan.holder_column, schema.dialect),
        q = plan.qualifier,
        from = ident(&plan.table_column, schema.dialect),
    );
    let join = parse_join(&join_sql, schema.dialect)?;
    let mut applied = false;
    let _ = visit_expressions_mut(statement, |expr| {
        if !applied
            && let Some(select) = membership_select_mut(expr)
            && reads_missing(select, schema, column).is_some()
        {
            requalify(select, &plan.qualifier, column, &joined);
            if let Some(item) = select.from.first_mut() {
                item.joins.push(join.clone());
                applied = true;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    applied.then(|| LookupJoined {
        sql: statement.to_string(),
        join: join_sql,
        table: plan.holder.name.clone(),
    })
}

/// The join one subquery needs: its table's qualifier, the key column on its side, the
/// table that has the column and the key column on that side.
struct Plan<'s> {
    qualifier: Ident,
    table_column: String,
    holder: &'s Table,
    holder_column: String,
}

/// The query of an `IN (SELECT …)`, `NOT IN (SELECT …)` or `[NOT] EXISTS (SELECT …)`.
fn membership_subquery(expr: &Expr) -> Option<&Query> {
    match expr {
        Expr::Exists { subquery, .. } => Some(subquery),
        Expr::In {
            target: InTarget::Subquery(query),
            ..
        } => Some(query),
        _ => None,
    }
}

/// [`membership_subquery`]'s one select, to be changed.
fn membership_select_mut(expr: &mut Expr) -> Option<&mut Select> {
    let query = match expr {
        Expr::Exists { subquery, .. } => subquery,
        Expr::In {
            target: InTarget::Subquery(query),
            ..
        } => query,
        _ => return None,
    };
    if query.with.is_some() {
        return None;
    }
    match query.body.as_mut() {
        SetExpr::Select(select) => Some(select.as_mut()),
        _ => None,
    }
}

/// The join `query` needs to read `column`, when it is certain.
fn plan_join<'s>(query: &Query, schema: &'s Schema, column: &str) -> Option<Plan<'s>> {
    let select = crate::syntax::query_select(query)?;
    let (table, qualifier) = reads_missing(select, schema, column)?;
    let mut links: Vec<(&Table, String, String)> = Vec::new();
    for holder in schema.tables.iter().filter(|t| t.column(column).is_some()) {
        let named = |name: &str, t: &Table| name.eq_ignore_ascii_case(&t.name);
        for (key, referenced, to) in table.single_column_keys() {
            if named(referenced, holder) {
                links.push((holder, key.to_string(), to.to_string()));
            }
        }
        for (key, referenced, to) in holder.single_column_keys() {
            if named(referenced, table) {
                links.push((holder, to.to_string(), key.to_string()));
            }
        }
    }
    let [(holder, table_column, holder_column)] =
        <[(&Table, String, String); 1]>::try_from(links).ok()?;
    Some(Plan {
        qualifier,
        table_column,
        holder,
        holder_column,
    })
}

/// The one table `select` reads, with its qualifier, when it has no join, lacks
/// `column`, and the select writes `column` bare or with that qualifier.
fn reads_missing<'s>(
    select: &Select,
    schema: &'s Schema,
    column: &str,
) -> Option<(&'s Table, Ident)> {
    let [item] = select.from.as_slice() else {
        return None;
    };
    if !item.joins.is_empty() {
        return None;
    }
    let (table, qualifier) = table_of(&item.relation, schema)?;
    if table.column(column).is_some() {
        return None;
    }
    let mut written = false;
    let _ = visit_expressions(select, |expr| {
        written |= column_named(expr, &qualifier, column).is_some();
        ControlFlow::<()>::Continue(())
    });
    written.then_some((table, qualifier))
}

/// The name of `expr` when it is `column`, bare or written `qualifier.column`.
fn column_named<'e>(expr: &'e Expr, qualifier: &Ident, column: &str) -> Option<&'e Ident> {
    let name = match expr {
        Expr::Identifier(name) => name,
        Expr::CompoundIdentifier(idents) => match idents.as_slice() {
            [q, name] if q.value.eq_ignore_ascii_case(&qualifier.value) => name,
            _ => return None,
        },
        _ => return None,
    };
    name.value.eq_ignore_ascii_case(column).then_some(name)
}

/// `column` and `qualifier.column` in `select` become `joined.column`.
fn requalify(select: &mut Select, qualifier: &Ident, column: &str, joined: &Ident) {
    let _ = visit_expressions_mut(select, |expr| {
        if let Some(name) = column_named(expr, qualifier, column).cloned() {
            *expr = Expr::CompoundIdentifier(vec![joined.clone(), name]);
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Every qualifier a `FROM` of the statement reads a table with, at any depth.
fn all_qualifiers(statement: &Statement) -> Vec<String> {
    struct Qualifiers(Vec<String>);
    impl sqlparser::ast::Visitor for Qualifiers {
        type Break = ();
        fn pre_visit_table_factor(
            &mut self,
            factor: &sqlparser::ast::TableFactor,
        ) -> ControlFlow<()> {
            self.0.extend(crate::syntax::table_qualifier(factor));
            ControlFlow::Continue(())
        }
    }
    let mut qualifiers = Qualifiers(Vec::new());
    let _ = statement.visit(&mut qualifiers);
    qualifiers.0
}

#[cfg(test)]
mod tests {
    use dbqa_core::Dialect;

    use super::*;

    /// customers 1-n orders 1-n order_items n-1 products; `order_totals`, like a view,
    /// has `customer_id` and no keys; suppliers link to nothing.
    fn shop() -> Schema {
        let table = |name: &str, columns: &[&str], keys: &[(&str, &str, &str)]| {
            crate::testutil::keyed_table(name, "integer", columns, keys)
        };
        Schema::new(
            Dialect::Sqlite,
            vec![
                table("customers", &["id", "name"], &[]),
                table(
                    "orders",
                    &["id", "customer_id", "status"],
                    &[("customer_id", "customers", "id")],
                ),
                table(
                    "order_items",
                    &["order_id", "product_id", "quantity"],
                    &[
                        ("order_id", "orders", "id"),
                        ("product_id", "products", "id"),
                    ],
                ),
                table("products", &["id", "name", "price"], &[]),
                table("order_totals", &["order_id", "customer_id", "total"], &[]),
                table("suppliers", &["id", "name"], &[]),
            ],
        )
    }

    fn repaired(sql: &str, column: &str) -> Option<String> {
        join_missing_column_in_subquery(sql, &shop(), column).map(|j| j.sql)
    }

    #[test]
    fn the_referenced_table_is_joined_inside_the_subquery() {
        let cases = [
            (
                "SELECT name FROM customers WHERE id NOT IN (SELECT customer_id FROM order_items)",
                "customer_id",
                "SELECT name FROM customers WHERE id NOT IN (SELECT orders.customer_id FROM order_items JOIN orders ON orders.id = order_items.order_id)",
            ),
            (
                "SELECT name FROM customers AS c WHERE EXISTS (SELECT 1 FROM order_items AS i WHERE i.customer_id = c.id)",
                "customer_id",
                "SELECT name FROM customers AS c WHERE EXISTS (SELECT 1 FROM order_items AS i JOIN orders ON orders.id = i.order_id WHERE orders.customer_id = c.id)",
            ),
        ];
        for (sql, column, expected) in cases {
            assert_eq!(repaired(sql, column).as_deref(), Some(expected), "{sql}");
        }
    }

    #[test]
    fn a_table_that_references_the_subquerys_table_is_joined_too() {
        assert_eq!(
            repaired(
                "SELECT name FROM products WHERE id IN (SELECT product_id FROM orders WHERE status = 'cancelled')",
                "product_id",
            )
            .as_deref(),
            Some(
                "SELECT name FROM products WHERE id IN (SELECT order_items.product_id FROM orders JOIN order_items ON order_items.order_id = orders.id WHERE status = 'cancelled')"
            )
        );
    }

    #[test]
    fn nothing_is_joined_when_the_join_is_not_certain() {
        let cases = [
            // No table linked to suppliers has the column.
            (
                "SELECT 1 FROM customers WHERE id IN (SELECT customer_id FROM suppliers)",
                "customer_id",
            ),
            // The subquery's table has the column: the error is elsewhere.
            (
                "SELECT 1 FROM customers WHERE id IN (SELECT customer_id FROM orders)",
                "customer_id",
            ),
            // A scalar subquery counts rows the join would repeat.
            (
                "SELECT (SELECT COUNT(customer_id) FROM order_items) FROM customers",
                "customer_id",
            ),
            // The subquery already joins.
            (
                "SELECT 1 FROM customers WHERE id IN (SELECT customer_id FROM order_items JOIN products ON products.id = order_items.product_id)",
                "customer_id",
            ),
            // The outer query reads orders: a correlated `orders.x` would change meaning.
            (
                "SELECT 1 FROM orders WHERE customer_id IN (SELECT customer_id FROM order_items)",
                "customer_id",
            ),
            // Two subqueries qualify.
            (
                "SELECT 1 FROM customers WHERE id IN (SELECT customer_id FROM order_items) AND id IN (SELECT customer_id FROM order_items WHERE quantity > 1)",
                "customer_id",
            ),
        ];
        for (sql, column) in cases {
            assert_eq!(repaired(sql, column), None, "{sql}");
        }
    }
}
