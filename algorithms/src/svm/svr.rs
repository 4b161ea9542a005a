//! [`SVR`]: epsilon-support vector regression (libsvm's epsilon-SVR).

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use oxlearn_core::{
    Callback, Error, Estimator, Fitted, FittedRegressor, ParamValue, Regressor, RegressorKind, Result, Tags,
};
use serde::{Deserialize, Serialize};

use super::kernel::KernelFn;
use super::smo::{self, SvrQ};
use super::{Gamma, KernelParams, SupportSet, SvmBackend, SvmKernel, linfa_svr};

/// Epsilon-support vector regression: scikit-learn's `SVR`.
///
/// Solves libsvm's epsilon-SVR dual (`2n` variables) with our SMO solver (WSS3, kernel-row
/// cache, shrinking with gradient reconstruction).
///
/// Hyper-parameters (scikit-learn's defaults): `c` = 1.0, `epsilon` = 0.1 (width of the
/// insensitive tube), `kernel` = rbf, `degree` = 3, `gamma` = scale, `coef0` = 0.0,
/// `shrinking` = true, `tol` = 1e-3, `cache_size` = 200 (MB), `max_iter` = None,
/// `backend` = native.
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// multiplies each sample's bound `C` by its weight (scikit-learn's libsvm); samples of weight
/// 0 are left out, as scikit-learn does (`support()` still indexes the full training data).
/// Native backend only.
///
/// Fitted accessors: `support()`, `support_vectors()`, `dual_coef()` (`alpha_i - alpha_i*`),
/// `intercept()`, `coef()` (linear kernel), `gamma()`, `n_iter()`, `converged()`.
///
/// Errors: `InvalidParam` for `C <= 0`, `epsilon < 0`, `tol <= 0`, ...; the usual input errors.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::{SVR, SvmKernel};
/// let x = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
/// let y = ndarray::array![0.0, 1.0, 2.0, 3.0];
/// let model = SVR::default().kernel(SvmKernel::Linear).c(10.0).fit(&x, &y)?;
/// assert!((model.predict(&ndarray::array![[1.5]])?[0] - 1.5).abs() < 0.2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SVR {
    params: KernelParams,
    epsilon: f64,
}

impl Default for SVR {
    fn default() -> Self {
        SVR { params: KernelParams::default(), epsilon: 0.1 }
    }
}

impl SVR {
    /// Regularization `C` (> 0; default 1.0).
    pub fn c(mut self, c: f64) -> Self {
        self.params.c = c;
        self
    }
    /// Width of the epsilon-insensitive tube (>= 0; default 0.1).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }
    /// The kernel (default rbf).
    pub fn kernel(mut self, kernel: SvmKernel) -> Self {
        self.params.kernel = kernel;
        self
    }
    /// Degree of the polynomial kernel (default 3).
    pub fn degree(mut self, degree: i32) -> Self {
        self.params.degree = degree;
        self
    }
    /// Kernel coefficient (default [`Gamma::Scale`]).
    pub fn gamma(mut self, gamma: Gamma) -> Self {
        self.params.gamma = gamma;
        self
    }
    /// Independent term of poly / sigmoid (default 0.0).
    pub fn coef0(mut self, coef0: f64) -> Self {
        self.params.coef0 = coef0;
        self
    }
    /// Whether to use libsvm's shrinking heuristic (default true).
    pub fn shrinking(mut self, shrinking: bool) -> Self {
        self.params.shrinking = shrinking;
        self
    }
    /// Stopping tolerance (default 1e-3).
    pub fn tol(mut self, tol: f64) -> Self {
        self.params.tol = tol;
        self
    }
    /// Kernel cache size in MB (default 200).
    pub fn cache_size(mut self, mb: f64) -> Self {
        self.params.cache_size = mb;
        self
    }
    /// Iteration limit (default None: libsvm's `max(1e7, 200 n)`).
    pub fn max_iter(mut self, max_iter: Option<usize>) -> Self {
        self.params.max_iter = max_iter;
        self
    }
    /// The solver backend (default native).
    pub fn backend(mut self, backend: SvmBackend) -> Self {
        self.params.backend = backend;
        self
    }
    /// Threads for kernel rows and prediction blocks (not a scikit-learn parameter of `SVR`;
    /// default `None`: the caller's rayon pool). Results do not depend on it.
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.params.n_jobs = Some(n);
        self
    }
    /// Progress callback.
    pub fn callback(mut self, callback: Callback) -> Self {
        self.params.callback = callback;
        self
    }
}

