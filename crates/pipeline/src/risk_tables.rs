//! The tables of the risk model (CONTRACT.md sections 5, 8 and 9): `worker_risk`,
//! `model_evaluation`, the predicted columns of `office_indicators`, `risk_drivers` and
//! `hiring_plan`. The model's arithmetic is in `crate::risk`; here it is summed, suppressed
//! and laid out. Each function is plain arithmetic over slices and batches, tested by hand.

use crate::risk::{Driver, Predicted};
use arrow::array::{
    Array, ArrayRef, AsArray, Date32Builder, Float64Array, Float64Builder, Int64Builder,
    RecordBatch, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use retention_contract::{Day, TenureBand};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The `ALL` value of the office and band columns.
const ALL: &str = "ALL";

fn batch(fields: Vec<Field>, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .expect("columns match their schema")
}

/// The risk tier of a probability or a predicted turnover (section 5's thresholds).
pub fn risk_tier(p: f64, elevated: f64, high: f64) -> &'static str {
    if p < elevated {
        "low"
    } else if p < high {
        "elevated"
    } else {
        "high"
    }
}

/// Office ids by index, and the order of the indexes by office_id in byte order.
pub struct OfficeNames<'a> {
    /// office_id by office index.
    pub ids: &'a [Box<str>],
}

impl OfficeNames<'_> {
    fn sorted(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.ids.len()).collect();
        order.sort_by(|&a, &b| self.ids[a].as_bytes().cmp(self.ids[b].as_bytes()));
        order
    }
}

/// `worker_risk`: one row per predicted worker, in worker key order.
pub fn worker_risk(
    predicted: &[Predicted],
    keys: &[String],
    offices: &OfficeNames<'_>,
    tiers: (f64, f64),
) -> RecordBatch {
    let (mut key, mut office, mut role, mut band, mut tier) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut p = Float64Builder::new();
    for w in predicted {
        key.append_value(&keys[w.worker as usize]);
        office.append_value(&offices.ids[w.features.office as usize]);
        role.append_value(w.features.role.code());
        band.append_value(TenureBand::from_tenure_days(w.tenure_on_cutoff).label());
        p.append_value(w.p);
        tier.append_value(risk_tier(w.p, tiers.0, tiers.1));
    }
    batch(
        vec![
            Field::new("worker_key", DataType::Utf8, false),
            Field::new("office_id", DataType::Utf8, false),
            Field::new("role", DataType::Utf8, false),
            Field::new("tenure_band", DataType::Utf8, false),
            Field::new("p_separation_12m", DataType::Float64, false),
            Field::new("risk_tier", DataType::Utf8, false),
        ],
        vec![
            Arc::new(key.finish()),
            Arc::new(office.finish()),
            Arc::new(role.finish()),
            Arc::new(band.finish()),
            Arc::new(p.finish()),
            Arc::new(tier.finish()),
        ],
    )
}

/// One row of `model_evaluation` before it is laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// `state` or `office`.
    pub scope: &'static str,
    /// `ALL` or the office.
    pub office_id: String,
    /// Workers predicted.
    pub n: i64,
    /// Those whose spell ended with a termination by as-of (None: suppressed).
    pub events: Option<i64>,
    /// Sum of their p.
    pub predicted_events: Option<f64>,
    /// AUC, Brier score, calibration slope.
    pub auc: Option<f64>,
    /// Mean squared error of p.
    pub brier: Option<f64>,
    /// Calibration slope.
    pub calibration_slope: Option<f64>,
}

fn evaluate(scope: &'static str, office_id: String, rows: &[(f64, bool)]) -> Evaluation {
    let p: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let event: Vec<bool> = rows.iter().map(|r| r.1).collect();
    Evaluation {
        scope,
        office_id,
        n: rows.len() as i64,
        events: Some(event.iter().filter(|e| **e).count() as i64),
        predicted_events: Some(p.iter().sum()),
        auc: retention_models::metrics::auc(&p, &event),
        brier: retention_models::metrics::brier(&p, &event),
        calibration_slope: retention_models::metrics::calibration_slope(&p, &event),
    }
}

