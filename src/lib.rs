//! # oxlearn
//!
//! Classical machine learning for Rust in the scikit-learn style. (Crate manual: see the
//! sections below; `doc::for_sklearn_users` maps scikit-learn names to oxlearn's.)

pub use oxlearn_algorithms as algorithms;
pub use oxlearn_core as core;
pub use oxlearn_datasets as datasets;
pub use oxlearn_nn as nn;
pub use oxlearn_pipeline as pipeline;
pub use oxlearn_preprocessing as preprocessing;

/// Everything a typical program needs in scope.
pub mod prelude {
    pub use oxlearn_core::prelude::*;
    pub use oxlearn_preprocessing::StandardScaler;
}
