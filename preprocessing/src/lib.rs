//! # oxlearn-preprocessing
//!
//! scikit-learn's preprocessing transformers on ndarray matrices and polars DataFrames.

pub mod column;
pub mod data;
pub mod encode;
pub mod function;
pub mod impute;
pub mod job;
pub mod kbins;
pub mod label;
pub mod poly;
pub mod scaler;
pub(crate) mod serde_f64;
pub(crate) mod stats;
pub mod step;

pub use column::{ColumnTransformer, Columns, FittedColumnTransformer, FittedPart, Remainder, matrix_to_frame};
pub use data::{Col, DtypeGroup};
pub use encode::{
    Categories, CategoryList, ColumnCategories, FittedOneHotEncoder, FittedOrdinalEncoder, HandleUnknown, MinFrequency,
    OneHotDrop, OneHotEncoder, OrdinalEncoder,
};
pub use function::{FittedFunctionTransformer, FunctionNames, FunctionTransformer};
pub use job::{FeatureJob, JobReport};
pub use impute::{Fill, FillValue, FittedSimpleImputer, ImputeStrategy, SimpleImputer};
pub use kbins::{BinEncode, BinStrategy, FittedKBinsDiscretizer, KBinsDiscretizer};
pub use label::{FittedLabelEncoder, LabelEncoder};
pub use poly::{FittedPolynomialFeatures, PolynomialFeatures};
pub use scaler::{
    FittedMaxAbsScaler, FittedMinMaxScaler, FittedNormalizer, FittedRobustScaler, FittedStandardScaler,
    MaxAbsScaler, MinMaxScaler, Norm, Normalizer, RobustScaler, StandardScaler,
};
pub use step::{FittedStep, Step};
