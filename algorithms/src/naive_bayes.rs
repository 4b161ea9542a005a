//! Gaussian naive Bayes: [`GaussianNB`] with scikit-learn's semantics, and linfa-bayes as a
//! selectable backend ([`NbBackend::Linfa`]).

// Per-class loops index several arrays at once; iterators would obscure them.
#![allow(clippy::needless_range_loop)]

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use oxlearn_core::{
    ClassLabel, Classifier, ClassifierKind, EncodedLabels, Error, Estimator, Fitted, FittedClassifier, ParamValue,
    ProbabilisticClassifier, Result, Tags,
};
use serde::{Deserialize, Serialize};

/// Which implementation fits and evaluates [`GaussianNB`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NbBackend {
    /// Our implementation (the default): scikit-learn's two-pass per-class statistics.
    #[default]
    Native,
    /// linfa-bayes 0.8.1 fits the model and computes the joint log-likelihoods; the class
    /// priors are then replaced by user `priors` if given (linfa has none), and probabilities
    /// are normalized with a stable log-sum-exp (linfa's own `predict_proba` underflows far
    /// from the data). The accessors report our statistics of the same training data.
    Linfa,
}

/// Gaussian naive Bayes: scikit-learn's `GaussianNB`.
///
/// Each class is modelled by independent normal distributions per feature; a variance floor
/// `epsilon = var_smoothing * max_j var(X[:, j])` is added to every per-class variance.
///
/// Hyper-parameters (scikit-learn's defaults): `priors` = None (class frequencies; otherwise
/// one non-negative value per class, summing to 1), `var_smoothing` = 1e-9, `backend` = native.
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// gives weighted per-class means and variances, `class_count()` the summed weights and the
/// priors their fractions; `epsilon` stays the unweighted `var_smoothing * max_j var(X[:, j])`,
/// as scikit-learn. Native backend only.
///
/// Fitted accessors: `class_prior()`, `class_count()`, `theta()` (per-class means, `(k, d)`),
/// `var()` (per-class variances), `epsilon()`, `classes()`.
///
/// Errors: `InvalidParam` for a negative `var_smoothing`, or `priors` of the wrong length,
/// negative, or not summing to 1 (or sample weights with the linfa backend); the usual input
/// errors (for `sample_weight` too).
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::GaussianNB;
/// let x = ndarray::array![[-2.0, -1.0], [-1.0, -1.0], [-1.0, -2.0], [1.0, 1.0], [1.0, 2.0], [2.0, 1.0]];
/// let y = ndarray::array![1, 1, 1, 2, 2, 2];
/// let model = GaussianNB::default().fit(&x, &y)?;
/// assert_eq!(model.predict(&ndarray::array![[-0.8, -1.0]])?.to_vec(), vec![1]);
/// let proba = model.predict_proba(&x)?;
/// assert!((proba.row(0).sum() - 1.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianNB {
    priors: Option<Vec<f64>>,
    var_smoothing: f64,
    backend: NbBackend,
}

impl Default for GaussianNB {
    fn default() -> Self {
        GaussianNB { priors: None, var_smoothing: 1e-9, backend: NbBackend::Native }
    }
}

impl GaussianNB {
    /// Prior probabilities of the classes, in the order of the sorted classes.
    pub fn priors(mut self, priors: Vec<f64>) -> Self {
        self.priors = Some(priors);
        self
    }
    /// Portion of the largest feature variance added to all variances (default 1e-9).
    pub fn var_smoothing(mut self, v: f64) -> Self {
        self.var_smoothing = v;
        self
    }
    /// The implementation (default native).
    pub fn backend(mut self, backend: NbBackend) -> Self {
        self.backend = backend;
        self
    }
}

