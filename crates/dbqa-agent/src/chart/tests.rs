//! Which results get which chart, and the Vega-Lite spec written for them.

use dbqa_core::{ColumnInfo, Rows, Value};

use super::*;

fn rows(names: &[&str], data: Vec<Vec<Value>>) -> Rows {
    Rows {
        columns: names
            .iter()
            .map(|n| ColumnInfo {
                name: n.to_string(),
                type_name: String::new(),
            })
            .collect(),
        rows: data,
        truncated: false,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn a_count_per_category_is_a_bar_chart() {
    let result = rows(
        &["country", "n"],
        vec![
            vec![text("France"), Value::Int(3)],
            vec![text("Spain"), Value::Int(2)],
            vec![text("Italy"), Value::Decimal("1.50".into())],
        ],
    );
    let chart = suggest(&result).expect("chart");
    assert_eq!(chart.kind, ChartKind::Bar);
    assert_eq!(chart.x, "country");
    assert_eq!(chart.categories(), ["France", "Spain", "Italy"]);
    assert_eq!(chart.points[2].value, 1.5);
    let spec = chart.vega_lite();
    assert_eq!(spec["mark"]["type"], "bar");
    assert_eq!(spec["data"]["values"].as_array().map(Vec::len), Some(3));
    assert_eq!(spec["encoding"]["y"]["title"], "n");
    assert!(spec["encoding"].get("color").is_none());
}

#[test]
fn dates_and_years_make_lines() {
    let monthly = rows(
        &["month", "revenue"],
        vec![
            vec![text("2024-01"), Value::Float(10.0)],
            vec![text("2024-02"), Value::Float(12.5)],
            vec![text("2024-03"), Value::Float(9.0)],
        ],
    );
    let chart = suggest(&monthly).expect("chart");
    assert_eq!(chart.kind, ChartKind::Line);
    assert!(chart.temporal);
    assert_eq!(chart.vega_lite()["mark"]["type"], "line");

    let daily = rows(
        &["day", "orders"],
        vec![
            vec![Value::Date("2024-01-01".into()), Value::Int(4)],
            vec![Value::Date("2024-01-02".into()), Value::Int(6)],
        ],
    );
    assert_eq!(suggest(&daily).map(|c| c.kind), Some(ChartKind::Line));

    let yearly = rows(
        &["order_year", "n"],
        vec![
            vec![Value::Int(2023), Value::Int(4)],
            vec![Value::Int(2024), Value::Int(6)],
        ],
    );
    assert_eq!(suggest(&yearly).map(|c| c.kind), Some(ChartKind::Line));
}

#[test]
fn several_numbers_or_a_second_category_make_grouped_bars() {
    let measures = rows(
        &["team", "wins", "losses"],
        vec![
            vec![text("A"), Value::Int(3), Value::Int(1)],
            vec![text("B"), Value::Int(2), Value::Int(2)],
        ],
    );
    let chart = suggest(&measures).expect("chart");
    assert_eq!(chart.kind, ChartKind::GroupedBar);
    assert_eq!(chart.series_names(), ["wins", "losses"]);
    let spec = chart.vega_lite();
    assert_eq!(spec["encoding"]["xOffset"]["field"], "series");
    assert_eq!(spec["encoding"]["color"]["field"], "series");

    let split = rows(
        &["country", "segment", "n"],
        vec![
            vec![text("France"), text("retail"), Value::Int(3)],
            vec![text("France"), text("business"), Value::Int(1)],
            vec![text("Spain"), text("retail"), Value::Int(2)],
        ],
    );
    let chart = suggest(&split).expect("chart");
    assert_eq!(chart.kind, ChartKind::GroupedBar);
    assert_eq!(chart.series.as_deref(), Some("segment"));
    assert_eq!(chart.categories(), ["France", "Spain"]);
}

#[test]
fn nothing_to_draw_gets_no_chart() {
    let single = rows(&["n"], vec![vec![Value::Int(3)]]);
    assert_eq!(suggest(&single), None);
    let one_row = rows(&["country", "n"], vec![vec![text("France"), Value::Int(3)]]);
    assert_eq!(suggest(&one_row), None);
    let no_numbers = rows(
        &["first", "last"],
        vec![vec![text("Ann"), text("Lee")], vec![text("Bo"), text("Ng")]],
    );
    assert_eq!(suggest(&no_numbers), None);
    let ids = rows(
        &["name", "customer_id"],
        vec![
            vec![text("Ann"), Value::Int(1)],
            vec![text("Bo"), Value::Int(2)],
        ],
    );
    assert_eq!(suggest(&ids), None, "identifiers are not measures");
    let wide = "a long description of a product that nobody wants on an axis label";
    let wide_text = rows(
        &["description", "n"],
        vec![
            vec![text(wide), Value::Int(1)],
            vec![text(wide), Value::Int(2)],
        ],
    );
    assert_eq!(suggest(&wide_text), None);
    let many: Vec<Vec<Value>> = (0..=MAX_BAR_CATEGORIES)
        .map(|i| vec![text(&format!("c{i}")), Value::Int(i as i64)])
        .collect();
    assert_eq!(suggest(&rows(&["c", "n"], many)), None, "too many bars");
}
