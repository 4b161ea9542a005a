//! [`LogisticRegression`]: binary and multinomial (softmax) logistic regression with the L2
//! penalty (L-BFGS on a fused, row-blocked loss and gradient) or the L1 / elastic-net penalty
//! (proximal Newton, in `logistic_newton`).

use std::ops::Range;
use std::time::Instant;

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};
use oxlearn_core::{
    Callback, ClassLabel, Classifier, ClassifierKind, EncodedLabels, Error, Estimator, Fitted, FittedClassifier,
    ParamValue, ProbabilisticClassifier, Progress, Result, Tags,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Solver, lbfgs, linfa_backend, logistic_newton};
use crate::ClassWeight;

/// Logistic regression, scikit-learn's `LogisticRegression`: minimises
/// `1/n Σ loss_i + 1/(C·n) · (r ‖W‖₁ + (1 - r)/2 ‖W‖²)`, `r = l1_ratio`, where the loss is the
/// binomial log-loss for two classes and the multinomial (softmax) log-loss for more (as
/// scikit-learn ≥ 1.5, one type for both). The intercept is not penalised. Labels may be of any
/// [`ClassLabel`] type; they are never assumed to be `0..k`.
///
/// Hyper-parameters (defaults as scikit-learn 1.9):
/// - `c` (`1.0`, `> 0`, `f64::INFINITY` for no penalty): inverse regularization strength (`C`);
/// - `l1_ratio` (`0.0`, in `[0, 1]`): the elastic-net mix, `0` the L2 penalty (scikit-learn's
///   default), `1` the L1 penalty (`penalty="l1"`), in between the elastic net. scikit-learn ≥ 1.8
///   spells the penalty this way (`penalty` is deprecated); `set_param("penalty", ...)` still
///   takes `"l2"` (`l1_ratio = 0`), `"l1"` (`l1_ratio = 1`), `"elasticnet"` (keeps `l1_ratio`)
///   and `None` (`C = ∞`);
/// - `fit_intercept` (`true`);
/// - `max_iter` (`100`) iterations of the solver, `tol` (`1e-4`): L-BFGS stops when the largest
///   gradient entry of the mean objective is at most `tol`, or when the relative decrease of the
///   objective is at most `64 ε` (SciPy's L-BFGS-B rules, which scikit-learn uses); proximal
///   Newton stops when the largest entry of the minimum-norm subgradient of the mean objective
///   is at most `tol` (the same measure, the L1 term's subdifferential included). scikit-learn's
///   saga instead stops on the change of the coefficients, so equal `tol` values are not equally
///   tight: at convergence both reach the same optimum;
/// - `solver` ([`Solver::Auto`]):
///   - [`Solver::Lbfgs`] (ours: L-BFGS with history 10 and a Moré–Thuente line search, on a loss
///     and gradient computed together in one pass over `X` by row blocks on rayon); L2 only;
///   - [`Solver::ProximalNewton`] (ours; newGLMNET-style, as liblinear's L1 solver but on
///     scikit-learn's objective): each iteration builds the exact Hessian of the loss
///     (`X₁ᵀ D X₁`, `X₁ = [X | 1]`, by row blocks on rayon, one faer product per block; for `k > 2`
///     classes all `k(k+1)/2` class blocks, so the Newton step is the full multinomial one),
///     minimises the quadratic model plus the penalty by cyclic coordinate descent with
///     soft-thresholding, and takes an Armijo line search on the true objective. Any `l1_ratio`
///     (`0` included). Its Hessian has `(k·(p+1))²` entries, so beyond `k·(p+1) = 4096`
///     parameters the same solver name runs an accelerated proximal gradient method instead
///     (FISTA with backtracking and restarts: no Hessian, three passes over `X` per iteration,
///     linear convergence; raise `max_iter` there, and check `converged()`). scikit-learn's `solver="saga"` (`set_param("solver", "saga")`) runs this solver:
///     saga minimises the same objective, so the optimum is the same (the path and the
///     iteration counts are not). `"liblinear"` is rejected: it penalises the intercept and fits
///     one-vs-rest, a different optimum; so are `"sag"`, `"newton-cg"`, `"newton-cholesky"`;
///   - [`Solver::Linfa`] (linfa's argmin L-BFGS with `alpha = 1 / C`; its gradient tolerance is
///     set to `tol · n_samples` on its summed loss); L2 only.
///
///   `Auto` is `Lbfgs` for `l1_ratio = 0` or `C = ∞` (no penalty), `ProximalNewton` otherwise;
/// - `n_jobs` (`None`: the current rayon pool): threads for the passes over `X`. Results do not
///   depend on it (bit for bit: fixed row blocks reduced in order);
/// - `callback` (none): sees every iteration (with the objective, and `max_abs_gradient` or
///   `max_abs_subgradient`) and may stop the fit;
/// - `class_weight` (`None`): [`ClassWeight::Balanced`] or an explicit map
///   ([`ClassWeight::explicit`]); each sample's loss is multiplied by its class's weight.
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// minimises `1/S Σ w_i loss_i + 1/(C·S) · (r ‖W‖₁ + (1 - r)/2 ‖W‖²)` with `S = Σ w_i` (class
/// weights folded into `w` first). Its optimum is the one of `Σ w_i loss_i + penalty / C`,
/// which is what scikit-learn's lbfgs (scaled by `S`) and saga (scaled by `n`) both minimise
/// (checked against saga numerically): integer weights give the fit of repeated rows, and
/// weights of `c` everywhere act as `C · c`. Weights (and `class_weight`) need one of our
/// solvers; linfa has none.
///
/// Fitted accessors ([`FittedLogisticRegression`]): `classes()`, `coef()` (`1 x p` for two classes,
/// `k x p` otherwise, as `coef_`; exact zeros where the L1 penalty removed a feature),
/// `intercept()` (centred for `k > 2`, where only differences matter), `n_iter()` (L-BFGS or
/// Newton iterations; `None` for linfa, which does not report it), `converged()` (for linfa:
/// whether the final gradient meets `tol`), `solver()` (`Auto` resolved), `n_features_in()`;
/// `predict`, `predict_proba`, `decision_function`, `score`.
///
/// Errors: the shared validation errors (for `sample_weight` too); fewer than two classes;
/// [`Error::InvalidParam`] for a non-positive `c`, an `l1_ratio` outside `[0, 1]` or NaN,
/// `l1_ratio > 0` with solver lbfgs or linfa, a negative `tol`, a solver it does not have,
/// weights with solver linfa, a negative explicit class weight, or a `class_weight` label that
/// is not a class. Non-convergence is not an error: check `converged()`.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::LogisticRegression;
/// let x = ndarray::array![[0.0, 1.0], [1.0, 1.0], [3.0, 0.0], [4.0, 0.5], [8.0, 1.0], [9.0, 0.0]];
/// let y = ndarray::array!["low", "low", "mid", "mid", "high", "high"].mapv(String::from);
/// let model = LogisticRegression::default().c(10.0).fit(&x, &y)?;
/// assert_eq!(model.classes(), &["high", "low", "mid"].map(String::from));
/// assert_eq!(model.predict(&x)?, y);
/// let proba = model.predict_proba(&x)?;
/// assert!((proba.row(0).sum() - 1.0).abs() < 1e-12);
///
/// // The L1 penalty (scikit-learn's `l1_ratio=1, solver="saga"`): the second feature, noise
/// // here, gets an exact zero coefficient.
/// let x = ndarray::array![[-2.0, 0.3], [-1.0, -0.2], [-0.5, 0.1], [0.5, 0.2], [1.0, -0.1], [2.0, -0.3]];
/// let y = ndarray::array![0, 0, 1, 0, 1, 1];
/// let sparse = LogisticRegression::default().l1_ratio(1.0).c(2.0).fit(&x, &y)?;
/// assert!(sparse.coef()[[0, 0]] > 0.0);
/// assert_eq!(sparse.coef()[[0, 1]], 0.0);
/// assert!(sparse.converged());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticRegression {
    c: f64,
    l1_ratio: f64,
    fit_intercept: bool,
    tol: f64,
    max_iter: usize,
    solver: Solver,
    n_jobs: Option<usize>,
    callback: Callback,
    class_weight: Option<ClassWeight>,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        LogisticRegression {
            c: 1.0,
            l1_ratio: 0.0,
            fit_intercept: true,
            tol: 1e-4,
            max_iter: 100,
            solver: Solver::Auto,
            n_jobs: None,
            callback: Callback::none(),
            class_weight: None,
        }
    }
}

