//! A repair for a join written on a column one of its tables lacks
//! (`FROM enrolments AS e JOIN courses AS c ON e.course_id = c.id`, where enrolments
//! have no `course_id`): small models join two tables directly that the schema links
//! through a key of their own or through a table between them. The agent tries this
//! after the database said a column does not exist; what it gives goes through
//! [`Guard::check`](crate::Guard::check) like any other SQL.
//!
//! Only the `ON` of an inner or left join that is one equality of two qualified columns,
//! one of which its table lacks, changes:
//! - when one foreign key links the two tables (either way), the join follows it (the
//!   left join of "countries with no makers" too);
//! - when none does and exactly one table the query does not read has a single-column
//!   key to a unique column of each (a link table: `enrolment_courses(enrolment_id ->
//!   enrolments, course_id -> courses)`), that table is joined between them; not for a
//!   left join, whose unmatched rows an inner link join would drop.
//!
//! Nothing changes when the statement reads tables of unknown columns, when the link is
//! not certain, or when the link table's name is already a qualifier of the statement.

use dbqa_core::{Schema, Table};
use sqlparser::ast::{BinaryOperator, Expr, Ident, Join, JoinOperator, SetExpr, Statement};

use crate::lookup::{ident, parse_join};
use crate::requalify::{Relation, Relations};
use crate::syntax::{on_of, on_of_mut};

/// A statement whose join now follows the schema's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relinked {
    /// The statement rendered after the repair.
    pub sql: String,
    /// The join condition as written (`e.course_id = c.id`).
    pub written: String,
    /// What it became (`enrolment_courses.enrolment_id = e.id`, then
    /// `c.id = enrolment_courses.course_id`).
    pub relinked: String,
}

/// `sql` with the first inner join on a column one of its tables lacks moved onto the
/// foreign key between its two tables, or through the one link table between them;
/// `None` when no such repair is certain.
///
/// ```
/// use dbqa_core::{Column, Dialect, ForeignKey, PrimaryKey, Schema, Table};
/// use dbqa_guard::relink_join;
///
/// let key = |table: &mut Table| {
///     table.primary_key = Some(PrimaryKey { name: None, columns: vec!["id".into()] });
/// };
/// let column = |name: &str| Column::new(name, "integer");
/// let mut students = Table::new("students", vec![column("id"), column("name")]);
/// key(&mut students);
/// let mut courses = Table::new("courses", vec![column("id"), column("title")]);
/// key(&mut courses);
/// let mut enrolments = Table::new("enrolments", vec![column("student_id"), column("course_id")]);
/// enrolments.foreign_keys.push(ForeignKey::new(["student_id"], "students", ["id"]));
/// enrolments.foreign_keys.push(ForeignKey::new(["course_id"], "courses", ["id"]));
/// let schema = Schema::new(Dialect::Sqlite, vec![students, courses, enrolments]);
///
/// let fixed = relink_join(
///     "SELECT c.title, COUNT(*) FROM students AS s JOIN courses AS c ON s.course_id = c.id GROUP BY c.title",
///     &schema,
/// )
/// .expect("relinked");
/// assert_eq!(
///     fixed.sql,
///     "SELECT c.title, COUNT(*) FROM students AS s JOIN enrolments ON enrolments.student_id = s.id JOIN courses AS c ON c.id = enrolments.course_id GROUP BY c.title"
/// );
/// ```
pub fn relink_join(sql: &str, schema: &Schema) -> Option<Relinked> {
    let mut statements = crate::guard::parse(sql, schema.dialect).ok()?;
    let [statement] = statements.as_mut_slice() else {
        return None;
    };
    let columns_of = |name: &str| schema.column_names(name);
    let relations = Relations::of(statement, &columns_of);
    if relations.unknown {
        return None;
    }
    let found = relations.found;
    let Statement::Query(query) = statement else {
        return None;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return None;
    };
    for item in &mut select.from {
        for index in 0..item.joins.len() {
            let Some(plan) = plan(&item.joins[index], &found, schema) else {
                continue;
            };
            // A link table joined inside a left join would drop the rows it keeps.
            if plan.link_join.is_some() && is_left(&item.joins[index]) {
                continue;
            }
            let written = on_of(&item.joins[index])?.to_string();
            let relinked = plan.describe();
            let at = match plan.link_join {
                Some(link_join) => {
                    item.joins.insert(index, link_join);
                    index + 1
                }
                None => index,
            };
            let join = item.joins.get_mut(at)?;
            *on_of_mut(join)? = plan.condition;
            return Some(Relinked {
                sql: statement.to_string(),
                written,
                relinked,
            });
        }
    }
    None
}

