//! Kaplan-Meier survival with 95% exponential-Greenwood ("log-log") intervals, the
//! estimator behind `retention_curves` (CONTRACT.md section 6).
//!
//! It lives in Rust because it is a running product over distinct event times with a
//! log-of-log interval, which SQL expresses badly. The contract names lifelines'
//! `KaplanMeierFitter` (default interval) as the reference, so its conventions are kept
//! exactly, including the corner cases:
//!
//! - ties: at a duration shared by events and censorings, the censored spells still count
//!   as at risk (events come first);
//! - while no event has happened yet, survival is 1 and the interval is (1, 1) (lifelines
//!   gets NaN from `ln(-ln 1)` and fills it with 1);
//! - at an event time where everyone still at risk has the event, the Greenwood term
//!   `d / (n (n - d))` is infinite and lifelines counts it as 0; survival is then 0 and the
//!   interval (0, 0), which is what lifelines' formula gives for `ln S = -inf`;
//! - where no spell is at risk (t beyond every duration) survival and both bounds are
//!   absent, as the contract requires, although lifelines would carry the last value on.

/// The 97.5% quantile of the standard normal: the z of a two-sided 95% interval, as
/// lifelines' `inv_normal_cdf(0.975)` returns it.
const Z_975: f64 = 1.959963984540054;

/// One spell for survival analysis.
///
/// Only the order of durations matters to the estimator; the contract's durations are whole
/// days counted from 1 (a spell that ends on its start date lasted 1 day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// Days from the start of the spell to its end (ended) or to as-of (still open).
    pub duration: i64,
    /// True when the spell ended (the event); false when it is still open (censored).
    pub event: bool,
}

/// The Kaplan-Meier estimate at one time point: one row of `retention_curves` for a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalPoint {
    /// The time point, in days.
    pub t: i64,
    /// Spells with duration >= t: a spell lasting exactly t days is still at risk at t.
    pub at_risk: u64,
    /// Events with duration <= t, cumulative from the start.
    pub events: u64,
    /// The product-limit estimate S(t); `None` when `at_risk` is 0.
    pub survival: Option<f64>,
    /// Lower 95% exponential-Greenwood bound; `None` when `at_risk` is 0.
    pub ci_lower: Option<f64>,
    /// Upper 95% exponential-Greenwood bound; `None` when `at_risk` is 0.
    pub ci_upper: Option<f64>,
}

/// The estimate just after one distinct event time.
struct EventStep {
    time: i64,
    /// Events with duration <= `time`.
    events_through: u64,
    /// S(time) = product over event times d_i <= time of (1 - deaths_i / n_i).
    survival: f64,
    /// Greenwood's sum over event times d_i <= time of deaths_i / (n_i (n_i - deaths_i)),
    /// with the infinite term of an event time where n_i = deaths_i counted as 0.
    greenwood: f64,
}

/// Kaplan-Meier estimate with 95% exponential-Greenwood ("log-log") confidence intervals,
/// evaluated at each t in `times`, in the order given.
///
/// See the module documentation for the conventions on ties, on survival 1 and 0, and on
/// time points where nobody is at risk.
pub fn kaplan_meier(observations: &[Observation], times: &[i64]) -> Vec<SurvivalPoint> {
    let mut spells = observations.to_vec();
    spells.sort_unstable_by_key(|spell| spell.duration);
    let steps = event_steps(&spells);
    let durations: Vec<i64> = spells.iter().map(|spell| spell.duration).collect();
    times
        .iter()
        .map(|&t| point_at(t, &durations, &steps))
        .collect()
}

/// The product-limit steps of spells sorted by duration, one per distinct event time.
fn event_steps(spells: &[Observation]) -> Vec<EventStep> {
    let mut steps = Vec::new();
    let mut survival = 1.0;
    let mut greenwood = 0.0;
    let mut events_through = 0;
    let mut start = 0;
    while start < spells.len() {
        let time = spells[start].duration;
        let end = start + spells[start..].partition_point(|spell| spell.duration == time);
        // Everyone from `start` on lasted at least `time`, including those censored at
        // `time`: lifelines' ties convention.
        let at_risk = (spells.len() - start) as u64;
        let deaths = spells[start..end]
            .iter()
            .filter(|spell| spell.event)
            .count() as u64;
        if deaths > 0 {
            let (n, d) = (at_risk as f64, deaths as f64);
            events_through += deaths;
            survival *= 1.0 - d / n;
            if deaths < at_risk {
                greenwood += d / (n * (n - d));
            }
            steps.push(EventStep {
                time,
                events_through,
                survival,
                greenwood,
            });
        }
        start = end;
    }
    steps
}

