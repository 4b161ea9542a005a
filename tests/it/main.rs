//! Integration tests of the `oxlearn` facade.

mod pipeline_conformance;
mod registry;
