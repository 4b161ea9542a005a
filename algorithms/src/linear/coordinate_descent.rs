//! L1 / elastic-net regularised least squares: [`Lasso`] and [`ElasticNet`], fitted by cyclic
//! coordinate descent with scikit-learn's duality-gap stopping rule and gap-safe screening.

use std::time::Instant;

use ndarray::{Array1, ArrayView1, ArrayView2};
use oxlearn_core::{Callback, Error, Estimator, ParamValue, Progress, Regressor, RegressorKind, Result, Tags};

use super::{
    LinearFit, Solver, WeightedDesign, centred_column_major, check_non_negative, fitted_linear_regressor,
    linfa_backend, offsets,
};

/// Elastic-net regression, scikit-learn's `ElasticNet`: minimises
/// `1/(2n) ‖y - Xw - b‖² + α·l1_ratio·‖w‖₁ + α·(1 - l1_ratio)/2·‖w‖²`.
///
/// Hyper-parameters (defaults as scikit-learn):
/// - `alpha` (`1.0`, `>= 0`), `l1_ratio` (`0.5`, in `[0, 1]`);
/// - `fit_intercept` (`true`): `X` and `y` are centred before the solver runs;
/// - `max_iter` (`1000`, `>= 1`) epochs, `tol` (`1e-4`, `>= 0`): stop when the duality gap is at
///   most `tol · ‖y‖²` (checked, as scikit-learn, once the largest coordinate update of an epoch
///   falls to `tol` times the largest coefficient);
/// - `positive` (`false`): constrain the coefficients to be non-negative;
/// - `solver` ([`Solver::Auto`]): [`Solver::CoordinateDescent`] (ours, on a centred column-major
///   copy of `X`) or [`Solver::Linfa`] (linfa's elastic net on the same centred copy; it does not
///   support `positive`). `Auto` is `CoordinateDescent`;
/// - `callback` (none): sees every epoch and may stop the fit early.
///
/// Fitted accessors ([`FittedElasticNet`]): `coef()`, `intercept()`, `n_iter()`, `converged()`
/// (false when `max_iter` ran out, as scikit-learn's `ConvergenceWarning`), `dual_gap()`,
/// `solver()`, `n_features_in()`.
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// minimises `1/(2 Σw) Σ w_i (y_i - x_i·w - b)²` plus the same penalty: as scikit-learn, the
/// weights are rescaled to sum to `n_samples`, `X` and `y` centred on their weighted means and
/// each row scaled by `sqrt(w_i)`, then the solver runs.
///
/// Errors: the shared validation errors (for `sample_weight` too); [`Error::InvalidParam`] for
/// parameters out of range.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::ElasticNet;
/// let x = ndarray::array![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]];
/// let y = ndarray::array![0.0, 1.0, 2.0];
/// let model = ElasticNet::default().alpha(0.1).l1_ratio(0.5).fit(&x, &y)?;
/// assert!(model.converged());
/// assert!(model.score(&x, &y)? > 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ElasticNet {
    alpha: f64,
    l1_ratio: f64,
    fit_intercept: bool,
    max_iter: usize,
    tol: f64,
    positive: bool,
    solver: Solver,
    callback: Callback,
}

impl Default for ElasticNet {
    fn default() -> Self {
        ElasticNet {
            alpha: 1.0,
            l1_ratio: 0.5,
            fit_intercept: true,
            max_iter: 1000,
            tol: 1e-4,
            positive: false,
            solver: Solver::Auto,
            callback: Callback::none(),
        }
    }
}

/// Lasso regression, scikit-learn's `Lasso`: [`ElasticNet`] with `l1_ratio = 1`, minimising
/// `1/(2n) ‖y - Xw - b‖² + α‖w‖₁`.
///
/// Hyper-parameters (defaults as scikit-learn): `alpha` (`1.0`), `fit_intercept` (`true`),
/// `max_iter` (`1000`), `tol` (`1e-4`), `positive` (`false`), `solver` ([`Solver::Auto`]:
/// [`Solver::CoordinateDescent`] or [`Solver::Linfa`]), `callback`. See [`ElasticNet`] for the
/// stopping rule, sample weights (`fit_weighted`), accessors and errors.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::Lasso;
/// let x = ndarray::array![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]];
/// let y = ndarray::array![0.0, 1.0, 2.0];
/// let model = Lasso::default().alpha(0.1).fit(&x, &y)?;
/// // scikit-learn: Lasso(alpha=0.1).fit(X, y).coef_ == [0.85, 0.0]
/// assert!((model.coef()[0] - 0.85).abs() < 1e-6 && model.coef()[1] == 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Lasso {
    alpha: f64,
    fit_intercept: bool,
    max_iter: usize,
    tol: f64,
    positive: bool,
    solver: Solver,
    callback: Callback,
}