impl LogisticRegression {
    /// Inverse regularization strength `C` (default `1.0`).
    pub fn c(mut self, v: f64) -> Self {
        self.c = v;
        self
    }
    /// Elastic-net mix in `[0, 1]` (default `0.0`: the L2 penalty; `1.0`: the L1 penalty).
    pub fn l1_ratio(mut self, v: f64) -> Self {
        self.l1_ratio = v;
        self
    }
    /// Whether to fit an intercept (default `true`).
    pub fn fit_intercept(mut self, v: bool) -> Self {
        self.fit_intercept = v;
        self
    }
    /// Gradient (for L1 / elastic net: subgradient) tolerance (default `1e-4`).
    pub fn tol(mut self, v: f64) -> Self {
        self.tol = v;
        self
    }
    /// Maximum number of L-BFGS or Newton iterations (default `100`).
    pub fn max_iter(mut self, v: usize) -> Self {
        self.max_iter = v;
        self
    }
    /// The solver (default [`Solver::Auto`]).
    pub fn solver(mut self, v: Solver) -> Self {
        self.solver = v;
        self
    }
    /// Threads for the loss and gradient passes (default: the current rayon pool), as the other
    /// estimators' `n_jobs(n)`.
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.n_jobs = Some(n);
        self
    }
    /// A callback that sees every iteration and may stop the fit.
    pub fn callback(mut self, v: Callback) -> Self {
        self.callback = v;
        self
    }
    /// Weights of the classes (scikit-learn's `class_weight`; default `None`: all 1).
    pub fn class_weight(mut self, v: impl Into<Option<ClassWeight>>) -> Self {
        self.class_weight = v.into();
        self
    }
}

