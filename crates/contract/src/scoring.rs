//! Instrument scoring of CONTRACT.md section 3: scales, reversed items, proration and
//! bands. One response's accepted item rows go in; unrounded scale scores come out.

use crate::codes::Instrument;

/// A scale of an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Column name in `survey_scores`.
    pub name: &'static str,
    /// Instrument the scale belongs to.
    pub instrument: Instrument,
    /// Item numbers of the scale.
    pub items: &'static [u8],
    /// Items scored as `6 - value`.
    pub reversed: &'static [u8],
    /// Mean of answered items (BRS) rather than a prorated sum.
    pub mean: bool,
}

const STSS_ALL: &[u8] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];

/// Every scale, in the column order of `survey_scores`.
pub const SCALES: [Scale; 8] = [
    Scale {
        name: "sts_total",
        instrument: Instrument::Stss,
        items: STSS_ALL,
        reversed: &[],
        mean: false,
    },
    Scale {
        name: "sts_intrusion",
        instrument: Instrument::Stss,
        items: &[2, 3, 6, 10, 13],
        reversed: &[],
        mean: false,
    },
    Scale {
        name: "sts_avoidance",
        instrument: Instrument::Stss,
        items: &[1, 5, 7, 9, 12, 14, 17],
        reversed: &[],
        mean: false,
    },
    Scale {
        name: "sts_arousal",
        instrument: Instrument::Stss,
        items: &[4, 8, 11, 15, 16],
        reversed: &[],
        mean: false,
    },
    Scale {
        name: "proqol_cs",
        instrument: Instrument::Proqol5,
        items: &[3, 6, 12, 16, 18, 20, 22, 24, 27, 30],
        reversed: &[],
        mean: false,
    },
    Scale {
        name: "proqol_bo",
        instrument: Instrument::Proqol5,
        items: &[1, 4, 8, 10, 15, 17, 19, 21, 26, 29],
        reversed: &[1, 4, 15, 17, 29],
        mean: false,
    },
    Scale {
        name: "proqol_sts",
        instrument: Instrument::Proqol5,
        items: &[2, 5, 7, 9, 11, 13, 14, 23, 25, 28],
        reversed: &[],
        mean: false,
    },
    Scale {
        name: "brs_mean",
        instrument: Instrument::Brs,
        items: &[1, 2, 3, 4, 5, 6],
        reversed: &[2, 4, 6],
        mean: true,
    },
];

/// Index of each scale in [`SCALES`] (and in [`Scores::values`]).
pub mod idx {
    /// sts_total
    pub const STS_TOTAL: usize = 0;
    /// proqol_cs
    pub const PROQOL_CS: usize = 4;
    /// proqol_bo
    pub const PROQOL_BO: usize = 5;
    /// proqol_sts
    pub const PROQOL_STS: usize = 6;
    /// brs_mean
    pub const BRS_MEAN: usize = 7;
}

/// Scale scores of one response; `None` where the scale is not this instrument's or too
/// few of its items were answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// One value per entry of [`SCALES`].
    pub values: [Option<f64>; 8],
}

/// Minimum answered items for a scale of `n` items: `ceil(0.8 * n)`.
pub fn min_answered(n: usize) -> usize {
    (4 * n).div_ceil(5)
}

/// Scores one response. `answers[item]` is the value given for `item` (index 0 unused),
/// 0 when the item was not answered.
pub fn score(instrument: Instrument, answers: &[u8; 31]) -> Scores {
    let mut values = [None; 8];
    for (slot, scale) in values.iter_mut().zip(SCALES.iter()) {
        if scale.instrument != instrument {
            continue;
        }
        let (mut answered, mut sum) = (0usize, 0u32);
        for &item in scale.items {
            let v = answers[item as usize];
            if v == 0 {
                continue;
            }
            answered += 1;
            sum += u32::from(if scale.reversed.contains(&item) {
                6 - v
            } else {
                v
            });
        }
        if answered >= min_answered(scale.items.len()) {
            let n = scale.items.len() as f64;
            let (sum, answered) = (f64::from(sum), answered as f64);
            *slot = Some(if scale.mean {
                sum / answered
            } else {
                sum / answered * n
            });
        }
    }
    Scores { values }
}

/// STSS total band.
pub fn sts_band(total: f64) -> &'static str {
    if total < 28.0 {
        "little_or_none"
    } else if total < 38.0 {
        "mild"
    } else if total < 44.0 {
        "moderate"
    } else if total < 49.0 {
        "high"
    } else {
        "severe"
    }
}

/// ProQOL band (compassion satisfaction, burnout, secondary trauma alike).
pub fn proqol_band(score: f64) -> &'static str {
    if score <= 22.0 {
        "low"
    } else if score < 42.0 {
        "moderate"
    } else {
        "high"
    }
}