impl Default for Lasso {
    fn default() -> Self {
        let e = ElasticNet::default();
        Lasso {
            alpha: e.alpha,
            fit_intercept: e.fit_intercept,
            max_iter: e.max_iter,
            tol: e.tol,
            positive: e.positive,
            solver: e.solver,
            callback: e.callback,
        }
    }
}

macro_rules! common_setters {
    () => {
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
        /// Maximum number of epochs (default `1000`).
        pub fn max_iter(mut self, v: usize) -> Self {
            self.max_iter = v;
            self
        }
        /// Duality-gap tolerance, relative to `‖y‖²` (default `1e-4`).
        pub fn tol(mut self, v: f64) -> Self {
            self.tol = v;
            self
        }
        /// Constrain the coefficients to be non-negative (default `false`).
        pub fn positive(mut self, v: bool) -> Self {
            self.positive = v;
            self
        }
        /// The solver (default [`Solver::Auto`]).
        pub fn solver(mut self, v: Solver) -> Self {
            self.solver = v;
            self
        }
        /// A callback that sees every epoch and may stop the fit.
        pub fn callback(mut self, v: Callback) -> Self {
            self.callback = v;
            self
        }
    };
}

impl ElasticNet {
    common_setters!();
    /// Mix of L1 and L2 penalty, in `[0, 1]` (default `0.5`; 1 is the lasso).
    pub fn l1_ratio(mut self, v: f64) -> Self {
        self.l1_ratio = v;
        self
    }
}

impl Lasso {
    common_setters!();

    fn as_elastic_net(&self) -> ElasticNet {
        ElasticNet {
            alpha: self.alpha,
            l1_ratio: 1.0,
            fit_intercept: self.fit_intercept,
            max_iter: self.max_iter,
            tol: self.tol,
            positive: self.positive,
            solver: self.solver,
            callback: self.callback.clone(),
        }
    }
}

fitted_linear_regressor!(
    /// A fitted [`ElasticNet`].
    FittedElasticNet,
    "ElasticNet"
);
fitted_linear_regressor!(
    /// A fitted [`Lasso`].
    FittedLasso,
    "Lasso"
);

impl FittedElasticNet {
    /// The duality gap at the end of the fit (`dual_gap_`), in the solver's scaling
    /// (`n_samples` times scikit-learn's objective for our solver, linfa's own for linfa).
    pub fn dual_gap(&self) -> f64 {
        self.fit.dual_gap.unwrap_or(f64::NAN)
    }
}

impl FittedLasso {
    /// The duality gap at the end of the fit (`dual_gap_`); see [`FittedElasticNet::dual_gap`].
    pub fn dual_gap(&self) -> f64 {
        self.fit.dual_gap.unwrap_or(f64::NAN)
    }
}

impl ElasticNet {
    fn check(&self, name: &str) -> Result<()> {
        check_non_negative("alpha", self.alpha)?;
        oxlearn_core::validate::check_range("l1_ratio", self.l1_ratio, 0.0, 1.0)?;
        check_non_negative("tol", self.tol)?;
        if self.max_iter == 0 {
            return Err(Error::invalid_param("max_iter", "must be at least 1, got 0"));
        }
        if self.solver == Solver::Linfa {
            if self.positive {
                return Err(Error::invalid_param("positive", "solver linfa does not support positive = true"));
            }
            if self.tol <= 0.0 {
                return Err(Error::invalid_param("tol", "must be positive with solver linfa, got 0"));
            }
            if self.max_iter > u32::MAX as usize {
                return Err(Error::invalid_param(
                    "max_iter",
                    format!("must be at most {} with solver linfa", u32::MAX),
                ));
            }
        }
        self.solver.check(name, &[Solver::CoordinateDescent, Solver::Linfa])
    }