/// A fitted [`LogisticRegression`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedLogisticRegression<L> {
    classes: Vec<L>,
    coef: Array2<f64>,
    intercept: Array1<f64>,
    n_iter: Option<usize>,
    converged: bool,
    solver: Solver,
    n_features_in: usize,
}

impl<L> FittedLogisticRegression<L> {
    /// Coefficients (`coef_`): one row for two classes (the second class is the positive one),
    /// one row per class otherwise.
    pub fn coef(&self) -> ndarray::ArrayView2<'_, f64> {
        self.coef.view()
    }
    /// Intercepts (`intercept_`), one per row of [`coef`](Self::coef); zeros without intercept.
    pub fn intercept(&self) -> ndarray::ArrayView1<'_, f64> {
        self.intercept.view()
    }
    /// L-BFGS or proximal Newton iterations run (`n_iter_`); `None` for the linfa solver, which
    /// does not report it.
    pub fn n_iter(&self) -> Option<usize> {
        self.n_iter
    }
    /// Whether the (sub)gradient tolerance was met.
    pub fn converged(&self) -> bool {
        self.converged
    }
    /// The solver that fitted the model.
    pub fn solver(&self) -> Solver {
        self.solver
    }

    /// `X Wᵀ + b` in one row-parallel pass, with the finiteness check fused in (see
    /// [`crate::linalg::check_finite_via`]).
    fn raw_scores(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let z = crate::linalg::matmul_rows(x, self.coef.t(), Some(self.intercept.view()));
        crate::linalg::check_finite_via(x, z.column(0))?;
        Ok(z)
    }
}

