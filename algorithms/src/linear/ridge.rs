//! L2-regularised least squares: [`Ridge`].

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use oxlearn_core::{Error, Estimator, ParamValue, Regressor, RegressorKind, Result, Tags};

use super::{
    LinearFit, Solver, WeightedDesign, check_non_negative, fitted_linear_regressor, linfa_backend, offsets,
    ols::qr_svd_solve,
};

/// Linear least squares with an L2 penalty, scikit-learn's `Ridge`: minimises
/// `‖y - Xw - b‖² + α‖w‖²` (the intercept is not penalised).
///
/// Hyper-parameters (defaults as scikit-learn):
/// - `alpha` (`1.0`, `>= 0`): penalty strength;
/// - `fit_intercept` (`true`);
/// - `max_iter` (`None`) and `tol` (`1e-4`): used only by the iterative [`Solver::Linfa`]
///   (coordinate descent; `None` means 1000 iterations there);
/// - `solver` ([`Solver::Auto`]): [`Solver::Cholesky`] (ours: one blocked pass for the centred
///   `XᵀX` and `Xᵀy`, then Cholesky on `XᵀX + αI`; falls back to `Svd` when that is singular, as
///   scikit-learn does for `alpha = 0` on collinear data), [`Solver::Svd`] (QR of the centred
///   data, then an SVD of `R`: `w = V diag(s / (s² + α)) Uᵀ Qᵀy`), or [`Solver::Linfa`]
///   (linfa's elastic net with `l1_ratio = 0` and `penalty = α / n_samples` on centred `X`).
///   `Auto` is `Cholesky`.
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// minimises `Σ w_i (y_i - x_i·w - b)² + α‖w‖²` (`α` is not rescaled by the weights, as
/// scikit-learn): `X` and `y` are centred on their weighted means and each row is scaled by
/// `sqrt(w_i)`, then any solver above runs.
///
/// Fitted accessors ([`FittedRidge`]): `coef()`, `intercept()`, `n_iter()` (`Some` only for
/// linfa), `converged()`, `solver()` (the solver that actually ran), `n_features_in()`.
///
/// Errors: the shared validation errors (for `sample_weight` too); [`Error::InvalidParam`] for a negative or non-finite
/// `alpha`, a negative `tol`, `max_iter = 0` or a solver Ridge does not have.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::Ridge;
/// let x = ndarray::array![[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]];
/// let y = ndarray::array![0.0, 0.1, 1.0];
/// let model = Ridge::default().alpha(1.0).fit(&x, &y)?;
/// // scikit-learn: Ridge(alpha=1.0).fit(X, y).coef_ == [0.27142857, 0.27142857]
/// assert!((model.coef()[0] - 0.271_428_571_428_571_4).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Ridge {
    alpha: f64,
    fit_intercept: bool,
    max_iter: Option<usize>,
    tol: f64,
    solver: Solver,
}

impl Default for Ridge {
    fn default() -> Self {
        Ridge { alpha: 1.0, fit_intercept: true, max_iter: None, tol: 1e-4, solver: Solver::Auto }
    }
}

impl Ridge {
    /// Penalty strength (default `1.0`).
    pub fn alpha(mut self, v: f64) -> Self {
        self.alpha = v;
        self
    }
    /// Whether to fit an intercept (default `true`).
    pub fn fit_intercept(mut self, v: bool) -> Self {
        self.fit_intercept = v;
        self
    }
    /// Iteration cap of the iterative solvers (default `None`).
    pub fn max_iter(mut self, v: Option<usize>) -> Self {
        self.max_iter = v;
        self
    }
    /// Tolerance of the iterative solvers (default `1e-4`).
    pub fn tol(mut self, v: f64) -> Self {
        self.tol = v;
        self
    }
    /// The solver (default [`Solver::Auto`]).
    pub fn solver(mut self, v: Solver) -> Self {
        self.solver = v;
        self
    }
}

fitted_linear_regressor!(
    /// A fitted [`Ridge`].
    FittedRidge,
    "Ridge"
);

