//! The deterministic answer: one sentence built from the rows, with no LLM call, for the
//! results that need no explaining (nothing, one value, one row, one short column) and for
//! privacy mode (`SEND_ROWS_TO_LLM=false`), where no model may read the rows.

use dbqa_core::{Rows, Value};

/// Columns of a single row spelled out at most.
const ROW_COLUMNS: usize = 6;
/// Values of a single column listed at most.
const LIST_VALUES: usize = 20;

/// The sentence for a simple result, `None` when the result needs explaining.
///
/// ```
/// use dbqa_core::{ColumnInfo, Rows, Value};
/// let rows = Rows {
///     columns: vec![ColumnInfo { name: "late_orders".into(), type_name: String::new() }],
///     rows: vec![vec![Value::Int(145)]],
///     truncated: false,
/// };
/// assert_eq!(dbqa_agent::sentence::simple(&rows).as_deref(), Some("Late orders: 145."));
/// ```
pub fn simple(rows: &Rows) -> Option<String> {
    let columns = rows.columns.len();
    match (rows.rows.as_slice(), columns) {
        ([], _) => Some(String::from("No rows match.")),
        ([row], n) if n <= ROW_COLUMNS => Some(one_row(rows, row)),
        (all, 1) if all.len() <= LIST_VALUES && !rows.truncated => Some(one_column(rows)),
        _ => None,
    }
}

/// The sentence for any result: the simple one, else how many rows came back and the
/// first of them (the top one when the query ordered its result).
pub fn any(rows: &Rows) -> String {
    simple(rows).unwrap_or_else(|| {
        let cut = if rows.truncated {
            ", cut at the result limit"
        } else {
            ""
        };
        let first = match rows.rows.first() {
            Some(row) if rows.columns.len() <= ROW_COLUMNS => {
                format!(" The first: {}", one_row(rows, row))
            }
            _ => String::new(),
        };
        format!("The query returned {} rows{cut}.{first}", rows.len())
    })
}

fn one_row(rows: &Rows, row: &[Value]) -> String {
    let parts: Vec<String> = rows
        .columns
        .iter()
        .zip(row)
        .map(|(column, value)| format!("{}: {}", label(&column.name), value.to_display_string()))
        .collect();
    format!("{}.", parts.join("; "))
}

fn one_column(rows: &Rows) -> String {
    let values: Vec<String> = rows
        .rows
        .iter()
        .filter_map(|row| row.first().map(Value::to_display_string))
        .collect();
    let name = rows.columns.first().map_or("", |c| c.name.as_str());
    format!("{} ({}): {}.", label(name), values.len(), values.join(", "))
}

/// A column name as words: `late_orders` → `Late orders`, `COUNT(*)` → `COUNT(*)`.
fn label(name: &str) -> String {
    let words = name.replace('_', " ");
    let words = words.trim();
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::from("Value"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbqa_core::ColumnInfo;

    fn rows(columns: &[&str], rows: Vec<Vec<Value>>, truncated: bool) -> Rows {
        Rows {
            columns: columns
                .iter()
                .map(|c| ColumnInfo {
                    name: c.to_string(),
                    type_name: String::new(),
                })
                .collect(),
            rows,
            truncated,
        }
    }

    #[test]
    fn simple_results_get_a_sentence() {
        let text = |v: &str| Value::Text(v.into());
        let cases = [
            (rows(&["n"], vec![], false), Some("No rows match.")),
            (
                rows(&["count(*)"], vec![vec![Value::Int(3)]], false),
                Some("Count(*): 3."),
            ),
            (
                rows(
                    &["name", "country"],
                    vec![vec![text("Ada"), text("France")]],
                    false,
                ),
                Some("Name: Ada; Country: France."),
            ),
            (
                rows(
                    &["city"],
                    vec![vec![text("Lyon")], vec![text("Nice")]],
                    false,
                ),
                Some("City (2): Lyon, Nice."),
            ),
            // Several rows of several columns need explaining; so does a cut list.
            (
                rows(
                    &["a", "b"],
                    vec![vec![Value::Int(1), Value::Int(2)]; 2],
                    false,
                ),
                None,
            ),
            (rows(&["city"], vec![vec![text("Lyon")]; 2], true), None),
        ];
        for (rows, expect) in cases {
            assert_eq!(simple(&rows).as_deref(), expect, "{rows:?}");
        }
    }

    #[test]
    fn any_result_gets_a_sentence() {
        let many = rows(
            &["a", "b"],
            vec![vec![Value::Int(1), Value::Int(2)]; 3],
            true,
        );
        assert_eq!(
            any(&many),
            "The query returned 3 rows, cut at the result limit. The first: A: 1; B: 2."
        );
        let wide = rows(&["a"; 7], vec![vec![Value::Int(1); 7]; 2], false);
        assert_eq!(any(&wide), "The query returned 2 rows.");
    }
}
