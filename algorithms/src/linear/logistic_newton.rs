//! The proximal Newton solver of [`LogisticRegression`](super::LogisticRegression) for the L1
//! and elastic-net penalties (newGLMNET / glmnet style): a quadratic model of the log-loss with
//! its exact Hessian (one class block at a time for the multinomial loss), minimised with the
//! penalty by cyclic coordinate descent with soft-thresholding, then an Armijo line search on
//! the true objective.
//!
//! The objective (mean form, `S = Σ s_i`, `s_i` the sample weights or 1):
//! `F(W, b) = 1/S Σ s_i loss_i + λ1 ‖W‖₁ + λ2/2 ‖W‖²` with `λ1 = r / (C·S)`,
//! `λ2 = (1 - r) / (C·S)`, `r = l1_ratio`, the intercept `b` unpenalised (scikit-learn's, whose
//! optimum does not change when the whole objective is multiplied by `S`).
//!
//! Every pass over `X` runs over fixed blocks of rows on rayon and reduces the blocks' partial
//! sums in block order, and the block size depends on the width only: results do not depend on
//! the thread count. The Hessian block `Xᵀ D X` of each pass is one sequential faer product per
//! block of rows (`(p+1)²` per row: this dense Hessian suits `p` up to a few thousand).
//! Wider problems go to [`Problem::minimize_gradient`] (accelerated proximal gradient on the
//! same objective, no Hessian).

use std::ops::Range;

use faer::linalg::matmul::matmul as faer_matmul;
use faer::{Accum, Par};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, s};
use rayon::prelude::*;

use super::logistic::{sigmoid, softplus};
use crate::linalg::{as_faer, as_faer_mut};

/// The penalised problem: data, labels as class indices, weights and penalty strengths.
pub(super) struct Problem<'a, 'b> {
    x: ArrayView2<'a, f64>,
    y: &'b [usize],
    sw: Option<&'b [f64]>,
    /// Columns of the score matrix: 1 for the binomial loss (two classes), else the classes.
    k: usize,
    fit_intercept: bool,
    lam1: f64,
    lam2: f64,
    inv_s: f64,
    chunks: Vec<Range<usize>>,
}

/// Stopping rules of [`Problem::minimize`].
pub(super) struct Options {
    /// Most Newton iterations (for the multinomial loss: cycles over the classes).
    pub max_iter: usize,
    /// Stop when the largest entry of the minimum-norm subgradient of `F` is at most `tol`.
    pub tol: f64,
}

/// The result of [`Problem::minimize`].
pub(super) struct Outcome {
    pub coef: Array2<f64>,
    pub intercept: Array1<f64>,
    pub n_iter: usize,
    pub converged: bool,
}

/// Armijo's sufficient-decrease fraction and the most step halvings of the line search.
const SIGMA: f64 = 0.01;
const MAX_HALVINGS: usize = 40;
/// Most coordinate-descent sweeps on one quadratic model: at most about as many as there are
/// rows (a sweep costs about what one row adds to the Hessian), within `[1000, 20000]`. Many
/// sweeps are needed only where the columns of `X` are (nearly) collinear: there the L1 term
/// alone decides along the null space of `X`, where coordinate descent advances in small steps
/// (the bench kit's clf-200k-50 has two exactly redundant features: 500 sweeps left the
/// iterates crawling at a subgradient of 3e-6 for 100 iterations; a few thousand converge in 6).
/// The extrapolation of `extrapolate` shortens that crawl.
/// Sweeps between two extrapolations along the change over those sweeps (see `extrapolate`).
/// Measured on clf-200k-50 (C = 1, L1; sweeps summed over the 5 Newton iterations): none
/// 100000 (every iteration at the cap), every 2: 48000, 4: 29000, 8: 19000, 16: 25000,
/// 32: 35000, 64: 40000.
const EXTRAPOLATE_EVERY: usize = 8;

fn max_sweeps(n_rows: usize) -> usize {
    n_rows.clamp(1000, 20_000)
}

#[inline]
fn soft_threshold(v: f64, t: f64) -> f64 {
    if v > t {
        v - t
    } else if v < -t {
        v + t
    } else {
        0.0
    }
}

/// Softmax of `z` into `out`; returns `logsumexp(z)`.
#[inline]
fn softmax_into(z: ArrayView1<'_, f64>, out: &mut [f64]) -> f64 {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (o, &v) in out.iter_mut().zip(z) {
        *o = (v - max).exp();
        sum += *o;
    }
    let inv = 1.0 / sum;
    out.iter_mut().for_each(|o| *o *= inv);
    max + sum.ln()
}

