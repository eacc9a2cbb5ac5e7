//! Logistic regression, ridge-penalised and weighted, fitted by Newton's method (IRLS):
//! the discrete-time hazard model behind `worker_risk` (CONTRACT.md section 9, issue #13)
//! and the calibration slope of `model_evaluation`.
//!
//! Written by hand because no well-kept crate fits: linfa-logistic takes no sample
//! weights and gives no standard errors, and smartcore likewise; both pull in linear
//! algebra stacks far larger than the one operation needed here, a Cholesky solve of a
//! k x k system with k a few dozen. Every sum runs in a fixed order on one thread, so
//! the same inputs give bit-identical coefficients (the contract asks for identical
//! predictions on identical inputs).
//!
//! The objective is the weighted log-likelihood less the ridge penalty,
//! `sum_i w_i (y_i eta_i - ln(1 + e^eta_i)) - lambda/2 sum_j pen_j beta_j^2`, with
//! `eta = X beta`. Each Newton step solves `(X'SX + lambda P) delta = X'W(y - p) -
//! lambda P beta`, `S = diag(w p (1 - p))`, halving the step while the objective would
//! fall. Standard errors are the square roots of the diagonal of `(X'SX + lambda P)^-1`
//! at the solution: the usual ones when lambda is 0.

/// How to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The ridge penalty lambda (0: plain maximum likelihood).
    pub ridge: f64,
    /// Each column's share of the penalty: column j is penalised by `ridge * penalties[j]`
    /// (0 for the intercept; more than 1 to shrink a group, such as office effects, harder).
    /// Columns past the end of the list, and every column when it is empty, take 1.
    pub penalties: Vec<f64>,
    /// At most this many Newton steps.
    pub max_iterations: usize,
    /// Converged when no coefficient moves by more than this in a step.
    pub tolerance: f64,
    /// Starting coefficients (missing ones start at 0): an intercept started at the
    /// logit of the event rate saves Newton steps.
    pub start: Vec<f64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ridge: 0.0,
            penalties: Vec::new(),
            max_iterations: 50,
            tolerance: 1e-10,
            start: Vec::new(),
        }
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// One coefficient per column of the design.
    pub coefficients: Vec<f64>,
    /// Their standard errors (see the module doc).
    pub standard_errors: Vec<f64>,
    /// The penalised weighted log-likelihood at the solution.
    pub objective: f64,
    /// Newton steps taken.
    pub iterations: usize,
    /// Whether the steps converged within `max_iterations`.
    pub converged: bool,
}

impl Fit {
    /// The linear predictor of one row of features.
    pub fn linear_predictor(&self, row: &[f64]) -> f64 {
        row.iter().zip(&self.coefficients).map(|(x, b)| x * b).sum()
    }

    /// The probability of one row of features.
    pub fn probability(&self, row: &[f64]) -> f64 {
        sigmoid(self.linear_predictor(row))
    }
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The design's shape does not match the outcomes or weights.
    #[error(
        "the design has {rows} rows of {columns} columns but {outcomes} outcomes and {weights} weights"
    )]
    Shape {
        /// Rows of the design.
        rows: usize,
        /// Its columns.
        columns: usize,
        /// Outcomes given.
        outcomes: usize,
        /// Weights given.
        weights: usize,
    },
    /// The system of a Newton step is singular (a column is constant zero or two
    /// columns are equal, and no ridge penalty makes up for it).
    #[error(
        "the design is singular: column {0} is a combination of the others; add a ridge penalty or drop it"
    )]
    Singular(usize),
    /// A value is not finite.
    #[error("the design, outcomes or weights hold a value that is not finite")]
    NotFinite,
}

/// `1 / (1 + e^-x)`, computed without overflow at either end.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^x)` without overflow.
fn log1p_exp(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The rows of a design, visited one at a time as their non-zero entries: a hazard
/// design is mostly zeros (indicators, one office column of many), so neither its storage
/// nor the fit's sums need the zeros.
pub trait Design {
    /// Rows.
    fn rows(&self) -> usize;
    /// Columns.
    fn columns(&self) -> usize;
    /// Replaces `out` with row `i`'s non-zero entries `(column, value)`, in column order.
    fn row(&self, i: usize, out: &mut Vec<(usize, f64)>);
}

/// A dense row-major design.
pub struct Dense<'a> {
    /// The values, row after row.
    pub x: &'a [f64],
    /// Columns per row.
    pub columns: usize,
}

