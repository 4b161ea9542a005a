//! Support vector machines with scikit-learn's names and defaults: [`SVC`] and [`SVR`] on our
//! own SMO solver (libsvm's algorithm: WSS3 working-set selection, an LRU kernel-row cache,
//! shrinking with gradient reconstruction), and [`LinearSVC`] on liblinear's dual coordinate
//! descent. linfa-svm is a selectable backend of `SVC` / `SVR` ([`SvmBackend::Linfa`]).

mod cache;
mod kernel;
mod linear_svc;
mod platt;
mod smo;
mod svc;
mod svr;

pub use kernel::{Gamma, SvmKernel};
pub use linear_svc::{FittedLinearSVC, LinearSVC};
pub use svc::{DecisionFunctionShape, FittedSVC, SVC};
pub use svr::{FittedSVR, SVR};

use ndarray::{Array1, Array2, ArrayView2, Axis};
use oxlearn_core::{Callback, Error, ParamValue, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use kernel::{KernelFn, row_norms_sq};
use smo::{SolverParams, SvcQ};

/// Which solver fits [`SVC`] / [`SVR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SvmBackend {
    /// Our SMO (libsvm's algorithm, with its kernel cache and shrinking). The default.
    #[default]
    Native,
    /// linfa-svm 0.8.1: its SMO on a dense precomputed kernel matrix (memory grows as n^2), with
    /// shrinking always off (linfa's shrinking returns wrong models). `gamma` maps to linfa's
    /// Gaussian `eps = 1 / gamma`, `C` to `pos_neg_weights(C, C)`, `tol` to `eps`. No sigmoid
    /// kernel. The fitted model is stored and evaluated exactly as a native one.
    Linfa,
}

impl SvmBackend {
    pub(crate) fn parse(name: &str, value: &ParamValue) -> Result<Self> {
        match value.as_str(name)? {
            "native" => Ok(SvmBackend::Native),
            "linfa" => Ok(SvmBackend::Linfa),
            other => {
                Err(Error::invalid_param(name, format!("unknown backend {other:?} (expected \"native\" or \"linfa\")")))
            }
        }
    }
}

/// Hyper-parameters shared by [`SVC`] and [`SVR`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KernelParams {
    pub kernel: SvmKernel,
    pub degree: i32,
    pub gamma: Gamma,
    pub coef0: f64,
    pub c: f64,
    pub tol: f64,
    pub shrinking: bool,
    pub cache_size: f64,
    pub max_iter: Option<usize>,
    pub backend: SvmBackend,
    pub n_jobs: Option<usize>,
    pub callback: Callback,
}

impl Default for KernelParams {
    fn default() -> Self {
        KernelParams {
            kernel: SvmKernel::Rbf,
            degree: 3,
            gamma: Gamma::Scale,
            coef0: 0.0,
            c: 1.0,
            tol: 1e-3,
            shrinking: true,
            cache_size: 200.0,
            max_iter: None,
            backend: SvmBackend::Native,
            n_jobs: None,
            callback: Callback::none(),
        }
    }
}

