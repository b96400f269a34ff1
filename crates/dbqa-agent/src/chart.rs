//! The chart a result suggests, when one fits: a category or date column with one or more
//! numeric columns makes a bar, line or grouped bar chart; a single value, a single row,
//! wide text or too many categories makes none. [`suggest`] decides from the rows alone
//! (no LLM call); [`Chart::vega_lite`] writes the Vega-Lite spec `QueryResponse.chart`
//! carries, with the data inline, so the page, a notebook or any Vega-Lite reader draws
//! the same chart. The command line and MCP draw it from [`Chart`] itself.

use dbqa_core::{Rows, Value};
use serde::Serialize;
use serde_json::{Map, json};

/// Categories a bar chart shows at most; more is a table's job.
pub const MAX_BAR_CATEGORIES: usize = 50;
/// The chart of a response's rows (the one its `chart` spec draws), for drawing it
/// elsewhere than in Vega-Lite.
pub fn for_response(response: &crate::QueryResponse) -> Option<Chart> {
    let rows = Rows {
        columns: response
            .columns
            .iter()
            .map(|name| dbqa_core::ColumnInfo {
                name: name.clone(),
                type_name: String::new(),
            })
            .collect(),
        rows: response.rows.clone(),
        truncated: response.truncated,
    };
    suggest(&rows)
}

/// Points a line chart shows at most.
pub const MAX_LINE_POINTS: usize = 2000;
/// Category labels longer than this on average are wide text, not categories.
const MAX_LABEL_CHARS: usize = 40;

/// The kind of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// One bar per category.
    Bar,
    /// Bars side by side per category: one per numeric column, or per value of a second
    /// category column.
    GroupedBar,
    /// A line over dates or years (one per numeric column, or per value of a category).
    Line,
}

/// A chart of a result: which column runs along the x axis, which numbers are drawn,
/// and what splits them into series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// Bar, grouped bar or line.
    pub kind: ChartKind,
    /// The category or time column.
    pub x: String,
    /// Whether `x` holds dates (or years).
    pub temporal: bool,
    /// The numeric columns drawn.
    pub y: Vec<String>,
    /// A second category column splitting one numeric column into series.
    pub series: Option<String>,
    /// The points, in result order: x label, series label (or the y column's name when
    /// several are drawn), value.
    pub points: Vec<Point>,
}

/// One drawn value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Its x label (category, date or year).
    pub x: String,
    /// Its series: the series column's value, or the y column's name.
    pub series: String,
    /// The number.
    pub value: f64,
}

/// What a column holds, read from its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Number,
    Time,
    Category,
    Other,
}

/// The chart that fits `rows`, if one does.
///
/// ```
/// use dbqa_core::{ColumnInfo, Rows, Value};
/// use dbqa_agent::chart::{ChartKind, suggest};
/// let column = |name: &str| ColumnInfo { name: name.into(), type_name: String::new() };
/// let rows = Rows {
///     columns: vec![column("country"), column("customers")],
///     rows: vec![
///         vec![Value::Text("France".into()), Value::Int(12)],
///         vec![Value::Text("Spain".into()), Value::Int(7)],
///     ],
///     truncated: false,
/// };
/// let chart = suggest(&rows).expect("a bar chart");
/// assert_eq!(chart.kind, ChartKind::Bar);
/// assert_eq!(chart.y, ["customers"]);
/// ```
pub fn suggest(rows: &Rows) -> Option<Chart> {
    if rows.rows.len() < 2 || rows.columns.len() < 2 {
        return None;
    }
    let roles: Vec<Role> = (0..rows.columns.len()).map(|i| role(rows, i)).collect();
    let x = roles
        .iter()
        .position(|r| *r == Role::Time)
        .or_else(|| roles.iter().position(|r| *r == Role::Category))?;
    let temporal = roles[x] == Role::Time;
    let numbers: Vec<usize> = (0..roles.len())
        .filter(|&i| i != x && roles[i] == Role::Number)
        .collect();
    if numbers.is_empty() {
        return None;
    }
    let second = (0..roles.len()).find(|&i| i != x && roles[i] == Role::Category);
    let series = second.filter(|_| numbers.len() == 1);
    let kind = match (temporal, series.is_some() || numbers.len() > 1) {
        (true, _) => ChartKind::Line,
        (false, false) => ChartKind::Bar,
        (false, true) => ChartKind::GroupedBar,
    };
    let chart = Chart {
        kind,
        x: rows.columns[x].name.clone(),
        temporal,
        y: numbers
            .iter()
            .map(|&i| rows.columns[i].name.clone())
            .collect(),
        series: series.map(|i| rows.columns[i].name.clone()),
        points: points(rows, x, &numbers, series),
    };
    chart.readable().then_some(chart)
}

/// The points of the chart, one per row and drawn number.
fn points(rows: &Rows, x: usize, numbers: &[usize], series: Option<usize>) -> Vec<Point> {
    let mut out = Vec::new();
    for row in &rows.rows {
        let label = row[x].to_display_string();
        for &i in numbers {
            let Some(value) = number(&row[i]) else {
                continue;
            };
            let series = match series {
                Some(s) => row[s].to_display_string(),
                None => rows.columns[i].name.clone(),
            };
            out.push(Point {
                x: label.clone(),
                series,
                value,
            });
        }
    }
    out
}

