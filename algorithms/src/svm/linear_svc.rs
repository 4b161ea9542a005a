//! [`LinearSVC`]: linear support vector classification with the squared hinge loss, solved by
//! liblinear's dual coordinate descent (Hsieh et al. 2008) with its shrinking.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use oxlearn_core::{
    Callback, ClassLabel, Classifier, ClassifierKind, EncodedLabels, Error, Estimator, Fitted, FittedClassifier,
    ParamValue, Progress, Result, Tags,
};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::ClassWeight;

/// Linear support vector classification: scikit-learn's `LinearSVC` (liblinear).
///
/// Minimizes `1/2 ||w||^2 + C sum_i max(0, 1 - y_i (w x_i + b))^2` (squared hinge, L2 penalty)
/// by liblinear's dual coordinate descent: each epoch visits the active dual variables in a
/// random order (drawn from `seed`), and variables stuck at a bound are shrunk away until the
/// projected-gradient spread falls under `tol`. The intercept is learned as the weight of a
/// constant feature of value `intercept_scaling`, so it is regularized, as in liblinear.
/// More than two classes: one-vs-rest.
///
/// Hyper-parameters (scikit-learn's defaults): `c` = 1.0, `tol` = 1e-4, `max_iter` = 1000
/// (epochs of the dual solver, Newton steps of the primal one),
/// `fit_intercept` = true, `intercept_scaling` = 1.0, `seed` = None (`random_state`).
/// `dual` = None (scikit-learn's `"auto"`: the primal problem when `n_samples > n_features`,
/// as scikit-learn decides for this loss and penalty): the primal is solved by a Newton method
/// with conjugate-gradient steps and a backtracking line search (liblinear's newer `NEWTON`
/// solver without its preconditioner), stopping as liblinear when `||grad|| <= tol *
/// max(min(n_pos, n_neg), 1) / n * ||grad(0)||`; `Some(true)` forces the dual solver,
/// `Some(false)` the primal one. Both reach the same optimum to the tolerance.
/// `class_weight` = None ([`ClassWeight::Balanced`] or an explicit map): as liblinear, sample
/// `i` gets `C · w_i` in place of `C`, with `w_i` its class's weight for two classes, and in
/// each one-vs-rest problem the positive class's weight for its samples (1 for the rest).
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// multiplies each sample's `C` by its weight (times the class weight); samples of weight 0
/// are left out. As with `C`, uniform weights `c` act as `C · c`.
/// Not implemented: `penalty="l1"`, `loss="hinge"`, `multi_class="crammer_singer"`.
///
/// Fitted accessors: `coef()` (`(1, n_features)` for two classes, else `(n_classes,
/// n_features)`), `intercept()`, `n_iter()` (the largest over the binary fits), `converged()`.
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::LinearSVC;
/// let x = ndarray::array![[0.0, 0.0], [0.2, 0.1], [1.0, 1.0], [0.9, 1.1]];
/// let y = ndarray::array![0, 0, 1, 1];
/// let model = LinearSVC::default().c(10.0).seed(0).fit(&x, &y)?;
/// assert_eq!(model.predict(&x)?.to_vec(), vec![0, 0, 1, 1]);
/// assert_eq!(model.coef().dim(), (1, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSVC {
    c: f64,
    tol: f64,
    max_iter: usize,
    fit_intercept: bool,
    intercept_scaling: f64,
    dual: Option<bool>,
    seed: Option<u64>,
    callback: Callback,
    class_weight: Option<ClassWeight>,
}

impl Default for LinearSVC {
    fn default() -> Self {
        LinearSVC {
            c: 1.0,
            tol: 1e-4,
            max_iter: 1000,
            fit_intercept: true,
            intercept_scaling: 1.0,
            dual: None,
            seed: None,
            callback: Callback::none(),
            class_weight: None,
        }
    }
}

impl LinearSVC {
    /// Regularization `C` (> 0; default 1.0).
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }
    /// Stopping tolerance on the projected-gradient spread (default 1e-4).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Maximum number of epochs per binary fit (default 1000).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }
    /// Whether to learn an intercept (default true).
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }
    /// Value of the synthetic constant feature (default 1.0).
    pub fn intercept_scaling(mut self, v: f64) -> Self {
        self.intercept_scaling = v;
        self
    }
    /// Which problem to solve: `None` = scikit-learn's `"auto"` (primal when
    /// `n_samples > n_features`), `Some(true)` the dual, `Some(false)` the primal.
    pub fn dual(mut self, dual: Option<bool>) -> Self {
        self.dual = dual;
        self
    }
    /// Seed of the coordinate order (`random_state`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Progress callback (one report per epoch).
    pub fn callback(mut self, callback: Callback) -> Self {
        self.callback = callback;
        self
    }
    /// Weights of the classes (scikit-learn's `class_weight`; default `None`: all 1).
    pub fn class_weight(mut self, v: impl Into<Option<ClassWeight>>) -> Self {
        self.class_weight = v.into();
        self
    }
}

