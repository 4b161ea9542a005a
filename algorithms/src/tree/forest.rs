//! Tree ensembles: random forests and extra-trees, for classification and regression, grown in
//! parallel on rayon and deterministic in the seed whatever the thread count.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as AtomicOrdering};
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use oxlearn_core::parallel::with_n_jobs;
use oxlearn_core::{
    Callback, ClassLabel, Classifier, ClassifierKind, EncodedLabels, Error, Estimator, Fitted, FittedClassifier,
    FittedRegressor, ParamValue, ProbabilisticClassifier, Progress, Regressor, RegressorKind, Result, Tags,
};
use rand::{Rng, RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cart::{self, Block, Config, Presorted, Splitter, Target, Tree};
use super::decision::{argmax, check_rows, class_ids};
use super::{MaxFeatures, SampleCount, TreeCriterion, TreeParams, TreeRegressionCriterion, resolve_seed, tree_setters};
use crate::ClassWeight;

/// What distinguishes a kind of forest: its names, splitter and bootstrap default.
pub trait ForestKind: Debug + Clone + Copy + PartialEq + Default + Send + Sync + 'static {
    /// Name of the classifier ("RandomForestClassifier").
    const CLASSIFIER: &'static str;
    /// Name of the regressor ("RandomForestRegressor").
    const REGRESSOR: &'static str;
    /// How each tree finds its splits.
    const SPLITTER: Splitter;
    /// Whether trees are grown on bootstrap samples by default.
    const BOOTSTRAP: bool;
}

/// Random forests: best splits among a random subset of features, bootstrap samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RandomForest;

impl ForestKind for RandomForest {
    const CLASSIFIER: &'static str = "RandomForestClassifier";
    const REGRESSOR: &'static str = "RandomForestRegressor";
    const SPLITTER: Splitter = Splitter::Best;
    const BOOTSTRAP: bool = true;
}

/// Extremely randomised trees: one random threshold per candidate feature, whole training set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtraTrees;

impl ForestKind for ExtraTrees {
    const CLASSIFIER: &'static str = "ExtraTreesClassifier";
    const REGRESSOR: &'static str = "ExtraTreesRegressor";
    const SPLITTER: Splitter = Splitter::Random;
    const BOOTSTRAP: bool = false;
}

/// Ensemble hyper-parameters shared by classifiers and regressors.
#[derive(Debug, Clone, PartialEq)]
struct EnsembleParams {
    n_estimators: usize,
    bootstrap: bool,
    oob_score: bool,
    n_jobs: Option<usize>,
    seed: Option<u64>,
    max_samples: Option<SampleCount>,
    callback: Callback,
}

impl EnsembleParams {
    fn new(bootstrap: bool) -> Self {
        EnsembleParams {
            n_estimators: 100,
            bootstrap,
            oob_score: false,
            n_jobs: None,
            seed: None,
            max_samples: None,
            callback: Callback::none(),
        }
    }

    fn check(&self) -> Result<()> {
        if self.n_estimators == 0 {
            return Err(Error::invalid_param("n_estimators", "must be at least 1, got 0"));
        }
        if self.n_jobs == Some(0) {
            return Err(Error::invalid_param("n_jobs", "must be at least 1 (or None for all cores), got 0"));
        }
        if self.oob_score && !self.bootstrap {
            return Err(Error::invalid_param("oob_score", "out-of-bag estimation is only available if bootstrap=true"));
        }
        match self.max_samples {
            Some(_) if !self.bootstrap => Err(Error::invalid_param("max_samples", "cannot be set if bootstrap=false")),
            Some(SampleCount::Count(0)) => {
                Err(Error::invalid_param("max_samples", "a count must be at least 1, got 0"))
            }
            Some(SampleCount::Fraction(f)) if !(f > 0.0 && f <= 1.0) => {
                Err(Error::invalid_param("max_samples", format!("a fraction must be in (0, 1], got {f}")))
            }
            _ => Ok(()),
        }
    }