impl Chart {
    /// Whether the chart is worth drawing: not too many categories or points.
    fn readable(&self) -> bool {
        let categories = self.categories().len();
        match self.kind {
            ChartKind::Line => categories >= 2 && self.points.len() <= MAX_LINE_POINTS,
            ChartKind::Bar | ChartKind::GroupedBar => {
                (2..=MAX_BAR_CATEGORIES).contains(&categories)
                    && self.series_names().len() <= MAX_BAR_CATEGORIES / 4
            }
        }
    }

    /// The x labels, each once, in result order.
    pub fn categories(&self) -> Vec<&str> {
        unique(self.points.iter().map(|p| p.x.as_str()))
    }

    /// The series names, each once, in result order.
    pub fn series_names(&self) -> Vec<&str> {
        unique(self.points.iter().map(|p| p.series.as_str()))
    }

    /// The chart as a Vega-Lite (v6) spec with the data inline.
    pub fn vega_lite(&self) -> serde_json::Value {
        let values: Vec<serde_json::Value> = self
            .points
            .iter()
            .map(|p| json!({ "x": p.x, "series": p.series, "value": p.value }))
            .collect();
        let value_title = match (&self.series, self.y.as_slice()) {
            (_, [one]) => one.clone(),
            _ => String::from("value"),
        };
        let series_title = self
            .series
            .clone()
            .unwrap_or_else(|| String::from("measure"));
        let x_type = if self.temporal { "ordinal" } else { "nominal" };
        let mut encoding = Map::new();
        encoding.insert(
            "x".into(),
            json!({ "field": "x", "type": x_type, "title": self.x, "sort": null,
                    "axis": { "labelLimit": 160 } }),
        );
        encoding.insert(
            "y".into(),
            json!({ "field": "value", "type": "quantitative", "title": value_title }),
        );
        let several = self.series_names().len() > 1;
        if several {
            encoding.insert(
                "color".into(),
                json!({ "field": "series", "type": "nominal", "title": series_title }),
            );
        }
        if several && self.kind == ChartKind::GroupedBar {
            encoding.insert("xOffset".into(), json!({ "field": "series" }));
        }
        encoding.insert(
            "tooltip".into(),
            json!([
                { "field": "x", "title": self.x },
                { "field": "series", "title": series_title },
                { "field": "value", "title": value_title }
            ]),
        );
        let mark = match self.kind {
            ChartKind::Line => json!({ "type": "line", "point": true }),
            ChartKind::Bar | ChartKind::GroupedBar => json!({ "type": "bar" }),
        };
        json!({
            "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "description": format!("{} by {}", value_title, self.x),
            "width": "container",
            "data": { "values": values },
            "mark": mark,
            "encoding": encoding,
        })
    }
}

fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = std::collections::HashSet::new();
    items.filter(|item| seen.insert(*item)).collect()
}

/// What column `i` holds: numbers (not identifiers), dates or years, short text, or else.
fn role(rows: &Rows, i: usize) -> Role {
    let name = rows.columns[i].name.to_lowercase();
    let values: Vec<&Value> = rows
        .rows
        .iter()
        .map(|row| &row[i])
        .filter(|v| !v.is_null())
        .collect();
    if values.is_empty() {
        return Role::Other;
    }
    if values.iter().all(|v| is_date(v)) || (is_year_name(&name) && values.iter().all(is_year)) {
        return Role::Time;
    }
    if values.iter().all(|v| number(v).is_some()) {
        return if is_identifier_name(&name) {
            Role::Other
        } else {
            Role::Number
        };
    }
    let texts: Vec<String> = values.iter().map(|v| v.to_display_string()).collect();
    let short =
        texts.iter().map(|t| t.chars().count()).sum::<usize>() / texts.len() <= MAX_LABEL_CHARS;
    let textual = values
        .iter()
        .all(|v| matches!(v, Value::Text(_) | Value::Bool(_)));
    if textual && short {
        Role::Category
    } else {
        Role::Other
    }
}

/// A cell as a number to draw.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Int(n) => Some(*n as f64),
        Value::UInt(n) => Some(*n as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        Value::Decimal(text) => text.parse().ok(),
        _ => None,
    }
}

/// A date or timestamp, typed or as ISO text (`2024-03`, `2024-03-01`, `2024-03-01 13:45`).
fn is_date(value: &Value) -> bool {
    match value {
        Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_) => true,
        Value::Text(text) => {
            let text = text.trim();
            let day = text.get(..10).unwrap_or(text);
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok()
                || chrono::NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").is_ok()
        }
        _ => false,
    }
}

fn is_year(value: &&Value) -> bool {
    matches!(value, Value::Int(y) if (1000..=2999).contains(y))
}

fn is_year_name(name: &str) -> bool {
    name == "year" || name.ends_with("_year") || name.starts_with("year_") || name == "yr"
}

fn is_identifier_name(name: &str) -> bool {
    name == "id" || name.ends_with("_id")
}

#[cfg(test)]
mod tests;