/// The estimate at `t` from sorted durations and the event steps.
fn point_at(t: i64, durations: &[i64], steps: &[EventStep]) -> SurvivalPoint {
    let at_risk = (durations.len() - durations.partition_point(|&duration| duration < t)) as u64;
    let last_step = steps
        .partition_point(|step| step.time <= t)
        .checked_sub(1)
        .map(|index| &steps[index]);
    let events = last_step.map_or(0, |step| step.events_through);
    let (survival, ci_lower, ci_upper) = if at_risk == 0 {
        (None, None, None)
    } else {
        match last_step {
            None => (Some(1.0), Some(1.0), Some(1.0)),
            // Survival reaches 0 only through a factor 1 - n/n, which is exactly 0.
            Some(step) if step.survival <= 0.0 => (Some(0.0), Some(0.0), Some(0.0)),
            Some(step) => {
                let (lower, upper) = log_log_bounds(step.survival, step.greenwood);
                (Some(step.survival), Some(lower), Some(upper))
            }
        }
    };
    SurvivalPoint {
        t,
        at_risk,
        events,
        survival,
        ci_lower,
        ci_upper,
    }
}

/// The exponential-Greenwood interval for 0 < survival < 1: a symmetric normal interval
/// for c = ln(-ln S), whose standard error is sqrt(V) / |ln S|, mapped back through
/// S = exp(-exp(c)). A larger c is a smaller S, so `c + half_width` gives the lower bound.
/// Written as lifelines writes it, so the floating-point results agree.
fn log_log_bounds(survival: f64, greenwood: f64) -> (f64, f64) {
    let log_survival = survival.ln();
    let centre = (-log_survival).ln();
    let half_width = Z_975 * greenwood.sqrt() / -log_survival;
    let lower = (-(centre + half_width).exp()).exp();
    let upper = (-(centre - half_width).exp()).exp();
    (lower, upper)
}

#[cfg(test)]
mod tests {
    //! CONTRACT.md section 6: hand-computed Kaplan-Meier fixtures and properties.
    use super::*;
    use proptest::prelude::*;

    const E: bool = true;
    const C: bool = false;

    fn spells(list: &[(i64, bool)]) -> Vec<Observation> {
        list.iter()
            .map(|&(duration, event)| Observation { duration, event })
            .collect()
    }

