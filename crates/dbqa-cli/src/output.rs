//! Rendering for the terminal: schema text and JSON.

use std::fmt::Write as _;

use dbqa_core::{Schema, TableKind, Value};
use sqlparser::tokenizer::Token;

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

/// Rows as an aligned table that fits the terminal width, with a note when the row limit
/// cut the result.
pub(crate) fn rows_table(columns: &[String], rows: &[Vec<Value>], truncated: bool) -> String {
    use comfy_table::{ContentArrangement, Table, presets};
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(columns);
    if let Some(width) = terminal_width() {
        table.set_width(width);
    }
    for row in rows.iter().take(MAX_TABLE_ROWS) {
        table.add_row(row.iter().map(|v| clip(&v.to_display_string())));
    }
    let mut out = table.to_string();
    out.push('\n');
    if rows.len() > MAX_TABLE_ROWS {
        let _ = writeln!(
            out,
            "({} of {} rows shown; use --format csv or json for all)",
            MAX_TABLE_ROWS,
            rows.len()
        );
    }
    if truncated {
        let _ = writeln!(
            out,
            "(more rows exist: the result was cut at the row limit, MAX_RESULT_ROWS)"
        );
    }
    out
}

/// Rows shown in a terminal table at most.
const MAX_TABLE_ROWS: usize = 200;

fn clip(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(MAX - 1).collect();
    clipped.push('…');
    clipped
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}

/// Rows as CSV, with a header line.
pub(crate) fn rows_csv(columns: &[String], rows: &[Vec<Value>]) -> Result<String, Failure> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let encode = |e: csv::Error| Failure::failed(format!("cannot write CSV: {e}"));
    writer.write_record(columns).map_err(encode)?;
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| {
                if v.is_null() {
                    String::new()
                } else {
                    v.to_display_string()
                }
            })
            .collect();
        writer.write_record(&cells).map_err(encode)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Failure::failed(format!("cannot write CSV: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Rows as a Markdown table (pipes in cells escaped).
pub(crate) fn rows_markdown(columns: &[String], rows: &[Vec<Value>]) -> String {
    let escape = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    let header: Vec<String> = columns.iter().map(|c| escape(c)).collect();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(columns.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|v| escape(&v.to_display_string())).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// SQL with keywords in bold blue and string literals in green, for terminals.
/// anstream strips the colour when NO_COLOR is set or the output is not a terminal.
pub(crate) fn highlight_sql(sql: &str) -> String {
    use anstyle::{AnsiColor, Style};
    const KEYWORDS: &[&str] = &[
        "SELECT",
        "FROM",
        "WHERE",
        "JOIN",
        "LEFT",
        "RIGHT",
        "INNER",
        "OUTER",
        "FULL",
        "CROSS",
        "ON",
        "GROUP",
        "BY",
        "ORDER",
        "HAVING",
        "LIMIT",
        "OFFSET",
        "AS",
        "AND",
        "OR",
        "NOT",
        "IN",
        "IS",
        "NULL",
        "DISTINCT",
        "UNION",
        "ALL",
        "WITH",
        "CASE",
        "WHEN",
        "THEN",
        "ELSE",
        "END",
        "ASC",
        "DESC",
        "LIKE",
        "BETWEEN",
        "EXISTS",
        "TOP",
        "FETCH",
        "FIRST",
        "ROWS",
        "ONLY",
        "INTERSECT",
        "EXCEPT",
        "COUNT",
        "SUM",
        "AVG",
        "MIN",
        "MAX",
    ];
    let keyword = Style::new().bold().fg_color(Some(AnsiColor::Blue.into()));
    let literal = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let dialect = sqlparser::dialect::GenericDialect {};
    let Ok(tokens) = sqlparser::tokenizer::Tokenizer::new(&dialect, sql).tokenize_with_location()
    else {
        return sql.to_string();
    };
    // Each token's text is the input from its start to the next token's: the SQL shown is
    // exactly the SQL that ran.
    let starts: Vec<usize> = tokens
        .iter()
        .map(|t| byte_offset(sql, t.span.start.line, t.span.start.column))
        .collect();
    let mut out = String::with_capacity(sql.len() * 2);
    for (i, token) in tokens.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(sql.len());
        let text = sql.get(starts[i]..end).unwrap_or_default();
        let style = match &token.token {
            Token::Word(w)
                if w.quote_style.is_none()
                    && KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&w.value)) =>
            {
                Some(keyword)
            }
            Token::SingleQuotedString(_) | Token::NationalStringLiteral(_) | Token::Number(..) => {
                Some(literal)
            }
            _ => None,
        };
        match style {
            Some(style) => {
                let _ = write!(out, "{style}{text}{style:#}");
            }
            None => out.push_str(text),
        }
    }
    out
}

/// The byte offset of a 1-based line and character column in `text`.
fn byte_offset(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (n, content) in text.split_inclusive('\n').enumerate() {
        if n as u64 + 1 == line {
            let skip = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
            return offset
                + content
                    .char_indices()
                    .nth(skip)
                    .map_or(content.len(), |(at, _)| at);
        }
        offset += content.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_blanks_nulls() {
        let csv = rows_csv(
            &["a".into(), "b".into()],
            &[vec![Value::Text("x, y".into()), Value::Null]],
        )
        .unwrap();
        assert_eq!(csv, "a,b\n\"x, y\",\n");
    }

    #[test]
    fn markdown_escapes_pipes() {
        let md = rows_markdown(&["a".into()], &[vec![Value::Text("1|2".into())]]);
        assert_eq!(md, "| a |\n| --- |\n| 1\\|2 |\n");
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let sql = "SELECT name FROM t WHERE note = 'select é' LIMIT 5";
        let multiline = "SELECT \"from\" -- where\nFROM t\nWHERE x = 'it''s' LIMIT 5";
        let plain = anstream::adapter::strip_str(&highlight_sql(multiline)).to_string();
        assert_eq!(plain, multiline);
        let coloured = highlight_sql(sql);
        assert!(coloured.contains("\u{1b}["), "{coloured}");
        let plain = anstream::adapter::strip_str(&coloured).to_string();
        assert_eq!(plain, sql);
    }

    #[test]
    fn long_cells_are_clipped() {
        assert_eq!(clip(&"x".repeat(100)).chars().count(), 80);
        let table = rows_table(&["n".into()], &[vec![Value::Int(1)]], true);
        assert!(table.contains("row limit"), "{table}");
    }
}
