//! Linear models: [`LinearRegression`], [`Ridge`], [`Lasso`], [`ElasticNet`] and
//! [`LogisticRegression`], with scikit-learn's names, parameters and defaults.
//!
//! Each estimator takes a [`Solver`] (scikit-learn's `solver=`): our own solvers by default
//! (QR + SVD least squares, Cholesky on the centred Gram matrix, coordinate descent with
//! scikit-learn's duality-gap stopping, a fused-gradient L-BFGS), or [`Solver::Linfa`] to fit
//! through linfa 0.8.1 with scikit-learn's conventions mapped onto linfa's. Whichever solver
//! fits, the fitted model is ours: predictions, accessors and serialization do not depend on it.
//!
//! | scikit-learn | oxlearn | solvers (default first) |
//! |---|---|---|
//! | `LinearRegression()` | [`LinearRegression`] | normal equations when well conditioned, else `Svd` (QR + SVD, minimum norm); `Svd`, `Linfa` |
//! | `Ridge(alpha=1.0)` | [`Ridge`] | `Cholesky` (falls back to `Svd`), `Svd`, `Linfa` |
//! | `Lasso(alpha=1.0)` | [`Lasso`] | `CoordinateDescent`, `Linfa` |
//! | `ElasticNet(alpha=1.0, l1_ratio=0.5)` | [`ElasticNet`] | `CoordinateDescent`, `Linfa` |
//! | `LogisticRegression(C=1.0)` | [`LogisticRegression`] | `Lbfgs` (`l1_ratio = 0`) or `ProximalNewton` (`l1_ratio > 0`; also for `"saga"`), `Linfa` |
//!
//! Every one of them also fits with sample weights, scikit-learn's `fit(X, y, sample_weight=w)`,
//! through `fit_weighted(&x, &y, &w)` (the weighted problem is solved directly, not by repeating
//! rows); [`LogisticRegression`] also takes scikit-learn's `class_weight`
//! ([`ClassWeight`](crate::ClassWeight)).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ShapeBuilder};
use oxlearn_core::{Error, ParamValue, Result};
use serde::{Deserialize, Serialize};

mod coordinate_descent;
mod lbfgs;
mod linfa_backend;
mod logistic;
mod logistic_newton;
mod ols;
mod ridge;

pub use coordinate_descent::{ElasticNet, FittedElasticNet, FittedLasso, Lasso};
pub use logistic::{FittedLogisticRegression, LogisticRegression};
pub use ols::{FittedLinearRegression, LinearRegression};
pub use ridge::{FittedRidge, Ridge};

/// Which algorithm fits a linear model (scikit-learn's `solver=`, plus the linfa backend).
///
/// Each estimator accepts a subset; `fit` rejects the others with [`Error::InvalidParam`].
/// [`Solver::Auto`] picks the fastest solver that gives scikit-learn's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Solver {
    /// The estimator's default (scikit-learn's `"auto"`).
    #[default]
    Auto,
    /// Cholesky on the centred `XᵀX + αI` (Ridge; falls back to `Svd` when singular). Also
    /// reported by LinearRegression's `Auto` when it solved the well-conditioned normal equations.
    Cholesky,
    /// Householder QR of the centred data, then an SVD of the small `R` factor: exact
    /// minimum-norm least squares (LinearRegression, Ridge).
    Svd,
    /// Cyclic coordinate descent with scikit-learn's duality-gap stopping (Lasso, ElasticNet).
    CoordinateDescent,
    /// L-BFGS with a Moré–Thuente line search (LogisticRegression).
    Lbfgs,
    /// Proximal Newton with coordinate descent on each quadratic model (newGLMNET style), for
    /// the L1 and elastic-net penalties (LogisticRegression; it also runs for scikit-learn's
    /// `solver="saga"`, which minimises the same objective).
    ProximalNewton,
    /// linfa 0.8.1 (every estimator), mapped to scikit-learn's conventions.
    Linfa,
}