    fn set(&mut self, estimator: &str, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "alpha" => self.alpha = value.as_f64(name)?,
            "l1_ratio" if estimator == "ElasticNet" => self.l1_ratio = value.as_f64(name)?,
            "fit_intercept" => self.fit_intercept = value.as_bool(name)?,
            "max_iter" => self.max_iter = value.as_usize(name)?,
            "tol" => self.tol = value.as_f64(name)?,
            "positive" => self.positive = value.as_bool(name)?,
            "solver" => self.solver = Solver::from_param(value)?,
            _ => {
                return Err(Error::invalid_param(name, format!("{estimator} has no parameter {name:?}")));
            }
        }
        Ok(())
    }

    fn fit_linear(&self, estimator: &'static str, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<LinearFit> {
        let (n, p) = x.dim();
        let (x_mean, y_mean) = offsets(x, y, self.fit_intercept);
        let solver = match self.solver {
            Solver::Auto => Solver::CoordinateDescent,
            s => s,
        };
        let (alpha, beta) = (self.alpha * self.l1_ratio * n as f64, self.alpha * (1.0 - self.l1_ratio) * n as f64);
        let (coef, n_iter, gap, converged) = if solver == Solver::CoordinateDescent && n > p {
            // Many more samples than features (scikit-learn's `precompute="auto"` rule): one
            // blocked pass for the centred Gram matrix and `Xᵀy`, then coordinate descent on
            // the `p x p` system, which visits the data no more.
            let (gram, xy) = crate::linalg::centered_gram_xy(x, x_mean.view(), y, y_mean);
            let y_norm2: f64 = y.iter().map(|v| (v - y_mean) * (v - y_mean)).sum();
            let problem =
                GramProblem { gram: gram.view(), xy: xy.view(), y_norm2, alpha, beta, positive: self.positive };
            let r = problem.solve(self.max_iter, self.tol, &self.callback, estimator);
            (r.coef, r.n_iter, r.gap, r.converged)
        } else {
            let xc = centred_column_major(x, Some(x_mean.view()), None);
            let yc: Array1<f64> = y.mapv(|v| v - y_mean);
            if solver == Solver::Linfa {
                let fit = linfa_backend::elastic_net(
                    xc.view(),
                    yc.view(),
                    self.alpha,
                    self.l1_ratio,
                    false,
                    self.tol,
                    self.max_iter,
                )?;
                let converged = fit.n_iter < self.max_iter;
                (fit.coef, fit.n_iter, fit.dual_gap, converged)
            } else {
                let data = xc.as_slice_memory_order().expect("fresh column-major copy is contiguous");
                let problem = CdProblem {
                    x: data,
                    n,
                    p,
                    y: yc.as_slice().expect("fresh array is contiguous"),
                    alpha,
                    beta,
                    positive: self.positive,
                };
                let r = problem.solve(self.max_iter, self.tol, &self.callback, estimator);
                (r.coef, r.n_iter, r.gap, r.converged)
            }
        };
        let intercept = if self.fit_intercept { y_mean - x_mean.dot(&coef) } else { 0.0 };
        Ok(LinearFit {
            coef,
            intercept,
            n_iter: Some(n_iter),
            converged,
            dual_gap: Some(gap),
            solver,
            n_features_in: p,
        })
    }

    /// The weighted fit: weights rescaled to sum to `n_samples` (scikit-learn's convention, so
    /// `alpha` means the same as without weights), then [`WeightedDesign`].
    fn fit_linear_weighted(
        &self,
        estimator: &'static str,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        w: ArrayView1<'_, f64>,
    ) -> Result<LinearFit> {
        let w = &w * (x.nrows() as f64 / w.sum());
        let d = WeightedDesign::new(x, y, w.view(), self.fit_intercept);
        let mut fit =
            ElasticNet { fit_intercept: false, ..self.clone() }.fit_linear(estimator, d.x.view(), d.y.view())?;
        fit.intercept = d.intercept(fit.coef.view());
        Ok(fit)
    }
}

impl Estimator for ElasticNet {
    const NAME: &'static str = "ElasticNet";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        Tags { sample_weight: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.check(Self::NAME)
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        self.set(Self::NAME, name, value)
    }
}