    fn set(&mut self, name: &str, value: &ParamValue) -> Result<bool> {
        match name {
            "n_estimators" => self.n_estimators = value.as_usize(name)?,
            "bootstrap" => self.bootstrap = value.as_bool(name)?,
            "oob_score" => self.oob_score = value.as_bool(name)?,
            "n_jobs" => self.n_jobs = value.as_opt_usize(name)?,
            "random_state" | "seed" => self.seed = value.as_opt_usize(name)?.map(|s| s as u64),
            "max_samples" => {
                self.max_samples = match value {
                    ParamValue::None => None,
                    other => Some(SampleCount::parse(name, other)?),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Rows drawn for each tree.
    fn n_bootstrap(&self, n: usize) -> Result<usize> {
        if !self.bootstrap {
            return Ok(n);
        }
        match self.max_samples {
            None => Ok(n),
            Some(SampleCount::Count(c)) if c > n => {
                Err(Error::invalid_param("max_samples", format!("must be at most the number of samples {n}, got {c}")))
            }
            Some(SampleCount::Count(c)) => Ok(c),
            Some(SampleCount::Fraction(f)) => Ok(((n as f64 * f).round() as usize).max(1)),
        }
    }

    /// One seed per tree, drawn in order from the master seed.
    fn tree_seeds(&self) -> Vec<u64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(resolve_seed(self.seed));
        (0..self.n_estimators).map(|_| rng.next_u64()).collect()
    }
}

/// Sample weights of one tree (bootstrap counts, or all ones) and the seed of its growth.
fn tree_sample(seed: u64, n: usize, n_bootstrap: Option<usize>) -> (Vec<f64>, u64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let weight = match n_bootstrap {
        None => vec![1.0; n],
        Some(m) => {
            let mut w = vec![0.0; n];
            for _ in 0..m {
                w[rng.gen_range(0..n)] += 1.0;
            }
            w
        }
    };
    (weight, rng.next_u64())
}

/// The weights of a weighted forest fit: each tree's samples weigh their bootstrap count times
/// `base` (sample weights times class weights), times the balanced weights of the tree's own
/// bootstrap draw for `balanced_subsample`, as scikit-learn's `_parallel_build_trees`.
struct ForestWeights<'a> {
    base: &'a [f64],
    /// Class ids and the number of classes, for `balanced_subsample`.
    subsample: Option<(&'a [u32], usize)>,
    min_weight_fraction_leaf: f64,
}

impl ForestWeights<'_> {
    /// A tree's weights from its bootstrap counts, and its `cfg` with `min_weight_leaf` as a
    /// fraction of the tree's total weight.
    fn tree(&self, counts: &[f64], cfg: &Config) -> (Vec<f64>, Config) {
        let mut weight: Vec<f64> = counts.iter().zip(self.base).map(|(c, b)| c * b).collect();
        if let Some((ids, k)) = self.subsample {
            let per_class = crate::class_weight::balanced(k, ids.iter().map(|&c| c as usize), Some(counts));
            weight.iter_mut().zip(ids).for_each(|(w, &c)| *w *= per_class[c as usize]);
        }
        let mut cfg = cfg.clone();
        cfg.min_weight_leaf = self.min_weight_fraction_leaf * weight.iter().sum::<f64>();
        (weight, cfg)
    }
}

/// Grows every tree in parallel; returns the trees and, when asked, each tree's out-of-bag mask.
/// Each finished tree is reported to the callback (`iteration` counts finished trees, `total` is
/// `n_estimators`); when the callback stops the fit, trees not yet started are skipped and the
/// forest keeps the trees that were grown, in their seed order.
fn grow_all(
    name: &'static str,
    p: &EnsembleParams,
    cfg: &Config,
    x: ArrayView2<'_, f64>,
    target: Target<'_>,
    n_bootstrap: usize,
    weights: Option<&ForestWeights<'_>>,
) -> Result<(Vec<Tree>, Vec<Vec<bool>>)> {
    let n = x.nrows();
    let seeds = p.tree_seeds();
    let boot = p.bootstrap.then_some(n_bootstrap);
    let keep_oob = p.oob_score;
    let start = Instant::now();
    let (finished, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    with_n_jobs(p.n_jobs, || {
        let sorted = Presorted::new(x);
        let grown: Vec<Option<(Tree, Vec<bool>)>> = seeds
            .par_iter()
            .map(|&seed| {
                if stop.load(AtomicOrdering::Relaxed) {
                    return None;
                }
                let (weight, grow_seed) = tree_sample(seed, n, boot);
                let oob = if keep_oob { weight.iter().map(|&w| w == 0.0).collect() } else { Vec::new() };
                let tree = match weights {
                    None => cart::grow(cfg, sorted.filtered(&weight), target, &weight, grow_seed),
                    Some(fw) => {
                        let (weight, cfg) = fw.tree(&weight, cfg);
                        cart::grow(&cfg, sorted.filtered(&weight), target, &weight, grow_seed)
                    }
                };
                let iteration = finished.fetch_add(1, AtomicOrdering::Relaxed) + 1;
                let progress = Progress {
                    estimator: name,
                    iteration,
                    total: Some(seeds.len()),
                    loss: None,
                    metrics: &[],
                    elapsed: start.elapsed(),
                };
                if p.callback.report(&progress) {
                    stop.store(true, AtomicOrdering::Relaxed);
                }
                Some((tree, oob))
            })
            .collect();
        grown.into_iter().flatten().unzip()
    })
}

/// Mean of the per-tree importances over trees that split at least once, renormalised.
fn forest_importances(trees: &[Tree], n_features: usize) -> Array1<f64> {
    let mut sum = Array1::zeros(n_features);
    let mut used = 0usize;
    for t in trees.iter().filter(|t| t.node_count() > 1) {
        sum += &ArrayView1::from(&t.feature_importances());
        used += 1;
    }
    if used > 0 {
        sum /= used as f64;
    }
    let total = sum.sum();
    if total > 0.0 {
        sum /= total;
    }
    sum
}

/// Sums the trees' leaf values for every row, in parallel over fixed row blocks: each block is
/// copied once to `f32` and every tree walks all of its rows before the next tree (so each tree's
/// nodes stay in cache, and every row still adds its trees in order); with `oob`, only trees for
/// which the row is out of bag count, and `counts` says how many.
fn sum_values(
    trees: &[Tree],
    x: ArrayView2<'_, f64>,
    width: usize,
    oob: Option<&[Vec<bool>]>,
) -> (Array2<f64>, Vec<usize>) {
    let mut out = Array2::zeros((x.nrows(), width));
    let mut counts = vec![0usize; x.nrows()];
    let block_rows = cart::block_rows(x.nrows(), x.ncols());
    out.axis_chunks_iter_mut(Axis(0), block_rows)
        .into_par_iter()
        .zip(counts.par_chunks_mut(block_rows))
        .enumerate()
        .for_each_init(
            || (Vec::new(), Vec::new()),
            |(buf, leaves), (c, (mut block, cnt))| {
                let start = c * block_rows;
                let rows = Block::new(x.slice(ndarray::s![start..start + cnt.len(), ..]), buf);
                leaves.resize(cnt.len(), 0u32);
                let dst = block.as_slice_mut().expect("a row block of a standard-layout array");
                for (t, tree) in trees.iter().enumerate() {
                    tree.leaves(&rows, leaves);
                    for (r, &leaf) in leaves.iter().enumerate() {
                        if oob.is_some_and(|masks| !masks[t][start + r]) {
                            continue;
                        }
                        cnt[r] += 1;
                        let value = tree.value(leaf as usize);
                        for (d, &v) in dst[r * width..(r + 1) * width].iter_mut().zip(value) {
                            *d += v;
                        }
                    }
                }
            },
        );
    (out, counts)
}

macro_rules! ensemble_setters {
    () => {
        /// Number of trees (default 100).
        pub fn n_estimators(mut self, v: usize) -> Self {
            self.ensemble.n_estimators = v;
            self
        }
        /// Grow each tree on a bootstrap sample (default true for random forests, false for
        /// extra-trees).
        pub fn bootstrap(mut self, v: bool) -> Self {
            self.ensemble.bootstrap = v;
            self
        }
        /// Compute the out-of-bag score after fitting (default false; needs `bootstrap`).
        pub fn oob_score(mut self, v: bool) -> Self {
            self.ensemble.oob_score = v;
            self
        }
        /// Threads for fitting and prediction (default `None`: the current rayon pool).
        pub fn n_jobs(mut self, n: usize) -> Self {
            self.ensemble.n_jobs = Some(n);
            self
        }
        /// Watches the fit: called after each tree is grown (trees grow in parallel, so reports
        /// arrive in completion order; `iteration` counts finished trees). Stopping skips the
        /// trees not yet started; the forest keeps those grown (default none).
        pub fn callback(mut self, callback: Callback) -> Self {
            self.ensemble.callback = callback;
            self
        }
        /// Master seed (scikit-learn's `random_state`; default `None`: random). Tree `i` draws
        /// its bootstrap sample and feature order from the `i`-th seed drawn from it, so the
        /// result does not depend on the thread count.
        pub fn seed(mut self, v: u64) -> Self {
            self.ensemble.seed = Some(v);
            self
        }
        /// Rows drawn for each tree's bootstrap sample, a count or a fraction in `(0, 1]`
        /// (default `None`: as many as the training rows).
        pub fn max_samples(mut self, v: impl Into<Option<SampleCount>>) -> Self {
            self.ensemble.max_samples = v.into();
            self
        }
    };
}

/// A forest of classification trees; see [`RandomForestClassifier`] and [`ExtraTreesClassifier`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForestClassifier<K> {
    criterion: TreeCriterion,
    tree: TreeParams,
    ensemble: EnsembleParams,
    class_weight: Option<ClassWeight>,
    kind: PhantomData<K>,
}

/// A random forest classifier: scikit-learn's `RandomForestClassifier`.
///
/// Averages the class probabilities of `n_estimators` decision trees, each grown on a bootstrap
/// sample with the best split among `max_features` random features at every node. Trees are
/// grown in parallel on rayon (`n_jobs`); the result depends on the seed only.
///
/// Hyper-parameters (scikit-learn 1.9 defaults): `n_estimators` 100, `criterion` Gini,
/// `max_depth` `None`, `min_samples_split` 2, `min_samples_leaf` 1, `min_weight_fraction_leaf` 0,
/// `max_features` [`MaxFeatures::Sqrt`], `max_leaf_nodes` `None`, `min_impurity_decrease` 0,
/// `bootstrap` true, `oob_score` false, `n_jobs` `None`, `seed` `None`, `max_samples` `None`,
/// `class_weight` `None` ([`ClassWeight::Balanced`], [`ClassWeight::BalancedSubsample`]: balanced
/// on each tree's bootstrap draw, or an explicit map).
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`):
/// each tree weighs a sample by its bootstrap count times its weight (times its class weight),
/// as scikit-learn; see [`DecisionTreeClassifier`](crate::DecisionTreeClassifier) for how the
/// trees use weights. The bootstrap draw itself is uniform, as scikit-learn's.
///
/// Fitted accessors: `classes()`, `predict_proba()`, `feature_importances()`, `estimators()`,
/// `oob_score()`, `oob_decision_function()`.
///
/// Missing values: NaN in `X` is accepted in `fit` and `predict`; each tree splits and routes it
/// as [`DecisionTreeClassifier`](crate::DecisionTreeClassifier) (best splits: NaN samples tried
/// on both sides, the side stored per node; a node without NaN in its training samples sends NaN
/// to its larger child). `±inf` is an error.
///
/// Errors: [`Error::InvalidParam`] for out-of-range hyper-parameters (`oob_score` or
/// `max_samples` without `bootstrap` included), the shared validation errors for bad input.
///
/// ```
/// use oxlearn_algorithms::RandomForestClassifier;
/// use oxlearn_core::prelude::*;
/// let x = ndarray::array![[0.0, 0.0], [0.1, 1.0], [1.0, 0.2], [0.9, 0.9], [0.2, 0.1], [1.1, 1.0]];
/// let y = ndarray::array![0, 0, 1, 1, 0, 1];
/// let forest = RandomForestClassifier::default().n_estimators(20).seed(0).n_jobs(1).fit(&x, &y)?;
/// let proba = forest.predict_proba(&x)?;
/// assert!((proba.row(0).sum() - 1.0).abs() < 1e-12);
/// assert_eq!(forest.feature_importances().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type RandomForestClassifier = ForestClassifier<RandomForest>;

/// An extra-trees classifier: scikit-learn's `ExtraTreesClassifier`.
///
/// As [`RandomForestClassifier`], but each candidate feature gets one uniformly random threshold
/// and trees see the whole training set (`bootstrap` false by default).
///
/// Missing values: NaN in `X` is accepted, as scikit-learn 1.9's extra-trees: the random
/// threshold is drawn between the non-missing values, and a node's NaN samples go to a random side,
/// stored per node; at `predict` NaN follows it (a node without NaN in its training samples sends
/// NaN to its larger child). `±inf` is an error.
///
/// ```
/// use oxlearn_algorithms::ExtraTreesClassifier;
/// use oxlearn_core::prelude::*;
/// let x = ndarray::array![[0.0], [0.1], [1.0], [0.9]];
/// let y = ndarray::array![0, 0, 1, 1];
/// let model = ExtraTreesClassifier::default().n_estimators(10).seed(0).fit(&x, &y)?;
/// assert_eq!(model.predict(&x)?.to_vec(), vec![0, 0, 1, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ExtraTreesClassifier = ForestClassifier<ExtraTrees>;

impl<K: ForestKind> Default for ForestClassifier<K> {
    fn default() -> Self {
        ForestClassifier {
            criterion: TreeCriterion::Gini,
            tree: TreeParams::new(K::SPLITTER, MaxFeatures::Sqrt),
            ensemble: EnsembleParams::new(K::BOOTSTRAP),
            class_weight: None,
            kind: PhantomData,
        }
    }
}

impl<K: ForestKind> ForestClassifier<K> {
    /// Split quality (default [`TreeCriterion::Gini`]).
    pub fn criterion(mut self, v: TreeCriterion) -> Self {
        self.criterion = v;
        self
    }
    /// Weights of the classes (scikit-learn's `class_weight`; default `None`: all 1).
    pub fn class_weight(mut self, v: impl Into<Option<ClassWeight>>) -> Self {
        self.class_weight = v.into();
        self
    }
    ensemble_setters!();
    tree_setters!();
}

impl<K: ForestKind> Estimator for ForestClassifier<K> {
    const NAME: &'static str = K::CLASSIFIER;
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        Tags { non_deterministic: true, min_classes: 1, sample_weight: true, allow_nan: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.tree.check()?;
        if let Some(cw) = &self.class_weight {
            cw.check(true)?;
        }
        self.ensemble.check()
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        if name == "criterion" {
            self.criterion = TreeCriterion::parse(name, value)?;
        } else if name == "class_weight" {
            self.class_weight = ClassWeight::parse(name, value)?;
        } else if !self.ensemble.set(name, value)? && (name == "splitter" || !self.tree.set(name, value)?) {
            return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
        }
        Ok(())
    }
}

impl<K: ForestKind> Classifier for ForestClassifier<K> {
    type Fitted<L: ClassLabel> = FittedForestClassifier<L, K>;

    fn fit_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
    ) -> Result<FittedForestClassifier<L, K>> {
        self.fit_with(x, y, None)
    }

    fn fit_weighted_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedForestClassifier<L, K>> {
        self.fit_with(x, y, Some(sample_weight))
    }
}

impl<K: ForestKind> ForestClassifier<K> {
    /// The fit, with optional sample weights; without them and without class weights, exactly
    /// the unweighted fit.
    fn fit_with<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<FittedForestClassifier<L, K>> {
        check_rows(x.nrows())?;
        let (n, k) = (x.nrows(), y.n_classes());
        let ids = class_ids(&y.y)?;
        let n_bootstrap = self.ensemble.n_bootstrap(n)?;
        let subsample = self.ensemble.bootstrap && self.class_weight == Some(ClassWeight::BalancedSubsample);
        let base: Option<Vec<f64>> = match (&self.class_weight, sample_weight) {
            (None, None) => None,
            (Some(_), sw) if subsample => Some(sw.map_or_else(|| vec![1.0; n], |w| w.to_vec())),
            (None, Some(sw)) => Some(sw.to_vec()),
            (Some(cw), sw) => Some(cw.sample_weights(&y.classes, y.y.view(), sw)?.to_vec()),
        };
        if base.as_ref().is_some_and(|b| b.iter().sum::<f64>() <= 0.0) {
            return Err(Error::InvalidInput(format!(
                "{}: the sample weights (times the class weights) sum to 0; at least one must be positive",
                Self::NAME
            )));
        }
        let weights = base.as_ref().map(|base| ForestWeights {
            base,
            subsample: subsample.then_some((&ids[..], k)),
            min_weight_fraction_leaf: self.tree.min_weight_fraction_leaf,
        });
        let cfg = self.tree.config(self.criterion.impurity(), n, x.ncols(), n_bootstrap as f64)?;
        let (trees, oob) =
            grow_all(Self::NAME, &self.ensemble, &cfg, x, Target::Classes(&ids, k), n_bootstrap, weights.as_ref())?;
        let (mut oob_score, mut oob_decision_function) = (None, None);
        if self.ensemble.oob_score {
            let (sum, counts) = with_n_jobs(self.ensemble.n_jobs, || sum_values(&trees, x, k, Some(&oob)))?;
            let mut proba = sum;
            for (mut row, &c) in proba.outer_iter_mut().zip(&counts) {
                row /= c.max(1) as f64;
            }
            let correct = proba
                .outer_iter()
                .zip(ids.iter())
                .filter(|(p, c)| argmax(p.as_slice().expect("row-major")) == **c as usize)
                .count();
            oob_score = Some(correct as f64 / n as f64);
            oob_decision_function = Some(proba);
        }
        Ok(FittedForestClassifier {
            classes: y.classes,
            feature_importances: forest_importances(&trees, x.ncols()),
            trees,
            n_features_in: x.ncols(),
            n_jobs: self.ensemble.n_jobs,
            oob_score,
            oob_decision_function,
            kind: PhantomData,
        })
    }
}

/// A fitted forest classifier ([`FittedRandomForestClassifier`], [`FittedExtraTreesClassifier`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedForestClassifier<L, K> {
    classes: Vec<L>,
    trees: Vec<Tree>,
    n_features_in: usize,
    feature_importances: Array1<f64>,
    n_jobs: Option<usize>,
    oob_score: Option<f64>,
    oob_decision_function: Option<Array2<f64>>,
    #[serde(skip)]
    kind: PhantomData<K>,
}