impl Estimator for Ridge {
    const NAME: &'static str = "Ridge";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        Tags { sample_weight: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        check_non_negative("alpha", self.alpha)?;
        check_non_negative("tol", self.tol)?;
        if self.max_iter == Some(0) {
            return Err(Error::invalid_param("max_iter", "must be at least 1 (or None), got 0"));
        }
        if self.solver == Solver::Linfa && self.tol <= 0.0 {
            return Err(Error::invalid_param("tol", "must be positive with solver linfa, got 0"));
        }
        self.solver.check(Self::NAME, &[Solver::Cholesky, Solver::Svd, Solver::Linfa])
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "alpha" => self.alpha = value.as_f64(name)?,
            "fit_intercept" => self.fit_intercept = value.as_bool(name)?,
            "max_iter" => self.max_iter = value.as_opt_usize(name)?,
            "tol" => self.tol = value.as_f64(name)?,
            "solver" => self.solver = Solver::from_param(value)?,
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

/// Ridge by Cholesky on the centred normal equations; `None` when `XᵀX + αI` is singular.
fn cholesky_path(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    alpha: f64,
    fit_intercept: bool,
) -> Option<(Array1<f64>, f64)> {
    let (x_mean, y_mean) = offsets(x, y, fit_intercept);
    let (mut g, xy) = crate::linalg::centered_gram_xy(x, x_mean.view(), y, y_mean);
    g.diag_mut().mapv_inplace(|d| d + alpha);
    let rhs: Array2<f64> = xy.insert_axis(Axis(1));
    let sol = crate::linalg::cholesky_solve(g.view(), rhs.view())?;
    let coef = sol.column(0).to_owned();
    let intercept = if fit_intercept { y_mean - x_mean.dot(&coef) } else { 0.0 };
    Some((coef, intercept))
}

impl Regressor for Ridge {
    type Fitted = FittedRidge;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedRidge> {
        let mut solver = match self.solver {
            Solver::Auto => Solver::Cholesky,
            s => s,
        };
        let mut n_iter = None;
        let mut converged = true;
        let (coef, intercept) = match solver {
            Solver::Linfa => {
                let max_iter = self.max_iter.unwrap_or(1000);
                let penalty = self.alpha / x.nrows() as f64;
                let fit = linfa_backend::elastic_net(x, y, penalty, 0.0, self.fit_intercept, self.tol, max_iter)?;
                n_iter = Some(fit.n_iter);
                converged = fit.n_iter < max_iter;
                (fit.coef, fit.intercept)
            }
            Solver::Cholesky => match cholesky_path(x, y, self.alpha, self.fit_intercept) {
                Some(sol) => sol,
                None => {
                    solver = Solver::Svd;
                    qr_svd_solve(x, y, self.fit_intercept, self.alpha)?
                }
            },
            _ => qr_svd_solve(x, y, self.fit_intercept, self.alpha)?,
        };
        Ok(FittedRidge {
            fit: LinearFit { coef, intercept, n_iter, converged, dual_gap: None, solver, n_features_in: x.ncols() },
        })
    }

    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedRidge> {
        let d = WeightedDesign::new(x, y, sample_weight, self.fit_intercept);
        let mut fitted = self.clone().fit_intercept(false).fit_checked(d.x.view(), d.y.view())?;
        fitted.fit.intercept = d.intercept(fitted.fit.coef.view());
        Ok(fitted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn solvers_agree_and_alpha_zero_falls_back() {
        let x = Array2::from_shape_fn((60, 4), |(i, j)| {
            ((i * 13 + j * 7) % 10) as f64 * 0.3 - 1.0 + (i as f64 * 0.1).cos()
        });
        let y = x.column(0).mapv(|v| 3.0 * v) - x.column(3) + 5.0;
        for fi in [true, false] {
            let a = Ridge::default().fit_intercept(fi).fit(&x, &y).unwrap();
            let b = Ridge::default().fit_intercept(fi).solver(Solver::Svd).fit(&x, &y).unwrap();
            assert_eq!(a.solver(), Solver::Cholesky);
            for (u, v) in a.coef().iter().zip(b.coef().iter()) {
                assert!((u - v).abs() < 1e-10, "{u} vs {v}");
            }
            assert!((a.intercept() - b.intercept()).abs() < 1e-9);
        }
        // alpha = 0 on a duplicated column: Cholesky fails, SVD gives the minimum-norm answer.
        let x = array![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [5.0, 5.0]];
        let y = array![1.0, 2.0, 3.0, 5.0];
        let m = Ridge::default().alpha(0.0).fit(&x, &y).unwrap();
        assert_eq!(m.solver(), Solver::Svd);
        assert!((m.coef()[0] - 0.5).abs() < 1e-10 && (m.coef()[1] - 0.5).abs() < 1e-10);
        assert!(Ridge::default().alpha(-1.0).fit(&x, &y).is_err());
        assert!(Ridge::default().solver(Solver::Lbfgs).fit(&x, &y).is_err());
    }
}
