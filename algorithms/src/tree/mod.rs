//! Decision trees and tree ensembles with scikit-learn's names, parameters and defaults:
//! [`DecisionTreeClassifier`], [`DecisionTreeRegressor`], [`RandomForestClassifier`],
//! [`RandomForestRegressor`], [`ExtraTreesClassifier`] and [`ExtraTreesRegressor`].
//!
//! All of them grow trees with one CART engine: every feature's samples are sorted once, and
//! each split partitions those orders stably, so a level of the tree costs O(n * n_features)
//! (linfa-trees rescans every presorted feature in full at every node, which grows as n^2).
//! Splits are exact, as scikit-learn's `BestSplitter`: the best threshold of each candidate
//! feature, at the midpoint between consecutive distinct values, features visited in a random
//! order (the seed) so ties go to the first feature found. As scikit-learn's (which convert `X`
//! to `float32`), the trees split and route samples on feature values rounded to `f32`. Fitted
//! trees are flat arrays of nodes ([`Tree`]), serialisable with serde; prediction walks several
//! rows down each tree at once over compact 16-byte nodes, one cache-sized block of rows at a time.
//!
//! Missing values (NaN in `X`) are supported in `fit` and `predict` as in scikit-learn 1.9: a
//! split learns which side its NaN samples go to ([`Tree::missing_go_to_left`]); `±inf` stays an
//! error.
//!
//! [`DecisionTreeClassifier`] can also grow its tree with linfa-trees ([`TreeBackend::Linfa`],
//! which rejects NaN).
//!
//! ```
//! use oxlearn_algorithms::{DecisionTreeClassifier, RandomForestClassifier};
//! use oxlearn_core::prelude::*;
//! let x = ndarray::array![[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]];
//! let y = ndarray::array![0, 0, 1, 1];
//! let tree = DecisionTreeClassifier::default().seed(0).fit(&x, &y)?;
//! assert_eq!(tree.predict(&x)?.to_vec(), vec![0, 0, 1, 1]);
//! let forest = RandomForestClassifier::default().n_estimators(10).seed(0).fit(&x, &y)?;
//! assert_eq!(forest.predict_proba(&x)?.ncols(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cart;
mod decision;
mod forest;
mod linfa_backend;

pub use cart::{Splitter, Tree};
pub use decision::{
    DecisionTreeClassifier, DecisionTreeRegressor, FittedDecisionTreeClassifier, FittedDecisionTreeRegressor,
};
pub use forest::{
    ExtraTrees, ExtraTreesClassifier, ExtraTreesRegressor, FittedExtraTreesClassifier, FittedExtraTreesRegressor,
    FittedForestClassifier, FittedForestRegressor, FittedRandomForestClassifier, FittedRandomForestRegressor,
    ForestClassifier, ForestKind, ForestRegressor, RandomForest, RandomForestClassifier, RandomForestRegressor,
};

use oxlearn_core::{Error, ParamValue, Result};
use serde::{Deserialize, Serialize};

use cart::{Config, Impurity};

/// The split quality of a classification tree (scikit-learn's `criterion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TreeCriterion {
    /// Gini impurity `1 - sum_k p_k^2` (the default).
    #[default]
    Gini,
    /// Shannon entropy `-sum_k p_k log2 p_k`.
    Entropy,
    /// The same as [`TreeCriterion::Entropy`] (scikit-learn's `"log_loss"`).
    LogLoss,
}

impl TreeCriterion {
    fn impurity(self) -> Impurity {
        match self {
            TreeCriterion::Gini => Impurity::Gini,
            TreeCriterion::Entropy | TreeCriterion::LogLoss => Impurity::Entropy,
        }
    }

    fn parse(name: &str, value: &ParamValue) -> Result<Self> {
        match value.as_str(name)? {
            "gini" => Ok(TreeCriterion::Gini),
            "entropy" => Ok(TreeCriterion::Entropy),
            "log_loss" => Ok(TreeCriterion::LogLoss),
            other => Err(Error::invalid_param(
                name,
                format!("unknown criterion {other:?}; expected \"gini\", \"entropy\" or \"log_loss\""),
            )),
        }
    }
}