/// BRS band.
pub fn brs_band(mean: f64) -> &'static str {
    if mean < 3.0 {
        "low"
    } else if mean <= 4.3 {
        "normal"
    } else {
        "high"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(u8, u8)]) -> [u8; 31] {
        let mut a = [0u8; 31];
        for &(item, value) in pairs {
            a[item as usize] = value;
        }
        a
    }

    #[test]
    fn minimum_answered_is_ceil_of_eighty_percent() {
        assert_eq!(
            [
                min_answered(17),
                min_answered(5),
                min_answered(7),
                min_answered(10),
                min_answered(6)
            ],
            [14, 4, 6, 8, 5]
        );
    }

    /// CONTRACT.md section 3: STSS, all items answered, no reversal.
    #[test]
    fn stss_full_response() {
        // items 1..17 valued 1,2,3,4,5,1,2,... : sum = 3*15 + 1+2 = 48
        let pairs: Vec<_> = (1..=17u8).map(|i| (i, (i - 1) % 5 + 1)).collect();
        let s = score(Instrument::Stss, &answers(&pairs));
        assert_eq!(s.values[idx::STS_TOTAL], Some(48.0));
        // intrusion 2,3,6,10,13 -> 2+3+1+5+3 = 14
        assert_eq!(s.values[1], Some(14.0));
        // avoidance 1,5,7,9,12,14,17 -> 1+5+2+4+2+4+2 = 20
        assert_eq!(s.values[2], Some(20.0));
        // arousal 4,8,11,15,16 -> 4+3+1+5+1 = 14
        assert_eq!(s.values[3], Some(14.0));
        assert_eq!(s.values[idx::BRS_MEAN], None);
        assert_eq!(sts_band(48.0), "high");
    }

    #[test]
    fn proration_and_the_eighty_percent_rule() {
        // STSS with 14 of 17 items, all 3 -> 42 / 14 * 17 = 51
        let pairs: Vec<_> = (1..=14u8).map(|i| (i, 3)).collect();
        let s = score(Instrument::Stss, &answers(&pairs));
        assert_eq!(s.values[idx::STS_TOTAL], Some(51.0));
        // arousal 4,8,11 answered of 4,8,11,15,16 -> 3 < 4: null
        assert_eq!(s.values[3], None);
        // 13 of 17 -> null
        let pairs: Vec<_> = (1..=13u8).map(|i| (i, 3)).collect();
        assert_eq!(
            score(Instrument::Stss, &answers(&pairs)).values[idx::STS_TOTAL],
            None
        );
    }

    #[test]
    fn proqol_burnout_reverses_five_items() {
        // All 30 items answered 5: bo = 5 reversed items * 1 + 5 others * 5 = 30
        let pairs: Vec<_> = (1..=30u8).map(|i| (i, 5)).collect();
        let s = score(Instrument::Proqol5, &answers(&pairs));
        assert_eq!(s.values[idx::PROQOL_BO], Some(30.0));
        assert_eq!(s.values[idx::PROQOL_CS], Some(50.0));
        assert_eq!(s.values[idx::PROQOL_STS], Some(50.0));
        // Drop items 1 and 4 (both reversed): 8 of 10 answered, 3*1 + 5*5 = 28 -> 28/8*10 = 35
        let pairs: Vec<_> = (1..=30u8)
            .filter(|i| *i != 1 && *i != 4)
            .map(|i| (i, 5))
            .collect();
        assert_eq!(
            score(Instrument::Proqol5, &answers(&pairs)).values[idx::PROQOL_BO],
            Some(35.0)
        );
    }

    #[test]
    fn brs_is_a_mean_with_reversed_even_items() {
        // 1:4, 2:2->4, 3:5, 4:1->5, 5:3, 6:4->2 : mean 23/6
        let s = score(
            Instrument::Brs,
            &answers(&[(1, 4), (2, 2), (3, 5), (4, 1), (5, 3), (6, 4)]),
        );
        assert_eq!(s.values[idx::BRS_MEAN], Some(23.0 / 6.0));
        // 5 of 6 answered is enough (ceil(4.8) = 5): mean of the five
        let s = score(
            Instrument::Brs,
            &answers(&[(1, 4), (2, 2), (3, 5), (4, 1), (5, 3)]),
        );
        assert_eq!(s.values[idx::BRS_MEAN], Some(21.0 / 5.0));
        let s = score(Instrument::Brs, &answers(&[(1, 4), (2, 2), (3, 5), (4, 1)]));
        assert_eq!(s.values[idx::BRS_MEAN], None);
    }

    #[test]
    fn band_edges() {
        assert_eq!(
            [
                sts_band(27.99),
                sts_band(28.0),
                sts_band(37.9),
                sts_band(38.0)
            ],
            ["little_or_none", "mild", "mild", "moderate"]
        );
        assert_eq!(
            [
                sts_band(43.9),
                sts_band(44.0),
                sts_band(48.9),
                sts_band(49.0)
            ],
            ["moderate", "high", "high", "severe"]
        );
        assert_eq!(
            [
                proqol_band(22.0),
                proqol_band(22.01),
                proqol_band(41.99),
                proqol_band(42.0)
            ],
            ["low", "moderate", "moderate", "high"]
        );
        assert_eq!(
            [brs_band(2.99), brs_band(3.0), brs_band(4.3), brs_band(4.31)],
            ["low", "normal", "normal", "high"]
        );
    }
}
