//! [`SVC`]: C-support vector classification, one-vs-one as libsvm, with optional Platt
//! probabilities.

// The solver follows libsvm's index loops over several arrays at once.
#![allow(clippy::needless_range_loop)]

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use oxlearn_core::{
    Callback, ClassLabel, Classifier, ClassifierKind, EncodedLabels, Error, Estimator, Fitted, FittedClassifier,
    ParamValue, Result, Tags,
};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::kernel::KernelFn;
use super::platt::{multiclass_probability, sigmoid_predict, sigmoid_train};
use super::{BinaryModel, Gamma, KernelParams, SupportSet, SvmBackend, SvmKernel, binary_decision, train_binary};
use crate::ClassWeight;

/// The shape of [`FittedSVC::decision_function`] for more than two classes (scikit-learn's
/// `decision_function_shape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DecisionFunctionShape {
    /// One column per class: votes plus a squashed sum of confidences (the default).
    #[default]
    Ovr,
    /// One column per pair of classes `(i, j)`, `i < j`, in libsvm's order.
    Ovo,
}

/// C-support vector classification: scikit-learn's `SVC` (libsvm's C-SVC).
///
/// Fits one binary SVM per pair of classes with our SMO solver (libsvm's algorithm: second-order
/// working-set selection, a least-recently-used kernel-row cache of `cache_size` MB, shrinking
/// with gradient reconstruction); `predict` takes the class with most pairwise votes (ties go to
/// the first class, as libsvm).
///
/// Hyper-parameters (scikit-learn's defaults): `c` = 1.0 (`C`), `kernel` = [`SvmKernel::Rbf`],
/// `degree` = 3, `gamma` = [`Gamma::Scale`] (`1 / (n_features * X.var())`), `coef0` = 0.0,
/// `shrinking` = true, `probability` = false, `tol` = 1e-3, `cache_size` = 200 (MB),
/// `max_iter` = None (libsvm's own limit), `decision_function_shape` = ovr, `seed` = None
/// (`random_state`: the shuffle of the probability cross-validation), `backend` =
/// [`SvmBackend::Native`].
///
/// Fitted accessors: `support()`, `support_vectors()`, `n_support()`, `dual_coef()`,
/// `intercept()`, `coef()` (linear kernel), `prob_a()` / `prob_b()`, `gamma()`, `n_iter()`,
/// `converged()`, `classes()`.
///
/// Probabilities (`probability(true)`): for each pair, a sigmoid is fitted to decision values
/// of a 5-fold cross-validation on that pair's data (shuffled with `seed`), then pairwise
/// probabilities are coupled as libsvm does. As in scikit-learn, `predict` still uses the votes,
/// so `argmax(predict_proba)` may disagree with `predict` on a few points. The random shuffle
/// differs from libsvm's `rand()`, so probabilities match scikit-learn's in distribution, not
/// digit for digit.
///
/// `class_weight` = None ([`ClassWeight::Balanced`] or an explicit map): the pair `(a, b)` is
/// solved with `C · weight[a]` for class `a` and `C · weight[b]` for class `b`, as libsvm.
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// multiplies each sample's bound `C` by its weight (scikit-learn's libsvm); samples of weight
/// 0 are left out, as scikit-learn does. Both need the native backend.
///
/// Not implemented: `break_ties`, precomputed or callable kernels.
///
/// Errors: `InvalidParam` for `C <= 0`, `tol <= 0`, `cache_size <= 0`, a negative `degree` or
/// `gamma`, `max_iter = 0`, the sigmoid kernel with the linfa backend, weights with the linfa
/// backend; the usual input errors (for `sample_weight` too; a class whose samples all weigh 0
/// is an `InvalidInput`).
///
/// ```
/// use oxlearn_core::prelude::*;
/// use oxlearn_algorithms::SVC;
/// let x = ndarray::array![[0.0, 0.0], [0.2, 0.1], [1.0, 1.0], [0.9, 1.1]];
/// let y = ndarray::array!["a", "a", "b", "b"].mapv(String::from);
/// let model = SVC::default().c(10.0).fit(&x, &y)?;
/// assert_eq!(model.predict(&x)?.to_vec(), vec!["a", "a", "b", "b"]);
/// assert_eq!(model.n_support().iter().sum::<usize>(), model.support().len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SVC {
    params: KernelParams,
    probability: bool,
    decision_function_shape: DecisionFunctionShape,
    seed: Option<u64>,
    class_weight: Option<ClassWeight>,
}

