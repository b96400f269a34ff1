//! A repair for a query that reads a column from a table it never joined
//! (`SELECT SUM(quantity) FROM order_items WHERE status <> 'cancelled'`, where `status` is
//! a column of `orders`): when the database said the column does not exist, the table
//! that has it is joined along the foreign key one of the query's tables holds to it
//! (`LEFT JOIN orders ON orders.id = order_items.order_id`). The agent tries this after
//! [`requalify_columns`](crate::requalify_columns) found nothing to move; what it gives
//! goes through [`Guard::check`](crate::Guard::check) like any other SQL, so a table the
//! lists refuse stays refused.
//!
//! Only a lookup join is added: a `LEFT JOIN` from a table of the top-level `FROM` along
//! its own single-column key to a unique column (the primary key or a unique index), or
//! to a table whose own unique key references it (a one-to-one extension), or to a view
//! keyed by it as the view's definition shows (`order_totals.order_id = orders.id`), so
//! every row the query read stays, once. Nothing is added when the query's own tables
//! have the column, when several tables reached so have it or one is reached along
//! several keys, when a subquery names the column other than as a column of its own
//! tables (the join lands at the top level, out of the subquery's scope), when the
//! statement has a CTE, a derived table, a set operation or a bare `*`, or when it reads
//! tables of unknown columns.

use std::ops::ControlFlow;

use dbqa_core::{Dialect, Schema, Table};
use sqlparser::ast::{
    Expr, Ident, Join, Query, Select, SelectItem, SetExpr, Statement, TableFactor, TableWithJoins,
    Visit, Visitor, visit_expressions_mut,
};

use crate::requalify::{Relation, Relations};
use crate::view_key::{ViewKey, view_key};

/// A statement with the table that has a missing column joined in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupJoined {
    /// The statement rendered after the repair.
    pub sql: String,
    /// The join added (`LEFT JOIN orders ON orders.id = order_items.order_id`).
    pub join: String,
    /// The table joined in.
    pub table: String,
}

