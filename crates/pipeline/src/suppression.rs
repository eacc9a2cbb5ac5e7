//! Small-cell suppression of `office_indicators` (CONTRACT.md section 5). Counts stay
//! visible; a measure's columns are nulled in cells whose count is below
//! `min_group_size` (primary), and then, so that no suppressed value can be recovered by
//! subtraction, not even in two steps through a total, in more cells: each period's cells
//! form a table of offices by bands with its totals, and every row and column of it,
//! totals included, must hold no suppressed cell or at least two. This is a fixpoint
//! iteration, which SQL does badly, so it is done here on plain slices.
//!
//! One implementation serves every measure: a [`Measure`] names its count column, the
//! columns it nulls and the period type it applies to. The survey measures are counted by
//! respondents on every row; the risk model's predicted columns by `headcount_end` on
//! trailing-12-month rows ([`PREDICTED`]).
//!
//! [`differencing_attack`] is the check an attacker would run on the published table:
//! the tests use it to show that nothing suppressed can be rebuilt.

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::compute::nullif;
use arrow::datatypes::{Date32Type, Int64Type};
use arrow::error::ArrowError;
use retention_contract::TenureBand;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `ALL` value of the office and band columns.
const ALL: &str = "ALL";

/// One measure of `office_indicators` suppressed by a count.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    /// The count that decides (respondents, or headcount_end).
    pub count: &'static str,
    /// The columns nulled where the cell is suppressed.
    pub nulled: &'static [&'static str],
    /// Only rows of this period type take part (None: every row).
    pub period_type: Option<&'static str>,
}

/// The survey measures, counted by their respondents in every period.
pub const SURVEY: [Measure; 3] = [
    Measure {
        count: "sts_respondents",
        nulled: &["sts_mean", "sts_high_share"],
        period_type: None,
    },
    Measure {
        count: "burnout_respondents",
        nulled: &["burnout_mean", "burnout_high_share"],
        period_type: None,
    },
    Measure {
        count: "resilience_respondents",
        nulled: &["resilience_mean", "resilience_low_share"],
        period_type: None,
    },
];

/// The risk model's predicted columns, counted by headcount_end on trailing_12m rows.
pub const PREDICTED: Measure = Measure {
    count: "headcount_end",
    nulled: &[
        "predicted_separations_12m",
        "predicted_turnover_12m",
        "risk_tier",
    ],
    period_type: Some("trailing_12m"),
};

/// One cell of one period for one measure.
#[derive(Debug, Clone)]
pub struct Cell {
    /// office_id or `ALL`
    pub office: String,
    /// tenure band or `ALL`
    pub band: String,
    /// the measure's count (respondents, or headcount_end)
    pub respondents: i64,
}

/// A cell's place in its office group's tie order: the bands in the contract's order,
/// the total (`ALL`) last.
fn band_rank(band: &str) -> usize {
    TenureBand::ALL
        .iter()
        .position(|b| b.label() == band)
        .unwrap_or(TenureBand::ALL.len())
}

/// The groups of one period's table, each listed in its tie order: first every office
/// group (an office's band cells, then its `ALL`-band cell), then every band group (the
/// accepted offices' cells in byte order, then the `ALL`-office cell). Office groups are
/// disjoint from each other, and so are band groups, so the order of groups within one
/// pass does not matter.
fn groups(cells: &[Cell]) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut offices: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut bands: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        offices.entry(&c.office).or_default().push(i);
        bands.entry(&c.band).or_default().push(i);
    }
    let mut office_groups: Vec<Vec<usize>> = offices.into_values().collect();
    for g in &mut office_groups {
        g.sort_by_key(|&i| band_rank(&cells[i].band));
    }
    let mut band_groups: Vec<Vec<usize>> = bands.into_values().collect();
    for g in &mut band_groups {
        g.sort_by(|&a, &b| {
            let key = |i: usize| (cells[i].office == ALL, cells[i].office.as_bytes());
            key(a).cmp(&key(b))
        });
    }
    (office_groups, band_groups)
}

/// Which cells of one period are suppressed for one measure.
pub fn suppress(cells: &[Cell], min_group_size: i64) -> Vec<bool> {
    let (office_groups, band_groups) = groups(cells);
    suppress_in(cells, min_group_size, &office_groups, &band_groups)
}

