//! The paired t-test on pre/post changes behind `program_outcomes` (CONTRACT.md section 7).
//!
//! The pipeline pairs each completed enrollment's pre and post responses in SQL and hands
//! the changes (post - pre) here, because the p-value needs the Student t distribution.
//! Suppressing statistics of groups smaller than `min_group_size` is the caller's job: this
//! module computes whatever the data allow and says `None` only where a statistic is
//! undefined.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Result of a paired t-test on changes (post - pre).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedT {
    /// Number of changes (pairs).
    pub n: usize,
    /// Mean change; `None` when there are no changes.
    pub mean_change: Option<f64>,
    /// Sample standard deviation of the changes (n - 1 denominator); `None` when n < 2.
    pub sd_change: Option<f64>,
    /// mean / (sd / sqrt(n)), with n - 1 degrees of freedom; `None` when the standard
    /// deviation is absent or 0.
    pub t_stat: Option<f64>,
    /// Two-sided p-value of `t_stat` under Student's t with n - 1 degrees of freedom;
    /// `None` when `t_stat` is.
    pub p_value: Option<f64>,
    /// Cohen's d_z: mean / sd; `None` when the standard deviation is absent or 0.
    pub effect_size_dz: Option<f64>,
}

/// Paired t-test of the changes against a mean change of 0 (CONTRACT.md section 7).
///
/// Changes are expected to be finite; a NaN among them makes every statistic NaN.
pub fn paired_t(changes: &[f64]) -> PairedT {
    let n = changes.len();
    let Some(&first) = changes.first() else {
        return PairedT {
            n,
            mean_change: None,
            sd_change: None,
            t_stat: None,
            p_value: None,
            effect_size_dz: None,
        };
    };
    // Summing offsets from the first change keeps equal changes exactly equal to their mean,
    // so that their standard deviation is exactly 0 (0.1 + 0.1 + 0.1 divided by 3 is not
    // 0.1, which would give a tiny sd and an absurd t instead of none).
    let mean = first + changes.iter().map(|change| change - first).sum::<f64>() / n as f64;
    let sd = (n >= 2).then(|| {
        let squares: f64 = changes.iter().map(|change| (change - mean).powi(2)).sum();
        (squares / (n - 1) as f64).sqrt()
    });
    let (t_stat, p_value, effect_size_dz) = match sd {
        Some(sd) if sd > 0.0 => {
            let t = mean / (sd / (n as f64).sqrt());
            let freedom = (n - 1) as f64;
            let students_t = StudentsT::new(0.0, 1.0, freedom)
                .expect("n >= 2, so the degrees of freedom n - 1 are positive");
            // The upper tail directly rather than 1 - cdf, which loses small p-values to
            // cancellation; the two agree wherever the subtraction is exact.
            let p = (2.0 * students_t.sf(t.abs())).min(1.0);
            (Some(t), Some(p), Some(mean / sd))
        }
        _ => (None, None, None),
    };
    PairedT {
        n,
        mean_change: Some(mean),
        sd_change: sd,
        t_stat,
        p_value,
        effect_size_dz,
    }
}

#[cfg(test)]
mod tests {
    //! CONTRACT.md section 7: the paired t-test against textbook values.
    use super::*;

    fn assert_close(actual: Option<f64>, expected: f64, tolerance: f64) {
        let actual = actual.expect("a value where the fixture has one");
        assert!(
            (actual - expected).abs() <= tolerance,
            "expected {expected}, got {actual}"
        );
    }

    /// Student's sleep data (Cushny & Peebles), extra sleep of drug 2 minus drug 1 for ten
    /// patients. R: `t.test(extra ~ group, data = sleep, paired = TRUE)` reports
    /// t = -4.0621, df = 9, p-value = 0.002833 for group 1 - group 2; the sign flips here.
    /// mean = 15.8 / 10 = 1.58; sum of squared deviations = 13.616, sd = sqrt(13.616 / 9)
    /// = 1.2299954832798732; t = 1.58 / (sd / sqrt(10)) = 4.062127683382037;
    /// p = 0.002832890197384086 (closed form of the t CDF for odd df, with python3's math);
    /// d_z = 1.58 / sd = 1.2845575625910546.
    #[test]
    fn student_sleep_data() {
        let changes = [1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4];
        let result = paired_t(&changes);
        assert_eq!(result.n, 10);
        assert_close(result.mean_change, 1.58, 1e-12);
        assert_close(result.sd_change, 1.2299954832798732, 1e-12);
        assert_close(result.t_stat, 4.062127683382037, 1e-10);
        assert_close(result.p_value, 0.002832890197384086, 1e-9);
        assert_close(result.effect_size_dz, 1.2845575625910546, 1e-12);
    }

    /// Two changes, 1 and 3: mean 2, sd sqrt(2), t = 2 / (sqrt(2) / sqrt(2)) = 2 with one
    /// degree of freedom, where Student's t is the Cauchy distribution:
    /// p = 1 - 2 atan(2) / pi = 0.2951672353008665.
    #[test]
    fn one_degree_of_freedom_is_cauchy() {
        let result = paired_t(&[1.0, 3.0]);
        assert_close(result.mean_change, 2.0, 1e-15);
        assert_close(result.sd_change, 2f64.sqrt(), 1e-15);
        assert_close(result.t_stat, 2.0, 1e-12);
        assert_close(result.p_value, 0.2951672353008665, 1e-12);
        assert_close(result.effect_size_dz, 2.0 / 2f64.sqrt(), 1e-12);
    }

    #[test]
    fn negative_mean_gives_negative_t_and_the_same_p() {
        let changes = [-1.2, -2.4, -1.3, -1.3, 0.0, -1.0, -1.8, -0.8, -4.6, -1.4];
        let result = paired_t(&changes);
        assert_close(result.t_stat, -4.062127683382037, 1e-10);
        assert_close(result.p_value, 0.002832890197384086, 1e-9);
    }

    #[test]
    fn one_pair_has_a_mean_but_no_spread() {
        let result = paired_t(&[2.5]);
        assert_eq!(
            result,
            PairedT {
                n: 1,
                mean_change: Some(2.5),
                sd_change: None,
                t_stat: None,
                p_value: None,
                effect_size_dz: None,
            }
        );
    }

    /// Equal changes that do not sum exactly in binary (0.1 * 3 != 0.3) still have sd 0.
    #[test]
    fn equal_changes_have_sd_zero_and_no_test() {
        let result = paired_t(&[0.1, 0.1, 0.1]);
        assert_eq!(
            result,
            PairedT {
                n: 3,
                mean_change: Some(0.1),
                sd_change: Some(0.0),
                t_stat: None,
                p_value: None,
                effect_size_dz: None,
            }
        );
    }

    #[test]
    fn no_pairs_has_no_mean() {
        let result = paired_t(&[]);
        assert_eq!(result.n, 0);
        assert_eq!(result.mean_change, None);
        assert_eq!(result.sd_change, None);
        assert_eq!(result.t_stat, None);
    }

    /// Mean change 0 with spread: t = 0 and the two-sided p is 1.
    #[test]
    fn zero_mean_change_has_p_one() {
        let result = paired_t(&[-1.0, 1.0]);
        assert_close(result.t_stat, 0.0, 0.0);
        assert_close(result.p_value, 1.0, 1e-15);
        assert_close(result.effect_size_dz, 0.0, 0.0);
    }
}
