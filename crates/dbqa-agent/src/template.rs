//! Answer templates: the model's `answer_template` filled locally from the result rows,
//! so a typical question costs one LLM call.
//!
//! Syntax (the same text is given to the model in the system prompt):
//!
//! | placeholder      | becomes                                                     |
//! |------------------|-------------------------------------------------------------|
//! | `{column}`       | the value of result column `column` in the first row        |
//! | `{column\|list}` | every value of that column, joined with `, `                |
//! | `{row_count}`    | the number of rows returned                                 |
//! | `{0}`, `{1}`, …  | the first row's value by column position                    |
//! | `{{` and `}}`    | literal braces                                              |
//!
//! Column names match case-insensitively; a column actually named `row_count` wins over
//! the row count. A template that cannot be filled honestly (unknown column, no rows, a
//! single-value placeholder over several rows, a truncated list) returns a
//! [`TemplateError`], and the agent answers with the deterministic sentence ([`crate::sentence`]) instead.

use dbqa_core::{Rows, Value};

/// Most values a `|list` placeholder joins before the agent prefers a written answer.
const MAX_LIST: usize = 50;

/// Why a template could not be filled; the agent then asks the model for the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A placeholder names no result column.
    #[error("template placeholder `{{{0}}}` names no result column")]
    UnknownPlaceholder(String),
    /// A value placeholder over an empty result.
    #[error("the query returned no rows to fill `{{{0}}}`")]
    NoRows(String),
    /// A single-value placeholder over several rows.
    #[error("`{{{0}}}` is ambiguous over {1} rows")]
    SeveralRows(String, usize),
    /// A list over a truncated or very long result.
    #[error("`{{{0}|list}}` would leave out rows")]
    ListTooLong(String),
    /// `{row_count}` over a single row: the count is in the row, not the row count.
    #[error("`{{row_count}}` over one row is the count of rows, not the value in it")]
    SingleRowCount,
    /// A `{` without its `}`.
    #[error("template has an unclosed `{{`")]
    Unclosed,
}

/// Fills `template` from `rows`.
///
/// ```
/// use dbqa_core::{ColumnInfo, Rows, Value};
/// let rows = Rows {
///     columns: vec![ColumnInfo { name: "n".into(), type_name: String::new() }],
///     rows: vec![vec![Value::Int(3)]],
///     truncated: false,
/// };
/// let answer = dbqa_agent::template::fill_template("There are {n} customers in France.", &rows)?;
/// assert_eq!(answer, "There are 3 customers in France.");
/// # Ok::<(), dbqa_agent::template::TemplateError>(())
/// ```
pub fn fill_template(template: &str, rows: &Rows) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let rest = &template[i + 1..];
                let end = rest.find('}').ok_or(TemplateError::Unclosed)?;
                let placeholder = rest[..end].trim();
                out.push_str(&fill_one(placeholder, rows)?);
                // Skip the placeholder's characters and the closing brace.
                while let Some((j, _)) = chars.peek() {
                    if *j > i + end + 1 {
                        break;
                    }
                    chars.next();
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn fill_one(placeholder: &str, rows: &Rows) -> Result<String, TemplateError> {
    let (name, list) = match placeholder.split_once('|') {
        Some((name, modifier)) if modifier.trim().eq_ignore_ascii_case("list") => {
            (name.trim(), true)
        }
        Some(_) => return Err(TemplateError::UnknownPlaceholder(placeholder.to_string())),
        None => (placeholder, false),
    };
    let index = rows
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))
        .or_else(|| {
            name.parse::<usize>()
                .ok()
                .filter(|&i| i < rows.columns.len())
        });
    let Some(index) = index else {
        if !list && name.eq_ignore_ascii_case("row_count") {
            // One row counted is nearly always a misread aggregate (`There are
            // {row_count} customers` over `SELECT COUNT(*)`): no honest answer.
            if rows.len() == 1 {
                return Err(TemplateError::SingleRowCount);
            }
            return Ok(rows.len().to_string());
        }
        return Err(TemplateError::UnknownPlaceholder(placeholder.to_string()));
    };
    if list {
        if rows.truncated || rows.len() > MAX_LIST {
            return Err(TemplateError::ListTooLong(name.to_string()));
        }
        let values: Vec<String> = rows
            .rows
            .iter()
            .map(|row| row.get(index).map_or_else(String::new, display))
            .collect();
        return Ok(values.join(", "));
    }
    match rows.rows.as_slice() {
        [] => Err(TemplateError::NoRows(name.to_string())),
        [row] => Ok(row.get(index).map_or_else(String::new, display)),
        many => Err(TemplateError::SeveralRows(name.to_string(), many.len())),
    }
}

fn display(value: &Value) -> String {
    value.to_display_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbqa_core::ColumnInfo;

    fn rows(columns: &[&str], data: Vec<Vec<Value>>) -> Rows {
        Rows {
            columns: columns
                .iter()
                .map(|c| ColumnInfo {
                    name: c.to_string(),
                    type_name: String::new(),
                })
                .collect(),
            rows: data,
            truncated: false,
        }
    }

    fn check(template: &str, rows: &Rows, expect: Result<&str, TemplateError>) {
        assert_eq!(
            fill_template(template, rows),
            expect.map(str::to_string),
            "{template}"
        );
    }

    #[test]
    fn fills_and_refuses() {
        let one = rows(
            &["n", "Country"],
            vec![vec![Value::Int(3), Value::Text("France".into())]],
        );
        let many = rows(
            &["name"],
            vec![
                vec![Value::Text("Ada".into())],
                vec![Value::Text("Bob".into())],
            ],
        );
        let none = rows(&["n"], vec![]);
        check(
            "There are {n} customers in {country}.",
            &one,
            Ok("There are 3 customers in France."),
        );
        check("{ n } and {1}", &one, Ok("3 and France"));
        check("{{literal}} {n}", &one, Ok("{literal} 3"));
        check(
            "Customers: {name|list} ({row_count}).",
            &many,
            Ok("Customers: Ada, Bob (2)."),
        );
        check("Ünïcode {n} ✓", &one, Ok("Ünïcode 3 ✓"));
        check(
            "{total}",
            &one,
            Err(TemplateError::UnknownPlaceholder("total".into())),
        );
        check(
            "{n|upper}",
            &one,
            Err(TemplateError::UnknownPlaceholder("n|upper".into())),
        );
        check(
            "{name}",
            &many,
            Err(TemplateError::SeveralRows("name".into(), 2)),
        );
        check("{n}", &none, Err(TemplateError::NoRows("n".into())));
        check("none: {row_count}", &none, Ok("none: 0"));
        check("{n", &one, Err(TemplateError::Unclosed));
        let mut cut = many.clone();
        cut.truncated = true;
        check(
            "{name|list}",
            &cut,
            Err(TemplateError::ListTooLong("name".into())),
        );
    }
}
