//! Tenure bands of CONTRACT.md section 3: tenure on d = d - spell_start in days.

use crate::date::Day;

/// A tenure band. The derive order is the contract's band order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TenureBand {
    /// tenure < 183 days
    M00To06,
    /// tenure < 365 days
    M06To12,
    /// tenure < 730 days
    Y01To02,
    /// tenure < 1826 days
    Y02To05,
    /// everything longer
    Y05Plus,
}

/// First tenure day of 06-12m, 01-02y, 02-05y and 05y+.
const FROM_06M: i32 = 183;
const FROM_01Y: i32 = 365;
const FROM_02Y: i32 = 730;
const FROM_05Y: i32 = 1826;

impl TenureBand {
    /// Every band, in order.
    pub const ALL: [TenureBand; 5] = [
        TenureBand::M00To06,
        TenureBand::M06To12,
        TenureBand::Y01To02,
        TenureBand::Y02To05,
        TenureBand::Y05Plus,
    ];

    /// The band for a tenure in days (`d - spell_start`).
    pub fn from_tenure_days(days: i32) -> TenureBand {
        match days {
            ..FROM_06M => TenureBand::M00To06,
            FROM_06M..FROM_01Y => TenureBand::M06To12,
            FROM_01Y..FROM_02Y => TenureBand::Y01To02,
            FROM_02Y..FROM_05Y => TenureBand::Y02To05,
            _ => TenureBand::Y05Plus,
        }
    }

    /// The band's tenure days, first and last (inclusive); 05y+ has no last day, shown as
    /// `i32::MAX`.
    pub fn tenure_days(self) -> (i32, i32) {
        match self {
            TenureBand::M00To06 => (0, FROM_06M - 1),
            TenureBand::M06To12 => (FROM_06M, FROM_01Y - 1),
            TenureBand::Y01To02 => (FROM_01Y, FROM_02Y - 1),
            TenureBand::Y02To05 => (FROM_02Y, FROM_05Y - 1),
            TenureBand::Y05Plus => (FROM_05Y, i32::MAX),
        }
    }

    /// The days `from..=to` of one assignment, in a spell that started on `spell_start`,
    /// split by the band held on each (tenure on d = d - spell_start): the band, its first
    /// and its last day among them, in band order. This is the one definition of "the
    /// band on day d" that the SQL layers join (`src_worker_band_ranges`).
    pub fn ranges(
        spell_start: Day,
        from: Day,
        to: Day,
    ) -> impl Iterator<Item = (TenureBand, Day, Day)> {
        TenureBand::ALL.into_iter().filter_map(move |band| {
            let (first, last) = band.tenure_days();
            let lo = from.0.max(spell_start.0.saturating_add(first));
            let hi = to.0.min(spell_start.0.saturating_add(last));
            (lo <= hi).then_some((band, Day(lo), Day(hi)))
        })
    }

    /// The published label.
    pub fn label(self) -> &'static str {
        match self {
            TenureBand::M00To06 => "00-06m",
            TenureBand::M06To12 => "06-12m",
            TenureBand::Y01To02 => "01-02y",
            TenureBand::Y02To05 => "02-05y",
            TenureBand::Y05Plus => "05y+",
        }
    }

    /// The sort key published beside a `tenure_band` label, so that `order by` puts the
    /// bands in tenure order (their text sorts 06-12m last): 1 to 5 in band order, 6 for
    /// `ALL`; None for any other text.
    pub fn order_of_label(label: &str) -> Option<i64> {
        if label == "ALL" {
            return Some(6);
        }
        TenureBand::ALL
            .iter()
            .position(|b| b.label() == label)
            .map(|i| i as i64 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::TenureBand::*;
    use super::*;

    /// CONTRACT.md section 3, band edges.
    #[test]
    fn band_edges() {
        let cases = [
            (0, M00To06),
            (182, M00To06),
            (183, M06To12),
            (364, M06To12),
            (365, Y01To02),
            (729, Y01To02),
            (730, Y02To05),
            (1825, Y02To05),
            (1826, Y05Plus),
            (20000, Y05Plus),
        ];
        for (days, band) in cases {
            assert_eq!(TenureBand::from_tenure_days(days), band, "{days} days");
        }
        assert_eq!(Y05Plus.label(), "05y+");
    }

    #[test]
    fn labels_sort_by_their_order_not_their_text() {
        let orders: Vec<_> = ["00-06m", "06-12m", "01-02y", "02-05y", "05y+", "ALL", "6m"]
            .iter()
            .map(|l| TenureBand::order_of_label(l))
            .collect();
        assert_eq!(
            orders,
            [Some(1), Some(2), Some(3), Some(4), Some(5), Some(6), None]
        );
    }

    #[test]
    fn ranges_agree_with_the_band_of_each_day() {
        let mut next = 0;
        for band in TenureBand::ALL {
            let (first, last) = band.tenure_days();
            assert_eq!(first, next, "{band:?} starts where the one before ends");
            for days in [first, last.min(20_000)] {
                assert_eq!(TenureBand::from_tenure_days(days), band);
            }
            next = last.saturating_add(1);
        }
        assert_eq!(Y02To05.tenure_days(), (730, 1825));
        assert_eq!(next, i32::MAX);
    }

    /// CONTRACT.md section 3, tenure band on d: a spell's days split by band. Every day
    /// of the assignment lies in exactly one range, that of its band, and the ranges
    /// come in band order.
    #[test]
    fn an_assignment_splits_into_the_band_of_each_day() {
        let start = Day::from_ymd(2020, 3, 1).unwrap();
        for (from, to) in [
            (0, 0),
            (0, 3000),
            (100, 400),
            (182, 183),
            (365, 365),
            (1900, 1950),
        ] {
            let (from, to) = (Day(start.0 + from), Day(start.0 + to));
            let ranges: Vec<_> = TenureBand::ranges(start, from, to).collect();
            let mut covered = 0;
            for d in from.0..=to.0 {
                let band = TenureBand::from_tenure_days(d - start.0);
                let holding: Vec<_> = ranges
                    .iter()
                    .filter(|(_, lo, hi)| (lo.0..=hi.0).contains(&d))
                    .collect();
                assert_eq!(holding.len(), 1, "day {d}");
                assert_eq!(holding[0].0, band, "day {d}");
                covered += 1;
            }
            let days: i32 = ranges.iter().map(|(_, lo, hi)| hi.0 - lo.0 + 1).sum();
            assert_eq!(days, covered);
            assert!(
                ranges
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].2.0 + 1 == w[1].1.0)
            );
        }
        // By hand: tenure 100..400 is 00-06m to day 182, 06-12m to 364, then 01-02y.
        let got: Vec<_> = TenureBand::ranges(start, Day(start.0 + 100), Day(start.0 + 400))
            .map(|(b, lo, hi)| (b, lo.0 - start.0, hi.0 - start.0))
            .collect();
        assert_eq!(
            got,
            [
                (M00To06, 100, 182),
                (M06To12, 183, 364),
                (Y01To02, 365, 400)
            ]
        );
    }
}
