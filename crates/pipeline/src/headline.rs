//! The headline numbers `retention demo` prints, read from the trailing-12-month rows of
//! `office_indicators` (so the turnover formula lives only in the SQL mart): per office,
//! headcount on as-of, separations and turnover, and the tenure band with the highest
//! turnover.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use retention_contract::Day;

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

/// First day of the trailing-12-month period ending on `as_of`: as-of minus 12 calendar
/// months (clamped to the month's end) plus one day.
pub fn trailing_start(as_of: Day) -> Day {
    as_of.add_months(-12).add_days(1)
}

/// Per-office headlines in office order, from the published `office_indicators`.
pub fn office_headlines(indicators: &RecordBatch) -> Vec<OfficeHeadline> {
    let col = |name: &str| {
        indicators
            .column_by_name(name)
            .unwrap_or_else(|| panic!("office_indicators has {name}"))
            .clone()
    };
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

    #[test]
    fn trailing_period_clamps_to_month_end() {
        // 2024-02-29 minus 12 months = 2023-02-28, plus one day.
        assert_eq!(
            trailing_start(Day::from_ymd(2024, 2, 29).unwrap()),
            Day::from_ymd(2023, 3, 1).unwrap()
        );
        assert_eq!(
            trailing_start(Day::from_ymd(2025, 6, 30).unwrap()),
            Day::from_ymd(2024, 7, 1).unwrap()
        );
        assert_eq!(
            trailing_start(Day::from_ymd(2024, 3, 31).unwrap()),
            Day::from_ymd(2023, 4, 1).unwrap()
        );
    }
}
