//! A repair for a query that reads a column from a table it never joined
//! (`SELECT SUM(quantity) FROM order_items WHERE status <> 'cancelled'`, where `status` is
//! a column of `orders`): when the database said the column does not exist, the one table
//! of the schema that has it is joined along the foreign key one of the query's tables
//! holds to it (`JOIN orders ON orders.id = order_items.order_id`). The agent tries this
//! after [`requalify_columns`](crate::requalify_columns) found nothing to move; what it
//! gives goes through [`Guard::check`](crate::Guard::check) like any other SQL, so a table
//! the lists refuse stays refused.
//!
//! Only a lookup join is added: from a table of the query's top-level `FROM` along its
//! own single-column key, so each of its rows meets at most one row of the new table and
//! no count or sum changes by the join. Nothing is added when several tables so reached
//! have the column, when one is reached along several keys, or when the statement is not
//! one plain query over tables of known columns.

use std::ops::ControlFlow;

use dbqa_core::{Dialect, Schema, Table};
use sqlparser::ast::{
    Expr, Ident, Join, Query, SetExpr, Statement, TableFactor, visit_expressions_mut,
};

use crate::requalify::Relations;

/// A statement with the table that has a missing column joined in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupJoined {
    /// The statement rendered after the repair.
    pub sql: String,
    /// The join added (`JOIN orders ON orders.id = order_items.order_id`).
    pub join: String,
    /// The table joined in.
    pub table: String,
}

/// `sql` with the one table of `schema` that has `column` and that a foreign key of one
/// of the statement's top-level tables references, joined along that key; `None` when no
/// such join is certain.
/// Columns written as `q.column` with a qualifier whose table lacks it are requalified
/// with the joined table.
///
/// ```
/// use dbqa_core::{Column, Dialect, ForeignKey, Schema, Table};
/// use dbqa_guard::join_missing_column;
///
/// let column = |name: &str| Column::new(name, "text");
/// let orders = Table::new("orders", vec![column("id"), column("status")]);
/// let mut items = Table::new("order_items", vec![column("order_id"), column("quantity")]);
/// items.foreign_keys.push(ForeignKey::new(["order_id"], "orders", ["id"]));
/// let schema = Schema::new(Dialect::Sqlite, vec![orders, items]);
///
/// let fixed = join_missing_column(
///     "SELECT SUM(quantity) FROM order_items WHERE status <> 'cancelled'",
///     &schema,
///     "status",
/// )
/// .expect("joined");
/// assert_eq!(
///     fixed.sql,
///     "SELECT SUM(quantity) FROM order_items JOIN orders ON orders.id = order_items.order_id WHERE status <> 'cancelled'"
/// );
/// ```
pub fn join_missing_column(sql: &str, schema: &Schema, column: &str) -> Option<LookupJoined> {
    let mut statements = crate::guard::parse(sql, schema.dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let columns_of = |name: &str| schema.column_names(name);
    let relations = Relations::of(statement, &columns_of);
    if relations.unknown || relations.found.is_empty() {
        return None;
    }
    let read: Vec<&str> = relations.found.iter().map(|r| r.table.as_str()).collect();
    let holders = other_tables_with(schema, &read, column);
    let (link, target) =
        top_level_select(statement).and_then(|from| lookup_link(from, schema, &holders))?;
    let joined = ident(&target.name, schema.dialect);
    if relations
        .found
        .iter()
        .any(|r| r.qualifier.value.eq_ignore_ascii_case(&joined.value))
    {
        return None;
    }
    let join_sql = format!(
        "JOIN {t} ON {t}.{to} = {q}.{from}",
        t = render_ident(&target.name, schema.dialect),
        to = render_ident(&link.to, schema.dialect),
        q = link.qualifier,
        from = render_ident(&link.from, schema.dialect),
    );
    let join = parse_join(&join_sql, schema.dialect)?;
    top_level_from_mut(statement)?
        .get_mut(link.from_index)?
        .joins
        .push(join);
    requalify_to(statement, &relations.found, column, &joined);
    Some(LookupJoined {
        sql: statement.to_string(),
        join: join_sql,
        table: target.name.clone(),
    })
}

/// The tables of `schema`, not among `read`, that have `column`.
fn other_tables_with<'s>(schema: &'s Schema, read: &[&str], column: &str) -> Vec<&'s Table> {
    schema
        .tables
        .iter()
        .filter(|t| {
            !read.iter().any(|r| r.eq_ignore_ascii_case(&t.name))
                && t.columns
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(column))
        })
        .collect()
}

/// A top-level table's key to the table to join: which `FROM` item, the qualifier the
/// table is written with, its key column and the referenced one.
struct Link {
    from_index: usize,
    qualifier: Ident,
    from: String,
    to: String,
}