    fn assert_close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a value where the fixture has one");
        assert!(
            (actual - expected).abs() <= 1e-12,
            "expected {expected}, got {actual}"
        );
    }

    fn assert_point(
        point: &SurvivalPoint,
        (at_risk, events, survival, lower, upper): (u64, u64, f64, f64, f64),
    ) {
        assert_eq!(
            (point.at_risk, point.events),
            (at_risk, events),
            "{point:?}"
        );
        assert_close(point.survival, survival);
        assert_close(point.ci_lower, lower);
        assert_close(point.ci_upper, upper);
    }

    /// A dozen spells with a tie of two events at 60 and censoring between events.
    ///
    /// Distinct event times, n_i = spells with duration >= d_i, d_i = events at d_i:
    ///
    /// | d_i | n_i | d_i | factor 1 - d/n | d / (n (n - d)) |
    /// |-----|-----|-----|----------------|-----------------|
    /// | 30  | 12  | 1   | 11/12          | 1/132           |
    /// | 60  | 10  | 2   | 8/10           | 2/80 = 1/40     |
    /// | 100 | 7   | 1   | 6/7            | 1/42            |
    /// | 150 | 5   | 1   | 4/5            | 1/20            |
    /// | 365 | 3   | 1   | 2/3            | 1/6             |
    ///
    /// Bounds: lower = exp(-exp(ln(-ln S) + z sqrt(V) / -ln S)), upper with `-`, z =
    /// 1.959963984540054; numbers from python3's math module with those exact steps.
    #[test]
    fn hand_computed_dozen_spells() {
        let observations = spells(&[
            (30, E),
            (45, C),
            (60, E),
            (60, E),
            (90, C),
            (100, E),
            (120, C),
            (150, E),
            (200, C),
            (365, E),
            (400, C),
            (500, C),
        ]);
        let times = [1, 30, 60, 90, 365, 450, 500, 501, 1000];
        let points = kaplan_meier(&observations, &times);
        assert_eq!(points.iter().map(|p| p.t).collect::<Vec<_>>(), times);

        // t = 1: before any event, all 12 at risk: S = 1, interval (1, 1).
        assert_point(&points[0], (12, 0, 1.0, 1.0, 1.0));

        // t = 30: the spell lasting exactly 30 days is at risk and its event counts.
        // S = 11/12 = 0.91666..., V = 1/132 = 0.0075757...
        // ln S = -0.08701137698962981, ln(-ln S) = -2.441716398881459,
        // z sqrt(V) / -ln S = 1.960582328371757
        // lower = exp(-exp(-2.4417... + 1.9605...)) = 0.5389771805707411
        // upper = exp(-exp(-2.4417... - 1.9605...)) = 0.987825565400458
        assert_point(
            &points[1],
            (12, 1, 11.0 / 12.0, 0.5389771805707411, 0.987825565400458),
        );

        // t = 60: at risk = 10 (both tied events included), events = 1 + 2 = 3.
        // S = 11/12 * 8/10 = 11/15 = 0.7333..., V = 1/132 + 1/40 = 0.03257575757575758
        // ln S = -0.31015492830383945, ln(-ln S) = -1.170683337623677,
        // z sqrt(V) / -ln S = 1.1405561399586994
        // lower = 0.3789609539851692, upper = 0.9056174563810908
        let at_60 = (0.7333333333333334, 0.3789609539851692, 0.9056174563810908);
        assert_point(&points[2], (10, 3, at_60.0, at_60.1, at_60.2));

        // t = 90: the censoring at 90 changes nothing but at_risk (8: duration >= 90).
        assert_point(&points[3], (8, 3, at_60.0, at_60.1, at_60.2));

        // t = 365: at risk 3, events 6.
        // S = 11/15 * 6/7 * 4/5 * 2/3 = 176/525 = 0.3352380952380954 (as the product runs)
        // V = 1/132 + 1/40 + 1/42 + 1/20 + 1/6 = 0.27305194805194805
        // ln S = -1.0929142675534715, ln(-ln S) = 0.08884776838101283,
        // z sqrt(V) / -ln S = 0.9370971889974752
        // lower = exp(-exp(0.0888... + 0.9370...)) = 0.06143777581420777
        // upper = exp(-exp(0.0888... - 0.9370...)) = 0.6517046496563346
        let at_365 = (0.3352380952380954, 0.06143777581420777, 0.6517046496563346);
        assert_point(&points[4], (3, 6, at_365.0, at_365.1, at_365.2));

        // t = 450 and t = 500: one spell (500, censored) still at risk, no new event.
        assert_point(&points[5], (1, 6, at_365.0, at_365.1, at_365.2));
        assert_point(&points[6], (1, 6, at_365.0, at_365.1, at_365.2));

        // t = 501 and 1000: nobody at risk, so no estimate, but the counts are reported.
        for point in &points[7..] {
            assert_eq!((point.at_risk, point.events), (0, 6));
            assert_eq!(
                (point.survival, point.ci_lower, point.ci_upper),
                (None, None, None)
            );
        }
    }

    /// An event and a censoring tied at 10: the censored spell is still at risk at 10, so
    /// S(10) = 1 - 1/3 (not 1 - 1/2, which removing it first would give).
    /// V = 1/(3 * 2) = 1/6, ln S = -0.4054651081081643, ln(-ln S) = -0.9027204557178803,
    /// z sqrt(V) / -ln S = 1.9734175149930906 -> (0.05407342678651661, 0.9452063872720471).
    #[test]
    fn censoring_tied_with_an_event_counts_as_at_risk() {
        let points = kaplan_meier(&spells(&[(10, E), (10, C), (20, E)]), &[10]);
        assert_point(
            &points[0],
            (3, 1, 2.0 / 3.0, 0.05407342678651661, 0.9452063872720471),
        );
    }

    /// Everyone has the event: at t = 20 both remaining spells end (n = d = 2), so S = 0,
    /// the Greenwood term 2 / (2 * 0) is dropped as lifelines drops it, and the interval is
    /// (0, 0). At t = 10 the interval is the same as in the tie test (n = 3, d = 1).
    #[test]
    fn all_events_reach_survival_zero() {
        let observations = spells(&[(10, E), (20, E), (20, E)]);
        let points = kaplan_meier(&observations, &[20, 10, 21]);
        assert_point(&points[0], (2, 3, 0.0, 0.0, 0.0));
        assert_point(
            &points[1],
            (3, 1, 2.0 / 3.0, 0.05407342678651661, 0.9452063872720471),
        );
        assert_eq!((points[2].at_risk, points[2].events), (0, 3));
        assert_eq!(points[2].survival, None);
    }

    #[test]
    fn no_spells_means_no_estimate() {
        let points = kaplan_meier(&[], &[90]);
        assert_eq!(
            points,
            vec![SurvivalPoint {
                t: 90,
                at_risk: 0,
                events: 0,
                survival: None,
                ci_lower: None,
                ci_upper: None,
            }]
        );
    }

    #[test]
    fn only_censored_spells_keep_survival_at_one() {
        let points = kaplan_meier(&spells(&[(100, C), (200, C)]), &[150]);
        assert_point(&points[0], (1, 0, 1.0, 1.0, 1.0));
    }

    fn observation() -> impl Strategy<Value = Observation> {
        (1i64..60, any::<bool>()).prop_map(|(duration, event)| Observation { duration, event })
    }

    proptest! {
        /// Survival never rises with t, the interval always contains it, and the counts
        /// move the right way.
        #[test]
        fn survival_is_non_increasing_and_inside_its_interval(
            observations in prop::collection::vec(observation(), 0..40),
        ) {
            let times: Vec<i64> = (0..=61).collect();
            let points = kaplan_meier(&observations, &times);
            let mut previous_survival = 1.0;
            for pair in points.windows(2) {
                prop_assert!(pair[1].at_risk <= pair[0].at_risk);
                prop_assert!(pair[1].events >= pair[0].events);
            }
            for point in &points {
                let Some(survival) = point.survival else {
                    prop_assert_eq!(point.at_risk, 0);
                    continue;
                };
                prop_assert!(survival <= previous_survival);
                previous_survival = survival;
                let (lower, upper) = (point.ci_lower.unwrap(), point.ci_upper.unwrap());
                prop_assert!(0.0 <= lower && lower <= survival, "{point:?}");
                prop_assert!(survival <= upper && upper <= 1.0, "{point:?}");
            }
        }
    }
}
