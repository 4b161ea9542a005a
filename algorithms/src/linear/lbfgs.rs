//! A compact L-BFGS minimiser with the Moré–Thuente line search (MINPACK-2 `dcsrch` /
//! `dcstep`), following SciPy's L-BFGS-B on unconstrained problems: history 10, line-search
//! constants `ftol = 1e-3`, `gtol = 0.9`, `xtol = 0.1`, first step `1 / ‖d‖`, at most `maxls`
//! function evaluations per line search, and the same stopping rules (max-norm of the gradient
//! at most `gtol`, or relative reduction of `f` at most `ftol`).

use std::collections::VecDeque;

/// Options of [`minimize`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Iteration cap (SciPy's `maxiter`).
    pub max_iter: usize,
    /// Stop when `max |g_i| <= gtol` (SciPy's `gtol` / `pgtol`).
    pub gtol: f64,
    /// Stop when `(f_prev - f) <= ftol · max(|f_prev|, |f|, 1)` (SciPy's `ftol`).
    pub ftol: f64,
    /// History length (SciPy's `maxcor`).
    pub memory: usize,
    /// Function evaluations per line search (SciPy's `maxls`).
    pub maxls: usize,
}

/// The outcome of [`minimize`].
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub x: Vec<f64>,
    pub n_iter: usize,
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| u * v).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Minimises `f` from `x0`. `fg(x, g)` returns `f(x)` and writes the gradient into `g`.
/// `on_iter(iteration, f, max|g|)` runs after every iteration and returns `true` to stop early
/// (the result is then marked not converged).
pub(crate) fn minimize(
    x0: Vec<f64>,
    mut fg: impl FnMut(&[f64], &mut [f64]) -> f64,
    opts: Options,
    mut on_iter: impl FnMut(usize, f64, f64) -> bool,
) -> Outcome {
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut f = fg(&x, &mut g);
    if !f.is_finite() {
        return Outcome { x, n_iter: 0, converged: false };
    }
    if max_abs(&g) <= opts.gtol {
        return Outcome { x, n_iter: 0, converged: true };
    }
    let mut s_hist: VecDeque<Vec<f64>> = VecDeque::new();
    let mut y_hist: VecDeque<Vec<f64>> = VecDeque::new();
    let mut rho_hist: VecDeque<f64> = VecDeque::new();
    let mut d = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut alpha_buf = vec![0.0; opts.memory];
    let mut iter = 0;

    loop {
        if iter >= opts.max_iter {
            return Outcome { x, n_iter: iter, converged: false };
        }
        // Two-loop recursion: d = -H g.
        d.copy_from_slice(&g);
        let k = s_hist.len();
        for i in (0..k).rev() {
            let a = rho_hist[i] * dot(&s_hist[i], &d);
            alpha_buf[i] = a;
            for (dj, yj) in d.iter_mut().zip(&y_hist[i]) {
                *dj -= a * yj;
            }
        }
        if k > 0 {
            let (s, y) = (&s_hist[k - 1], &y_hist[k - 1]);
            let gamma = dot(s, y) / dot(y, y);
            d.iter_mut().for_each(|v| *v *= gamma);
        }
        for i in 0..k {
            let b = rho_hist[i] * dot(&y_hist[i], &d);
            let coeff = alpha_buf[i] - b;
            for (dj, sj) in d.iter_mut().zip(&s_hist[i]) {
                *dj += coeff * sj;
            }
        }
        d.iter_mut().for_each(|v| *v = -*v);
        let mut gd = dot(&g, &d);
        if gd >= 0.0 || !gd.is_finite() {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            for (dj, gj) in d.iter_mut().zip(&g) {
                *dj = -gj;
            }
            gd = dot(&g, &d);
        }
        let dnorm = dot(&d, &d).sqrt();
        let stp0 = if iter == 0 { (1.0 / dnorm).min(1e10) } else { 1.0 };

        let mut search = MoreThuente::new(f, gd, stp0, 1e-3, 0.9, 0.1, 0.0, 1e10);
        let mut stp = stp0;
        let mut f_new;
        let mut accepted = false;
        let mut evals = 0;
        loop {
            for i in 0..n {
                x_new[i] = x[i] + stp * d[i];
            }
            f_new = fg(&x_new, &mut g_new);
            evals += 1;
            let dg = dot(&g_new, &d);
            if !f_new.is_finite() {
                // Step into overflow: shrink and try again.
                stp *= 0.1;
                search = MoreThuente::new(f, gd, stp, 1e-3, 0.9, 0.1, 0.0, stp);
                if evals >= opts.maxls {
                    break;
                }
                continue;
            }
            match search.step(stp, f_new, dg) {
                LineSearch::Done => {
                    accepted = true;
                    break;
                }
                LineSearch::Try(next) => {
                    if evals >= opts.maxls {
                        break;
                    }
                    stp = next;
                }
            }
        }
        if !accepted {
            if s_hist.is_empty() {
                // SciPy's ABNORMAL_TERMINATION_IN_LNSRCH: keep the last good point.
                return Outcome { x, n_iter: iter, converged: false };
            }
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            continue;
        }
        iter += 1;
        let mut s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let mut y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        let sg_old = -dot(&s, &g);
        let f_old = f;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        f = f_new;

        let gmax = max_abs(&g);
        let stop = on_iter(iter, f, gmax);
        if gmax <= opts.gtol {
            return Outcome { x, n_iter: iter, converged: true };
        }
        if f_old - f <= opts.ftol * f_old.abs().max(f.abs()).max(1.0) {
            return Outcome { x, n_iter: iter, converged: true };
        }
        if stop {
            return Outcome { x, n_iter: iter, converged: false };
        }
        // Curvature condition (L-BFGS-B skips the update when sᵀy <= ε·(-sᵀg_old)).
        if sy > f64::EPSILON * sg_old {
            if s_hist.len() == opts.memory {
                let mut old_s = s_hist.pop_front().expect("non-empty history");
                let mut old_y = y_hist.pop_front().expect("non-empty history");
                rho_hist.pop_front();
                old_s.copy_from_slice(&s);
                old_y.copy_from_slice(&y);
                s = old_s;
                y = old_y;
            }
            s_hist.push_back(s);
            y_hist.push_back(y);
            rho_hist.push_back(1.0 / sy);
        }
    }
}

