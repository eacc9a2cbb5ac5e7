//! How good a risk model's probabilities are, as `model_evaluation` reports them
//! (CONTRACT.md section 9): the AUC (ties count one half), the Brier score, and the
//! calibration slope (the slope of an unpenalised logistic regression of the event on
//! logit(p), p clipped to [1e-6, 1 - 1e-6]).

use crate::logistic::{Options, fit};

/// The probability that a random case with an event has a higher p than a random case
/// without, ties counting one half (the Mann-Whitney statistic over the pairs, from
/// average ranks); None when every case or none has the event.
pub fn auc(p: &[f64], event: &[bool]) -> Option<f64> {
    assert_eq!(p.len(), event.len(), "one event per probability");
    let positives = event.iter().filter(|e| **e).count();
    let negatives = event.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    // Sum of the 1-based average ranks of the positives.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && p[order[end]] == p[order[start]] {
            end += 1;
        }
        let average_rank = (start + 1 + end) as f64 / 2.0;
        let tied_positives = order[start..end].iter().filter(|&&i| event[i]).count();
        rank_sum += average_rank * tied_positives as f64;
        start = end;
    }
    let n1 = positives as f64;
    Some((rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * negatives as f64))
}

/// Mean of (p - event)^2; None when there is no case.
pub fn brier(p: &[f64], event: &[bool]) -> Option<f64> {
    assert_eq!(p.len(), event.len(), "one event per probability");
    if p.is_empty() {
        return None;
    }
    let sum: f64 = p
        .iter()
        .zip(event)
        .map(|(p, &e)| (p - f64::from(u8::from(e))).powi(2))
        .sum();
    Some(sum / p.len() as f64)
}

/// The calibration slope: the slope of an unpenalised maximum-likelihood logistic
/// regression, with intercept, of the event on logit(p), p clipped to [1e-6, 1 - 1e-6].
/// None where the AUC is None, 0 or 1 (the fit has no finite maximum), where p is
/// constant, or where the fit does not converge.
pub fn calibration_slope(p: &[f64], event: &[bool]) -> Option<f64> {
    let area = auc(p, event)?;
    let clipped = |q: f64| q.clamp(1e-6, 1.0 - 1e-6);
    if area == 0.0 || area == 1.0 || p.iter().all(|&q| clipped(q) == clipped(p[0])) {
        return None;
    }
    let x: Vec<f64> = p
        .iter()
        .flat_map(|&q| {
            let q = q.clamp(1e-6, 1.0 - 1e-6);
            [1.0, (q / (1.0 - q)).ln()]
        })
        .collect();
    let y: Vec<f64> = event.iter().map(|&e| f64::from(u8::from(e))).collect();
    let options = Options {
        max_iterations: 100,
        ..Options::default()
    };
    let fitted = fit(&x, 2, &y, None, &options).ok()?;
    fitted.converged.then_some(fitted.coefficients[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand_with_and_without_ties() {
        // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered.
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        // Positives 0.5 and 0.9, negatives 0.5 and 0.2: the tie counts 1/2: 3.5 / 4.
        assert_eq!(
            auc(&[0.5, 0.5, 0.2, 0.9], &[true, false, false, true]),
            Some(0.875)
        );
        // Everything tied: 1/2.
        assert_eq!(auc(&[0.3; 4], &[true, false, true, false]), Some(0.5));
        assert_eq!(auc(&[0.3, 0.4], &[true, true]), None);
        assert_eq!(auc(&[], &[]), None);
    }

    #[test]
    fn brier_by_hand() {
        // (0.1)^2 + (0.4)^2 + (0.65)^2 + (0.2)^2 = 0.01 + 0.16 + 0.4225 + 0.04, over 4.
        let b = brier(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap();
        assert!((b - 0.158125).abs() < 1e-15, "{b}");
        assert_eq!(brier(&[], &[]), None);
    }

    /// Probabilities that match the observed rates exactly (0.3 with 3 events in 10, 0.7
    /// with 7 in 10) are perfectly calibrated: slope 1.
    #[test]
    fn calibration_slope_of_exact_probabilities_is_one() {
        let mut p = Vec::new();
        let mut e = Vec::new();
        for (q, events) in [(0.3, 3), (0.7, 7)] {
            for i in 0..10 {
                p.push(q);
                e.push(i < events);
            }
        }
        let slope = calibration_slope(&p, &e).unwrap();
        assert!((slope - 1.0).abs() < 1e-9, "{slope}");
        // Overconfident predictions (0.1 and 0.9 for the same outcomes) have a slope
        // below 1: logit(0.7) / logit(0.9) = ln(7/3) / ln 9.
        let wide: Vec<f64> = p.iter().map(|&q| if q < 0.5 { 0.1 } else { 0.9 }).collect();
        let slope = calibration_slope(&wide, &e).unwrap();
        let expected = (7.0_f64 / 3.0).ln() / 9.0_f64.ln();
        assert!((slope - expected).abs() < 1e-9, "{slope} vs {expected}");
    }

    #[test]
    fn calibration_slope_is_null_where_the_contract_says() {
        // Perfect separation (AUC 1), constant p, no events.
        assert_eq!(calibration_slope(&[0.2, 0.8], &[false, true]), None);
        assert_eq!(
            calibration_slope(&[0.4, 0.4, 0.4], &[false, true, false]),
            None
        );
        assert_eq!(calibration_slope(&[0.2, 0.8], &[false, false]), None);
    }
}
