//! The leadership report: one self-contained HTML page (`report.html` in the run folder)
//! with a chart, a one-sentence reading and the table behind it for each question
//! leadership asks. Stage `report` draws it into the run folder before `current` moves, so
//! the page and the tables it describes are published together; `retention report` draws
//! it again on demand.
//!
//! It reads only what leadership may read: the leadership views (suppressed as published),
//! `model_evaluation`'s state row, the run manifest and a count of spells started. No worker
//! key and no row of one person reaches the page. Charts are inline SVG from plotters
//! ([`charts`]); the page is an askama template (`templates/report.html`) with its CSS
//! inline, no script and no external reference, so it opens offline, prints on A4 and
//! Letter and reads on a phone.

pub mod charts;
pub mod data;

use crate::error::PipelineError;
use askama::Template;
use charts::{BarRow, Bars, Curve, Layout, Line, Scale};
use data::{Rows, days_between, int, last_whole_month, month_index, num, p_value, pct};
use datafusion::prelude::SessionContext;
use std::path::{Path, PathBuf};

/// The file name of the report in a run folder.
pub const REPORT_FILE: &str = "report.html";

/// Months of history the trend charts show.
const TREND_MONTHS: i64 = 36;

/// A headline figure with last year's.
pub struct Card {
    /// What it is.
    pub label: String,
    /// Its value now.
    pub value: String,
    /// Last year's value, in words.
    pub last_year: String,
}

/// A table: its header and its rows of text.
#[derive(Default)]
pub struct Table {
    /// Column headers.
    pub head: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// One cell of a heat table.
pub struct HeatCell {
    /// What it shows.
    pub text: String,
    /// Inline style (its background), empty for a suppressed or empty cell.
    pub style: String,
    /// Whether the cell is suppressed (shown in words, never as a number).
    pub suppressed: bool,
}

/// A heat table: offices by tenure bands for one measure.
pub struct Heat {
    /// The measure, with its scale.
    pub title: String,
    /// Column headers: the bands and ALL.
    pub bands: Vec<String>,
    /// (office, cells) rows.
    pub rows: Vec<(String, Vec<HeatCell>)>,
}

/// One section of the page.
pub struct Section {
    /// Anchor id.
    pub id: &'static str,
    /// Its name in the page's table of contents.
    pub nav: &'static str,
    /// Title (also the chart's title).
    pub title: String,
    /// The one-sentence reading, written from the numbers.
    pub reading: String,
    /// The chart (inline SVG), if the section draws one.
    pub chart: Option<String>,
    /// Heat tables (the wellbeing section).
    pub heats: Vec<Heat>,
    /// The table behind the chart.
    pub table: Table,
    /// A note under the chart (definitions, caveats).
    pub note: String,
}

/// The page.
#[derive(Template)]
#[template(path = "report.html")]
pub struct Page {
    /// The run id.
    pub run_id: String,
    /// The as-of date.
    pub as_of: String,
    /// When the run finished.
    pub finished_at: String,
    /// The headline cards.
    pub cards: Vec<Card>,
    /// The sections after the cards.
    pub sections: Vec<Section>,
    /// The smallest group shown (`min_group_size`).
    pub min_group: i64,
}

fn internal(message: impl std::fmt::Display) -> PipelineError {
    PipelineError::Internal {
        step: "the report",
        message: message.to_string(),
    }
}

/// Draws the report of the run in folder `run_dir` (a complete run: its tables and
/// manifest written).
pub fn draw(run_dir: &Path) -> Result<String, PipelineError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(internal)?;
    runtime.block_on(draw_async(run_dir))
}

/// Draws the report of `run_dir` and writes it to `out` (through a temporary file renamed
/// over it, so a reader never sees half a page); returns `out`.
pub fn write(run_dir: &Path, out: &Path) -> Result<PathBuf, PipelineError> {
    let html = draw(run_dir)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| REPORT_FILE.into());
    let temporary = out.with_file_name(format!(".{name}.partial"));
    let io = |e: std::io::Error| internal(format!("cannot write {}: {e}", out.display()));
    std::fs::write(&temporary, html).map_err(io)?;
    std::fs::rename(&temporary, out).map_err(io)?;
    Ok(out.to_path_buf())
}

async fn draw_async(run_dir: &Path) -> Result<String, PipelineError> {
    let manifest: serde_json::Value = std::fs::read(run_dir.join("run_manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            internal(format!(
                "{}: no readable run_manifest.json",
                run_dir.display()
            ))
        })?;
    let field = |k: &str| {
        manifest
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let setting = |k: &str| {
        manifest
            .pointer(&format!("/settings/settings/{k}"))
            .and_then(|v| v.as_f64())
    };
    // Every table a view reads; not worker_risk, one person's risk, which no view reads.
    let ctx = crate::query::open_folder(run_dir, &["worker_risk"])
        .await
        .map_err(internal)?;
    let facts = Facts {
        as_of: field("as_of"),
        min_group: setting("min_group_size").unwrap_or(5.0) as i64,
        supervision_minutes: setting("supervision_minutes").unwrap_or(240.0),
        individual_minutes: setting("supervision_individual_minutes").unwrap_or(120.0),
    };
    let page = build(&ctx, &facts, &field("run_id"), &field("finished_at"))
        .await
        .map_err(internal)?;
    page.render().map_err(internal)
}

/// The run's settings the page needs.
struct Facts {
    as_of: String,
    min_group: i64,
    supervision_minutes: f64,
    individual_minutes: f64,
}

async fn build(
    ctx: &SessionContext,
    facts: &Facts,
    run_id: &str,
    finished_at: &str,
) -> Result<Page, String> {
    let offices = Rows::query(
        ctx,
        "select office_id, tenure_band, period_start, headcount_end, avg_headcount, separations, \
         voluntary_separations, turnover_rate, voluntary_turnover_rate, caseload_mean, \
         caseload_over_standard_share, predicted_separations_12m, predicted_turnover_12m, risk_tier \
         from office_risk order by office_id, tenure_band_order",
    )
    .await?;
    let trend = Rows::query(
        ctx,
        "select cast(month as varchar) as month, cast(period_end as varchar) as period_end, \
         office_id, avg_headcount, headcount_end, separations, voluntary_separations \
         from turnover_trend where tenure_band = 'ALL' order by office_id, month",
    )
    .await?;
    let mut sections = Vec::new();
    let cards = glance(ctx, facts, &offices, &trend).await?;
    sections.push(turnover_by_office(&offices, facts)?);
    sections.push(turnover_trend(&offices, &trend, facts)?);
    sections.push(curves(ctx, facts).await?);
    sections.push(caseload(&offices)?);
    sections.push(supervision(ctx, facts).await?);
    sections.push(wellbeing(ctx, facts).await?);
    sections.push(programs(ctx, facts).await?);
    sections.push(drivers(ctx).await?);
    sections.push(hiring(ctx).await?);
    sections.push(quality(ctx).await?);
    Ok(Page {
        run_id: run_id.to_string(),
        as_of: facts.as_of.clone(),
        finished_at: finished_at.to_string(),
        cards,
        sections,
        min_group: facts.min_group,
    })
}

/// The row of `rows` for office `office` and band `band`.
fn cell(rows: &Rows, office: &str, band: &str) -> Option<usize> {
    (0..rows.len())
        .find(|&r| rows.str(r, "office_id") == office && rows.str(r, "tenure_band") == band)
}

