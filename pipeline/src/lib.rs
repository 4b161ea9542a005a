//! # oxlearn-pipeline
//!
//! Pipelines, model selection and model files, scikit-learn's `sklearn.pipeline`,
//! `sklearn.model_selection` and a safe replacement for pickling:
//!
//! - [`Pipeline`]: named steps (a leading `ColumnTransformer` over a polars DataFrame, then any
//!   estimators through the core's dynamic layer), fitted from a DataFrame with string labels
//!   and missing values or from ndarray; [`chain`](mod@chain): the statically typed chain
//!   (`scaler.then(pca)`), no dynamic dispatch;
//! - [`model_selection`]: splitters, [`cross_validate`], [`GridSearchCV`],
//!   [`RandomizedSearchCV`], learning and validation curves, folds and candidates in parallel
//!   on rayon;
//! - [`persist`]: the versioned, checksummed model file (safetensors container, closed
//!   registry of model types).
//!
//! This crate knows no concrete model: the full registry of model types lives in the `oxlearn`
//! facade.

pub mod chain;
pub mod model_selection;
pub mod persist;
pub mod pipeline;
pub mod target;

pub use chain::{Chain, Then};
pub use model_selection::*;
pub use persist::{ModelFileError, Registry, SaveModel};
pub use pipeline::{FittedPipeStep, FittedPipeline, IntoStep, PipeStep, Pipeline, output_to_series};
pub use target::Target;
