//! What the correction turn is told besides the error, after a query failed on a name:
//! the real columns of the tables it reads, the join a column's table is missing, the
//! tables there are when it named one that is not, the tables that have a column its
//! tables lack, the subquery form of an aggregate nested in another, and the dialect's
//! own spelling of a function carried over from another one. A column written with the
//! wrong table's qualifier, a join on a column its table lacks, a column read from a
//! table the query never joined (at the top level, or in an `IN`/`EXISTS` subquery of
//! one table), or a join of a table that does not exist for columns a real one has, is
//! repaired without asking the model ([`repaired`]). Small models repeat the same wrong
//! name when only the error comes back.

use dbqa_core::{Dialect, Schema, Table};
use dbqa_guard::{
    drop_missing_join, join_missing_column, join_missing_column_in_subquery, join_missing_table,
    relink_join, requalify_columns,
};

use crate::prompt::as_data;

/// The hint for a failed query's `error`, given the `tables` it reads.
pub(crate) fn hint(error: &str, schema: &Schema, tables: &[String]) -> Option<String> {
    let unjoined = unjoined_table_hint(error, schema, tables);
    let elsewhere = if unjoined.is_none() {
        missing_column(error).and_then(|column| column_elsewhere_hint(&column, schema, tables))
    } else {
        None
    };
    let hints: Vec<String> = [
        unjoined,
        missing_column_hint(error, schema, tables),
        elsewhere,
        unknown_function(error).and_then(|name| function_hint([name], schema.dialect)),
        missing_table(error).and_then(|name| missing_table_hint(name, schema)),
        nested_aggregate_hint(error),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!hints.is_empty()).then(|| hints.join("\n"))
}

/// Functions models carry over from another dialect, with how `dialect` writes them
/// (`x` the argument, `a`, `b` two dates).
const EQUIVALENTS: &[(&str, Dialect, &str)] = &[
    (
        "YEAR",
        Dialect::Sqlite,
        "strftime('%Y', x) (text: CAST(strftime('%Y', x) AS INTEGER) for a number)",
    ),
    (
        "MONTH",
        Dialect::Sqlite,
        "strftime('%m', x) (text, '01' to '12')",
    ),
    ("DAY", Dialect::Sqlite, "strftime('%d', x)"),
    ("DAYOFMONTH", Dialect::Sqlite, "strftime('%d', x)"),
    ("DATE_FORMAT", Dialect::Sqlite, "strftime('%Y-%m', x)"),
    ("TO_CHAR", Dialect::Sqlite, "strftime('%Y-%m', x)"),
    (
        "DATE_TRUNC",
        Dialect::Sqlite,
        "strftime('%Y-%m', x) or date(x, 'start of month')",
    ),
    (
        "EXTRACT",
        Dialect::Sqlite,
        "strftime('%Y', x) for the year, '%m' the month",
    ),
    (
        "DATEDIFF",
        Dialect::Sqlite,
        "julianday(a) - julianday(b) (days)",
    ),
    ("NOW", Dialect::Sqlite, "datetime('now')"),
    ("CURDATE", Dialect::Sqlite, "date('now')"),
    ("GETDATE", Dialect::Sqlite, "datetime('now')"),
    ("YEAR", Dialect::Postgres, "EXTRACT(YEAR FROM x)"),
    ("MONTH", Dialect::Postgres, "EXTRACT(MONTH FROM x)"),
    ("DAY", Dialect::Postgres, "EXTRACT(DAY FROM x)"),
    ("DATE_FORMAT", Dialect::Postgres, "to_char(x, 'YYYY-MM')"),
    ("STRFTIME", Dialect::Postgres, "to_char(x, 'YYYY-MM')"),
    ("DATEDIFF", Dialect::Postgres, "a::date - b::date (days)"),
    (
        "JULIANDAY",
        Dialect::Postgres,
        "a::date - b::date (days between two dates)",
    ),
    ("CURDATE", Dialect::Postgres, "CURRENT_DATE"),
    ("GETDATE", Dialect::Postgres, "now()"),
    ("IFNULL", Dialect::Postgres, "COALESCE(x, y)"),
    ("STRFTIME", Dialect::MySql, "DATE_FORMAT(x, '%Y-%m')"),
    ("TO_CHAR", Dialect::MySql, "DATE_FORMAT(x, '%Y-%m')"),
    ("JULIANDAY", Dialect::MySql, "DATEDIFF(a, b) (days)"),
    ("DATE_TRUNC", Dialect::MySql, "DATE_FORMAT(x, '%Y-%m-01')"),
    ("STRFTIME", Dialect::MsSql, "FORMAT(x, 'yyyy-MM')"),
    ("DATE_FORMAT", Dialect::MsSql, "FORMAT(x, 'yyyy-MM')"),
    ("JULIANDAY", Dialect::MsSql, "DATEDIFF(day, b, a)"),
    ("NOW", Dialect::MsSql, "GETDATE()"),
];

