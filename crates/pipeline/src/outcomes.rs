//! `program_outcomes` (CONTRACT.md section 7): the SQL mart gives counts, pre and post
//! means and retention shares per program x cohort x measure; this step adds the paired
//! t-test on the pre/post pairs (`retention-models`, statrs for the t distribution):
//! mean_change, sd_change, t_stat, p_value and effect_size_dz. Every statistic is null
//! when pairs < min_group_size; t, p and d_z also when sd_change is 0.

use arrow::array::{Array, ArrayRef, AsArray, Float64Builder, RecordBatch};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Completes the mart with the paired-t columns, in the contract's column order.
pub fn program_outcomes(
    unsuppressed: &RecordBatch,
    pairs: &RecordBatch,
    min_group_size: i64,
) -> RecordBatch {
    let text = |b: &RecordBatch, name: &str| {
        b.column_by_name(name)
            .unwrap_or_else(|| panic!("{name}"))
            .as_string::<i32>()
            .clone()
    };
    let (program, cohort, measure) = (
        text(pairs, "program"),
        text(pairs, "cohort_id"),
        text(pairs, "measure"),
    );
    let pre = pairs
        .column_by_name("pre_value")
        .expect("pre_value")
        .as_primitive::<Float64Type>()
        .clone();
    let post = pairs
        .column_by_name("post_value")
        .expect("post_value")
        .as_primitive::<Float64Type>()
        .clone();
    let mut changes: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for row in 0..pairs.num_rows() {
        let key = (
            program.value(row).to_string(),
            cohort.value(row).to_string(),
            measure.value(row).to_string(),
        );
        changes
            .entry(key)
            .or_default()
            .push(post.value(row) - pre.value(row));
    }

    let (program, cohort, measure) = (
        text(unsuppressed, "program"),
        text(unsuppressed, "cohort_id"),
        text(unsuppressed, "measure"),
    );
    let counts = unsuppressed
        .column_by_name("pairs")
        .expect("pairs")
        .as_primitive::<Int64Type>()
        .clone();
    let mut stats: [Float64Builder; 5] = std::array::from_fn(|_| Float64Builder::new());
    for row in 0..unsuppressed.num_rows() {
        let key = (
            program.value(row).to_string(),
            cohort.value(row).to_string(),
            measure.value(row).to_string(),
        );
        let shown = counts.value(row) >= min_group_size;
        let t = changes
            .get(&key)
            .filter(|_| shown)
            .map(|c| retention_models::paired_t(c));
        // Below min_group_size everything is null; without spread `paired_t` itself leaves
        // t, p and d_z out (the one place that rule lives).
        let values = match t {
            Some(t) => [
                t.mean_change,
                t.sd_change,
                t.t_stat,
                t.p_value,
                t.effect_size_dz,
            ],
            None => [None; 5],
        };
        for (builder, value) in stats.iter_mut().zip(values) {
            builder.append_option(value);
        }
    }
    let [mean_change, sd_change, t_stat, p_value, dz] =
        stats.map(|mut b| Arc::new(b.finish()) as ArrayRef);
    let column = |name: &str| {
        unsuppressed
            .column_by_name(name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let names = [
        "program",
        "cohort_id",
        "measure",
        "enrolled",
        "completed",
        "pairs",
        "pre_mean",
        "post_mean",
        "mean_change",
        "sd_change",
        "t_stat",
        "p_value",
        "effect_size_dz",
        "retained_12m",
        "comparison_retained_12m",
        "attendance_rate",
    ];
    let columns: Vec<ArrayRef> = vec![
        column("program"),
        column("cohort_id"),
        column("measure"),
        column("enrolled"),
        column("completed"),
        column("pairs"),
        column("pre_mean"),
        column("post_mean"),
        mean_change,
        sd_change,
        t_stat,
        p_value,
        dz,
        column("retained_12m"),
        column("comparison_retained_12m"),
        column("attendance_rate"),
    ];
    let fields: Vec<Field> = names
        .iter()
        .zip(&columns)
        .map(|(n, c)| {
            Field::new(
                *n,
                c.data_type().clone(),
                c.null_count() > 0 || matches!(c.data_type(), DataType::Float64),
            )
        })
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("columns match")
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array, StringArray};

    fn strings(v: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    fn mart(pairs: i64) -> RecordBatch {
        let f = |v: Option<f64>| Arc::new(Float64Array::from(vec![v])) as ArrayRef;
        let i = |v: i64| Arc::new(Int64Array::from(vec![v])) as ArrayRef;
        RecordBatch::try_from_iter(vec![
            ("program", strings(&["RESILIENCE_ALLIANCE"])),
            ("cohort_id", strings(&["RA1"])),
            ("measure", strings(&["sts_total"])),
            ("enrolled", i(4)),
            ("completed", i(2)),
            ("pairs", i(pairs)),
            ("pre_mean", f(Some(33.0))),
            ("post_mean", f(Some(22.5))),
            ("retained_12m", f(None)),
            ("comparison_retained_12m", f(None)),
            ("attendance_rate", f(Some(0.75))),
        ])
        .unwrap()
    }

    fn pairs(pre: &[f64], post: &[f64]) -> RecordBatch {
        let n = pre.len();
        RecordBatch::try_from_iter(vec![
            ("program", strings(&vec!["RESILIENCE_ALLIANCE"; n])),
            ("cohort_id", strings(&vec!["RA1"; n])),
            ("measure", strings(&vec!["sts_total"; n])),
            (
                "pre_value",
                Arc::new(Float64Array::from(pre.to_vec())) as ArrayRef,
            ),
            (
                "post_value",
                Arc::new(Float64Array::from(post.to_vec())) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    fn value(b: &RecordBatch, name: &str) -> Option<f64> {
        let c = b
            .column_by_name(name)
            .unwrap()
            .as_primitive::<Float64Type>();
        c.is_valid(0).then(|| c.value(0))
    }

    /// Two pairs with changes -16 and -5, computed with Python's math module (df = 1,
    /// so p = 1 - 2 atan(|t|) / pi).
    #[test]
    fn paired_t_columns_by_hand() {
        let out = program_outcomes(&mart(2), &pairs(&[46.0, 20.0], &[30.0, 15.0]), 2);
        assert_eq!(value(&out, "mean_change"), Some(-10.5));
        assert!((value(&out, "sd_change").unwrap() - 7.7781745930520225).abs() < 1e-12);
        assert!((value(&out, "t_stat").unwrap() - -1.9090909090909094).abs() < 1e-12);
        assert!((value(&out, "p_value").unwrap() - 0.30717750404154087).abs() < 1e-9);
        assert!((value(&out, "effect_size_dz").unwrap() - -1.3499311277197725).abs() < 1e-12);
        assert_eq!(out.schema().field(8).name(), "mean_change");
        assert_eq!(out.num_columns(), 16);
        assert_eq!(out.schema().field(15).name(), "attendance_rate");
    }

    #[test]
    fn statistics_are_null_below_min_group_size_or_without_spread() {
        let out = program_outcomes(&mart(2), &pairs(&[46.0, 20.0], &[30.0, 15.0]), 5);
        assert_eq!(
            (value(&out, "mean_change"), value(&out, "t_stat")),
            (None, None)
        );
        let out = program_outcomes(&mart(2), &pairs(&[40.0, 20.0], &[30.0, 10.0]), 2);
        assert_eq!(
            (value(&out, "mean_change"), value(&out, "sd_change")),
            (Some(-10.0), Some(0.0))
        );
        assert_eq!(
            (
                value(&out, "t_stat"),
                value(&out, "p_value"),
                value(&out, "effect_size_dz")
            ),
            (None, None, None)
        );
    }
}
