//! Sequential minimal optimization as libsvm's `Solver`: second-order working-set selection
//! (WSS3, Fan, Chen and Lin 2005), the kernel-row cache, and libsvm's shrinking with gradient
//! reconstruction (inactive gradients are rebuilt from `G_bar` before the solution is accepted,
//! so shrinking never changes the answer beyond the tolerance).
//!
//! The problem solved is `min 1/2 a^T Q a + p^T a` subject to `y^T a = 0`, `0 <= a_i <= C_i`.

// The solver follows libsvm's index loops over several arrays at once.
#![allow(clippy::needless_range_loop)]

use std::time::Instant;

use oxlearn_core::{Callback, Progress};

use super::cache::Cache;
use super::kernel::{KernelFn, TrainKernel};
use ndarray::Array2;

const TAU: f64 = 1e-12;

/// The matrix `Q` of the dual problem, row by row.
pub(crate) trait QMatrix {
    /// The diagonal `Q_ii`.
    fn qd(&self) -> &[f64];
    /// Swaps positions `i` and `j`.
    fn swap_index(&mut self, i: usize, j: usize);
    /// Row `i`, entries `0..len`.
    fn row(&mut self, i: usize, len: usize) -> &[f32];
    /// Rows `i` and `j`, entries `0..len` (both valid at once).
    fn row_pair(&mut self, i: usize, j: usize, len: usize) -> (&[f32], &[f32]);
}

/// `Q_ij = y_i y_j K(x_i, x_j)` of a two-class problem (libsvm's `SVC_Q`).
#[derive(Debug)]
pub(crate) struct SvcQ {
    kernel: TrainKernel,
    y: Vec<i8>,
    qd: Vec<f64>,
    cache: Cache,
}

impl SvcQ {
    pub fn new(x: Array2<f64>, y: &[i8], f: KernelFn, cache_bytes: usize) -> Self {
        let kernel = TrainKernel::new(x, f);
        let l = kernel.len();
        let qd = (0..l).map(|i| kernel.diag(i)).collect();
        SvcQ { kernel, y: y.to_vec(), qd, cache: Cache::new(l, cache_bytes) }
    }

    fn fill(&mut self, i: usize, len: usize) {
        let start = self.cache.get_data(i, len);
        if start < len {
            let y = &self.y;
            let yi = f64::from(y[i]);
            let out = &mut self.cache.row_mut(i)[start..len];
            self.kernel.row_into(i, start, out, |k| yi * f64::from(y[k]));
        }
    }
}

impl QMatrix for SvcQ {
    fn qd(&self) -> &[f64] {
        &self.qd
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.cache.swap_index(i, j);
        self.kernel.swap(i, j);
        self.y.swap(i, j);
        self.qd.swap(i, j);
    }

    fn row(&mut self, i: usize, len: usize) -> &[f32] {
        self.fill(i, len);
        &self.cache.row(i)[..len]
    }

    fn row_pair(&mut self, i: usize, j: usize, len: usize) -> (&[f32], &[f32]) {
        self.fill(i, len);
        self.fill(j, len);
        if self.cache.row(i).len() < len {
            // Only possible when the budget holds fewer than two rows (never: it holds 2l).
            self.fill(i, len);
        }
        (&self.cache.row(i)[..len], &self.cache.row(j)[..len])
    }
}

/// The `2l x 2l` matrix of epsilon-SVR built from the `l x l` kernel (libsvm's `SVR_Q`).
#[derive(Debug)]
pub(crate) struct SvrQ {
    kernel: TrainKernel,
    l: usize,
    sign: Vec<i8>,
    index: Vec<usize>,
    qd: Vec<f64>,
    cache: Cache,
    buffers: [Vec<f32>; 2],
}