enum LineSearch {
    Done,
    Try(f64),
}

/// The state of MINPACK-2's `dcsrch` after its start.
struct MoreThuente {
    gtol: f64,
    xtol: f64,
    stpmin: f64,
    stpmax: f64,
    finit: f64,
    ginit: f64,
    gtest: f64,
    brackt: bool,
    stage: u8,
    width: f64,
    width1: f64,
    stx: f64,
    fx: f64,
    gx: f64,
    sty: f64,
    fy: f64,
    gy: f64,
    stmin: f64,
    stmax: f64,
}

impl MoreThuente {
    #[allow(clippy::too_many_arguments)]
    fn new(finit: f64, ginit: f64, stp: f64, ftol: f64, gtol: f64, xtol: f64, stpmin: f64, stpmax: f64) -> Self {
        let width = stpmax - stpmin;
        MoreThuente {
            gtol,
            xtol,
            stpmin,
            stpmax,
            finit,
            ginit,
            gtest: ftol * ginit,
            brackt: false,
            stage: 1,
            width,
            width1: width / 0.5,
            stx: 0.0,
            fx: finit,
            gx: ginit,
            sty: 0.0,
            fy: finit,
            gy: ginit,
            stmin: 0.0,
            stmax: stp + 4.0 * stp,
        }
    }