impl Estimator for GaussianNB {
    const NAME: &'static str = "GaussianNB";
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        Tags { sample_weight: self.backend != NbBackend::Linfa, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        if !(self.var_smoothing >= 0.0 && self.var_smoothing.is_finite()) {
            return Err(Error::invalid_param(
                "var_smoothing",
                format!("must be non-negative, got {}", self.var_smoothing),
            ));
        }
        if let Some(p) = &self.priors {
            if p.iter().any(|&v| !(v >= 0.0 && v.is_finite())) {
                return Err(Error::invalid_param("priors", format!("must be non-negative, got {p:?}")));
            }
            let sum: f64 = p.iter().sum();
            if (sum - 1.0).abs() > 1e-8 {
                return Err(Error::invalid_param("priors", format!("must sum to 1, got {sum}")));
            }
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "var_smoothing" => self.var_smoothing = value.as_f64(name)?,
            "priors" => match value {
                ParamValue::None => self.priors = None,
                other => {
                    return Err(Error::invalid_param(name, format!("set priors with the builder; got {other}")));
                }
            },
            "backend" => {
                self.backend = match value.as_str(name)? {
                    "native" => NbBackend::Native,
                    "linfa" => NbBackend::Linfa,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown backend {other:?}")));
                    }
                }
            }
            _ => {
                return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
            }
        }
        Ok(())
    }
}

/// A fitted [`GaussianNB`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedGaussianNB<L> {
    classes: Vec<L>,
    theta: Array2<f64>,
    var: Array2<f64>,
    class_prior: Array1<f64>,
    class_count: Array1<f64>,
    epsilon: f64,
    linfa: Option<linfa_bayes::GaussianNb<f64, usize>>,
}

/// Rows per block of [`class_block_sums`] (fixed: results never depend on the thread count).
const FIT_ROWS: usize = 4096;

/// `k x d` per-class accumulations: `f(acc_row_of_class, class, row_index, x_row)` for every row, over
/// fixed blocks of rows in parallel, the block results added in block order.
fn class_block_sums(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, usize>,
    k: usize,
    f: impl Fn(&mut [f64], usize, usize, &[f64]) + Sync,
) -> Array2<f64> {
    use rayon::prelude::*;
    let (n, d) = x.dim();
    let block = |b: usize| {
        let mut acc = vec![0.0; k * d];
        let mut tmp = Vec::new();
        for i in b * FIT_ROWS..((b + 1) * FIT_ROWS).min(n) {
            let c = y[i];
            let row = x.row(i);
            let row = match row.as_slice() {
                Some(r) => r,
                None => {
                    tmp.clear();
                    tmp.extend(row.iter().copied());
                    &tmp[..]
                }
            };
            f(&mut acc[c * d..(c + 1) * d], c, i, row);
        }
        acc
    };
    let blocks = n.div_ceil(FIT_ROWS);
    let parts: Vec<Vec<f64>> = if blocks > 1 && rayon::current_num_threads() > 1 {
        (0..blocks).into_par_iter().map(block).collect()
    } else {
        (0..blocks).map(block).collect()
    };
    let mut out = vec![0.0; k * d];
    for p in &parts {
        out.iter_mut().zip(p).for_each(|(o, &v)| *o += v);
    }
    Array2::from_shape_vec((k, d), out).expect("k * d values")
}

impl Classifier for GaussianNB {
    type Fitted<L: ClassLabel> = FittedGaussianNB<L>;