/// Turnover over twelve calendar months of `turnover_trend` rows of one office, ending
/// with month index `last`: separations x 365.25 / worker-days (None unless all twelve
/// months are there).
fn rolling(trend: &Rows, office: &str, last: i64, column: &str) -> Option<f64> {
    let (mut months, mut separations, mut exposure) = (0, 0.0, 0.0);
    for r in (0..trend.len()).filter(|&r| trend.str(r, "office_id") == office) {
        let month = trend.str(r, "month");
        let Some(m) = month_index(&month) else {
            continue;
        };
        if m <= last && m > last - 12 {
            months += 1;
            separations += trend.num(r, column).unwrap_or(0.0);
            exposure += trend.num(r, "avg_headcount").unwrap_or(0.0)
                * days_between(&month, &trend.str(r, "period_end")).unwrap_or(0.0);
        }
    }
    (months == 12 && exposure > 0.0).then(|| separations * 365.25 / exposure)
}

async fn glance(
    ctx: &SessionContext,
    facts: &Facts,
    offices: &Rows,
    trend: &Rows,
) -> Result<Vec<Card>, String> {
    let state = cell(offices, "ALL", "ALL");
    let now = |c: &str| state.and_then(|r| offices.num(r, c));
    // The 12 calendar months before the trailing window: ending with the last whole month
    // before it starts (the trailing window starts a year before as-of, plus a day).
    let before = last_whole_month(&facts.as_of) - 12;
    let year_ago = month_index(&facts.as_of).unwrap_or(0) - 12;
    let then = (0..trend.len()).find(|&r| {
        trend.str(r, "office_id") == "ALL" && month_index(&trend.str(r, "month")) == Some(year_ago)
    });
    let headcount_then = then.map_or("–".to_string(), |r| {
        format!(
            "on {}: {}",
            trend.str(r, "period_end"),
            int(trend.num(r, "headcount_end"))
        )
    });
    let evaluation = Rows::query(
        ctx,
        "select cast(train_end as varchar) as train_end, n, events, predicted_events \
         from warehouse.model_evaluation where scope = 'state'",
    )
    .await?;
    let predicted_then = (!evaluation.is_empty()).then(|| {
        let n = evaluation.num(0, "n").filter(|n| *n > 0.0);
        let share = |c: &str| Some(evaluation.num(0, c)? / n?);
        (
            evaluation.str(0, "train_end"),
            share("predicted_events"),
            share("events"),
        )
    });
    let period_start = state
        .map(|r| offices.str(r, "period_start"))
        .unwrap_or_default();
    let hires = Rows::query(
        ctx,
        "select sum(hires_needed_12m) as hires from hiring_plan",
    )
    .await?;
    let hired = if period_start.is_empty() {
        None
    } else {
        Rows::query(
            ctx,
            &format!(
                "select count(*) as hired from warehouse.worker_spells \
                 where start_date >= date '{period_start}' and start_date <= date '{}'",
                facts.as_of
            ),
        )
        .await?
        .num(0, "hired")
    };
    let before_label = charts::month_label(before as f64);
    Ok(vec![
        Card {
            label: format!("Workers employed on {}", facts.as_of),
            value: int(now("headcount_end")),
            last_year: format!("a year earlier, {headcount_then}"),
        },
        Card {
            label: "Turnover, last 12 months".into(),
            value: pct(now("turnover_rate")),
            last_year: format!(
                "the 12 months to {before_label}: {}",
                pct(rolling(trend, "ALL", before, "separations"))
            ),
        },
        Card {
            label: "Voluntary turnover, last 12 months".into(),
            value: pct(now("voluntary_turnover_rate")),
            last_year: format!(
                "the 12 months to {before_label}: {}",
                pct(rolling(trend, "ALL", before, "voluntary_separations"))
            ),
        },
        Card {
            label: "Predicted turnover, next 12 months".into(),
            value: pct(now("predicted_turnover_12m")),
            last_year: match predicted_then {
                Some((train_end, predicted, happened)) => format!(
                    "predicted on {train_end}: {}; what happened: {}",
                    pct(predicted),
                    pct(happened)
                ),
                None => "no backtest a year back: too little history".into(),
            },
        },
        Card {
            label: "Hires needed, next 12 months".into(),
            value: int(hires.num(0, "hires")),
            last_year: format!("hired in the last 12 months: {}", int(hired)),
        },
    ])
}

/// A total order of nullable numbers: null first, then by value (`total_cmp`).
fn order(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// Offices' `ALL`-band rows of `office_risk`, sorted by `key` (largest first), with a value.
fn ranked(offices: &Rows, key: &str) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..offices.len())
        .filter(|&r| {
            offices.str(r, "tenure_band") == "ALL"
                && offices.str(r, "office_id") != "ALL"
                && offices.num(r, key).is_some()
        })
        .collect();
    rows.sort_by(|&a, &b| {
        order(offices.num(b, key), offices.num(a, key)).then_with(|| {
            offices
                .str(a, "office_id")
                .cmp(&offices.str(b, "office_id"))
        })
    });
    rows
}