/// The split quality of a regression tree (scikit-learn's `criterion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TreeRegressionCriterion {
    /// Mean squared error, leaves predict the mean (the default).
    #[default]
    SquaredError,
    /// Squared error with Friedman's improvement score (scikit-learn's `"friedman_mse"`).
    FriedmanMse,
}

impl TreeRegressionCriterion {
    fn impurity(self) -> Impurity {
        match self {
            TreeRegressionCriterion::SquaredError => Impurity::SquaredError,
            TreeRegressionCriterion::FriedmanMse => Impurity::FriedmanMse,
        }
    }

    fn parse(name: &str, value: &ParamValue) -> Result<Self> {
        match value.as_str(name)? {
            "squared_error" => Ok(TreeRegressionCriterion::SquaredError),
            "friedman_mse" => Ok(TreeRegressionCriterion::FriedmanMse),
            other => Err(Error::invalid_param(
                name,
                format!("unsupported criterion {other:?}; expected \"squared_error\" or \"friedman_mse\""),
            )),
        }
    }
}

/// How many features each split considers (scikit-learn's `max_features`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum MaxFeatures {
    /// Every feature (scikit-learn's `None`).
    #[default]
    All,
    /// `max(1, floor(sqrt(n_features)))`.
    Sqrt,
    /// `max(1, floor(log2(n_features)))`.
    Log2,
    /// This many features, in `1..=n_features`.
    Count(usize),
    /// `max(1, floor(fraction * n_features))`, fraction in `(0, 1]`.
    Fraction(f64),
}

impl From<usize> for MaxFeatures {
    fn from(v: usize) -> Self {
        MaxFeatures::Count(v)
    }
}
impl From<f64> for MaxFeatures {
    fn from(v: f64) -> Self {
        MaxFeatures::Fraction(v)
    }
}

impl MaxFeatures {
    fn check(self) -> Result<()> {
        match self {
            MaxFeatures::Count(0) => Err(Error::invalid_param("max_features", "must be at least 1, got 0")),
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                Err(Error::invalid_param("max_features", format!("a fraction must be in (0, 1], got {f}")))
            }
            _ => Ok(()),
        }
    }

    fn resolve(self, n_features: usize) -> Result<usize> {
        let d = n_features as f64;
        Ok(match self {
            MaxFeatures::All => n_features,
            MaxFeatures::Sqrt => (d.sqrt() as usize).max(1),
            MaxFeatures::Log2 => (d.log2() as usize).max(1),
            MaxFeatures::Fraction(f) => ((f * d) as usize).max(1),
            MaxFeatures::Count(k) if k > n_features => {
                return Err(Error::invalid_param(
                    "max_features",
                    format!("must be in 1..={n_features} (the number of features), got {k}"),
                ));
            }
            MaxFeatures::Count(k) => k,
        })
    }

    fn parse(name: &str, value: &ParamValue) -> Result<Self> {
        Ok(match value {
            ParamValue::None => MaxFeatures::All,
            ParamValue::Str(s) if s == "sqrt" => MaxFeatures::Sqrt,
            ParamValue::Str(s) if s == "log2" => MaxFeatures::Log2,
            ParamValue::Int(_) => MaxFeatures::Count(value.as_usize(name)?),
            ParamValue::Float(f) => MaxFeatures::Fraction(*f),
            other => {
                return Err(Error::invalid_param(
                    name,
                    format!("expected None, \"sqrt\", \"log2\", an integer or a fraction, got {other}"),
                ));
            }
        })
    }
}

/// A number of samples given as a count or as a fraction of the training set
/// (`min_samples_split`, `min_samples_leaf`), as scikit-learn's int-or-float parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum SampleCount {
    /// An absolute number of samples.
    Count(usize),
    /// `ceil(fraction * n_samples)`.
    Fraction(f64),
}

impl From<usize> for SampleCount {
    fn from(v: usize) -> Self {
        SampleCount::Count(v)
    }
}
impl From<i32> for SampleCount {
    /// Negative values become an (invalid) negative fraction, which `fit` rejects.
    fn from(v: i32) -> Self {
        usize::try_from(v).map_or(SampleCount::Fraction(f64::from(v)), SampleCount::Count)
    }
}
impl From<f64> for SampleCount {
    fn from(v: f64) -> Self {
        SampleCount::Fraction(v)
    }
}