impl Estimator for LogisticRegression {
    const NAME: &'static str = "LogisticRegression";
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        // linfa's solver takes no weights.
        Tags { sample_weight: self.solver != Solver::Linfa, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        if self.c.is_nan() || self.c <= 0.0 {
            return Err(Error::invalid_param("C", format!("must be positive, got {}", self.c)));
        }
        if !(0.0..=1.0).contains(&self.l1_ratio) {
            return Err(Error::invalid_param("l1_ratio", format!("must be in [0, 1], got {}", self.l1_ratio)));
        }
        if self.l1_ratio > 0.0 && matches!(self.solver, Solver::Lbfgs | Solver::Linfa) {
            return Err(Error::invalid_param(
                "l1_ratio",
                format!(
                    "solver {} supports only the L2 penalty (l1_ratio = 0), got {}; use solver auto or proximal_newton (\"saga\")",
                    self.solver.as_str(),
                    self.l1_ratio
                ),
            ));
        }
        super::check_non_negative("tol", self.tol)?;
        if self.solver == Solver::Linfa && self.tol <= 0.0 {
            return Err(Error::invalid_param("tol", "must be positive with solver linfa, got 0"));
        }
        if self.n_jobs == Some(0) {
            return Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0"));
        }
        if let Some(cw) = &self.class_weight {
            cw.check(false)?;
            if self.solver == Solver::Linfa {
                return Err(Error::invalid_param("class_weight", "solver linfa does not support class weights"));
            }
        }
        self.solver.check(Self::NAME, &[Solver::Lbfgs, Solver::ProximalNewton, Solver::Linfa])
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "C" | "c" => self.c = value.as_f64(name)?,
            "l1_ratio" => self.l1_ratio = value.as_f64(name)?,
            "penalty" => match value {
                ParamValue::Str(s) if s == "l2" => self.l1_ratio = 0.0,
                ParamValue::Str(s) if s == "l1" => self.l1_ratio = 1.0,
                // The mix stays what `l1_ratio` says (set it before or after).
                ParamValue::Str(s) if s == "elasticnet" => {}
                ParamValue::None => self.c = f64::INFINITY,
                other => {
                    return Err(Error::invalid_param(
                        name,
                        format!("must be \"l1\", \"l2\", \"elasticnet\" or None, got {other}"),
                    ));
                }
            },
            "fit_intercept" => self.fit_intercept = value.as_bool(name)?,
            "tol" => self.tol = value.as_f64(name)?,
            "max_iter" => self.max_iter = value.as_usize(name)?,
            "solver" => {
                self.solver = match value.as_str(name)? {
                    // Same objective, same optimum: our proximal Newton minimises it.
                    "saga" => Solver::ProximalNewton,
                    s @ ("liblinear" | "sag" | "newton-cg" | "newton-cholesky") => {
                        return Err(Error::invalid_param(
                            name,
                            format!(
                                "solver {s:?} is not available: use \"lbfgs\" (l1_ratio = 0), \"saga\" or \"proximal_newton\"{}",
                                if s == "liblinear" {
                                    " (liblinear penalises the intercept and fits one-vs-rest, a different optimum)"
                                } else {
                                    ""
                                }
                            ),
                        ));
                    }
                    _ => Solver::from_param(value)?,
                }
            }
            "n_jobs" => self.n_jobs = value.as_opt_usize(name)?,
            "class_weight" => self.class_weight = ClassWeight::parse(name, value)?,
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

/// The penalised mean log-loss and its gradient, computed together by row blocks.
///
/// Parameters are laid out as `W` (`k x p`, row-major) followed by the `k` intercepts when
/// there is an intercept; `k = 1` for two classes (binomial loss), the number of classes
/// otherwise (multinomial loss). With sample weights `w`, the loss is `1/S Σ w_i loss_i` and
/// the penalty `1/(2·C·S) ‖W‖²`, `S = Σ w_i` (scikit-learn's scaling).
struct Objective<'a, 'b> {
    x: ArrayView2<'a, f64>,
    y: &'b [usize],
    sw: Option<&'b [f64]>,
    k: usize,
    fit_intercept: bool,
    l2: f64,
    inv_n: f64,
    chunks: Vec<Range<usize>>,
}

/// `log(1 + exp(z))` without overflow.
#[inline]
pub(super) fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// `1 / (1 + exp(-z))` without overflow.
#[inline]
pub(super) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl<'a, 'b> Objective<'a, 'b> {
    fn new(
        x: ArrayView2<'a, f64>,
        y: &'b [usize],
        sw: Option<&'b [f64]>,
        n_classes: usize,
        fit_intercept: bool,
        c: f64,
    ) -> Self {
        let (n, p) = x.dim();
        let total = sw.map_or(n as f64, |w| w.iter().sum());
        let k = if n_classes == 2 { 1 } else { n_classes };
        // Blocks of about 64 KiB of X per pass (a size that depends on the width only, so the
        // reduction order and the result do not depend on the thread count).
        let rows = ((1usize << 13) / p.max(1)).clamp(64, 4096);
        let chunks = oxlearn_core::parallel::fixed_chunks(n, rows).collect();
        Objective { x, y, sw, k, fit_intercept, l2: 1.0 / (c * total), inv_n: 1.0 / total, chunks }
    }

    fn n_params(&self) -> usize {
        self.k * (self.x.ncols() + usize::from(self.fit_intercept))
    }

    /// Loss sum, `Gᵀ X_b` and the column sums of `G` for one block of rows.
    fn block(&self, w: ArrayView2<'_, f64>, b: Option<&[f64]>, rows: Range<usize>) -> (f64, Array2<f64>, Array1<f64>) {
        let xb = self.x.slice(s![rows.clone(), ..]);
        let m = rows.len();
        let k = self.k;
        if k == 1 {
            let b = b.map_or(0.0, |b| b[0]);
            return match self.sw {
                None => self.binary_block(xb, w.row(0), b, &self.y[rows]),
                Some(sw) => binary_block_weighted(xb, w.row(0), b, &self.y[rows.clone()], &sw[rows]),
            };
        }
        let mut z = Array2::<f64>::zeros((m, k));
        general_mat_mul(1.0, &xb, &w.t(), 0.0, &mut z);
        if let Some(b) = b {
            z.rows_mut().into_iter().for_each(|mut r| r.iter_mut().zip(b).for_each(|(v, bi)| *v += bi));
        }
        let y = &self.y[rows.clone()];
        let sw = self.sw.map(|sw| &sw[rows]);
        let mut loss = 0.0;
        if k == 1 {
            for (zi, &yi) in z.iter_mut().zip(y) {
                let t = if yi == 1 { 1.0 } else { 0.0 };
                loss += softplus(*zi) - t * *zi;
                *zi = sigmoid(*zi) - t;
            }
        } else {
            for (q, (mut zr, &yi)) in z.rows_mut().into_iter().zip(y).enumerate() {
                let max = zr.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                zr.iter_mut().for_each(|v| {
                    *v = (*v - max).exp();
                    sum += *v;
                });
                // loss = logsumexp(z) - z_y = ln(sum) - (z_y - max) = ln(sum) - ln(e_y)
                let row_loss = sum.ln() - zr[yi].ln();
                let inv = 1.0 / sum;
                zr.iter_mut().for_each(|v| *v *= inv);
                zr[yi] -= 1.0;
                match sw {
                    None => loss += row_loss,
                    Some(sw) => {
                        loss += sw[q] * row_loss;
                        zr.iter_mut().for_each(|v| *v *= sw[q]);
                    }
                }
            }
        }
        let mut gw = Array2::<f64>::zeros((k, self.x.ncols()));
        general_mat_mul(1.0, &z.t(), &xb, 0.0, &mut gw);
        let gb = z.sum_axis(Axis(0));
        (loss, gw, gb)
    }

    /// The binary case of [`Self::block`] in one pass over the rows: each row's margin, loss
    /// and gradient contribution while the row is in cache (two GEMMs with packing cost more
    /// than the arithmetic for a single output column).
    fn binary_block(
        &self,
        xb: ArrayView2<'_, f64>,
        w: ArrayView1<'_, f64>,
        b: f64,
        y: &[usize],
    ) -> (f64, Array2<f64>, Array1<f64>) {
        let mut gw = Array2::<f64>::zeros((1, xb.ncols()));
        let (mut loss, mut gb) = (0.0, 0.0);
        {
            let mut g = gw.row_mut(0);
            for (xi, &yi) in xb.rows().into_iter().zip(y) {
                let zi = xi.dot(&w) + b;
                let t = if yi == 1 { 1.0 } else { 0.0 };
                // softplus(z) = max(z, 0) + ln(1 + e) and sigmoid(z) from one e = exp(-|z|).
                let e = (-zi.abs()).exp();
                loss += zi.max(0.0) + e.ln_1p() - t * zi;
                let gi = if zi >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) } - t;
                g.scaled_add(gi, &xi);
                gb += gi;
            }
        }
        (loss, gw, Array1::from_elem(1, gb))
    }

