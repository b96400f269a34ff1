//! Schemas for the repairs' unit tests: tables of plain columns and single-column keys.

use dbqa_core::{Column, ForeignKey, PrimaryKey, Table};

/// A table of `columns`, all of `data_type`, with a single-column foreign key for each
/// `(column, referenced table, referenced column)` of `keys`.
pub(crate) fn table(
    name: &str,
    data_type: &str,
    columns: &[&str],
    keys: &[(&str, &str, &str)],
) -> Table {
    let mut table = Table::new(
        name,
        columns.iter().map(|c| Column::new(*c, data_type)).collect(),
    );
    for (from, to_table, to) in keys {
        table
            .foreign_keys
            .push(ForeignKey::new([*from], *to_table, [*to]));
    }
    table
}

/// [`table`] keyed by its first column, as most tables are.
pub(crate) fn keyed_table(
    name: &str,
    data_type: &str,
    columns: &[&str],
    keys: &[(&str, &str, &str)],
) -> Table {
    let mut table = table(name, data_type, columns, keys);
    table.primary_key = columns.first().map(|first| PrimaryKey {
        name: None,
        columns: vec![first.to_string()],
    });
    table
}
