//! A repair for a mistake small models make often: a column written with the qualifier of
//! a table that lacks it (`t2.first_name` where only `t1`'s table has `first_name`). The
//! column moves to the one table of the statement that has it. The agent tries this after
//! the database said a column does not exist; what it gives goes through
//! [`Guard::check`](crate::Guard::check) like any other SQL.
//!
//! Only statements whose every relation is a table of known columns are repaired (no
//! derived tables, CTEs or table functions, whose columns are not known here), and only
//! when exactly one qualifier's table has the column, and never when a move would make a
//! comparison of two columns of one table (`t1.id = t1.id`: the model joined the wrong
//! table). Anything less certain is left to the model. A join the query read only
//! through columns that moved was made for them, and goes ([`crate::orphaned_join`]).

use std::ops::ControlFlow;

use dbqa_core::Dialect;
use sqlparser::ast::{Expr, Ident, TableFactor, Visit, Visitor, visit_expressions_mut};

/// A statement whose misplaced columns moved to the table that has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requalified {
    /// The statement rendered after the repair.
    pub sql: String,
    /// Each column moved, as written and as repaired (`t2.first_name`, `t1.first_name`).
    pub moves: Vec<(String, String)>,
    /// Each join dropped because the moves took the last column the query read from its
    /// table (`JOIN orders AS t2 ON t1.id = t2.customer_id`), as written.
    pub dropped_joins: Vec<String>,
    /// The moved columns (as written) whose qualifier named no table of the statement
    /// (`o.total` where the query reads `order_totals AS ot`).
    pub named_nothing: Vec<String>,
}

/// One relation of the statement: the qualifier its columns are written with (its alias,
/// else its name), the table's name as written, and its columns.
pub(crate) struct Relation {
    pub(crate) qualifier: Ident,
    pub(crate) table: String,
    columns: Vec<String>,
}

impl Relation {
    pub(crate) fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c.eq_ignore_ascii_case(column))
    }
}

/// Collects the statement's relations; `unknown` when one has columns not known here.
pub(crate) struct Relations<'c> {
    columns_of: &'c dyn Fn(&str) -> Option<Vec<String>>,
    pub(crate) found: Vec<Relation>,
    pub(crate) unknown: bool,
}

impl<'c> Relations<'c> {
    /// The relations of `statement`, each table's columns from `columns_of`.
    pub(crate) fn of(
        statement: &sqlparser::ast::Statement,
        columns_of: &'c dyn Fn(&str) -> Option<Vec<String>>,
    ) -> Self {
        let mut relations = Self {
            columns_of,
            found: Vec::new(),
            unknown: false,
        };
        let _ = statement.visit(&mut relations);
        relations
    }

    /// The relations of `statement`'s top-level `FROM` only (not of its subqueries); empty
    /// when it is not one plain `SELECT`.
    pub(crate) fn top_level(
        statement: &sqlparser::ast::Statement,
        columns_of: &'c dyn Fn(&str) -> Option<Vec<String>>,
    ) -> Vec<Relation> {
        let mut relations = Relations {
            columns_of,
            found: Vec::new(),
            unknown: false,
        };
        if let Some(select) = crate::syntax::select_of(statement) {
            for item in &select.from {
                relations.add(&item.relation);
                for join in &item.joins {
                    relations.add(&join.relation);
                }
            }
        }
        relations.found
    }

    fn add(&mut self, factor: &TableFactor) {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                let table = name.0.last().and_then(|part| part.as_ident());
                let columns = table.and_then(|t| (self.columns_of)(&t.value));
                match (table, columns) {
                    (Some(table), Some(columns)) => self.found.push(Relation {
                        qualifier: alias.as_ref().map_or(table, |a| &a.name).clone(),
                        table: table.value.clone(),
                        columns,
                    }),
                    _ => self.unknown = true,
                }
            }
            TableFactor::NestedJoin { .. } => {}
            _ => self.unknown = true,
        }
    }
}