    /// The objective at `params`; writes the gradient into `grad`.
    fn eval(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        let p = self.x.ncols();
        let k = self.k;
        let w = ArrayView2::from_shape((k, p), &params[..k * p]).expect("parameter layout");
        let b = self.fit_intercept.then(|| &params[k * p..]);
        let parts: Vec<(f64, Array2<f64>, Array1<f64>)> = if self.chunks.len() > 1 {
            self.chunks.par_iter().map(|r| self.block(w, b, r.clone())).collect()
        } else {
            self.chunks.iter().map(|r| self.block(w, b, r.clone())).collect()
        };
        let mut loss = 0.0;
        let mut gw = Array2::<f64>::zeros((k, p));
        let mut gb = Array1::<f64>::zeros(k);
        for (l, g, gbi) in &parts {
            loss += l;
            gw += g;
            gb += gbi;
        }
        let inv_n = self.inv_n;
        let w_sq: f64 = w.iter().map(|v| v * v).sum();
        let f = loss * inv_n + 0.5 * self.l2 * w_sq;
        for ((gi, gwi), wi) in grad[..k * p].iter_mut().zip(gw.iter()).zip(w.iter()) {
            *gi = gwi * inv_n + self.l2 * wi;
        }
        if self.fit_intercept {
            for (gi, gbi) in grad[k * p..].iter_mut().zip(gb.iter()) {
                *gi = gbi * inv_n;
            }
        }
        f
    }
}