impl KernelParams {
    pub fn check(&self) -> Result<()> {
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Err(Error::invalid_param("C", format!("must be positive and finite, got {}", self.c)));
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(Error::invalid_param("tol", format!("must be positive, got {}", self.tol)));
        }
        if !(self.cache_size > 0.0 && self.cache_size.is_finite()) {
            return Err(Error::invalid_param("cache_size", format!("must be positive (MB), got {}", self.cache_size)));
        }
        if self.degree < 0 {
            return Err(Error::invalid_param("degree", format!("must be non-negative, got {}", self.degree)));
        }
        if !self.coef0.is_finite() {
            return Err(Error::invalid_param("coef0", format!("must be finite, got {}", self.coef0)));
        }
        if let Gamma::Value(g) = self.gamma
            && !(g >= 0.0 && g.is_finite())
        {
            return Err(Error::invalid_param("gamma", format!("must be non-negative and finite, got {g}")));
        }
        if self.n_jobs == Some(0) {
            return Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0"));
        }
        if self.max_iter == Some(0) {
            return Err(Error::invalid_param("max_iter", "must be positive (or None for no limit), got 0"));
        }
        if self.backend == SvmBackend::Linfa && self.kernel == SvmKernel::Sigmoid {
            return Err(Error::invalid_param("kernel", "the linfa backend has no sigmoid kernel"));
        }
        if self.backend == SvmBackend::Linfa && self.kernel == SvmKernel::Rbf && self.gamma == Gamma::Value(0.0) {
            return Err(Error::invalid_param("gamma", "the linfa backend needs gamma > 0 (its eps is 1 / gamma)"));
        }
        Ok(())
    }

    /// Sets a shared parameter by its scikit-learn name; `Ok(false)` when the name is not one.
    pub fn set(&mut self, name: &str, value: &ParamValue) -> Result<bool> {
        match name {
            "C" | "c" => self.c = value.as_f64(name)?,
            "kernel" => {
                let s = value.as_str(name)?;
                self.kernel =
                    SvmKernel::parse(s).ok_or_else(|| Error::invalid_param(name, format!("unknown kernel {s:?}")))?;
            }
            "degree" => {
                self.degree = i32::try_from(value.as_usize(name)?)
                    .map_err(|_| Error::invalid_param(name, "degree is too large"))?
            }
            "gamma" => {
                self.gamma = match value {
                    ParamValue::Str(s) if s == "scale" => Gamma::Scale,
                    ParamValue::Str(s) if s == "auto" => Gamma::Auto,
                    other => Gamma::Value(other.as_f64(name)?),
                }
            }
            "coef0" => self.coef0 = value.as_f64(name)?,
            "tol" => self.tol = value.as_f64(name)?,
            "shrinking" => self.shrinking = value.as_bool(name)?,
            "cache_size" => self.cache_size = value.as_f64(name)?,
            "max_iter" => {
                self.max_iter = match value {
                    ParamValue::Int(-1) | ParamValue::None => None,
                    other => Some(other.as_usize(name)?),
                }
            }
            "backend" => self.backend = SvmBackend::parse(name, value)?,
            "n_jobs" => self.n_jobs = value.as_opt_usize(name)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub fn kernel_fn(&self, x: ArrayView2<'_, f64>) -> KernelFn {
        KernelFn { kind: self.kernel, gamma: self.gamma.resolve(x), degree: self.degree, coef0: self.coef0 }
    }

    pub fn cache_bytes(&self) -> usize {
        (self.cache_size * 1024.0 * 1024.0) as usize
    }

    pub fn solver_params<'a>(&'a self, estimator: &'static str) -> SolverParams<'a> {
        SolverParams {
            eps: self.tol,
            shrinking: self.shrinking,
            max_iter: self.max_iter,
            callback: &self.callback,
            estimator,
        }
    }
}

/// A solved two-class problem: `decision(x) = sum_i coef_i K(x_i, x) - rho`.
#[derive(Debug, Clone)]
pub(crate) struct BinaryModel {
    /// `y_i alpha_i` for each training row of the sub-problem.
    pub coef: Vec<f64>,
    pub rho: f64,
    pub n_iter: usize,
    pub converged: bool,
}

/// Solves the two-class problem `(x, y)` (`y` in {+1, -1}) with box bounds `cp` / `cn`, each
/// multiplied by the sample's weight when there are weights.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_binary(
    x: Array2<f64>,
    y: &[i8],
    cp: f64,
    cn: f64,
    weight: Option<&[f64]>,
    kf: KernelFn,
    params: &KernelParams,
    estimator: &'static str,
) -> Result<BinaryModel> {
    if weight.is_some() && params.backend == SvmBackend::Linfa {
        return Err(Error::invalid_param("backend", "the linfa backend does not support sample weights"));
    }
    match params.backend {
        SvmBackend::Native => {
            let l = y.len();
            let mut q = SvcQ::new(x, y, kf, params.cache_bytes());
            let p = vec![-1.0; l];
            let sol = smo::solve(&mut q, &p, y, &vec![0.0; l], cp, cn, weight, &params.solver_params(estimator));
            let coef = sol.alpha.iter().zip(y).map(|(a, &yi)| a * f64::from(yi)).collect();
            Ok(BinaryModel { coef, rho: sol.rho, n_iter: sol.n_iter, converged: sol.converged })
        }
        SvmBackend::Linfa => linfa_binary(x, y, cp, cn, kf, params),
    }
}

fn linfa_kernel_params<T>(p: linfa_svm::SvmParams<f64, T>, kf: KernelFn) -> linfa_svm::SvmParams<f64, T> {
    match kf.kind {
        SvmKernel::Linear => p.linear_kernel(),
        SvmKernel::Rbf => p.gaussian_kernel(1.0 / kf.gamma),
        // linfa's polynomial kernel has no gamma: the rows are scaled by sqrt(gamma) instead.
        SvmKernel::Poly => p.polynomial_kernel(kf.coef0, f64::from(kf.degree)),
        SvmKernel::Sigmoid => {
            unreachable!("check_params rejects the sigmoid kernel with the linfa backend")
        }
    }
}