/// The one key from a table of `from` (the top-level `FROM` items) to one of `holders`,
/// with the table it references.
fn lookup_link<'s>(
    from: &[sqlparser::ast::TableWithJoins],
    schema: &Schema,
    holders: &[&'s Table],
) -> Option<(Link, &'s Table)> {
    let mut links = Vec::new();
    for (index, item) in from.iter().enumerate() {
        let factors = std::iter::once(&item.relation).chain(item.joins.iter().map(|j| &j.relation));
        for factor in factors {
            let TableFactor::Table { name, alias, .. } = factor else {
                continue;
            };
            let Some(written) = name.0.last().and_then(|part| part.as_ident()) else {
                continue;
            };
            let Some(table) = schema.table(&written.value) else {
                continue;
            };
            let qualifier = alias.as_ref().map_or(written, |a| &a.name).clone();
            for fk in &table.foreign_keys {
                if let ([from_column], [to_column]) =
                    (fk.columns.as_slice(), fk.referenced_columns.as_slice())
                    && let Some(target) = holders
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(&fk.referenced_table))
                {
                    let link = Link {
                        from_index: index,
                        qualifier: qualifier.clone(),
                        from: from_column.clone(),
                        to: to_column.clone(),
                    };
                    links.push((link, *target));
                }
            }
        }
    }
    let [link] = <[(Link, &Table); 1]>::try_from(links).ok()?;
    Some(link)
}

/// The `FROM` items of the statement's top-level `SELECT`.
fn top_level_select(statement: &Statement) -> Option<&[sqlparser::ast::TableWithJoins]> {
    let Statement::Query(query) = statement else {
        return None;
    };
    let Query {
        body, with: None, ..
    } = query.as_ref()
    else {
        return None;
    };
    match body.as_ref() {
        SetExpr::Select(select) => Some(&select.from),
        _ => None,
    }
}

fn top_level_from_mut(
    statement: &mut Statement,
) -> Option<&mut Vec<sqlparser::ast::TableWithJoins>> {
    let Statement::Query(query) = statement else {
        return None;
    };
    match query.body.as_mut() {
        SetExpr::Select(select) => Some(&mut select.from),
        _ => None,
    }
}

/// `JOIN …` parsed as the dialect reads it.
fn parse_join(join: &str, dialect: Dialect) -> Option<Join> {
    let mut parsed =
        crate::guard::parse(&format!("SELECT 1 FROM placeholder {join}"), dialect).ok()?;
    let Some(Statement::Query(query)) = parsed.pop() else {
        return None;
    };
    let SetExpr::Select(mut select) = *query.body else {
        return None;
    };
    select.from.pop()?.joins.pop()
}

/// Whether `name` needs no quotes: a plain lower-case word.
fn is_plain(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A name as SQL text: bare when plain, quoted the dialect's way else.
fn render_ident(name: &str, dialect: Dialect) -> String {
    if is_plain(name) {
        name.to_string()
    } else {
        dialect.quote_identifier(name)
    }
}

/// A name as a syntax-tree identifier, quoted as [`render_ident`] quotes it.
fn ident(name: &str, dialect: Dialect) -> Ident {
    if is_plain(name) {
        return Ident::new(name);
    }
    let quote = match dialect {
        Dialect::MySql => '`',
        Dialect::MsSql => '[',
        Dialect::Sqlite | Dialect::Postgres => '"',
    };
    Ident::with_quote(quote, name)
}

/// `q.column` with a qualifier whose table lacks `column` becomes `joined.column`.
fn requalify_to(
    statement: &mut Statement,
    found: &[crate::requalify::Relation],
    column: &str,
    joined: &Ident,
) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::CompoundIdentifier(idents) = expr
            && let [qualifier, written] = idents.as_mut_slice()
            && written.value.eq_ignore_ascii_case(column)
            && !found
                .iter()
                .any(|r| r.qualifier.value.eq_ignore_ascii_case(&qualifier.value) && r.has(column))
        {
            *qualifier = joined.clone();
        }
        ControlFlow::<()>::Continue(())
    });
}

#[cfg(test)]
mod tests {
    use dbqa_core::{Column, ForeignKey};

    use super::*;