/// A fitted [`RandomForestClassifier`].
pub type FittedRandomForestClassifier<L> = FittedForestClassifier<L, RandomForest>;
/// A fitted [`ExtraTreesClassifier`].
pub type FittedExtraTreesClassifier<L> = FittedForestClassifier<L, ExtraTrees>;

impl<L, K> FittedForestClassifier<L, K> {
    /// Mean of the trees' normalised impurity decreases (scikit-learn's `feature_importances_`).
    pub fn feature_importances(&self) -> ArrayView1<'_, f64> {
        self.feature_importances.view()
    }
    /// The fitted trees (scikit-learn's `estimators_[i].tree_`).
    pub fn estimators(&self) -> &[Tree] {
        &self.trees
    }
    /// Accuracy of the out-of-bag predictions on the training set, when `oob_score` was set.
    pub fn oob_score(&self) -> Option<f64> {
        self.oob_score
    }
    /// Out-of-bag class probabilities of each training sample, when `oob_score` was set
    /// (all zero for a sample that was in every bootstrap sample).
    pub fn oob_decision_function(&self) -> Option<ArrayView2<'_, f64>> {
        self.oob_decision_function.as_ref().map(|a| a.view())
    }
}

impl<L: ClassLabel, K: ForestKind> Fitted for FittedForestClassifier<L, K> {
    const NAME: &'static str = K::CLASSIFIER;
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl<L: ClassLabel, K: ForestKind> FittedClassifier<L> for FittedForestClassifier<L, K> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let proba = self.predict_proba_checked(x)?;
        Ok(proba.outer_iter().map(|p| argmax(p.as_slice().expect("row-major"))).collect())
    }

    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let k = self.classes.len();
        let (mut sum, _) = with_n_jobs(self.n_jobs, || sum_values(&self.trees, x, k, None))?;
        sum /= self.trees.len() as f64;
        Ok(sum)
    }
}