impl SampleCount {
    fn resolve(self, n_samples: usize) -> usize {
        match self {
            SampleCount::Count(c) => c,
            SampleCount::Fraction(f) => (f * n_samples as f64).ceil() as usize,
        }
    }

    fn parse(name: &str, value: &ParamValue) -> Result<Self> {
        match *value {
            ParamValue::Float(f) => Ok(SampleCount::Fraction(f)),
            _ => value.as_usize(name).map(SampleCount::Count),
        }
    }
}

/// The engine a [`DecisionTreeClassifier`] grows its tree with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TreeBackend {
    /// oxlearn's CART (the default): exact splits, every parameter.
    #[default]
    Native,
    /// linfa-trees 0.8.1. Supports `criterion`, `max_depth`, `min_samples_split`,
    /// `min_samples_leaf` (counts) and `min_impurity_decrease`, which linfa compares with the
    /// node's *unweighted* impurity decrease and refuses below `f64::EPSILON` (so 0 becomes
    /// `f64::EPSILON`: zero-gain splits are never taken). It has no random feature order (ties go
    /// to the lowest feature index), scores splits in f32, treats values closer than 1e-5 as
    /// equal, prunes sibling leaves with the same class, and sends `x < threshold` left. Fit cost
    /// grows as n^2. NaN in `X` is rejected (`Error::NonFinite`).
    Linfa,
}

/// Hyper-parameters every tree and forest shares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TreeParams {
    pub splitter: Splitter,
    pub max_depth: Option<usize>,
    pub min_samples_split: SampleCount,
    pub min_samples_leaf: SampleCount,
    pub min_weight_fraction_leaf: f64,
    pub max_features: MaxFeatures,
    pub max_leaf_nodes: Option<usize>,
    pub min_impurity_decrease: f64,
}

impl TreeParams {
    pub fn new(splitter: Splitter, max_features: MaxFeatures) -> Self {
        TreeParams {
            splitter,
            max_depth: None,
            min_samples_split: SampleCount::Count(2),
            min_samples_leaf: SampleCount::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features,
            max_leaf_nodes: None,
            min_impurity_decrease: 0.0,
        }
    }

