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
        for fk in table.foreign_keys.iter().filter(|fk| fk.columns.len() == 1) {
            if fk.columns[0].eq_ignore_ascii_case(&column.name) {
                let target = fk.referenced_columns.first().map_or("?", String::as_str);
                part.push_str(&format!(" -> {}.{target}", fk.referenced_table));
            }
        }
        if let Some(values) = table_samples.and_then(|s| s.get(&column.name.to_lowercase())) {
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
