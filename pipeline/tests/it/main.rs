//! Integration tests of oxlearn-pipeline.

mod chain;
mod common;
mod model_file;
mod pipeline;
mod selection;