impl SVC {
    /// Weights of the classes (scikit-learn's `class_weight`; default `None`: all 1).
    pub fn class_weight(mut self, v: impl Into<Option<ClassWeight>>) -> Self {
        self.class_weight = v.into();
        self
    }
    /// Regularization `C` (> 0; default 1.0).
    pub fn c(mut self, c: f64) -> Self {
        self.params.c = c;
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
    /// Kernel coefficient of rbf / poly / sigmoid (default [`Gamma::Scale`]).
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
    /// Whether to fit probability estimates (default false; five extra fits per pair).
    pub fn probability(mut self, probability: bool) -> Self {
        self.probability = probability;
        self
    }
    /// Stopping tolerance of the solver (default 1e-3).
    pub fn tol(mut self, tol: f64) -> Self {
        self.params.tol = tol;
        self
    }
    /// Kernel cache size in MB (default 200).
    pub fn cache_size(mut self, mb: f64) -> Self {
        self.params.cache_size = mb;
        self
    }
    /// Iteration limit of each solver run (default None: libsvm's `max(1e7, 100 n)`).
    pub fn max_iter(mut self, max_iter: Option<usize>) -> Self {
        self.params.max_iter = max_iter;
        self
    }
    /// Shape of `decision_function` for more than two classes (default ovr).
    pub fn decision_function_shape(mut self, shape: DecisionFunctionShape) -> Self {
        self.decision_function_shape = shape;
        self
    }
    /// Seed of the probability cross-validation shuffle (`random_state`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// The solver backend (default native).
    pub fn backend(mut self, backend: SvmBackend) -> Self {
        self.params.backend = backend;
        self
    }
    /// Threads for kernel rows and prediction blocks (not a scikit-learn parameter of `SVC`;
    /// default `None`: the caller's rayon pool). Results do not depend on it.
    pub fn n_jobs(mut self, n: usize) -> Self {
        self.params.n_jobs = Some(n);
        self
    }
    /// Progress callback (reported every `min(n, 1000)` solver iterations).
    pub fn callback(mut self, callback: Callback) -> Self {
        self.params.callback = callback;
        self
    }
}

impl Estimator for SVC {
    const NAME: &'static str = "SVC";
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        Tags {
            non_deterministic: self.probability,
            sample_weight: self.params.backend != SvmBackend::Linfa,
            ..Tags::default()
        }
    }