/// The rows of `model_evaluation`: the state, then each office of the backtest's workers
/// in office_id order, offices with n below `min_group_size` nulled, and, wherever exactly
/// one is, the shown office row with the fewest n too (ties: the smallest office_id).
pub fn evaluations(
    backtest: &[Predicted],
    offices: &OfficeNames<'_>,
    min_group_size: i64,
) -> Vec<Evaluation> {
    let all: Vec<(f64, bool)> = backtest.iter().map(|w| (w.p, w.separated_after)).collect();
    let mut rows = vec![evaluate("state", ALL.into(), &all)];
    let mut by_office: BTreeMap<&[u8], Vec<(f64, bool)>> = BTreeMap::new();
    for w in backtest {
        by_office
            .entry(offices.ids[w.features.office as usize].as_bytes())
            .or_default()
            .push((w.p, w.separated_after));
    }
    for (office, group) in by_office {
        let id = String::from_utf8(office.to_vec()).expect("office ids are text");
        rows.push(evaluate("office", id, &group));
    }
    let hide = |r: &mut Evaluation| {
        r.events = None;
        r.predicted_events = None;
        r.auc = None;
        r.brier = None;
        r.calibration_slope = None;
    };
    let mut nulled = 0;
    for r in rows.iter_mut().skip(1) {
        if r.n < min_group_size {
            hide(r);
            nulled += 1;
        }
    }
    if nulled == 1 {
        // The fewest n among the shown; ties go to the smallest office_id, which comes
        // first in this order.
        if let Some(r) = rows
            .iter_mut()
            .skip(1)
            .filter(|r| r.events.is_some())
            .min_by_key(|r| r.n)
        {
            hide(r);
        }
    }
    rows
}

/// `model_evaluation` as a batch.
pub fn model_evaluation(rows: &[Evaluation], train_end: Day) -> RecordBatch {
    let (mut scope, mut office) = (StringBuilder::new(), StringBuilder::new());
    let mut end = Date32Builder::new();
    let (mut n, mut events) = (Int64Builder::new(), Int64Builder::new());
    let mut floats: [Float64Builder; 4] = std::array::from_fn(|_| Float64Builder::new());
    for r in rows {
        scope.append_value(r.scope);
        office.append_value(&r.office_id);
        end.append_value(train_end.days_since_epoch());
        n.append_value(r.n);
        events.append_option(r.events);
        for (b, v) in
            floats
                .iter_mut()
                .zip([r.predicted_events, r.auc, r.brier, r.calibration_slope])
        {
            b.append_option(v);
        }
    }
    let [predicted, auc, brier, slope] = floats.map(|mut b| Arc::new(b.finish()) as ArrayRef);
    batch(
        vec![
            Field::new("scope", DataType::Utf8, false),
            Field::new("office_id", DataType::Utf8, false),
            Field::new("train_end", DataType::Date32, false),
            Field::new("n", DataType::Int64, false),
            Field::new("events", DataType::Int64, true),
            Field::new("predicted_events", DataType::Float64, true),
            Field::new("auc", DataType::Float64, true),
            Field::new("brier", DataType::Float64, true),
            Field::new("calibration_slope", DataType::Float64, true),
        ],
        vec![
            Arc::new(scope.finish()),
            Arc::new(office.finish()),
            Arc::new(end.finish()),
            Arc::new(n.finish()),
            Arc::new(events.finish()),
            predicted,
            auc,
            brier,
            slope,
        ],
    )
}

/// Sums of p by (office_id or `ALL`, tenure band or `ALL`) on as-of.
fn cell_sums(predicted: &[Predicted], offices: &OfficeNames<'_>) -> HashMap<(String, String), f64> {
    let mut sums: HashMap<(String, String), f64> = HashMap::new();
    for w in predicted {
        let office = offices.ids[w.features.office as usize].to_string();
        let band = TenureBand::from_tenure_days(w.tenure_on_cutoff)
            .label()
            .to_string();
        for key in [
            (office.clone(), band.clone()),
            (office.clone(), ALL.to_string()),
            (ALL.to_string(), band),
            (ALL.to_string(), ALL.to_string()),
        ] {
            *sums.entry(key).or_insert(0.0) += w.p;
        }
    }
    sums
}