    /// Takes `f` and the directional derivative `g` at `stp`; says whether the step is accepted
    /// (convergence or one of `dcsrch`'s warnings) or which step to try next.
    fn step(&mut self, stp: f64, f: f64, g: f64) -> LineSearch {
        let ftest = self.finit + stp * self.gtest;
        if self.stage == 1 && f <= ftest && g >= 0.0 {
            self.stage = 2;
        }
        // Warnings end the search with the current step, as in `dcsrch`.
        if self.brackt && (stp <= self.stmin || stp >= self.stmax) {
            return LineSearch::Done;
        }
        if self.brackt && self.stmax - self.stmin <= self.xtol * self.stmax {
            return LineSearch::Done;
        }
        if stp == self.stpmax && f <= ftest && g <= self.gtest {
            return LineSearch::Done;
        }
        if stp == self.stpmin && (f > ftest || g >= self.gtest) {
            return LineSearch::Done;
        }
        if f <= ftest && g.abs() <= self.gtol * (-self.ginit) {
            return LineSearch::Done;
        }
        let mut stp = stp;
        if self.stage == 1 && f <= self.fx && f > ftest {
            // Modified function values, as in `dcsrch`.
            let fm = f - stp * self.gtest;
            let mut fxm = self.fx - self.stx * self.gtest;
            let mut fym = self.fy - self.sty * self.gtest;
            let gm = g - self.gtest;
            let mut gxm = self.gx - self.gtest;
            let mut gym = self.gy - self.gtest;
            dcstep(
                &mut self.stx,
                &mut fxm,
                &mut gxm,
                &mut self.sty,
                &mut fym,
                &mut gym,
                &mut stp,
                fm,
                gm,
                &mut self.brackt,
                self.stmin,
                self.stmax,
            );
            self.fx = fxm + self.stx * self.gtest;
            self.fy = fym + self.sty * self.gtest;
            self.gx = gxm + self.gtest;
            self.gy = gym + self.gtest;
        } else {
            dcstep(
                &mut self.stx,
                &mut self.fx,
                &mut self.gx,
                &mut self.sty,
                &mut self.fy,
                &mut self.gy,
                &mut stp,
                f,
                g,
                &mut self.brackt,
                self.stmin,
                self.stmax,
            );
        }
        if self.brackt {
            if (self.sty - self.stx).abs() >= 0.66 * self.width1 {
                stp = self.stx + 0.5 * (self.sty - self.stx);
            }
            self.width1 = self.width;
            self.width = (self.sty - self.stx).abs();
        }
        if self.brackt {
            self.stmin = self.stx.min(self.sty);
            self.stmax = self.stx.max(self.sty);
        } else {
            self.stmin = stp + 1.1 * (stp - self.stx);
            self.stmax = stp + 4.0 * (stp - self.stx);
        }
        stp = stp.max(self.stpmin).min(self.stpmax);
        if self.brackt && (stp <= self.stmin || stp >= self.stmax || self.stmax - self.stmin <= self.xtol * self.stmax)
        {
            stp = self.stx;
        }
        LineSearch::Try(stp)
    }
}

