//! Ordinary least squares: [`LinearRegression`].

use ndarray::{ArrayView1, ArrayView2, s};
use oxlearn_core::{Error, Estimator, ParamValue, Regressor, RegressorKind, Result, Tags};

use super::{LinearFit, Solver, WeightedDesign, centred_column_major, fitted_linear_regressor, linfa_backend, offsets};

/// Ordinary least squares, scikit-learn's `LinearRegression`: minimises `‖y - Xw - b‖²`.
///
/// For rank-deficient designs (collinear columns, more features than samples) it returns the
/// minimum-norm solution, as scikit-learn's `lstsq` does (singular values below
/// `max(n_samples, n_features) · ε · s_max` count as zero).
///
/// Hyper-parameters (defaults as scikit-learn):
/// - `fit_intercept` (`true`): centre `X` and `y` and fit an intercept;
/// - `solver` ([`Solver::Auto`]): [`Solver::Svd`] (ours: Householder QR of the centred data,
///   then an SVD of the small `R` factor: exact, minimum norm) or [`Solver::Linfa`] (linfa's QR
///   least squares, which fails with [`Error::Numerical`] on rank-deficient designs). `Auto`
///   solves the centred normal equations through an eigen-decomposition of `XᵀX` when that is
///   well conditioned (`cond(XᵀX) < 1e10`; `solver()` then reports [`Solver::Cholesky`]) and
///   takes the `Svd` path otherwise.
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// minimises `Σ w_i (y_i - x_i·w - b)²`: `X` and `y` are centred on their weighted means and
/// each row is scaled by `sqrt(w_i)`, as scikit-learn, then any solver above runs.
///
/// Fitted accessors ([`FittedLinearRegression`]): `coef()`, `intercept()`, `n_iter()` (`None`),
/// `converged()`, `solver()`, `n_features_in()`.
///
/// Errors: the shared validation errors (empty input, NaN/inf, length mismatch; for
/// `sample_weight`: wrong length, non-finite, negative or all zero);
/// [`Error::InvalidParam`] for a solver it does not have.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::LinearRegression;
/// let x = ndarray::array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]];
/// let y = x.column(0).mapv(|a| 2.0 * a) + x.column(1).mapv(|b| -b) + 1.0;
/// let model = LinearRegression::default().fit(&x, &y)?;
/// assert!((model.coef()[0] - 2.0).abs() < 1e-10 && (model.intercept() - 1.0).abs() < 1e-10);
/// assert!(model.score(&x, &y)? > 0.999_999);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearRegression {
    fit_intercept: bool,
    solver: Solver,
}

impl Default for LinearRegression {
    fn default() -> Self {
        LinearRegression { fit_intercept: true, solver: Solver::Auto }
    }
}

impl LinearRegression {
    /// Whether to fit an intercept (default `true`).
    pub fn fit_intercept(mut self, v: bool) -> Self {
        self.fit_intercept = v;
        self
    }
    /// The solver (default [`Solver::Auto`]).
    pub fn solver(mut self, v: Solver) -> Self {
        self.solver = v;
        self
    }
}

fitted_linear_regressor!(
    /// A fitted [`LinearRegression`].
    FittedLinearRegression,
    "LinearRegression"
);