    /// customers 1-n orders 1-n order_items n-1 products; flights hold two keys to
    /// airports.
    fn shop() -> Schema {
        let table = |name: &str, columns: &[&str], keys: &[(&str, &str, &str)]| {
            let mut table = Table::new(
                name,
                columns.iter().map(|c| Column::new(*c, "text")).collect(),
            );
            for (from, to_table, to) in keys {
                table
                    .foreign_keys
                    .push(ForeignKey::new([*from], *to_table, [*to]));
            }
            table
        };
        Schema::new(
            Dialect::Sqlite,
            vec![
                table("customers", &["id", "name", "country"], &[]),
                table(
                    "orders",
                    &["id", "customer_id", "order_date", "status"],
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
                table("products", &["id", "name", "unit_price"], &[]),
                table("Airports", &["code", "city"], &[]),
                table(
                    "flights",
                    &["id", "source", "dest"],
                    &[("source", "Airports", "code"), ("dest", "Airports", "code")],
                ),
            ],
        )
    }

    fn joined(sql: &str, column: &str) -> Option<String> {
        join_missing_column(sql, &shop(), column).map(|j| j.sql)
    }

    #[test]
    fn the_table_with_the_column_is_joined_along_the_key() {
        // Unqualified, from an aliased table: the key is written with its alias.
        assert_eq!(
            joined(
                "SELECT strftime('%Y', order_date), SUM(i.quantity) FROM order_items AS i GROUP BY 1",
                "order_date"
            )
            .as_deref(),
            Some(
                "SELECT strftime('%Y', order_date), SUM(i.quantity) FROM order_items AS i JOIN orders ON orders.id = i.order_id GROUP BY 1"
            )
        );
        // Written with the qualifier of a table that lacks it: requalified.
        assert_eq!(
            joined(
                "SELECT i.status, COUNT(*) FROM order_items AS i GROUP BY i.status",
                "status"
            )
            .as_deref(),
            Some(
                "SELECT orders.status, COUNT(*) FROM order_items AS i JOIN orders ON orders.id = i.order_id GROUP BY orders.status"
            )
        );
        // Customers have a name too, but no key of the query's tables leads there.
        assert_eq!(
            joined(
                "SELECT name, SUM(quantity) FROM order_items GROUP BY name",
                "name"
            )
            .as_deref(),
            Some(
                "SELECT name, SUM(quantity) FROM order_items JOIN products ON products.id = order_items.product_id GROUP BY name"
            )
        );
        // Two steps away is out of reach; one step from a joined table is not.
        assert_eq!(
            joined(
                "SELECT SUM(i.quantity) FROM order_items AS i JOIN products AS p ON p.id = i.product_id WHERE country = 'France'",
                "country"
            ),
            None
        );
        assert_eq!(
            joined(
                "SELECT p.name FROM products AS p JOIN order_items AS i ON i.product_id = p.id WHERE status = 'cancelled'",
                "status"
            )
            .as_deref(),
            Some(
                "SELECT p.name FROM products AS p JOIN order_items AS i ON i.product_id = p.id JOIN orders ON orders.id = i.order_id WHERE status = 'cancelled'"
            )
        );
    }

    #[test]
    fn a_name_that_needs_quotes_is_quoted() {
        let mut schema = shop();
        schema.tables.retain(|t| t.name != "flights");
        let mut routes = Table::new(
            "routes",
            vec![Column::new("id", "text"), Column::new("source", "text")],
        );
        routes
            .foreign_keys
            .push(ForeignKey::new(["source"], "Airports", ["code"]));
        schema.tables.push(routes);
        let fixed =
            join_missing_column("SELECT city FROM routes", &schema, "city").expect("joined");
        assert_eq!(
            fixed.sql,
            "SELECT city FROM routes JOIN \"Airports\" ON \"Airports\".code = routes.source"
        );
        assert_eq!(fixed.table, "Airports");
    }

    #[test]
    fn nothing_uncertain_is_joined() {
        for (sql, column) in [
            // Two tables it reaches have it.
            ("SELECT id FROM order_items", "id"),
            // Reached along two keys.
            ("SELECT city FROM flights", "city"),
            // Only against a key's direction (one customer, many orders): rows would
            // multiply.
            ("SELECT name FROM customers WHERE status = 'open'", "status"),
            // No table has it, or the query reads the one that has it.
            ("SELECT colour FROM order_items", "colour"),
            (
                "SELECT status FROM orders JOIN order_items ON order_id = id",
                "status",
            ),
            // A CTE, a derived table, a set operation, more than one statement.
            (
                "WITH x AS (SELECT * FROM order_items) SELECT status FROM x",
                "status",
            ),
            (
                "SELECT status FROM (SELECT * FROM order_items) AS x",
                "status",
            ),
            (
                "SELECT status FROM order_items UNION SELECT status FROM order_items",
                "status",
            ),
            ("SELECT status FROM order_items; SELECT 1", "status"),
        ] {
            assert_eq!(joined(sql, column), None, "{sql}");
        }
    }
}
