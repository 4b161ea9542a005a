//! # oxlearn-algorithms
//!
//! Supervised and unsupervised estimators with scikit-learn's names, parameters and defaults:
//! our own solvers as defaults wherever they are faster at the same answer, and linfa 0.8.1 as a
//! selectable backend (`Solver::Linfa` / `Backend::Linfa`) and test oracle. linfa types never
//! appear in public signatures.
//!
//! Sample weights: scikit-learn's `fit(X, y, sample_weight=w)` is `fit_weighted(&x, &y, &w)`
//! (a provided method of the [`Classifier`](oxlearn_core::Classifier) and
//! [`Regressor`](oxlearn_core::Regressor) traits, `fit_weighted(&x, &w)` on
//! [`Clusterer`](oxlearn_core::Clusterer); `fit` stays the unweighted fit). It solves
//! the weighted problem directly, and the estimators that have it say so in their tags
//! (`tags().sample_weight`): [`LinearRegression`], [`Ridge`], [`Lasso`], [`ElasticNet`],
//! [`LogisticRegression`], [`GaussianNB`], the decision trees and forests, [`LinearSVC`],
//! [`SVC`], [`SVR`] and [`KMeans`]; the others return [`Error::Unsupported`](oxlearn_core::Error).
//! scikit-learn's `class_weight` is [`ClassWeight`] (`Balanced`, `BalancedSubsample` for
//! forests, or an explicit map) on [`LogisticRegression`], [`DecisionTreeClassifier`], the
//! forest classifiers, [`LinearSVC`] and [`SVC`].

mod class_weight;
pub mod cluster;
pub mod decomposition;
mod distance;
pub mod linalg;
pub mod linear;
pub mod naive_bayes;
mod nearest;
pub mod neighbors;
pub mod svm;
pub mod tree;

pub use class_weight::ClassWeight;
pub use cluster::*;
pub use decomposition::*;
pub use linear::*;
pub use naive_bayes::*;
pub use neighbors::*;
pub use svm::*;
pub use tree::*;