impl<'a, 'b> Problem<'a, 'b> {
    /// The problem for `n_classes` classes with `λ1 = r / (C·S)`, `λ2 = (1 - r) / (C·S)`.
    pub(super) fn new(
        x: ArrayView2<'a, f64>,
        y: &'b [usize],
        sw: Option<&'b [f64]>,
        n_classes: usize,
        fit_intercept: bool,
        c: f64,
        l1_ratio: f64,
    ) -> Self {
        let (n, p) = x.dim();
        let total = sw.map_or(n as f64, |w| w.iter().sum());
        let k = if n_classes == 2 { 1 } else { n_classes };
        let scale = 1.0 / (c * total);
        // About 64 KiB of X per block, a size that depends on the width only (and keeps the
        // blocks' scratch arrays under the allocator's mmap threshold: fresh mappings for them
        // cost page faults on every pass).
        let rows = ((1usize << 13) / (p + 1)).clamp(64, 4096);
        let chunks = oxlearn_core::parallel::fixed_chunks(n, rows).collect();
        Problem {
            x,
            y,
            sw,
            k,
            fit_intercept,
            lam1: l1_ratio * scale,
            lam2: (1.0 - l1_ratio) * scale,
            inv_s: 1.0 / total,
            chunks,
        }
    }

    /// The blocks' results in block order (in parallel when there are several).
    fn map_chunks<T: Send>(&self, f: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
        if self.chunks.len() > 1 {
            self.chunks.par_iter().map(|r| f(r.clone())).collect()
        } else {
            self.chunks.iter().map(|r| f(r.clone())).collect()
        }
    }

    #[inline]
    fn weight(&self, i: usize) -> f64 {
        self.sw.map_or(1.0, |w| w[i])
    }

    /// Whether row `i` belongs to score column `c` (binomial: the second class).
    #[inline]
    fn target(&self, i: usize, c: usize) -> f64 {
        let yc = if self.k == 1 { 1 } else { c };
        if self.y[i] == yc { 1.0 } else { 0.0 }
    }

    fn penalty(&self, w: ArrayView1<'_, f64>) -> f64 {
        w.iter().map(|v| self.lam1 * v.abs() + 0.5 * self.lam2 * v * v).sum()
    }

