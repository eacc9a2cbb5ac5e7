//! Small-cell suppression of the survey measures of `office_indicators` (CONTRACT.md
//! section 5). Counts stay visible; a measure's mean and share are nulled in cells with
//! fewer than `min_group_size` respondents (primary), and then, so that no suppressed
//! value can be recovered by subtraction from a total, in a second cell of any group
//! where exactly one cell with respondents is suppressed (complementary): within each
//! period and office over the five bands, then within each period and band over the
//! offices, repeated until nothing changes. This is a fixpoint iteration, which SQL does
//! badly, so it is done here on plain slices.

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::compute::nullif;
use arrow::datatypes::{Date32Type, Int64Type};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Band order for tie-breaks.
const BANDS: [&str; 5] = ["00-06m", "06-12m", "01-02y", "02-05y", "05y+"];

/// One cell of one period for one measure.
#[derive(Debug, Clone)]
pub struct Cell {
    /// office_id or `ALL`
    pub office: String,
    /// tenure band or `ALL`
    pub band: String,
    /// respondents
    pub respondents: i64,
}

/// Which cells of one period are suppressed for one measure.
pub fn suppress(cells: &[Cell], min_group_size: i64) -> Vec<bool> {
    let mut out: Vec<bool> = cells
        .iter()
        .map(|c| c.respondents < min_group_size)
        .collect();
    let band_rank = |b: &str| BANDS.iter().position(|x| *x == b).unwrap_or(usize::MAX);
    loop {
        let mut changed = false;
        // Band pass: each office group (ALL included) over the five bands.
        let mut offices: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in cells.iter().enumerate() {
            if c.band != "ALL" {
                offices.entry(&c.office).or_default().push(i);
            }
        }
        for members in offices.values() {
            changed |= complement(members, &mut out, cells, |i| {
                (band_rank(&cells[i].band), String::new())
            });
        }
        // Office pass: each band group (ALL included) over the accepted offices.
        let mut bands: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in cells.iter().enumerate() {
            if c.office != "ALL" {
                bands.entry(&c.band).or_default().push(i);
            }
        }
        for members in bands.values() {
            changed |= complement(members, &mut out, cells, |i| (0, cells[i].office.clone()));
        }
        if !changed {
            return out;
        }
    }
}

/// In one group: when exactly one cell with respondents is suppressed, suppress the
/// unsuppressed cell with respondents and the fewest of them (ties by `order`).
fn complement(
    members: &[usize],
    out: &mut [bool],
    cells: &[Cell],
    order: impl Fn(usize) -> (usize, String),
) -> bool {
    let with_respondents: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| cells[i].respondents > 0)
        .collect();
    if with_respondents.iter().filter(|&&i| out[i]).count() != 1 {
        return false;
    }
    let candidate = with_respondents
        .iter()
        .copied()
        .filter(|&i| !out[i])
        .min_by(|&a, &b| {
            cells[a]
                .respondents
                .cmp(&cells[b].respondents)
                .then_with(|| order(a).cmp(&order(b)))
        });
    match candidate {
        Some(i) => {
            out[i] = true;
            true
        }
        None => false,
    }
}