impl Regressor for ElasticNet {
    type Fitted = FittedElasticNet;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedElasticNet> {
        Ok(FittedElasticNet { fit: self.fit_linear(Self::NAME, x, y)? })
    }

    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedElasticNet> {
        Ok(FittedElasticNet { fit: self.fit_linear_weighted(Self::NAME, x, y, sample_weight)? })
    }
}

impl Estimator for Lasso {
    const NAME: &'static str = "Lasso";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        Tags { sample_weight: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.as_elastic_net().check(Self::NAME)
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        let mut e = self.as_elastic_net();
        e.set(Self::NAME, name, value)?;
        *self = Lasso {
            alpha: e.alpha,
            fit_intercept: e.fit_intercept,
            max_iter: e.max_iter,
            tol: e.tol,
            positive: e.positive,
            solver: e.solver,
            callback: e.callback,
        };
        Ok(())
    }
}

impl Regressor for Lasso {
    type Fitted = FittedLasso;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedLasso> {
        Ok(FittedLasso { fit: self.as_elastic_net().fit_linear(Self::NAME, x, y)? })
    }

    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedLasso> {
        Ok(FittedLasso { fit: self.as_elastic_net().fit_linear_weighted(Self::NAME, x, y, sample_weight)? })
    }
}

/// `Σ a_i b_i` with four accumulators (vectorises; the order is fixed, so results are repeatable).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (u, v) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += u[k] * v[k];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (u, v) in ra.iter().zip(rb) {
        s += u * v;
    }
    s
}

/// `y += a · x`.
#[inline]
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// The elastic-net problem in scikit-learn's `enet_coordinate_descent` scaling:
/// `min_w 1/2 ‖y - Xw‖² + alpha ‖w‖₁ + beta/2 ‖w‖²`, with `X` column-major.
struct CdProblem<'a> {
    x: &'a [f64],
    n: usize,
    p: usize,
    y: &'a [f64],
    alpha: f64,
    beta: f64,
    positive: bool,
}

struct CdResult {
    coef: Array1<f64>,
    n_iter: usize,
    gap: f64,
    converged: bool,
}

