//! # oxlearn-preprocessing
//!
//! scikit-learn's preprocessing transformers on ndarray matrices and polars DataFrames.

pub mod scaler;

pub use scaler::{FittedStandardScaler, StandardScaler};