/// `sql` with the one table of `schema` that has `column` and that a foreign key of one
/// of the statement's top-level tables references, joined along that key; `None` when
/// no such join is certain.
///
/// Columns written as `q.column` with a qualifier whose table lacks it are requalified
/// with the joined table.
///
/// ```
/// use dbqa_core::{Column, Dialect, ForeignKey, PrimaryKey, Schema, Table};
/// use dbqa_guard::join_missing_column;
///
/// let column = |name: &str| Column::new(name, "text");
/// let mut orders = Table::new("orders", vec![column("id"), column("status")]);
/// orders.primary_key = Some(PrimaryKey { name: None, columns: vec!["id".into()] });
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
///     "SELECT SUM(quantity) FROM order_items LEFT JOIN orders ON orders.id = order_items.order_id WHERE status <> 'cancelled'"
/// );
/// ```
pub fn join_missing_column(sql: &str, schema: &Schema, column: &str) -> Option<LookupJoined> {
    let mut statements = crate::guard::parse(sql, schema.dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    join_into(statement, schema, column, None)
}

/// [`join_missing_column`] on a parsed statement, which it changes; with `named`, only
/// that table is joined, even when a table the query reads has a column of that name
/// too (`continents.name` written beside `countries.name`).
fn join_into(
    statement: &mut Statement,
    schema: &Schema,
    column: &str,
    named: Option<&str>,
) -> Option<LookupJoined> {
    let columns_of = |name: &str| schema.column_names(name);
    let relations = Relations::of(statement, &columns_of);
    let found = relations.found;
    // The join lands at the top level: a subquery's own tables neither hold the column
    // there nor keep a table out.
    let top = Relations::top_level(statement, &columns_of);
    let read_has_it = top.iter().any(|r| r.has(column));
    if relations.unknown || top.is_empty() || (read_has_it && named.is_none()) {
        return None;
    }
    let select = plain_select(statement, schema, column)?;
    let mut holders = other_tables_with(schema, &top, column);
    if let Some(named) = named {
        holders.retain(|h| h.name.eq_ignore_ascii_case(named));
    }
    let (link, target) = lookup_link(&select.from, schema, &holders)?;
    let joined = ident(&target.name, schema.dialect);
    if top
        .iter()
        .any(|r| r.qualifier.value.eq_ignore_ascii_case(&joined.value))
    {
        return None;
    }
    let join_sql = format!(
        "LEFT JOIN {t} ON {t}.{to} = {q}.{from}",
        t = joined,
        to = ident(&link.to, schema.dialect),
        q = link.qualifier,
        from = ident(&link.from, schema.dialect),
    );
    let join = parse_join(&join_sql, schema.dialect)?;
    select.from.get_mut(link.from_index)?.joins.push(join);
    requalify_to(statement, &found, column, &joined);
    Some(LookupJoined {
        sql: statement.to_string(),
        join: join_sql,
        table: target.name.clone(),
    })
}

/// [`join_missing_column`] for a query that writes columns as `table.column` of a
/// `table` it never reads (PostgreSQL's `missing FROM-clause entry for table`): the
/// first such column decides, and only a join of that very table is kept.
///
/// ```
/// use dbqa_core::{Column, Dialect, ForeignKey, PrimaryKey, Schema, Table};
/// use dbqa_guard::join_missing_table;
///
/// let column = |name: &str| Column::new(name, "text");
/// let mut customers = Table::new("customers", vec![column("id"), column("country")]);
/// customers.primary_key = Some(PrimaryKey { name: None, columns: vec!["id".into()] });
/// let mut orders = Table::new("orders", vec![column("id"), column("customer_id")]);
/// orders.foreign_keys.push(ForeignKey::new(["customer_id"], "customers", ["id"]));
/// let schema = Schema::new(Dialect::Postgres, vec![customers, orders]);
///
/// let fixed = join_missing_table(
///     "SELECT customers.country, COUNT(*) FROM orders GROUP BY customers.country",
///     &schema,
///     "customers",
/// )
/// .expect("joined");
/// assert_eq!(
///     fixed.sql,
///     "SELECT customers.country, COUNT(*) FROM orders LEFT JOIN customers ON customers.id = orders.customer_id GROUP BY customers.country"
/// );
/// ```
pub fn join_missing_table(sql: &str, schema: &Schema, table: &str) -> Option<LookupJoined> {
    let mut statements = crate::guard::parse(sql, schema.dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let mut column = None;
    let _ = sqlparser::ast::visit_expressions(&*statement, |expr| {
        if let Expr::CompoundIdentifier(idents) = expr
            && let [qualifier, name] = idents.as_slice()
            && qualifier.value.eq_ignore_ascii_case(table)
        {
            column = Some(name.value.clone());
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    join_into(statement, schema, &column?, Some(table))
}

/// The tables of `schema` the statement does not read that have `column`.
fn other_tables_with<'s>(schema: &'s Schema, read: &[Relation], column: &str) -> Vec<&'s Table> {
    schema
        .tables
        .iter()
        .filter(|t| !read.iter().any(|r| r.table.eq_ignore_ascii_case(&t.name)))
        .filter(|t| t.column(column).is_some())
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

/// The one key from a table of `from` (the top-level `FROM` items) to a unique column of
/// one of `holders`, with the table it references.
fn lookup_link<'s>(
    from: &[TableWithJoins],
    schema: &Schema,
    holders: &[&'s Table],
) -> Option<(Link, &'s Table)> {
    // A view's key comes from parsing its definition: once per holder, not per table.
    let view_keys: Vec<Option<ViewKey>> = holders.iter().map(|h| view_key(h, schema)).collect();
    let mut links = Vec::new();
    for (index, item) in from.iter().enumerate() {
        let factors = std::iter::once(&item.relation).chain(item.joins.iter().map(|j| &j.relation));
        for factor in factors {
            let Some((table, qualifier)) = table_of(factor, schema) else {
                continue;
            };
            for (holder, viewed) in holders.iter().zip(&view_keys) {
                for (from, to) in unique_keys_to(table, holder, viewed.as_ref()) {
                    let link = Link {
                        from_index: index,
                        qualifier: qualifier.clone(),
                        from,
                        to,
                    };
                    links.push((link, *holder));
                }
            }
        }
    }
    let [link] = <[(Link, &Table); 1]>::try_from(links).ok()?;
    Some(link)
}

/// The `(column of table, unique column of holder)` pairs that join `holder` to `table`
/// at most once per row: `table`'s key to a unique column of `holder`, `holder`'s own
/// unique key to `table` (a one-to-one extension), or a view's key read from its
/// definition (`viewed`, from [`view_key`]).
fn unique_keys_to(
    table: &Table,
    holder: &Table,
    viewed: Option<&ViewKey>,
) -> Vec<(String, String)> {
    let named = |name: &str, t: &Table| name.eq_ignore_ascii_case(&t.name);
    let forward = table
        .single_column_keys()
        .filter(|(_, referenced, to)| named(referenced, holder) && holder.is_unique_column(to))
        .map(|(key, _, to)| (key.to_string(), to.to_string()));
    let backward = holder
        .single_column_keys()
        .filter(|(key, referenced, _)| named(referenced, table) && holder.is_unique_column(key))
        .map(|(key, _, to)| (to.to_string(), key.to_string()));
    let viewed = viewed
        .filter(|k| named(&k.table, table))
        .map(|k| (k.table_column.clone(), k.column.clone()));
    forward.chain(backward).chain(viewed).collect()
}

/// The schema table of a `FROM` item and the qualifier it is written with.
pub(crate) fn table_of<'s>(factor: &TableFactor, schema: &'s Schema) -> Option<(&'s Table, Ident)> {
    let TableFactor::Table { name, alias, .. } = factor else {
        return None;
    };
    let written = name.0.last().and_then(|part| part.as_ident())?;
    let table = schema.table(&written.value)?;
    Some((table, alias.as_ref().map_or(written, |a| &a.name).clone()))
}

/// The statement's `SELECT` when it is one plain select: no CTE or set operation, no
/// subquery that mentions `column` other than as a column of its own tables (the join
/// goes to the top level, where only the outer query's names can mean it), and no bare
/// `*` (which the new table's columns would widen).
fn plain_select<'s>(
    statement: &'s mut Statement,
    schema: &Schema,
    column: &str,
) -> Option<&'s mut Select> {
    if subquery_mentions(statement, schema, column) {
        return None;
    }
    let select = crate::syntax::select_of_mut(statement)?;
    let bare_star = select
        .projection
        .iter()
        .any(|item| matches!(item, SelectItem::Wildcard(_)));
    (!bare_star).then_some(select)
}

/// Whether a query inside `statement` (not the statement itself) names `column`, bare
/// or qualified, other than as a column of a table of its own `FROM` (`SELECT
/// MAX(height) FROM people` reads its own `people.height` whatever the outer query
/// joins: a name resolves in the innermost query that has it).
fn subquery_mentions(statement: &Statement, schema: &Schema, column: &str) -> bool {
    struct Mentions<'c> {
        schema: &'c Schema,
        column: &'c str,
        /// Per query entered: the qualifiers of its own tables that hold the column.
        holders: Vec<Vec<String>>,
    }
    impl Mentions<'_> {
        fn holders_in(&self, query: &Query) -> Vec<String> {
            let SetExpr::Select(select) = query.body.as_ref() else {
                return Vec::new();
            };
            let factors = select.from.iter().flat_map(|item| {
                std::iter::once(&item.relation).chain(item.joins.iter().map(|j| &j.relation))
            });
            factors
                .filter(|factor| {
                    table_of(factor, self.schema)
                        .is_some_and(|(t, _)| t.column(self.column).is_some())
                })
                .filter_map(crate::syntax::table_qualifier)
                .collect()
        }
    }
    impl Visitor for Mentions<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            let holders = self.holders_in(query);
            self.holders.push(holders);
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
            self.holders.pop();
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            let (qualifier, named) = match expr {
                Expr::Identifier(ident) => (None, ident),
                Expr::CompoundIdentifier(idents) => match idents.as_slice() {
                    [.., qualifier, named] => (Some(qualifier), named),
                    _ => return ControlFlow::Continue(()),
                },
                _ => return ControlFlow::Continue(()),
            };
            if self.holders.len() <= 1 || !named.value.eq_ignore_ascii_case(self.column) {
                return ControlFlow::Continue(());
            }
            let own = self.holders.last().map(Vec::as_slice).unwrap_or_default();
            let local = match qualifier {
                None => !own.is_empty(),
                Some(q) => own.iter().any(|h| h.eq_ignore_ascii_case(&q.value)),
            };
            if local {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        }
    }
    let mut mentions = Mentions {
        schema,
        column,
        holders: Vec::new(),
    };
    statement.visit(&mut mentions).is_break()
}