impl Design for Dense<'_> {
    fn rows(&self) -> usize {
        self.x.len() / self.columns.max(1)
    }
    fn columns(&self) -> usize {
        self.columns
    }
    fn row(&self, i: usize, out: &mut Vec<(usize, f64)>) {
        out.clear();
        let row = &self.x[i * self.columns..(i + 1) * self.columns];
        out.extend(row.iter().copied().enumerate().filter(|(_, v)| *v != 0.0));
    }
}

/// Fits `y` (0 or 1, or a share) on the rows of `x` (row-major, `columns` wide) with
/// optional weights (each row counts `w` times).
pub fn fit(
    x: &[f64],
    columns: usize,
    y: &[f64],
    weights: Option<&[f64]>,
    options: &Options,
) -> Result<Fit, FitError> {
    if columns == 0 || x.len() != y.len() * columns {
        return Err(FitError::Shape {
            rows: x.len() / columns.max(1),
            columns,
            outcomes: y.len(),
            weights: weights.map_or(y.len(), <[f64]>::len),
        });
    }
    fit_design(&Dense { x, columns }, y, weights, options)
}

/// [`fit`] over any [`Design`].
pub fn fit_design(
    design: &dyn Design,
    y: &[f64],
    weights: Option<&[f64]>,
    options: &Options,
) -> Result<Fit, FitError> {
    let (rows, columns) = (y.len(), design.columns());
    if columns == 0 || design.rows() != rows || weights.is_some_and(|w| w.len() != rows) {
        return Err(FitError::Shape {
            rows: design.rows(),
            columns,
            outcomes: rows,
            weights: weights.map_or(rows, <[f64]>::len),
        });
    }
    let mut entries = Vec::with_capacity(columns);
    let mut finite = y
        .iter()
        .chain(weights.unwrap_or(&[]))
        .all(|v| v.is_finite());
    for i in 0..rows {
        design.row(i, &mut entries);
        finite &= entries.iter().all(|(_, v)| v.is_finite());
    }
    if !finite {
        return Err(FitError::NotFinite);
    }
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    let penalty: Vec<f64> = (0..columns)
        .map(|j| options.ridge * options.penalties.get(j).copied().unwrap_or(1.0))
        .collect();
    let objective = |beta: &[f64]| -> f64 {
        let mut entries = Vec::with_capacity(columns);
        let mut total = 0.0;
        for (i, &yi) in y.iter().enumerate() {
            design.row(i, &mut entries);
            let eta: f64 = entries.iter().map(|&(j, v)| v * beta[j]).sum();
            total += weight(i) * (yi * eta - log1p_exp(eta));
        }
        total
            - 0.5
                * beta
                    .iter()
                    .zip(&penalty)
                    .map(|(b, l)| l * b * b)
                    .sum::<f64>()
    };

    let mut beta = vec![0.0; columns];
    for (b, s) in beta.iter_mut().zip(&options.start) {
        *b = *s;
    }
    let mut current = objective(&beta);
    let mut iterations = 0;
    let mut converged = false;
    let mut hessian = vec![0.0; columns * columns];
    while iterations < options.max_iterations {
        iterations += 1;
        let (gradient, h) = newton_system(design, y, &weight, &beta, &penalty);
        hessian = h;
        let step = cholesky_solve(&hessian, columns, &gradient)?;
        // Converged when the full Newton step moves no coefficient by more than the
        // tolerance (judged on the step, not on the objective, whose changes near the
        // optimum are below the precision of its sum).
        let largest = step.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        if largest < options.tolerance {
            // The step is below the tolerance: take it without a line search.
            for (b, d) in beta.iter_mut().zip(&step) {
                *b += d;
            }
            current = objective(&beta);
            converged = true;
            break;
        }
        // Halve the step while it would lower the objective by more than rounding can
        // (it rarely must: the objective is concave).
        let slack = 1e-12 * current.abs().max(1.0);
        let mut scale = 1.0;
        let (mut next, mut value);
        loop {
            next = beta
                .iter()
                .zip(&step)
                .map(|(b, d)| b + scale * d)
                .collect::<Vec<f64>>();
            value = objective(&next);
            if value >= current - slack || scale < 1e-8 {
                break;
            }
            scale *= 0.5;
        }
        beta = next;
        current = value;
    }
    // The standard errors come from the system at the solution.
    let (_, h) = newton_system(design, y, &weight, &beta, &penalty);
    if converged {
        hessian = h;
    }
    let inverse_diagonal = cholesky_inverse_diagonal(&hessian, columns)?;
    let standard_errors = inverse_diagonal.iter().map(|v| v.sqrt()).collect();
    Ok(Fit {
        coefficients: beta,
        standard_errors,
        objective: current,
        iterations,
        converged,
    })
}