    fn check_params(&self) -> Result<()> {
        if let Some(cw) = &self.class_weight {
            cw.check(false)?;
            if self.params.backend == SvmBackend::Linfa {
                return Err(Error::invalid_param("class_weight", "the linfa backend does not support class weights"));
            }
        }
        self.params.check()
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        if self.params.set(name, value)? {
            return Ok(());
        }
        match name {
            "probability" => self.probability = value.as_bool(name)?,
            "decision_function_shape" => {
                self.decision_function_shape = match value.as_str(name)? {
                    "ovr" => DecisionFunctionShape::Ovr,
                    "ovo" => DecisionFunctionShape::Ovo,
                    other => {
                        return Err(Error::invalid_param(name, format!("unknown shape {other:?}")));
                    }
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

/// A fitted [`SVC`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedSVC<L> {
    classes: Vec<L>,
    set: SupportSet,
    support: Vec<usize>,
    n_support: Vec<usize>,
    /// libsvm's `sv_coef`: `(k - 1, n_sv)`.
    sv_coef: Array2<f64>,
    /// libsvm's `rho`, one per pair.
    rho: Vec<f64>,
    prob_a: Option<Vec<f64>>,
    prob_b: Option<Vec<f64>>,
    n_iter: Vec<usize>,
    converged: bool,
    shape: DecisionFunctionShape,
    n_features_in: usize,
    n_jobs: Option<usize>,
}

/// Fits Platt's sigmoid on 5-fold cross-validated decision values of the pair (libsvm's
/// `svm_binary_svc_probability`).
#[allow(clippy::too_many_arguments)]
fn binary_probability(
    x: &Array2<f64>,
    y: &[i8],
    cp: f64,
    cn: f64,
    weight: Option<&[f64]>,
    kf: KernelFn,
    params: &KernelParams,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<(f64, f64)> {
    let l = y.len();
    let nr_fold = 5;
    let mut perm: Vec<usize> = (0..l).collect();
    for i in 0..l {
        let j = rng.gen_range(i..l);
        perm.swap(i, j);
    }
    let mut dec = vec![0.0; l];
    for fold in 0..nr_fold {
        let (begin, end) = (fold * l / nr_fold, (fold + 1) * l / nr_fold);
        let train: Vec<usize> = perm[..begin].iter().chain(&perm[end..]).copied().collect();
        let test = &perm[begin..end];
        let sub_y: Vec<i8> = train.iter().map(|&i| y[i]).collect();
        let p = sub_y.iter().filter(|&&v| v > 0).count();
        let n = sub_y.len() - p;
        if p == 0 && n == 0 {
            test.iter().for_each(|&i| dec[i] = 0.0);
        } else if n == 0 {
            test.iter().for_each(|&i| dec[i] = 1.0);
        } else if p == 0 {
            test.iter().for_each(|&i| dec[i] = -1.0);
        } else {
            let sub_x = x.select(Axis(0), &train);
            let sub_w: Option<Vec<f64>> = weight.map(|w| train.iter().map(|&i| w[i]).collect());
            let model = train_binary(sub_x.clone(), &sub_y, cp, cn, sub_w.as_deref(), kf, params, "SVC")?;
            let test_x = x.select(Axis(0), test);
            let d = binary_decision(&model, sub_x.view(), kf, test_x.view());
            for (&i, v) in test.iter().zip(d) {
                dec[i] = v;
            }
        }
    }
    Ok(sigmoid_train(&dec, y))
}

impl Classifier for SVC {
    type Fitted<L: ClassLabel> = FittedSVC<L>;

    fn fit_checked<L: ClassLabel>(&self, x: ArrayView2<'_, f64>, y: EncodedLabels<L>) -> Result<FittedSVC<L>> {
        oxlearn_core::parallel::with_n_jobs(self.params.n_jobs, || self.fit_pairs(x, y, None))?
    }

    fn fit_weighted_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedSVC<L>> {
        oxlearn_core::parallel::with_n_jobs(self.params.n_jobs, || self.fit_pairs(x, y, Some(sample_weight)))?
    }
}

impl SVC {
    fn fit_pairs<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<FittedSVC<L>> {
        let k = y.n_classes();
        let kf = self.params.kernel_fn(x);
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (i, &c) in y.y.iter().enumerate() {
            // Samples of weight 0 are left out, as scikit-learn's libsvm.
            if sample_weight.is_none_or(|w| w[i] > 0.0) {
                groups[c].push(i);
            }
        }
        if let Some(c) = groups.iter().position(Vec::is_empty) {
            return Err(Error::InvalidInput(format!(
                "{}: every sample of class {c} (of {k}) has weight 0; drop the class or give it weight",
                Self::NAME
            )));
        }
        if self.params.backend == SvmBackend::Linfa && self.class_weight.is_some() {
            return Err(Error::invalid_param("class_weight", "the linfa backend does not support class weights"));
        }
        let class_c: Vec<f64> = match &self.class_weight {
            Some(cw) => cw.per_class(&y.classes, y.y.view())?.iter().map(|w| w * self.params.c).collect(),
            None => vec![self.params.c; k],
        };
        let mut rng = match self.seed {
            Some(s) => Xoshiro256PlusPlus::seed_from_u64(s),
            None => Xoshiro256PlusPlus::from_entropy(),
        };
        let mut models: Vec<BinaryModel> = Vec::with_capacity(k * (k - 1) / 2);
        let (mut prob_a, mut prob_b) = (Vec::new(), Vec::new());
        // `nonzero[a][t]`: row `t` of class `a` is a support vector of some pair.
        let mut nonzero: Vec<Vec<bool>> = groups.iter().map(|g| vec![false; g.len()]).collect();
        for a in 0..k {
            for b in a + 1..k {
                let idx: Vec<usize> = groups[a].iter().chain(&groups[b]).copied().collect();
                let sub_x = x.select(Axis(0), &idx);
                let sub_y: Vec<i8> = (0..idx.len()).map(|t| if t < groups[a].len() { 1 } else { -1 }).collect();
                let sub_w: Option<Vec<f64>> = sample_weight.map(|w| idx.iter().map(|&i| w[i]).collect());
                let (cp, cn) = (class_c[a], class_c[b]);
                if self.probability {
                    let (pa, pb) =
                        binary_probability(&sub_x, &sub_y, cp, cn, sub_w.as_deref(), kf, &self.params, &mut rng)?;
                    prob_a.push(pa);
                    prob_b.push(pb);
                }
                let model = train_binary(sub_x, &sub_y, cp, cn, sub_w.as_deref(), kf, &self.params, Self::NAME)?;
                let na = groups[a].len();
                for (t, &v) in model.coef.iter().enumerate() {
                    if v != 0.0 {
                        if t < na {
                            nonzero[a][t] = true;
                        } else {
                            nonzero[b][t - na] = true;
                        }
                    }
                }
                models.push(model);
            }
        }
        // Support vectors grouped by class, in training order within each class.
        let mut support = Vec::new();
        let mut n_support = vec![0; k];
        // Position of each (class, row-in-class) among the support vectors.
        let mut position: Vec<Vec<Option<usize>>> = groups.iter().map(|g| vec![None; g.len()]).collect();
        for a in 0..k {
            for (t, &i) in groups[a].iter().enumerate() {
                if nonzero[a][t] {
                    position[a][t] = Some(support.len());
                    support.push(i);
                    n_support[a] += 1;
                }
            }
        }
        let mut sv_coef = Array2::zeros((k.saturating_sub(1), support.len()));
        let mut p = 0;
        for a in 0..k {
            for b in a + 1..k {
                let na = groups[a].len();
                for (t, &v) in models[p].coef.iter().enumerate() {
                    let (cls, row, coef_row) = if t < na { (a, t, b - 1) } else { (b, t - na, a) };
                    if let Some(pos) = position[cls][row] {
                        sv_coef[[coef_row, pos]] = v;
                    }
                }
                p += 1;
            }
        }
        let vectors = x.select(Axis(0), &support);
        let probability = self.probability;
        Ok(FittedSVC {
            classes: y.classes,
            set: SupportSet::new(kf, vectors),
            support,
            n_support,
            sv_coef,
            rho: models.iter().map(|m| m.rho).collect(),
            prob_a: probability.then_some(prob_a),
            prob_b: probability.then_some(prob_b),
            n_iter: models.iter().map(|m| m.n_iter).collect(),
            converged: models.iter().all(|m| m.converged),
            shape: self.decision_function_shape,
            n_features_in: x.ncols(),
            n_jobs: self.params.n_jobs,
        })
    }
}

impl<L: Send + Sync> FittedSVC<L> {
    fn n_classes(&self) -> usize {
        self.n_support.len()
    }

    /// Indices of the support vectors in the training data, grouped by class
    /// (scikit-learn's `support_`).
    pub fn support(&self) -> &[usize] {
        &self.support
    }
    /// The support vectors (`support_vectors_`).
    pub fn support_vectors(&self) -> ArrayView2<'_, f64> {
        self.set.vectors.view()
    }
    /// Number of support vectors of each class (`n_support_`).
    pub fn n_support(&self) -> &[usize] {
        &self.n_support
    }
    /// Dual coefficients `y_i alpha_i`, shape `(n_classes - 1, n_SV)` in libsvm's layout
    /// (`dual_coef_`; negated for two classes, as scikit-learn).
    pub fn dual_coef(&self) -> Array2<f64> {
        if self.n_classes() == 2 { -&self.sv_coef } else { self.sv_coef.clone() }
    }
    /// Intercepts of the pairwise classifiers (`intercept_`: `-rho`, or `rho` for two classes).
    pub fn intercept(&self) -> Array1<f64> {
        if self.n_classes() == 2 {
            Array1::from(self.rho.clone())
        } else {
            Array1::from_iter(self.rho.iter().map(|r| -r))
        }
    }
    /// Weights of the pairwise classifiers in feature space (`coef_`), for the linear kernel only.
    pub fn coef(&self) -> Option<Array2<f64>> {
        let sign = if self.n_classes() == 2 { -1.0 } else { 1.0 };
        (self.set.kernel.kind == SvmKernel::Linear).then(|| self.pairwise_coefs().dot(&self.set.vectors) * sign)
    }
    /// Platt's `A` per pair (`probA_`), when fitted with `probability(true)`.
    pub fn prob_a(&self) -> Option<&[f64]> {
        self.prob_a.as_deref()
    }
    /// Platt's `B` per pair (`probB_`).
    pub fn prob_b(&self) -> Option<&[f64]> {
        self.prob_b.as_deref()
    }
    /// The kernel coefficient actually used (`_gamma`).
    pub fn gamma(&self) -> f64 {
        self.set.kernel.gamma
    }
    /// Solver iterations of each pairwise fit (`n_iter_`; 0 with the linfa backend).
    pub fn n_iter(&self) -> &[usize] {
        &self.n_iter
    }
    /// False when a pairwise fit stopped at `max_iter` (or was stopped by the callback).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// One row per pair `(a, b)`: the coefficients of all support vectors (zero outside the
    /// two classes), with libsvm's sign (positive favours `a`).
    fn pairwise_coefs(&self) -> Array2<f64> {
        let k = self.n_classes();
        let starts: Vec<usize> = self
            .n_support
            .iter()
            .scan(0, |acc, &n| {
                let s = *acc;
                *acc += n;
                Some(s)
            })
            .collect();
        let mut w = Array2::zeros((k * (k - 1) / 2, self.support.len()));
        let mut p = 0;
        for a in 0..k {
            for b in a + 1..k {
                for s in starts[a]..starts[a] + self.n_support[a] {
                    w[[p, s]] = self.sv_coef[[b - 1, s]];
                }
                for s in starts[b]..starts[b] + self.n_support[b] {
                    w[[p, s]] = self.sv_coef[[a, s]];
                }
                p += 1;
            }
        }
        w
    }

    /// libsvm's pairwise decision values, `(n, k (k - 1) / 2)`.
    fn ovo_decision(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        oxlearn_core::parallel::with_n_jobs(self.n_jobs, || self.ovo_decision_in_pool(x))
    }

    fn ovo_decision_in_pool(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let w = self.pairwise_coefs();
        let blocks = self.set.map_blocks(x, |kmat| kmat.dot(&w.t()));
        let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
        let mut out = ndarray::concatenate(Axis(0), &views).expect("blocks share their width");
        for mut row in out.axis_iter_mut(Axis(0)) {
            for (v, r) in row.iter_mut().zip(&self.rho) {
                *v -= r;
            }
        }
        out
    }

    fn vote(&self, dec: ArrayView1<'_, f64>) -> usize {
        let k = self.n_classes();
        let mut votes = vec![0usize; k];
        let mut p = 0;
        for a in 0..k {
            for b in a + 1..k {
                if dec[p] > 0.0 {
                    votes[a] += 1
                } else {
                    votes[b] += 1
                }
                p += 1;
            }
        }
        let mut best = 0;
        for c in 1..k {
            if votes[c] > votes[best] {
                best = c;
            }
        }
        best
    }
}

impl<L: ClassLabel> Fitted for FittedSVC<L> {
    const NAME: &'static str = "SVC";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
}

impl<L: ClassLabel> FittedClassifier<L> for FittedSVC<L> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let dec = self.ovo_decision(x)?;
        Ok(Array1::from_iter(dec.axis_iter(Axis(0)).map(|row| self.vote(row))))
    }

    fn decision_function_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let dec = self.ovo_decision(x)?;
        let k = self.n_classes();
        if k == 2 {
            return Ok(-dec);
        }
        if self.shape == DecisionFunctionShape::Ovo {
            return Ok(dec);
        }
        // scikit-learn's `_ovr_decision_function(dec < 0, -dec, k)`.
        let mut out = Array2::zeros((x.nrows(), k));
        for (mut o, d) in out.axis_iter_mut(Axis(0)).zip(dec.axis_iter(Axis(0))) {
            let mut votes = vec![0.0; k];
            let mut conf = vec![0.0; k];
            let mut p = 0;
            for a in 0..k {
                for b in a + 1..k {
                    conf[a] += d[p];
                    conf[b] -= d[p];
                    if d[p] < 0.0 {
                        votes[b] += 1.0
                    } else {
                        votes[a] += 1.0
                    }
                    p += 1;
                }
            }
            for c in 0..k {
                o[c] = votes[c] + conf[c] / (3.0 * (conf[c].abs() + 1.0));
            }
        }
        Ok(out)
    }

    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let (Some(pa), Some(pb)) = (&self.prob_a, &self.prob_b) else {
            return Err(Error::unsupported("SVC (fitted with probability=false)", "predict_proba"));
        };
        let dec = self.ovo_decision(x)?;
        let k = self.n_classes();
        let min_prob = 1e-7;
        let mut out = Array2::zeros((x.nrows(), k));
        for (mut o, d) in out.axis_iter_mut(Axis(0)).zip(dec.axis_iter(Axis(0))) {
            let mut r = vec![vec![0.0; k]; k];
            let mut p = 0;
            for a in 0..k {
                for b in a + 1..k {
                    let v = sigmoid_predict(d[p], pa[p], pb[p]).clamp(min_prob, 1.0 - min_prob);
                    r[a][b] = v;
                    r[b][a] = 1.0 - v;
                    p += 1;
                }
            }
            let probs = if k == 2 { vec![r[0][1], r[1][0]] } else { multiclass_probability(&r) };
            for c in 0..k {
                o[c] = probs[c];
            }
        }
        Ok(out)
    }
}
