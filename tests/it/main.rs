//! Integration tests of the `oxlearn` facade.

mod pipeline_conformance;
#[cfg(feature = "progress")]
mod progress;
mod registry;