/// MINPACK-2's `dcstep`: a safeguarded cubic / quadratic step that keeps an interval of
/// uncertainty `[stx, sty]` around a point satisfying the strong Wolfe conditions.
#[allow(clippy::too_many_arguments)]
fn dcstep(
    stx: &mut f64,
    fx: &mut f64,
    dx: &mut f64,
    sty: &mut f64,
    fy: &mut f64,
    dy: &mut f64,
    stp: &mut f64,
    fp: f64,
    dp: f64,
    brackt: &mut bool,
    stpmin: f64,
    stpmax: f64,
) {
    let sgnd = dp * (*dx / dx.abs());
    let stpf;
    if fp > *fx {
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * ((theta / s).powi(2) - (*dx / s) * (dp / s)).sqrt();
        if *stp < *stx {
            gamma = -gamma;
        }
        let p = (gamma - *dx) + theta;
        let q = ((gamma - *dx) + gamma) + dp;
        let r = p / q;
        let stpc = *stx + r * (*stp - *stx);
        let stpq = *stx + ((*dx / ((*fx - fp) / (*stp - *stx) + *dx)) / 2.0) * (*stp - *stx);
        stpf = if (stpc - *stx).abs() < (stpq - *stx).abs() { stpc } else { stpc + (stpq - stpc) / 2.0 };
        *brackt = true;
    } else if sgnd < 0.0 {
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * ((theta / s).powi(2) - (*dx / s) * (dp / s)).sqrt();
        if *stp > *stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = ((gamma - dp) + gamma) + *dx;
        let r = p / q;
        let stpc = *stp + r * (*stx - *stp);
        let stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        stpf = if (stpc - *stp).abs() > (stpq - *stp).abs() { stpc } else { stpq };
        *brackt = true;
    } else if dp.abs() < dx.abs() {
        let theta = 3.0 * (*fx - fp) / (*stp - *stx) + *dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * ((theta / s).powi(2) - (*dx / s) * (dp / s)).max(0.0).sqrt();
        if *stp > *stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = (gamma + (*dx - dp)) + gamma;
        let r = p / q;
        let stpc = if r < 0.0 && gamma != 0.0 {
            *stp + r * (*stx - *stp)
        } else if *stp > *stx {
            stpmax
        } else {
            stpmin
        };
        let stpq = *stp + (dp / (dp - *dx)) * (*stx - *stp);
        if *brackt {
            let mut t = if (stpc - *stp).abs() < (stpq - *stp).abs() { stpc } else { stpq };
            t = if *stp > *stx { t.min(*stp + 0.66 * (*sty - *stp)) } else { t.max(*stp + 0.66 * (*sty - *stp)) };
            stpf = t;
        } else {
            let t = if (stpc - *stp).abs() > (stpq - *stp).abs() { stpc } else { stpq };
            stpf = t.min(stpmax).max(stpmin);
        }
    } else if *brackt {
        let theta = 3.0 * (fp - *fy) / (*sty - *stp) + *dy + dp;
        let s = theta.abs().max(dy.abs()).max(dp.abs());
        let mut gamma = s * ((theta / s).powi(2) - (*dy / s) * (dp / s)).sqrt();
        if *stp > *sty {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = ((gamma - dp) + gamma) + *dy;
        let r = p / q;
        stpf = *stp + r * (*sty - *stp);
    } else if *stp > *stx {
        stpf = stpmax;
    } else {
        stpf = stpmin;
    }
    if fp > *fx {
        *sty = *stp;
        *fy = fp;
        *dy = dp;
    } else {
        if sgnd < 0.0 {
            *sty = *stx;
            *fy = *fx;
            *dy = *dx;
        }
        *stx = *stp;
        *fx = fp;
        *dx = dp;
    }
    *stp = stpf;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock() {
        let fg = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let opts = Options { max_iter: 200, gtol: 1e-8, ftol: 0.0, memory: 10, maxls: 50 };
        let out = minimize(vec![-1.2, 1.0], fg, opts, |_, _, _| false);
        assert!(out.converged, "{out:?}");
        assert!((out.x[0] - 1.0).abs() < 1e-6 && (out.x[1] - 1.0).abs() < 1e-6, "{out:?}");
        assert!(out.n_iter < 60, "{}", out.n_iter);
    }

    #[test]
    fn quadratic_and_caps() {
        let fg = |x: &[f64], g: &mut [f64]| {
            let mut f = 0.0;
            for (i, (xi, gi)) in x.iter().zip(g.iter_mut()).enumerate() {
                let c = (i + 1) as f64;
                *gi = c * (xi - 1.0);
                f += 0.5 * c * (xi - 1.0).powi(2);
            }
            f
        };
        let opts = Options { max_iter: 100, gtol: 1e-10, ftol: 0.0, memory: 10, maxls: 50 };
        let out = minimize(vec![0.0; 20], fg, opts, |_, _, _| false);
        assert!(out.converged && out.x.iter().all(|v| (v - 1.0).abs() < 1e-8));
        let capped = minimize(vec![0.0; 20], fg, Options { max_iter: 2, ..opts }, |_, _, _| false);
        assert!(!capped.converged && capped.n_iter == 2);
        let stopped = minimize(vec![0.0; 20], fg, opts, |it, _, _| it >= 1);
        assert!(!stopped.converged && stopped.n_iter == 1);
    }
}
