//! A repair for a query that joins a table the database does not have, for columns one of
//! its real tables holds (`JOIN countries AS t2 ON t1.country_code = t2.code … SELECT
//! t2.country` over an `airports` table with its own `country`): small models invent a
//! table for an attribute. When the database said the table does not exist, the join is
//! dropped and each of its columns the query reads moves to the one remaining table that
//! has it. The agent tries this after a "no such table" error; what it gives goes
//! through [`Guard::check`](crate::Guard::check) like any other SQL.
//!
//! Only a join of the top-level `FROM` is dropped, never the first table, and only when
//! every column written with the invented table's qualifier outside its `ON` has exactly
//! one table of the query holding it. Nothing is done for statements with a CTE or a set
//! operation, or with tables of unknown columns.

use std::ops::ControlFlow;

use dbqa_core::Schema;
use sqlparser::ast::{Expr, Statement, TableFactor, visit_expressions_mut};

use crate::requalify::Relations;

/// A statement without its join of a table that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unjoined {
    /// The statement rendered after the repair.
    pub sql: String,
    /// The join dropped, as written (`JOIN countries AS T2 ON T1.CountryAbbrev = T2.Code`).
    pub join: String,
    /// Each column moved, as written and as repaired (`T2.Country`, `T1.Country`).
    pub moves: Vec<(String, String)>,
}

/// `sql` without its join of `table`, which `schema` does not have, and with the columns
/// it read from that join moved to the one table of the query that has each; `None`
/// when that is not certain.
///
/// ```
/// use dbqa_core::{Column, Dialect, Schema, Table};
/// use dbqa_guard::drop_missing_join;
///
/// let columns = |names: &[&str]| names.iter().map(|n| Column::new(*n, "text")).collect();
/// let airports = Table::new("airports", columns(&["code", "city", "country"]));
/// let schema = Schema::new(Dialect::Sqlite, vec![airports]);
///
/// let fixed = drop_missing_join(
///     "SELECT a.city, c.country FROM airports AS a JOIN countries AS c ON a.code = c.code",
///     &schema,
///     "countries",
/// )
/// .expect("dropped");
/// assert_eq!(fixed.sql, "SELECT a.city, a.country FROM airports AS a");
/// ```
pub fn drop_missing_join(sql: &str, schema: &Schema, table: &str) -> Option<Unjoined> {
    let bare = table.rsplit('.').next().unwrap_or(table);
    if schema.table(bare).is_some() {
        return None;
    }
    let mut statements = crate::guard::parse(sql, schema.dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let (qualifier, join) = remove_join(statement, bare)?;
    let columns_of = |name: &str| schema.column_names(name);
    let relations = Relations::of(statement, &columns_of);
    if relations.unknown || relations.found.is_empty() {
        return None;
    }
    let mut moves = Vec::new();
    let mut certain = true;
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::CompoundIdentifier(idents) = expr
            && let [written, column] = idents.as_mut_slice()
            && written.value.eq_ignore_ascii_case(&qualifier)
        {
            let mut holders = relations.found.iter().filter(|r| r.has(&column.value));
            match (holders.next(), holders.next()) {
                (Some(holder), None) => {
                    let before = format!("{written}.{column}");
                    *written = holder.qualifier.clone();
                    moves.push((before, format!("{written}.{column}")));
                }
                _ => {
                    certain = false;
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    certain.then(|| Unjoined {
        sql: statement.to_string(),
        join,
        moves,
    })
}

/// Takes the join of `table` out of the statement's top-level `FROM`: the qualifier its
/// columns were written with and the join as written.
fn remove_join(statement: &mut Statement, table: &str) -> Option<(String, String)> {
    let select = crate::syntax::select_of_mut(statement)?;
    for item in &mut select.from {
        let Some(position) = item.joins.iter().position(|join| {
            matches!(&join.relation, TableFactor::Table { name, .. }
                if name.0.last().and_then(|p| p.as_ident()).is_some_and(|i| i.value.eq_ignore_ascii_case(table)))
        }) else {
            continue;
        };
        let join = item.joins.remove(position);
        let qualifier = crate::syntax::table_qualifier(&join.relation)?;
        return Some((qualifier, join.to_string().trim().to_string()));
    }
    None
}

#[cfg(test)]
mod tests {
    use dbqa_core::Dialect;

    use super::*;

    fn schema() -> Schema {
        Schema::new(
            Dialect::Sqlite,
            vec![
                crate::testutil::table("airports", "text", &["code", "city", "country"], &[]),
                crate::testutil::table(
                    "flights",
                    "text",
                    &["id", "source", "dest", "country"],
                    &[("source", "airports", "code")],
                ),
                crate::testutil::table("owners", "text", &["id", "name", "city", "state"], &[]),
            ],
        )
    }

    fn dropped(sql: &str, table: &str) -> Option<String> {
        drop_missing_join(sql, &schema(), table).map(|u| u.sql)
    }

    #[test]
    fn an_invented_join_gives_way_to_the_table_that_has_its_columns() {
        assert_eq!(
            dropped(
                "SELECT T1.city, T2.country FROM airports AS T1 INNER JOIN countries AS T2 ON T1.code = T2.code WHERE T1.city = 'Alton'",
                "countries"
            )
            .as_deref(),
            Some("SELECT T1.city, T1.country FROM airports AS T1 WHERE T1.city = 'Alton'")
        );
        // Unaliased, written by its name; MySQL's error names it with the database.
        assert_eq!(
            dropped(
                "SELECT o.name FROM owners AS o JOIN addresses ON o.id = addresses.owner_id WHERE addresses.state LIKE '%North%'",
                "shop.addresses"
            )
            .as_deref(),
            Some("SELECT o.name FROM owners AS o WHERE o.state LIKE '%North%'")
        );
        let fixed = drop_missing_join(
            "SELECT T2.country FROM airports AS T1 JOIN countries AS T2 ON T1.code = T2.code",
            &schema(),
            "countries",
        )
        .expect("dropped");
        assert_eq!(fixed.join, "JOIN countries AS T2 ON T1.code = T2.code");
        assert_eq!(
            fixed.moves,
            [("T2.country".to_string(), "T1.country".to_string())]
        );
    }

    #[test]
    fn nothing_uncertain_is_dropped() {
        for (sql, table) in [
            // Both remaining tables have a country.
            (
                "SELECT T3.country FROM airports AS T1 JOIN flights AS T2 ON T2.source = T1.code JOIN countries AS T3 ON T3.code = T1.code",
                "countries",
            ),
            // No remaining table has the column.
            (
                "SELECT T2.continent FROM airports AS T1 JOIN countries AS T2 ON T1.code = T2.code",
                "countries",
            ),
            // The table exists: the fault is elsewhere.
            (
                "SELECT f.country FROM airports AS a JOIN flights AS f ON f.source = a.code",
                "flights",
            ),
            // The invented table comes first: nothing to keep it joined to.
            ("SELECT c.country FROM countries AS c", "countries"),
            // A CTE or a set operation.
            (
                "WITH x AS (SELECT * FROM airports) SELECT c.country FROM x JOIN countries AS c ON c.code = x.code",
                "countries",
            ),
            (
                "SELECT c.country FROM airports AS a JOIN countries AS c ON c.code = a.code UNION SELECT city FROM owners",
                "countries",
            ),
        ] {
            assert_eq!(dropped(sql, table), None, "{sql}");
        }
    }
}
