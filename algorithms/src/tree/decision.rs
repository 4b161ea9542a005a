//! Single decision trees: [`DecisionTreeClassifier`] and [`DecisionTreeRegressor`].

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, AsArray, Ix2};
use oxlearn_core::{
    ClassLabel, Classifier, ClassifierKind, EncodedLabels, Error, Estimator, Fitted, FittedClassifier, FittedRegressor,
    ParamValue, ProbabilisticClassifier, Regressor, RegressorKind, Result, Tags,
};
use serde::{Deserialize, Serialize};

use super::cart::{self, Presorted, Splitter, Target, Tree};
use super::{
    MaxFeatures, TreeBackend, TreeCriterion, TreeParams, TreeRegressionCriterion, linfa_backend, resolve_seed,
    tree_setters,
};
use crate::ClassWeight;

/// The engine's inputs for a weighted fit: every sample's weight (zero-weight samples are left
/// out of the sorted orders, so they are as good as dropped) and the total weight.
pub(crate) fn weighted_inputs(x: ArrayView2<'_, f64>, w: &[f64], estimator: &str) -> Result<(Presorted, f64)> {
    let total: f64 = w.iter().sum();
    if total <= 0.0 {
        return Err(Error::InvalidInput(format!(
            "{estimator}: the sample weights (times the class weights) sum to {total}; at least one must be positive"
        )));
    }
    Ok((Presorted::new(x).filtered(w), total))
}

/// Index of the first largest value (numpy's `argmax`).
pub(crate) fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &p) in v.iter().enumerate() {
        if p > v[best] {
            best = i;
        }
    }
    best
}

/// Class indices as `u32` for the engine.
pub(crate) fn class_ids(y: &Array1<usize>) -> Result<Vec<u32>> {
    y.iter().map(|&c| u32::try_from(c).map_err(|_| Error::InvalidInput(format!("too many classes: {c}")))).collect()
}

/// Checks that the sample ids fit the engine's `u32` indices.
pub(crate) fn check_rows(n: usize) -> Result<()> {
    if n > u32::MAX as usize {
        return Err(Error::InvalidInput(format!("trees take at most {} rows, got {n}", u32::MAX)));
    }
    Ok(())
}

/// A CART classification tree: scikit-learn's `DecisionTreeClassifier`.
///
/// Grows a binary tree by repeatedly choosing the split (feature and threshold) that decreases
/// the impurity of the class distribution most; leaves predict the class fractions of their
/// training samples.
///
/// Hyper-parameters (scikit-learn's names and defaults):
/// - `criterion`: [`TreeCriterion::Gini`] (or `Entropy` / `LogLoss`);
/// - `splitter`: [`Splitter::Best`] (exact thresholds) or `Random` (one random threshold per
///   feature);
/// - `max_depth`: `None`; `min_samples_split`: 2; `min_samples_leaf`: 1 (counts or fractions);
/// - `min_weight_fraction_leaf`: 0; `max_features`: [`MaxFeatures::All`] (or `Sqrt`, `Log2`,
///   a count, a fraction); `max_leaf_nodes`: `None`; `min_impurity_decrease`: 0;
/// - `seed` (`random_state`): `None`; it orders the features visited at each node, which
///   decides ties and, with `max_features` below the number of features, the candidates;
/// - `class_weight`: `None`, [`ClassWeight::Balanced`] or an explicit map
///   ([`ClassWeight::explicit`]); multiplies each sample's weight by its class's;
/// - `backend`: [`TreeBackend::Native`] or [`TreeBackend::Linfa`] (see its limits).
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`)
/// weighs the class counts of every impurity, leaf value and `min_weight_fraction_leaf` (a
/// fraction of `Σ w`); `min_samples_split` / `min_samples_leaf` still count samples, as
/// scikit-learn. Samples of weight 0 are left out of the tree (so they are the same as
/// dropped rows; scikit-learn keeps them in the sample counts and as threshold candidates).
/// Weights and `class_weight` need the native backend.
///
/// Fitted accessors: `classes()`, `feature_importances()`, `get_depth()`, `get_n_leaves()`,
/// `tree()`, `apply()`, `predict_proba()`.
///
/// Missing values: NaN in `X` is accepted in `fit` and `predict` (native backend), as
/// scikit-learn >= 1.4. With `Splitter::Best`, each split of a feature whose node samples include
/// NaN is tried with the NaN samples sent left and sent right, plus the split that sends exactly
/// the NaN samples right; the best is kept and its side stored per node
/// ([`Tree::missing_go_to_left`]). With `Splitter::Random` the NaN samples go to a random side.
/// The NaN samples count towards `min_samples_leaf` and the leaf weights on their side. At
/// `predict`, NaN follows the stored side; where the node's training samples had no NaN on its
/// feature, NaN goes to the child that received more training samples (ties: right). `±inf` is
/// still an error. The linfa backend rejects NaN.
///
/// Errors: [`Error::InvalidParam`] for out-of-range hyper-parameters (or ones the linfa backend
/// lacks), the shared validation errors for bad input (`Error::NonFinite` for `±inf`, and for NaN
/// with the linfa backend).
///
/// As scikit-learn, which converts `X` to `float32`, the tree splits and predicts on feature
/// values rounded to `f32` (so features must be distinguishable at `f32` precision; centre
/// large-offset features such as timestamps first).
///
/// ```
/// use oxlearn_algorithms::{DecisionTreeClassifier, TreeCriterion};
/// use oxlearn_core::prelude::*;
/// let x = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
/// let y = ndarray::array![0, 0, 1, 1];
/// let tree = DecisionTreeClassifier::default().criterion(TreeCriterion::Entropy).max_depth(3).seed(0).fit(&x, &y)?;
/// assert_eq!(tree.predict(&ndarray::array![[0.4], [2.6]])?.to_vec(), vec![0, 1]);
/// assert_eq!((tree.get_depth(), tree.get_n_leaves()), (1, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTreeClassifier {
    criterion: TreeCriterion,
    tree: TreeParams,
    seed: Option<u64>,
    backend: TreeBackend,
    class_weight: Option<ClassWeight>,
}