/// For functions `dialect` does not have (refused by the guard, or unknown to the
/// database): how the dialect writes them, when that is known.
pub(crate) fn function_hint<'n>(
    names: impl IntoIterator<Item = &'n str>,
    dialect: Dialect,
) -> Option<String> {
    let lines: Vec<String> = names
        .into_iter()
        .filter_map(|name| {
            let bare = name.rsplit('.').next().unwrap_or(name);
            EQUIVALENTS
                .iter()
                .find(|(f, d, _)| *d == dialect && f.eq_ignore_ascii_case(bare))
                .map(|(f, _, instead)| {
                    format!("{} has no {f}(): write {instead}.", dialect.display_name())
                })
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The function a database error says does not exist: SQLite's `no such function: X`,
/// PostgreSQL's `function x(date) does not exist`, MySQL's `FUNCTION db.x does not
/// exist`, SQL Server's `'x' is not a recognized built-in function name`.
fn unknown_function(error: &str) -> Option<&str> {
    let lower = error.to_ascii_lowercase();
    let name_at = |at: usize| {
        let rest = error.get(at..)?.trim_start();
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        Some(&rest[..end]).filter(|n| !n.is_empty())
    };
    if let Some(at) = lower.find("no such function:") {
        return name_at(at + "no such function:".len());
    }
    if lower.contains("does not exist")
        && let Some(at) = lower.find("function ")
    {
        return name_at(at + "function ".len());
    }
    if let Some(at) = lower.find("is not a recognized built-in function name") {
        let quoted = error.get(..at)?.trim_end().trim_end_matches('\'');
        return quoted.rsplit('\'').next().filter(|n| !n.is_empty());
    }
    None
}

/// dbqa's own repair of a query the database refused on a column name, and what the
/// response says about it.
pub(crate) struct Repair {
    /// The repaired SQL, to go through the guard again.
    pub(crate) sql: String,
    /// One line per change, for the response's warnings.
    pub(crate) warnings: Vec<String>,
}

/// After the database said a column does not exist, when the fix is certain: each column
/// written with the qualifier of a table that lacks it moved to the one table of the
/// query that has it (`T2.first_name` → `T1.first_name`); else a join on a column its
/// table lacks moved onto the key between its tables or through the link table between
/// them; else the one table that has the column joined along a key of the query's
/// tables, or joined inside the `IN`/`EXISTS` subquery that read it from a table lacking
/// it. After the database said a table does not exist: the join of that table dropped
/// when the one remaining table that has each of its columns can read them.
pub(crate) fn repaired(error: &str, sql: &str, schema: &Schema) -> Option<Repair> {
    if let Some(table) = missing_table(error) {
        return unjoined(sql, schema, table);
    }
    // PostgreSQL words a table named after it was aliased as a bad FROM-clause reference,
    // and a table the query never read as a missing FROM-clause entry.
    let lower = error.to_ascii_lowercase();
    let bad_reference = lower.contains("invalid reference to from-clause entry");
    let missing_entry = lower.contains("missing from-clause entry for table");
    if !is_missing_column(error) && !bad_reference && !missing_entry {
        return None;
    }
    requalified(sql, schema)
        .or_else(|| relinked(sql, schema))
        .or_else(|| joined(error, sql, schema, missing_entry))
}

/// `sql` with a join on a column its table lacks moved onto the key between its tables
/// or through the link table between them, and its other columns then requalified.
fn relinked(sql: &str, schema: &Schema) -> Option<Repair> {
    let relinked = relink_join(sql, schema)?;
    let warning = format!(
        "`{}` reads a column its table lacks: dbqa joined `{}`",
        relinked.written, relinked.relinked
    );
    // The model's other columns may still name the wrong table of the join.
    let (sql, mut warnings) = match requalified(&relinked.sql, schema) {
        Some(moved) => (moved.sql, moved.warnings),
        None => (relinked.sql, Vec::new()),
    };
    warnings.insert(0, warning);
    Some(Repair { sql, warnings })
}

/// `sql` without its join of `table`, which does not exist, its columns read from the
/// table that has them.
fn unjoined(sql: &str, schema: &Schema, table: &str) -> Option<Repair> {
    let unjoined = drop_missing_join(sql, schema, table)?;
    // MySQL names the table with its database.
    let table = table.rsplit('.').next().unwrap_or(table);
    let mut warnings = vec![format!(
        "there is no table {table}: dbqa dropped `{}`",
        unjoined.join
    )];
    warnings.extend(
        unjoined
            .moves
            .iter()
            .map(|(written, moved)| format!("`{written}` is read as `{moved}`")),
    );
    Some(Repair {
        sql: unjoined.sql,
        warnings,
    })
}

/// `sql` with the table that has the missing column, or the table the error names as the
/// column's qualifier (`continents.name` of a query that never reads continents), joined
/// along a key of the query's tables; else joined inside the `IN`/`EXISTS` subquery that
/// read the column from a table lacking it.
fn joined(error: &str, sql: &str, schema: &Schema, missing_entry: bool) -> Option<Repair> {
    let named = missing_qualifier(error).filter(|t| missing_entry || schema.table(t).is_some());
    if let Some(table) = named {
        if let Some(joined) = join_missing_table(sql, schema, &table) {
            return Some(Repair {
                warnings: vec![format!(
                    "the query read columns of {table} without reading {table}: dbqa added `{}`",
                    joined.join
                )],
                sql: joined.sql,
            });
        }
        if missing_entry {
            return None;
        }
    }
    let column = missing_column(error)?;
    let (joined, reader) = match join_missing_column(sql, schema, &column) {
        Some(joined) => (joined, "query"),
        None => (
            join_missing_column_in_subquery(sql, schema, &column)?,
            "subquery",
        ),
    };
    Some(Repair {
        warnings: vec![format!(
            "`{column}` is a column of {}, which the {reader} did not read: dbqa added `{}`",
            joined.table, joined.join
        )],
        sql: joined.sql,
    })
}

/// `sql` with each column written with the qualifier of a table that lacks it moved to
/// the one table of the query that has it.
fn requalified(sql: &str, schema: &Schema) -> Option<Repair> {
    let requalified = requalify_columns(sql, schema.dialect, &|name| schema.column_names(name))?;
    let mut warnings: Vec<String> = requalified
        .moves
        .iter()
        .map(|(written, moved)| {
            if requalified.named_nothing.contains(written) {
                format!("`{written}` names no table of the query: dbqa read `{moved}`")
            } else {
                format!("`{written}` is not a column of that table: dbqa read `{moved}`")
            }
        })
        .collect();
    warnings.extend(requalified.dropped_joins.iter().map(|join| {
        format!("the query read nothing else of a joined table: dbqa dropped `{join}`")
    }));
    Some(Repair {
        sql: requalified.sql,
        warnings,
    })
}

/// The bare name of the column a database error says does not exist: SQLite's `no such
/// column: t.c`, PostgreSQL's `column "c" does not exist` or `column t.c does not
/// exist`, MySQL's `Unknown column 't.c'`, SQL Server's `Invalid column name 'c'` or
/// `The multi-part identifier "t.c" could not be bound`. A quoted name is one name, dots
/// and all.
fn missing_column(error: &str) -> Option<String> {
    let lower = error.to_ascii_lowercase();
    let after = |marker: &str| -> Option<&str> {
        let at = lower.find(marker)?;
        error.get(at + marker.len()..)
    };
    let name = if let Some(rest) = after("no such column:") {
        rest.split_whitespace().next()
    } else if let Some(rest) = after("unknown column").or_else(|| after("invalid column name")) {
        rest.split('\'').nth(1)
    } else if let Some(rest) = after("multi-part identifier") {
        rest.split('"').nth(1)
    } else if lower.contains("does not exist") {
        after("column ").and_then(|rest| rest.split(" does not exist").next())
    } else {
        None
    }?;
    let bare = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted,
        None => name.rsplit('.').next()?,
    };
    (!bare.is_empty()).then(|| bare.to_string())
}

/// Most table names a missing-table hint lists.
const TABLES_LISTED: usize = 12;

/// After a query named a table that does not exist: the schema's tables, closest names
/// first (`customer` for `customers`, or a table made up for what is a column).
fn missing_table_hint(name: &str, schema: &Schema) -> Option<String> {
    let bare = name.rsplit('.').next().unwrap_or(name).to_lowercase();
    let mut tables: Vec<(f64, &str)> = schema
        .tables
        .iter()
        .map(|t| {
            (
                strsim::jaro_winkler(&t.name.to_lowercase(), &bare),
                t.name.as_str(),
            )
        })
        .collect();
    if tables.is_empty() {
        return None;
    }
    tables.sort_by(|a, b| b.0.total_cmp(&a.0));
    let names: Vec<&str> = tables.iter().take(TABLES_LISTED).map(|(_, n)| *n).collect();
    Some(format!(
        "There is no table `{bare}`. Use only these tables (or a column of one of them):\n{}",
        as_data(&names.join(", "))
    ))
}

/// The table a database error says does not exist: SQLite's `no such table: x`,
/// PostgreSQL's `relation "x" does not exist`, MySQL's `Table 'db.x' doesn't exist`, SQL
/// Server's `Invalid object name 'x'`.
fn missing_table(error: &str) -> Option<&str> {
    let lower = error.to_ascii_lowercase();
    if let Some(at) = lower.find("no such table:") {
        let rest = error.get(at + "no such table:".len()..)?.trim_start();
        return rest.split_whitespace().next().filter(|n| !n.is_empty());
    }
    let quoted = |marker: &str, quote: char| {
        let at = lower.find(marker)?;
        error
            .get(at + marker.len()..)?
            .split(quote)
            .nth(1)
            .filter(|n| !n.is_empty())
    };
    if lower.contains("does not exist") && lower.contains("relation") {
        return quoted("relation", '"');
    }
    if lower.contains("doesn't exist") {
        return quoted("table", '\'');
    }
    quoted("invalid object name", '\'')
}

/// Whether a database error says a column does not exist (SQLite, PostgreSQL,
/// MySQL/MariaDB and SQL Server wordings).
fn is_missing_column(error: &str) -> bool {
    let error = error.to_ascii_lowercase();
    error.contains("no such column")
        || error.contains("unknown column")
        || error.contains("invalid column name")
        || error.contains("could not be bound")
        || (error.contains("column") && error.contains("does not exist"))
}

/// After a query failed on a column name: the real columns of the tables it reads, so
/// the correction picks one of them instead of guessing again (small models repeat the
/// same wrong name, `pet_type` for `PetType`, when only the error comes back).
fn missing_column_hint(error: &str, schema: &Schema, tables: &[String]) -> Option<String> {
    if !is_missing_column(error) {
        return None;
    }
    let lines: Vec<String> = tables
        .iter()
        .filter_map(|name| schema.table(name))
        .map(|table| {
            let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
            format!("{}({})", table.name, columns.join(", "))
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "The tables this query reads have exactly these columns; use one of them, qualified with the alias of the table that has it:\n{}",
        as_data(&lines.join("\n"))
    ))
}

/// After `t.c` failed because `t` is a table of the schema the query does not read: the
/// join that brings it in, along a foreign key to one of the tables it does read.
fn unjoined_table_hint(error: &str, schema: &Schema, tables: &[String]) -> Option<String> {
    let qualifier = missing_qualifier(error)?;
    let missing = schema.table(&qualifier)?;
    let already_read = tables.iter().any(|t| {
        let last = t.rsplit('.').next().unwrap_or(t);
        last.eq_ignore_ascii_case(&missing.name)
    });
    if already_read {
        return None;
    }
    let join = tables
        .iter()
        .filter_map(|t| schema.table(t))
        .find_map(|read| foreign_key_join(read, missing));
    let mut text = format!("`{}` is not in the query's FROM clause.", missing.name);
    if let Some(join) = join {
        text.push_str(&format!(" Join it: {join}"));
    }
    Some(text)
}

/// After an aggregate inside another (`AVG(COUNT(*))`) or in `WHERE`, which no database
/// runs: how to write either (SQLite's `misuse of aggregate`, PostgreSQL's `aggregate
/// function calls cannot be nested`, MySQL's `Invalid use of group function`).
fn nested_aggregate_hint(error: &str) -> Option<String> {
    let lower = error.to_ascii_lowercase();
    let nested = lower.contains("misuse of aggregate")
        || lower.contains("aggregate function calls cannot be nested")
        || lower.contains("invalid use of group function");
    nested.then(|| {
        String::from(
            "An aggregate cannot contain another, nor stand in WHERE. To filter groups, use HAVING. To aggregate over groups, aggregate per group in a subquery, then over it: SELECT AVG(n) FROM (SELECT COUNT(*) AS n FROM t GROUP BY t.key) AS per_group",
        )
    })
}

/// Most tables a hint names as holding a column the query lacks.
const HOLDERS_NAMED: usize = 3;

/// After a column the query's tables lack: the tables of the schema that have it, with
/// the join to the first when a foreign key leads there.
fn column_elsewhere_hint(column: &str, schema: &Schema, tables: &[String]) -> Option<String> {
    let read: Vec<&Table> = tables.iter().filter_map(|t| schema.table(t)).collect();
    let holders: Vec<&Table> = schema
        .tables
        .iter()
        .filter(|t| !read.iter().any(|r| r.name == t.name))
        .filter(|t| t.column(column).is_some())
        .take(HOLDERS_NAMED)
        .collect();
    let first = holders.first()?;
    let names: Vec<&str> = holders.iter().map(|t| t.name.as_str()).collect();
    let mut text = format!(
        "`{column}` is a column of {}, which the query does not read.",
        names.join(", ")
    );
    if let Some(join) = read.iter().find_map(|r| foreign_key_join(r, first)) {
        text.push_str(&format!(" Join it: {join}"));
    }
    Some(text)
}

/// `JOIN missing ON …` along a single-column foreign key between `read` and `missing`,
/// in either direction.
fn foreign_key_join(read: &Table, missing: &Table) -> Option<String> {
    let m = &missing.name;
    let inward = read
        .single_column_keys()
        .find(|(_, target, _)| target.eq_ignore_ascii_case(m))
        .map(|(from, _, to)| format!("JOIN {m} ON {m}.{to} = {}.{from}", read.name));
    inward.or_else(|| {
        missing
            .single_column_keys()
            .find(|(_, target, _)| target.eq_ignore_ascii_case(&read.name))
            .map(|(from, _, to)| format!("JOIN {m} ON {m}.{from} = {}.{to}", read.name))
    })
}

/// The table part of the name an error says is missing: `t` in SQLite's `no such
/// column: t.c`, MySQL's `Unknown column 't.c'`, PostgreSQL's `missing FROM-clause entry
/// for table "t"`.
fn missing_qualifier(error: &str) -> Option<String> {
    let lower = error.to_ascii_lowercase();
    if let Some(at) = lower.find("missing from-clause entry for table") {
        let rest = &error[at..];
        let name = rest.split('"').nth(1)?;
        return Some(name.to_string());
    }
    if !is_missing_column(error) {
        return None;
    }
    error
        .split_whitespace()
        .map(|word| {
            word.trim_matches(|c: char| matches!(c, '\'' | '"' | '`' | ',' | ':' | '(' | ')'))
        })
        .find_map(|word| {
            let (table, column) = word.split_once('.')?;
            (!table.is_empty() && !column.is_empty() && !column.contains('.'))
                .then(|| table.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::shop;

    #[test]
    fn an_invented_table_gives_way_to_the_table_that_has_its_column() {
        let sql = "SELECT c.name, r.country FROM customers AS c JOIN regions AS r ON r.id = c.id";
        for error in [
            "no such table: regions",
            "relation \"regions\" does not exist",
            "Table 'shop.regions' doesn't exist",
        ] {
            let repair = repaired(error, sql, &shop()).expect(error);
            assert_eq!(
                repair.sql, "SELECT c.name, c.country FROM customers AS c",
                "{error}"
            );
            assert!(
                repair.warnings[0].contains("no table"),
                "{:?}",
                repair.warnings
            );
        }
        // A table that exists is no invention: the fault is elsewhere.
        assert!(repaired("no such table: orders", "SELECT 1 FROM orders", &shop()).is_none());
    }

    #[test]
    fn a_column_of_a_named_unread_table_joins_that_table() {
        // Products have a name too; the query wrote the category's.
        let sql = "SELECT categories.name, COUNT(*) FROM products AS p GROUP BY categories.name";
        let repair = repaired("no such column: categories.name", sql, &shop()).expect("joined");
        assert_eq!(
            repair.sql,
            "SELECT categories.name, COUNT(*) FROM products AS p LEFT JOIN categories ON categories.id = p.category_id GROUP BY categories.name"
        );
    }

    #[test]
    fn the_missing_column_is_read_from_each_databases_error() {
        for (error, column) in [
            (
                "query failed: no such column: order_date (code 1)",
                "order_date",
            ),
            ("query failed: no such column: o.total (code 1)", "total"),
            (
                "query failed: column \"order_date\" does not exist (code 42703)",
                "order_date",
            ),
            (
                "query failed: column o.total does not exist (code 42703)",
                "total",
            ),
            (
                "query failed: Unknown column 'o.total' in 'field list' (code 1054)",
                "total",
            ),
            (
                "query failed: Invalid column name 'total'. (code 207)",
                "total",
            ),
            (
                "query failed: The multi-part identifier \"o.total\" could not be bound. (code 4104)",
                "total",
            ),
            (
                "query failed: column \"o.total\" does not exist (code 42703)",
                "o.total",
            ),
        ] {
            assert_eq!(missing_column(error).as_deref(), Some(column), "{error}");
        }
        assert_eq!(
            missing_column("query failed: no such table: x (code 1)"),
            None
        );
    }

    #[test]
    fn missing_column_errors_get_the_real_columns() {
        let schema = shop();
        let tables = ["orders".to_string(), "Customers".to_string()];
        for error in [
            "query failed: no such column: o.customer (code 1)",
            "query failed: column \"customer\" does not exist (code 42703)",
            "query failed: Unknown column 'customer' in 'field list' (code 1054)",
            "query failed: Invalid column name 'customer'. (code 207)",
        ] {
            let hint = hint(error, &schema, &tables).expect(error);
            assert!(
                hint.contains("orders(id, customer_id, employee_id, order_date, status"),
                "{hint}"
            );
            assert!(
                hint.contains("\ncustomers(id, name, email, country, city, created_at)"),
                "{hint}"
            );
            assert!(
                hint.contains("<data>") && hint.ends_with("</data>"),
                "{hint}"
            );
        }
        assert_eq!(
            hint("no such column: x", &schema, &["nowhere".to_string()]),
            None
        );
    }

    #[test]
    fn functions_of_another_dialect_get_this_dialects_spelling() {
        let mut schema = shop();
        for (dialect, error, expected) in [
            (
                Dialect::Sqlite,
                "query failed: no such function: YEAR (code 1)",
                "SQLite has no YEAR(): write strftime('%Y', x)",
            ),
            (
                Dialect::Postgres,
                "query failed: function strftime(unknown, date) does not exist (code 42883)",
                "PostgreSQL has no STRFTIME(): write to_char(x, 'YYYY-MM')",
            ),
            (
                Dialect::MySql,
                "query failed: FUNCTION shop.julianday does not exist (code 1305)",
                "has no JULIANDAY(): write DATEDIFF(a, b)",
            ),
            (
                Dialect::MsSql,
                "query failed: 'strftime' is not a recognized built-in function name. (code 195)",
                "has no STRFTIME(): write FORMAT(x, 'yyyy-MM')",
            ),
        ] {
            schema.dialect = dialect;
            let hint = hint(error, &schema, &[]).expect(error);
            assert!(hint.contains(expected), "{dialect:?}: {hint}");
        }
        assert_eq!(
            function_hint(["year"], Dialect::Sqlite).map(|h| h.starts_with("SQLite has no YEAR()")),
            Some(true)
        );
        // A function the dialect has, or one with no known spelling, gets no hint.
        assert_eq!(function_hint(["strftime"], Dialect::Sqlite), None);
        assert_eq!(function_hint(["frobnicate"], Dialect::Postgres), None);
        schema.dialect = Dialect::Sqlite;
        assert_eq!(
            hint("query failed: no such function: frobnicate", &schema, &[]),
            None
        );
    }

    #[test]
    fn a_table_that_does_not_exist_gets_the_tables_closest_first() {
        let schema = shop();
        for error in [
            "query failed: no such table: customer (code 1)",
            "query failed: relation \"customer\" does not exist (code 42P01)",
            "query failed: Table 'shop.customer' doesn't exist (code 1146)",
            "query failed: Invalid object name 'customer'. (code 208)",
        ] {
            let hint = hint(error, &schema, &[]).expect(error);
            assert!(hint.starts_with("There is no table `customer`."), "{hint}");
            assert!(
                hint.contains("<data>\ncustomers, "),
                "closest first: {hint}"
            );
            for table in &schema.tables {
                assert!(hint.contains(&table.name), "{hint}");
            }
        }
        assert_eq!(hint("query failed: syntax error", &schema, &[]), None);
    }

    #[test]
    fn a_column_of_a_table_not_joined_gets_the_join() {
        let schema = shop();
        let tables = ["orders".to_string()];
        for error in [
            "query failed: no such column: customers.country (code 1)",
            "query failed: missing FROM-clause entry for table \"customers\" (code 42P01)",
            "query failed: Unknown column 'customers.country' in 'field list' (code 1054)",
        ] {
            let hint = hint(error, &schema, &tables).expect(error);
            assert!(
                hint.starts_with("`customers` is not in the query's FROM clause. Join it: JOIN customers ON customers.id = orders.customer_id"),
                "{hint}"
            );
        }
        // A table the query reads, or a name that is no table, gets no join.
        let read = ["orders".to_string(), "customers".to_string()];
        let hint_read =
            hint("no such column: customers.nation", &schema, &read).unwrap_or_default();
        assert!(!hint_read.contains("FROM clause"), "{hint_read}");
        let alias = hint("no such column: o.nation", &schema, &tables).unwrap_or_default();
        assert!(!alias.contains("FROM clause"), "{alias}");
    }

    #[test]
    fn a_nested_aggregate_gets_the_subquery_form() {
        let schema = shop();
        for error in [
            "query failed: misuse of aggregate function COUNT() (code 1)",
            "query failed: aggregate function calls cannot be nested (code 42803)",
            "query failed: Invalid use of group function (code 1111)",
        ] {
            let told = hint(error, &schema, &[]).expect(error);
            assert!(
                told.contains("SELECT AVG(n) FROM (SELECT COUNT(*) AS n"),
                "{told}"
            );
        }
        assert_eq!(hint("query failed: syntax error", &schema, &[]), None);
    }

    #[test]
    fn a_column_of_another_table_names_that_table() {
        let schema = shop();
        let tables = ["orders".to_string()];
        let told = hint("no such column: o.country (code 1)", &schema, &tables).expect("hint");
        assert!(
            told.contains("`country` is a column of customers, which the query does not read. Join it: JOIN customers ON customers.id = orders.customer_id"),
            "{told}"
        );
        // A column no table has, or one the query's own tables have: nothing to name.
        for error in ["no such column: o.colour", "no such column: o.status"] {
            let told = hint(error, &schema, &tables).unwrap_or_default();
            assert!(!told.contains("is a column of"), "{error}: {told}");
        }
    }
}