impl Visitor for Relations<'_> {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        self.add(factor);
        ControlFlow::Continue(())
    }
}

/// `sql` with each column whose qualifier's table lacks it moved to the only table of the
/// statement that has it; `None` when nothing moved or the statement is not one plain
/// query over known tables. `columns_of` gives a table's columns (by its name as
/// written, unqualified), `None` for a name that is no table.
///
/// ```
/// use dbqa_core::Dialect;
/// use dbqa_guard::requalify_columns;
///
/// let columns = |table: &str| match table {
///     "professionals" => Some(vec!["id".to_string(), "first_name".to_string()]),
///     "treatments" => Some(vec!["professional_id".to_string(), "cost".to_string()]),
///     _ => None,
/// };
/// let fixed = requalify_columns(
///     "SELECT t2.first_name, t2.cost FROM professionals AS t1 JOIN treatments AS t2 ON t1.id = t2.professional_id",
///     Dialect::Sqlite,
///     &columns,
/// )
/// .expect("repaired");
/// assert_eq!(
///     fixed.sql,
///     "SELECT t1.first_name, t2.cost FROM professionals AS t1 JOIN treatments AS t2 ON t1.id = t2.professional_id"
/// );
/// assert_eq!(fixed.moves, [("t2.first_name".to_string(), "t1.first_name".to_string())]);
/// ```
pub fn requalify_columns(
    sql: &str,
    dialect: Dialect,
    columns_of: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Option<Requalified> {
    let mut statements = crate::guard::parse(sql, dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let relations = Relations::of(statement, columns_of);
    if relations.unknown || relations.found.is_empty() {
        return None;
    }
    let found = relations.found;
    let same_table_before = same_table_comparisons(statement);
    let forward_before = forward_references(statement);
    let uses_before = crate::orphaned_join::join_uses(statement);
    let mut moves = Vec::new();
    let mut named_nothing = Vec::new();
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::CompoundIdentifier(idents) = expr
            && let [qualifier, column] = idents.as_mut_slice()
            && let nameless = names_nothing(&found, qualifier, columns_of)
            && let Some(holder) = new_qualifier(&found, qualifier, column, nameless)
        {
            let written = format!("{qualifier}.{column}");
            if nameless {
                named_nothing.push(written.clone());
            }
            moves.push((written, format!("{holder}.{column}")));
            *qualifier = holder;
        }
        ControlFlow::<()>::Continue(())
    });
    // A move that makes a comparison of two columns of one table (`t1.id = t1.owner_id`,
    // `t1.id = t1.id`) means the model joined the wrong table, not that it wrote the
    // wrong alias: that is for the model to fix.
    // Nor may a move put a column into the `ON` of a join before its table's own join
    // (`JOIN b ON a.id = c.b_id JOIN c …`): SQLite runs that, the others refuse it.
    if moves.is_empty()
        || same_table_comparisons(statement) > same_table_before
        || forward_references(statement) > forward_before
    {
        return None;
    }
    let dropped_joins = crate::orphaned_join::drop_orphaned_joins(statement, &uses_before, &found);
    Some(Requalified {
        sql: statement.to_string(),
        moves,
        dropped_joins,
        named_nothing,
    })
}

/// How many comparisons in `statement` compare two columns written with the same
/// qualifier (`t1.id = t1.owner_id`).
fn same_table_comparisons(statement: &sqlparser::ast::Statement) -> usize {
    let mut count = 0;
    let _ = sqlparser::ast::visit_expressions(statement, |expr| {
        if let Expr::BinaryOp { left, right, .. } = expr
            && let (Expr::CompoundIdentifier(l), Expr::CompoundIdentifier(r)) =
                (left.as_ref(), right.as_ref())
            && let ([lq, _], [rq, _]) = (l.as_slice(), r.as_slice())
            && lq.value.eq_ignore_ascii_case(&rq.value)
        {
            count += 1;
        }
        ControlFlow::<()>::Continue(())
    });
    count
}

