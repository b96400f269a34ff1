//! Compact schema rendering for prompts.
//!
//! One line per table, columns inline with their types, keys and join targets:
//!
//! ```text
//! orders(id integer PK, customer_id integer -> customers.id, order_date date, status text ['pending', 'shipped'])
//! ```
//!
//! `PK` marks a single-column primary key; a composite key follows the columns as
//! `PK(a, b)`. `-> t.c` is a foreign key (composite ones as `FK(a, b) -> t(c, d)`).
//! Bracketed values are a low-cardinality text column's distinct values, read from the
//! database: data, not instructions. A comment follows the line after `--`.

use std::collections::BTreeMap;

use dbqa_core::{Schema, Table, TableKind};

/// Distinct values of low-cardinality text columns, by table then column (both lower
/// case). A column's list is complete unless it ends with `…`.
pub type SampleValues = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// Longest sample value rendered; longer ones are not useful as literals.
pub(crate) const MAX_SAMPLE_CHARS: usize = 40;

/// Renders the tables named in `described` in full (in that order) and lists every other
/// table by name, so the model knows what exists and can ask for more.
pub fn render_schema(
    schema: &Schema,
    described: &[&str],
    samples: Option<&SampleValues>,
) -> String {
    let mut out = String::new();
    let mut full = Vec::new();
    for name in described {
        if let Some(table) = schema.table(name)
            && !full.iter().any(|t: &&Table| t.name == table.name)
        {
            full.push(table);
        }
    }
    for table in &full {
        out.push_str(&render_table(table, samples));
        out.push('\n');
    }
    let others: Vec<&str> = schema
        .tables
        .iter()
        .filter(|t| !full.iter().any(|f| f.name == t.name))
        .map(|t| t.name.as_str())
        .collect();
    if !others.is_empty() {
        out.push_str("Other tables (call describe_tables for their columns): ");
        out.push_str(&others.join(", "));
        out.push('\n');
    }
    out
}

/// How the prompt shows tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SchemaFormat {
    /// One line per table ([`render_table`]): the fewest tokens.
    #[default]
    Compact,
    /// `CREATE TABLE` statements with up to three example rows, the form models such as
    /// Qwen2.5-Coder were evaluated with.
    CreateTable,
    /// `CREATE TABLE` statements without example rows: the form of the schema a plain
    /// script shows, with sample values as comments.
    CreateTableBare,
}

/// A table in `CREATE TABLE` form, sample values as comments and `rows` below it.
pub fn render_create_table(
    table: &Table,
    samples: Option<&SampleValues>,
    rows: Option<&dbqa_core::Rows>,
) -> String {
    let single_pk = table
        .primary_key
        .as_ref()
        .filter(|pk| pk.columns.len() == 1)
        .and_then(|pk| pk.columns.first());
    let table_samples = samples.and_then(|s| s.get(&table.name.to_lowercase()));
    let mut lines: Vec<String> = Vec::new();
    for column in &table.columns {
        let mut line = format!("  {}", column.name);
        if !column.data_type.is_empty() {
            line.push(' ');
            line.push_str(&column.data_type.to_uppercase());
        }
        if single_pk.is_some_and(|pk| pk.eq_ignore_ascii_case(&column.name)) {
            line.push_str(" PRIMARY KEY");
        }
        let mut notes = Vec::new();
        if let Some(values) = column_samples(table, table_samples, &column.name) {
            notes.push(format!("values {}", render_values(values)));
        }
        if let Some(comment) = &column.comment {
            notes.push(one_line(comment));
        }
        if !notes.is_empty() {
            line.push_str(&format!(" /* {} */", notes.join("; ")));
        }
        lines.push(line);
    }
    if let Some(pk) = table.primary_key.as_ref().filter(|pk| pk.columns.len() > 1) {
        lines.push(format!("  PRIMARY KEY ({})", pk.columns.join(", ")));
    }
    for fk in &table.foreign_keys {
        lines.push(format!(
            "  FOREIGN KEY ({}) REFERENCES {}({})",
            fk.columns.join(", "),
            fk.referenced_table,
            fk.referenced_columns.join(", ")
        ));
    }
    let kind = match table.kind {
        TableKind::View => "VIEW",
        TableKind::Table => "TABLE",
    };
    let mut out = format!("CREATE {kind} {} (\n{}\n);", table.name, lines.join(",\n"));
    if let Some(comment) = &table.comment {
        out.push_str(&format!(" -- {}", one_line(comment)));
    }
    if let Some(rows) = rows.filter(|r| !r.rows.is_empty()) {
        out.push_str(&format!("\n/* {} example rows:\n", rows.len()));
        out.push_str(&one_line(&rows.column_names().join(" | ")));
        for row in &rows.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|v| {
                    let text = v.to_display_string();
                    let text: String = text.chars().take(MAX_SAMPLE_CHARS).collect();
                    one_line(&text)
                })
                .collect();
            out.push('\n');
            out.push_str(&cells.join(" | "));
        }
        out.push_str("\n*/");
    }
    out
}

/// A table with only some of its columns (keys, and those `keep` says), the rest
/// counted, for a schema over the budget.
pub fn render_table_pruned(
    table: &Table,
    samples: Option<&SampleValues>,
    keep: &dyn Fn(&str) -> bool,
) -> String {
    let is_key = |name: &str| {
        table
            .primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.iter().any(|c| c.eq_ignore_ascii_case(name)))
            || table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.iter().any(|c| c.eq_ignore_ascii_case(name)))
    };
    let mut kept = table.clone();
    kept.columns.retain(|c| is_key(&c.name) || keep(&c.name));
    let left_out = table.columns.len() - kept.columns.len();
    let mut line = render_table(&kept, samples);
    if left_out > 0 {
        line.push_str(&format!(" (+{left_out} more columns: describe_tables)"));
    }
    line
}

