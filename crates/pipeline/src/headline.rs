//! The headline numbers `retention demo` prints, read from the trailing-12-month rows of
//! `office_indicators` (so the turnover formula lives only in the SQL mart): per office,
//! headcount on as-of, separations and turnover, and the tenure band with the highest
//! turnover; the state's supervision practice (compliance and retention-focused share);
//! and, from `program_outcomes`, the attendance of each program's cohorts.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};

/// Headline numbers of one office over the trailing 12 months.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeHeadline {
    /// office_id
    pub office_id: String,
    /// Workers employed on as-of.
    pub headcount: i64,
    /// Terminations in the period.
    pub separations: i64,
    /// Annualized turnover (`separations * 365.25 / exposure_days`).
    pub turnover_rate: Option<f64>,
    /// The band with the highest turnover, and that turnover.
    pub worst_band: Option<(String, f64)>,
}

/// The state's supervision practice over the trailing 12 months: the `ALL` x `ALL` cell.
#[derive(Debug, Clone, PartialEq)]
pub struct StatePractice {
    /// Supervision-eligible worker-months (months the supervision extract covers).
    pub eligible_months: i64,
    /// Share of eligible months meeting the policy minimum.
    pub supervision_compliance: Option<f64>,
    /// Share of the eligible months' supervision minutes whose focus was RETENTION.
    pub retention_focus_share: Option<f64>,
}

/// A column of a published table by name; the tables' columns are fixed by the contract,
/// so a missing one is a bug.
fn column<'a>(batch: &'a RecordBatch, table: &str, name: &str) -> &'a ArrayRef {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("{table} has {name}"))
}

/// A nullable Float64 value.
fn float(array: &ArrayRef, row: usize) -> Option<f64> {
    let a = array.as_primitive::<Float64Type>();
    a.is_valid(row).then(|| a.value(row))
}

/// The trailing-12-month `ALL` x `ALL` supervision columns of `office_indicators`.
pub fn state_practice(indicators: &RecordBatch) -> Option<StatePractice> {
    let col = |name: &str| column(indicators, "office_indicators", name);
    let (kind, office, band) = (
        col("period_type").as_string::<i32>(),
        col("office_id").as_string::<i32>(),
        col("tenure_band").as_string::<i32>(),
    );
    (0..indicators.num_rows())
        .find(|&r| {
            kind.value(r) == "trailing_12m" && office.value(r) == "ALL" && band.value(r) == "ALL"
        })
        .map(|r| StatePractice {
            eligible_months: col("supervision_eligible_months")
                .as_primitive::<Int64Type>()
                .value(r),
            supervision_compliance: float(col("supervision_compliance"), r),
            retention_focus_share: float(col("retention_focus_share"), r),
        })
}

/// The attendance of one program's cohorts, from the published `program_outcomes`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramAttendance {
    /// program
    pub program: String,
    /// Cohorts with an accepted enrollment.
    pub cohorts: usize,
    /// Accepted enrollments over all its cohorts.
    pub enrolled: i64,
    /// The published attendance_rate of each cohort that has one (the others have fewer
    /// than min_group_size enrollments with both session counts), in ascending order.
    pub rates: Vec<f64>,
}

impl ProgramAttendance {
    /// The median of the cohorts' published rates (the mean of the middle two for an even
    /// count), or `None` when no cohort has one.
    pub fn median(&self) -> Option<f64> {
        let n = self.rates.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(self.rates[n / 2]),
            _ => Some((self.rates[n / 2 - 1] + self.rates[n / 2]) / 2.0),
        }
    }
}

/// Per program in program order: its cohorts, enrollments and cohort attendance rates.
/// A cohort's three rows (one per measure) carry the same counts and rate; the first is
/// read.
pub fn program_attendance(outcomes: &RecordBatch) -> Vec<ProgramAttendance> {
    let col = |name: &str| column(outcomes, "program_outcomes", name);
    let (program, cohort) = (
        col("program").as_string::<i32>(),
        col("cohort_id").as_string::<i32>(),
    );
    let (enrolled, rate) = (
        col("enrolled").as_primitive::<Int64Type>(),
        col("attendance_rate"),
    );
    let mut seen = std::collections::BTreeSet::new();
    let mut out: std::collections::BTreeMap<String, ProgramAttendance> = Default::default();
    for row in 0..outcomes.num_rows() {
        if !seen.insert((program.value(row), cohort.value(row))) {
            continue;
        }
        let p = out
            .entry(program.value(row).to_string())
            .or_insert_with(|| ProgramAttendance {
                program: program.value(row).to_string(),
                cohorts: 0,
                enrolled: 0,
                rates: Vec::new(),
            });
        p.cohorts += 1;
        p.enrolled += enrolled.value(row);
        p.rates.extend(float(rate, row));
    }
    let mut out: Vec<ProgramAttendance> = out.into_values().collect();
    for p in &mut out {
        p.rates.sort_by(f64::total_cmp);
    }
    out
}