fn turnover_by_office(offices: &Rows, facts: &Facts) -> Result<Section, String> {
    let title = "Turnover per office, last 12 months";
    let ranked = ranked(offices, "turnover_rate");
    let state = cell(offices, "ALL", "ALL").and_then(|r| offices.num(r, "turnover_rate"));
    // The worst band of an office: the highest turnover among its bands with at least
    // min_group_size workers on average (a band of two people is noise, not a finding),
    // when it is above the office's own.
    let worst = |office: &str| {
        (0..offices.len())
            .filter(|&r| {
                offices.str(r, "office_id") == office
                    && offices.str(r, "tenure_band") != "ALL"
                    && offices.num(r, "avg_headcount").unwrap_or(0.0) >= facts.min_group as f64
            })
            .filter_map(|r| {
                Some((
                    offices.str(r, "tenure_band"),
                    offices.num(r, "turnover_rate")?,
                ))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            // Only a band above the office's own turnover stands out.
            .filter(|(_, t)| {
                cell(offices, office, "ALL")
                    .and_then(|r| offices.num(r, "turnover_rate"))
                    .is_some_and(|own| *t > own)
            })
    };
    let rows: Vec<BarRow> = ranked
        .iter()
        .map(|&r| BarRow {
            label: offices.str(r, "office_id"),
            values: vec![offices.num(r, "turnover_rate")],
            note: Some(match worst(&offices.str(r, "office_id")) {
                Some((band, t)) => format!(
                    "{} · worst band {band}: {}",
                    pct(offices.num(r, "turnover_rate")),
                    pct(Some(t))
                ),
                None => pct(offices.num(r, "turnover_rate")),
            }),
        })
        .collect();
    let chart = charts::bars(
        title,
        &Bars {
            rows: &rows,
            series: &["turnover"],
            layout: Layout::Grouped,
            reference: state.map(|s| ("state", s)),
            x_label: "Separations per worker-year (%)",
            scale: Scale::Percent,
        },
    )?;
    let above = state.map_or(0, |state| {
        ranked
            .iter()
            .filter(|&&r| offices.num(r, "turnover_rate").is_some_and(|t| t > state))
            .count()
    });
    let reading = match ranked.first() {
        Some(&top) => format!(
            "{}'s turnover, {}, is the state's highest; the state's is {}, and {above} of {} offices are above it.",
            offices.str(top, "office_id"),
            pct(offices.num(top, "turnover_rate")),
            pct(state),
            ranked.len()
        ),
        None => "No office had workers in the last 12 months.".into(),
    };
    let table = Table {
        head: [
            "Office",
            "Workers on as-of",
            "Average workers",
            "Separations",
            "Turnover",
            "Voluntary turnover",
            "Worst tenure band (turnover)",
        ]
        .map(String::from)
        .to_vec(),
        rows: ranked
            .iter()
            .chain(cell(offices, "ALL", "ALL").as_ref())
            .map(|&r| {
                let office = offices.str(r, "office_id");
                vec![
                    office.clone(),
                    int(offices.num(r, "headcount_end")),
                    num(offices.num(r, "avg_headcount"), 1),
                    int(offices.num(r, "separations")),
                    pct(offices.num(r, "turnover_rate")),
                    pct(offices.num(r, "voluntary_turnover_rate")),
                    worst(&office).map_or("–".into(), |(b, t)| format!("{b} ({})", pct(Some(t)))),
                ]
            })
            .collect(),
    };
    Ok(Section {
        id: "turnover",
        nav: "Turnover by office",
        title: title.into(),
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: format!(
            "Turnover: separations x 365.25 / worker-days employed. The worst tenure band is \
             the one with the highest turnover among the office's bands averaging at least {} workers.",
            facts.min_group
        ),
    })
}

fn turnover_trend(offices: &Rows, trend: &Rows, facts: &Facts) -> Result<Section, String> {
    let title = "Turnover trend: the state and the five offices with the highest predicted risk";
    // Whole months only: a window ending in as-of's unfinished month is short of a year.
    let m = last_whole_month(&facts.as_of);
    let mut names = vec!["ALL".to_string()];
    let top: Vec<String> = ranked(offices, "predicted_turnover_12m")
        .into_iter()
        .take(5)
        .map(|r| offices.str(r, "office_id"))
        .collect();
    names.extend(top.iter().cloned());
    let months: Vec<i64> = (m - TREND_MONTHS + 1..=m).collect();
    let series: Vec<Line> = names
        .iter()
        .map(|office| Line {
            name: if office == "ALL" {
                "state".into()
            } else {
                office.clone()
            },
            points: months
                .iter()
                .filter_map(|&month| {
                    Some((month as f64, rolling(trend, office, month, "separations")?))
                })
                .collect(),
        })
        .collect();
    let chart = charts::lines(
        title,
        &series,
        "Turnover, rolling 12 months (%)",
        Scale::Percent,
        charts::LegendAt::LowerLeft,
    )?;
    let state_now = rolling(trend, "ALL", m, "separations");
    let state_then = rolling(trend, "ALL", m - 12, "separations");
    let direction = match (state_now, state_then) {
        (Some(a), Some(b)) if a > b + 0.005 => "up from",
        (Some(a), Some(b)) if a < b - 0.005 => "down from",
        (Some(_), Some(_)) => "about the same as",
        _ => "against",
    };
    let reading = match top.first() {
        Some(first) => format!(
            "The state's turnover over the 12 months to {} is {}, {direction} {} a year earlier; {first} has the highest predicted turnover for the next 12 months ({}).",
            charts::month_label(m as f64),
            pct(state_now),
            pct(state_then),
            pct(cell(offices, first, "ALL").and_then(|r| offices.num(r, "predicted_turnover_12m")))
        ),
        None => format!(
            "The state's turnover over the 12 months to {} is {}, {direction} {} a year earlier; no office's predicted turnover can be shown.",
            charts::month_label(m as f64),
            pct(state_now),
            pct(state_then)
        ),
    };
    let mut head = vec!["Month".to_string()];
    head.extend(series.iter().map(|s| s.name.clone()));
    let table = Table {
        head,
        rows: months
            .iter()
            .map(|&month| {
                let mut row = vec![charts::month_label(month as f64)];
                row.extend(
                    names
                        .iter()
                        .map(|o| pct(rolling(trend, o, month, "separations"))),
                );
                row
            })
            .collect(),
    };
    Ok(Section {
        id: "trend",
        nav: "Trend",
        title: title.into(),
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: "Each point is the turnover of the 12 calendar months ending with that month \
               (a single month's turnover of a small office jumps between 0 and very high). \
               The five offices are those with the highest predicted turnover for the next \
               12 months among offices large enough to show it."
            .into(),
    })
}

async fn curves(ctx: &SessionContext, facts: &Facts) -> Result<Section, String> {
    let title = "Retention of new hires: the state and each role";
    let rows = Rows::query(
        ctx,
        "select group_type, group_value, t_days, at_risk, events, survival, ci_lower, ci_upper \
         from retention_curves where group_type in ('state', 'role') \
         order by group_type desc, group_value, t_days",
    )
    .await?;
    let mut groups: Vec<(String, String)> = Vec::new();
    for r in 0..rows.len() {
        let g = (rows.str(r, "group_type"), rows.str(r, "group_value"));
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let curves: Vec<Curve> = groups
        .iter()
        .map(|(kind, value)| {
            let mut points = vec![(0.0, 1.0, 1.0, 1.0)];
            points.extend(
                (0..rows.len())
                    .filter(|&r| {
                        rows.str(r, "group_type") == *kind && rows.str(r, "group_value") == *value
                    })
                    .filter_map(|r| {
                        Some((
                            rows.num(r, "t_days")?,
                            rows.num(r, "survival")?,
                            rows.num(r, "ci_lower")?,
                            rows.num(r, "ci_upper")?,
                        ))
                    }),
            );
            Curve {
                name: if kind == "state" {
                    "state".into()
                } else {
                    value.clone()
                },
                points,
            }
        })
        .collect();
    let chart = charts::survival(title, &curves)?;
    let at_year = |name: &str| {
        curves
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.points.iter().find(|p| p.0 == 365.0))
    };
    // The role that keeps the fewest at a year, among roles with at least min_group_size
    // spells still at risk then (a role of three hires is not a finding).
    let lowest = (0..rows.len())
        .filter(|&r| {
            rows.str(r, "group_type") == "role"
                && rows.num(r, "t_days") == Some(365.0)
                && rows.num(r, "at_risk").unwrap_or(0.0) >= facts.min_group as f64
        })
        .filter_map(|r| Some((rows.str(r, "group_value"), rows.num(r, "survival")?)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let reading = match at_year("state") {
        Some(p) => format!(
            "{} of the state's new hires are still employed one year after starting (95% interval {} to {}){}.",
            pct(Some(p.1)),
            pct(Some(p.2)),
            pct(Some(p.3)),
            lowest.map_or(String::new(), |(role, s)| format!(
                "; {role} keeps the fewest ({})",
                pct(Some(s))
            ))
        ),
        None => "No spell started in the history window has reached one year.".into(),
    };
    let table = Table {
        head: [
            "Group",
            "Days",
            "Still at risk",
            "Separations by then",
            "Still employed",
            "95% interval",
        ]
        .map(String::from)
        .to_vec(),
        rows: (0..rows.len())
            .map(|r| {
                vec![
                    if rows.str(r, "group_type") == "state" {
                        "state".into()
                    } else {
                        rows.str(r, "group_value")
                    },
                    int(rows.num(r, "t_days")),
                    int(rows.num(r, "at_risk")),
                    int(rows.num(r, "events")),
                    pct(rows.num(r, "survival")),
                    format!(
                        "{} to {}",
                        pct(rows.num(r, "ci_lower")),
                        pct(rows.num(r, "ci_upper"))
                    ),
                ]
            })
            .collect(),
    };
    Ok(Section {
        id: "retention",
        nav: "Retention of new hires",
        title: title.into(),
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: "Kaplan-Meier estimates over the spells that started in the history window, with \
               95% bands (exponential Greenwood); the grey line marks one year."
            .into(),
    })
}

fn caseload(offices: &Rows) -> Result<Section, String> {
    let title = "Caseload against the standard per office, last 12 months";
    let ranked = ranked(offices, "caseload_over_standard_share");
    let state =
        cell(offices, "ALL", "ALL").and_then(|r| offices.num(r, "caseload_over_standard_share"));
    let rows: Vec<BarRow> = ranked
        .iter()
        .map(|&r| BarRow {
            label: offices.str(r, "office_id"),
            values: vec![offices.num(r, "caseload_over_standard_share")],
            note: Some(format!(
                "{} · mean {} cases",
                pct(offices.num(r, "caseload_over_standard_share")),
                num(offices.num(r, "caseload_mean"), 1)
            )),
        })
        .collect();
    let chart = charts::bars(
        title,
        &Bars {
            rows: &rows,
            series: &["over standard"],
            layout: Layout::Grouped,
            reference: state.map(|s| ("state", s)),
            x_label: "Worker-months over the caseload standard (%)",
            scale: Scale::Percent,
        },
    )?;
    let reading = match ranked.first() {
        Some(&top) => format!(
            "At {}, {} of worker-months carried more cases than the standard allows, the state's highest share; state-wide it is {}.",
            offices.str(top, "office_id"),
            pct(offices.num(top, "caseload_over_standard_share")),
            pct(state)
        ),
        None => "No caseload snapshot fell in the last 12 months.".into(),
    };
    let table = Table {
        head: ["Office", "Mean active cases", "Worker-months over standard"]
            .map(String::from)
            .to_vec(),
        rows: ranked
            .iter()
            .chain(cell(offices, "ALL", "ALL").as_ref())
            .map(|&r| {
                vec![
                    offices.str(r, "office_id"),
                    num(offices.num(r, "caseload_mean"), 1),
                    pct(offices.num(r, "caseload_over_standard_share")),
                ]
            })
            .collect(),
    };
    Ok(Section {
        id: "caseload",
        nav: "Caseload",
        title: title.into(),
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: "A worker-month is over the standard when its mean active cases exceed the \
               office's caseload standard x the worker's fte."
            .into(),
    })
}

async fn supervision(ctx: &SessionContext, facts: &Facts) -> Result<Section, String> {
    // Hours as the policy states them: 4 h, 1.5 h.
    let hours = |minutes: f64| {
        let h = format!("{:.2}", minutes / 60.0);
        h.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let title = format!(
        "Supervision against the {} h a month ({} h one-to-one) policy",
        hours(facts.supervision_minutes),
        hours(facts.individual_minutes)
    );
    let rows = Rows::query(
        ctx,
        "select cast(month as varchar) as month, supervision_eligible_months, \
         supervision_compliance, supervision_hours_mean, retention_focus_share \
         from supervision where office_id = 'ALL' and tenure_band = 'ALL' \
         and supervision_eligible_months > 0 order by month",
    )
    .await?;
    let m = month_index(&facts.as_of).unwrap_or(0);
    let shown: Vec<usize> = (0..rows.len())
        .filter(|&r| month_index(&rows.str(r, "month")).is_some_and(|i| i > m - TREND_MONTHS))
        .collect();
    let line = |name: &str, column: &str| Line {
        name: name.into(),
        points: shown
            .iter()
            .filter_map(|&r| {
                Some((
                    month_index(&rows.str(r, "month"))? as f64,
                    rows.num(r, column)?,
                ))
            })
            .collect(),
    };
    let chart = charts::lines(
        &title,
        &[
            line("met the policy", "supervision_compliance"),
            line("minutes retention-focused", "retention_focus_share"),
        ],
        "Share of eligible worker-months / of minutes (%)",
        Scale::Percent,
        charts::LegendAt::MiddleLeft,
    )?;
    let reading = match shown.last() {
        Some(&r) => format!(
            "In {}, {} of worker-months met the policy minimum and {} of supervision minutes were retention-focused (mean {} h a month).",
            charts::month_label(month_index(&rows.str(r, "month")).unwrap_or(0) as f64),
            pct(rows.num(r, "supervision_compliance")),
            pct(rows.num(r, "retention_focus_share")),
            num(rows.num(r, "supervision_hours_mean"), 1)
        ),
        None => "The supervision extract covers no month of the last three years.".into(),
    };
    let table = Table {
        head: [
            "Month",
            "Eligible worker-months",
            "Met the policy",
            "Mean hours",
            "Minutes retention-focused",
        ]
        .map(String::from)
        .to_vec(),
        rows: shown
            .iter()
            .map(|&r| {
                vec![
                    charts::month_label(month_index(&rows.str(r, "month")).unwrap_or(0) as f64),
                    int(rows.num(r, "supervision_eligible_months")),
                    pct(rows.num(r, "supervision_compliance")),
                    num(rows.num(r, "supervision_hours_mean"), 1),
                    pct(rows.num(r, "retention_focus_share")),
                ]
            })
            .collect(),
    };
    Ok(Section {
        id: "supervision",
        nav: "Supervision",
        title,
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: format!(
            "A worker-month meets the policy with at least {:.0} minutes of supervision, {:.0} of \
             them INDIVIDUAL; only months a worker was employed every day count.",
            facts.supervision_minutes, facts.individual_minutes
        ),
    })
}

/// The heat of one measure: (column prefix, title, higher is worse, decimals).
const MEASURES: [(&str, &str, bool, usize); 3] = [
    (
        "sts",
        "Secondary traumatic stress: mean STSS total (17-85, higher is worse)",
        true,
        1,
    ),
    (
        "burnout",
        "Burnout: mean ProQOL burnout score (10-50, higher is worse)",
        true,
        1,
    ),
    (
        "resilience",
        "Resilience: mean BRS score (1-5, lower is worse)",
        false,
        2,
    ),
];

async fn wellbeing(ctx: &SessionContext, facts: &Facts) -> Result<Section, String> {
    let title = "Wellbeing by office and tenure band, last 12 months";
    let rows = Rows::query(
        ctx,
        "select office_id, tenure_band, sts_respondents, sts_mean, burnout_respondents, \
         burnout_mean, resilience_respondents, resilience_mean from wellbeing \
         where period_type = 'trailing_12m' order by office_id = 'ALL', office_id, tenure_band_order",
    )
    .await?;
    let bands = Rows::query(
        ctx,
        "select tenure_band from warehouse.tenure_bands order by tenure_band_order",
    )
    .await?;
    let bands: Vec<String> = (0..bands.len())
        .map(|r| bands.str(r, "tenure_band"))
        .collect();
    let mut offices: Vec<String> = Vec::new();
    for r in 0..rows.len() {
        let o = rows.str(r, "office_id");
        if !offices.contains(&o) {
            offices.push(o);
        }
    }
    let min = facts.min_group;
    let mut heats = Vec::new();
    let mut suppressed_cells = 0;
    let mut worst: Option<(String, String, f64)> = None;
    for (prefix, measure_title, higher_worse, decimals) in MEASURES {
        let (respondents, mean) = (format!("{prefix}_respondents"), format!("{prefix}_mean"));
        let values: Vec<f64> = (0..rows.len()).filter_map(|r| rows.num(r, &mean)).collect();
        let (lo, hi) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
        let heat_rows = offices
            .iter()
            .map(|office| {
                let cells = bands
                    .iter()
                    .map(|band| {
                        let r = (0..rows.len()).find(|&r| {
                            rows.str(r, "office_id") == *office
                                && rows.str(r, "tenure_band") == *band
                        });
                        let n = r.and_then(|r| rows.num(r, &respondents)).unwrap_or(0.0);
                        match r.and_then(|r| rows.num(r, &mean)) {
                            Some(v) => {
                                let badness = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                                let badness = if higher_worse { badness } else { 1.0 - badness };
                                if prefix == "sts"
                                    && office != "ALL"
                                    && band != "ALL"
                                    && worst.as_ref().is_none_or(|w| v > w.2)
                                {
                                    worst = Some((office.clone(), band.clone(), v));
                                }
                                HeatCell {
                                    text: num(Some(v), decimals),
                                    style: heat_style(badness),
                                    suppressed: false,
                                }
                            }
                            None if n == 0.0 => HeatCell {
                                text: "no respondents".into(),
                                style: String::new(),
                                suppressed: false,
                            },
                            None => {
                                suppressed_cells += 1;
                                HeatCell {
                                    text: if n < min as f64 {
                                        format!("fewer than {min} respondents")
                                    } else {
                                        "suppressed to protect a smaller group".into()
                                    },
                                    style: String::new(),
                                    suppressed: true,
                                }
                            }
                        }
                    })
                    .collect();
                (office.clone(), cells)
            })
            .collect();
        heats.push(Heat {
            title: measure_title.into(),
            bands: bands.clone(),
            rows: heat_rows,
        });
    }
    let reading = match &worst {
        Some((office, band, v)) => format!(
            "Secondary traumatic stress is highest among {office}'s {band} workers (mean STSS {}); {}.",
            num(Some(*v), 1),
            match suppressed_cells {
                0 => "every office and band with respondents is shown".to_string(),
                1 => format!(
                    "1 cell is not shown because fewer than {min} workers answered, or to protect such a cell"
                ),
                n => format!(
                    "{n} cells are not shown because fewer than {min} workers answered, or to protect such a cell"
                ),
            }
        ),
        None => format!(
            "No office and band had {min} or more survey respondents in the last 12 months."
        ),
    };
    let mut head = vec!["Office".to_string(), "Tenure band".to_string()];
    for (prefix, ..) in MEASURES {
        head.push(format!("{prefix} respondents"));
        head.push(format!("{prefix} mean"));
    }
    let table = Table {
        head,
        rows: (0..rows.len())
            .map(|r| {
                let mut row = vec![rows.str(r, "office_id"), rows.str(r, "tenure_band")];
                for (prefix, _, _, decimals) in MEASURES {
                    row.push(int(rows.num(r, &format!("{prefix}_respondents"))));
                    row.push(
                        rows.num(r, &format!("{prefix}_mean"))
                            .map_or("suppressed".into(), |v| num(Some(v), decimals)),
                    );
                }
                row
            })
            .collect(),
    };
    Ok(Section {
        id: "wellbeing",
        nav: "Wellbeing",
        title: title.into(),
        reading,
        chart: None,
        heats,
        table,
        note: format!(
            "Each worker's latest survey response in the last 12 months, placed in their office \
             and band on the day they answered. Darker cells are worse than the others of the \
             same table (the colours compare cells; they are not clinical cut-offs). A cell with fewer than \
             {min} respondents is never shown, nor one whose value would let it be recovered \
             from the totals."
        ),
    })
}

/// The background of a heat cell: white to a light vermillion as `badness` goes 0 to 1,
/// light enough that dark ink reads on every cell (contrast 5:1 or more).
fn heat_style(badness: f64) -> String {
    let t = 0.06 + 0.6 * badness.clamp(0.0, 1.0);
    let mix = |c: f64| (255.0 + (c - 255.0) * t).round() as u8;
    format!(
        "background:#{:02x}{:02x}{:02x};color:#111",
        mix(213.0),
        mix(94.0),
        mix(0.0)
    )
}

async fn programs(ctx: &SessionContext, facts: &Facts) -> Result<Section, String> {
    let title = "Programs: survey scores before and after, and retention a year on";
    let rows = Rows::query(
        ctx,
        "select program, cohort_id, measure, enrolled, completed, pairs, pre_mean, post_mean, \
         mean_change, effect_size_dz, p_value, attendance_rate, retained_12m, \
         comparison_retained_12m from programs order by program, cohort_id, measure",
    )
    .await?;
    let cohorts: Vec<usize> = (0..rows.len())
        .filter(|&r| {
            rows.str(r, "measure") == "sts_total"
                && (rows.num(r, "retained_12m").is_some()
                    || rows.num(r, "comparison_retained_12m").is_some())
        })
        .collect();
    let bars: Vec<BarRow> = cohorts
        .iter()
        .map(|&r| BarRow {
            label: rows.str(r, "cohort_id"),
            values: vec![
                rows.num(r, "retained_12m"),
                rows.num(r, "comparison_retained_12m"),
            ],
            // A figure of fewer than min_group_size people is a gap, not a zero.
            note: Some(format!(
                "{} vs {}",
                pct(rows.num(r, "retained_12m")),
                pct(rows.num(r, "comparison_retained_12m"))
            )),
        })
        .collect();
    let chart = charts::bars(
        title,
        &Bars {
            rows: &bars,
            series: &["enrollees", "comparison group"],
            layout: Layout::Grouped,
            reference: None,
            x_label: "Still employed 12 months after the program (%)",
            scale: Scale::Percent,
        },
    )?;
    let compared: Vec<usize> = cohorts
        .iter()
        .copied()
        .filter(|&r| {
            rows.num(r, "retained_12m").is_some()
                && rows.num(r, "comparison_retained_12m").is_some()
        })
        .collect();
    let better = compared
        .iter()
        .filter(|&&r| rows.num(r, "retained_12m") > rows.num(r, "comparison_retained_12m"))
        .count();
    let best_drop = (0..rows.len())
        .filter(|&r| rows.str(r, "measure") == "sts_total")
        .filter_map(|r| Some((r, rows.num(r, "mean_change")?)))
        .filter(|(_, change)| *change < 0.0)
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let mut reading = if compared.is_empty() {
        format!(
            "No cohort has both its own and its comparison group's 12-month retention yet (each needs {} people and a year since the program)",
            facts.min_group
        )
    } else {
        format!(
            "{better} of the {} cohorts with both figures kept more of their enrollees a year on than their comparison group",
            compared.len()
        )
    };
    if let Some((r, change)) = best_drop {
        reading.push_str(&format!(
            "; the largest drop in secondary traumatic stress was {} cohort {} ({} points, effect size {}, p {})",
            rows.str(r, "program"),
            rows.str(r, "cohort_id"),
            num(Some(change), 1),
            num(rows.num(r, "effect_size_dz"), 2),
            p_value(rows.num(r, "p_value"))
        ));
    }
    if best_drop.is_none() {
        reading.push_str("; no cohort's secondary traumatic stress fell on average");
    }
    reading.push('.');
    let table = Table {
        head: [
            "Program",
            "Cohort",
            "Measure",
            "Enrolled",
            "Completed",
            "Pairs",
            "Before",
            "After",
            "Change",
            "Effect size (dz)",
            "p-value",
            "Attendance",
            "Retained 12 months",
            "Comparison retained",
        ]
        .map(String::from)
        .to_vec(),
        rows: (0..rows.len())
            .map(|r| {
                vec![
                    rows.str(r, "program"),
                    rows.str(r, "cohort_id"),
                    rows.str(r, "measure"),
                    int(rows.num(r, "enrolled")),
                    int(rows.num(r, "completed")),
                    int(rows.num(r, "pairs")),
                    num(rows.num(r, "pre_mean"), 2),
                    num(rows.num(r, "post_mean"), 2),
                    num(rows.num(r, "mean_change"), 2),
                    num(rows.num(r, "effect_size_dz"), 2),
                    p_value(rows.num(r, "p_value")).replace("= ", ""),
                    pct(rows.num(r, "attendance_rate")),
                    pct(rows.num(r, "retained_12m")),
                    pct(rows.num(r, "comparison_retained_12m")),
                ]
            })
            .collect(),
    };
    Ok(Section {
        id: "programs",
        nav: "Programs",
        title: title.into(),
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: format!(
            "Before and after: paired survey responses around each completed enrollment (a \
             negative change in STS or burnout, a positive one in resilience, is an \
             improvement). A figure made of fewer than {} people is not shown (– in the chart and the table).",
            facts.min_group
        ),
    })
}

async fn drivers(ctx: &SessionContext) -> Result<Section, String> {
    let title = "What is driving separations: avoidable separations per driver";
    let rows = Rows::query(
        ctx,
        "select office_id, driver, headcount, predicted_separations_12m, \
         scenario_separations_12m, avoidable_separations_12m from risk_drivers \
         order by office_id = 'ALL' desc, office_id, driver",
    )
    .await?;
    let mut state: Vec<usize> = (0..rows.len())
        .filter(|&r| rows.str(r, "office_id") == "ALL")
        .collect();
    state.sort_by(|&a, &b| {
        order(
            rows.num(b, "avoidable_separations_12m"),
            rows.num(a, "avoidable_separations_12m"),
        )
    });
    let bars: Vec<BarRow> = state
        .iter()
        .map(|&r| BarRow {
            label: rows.str(r, "driver"),
            values: vec![rows.num(r, "avoidable_separations_12m")],
            note: Some(num(rows.num(r, "avoidable_separations_12m"), 1)),
        })
        .collect();
    let chart = charts::bars(
        title,
        &Bars {
            rows: &bars,
            series: &["avoidable"],
            layout: Layout::Grouped,
            reference: None,
            x_label: "Separations over the next 12 months (workers)",
            scale: Scale::Number,
        },
    )?;
    let top = state.first().copied();
    let reading = match top.map(|r| (r, rows.num(r, "avoidable_separations_12m"))) {
        None => "The risk model made no prediction for this run.".into(),
        Some((_, None)) => {
            "The state's expected separations are not shown: too few workers.".into()
        }
        Some((r, Some(avoidable))) if avoidable <= 0.0 => format!(
            "Of the {} separations the model expects state-wide over the next 12 months, none of the four scenarios would avoid any.",
            num(rows.num(r, "predicted_separations_12m"), 1)
        ),
        Some((r, Some(_))) => format!(
            "Of the {} separations the model expects state-wide over the next 12 months, {} is associated with the most avoidable ones: {} fewer if {}.",
            num(rows.num(r, "predicted_separations_12m"), 1),
            rows.str(r, "driver"),
            num(rows.num(r, "avoidable_separations_12m"), 1),
            match rows.str(r, "driver").as_str() {
                "caseload" => "no caseload were over the standard",
                "supervision" => "every month met the supervision policy",
                "wellbeing" =>
                    "no one's stress or burnout were above, nor resilience below, the state's median",
                "program" => "every worker were in a program",
                other => other,
            }
        ),
    };
    let table = Table {
        head: [
            "Office",
            "Driver",
            "Workers",
            "Expected separations",
            "In the scenario",
            "Avoidable",
        ]
        .map(String::from)
        .to_vec(),
        rows: (0..rows.len())
            .map(|r| {
                let shown = |c: &str| {
                    rows.num(r, c)
                        .map_or("suppressed".into(), |v| num(Some(v), 1))
                };
                vec![
                    rows.str(r, "office_id"),
                    rows.str(r, "driver"),
                    int(rows.num(r, "headcount")),
                    shown("predicted_separations_12m"),
                    shown("scenario_separations_12m"),
                    shown("avoidable_separations_12m"),
                ]
            })
            .collect(),
    };
    Ok(Section {
        id: "drivers",
        nav: "Drivers",
        title: title.into(),
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: "Avoidable: the model's expected separations as things are, minus those in a \
               scenario where only that driver changes for every worker (caseload at most the \
               standard; every month compliant; stress, burnout and resilience no worse than the \
               state's median; everyone in a program). It is the model's arithmetic, an \
               association and not a proof of cause. Offices too small to show a prediction \
               read \"suppressed\"."
            .into(),
    })
}

/// Hires needed split into those that close the caseload gap, max(gap, 0) / (1 -
/// attrition) (at most the hires needed), and the rest, which replace expected leavers.
fn hiring_split(hires: f64, attrition: f64, fte_gap: Option<f64>) -> (f64, f64) {
    let gap = (fte_gap.unwrap_or(0.0).max(0.0) / (1.0 - attrition)).min(hires);
    (gap, hires - gap)
}

async fn hiring(ctx: &SessionContext) -> Result<Section, String> {
    let title = "Hiring plan: hires needed per office over the next 12 months";
    let rows = Rows::query(
        ctx,
        "select office_id, headcount, fte, active_cases, caseload_standard, required_fte, fte_gap, \
         expected_separations_12m, new_hire_attrition_12m, hires_needed_12m from hiring_plan \
         order by hires_needed_12m desc nulls last, office_id",
    )
    .await?;
    // The hires of the caseload gap (max(gap, 0) / (1 - new-hire attrition)), and the rest:
    // replacing those expected to leave.
    let split = |r: usize| {
        Some(hiring_split(
            rows.num(r, "hires_needed_12m")?,
            rows.num(r, "new_hire_attrition_12m")?,
            rows.num(r, "fte_gap"),
        ))
    };
    let bars: Vec<BarRow> = (0..rows.len())
        .filter_map(|r| {
            let (gap, replacement) = split(r)?;
            Some(BarRow {
                label: rows.str(r, "office_id"),
                values: vec![Some(gap), Some(replacement)],
                note: Some(int(rows.num(r, "hires_needed_12m"))),
            })
        })
        .collect();
    let chart = charts::bars(
        title,
        &Bars {
            rows: &bars,
            series: &["to close the caseload gap", "to replace expected leavers"],
            layout: Layout::Stacked,
            reference: None,
            x_label: "Hires needed over the next 12 months (workers)",
            scale: Scale::Number,
        },
    )?;
    let total: f64 = (0..rows.len())
        .filter_map(|r| rows.num(r, "hires_needed_12m"))
        .sum();
    let reading = match (0..rows.len()).find(|&r| rows.num(r, "hires_needed_12m").is_some()) {
        Some(r) => format!(
            "The state needs {} hires over the next 12 months; {} needs the most, {}, {}.",
            int(Some(total)),
            rows.str(r, "office_id"),
            int(rows.num(r, "hires_needed_12m")),
            match split(r) {
                Some((gap, _)) if gap.round() >= 1.0 => {
                    format!("of which about {} close its caseload gap", int(Some(gap)))
                }
                _ => "all of them to replace workers expected to leave".to_string(),
            }
        ),
        None => "No office has a hiring figure for this run.".into(),
    };
    let table = Table {
        head: [
            "Office",
            "Workers",
            "FTE",
            "Active cases",
            "Standard",
            "Required FTE",
            "FTE gap",
            "Expected separations",
            "New-hire attrition",
            "Hires needed",
        ]
        .map(String::from)
        .to_vec(),
        rows: (0..rows.len())
            .map(|r| {
                vec![
                    rows.str(r, "office_id"),
                    int(rows.num(r, "headcount")),
                    num(rows.num(r, "fte"), 1),
                    int(rows.num(r, "active_cases")),
                    int(rows.num(r, "caseload_standard")),
                    num(rows.num(r, "required_fte"), 1),
                    num(rows.num(r, "fte_gap"), 1),
                    rows.num(r, "expected_separations_12m")
                        .map_or("suppressed".into(), |v| num(Some(v), 1)),
                    pct(rows.num(r, "new_hire_attrition_12m")),
                    int(rows.num(r, "hires_needed_12m")),
                ]
            })
            .collect(),
    };
    Ok(Section {
        id: "hiring",
        nav: "Hiring plan",
        title: title.into(),
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: "Hires needed = (the FTE gap, when positive, + expected separations) / (1 - the \
               share of new hires who leave within a year), rounded up. The bar splits it in \
               those two parts. An office too small to show its own prediction uses the state's \
               predicted turnover."
            .into(),
    })
}

async fn quality(ctx: &SessionContext) -> Result<Section, String> {
    let title = "Data quality: rows read and refused per source";
    let rows = Rows::query(
        ctx,
        "select source, reason, rows_read, rows_accepted, rows_quarantined from data_quality \
         order by source, reason = 'ALL' desc, rows_quarantined desc, reason",
    )
    .await?;
    let sources: Vec<usize> = (0..rows.len())
        .filter(|&r| rows.str(r, "reason") == "ALL")
        .collect();
    let share = |r: usize| {
        let read = rows.num(r, "rows_read")?;
        (read > 0.0).then(|| rows.num(r, "rows_quarantined").unwrap_or(0.0) / read)
    };
    let bars: Vec<BarRow> = sources
        .iter()
        .map(|&r| BarRow {
            label: rows.str(r, "source"),
            values: vec![share(r)],
            note: Some(format!(
                "{} · {} of {} rows",
                pct(share(r)),
                int(rows.num(r, "rows_quarantined")),
                int(rows.num(r, "rows_read"))
            )),
        })
        .collect();
    let chart = charts::bars(
        title,
        &Bars {
            rows: &bars,
            series: &["refused"],
            layout: Layout::Grouped,
            reference: None,
            x_label: "Rows refused into the quarantine (% of rows read)",
            scale: Scale::Percent,
        },
    )?;
    let (read, refused): (f64, f64) = sources.iter().fold((0.0, 0.0), |(a, b), &r| {
        (
            a + rows.num(r, "rows_read").unwrap_or(0.0),
            b + rows.num(r, "rows_quarantined").unwrap_or(0.0),
        )
    });
    let worst = sources.iter().copied().max_by(|&a, &b| {
        order(
            rows.num(a, "rows_quarantined"),
            rows.num(b, "rows_quarantined"),
        )
    });
    let mut reading = format!(
        "{} of {} rows read were refused ({})",
        int(Some(refused)),
        int(Some(read)),
        pct((read > 0.0).then(|| refused / read))
    );
    if let Some(w) = worst.filter(|&w| rows.num(w, "rows_quarantined").unwrap_or(0.0) > 0.0) {
        let source = rows.str(w, "source");
        let top_reason = (0..rows.len())
            .find(|&r| rows.str(r, "source") == source && rows.str(r, "reason") != "ALL")
            .map(|r| rows.str(r, "reason"));
        reading.push_str(&format!(
            "; {source} had the most, {}{}",
            int(rows.num(w, "rows_quarantined")),
            top_reason.map_or(String::new(), |reason| format!(", mostly {reason}"))
        ));
    }
    reading.push('.');
    let table = Table {
        head: ["Source", "Reason", "Rows read", "Accepted", "Refused"]
            .map(String::from)
            .to_vec(),
        rows: (0..rows.len())
            .map(|r| {
                vec![
                    rows.str(r, "source"),
                    rows.str(r, "reason"),
                    int(rows.num(r, "rows_read")),
                    int(rows.num(r, "rows_accepted")),
                    int(rows.num(r, "rows_quarantined")),
                ]
            })
            .collect(),
    };
    Ok(Section {
        id: "quality",
        nav: "Data quality",
        title: title.into(),
        reading,
        chart: Some(chart),
        heats: Vec::new(),
        table,
        note: "Refused rows are kept in the quarantine table with their reason; analysts can \
               read them with `retention query`."
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(sql: &str) -> Rows {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(Rows::query(&SessionContext::new(), sql))
            .unwrap()
    }

    /// Twelve months of 2023 with 10 workers and one separation each (two voluntary in
    /// all): 12 x 365.25 / (10 x 365) worker-days.
    fn year_2023() -> Rows {
        let months: Vec<String> = (1..=12)
            .map(|m| {
                let last_day = retention_contract::Day::from_ymd(2023, m, 1)
                    .unwrap()
                    .month_end()
                    .naive();
                format!(
                    "('ALL', '2023-{m:02}-01', '{last_day}', 10.0, 1, {})",
                    i32::from(m <= 2)
                )
            })
            .collect();
        rows(&format!(
            "select * from (values {}) as t(office_id, month, period_end, avg_headcount, \
             separations, voluntary_separations)",
            months.join(", ")
        ))
    }

    #[test]
    fn rolling_turnover_by_hand() {
        let trend = year_2023();
        let december = 2023 * 12 + 11;
        let expected = 12.0 * 365.25 / 3650.0;
        let got = rolling(&trend, "ALL", december, "separations").unwrap();
        assert!((got - expected).abs() < 1e-12, "{got}");
        let voluntary = rolling(&trend, "ALL", december, "voluntary_separations").unwrap();
        assert!((voluntary - 2.0 * 365.25 / 3650.0).abs() < 1e-12);
        // Eleven months are not a year; another office has none.
        assert_eq!(rolling(&trend, "ALL", december + 1, "separations"), None);
        assert_eq!(rolling(&trend, "OFF1", december, "separations"), None);
    }

    #[test]
    fn the_hiring_split_by_hand() {
        // 20 hires, a fifth of new hires leave: a gap of 4 FTE takes 4 / 0.8 = 5 hires.
        assert_eq!(hiring_split(20.0, 0.2, Some(4.0)), (5.0, 15.0));
        // No gap (or a surplus): every hire replaces a leaver.
        assert_eq!(hiring_split(20.0, 0.2, Some(-3.0)), (0.0, 20.0));
        assert_eq!(hiring_split(20.0, 0.2, None), (0.0, 20.0));
        // The gap part never exceeds the hires (they are rounded up from both).
        assert_eq!(hiring_split(3.0, 0.5, Some(2.0)), (3.0, 0.0));
    }

    #[test]
    fn offices_rank_by_a_column_and_nulls_are_left_out() {
        let offices = rows(
            "select * from (values ('B', 'ALL', 0.3), ('A', 'ALL', 0.3), ('C', 'ALL', 0.5), \
             ('D', 'ALL', null), ('ALL', 'ALL', 0.35), ('C', '00-06m', 0.9)) \
             as t(office_id, tenure_band, turnover_rate)",
        );
        let order: Vec<String> = ranked(&offices, "turnover_rate")
            .into_iter()
            .map(|r| offices.str(r, "office_id"))
            .collect();
        assert_eq!(order, ["C", "A", "B"]);
        assert_eq!(cell(&offices, "C", "00-06m"), Some(5));
    }

    /// A session whose view `name` holds `values` (a VALUES list with its column names).
    fn with_view(name: &str, values: &str) -> (tokio::runtime::Runtime, SessionContext) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ctx = SessionContext::new();
        runtime
            .block_on(ctx.sql(&format!("create view {name} as select * from {values}")))
            .unwrap();
        (runtime, ctx)
    }

    const DRIVERS: &str = "t(office_id, driver, headcount, predicted_separations_12m, \
                           scenario_separations_12m, avoidable_separations_12m)";

    #[test]
    fn the_drivers_reading_names_the_largest_and_words_what_is_hidden() {
        let (rt, ctx) = with_view(
            "risk_drivers",
            &format!(
                "(values ('ALL', 'caseload', 40, 10.0, 8.0, 2.0), ('ALL', 'program', 40, 10.0, 7.5, 2.5), \
                 ('OFF1', 'caseload', 36, 9.0, 7.0, 2.0), \
                 ('OFF2', 'caseload', 4, cast(null as double), cast(null as double), cast(null as double))) as {DRIVERS}"
            ),
        );
        let section = rt.block_on(drivers(&ctx)).unwrap();
        assert_eq!(
            section.reading,
            "Of the 10.0 separations the model expects state-wide over the next 12 months, \
             program is associated with the most avoidable ones: 2.5 fewer if every worker were in a program."
        );
        let off2 = section.table.rows.iter().find(|r| r[0] == "OFF2").unwrap();
        assert_eq!(off2[3..], ["suppressed", "suppressed", "suppressed"]);
        // Nothing avoidable, or the state itself hidden: said so, no negative "fewer".
        let (rt, ctx) = with_view(
            "risk_drivers",
            &format!("(values ('ALL', 'caseload', 40, 10.0, 10.5, -0.5)) as {DRIVERS}"),
        );
        let reading = rt.block_on(drivers(&ctx)).unwrap().reading;
        assert!(
            reading.ends_with("none of the four scenarios would avoid any."),
            "{reading}"
        );
        let (rt, ctx) = with_view(
            "risk_drivers",
            &format!(
                "(values ('ALL', 'caseload', 3, cast(null as double), cast(null as double), cast(null as double))) as {DRIVERS}"
            ),
        );
        let reading = rt.block_on(drivers(&ctx)).unwrap().reading;
        assert_eq!(
            reading,
            "The state's expected separations are not shown: too few workers."
        );
    }

    #[test]
    fn the_programs_reading_counts_cohorts_and_only_calls_a_fall_a_drop() {
        let columns = "t(program, cohort_id, measure, enrolled, completed, pairs, pre_mean, post_mean, \
                       mean_change, effect_size_dz, p_value, attendance_rate, retained_12m, \
                       comparison_retained_12m)";
        let facts = Facts {
            as_of: "2025-06-30".into(),
            min_group: 5,
            supervision_minutes: 240.0,
            individual_minutes: 120.0,
        };
        // Two cohorts compared (one better), one without a comparison; STS rose in both.
        let (rt, ctx) = with_view(
            "programs",
            &format!(
                "(values ('RA', 'RA1', 'sts_total', 10, 10, 8, 40.0, 41.0, 1.0, 0.3, 0.4, 0.8, 0.9, 0.7), \
                 ('RA', 'RA2', 'sts_total', 10, 10, 8, 40.0, 40.5, 0.5, 0.2, 0.5, 0.8, 0.6, 0.7), \
                 ('RA', 'RA3', 'sts_total', 3, 3, 3, null, null, null, null, null, null, null, 0.7)) as {columns}"
            ),
        );
        let section = rt.block_on(programs(&ctx, &facts)).unwrap();
        assert_eq!(
            section.reading,
            "1 of the 2 cohorts with both figures kept more of their enrollees a year on than their \
             comparison group; no cohort's secondary traumatic stress fell on average."
        );
        // RA3's own retention is a gap with a dash, not a zero.
        let chart = section.chart.unwrap();
        assert!(chart.contains("– vs 70.0%"), "{chart}");
        // A fall is named with its effect size and p-value.
        let (rt, ctx) = with_view(
            "programs",
            &format!(
                "(values ('RA', 'RA1', 'sts_total', 10, 10, 8, 40.0, 36.0, -4.0, -0.9, 0.0004, 0.8, cast(null as double), cast(null as double))) as {columns}"
            ),
        );
        let reading = rt.block_on(programs(&ctx, &facts)).unwrap().reading;
        assert_eq!(
            reading,
            "No cohort has both its own and its comparison group's 12-month retention yet (each \
             needs 5 people and a year since the program); the largest drop in secondary \
             traumatic stress was RA cohort RA1 (-4.0 points, effect size -0.90, p < 0.001)."
        );
    }

    #[test]
    fn the_last_whole_month_of_an_as_of() {
        assert_eq!(last_whole_month("2025-06-30"), 2025 * 12 + 5);
        assert_eq!(last_whole_month("2025-06-17"), 2025 * 12 + 4);
        assert_eq!(last_whole_month("2024-02-29"), 2024 * 12 + 1);
        assert_eq!(last_whole_month("2025-01-01"), 2024 * 12 + 11);
    }

    #[test]
    fn heat_cells_darken_with_badness_and_keep_dark_ink() {
        // t = 0.06 + 0.6 x badness of the way from white to (213, 94, 0): 255 + (c - 255) t.
        // badness 0: t = 0.06: 252.48, 245.34, 239.7; badness 1: t = 0.66: 227.28, 148.74, 86.7.
        assert_eq!(heat_style(0.0), "background:#fcf5f0;color:#111");
        assert_eq!(heat_style(1.0), "background:#e39557;color:#111");
    }
}
