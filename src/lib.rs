//! # oxlearn
//!
//! Classical machine learning for Rust in the scikit-learn style: load data (an embedded
//! dataset, an ndarray matrix or a polars DataFrame), preprocess it, fit a model, predict,
//! cross-validate, search hyper-parameters and save the model.
//!
//! ```
//! use oxlearn::prelude::*;
//!
//! let iris = oxlearn::datasets::iris();
//! let scaler = StandardScaler::default().fit(&iris.x)?;
//! let x = scaler.transform(&iris.x)?;
//! let model = LogisticRegression::default().c(1.0).fit(&x, &iris.y)?;
//! let accuracy = model.score(&x, &iris.y)?;
//! assert!(accuracy > 0.9);
//! // Probabilities: one column per entry of `model.classes()`, rows summing to 1.
//! let proba = model.predict_proba(&x)?;
//! assert_eq!(proba.ncols(), model.classes().len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The contract
//!
//! Every estimator is a plain struct of hyper-parameters with scikit-learn's names and defaults
//! and builder setters that never fail. `fit(&self, ..)` validates its input and returns a *new*
//! fitted type, so predicting with an unfitted model does not compile. Every `predict`,
//! `predict_proba`, `transform` and `score` returns a `Result`: bad input (NaN, a wrong number
//! of features, empty data, mismatched lengths, unseen categories) gives a typed
//! [`Error`](core::Error) whose message carries the numbers, never a panic:
//!
//! ```
//! use oxlearn::prelude::*;
//! let iris = oxlearn::datasets::iris();
//! let scaler = StandardScaler::default().fit(&iris.x)?;
//! let err = scaler.transform(&ndarray::Array2::<f64>::zeros((2, 3))).unwrap_err();
//! assert_eq!(err.to_string(), "X has 3 features, but StandardScaler was fitted with 4");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Sample weights (scikit-learn's `fit(X, y, sample_weight=w)`) go through `fit_weighted`, on
//! the estimators whose [`Tags::sample_weight`](core::estimator::Tags) is set (linear models,
//! logistic regression, naive Bayes, SVMs, trees and forests, KMeans), on chains and pipelines (the
//! last step gets them), and through `CvOptions::sample_weight` / a search's `.sample_weight(..)`
//! to every fold's fit; `class_weight` ("balanced" or per class) is a hyper-parameter of the
//! classifiers that have it in scikit-learn:
//!
//! ```
//! use oxlearn::prelude::*;
//! let d = oxlearn::datasets::diabetes();
//! let w = ndarray::Array1::from_shape_fn(d.y.len(), |i| if i % 2 == 0 { 1.0 } else { 2.0 });
//! let model = StandardScaler::default().then_fit(Ridge::default()).fit_weighted(&d.x, &d.y, &w)?;
//! assert_eq!(model.predict(&d.x)?.len(), d.y.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Typed estimators are the primary API; each one also gets, for free, the object-safe
//! [`DynEstimator`](core::DynEstimator) layer that pipelines and searches use to hold
//! heterogeneous boxed steps.
//!
//! ## Crates
//!
//! | module | crate | what it holds |
//! | --- | --- | --- |
//! | [`core`] | oxlearn-core | traits, errors, validation, metrics, the conformance suite |
//! | [`algorithms`] | oxlearn-algorithms | linear models, SVMs, trees and forests, neighbors, naive Bayes, clustering, PCA |
//! | [`preprocessing`] | oxlearn-preprocessing | scalers, imputers, encoders, `ColumnTransformer`, streaming feature jobs |
//! | [`nn`] | oxlearn-nn | `MlpClassifier` / `MlpRegressor` on CPU, wgpu or CUDA |
//! | [`pipeline`] | oxlearn-pipeline | `Pipeline`, model selection, searches, model files |
//! | [`datasets`] | oxlearn-datasets | embedded datasets, CSV / Parquet loaders, generators |
//!
//! ## Cargo features
//!
//! - `cuda`: the CUDA backend of [`nn`] (cudarc; the driver is loaded at run time, so it builds
//!   without a CUDA toolkit and reports a typed error where no driver is present).
//! - `lapack`: LAPACK-backed solvers where they beat the pure-Rust path.
//! - `progress`: `progress::ProgressBar`, an indicatif progress bar to hand to any fit's or
//!   search's `.callback(..)` (MLP epochs, solver iterations, search fits, forest trees).
//!
//! The default build needs no GPU, no CUDA toolkit and no system BLAS.

pub use oxlearn_algorithms as algorithms;
pub use oxlearn_core as core;
pub use oxlearn_datasets as datasets;
pub use oxlearn_nn as nn;
pub use oxlearn_pipeline as pipeline;
pub use oxlearn_preprocessing as preprocessing;

#[cfg(feature = "progress")]
pub mod progress;
pub mod registry;
pub use registry::{load, registry};

// The README's example is compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Guides for readers coming from elsewhere.
pub mod doc {
    #[doc = include_str!("doc/for_sklearn_users.md")]
    pub mod for_sklearn_users {}
}

/// Everything a typical program needs in scope: the traits, every estimator and transformer,
/// and the enums that configure them.
pub mod prelude {
    pub use oxlearn_core::prelude::*;
    pub use oxlearn_core::{DynEstimator, DynFitted, ParamValue};

    pub use oxlearn_algorithms::{
        ClassWeight, Dbscan, DecisionTreeClassifier, DecisionTreeRegressor, ElasticNet, ExtraTreesClassifier,
        ExtraTreesRegressor, GaussianNB, KMeans, KNeighborsClassifier, KNeighborsRegressor, Lasso, LinearRegression,
        LinearSVC, LogisticRegression, Pca, PcaComponents, RandomForestClassifier, RandomForestRegressor, Ridge, SVC,
        SVR,
    };
    pub use oxlearn_nn::{Device, MlpClassifier, MlpRegressor};
    pub use oxlearn_pipeline::chain::Then;
    pub use oxlearn_pipeline::{
        GridSearchCV, GroupKFold, KFold, Pipeline, RandomizedSearchCV, SaveModel, ShuffleSplit, StratifiedKFold,
        TimeSeriesSplit, cross_val_predict, cross_val_score, cross_validate, train_test_split,
    };

    pub use crate::registry::LoadPipeline;
    pub use oxlearn_preprocessing::{
        ColumnTransformer, Columns, FeatureJob, FunctionTransformer, KBinsDiscretizer, LabelEncoder, MaxAbsScaler,
        MinMaxScaler, Normalizer, OneHotEncoder, OrdinalEncoder, PolynomialFeatures, RobustScaler, SimpleImputer,
        StandardScaler,
    };
}
