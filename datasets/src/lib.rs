//! # oxlearn-datasets
//!
//! Data for oxlearn estimators, as scikit-learn's `sklearn.datasets` provides it:
//!
//! - **Embedded datasets**, compiled into the binary (no network, no files): [`iris`], [`wine`],
//!   [`breast_cancer`], [`digits`] (classification, `y: Array1<i64>`) and [`diabetes`]
//!   (regression, `y: Array1<f64>`, unscaled). Each is a [`Dataset`] with `x`, `y`,
//!   `feature_names` and `target_names`, and turns into a polars DataFrame with
//!   [`Dataset::to_frame`].
//! - **Files**: [`read_csv`] and [`read_parquet`] into a polars [`DataFrame`], their lazy
//!   versions [`scan_csv`] and [`scan_parquet`], and [`write_csv`] / [`write_parquet`].
//! - **From a DataFrame to arrays**: [`xy_from_frame`] splits off a target column and converts
//!   the features to an `f64` matrix; [`xy_regression`] and [`xy_classification`] also convert
//!   the target (to `f64`, or to [`Label`]s for integer or string classes). A missing column, a
//!   non-numeric feature or a null is an error that names the column (and the row); nulls can be
//!   read as NaN on request ([`Nulls::AsNaN`]).
//! - **Generators** with scikit-learn's parameters and semantics, seeded: [`make_classification`],
//!   [`make_regression`], [`make_blobs`], [`make_moons`], [`make_circles`]. Their random streams
//!   differ from NumPy's, so values differ from scikit-learn's for the same seed; shapes, class
//!   sizes and structure do not (see [`generators`]).
//!
//! ```
//! use oxlearn_datasets::{iris, make_classification, xy_classification};
//!
//! // An embedded dataset, as arrays...
//! let iris = iris();
//! assert_eq!(iris.x.dim(), (150, 4));
//! assert_eq!(iris.y.iter().filter(|&&c| c == 2).count(), 50);
//! assert_eq!(iris.feature_names[0], "sepal_length_cm");
//!
//! // ... and as a DataFrame, back to arrays with class labels.
//! let df = iris.to_frame()?;
//! let (x, y) = xy_classification(&df, "target")?;
//! assert_eq!(x, iris.x);
//! assert_eq!(y[0], oxlearn_core::Label::Int(0));
//!
//! // A synthetic problem: 3 balanced classes, no label noise.
//! let (x, y) = make_classification(300, 10).n_informative(4).n_classes(3).flip_y(0.0).seed(0).generate()?;
//! assert_eq!(x.dim(), (300, 10));
//! assert_eq!(y.iter().filter(|&&c| c == 1).count(), 100);
//!
//! // Errors name the column and what is there.
//! let err = xy_classification(&df, "species").unwrap_err();
//! assert!(err.to_string().starts_with(r#"column "species" not found; the frame's columns are ["sepal_length_cm""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors are [`oxlearn_core::Error`]: [`Error::Io`](oxlearn_core::Error::Io) for files that
//! cannot be opened or written, [`Error::Other`](oxlearn_core::Error::Other) for files polars
//! cannot parse, [`Error::InvalidInput`](oxlearn_core::Error::InvalidInput) for frames that cannot
//! become arrays, [`Error::InvalidParam`](oxlearn_core::Error::InvalidParam) for generator
//! parameters out of range.
//!
//! This crate has no cargo features. It uses polars (without polars' `ndarray` feature: the
//! conversion copies each column's contiguous chunks into the matrix).
//!
//! [`DataFrame`]: polars::prelude::DataFrame
//! [`Label`]: oxlearn_core::Label

mod embedded;
mod frame;
pub mod generators;

pub use embedded::{Dataset, TargetElement, breast_cancer, diabetes, digits, iris, wine};
pub use frame::{
    Nulls, frame_to_array, frame_to_array_with, read_csv, read_parquet, scan_csv, scan_parquet, series_to_f64,
    series_to_labels, write_csv, write_parquet, xy_classification, xy_from_frame, xy_from_frame_with, xy_regression,
};
pub use generators::{
    Centers, ClusterStd, MakeBlobs, MakeCircles, MakeClassification, MakeMoons, MakeRegression, make_blobs,
    make_circles, make_classification, make_moons, make_regression,
};