impl Estimator for LinearSVC {
    const NAME: &'static str = "LinearSVC";
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        Tags { non_deterministic: true, sample_weight: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        if let Some(cw) = &self.class_weight {
            cw.check(false)?;
        }
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Err(Error::invalid_param("C", format!("must be positive and finite, got {}", self.c)));
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(Error::invalid_param("tol", format!("must be positive, got {}", self.tol)));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid_param("max_iter", "must be positive, got 0"));
        }
        if !(self.intercept_scaling > 0.0 && self.intercept_scaling.is_finite()) {
            return Err(Error::invalid_param(
                "intercept_scaling",
                format!("must be positive, got {}", self.intercept_scaling),
            ));
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "C" | "c" => self.c = value.as_f64(name)?,
            "tol" => self.tol = value.as_f64(name)?,
            "max_iter" => self.max_iter = value.as_usize(name)?,
            "fit_intercept" => self.fit_intercept = value.as_bool(name)?,
            "intercept_scaling" => self.intercept_scaling = value.as_f64(name)?,
            "dual" => {
                self.dual = match value {
                    ParamValue::Str(s) if s == "auto" => None,
                    other => Some(other.as_bool(name)?),
                }
            }
            "random_state" | "seed" => self.seed = value.as_opt_usize(name)?.map(|s| s as u64),
            "class_weight" => self.class_weight = ClassWeight::parse(name, value)?,
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

/// A fitted [`LinearSVC`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedLinearSVC<L> {
    classes: Vec<L>,
    coef: Array2<f64>,
    intercept: Array1<f64>,
    n_iter: usize,
    converged: bool,
}

impl<L> FittedLinearSVC<L> {
    /// Weights (`coef_`).
    pub fn coef(&self) -> ArrayView2<'_, f64> {
        self.coef.view()
    }
    /// Intercepts (`intercept_`).
    pub fn intercept(&self) -> ArrayView1<'_, f64> {
        self.intercept.view()
    }
    /// Epochs of the slowest binary fit (`n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// False when a binary fit reached `max_iter` (or was stopped by the callback).
    pub fn converged(&self) -> bool {
        self.converged
    }
}

/// Each sample's `C` and its dual diagonal `1 / (2 C)`. `Copy`, so the solvers hold it in
/// locals (the uniform one's constants stay in registers).
trait Cost: Sync + Copy {
    fn c(&self, i: usize) -> f64;
    fn diag(&self, i: usize) -> f64;

    /// The dual solver for this kind of cost.
    fn dual(cd: &DualCd<'_, '_, Self>, y: &[f64], rng: &mut Xoshiro256PlusPlus) -> (Array1<f64>, f64, usize, bool) {
        cd.solve(y, rng)
    }
}

/// One `C` for every sample (no weights): the solver compiles to its loops without weights.
#[derive(Clone, Copy)]
struct Uniform {
    c: f64,
    diag: f64,
}

impl Cost for Uniform {
    #[inline(always)]
    fn c(&self, _: usize) -> f64 {
        self.c
    }
    #[inline(always)]
    fn diag(&self, _: usize) -> f64 {
        self.diag
    }
    fn dual(cd: &DualCd<'_, '_, Self>, y: &[f64], rng: &mut Xoshiro256PlusPlus) -> (Array1<f64>, f64, usize, bool) {
        cd.solve_uniform(y, rng)
    }
}

/// A `C` per sample (sample and class weights).
#[derive(Clone, Copy)]
struct PerSample<'a> {
    c: &'a [f64],
    diag: &'a [f64],
}

impl Cost for PerSample<'_> {
    #[inline(always)]
    fn c(&self, i: usize) -> f64 {
        self.c[i]
    }
    #[inline(always)]
    fn diag(&self, i: usize) -> f64 {
        self.diag[i]
    }
}