/// The unsuppressed `office_indicators` with its three predicted columns appended:
/// on trailing_12m rows the sum of p over the cell's workers on as-of, that over
/// headcount_end, and its tier; null on month rows.
pub fn with_predicted(
    indicators: &RecordBatch,
    predicted: &[Predicted],
    offices: &OfficeNames<'_>,
    tiers: (f64, f64),
) -> RecordBatch {
    let sums = cell_sums(predicted, offices);
    let column = |name: &str| {
        indicators
            .column_by_name(name)
            .unwrap_or_else(|| panic!("office_indicators has {name}"))
    };
    let period = column("period_type").as_string::<i32>();
    let office = column("office_id").as_string::<i32>();
    let band = column("tenure_band").as_string::<i32>();
    let headcount = column("headcount_end").as_primitive::<Int64Type>();
    let (mut separations, mut turnover) = (Float64Builder::new(), Float64Builder::new());
    let mut tier = StringBuilder::new();
    for i in 0..indicators.num_rows() {
        if period.value(i) != "trailing_12m" {
            separations.append_null();
            turnover.append_null();
            tier.append_null();
            continue;
        }
        let sum = sums
            .get(&(office.value(i).to_string(), band.value(i).to_string()))
            .copied()
            .unwrap_or(0.0);
        separations.append_value(sum);
        let h = if headcount.is_null(i) {
            0
        } else {
            headcount.value(i)
        };
        if h > 0 {
            let rate = sum / h as f64;
            turnover.append_value(rate);
            tier.append_value(risk_tier(rate, tiers.0, tiers.1));
        } else {
            turnover.append_null();
            tier.append_null();
        }
    }
    let mut fields: Vec<Field> = indicators
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.extend([
        Field::new("predicted_separations_12m", DataType::Float64, true),
        Field::new("predicted_turnover_12m", DataType::Float64, true),
        Field::new("risk_tier", DataType::Utf8, true),
    ]);
    let mut columns = indicators.columns().to_vec();
    columns.extend([
        Arc::new(separations.finish()) as ArrayRef,
        Arc::new(turnover.finish()),
        Arc::new(tier.finish()),
    ]);
    batch(fields, columns)
}

/// The trailing_12m `ALL`-band predicted_separations_12m of each office (and `ALL`) in
/// the suppressed office_indicators: None where it is null or the row is absent.
pub fn shown_predictions(indicators: &RecordBatch) -> HashMap<String, f64> {
    let column = |name: &str| indicators.column_by_name(name).expect("the column exists");
    let period = column("period_type").as_string::<i32>();
    let office = column("office_id").as_string::<i32>();
    let band = column("tenure_band").as_string::<i32>();
    let predicted = column("predicted_separations_12m").as_primitive::<Float64Type>();
    (0..indicators.num_rows())
        .filter(|&i| {
            period.value(i) == "trailing_12m" && band.value(i) == ALL && !predicted.is_null(i)
        })
        .map(|i| (office.value(i).to_string(), predicted.value(i)))
        .collect()
}

/// The state's trailing_12m predicted_turnover_12m (`ALL` office and band), if shown.
fn state_turnover(indicators: &RecordBatch) -> Option<f64> {
    let column = |name: &str| indicators.column_by_name(name).expect("the column exists");
    let period = column("period_type").as_string::<i32>();
    let office = column("office_id").as_string::<i32>();
    let band = column("tenure_band").as_string::<i32>();
    let turnover = column("predicted_turnover_12m").as_primitive::<Float64Type>();
    (0..indicators.num_rows())
        .find(|&i| {
            period.value(i) == "trailing_12m" && office.value(i) == ALL && band.value(i) == ALL
        })
        .filter(|&i| !turnover.is_null(i))
        .map(|i| turnover.value(i))
}

/// One office's (or the state's) expected separations as things are and in one driver's
/// scenario.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DriverSum {
    /// Workers of worker_risk.
    pub headcount: i64,
    /// Sum of p.
    pub predicted: f64,
    /// Sum of p in the scenario.
    pub scenario: f64,
}