impl Default for DecisionTreeClassifier {
    fn default() -> Self {
        DecisionTreeClassifier {
            criterion: TreeCriterion::Gini,
            tree: TreeParams::new(Splitter::Best, MaxFeatures::All),
            seed: None,
            backend: TreeBackend::Native,
            class_weight: None,
        }
    }
}

impl DecisionTreeClassifier {
    /// Split quality (default [`TreeCriterion::Gini`]).
    pub fn criterion(mut self, v: TreeCriterion) -> Self {
        self.criterion = v;
        self
    }
    /// Split strategy (default [`Splitter::Best`]).
    pub fn splitter(mut self, v: Splitter) -> Self {
        self.tree.splitter = v;
        self
    }
    /// Seed of the feature order (scikit-learn's `random_state`; default `None`: random).
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = Some(v);
        self
    }
    /// The engine that grows the tree (default [`TreeBackend::Native`]).
    pub fn backend(mut self, v: TreeBackend) -> Self {
        self.backend = v;
        self
    }
    /// Weights of the classes (scikit-learn's `class_weight`; default `None`: all 1).
    pub fn class_weight(mut self, v: impl Into<Option<ClassWeight>>) -> Self {
        self.class_weight = v.into();
        self
    }
    tree_setters!();
}

impl Estimator for DecisionTreeClassifier {
    const NAME: &'static str = "DecisionTreeClassifier";
    type Kind = ClassifierKind;

    fn tags(&self) -> Tags {
        Tags {
            non_deterministic: true,
            min_classes: 1,
            sample_weight: self.backend != TreeBackend::Linfa,
            allow_nan: self.backend != TreeBackend::Linfa,
            ..Tags::default()
        }
    }

    fn check_params(&self) -> Result<()> {
        self.tree.check()?;
        if let Some(cw) = &self.class_weight {
            cw.check(false)?;
        }
        if self.backend == TreeBackend::Linfa {
            linfa_backend::check_params(&self.tree)?;
            if self.class_weight.is_some() {
                return Err(Error::invalid_param("class_weight", "the linfa backend does not support class weights"));
            }
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "criterion" => self.criterion = TreeCriterion::parse(name, value)?,
            "random_state" | "seed" => self.seed = value.as_opt_usize(name)?.map(|s| s as u64),
            "class_weight" => self.class_weight = ClassWeight::parse(name, value)?,
            "backend" => {
                self.backend = match value.as_str(name)? {
                    "native" => TreeBackend::Native,
                    "linfa" => TreeBackend::Linfa,
                    other => {
                        return Err(Error::invalid_param(
                            name,
                            format!("unknown backend {other:?}; expected \"native\" or \"linfa\""),
                        ));
                    }
                }
            }
            _ => {
                if !self.tree.set(name, value)? {
                    return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
                }
            }
        }
        Ok(())
    }
}

