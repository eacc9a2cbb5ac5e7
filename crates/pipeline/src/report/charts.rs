//! The report's charts, drawn by plotters into SVG text (its SVG backend writes `<text>`
//! elements and leaves the fonts to the browser, so no system font is needed). Four
//! shapes cover every section: horizontal bars (single, grouped or stacked, with an
//! optional reference line), lines over months, and survival curves with their bands.
//!
//! Colours are the Okabe-Ito palette, distinguishable with every common colour-vision
//! deficiency; the state's own series is black.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of every chart in SVG pixels; the page scales it to the screen (viewBox).
const WIDTH: u32 = 760;

/// Okabe-Ito: blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
];

/// How values read on an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Shares 0-1 shown as percentages.
    Percent,
    /// Plain numbers.
    Number,
}

impl Scale {
    /// The axis label of `v`.
    pub fn axis(self, v: f64) -> String {
        match self {
            // Room past 100% is for the bars' notes: no share is labelled over 100%.
            Scale::Percent if v > 1.0 + 1e-9 => String::new(),
            Scale::Percent => format!("{:.0}%", v * 100.0),
            Scale::Number if v.abs() >= 100.0 || v.fract() == 0.0 => format!("{v:.0}"),
            Scale::Number => format!("{v:.1}"),
        }
    }
}

impl Scale {
    /// A value as the legend writes it, one decimal.
    pub fn value(self, v: f64) -> String {
        match self {
            Scale::Percent => format!("{:.1}%", v * 100.0),
            Scale::Number => format!("{v:.1}"),
        }
    }
}

/// How several series of bars share a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Side by side.
    Grouped,
    /// End to end.
    Stacked,
}

/// One row of a bar chart: its label and one value per series (None: no bar).
#[derive(Debug, Clone)]
pub struct BarRow {
    /// The row's label on the left axis.
    pub label: String,
    /// One value per series.
    pub values: Vec<Option<f64>>,
    /// Text written after the row's bars (its value, a remark).
    pub note: Option<String>,
}

/// A horizontal bar chart.
pub struct Bars<'a> {
    /// The rows, top to bottom.
    pub rows: &'a [BarRow],
    /// The series' names (shown in a legend when there are two or more).
    pub series: &'a [&'a str],
    /// Grouped or stacked.
    pub layout: Layout,
    /// A vertical reference line and its name (the state's value).
    pub reference: Option<(&'a str, f64)>,
    /// The value axis's label, with its unit.
    pub x_label: &'a str,
    /// How the value axis reads.
    pub scale: Scale,
}

/// Where a chart's legend goes: where its lines leave room.
pub type LegendAt = SeriesLabelPosition;

/// One line of a chart over months.
pub struct Line {
    /// Its name in the legend.
    pub name: String,
    /// (month index, value) points; months are counted from year 0 (`year * 12 + month - 1`).
    pub points: Vec<(f64, f64)>,
}

/// One retention curve: survival and its 95% band at each time point.
pub struct Curve {
    /// Its name in the legend.
    pub name: String,
    /// (days, survival, lower, upper), starting at (0, 1, 1, 1).
    pub points: Vec<(f64, f64, f64, f64)>,
}

fn failed<E: std::fmt::Display>(e: E) -> String {
    format!("cannot draw the chart ({e})")
}

/// The colour of series `i`: black for the first when `state_first`, then the palette.
fn colour(i: usize, state_first: bool) -> RGBColor {
    match (state_first, i) {
        (true, 0) => BLACK,
        (true, i) => PALETTE[(i - 1) % PALETTE.len()],
        (false, i) => PALETTE[i % PALETTE.len()],
    }
}

/// `svg` with a `<title>` (what screen readers announce) and `role="img"`, without the
/// `xmlns` an inline SVG of an HTML page does not need (the page names no address).
fn titled(svg: String, title: &str) -> String {
    let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    match svg.find('>') {
        Some(end) => format!(
            "{} role=\"img\">\n<title>{escaped}</title>{}",
            &svg[..end],
            &svg[end + 1..]
        ),
        None => svg,
    }
}

