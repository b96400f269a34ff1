//! Rendering for the terminal: schema text and JSON.

use std::fmt::Write as _;

use dbqa_core::{Schema, TableKind};

use crate::failure::Failure;

/// Prints a value as pretty JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::failed(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// The schema as readable text: one block per table, one line per column, then keys.
pub(crate) fn schema_text(schema: &Schema) -> String {
    let mut out = String::new();
    for table in &schema.tables {
        let kind = match table.kind {
            TableKind::Table => "table",
            TableKind::View => "view",
        };
        let _ = write!(out, "{kind} {}", table.qualified_name());
        if let Some(comment) = &table.comment {
            let _ = write!(out, "  -- {comment}");
        }
        out.push('\n');
        let pk: Vec<&str> = table
            .primary_key
            .as_ref()
            .map(|pk| pk.columns.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let width = table
            .columns
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for column in &table.columns {
            let _ = write!(out, "  {:width$}  {}", column.name, column.data_type);
            if pk.len() == 1 && pk[0] == column.name {
                out.push_str(" primary key");
            }
            if !column.nullable {
                out.push_str(" not null");
            }
            if let Some(default) = &column.default {
                let _ = write!(out, " default {default}");
            }
            if let Some(comment) = &column.comment {
                let _ = write!(out, "  -- {comment}");
            }
            out.push('\n');
        }
        if pk.len() > 1 {
            let _ = writeln!(out, "  primary key ({})", pk.join(", "));
        }
        for fk in &table.foreign_keys {
            let _ = writeln!(
                out,
                "  foreign key ({}) -> {}({})",
                fk.columns.join(", "),
                fk.referenced_table,
                fk.referenced_columns.join(", ")
            );
        }
        for index in &table.indexes {
            let unique = if index.unique { "unique " } else { "" };
            let _ = writeln!(
                out,
                "  {unique}index {} ({})",
                index.name,
                index.columns.join(", ")
            );
        }
        out.push('\n');
    }
    out
}
