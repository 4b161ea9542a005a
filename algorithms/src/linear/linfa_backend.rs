//! The linfa 0.8.1 backend of the linear models ([`Solver::Linfa`](super::Solver::Linfa)):
//! scikit-learn's conventions mapped onto linfa's, linfa errors mapped onto ours. Every caller
//! has validated data and parameters first, so linfa's own checks and asserts never fire; its
//! results are copied into our fitted types, so no linfa type leaves this file.

use linfa::prelude::*;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use oxlearn_core::{Error, Result};

fn numerical(estimator: &str, e: impl std::fmt::Display) -> Error {
    Error::Numerical { estimator: estimator.to_string(), reason: format!("linfa: {e}") }
}

/// Ordinary least squares through linfa's QR; `(coef, intercept)`. linfa refuses rank-deficient
/// designs and designs with fewer rows than columns (`Error::Numerical`).
pub(super) fn linear_regression(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    fit_intercept: bool,
) -> Result<(Array1<f64>, f64)> {
    let p = x.ncols() + usize::from(fit_intercept);
    if x.nrows() < p {
        return Err(Error::Numerical {
            estimator: "LinearRegression".into(),
            reason: format!(
                "solver linfa needs at least as many samples as parameters: {} samples, {p} parameters",
                x.nrows()
            ),
        });
    }
    let data = DatasetBase::new(x, y);
    let fitted = linfa_linear::LinearRegression::new()
        .with_intercept(fit_intercept)
        .fit(&data)
        .map_err(|e| numerical("LinearRegression", e))?;
    let coef = fitted.params().to_owned();
    if coef.iter().any(|v| !v.is_finite()) {
        return Err(numerical("LinearRegression", "non-finite coefficients (singular design)"));
    }
    Ok((coef, fitted.intercept()))
}

/// The result of linfa's elastic net.
pub(super) struct EnetFit {
    pub coef: Array1<f64>,
    pub intercept: f64,
    pub n_iter: usize,
    pub dual_gap: f64,
}

/// linfa's elastic net with linfa's `penalty` and `l1_ratio` (the caller maps scikit-learn's
/// parameters: the same for Lasso / ElasticNet, `alpha / n_samples` with `l1_ratio = 0` for
/// Ridge). linfa does not centre `X`; callers pass centred data with `with_intercept = false`
/// (Lasso, ElasticNet) or let linfa fit only the target mean (Ridge, where the penalty
/// then also sees the mean of `X`; callers centre `X` for that reason too).
pub(super) fn elastic_net(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    penalty: f64,
    l1_ratio: f64,
    with_intercept: bool,
    tol: f64,
    max_iter: usize,
) -> Result<EnetFit> {
    let max_iter = u32::try_from(max_iter)
        .map_err(|_| Error::invalid_param("max_iter", "must fit in 32 bits with solver linfa"))?;
    if x.ncols() == 0 || x.nrows() == 0 {
        return Err(Error::InvalidInput("solver linfa needs a non-empty X".into()));
    }
    // Centre here as well, so that an intercept fitted by linfa is exact.
    let (x_mean, xc) = if with_intercept {
        let m = crate::linalg::column_means(x);
        (m.clone(), super::centred_column_major(x, Some(m.view()), None))
    } else {
        (Array1::zeros(x.ncols()), super::centred_column_major(x, None, None))
    };
    let data = DatasetBase::new(xc, y.to_owned());
    let fitted = linfa_elasticnet::ElasticNet::params()
        .penalty(penalty)
        .l1_ratio(l1_ratio)
        .with_intercept(with_intercept)
        .tolerance(tol)
        .max_iterations(max_iter)
        .fit(&data)
        .map_err(|e| numerical("ElasticNet", e))?;
    let coef = fitted.hyperplane().to_owned();
    let intercept = fitted.intercept() - x_mean.dot(&coef);
    Ok(EnetFit { coef, intercept, n_iter: fitted.n_steps() as usize, dual_gap: fitted.duality_gap() })
}

/// Logistic regression through linfa (argmin's L-BFGS): `alpha = 1 / C`, gradient tolerance
/// `tol · n_samples` (linfa's is an L2 norm on the summed loss, scikit-learn's a max-norm on the
/// mean loss). Binary problems use linfa's two-class model, others its multinomial model.
/// Returns `(coef (k x p), intercept (k))` in our class order (`k = 1` for two classes, with
/// the positive class being class index 1, as scikit-learn).
pub(super) fn logistic_regression(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, usize>,
    n_classes: usize,
    c: f64,
    fit_intercept: bool,
    tol: f64,
    max_iter: usize,
) -> Result<(Array2<f64>, Array1<f64>)> {
    let alpha = 1.0 / c;
    let grad_tol = (tol * x.nrows() as f64).max(f64::MIN_POSITIVE);
    let data = DatasetBase::new(x, y);
    if n_classes == 2 {
        let fitted = linfa_logistic::LogisticRegression::default()
            .alpha(alpha)
            .with_intercept(fit_intercept)
            .max_iterations(max_iter as u64)
            .gradient_tolerance(grad_tol)
            .fit(&data)
            .map_err(|e| numerical("LogisticRegression", e))?;
        // linfa's positive class is the more frequent one; ours is class index 1.
        let sign = if fitted.labels().pos.class == 1 { 1.0 } else { -1.0 };
        let coef = fitted.params().mapv(|v| sign * v).insert_axis(ndarray::Axis(0));
        let intercept = Array1::from_elem(1, sign * fitted.intercept());
        Ok((coef, intercept))
    } else {
        let fitted = linfa_logistic::MultiLogisticRegression::default()
            .alpha(alpha)
            .with_intercept(fit_intercept)
            .max_iterations(max_iter as u64)
            .gradient_tolerance(grad_tol)
            .fit(&data)
            .map_err(|e| numerical("LogisticRegression", e))?;
        let p = x.ncols();
        let mut coef = Array2::zeros((n_classes, p));
        let mut intercept = Array1::zeros(n_classes);
        for (col, &class) in fitted.classes().iter().enumerate() {
            coef.row_mut(class).assign(&fitted.params().column(col));
            intercept[class] = fitted.intercept()[col];
        }
        Ok((coef, intercept))
    }
}