impl SvrQ {
    pub fn new(x: Array2<f64>, f: KernelFn, cache_bytes: usize) -> Self {
        let kernel = TrainKernel::new(x, f);
        let l = kernel.len();
        let mut qd = Vec::with_capacity(2 * l);
        for i in 0..l {
            qd.push(kernel.diag(i));
        }
        for i in 0..l {
            qd.push(kernel.diag(i));
        }
        let sign = (0..2 * l).map(|k| if k < l { 1 } else { -1 }).collect();
        let index = (0..2 * l).map(|k| k % l).collect();
        SvrQ {
            kernel,
            l,
            sign,
            index,
            qd,
            cache: Cache::new(l, cache_bytes),
            buffers: [vec![0.0; 2 * l], vec![0.0; 2 * l]],
        }
    }

    fn fill(&mut self, i: usize, len: usize, buf: usize) {
        let real = self.index[i];
        let l = self.l;
        let start = self.cache.get_data(real, l);
        if start < l {
            let out = &mut self.cache.row_mut(real)[start..l];
            self.kernel.row_into(real, start, out, |_| 1.0);
        }
        let data = self.cache.row(real);
        let si = f32::from(self.sign[i]);
        let out = &mut self.buffers[buf][..len];
        for (k, o) in out.iter_mut().enumerate() {
            *o = si * f32::from(self.sign[k]) * data[self.index[k]];
        }
    }
}

impl QMatrix for SvrQ {
    fn qd(&self) -> &[f64] {
        &self.qd
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.sign.swap(i, j);
        self.index.swap(i, j);
        self.qd.swap(i, j);
    }

    fn row(&mut self, i: usize, len: usize) -> &[f32] {
        self.fill(i, len, 0);
        &self.buffers[0][..len]
    }

    fn row_pair(&mut self, i: usize, j: usize, len: usize) -> (&[f32], &[f32]) {
        self.fill(i, len, 0);
        self.fill(j, len, 1);
        (&self.buffers[0][..len], &self.buffers[1][..len])
    }
}

/// What the solver returns.
#[derive(Debug, Clone)]
pub(crate) struct Solution {
    /// The dual variables in the original order.
    pub alpha: Vec<f64>,
    /// The offset: decision values are `sum_i y_i a_i K(x_i, x) - rho`.
    pub rho: f64,
    /// Iterations taken.
    pub n_iter: usize,
    /// False when `max_iter` (or a callback) stopped the solver early.
    pub converged: bool,
}

/// Solver settings.
#[derive(Debug, Clone)]
pub(crate) struct SolverParams<'a> {
    pub eps: f64,
    pub shrinking: bool,
    pub max_iter: Option<usize>,
    pub callback: &'a Callback,
    pub estimator: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Lower,
    Upper,
    Free,
}

struct Solver<'q, Q: QMatrix> {
    q: &'q mut Q,
    l: usize,
    active_size: usize,
    y: Vec<i8>,
    qd: Vec<f64>,
    g: Vec<f64>,
    g_bar: Vec<f64>,
    status: Vec<Status>,
    alpha: Vec<f64>,
    p: Vec<f64>,
    active_set: Vec<usize>,
    cp: f64,
    cn: f64,
    /// Per-sample multipliers of `cp` / `cn` (sample weights; empty without).
    weight: Vec<f64>,
    eps: f64,
    unshrink: bool,
}