/// `risk_drivers`: for each accepted office and `ALL` (the offices' sums added in
/// office_id order) and each driver, the sums; the three separations columns null where
/// office_indicators does not show the office's prediction. Rows are sorted by office_id,
/// then driver name.
pub fn risk_drivers(
    sums: &[[DriverSum; 4]],
    offices: &OfficeNames<'_>,
    shown: &HashMap<String, f64>,
) -> RecordBatch {
    let mut rows: Vec<(String, &'static str, DriverSum)> = Vec::new();
    let mut total = [DriverSum::default(); 4];
    for o in offices.sorted() {
        for (d, driver) in Driver::ALL.iter().enumerate() {
            let s = sums[o][d];
            total[d].headcount += s.headcount;
            total[d].predicted += s.predicted;
            total[d].scenario += s.scenario;
            rows.push((offices.ids[o].to_string(), driver.name(), s));
        }
    }
    for (d, driver) in Driver::ALL.iter().enumerate() {
        rows.push((ALL.to_string(), driver.name(), total[d]));
    }
    rows.sort_by(|a, b| (a.0.as_bytes(), a.1).cmp(&(b.0.as_bytes(), b.1)));
    let (mut office, mut driver) = (StringBuilder::new(), StringBuilder::new());
    let mut headcount = Int64Builder::new();
    let mut cols: [Float64Builder; 3] = std::array::from_fn(|_| Float64Builder::new());
    for (o, d, s) in &rows {
        office.append_value(o);
        driver.append_value(d);
        headcount.append_value(s.headcount);
        let show = shown.contains_key(o);
        for (b, v) in cols
            .iter_mut()
            .zip([s.predicted, s.scenario, s.predicted - s.scenario])
        {
            b.append_option(show.then_some(v));
        }
    }
    let [predicted, scenario, avoidable] = cols.map(|mut b| Arc::new(b.finish()) as ArrayRef);
    batch(
        vec![
            Field::new("office_id", DataType::Utf8, false),
            Field::new("driver", DataType::Utf8, false),
            Field::new("headcount", DataType::Int64, false),
            Field::new("predicted_separations_12m", DataType::Float64, true),
            Field::new("scenario_separations_12m", DataType::Float64, true),
            Field::new("avoidable_separations_12m", DataType::Float64, true),
        ],
        vec![
            Arc::new(office.finish()),
            Arc::new(driver.finish()),
            Arc::new(headcount.finish()),
            predicted,
            scenario,
            avoidable,
        ],
    )
}

/// Each office's staff on as-of, for `hiring_plan`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Staffing {
    /// Workers employed on as-of.
    pub headcount: i64,
    /// Their fte, summed.
    pub fte: f64,
    /// Sum of their latest snapshot's active_cases dated in [as-of - 34, as-of].
    pub active_cases: i64,
    /// Sum of p over the office's workers in worker_risk.
    pub expected: f64,
}

/// 1 - survival at 365 days of the office's curve, or the state's when the office has
/// fewer than 20 spells at risk at 365 days (or no curve); at most 0.9; None when the
/// curve it falls to has no survival at 365 days.
pub fn new_hire_attrition(curves: &RecordBatch) -> impl Fn(&str) -> Option<f64> + use<> {
    let column = |name: &str| curves.column_by_name(name).expect("the column exists");
    let kind = column("group_type").as_string::<i32>();
    let value = column("group_value").as_string::<i32>();
    let t = column("t_days").as_primitive::<Int64Type>();
    let at_risk = column("at_risk").as_primitive::<Int64Type>();
    let survival = column("survival").as_primitive::<Float64Type>();
    let mut state = None;
    let mut offices: HashMap<String, (i64, Option<f64>)> = HashMap::new();
    for i in 0..curves.num_rows() {
        if t.value(i) != 365 {
            continue;
        }
        let s = (!survival.is_null(i)).then(|| survival.value(i));
        match kind.value(i) {
            "state" => state = s,
            "office" => {
                offices.insert(value.value(i).to_string(), (at_risk.value(i), s));
            }
            _ => {}
        }
    }
    move |office: &str| {
        let survival = match offices.get(office) {
            Some(&(at_risk, s)) if at_risk >= 20 => s,
            _ => state,
        };
        survival.map(|s| (1.0 - s).min(0.9))
    }
}