    /// The mean loss at scores `z` and its gradient (`k x (p+1)`, the intercept column last,
    /// zero without intercept), in one pass.
    fn loss_grad(&self, z: &Array2<f64>) -> (f64, Array2<f64>) {
        let (p, k) = (self.x.ncols(), self.k);
        let parts = self.map_chunks(|rows| {
            let m = rows.len();
            let mut r = Array2::<f64>::zeros((m, k));
            let mut loss = 0.0;
            for (q, i) in rows.clone().enumerate() {
                let si = self.weight(i);
                let mut rr = r.row_mut(q);
                let rr = rr.as_slice_mut().expect("row of a fresh row-major array");
                if k == 1 {
                    let zi = z[[i, 0]];
                    let t = self.target(i, 0);
                    // softplus(z) = max(z, 0) + ln(1 + e) and sigmoid(z) from one e = exp(-|z|).
                    let e = (-zi.abs()).exp();
                    loss += si * (zi.max(0.0) + e.ln_1p() - t * zi);
                    rr[0] = si * (if zi >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) } - t);
                } else {
                    let lse = softmax_into(z.row(i), rr);
                    let yi = self.y[i];
                    loss += si * (lse - z[[i, yi]]);
                    rr[yi] -= 1.0;
                    rr.iter_mut().for_each(|v| *v *= si);
                }
            }
            let mut g = Array2::<f64>::zeros((k, p + 1));
            let xb = self.x.slice(s![rows, ..]);
            faer_matmul(
                as_faer_mut(g.slice_mut(s![.., ..p])),
                Accum::Replace,
                as_faer(r.t()),
                as_faer(xb),
                1.0,
                Par::Seq,
            );
            for (c, col) in r.columns().into_iter().enumerate() {
                g[[c, p]] = col.sum();
            }
            (loss, g)
        });
        let mut loss = 0.0;
        let mut g = Array2::<f64>::zeros((k, p + 1));
        for (l, gi) in &parts {
            loss += l;
            g += gi;
        }
        g *= self.inv_s;
        if !self.fit_intercept {
            g.column_mut(p).fill(0.0);
        }
        (loss * self.inv_s, g)
    }

    /// The Hessian of the mean loss at scores `z` over all parameters (`k(p+1)` square, the
    /// layout of [`Self::loss_grad`] flattened: class by class, the intercept last in each) and
    /// the probabilities `P` (`n x k`). Block `(c, c')` is `1/S X₁ᵀ diag(s (δ_cc' p_c - p_c p_c')) X₁`
    /// with `X₁ = [X | 1]`; the binomial loss has the one block `1/S X₁ᵀ diag(s p (1 - p)) X₁`.
    fn hessian(&self, z: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
        let (p, k) = (self.x.ncols(), self.k);
        let p1 = p + 1;
        let pairs: Vec<(usize, usize)> = (0..k).flat_map(|c| (c..k).map(move |d| (c, d))).collect();
        let parts = self.map_chunks(|rows| {
            let m = rows.len();
            let mut prob = Array2::<f64>::zeros((m, k));
            for (q, i) in rows.clone().enumerate() {
                let mut pr = prob.row_mut(q);
                let pr = pr.as_slice_mut().expect("row of a fresh row-major array");
                if k == 1 {
                    pr[0] = sigmoid(z[[i, 0]]);
                } else {
                    softmax_into(z.row(i), pr);
                }
            }
            // `a` holds `[X_b | 1]`, `b` one weighted copy `v ⊙ [X_b | 1]` per pair of classes
            // (for the binomial loss `a` itself is scaled by `sqrt(s p (1 - p))`, `b = a`).
            let mut a = Array2::<f64>::zeros((m, p1));
            let mut b = Array2::<f64>::zeros((m, if k == 1 { 0 } else { pairs.len() * p1 }));
            for (q, i) in rows.clone().enumerate() {
                let si = self.weight(i);
                let xi = self.x.row(i);
                let scale = if k == 1 { (si * prob[[q, 0]] * (1.0 - prob[[q, 0]])).sqrt() } else { 1.0 };
                {
                    let mut dst = a.row_mut(q);
                    let dst = dst.as_slice_mut().expect("row of a fresh row-major array");
                    for (o, &v) in dst[..p].iter_mut().zip(xi) {
                        *o = scale * v;
                    }
                    dst[p] = scale;
                }
                if k > 1 {
                    let mut dst = b.row_mut(q);
                    let dst = dst.as_slice_mut().expect("row of a fresh row-major array");
                    for (t, &(c, d)) in pairs.iter().enumerate() {
                        let (pc, pd) = (prob[[q, c]], prob[[q, d]]);
                        let v = si * (if c == d { pc } else { 0.0 } - pc * pd);
                        let out = &mut dst[t * p1..(t + 1) * p1];
                        for (o, &xv) in out[..p].iter_mut().zip(xi) {
                            *o = v * xv;
                        }
                        out[p] = v;
                    }
                }
            }
            let rhs = if k == 1 { a.view() } else { b.view() };
            let mut h = Array2::<f64>::zeros((p1, rhs.ncols()));
            faer_matmul(as_faer_mut(h.view_mut()), Accum::Replace, as_faer(a.t()), as_faer(rhs), 1.0, Par::Seq);
            (h, prob)
        });
        let mut packed = Array2::<f64>::zeros((p1, if k == 1 { p1 } else { pairs.len() * p1 }));
        let mut prob = Array2::<f64>::zeros((self.x.nrows(), k));
        for (r, (h, pr)) in self.chunks.iter().zip(parts) {
            packed += &h;
            prob.slice_mut(s![r.clone(), ..]).assign(&pr);
        }
        packed *= self.inv_s;
        let mut h = Array2::<f64>::zeros((k * p1, k * p1));
        if k == 1 {
            h.assign(&packed);
        } else {
            for (t, &(c, d)) in pairs.iter().enumerate() {
                let block = packed.slice(s![.., t * p1..(t + 1) * p1]);
                h.slice_mut(s![c * p1..(c + 1) * p1, d * p1..(d + 1) * p1]).assign(&block);
                if c != d {
                    h.slice_mut(s![d * p1..(d + 1) * p1, c * p1..(c + 1) * p1]).assign(&block.t());
                }
            }
        }
        (h, prob)
    }

    /// The change of the mean loss when the scores move by `alpha · xd` (`xd` is `n x k`), from
    /// the probabilities `prob` at `z`: `log(1 + Σ_c p_c (e^δ_c - 1)) - δ_y` per row (for the
    /// binomial loss `log(1 + p (e^δ - 1)) - t δ`), which keeps its precision for tiny steps,
    /// where the difference of two losses would not.
    fn loss_change(&self, z: &Array2<f64>, prob: &Array2<f64>, xd: &Array2<f64>, alpha: f64) -> f64 {
        let k = self.k;
        let parts = self.map_chunks(|rows| {
            let mut sum = 0.0;
            for i in rows {
                let dr = xd.row(i);
                let big = dr.iter().any(|v| (alpha * v).abs() >= 20.0);
                let change = if k == 1 {
                    let delta = alpha * dr[0];
                    let lse = if big {
                        softplus(z[[i, 0]] + delta) - softplus(z[[i, 0]])
                    } else {
                        (prob[[i, 0]] * delta.exp_m1()).ln_1p()
                    };
                    lse - self.target(i, 0) * delta
                } else {
                    let lse = if big {
                        // Large steps: the two log-sum-exps directly.
                        let zr = z.row(i);
                        let lse = |f: &dyn Fn(usize) -> f64| {
                            let max = (0..k).map(f).fold(f64::NEG_INFINITY, f64::max);
                            max + (0..k).map(|c| (f(c) - max).exp()).sum::<f64>().ln()
                        };
                        lse(&|c| zr[c] + alpha * dr[c]) - lse(&|c| zr[c])
                    } else {
                        dr.iter().zip(prob.row(i)).map(|(v, pc)| pc * (alpha * v).exp_m1()).sum::<f64>().ln_1p()
                    };
                    lse - alpha * dr[self.y[i]]
                };
                sum += self.weight(i) * change;
            }
            sum
        });
        parts.iter().sum::<f64>() * self.inv_s
    }

    /// Whether flat parameter `j` (layout of [`Self::hessian`]) is an intercept.
    #[inline]
    fn is_intercept(&self, j: usize) -> bool {
        j % (self.x.ncols() + 1) == self.x.ncols()
    }

    /// Minimises the quadratic model `gᵀd + ½ dᵀHd + λ1 ‖θ_W + d_W‖₁ + λ2/2 ‖θ_W + d_W‖²` over
    /// all parameters by cyclic coordinate descent with soft-thresholding (intercepts
    /// unpenalised; left at 0 without intercept).
    fn newton_direction(&self, g: ArrayView1<'_, f64>, h: &Array2<f64>, theta: ArrayView1<'_, f64>) -> Array1<f64> {
        let n_params = theta.len();
        let mut d = Array1::<f64>::zeros(n_params);
        let mut hd = Array1::<f64>::zeros(n_params);
        // A floor on the curvature: a constant-zero column (or rows of weight 0) has H_jj = 0.
        let floor = 1e-12 * (0..n_params).map(|j| h[[j, j]]).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        let mut before = Array1::<f64>::zeros(n_params);
        for sweep in 0..max_sweeps(self.x.nrows()) {
            // The direction is the change over the last `EXTRAPOLATE_EVERY` sweeps.
            if sweep % EXTRAPOLATE_EVERY == 0 {
                before.assign(&d);
            }
            let extrapolate = sweep >= EXTRAPOLATE_EVERY && sweep % EXTRAPOLATE_EVERY == EXTRAPOLATE_EVERY - 1;
            let (mut max_step, mut max_d) = (0.0f64, 0.0f64);
            for j in 0..n_params {
                let step = if self.is_intercept(j) {
                    if !self.fit_intercept {
                        continue;
                    }
                    -(g[j] + hd[j]) / h[[j, j]].max(floor)
                } else {
                    let a = (h[[j, j]] + self.lam2).max(floor);
                    let u = theta[j] + d[j];
                    let grad = g[j] + hd[j] + self.lam2 * u;
                    soft_threshold(u - grad / a, self.lam1 / a) - u
                };
                if step != 0.0 {
                    d[j] += step;
                    hd.scaled_add(step, &h.row(j));
                    max_step = max_step.max(step.abs());
                }
                max_d = max_d.max(d[j].abs());
            }
            if max_step <= 1e-9 * max_d || max_step == 0.0 {
                break;
            }
            if extrapolate {
                let dir = &d - &before;
                self.extrapolate(g, h, theta, &dir, &mut d, &mut hd);
            }
        }
        d
    }

    /// Minimises the quadratic model exactly along `dir` (the change of `d` over the last few
    /// sweeps) from `d`, over steps `t ≥ 0`, updating `d` and `hd = H d`.
    ///
    /// Where columns of `X` are (nearly) collinear, coordinate descent moves along the null
    /// space of `H` by about the same small step every sweep (the L1 term alone pulls there),
    /// for thousands of sweeps; the model along that direction is a one-dimensional convex
    /// piecewise quadratic, minimised here in one go by walking its breakpoints (where a
    /// coefficient crosses zero, which it may stop at: an exact zero).
    fn extrapolate(
        &self,
        g: ArrayView1<'_, f64>,
        h: &Array2<f64>,
        theta: ArrayView1<'_, f64>,
        dir: &Array1<f64>,
        d: &mut Array1<f64>,
        hd: &mut Array1<f64>,
    ) {
        let h_dir = h.dot(dir);
        // φ(t) = a t + ½ b t² + λ1 Σ |u_j + t dir_j| over the penalised j.
        let (mut a, mut b) = (0.0, dir.dot(&h_dir));
        let mut slope_l1 = 0.0;
        let mut breaks: Vec<(f64, usize)> = Vec::new();
        for (j, &v) in dir.iter().enumerate() {
            if v == 0.0 {
                continue;
            }
            if self.is_intercept(j) {
                a += (g[j] + hd[j]) * v;
                continue;
            }
            let u = theta[j] + d[j];
            a += (g[j] + hd[j] + self.lam2 * u) * v;
            b += self.lam2 * v * v;
            let sign = if u != 0.0 { u.signum() } else { v.signum() };
            slope_l1 += self.lam1 * sign * v;
            if u != 0.0 && u.signum() != v.signum() {
                breaks.push((-u / v, j));
            }
        }
        breaks.sort_by(|x, y| x.0.total_cmp(&y.0));
        // Walk the segments: on each the derivative is a + slope_l1 + b t.
        let mut t_star = None;
        let mut kink = None;
        for &(tb, j) in &breaks {
            let at_break = a + slope_l1 + b * tb;
            if at_break >= 0.0 {
                // The zero lies inside this segment (b > 0 here).
                t_star = Some(if b > 0.0 { (-(a + slope_l1) / b).max(0.0) } else { 0.0 });
                break;
            }
            let after = slope_l1 + 2.0 * self.lam1 * dir[j].abs();
            if a + after + b * tb >= 0.0 {
                t_star = Some(tb);
                kink = Some(j);
                break;
            }
            slope_l1 = after;
        }
        let t = match t_star {
            Some(t) => t,
            None if b > 0.0 => (-(a + slope_l1) / b).max(0.0),
            None => return,
        };
        if !(t > 0.0 && t.is_finite()) {
            return;
        }
        d.scaled_add(t, dir);
        hd.scaled_add(t, &h_dir);
        if let Some(j) = kink {
            // Land exactly on the zero (the step above leaves rounding there).
            let off = theta[j] + d[j];
            d[j] -= off;
            hd.scaled_add(-off, &h.row(j));
        }
    }

    /// The penalty of parameters `theta` (`k x (p+1)`, intercepts last).
    fn penalty_of(&self, theta: &Array2<f64>) -> f64 {
        let p = self.x.ncols();
        theta.rows().into_iter().map(|r| self.penalty(r.slice(s![..p]))).sum()
    }

    /// `penalty(θ + t d) - penalty(θ)`, coordinate by coordinate so that it keeps its precision
    /// for tiny steps (the difference of the two penalties would lose it near the optimum,
    /// where the line search compares changes of 1e-20).
    fn penalty_change(&self, theta: &Array2<f64>, d: &Array2<f64>, t: f64) -> f64 {
        let p = self.x.ncols();
        let mut sum = 0.0;
        for (tr, dr) in theta.rows().into_iter().zip(d.rows()) {
            for (&w, &dj) in tr.iter().zip(dr).take(p) {
                let step = t * dj;
                let new = w + step;
                let l1 = if w != 0.0 && new.signum() == w.signum() { w.signum() * step } else { new.abs() - w.abs() };
                sum += self.lam1 * l1 + self.lam2 * step * (w + 0.5 * step);
            }
        }
        sum
    }

    /// The largest entry of the minimum-norm subgradient of `F` for loss gradient `g` at
    /// `theta` (both `k x (p+1)`, intercepts last).
    fn subgradient_max(&self, g: &Array2<f64>, theta: &Array2<f64>) -> f64 {
        let p = self.x.ncols();
        let mut m = 0.0f64;
        for (gr, wr) in g.rows().into_iter().zip(theta.rows()) {
            for (&gj, &wj) in gr.iter().zip(wr).take(p) {
                let gs = gj + self.lam2 * wj;
                let v = if wj > 0.0 {
                    gs + self.lam1
                } else if wj < 0.0 {
                    gs - self.lam1
                } else {
                    (gs.abs() - self.lam1).max(0.0)
                };
                m = m.max(v.abs());
            }
            if self.fit_intercept {
                m = m.max(gr[p].abs());
            }
        }
        m
    }

    /// Proximal Newton from `W = 0, b = 0`; `report(iteration, objective, subgradient)` after
    /// each iteration returns `true` to stop.
    pub(super) fn minimize(&self, opts: &Options, mut report: impl FnMut(usize, f64, f64) -> bool) -> Outcome {
        let (n, p, k) = (self.x.nrows(), self.x.ncols(), self.k);
        let mut theta = Array2::<f64>::zeros((k, p + 1));
        let mut z = Array2::<f64>::zeros((n, k));
        let mut n_iter = 0;
        let converged;
        loop {
            let (loss, g) = self.loss_grad(&z);
            if let Some(c) = self.should_stop(n_iter, loss, &g, &theta, opts, &mut report) {
                converged = c;
                break;
            }
            let (h, prob) = self.hessian(&z);
            let flat = |a: &Array2<f64>| Array1::from_iter(a.iter().copied());
            let d = self.newton_direction(flat(&g).view(), &h, flat(&theta).view());
            let d = d.into_shape_with_order((k, p + 1)).expect("parameter layout");
            // X₁ Dᵀ: the change of the scores at a full step.
            let xd = crate::linalg::matmul_rows(self.x, d.slice(s![.., ..p]).t(), Some(d.column(p)));
            // Predicted decrease at a full step (newGLMNET's Δ with γ = 0).
            let delta = (&g * &d).sum() + self.penalty_change(&theta, &d, 1.0);
            n_iter += 1;
            let mut step = None;
            if delta < 0.0 {
                let mut alpha = 1.0;
                for _ in 0..MAX_HALVINGS {
                    let change = self.loss_change(&z, &prob, &xd, alpha) + self.penalty_change(&theta, &d, alpha);
                    if change <= SIGMA * alpha * delta {
                        step = Some(alpha);
                        break;
                    }
                    alpha *= 0.5;
                }
            }
            let Some(alpha) = step else {
                // No step decreases F measurably: the iterate is optimal to rounding.
                let (_, g) = self.loss_grad(&z);
                converged = self.subgradient_max(&g, &theta) <= opts.tol;
                break;
            };
            theta.scaled_add(alpha, &d);
            z.scaled_add(alpha, &xd);
        }
        self.outcome(&theta, n_iter, converged)
    }

    /// The stopping rule both methods share, checked before each iteration at loss `loss` and
    /// its gradient `g`: `Some(converged)` when the callback asks to stop, when the largest
    /// subgradient entry is within `tol`, or after `max_iter` iterations.
    fn should_stop(
        &self,
        n_iter: usize,
        loss: f64,
        g: &Array2<f64>,
        theta: &Array2<f64>,
        opts: &Options,
        report: &mut impl FnMut(usize, f64, f64) -> bool,
    ) -> Option<bool> {
        let gmax = self.subgradient_max(g, theta);
        if n_iter > 0 && report(n_iter, loss + self.penalty_of(theta), gmax) {
            return Some(gmax <= opts.tol);
        }
        if gmax <= opts.tol {
            return Some(true);
        }
        (n_iter >= opts.max_iter).then_some(false)
    }

    /// The fitted coefficients and intercepts of parameters `theta`.
    fn outcome(&self, theta: &Array2<f64>, n_iter: usize, converged: bool) -> Outcome {
        let p = self.x.ncols();
        let mut intercept = theta.column(p).to_owned();
        if self.k > 1 && self.fit_intercept {
            // The multinomial loss does not change when every intercept moves by the same
            // amount: report the centred ones (as the gradient solvers starting at 0 do).
            let mean = intercept.mean().unwrap_or(0.0);
            intercept.mapv_inplace(|v| v - mean);
        }
        Outcome { coef: theta.slice(s![.., ..p]).to_owned(), intercept, n_iter, converged }
    }
}

