//! The integration test binary of oxlearn-preprocessing.

mod common;
mod conformance;
mod frame;
mod golden;
mod job;
mod parallel;