impl Estimator for SVR {
    const NAME: &'static str = "SVR";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        Tags { sample_weight: self.params.backend != SvmBackend::Linfa, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.params.check()?;
        if !(self.epsilon >= 0.0 && self.epsilon.is_finite()) {
            return Err(Error::invalid_param("epsilon", format!("must be non-negative, got {}", self.epsilon)));
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        if self.params.set(name, value)? {
            return Ok(());
        }
        match name {
            "epsilon" => self.epsilon = value.as_f64(name)?,
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

/// A fitted [`SVR`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedSVR {
    set: SupportSet,
    support: Vec<usize>,
    dual_coef: Array1<f64>,
    rho: f64,
    n_iter: usize,
    converged: bool,
    n_features_in: usize,
    n_jobs: Option<usize>,
}

impl Regressor for SVR {
    type Fitted = FittedSVR;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedSVR> {
        oxlearn_core::parallel::with_n_jobs(self.params.n_jobs, || self.fit_in_pool(x, y))?
    }

    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedSVR> {
        if self.params.backend == SvmBackend::Linfa {
            return Err(Error::invalid_param("backend", "the linfa backend does not support sample weights"));
        }
        oxlearn_core::parallel::with_n_jobs(self.params.n_jobs, || {
            // `gamma = scale` reads all of X, as scikit-learn; zero weights are then dropped.
            let kf = self.params.kernel_fn(x);
            let keep: Vec<usize> = (0..x.nrows()).filter(|&i| sample_weight[i] > 0.0).collect();
            let (xs, ys) = (x.select(Axis(0), &keep), y.select(Axis(0), &keep));
            let ws: Vec<f64> = keep.iter().map(|&i| sample_weight[i]).collect();
            let mut fitted = self.fit_kernel(kf, xs.view(), ys.view(), Some(&ws))?;
            fitted.support.iter_mut().for_each(|i| *i = keep[*i]);
            Ok(fitted)
        })?
    }
}

impl SVR {
    fn fit_in_pool(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedSVR> {
        self.fit_kernel(self.params.kernel_fn(x), x, y, None)
    }

    /// The fit with kernel `kf`; `weight` multiplies each sample's `C`.
    fn fit_kernel(
        &self,
        kf: KernelFn,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        weight: Option<&[f64]>,
    ) -> Result<FittedSVR> {
        let l = x.nrows();
        let (coef, rho, n_iter, converged) = match self.params.backend {
            SvmBackend::Native => {
                let mut q = SvrQ::new(x.to_owned(), kf, self.params.cache_bytes());
                let mut p = Vec::with_capacity(2 * l);
                p.extend(y.iter().map(|&v| self.epsilon - v));
                p.extend(y.iter().map(|&v| self.epsilon + v));
                let sign: Vec<i8> = (0..2 * l).map(|k| if k < l { 1 } else { -1 }).collect();
                let c = self.params.c;
                // Both dual variables of sample `i` (rows `i` and `i + l`) carry its weight.
                let weight2: Option<Vec<f64>> = weight.map(|w| w.iter().chain(w).copied().collect());
                let sol = smo::solve(
                    &mut q,
                    &p,
                    &sign,
                    &vec![0.0; 2 * l],
                    c,
                    c,
                    weight2.as_deref(),
                    &self.params.solver_params(Self::NAME),
                );
                let coef: Vec<f64> = (0..l).map(|i| sol.alpha[i] - sol.alpha[i + l]).collect();
                (coef, sol.rho, sol.n_iter, sol.converged)
            }
            SvmBackend::Linfa => {
                let (coef, rho) = linfa_svr(x.to_owned(), &y.to_vec(), self.epsilon, kf, &self.params)?;
                (coef, rho, 0, true)
            }
        };
        let support: Vec<usize> = (0..l).filter(|&i| coef[i] != 0.0).collect();
        let dual_coef = Array1::from_iter(support.iter().map(|&i| coef[i]));
        Ok(FittedSVR {
            set: SupportSet::new(kf, x.select(Axis(0), &support)),
            support,
            dual_coef,
            rho,
            n_iter,
            converged,
            n_features_in: x.ncols(),
            n_jobs: self.params.n_jobs,
        })
    }
}

impl FittedSVR {
    /// Indices of the support vectors in the training data (`support_`).
    pub fn support(&self) -> &[usize] {
        &self.support
    }
    /// The support vectors (`support_vectors_`).
    pub fn support_vectors(&self) -> ArrayView2<'_, f64> {
        self.set.vectors.view()
    }
    /// `alpha_i - alpha_i*` of each support vector (`dual_coef_`, shape `(1, n_SV)` in
    /// scikit-learn; a vector here).
    pub fn dual_coef(&self) -> ArrayView1<'_, f64> {
        self.dual_coef.view()
    }
    /// The intercept (`intercept_ = -rho`).
    pub fn intercept(&self) -> f64 {
        -self.rho
    }
    /// Weights in feature space (`coef_`), for the linear kernel only.
    pub fn coef(&self) -> Option<Array1<f64>> {
        (self.set.kernel.kind == SvmKernel::Linear).then(|| self.set.vectors.t().dot(&self.dual_coef))
    }
    /// The kernel coefficient actually used (`_gamma`).
    pub fn gamma(&self) -> f64 {
        self.set.kernel.gamma
    }
    /// Solver iterations (`n_iter_`; 0 with the linfa backend).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// False when the solver stopped at `max_iter` (or was stopped by the callback).
    pub fn converged(&self) -> bool {
        self.converged
    }
}

impl Fitted for FittedSVR {
    const NAME: &'static str = "SVR";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
}

impl FittedRegressor for FittedSVR {
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let out = oxlearn_core::parallel::with_n_jobs(self.n_jobs, || self.set.decision(x, &self.dual_coef, self.rho))?;
        Ok(Array1::from(out))
    }
}
