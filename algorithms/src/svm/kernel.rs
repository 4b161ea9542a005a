//! Kernel functions of the support vector machines and the kernel-row machinery of training:
//! an owned, permutable copy of the training rows with their squared norms, from which one row
//! of the kernel matrix is computed as a matrix-vector product (row norms + dot products).

use ndarray::{Array2, ArrayView2, ArrayViewMut1, Axis, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The kernel of [`SVC`](crate::svm::SVC) / [`SVR`](crate::svm::SVR) (scikit-learn's `kernel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SvmKernel {
    /// `<x, x'>`.
    Linear,
    /// `(gamma <x, x'> + coef0)^degree`.
    Poly,
    /// `exp(-gamma ||x - x'||^2)` (the default).
    #[default]
    Rbf,
    /// `tanh(gamma <x, x'> + coef0)`.
    Sigmoid,
}

impl SvmKernel {
    /// scikit-learn's spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            SvmKernel::Linear => "linear",
            SvmKernel::Poly => "poly",
            SvmKernel::Rbf => "rbf",
            SvmKernel::Sigmoid => "sigmoid",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "linear" => SvmKernel::Linear,
            "poly" => SvmKernel::Poly,
            "rbf" => SvmKernel::Rbf,
            "sigmoid" => SvmKernel::Sigmoid,
            _ => return None,
        })
    }
}

/// The kernel coefficient `gamma` (scikit-learn's `gamma`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum Gamma {
    /// `1 / (n_features * X.var())` (the default; 1 when `X` is constant).
    #[default]
    Scale,
    /// `1 / n_features`.
    Auto,
    /// A fixed positive value.
    Value(f64),
}

impl Gamma {
    /// The value for training data `x`.
    pub(crate) fn resolve(&self, x: ArrayView2<'_, f64>) -> f64 {
        let d = x.ncols() as f64;
        match *self {
            Gamma::Value(g) => g,
            Gamma::Auto => 1.0 / d,
            Gamma::Scale => {
                let n = (x.nrows() * x.ncols()) as f64;
                let mean = x.sum() / n;
                let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                if var > 0.0 { 1.0 / (d * var) } else { 1.0 }
            }
        }
    }
}

/// A kernel with its resolved coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct KernelFn {
    pub kind: SvmKernel,
    pub gamma: f64,
    pub degree: i32,
    pub coef0: f64,
}

impl KernelFn {
    /// The kernel value from the dot product and the two squared norms.
    #[inline]
    pub fn eval(&self, dot: f64, sq_a: f64, sq_b: f64) -> f64 {
        match self.kind {
            SvmKernel::Linear => dot,
            SvmKernel::Rbf => (-self.gamma * (sq_a + sq_b - 2.0 * dot).max(0.0)).exp(),
            SvmKernel::Poly => (self.gamma * dot + self.coef0).powi(self.degree),
            SvmKernel::Sigmoid => (self.gamma * dot + self.coef0).tanh(),
        }
    }

    /// The kernel matrix between the rows of `a` and the rows of `b` (with their squared norms),
    /// computed as one GEMM followed by the element-wise kernel map.
    pub fn matrix(&self, a: ArrayView2<'_, f64>, sq_a: &[f64], b: ArrayView2<'_, f64>, sq_b: &[f64]) -> Array2<f64> {
        let mut k = a.dot(&b.t());
        for (i, mut row) in k.axis_iter_mut(Axis(0)).enumerate() {
            let sa = sq_a[i];
            for (v, &sb) in row.iter_mut().zip(sq_b) {
                *v = self.eval(*v, sa, sb);
            }
        }
        k
    }
}

/// Squared norm of each row.
pub(crate) fn row_norms_sq(x: ArrayView2<'_, f64>) -> Vec<f64> {
    x.axis_iter(Axis(0)).map(|r| r.dot(&r)).collect()
}

/// The training rows (owned, so that the solver can permute them) and what a kernel row needs.
#[derive(Debug)]
pub(crate) struct TrainKernel {
    x: Array2<f64>,
    sq: Vec<f64>,
    f: KernelFn,
    dots: Vec<f64>,
}

impl TrainKernel {
    pub fn new(x: Array2<f64>, f: KernelFn) -> Self {
        let sq = row_norms_sq(x.view());
        let n = x.nrows();
        TrainKernel { x, sq, f, dots: vec![0.0; n] }
    }

    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// `K(i, i)`.
    pub fn diag(&self, i: usize) -> f64 {
        self.f.eval(self.sq[i], self.sq[i], self.sq[i])
    }

    /// Writes `scale(k) * K(i, k)` for `k` in `start..start + out.len()` into `out`.
    ///
    /// Long rows are cut into fixed chunks computed on the rayon pool; every entry is one dot
    /// product, so the result does not depend on the number of threads.
    pub fn row_into(&mut self, i: usize, start: usize, out: &mut [f32], scale: impl Fn(usize) -> f64 + Sync) {
        const CHUNK: usize = 2048;
        let TrainKernel { x, sq, f, dots } = self;
        let (x, sq, f) = (&*x, &*sq, *f);
        let xi = x.row(i);
        let si = sq[i];
        let work = |first: usize, chunk: &mut [f32], buf: &mut [f64]| {
            let block = x.slice(s![first..first + chunk.len(), ..]);
            let mut d = ArrayViewMut1::from(&mut buf[..chunk.len()]);
            ndarray::linalg::general_mat_vec_mul(1.0, &block, &xi, 0.0, &mut d);
            for (t, (o, &dv)) in chunk.iter_mut().zip(d.iter()).enumerate() {
                let k = first + t;
                *o = (scale(k) * f.eval(dv, si, sq[k])) as f32;
            }
        };
        if out.len() >= 2 * CHUNK && rayon::current_num_threads() > 1 {
            out.par_chunks_mut(CHUNK)
                .enumerate()
                .for_each_init(|| vec![0.0; CHUNK], |buf, (c, chunk)| work(start + c * CHUNK, chunk, buf));
        } else {
            work(start, out, dots);
        }
    }

    /// Swaps rows `i` and `j` (libsvm's `Kernel::swap_index`).
    pub fn swap(&mut self, i: usize, j: usize) {
        if i == j {
            return;
        }
        let (a, b) = if i < j { (i, j) } else { (j, i) };
        let (mut top, mut bottom) = self.x.view_mut().split_at(Axis(0), b);
        let mut ra = top.row_mut(a);
        let mut rb = bottom.row_mut(0);
        for (u, v) in ra.iter_mut().zip(rb.iter_mut()) {
            std::mem::swap(u, v);
        }
        self.sq.swap(i, j);
    }
}
