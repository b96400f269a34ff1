//! Sample values of low-cardinality text columns, read once per table from the database
//! and kept with the loaded schema.

use std::collections::BTreeMap;
use std::time::Duration;

use dbqa_core::{Database, ExecuteOptions, Table, TableKind, Value};
use dbqa_guard::Guard;

use crate::render::MAX_SAMPLE_CHARS;

/// Distinct values shown at most; a column with more is not low-cardinality.
const MAX_VALUES: usize = 8;
/// Text columns sampled per table at most.
const MAX_COLUMNS: usize = 6;

/// Whether a declared type is text.
fn is_text(data_type: &str) -> bool {
    let t = data_type.to_ascii_lowercase();
    ["char", "text", "string", "enum", "clob"]
        .iter()
        .any(|k| t.contains(k))
}

/// Whether a column name suggests free text or identifiers rather than categories.
fn is_free_text(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "name",
        "email",
        "mail",
        "phone",
        "address",
        "description",
        "comment",
        "note",
        "url",
        "password",
        "token",
        "hash",
        "body",
        "title",
        "uuid",
    ]
    .iter()
    .any(|k| n.contains(k))
        || n.ends_with("id")
}

/// Reads the distinct values of `table`'s low-cardinality text columns, each query through
/// `guard` like any other. Failures are ignored: samples help the model but are never
/// required.
pub(crate) async fn fetch(
    db: &dyn Database,
    guard: &Guard,
    table: &Table,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    if table.kind == TableKind::View {
        return out;
    }
    let dialect = db.dialect();
    let options = ExecuteOptions::read_only(Duration::from_secs(2), MAX_VALUES + 1);
    let columns = table
        .columns
        .iter()
        .filter(|c| is_text(&c.data_type) && !is_free_text(&c.name))
        .take(MAX_COLUMNS);
    for column in columns {
        let col = dialect.quote_identifier(&column.name);
        let name = match &table.schema {
            Some(s) => format!(
                "{}.{}",
                dialect.quote_identifier(s),
                dialect.quote_identifier(&table.name)
            ),
            None => dialect.quote_identifier(&table.name),
        };
        let n = MAX_VALUES + 1;
        let sql = if dialect.supports_top() {
            format!(
                "SELECT DISTINCT TOP {n} {col} FROM {name} WHERE {col} IS NOT NULL ORDER BY {col}"
            )
        } else {
            format!(
                "SELECT DISTINCT {col} FROM {name} WHERE {col} IS NOT NULL ORDER BY {col} LIMIT {n}"
            )
        };
        let Ok(accepted) = guard.check(&sql) else {
            continue;
        };
        let Ok(rows) = db.execute(&accepted.sql, &options).await else {
            continue;
        };
        if rows.len() > MAX_VALUES || rows.is_empty() {
            continue;
        }
        let values: Vec<String> = rows
            .rows
            .iter()
            .filter_map(|r| match r.first() {
                Some(Value::Text(s)) if s.chars().count() <= MAX_SAMPLE_CHARS => Some(s.clone()),
                _ => None,
            })
            .collect();
        if values.len() == rows.len() {
            out.insert(column.name.to_lowercase(), values);
        }
    }
    out
}
