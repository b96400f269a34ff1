//! A suggested chart ([`dbqa_agent::chart::Chart`]) drawn as an image, for places that
//! cannot run the page's Vega-Lite: `dbqa ask --chart out.svg|png` and the MCP
//! `run_query` tool. SVG is drawn with plotters; PNG is that SVG rasterised by resvg with
//! an embedded font (Noto Sans), so it looks the same on a machine without fonts.

use dbqa_agent::chart::{Chart, ChartKind};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Image width in pixels.
pub const WIDTH: u32 = 800;
/// Image height in pixels.
pub const HEIGHT: u32 = 450;
/// Characters of a category label drawn at most.
const LABEL_CHARS: usize = 16;
/// The series colours, in order (Tableau 10).
const COLOURS: [(u8, u8, u8); 10] = [
    (78, 121, 167),
    (242, 142, 43),
    (225, 87, 89),
    (118, 183, 178),
    (89, 161, 79),
    (237, 201, 72),
    (176, 122, 161),
    (255, 157, 167),
    (156, 117, 95),
    (186, 176, 172),
];

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartImageError {
    /// Drawing the SVG failed.
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    /// Rasterising the SVG to PNG failed.
    #[error("cannot render the chart as PNG: {0}")]
    Render(String),
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String, ChartImageError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart).map_err(|e| ChartImageError::Draw(e.to_string()))?;
        root.present()
            .map_err(|e| ChartImageError::Draw(e.to_string()))?;
    }
    Ok(out)
}

/// The chart as a PNG image.
pub fn png(chart: &Chart) -> Result<Vec<u8>, ChartImageError> {
    let svg = svg(chart)?;
    let mut options = resvg::usvg::Options {
        font_family: String::from("Noto Sans"),
        ..resvg::usvg::Options::default()
    };
    let fonts = options.fontdb_mut();
    fonts.load_font_data(ttf_noto_sans::REGULAR.to_vec());
    fonts.set_sans_serif_family("Noto Sans");
    let tree = resvg::usvg::Tree::from_str(&svg, &options)
        .map_err(|e| ChartImageError::Render(e.to_string()))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(WIDTH, HEIGHT)
        .ok_or_else(|| ChartImageError::Render("no pixmap".into()))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ChartImageError::Render(e.to_string()))
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Axes, bars or lines, category labels and the legend. Categories sit at `i + 0.5` on
/// a continuous x axis, so bars, grouped bars and lines share one layout.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let categories = chart.categories();
    let series = chart.series_names();
    let (low, high) = value_range(chart);
    let title = match chart.y.as_slice() {
        [one] => format!("{one} by {}", chart.x),
        _ => format!("by {}", chart.x),
    };
    let mut area = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .margin_right(if series.len() > 1 { 150 } else { 16 })
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..categories.len() as f64, low..high)?;
    area.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc(chart.x.as_str())
        .light_line_style(TRANSPARENT)
        .y_desc(match chart.y.as_slice() {
            [one] => one.as_str(),
            _ => "value",
        })
        .draw()?;
    let colour = |s: &str| {
        let i = series.iter().position(|x| *x == s).unwrap_or(0);
        let (r, g, b) = COLOURS[i % COLOURS.len()];
        RGBColor(r, g, b)
    };
    let at = |label: &str| categories.iter().position(|c| *c == label).unwrap_or(0) as f64;
    match chart.kind {
        ChartKind::Line => {
            for name in &series {
                let points = chart
                    .points
                    .iter()
                    .filter(|p| p.series == *name)
                    .map(|p| (at(&p.x) + 0.5, p.value));
                let style = colour(name).stroke_width(2);
                area.draw_series(LineSeries::new(points.clone(), style))?;
                area.draw_series(points.map(|p| Circle::new(p, 3, colour(name).filled())))?;
            }
        }
        ChartKind::Bar | ChartKind::GroupedBar => {
            let width = 0.8 / series.len().max(1) as f64;
            let bars = chart.points.iter().map(|p| {
                let slot = series.iter().position(|s| *s == p.series).unwrap_or(0) as f64;
                let left = at(&p.x) + 0.1 + slot * width;
                Rectangle::new(
                    [(left, 0f64.max(low)), (left + width, p.value)],
                    colour(&p.series).filled(),
                )
            });
            area.draw_series(bars)?;
        }
    }
    let label_style =
        TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    let every = categories.len().div_ceil(20).max(1);
    for (i, label) in categories.iter().enumerate().step_by(every) {
        let (x, y) = area.backend_coord(&(i as f64 + 0.5, low));
        root.draw(&Text::new(short(label), (x, y + 6), label_style.clone()))?;
    }
    if series.len() > 1 {
        legend(root, &series, &colour)?;
    }
    Ok(())
}