    fn fit_checked<L: ClassLabel>(&self, x: ArrayView2<'_, f64>, y: EncodedLabels<L>) -> Result<FittedGaussianNB<L>> {
        let k = y.n_classes();
        let d = x.ncols();
        if let Some(p) = &self.priors
            && p.len() != k
        {
            return Err(Error::invalid_param("priors", format!("has {} values, but y has {k} classes", p.len())));
        }
        let counts = y.counts();
        // Per-class sums, then per-class squared deviations: two passes over fixed blocks of
        // rows in parallel (row slices, partial results added in block order, so the same for
        // any thread count).
        let sums = class_block_sums(x, y.y.view(), k, |acc, _, _, row| {
            acc.iter_mut().zip(row).for_each(|(a, &v)| *a += v);
        });
        let mut theta = Array2::zeros((k, d));
        for c in 0..k {
            let mean = &sums.row(c) / counts[c] as f64;
            theta.row_mut(c).assign(&mean);
        }
        let ssd = class_block_sums(x, y.y.view(), k, |acc, c, _, row| {
            acc.iter_mut().zip(row).zip(theta.row(c)).for_each(|((a, &v), &m)| *a += (v - m) * (v - m));
        });
        // Largest feature variance (ddof 0) from the class statistics:
        // n Var_j = Σ_c (ssd_cj + n_c (θ_cj - μ_j)²) with μ_j = Σ_c n_c θ_cj / n.
        let n_all = x.nrows() as f64;
        let max_var = (0..d)
            .map(|j| {
                let mu = (0..k).map(|c| counts[c] as f64 * theta[[c, j]]).sum::<f64>() / n_all;
                (0..k)
                    .map(|c| ssd[[c, j]] + counts[c] as f64 * (theta[[c, j]] - mu) * (theta[[c, j]] - mu))
                    .sum::<f64>()
                    / n_all
            })
            .fold(0.0, f64::max);
        // A constant X would give zero variances and NaN likelihoods: fall back to an absolute floor.
        let epsilon =
            if max_var > 0.0 { self.var_smoothing * max_var } else { self.var_smoothing.max(f64::MIN_POSITIVE) };
        let mut var = ssd;
        for c in 0..k {
            let n = counts[c] as f64;
            var.row_mut(c).mapv_inplace(|v| v / n + epsilon);
        }
        let class_count = Array1::from_iter(counts.iter().map(|&c| c as f64));
        let class_prior = match &self.priors {
            Some(p) => Array1::from(p.clone()),
            None => &class_count / x.nrows() as f64,
        };
        let linfa = match self.backend {
            NbBackend::Native => None,
            NbBackend::Linfa => {
                use linfa::prelude::*;
                let dataset = linfa::Dataset::new(x.to_owned(), y.y.clone());
                let model = linfa_bayes::GaussianNb::params()
                    .var_smoothing(self.var_smoothing)
                    .fit(&dataset)
                    .map_err(|e| oxlearn_core::Error::Other(format!("linfa-bayes failed: {e}")))?;
                Some(model)
            }
        };
        Ok(FittedGaussianNB { classes: y.classes, theta, var, class_prior, class_count, epsilon, linfa })
    }

    fn fit_weighted_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedGaussianNB<L>> {
        let k = y.n_classes();
        let d = x.ncols();
        if let Some(p) = &self.priors
            && p.len() != k
        {
            return Err(Error::invalid_param("priors", format!("has {} values, but y has {k} classes", p.len())));
        }
        if self.backend == NbBackend::Linfa {
            return Err(Error::invalid_param("backend", "the linfa backend does not support sample weights"));
        }
        let w = sample_weight;
        let mut class_count = Array1::<f64>::zeros(k);
        for (&c, &wi) in y.y.iter().zip(w) {
            class_count[c] += wi;
        }
        // Weighted per-class means, then weighted squared deviations (scikit-learn's
        // `_update_mean_variance` with `sample_weight`); a class of total weight 0 keeps mean 0
        // and variance `epsilon`, as scikit-learn.
        let sums = class_block_sums(x, y.y.view(), k, |acc, _, i, row| {
            acc.iter_mut().zip(row).for_each(|(a, &v)| *a += w[i] * v);
        });
        let mut theta = Array2::zeros((k, d));
        for c in 0..k {
            if class_count[c] > 0.0 {
                theta.row_mut(c).assign(&(&sums.row(c) / class_count[c]));
            }
        }
        let ssd = class_block_sums(x, y.y.view(), k, |acc, c, i, row| {
            acc.iter_mut().zip(row).zip(theta.row(c)).for_each(|((a, &v), &m)| *a += w[i] * (v - m) * (v - m));
        });
        // As scikit-learn, the variance floor uses the unweighted variance of X.
        let max_var = x.var_axis(Axis(0), 0.0).fold(0.0, |m: f64, &v| m.max(v));
        let epsilon =
            if max_var > 0.0 { self.var_smoothing * max_var } else { self.var_smoothing.max(f64::MIN_POSITIVE) };
        let mut var = ssd;
        for c in 0..k {
            let n = class_count[c];
            var.row_mut(c).mapv_inplace(|v| if n > 0.0 { v / n } else { 0.0 } + epsilon);
        }
        let class_prior = match &self.priors {
            Some(p) => Array1::from(p.clone()),
            None => &class_count / class_count.sum(),
        };
        Ok(FittedGaussianNB { classes: y.classes, theta, var, class_prior, class_count, epsilon, linfa: None })
    }
}