impl Estimator for LinearRegression {
    const NAME: &'static str = "LinearRegression";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        Tags { sample_weight: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.solver.check(Self::NAME, &[Solver::Svd, Solver::Linfa])
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "fit_intercept" => self.fit_intercept = value.as_bool(name)?,
            "solver" => self.solver = Solver::from_param(value)?,
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

/// Minimum-norm least squares on the centred data through QR of `[Xc | yc]` and an SVD of `R`.
/// With `alpha > 0` the SVD gives the ridge solution instead (`s / (s² + α)`), as scikit-learn's
/// `svd` solver. Returns `(coef, intercept)`.
pub(super) fn qr_svd_solve(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    fit_intercept: bool,
    alpha: f64,
) -> Result<(ndarray::Array1<f64>, f64)> {
    let (n, p) = x.dim();
    let (x_mean, y_mean) = offsets(x, y, fit_intercept);
    let mut a = centred_column_major(x, Some(x_mean.view()), Some((y, y_mean)));
    let r = crate::linalg::qr_r_in_place(a.view_mut());
    drop(a);
    let r1 = r.slice(s![.., ..p]);
    let z = r.slice(s![.., p]);
    let coef = if alpha == 0.0 {
        let rcond = n.max(p) as f64 * f64::EPSILON;
        crate::linalg::min_norm_solve(r1, z, rcond)?.0
    } else {
        let (u, sv, vt) = crate::linalg::svd(r1)?;
        let utz = u.t().dot(&z);
        let d = ndarray::Array1::from_shape_fn(sv.len(), |i| {
            if sv[i] > 1e-15 { sv[i] / (sv[i] * sv[i] + alpha) * utz[i] } else { 0.0 }
        });
        vt.t().dot(&d)
    };
    let intercept = if fit_intercept { y_mean - x_mean.dot(&coef) } else { 0.0 };
    Ok((coef, intercept))
}

/// The fast path of [`Solver::Auto`]: one blocked pass for the centred `XᵀX` and `Xᵀy`, then an
/// eigen-decomposition of the small Gram matrix. Used only when `cond(XᵀX) < 1e10` (so
/// `cond(X) < 1e5` and the normal equations lose at most ~1e-6 relative accuracy against QR);
/// `None` otherwise, and the caller takes the exact QR + SVD path.
fn well_conditioned_normal_equations(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    fit_intercept: bool,
) -> Result<Option<(ndarray::Array1<f64>, f64)>> {
    let (n, p) = x.dim();
    if n <= p {
        return Ok(None);
    }
    let (x_mean, y_mean) = offsets(x, y, fit_intercept);
    let (g, xy) = crate::linalg::centered_gram_xy(x, x_mean.view(), y, y_mean);
    let (vals, vecs) = crate::linalg::sym_eigh(g.view())?;
    let (lo, hi) = (vals[0], vals[vals.len() - 1]);
    if !(hi > 0.0 && lo > 1e-10 * hi) {
        return Ok(None);
    }
    let proj = vecs.t().dot(&xy) / &vals;
    let coef = vecs.dot(&proj);
    let intercept = if fit_intercept { y_mean - x_mean.dot(&coef) } else { 0.0 };
    Ok(Some((coef, intercept)))
}

impl Regressor for LinearRegression {
    type Fitted = FittedLinearRegression;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedLinearRegression> {
        let mut solver = self.solver;
        let (coef, intercept) = match solver {
            Solver::Linfa => linfa_backend::linear_regression(x, y, self.fit_intercept)?,
            Solver::Auto => match well_conditioned_normal_equations(x, y, self.fit_intercept)? {
                Some(sol) => {
                    solver = Solver::Cholesky;
                    sol
                }
                None => {
                    solver = Solver::Svd;
                    qr_svd_solve(x, y, self.fit_intercept, 0.0)?
                }
            },
            _ => qr_svd_solve(x, y, self.fit_intercept, 0.0)?,
        };
        Ok(FittedLinearRegression {
            fit: LinearFit {
                coef,
                intercept,
                n_iter: None,
                converged: true,
                dual_gap: None,
                solver,
                n_features_in: x.ncols(),
            },
        })
    }

    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedLinearRegression> {
        let d = WeightedDesign::new(x, y, sample_weight, self.fit_intercept);
        let mut fitted = self.clone().fit_intercept(false).fit_checked(d.x.view(), d.y.view())?;
        fitted.fit.intercept = d.intercept(fitted.fit.coef.view());
        Ok(fitted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2, array};
    use oxlearn_core::prelude::*;

    #[test]
    fn rank_deficient_gives_minimum_norm() {
        // Column 1 duplicates column 0: the minimum-norm split is even.
        let x = array![[1.0, 1.0, 0.0], [2.0, 2.0, 1.0], [3.0, 3.0, 0.0], [4.0, 4.0, 1.0]];
        let y = array![2.0, 5.0, 6.0, 9.0];
        let m = LinearRegression::default().fit(&x, &y).unwrap();
        assert!((m.coef()[0] - m.coef()[1]).abs() < 1e-10, "{:?}", m.coef());
        assert!(m.score(&x, &y).unwrap() > 0.999_999);
        // More features than samples.
        let x = Array2::from_shape_fn((3, 6), |(i, j)| ((i + 1) * (j + 2)) as f64 % 5.0);
        let y = array![1.0, 2.0, 3.0];
        let m = LinearRegression::default().fit(&x, &y).unwrap();
        let pred = m.predict(&x).unwrap();
        for (p, t) in pred.iter().zip(y.iter()) {
            assert!((p - t).abs() < 1e-9);
        }
    }

    #[test]
    fn without_intercept_and_linfa_agree() {
        let x = Array2::from_shape_fn((40, 3), |(i, j)| ((i * 31 + j * 17) % 11) as f64 - 5.0);
        let y: Array1<f64> =
            x.column(0).to_owned() * 1.5 - x.column(2) + 0.25 + Array1::from_shape_fn(40, |i| (i as f64).sin() * 0.1);
        for fi in [true, false] {
            let a = LinearRegression::default().fit_intercept(fi).fit(&x, &y).unwrap();
            assert_eq!(a.solver(), Solver::Cholesky);
            let svd = LinearRegression::default().fit_intercept(fi).solver(Solver::Svd).fit(&x, &y).unwrap();
            for (u, v) in a.coef().iter().zip(svd.coef().iter()) {
                assert!((u - v).abs() < 1e-10, "{u} vs {v}");
            }
            let b = LinearRegression::default().fit_intercept(fi).solver(Solver::Linfa).fit(&x, &y).unwrap();
            for (u, v) in a.coef().iter().zip(b.coef().iter()) {
                assert!((u - v).abs() < 1e-9, "{u} vs {v}");
            }
            assert!((a.intercept() - b.intercept()).abs() < 1e-9);
            if !fi {
                assert_eq!(a.intercept(), 0.0);
            }
        }
        assert!(LinearRegression::default().solver(Solver::Lbfgs).fit(&x, &y).is_err());
    }
}