/// The squared-hinge problem of one binary fit, sample `i` with cost `cost.c(i)`.
struct DualCd<'a, 'b, K> {
    x: ArrayView2<'b, f64>,
    bias: f64,
    cost: K,
    tol: f64,
    max_iter: usize,
    callback: &'a Callback,
}

impl DualCd<'_, '_, Uniform> {
    /// liblinear's `solve_l2r_l1l2_svc` for the squared hinge with one `C` for all samples: the
    /// loop as it was before weights (the generic [`DualCd::solve`] with a uniform cost
    /// measured ~5% slower).
    fn solve_uniform(&self, y: &[f64], rng: &mut Xoshiro256PlusPlus) -> (Array1<f64>, f64, usize, bool) {
        let l = y.len();
        let d = self.x.ncols();
        let diag = self.cost.diag;
        let mut w = Array1::<f64>::zeros(d);
        let mut wb = 0.0;
        let mut alpha = vec![0.0; l];
        let qd: Vec<f64> = self.x.axis_iter(Axis(0)).map(|r| r.dot(&r) + self.bias * self.bias + diag).collect();
        let mut index: Vec<usize> = (0..l).collect();
        let mut active = l;
        // The squared hinge has no upper bound on alpha, so only the lower-bound shrinking applies.
        let mut pg_max_old = f64::INFINITY;
        let mut iter = 0;
        let started = std::time::Instant::now();
        let mut converged = false;
        while iter < self.max_iter {
            let (mut pg_max_new, mut pg_min_new) = (f64::NEG_INFINITY, f64::INFINITY);
            for i in 0..active {
                let j = rng.gen_range(i..active);
                index.swap(i, j);
            }
            let mut s = 0;
            while s < active {
                let i = index[s];
                let yi = y[i];
                let xi = self.x.row(i);
                let g = yi * (w.dot(&xi) + wb * self.bias) - 1.0 + alpha[i] * diag;
                let mut pg = 0.0;
                if alpha[i] == 0.0 {
                    if g > pg_max_old {
                        active -= 1;
                        index.swap(s, active);
                        continue;
                    } else if g < 0.0 {
                        pg = g;
                    }
                } else {
                    pg = g;
                }
                pg_max_new = pg_max_new.max(pg);
                pg_min_new = pg_min_new.min(pg);
                if pg.abs() > 1e-12 {
                    let old = alpha[i];
                    alpha[i] = (alpha[i] - g / qd[i]).max(0.0);
                    let step = (alpha[i] - old) * yi;
                    w.scaled_add(step, &xi);
                    wb += step * self.bias;
                }
                s += 1;
            }
            iter += 1;
            let progress = Progress {
                estimator: "LinearSVC",
                iteration: iter,
                total: Some(self.max_iter),
                loss: None,
                metrics: &[("pg_spread", pg_max_new - pg_min_new)],
                elapsed: started.elapsed(),
            };
            if self.callback.report(&progress) {
                break;
            }
            if pg_max_new - pg_min_new <= self.tol {
                if active == l {
                    converged = true;
                    break;
                }
                active = l;
                pg_max_old = f64::INFINITY;
                continue;
            }
            pg_max_old = if pg_max_new <= 0.0 { f64::INFINITY } else { pg_max_new };
        }
        (w, wb * self.bias, iter, converged)
    }
}

