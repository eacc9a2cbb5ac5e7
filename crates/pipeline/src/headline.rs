//! The headline numbers `retention demo` prints: per office, headcount on as-of and the
//! trailing-12-month turnover rate of CONTRACT.md section 5 (`separations * 365.25 /
//! exposure_days` over the `trailing_12m` period, all tenure bands together).

use retention_contract::Day;
use retention_ingest::{OfficeSet, Roster};

/// Headline numbers of one office.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeHeadline {
    /// office_id
    pub office_id: String,
    /// Workers employed on as-of.
    pub headcount: u64,
    /// Worker-days employed in the trailing 12 months.
    pub exposure_days: u64,
    /// Terminations dated in the trailing 12 months, placed in the office held that day.
    pub separations: u64,
    /// `separations * 365.25 / exposure_days` (None without exposure).
    pub turnover_rate: Option<f64>,
}

/// First day of the trailing-12-month period ending on `as_of`: as-of minus 12 calendar
/// months (clamped to the month's end) plus one day.
pub fn trailing_start(as_of: Day) -> Day {
    as_of.add_months(-12).add_days(1)
}

/// Per-office headline numbers, in office order.
pub fn office_headlines(roster: &Roster, offices: &OfficeSet, as_of: Day) -> Vec<OfficeHeadline> {
    let start = trailing_start(as_of);
    let mut rows: Vec<OfficeHeadline> = offices
        .ids
        .iter()
        .map(|id| OfficeHeadline {
            office_id: id.to_string(),
            headcount: 0,
            exposure_days: 0,
            separations: 0,
            turnover_rate: None,
        })
        .collect();
    for spells in &roster.spells {
        for spell in spells {
            let last = spell.last_day(as_of);
            for (i, seg) in spell.segments.iter().enumerate() {
                let seg_last = spell
                    .segments
                    .get(i + 1)
                    .map_or(last, |n| n.from.add_days(-1))
                    .min(last);
                let (from, to) = (seg.from.max(start), seg_last);
                if from <= to {
                    rows[seg.office.0 as usize].exposure_days += (to.0 - from.0 + 1) as u64;
                }
            }
            if spell.contains(as_of) {
                rows[spell.segment_on(as_of).office.0 as usize].headcount += 1;
            }
            if let Some(end) = spell.end
                && end >= start
                && end <= as_of
            {
                rows[spell.segment_on(end).office.0 as usize].separations += 1;
            }
        }
    }
    for r in &mut rows {
        r.turnover_rate =
            (r.exposure_days > 0).then(|| r.separations as f64 * 365.25 / r.exposure_days as f64);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use retention_contract::history::{Segment, Spell};
    use retention_contract::{Role, Sym};

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
    }

    /// Hand-computed: as-of 2025-06-30, period 2024-07-01..2025-06-30 (365 days).
    #[test]
    fn exposure_separations_and_transfer_placement() {
        let d = |y, m, dd| Day::from_ymd(y, m, dd).unwrap();
        let seg = |from, office| Segment {
            from,
            office: Sym(office),
            role: Role::Caseworker,
            fte: 1.0,
        };
        // Worker A: office 0 from 2020, transfers to office 1 on 2025-01-01, still employed.
        let a = vec![Spell {
            start: d(2020, 1, 1),
            end: None,
            end_reason: None,
            segments: vec![seg(d(2020, 1, 1), 0), seg(d(2025, 1, 1), 1)],
        }];
        // Worker B: office 1, hired 2024-10-01, terminated 2025-03-31.
        let b = vec![Spell {
            start: d(2024, 10, 1),
            end: Some(d(2025, 3, 31)),
            end_reason: None,
            segments: vec![seg(d(2024, 10, 1), 1)],
        }];
        let roster = Roster::new(vec!["A".into(), "B".into()], vec![a, b]);
        let offices = OfficeSet::new(vec!["O0".into(), "O1".into()]);
        let h = office_headlines(&roster, &offices, d(2025, 6, 30));
        // Office 0: A from 2024-07-01 to 2024-12-31 = 184 days; no one there on as-of.
        assert_eq!(
            (h[0].headcount, h[0].exposure_days, h[0].separations),
            (0, 184, 0)
        );
        assert_eq!(h[0].turnover_rate, Some(0.0));
        // Office 1: A 2025-01-01..06-30 = 181 days; B 2024-10-01..2025-03-31 = 182 days.
        assert_eq!(
            (h[1].headcount, h[1].exposure_days, h[1].separations),
            (1, 363, 1)
        );
        assert_eq!(h[1].turnover_rate, Some(365.25 / 363.0));
    }
}