/// `hiring_plan`: one row per accepted office, in office_id order (section 8).
pub fn hiring_plan(
    staffing: &[Staffing],
    standards: &[u8],
    offices: &OfficeNames<'_>,
    shown: &HashMap<String, f64>,
    indicators: &RecordBatch,
    curves: &RecordBatch,
) -> RecordBatch {
    let attrition = new_hire_attrition(curves);
    let state_turnover = state_turnover(indicators);
    let mut office = StringBuilder::new();
    let (mut headcount, mut cases, mut standard, mut hires) = (
        Int64Builder::new(),
        Int64Builder::new(),
        Int64Builder::new(),
        Int64Builder::new(),
    );
    let mut floats: [Float64Builder; 5] = std::array::from_fn(|_| Float64Builder::new());
    for o in offices.sorted() {
        let id = &offices.ids[o];
        let s = staffing[o];
        let caseload_standard = i64::from(standards[o]);
        let required = s.active_cases as f64 / caseload_standard as f64;
        let gap = required - s.fte;
        let expected = shown.contains_key(id.as_ref()).then_some(s.expected);
        let attrition = attrition(id);
        let leaving = expected.or_else(|| state_turnover.map(|t| s.headcount as f64 * t));
        let needed = match (attrition, leaving) {
            (Some(a), Some(leaving)) => Some(((gap.max(0.0) + leaving) / (1.0 - a)).ceil() as i64),
            _ => None,
        };
        office.append_value(id);
        headcount.append_value(s.headcount);
        cases.append_value(s.active_cases);
        standard.append_value(caseload_standard);
        hires.append_option(needed);
        for (b, v) in
            floats
                .iter_mut()
                .zip([Some(s.fte), Some(required), Some(gap), expected, attrition])
        {
            b.append_option(v);
        }
    }
    let [fte, required, gap, expected, attrition] =
        floats.map(|mut b| Arc::new(b.finish()) as ArrayRef);
    batch(
        vec![
            Field::new("office_id", DataType::Utf8, false),
            Field::new("headcount", DataType::Int64, false),
            Field::new("fte", DataType::Float64, false),
            Field::new("active_cases", DataType::Int64, false),
            Field::new("caseload_standard", DataType::Int64, false),
            Field::new("required_fte", DataType::Float64, false),
            Field::new("fte_gap", DataType::Float64, false),
            Field::new("expected_separations_12m", DataType::Float64, true),
            Field::new("new_hire_attrition_12m", DataType::Float64, true),
            Field::new("hires_needed_12m", DataType::Int64, true),
        ],
        vec![
            Arc::new(office.finish()),
            Arc::new(headcount.finish()),
            fte,
            Arc::new(cases.finish()),
            Arc::new(standard.finish()),
            required,
            gap,
            expected,
            attrition,
            Arc::new(hires.finish()),
        ],
    )
}

/// Reads a Float64 column of a batch as options (tests and the headline).
pub fn floats(batch: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    let c: &Float64Array = batch
        .column_by_name(name)
        .expect("the column exists")
        .as_primitive::<Float64Type>();
    (0..c.len())
        .map(|i| (!c.is_null(i)).then(|| c.value(i)))
        .collect()
}