impl<L: ClassLabel, K: ForestKind> ProbabilisticClassifier<L> for FittedForestClassifier<L, K> {}

/// A forest of regression trees; see [`RandomForestRegressor`] and [`ExtraTreesRegressor`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRegressor<K> {
    criterion: TreeRegressionCriterion,
    tree: TreeParams,
    ensemble: EnsembleParams,
    kind: PhantomData<K>,
}

/// A random forest regressor: scikit-learn's `RandomForestRegressor`.
///
/// Averages `n_estimators` regression trees, each grown on a bootstrap sample. Defaults as
/// [`RandomForestClassifier`] except `criterion` ([`TreeRegressionCriterion::SquaredError`]) and
/// `max_features` (`MaxFeatures::Fraction(1.0)`: every feature, as scikit-learn 1.9).
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`):
/// each tree weighs a sample by its bootstrap count times its weight, as scikit-learn.
///
/// Fitted accessors: `feature_importances()`, `estimators()`, `oob_score()` (R^2),
/// `oob_prediction()`.
///
/// Missing values: NaN in `X` is accepted in `fit` and `predict`, as
/// [`RandomForestClassifier`]; `±inf` is an error.
///
/// ```
/// use oxlearn_algorithms::RandomForestRegressor;
/// use oxlearn_core::prelude::*;
/// let x = ndarray::Array2::from_shape_fn((40, 1), |(i, _)| i as f64);
/// let y = x.column(0).mapv(|v| 2.0 * v);
/// let forest = RandomForestRegressor::default().n_estimators(20).seed(0).fit(&x, &y)?;
/// assert!(forest.score(&x, &y)? > 0.95);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type RandomForestRegressor = ForestRegressor<RandomForest>;