impl Problem<'_, '_> {
    /// The scores `X W^T + 1 b^T` of parameters `theta` (`k x (p+1)`, intercepts last).
    fn scores(&self, theta: &Array2<f64>) -> Array2<f64> {
        let p = self.x.ncols();
        crate::linalg::matmul_rows(self.x, theta.slice(s![.., ..p]).t(), Some(theta.column(p)))
    }

    /// The proximal step from `v` with step `1/lip`: the elastic-net proximal map on the
    /// coefficients (soft-threshold by `λ1/L`, then shrink by `1 + λ2/L`), the intercepts kept.
    fn prox(&self, v: &Array2<f64>, lip: f64) -> Array2<f64> {
        let p = self.x.ncols();
        let mut out = v.clone();
        for mut row in out.rows_mut() {
            for w in row.iter_mut().take(p) {
                *w = soft_threshold(*w, self.lam1 / lip) / (1.0 + self.lam2 / lip);
            }
        }
        out
    }

    /// Accelerated proximal gradient (FISTA with backtracking and function-value restarts) from
    /// `W = 0, b = 0`: the solver for problems whose Hessian is too large for
    /// [`minimize`](Self::minimize) (no Hessian; three passes over `X` per iteration, more
    /// iterations than Newton needs: linear convergence where Newton's is quadratic). Same
    /// objective, stopping rule and report as `minimize`.
    pub(super) fn minimize_gradient(&self, opts: &Options, mut report: impl FnMut(usize, f64, f64) -> bool) -> Outcome {
        let (n, p, k) = (self.x.nrows(), self.x.ncols(), self.k);
        let mut theta = Array2::<f64>::zeros((k, p + 1));
        let mut z = Array2::<f64>::zeros((n, k));
        let (mut loss, mut g) = self.loss_grad(&z);
        // The extrapolated point and its scores (scores are linear in the parameters).
        let (mut y, mut zy) = (theta.clone(), z.clone());
        let (mut loss_y, mut g_y) = (loss, g.clone());
        // Lipschitz estimate of the loss gradient: only grows, doubled until the quadratic
        // upper bound holds at the step.
        let mut lip = 1e-3;
        let mut t = 1.0f64;
        let mut n_iter = 0;
        let converged;
        loop {
            if let Some(c) = self.should_stop(n_iter, loss, &g, &theta, opts, &mut report) {
                converged = c;
                break;
            }
            let (cand, z_c, loss_c, g_c) = loop {
                let cand = self.prox(&(&y - &(&g_y / lip)), lip);
                let diff = &cand - &y;
                let z_c = self.scores(&cand);
                let (loss_c, g_c) = self.loss_grad(&z_c);
                let bound = loss_y + (&g_y * &diff).sum() + 0.5 * lip * (&diff * &diff).sum();
                if loss_c <= bound + 1e-15 * bound.abs() || lip > 1e300 {
                    break (cand, z_c, loss_c, g_c);
                }
                lip *= 2.0;
            };
            n_iter += 1;
            let f_old = loss + self.penalty_of(&theta);
            let f_new = loss_c + self.penalty_of(&cand);
            if f_new > f_old && t > 1.0 {
                // Momentum overshot: restart from the current iterate (no step taken). A step
                // without momentum is a descent step in exact arithmetic and is always taken
                // (near the optimum the objective's changes are rounding).
                t = 1.0;
                y.assign(&theta);
                zy.assign(&z);
                (loss_y, g_y) = (loss, g.clone());
                continue;
            }
            let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
            let beta = (t - 1.0) / t_next;
            y = &cand + &(beta * (&cand - &theta));
            zy = &z_c + &(beta * (&z_c - &z));
            (theta, z, loss, g) = (cand, z_c, loss_c, g_c);
            (loss_y, g_y) = if beta == 0.0 { (loss, g.clone()) } else { self.loss_grad(&zy) };
            t = t_next;
        }
        self.outcome(&theta, n_iter, converged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gradient solver reaches the Newton solver's optimum (binomial and multinomial, L1
    /// and elastic net, with and without intercept).
    #[test]
    fn gradient_solver_reaches_the_newton_optimum() {
        for (k, fit_intercept, r) in [(2, true, 1.0), (3, true, 0.5), (3, false, 1.0)] {
            let (x, y) = data(k);
            let prob = Problem::new(x.view(), &y, None, k, fit_intercept, 0.5, r);
            let opts = Options { max_iter: 20_000, tol: 1e-9 };
            let newton = prob.minimize(&opts, |_, _, _| false);
            let grad = prob.minimize_gradient(&opts, |_, _, _| false);
            assert!(
                newton.converged && grad.converged,
                "k={k} r={r}: newton {} ({} it), gradient {} ({} it)",
                newton.converged,
                newton.n_iter,
                grad.converged,
                grad.n_iter
            );
            let scale = newton.coef.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (a, b) in newton.coef.iter().zip(&grad.coef) {
                assert!((a - b).abs() <= 1e-6 * scale, "k={k} r={r}: {a} vs {b}");
            }
            for (a, b) in newton.intercept.iter().zip(&grad.intercept) {
                assert!((a - b).abs() <= 1e-6 * scale.max(b.abs()), "k={k} r={r}: {a} vs {b}");
            }
        }
    }

    fn data(k: usize) -> (Array2<f64>, Vec<usize>) {
        let n = 90;
        let x = Array2::from_shape_fn((n, 4), |(i, j)| {
            let c = (i % k) as f64;
            c * if j == 0 { 1.5 } else { -0.7 } + ((i * 37 + j * 11) % 19) as f64 / 6.0 - 1.5
        });
        (x, (0..n).map(|i| (i % k + (i % 7 == 0) as usize) % k).collect())
    }

    /// The quadratic model `gᵀd + ½ dᵀHd + λ1 ‖θ + d‖₁ + λ2/2 ‖θ + d‖²` (one class, no
    /// intercept in the model here: the flat layout's intercept entry is left at 0).
    fn model(prob: &Problem<'_, '_>, g: &Array1<f64>, h: &Array2<f64>, theta: &Array1<f64>, d: &Array1<f64>) -> f64 {
        let u = theta + d;
        let p = prob.x.ncols();
        g.dot(d) + 0.5 * d.dot(&h.dot(d)) + prob.penalty(u.slice(s![..p]))
    }

    /// The extrapolation lands on the exact minimum of the model along its direction (checked
    /// on a fine grid), passing breakpoints where coefficients cross zero; the penalty change
    /// agrees with the difference of penalties.
    #[test]
    fn extrapolation_minimises_the_model_along_the_direction() {
        let (x, y) = data(2);
        let prob = Problem::new(x.view(), &y, None, 2, false, 0.05, 0.8);
        let h = Array2::from_shape_fn((5, 5), |(i, j)| {
            if i == 4 || j == 4 { 0.0 } else { 1.0 / (1.0 + (i as f64 - j as f64).abs()) }
        });
        let g = Array1::from(vec![0.3, -0.2, 0.05, 0.1, 0.0]);
        let theta = Array1::from(vec![0.4, -0.1, 0.0, 0.02, 0.0]);
        for dir in [vec![-1.0, 0.5, 0.2, -0.3, 0.0], vec![0.1, 0.1, -0.1, -0.1, 0.0], vec![-0.02, 0.0, 0.0, 0.0, 0.0]] {
            let dir = Array1::from(dir);
            let start = Array1::from(vec![0.01, 0.0, 0.0, -0.01, 0.0]);
            let mut d = start.clone();
            let mut hd = h.dot(&d);
            prob.extrapolate(g.view(), &h, theta.view(), &dir, &mut d, &mut hd);
            assert!(hd.iter().zip(h.dot(&d).iter()).all(|(a, b)| (a - b).abs() < 1e-12));
            let best = model(&prob, &g, &h, &theta, &d);
            for i in 0..=4000 {
                let t = i as f64 * 0.001;
                let trial = &start + &(t * &dir);
                assert!(best <= model(&prob, &g, &h, &theta, &trial) + 1e-12, "t={t}");
            }
            let th = theta.clone().into_shape_with_order((1, 5)).unwrap();
            let dd = dir.clone().into_shape_with_order((1, 5)).unwrap();
            for t in [1e-3, 0.5, 2.0] {
                let direct = prob.penalty_of(&(&th + &(t * &dd))) - prob.penalty_of(&th);
                assert!((prob.penalty_change(&th, &dd, t) - direct).abs() < 1e-15);
            }
        }
    }

    /// At the optimum, every coordinate satisfies its subgradient condition; zero coefficients
    /// have a gradient inside `[-λ1, λ1]`.
    #[test]
    fn optimum_satisfies_subgradient_conditions() {
        for k in [2, 3] {
            let (x, y) = data(k);
            let prob = Problem::new(x.view(), &y, None, k, true, 0.05, 1.0);
            let out = prob.minimize(&Options { max_iter: 100, tol: 1e-10 }, |_, _, _| false);
            assert!(out.converged, "k={k}");
            let z = crate::linalg::matmul_rows(x.view(), out.coef.t(), Some(out.intercept.view()));
            let (_, g) = prob.loss_grad(&z);
            assert!(prob.subgradient_max(&g, &out.coef) <= 1e-10);
            assert!(out.coef.iter().any(|&v| v == 0.0), "k={k}: some coefficient should be zero");
        }
    }
}
