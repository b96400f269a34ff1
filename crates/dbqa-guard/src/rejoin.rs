//! A repair for a join small models often get wrong: a foreign-key column compared with a
//! column of the very table it references, but not the referenced one
//! (`customers.region_id = orders.customer_id` where the schema declares
//! `orders.customer_id -> customers.id`). The other side moves to the referenced column
//! (`customers.id = orders.customer_id`). The agent tries this on the
//! model's SQL before it runs, since such a query runs and returns wrong rows without a
//! word; what it gives goes through [`Guard::check`](crate::Guard::check) like any other
//! SQL.
//!
//! Only an equality of two qualified columns of two tables of known columns changes, and
//! only when exactly one side's key points at the other side's table. Nothing changes
//! when the comparison already follows a key either way, when both sides reference the
//! same column (two orders of one customer, two employees of one manager), or when the
//! statement has derived tables, CTEs or table functions, or a qualifier used twice.

use std::ops::ControlFlow;

use dbqa_core::{Schema, Table};
use sqlparser::ast::{BinaryOperator, Expr, Ident, visit_expressions_mut};

use crate::requalify::{Relation, Relations};

/// A statement whose joins now follow the declared foreign keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejoined {
    /// The statement rendered after the repair.
    pub sql: String,
    /// Each comparison changed.
    pub changes: Vec<JoinChange>,
}

/// One comparison that did not follow a foreign key, and what it became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinChange {
    /// The comparison as written (`c.region_id = o.customer_id`).
    pub written: String,
    /// The key it now follows (`orders.customer_id -> customers.id`).
    pub key: String,
    /// The comparison as repaired (`c.id = o.customer_id`).
    pub repaired: String,
}

/// `sql` with each comparison of a foreign-key column against the wrong column of the
/// referenced table moved to the referenced column; `None` when nothing changed or the
/// statement is not one plain query over tables of `schema`.
///
/// ```
/// use dbqa_core::{Column, Dialect, ForeignKey, Schema, Table};
/// use dbqa_guard::rejoin_foreign_keys;
///
/// let column = |name: &str| Column::new(name, "integer");
/// let mut orders = Table::new("orders", vec![column("id"), column("customer_id")]);
/// orders.foreign_keys.push(ForeignKey::new(["customer_id"], "customers", ["id"]));
/// let customers = Table::new("customers", vec![column("id"), column("region_id")]);
/// let schema = Schema::new(Dialect::Sqlite, vec![orders, customers]);
///
/// let fixed = rejoin_foreign_keys(
///     "SELECT c.id FROM customers AS c JOIN orders AS o ON c.region_id = o.customer_id",
///     &schema,
/// )
/// .expect("repaired");
/// assert_eq!(
///     fixed.sql,
///     "SELECT c.id FROM customers AS c JOIN orders AS o ON c.id = o.customer_id"
/// );
/// assert_eq!(fixed.changes[0].key, "orders.customer_id -> customers.id");
/// ```
pub fn rejoin_foreign_keys(sql: &str, schema: &Schema) -> Option<Rejoined> {
    let mut statements = crate::guard::parse(sql, schema.dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let columns_of = |name: &str| schema.column_names(name);
    let relations = Relations::of(statement, &columns_of);
    if relations.unknown || relations.found.is_empty() {
        return None;
    }
    let mut changes = Vec::new();
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = expr
            && let (Expr::CompoundIdentifier(l), Expr::CompoundIdentifier(r)) =
                (left.as_mut(), right.as_mut())
            && let ([lq, lc], [rq, rc]) = (l.as_mut_slice(), r.as_mut_slice())
        {
            let written = format!("{lq}.{lc} = {rq}.{rc}");
            if let Some(fix) = misjoin(&relations.found, schema, (lq, lc), (rq, rc)) {
                if fix.left {
                    lc.value = fix.column;
                } else {
                    rc.value = fix.column;
                }
                changes.push(JoinChange {
                    written,
                    key: fix.key,
                    repaired: format!("{lq}.{lc} = {rq}.{rc}"),
                });
            }
        }
        ControlFlow::<()>::Continue(())
    });
    (!changes.is_empty()).then(|| Rejoined {
        sql: statement.to_string(),
        changes,
    })
}