/// What one join becomes: its new condition, and the link table's join to insert
/// before it.
struct Plan {
    condition: Expr,
    link_join: Option<Join>,
    link_text: Option<String>,
}

impl Plan {
    fn describe(&self) -> String {
        match &self.link_text {
            Some(link) => format!("{link}, then {}", self.condition),
            None => self.condition.to_string(),
        }
    }
}

/// The repair of `join`, when its condition reads a column its table lacks and the
/// tables' link is certain.
fn plan(join: &Join, found: &[Relation], schema: &Schema) -> Option<Plan> {
    let on = on_of(join)?;
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = on
    else {
        return None;
    };
    let (left, left_column) = side(left, found)?;
    let (right, right_column) = side(right, found)?;
    if left.has(left_column) && right.has(right_column) {
        return None;
    }
    if left.table.eq_ignore_ascii_case(&right.table) {
        return None;
    }
    let later = joined_relation(join, found)?;
    let (earlier, later) = if same(&later.qualifier, &left.qualifier) {
        (right, left)
    } else if same(&later.qualifier, &right.qualifier) {
        (left, right)
    } else {
        return None;
    };
    let earlier_table = schema.table(&earlier.table)?;
    let later_table = schema.table(&later.table)?;
    let direct = keys_between(earlier_table, later_table);
    match direct.as_slice() {
        [(from_earlier, from, to)] => {
            let (a, b) = if *from_earlier {
                ((earlier, from), (later, to))
            } else {
                ((later, from), (earlier, to))
            };
            let condition = equality(&a.0.qualifier, a.1, &b.0.qualifier, b.1, schema)?;
            Some(Plan {
                condition,
                link_join: None,
                link_text: None,
            })
        }
        [] => through_link_table(earlier, earlier_table, later, later_table, found, schema),
        _ => None,
    }
}

/// The join through the one table that links `earlier` and `later`.
fn through_link_table(
    earlier: &Relation,
    earlier_table: &Table,
    later: &Relation,
    later_table: &Table,
    found: &[Relation],
    schema: &Schema,
) -> Option<Plan> {
    let links: Vec<(&Table, &str, &str, &str, &str)> = schema
        .tables
        .iter()
        .filter(|t| !found.iter().any(|r| r.table.eq_ignore_ascii_case(&t.name)))
        .filter_map(|t| {
            let (to_earlier, earlier_key) = unique_key_to(t, earlier_table)?;
            let (to_later, later_key) = unique_key_to(t, later_table)?;
            Some((t, to_earlier, earlier_key, to_later, later_key))
        })
        .collect();
    let [(link, to_earlier, earlier_key, to_later, later_key)] = links.as_slice() else {
        return None;
    };
    let link_name = ident(&link.name, schema.dialect);
    if found.iter().any(|r| same(&r.qualifier, &link_name)) {
        return None;
    }
    let link_on = equality(
        &link_name,
        to_earlier,
        &earlier.qualifier,
        earlier_key,
        schema,
    )?;
    let link_text = format!("JOIN {link_name} ON {link_on}");
    let link_join = parse_join(&link_text, schema.dialect)?;
    let condition = equality(&later.qualifier, later_key, &link_name, to_later, schema)?;
    Some(Plan {
        condition,
        link_join: Some(link_join),
        link_text: Some(link_text),
    })
}

/// The one single-column key of `table` to a unique column of `target`: (its column,
/// the referenced column).
fn unique_key_to<'t>(table: &'t Table, target: &Table) -> Option<(&'t str, &'t str)> {
    if table.name.eq_ignore_ascii_case(&target.name) {
        return None;
    }
    let keys: Vec<(&str, &str)> = table
        .single_column_keys()
        .filter(|(_, referenced, to)| {
            referenced.eq_ignore_ascii_case(&target.name) && target.is_unique_column(to)
        })
        .map(|(from, _, to)| (from, to))
        .collect();
    let [key] = keys.as_slice() else {
        return None;
    };
    Some(*key)
}