/// Draws a horizontal bar chart.
pub fn bars(title: &str, chart: &Bars<'_>) -> Result<String, String> {
    let n = chart.rows.len().max(1);
    let per_row = if chart.layout == Layout::Grouped {
        14 * chart.series.len().max(1) as u32 + 8
    } else {
        24
    };
    let legend = if chart.series.len() > 1 { 30 } else { 0 };
    let height = 70 + legend + per_row * n as u32;
    let totals = chart.rows.iter().map(|r| match chart.layout {
        Layout::Stacked => (
            r.values.iter().flatten().filter(|v| **v < 0.0).sum::<f64>(),
            r.values.iter().flatten().filter(|v| **v > 0.0).sum::<f64>(),
        ),
        Layout::Grouped => (
            r.values.iter().flatten().fold(0.0f64, |a, b| a.min(*b)),
            r.values.iter().flatten().fold(0.0f64, |a, b| a.max(*b)),
        ),
    });
    let (mut lo, mut hi) = totals.fold((0.0f64, 0.0f64), |(l, h), (a, b)| (l.min(a), h.max(b)));
    if let Some((_, r)) = chart.reference {
        lo = lo.min(r);
        hi = hi.max(r);
    }
    if hi - lo <= 0.0 {
        hi = lo + 1.0;
    }
    // Room on the right for the rows' notes.
    let notes = chart
        .rows
        .iter()
        .filter_map(|r| r.note.as_ref())
        .map(|n| n.len())
        .max();
    let pad = (hi - lo) * notes.map_or(0.08, |n| 0.04 + n as f64 * 0.012);
    let (lo, hi) = (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let root = root.margin(8, 8, 8, 16);
        let (root, legend_area) = if legend > 0 {
            let (l, r) = root.split_vertically(legend);
            (r, Some(l))
        } else {
            (root, None)
        };
        let rows = n as f64;
        let mut ctx = ChartBuilder::on(&root)
            .x_label_area_size(44)
            .y_label_area_size(150)
            .build_cartesian_2d(lo..hi, 0.0..rows)
            .map_err(failed)?;
        let scale = chart.scale;
        // The rows' labels are drawn beside their bars below: plotters places the labels
        // of a numeric axis at round values, not at the rows' centres.
        ctx.configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|v| scale.axis(*v))
            .x_desc(chart.x_label)
            .axis_desc_style(("sans-serif", 14))
            .label_style(("sans-serif", 12))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(failed)?;
        let slots = chart.series.len().max(1) as f64;
        let label_style = ("sans-serif", 12)
            .into_font()
            .into_text_style(&root)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (r, row) in chart.rows.iter().enumerate() {
            // Row r spans y in [n - r - 1, n - r], top to bottom.
            let top = rows - r as f64;
            let (x, y) = ctx.backend_coord(&(lo, top - 0.5));
            let (ox, oy) = root.get_base_pixel();
            root.draw(&Text::new(
                row.label.clone(),
                (x - ox - 6, y - oy),
                label_style.clone(),
            ))
            .map_err(failed)?;
            let (mut left, mut right) = (0.0f64, 0.0f64);
            for (s, value) in row.values.iter().enumerate() {
                let Some(v) = *value else { continue };
                let (from, to, upper, lower) = match chart.layout {
                    Layout::Stacked => {
                        let (from, to) = if v >= 0.0 {
                            right += v;
                            (right - v, right)
                        } else {
                            left += v;
                            (left - v, left)
                        };
                        (from, to, top - 0.15, top - 0.85)
                    }
                    Layout::Grouped => {
                        let band = 0.8 / slots;
                        let upper = top - 0.1 - band * s as f64;
                        (0.0, v, upper, upper - band * 0.9)
                    }
                };
                ctx.draw_series(std::iter::once(Rectangle::new(
                    [(from, upper), (to, lower)],
                    colour(s, false).filled(),
                )))
                .map_err(failed)?;
            }
            if let Some(note) = &row.note {
                let end = match chart.layout {
                    Layout::Stacked => right,
                    Layout::Grouped => row.values.iter().flatten().fold(0.0f64, |a, b| a.max(*b)),
                };
                let (x, y) = ctx.backend_coord(&(end, top - 0.5));
                let (ox, oy) = root.get_base_pixel();
                root.draw(&Text::new(
                    note.clone(),
                    (x - ox + 5, y - oy),
                    ("sans-serif", 11)
                        .into_font()
                        .into_text_style(&root)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(failed)?;
            }
        }
        if let Some((name, r)) = chart.reference {
            ctx.draw_series(std::iter::once(PathElement::new(
                vec![(r, 0.0), (r, rows)],
                BLACK.stroke_width(2),
            )))
            .map_err(failed)?
            .label(format!("{name}: {}", scale.value(r)))
            .legend(|(x, y)| PathElement::new(vec![(x, y - 6), (x, y + 6)], BLACK.stroke_width(2)));
            series_legend(&mut ctx, SeriesLabelPosition::LowerRight)?;
        }
        if let Some(area) = legend_area {
            legend_row(&area, chart.series, false)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(titled(svg, title))
}

/// The legend of the series drawn with a label, boxed at `position`.
fn series_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    ctx: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    ctx.configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(failed)
}

/// A row of coloured swatches naming the series, drawn in `area`.
fn legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    names: &[&str],
    state_first: bool,
) -> Result<(), String> {
    let mut x = 150i32;
    for (i, name) in names.iter().enumerate() {
        let c = colour(i, state_first);
        area.draw(&Rectangle::new([(x, 8), (x + 14, 22)], c.filled()))
            .map_err(|e| failed(format!("{e:?}")))?;
        area.draw(&Text::new(
            name.to_string(),
            (x + 20, 9),
            ("sans-serif", 13).into_font(),
        ))
        .map_err(|e| failed(format!("{e:?}")))?;
        x += 34 + 7 * name.len() as i32;
    }
    Ok(())
}

/// `YYYY-MM` of a month index (the contract's `Day::month_index`).
pub fn month_label(index: f64) -> String {
    let (year, month, _) = retention_contract::Day::from_month_index(index.round() as i32).ymd();
    format!("{year}-{month:02}")
}

/// Draws lines over months; the first line is the state's (black, thicker).
pub fn lines(
    title: &str,
    series: &[Line],
    y_label: &str,
    scale: Scale,
    legend_at: LegendAt,
) -> Result<String, String> {
    let points = series.iter().flat_map(|l| l.points.iter());
    let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0.0f64);
    for (x, y) in points {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y1 = y1.max(*y);
    }
    if x0 > x1 {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let y1 = if y1 <= 0.0 { 1.0 } else { y1 * 1.1 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let root = root.margin(8, 8, 8, 16);
        let mut ctx = ChartBuilder::on(&root)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(failed)?;
        ctx.configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|v| month_label(*v))
            .y_label_formatter(&|v| scale.axis(*v))
            .x_desc("Month")
            .y_desc(y_label)
            .axis_desc_style(("sans-serif", 14))
            .label_style(("sans-serif", 12))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(failed)?;
        for (i, line) in series.iter().enumerate() {
            let c = colour(i, true);
            let width = if i == 0 { 3 } else { 2 };
            ctx.draw_series(LineSeries::new(
                line.points.iter().copied(),
                c.stroke_width(width),
            ))
            .map_err(failed)?
            .label(line.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
        }
        series_legend(&mut ctx, legend_at)?;
        root.present().map_err(failed)?;
    }
    Ok(titled(svg, title))
}

/// Draws retention curves with their 95% bands and a mark at one year.
pub fn survival(title: &str, curves: &[Curve]) -> Result<String, String> {
    let floor = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.2))
        .fold(1.0f64, f64::min);
    let y0 = ((floor - 0.05) * 10.0).floor().max(0.0) / 10.0;
    let x1 = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .fold(365.0f64, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 400)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let root = root.margin(8, 8, 8, 16);
        let mut ctx = ChartBuilder::on(&root)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x1, y0..1.0)
            .map_err(failed)?;
        ctx.configure_mesh()
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| Scale::Percent.axis(*v))
            .x_desc("Days since hire")
            .y_desc("Still employed (%)")
            .axis_desc_style(("sans-serif", 14))
            .label_style(("sans-serif", 12))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(failed)?;
        for (i, curve) in curves.iter().enumerate() {
            let c = colour(i, true);
            let mut band: Vec<(f64, f64)> = curve.points.iter().map(|p| (p.0, p.3)).collect();
            band.extend(curve.points.iter().rev().map(|p| (p.0, p.2)));
            ctx.draw_series(std::iter::once(Polygon::new(band, c.mix(0.15).filled())))
                .map_err(failed)?;
            ctx.draw_series(LineSeries::new(
                curve.points.iter().map(|p| (p.0, p.1)),
                c.stroke_width(if i == 0 { 3 } else { 2 }),
            ))
            .map_err(failed)?
            .label(curve.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
        }
        ctx.draw_series(std::iter::once(PathElement::new(
            vec![(365.0, y0), (365.0, 1.0)],
            RGBColor(120, 120, 120).stroke_width(1),
        )))
        .map_err(failed)?;
        ctx.draw_series(std::iter::once(Text::new(
            "one year".to_string(),
            (372.0, y0 + (1.0 - y0) * 0.06),
            ("sans-serif", 12).into_font(),
        )))
        .map_err(failed)?;
        series_legend(&mut ctx, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(failed)?;
    }
    Ok(titled(svg, title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_labels_count_from_year_zero() {
        assert_eq!(Scale::Percent.axis(0.25), "25%");
        assert_eq!(Scale::Percent.axis(1.2), "");
        assert_eq!(month_label((2025 * 12 + 5) as f64), "2025-06");
        assert_eq!(month_label((2024 * 12) as f64), "2024-01");
    }

    #[test]
    fn a_bar_chart_is_svg_with_its_title_and_labels() {
        let rows = [
            BarRow {
                label: "OFF1".into(),
                values: vec![Some(0.4)],
                note: Some("40% (worst: 00-06m)".into()),
            },
            BarRow {
                label: "OFF2".into(),
                values: vec![Some(0.2)],
                note: None,
            },
        ];
        let svg = bars(
            "Turnover",
            &Bars {
                rows: &rows,
                series: &["turnover"],
                layout: Layout::Grouped,
                reference: Some(("state", 0.3)),
                x_label: "Separations per worker-year (%)",
                scale: Scale::Percent,
            },
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<title>Turnover</title>"));
        for text in [
            "OFF1",
            "OFF2",
            "Separations per worker-year (%)",
            "state: 30.0%",
        ] {
            assert!(svg.contains(text), "{text} in {svg}");
        }
        // Two bars and no more: one rect each, besides the background and the legend.
        assert_eq!(svg.matches("fill=\"#0072B2\"").count(), 2, "{svg}");
    }
}
