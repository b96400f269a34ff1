//! A view's key, read from its definition: the view column that carries a base table's
//! unique column once per view row (`order_id` of a view `SELECT o.id AS order_id, …
//! FROM orders AS o JOIN order_items AS i ON … GROUP BY o.id`). Databases declare no
//! keys on views; knowing this one lets the lookup join reach a view from the table it
//! summarises (`LEFT JOIN order_totals ON order_totals.order_id = o.id`) without
//! multiplying rows.
//!
//! A column is a key only when certain: the view is one plain `SELECT` (no CTE or set
//! operation) and either groups by columns of one table that include a unique column of
//! it, or reads a single table with no grouping; the column projects that unique column.

use dbqa_core::{Schema, Table};
use sqlparser::ast::{
    Expr, GroupByExpr, Select, SelectItem, Statement, TableFactor, TableWithJoins,
};

/// `view.column` holds `table.table_column`, a unique column of `table`, once per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ViewKey {
    /// The view's column, as the catalog spells it.
    pub column: String,
    /// The base table whose unique column the view carries.
    pub table: String,
    /// That unique column.
    pub table_column: String,
}

/// The key of `view` as its definition shows it; `None` for a table, a view without a
/// readable definition, or one whose rows no single base-table key identifies.
pub(crate) fn view_key(view: &Table, schema: &Schema) -> Option<ViewKey> {
    let definition = view.definition.as_deref()?;
    let statements = crate::guard::parse(definition, schema.dialect).ok()?;
    let [statement] = statements.as_slice() else {
        return None;
    };
    let query = match statement {
        Statement::CreateView(create) => &create.query,
        Statement::Query(query) => query,
        _ => return None,
    };
    let select = crate::syntax::query_select(query)?;
    let relations = relations(&select.from, schema);
    let (relation, key) = unique_source(select, &relations)?;
    let column = select.projection.iter().find_map(|item| {
        let (expr, name) = match item {
            SelectItem::ExprWithAlias { expr, alias } => (expr, alias.value.as_str()),
            SelectItem::UnnamedExpr(expr) => (expr, last_name(expr)?),
            _ => return None,
        };
        (resolve(expr, &relations)? == (relation, key)).then_some(name)
    })?;
    let column = view.column(column)?;
    Some(ViewKey {
        column: column.name.clone(),
        table: relations[relation].table.name.clone(),
        table_column: key.to_string(),
    })
}

/// A table the view reads and the name its columns are qualified with.
struct Source<'s> {
    table: &'s Table,
    qualifier: String,
}

/// Every table of the `FROM` items, joined or nested; `None` entries are left out, so a
/// view over a derived table or an unknown table resolves fewer names, never wrong ones.
fn relations<'s>(from: &[TableWithJoins], schema: &'s Schema) -> Vec<Source<'s>> {
    let mut out = Vec::new();
    for item in from {
        collect(&item.relation, schema, &mut out);
        for join in &item.joins {
            collect(&join.relation, schema, &mut out);
        }
    }
    out
}

fn collect<'s>(factor: &TableFactor, schema: &'s Schema, out: &mut Vec<Source<'s>>) {
    match factor {
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => {
            out.extend(relations(std::slice::from_ref(table_with_joins), schema));
        }
        _ => {
            if let Some((table, qualifier)) = crate::lookup::table_of(factor, schema) {
                out.push(Source {
                    table,
                    qualifier: qualifier.value,
                });
            }
        }
    }
}

/// Which read table's unique column identifies a view row: one among the `GROUP BY`
/// columns when they all come from that table, or the single table's own when the view
/// neither groups nor joins.
fn unique_source<'s>(select: &Select, relations: &[Source<'s>]) -> Option<(usize, &'s str)> {
    let GroupByExpr::Expressions(grouped, _) = &select.group_by else {
        return None;
    };
    if grouped.is_empty() {
        let [only] = relations else {
            return None;
        };
        let single = select.from.len() == 1 && select.from[0].joins.is_empty();
        let key = only
            .table
            .columns
            .iter()
            .find(|c| only.table.is_unique_column(&c.name));
        return single.then_some((0, key?.name.as_str()));
    }
    let resolved: Vec<(usize, &str)> = grouped
        .iter()
        .map(|e| resolve(e, relations))
        .collect::<Option<_>>()?;
    let (relation, _) = *resolved.first()?;
    if resolved.iter().any(|(r, _)| *r != relation) {
        return None;
    }
    let table = relations[relation].table;
    let (_, key) = resolved
        .into_iter()
        .find(|(_, column)| table.is_unique_column(column))?;
    Some((relation, table.column(key)?.name.as_str()))
}