/// `LEFT JOIN …` parsed as the dialect reads it.
pub(crate) fn parse_join(join: &str, dialect: Dialect) -> Option<Join> {
    let sql = format!("SELECT 1 FROM placeholder {join}");
    let mut parsed = crate::guard::parse(&sql, dialect).ok()?;
    let Some(Statement::Query(query)) = parsed.pop() else {
        return None;
    };
    let SetExpr::Select(mut select) = *query.body else {
        return None;
    };
    select.from.pop()?.joins.pop()
}

/// A name as an identifier: bare when it is a plain lower-case word that is no reserved
/// word, quoted the dialect's way else (a name the join cannot parse with is no repair).
pub(crate) fn ident(name: &str, dialect: Dialect) -> Ident {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !crate::walk::is_reserved_word(name);
    if plain {
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
fn requalify_to(statement: &mut Statement, found: &[Relation], column: &str, joined: &Ident) {
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
    use dbqa_core::PrimaryKey;

    use super::*;

    /// customers 1-n orders 1-n order_items n-1 products; flights hold two keys to
    /// airports.
    fn shop() -> Schema {
        let table = |name: &str, columns: &[&str], keys: &[(&str, &str, &str)]| {
            crate::testutil::keyed_table(name, "text", columns, keys)
        };
        let mut schema = Schema::new(
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
        );
        // An order's items are keyed by order and product together.
        schema.tables[2].primary_key = Some(PrimaryKey {
            name: None,
            columns: vec!["order_id".into(), "product_id".into()],
        });
        schema
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
                "SELECT strftime('%Y', order_date), SUM(i.quantity) FROM order_items AS i LEFT JOIN orders ON orders.id = i.order_id GROUP BY 1"
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
                "SELECT orders.status, COUNT(*) FROM order_items AS i LEFT JOIN orders ON orders.id = i.order_id GROUP BY orders.status"
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
                "SELECT name, SUM(quantity) FROM order_items LEFT JOIN products ON products.id = order_items.product_id GROUP BY name"
            )
        );
        // A subquery elsewhere in the statement, which does not name the column, stays.
        assert_eq!(
            joined(
                "SELECT SUM(i.quantity) FROM order_items AS i WHERE i.product_id IN (SELECT id FROM products WHERE name = 'Milk') AND i.status <> 'cancelled'",
                "status"
            )
            .as_deref(),
            Some(
                "SELECT SUM(i.quantity) FROM order_items AS i LEFT JOIN orders ON orders.id = i.order_id WHERE i.product_id IN (SELECT id FROM products WHERE name = 'Milk') AND orders.status <> 'cancelled'"
            )
        );
        // A subquery that reads the column from its own table, even the table joined:
        // its name resolves there, whatever the outer query joins.
        assert_eq!(
            joined(
                "SELECT quantity FROM order_items WHERE order_date = (SELECT MAX(order_date) FROM orders)",
                "order_date"
            )
            .as_deref(),
            Some(
                "SELECT quantity FROM order_items LEFT JOIN orders ON orders.id = order_items.order_id WHERE order_date = (SELECT MAX(order_date) FROM orders)"
            )
        );
        assert_eq!(
            joined(
                "SELECT i.quantity FROM order_items AS i WHERE i.status = 'open' AND EXISTS (SELECT 1 FROM orders AS o WHERE o.status = 'open')",
                "status"
            )
            .as_deref(),
            Some(
                "SELECT i.quantity FROM order_items AS i LEFT JOIN orders ON orders.id = i.order_id WHERE orders.status = 'open' AND EXISTS (SELECT 1 FROM orders AS o WHERE o.status = 'open')"
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
                "SELECT p.name FROM products AS p JOIN order_items AS i ON i.product_id = p.id LEFT JOIN orders ON orders.id = i.order_id WHERE status = 'cancelled'"
            )
        );
    }

    #[test]
    fn a_name_that_needs_quotes_is_quoted() {
        let mut schema = shop();
        schema.tables.retain(|t| t.name != "flights");
        let routes = crate::testutil::table(
            "routes",
            "text",
            &["id", "source"],
            &[("source", "Airports", "code")],
        );
        schema.tables.push(routes);
        let fixed =
            join_missing_column("SELECT city FROM routes", &schema, "city").expect("joined");
        assert_eq!(
            fixed.sql,
            "SELECT city FROM routes LEFT JOIN \"Airports\" ON \"Airports\".code = routes.source"
        );
        assert_eq!(fixed.table, "Airports");
        assert_eq!(ident("order", Dialect::MySql).to_string(), "`order`");
        assert_eq!(ident("id", Dialect::Postgres).to_string(), "id");
    }

    #[test]
    fn a_table_written_but_never_read_is_joined_when_a_key_leads_there() {
        let joined =
            |sql: &str, table: &str| join_missing_table(sql, &shop(), table).map(|j| j.sql);
        assert_eq!(
            joined(
                "SELECT orders.status, SUM(i.quantity) FROM order_items AS i GROUP BY orders.status",
                "orders"
            )
            .as_deref(),
            Some(
                "SELECT orders.status, SUM(i.quantity) FROM order_items AS i LEFT JOIN orders ON orders.id = i.order_id GROUP BY orders.status"
            )
        );
        // Orders have an `id` too, but the query wrote customers' own.
        assert_eq!(
            joined(
                "SELECT customers.id, COUNT(*) FROM orders AS o GROUP BY customers.id",
                "customers"
            )
            .as_deref(),
            Some(
                "SELECT customers.id, COUNT(*) FROM orders AS o LEFT JOIN customers ON customers.id = o.customer_id GROUP BY customers.id"
            )
        );
        // No key of the query's tables leads to customers; nothing names `products`.
        assert_eq!(
            joined("SELECT customers.country FROM order_items", "customers"),
            None
        );
        assert_eq!(
            joined("SELECT orders.status FROM order_items", "products"),
            None
        );
    }

    #[test]
    fn a_key_to_a_column_that_is_not_unique_is_no_lookup() {
        let mut schema = shop();
        for table in &mut schema.tables {
            if table.name == "orders" {
                table.primary_key = None;
            }
        }
        assert_eq!(
            join_missing_column("SELECT status FROM order_items", &schema, "status"),
            None
        );
        // A unique index serves as well as the primary key.
        for table in &mut schema.tables {
            if table.name == "orders" {
                table.indexes.push(dbqa_core::Index {
                    name: "orders_id".into(),
                    columns: vec!["id".into()],
                    unique: true,
                });
            }
        }
        assert!(join_missing_column("SELECT status FROM order_items", &schema, "status").is_some());
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
            // A subquery: the join would land outside the scope the column is missing in.
            (
                "SELECT i.quantity FROM order_items AS i WHERE i.product_id IN (SELECT p.id FROM products AS p WHERE p.status = 'x')",
                "status",
            ),
            (
                "SELECT i.quantity FROM order_items AS i WHERE EXISTS (SELECT 1 FROM products AS p WHERE p.id = i.product_id AND status = 'x')",
                "status",
            ),
            // A bare `*` would widen with the new table's columns.
            ("SELECT * FROM order_items WHERE status = 'open'", "status"),
            // Items hang off orders many to one: joining them would repeat orders.
            ("SELECT o.quantity FROM orders AS o", "quantity"),
            // A table the query reads has the column (the fault is elsewhere).
            ("SELECT i.quantity FROM order_items AS i", "quantity"),
        ] {
            assert_eq!(joined(sql, column), None, "{sql}");
        }
    }

    /// The shop with a view summing each order's items and a one-to-one extension of
    /// customers.
    fn shop_with_view() -> Schema {
        let mut schema = shop();
        let mut totals = crate::testutil::table(
            "order_totals",
            "text",
            &["order_id", "customer_id", "total"],
            &[],
        );
        totals.kind = dbqa_core::TableKind::View;
        totals.definition = Some(
            "SELECT o.id AS order_id, o.customer_id, SUM(i.quantity) AS total FROM orders AS o JOIN order_items AS i ON i.order_id = o.id GROUP BY o.id".into(),
        );
        let mut profiles = crate::testutil::table(
            "profiles",
            "text",
            &["customer_id", "loyalty_tier"],
            &[("customer_id", "customers", "id")],
        );
        profiles.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec!["customer_id".into()],
        });
        // A second view over orders that no key identifies.
        let mut per_status =
            crate::testutil::table("per_status", "text", &["status", "orders_n"], &[]);
        per_status.kind = dbqa_core::TableKind::View;
        per_status.definition =
            Some("SELECT status, COUNT(*) AS orders_n FROM orders GROUP BY status".into());
        schema.tables.extend([totals, profiles, per_status]);
        schema
    }

    #[test]
    fn a_view_or_extension_keyed_by_the_tables_key_is_joined() {
        let joined = |sql: &str, column: &str| {
            join_missing_column(sql, &shop_with_view(), column).map(|j| j.sql)
        };
        assert_eq!(
            joined(
                "SELECT c.name, SUM(o.total) FROM customers AS c JOIN orders AS o ON o.customer_id = c.id GROUP BY c.name",
                "total"
            )
            .as_deref(),
            Some(
                "SELECT c.name, SUM(order_totals.total) FROM customers AS c JOIN orders AS o ON o.customer_id = c.id LEFT JOIN order_totals ON order_totals.order_id = o.id GROUP BY c.name"
            )
        );
        assert_eq!(
            joined(
                "SELECT c.loyalty_tier, COUNT(*) FROM customers AS c GROUP BY c.loyalty_tier",
                "loyalty_tier"
            )
            .as_deref(),
            Some(
                "SELECT profiles.loyalty_tier, COUNT(*) FROM customers AS c LEFT JOIN profiles ON profiles.customer_id = c.id GROUP BY profiles.loyalty_tier"
            )
        );
        // Grouped by status, the view has many orders per row: no lookup.
        assert_eq!(
            joined("SELECT o.orders_n FROM orders AS o", "orders_n"),
            None
        );
    }
}