/// The gradient `X'W(y - p) - lambda P beta` and the matrix `X'SX + lambda P`. Only a
/// row's non-zero columns are visited, in column order, so the sums run in the same order
/// whatever the storage.
fn newton_system(
    design: &dyn Design,
    y: &[f64],
    weight: &dyn Fn(usize) -> f64,
    beta: &[f64],
    penalty: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let columns = beta.len();
    let mut gradient = vec![0.0; columns];
    let mut matrix = vec![0.0; columns * columns];
    let mut entries = Vec::with_capacity(columns);
    for (i, &yi) in y.iter().enumerate() {
        design.row(i, &mut entries);
        let eta: f64 = entries.iter().map(|&(j, v)| v * beta[j]).sum();
        let p = sigmoid(eta);
        let w = weight(i);
        let residual = w * (yi - p);
        let s = w * p * (1.0 - p);
        for (n, &(a, va)) in entries.iter().enumerate() {
            gradient[a] += va * residual;
            let sa = s * va;
            for &(b, vb) in &entries[n..] {
                matrix[a * columns + b] += sa * vb;
            }
        }
    }
    for a in 0..columns {
        gradient[a] -= penalty[a] * beta[a];
        matrix[a * columns + a] += penalty[a];
        for b in 0..a {
            matrix[a * columns + b] = matrix[b * columns + a];
        }
    }
    (gradient, matrix)
}

/// The Cholesky factor `L` of a symmetric positive definite `A` (k x k, row-major).
fn cholesky(a: &[f64], k: usize) -> Result<Vec<f64>, FitError> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let mut sum = a[i * k + j];
            for m in 0..j {
                sum -= l[i * k + m] * l[j * k + m];
            }
            if i == j {
                // Relative to the diagonal's size: a pivot lost to rounding is singular.
                if sum <= a[i * k + i].abs() * 1e-12 || sum <= 0.0 {
                    return Err(FitError::Singular(i));
                }
                l[i * k + i] = sum.sqrt();
            } else {
                l[i * k + j] = sum / l[j * k + j];
            }
        }
    }
    Ok(l)
}

/// Solves `L L' z = b`.
fn solve_factored(l: &[f64], k: usize, b: &[f64]) -> Vec<f64> {
    let mut z = vec![0.0; k];
    for i in 0..k {
        let sum: f64 = (0..i).map(|m| l[i * k + m] * z[m]).sum();
        z[i] = (b[i] - sum) / l[i * k + i];
    }
    for i in (0..k).rev() {
        let sum: f64 = (i + 1..k).map(|m| l[m * k + i] * z[m]).sum();
        z[i] = (z[i] - sum) / l[i * k + i];
    }
    z
}

/// The diagonal of `A^-1`, factoring `A` once.
fn cholesky_inverse_diagonal(a: &[f64], k: usize) -> Result<Vec<f64>, FitError> {
    let l = cholesky(a, k)?;
    Ok((0..k)
        .map(|j| {
            let mut unit = vec![0.0; k];
            unit[j] = 1.0;
            solve_factored(&l, k, &unit)[j]
        })
        .collect())
}

