//! The integration test binary of oxlearn-preprocessing.

mod categorical;
mod common;
mod conformance;
mod frame;
mod golden;
mod inplace;
mod job;
mod matrix;
mod parallel;