/// The primary rule, then the complementary passes over the given groups to a fixpoint.
fn suppress_in(
    cells: &[Cell],
    min_group_size: i64,
    office_groups: &[Vec<usize>],
    band_groups: &[Vec<usize>],
) -> Vec<bool> {
    let mut out: Vec<bool> = cells
        .iter()
        .map(|c| c.respondents < min_group_size)
        .collect();
    loop {
        let mut changed = false;
        for members in office_groups.iter().chain(band_groups) {
            changed |= complement(members, &mut out, cells);
        }
        if !changed {
            return out;
        }
    }
}

/// In one group, listed in its tie order: when exactly one cell with a count above 0 is
/// suppressed, suppress the unsuppressed cell with a count above 0 and the smallest count
/// (ties: the earliest in the list).
fn complement(members: &[usize], out: &mut [bool], cells: &[Cell]) -> bool {
    let counted = || {
        members
            .iter()
            .copied()
            .filter(|&i| cells[i].respondents > 0)
    };
    if counted().filter(|&i| out[i]).count() != 1 {
        return false;
    }
    // min_by_key keeps the first of equal keys: the tie order.
    match counted()
        .filter(|&i| !out[i])
        .min_by_key(|&i| cells[i].respondents)
    {
        Some(i) => {
            out[i] = true;
            true
        }
        None => false,
    }
}

/// One cell of a published table as an attacker reads it: its count, and the measure's
/// mean, or None where it is suppressed.
#[derive(Debug, Clone)]
pub struct PublishedCell {
    /// office, band and count
    pub cell: Cell,
    /// the published mean (None: suppressed, or no respondents)
    pub mean: Option<f64>,
}

/// The differencing attack on one period's table for one measure: a mean times its
/// public count is a sum, each office's `ALL`-band cell sums its band cells, and each
/// band's `ALL`-office cell sums the offices' cells. Wherever a row or column (its
/// members and its total) has exactly one unknown sum, that sum is rebuilt by addition
/// or subtraction; this repeats until nothing more is found. A cell with a count of 0,
/// or absent from the table (no exposure), is known to sum to 0. Returns each rebuilt
/// suppressed cell (its index in `cells`) with its rebuilt sum, in the order found.
pub fn differencing_attack(cells: &[PublishedCell]) -> Vec<(usize, f64)> {
    let mut sums: Vec<Option<f64>> = cells
        .iter()
        .map(|c| match c.mean {
            _ if c.cell.respondents == 0 => Some(0.0),
            Some(m) => Some(m * c.cell.respondents as f64),
            None => None,
        })
        .collect();
    /// A row or column of the table: its members and its total, whatever the
    /// suppression rule's groups.
    #[derive(Default)]
    struct Line {
        members: Vec<usize>,
        total: Option<usize>,
    }
    // Keyed by (is a row, office or band).
    let mut lines: BTreeMap<(bool, &str), Line> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        let (office, band) = (c.cell.office.as_str(), c.cell.band.as_str());
        let row = lines.entry((true, office)).or_default();
        if band == ALL {
            row.total = Some(i);
        } else {
            row.members.push(i);
        }
        let column = lines.entry((false, band)).or_default();
        if office == ALL {
            column.total = Some(i);
        } else {
            column.members.push(i);
        }
    }
    let mut found = Vec::new();
    loop {
        let mut changed = false;
        for Line { members, total } in lines.values() {
            let unknown: Vec<usize> = members
                .iter()
                .chain(total)
                .copied()
                .filter(|&i| sums[i].is_none())
                .collect();
            let [target] = unknown[..] else { continue };
            let members_sum: f64 = members.iter().filter_map(|&i| sums[i]).sum();
            let rebuilt = if Some(target) == *total {
                members_sum
            } else {
                // An absent total means nobody was there: it sums to 0.
                total.and_then(|t| sums[t]).unwrap_or(0.0) - members_sum
            };
            sums[target] = Some(rebuilt);
            found.push((target, rebuilt));
            changed = true;
        }
        if !changed {
            return found;
        }
    }
}

/// The rows of `batch` by period (period_type, period_start), in row order.
fn periods(batch: &RecordBatch) -> Result<BTreeMap<(String, i32), Vec<usize>>, ArrowError> {
    let period_type = column(batch, "period_type")?;
    let period_type = period_type.as_string::<i32>();
    let period_start = column(batch, "period_start")?;
    let period_start = period_start.as_primitive::<Date32Type>();
    let mut periods: BTreeMap<(String, i32), Vec<usize>> = BTreeMap::new();
    for row in 0..batch.num_rows() {
        periods
            .entry((period_type.value(row).to_string(), period_start.value(row)))
            .or_default()
            .push(row);
    }
    Ok(periods)
}