/// One office's line of the hiring plan.
#[derive(Debug, Clone, PartialEq)]
pub struct HiringHeadline {
    /// office_id
    pub office_id: String,
    /// Workers employed on as-of.
    pub headcount: i64,
    /// fte_gap: required fte less fte.
    pub fte_gap: f64,
    /// Expected separations (None where suppressed).
    pub expected_separations: Option<f64>,
    /// Hires needed over the next 12 months.
    pub hires_needed: Option<i64>,
}

/// The offices of `hiring_plan` with the most hires needed, at most `n`, most first (ties:
/// office_id order).
pub fn most_hires(plan: &RecordBatch, n: usize) -> Vec<HiringHeadline> {
    let col = |name: &str| column(plan, "hiring_plan", name);
    let office = col("office_id").as_string::<i32>();
    let headcount = col("headcount").as_primitive::<Int64Type>();
    let hires = col("hires_needed_12m").as_primitive::<Int64Type>();
    let mut out: Vec<HiringHeadline> = (0..plan.num_rows())
        .map(|r| HiringHeadline {
            office_id: office.value(r).to_string(),
            headcount: headcount.value(r),
            fte_gap: float(col("fte_gap"), r).unwrap_or(0.0),
            expected_separations: float(col("expected_separations_12m"), r),
            hires_needed: hires.is_valid(r).then(|| hires.value(r)),
        })
        .collect();
    out.sort_by(|a, b| {
        b.hires_needed
            .cmp(&a.hires_needed)
            .then_with(|| a.office_id.cmp(&b.office_id))
    });
    out.truncate(n);
    out
}

/// One driver's state-wide line of `risk_drivers`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateDriver {
    /// The driver.
    pub driver: String,
    /// Expected separations as things are.
    pub predicted: Option<f64>,
    /// In the driver's scenario.
    pub scenario: Option<f64>,
    /// The difference.
    pub avoidable: Option<f64>,
}

/// The `ALL` rows of `risk_drivers`, most avoidable separations first.
pub fn state_drivers(drivers: &RecordBatch) -> Vec<StateDriver> {
    let col = |name: &str| column(drivers, "risk_drivers", name);
    let office = col("office_id").as_string::<i32>();
    let driver = col("driver").as_string::<i32>();
    let mut out: Vec<StateDriver> = (0..drivers.num_rows())
        .filter(|&r| office.value(r) == "ALL")
        .map(|r| StateDriver {
            driver: driver.value(r).to_string(),
            predicted: float(col("predicted_separations_12m"), r),
            scenario: float(col("scenario_separations_12m"), r),
            avoidable: float(col("avoidable_separations_12m"), r),
        })
        .collect();
    out.sort_by(|a, b| {
        b.avoidable
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.avoidable.unwrap_or(f64::NEG_INFINITY))
    });
    out
}

/// The state row of `model_evaluation`: n, events, predicted events and AUC.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// Workers predicted on train_end.
    pub n: i64,
    /// Separations that followed.
    pub events: Option<i64>,
    /// The sum of their predicted probabilities.
    pub predicted_events: Option<f64>,
    /// The AUC.
    pub auc: Option<f64>,
}

/// The state row of `model_evaluation`, if the table has one.
pub fn backtest(evaluation: &RecordBatch) -> Option<Backtest> {
    let col = |name: &str| column(evaluation, "model_evaluation", name);
    let scope = col("scope").as_string::<i32>();
    let events = col("events").as_primitive::<Int64Type>();
    (0..evaluation.num_rows())
        .find(|&r| scope.value(r) == "state")
        .map(|r| Backtest {
            n: col("n").as_primitive::<Int64Type>().value(r),
            events: events.is_valid(r).then(|| events.value(r)),
            predicted_events: float(col("predicted_events"), r),
            auc: float(col("auc"), r),
        })
}