impl Solver {
    /// The scikit-learn spelling (`"auto"`, `"cholesky"`, `"svd"`, `"cd"`, `"lbfgs"`, `"linfa"`;
    /// ours: `"proximal_newton"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Solver::Auto => "auto",
            Solver::Cholesky => "cholesky",
            Solver::Svd => "svd",
            Solver::CoordinateDescent => "cd",
            Solver::Lbfgs => "lbfgs",
            Solver::ProximalNewton => "proximal_newton",
            Solver::Linfa => "linfa",
        }
    }

    /// Parses the spelling of [`as_str`](Self::as_str).
    pub fn parse(name: &str, s: &str) -> Result<Self> {
        Ok(match s {
            "auto" => Solver::Auto,
            "cholesky" => Solver::Cholesky,
            "svd" => Solver::Svd,
            "cd" | "coordinate_descent" => Solver::CoordinateDescent,
            "lbfgs" => Solver::Lbfgs,
            "proximal_newton" => Solver::ProximalNewton,
            "linfa" => Solver::Linfa,
            other => {
                return Err(Error::invalid_param(name, format!("unknown solver {other:?}")));
            }
        })
    }

    fn from_param(value: &ParamValue) -> Result<Self> {
        Solver::parse("solver", value.as_str("solver")?)
    }

    /// Rejects a solver the estimator does not have.
    fn check(self, estimator: &str, allowed: &[Solver]) -> Result<()> {
        if self == Solver::Auto || allowed.contains(&self) {
            return Ok(());
        }
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        Err(Error::invalid_param(
            "solver",
            format!("{estimator} supports solver auto, {}; got {:?}", names.join(", "), self.as_str()),
        ))
    }
}

/// Rejects a negative or non-finite regularization strength.
fn check_non_negative(name: &str, v: f64) -> Result<()> {
    if !(v >= 0.0 && v.is_finite()) {
        return Err(Error::invalid_param(name, format!("must be a non-negative finite number, got {v}")));
    }
    Ok(())
}

/// The fitted state shared by the linear regressors.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LinearFit {
    coef: Array1<f64>,
    intercept: f64,
    n_iter: Option<usize>,
    converged: bool,
    dual_gap: Option<f64>,
    solver: Solver,
    n_features_in: usize,
}

impl LinearFit {
    /// `X w + b` in one row-parallel pass, with the finiteness check fused in (see
    /// [`crate::linalg::check_finite_via`]).
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let out = crate::linalg::matvec_rows(x, self.coef.view(), self.intercept);
        crate::linalg::check_finite_via(x, &out)?;
        Ok(out)
    }
}

/// Defines a fitted linear regressor around [`LinearFit`], with the accessors scikit-learn users
/// look for.
macro_rules! fitted_linear_regressor {
    ($(#[$doc:meta])* $name:ident, $sk:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            fit: crate::linear::LinearFit,
        }

        impl $name {
            /// Coefficients, one per feature (`coef_`).
            pub fn coef(&self) -> ndarray::ArrayView1<'_, f64> {
                self.fit.coef.view()
            }
            /// Intercept (`intercept_`; 0 when `fit_intercept` is false).
            pub fn intercept(&self) -> f64 {
                self.fit.intercept
            }
            /// Iterations the solver ran (`n_iter_`); `None` for closed-form solvers.
            pub fn n_iter(&self) -> Option<usize> {
                self.fit.n_iter
            }
            /// Whether the solver met its tolerance (always true for closed-form solvers).
            pub fn converged(&self) -> bool {
                self.fit.converged
            }
            /// The solver that fitted the model ([`Solver::Auto`](crate::linear::Solver) resolved).
            pub fn solver(&self) -> crate::linear::Solver {
                self.fit.solver
            }
        }

        impl oxlearn_core::Fitted for $name {
            const NAME: &'static str = $sk;
            fn n_features_in(&self) -> usize {
                self.fit.n_features_in
            }
            /// Shape only: `predict_checked` checks finiteness fused with the product.
            fn check_x<'a>(&self, x: ndarray::ArrayView2<'a, f64>) -> oxlearn_core::Result<ndarray::ArrayView2<'a, f64>> {
                oxlearn_core::validate::check_predict_shape($sk, self.fit.n_features_in, x)?;
                Ok(x)
            }
        }

        impl oxlearn_core::FittedRegressor for $name {
            fn predict_checked(&self, x: ndarray::ArrayView2<'_, f64>) -> oxlearn_core::Result<ndarray::Array1<f64>> {
                self.fit.predict(x)
            }
        }
    };
}
use fitted_linear_regressor;