impl CdProblem<'_> {
    fn col(&self, j: usize) -> &[f64] {
        &self.x[j * self.n..(j + 1) * self.n]
    }

    /// The duality gap at `w` with residual `r`; fills `xta = Xᵀr - beta·w` and returns
    /// `(gap, dual_norm_xta)` (scikit-learn's `gap_enet`).
    fn gap(&self, w: &[f64], r: &[f64], xta: &mut [f64]) -> (f64, f64) {
        let (alpha, beta) = (self.alpha, self.beta);
        let w_l2 = if beta > 0.0 { dot(w, w) } else { 0.0 };
        let r_norm2 = dot(r, r);
        let ry = dot(r, self.y);
        if alpha == 0.0 {
            for (j, v) in xta.iter_mut().enumerate() {
                *v = dot(self.col(j), r);
            }
            let dual = dot(xta, xta);
            if beta == 0.0 {
                return (dual, dual);
            }
            let gap = r_norm2 + 0.5 * beta * w_l2 - ry + dual / (2.0 * beta);
            return (gap, dual);
        }
        for (j, v) in xta.iter_mut().enumerate() {
            *v = dot(self.col(j), r) - beta * w[j];
        }
        let dual_norm = if self.positive {
            xta.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        } else {
            xta.iter().fold(0.0f64, |m, v| m.max(v.abs()))
        };
        let l1: f64 = w.iter().map(|v| v.abs()).sum();
        let primal = 0.5 * (r_norm2 + beta * w_l2) + alpha * l1;
        let scale = if dual_norm > alpha { alpha / dual_norm } else { 1.0 };
        let dual = -0.5 * scale * scale * (r_norm2 + beta * w_l2) + scale * ry;
        (primal - dual, dual_norm)
    }

    /// Gap-safe screening (Ndiaye et al. 2017, eq. 11), as scikit-learn: drops features whose
    /// optimal coefficient is provably zero. Returns the active set.
    #[allow(clippy::too_many_arguments)]
    fn screen(
        &self,
        w: &mut [f64],
        r: &mut [f64],
        xta: &[f64],
        dual_norm: f64,
        gap: f64,
        norms: &[f64],
        excluded: &mut [bool],
    ) -> Vec<usize> {
        let mut active = Vec::with_capacity(self.p);
        let radius = (2.0 * gap).sqrt() / self.alpha;
        for j in 0..self.p {
            if excluded[j] {
                continue;
            }
            if norms[j] == 0.0 {
                w[j] = 0.0;
                excluded[j] = true;
                continue;
            }
            let xj_theta = xta[j] / self.alpha.max(dual_norm);
            let d_j = (1.0 - xj_theta.abs()) / (norms[j] + self.beta).sqrt();
            if d_j <= radius {
                active.push(j);
            } else {
                if w[j] != 0.0 {
                    axpy(w[j], self.col(j), r);
                    w[j] = 0.0;
                }
                excluded[j] = true;
            }
        }
        active
    }

    /// Cyclic coordinate descent from `w = 0`, stopping exactly as scikit-learn's
    /// `enet_coordinate_descent` (tolerance `tol · ‖y‖²` on the duality gap).
    fn solve(&self, max_iter: usize, tol: f64, callback: &Callback, estimator: &'static str) -> CdResult {
        let start = Instant::now();
        let (n, p) = (self.n, self.p);
        let norms: Vec<f64> = (0..p).map(|j| dot(self.col(j), self.col(j))).collect();
        let mut w = vec![0.0f64; p];
        let mut r: Vec<f64> = self.y.to_vec();
        let mut xta = vec![0.0f64; p];
        let tol_gap = tol * dot(self.y, self.y);
        let d_w_tol = tol;
        let screening = self.alpha > 0.0;
        let mut excluded = vec![false; p];
        let _ = n;

        let (mut gap, dual_norm) = self.gap(&w, &r, &mut xta);
        if gap <= tol_gap {
            return CdResult { coef: Array1::from(w), n_iter: 0, gap, converged: true };
        }
        let mut active: Vec<usize> = if screening {
            self.screen(&mut w, &mut r, &xta, dual_norm, gap, &norms, &mut excluded)
        } else {
            (0..p).collect()
        };

        let mut converged = false;
        let mut n_iter = 0;
        for it in 0..max_iter {
            n_iter = it + 1;
            let mut w_max = 0.0f64;
            let mut d_w_max = 0.0f64;
            for &j in &active {
                if norms[j] == 0.0 {
                    continue;
                }
                let w_j = w[j];
                let xj = self.col(j);
                let tmp = dot(xj, &r) + w_j * norms[j];
                w[j] = if self.positive && tmp < 0.0 {
                    0.0
                } else {
                    tmp.signum() * (tmp.abs() - self.alpha).max(0.0) / (norms[j] + self.beta)
                };
                if w[j] != w_j {
                    axpy(w_j - w[j], xj, &mut r);
                }
                d_w_max = d_w_max.max((w[j] - w_j).abs());
                w_max = w_max.max(w[j].abs());
            }
            let mut stop = false;
            if w_max == 0.0 || d_w_max / w_max <= d_w_tol || it + 1 == max_iter {
                let (g, dual_norm) = self.gap(&w, &r, &mut xta);
                gap = g;
                if gap <= tol_gap {
                    converged = true;
                    stop = true;
                } else if screening {
                    active = self.screen(&mut w, &mut r, &xta, dual_norm, gap, &norms, &mut excluded);
                }
            }
            stop |= report_epoch(callback, estimator, it, max_iter, gap, start);
            if stop {
                break;
            }
        }
        CdResult { coef: Array1::from(w), n_iter, gap, converged }
    }
}

/// Reports epoch `it` (0-based) with its duality gap to the callback; `true` when it asks to stop.
fn report_epoch(
    callback: &Callback,
    estimator: &'static str,
    it: usize,
    max_iter: usize,
    gap: f64,
    start: Instant,
) -> bool {
    let metrics = [("duality_gap", gap)];
    callback.report(&Progress {
        estimator,
        iteration: it + 1,
        total: Some(max_iter),
        loss: None,
        metrics: &metrics,
        elapsed: start.elapsed(),
    })
}