/// An extra-trees regressor: scikit-learn's `ExtraTreesRegressor` (random thresholds, no
/// bootstrap by default). NaN in `X` is accepted and routed as in [`ExtraTreesClassifier`].
///
/// ```
/// use oxlearn_algorithms::ExtraTreesRegressor;
/// use oxlearn_core::prelude::*;
/// let x = ndarray::Array2::from_shape_fn((40, 1), |(i, _)| i as f64);
/// let y = x.column(0).mapv(|v| v * v);
/// let model = ExtraTreesRegressor::default().n_estimators(20).seed(0).fit(&x, &y)?;
/// assert!(model.score(&x, &y)? > 0.95);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ExtraTreesRegressor = ForestRegressor<ExtraTrees>;

impl<K: ForestKind> Default for ForestRegressor<K> {
    fn default() -> Self {
        ForestRegressor {
            criterion: TreeRegressionCriterion::SquaredError,
            tree: TreeParams::new(K::SPLITTER, MaxFeatures::Fraction(1.0)),
            ensemble: EnsembleParams::new(K::BOOTSTRAP),
            kind: PhantomData,
        }
    }
}

impl<K: ForestKind> ForestRegressor<K> {
    /// Split quality (default [`TreeRegressionCriterion::SquaredError`]).
    pub fn criterion(mut self, v: TreeRegressionCriterion) -> Self {
        self.criterion = v;
        self
    }
    ensemble_setters!();
    tree_setters!();
}

