//! # oxlearn-core
//!
//! The contract every oxlearn estimator follows, and the tools that enforce it:
//!
//! - [`estimator`]: the typestate traits ([`Classifier`], [`Regressor`], [`Transformer`],
//!   [`Clusterer`] and their fitted counterparts) and [`Tags`];
//! - [`dynamic`]: the object-safe layer ([`DynEstimator`], [`DynFitted`]) that every typed
//!   estimator gets for free, for pipelines and searches;
//! - [`validate`]: the one validator behind every `fit`, `predict` and `transform`;
//! - [`Error`]: the one error enum for bad input and bad parameters;
//! - [`parallel`]: the `n_jobs` thread-count control; [`callback`]: progress and early stop;
//! - [`serde_f64`]: fitted states keep NaN and infinities through JSON;
//! - [`metrics`]: scikit-learn's metrics;
//! - [`check`]: the conformance suite ([`check_estimator!`]), scikit-learn's `check_estimator`;
//! - [`dummy`]: the baseline [`DummyClassifier`](dummy::DummyClassifier) and
//!   [`DummyRegressor`](dummy::DummyRegressor).
//!
//! ```
//! use oxlearn_core::prelude::*;
//! use oxlearn_core::dummy::DummyRegressor;
//!
//! let x = ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
//! let y = ndarray::array![1.0, 2.0, 3.0];
//! let model = DummyRegressor::default().fit(&x, &y)?;
//! assert_eq!(model.predict(&x)?.to_vec(), vec![2.0; 3]);
//! // A width mismatch is a typed error naming both numbers, never a panic.
//! let err = model.predict(&ndarray::array![[1.0]]).unwrap_err();
//! assert_eq!(err.to_string(), "X has 1 features, but DummyRegressor was fitted with 2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate depends on no linfa, polars or GPU crate.

pub mod alloc;
pub mod callback;
pub mod check;
pub mod dummy;
pub mod dynamic;
pub mod error;
pub mod estimator;
pub mod labels;
pub mod metrics;
pub mod parallel;
pub mod params;
pub mod serde_f64;
pub mod validate;

pub use callback::{Callback, FitCallback, Progress};
pub use dynamic::{
    ClassifierKind, ClustererKind, DynEstimator, DynFitted, EstimatorKind, KindDispatch, Output, RegressorKind,
    TargetView, TransformerKind,
};
pub use error::{Error, Input, Result};
pub use estimator::{
    ClassLabel, Classifier, Clusterer, Estimator, Fitted, FittedClassifier, FittedClusterer, FittedRegressor,
    FittedTransformer, ProbabilisticClassifier, Regressor, Tags, Transformer,
};
pub use labels::{EncodedLabels, Label};
pub use params::ParamValue;

/// The traits and types user code needs in scope.
pub mod prelude {
    pub use crate::error::{Error, Result};
    pub use crate::estimator::{
        Classifier, Clusterer, Estimator, Fitted, FittedClassifier, FittedClusterer, FittedRegressor,
        FittedTransformer, Regressor, Transformer,
    };
    pub use crate::labels::Label;
}