impl Classifier for DecisionTreeClassifier {
    type Fitted<L: ClassLabel> = FittedDecisionTreeClassifier<L>;

    fn fit_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
    ) -> Result<FittedDecisionTreeClassifier<L>> {
        self.fit_with(x, y, None)
    }

    fn fit_weighted_checked<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedDecisionTreeClassifier<L>> {
        self.fit_with(x, y, Some(sample_weight))
    }
}

impl DecisionTreeClassifier {
    /// The fit, with optional sample weights; without them and without class weights, exactly
    /// the unweighted fit.
    fn fit_with<L: ClassLabel>(
        &self,
        x: ArrayView2<'_, f64>,
        y: EncodedLabels<L>,
        sample_weight: Option<ArrayView1<'_, f64>>,
    ) -> Result<FittedDecisionTreeClassifier<L>> {
        check_rows(x.nrows())?;
        let k = y.n_classes();
        let ids = class_ids(&y.y)?;
        let weights: Option<Vec<f64>> = match (&self.class_weight, sample_weight) {
            (None, None) => None,
            (None, Some(sw)) => Some(sw.to_vec()),
            (Some(cw), sw) => Some(cw.sample_weights(&y.classes, y.y.view(), sw)?.to_vec()),
        };
        let (tree, max_features) = match (self.backend, weights) {
            (TreeBackend::Native, Some(weight)) => {
                let (sorted, total) = weighted_inputs(x, &weight, Self::NAME)?;
                let cfg = self.tree.config(self.criterion.impurity(), x.nrows(), x.ncols(), total)?;
                let max_features = cfg.max_features;
                (cart::grow(&cfg, sorted, Target::Classes(&ids, k), &weight, resolve_seed(self.seed)), max_features)
            }
            (TreeBackend::Linfa, Some(_)) => {
                return Err(Error::invalid_param("backend", "the linfa backend does not support sample weights"));
            }
            (TreeBackend::Native, None) => {
                let weight = vec![1.0; x.nrows()];
                let cfg = self.tree.config(self.criterion.impurity(), x.nrows(), x.ncols(), x.nrows() as f64)?;
                let max_features = cfg.max_features;
                (
                    cart::grow(&cfg, Presorted::new(x), Target::Classes(&ids, k), &weight, resolve_seed(self.seed)),
                    max_features,
                )
            }
            (TreeBackend::Linfa, None) => {
                (linfa_backend::fit(&self.tree, self.criterion.impurity(), x, &ids, k)?, x.ncols())
            }
        };
        let feature_importances = Array1::from(tree.feature_importances());
        Ok(FittedDecisionTreeClassifier {
            classes: y.classes,
            tree,
            n_features_in: x.ncols(),
            feature_importances,
            max_features,
        })
    }
}

/// A fitted [`DecisionTreeClassifier`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "L: ClassLabel")]
pub struct FittedDecisionTreeClassifier<L> {
    classes: Vec<L>,
    tree: Tree,
    n_features_in: usize,
    feature_importances: Array1<f64>,
    max_features: usize,
}

impl<L> FittedDecisionTreeClassifier<L> {
    /// Normalised total impurity decrease per feature (scikit-learn's `feature_importances_`).
    pub fn feature_importances(&self) -> ArrayView1<'_, f64> {
        self.feature_importances.view()
    }
    /// Depth of the tree (0 for a single leaf).
    pub fn get_depth(&self) -> usize {
        self.tree.max_depth()
    }
    /// Number of leaves.
    pub fn get_n_leaves(&self) -> usize {
        self.tree.n_leaves()
    }
    /// The fitted tree (scikit-learn's `tree_`).
    pub fn tree(&self) -> &Tree {
        &self.tree
    }
    /// Number of features each split considered (scikit-learn's `max_features_`).
    pub fn max_features(&self) -> usize {
        self.max_features
    }
    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.tree.value_width()
    }
}

impl<L: ClassLabel> FittedDecisionTreeClassifier<L> {
    /// Index of the leaf each sample ends in.
    pub fn apply<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array1<usize>> {
        let x = self.check_x(x.into())?;
        Ok(self.tree.apply_all(x).into_iter().map(|leaf| leaf as usize).collect())
    }
}