/// [`Objective::binary_block`] with a weight per row (`sw[q]` for row `q` of the block); a
/// separate loop, so the unweighted one stays as it was.
fn binary_block_weighted(
    xb: ArrayView2<'_, f64>,
    w: ArrayView1<'_, f64>,
    b: f64,
    y: &[usize],
    sw: &[f64],
) -> (f64, Array2<f64>, Array1<f64>) {
    let mut gw = Array2::<f64>::zeros((1, xb.ncols()));
    let (mut loss, mut gb) = (0.0, 0.0);
    {
        let mut g = gw.row_mut(0);
        for ((xi, &yi), &wq) in xb.rows().into_iter().zip(y).zip(sw) {
            let zi = xi.dot(&w) + b;
            let t = if yi == 1 { 1.0 } else { 0.0 };
            let e = (-zi.abs()).exp();
            loss += wq * (zi.max(0.0) + e.ln_1p() - t * zi);
            let gi = wq * (if zi >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) } - t);
            g.scaled_add(gi, &xi);
            gb += gi;
        }
    }
    (loss, gw, Array1::from_elem(1, gb))
}

/// The most parameters (`k·(p+1)`) the proximal Newton method takes (more go to the proximal
/// gradient method): its dense Hessian then has
/// up to 16.8 million entries (128 MiB), and one coordinate-descent sweep as many operations.
const MAX_NEWTON_PARAMS: usize = 4096;

impl LogisticRegression {
    /// [`Solver::Auto`] resolved: L-BFGS for the L2 penalty (or none), proximal Newton when
    /// `l1_ratio > 0` and `C` is finite.
    fn resolved_solver(&self) -> Solver {
        match self.solver {
            Solver::Auto if self.l1_ratio > 0.0 && self.c.is_finite() => Solver::ProximalNewton,
            Solver::Auto => Solver::Lbfgs,
            s => s,
        }
    }

    /// Proximal Newton up to [`MAX_NEWTON_PARAMS`] parameters (`n_params`), proximal gradient
    /// beyond.
    fn fit_proximal_newton(
        &self,
        problem: &logistic_newton::Problem<'_, '_>,
        n_params: usize,
    ) -> logistic_newton::Outcome {
        let start = Instant::now();
        let opts = logistic_newton::Options { max_iter: self.max_iter, tol: self.tol };
        let report = |iteration, loss, gmax| self.report(start, iteration, loss, ("max_abs_subgradient", gmax));
        if n_params > MAX_NEWTON_PARAMS {
            problem.minimize_gradient(&opts, report)
        } else {
            problem.minimize(&opts, report)
        }
    }

    /// Reports one solver iteration (objective and one metric) to the callback; `true` stops.
    fn report(&self, start: Instant, iteration: usize, loss: f64, metric: (&'static str, f64)) -> bool {
        let metrics = [metric];
        let progress = Progress {
            estimator: Self::NAME,
            iteration,
            total: Some(self.max_iter),
            loss: Some(loss),
            metrics: &metrics,
            elapsed: start.elapsed(),
        };
        self.callback.report(&progress)
    }

    fn fit_lbfgs(&self, obj: &Objective<'_, '_>) -> (Vec<f64>, usize, bool) {
        let start = Instant::now();
        let opts = lbfgs::Options {
            max_iter: self.max_iter,
            gtol: self.tol,
            ftol: 64.0 * f64::EPSILON,
            memory: 10,
            maxls: 50,
        };
        let out = lbfgs::minimize(
            vec![0.0; obj.n_params()],
            |w, g| obj.eval(w, g),
            opts,
            |iteration, loss, gmax| self.report(start, iteration, loss, ("max_abs_gradient", gmax)),
        );
        (out.x, out.n_iter, out.converged)
    }
}

impl Classifier for LogisticRegression {
    type Fitted<L: ClassLabel> = FittedLogisticRegression<L>;

