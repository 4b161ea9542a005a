//! # oxlearn-algorithms
//!
//! Supervised and unsupervised estimators with scikit-learn's names, parameters and defaults:
//! our own solvers as defaults wherever they are faster at the same answer, and linfa 0.8.1 as a
//! selectable backend (`Solver::Linfa` / `Backend::Linfa`) and test oracle. linfa types never
//! appear in public signatures.

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