impl<L: ClassLabel> Fitted for FittedDecisionTreeClassifier<L> {
    const NAME: &'static str = "DecisionTreeClassifier";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        self.tree.allows_nan()
    }
}

impl<L: ClassLabel> FittedClassifier<L> for FittedDecisionTreeClassifier<L> {
    fn classes(&self) -> &[L] {
        &self.classes
    }

    fn predict_indices(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        Ok(self.tree.apply_all(x).into_iter().map(|leaf| argmax(self.tree.value(leaf as usize))).collect())
    }

    fn predict_proba_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let k = self.tree.value_width();
        let mut out = Array2::zeros((x.nrows(), k));
        for (leaf, mut dst) in self.tree.apply_all(x).into_iter().zip(out.outer_iter_mut()) {
            dst.assign(&ArrayView1::from(self.tree.value(leaf as usize)));
        }
        Ok(out)
    }
}

impl<L: ClassLabel> ProbabilisticClassifier<L> for FittedDecisionTreeClassifier<L> {}

/// A CART regression tree: scikit-learn's `DecisionTreeRegressor`.
///
/// Grows a binary tree by repeatedly choosing the split that decreases the squared error most;
/// leaves predict the mean target of their training samples.
///
/// Hyper-parameters (scikit-learn's names and defaults): `criterion`
/// ([`TreeRegressionCriterion::SquaredError`] or `FriedmanMse`), `splitter` (`Best`), `max_depth`
/// (`None`), `min_samples_split` (2), `min_samples_leaf` (1), `min_weight_fraction_leaf` (0),
/// `max_features` ([`MaxFeatures::All`]), `max_leaf_nodes` (`None`), `min_impurity_decrease` (0),
/// `seed` (`None`).
///
/// Sample weights: `fit_weighted(&x, &y, &w)` (scikit-learn's `fit(X, y, sample_weight=w)`):
/// weighted squared errors, weighted leaf means and `min_weight_fraction_leaf` as a fraction of
/// `Σ w`; see [`DecisionTreeClassifier`] for the sample counts and zero weights.
///
/// Fitted accessors: `feature_importances()`, `get_depth()`, `get_n_leaves()`, `tree()`,
/// `apply()`.
///
/// Missing values: NaN in `X` is accepted in `fit` and `predict`, split and routed as in
/// [`DecisionTreeClassifier`] (the side learnt per node, [`Tree::missing_go_to_left`]; without NaN
/// in a node's training samples, the child with more samples, ties right).
///
/// Errors: [`Error::InvalidParam`] for out-of-range hyper-parameters, the shared validation
/// errors for bad input (`Error::NonFinite` for `±inf` in `X`).
///
/// Feature values are rounded to `f32` for splitting and predicting, as scikit-learn's trees
/// (the target stays `f64`).
///
/// ```
/// use oxlearn_algorithms::DecisionTreeRegressor;
/// use oxlearn_core::prelude::*;
/// let x = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
/// let y = ndarray::array![1.0, 1.0, 5.0, 5.0];
/// let tree = DecisionTreeRegressor::default().seed(0).fit(&x, &y)?;
/// assert_eq!(tree.predict(&ndarray::array![[0.2], [2.9]])?.to_vec(), vec![1.0, 5.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTreeRegressor {
    criterion: TreeRegressionCriterion,
    tree: TreeParams,
    seed: Option<u64>,
}

impl Default for DecisionTreeRegressor {
    fn default() -> Self {
        DecisionTreeRegressor {
            criterion: TreeRegressionCriterion::SquaredError,
            tree: TreeParams::new(Splitter::Best, MaxFeatures::All),
            seed: None,
        }
    }
}

impl DecisionTreeRegressor {
    /// Split quality (default [`TreeRegressionCriterion::SquaredError`]).
    pub fn criterion(mut self, v: TreeRegressionCriterion) -> Self {
        self.criterion = v;
        self
    }
    /// Split strategy (default [`Splitter::Best`]).
    pub fn splitter(mut self, v: Splitter) -> Self {
        self.tree.splitter = v;
        self
    }
    /// Seed of the feature order (scikit-learn's `random_state`; default `None`: random).
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = Some(v);
        self
    }
    tree_setters!();
}