/// Reads a text column of a batch (tests and the headline).
pub fn texts(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let c: &StringArray = batch
        .column_by_name(name)
        .expect("the column exists")
        .as_string::<i32>();
    (0..c.len())
        .map(|i| (!c.is_null(i)).then(|| c.value(i).to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::Features;
    use arrow::array::Int64Array;
    use retention_contract::Role;

    fn worker(worker: u32, office: u32, tenure: i32, p: f64, separated: bool) -> Predicted {
        Predicted {
            worker,
            features: Features {
                tenure_days: tenure + 1,
                role: Role::Caseworker,
                fte: 1.0,
                office,
                caseload_ratio: None,
                supervision: None,
                scores: [None; 3],
                in_program: false,
                completed_program: false,
            },
            tenure_on_cutoff: tenure,
            p,
            separated_after: separated,
        }
    }

    fn ids(names: &[&str]) -> Vec<Box<str>> {
        names.iter().map(|n| Box::from(*n)).collect()
    }

    fn strings(values: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    #[test]
    fn tiers_by_hand() {
        assert_eq!(risk_tier(0.1499, 0.15, 0.30), "low");
        assert_eq!(risk_tier(0.15, 0.15, 0.30), "elevated");
        assert_eq!(risk_tier(0.30, 0.15, 0.30), "high");
    }

    /// Offices B (n 3) is below min_group_size 5: nulled, and as it is the only one, the
    /// shown office with the fewest n (C, 5) is nulled too; the state row keeps everything.
    #[test]
    fn evaluation_rows_are_suppressed_with_a_complement() {
        let names = ids(&["A", "B", "C", "D"]);
        let offices = OfficeNames { ids: &names };
        let mut backtest = Vec::new();
        let mut next = 0;
        for (office, n) in [(0u32, 6), (1, 3), (2, 5), (3, 7)] {
            for i in 0..n {
                backtest.push(worker(next, office, 100, 0.1 + 0.05 * i as f64, i % 2 == 0));
                next += 1;
            }
        }
        let rows = evaluations(&backtest, &offices, 5);
        let shown: Vec<(&str, i64, bool)> = rows
            .iter()
            .map(|r| (r.office_id.as_str(), r.n, r.events.is_some()))
            .collect();
        assert_eq!(
            shown,
            [
                ("ALL", 21, true),
                ("A", 6, true),
                ("B", 3, false),
                ("C", 5, false),
                ("D", 7, true)
            ]
        );
        let state = &rows[0];
        assert_eq!(state.events, Some(3 + 2 + 3 + 4));
        let p: Vec<f64> = backtest.iter().map(|w| w.p).collect();
        let e: Vec<bool> = backtest.iter().map(|w| w.separated_after).collect();
        assert_eq!(state.auc, retention_models::metrics::auc(&p, &e));
        assert!((state.predicted_events.unwrap() - p.iter().sum::<f64>()).abs() < 1e-12);
        // Office A by hand: p 0.1 .. 0.35, events at 0.1, 0.2, 0.3: of the 9 pairs
        // (event, non-event), the event is higher in 0 + 1 + 2 = 3 (0.2 > 0.15; 0.3 >
        // 0.15, 0.25): AUC 3 / 9.
        assert!((rows[1].auc.unwrap() - 3.0 / 9.0).abs() < 1e-12);
        assert!(rows[2].auc.is_none() && rows[2].brier.is_none());
        let batch = model_evaluation(&rows, Day::from_ymd(2025, 6, 30).unwrap());
        assert_eq!(batch.num_rows(), 5);
        assert_eq!(batch.column_by_name("events").unwrap().null_count(), 2);
    }

    /// The predicted columns by hand: A/00-06m holds p 0.2 of 2 workers on as-of
    /// (turnover 0.1, low); A/ALL and ALL/ALL hold 0.2 + 0.4 of 3 (0.2, elevated); B has
    /// nobody left (0 separations, no turnover); month rows stay null.
    #[test]
    fn predicted_columns_sum_the_cells_workers() {
        let names = ids(&["A", "B"]);
        let offices = OfficeNames { ids: &names };
        let workers = [worker(0, 0, 10, 0.2, false), worker(1, 0, 2000, 0.4, false)];
        let indicators = batch(
            vec![
                Field::new("period_type", DataType::Utf8, false),
                Field::new("office_id", DataType::Utf8, false),
                Field::new("tenure_band", DataType::Utf8, false),
                Field::new("headcount_end", DataType::Int64, true),
            ],
            vec![
                strings(&[
                    "month",
                    "trailing_12m",
                    "trailing_12m",
                    "trailing_12m",
                    "trailing_12m",
                ]),
                strings(&["A", "A", "A", "ALL", "B"]),
                strings(&["ALL", "00-06m", "ALL", "ALL", "ALL"]),
                Arc::new(Int64Array::from(vec![3, 2, 3, 3, 0])),
            ],
        );
        let out = with_predicted(&indicators, &workers, &offices, (0.15, 0.30));
        let sums = floats(&out, "predicted_separations_12m");
        assert_eq!(sums[0], None);
        assert!((sums[1].unwrap() - 0.2).abs() < 1e-12);
        assert!((sums[2].unwrap() - 0.6).abs() < 1e-12);
        assert!((sums[3].unwrap() - 0.6).abs() < 1e-12);
        assert_eq!(sums[4], Some(0.0));
        let turnover = floats(&out, "predicted_turnover_12m");
        assert!((turnover[1].unwrap() - 0.1).abs() < 1e-12);
        assert!((turnover[3].unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(turnover[4], None);
        let tiers: Vec<Option<String>> = texts(&out, "risk_tier");
        assert_eq!(
            tiers,
            [
                None,
                Some("low".into()),
                Some("elevated".into()),
                Some("elevated".into()),
                None
            ]
        );
    }

    /// risk_drivers: ALL adds the offices up; B's prediction is suppressed in
    /// office_indicators, so its three separations columns are null (its headcount shows).
    #[test]
    fn drivers_add_up_and_follow_the_indicators_nulls() {
        let names = ids(&["B", "A"]);
        let offices = OfficeNames { ids: &names };
        let sum = |h: i64, p: f64, s: f64| DriverSum {
            headcount: h,
            predicted: p,
            scenario: s,
        };
        let sums = vec![
            [
                sum(3, 1.0, 0.5),
                sum(3, 1.0, 0.9),
                sum(3, 1.0, 1.2),
                sum(3, 1.0, 0.75),
            ],
            [
                sum(10, 2.0, 1.5),
                sum(10, 2.0, 1.0),
                sum(10, 2.0, 2.0),
                sum(10, 2.0, 1.25),
            ],
        ];
        let shown: HashMap<String, f64> = [("A".to_string(), 2.0), ("ALL".to_string(), 3.0)].into();
        let out = risk_drivers(&sums, &offices, &shown);
        let office = texts(&out, "office_id");
        let driver = texts(&out, "driver");
        assert_eq!(office[0].as_deref(), Some("A"));
        assert_eq!(office[4].as_deref(), Some("ALL"));
        assert_eq!(office[8].as_deref(), Some("B"));
        assert_eq!(
            driver[..4]
                .iter()
                .map(|d| d.as_deref().unwrap())
                .collect::<Vec<_>>(),
            ["caseload", "program", "supervision", "wellbeing"]
        );
        let avoidable = floats(&out, "avoidable_separations_12m");
        // A: caseload 2 - 1.5, program 2 - 1.25, supervision 2 - 1, wellbeing 0.
        assert_eq!(
            &avoidable[..4],
            &[Some(0.5), Some(0.75), Some(1.0), Some(0.0)]
        );
        // ALL: caseload 3 - 2, program 3 - 2, supervision 3 - 1.9, wellbeing 3 - 3.2.
        let all = &avoidable[4..8];
        for (got, want) in all.iter().zip([1.0, 1.0, 1.1, -0.2]) {
            assert!((got.unwrap() - want).abs() < 1e-12, "{all:?}");
        }
        assert!(avoidable[8..].iter().all(Option::is_none));
        let headcount = out
            .column_by_name("headcount")
            .unwrap()
            .as_primitive::<Int64Type>()
            .values()
            .to_vec();
        assert_eq!(headcount, [10, 10, 10, 10, 13, 13, 13, 13, 3, 3, 3, 3]);
    }

    fn curves(rows: &[(&str, &str, i64, i64, Option<f64>)]) -> RecordBatch {
        batch(
            vec![
                Field::new("group_type", DataType::Utf8, false),
                Field::new("group_value", DataType::Utf8, false),
                Field::new("t_days", DataType::Int64, false),
                Field::new("at_risk", DataType::Int64, false),
                Field::new("survival", DataType::Float64, true),
            ],
            vec![
                strings(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
                strings(&rows.iter().map(|r| r.1).collect::<Vec<_>>()),
                Arc::new(Int64Array::from(
                    rows.iter().map(|r| r.2).collect::<Vec<_>>(),
                )),
                Arc::new(Int64Array::from(
                    rows.iter().map(|r| r.3).collect::<Vec<_>>(),
                )),
                Arc::new(Float64Array::from(
                    rows.iter().map(|r| r.4).collect::<Vec<_>>(),
                )),
            ],
        )
    }

    /// Section 8 by hand, three offices:
    /// - A: 120 cases / 10 = 12 fte required, gap 2.5; 2.5 expected; its own curve (25 at
    ///   risk) gives attrition 0.4: ceil((2.5 + 2.5) / 0.6) = ceil(8.33) = 9.
    /// - B: its prediction is suppressed, so 4 x the state's predicted turnover 0.25 = 1
    ///   leave; gap 2.5 - 4 < 0 counts 0; 10 at risk is under 20, so the state's curve:
    ///   attrition 0.3, ceil(1 / 0.7) = 2.
    /// - C: survival 0.02 caps attrition at 0.9: ceil(0.95 / 0.1) = 10.
    #[test]
    fn the_hiring_plan_by_hand() {
        let names = ids(&["C", "A", "B"]);
        let offices = OfficeNames { ids: &names };
        let staffing = [
            Staffing {
                headcount: 6,
                fte: 6.0,
                active_cases: 50,
                expected: 0.95,
            },
            Staffing {
                headcount: 10,
                fte: 9.5,
                active_cases: 120,
                expected: 2.5,
            },
            Staffing {
                headcount: 4,
                fte: 4.0,
                active_cases: 50,
                expected: 1.2,
            },
        ];
        let shown: HashMap<String, f64> = [("A".to_string(), 2.5), ("C".to_string(), 0.95)].into();
        let indicators = batch(
            vec![
                Field::new("period_type", DataType::Utf8, false),
                Field::new("office_id", DataType::Utf8, false),
                Field::new("tenure_band", DataType::Utf8, false),
                Field::new("predicted_turnover_12m", DataType::Float64, true),
            ],
            vec![
                strings(&["trailing_12m", "month"]),
                strings(&["ALL", "ALL"]),
                strings(&["ALL", "ALL"]),
                Arc::new(Float64Array::from(vec![Some(0.25), Some(0.9)])),
            ],
        );
        let curves = curves(&[
            ("state", "ALL", 365, 100, Some(0.7)),
            ("state", "ALL", 730, 80, Some(0.5)),
            ("office", "A", 365, 25, Some(0.6)),
            ("office", "B", 365, 10, Some(0.05)),
            ("office", "C", 365, 30, Some(0.02)),
        ]);
        let plan = hiring_plan(
            &staffing,
            &[10, 10, 20],
            &offices,
            &shown,
            &indicators,
            &curves,
        );
        assert_eq!(
            texts(&plan, "office_id"),
            [Some("A".into()), Some("B".into()), Some("C".into())]
        );
        let hires = plan
            .column_by_name("hires_needed_12m")
            .unwrap()
            .as_primitive::<Int64Type>()
            .values()
            .to_vec();
        assert_eq!(hires, [9, 2, 10]);
        let required = floats(&plan, "required_fte");
        assert_eq!(required, [Some(12.0), Some(2.5), Some(5.0)]);
        let expected = floats(&plan, "expected_separations_12m");
        assert_eq!(expected, [Some(2.5), None, Some(0.95)]);
        let attrition = floats(&plan, "new_hire_attrition_12m");
        assert!((attrition[0].unwrap() - 0.4).abs() < 1e-12);
        assert!((attrition[1].unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(attrition[2], Some(0.9));
        // No state survival at 365 days: nothing to divide by, no hires figure.
        let no_state = self::curves(&[("office", "A", 365, 5, Some(0.6))]);
        let plan = hiring_plan(
            &staffing,
            &[10, 10, 20],
            &offices,
            &shown,
            &indicators,
            &no_state,
        );
        assert_eq!(
            plan.column_by_name("hires_needed_12m")
                .unwrap()
                .null_count(),
            3
        );
    }
}