impl<L> FittedGaussianNB<L> {
    /// Prior probability of each class (`class_prior_`).
    pub fn class_prior(&self) -> ArrayView1<'_, f64> {
        self.class_prior.view()
    }
    /// Number of training samples of each class (`class_count_`).
    pub fn class_count(&self) -> ArrayView1<'_, f64> {
        self.class_count.view()
    }
    /// Per-class feature means, `(n_classes, n_features)` (`theta_`).
    pub fn theta(&self) -> ArrayView2<'_, f64> {
        self.theta.view()
    }
    /// Per-class feature variances including `epsilon` (`var_`).
    pub fn var(&self) -> ArrayView2<'_, f64> {
        self.var.view()
    }
    /// The variance floor added to every variance (`epsilon_`).
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// Joint log-likelihood `log P(c) + log P(x | c)`, `(n, n_classes)`.
    pub fn joint_log_likelihood(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let k = self.theta.nrows();
        let mut jll = Array2::zeros((x.nrows(), k));
        if let Some(model) = &self.linfa {
            use linfa_bayes::NaiveBayes;
            let by_class = model.joint_log_likelihood(x);
            for (&c, values) in by_class {
                // linfa's likelihood uses its own priors (class frequencies); swap in ours.
                let shift = self.class_prior[c].ln() - (self.class_count[c] / self.class_count.sum()).ln();
                jll.column_mut(c).assign(&values.mapv(|v| v + shift));
            }
            return jll;
        }
        let norms: Vec<f64> = (0..k)
            .map(|c| {
                let norm = -0.5 * self.var.row(c).iter().map(|v| (2.0 * std::f64::consts::PI * v).ln()).sum::<f64>();
                self.class_prior[c].ln() + norm
            })
            .collect();
        // Row blocks in parallel (each row's values do not depend on the blocking), every row
        // read once for all classes.
        const ROWS: usize = 2048;
        let (theta, var) = (&self.theta, &self.var);
        let block = |(b, mut out): (usize, ndarray::ArrayViewMut2<'_, f64>)| {
            let xb = x.slice(ndarray::s![b * ROWS..b * ROWS + out.nrows(), ..]);
            for (mut o, row) in out.outer_iter_mut().zip(xb.outer_iter()) {
                for c in 0..k {
                    let (theta, var) = (theta.row(c), var.row(c));
                    let mut s = 0.0;
                    for ((&xj, &tj), &vj) in row.iter().zip(theta.iter()).zip(var.iter()) {
                        let diff = xj - tj;
                        s += diff * diff / vj;
                    }
                    o[c] = norms[c] - 0.5 * s;
                }
            }
        };
        if x.nrows() > ROWS && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            jll.axis_chunks_iter_mut(Axis(0), ROWS).into_par_iter().enumerate().for_each(block);
        } else {
            jll.axis_chunks_iter_mut(Axis(0), ROWS).enumerate().for_each(block);
        }
        jll
    }
}

impl<L: ClassLabel> Fitted for FittedGaussianNB<L> {
    const NAME: &'static str = "GaussianNB";
    fn n_features_in(&self) -> usize {
        self.theta.ncols()
    }
    /// Shape only: the predictions check finiteness fused with the likelihood.
    fn check_x<'a>(&self, x: ArrayView2<'a, f64>) -> Result<ArrayView2<'a, f64>> {
        oxlearn_core::validate::check_predict_shape(Self::NAME, self.theta.ncols(), x)?;
        Ok(x)
    }
}

impl<L> FittedGaussianNB<L> {
    /// The joint log-likelihood of validated-shape input, with the finiteness check fused in: a
    /// non-finite value makes its row's likelihood non-finite (see
    /// [`crate::linalg::check_finite_via`]).
    fn checked_jll(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if self.linfa.is_some() {
            oxlearn_core::validate::check_finite(x, false)?;
            return Ok(self.joint_log_likelihood(x));
        }
        let jll = self.joint_log_likelihood(x);
        crate::linalg::check_finite_via(x, jll.column(0))?;
        Ok(jll)
    }
}

impl<L: ClassLabel> FittedClassifier<L> for FittedGaussianNB<L> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let jll = self.checked_jll(x)?;
        Ok(Array1::from_iter(jll.axis_iter(Axis(0)).map(|row| {
            let mut best = 0;
            for c in 1..row.len() {
                if row[c] > row[best] {
                    best = c;
                }
            }
            best
        })))
    }

    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut p = self.checked_jll(x)?;
        for mut row in p.axis_iter_mut(Axis(0)) {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            row.mapv_inplace(|v| (v - lse).exp());
        }
        Ok(p)
    }
}

impl<L: ClassLabel> ProbabilisticClassifier<L> for FittedGaussianNB<L> {}