/// Which side of a comparison moves, to which column, following which key.
struct Fix {
    left: bool,
    column: String,
    key: String,
}

/// The repair of `left = right` when it compares a key column with the wrong column of
/// the table the key references.
fn misjoin(
    found: &[Relation],
    schema: &Schema,
    (lq, lc): (&Ident, &Ident),
    (rq, rc): (&Ident, &Ident),
) -> Option<Fix> {
    let lt = table_of(found, schema, lq)?;
    let rt = table_of(found, schema, rq)?;
    if lq.value.eq_ignore_ascii_case(&rq.value) {
        return None;
    }
    let lkey = single_key(lt, &lc.value);
    let rkey = single_key(rt, &rc.value);
    let follows = |key: Option<(&str, &str)>, table: &Table, column: &str| {
        key.is_some_and(|(t, c)| {
            t.eq_ignore_ascii_case(&table.name) && c.eq_ignore_ascii_case(column)
        })
    };
    if follows(lkey, rt, &rc.value) || follows(rkey, lt, &lc.value) {
        return None;
    }
    if let (Some(a), Some(b)) = (lkey, rkey)
        && a.0.eq_ignore_ascii_case(b.0)
        && a.1.eq_ignore_ascii_case(b.1)
    {
        return None;
    }
    let into = |key: Option<(&str, &str)>, table: &Table| {
        key.filter(|(t, _)| t.eq_ignore_ascii_case(&table.name))
            .map(|(_, c)| c.to_string())
    };
    let key = |table: &Table, column: &Ident, to: &Table, referenced: &str| {
        format!(
            "{}.{} -> {}.{referenced}",
            table.name, column.value, to.name
        )
    };
    match (into(rkey, lt), into(lkey, rt)) {
        (Some(column), None) => Some(Fix {
            left: true,
            key: key(rt, rc, lt, &column),
            column,
        }),
        (None, Some(column)) => Some(Fix {
            left: false,
            key: key(lt, lc, rt, &column),
            column,
        }),
        _ => None,
    }
}

/// The schema table behind `qualifier`, when exactly one relation is written with it.
fn table_of<'s>(found: &[Relation], schema: &'s Schema, qualifier: &Ident) -> Option<&'s Table> {
    let mut matching = found
        .iter()
        .filter(|r| r.qualifier.value.eq_ignore_ascii_case(&qualifier.value));
    let relation = matching.next()?;
    if matching.next().is_some() {
        return None;
    }
    schema.table(&relation.table)
}

/// The table and column a one-column foreign key on `column` references, when exactly
/// one does.
fn single_key<'t>(table: &'t Table, column: &str) -> Option<(&'t str, &'t str)> {
    let mut keys = table
        .single_column_keys()
        .filter(|(from, _, _)| from.eq_ignore_ascii_case(column))
        .map(|(_, table, to)| (table, to));
    let key = keys.next()?;
    keys.next().is_none().then_some(key)
}

#[cfg(test)]
mod tests {
    use dbqa_core::Dialect;

    use super::*;

    /// Owners, their pets, the pets' visits; each visit's vet is an owner too.
    fn schema() -> Schema {
        let table = |name: &str, columns: &[&str], keys: &[(&str, &str, &str)]| {
            crate::testutil::table(name, "integer", columns, keys)
        };
        Schema::new(
            Dialect::Sqlite,
            vec![
                table(
                    "owners",
                    &["owner_id", "state_id", "mentor_id"],
                    &[("mentor_id", "owners", "owner_id")],
                ),
                table(
                    "pets",
                    &["pet_id", "owner_id", "age"],
                    &[("owner_id", "owners", "owner_id")],
                ),
                table(
                    "visits",
                    &["visit_id", "pet_id", "vet_id"],
                    &[
                        ("pet_id", "pets", "pet_id"),
                        ("vet_id", "owners", "owner_id"),
                    ],
                ),
            ],
        )
    }

