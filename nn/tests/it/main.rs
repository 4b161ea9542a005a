//! Integration tests of oxlearn-nn: gradient checks, determinism, scikit-learn reference scores,
//! the estimator API and the conformance suite.

mod api;
mod backend_suite;
mod conformance;
mod data;
mod determinism;
mod gradcheck;
mod reference;