/// The elastic-net problem on the Gram matrix (scikit-learn's `enet_coordinate_descent_gram`):
/// the same objective as [`CdProblem`] with `Q = XᵀX`, `q = Xᵀy` and `‖y‖²` in place of the data.
/// The iterates are those of [`CdProblem`] in exact arithmetic (same cyclic order, same updates,
/// same duality-gap stopping), at `O(p²)` per epoch instead of `O(np)`.
struct GramProblem<'a> {
    gram: ArrayView2<'a, f64>,
    xy: ArrayView1<'a, f64>,
    y_norm2: f64,
    alpha: f64,
    beta: f64,
    positive: bool,
}

impl GramProblem<'_> {
    /// The duality gap at `w` with `h = Q w` (the quantities of [`CdProblem::gap`] through the
    /// Gram matrix: `Xᵀr = q - h`, `‖r‖² = ‖y‖² - 2 wᵀq + wᵀh`, `rᵀy = ‖y‖² - wᵀq`).
    fn gap(&self, w: &[f64], h: &[f64]) -> f64 {
        let (alpha, beta) = (self.alpha, self.beta);
        let q = self.xy.as_slice().expect("contiguous q");
        let q_dot_w = dot(w, q);
        let r_norm2 = (self.y_norm2 - 2.0 * q_dot_w + dot(w, h)).max(0.0);
        let ry = self.y_norm2 - q_dot_w;
        let w_l2 = if beta > 0.0 { dot(w, w) } else { 0.0 };
        if alpha == 0.0 {
            let dual: f64 = q.iter().zip(h).map(|(a, b)| (a - b) * (a - b)).sum();
            if beta == 0.0 {
                return dual;
            }
            return r_norm2 + 0.5 * beta * w_l2 - ry + dual / (2.0 * beta);
        }
        let xta = q.iter().zip(h).zip(w).map(|((a, b), wj)| a - b - beta * wj);
        let dual_norm =
            if self.positive { xta.fold(f64::NEG_INFINITY, f64::max) } else { xta.fold(0.0f64, |m, v| m.max(v.abs())) };
        let l1: f64 = w.iter().map(|v| v.abs()).sum();
        let primal = 0.5 * (r_norm2 + beta * w_l2) + alpha * l1;
        let scale = if dual_norm > alpha { alpha / dual_norm } else { 1.0 };
        let dual = -0.5 * scale * scale * (r_norm2 + beta * w_l2) + scale * ry;
        primal - dual
    }

    /// Cyclic coordinate descent from `w = 0` with [`CdProblem::solve`]'s stopping rule.
    fn solve(&self, max_iter: usize, tol: f64, callback: &Callback, estimator: &'static str) -> CdResult {
        let start = Instant::now();
        let p = self.xy.len();
        let g = self.gram.as_standard_layout();
        let g = g.as_slice().expect("standard layout");
        let q = self.xy.to_vec();
        let mut w = vec![0.0f64; p];
        let mut h = vec![0.0f64; p];
        let tol_gap = tol * self.y_norm2;
        let mut gap = self.gap(&w, &h);
        if gap <= tol_gap {
            return CdResult { coef: Array1::from(w), n_iter: 0, gap, converged: true };
        }
        let mut converged = false;
        let mut n_iter = 0;
        for it in 0..max_iter {
            n_iter = it + 1;
            let mut w_max = 0.0f64;
            let mut d_w_max = 0.0f64;
            for j in 0..p {
                let qjj = g[j * p + j];
                if qjj == 0.0 {
                    continue;
                }
                let row = &g[j * p..(j + 1) * p];
                let w_j = w[j];
                // h = Q w without coordinate j, then the usual soft-thresholded update.
                let tmp = q[j] - h[j] + w_j * qjj;
                w[j] = if self.positive && tmp < 0.0 {
                    0.0
                } else {
                    tmp.signum() * (tmp.abs() - self.alpha).max(0.0) / (qjj + self.beta)
                };
                if w[j] != w_j {
                    axpy(w[j] - w_j, row, &mut h);
                }
                d_w_max = d_w_max.max((w[j] - w_j).abs());
                w_max = w_max.max(w[j].abs());
            }
            let mut stop = false;
            if w_max == 0.0 || d_w_max / w_max <= tol || it + 1 == max_iter {
                gap = self.gap(&w, &h);
                if gap <= tol_gap {
                    converged = true;
                    stop = true;
                }
            }
            stop |= report_epoch(callback, estimator, it, max_iter, gap, start);
            if stop {
                break;
            }
        }
        CdResult { coef: Array1::from(w), n_iter, gap, converged }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    fn data() -> (Array2<f64>, Array1<f64>) {
        let x = Array2::from_shape_fn((80, 5), |(i, j)| {
            ((i * 17 + j * 29) % 23) as f64 / 5.0 - 2.0 + (i as f64 * 0.3 + j as f64).sin()
        });
        let y = x.column(0).mapv(|v| 2.0 * v) - x.column(1).mapv(|v| 0.5 * v)
            + 3.0
            + Array1::from_shape_fn(80, |i| (i as f64 * 1.7).cos() * 0.2);
        (x, y)
    }

    #[test]
    fn sklearn_small_examples() {
        let x = array![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]];
        let y = array![0.0, 1.0, 2.0];
        let m = Lasso::default().alpha(0.1).fit(&x, &y).unwrap();
        assert!((m.coef()[0] - 0.85).abs() < 1e-9 && m.coef()[1] == 0.0);
        assert!((m.intercept() - 0.15).abs() < 1e-9);
        assert!(m.converged());
        let big = Lasso::default().alpha(100.0).fit(&x, &y).unwrap();
        assert_eq!(big.coef().to_vec(), vec![0.0, 0.0]);
        assert_eq!(big.n_iter(), Some(0));
    }

    #[test]
    fn gram_and_data_paths_agree() {
        let (x, y) = data();
        for (alpha, l1, positive) in [(0.05, 0.5, false), (0.01, 1.0, false), (0.02, 0.3, true), (0.0, 0.5, false)] {
            let e = ElasticNet::default().alpha(alpha).l1_ratio(l1).positive(positive).tol(1e-10);
            let (n, p) = x.dim();
            let (xm, ym) = offsets(x.view(), y.view(), true);
            let xc = centred_column_major(x.view(), Some(xm.view()), None);
            let yc: Array1<f64> = y.mapv(|v| v - ym);
            let data = CdProblem {
                x: xc.as_slice_memory_order().unwrap(),
                n,
                p,
                y: yc.as_slice().unwrap(),
                alpha: alpha * l1 * n as f64,
                beta: alpha * (1.0 - l1) * n as f64,
                positive,
            };
            let a = data.solve(1000, 1e-10, &Callback::none(), "t");
            let b = e.fit(&x, &y).unwrap();
            assert_eq!(Some(a.n_iter), b.n_iter(), "alpha {alpha} l1 {l1}");
            for (u, v) in a.coef.iter().zip(b.coef().iter()) {
                assert!((u - v).abs() < 1e-8, "{u} vs {v}");
            }
            assert!((a.gap - b.dual_gap()).abs() < 1e-6 * (1.0 + a.gap.abs()), "{} vs {}", a.gap, b.dual_gap());
        }
    }

    #[test]
    fn linfa_and_positive_and_callback() {
        let (x, y) = data();
        let a = ElasticNet::default().alpha(0.05).fit(&x, &y).unwrap();
        let b = ElasticNet::default().alpha(0.05).solver(Solver::Linfa).tol(1e-10).fit(&x, &y).unwrap();
        for (u, v) in a.coef().iter().zip(b.coef().iter()) {
            assert!((u - v).abs() < 1e-3, "{u} vs {v}");
        }
        let pos = Lasso::default().alpha(0.01).positive(true).fit(&x, &y).unwrap();
        assert!(pos.coef().iter().all(|&c| c >= 0.0));
        assert!(Lasso::default().positive(true).solver(Solver::Linfa).fit(&x, &y).is_err());
        let stop = Callback::new(|_: &Progress<'_>| std::ops::ControlFlow::Break(()));
        let m = ElasticNet::default().alpha(1e-4).tol(0.0).callback(stop).fit(&x, &y).unwrap();
        assert_eq!(m.n_iter(), Some(1));
        assert!(!m.converged());
        assert!(ElasticNet::default().l1_ratio(1.5).fit(&x, &y).is_err());
        assert!(ElasticNet::default().max_iter(0).fit(&x, &y).is_err());
    }
}