/// A box per series with its name, at the right.
fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    series: &[&str],
    colour: &dyn Fn(&str) -> RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let left = WIDTH as i32 - 140;
    for (i, name) in series.iter().take(12).enumerate() {
        let top = 60 + i as i32 * 22;
        root.draw(&Rectangle::new(
            [(left, top), (left + 14, top + 14)],
            colour(name).filled(),
        ))?;
        root.draw(&Text::new(
            short(name),
            (left + 20, top),
            ("sans-serif", 13).into_font(),
        ))?;
    }
    Ok(())
}

/// The y range: from zero (or the lowest value, if negative) to a little above the top.
fn value_range(chart: &Chart) -> (f64, f64) {
    let values = chart.points.iter().map(|p| p.value);
    let low = values.clone().fold(0f64, f64::min);
    let high = values.fold(0f64, f64::max);
    let span = (high - low).max(1e-9);
    let low = if low < 0.0 { low - span * 0.05 } else { 0.0 };
    (low, high + span * 0.08)
}

fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_string();
    }
    let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbqa_agent::chart::suggest;
    use dbqa_core::{ColumnInfo, Rows, Value};

    fn chart(rows: Vec<Vec<Value>>, names: &[&str]) -> Chart {
        let rows = Rows {
            columns: names
                .iter()
                .map(|n| ColumnInfo {
                    name: n.to_string(),
                    type_name: String::new(),
                })
                .collect(),
            rows,
            truncated: false,
        };
        suggest(&rows).expect("a chart")
    }

    #[test]
    fn bars_have_one_rectangle_per_category_and_labels() {
        let bars = chart(
            vec![
                vec![Value::Text("France".into()), Value::Int(3)],
                vec![Value::Text("Spain".into()), Value::Int(2)],
            ],
            &["country", "n"],
        );
        let svg = svg(&bars).expect("svg");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            svg.contains("\nFrance\n") && svg.contains("\nSpain\n"),
            "{svg}"
        );
        assert!(svg.contains("n by country"), "{svg}");
        let png = png(&bars).expect("png");
        if let Ok(path) = std::env::var("DBQA_CHART_PNG") {
            std::fs::write(path, &png).expect("write the png");
        }
        assert_eq!(&png[1..4], b"PNG");
        assert!(png.len() > 2000, "a drawn image, not a blank one");
    }

    #[test]
    fn lines_and_grouped_bars_have_a_legend() {
        let grouped = chart(
            vec![
                vec![Value::Text("A".into()), Value::Int(3), Value::Int(1)],
                vec![Value::Text("B".into()), Value::Int(2), Value::Int(-2)],
            ],
            &["team", "wins", "losses"],
        );
        let drawn = svg(&grouped).expect("svg");
        assert!(
            drawn.contains("\nwins\n") && drawn.contains("\nlosses\n"),
            "{drawn}"
        );
        let line = chart(
            vec![
                vec![Value::Text("2024-01".into()), Value::Float(1.0)],
                vec![Value::Text("2024-02".into()), Value::Float(2.5)],
            ],
            &["month", "revenue"],
        );
        let drawn = svg(&line).expect("svg");
        assert!(
            drawn.contains("<polyline") || drawn.contains("<path"),
            "{drawn}"
        );
        assert!(drawn.contains("\n2024-02\n"), "{drawn}");
    }
}