/// A column-major copy of `[X - x_mean | y - y_mean]` (centring skipped when the means are
/// `None`), the working matrix of the QR and coordinate-descent solvers.
fn centred_column_major(
    x: ArrayView2<'_, f64>,
    x_mean: Option<ArrayView1<'_, f64>>,
    y: Option<(ArrayView1<'_, f64>, f64)>,
) -> Array2<f64> {
    let (n, p) = x.dim();
    let q = p + usize::from(y.is_some());
    let mut a = Array2::<f64>::zeros((n, q).f());
    // Transpose in row blocks that stay in cache: reads of `x` are contiguous rows, writes are
    // runs of `BLOCK` values in each column.
    const BLOCK: usize = 256;
    let data = a.as_slice_memory_order_mut().expect("fresh column-major array is contiguous");
    for r0 in (0..n).step_by(BLOCK) {
        let r1 = (r0 + BLOCK).min(n);
        let xb = x.slice(ndarray::s![r0..r1, ..]);
        for j in 0..p {
            let m = x_mean.map_or(0.0, |m| m[j]);
            let dst = &mut data[j * n + r0..j * n + r1];
            for (d, s) in dst.iter_mut().zip(xb.column(j)) {
                *d = s - m;
            }
        }
    }
    if let Some((y, ym)) = y {
        a.column_mut(p).zip_mut_with(&y, |d, s| *d = s - ym);
    }
    a
}

/// The weighted least-squares problem as an unweighted one, as scikit-learn's
/// `_preprocess_data` and `_rescale_data`: `X` and `y` centred on their weighted means (when
/// there is an intercept), then each row scaled by `sqrt(w_i)`. The unweighted solvers, run
/// without intercept on `(x, y)`, then minimise `Σ w_i (y_i - x_i·β - b)²` (plus their penalty),
/// and [`intercept`](Self::intercept) recovers `b`. A row of weight 0 becomes a row of zeros,
/// which no solver sees.
struct WeightedDesign {
    x: Array2<f64>,
    y: Array1<f64>,
    x_mean: Array1<f64>,
    y_mean: f64,
    fit_intercept: bool,
}

impl WeightedDesign {
    fn new(x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>, w: ArrayView1<'_, f64>, fit_intercept: bool) -> Self {
        let sum = w.sum();
        let (x_mean, y_mean) =
            if fit_intercept { (x.t().dot(&w) / sum, w.dot(&y) / sum) } else { (Array1::zeros(x.ncols()), 0.0) };
        let mut xs = x.to_owned();
        let mut ys = y.to_owned();
        for ((mut row, yi), &wi) in xs.rows_mut().into_iter().zip(ys.iter_mut()).zip(w) {
            let s = wi.sqrt();
            row.zip_mut_with(&x_mean, |v, m| *v = (*v - m) * s);
            *yi = (*yi - y_mean) * s;
        }
        WeightedDesign { x: xs, y: ys, x_mean, y_mean, fit_intercept }
    }

    /// The intercept of the weighted problem for the coefficients of the rescaled one.
    fn intercept(&self, coef: ArrayView1<'_, f64>) -> f64 {
        if self.fit_intercept { self.y_mean - self.x_mean.dot(&coef) } else { 0.0 }
    }
}

/// Column means of `x` and the mean of `y`, or zeros when there is no intercept.
fn offsets(x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>, fit_intercept: bool) -> (Array1<f64>, f64) {
    if fit_intercept {
        (crate::linalg::column_means(x), y.mean().unwrap_or(0.0))
    } else {
        (Array1::zeros(x.ncols()), 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solver_names_round_trip() {
        for s in [
            Solver::Auto,
            Solver::Cholesky,
            Solver::Svd,
            Solver::CoordinateDescent,
            Solver::Lbfgs,
            Solver::ProximalNewton,
            Solver::Linfa,
        ] {
            assert_eq!(Solver::parse("solver", s.as_str()).unwrap(), s);
        }
        assert!(Solver::parse("solver", "sag").is_err());
        assert!(Solver::Lbfgs.check("Ridge", &[Solver::Svd]).is_err());
        assert!(Solver::Auto.check("Ridge", &[Solver::Svd]).is_ok());
    }
}