/// The read table and the column `expr` names: `q.column` by its qualifier, a bare
/// `column` when exactly one read table has it.
fn resolve<'s>(expr: &Expr, relations: &[Source<'s>]) -> Option<(usize, &'s str)> {
    let (qualifier, name) = match expr {
        Expr::Nested(inner) => return resolve(inner, relations),
        Expr::Identifier(ident) => (None, &ident.value),
        Expr::CompoundIdentifier(idents) => match idents.as_slice() {
            [.., qualifier, name] => (Some(&qualifier.value), &name.value),
            _ => return None,
        },
        _ => return None,
    };
    let mut matches = relations.iter().enumerate().filter(|(_, r)| {
        qualifier.is_none_or(|q| r.qualifier.eq_ignore_ascii_case(q))
            && r.table.column(name).is_some()
    });
    let (index, relation) = matches.next()?;
    if matches.next().is_some() {
        return None;
    }
    Some((index, relation.table.column(name)?.name.as_str()))
}

/// The name a column gets when projected without an alias.
fn last_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Identifier(ident) => Some(&ident.value),
        Expr::CompoundIdentifier(idents) => idents.last().map(|i| i.value.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use dbqa_core::{Dialect, PrimaryKey, TableKind};

    use super::*;

    fn keyed(name: &str, columns: &[&str]) -> Table {
        let mut table = crate::testutil::table(name, "text", columns, &[]);
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec![columns[0].to_string()],
        });
        table
    }

    fn view(name: &str, columns: &[&str], definition: &str) -> Table {
        let mut view = crate::testutil::table(name, "text", columns, &[]);
        view.kind = TableKind::View;
        view.definition = Some(definition.to_string());
        view
    }

    fn key_of(dialect: Dialect, definition: &str, columns: &[&str]) -> Option<ViewKey> {
        let schema = Schema::new(
            dialect,
            vec![
                keyed("orders", &["id", "customer_id", "status"]),
                crate::testutil::table("order_items", "text", &["order_id", "quantity"], &[]),
                view("summary", columns, definition),
            ],
        );
        view_key(&schema.tables[2], &schema)
    }

    fn key(column: &str, table: &str, table_column: &str) -> Option<ViewKey> {
        Some(ViewKey {
            column: column.into(),
            table: table.into(),
            table_column: table_column.into(),
        })
    }

    #[test]
    fn a_view_grouped_by_a_tables_key_is_keyed_by_it() {
        // SQLite reports the whole CREATE VIEW; other columns of the same table may be
        // grouped too.
        assert_eq!(
            key_of(
                Dialect::Sqlite,
                "CREATE VIEW summary AS SELECT o.id AS order_id, o.status, SUM(i.quantity) AS n FROM orders AS o JOIN order_items AS i ON i.order_id = o.id GROUP BY o.id, o.status",
                &["order_id", "status", "n"],
            ),
            key("order_id", "orders", "id")
        );
        // PostgreSQL reports the query alone, with the join in parentheses.
        assert_eq!(
            key_of(
                Dialect::Postgres,
                "SELECT o.id AS order_id, sum(i.quantity) AS n FROM (orders o JOIN order_items i ON ((i.order_id = o.id))) GROUP BY o.id;",
                &["order_id", "n"],
            ),
            key("order_id", "orders", "id")
        );
        // MySQL qualifies with the database and quotes every name; unaliased, the
        // column keeps its name.
        assert_eq!(
            key_of(
                Dialect::MySql,
                "select `o`.`id` AS `id`,sum(`i`.`quantity`) AS `n` from (`shop`.`orders` `o` join `shop`.`order_items` `i` on(`i`.`order_id` = `o`.`id`)) group by `o`.`id`",
                &["id", "n"],
            ),
            key("id", "orders", "id")
        );
        // A plain filter over one table keeps its rows, hence its key.
        assert_eq!(
            key_of(
                Dialect::Sqlite,
                "SELECT id, status FROM orders WHERE status <> 'cancelled'",
                &["id", "status"],
            ),
            key("id", "orders", "id")
        );
    }

    #[test]
    fn no_key_where_rows_are_not_one_per_key() {
        for (definition, columns) in [
            // Grouped by a column that is no key.
            (
                "SELECT o.customer_id, COUNT(*) AS n FROM orders AS o GROUP BY o.customer_id",
                &["customer_id", "n"][..],
            ),
            // Grouped by columns of two tables.
            (
                "SELECT o.id, i.quantity, COUNT(*) AS n FROM orders AS o JOIN order_items AS i ON i.order_id = o.id GROUP BY o.id, i.quantity",
                &["id", "quantity", "n"][..],
            ),
            // A join without grouping repeats an order per item.
            (
                "SELECT o.id, i.quantity FROM orders AS o JOIN order_items AS i ON i.order_id = o.id",
                &["id", "quantity"][..],
            ),
            // The key is grouped but not projected.
            ("SELECT COUNT(*) AS n FROM orders GROUP BY id", &["n"][..]),
            // A set operation can repeat keys.
            (
                "SELECT id FROM orders UNION ALL SELECT id FROM orders",
                &["id"][..],
            ),
        ] {
            assert_eq!(
                key_of(Dialect::Sqlite, definition, columns),
                None,
                "{definition}"
            );
        }
    }
}