/// The sample list shown beside `column`: none for key columns, whose values are
/// identifiers no question spells out (they only cost tokens).
fn column_samples<'s>(
    table: &Table,
    table_samples: Option<&'s BTreeMap<String, Vec<String>>>,
    column: &str,
) -> Option<&'s Vec<String>> {
    let in_key = table
        .primary_key
        .iter()
        .flat_map(|pk| &pk.columns)
        .chain(table.foreign_keys.iter().flat_map(|fk| &fk.columns))
        .any(|c| c.eq_ignore_ascii_case(column));
    if in_key {
        return None;
    }
    table_samples?.get(&column.to_lowercase())
}

/// Renders one table on one line.
pub fn render_table(table: &Table, samples: Option<&SampleValues>) -> String {
    let single_pk = table
        .primary_key
        .as_ref()
        .filter(|pk| pk.columns.len() == 1)
        .and_then(|pk| pk.columns.first());
    let table_samples = samples.and_then(|s| s.get(&table.name.to_lowercase()));
    let mut parts: Vec<String> = Vec::with_capacity(table.columns.len() + 2);
    for column in &table.columns {
        let mut part = column.name.clone();
        if !column.data_type.is_empty() {
            part.push(' ');
            part.push_str(&column.data_type.to_lowercase());
        }
        if single_pk.is_some_and(|pk| pk.eq_ignore_ascii_case(&column.name)) {
            part.push_str(" PK");
        }
        // Schemas sometimes declare the same key twice; the model needs it once.
        let mut targets: Vec<String> = Vec::new();
        for fk in table.foreign_keys.iter().filter(|fk| fk.columns.len() == 1) {
            if fk.columns[0].eq_ignore_ascii_case(&column.name) {
                let target = fk.referenced_columns.first().map_or("?", String::as_str);
                let target = format!(" -> {}.{target}", fk.referenced_table);
                if !targets.contains(&target) {
                    targets.push(target);
                }
            }
        }
        part.push_str(&targets.concat());
        if let Some(values) = column_samples(table, table_samples, &column.name) {
            part.push_str(&format!(" {}", render_values(values)));
        }
        if let Some(comment) = &column.comment {
            part.push_str(&format!(" \"{}\"", one_line(comment)));
        }
        parts.push(part);
    }
    if let Some(pk) = table.primary_key.as_ref().filter(|pk| pk.columns.len() > 1) {
        parts.push(format!("PK({})", pk.columns.join(", ")));
    }
    for fk in table.foreign_keys.iter().filter(|fk| fk.columns.len() > 1) {
        parts.push(format!(
            "FK({}) -> {}({})",
            fk.columns.join(", "),
            fk.referenced_table,
            fk.referenced_columns.join(", ")
        ));
    }
    let prefix = match table.kind {
        TableKind::View => "view ",
        TableKind::Table => "",
    };
    let mut line = format!("{prefix}{}({})", table.name, parts.join(", "));
    if let Some(comment) = &table.comment {
        line.push_str(&format!(" -- {}", one_line(comment)));
    }
    line
}

fn render_values(values: &[String]) -> String {
    let values: Vec<String> = values
        .iter()
        .map(|v| crate::prompt::escape_data(v).into_owned())
        .collect();
    let quoted: Vec<String> = values
        .iter()
        .map(|v| {
            if v == "…" {
                v.clone()
            } else {
                format!("'{}'", one_line(v).replace('\'', "''"))
            }
        })
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// Collapses newlines and runs of whitespace so one item stays on one line, escaped as
/// data (comments and values come from the database).
fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::prompt::escape_data(&line).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{shop, wide};

    fn samples() -> SampleValues {
        let mut samples = SampleValues::new();
        samples.entry("orders".into()).or_default().insert(
            "status".into(),
            vec!["cancelled".into(), "pending".into(), "shipped".into()],
        );
        samples.entry("customers".into()).or_default().insert(
            "country".into(),
            vec![
                "France".into(),
                "Germany".into(),
                "O'Hara\nland".into(),
                "…".into(),
            ],
        );
        samples
    }

    #[test]
    fn whole_shop() {
        let schema = shop();
        let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
        insta::assert_snapshot!(render_schema(&schema, &names, Some(&samples())));
    }

    #[test]
    fn partial_schema_lists_the_rest() {
        let schema = wide();
        insta::assert_snapshot!(render_schema(&schema, &["orders", "customers"], None));
    }

    #[test]
    fn a_key_declared_twice_is_shown_once() {
        let table = crate::testutil::table(
            "pets",
            &["pet_id"],
            &["pet_id integer", "owner_id integer"],
            &[
                ("owner_id", "owners", "owner_id"),
                ("owner_id", "owners", "owner_id"),
            ],
        );
        assert_eq!(
            render_table(&table, None),
            "pets(pet_id integer PK, owner_id integer -> owners.owner_id)"
        );
    }

    #[test]
    fn composite_keys() {
        let mut table = crate::testutil::table(
            "order_lines",
            &["order_id", "line_no"],
            &["order_id integer", "line_no integer", "sku text"],
            &[],
        );
        table.foreign_keys.push(dbqa_core::ForeignKey {
            name: None,
            columns: vec!["order_id".into(), "line_no".into()],
            referenced_schema: None,
            referenced_table: "shipments_lines".into(),
            referenced_columns: vec!["oid".into(), "lno".into()],
        });
        assert_eq!(
            render_table(&table, None),
            "order_lines(order_id integer, line_no integer, sku text, PK(order_id, line_no), FK(order_id, line_no) -> shipments_lines(oid, lno))"
        );
    }
}