impl<K: Cost> DualCd<'_, '_, K> {
    /// liblinear's `solve_l2r_l1l2_svc` for the squared hinge; returns `(w, b, iters, converged)`.
    /// Samples of cost 0 are left out.
    fn solve(&self, y: &[f64], rng: &mut Xoshiro256PlusPlus) -> (Array1<f64>, f64, usize, bool) {
        let l = y.len();
        let d = self.x.ncols();
        let cost = self.cost;
        let diag = |i: usize| cost.diag(i);
        let mut w = Array1::<f64>::zeros(d);
        let mut wb = 0.0;
        let mut alpha = vec![0.0; l];
        let qd: Vec<f64> =
            self.x.axis_iter(Axis(0)).enumerate().map(|(i, r)| r.dot(&r) + self.bias * self.bias + diag(i)).collect();
        let mut index: Vec<usize> = (0..l).filter(|&i| cost.c(i) > 0.0).collect();
        let n_used = index.len();
        let mut active = n_used;
        // The squared hinge has no upper bound on alpha, so only the lower-bound shrinking applies.
        let mut pg_max_old = f64::INFINITY;
        let mut iter = 0;
        let started = std::time::Instant::now();
        let mut converged = false;
        while iter < self.max_iter {
            let (mut pg_max_new, mut pg_min_new) = (f64::NEG_INFINITY, f64::INFINITY);
            for i in 0..active {
                let j = rng.gen_range(i..active);
                index.swap(i, j);
            }
            let mut s = 0;
            while s < active {
                let i = index[s];
                let yi = y[i];
                let xi = self.x.row(i);
                let g = yi * (w.dot(&xi) + wb * self.bias) - 1.0 + alpha[i] * diag(i);
                let mut pg = 0.0;
                if alpha[i] == 0.0 {
                    if g > pg_max_old {
                        active -= 1;
                        index.swap(s, active);
                        continue;
                    } else if g < 0.0 {
                        pg = g;
                    }
                } else {
                    pg = g;
                }
                pg_max_new = pg_max_new.max(pg);
                pg_min_new = pg_min_new.min(pg);
                if pg.abs() > 1e-12 {
                    let old = alpha[i];
                    alpha[i] = (alpha[i] - g / qd[i]).max(0.0);
                    let step = (alpha[i] - old) * yi;
                    w.scaled_add(step, &xi);
                    wb += step * self.bias;
                }
                s += 1;
            }
            iter += 1;
            let progress = Progress {
                estimator: "LinearSVC",
                iteration: iter,
                total: Some(self.max_iter),
                loss: None,
                metrics: &[("pg_spread", pg_max_new - pg_min_new)],
                elapsed: started.elapsed(),
            };
            if self.callback.report(&progress) {
                break;
            }
            if pg_max_new - pg_min_new <= self.tol {
                if active == n_used {
                    converged = true;
                    break;
                }
                active = n_used;
                pg_max_old = f64::INFINITY;
                continue;
            }
            pg_max_old = if pg_max_new <= 0.0 { f64::INFINITY } else { pg_max_new };
        }
        (w, wb * self.bias, iter, converged)
    }
}

impl<K: Cost> DualCd<'_, '_, K> {
    /// `z = X w + b * bias` (row-parallel product).
    fn scores(&self, w: &Array1<f64>, wb: f64) -> Array1<f64> {
        crate::linalg::matvec_rows(self.x, w.view(), wb * self.bias)
    }