/// Per-office headlines in office order, from the published `office_indicators`.
pub fn office_headlines(indicators: &RecordBatch) -> Vec<OfficeHeadline> {
    let col = |name: &str| column(indicators, "office_indicators", name).clone();
    let (kind, office, band) = (col("period_type"), col("office_id"), col("tenure_band"));
    let (kind, office, band) = (
        kind.as_string::<i32>(),
        office.as_string::<i32>(),
        band.as_string::<i32>(),
    );
    let (headcount, separations, rate) = (
        col("headcount_end"),
        col("separations"),
        col("turnover_rate"),
    );
    let (headcount, separations, rate) = (
        headcount.as_primitive::<Int64Type>(),
        separations.as_primitive::<Int64Type>(),
        rate.as_primitive::<Float64Type>(),
    );
    let mut out: Vec<OfficeHeadline> = Vec::new();
    for row in 0..indicators.num_rows() {
        if kind.value(row) != "trailing_12m"
            || office.value(row) == "ALL"
            || band.value(row) != "ALL"
        {
            continue;
        }
        out.push(OfficeHeadline {
            office_id: office.value(row).to_string(),
            headcount: headcount.value(row),
            separations: separations.value(row),
            turnover_rate: rate.is_valid(row).then(|| rate.value(row)),
            worst_band: None,
        });
    }
    for h in &mut out {
        for row in 0..indicators.num_rows() {
            if kind.value(row) != "trailing_12m"
                || office.value(row) != h.office_id
                || band.value(row) == "ALL"
                || !rate.is_valid(row)
            {
                continue;
            }
            let r = rate.value(row);
            // Bands come in band order, so a tie keeps the earlier band.
            if h.worst_band.as_ref().is_none_or(|(_, best)| r > *best) {
                h.worst_band = Some((band.value(row).to_string(), r));
            }
        }
    }
    out.sort_by(|a, b| a.office_id.cmp(&b.office_id));
    out
}

/// The `n` offices with the highest trailing-12-month turnover.
pub fn highest_turnover(headlines: &[OfficeHeadline], n: usize) -> Vec<OfficeHeadline> {
    let mut sorted: Vec<OfficeHeadline> = headlines.to_vec();
    sorted.sort_by(|a, b| {
        b.turnover_rate
            .unwrap_or(-1.0)
            .total_cmp(&a.turnover_rate.unwrap_or(-1.0))
            .then_with(|| a.office_id.cmp(&b.office_id))
    });
    sorted.truncate(n);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use std::sync::Arc;

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[test]
    fn state_practice_reads_the_trailing_all_cell() {
        let text = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
        let b = batch(vec![
            (
                "period_type",
                text(&["month", "trailing_12m", "trailing_12m"]),
            ),
            ("office_id", text(&["ALL", "A", "ALL"])),
            ("tenure_band", text(&["ALL", "ALL", "ALL"])),
            (
                "supervision_eligible_months",
                Arc::new(Int64Array::from(vec![1, 2, 40])),
            ),
            (
                "supervision_compliance",
                Arc::new(Float64Array::from(vec![Some(1.0), Some(0.5), Some(0.25)])),
            ),
            (
                "retention_focus_share",
                Arc::new(Float64Array::from(vec![Some(1.0), Some(0.5), None])),
            ),
        ]);
        assert_eq!(
            state_practice(&b),
            Some(StatePractice {
                eligible_months: 40,
                supervision_compliance: Some(0.25),
                retention_focus_share: None,
            })
        );
    }

    #[test]
    fn program_attendance_reads_each_cohort_once() {
        let text = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
        // Cohort rows come three to a cohort (one per measure) with the same values.
        let b = batch(vec![
            (
                "program",
                text(&["RA", "RA", "RA", "RA", "RA", "RA", "SG", "SG", "SG"]),
            ),
            (
                "cohort_id",
                text(&["1", "1", "1", "2", "2", "2", "9", "9", "9"]),
            ),
            (
                "enrolled",
                Arc::new(Int64Array::from(vec![8, 8, 8, 3, 3, 3, 6, 6, 6])),
            ),
            (
                "attendance_rate",
                Arc::new(Float64Array::from(vec![
                    Some(0.75),
                    Some(0.75),
                    Some(0.75),
                    None,
                    None,
                    None,
                    Some(0.5),
                    Some(0.5),
                    Some(0.5),
                ])),
            ),
        ]);
        let got = program_attendance(&b);
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].program.as_str(), got[0].cohorts, got[0].enrolled),
            ("RA", 2, 11)
        );
        assert_eq!(got[0].rates, [0.75]);
        assert_eq!(got[0].median(), Some(0.75));
        assert_eq!(
            (got[1].cohorts, got[1].enrolled, got[1].median()),
            (1, 6, Some(0.5))
        );
        let even = ProgramAttendance {
            program: "X".into(),
            cohorts: 4,
            enrolled: 40,
            rates: vec![0.2, 0.4, 0.6, 0.9],
        };
        assert_eq!(even.median(), Some(0.5));
        assert_eq!(
            ProgramAttendance {
                rates: vec![],
                ..even
            }
            .median(),
            None
        );
    }
}