/// The single-column keys between two tables: (whether it is `earlier`'s, its column,
/// the referenced column).
fn keys_between<'t>(earlier: &'t Table, later: &'t Table) -> Vec<(bool, &'t str, &'t str)> {
    let from = |table: &'t Table, other: &Table, is_earlier: bool| {
        table
            .single_column_keys()
            .filter(move |(_, referenced, _)| referenced.eq_ignore_ascii_case(&other.name))
            .map(move |(column, _, to)| (is_earlier, column, to))
            .collect::<Vec<_>>()
    };
    let mut keys = from(earlier, later, true);
    keys.extend(from(later, earlier, false));
    keys
}

/// `a.x = b.y`, parsed as the dialect reads it.
fn equality(a: &Ident, x: &str, b: &Ident, y: &str, schema: &Schema) -> Option<Expr> {
    let text = format!(
        "{a}.{} = {b}.{}",
        ident(x, schema.dialect),
        ident(y, schema.dialect)
    );
    let join = parse_join(&format!("JOIN placeholder ON {text}"), schema.dialect)?;
    on_of(&join).cloned()
}

/// A side of the condition: the relation its qualifier names, and the column.
fn side<'r>(expr: &'r Expr, found: &'r [Relation]) -> Option<(&'r Relation, &'r str)> {
    let Expr::CompoundIdentifier(idents) = expr else {
        return None;
    };
    let [qualifier, column] = idents.as_slice() else {
        return None;
    };
    Some((relation_named(found, qualifier)?, column.value.as_str()))
}

/// The relation `join` brings in.
fn joined_relation<'r>(join: &Join, found: &'r [Relation]) -> Option<&'r Relation> {
    let sqlparser::ast::TableFactor::Table { name, alias, .. } = &join.relation else {
        return None;
    };
    let written = name.0.last().and_then(|part| part.as_ident())?;
    relation_named(found, alias.as_ref().map_or(written, |a| &a.name))
}

/// The one relation written with `qualifier`; `None` when none or several are.
fn relation_named<'r>(found: &'r [Relation], qualifier: &Ident) -> Option<&'r Relation> {
    let mut named = found.iter().filter(|r| same(&r.qualifier, qualifier));
    let relation = named.next()?;
    named.next().is_none().then_some(relation)
}

fn is_left(join: &Join) -> bool {
    matches!(
        join.join_operator,
        JoinOperator::Left(_) | JoinOperator::LeftOuter(_)
    )
}

fn same(a: &Ident, b: &Ident) -> bool {
    a.value.eq_ignore_ascii_case(&b.value)
}

#[cfg(test)]
mod tests {
    use dbqa_core::{Dialect, PrimaryKey};

    use super::*;
    use crate::testutil::table;