impl<Q: QMatrix> Solver<'_, Q> {
    #[inline]
    fn c(&self, i: usize) -> f64 {
        let c = if self.y[i] > 0 { self.cp } else { self.cn };
        if self.weight.is_empty() { c } else { c * self.weight[i] }
    }

    fn update_status(&mut self, i: usize) {
        let c = self.c(i);
        self.status[i] = if self.alpha[i] >= c {
            Status::Upper
        } else if self.alpha[i] <= 0.0 {
            Status::Lower
        } else {
            Status::Free
        };
    }

    #[inline]
    fn is_upper(&self, i: usize) -> bool {
        self.status[i] == Status::Upper
    }
    #[inline]
    fn is_lower(&self, i: usize) -> bool {
        self.status[i] == Status::Lower
    }
    #[inline]
    fn is_free(&self, i: usize) -> bool {
        self.status[i] == Status::Free
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.q.swap_index(i, j);
        self.y.swap(i, j);
        self.qd.swap(i, j);
        self.g.swap(i, j);
        self.status.swap(i, j);
        self.alpha.swap(i, j);
        self.p.swap(i, j);
        self.active_set.swap(i, j);
        self.g_bar.swap(i, j);
        if !self.weight.is_empty() {
            self.weight.swap(i, j);
        }
    }

    fn reconstruct_gradient(&mut self) {
        let (l, active) = (self.l, self.active_size);
        if active == l {
            return;
        }
        for j in active..l {
            self.g[j] = self.g_bar[j] + self.p[j];
        }
        let nr_free = (0..active).filter(|&j| self.is_free(j)).count();
        if nr_free * l > 2 * active * (l - active) {
            for i in active..l {
                let qi = self.q.row(i, active);
                let mut acc = 0.0;
                for j in 0..active {
                    if self.status[j] == Status::Free {
                        acc += self.alpha[j] * f64::from(qi[j]);
                    }
                }
                self.g[i] += acc;
            }
        } else {
            for i in 0..active {
                if self.is_free(i) {
                    let ai = self.alpha[i];
                    let qi = self.q.row(i, l);
                    for j in active..l {
                        self.g[j] += ai * f64::from(qi[j]);
                    }
                }
            }
        }
    }

    /// WSS3; `None` when the pair violates the optimality conditions by less than `eps`.
    fn select_working_set(&mut self) -> Option<(usize, usize)> {
        let mut gmax = f64::NEG_INFINITY;
        let mut gmax2 = f64::NEG_INFINITY;
        let mut gmax_idx = None;
        let mut gmin_idx = None;
        let mut obj_diff_min = f64::INFINITY;
        let active = self.active_size;
        for t in 0..active {
            if self.y[t] == 1 {
                if !self.is_upper(t) && -self.g[t] >= gmax {
                    gmax = -self.g[t];
                    gmax_idx = Some(t);
                }
            } else if !self.is_lower(t) && self.g[t] >= gmax {
                gmax = self.g[t];
                gmax_idx = Some(t);
            }
        }
        let i = gmax_idx?;
        let yi = f64::from(self.y[i]);
        let qd_i = self.qd[i];
        let qi = self.q.row(i, active);
        let qd = &self.qd;
        for j in 0..active {
            if self.y[j] == 1 {
                if self.status[j] != Status::Lower {
                    let grad_diff = gmax + self.g[j];
                    if self.g[j] >= gmax2 {
                        gmax2 = self.g[j];
                    }
                    if grad_diff > 0.0 {
                        let quad = qd_i + qd[j] - 2.0 * yi * f64::from(qi[j]);
                        let obj_diff = -(grad_diff * grad_diff) / if quad > 0.0 { quad } else { TAU };
                        if obj_diff <= obj_diff_min {
                            gmin_idx = Some(j);
                            obj_diff_min = obj_diff;
                        }
                    }
                }
            } else if self.status[j] != Status::Upper {
                let grad_diff = gmax - self.g[j];
                if -self.g[j] >= gmax2 {
                    gmax2 = -self.g[j];
                }
                if grad_diff > 0.0 {
                    let quad = qd_i + qd[j] + 2.0 * yi * f64::from(qi[j]);
                    let obj_diff = -(grad_diff * grad_diff) / if quad > 0.0 { quad } else { TAU };
                    if obj_diff <= obj_diff_min {
                        gmin_idx = Some(j);
                        obj_diff_min = obj_diff;
                    }
                }
            }
        }
        if gmax + gmax2 < self.eps {
            return None;
        }
        gmin_idx.map(|j| (i, j))
    }

    fn be_shrunk(&self, i: usize, gmax1: f64, gmax2: f64) -> bool {
        if self.is_upper(i) {
            if self.y[i] == 1 { -self.g[i] > gmax1 } else { -self.g[i] > gmax2 }
        } else if self.is_lower(i) {
            if self.y[i] == 1 { self.g[i] > gmax2 } else { self.g[i] > gmax1 }
        } else {
            false
        }
    }

    fn do_shrinking(&mut self) {
        let mut gmax1 = f64::NEG_INFINITY;
        let mut gmax2 = f64::NEG_INFINITY;
        for i in 0..self.active_size {
            if self.y[i] == 1 {
                if !self.is_upper(i) && -self.g[i] >= gmax1 {
                    gmax1 = -self.g[i];
                }
                if !self.is_lower(i) && self.g[i] >= gmax2 {
                    gmax2 = self.g[i];
                }
            } else {
                if !self.is_upper(i) && -self.g[i] >= gmax2 {
                    gmax2 = -self.g[i];
                }
                if !self.is_lower(i) && self.g[i] >= gmax1 {
                    gmax1 = self.g[i];
                }
            }
        }
        if !self.unshrink && gmax1 + gmax2 <= self.eps * 10.0 {
            self.unshrink = true;
            self.reconstruct_gradient();
            self.active_size = self.l;
        }
        let mut i = 0;
        while i < self.active_size {
            if self.be_shrunk(i, gmax1, gmax2) {
                self.active_size -= 1;
                while self.active_size > i {
                    if !self.be_shrunk(self.active_size, gmax1, gmax2) {
                        self.swap_index(i, self.active_size);
                        break;
                    }
                    self.active_size -= 1;
                }
            }
            i += 1;
        }
    }

    fn calculate_rho(&self) -> f64 {
        let mut nr_free = 0usize;
        let (mut ub, mut lb, mut sum_free) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for i in 0..self.active_size {
            let yg = f64::from(self.y[i]) * self.g[i];
            if self.is_upper(i) {
                if self.y[i] == -1 { ub = ub.min(yg) } else { lb = lb.max(yg) }
            } else if self.is_lower(i) {
                if self.y[i] == 1 { ub = ub.min(yg) } else { lb = lb.max(yg) }
            } else {
                nr_free += 1;
                sum_free += yg;
            }
        }
        if nr_free > 0 { sum_free / nr_free as f64 } else { (ub + lb) / 2.0 }
    }

    /// One SMO step on the pair `(i, j)`.
    fn step(&mut self, i: usize, j: usize) {
        let active = self.active_size;
        let (ci, cj) = (self.c(i), self.c(j));
        let (old_ai, old_aj) = (self.alpha[i], self.alpha[j]);
        let (qd_i, qd_j) = (self.qd[i], self.qd[j]);
        let (qi, qj) = self.q.row_pair(i, j, active);
        let qij = f64::from(qi[j]);
        let (mut ai, mut aj) = (old_ai, old_aj);
        if self.y[i] != self.y[j] {
            let mut quad = qd_i + qd_j + 2.0 * qij;
            if quad <= 0.0 {
                quad = TAU;
            }
            let delta = (-self.g[i] - self.g[j]) / quad;
            let diff = ai - aj;
            ai += delta;
            aj += delta;
            if diff > 0.0 {
                if aj < 0.0 {
                    aj = 0.0;
                    ai = diff;
                }
            } else if ai < 0.0 {
                ai = 0.0;
                aj = -diff;
            }
            if diff > ci - cj {
                if ai > ci {
                    ai = ci;
                    aj = ci - diff;
                }
            } else if aj > cj {
                aj = cj;
                ai = cj + diff;
            }
        } else {
            let mut quad = qd_i + qd_j - 2.0 * qij;
            if quad <= 0.0 {
                quad = TAU;
            }
            let delta = (self.g[i] - self.g[j]) / quad;
            let sum = ai + aj;
            ai -= delta;
            aj += delta;
            if sum > ci {
                if ai > ci {
                    ai = ci;
                    aj = sum - ci;
                }
            } else if aj < 0.0 {
                aj = 0.0;
                ai = sum;
            }
            if sum > cj {
                if aj > cj {
                    aj = cj;
                    ai = sum - cj;
                }
            } else if ai < 0.0 {
                ai = 0.0;
                aj = sum;
            }
        }
        let (dai, daj) = (ai - old_ai, aj - old_aj);
        for ((g, &a), &b) in self.g[..active].iter_mut().zip(qi).zip(qj) {
            *g += f64::from(a) * dai + f64::from(b) * daj;
        }
        self.alpha[i] = ai;
        self.alpha[j] = aj;

        let ui = self.is_upper(i);
        let uj = self.is_upper(j);
        self.update_status(i);
        self.update_status(j);
        let l = self.l;
        if ui != self.is_upper(i) {
            let sign = if ui { -ci } else { ci };
            let qi = self.q.row(i, l);
            for (gb, &q) in self.g_bar.iter_mut().zip(qi) {
                *gb += sign * f64::from(q);
            }
        }
        if uj != self.is_upper(j) {
            let sign = if uj { -cj } else { cj };
            let qj = self.q.row(j, l);
            for (gb, &q) in self.g_bar.iter_mut().zip(qj) {
                *gb += sign * f64::from(q);
            }
        }
    }
}