    pub fn check(&self) -> Result<()> {
        if self.max_depth == Some(0) {
            return Err(Error::invalid_param("max_depth", "must be at least 1 (or None), got 0"));
        }
        match self.min_samples_split {
            SampleCount::Count(c) if c < 2 => {
                return Err(Error::invalid_param("min_samples_split", format!("a count must be at least 2, got {c}")));
            }
            SampleCount::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(Error::invalid_param(
                    "min_samples_split",
                    format!("a fraction must be in (0, 1], got {f}"),
                ));
            }
            _ => {}
        }
        match self.min_samples_leaf {
            SampleCount::Count(0) => {
                return Err(Error::invalid_param("min_samples_leaf", "a count must be at least 1, got 0"));
            }
            SampleCount::Fraction(f) if !(f > 0.0 && f < 1.0) => {
                return Err(Error::invalid_param("min_samples_leaf", format!("a fraction must be in (0, 1), got {f}")));
            }
            _ => {}
        }
        if !(0.0..=0.5).contains(&self.min_weight_fraction_leaf) {
            return Err(Error::invalid_param(
                "min_weight_fraction_leaf",
                format!("must be in [0, 0.5], got {}", self.min_weight_fraction_leaf),
            ));
        }
        self.max_features.check()?;
        if let Some(m) = self.max_leaf_nodes.filter(|&m| m < 2) {
            return Err(Error::invalid_param("max_leaf_nodes", format!("must be at least 2 (or None), got {m}")));
        }
        if !(self.min_impurity_decrease >= 0.0 && self.min_impurity_decrease.is_finite()) {
            return Err(Error::invalid_param(
                "min_impurity_decrease",
                format!("must be finite and >= 0, got {}", self.min_impurity_decrease),
            ));
        }
        Ok(())
    }

    /// Resolves fractions against the data: `n_samples` rows, `n_features` columns, and the
    /// total sample weight of one tree.
    pub fn config(&self, impurity: Impurity, n_samples: usize, n_features: usize, total_weight: f64) -> Result<Config> {
        let min_samples_leaf = self.min_samples_leaf.resolve(n_samples).max(1);
        let min_samples_split = self.min_samples_split.resolve(n_samples).max(2).max(2 * min_samples_leaf);
        Ok(Config {
            impurity,
            splitter: self.splitter,
            max_depth: self.max_depth,
            min_samples_split,
            min_samples_leaf,
            min_weight_leaf: self.min_weight_fraction_leaf * total_weight,
            max_features: self.max_features.resolve(n_features)?,
            max_leaf_nodes: self.max_leaf_nodes,
            min_impurity_decrease: self.min_impurity_decrease,
        })
    }

    /// Sets a shared parameter by its scikit-learn name; `Ok(false)` when the name is not one.
    pub fn set(&mut self, name: &str, value: &ParamValue) -> Result<bool> {
        match name {
            "splitter" => {
                self.splitter = match value.as_str(name)? {
                    "best" => Splitter::Best,
                    "random" => Splitter::Random,
                    other => {
                        return Err(Error::invalid_param(
                            name,
                            format!("unknown splitter {other:?}; expected \"best\" or \"random\""),
                        ));
                    }
                }
            }
            "max_depth" => self.max_depth = value.as_opt_usize(name)?,
            "min_samples_split" => self.min_samples_split = SampleCount::parse(name, value)?,
            "min_samples_leaf" => self.min_samples_leaf = SampleCount::parse(name, value)?,
            "min_weight_fraction_leaf" => self.min_weight_fraction_leaf = value.as_f64(name)?,
            "max_features" => self.max_features = MaxFeatures::parse(name, value)?,
            "max_leaf_nodes" => self.max_leaf_nodes = value.as_opt_usize(name)?,
            "min_impurity_decrease" => self.min_impurity_decrease = value.as_f64(name)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The seed of a fit: the user's, or a fresh random one.
pub(crate) fn resolve_seed(seed: Option<u64>) -> u64 {
    seed.unwrap_or_else(rand::random)
}

/// Generates the builder setters of the shared tree hyper-parameters (field `tree`).
macro_rules! tree_setters {
    () => {
        /// Maximum depth of a tree (default `None`: grow until leaves are pure or too small).
        pub fn max_depth(mut self, v: impl Into<Option<usize>>) -> Self {
            self.tree.max_depth = v.into();
            self
        }
        /// Least number of samples a node needs to be split, a count `>= 2` or a fraction of the
        /// training rows (default 2).
        pub fn min_samples_split(mut self, v: impl Into<$crate::tree::SampleCount>) -> Self {
            self.tree.min_samples_split = v.into();
            self
        }
        /// Least number of samples in each leaf, a count `>= 1` or a fraction (default 1).
        pub fn min_samples_leaf(mut self, v: impl Into<$crate::tree::SampleCount>) -> Self {
            self.tree.min_samples_leaf = v.into();
            self
        }
        /// Least fraction of the total sample weight in each leaf, in `[0, 0.5]` (default 0).
        pub fn min_weight_fraction_leaf(mut self, v: f64) -> Self {
            self.tree.min_weight_fraction_leaf = v;
            self
        }
        /// Number of features each split considers.
        pub fn max_features(mut self, v: impl Into<$crate::tree::MaxFeatures>) -> Self {
            self.tree.max_features = v.into();
            self
        }
        /// Grow at most this many leaves, best improvement first (default `None`: unlimited,
        /// depth first); at least 2.
        pub fn max_leaf_nodes(mut self, v: impl Into<Option<usize>>) -> Self {
            self.tree.max_leaf_nodes = v.into();
            self
        }
        /// A node splits only if its weighted impurity decrease
        /// `N_t / N * (impurity - N_t_R / N_t * right_impurity - N_t_L / N_t * left_impurity)`
        /// is at least this (default 0).
        pub fn min_impurity_decrease(mut self, v: f64) -> Self {
            self.tree.min_impurity_decrease = v;
            self
        }
    };
}
pub(crate) use tree_setters;