fn column(batch: &RecordBatch, name: &str) -> Result<Arc<dyn Array>, ArrowError> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| ArrowError::SchemaError(format!("office_indicators has no column {name}")))
}

/// Applies suppression to the unsuppressed mart: for each measure, nulls its columns in
/// the cells it suppresses.
pub fn apply(
    batch: &RecordBatch,
    min_group_size: i64,
    measures: &[Measure],
) -> Result<RecordBatch, ArrowError> {
    let office = column(batch, "office_id")?;
    let office = office.as_string::<i32>();
    let band = column(batch, "tenure_band")?;
    let band = band.as_string::<i32>();
    let periods = periods(batch)?;
    let mut columns = batch.columns().to_vec();
    for measure in measures {
        let counts = column(batch, measure.count)?;
        let counts = counts.as_primitive::<Int64Type>();
        let mut mask = vec![false; batch.num_rows()];
        for ((period_type, _), rows) in &periods {
            if measure.period_type.is_some_and(|t| t != period_type) {
                continue;
            }
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
        for name in measure.nulled {
            let index = batch.schema().index_of(name)?;
            columns[index] = nullif(columns[index].as_ref(), &mask)?;
        }
    }
    RecordBatch::try_new(batch.schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cells(rows: &[(&str, &str, i64)]) -> Vec<Cell> {
        rows.iter()
            .map(|&(o, b, n)| Cell {
                office: o.into(),
                band: b.into(),
                respondents: n,
            })
            .collect()
    }

    fn names(c: &[Cell], mask: &[bool]) -> Vec<String> {
        mask.iter()
            .zip(c)
            .filter(|(s, _)| **s)
            .map(|(_, c)| format!("{}/{}", c.office, c.band))
            .collect()
    }

    fn suppressed(rows: &[(&str, &str, i64)]) -> Vec<String> {
        let c = cells(rows);
        names(&c, &suppress(&c, 5))
    }

    /// The groups of the contract's old text, which left out their totals: an office's
    /// band cells without its `ALL`-band cell, a band's offices without its `ALL`-office
    /// cell. Kept here only to show that the attack finds what they leak.
    fn suppress_without_totals(c: &[Cell], min_group_size: i64) -> Vec<bool> {
        let (office_groups, band_groups) = groups(c);
        let office_groups: Vec<Vec<usize>> = office_groups
            .into_iter()
            .map(|g| g.into_iter().filter(|&i| c[i].band != ALL).collect())
            .collect();
        let band_groups: Vec<Vec<usize>> = band_groups
            .into_iter()
            .map(|g| g.into_iter().filter(|&i| c[i].office != ALL).collect())
            .collect();
        suppress_in(c, min_group_size, &office_groups, &band_groups)
    }

    /// What the attack rebuilds when each cell's true sum is `sum` and `mask` hides it.
    fn attack(c: &[Cell], sums: &[f64], mask: &[bool]) -> Vec<(String, f64)> {
        let published: Vec<PublishedCell> = c
            .iter()
            .zip(sums)
            .zip(mask)
            .map(|((cell, &sum), &hidden)| PublishedCell {
                cell: cell.clone(),
                mean: (!hidden && cell.respondents > 0).then(|| sum / cell.respondents as f64),
            })
            .collect();
        differencing_attack(&published)
            .into_iter()
            .filter(|&(i, _)| mask[i] && c[i].respondents > 0)
            .map(|(i, s)| (format!("{}/{}", c[i].office, c[i].band), s))
            .collect()
    }

    /// A table of offices by bands with its totals, from its inner cells (office, band,
    /// respondents, sum of the measure): the `ALL` row and column are their sums.
    fn table(inner: &[(&str, &str, i64, f64)]) -> (Vec<Cell>, Vec<f64>) {
        let mut all: BTreeMap<(String, String), (i64, f64)> = BTreeMap::new();
        for &(o, b, n, s) in inner {
            for key in [(o, b), (o, ALL), (ALL, b), (ALL, ALL)] {
                let e = all.entry((key.0.into(), key.1.into())).or_default();
                e.0 += n;
                e.1 += s;
            }
        }
        all.into_iter()
            .map(|((office, band), (n, s))| {
                (
                    Cell {
                        office,
                        band,
                        respondents: n,
                    },
                    s,
                )
            })
            .unzip()
    }

    /// One small cell in office A forces a second suppression in A's bands (the smallest
    /// other band), and then each of those bands needs a second office.
    #[test]
    fn complementary_suppression_cascades_across_passes() {
        let rows = [
            ("A", "00-06m", 3), // primary
            ("A", "06-12m", 9), // A's smallest other cell: complementary (office pass)
            ("A", "01-02y", 12),
            ("A", "ALL", 24),
            ("B", "00-06m", 8), // band 00-06m has one suppressed cell (A/00-06m): B/00-06m is its smallest other
            ("B", "06-12m", 7), // band 06-12m then has A suppressed: B suppressed
            ("B", "01-02y", 20),
            ("B", "ALL", 35),
            ("ALL", "00-06m", 11),
            ("ALL", "06-12m", 16),
            ("ALL", "01-02y", 32),
            ("ALL", "ALL", 59),
        ];
        // Pass 1, offices: A has 00-06m suppressed -> 06-12m (9 < 12 < 24).
        // Pass 1, bands: 00-06m {A sup, B 8, ALL 11} -> B; 06-12m {A sup, B 7, ALL 16} -> B.
        // Pass 2: every group holds 0 or 2 suppressed cells. Stable.
        assert_eq!(
            suppressed(&rows),
            ["A/00-06m", "A/06-12m", "B/00-06m", "B/06-12m"]
        );
    }

    /// CONTRACT.md section 5: the old groups leak through a total. Office C has three
    /// respondents, all in 05y+, so C/05y+, C/ALL and ALL/05y+ are primary.
    ///
    /// Old groups: the ALL column without ALL/ALL takes A/ALL (16 < 22) as C/ALL's
    /// complement; the ALL office's bands take ALL/00-06m (16 < 22). A's band cells are
    /// never touched, so A/ALL = 6 + 10 comes back, then C/ALL from the ALL column, and
    /// so on: five values rebuilt.
    ///
    /// New groups: the same, and then A's row {00-06m 6, 06-12m 10, ALL sup} takes
    /// A/00-06m (6): one band cell more, and nothing comes back.
    #[test]
    fn a_total_chosen_as_complement_no_longer_leaks() {
        let (c, sums) = table(&[
            ("A", "00-06m", 6, 120.0),
            ("A", "06-12m", 10, 310.0),
            ("B", "00-06m", 10, 250.0),
            ("B", "06-12m", 12, 400.0),
            ("C", "05y+", 3, 150.0),
        ]);
        let old = suppress_without_totals(&c, 5);
        assert_eq!(
            names(&c, &old),
            ["A/ALL", "ALL/00-06m", "ALL/05y+", "C/05y+", "C/ALL"]
        );
        let mut rebuilt = attack(&c, &sums, &old);
        rebuilt.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            rebuilt,
            [
                ("A/ALL".to_string(), 430.0),
                ("ALL/00-06m".into(), 370.0),
                ("ALL/05y+".into(), 150.0),
                ("C/05y+".into(), 150.0),
                ("C/ALL".into(), 150.0),
            ]
        );
        let new = suppress(&c, 5);
        assert_eq!(
            names(&c, &new),
            [
                "A/00-06m",
                "A/ALL",
                "ALL/00-06m",
                "ALL/05y+",
                "C/05y+",
                "C/ALL"
            ]
        );
        assert_eq!(attack(&c, &sums, &new), []);
    }

    #[test]
    fn ties_break_by_band_order_then_office_id_and_the_total_last() {
        // A: 00-06m suppressed; 06-12m and 02-05y tie at 6: the earlier band is taken.
        assert_eq!(
            suppressed(&[("A", "00-06m", 2), ("A", "02-05y", 6), ("A", "06-12m", 6)]),
            ["A/00-06m", "A/06-12m"]
        );
        // Band group: O2 suppressed; O10 and O3 tie: "O10" < "O3" in byte order.
        assert_eq!(
            suppressed(&[("O2", "05y+", 1), ("O3", "05y+", 9), ("O10", "05y+", 9)]),
            ["O2/05y+", "O10/05y+"]
        );
        // A total ties with a member: the member is taken, in an office group and in a
        // band group. (Counts that add up cannot tie a total with a member of a group
        // holding a suppressed cell; the rule is pinned on given counts.)
        assert_eq!(
            suppressed(&[("A", "00-06m", 2), ("A", "ALL", 7), ("A", "06-12m", 7)]),
            ["A/00-06m", "A/06-12m"]
        );
        assert_eq!(
            suppressed(&[("ALL", "05y+", 9), ("A", "05y+", 2), ("B", "05y+", 9)]),
            ["A/05y+", "B/05y+"]
        );
        // The total is taken when it is the only candidate: office A's one band with
        // respondents is hidden as B's complement, and A/ALL would give it away.
        let got = suppressed(&[
            ("A", "00-06m", 8),
            ("A", "ALL", 8),
            ("B", "00-06m", 2),
            ("B", "06-12m", 20),
            ("B", "ALL", 22),
            ("ALL", "00-06m", 10),
            ("ALL", "06-12m", 20),
            ("ALL", "ALL", 30),
        ]);
        // Offices: B {00-06m sup, 06-12m 20, ALL 22} -> B/06-12m.
        // Bands: 00-06m {A 8, B sup, ALL 10} -> A/00-06m; 06-12m {B sup, ALL 20} -> ALL/06-12m.
        // Offices: A {00-06m sup, ALL 8} -> A/ALL; ALL {00-06m 10, 06-12m sup, ALL 30} -> ALL/00-06m.
        // Bands: ALL {A sup, B 22, ALL 30} -> B/ALL. Then every group holds 0 or >= 2.
        assert_eq!(
            got,
            [
                "A/00-06m",
                "A/ALL",
                "B/00-06m",
                "B/06-12m",
                "B/ALL",
                "ALL/00-06m",
                "ALL/06-12m"
            ]
        );
    }

    /// ALL x ALL is the total of the ALL office's group and of the ALL band's group:
    /// taken in one, it counts in the other.
    #[test]
    fn the_all_by_all_cell_is_in_both_groups() {
        let c = cells(&[("ALL", "00-06m", 2), ("ALL", "ALL", 6), ("A", "ALL", 9)]);
        // Office ALL: {00-06m sup, ALL 6} -> ALL/ALL. Band ALL: {A 9, ALL/ALL sup} -> A/ALL.
        assert_eq!(
            names(&c, &suppress(&c, 5)),
            ["ALL/00-06m", "ALL/ALL", "A/ALL"]
        );
        let (office_groups, band_groups) = groups(&c);
        let all_all = 1;
        assert!(office_groups.iter().any(|g| g.last() == Some(&all_all)));
        assert!(band_groups.iter().any(|g| g.last() == Some(&all_all)));
    }

    #[test]
    fn cells_without_respondents_neither_count_nor_take_the_second_place() {
        // Only one cell with respondents is suppressed, and the only other cell has no
        // respondents: no candidate, left as it is.
        assert_eq!(
            suppressed(&[("A", "00-06m", 2), ("A", "06-12m", 0)]),
            ["A/00-06m", "A/06-12m"]
        );
        let c = cells(&[("A", "00-06m", 2), ("A", "06-12m", 0), ("A", "01-02y", 7)]);
        // 06-12m is "suppressed" by the primary rule (0 < 5) but has no respondents, so the
        // group has exactly one suppressed cell with respondents: 01-02y goes too.
        assert_eq!(suppress(&c, 5), [true, true, true]);
        // Two suppressed already: nothing more.
        let c = cells(&[("A", "00-06m", 2), ("A", "06-12m", 3), ("A", "01-02y", 7)]);
        assert_eq!(suppress(&c, 5), [true, true, false]);
    }

    /// Random agencies: up to 7 offices, each band cell empty or with 1-14 respondents.
    fn agency() -> impl Strategy<Value = Vec<(usize, usize, i64, f64)>> {
        (1usize..8).prop_flat_map(|offices| {
            proptest::collection::vec(
                (0usize..offices, 0usize..5, 1i64..15, 10.0f64..90.0),
                1..(offices * 5),
            )
        })
    }

    fn agency_table(inner: &[(usize, usize, i64, f64)]) -> (Vec<Cell>, Vec<f64>) {
        let office_names = ["O1", "O2", "O3", "O4", "O5", "O6", "O7"];
        let mut seen = std::collections::BTreeSet::new();
        let rows: Vec<(&str, &str, i64, f64)> = inner
            .iter()
            .filter(|(o, b, _, _)| seen.insert((*o, *b)))
            .map(|&(o, b, n, mean)| {
                (
                    office_names[o],
                    TenureBand::ALL[b].label(),
                    n,
                    mean * n as f64,
                )
            })
            .collect();
        table(&rows)
    }

    proptest! {
        /// With the groups of section 5, the differencing attack rebuilds nothing, and
        /// every group holds no suppressed cell with respondents or at least two.
        #[test]
        fn the_attack_rebuilds_nothing(inner in agency()) {
            let (c, sums) = agency_table(&inner);
            let mask = suppress(&c, 5);
            prop_assert_eq!(attack(&c, &sums, &mask), vec![]);
            let (office_groups, band_groups) = groups(&c);
            for g in office_groups.iter().chain(&band_groups) {
                let hidden = g.iter().filter(|&&i| mask[i] && c[i].respondents > 0).count();
                let counted = g.iter().filter(|&&i| c[i].respondents > 0).count();
                prop_assert!(hidden != 1 || counted == 1, "{:?}", g);
            }
        }

        /// Whatever the attack rebuilds is the true sum (it is a real attack).
        #[test]
        fn what_the_attack_rebuilds_is_true(inner in agency()) {
            let (c, sums) = agency_table(&inner);
            let mask = suppress_without_totals(&c, 5);
            for (name, rebuilt) in attack(&c, &sums, &mask) {
                let i = c.iter().position(|x| format!("{}/{}", x.office, x.band) == name).unwrap();
                prop_assert!((rebuilt - sums[i]).abs() < 1e-6, "{} {} {}", name, rebuilt, sums[i]);
            }
        }
    }

    /// The attack can fail: over random agencies the old groups leak somewhere.
    #[test]
    fn the_old_groups_leak_on_random_agencies() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::{Config, TestRng, TestRunner};
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
        );
        let strategy = agency();
        let leaks = (0..500)
            .filter(|_| {
                let inner = strategy.new_tree(&mut runner).unwrap().current();
                let (c, sums) = agency_table(&inner);
                !attack(&c, &sums, &suppress_without_totals(&c, 5)).is_empty()
            })
            .count();
        assert!(leaks > 0, "no leak in 500 agencies");
    }

    fn batch(rows: &[(&str, &str, &str, i64, Option<f64>)]) -> RecordBatch {
        use arrow::array::{Date32Array, Float64Array, Int64Array, StringArray};
        use arrow::datatypes::{DataType, Field, Schema};
        let text = |values: Vec<&str>| Arc::new(StringArray::from(values)) as Arc<dyn Array>;
        let schema = Schema::new(vec![
            Field::new("period_type", DataType::Utf8, false),
            Field::new("period_start", DataType::Date32, false),
            Field::new("office_id", DataType::Utf8, false),
            Field::new("tenure_band", DataType::Utf8, false),
            Field::new("headcount_end", DataType::Int64, false),
            Field::new("predicted_separations_12m", DataType::Float64, true),
            Field::new("predicted_turnover_12m", DataType::Float64, true),
            Field::new("risk_tier", DataType::Utf8, true),
        ]);
        let predicted: Float64Array = rows.iter().map(|r| r.4).collect();
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                text(rows.iter().map(|r| r.0).collect()),
                Arc::new(Date32Array::from(vec![19000; rows.len()])),
                text(rows.iter().map(|r| r.1).collect()),
                text(rows.iter().map(|r| r.2).collect()),
                Arc::new(Int64Array::from(
                    rows.iter().map(|r| r.3).collect::<Vec<_>>(),
                )),
                Arc::new(predicted.clone()),
                Arc::new(predicted),
                Arc::new(StringArray::from(
                    rows.iter().map(|r| r.4.map(|_| "low")).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap()
    }

    /// The predicted columns are one more measure: counted by headcount_end, on
    /// trailing_12m rows only, with a complementary cell.
    #[test]
    fn predicted_columns_are_suppressed_by_headcount_on_trailing_rows() {
        let b = batch(&[
            ("month", "A", "00-06m", 3, None),
            ("trailing_12m", "A", "00-06m", 3, Some(0.9)),
            ("trailing_12m", "A", "06-12m", 8, Some(1.5)),
            ("trailing_12m", "A", "01-02y", 12, Some(2.0)),
            ("trailing_12m", "A", "ALL", 23, Some(4.4)),
        ]);
        let out = apply(&b, 5, &[PREDICTED]).unwrap();
        for name in PREDICTED.nulled {
            let col = out.column_by_name(name).unwrap();
            // 00-06m (3 < 5) and its complement 06-12m (8, the fewest of the rest).
            let nulls: Vec<bool> = (0..out.num_rows()).map(|r| col.is_null(r)).collect();
            assert_eq!(nulls, [true, true, true, false, false], "{name}");
        }
        let missing = apply(&b, 5, &SURVEY).unwrap_err().to_string();
        assert!(missing.contains("no column sts_respondents"), "{missing}");
    }
}