/// Solves the dual problem (libsvm's `Solver::Solve`). `weight`, when given, multiplies each
/// sample's bound `cp` / `cn` (scikit-learn's libsvm with `sample_weight`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve<Q: QMatrix>(
    q: &mut Q,
    p: &[f64],
    y: &[i8],
    alpha0: &[f64],
    cp: f64,
    cn: f64,
    weight: Option<&[f64]>,
    params: &SolverParams<'_>,
) -> Solution {
    let l = p.len();
    let qd = q.qd().to_vec();
    let mut s = Solver {
        q,
        l,
        active_size: l,
        y: y.to_vec(),
        qd,
        g: p.to_vec(),
        g_bar: vec![0.0; l],
        status: vec![Status::Lower; l],
        alpha: alpha0.to_vec(),
        p: p.to_vec(),
        active_set: (0..l).collect(),
        cp,
        cn,
        weight: weight.map_or_else(Vec::new, <[f64]>::to_vec),
        eps: params.eps,
        unshrink: false,
    };
    for i in 0..l {
        s.update_status(i);
    }
    for i in 0..l {
        if !s.is_lower(i) {
            let ai = s.alpha[i];
            let ci = s.c(i);
            let upper = s.is_upper(i);
            let qi = s.q.row(i, l);
            for (g, &q) in s.g.iter_mut().zip(qi) {
                *g += ai * f64::from(q);
            }
            if upper {
                for (gb, &q) in s.g_bar.iter_mut().zip(qi) {
                    *gb += ci * f64::from(q);
                }
            }
        }
    }

    let max_iter = params.max_iter.unwrap_or_else(|| 10_000_000usize.max(l.saturating_mul(100)));
    let mut counter = l.min(1000) + 1;
    let mut iter = 0usize;
    let mut converged = false;
    let started = Instant::now();
    while iter < max_iter {
        counter -= 1;
        if counter == 0 {
            counter = l.min(1000);
            if params.shrinking {
                s.do_shrinking();
            }
            let progress = Progress {
                estimator: params.estimator,
                iteration: iter,
                total: params.max_iter,
                loss: None,
                metrics: &[("active_size", s.active_size as f64)],
                elapsed: started.elapsed(),
            };
            if params.callback.report(&progress) {
                break;
            }
        }
        let (i, j) = match s.select_working_set() {
            Some(pair) => pair,
            None => {
                s.reconstruct_gradient();
                s.active_size = l;
                match s.select_working_set() {
                    Some(pair) => {
                        counter = 1;
                        pair
                    }
                    None => {
                        converged = true;
                        break;
                    }
                }
            }
        };
        iter += 1;
        s.step(i, j);
    }
    if s.active_size < l {
        s.reconstruct_gradient();
        s.active_size = l;
    }
    let rho = s.calculate_rho();
    let obj = (0..l).map(|i| s.alpha[i] * (s.g[i] + s.p[i])).sum::<f64>() / 2.0;
    tracing::debug!(estimator = params.estimator, iterations = iter, objective = obj, rho, converged, "smo finished");
    let mut alpha = vec![0.0; l];
    for i in 0..l {
        alpha[s.active_set[i]] = s.alpha[i];
    }
    Solution { alpha, rho, n_iter: iter, converged }
}