impl<K: ForestKind> Estimator for ForestRegressor<K> {
    const NAME: &'static str = K::REGRESSOR;
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        Tags { non_deterministic: true, sample_weight: true, allow_nan: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.tree.check()?;
        self.ensemble.check()
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        if name == "criterion" {
            self.criterion = TreeRegressionCriterion::parse(name, value)?;
        } else if !self.ensemble.set(name, value)? && (name == "splitter" || !self.tree.set(name, value)?) {
            return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
        }
        Ok(())
    }
}

impl<K: ForestKind> Regressor for ForestRegressor<K> {
    type Fitted = FittedForestRegressor<K>;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedForestRegressor<K>> {
        self.fit_with(x, y, None)
    }

    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedForestRegressor<K>> {
        self.fit_with(x, y, Some(sample_weight))
    }
}

impl<K: ForestKind> ForestRegressor<K> {
    /// The fit, with optional sample weights; without them, exactly the unweighted fit.
    fn fit_with(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<FittedForestRegressor<K>> {
        check_rows(x.nrows())?;
        let n = x.nrows();
        let yv = y.to_vec();
        let n_bootstrap = self.ensemble.n_bootstrap(n)?;
        let base = sample_weight.map(|w| w.to_vec());
        let weights = base.as_ref().map(|base| ForestWeights {
            base,
            subsample: None,
            min_weight_fraction_leaf: self.tree.min_weight_fraction_leaf,
        });
        let cfg = self.tree.config(self.criterion.impurity(), n, x.ncols(), n_bootstrap as f64)?;
        let (trees, oob) =
            grow_all(Self::NAME, &self.ensemble, &cfg, x, Target::Values(&yv), n_bootstrap, weights.as_ref())?;
        let (mut oob_score, mut oob_prediction) = (None, None);
        if self.ensemble.oob_score {
            let (sum, counts) = with_n_jobs(self.ensemble.n_jobs, || sum_values(&trees, x, 1, Some(&oob)))?;
            let pred: Array1<f64> = sum.column(0).iter().zip(&counts).map(|(s, &c)| s / c.max(1) as f64).collect();
            oob_score = Some(oxlearn_core::metrics::r2_score(y, pred.view())?);
            oob_prediction = Some(pred);
        }
        Ok(FittedForestRegressor {
            feature_importances: forest_importances(&trees, x.ncols()),
            trees,
            n_features_in: x.ncols(),
            n_jobs: self.ensemble.n_jobs,
            oob_score,
            oob_prediction,
            kind: PhantomData,
        })
    }
}

/// A fitted forest regressor ([`FittedRandomForestRegressor`], [`FittedExtraTreesRegressor`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedForestRegressor<K> {
    trees: Vec<Tree>,
    n_features_in: usize,
    feature_importances: Array1<f64>,
    n_jobs: Option<usize>,
    oob_score: Option<f64>,
    oob_prediction: Option<Array1<f64>>,
    #[serde(skip)]
    kind: PhantomData<K>,
}