/// Applies suppression to the unsuppressed mart: nulls `<measure>_mean` and the
/// measure's share column where suppressed.
pub fn apply(
    batch: &RecordBatch,
    min_group_size: i64,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .unwrap_or_else(|| panic!("office_indicators has {name}"))
            .clone()
    };
    let period_type = column("period_type");
    let period_type = period_type.as_string::<i32>();
    let period_start = column("period_start");
    let period_start = period_start.as_primitive::<Date32Type>();
    let office = column("office_id");
    let office = office.as_string::<i32>();
    let band = column("tenure_band");
    let band = band.as_string::<i32>();
    let mut periods: BTreeMap<(String, i32), Vec<usize>> = BTreeMap::new();
    for row in 0..batch.num_rows() {
        periods
            .entry((period_type.value(row).to_string(), period_start.value(row)))
            .or_default()
            .push(row);
    }
    let mut columns = batch.columns().to_vec();
    for (respondents, mean, share) in [
        ("sts_respondents", "sts_mean", "sts_high_share"),
        ("burnout_respondents", "burnout_mean", "burnout_high_share"),
        (
            "resilience_respondents",
            "resilience_mean",
            "resilience_low_share",
        ),
    ] {
        let counts = column(respondents);
        let counts = counts.as_primitive::<Int64Type>();
        let mut mask = vec![false; batch.num_rows()];
        for rows in periods.values() {
            let cells: Vec<Cell> = rows
                .iter()
                .map(|&r| Cell {
                    office: office.value(r).to_string(),
                    band: band.value(r).to_string(),
                    respondents: counts.value(r),
                })
                .collect();
            for (&r, s) in rows.iter().zip(suppress(&cells, min_group_size)) {
                mask[r] = s;
            }
        }
        let mask = BooleanArray::from(mask);
        for name in [mean, share] {
            let index = batch.schema().index_of(name)?;
            columns[index] = Arc::new(nullif(columns[index].as_ref(), &mask)?) as Arc<dyn Array>;
        }
    }
    RecordBatch::try_new(batch.schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(rows: &[(&str, &str, i64)]) -> Vec<Cell> {
        rows.iter()
            .map(|&(o, b, n)| Cell {
                office: o.into(),
                band: b.into(),
                respondents: n,
            })
            .collect()
    }

    fn suppressed(rows: &[(&str, &str, i64)]) -> Vec<(String, String)> {
        let c = cells(rows);
        suppress(&c, 5)
            .iter()
            .zip(&c)
            .filter(|(s, _)| **s)
            .map(|(_, c)| (c.office.clone(), c.band.clone()))
            .collect()
    }

    /// One small cell in office A forces a second suppression in A's bands (the smallest
    /// other band), and then each of those bands needs a second office.
    #[test]
    fn complementary_suppression_cascades_across_passes() {
        let rows = [
            ("A", "00-06m", 3), // primary
            ("A", "06-12m", 9), // A's smallest other band: complementary (band pass)
            ("A", "01-02y", 12),
            ("A", "ALL", 24),
            ("B", "00-06m", 8), // band 00-06m has one suppressed office (A): B is the only other: suppressed
            ("B", "06-12m", 7), // band 06-12m then has A suppressed: B suppressed
            ("B", "01-02y", 20),
            ("B", "ALL", 35),
            ("ALL", "00-06m", 11),
            ("ALL", "06-12m", 16),
            ("ALL", "01-02y", 32),
            ("ALL", "ALL", 59),
        ];
        let got = suppressed(&rows);
        // Pass 1, bands: A has 00-06m suppressed -> add 06-12m (9 < 12).
        // Pass 1, offices: 00-06m {A sup, B} -> B; 06-12m {A sup, B} -> B.
        // Pass 2, bands: B now has two suppressed (00-06m, 06-12m): nothing; ALL office
        // group has none suppressed: nothing. Stable.
        assert_eq!(
            got,
            [
                ("A".to_string(), "00-06m".to_string()),
                ("A".into(), "06-12m".into()),
                ("B".into(), "00-06m".into()),
                ("B".into(), "06-12m".into()),
            ]
        );
    }

    #[test]
    fn ties_break_by_band_order_then_office_id() {
        // A: 00-06m suppressed; 06-12m and 02-05y tie at 6: the earlier band is taken.
        let got = suppressed(&[("A", "00-06m", 2), ("A", "02-05y", 6), ("A", "06-12m", 6)]);
        assert_eq!(
            got,
            [
                ("A".to_string(), "00-06m".to_string()),
                ("A".into(), "06-12m".into())
            ]
        );
        // Band group: O2 suppressed; O10 and O3 tie: "O10" < "O3" in byte order.
        let got = suppressed(&[("O2", "05y+", 1), ("O3", "05y+", 9), ("O10", "05y+", 9)]);
        assert_eq!(
            got,
            [
                ("O2".to_string(), "05y+".to_string()),
                ("O10".into(), "05y+".into())
            ]
        );
    }

    #[test]
    fn cells_without_respondents_neither_count_nor_take_the_second_place() {
        // Only one cell with respondents is suppressed, and the only other cell has no
        // respondents: no candidate, left as it is.
        let got = suppressed(&[("A", "00-06m", 2), ("A", "06-12m", 0)]);
        assert_eq!(
            got,
            [
                ("A".to_string(), "00-06m".to_string()),
                ("A".into(), "06-12m".into())
            ]
        );
        let c = cells(&[("A", "00-06m", 2), ("A", "06-12m", 0), ("A", "01-02y", 7)]);
        // 06-12m is "suppressed" by the primary rule (0 < 5) but has no respondents, so the
        // group has exactly one suppressed cell with respondents: 01-02y goes too.
        assert_eq!(suppress(&c, 5), [true, true, true]);
        // Two suppressed already: nothing more.
        let c = cells(&[("A", "00-06m", 2), ("A", "06-12m", 3), ("A", "01-02y", 7)]);
        assert_eq!(suppress(&c, 5), [true, true, false]);
    }
}