    /// `Xᵀ r`, skipping the rows with `r_i = 0` (the non-violators): fixed blocks of rows
    /// summed in parallel (one contiguous `acc += r_i x_i` per row), added in block order, so
    /// the result does not depend on the thread count. ndarray's product of the transposed view
    /// walked `X` column by column with scalar code (most of the fit's time).
    fn xt_dot(&self, r: &Array1<f64>) -> Array1<f64> {
        use rayon::prelude::*;
        const BLOCK: usize = 4096;
        let (n, d) = self.x.dim();
        let x = self.x;
        let block = |b: usize| {
            let mut acc = vec![0.0; d];
            for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                let ri = r[i];
                if ri == 0.0 {
                    continue;
                }
                let row = x.row(i);
                match row.as_slice() {
                    Some(xs) => acc.iter_mut().zip(xs).for_each(|(a, &v)| *a += ri * v),
                    None => acc.iter_mut().zip(row.iter()).for_each(|(a, &v)| *a += ri * v),
                }
            }
            acc
        };
        let parts: Vec<Vec<f64>> = (0..n.div_ceil(BLOCK)).into_par_iter().map(block).collect();
        let mut out = Array1::<f64>::zeros(d);
        for p in &parts {
            out.iter_mut().zip(p).for_each(|(o, &v)| *o += v);
        }
        out
    }

    /// Objective and gradient of the squared-hinge primal at `(w, wb)`; `active[i]` marks
    /// margin violators.
    fn fun_grad(&self, y: &[f64], w: &Array1<f64>, wb: f64, active: &mut [bool]) -> (f64, Array1<f64>, f64) {
        let z = self.scores(w, wb);
        let mut f = 0.5 * (w.dot(w) + wb * wb);
        let mut r = Array1::zeros(y.len());
        for i in 0..y.len() {
            let m = y[i] * z[i];
            active[i] = m < 1.0;
            if active[i] {
                let c = self.cost.c(i);
                f += c * (1.0 - m) * (1.0 - m);
                r[i] = 2.0 * c * (z[i] - y[i]);
            }
        }
        let gw = w + &self.xt_dot(&r);
        let gb = wb + self.bias * r.sum();
        (f, gw, gb)
    }

    /// Hessian-vector product (generalized Hessian of the squared hinge).
    fn hess_vec(&self, active: &[bool], vw: &Array1<f64>, vb: f64) -> (Array1<f64>, f64) {
        let mut u = self.scores(vw, vb);
        for (i, (ui, &a)) in u.iter_mut().zip(active).enumerate() {
            *ui = if a { 2.0 * self.cost.c(i) * *ui } else { 0.0 };
        }
        (vw + &self.xt_dot(&u), vb + self.bias * u.sum())
    }

    /// The primal problem by Newton steps (conjugate gradient, backtracking line search), with
    /// liblinear's stopping rule; returns `(w, b, newton_iterations, converged)`.
    fn solve_primal(&self, y: &[f64]) -> (Array1<f64>, f64, usize, bool) {
        let l = y.len();
        let d = self.x.ncols();
        let pos = y.iter().filter(|&&v| v > 0.0).count();
        let eps = self.tol * (pos.min(l - pos).max(1) as f64) / l as f64;
        let mut w = Array1::<f64>::zeros(d);
        let mut wb = 0.0;
        let mut active = vec![false; l];
        let (mut f, mut gw, mut gb) = self.fun_grad(y, &w, wb, &mut active);
        let norm = |a: &Array1<f64>, b: f64| (a.dot(a) + b * b).sqrt();
        let gnorm0 = norm(&gw, gb);
        let started = std::time::Instant::now();
        let mut iter = 0;
        let mut converged = gnorm0 == 0.0;
        while !converged && iter < self.max_iter {
            iter += 1;
            // Conjugate gradient on H s = -g, to a relative residual of 0.1.
            let gnorm = norm(&gw, gb);
            let (mut sw, mut sb) = (Array1::<f64>::zeros(d), 0.0);
            let (mut rw, mut rb) = (-&gw, -gb);
            let (mut pw, mut pb) = (rw.clone(), rb);
            let mut rr = rw.dot(&rw) + rb * rb;
            for _ in 0..d + 1 {
                if rr.sqrt() <= 0.1 * gnorm {
                    break;
                }
                let (hw, hb) = self.hess_vec(&active, &pw, pb);
                let alpha = rr / (pw.dot(&hw) + pb * hb);
                sw.scaled_add(alpha, &pw);
                sb += alpha * pb;
                rw.scaled_add(-alpha, &hw);
                rb -= alpha * hb;
                let rr_new = rw.dot(&rw) + rb * rb;
                let beta = rr_new / rr;
                pw = &rw + &(&pw * beta);
                pb = rb + beta * pb;
                rr = rr_new;
            }
            // Backtracking line search (Armijo, eta = 0.01).
            let gts = gw.dot(&sw) + gb * sb;
            let mut step = 1.0;
            let mut accepted = false;
            let mut trial_active = vec![false; l];
            for _ in 0..20 {
                let tw = &w + &(&sw * step);
                let tb = wb + step * sb;
                let (tf, tgw, tgb) = self.fun_grad(y, &tw, tb, &mut trial_active);
                if tf - f <= 0.01 * step * gts {
                    (w, wb, f, gw, gb) = (tw, tb, tf, tgw, tgb);
                    std::mem::swap(&mut active, &mut trial_active);
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            let gnorm = norm(&gw, gb);
            let progress = Progress {
                estimator: "LinearSVC",
                iteration: iter,
                total: Some(self.max_iter),
                loss: Some(f),
                metrics: &[("grad_norm", gnorm)],
                elapsed: started.elapsed(),
            };
            if gnorm <= eps * gnorm0 {
                converged = true;
            }
            if !accepted || self.callback.report(&progress) {
                break;
            }
        }
        (w, wb * self.bias, iter, converged)
    }
}

impl Classifier for LinearSVC {
    type Fitted<L: ClassLabel> = FittedLinearSVC<L>;

    fn fit_checked<L: ClassLabel>(&self, x: ArrayView2<'_, f64>, y: EncodedLabels<L>) -> Result<FittedLinearSVC<L>> {
        self.fit_with(x, y, None)
    }

    fn fit_weighted_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedLinearSVC<L>> {
        self.fit_with(x, y, Some(sample_weight))
    }
}

impl LinearSVC {
    /// One binary fit, sample `i` with cost `cost.c(i)`.
    fn solve_one<K: Cost>(
        &self,
        x: ArrayView2<'_, f64>,
        target: &[f64],
        cost: K,
        use_dual: bool,
        rng: &mut Xoshiro256PlusPlus,
    ) -> (Array1<f64>, f64, usize, bool) {
        let solver = DualCd {
            x,
            bias: if self.fit_intercept { self.intercept_scaling } else { 0.0 },
            cost,
            tol: self.tol,
            max_iter: self.max_iter,
            callback: &self.callback,
        };
        if use_dual { K::dual(&solver, target, rng) } else { solver.solve_primal(target) }
    }

    /// The fit, with optional sample weights; without them and without class weights, exactly
    /// the unweighted fit.
    fn fit_with<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<FittedLinearSVC<L>> {
        let k = y.n_classes();
        let mut rng = match self.seed {
            Some(s) => Xoshiro256PlusPlus::seed_from_u64(s),
            None => Xoshiro256PlusPlus::from_entropy(),
        };
        let use_dual = self.dual.unwrap_or(x.nrows() <= x.ncols());
        let per_class = match &self.class_weight {
            Some(cw) => Some(cw.per_class(&y.classes, y.y.view())?),
            None => None,
        };
        let weighted = per_class.is_some() || sample_weight.is_some();
        let positives: Vec<usize> = if k == 2 { vec![1] } else { (0..k).collect() };
        let mut coef = Array2::zeros((positives.len(), x.ncols()));
        let mut intercept = Array1::zeros(positives.len());
        let (mut n_iter, mut converged) = (0, true);
        for (row, &cls) in positives.iter().enumerate() {
            let target: Vec<f64> = y.y.iter().map(|&c| if c == cls { 1.0 } else { -1.0 }).collect();
            let (w, b, it, conv) = if weighted {
                // liblinear's weighted C: the class weight of each sample for two classes, of
                // the positive class only in a one-vs-rest problem; times the sample weight.
                let costs: Vec<f64> =
                    y.y.iter()
                        .enumerate()
                        .map(|(i, &c)| {
                            let cw = per_class.as_ref().map_or(1.0, |pc| {
                                if k == 2 {
                                    pc[c]
                                } else if c == cls {
                                    pc[cls]
                                } else {
                                    1.0
                                }
                            });
                            self.c * cw * sample_weight.map_or(1.0, |sw| sw[i])
                        })
                        .collect();
                if !costs.iter().any(|&c| c > 0.0) {
                    return Err(Error::InvalidInput(format!(
                        "{}: the sample weights (times the class weights) are all zero",
                        Self::NAME
                    )));
                }
                let diag: Vec<f64> = costs.iter().map(|&c| 0.5 / c).collect();
                self.solve_one(x, &target, PerSample { c: &costs, diag: &diag }, use_dual, &mut rng)
            } else {
                self.solve_one(x, &target, Uniform { c: self.c, diag: 0.5 / self.c }, use_dual, &mut rng)
            };
            coef.row_mut(row).assign(&w);
            intercept[row] = b;
            n_iter = n_iter.max(it);
            converged &= conv;
        }
        Ok(FittedLinearSVC { classes: y.classes, coef, intercept, n_iter, converged })
    }
}

impl<L: ClassLabel> Fitted for FittedLinearSVC<L> {
    const NAME: &'static str = "LinearSVC";
    fn n_features_in(&self) -> usize {
        self.coef.ncols()
    }
    /// Shape only: the predictions check finiteness fused with the product.
    fn check_x<'a>(&self, x: ArrayView2<'a, f64>) -> Result<ArrayView2<'a, f64>> {
        oxlearn_core::validate::check_predict_shape(Self::NAME, self.coef.ncols(), x)?;
        Ok(x)
    }
}

impl<L: ClassLabel> FittedClassifier<L> for FittedLinearSVC<L> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let scores = self.decision_function_checked(x)?;
        Ok(if self.classes.len() == 2 {
            scores.column(0).mapv(|s| usize::from(s > 0.0))
        } else {
            Array1::from_iter(scores.axis_iter(Axis(0)).map(|row| {
                let mut best = 0;
                for c in 1..row.len() {
                    if row[c] > row[best] {
                        best = c;
                    }
                }
                best
            }))
        })
    }

    /// `X Wᵀ + b` in one row-parallel pass, with the finiteness check fused in (see
    /// [`crate::linalg::check_finite_via`]).
    fn decision_function_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let z = crate::linalg::matmul_rows(x, self.coef.t(), Some(self.intercept.view()));
        crate::linalg::check_finite_via(x, z.column(0))?;
        Ok(z)
    }
}