/// How many columns the `ON` of a top-level join reads from a table joined after it.
fn forward_references(statement: &sqlparser::ast::Statement) -> usize {
    use crate::syntax::{count_qualified, on_of, select_of, table_qualifier};
    let Some(select) = select_of(statement) else {
        return 0;
    };
    let mut count = 0;
    for item in &select.from {
        let later: Vec<String> = item
            .joins
            .iter()
            .filter_map(|join| table_qualifier(&join.relation))
            .collect();
        for (position, join) in item.joins.iter().enumerate() {
            if let Some(on) = on_of(join) {
                count += later
                    .iter()
                    .skip(position + 1)
                    .map(|qualifier| count_qualified(on, qualifier))
                    .sum::<usize>();
            }
        }
    }
    count
}

/// The qualifier `column` should have: that of the only relation that has it, when the
/// one written (`qualifier`, a relation of the statement) lacks it, or names nothing at
/// all (`o.total` in a query that reads `order_totals AS ot`); or the alias of the table
/// `qualifier` names, when that table was given an alias (`continents.name` after `FROM
/// continents AS t1`, which no database accepts). `nameless` says the qualifier names
/// nothing ([`names_nothing`]); a qualifier naming a table the query does not read is
/// left to the join repairs.
fn new_qualifier(
    found: &[Relation],
    qualifier: &Ident,
    column: &Ident,
    nameless: bool,
) -> Option<Ident> {
    let same = |a: &Ident, b: &Ident| a.value.eq_ignore_ascii_case(&b.value);
    if nameless {
        return only_holder(found, column);
    }
    let written = match found.iter().find(|r| same(&r.qualifier, qualifier)) {
        Some(relation) => relation,
        None => aliased_table(found, qualifier)?,
    };
    if written.has(&column.value) {
        return (!same(&written.qualifier, qualifier)).then(|| written.qualifier.clone());
    }
    only_holder(found, column)
}

/// Whether `qualifier` is no relation of the statement, no table it aliased, and no
/// table of the schema at all.
fn names_nothing(
    found: &[Relation],
    qualifier: &Ident,
    columns_of: &dyn Fn(&str) -> Option<Vec<String>>,
) -> bool {
    !found
        .iter()
        .any(|r| r.qualifier.value.eq_ignore_ascii_case(&qualifier.value))
        && aliased_table(found, qualifier).is_none()
        && columns_of(&qualifier.value).is_none()
}

/// The qualifier of the only relation that has `column`.
fn only_holder(found: &[Relation], column: &Ident) -> Option<Ident> {
    let same = |a: &Ident, b: &Ident| a.value.eq_ignore_ascii_case(&b.value);
    let mut holders = found.iter().filter(|r| r.has(&column.value));
    let holder = holders.next()?;
    let another = holders.any(|r| !same(&r.qualifier, &holder.qualifier));
    (!another).then(|| holder.qualifier.clone())
}