    fn fit_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
    ) -> Result<FittedLogisticRegression<L>> {
        self.fit_with(x, y, None)
    }

    fn fit_weighted_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedLogisticRegression<L>> {
        self.fit_with(x, y, Some(sample_weight))
    }
}

impl LogisticRegression {
    /// The fit, with optional sample weights; without weights and class weights it is the
    /// unweighted objective exactly.
    fn fit_with<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<FittedLogisticRegression<L>> {
        let n_classes = y.n_classes();
        let p = x.ncols();
        let labels = y.y.as_slice().map(<[usize]>::to_vec).unwrap_or_else(|| y.y.to_vec());
        let weights: Option<Vec<f64>> = match (&self.class_weight, sample_weight) {
            (None, None) => None,
            (None, Some(sw)) => Some(sw.to_vec()),
            (Some(cw), sw) => Some(cw.sample_weights(&y.classes, y.y.view(), sw)?.to_vec()),
        };
        if weights.is_some() && self.solver == Solver::Linfa {
            return Err(Error::invalid_param("solver", "solver linfa does not support sample weights"));
        }
        if weights.as_ref().is_some_and(|w| w.iter().sum::<f64>() <= 0.0) {
            return Err(Error::InvalidInput(format!(
                "{}: the class weights times the sample weights are all zero",
                Self::NAME
            )));
        }
        let obj = Objective::new(x, &labels, weights.as_deref(), n_classes, self.fit_intercept, self.c);
        let k = obj.k;
        let solver = self.resolved_solver();
        let n_params = k * (p + 1);
        let (coef, intercept, n_iter, converged) =
            oxlearn_core::parallel::with_n_jobs(self.n_jobs, || -> Result<_> {
                if solver == Solver::ProximalNewton {
                    let problem = logistic_newton::Problem::new(
                        x,
                        &labels,
                        weights.as_deref(),
                        n_classes,
                        self.fit_intercept,
                        self.c,
                        self.l1_ratio,
                    );
                    let out = self.fit_proximal_newton(&problem, n_params);
                    Ok((out.coef, out.intercept, Some(out.n_iter), out.converged))
                } else if solver == Solver::Linfa {
                    let (coef, intercept) = linfa_backend::logistic_regression(
                        x,
                        y.y.view(),
                        n_classes,
                        self.c,
                        self.fit_intercept,
                        self.tol,
                        self.max_iter,
                    )?;
                    // linfa does not report convergence: check scikit-learn's criterion ourselves.
                    let mut params: Vec<f64> = coef.iter().copied().collect();
                    if self.fit_intercept {
                        params.extend(intercept.iter());
                    }
                    let mut grad = vec![0.0; params.len()];
                    obj.eval(&params, &mut grad);
                    let gmax = grad.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    Ok((coef, intercept, None, gmax <= self.tol))
                } else {
                    let (w, n_iter, converged) = self.fit_lbfgs(&obj);
                    let coef = Array2::from_shape_vec((k, p), w[..k * p].to_vec()).expect("parameter layout");
                    let intercept =
                        if self.fit_intercept { Array1::from(w[k * p..].to_vec()) } else { Array1::zeros(k) };
                    Ok((coef, intercept, Some(n_iter), converged))
                }
            })??;
        Ok(FittedLogisticRegression {
            classes: y.classes,
            coef,
            intercept,
            n_iter,
            converged,
            solver,
            n_features_in: p,
        })
    }
}

impl<L: ClassLabel> Fitted for FittedLogisticRegression<L> {
    const NAME: &'static str = "LogisticRegression";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    /// Shape only: the predictions check finiteness fused with the product.
    fn check_x<'a>(&self, x: ArrayView2<'a, f64>) -> Result<ArrayView2<'a, f64>> {
        oxlearn_core::validate::check_predict_shape(Self::NAME, self.n_features_in, x)?;
        Ok(x)
    }
}