/// Solves `A z = b` for a symmetric positive definite `A` (k x k, row-major) by Cholesky.
fn cholesky_solve(a: &[f64], k: usize, b: &[f64]) -> Result<Vec<f64>, FitError> {
    Ok(solve_factored(&cholesky(a, k)?, k, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    /// A 2 x 2 table: x = 0 has 3 events in 10, x = 1 has 7 in 10. The maximum-likelihood
    /// fit is the saturated one: intercept logit(0.3) = ln(3/7), slope logit(0.7) -
    /// logit(0.3) = 2 ln(7/3), with the textbook standard errors sqrt(1/3 + 1/7) and
    /// sqrt(1/3 + 1/7 + 1/7 + 1/3).
    #[test]
    fn a_two_by_two_table_by_hand_weighted_and_expanded() {
        let x = [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let y = [1.0, 0.0, 1.0, 0.0];
        let w = [3.0, 7.0, 7.0, 3.0];
        let weighted = fit(&x, 2, &y, Some(&w), &Options::default()).unwrap();
        assert!(weighted.converged);
        let (b0, b1) = ((3.0_f64 / 7.0).ln(), 2.0 * (7.0_f64 / 3.0).ln());
        assert!(close(weighted.coefficients[0], b0, 1e-9), "{weighted:?}");
        assert!(close(weighted.coefficients[1], b1, 1e-9), "{weighted:?}");
        let se0 = (1.0_f64 / 3.0 + 1.0 / 7.0).sqrt();
        let se1 = (2.0_f64 / 3.0 + 2.0 / 7.0).sqrt();
        assert!(close(weighted.standard_errors[0], se0, 1e-7));
        assert!(close(weighted.standard_errors[1], se1, 1e-7));

        // The same 20 rows written out one by one give the same fit.
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for (i, &count) in w.iter().enumerate() {
            for _ in 0..count as usize {
                xs.extend_from_slice(&x[2 * i..2 * i + 2]);
                ys.push(y[i]);
            }
        }
        let expanded = fit(&xs, 2, &ys, None, &Options::default()).unwrap();
        for j in 0..2 {
            assert!(close(
                expanded.coefficients[j],
                weighted.coefficients[j],
                1e-9
            ));
            assert!(close(
                expanded.standard_errors[j],
                weighted.standard_errors[j],
                1e-9
            ));
        }
    }

    /// With a ridge penalty the solution satisfies X'W(y - p) = lambda P beta, the slope
    /// shrinks toward 0, and the unpenalised intercept is not shrunk.
    #[test]
    fn ridge_meets_its_first_order_condition_and_shrinks() {
        let x = [1.0, -2.0, 1.0, -1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0];
        let y = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        let plain = fit(&x, 2, &y, None, &Options::default()).unwrap();
        let options = Options {
            ridge: 2.0,
            penalties: vec![0.0, 1.0],
            ..Options::default()
        };
        let ridge = fit(&x, 2, &y, None, &options).unwrap();
        assert!(ridge.coefficients[1].abs() < plain.coefficients[1].abs());
        assert!(ridge.coefficients[1] > 0.0);
        let mut gradient = [0.0; 2];
        for i in 0..y.len() {
            let p = ridge.probability(&x[2 * i..2 * i + 2]);
            gradient[0] += y[i] - p;
            gradient[1] += x[2 * i + 1] * (y[i] - p);
        }
        assert!(close(gradient[0], 0.0, 1e-9), "{gradient:?}");
        assert!(close(gradient[1], 2.0 * ridge.coefficients[1], 1e-9));
    }

    #[test]
    fn refits_are_bit_identical() {
        let x: Vec<f64> = (0..200)
            .flat_map(|i| [1.0, (i % 17) as f64 / 4.0, ((i * 7) % 11) as f64])
            .collect();
        let y: Vec<f64> = (0..200).map(|i| f64::from(i % 3 == 0)).collect();
        let options = Options {
            ridge: 0.5,
            ..Options::default()
        };
        let a = fit(&x, 3, &y, None, &options).unwrap();
        let b = fit(&x, 3, &y, None, &options).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn singular_designs_and_bad_shapes_are_errors() {
        let x = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0];
        let y = [0.0, 1.0, 1.0];
        // The second column is twice the first.
        assert!(matches!(
            fit(&x, 2, &y, None, &Options::default()),
            Err(FitError::Singular(1))
        ));
        assert!(matches!(
            fit(&x, 2, &[0.0], None, &Options::default()),
            Err(FitError::Shape { .. })
        ));
        assert_eq!(
            fit(&[f64::NAN, 1.0], 1, &[0.0, 1.0], None, &Options::default()),
            Err(FitError::NotFinite)
        );
    }

    #[test]
    fn sigmoid_is_stable_at_both_ends() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(800.0) == 1.0 && sigmoid(-800.0) >= 0.0);
        assert!(close(log1p_exp(800.0), 800.0, 1e-12));
        assert!(close(log1p_exp(0.0), std::f64::consts::LN_2, 1e-15));
    }
}