    fn keyed(mut t: Table, key: &str) -> Table {
        t.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec![key.to_string()],
        });
        t
    }

    /// Students and courses linked by enrolments; makers and models by a key.
    fn school() -> Schema {
        Schema::new(
            Dialect::Sqlite,
            vec![
                keyed(table("students", "integer", &["id", "name"], &[]), "id"),
                keyed(table("courses", "integer", &["id", "title"], &[]), "id"),
                table(
                    "enrolments",
                    "integer",
                    &["student_id", "course_id", "grade"],
                    &[
                        ("student_id", "students", "id"),
                        ("course_id", "courses", "id"),
                    ],
                ),
                keyed(
                    table("makers", "integer", &["maker_id", "name"], &[]),
                    "maker_id",
                ),
                table(
                    "models",
                    "integer",
                    &["id", "maker", "model"],
                    &[("maker", "makers", "maker_id")],
                ),
            ],
        )
    }

    fn relinked(sql: &str) -> Option<String> {
        relink_join(sql, &school()).map(|r| r.sql)
    }

    #[test]
    fn a_join_of_two_keyed_tables_follows_the_key() {
        let fixed = relink_join(
            "SELECT k.name, COUNT(*) FROM makers AS k JOIN models AS m ON k.maker_id = m.maker_id GROUP BY k.name",
            &school(),
        )
        .expect("relinked");
        assert_eq!(
            fixed.sql,
            "SELECT k.name, COUNT(*) FROM makers AS k JOIN models AS m ON m.maker = k.maker_id GROUP BY k.name"
        );
        assert_eq!(fixed.written, "k.maker_id = m.maker_id");
        assert_eq!(fixed.relinked, "m.maker = k.maker_id");
        // A link table the query reads, joined on a column the other table lacks.
        assert_eq!(
            relinked(
                "SELECT c.title FROM enrolments AS e JOIN courses AS c ON e.course_id = c.course_id"
            )
            .as_deref(),
            Some("SELECT c.title FROM enrolments AS e JOIN courses AS c ON e.course_id = c.id")
        );
    }

    #[test]
    fn a_left_join_follows_the_key_too() {
        assert_eq!(
            relinked(
                "SELECT k.name FROM makers AS k LEFT JOIN models AS m ON k.id = m.maker_id WHERE m.id IS NULL"
            )
            .as_deref(),
            Some(
                "SELECT k.name FROM makers AS k LEFT JOIN models AS m ON m.maker = k.maker_id WHERE m.id IS NULL"
            )
        );
    }

    #[test]
    fn two_tables_with_no_key_between_them_go_through_the_link_table() {
        // The later table lacks the column.
        assert_eq!(
            relinked(
                "SELECT s.name FROM courses AS c JOIN students AS s ON c.id = s.course_id WHERE c.title = 'Art'"
            )
            .as_deref(),
            Some(
                "SELECT s.name FROM courses AS c JOIN enrolments ON enrolments.course_id = c.id JOIN students AS s ON s.id = enrolments.student_id WHERE c.title = 'Art'"
            )
        );
        // After other joins, unaliased.
        assert_eq!(
            relinked(
                "SELECT courses.title FROM makers JOIN models ON models.maker = makers.maker_id JOIN students ON students.id = models.id JOIN courses ON students.course_id = courses.id"
            )
            .as_deref(),
            Some(
                "SELECT courses.title FROM makers JOIN models ON models.maker = makers.maker_id JOIN students ON students.id = models.id JOIN enrolments ON enrolments.student_id = students.id JOIN courses ON courses.id = enrolments.course_id"
            )
        );
    }

    #[test]
    fn nothing_uncertain_changes() {
        for sql in [
            // Both columns exist: a join the model meant, right or wrong.
            "SELECT s.name FROM students AS s JOIN courses AS c ON s.id = c.id",
            // The link table is read already: the model's own path, to mend by the model.
            "SELECT s.name FROM students AS s JOIN enrolments AS e ON e.student_id = s.id JOIN courses AS c ON s.course_id = c.id",
            // A left join keeps rows an inner link join would drop.
            "SELECT s.name FROM students AS s LEFT JOIN courses AS c ON s.course_id = c.id",
            // More than one equality, or not between the joined table and another.
            "SELECT s.name FROM students AS s JOIN courses AS c ON s.course_id = c.id AND c.title = 'Art'",
            "SELECT s.name FROM students AS s JOIN courses AS c ON c.title = s.name",
            // No link: makers and courses share neither a key nor a link table.
            "SELECT c.title FROM makers AS k JOIN courses AS c ON k.course_id = c.id",
            // A table of unknown columns.
            "SELECT s.name FROM students AS s JOIN lessons AS l ON s.lesson_id = l.id",
            // A self-join.
            "SELECT a.name FROM students AS a JOIN students AS b ON a.mentor_id = b.id",
        ] {
            assert_eq!(relinked(sql), None, "{sql}");
        }
    }

    #[test]
    fn two_link_tables_are_no_certain_path() {
        let mut schema = school();
        schema.tables.push(table(
            "waitlist",
            "integer",
            &["student_id", "course_id"],
            &[
                ("student_id", "students", "id"),
                ("course_id", "courses", "id"),
            ],
        ));
        assert_eq!(
            relink_join(
                "SELECT s.name FROM students AS s JOIN courses AS c ON s.course_id = c.id",
                &schema,
            ),
            None
        );
    }
}