fn linfa_records(mut x: Array2<f64>, kf: KernelFn) -> Array2<f64> {
    if kf.kind == SvmKernel::Poly {
        let s = kf.gamma.sqrt();
        x.mapv_inplace(|v| v * s);
    }
    x
}

fn linfa_binary(
    x: Array2<f64>,
    y: &[i8],
    cp: f64,
    cn: f64,
    kf: KernelFn,
    params: &KernelParams,
) -> Result<BinaryModel> {
    use linfa::prelude::*;
    let targets = Array1::from_iter(y.iter().map(|&v| v > 0));
    let dataset = linfa::Dataset::new(linfa_records(x, kf), targets);
    let p = linfa_svm::Svm::<f64, bool>::params().pos_neg_weights(cp, cn).eps(params.tol).shrinking(false);
    let model = linfa_kernel_params(p, kf)
        .fit(&dataset)
        .map_err(|e| oxlearn_core::Error::Other(format!("linfa-svm failed: {e}")))?;
    Ok(BinaryModel { coef: model.alpha.clone(), rho: model.rho, n_iter: 0, converged: true })
}

/// Solves epsilon-SVR with linfa; returns `(coef, rho)`.
pub(crate) fn linfa_svr(
    x: Array2<f64>,
    y: &[f64],
    epsilon: f64,
    kf: KernelFn,
    params: &KernelParams,
) -> Result<(Vec<f64>, f64)> {
    use linfa::prelude::*;
    let dataset = linfa::Dataset::new(linfa_records(x, kf), Array1::from(y.to_vec()));
    let p = linfa_svm::Svm::<f64, f64>::params().c_svr(params.c, Some(epsilon)).eps(params.tol).shrinking(false);
    let model = linfa_kernel_params(p, kf)
        .fit(&dataset)
        .map_err(|e| oxlearn_core::Error::Other(format!("linfa-svm failed: {e}")))?;
    Ok((model.alpha.clone(), model.rho))
}

/// Support vectors with their squared norms and coefficient rows, evaluated in row blocks
/// with one GEMM per block.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SupportSet {
    pub kernel: KernelFn,
    pub vectors: Array2<f64>,
    pub sq: Vec<f64>,
}

impl SupportSet {
    pub fn new(kernel: KernelFn, vectors: Array2<f64>) -> Self {
        let sq = row_norms_sq(vectors.view());
        SupportSet { kernel, vectors, sq }
    }

    /// `f(K)` for each block of rows of `x` (in order), with `K` the kernel matrix between the
    /// block and the support vectors. Blocks have a fixed size and run on the rayon pool.
    pub fn map_blocks<T: Send>(&self, x: ArrayView2<'_, f64>, f: impl Fn(&Array2<f64>) -> T + Sync) -> Vec<T> {
        const BLOCK: usize = 256;
        let starts: Vec<usize> = (0..x.nrows()).step_by(BLOCK).collect();
        starts
            .par_iter()
            .map(|&start| {
                let end = (start + BLOCK).min(x.nrows());
                let xb = x.slice_axis(Axis(0), (start..end).into());
                let sq = row_norms_sq(xb);
                f(&self.kernel.matrix(xb, &sq, self.vectors.view(), &self.sq))
            })
            .collect()
    }

    /// `K . coef - rho` for each row of `x`.
    pub fn decision(&self, x: ArrayView2<'_, f64>, coef: &Array1<f64>, rho: f64) -> Vec<f64> {
        self.map_blocks(x, |k| k.dot(coef)).into_iter().flat_map(|d| d.into_iter().map(|v| v - rho)).collect()
    }
}

/// Decision values of a binary model on `test` rows (the training rows of the model are `train`).
pub(crate) fn binary_decision(
    model: &BinaryModel,
    train: ArrayView2<'_, f64>,
    kf: KernelFn,
    test: ArrayView2<'_, f64>,
) -> Vec<f64> {
    let nz: Vec<usize> = (0..model.coef.len()).filter(|&i| model.coef[i] != 0.0).collect();
    let set = SupportSet::new(kf, train.select(Axis(0), &nz));
    let coef = Array1::from_iter(nz.iter().map(|&i| model.coef[i]));
    set.decision(test, &coef, model.rho)
}