impl Estimator for DecisionTreeRegressor {
    const NAME: &'static str = "DecisionTreeRegressor";
    type Kind = RegressorKind;

    fn tags(&self) -> Tags {
        Tags { non_deterministic: true, sample_weight: true, allow_nan: true, ..Tags::default() }
    }

    fn check_params(&self) -> Result<()> {
        self.tree.check()
    }

    fn set_param(&mut self, name: &str, value: &ParamValue) -> Result<()> {
        match name {
            "criterion" => self.criterion = TreeRegressionCriterion::parse(name, value)?,
            "random_state" | "seed" => self.seed = value.as_opt_usize(name)?.map(|s| s as u64),
            _ => {
                if !self.tree.set(name, value)? {
                    return Err(Error::invalid_param(name, format!("{} has no parameter {name:?}", Self::NAME)));
                }
            }
        }
        Ok(())
    }
}

impl Regressor for DecisionTreeRegressor {
    type Fitted = FittedDecisionTreeRegressor;

    fn fit_checked(&self, x: ArrayView2<'_, f64>, y: ArrayView1<'_, f64>) -> Result<FittedDecisionTreeRegressor> {
        check_rows(x.nrows())?;
        let y = y.to_vec();
        let weight = vec![1.0; x.nrows()];
        let cfg = self.tree.config(self.criterion.impurity(), x.nrows(), x.ncols(), x.nrows() as f64)?;
        let tree = cart::grow(&cfg, Presorted::new(x), Target::Values(&y), &weight, resolve_seed(self.seed));
        let feature_importances = Array1::from(tree.feature_importances());
        Ok(FittedDecisionTreeRegressor {
            tree,
            n_features_in: x.ncols(),
            feature_importances,
            max_features: cfg.max_features,
        })
    }

    fn fit_weighted_checked(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, f64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<FittedDecisionTreeRegressor> {
        check_rows(x.nrows())?;
        let y = y.to_vec();
        let weight = sample_weight.to_vec();
        let (sorted, total) = weighted_inputs(x, &weight, Self::NAME)?;
        let cfg = self.tree.config(self.criterion.impurity(), x.nrows(), x.ncols(), total)?;
        let tree = cart::grow(&cfg, sorted, Target::Values(&y), &weight, resolve_seed(self.seed));
        let feature_importances = Array1::from(tree.feature_importances());
        Ok(FittedDecisionTreeRegressor {
            tree,
            n_features_in: x.ncols(),
            feature_importances,
            max_features: cfg.max_features,
        })
    }
}

/// A fitted [`DecisionTreeRegressor`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedDecisionTreeRegressor {
    tree: Tree,
    n_features_in: usize,
    feature_importances: Array1<f64>,
    max_features: usize,
}

impl FittedDecisionTreeRegressor {
    /// Normalised total impurity decrease per feature (scikit-learn's `feature_importances_`).
    pub fn feature_importances(&self) -> ArrayView1<'_, f64> {
        self.feature_importances.view()
    }
    /// Depth of the tree (0 for a single leaf).
    pub fn get_depth(&self) -> usize {
        self.tree.max_depth()
    }
    /// Number of leaves.
    pub fn get_n_leaves(&self) -> usize {
        self.tree.n_leaves()
    }
    /// The fitted tree (scikit-learn's `tree_`).
    pub fn tree(&self) -> &Tree {
        &self.tree
    }
    /// Number of features each split considered (scikit-learn's `max_features_`).
    pub fn max_features(&self) -> usize {
        self.max_features
    }
    /// Index of the leaf each sample ends in.
    pub fn apply<'a>(&self, x: impl AsArray<'a, f64, Ix2>) -> Result<Array1<usize>> {
        let x = self.check_x(x.into())?;
        Ok(self.tree.apply_all(x).into_iter().map(|leaf| leaf as usize).collect())
    }
}

impl Fitted for FittedDecisionTreeRegressor {
    const NAME: &'static str = "DecisionTreeRegressor";
    fn n_features_in(&self) -> usize {
        self.n_features_in
    }
    fn allow_nan(&self) -> bool {
        true
    }
}

impl FittedRegressor for FittedDecisionTreeRegressor {
    fn predict_checked(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        Ok(self.tree.apply_all(x).into_iter().map(|leaf| self.tree.value(leaf as usize)[0]).collect())
    }
}