/// A fitted [`RandomForestRegressor`].
pub type FittedRandomForestRegressor = FittedForestRegressor<RandomForest>;
/// A fitted [`ExtraTreesRegressor`].
pub type FittedExtraTreesRegressor = FittedForestRegressor<ExtraTrees>;

impl<K> FittedForestRegressor<K> {
    /// Mean of the trees' normalised impurity decreases (scikit-learn's `feature_importances_`).
    pub fn feature_importances(&self) -> ArrayView1<'_, f64> {
        self.feature_importances.view()
    }
    /// The fitted trees.
    pub fn estimators(&self) -> &[Tree] {
        &self.trees
    }
    /// R^2 of the out-of-bag predictions on the training set, when `oob_score` was set.
    pub fn oob_score(&self) -> Option<f64> {
        self.oob_score
    }
    /// Out-of-bag prediction of each training sample, when `oob_score` was set (0 for a sample
    /// that was in every bootstrap sample, as scikit-learn).
    pub fn oob_prediction(&self) -> Option<ArrayView1<'_, f64>> {
        self.oob_prediction.as_ref().map(|a| a.view())
    }
}

impl<K: ForestKind> Fitted for FittedForestRegressor<K> {
    const NAME: &'static str = K::REGRESSOR;
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl<K: ForestKind> FittedRegressor for FittedForestRegressor<K> {
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let (sum, _) = with_n_jobs(self.n_jobs, || sum_values(&self.trees, x, 1, None))?;
        Ok(sum.column(0).mapv(|s| s / self.trees.len() as f64))
    }
}