impl<L: ClassLabel> FittedClassifier<L> for FittedLogisticRegression<L> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let z = self.raw_scores(x)?;
        Ok(if self.coef.nrows() == 1 {
            z.column(0).mapv(|v| usize::from(v > 0.0))
        } else {
            z.rows()
                .into_iter()
                .map(|r| {
                    let mut best = 0;
                    for (j, &v) in r.iter().enumerate() {
                        if v > r[best] {
                            best = j;
                        }
                    }
                    best
                })
                .collect()
        })
    }

    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let z = self.raw_scores(x)?;
        if self.coef.nrows() == 1 {
            let mut out = Array2::zeros((x.nrows(), 2));
            for (mut row, &zi) in out.rows_mut().into_iter().zip(z.column(0)) {
                let p1 = sigmoid(zi);
                row[0] = 1.0 - p1;
                row[1] = p1;
            }
            Ok(out)
        } else {
            let mut out = z;
            for mut row in out.rows_mut() {
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                row.mapv_inplace(|v| (v - max).exp());
                let sum = row.sum();
                row.mapv_inplace(|v| v / sum);
            }
            Ok(out)
        }
    }

    fn decision_function_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.raw_scores(x)
    }
}

impl<L: ClassLabel> ProbabilisticClassifier<L> for FittedLogisticRegression<L> {}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn blobs(k: usize) -> (Array2<f64>, Array1<i64>) {
        let n = 60 * k;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| {
            let c = (i % k) as f64;
            c * if j == 0 { 4.0 } else { -2.0 } + ((i * 37 + j * 11) % 19) as f64 / 9.0 - 1.0
        });
        let y = Array1::from_shape_fn(n, |i| (i % k) as i64 * 10 - 5);
        (x, y)
    }

    /// The fused loss and gradient against central differences, unweighted and weighted.
    #[test]
    fn gradient_matches_finite_differences() {
        for k in [2, 3] {
            let (x, y) = blobs(k);
            let labels: Vec<usize> = EncodedLabels::encode(y.view()).y.to_vec();
            let sw: Vec<f64> = (0..labels.len()).map(|i| ((i * 5) % 7) as f64 * 0.3).collect();
            for weights in [None, Some(&sw[..])] {
                let obj = Objective::new(x.view(), &labels, weights, k, true, 0.7);
                let w: Vec<f64> = (0..obj.n_params()).map(|i| ((i * 7) % 5) as f64 * 0.1 - 0.2).collect();
                let mut g = vec![0.0; w.len()];
                obj.eval(&w, &mut g);
                let mut scratch = vec![0.0; w.len()];
                for i in 0..w.len() {
                    let h = 1e-6;
                    let mut wp = w.clone();
                    wp[i] += h;
                    let fp = obj.eval(&wp, &mut scratch);
                    wp[i] -= 2.0 * h;
                    let fm = obj.eval(&wp, &mut scratch);
                    let weighted = weights.is_some();
                    assert!(((fp - fm) / (2.0 * h) - g[i]).abs() < 1e-7, "k={k} i={i} weighted={weighted}");
                }
            }
        }
    }

    #[test]
    fn binary_and_multinomial_agree_with_linfa() {
        for k in [2, 3] {
            let (x, y) = blobs(k);
            let ours = LogisticRegression::default().tol(1e-8).max_iter(1000).fit(&x, &y).unwrap();
            assert!(ours.converged());
            let theirs =
                LogisticRegression::default().solver(Solver::Linfa).tol(1e-8).max_iter(1000).fit(&x, &y).unwrap();
            assert_eq!(ours.coef().dim(), theirs.coef().dim());
            let pa = ours.predict_proba(&x).unwrap();
            let pb = theirs.predict_proba(&x).unwrap();
            for (a, b) in pa.iter().zip(pb.iter()) {
                assert!((a - b).abs() < 1e-4, "k={k}: {a} vs {b}");
            }
            assert_eq!(ours.predict(&x).unwrap(), theirs.predict(&x).unwrap());
            assert!(ours.score(&x, &y).unwrap() > 0.9);
        }
    }

    #[test]
    fn params_are_checked() {
        let x = array![[0.0], [1.0]];
        let y = array![0, 1];
        for bad in [
            LogisticRegression::default().c(0.0),
            LogisticRegression::default().l1_ratio(1.5),
            LogisticRegression::default().l1_ratio(f64::NAN),
            LogisticRegression::default().l1_ratio(-0.1),
            LogisticRegression::default().l1_ratio(0.5).solver(Solver::Lbfgs),
            LogisticRegression::default().l1_ratio(0.5).solver(Solver::Linfa),
            LogisticRegression::default().solver(Solver::Svd),
        ] {
            assert!(matches!(bad.fit(&x, &y), Err(Error::InvalidParam { .. })));
        }
        let one_class = array![1, 1];
        assert!(LogisticRegression::default().fit(&x, &one_class).is_err());
    }
}
