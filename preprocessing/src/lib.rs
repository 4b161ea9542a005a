//! # oxlearn-preprocessing
//!
//! scikit-learn's preprocessing transformers on ndarray matrices and polars DataFrames, the
//! [`ColumnTransformer`] that combines them over a DataFrame's columns, and streaming
//! [feature-engineering jobs](job) over files larger than memory.
//!
//! | scikit-learn | oxlearn |
//! |---|---|
//! | `StandardScaler(with_mean, with_std)` | [`StandardScaler`] |
//! | `MinMaxScaler(feature_range, clip)` | [`MinMaxScaler`] |
//! | `MaxAbsScaler()` | [`MaxAbsScaler`] |
//! | `RobustScaler(quantile_range, ..)` | [`RobustScaler`] |
//! | `Normalizer(norm)` | [`Normalizer`] |
//! | `SimpleImputer(strategy, fill_value, add_indicator)` | [`SimpleImputer`] |
//! | `OneHotEncoder(categories, drop, handle_unknown, min_frequency, max_categories)` | [`OneHotEncoder`] (dense; CSR through [`FittedOneHotEncoder::transform_sparse`]) |
//! | `OrdinalEncoder(unknown_value, encoded_missing_value)` | [`OrdinalEncoder`] |
//! | `LabelEncoder()` | [`LabelEncoder`] |
//! | `PolynomialFeatures(degree, interaction_only, include_bias)` | [`PolynomialFeatures`] |
//! | `KBinsDiscretizer(n_bins, encode, strategy)` | [`KBinsDiscretizer`] |
//! | `FunctionTransformer(func, inverse_func)` | [`FunctionTransformer`] (a closure) |
//! | `ColumnTransformer(transformers, remainder)` | [`ColumnTransformer`] (dense, or [`CsrMatrix`] through `transform_frame_sparse`) |
//!
//! Every matrix transformer, and the [`ColumnTransformer`] (over a matrix's columns `x0, x1, ..`,
//! selected with [`Columns::indices`]), implements oxlearn-core's [`Transformer`](oxlearn_core::Transformer)
//! (typestate `fit` returning a fitted type, `Result` everywhere, serde, `feature_names_out`) and
//! is registered in the conformance suite. On a DataFrame, each works through a [`Step`]:
//! numeric columns become `f64` with nulls as NaN, string columns stay strings with nulls, and
//! categorical / enum columns are read natively (their codes and polars' mapping, never cast to
//! strings); imputers and encoders handle all of them, nulls included, with the same results. `.then(..)` chains steps.
//!
//! ```
//! use oxlearn_preprocessing::{ColumnTransformer, Columns, OneHotEncoder, SimpleImputer, StandardScaler};
//! use polars::prelude::*;
//!
//! let df = df!(
//!     "age" => [Some(31.0), None, Some(58.0), Some(44.0)],
//!     "island" => [Some("Biscoe"), Some("Dream"), None, Some("Biscoe")],
//! )?;
//! let prep = ColumnTransformer::new()
//!     .add("num", SimpleImputer::median().then(StandardScaler::default()), Columns::numeric())
//!     .add("cat", SimpleImputer::most_frequent().then(OneHotEncoder::default().handle_unknown_ignore()),
//!          Columns::categorical());
//! let fitted = prep.fit_frame(&df)?;
//! let x = fitted.transform_frame(&df)?;
//! assert_eq!(fitted.feature_names_out(), ["num__age", "cat__island_Biscoe", "cat__island_Dream"]);
//! assert_eq!(x.row(2).to_vec()[1..], [1.0, 0.0]); // the null island imputed as "Biscoe"
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Parallelism
//! On a row-major matrix, the column statistics of a fit come from one parallel sweep over fixed
//! row chunks (merged in order, with the validator's finiteness check fused in), and transforms
//! write straight into the output in parallel over fixed row chunks. On frames, column
//! statistics run in parallel over columns (each column in the same fixed row chunks, so a matrix
//! and a frame give bit-identical statistics), transforms in parallel over fixed row chunks and over the parts of a
//! [`ColumnTransformer`]; nothing depends on the thread count, so results are bit-identical to
//! a single-threaded run. `n_jobs` on [`ColumnTransformer`] and [`FeatureJob`] sizes the pool.
//!
//! ## Features
//! No cargo features; polars is used with its `csv`, `parquet`, `lazy` and `dtype-categorical`
//! features (no `ndarray` feature: columns are converted through contiguous slices).

pub mod column;
pub mod data;
pub mod encode;
pub mod function;
pub mod impute;
pub mod job;
pub mod kbins;
pub(crate) mod kernels;
pub mod label;
pub mod poly;
pub mod scaler;
pub(crate) mod serde_f64;
pub mod sparse;
pub(crate) mod stats;
pub mod step;

pub use column::{ColumnTransformer, Columns, FittedColumnTransformer, FittedPart, Remainder, matrix_to_frame};
pub use data::{CatCol, Col, DtypeGroup};
pub use encode::{
    Categories, CategoryList, ColumnCategories, FittedOneHotEncoder, FittedOrdinalEncoder, HandleUnknown, MinFrequency,
    OneHotDrop, OneHotEncoder, OrdinalEncoder,
};
pub use function::{FittedFunctionTransformer, FunctionNames, FunctionTransformer};
pub use impute::{Fill, FillValue, FittedSimpleImputer, ImputeStrategy, SimpleImputer};
pub use job::{FeatureJob, JobReport};
pub use kbins::{BinEncode, BinStrategy, FittedKBinsDiscretizer, KBinsDiscretizer};
pub use label::{FittedLabelEncoder, LabelEncoder};
pub use poly::{FittedPolynomialFeatures, PolynomialFeatures};
pub use scaler::{
    FittedMaxAbsScaler, FittedMinMaxScaler, FittedNormalizer, FittedRobustScaler, FittedStandardScaler, MaxAbsScaler,
    MinMaxScaler, Norm, Normalizer, RobustScaler, StandardScaler,
};
pub use sparse::CsrMatrix;
pub use step::{FittedStep, Step};