    fn repaired(sql: &str) -> Option<String> {
        rejoin_foreign_keys(sql, &schema()).map(|r| r.sql)
    }

    #[test]
    fn a_key_compared_with_the_wrong_column_of_its_table_moves_to_the_referenced_one() {
        for (sql, fixed) in [
            (
                "SELECT T1.age FROM pets AS T1 JOIN visits AS T2 ON T1.age = T2.pet_id",
                "SELECT T1.age FROM pets AS T1 JOIN visits AS T2 ON T1.pet_id = T2.pet_id",
            ),
            // Either side, any case, in WHERE too.
            (
                "SELECT * FROM Pets, owners WHERE Pets.OWNER_ID = owners.state_id",
                "SELECT * FROM Pets, owners WHERE Pets.OWNER_ID = owners.owner_id",
            ),
            // Inside a subquery.
            (
                "SELECT owner_id FROM owners WHERE owner_id IN (SELECT p.owner_id FROM pets AS p JOIN visits AS v ON v.pet_id = p.age)",
                "SELECT owner_id FROM owners WHERE owner_id IN (SELECT p.owner_id FROM pets AS p JOIN visits AS v ON v.pet_id = p.pet_id)",
            ),
        ] {
            assert_eq!(repaired(sql).as_deref(), Some(fixed), "{sql}");
        }
        let change = &rejoin_foreign_keys(
            "SELECT 1 FROM pets AS a JOIN owners AS b ON a.owner_id = b.state_id",
            &schema(),
        )
        .expect("repaired")
        .changes[0];
        assert_eq!(change.written, "a.owner_id = b.state_id");
        assert_eq!(change.key, "pets.owner_id -> owners.owner_id");
        assert_eq!(change.repaired, "a.owner_id = b.owner_id");
    }

    #[test]
    fn joins_that_follow_a_key_or_are_not_certain_stay() {
        for sql in [
            // Along the key, either way round.
            "SELECT 1 FROM pets AS p JOIN owners AS o ON p.owner_id = o.owner_id",
            "SELECT 1 FROM pets AS p JOIN owners AS o ON o.owner_id = p.owner_id",
            // Two keys to the same column: pets of the vet's own.
            "SELECT 1 FROM pets AS p JOIN visits AS v ON p.owner_id = v.vet_id",
            // A self-join along the key, and two owners with one mentor.
            "SELECT 1 FROM owners AS a JOIN owners AS b ON a.mentor_id = b.owner_id",
            "SELECT 1 FROM owners AS a JOIN owners AS b ON a.mentor_id = b.mentor_id",
            // No key on either side.
            "SELECT 1 FROM pets AS p JOIN owners AS o ON p.age = o.state_id",
            // A key to a table the other side is not: the model chose the wrong table.
            "SELECT 1 FROM visits AS v JOIN owners AS o ON v.pet_id = o.owner_id",
            // Both keys reference one column: the pet's owner is the mentor.
            "SELECT 1 FROM owners AS o JOIN pets AS p ON o.mentor_id = p.owner_id",
            // Not an equality, not qualified, the same qualifier twice.
            "SELECT 1 FROM pets AS p JOIN owners AS o ON p.owner_id > o.state_id",
            "SELECT 1 FROM pets JOIN owners ON owner_id = state_id",
            "SELECT 1 FROM pets AS x WHERE EXISTS (SELECT 1 FROM owners AS x WHERE x.state_id = x.owner_id)",
            // A derived table, a CTE, an unknown table, not one statement.
            "SELECT 1 FROM pets AS p JOIN (SELECT owner_id, state_id FROM owners) AS o ON p.owner_id = o.state_id",
            "WITH o AS (SELECT * FROM owners) SELECT 1 FROM pets AS p JOIN o ON p.owner_id = o.state_id",
            "SELECT 1 FROM pets AS p JOIN ledger AS l ON p.owner_id = l.state_id",
            "SELECT 1; SELECT 2",
        ] {
            assert_eq!(repaired(sql), None, "{sql}");
        }
    }
}