/// The one relation whose table is named `name` under an alias; `None` when no relation
/// or several (a self-join) are.
fn aliased_table<'r>(found: &'r [Relation], name: &Ident) -> Option<&'r Relation> {
    let mut named = found
        .iter()
        .filter(|r| r.table.eq_ignore_ascii_case(&name.value));
    let relation = named.next()?;
    named.next().is_none().then_some(relation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(table: &str) -> Option<Vec<String>> {
        let list: &[&str] = match table.to_ascii_lowercase().as_str() {
            "owners" => &["owner_id", "first_name", "state"],
            "pets" => &["pet_id", "owner_id", "name", "kind"],
            "visits" => &["visit_id", "pet_id", "cost"],
            _ => return None,
        };
        Some(list.iter().map(|c| c.to_string()).collect())
    }

    fn repaired(sql: &str) -> Option<String> {
        requalify_columns(sql, Dialect::Sqlite, &columns).map(|r| r.sql)
    }

    #[test]
    fn a_column_moves_to_the_only_table_that_has_it() {
        assert_eq!(
            repaired(
                "SELECT T2.first_name, T1.kind FROM pets AS T1 JOIN owners AS T2 ON T1.owner_id = T2.owner_id WHERE T1.state = 'Ohio'"
            )
            .as_deref(),
            Some(
                "SELECT T2.first_name, T1.kind FROM pets AS T1 JOIN owners AS T2 ON T1.owner_id = T2.owner_id WHERE T2.state = 'Ohio'"
            )
        );
        // Unaliased tables are qualified by their names, in any case.
        assert_eq!(
            repaired("SELECT Pets.cost FROM Pets JOIN visits ON visits.pet_id = pets.pet_id")
                .as_deref(),
            Some("SELECT visits.cost FROM Pets JOIN visits ON visits.pet_id = pets.pet_id")
        );
        // In a subquery over known tables too, with the qualifier's quoting kept.
        assert_eq!(
            repaired(
                "SELECT name FROM pets WHERE pet_id IN (SELECT \"v\".pet_id FROM visits AS \"v\" JOIN pets AS p ON p.pet_id = \"v\".pet_id WHERE p.cost > 10)"
            )
            .as_deref(),
            Some(
                "SELECT name FROM pets WHERE pet_id IN (SELECT \"v\".pet_id FROM visits AS \"v\" JOIN pets AS p ON p.pet_id = \"v\".pet_id WHERE \"v\".cost > 10)"
            )
        );
    }

    #[test]
    fn a_qualifier_that_names_nothing_moves_to_the_only_table_with_the_column() {
        let fixed = requalify_columns(
            "SELECT o.first_name, SUM(v.cost) FROM owners AS ow JOIN pets AS p ON p.owner_id = ow.owner_id JOIN visits AS v ON v.pet_id = p.pet_id GROUP BY ow.owner_id",
            Dialect::Sqlite,
            &columns,
        )
        .expect("repaired");
        assert_eq!(
            fixed.sql,
            "SELECT ow.first_name, SUM(v.cost) FROM owners AS ow JOIN pets AS p ON p.owner_id = ow.owner_id JOIN visits AS v ON v.pet_id = p.pet_id GROUP BY ow.owner_id"
        );
        assert_eq!(fixed.named_nothing, ["o.first_name"]);
        // Several tables have it, or the qualifier names a table the query does not
        // read (a join's to make, not a move).
        assert_eq!(
            repaired(
                "SELECT x.owner_id FROM owners AS ow JOIN pets AS p ON p.owner_id = ow.owner_id"
            ),
            None
        );
        assert_eq!(
            repaired(
                "SELECT visits.first_name FROM owners AS ow JOIN pets AS p ON p.owner_id = ow.owner_id"
            ),
            None
        );
    }

    #[test]
    fn a_table_named_after_it_was_aliased_is_written_with_its_alias() {
        assert_eq!(
            repaired(
                "SELECT owners.state, COUNT(*) FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id GROUP BY owners.state"
            )
            .as_deref(),
            Some(
                "SELECT T1.state, COUNT(*) FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id GROUP BY T1.state"
            )
        );
        // The aliased name with a column its table lacks: moved to the table that has it.
        assert_eq!(
            repaired("SELECT pets.cost FROM pets AS p JOIN visits AS v ON v.pet_id = p.pet_id")
                .as_deref(),
            Some("SELECT v.cost FROM pets AS p JOIN visits AS v ON v.pet_id = p.pet_id")
        );
    }

    fn dropped(sql: &str) -> (String, Vec<String>) {
        let fixed = requalify_columns(sql, Dialect::Sqlite, &columns).expect("repaired");
        (fixed.sql, fixed.dropped_joins)
    }

    #[test]
    fn a_join_read_only_through_moved_columns_is_dropped() {
        assert_eq!(
            dropped(
                "SELECT T1.first_name FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id WHERE T2.state = 'Ohio'"
            ),
            (
                "SELECT T1.first_name FROM owners AS T1 WHERE T1.state = 'Ohio'".to_string(),
                vec!["JOIN pets AS T2 ON T1.owner_id = T2.owner_id".to_string()]
            )
        );
        // Only the join the moves left unread: pets, which the query never read outside
        // the joins, stays as the model wrote it.
        assert_eq!(
            dropped(
                "SELECT T1.first_name, T3.state FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id JOIN visits AS T3 ON T3.pet_id = T2.pet_id"
            ),
            (
                "SELECT T1.first_name, T1.state FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id".to_string(),
                vec!["JOIN visits AS T3 ON T3.pet_id = T2.pet_id".to_string()]
            )
        );
    }

    #[test]
    fn a_join_still_read_is_kept() {
        for sql in [
            // Read in the select list.
            "SELECT T2.name FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id WHERE T2.state = 'Ohio'",
            // Read by a later join.
            "SELECT T3.cost FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id JOIN visits AS T3 ON T2.pet_id = T3.pet_id WHERE T2.state = 'Ohio'",
            // Perhaps read through a column written without a qualifier.
            "SELECT T1.first_name, kind FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id WHERE T2.state = 'Ohio'",
            // All its columns selected.
            "SELECT * FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id WHERE T2.state = 'Ohio'",
            "SELECT T1.first_name, T2.* FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id WHERE T2.state = 'Ohio'",
            // Counted or grouped: the joined rows may be what is counted.
            "SELECT COUNT(*) FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id WHERE T2.state = 'Ohio'",
            "SELECT T2.state FROM owners AS T1 JOIN pets AS T2 ON T1.owner_id = T2.owner_id GROUP BY T2.state",
        ] {
            let (fixed, joins) = dropped(sql);
            assert!(joins.is_empty(), "{sql}: {joins:?}");
            assert!(fixed.contains("JOIN pets AS T2"), "{fixed}");
            assert!(fixed.contains("T1.state"), "{fixed}");
        }
    }

    #[test]
    fn nothing_uncertain_is_repaired() {
        for sql in [
            // Right already.
            "SELECT T1.name FROM pets AS T1 JOIN owners AS T2 ON T1.owner_id = T2.owner_id",
            // Two tables have the column.
            "SELECT T1.owner_id FROM visits AS T1 JOIN pets AS T2 ON T1.pet_id = T2.pet_id JOIN owners AS T3 ON T2.owner_id = T3.owner_id",
            // No table has it.
            "SELECT T1.colour FROM pets AS T1 JOIN owners AS T2 ON T1.owner_id = T2.owner_id",
            // A move that would compare two columns of one table: the wrong table was
            // joined.
            "SELECT T1.name FROM pets AS T1 JOIN visits AS T2 ON T1.pet_id = T2.owner_id",
            "SELECT T1.kind FROM pets AS T1 JOIN visits AS T2 ON T2.kind = T1.kind",
            // A self-join: both sides have it, or both are the table named.
            "SELECT a.cost FROM pets AS a JOIN pets AS b ON a.pet_id = b.pet_id",
            "SELECT pets.name FROM pets AS a JOIN pets AS b ON a.pet_id = b.pet_id",
            // A table not in the statement, a derived table, a CTE, an unknown table.
            "SELECT owners.state FROM pets",
            "SELECT p.cost FROM pets AS p JOIN (SELECT pet_id, cost FROM visits) AS v ON v.pet_id = p.pet_id",
            "WITH v AS (SELECT pet_id, cost FROM visits) SELECT p.cost FROM pets AS p JOIN v ON v.pet_id = p.pet_id",
            "SELECT p.cost FROM pets AS p JOIN ledger AS l ON l.pet_id = p.pet_id",
            // A move into the `ON` of a join before the holder's own join.
            "SELECT o.first_name FROM owners AS o JOIN pets AS p ON o.owner_id = p.visit_id JOIN visits AS v ON v.pet_id = p.pet_id",
            // Not one statement, or not SQL.
            "SELECT 1; SELECT 2",
            "SELEC nothing",
        ] {
            assert_eq!(repaired(sql), None, "{sql}");
        }
    }
}
